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

const char *
fvc_precision_name (FvcPrecision precision)
{
  static const char *const names[] = { "fp32", "tf32", "bf16" };
  return (guint) precision < G_N_ELEMENTS (names) ? names[precision] : "unknown";
}

gboolean
fvc_precision_from_name (const char *name, FvcPrecision *out)
{
  for (guint i = 0; i <= FVC_PRECISION_BF16; i++) {
    if (g_strcmp0 (name, fvc_precision_name (i)) == 0) {
      *out = i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
fvc_backend_set_precision (FvcBackend *be, FvcPrecision precision, GError **error)
{
  if (be->set_precision != NULL)
    return be->set_precision (be, precision, error);
  if (precision != FVC_PRECISION_FP32) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "precision %s: the %s backend computes in fp32 only",
                 fvc_precision_name (precision), be->name);
    return FALSE;
  }
  return TRUE;
}

void
fvc_backend_free (FvcBackend *be)
{
  if (be != NULL)
    be->destroy (be);
}
