/* fvc-backend.c — picks a backend implementation for a device. The CUDA backend registers
 * itself here when this build has it (src/train/cuda/ defines FVC_HAVE_CUDA_BACKEND). */
#include "config.h"
#include "fvc-backend.h"
#include "fvc-error.h"
#include "fvc-memstats.h"

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

/* --memstats (fvc-memstats.h): the device memory seen by the GPU backends alive in this process,
 * from their stats (cudaMemGetInfo at their last allocation). */
static GMutex device_lock;
static GPtrArray *device_backends;

static gboolean
device_memory (guint64 *used, guint64 *total, gpointer user_data)
{
  gboolean known = FALSE;

  g_mutex_lock (&device_lock);
  for (guint i = 0; device_backends && i < device_backends->len; i++) {
    const FvcBackendStats *st = &((FvcBackend *) device_backends->pdata[i])->stats;
    if (st->device_total_bytes > 0) {
      *total = st->device_total_bytes;
      *used = st->device_total_bytes - st->device_free_bytes;
      known = TRUE;
    }
  }
  g_mutex_unlock (&device_lock);
  return known;
}

static void
device_backend_watch (FvcBackend *be, gboolean add)
{
  g_mutex_lock (&device_lock);
  if (device_backends == NULL)
    device_backends = g_ptr_array_new ();
  if (add)
    g_ptr_array_add (device_backends, be);
  else
    g_ptr_array_remove_fast (device_backends, be);
  g_mutex_unlock (&device_lock);
  fvc_memstats_set_device_provider (fvc_device_name (be->device), device_memory, NULL);
}

FvcBackend *
fvc_backend_new (FvcDevice device, GError **error)
{
  switch (device) {
  case FVC_DEVICE_CPU:
    return fvc_backend_cpu_new (error);
  case FVC_DEVICE_CUDA:
#ifdef FVC_HAVE_CUDA_BACKEND
    {
      FvcBackend *be = fvc_backend_cuda_new (error);
      if (be != NULL)
        device_backend_watch (be, TRUE);
      return be;
    }
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
fvc_backend_submit (FvcBackend *be, GError **error)
{
  return be->submit == NULL || be->submit (be, error);
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
  if (be == NULL)
    return;
  if (be->device != FVC_DEVICE_CPU)
    device_backend_watch (be, FALSE);
  be->destroy (be);
}
