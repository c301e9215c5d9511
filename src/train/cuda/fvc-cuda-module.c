/* fvc-cuda-module.c — the one exported symbol of libfvc-cuda.so, the module fvc_backend_new()
 * opens for device "cuda" (fvc-backend.c). Everything else in the module is hidden. */
#include "fvc-backend-cuda.h"

#include <gmodule.h>

G_MODULE_EXPORT FvcBackend *fvc_cuda_module_backend_new (GError **error);

G_MODULE_EXPORT FvcBackend *
fvc_cuda_module_backend_new (GError **error)
{
  return fvc_backend_cuda_new (error);
}
