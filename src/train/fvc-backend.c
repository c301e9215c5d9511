/* fvc-backend.c — picks a backend implementation for a device. The CUDA backend registers
 * itself here when this build has it (src/train/cuda/ defines FVC_HAVE_CUDA_BACKEND). */
#include "config.h"
#include "fvc-backend.h"
#include "fvc-error.h"

#ifdef FVC_HAVE_CUDA_BACKEND
FvcBackend *fvc_backend_cuda_new (GError **error);
#endif

gboolean
fvc_backend_available (FvcDevice device)
{
  switch (device) {
  case FVC_DEVICE_CPU:
    return TRUE;
  case FVC_DEVICE_CUDA:
#ifdef FVC_HAVE_CUDA_BACKEND
    return TRUE;
#else
    return FALSE;
#endif
  }
  return FALSE;
}

FvcBackend *
fvc_backend_new (FvcDevice device, GError **error)
{
  switch (device) {
  case FVC_DEVICE_CPU:
    return fvc_backend_cpu_new (error);
  case FVC_DEVICE_CUDA:
#ifdef FVC_HAVE_CUDA_BACKEND
    return fvc_backend_cuda_new (error);
#else
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED,
                 "device \"cuda\": this build of fvc-stream has no CUDA training backend; use device=cpu");
    return NULL;
#endif
  }
  g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "unknown device %d", (int) device);
  return NULL;
}

void
fvc_backend_free (FvcBackend *be)
{
  if (be != NULL)
    be->destroy (be);
}
