/* fvc-backend.c — picks a backend implementation for a device. The CUDA backend is the module
 * libfvc-cuda.so, opened on first use (linking cuDNN/cuBLAS into every process would cost ~215 MiB
 * of RSS before any GPU work); programs that link the backend statically register it instead. */
#include "config.h"
#include "fvc-backend.h"
#include "fvc-error.h"
#include "fvc-memstats.h"

#include <gmodule.h>

static GMutex factory_lock;
static FvcBackendFactory cuda_factory;

void
fvc_backend_register_cuda (FvcBackendFactory factory)
{
  g_mutex_lock (&factory_lock);
  cuda_factory = factory;
  g_mutex_unlock (&factory_lock);
}

/* The factory of the CUDA module: $FVC_CUDA_MODULE, this build's module, the installed one. */
static FvcBackendFactory
cuda_backend_factory (GError **error)
{
  FvcBackendFactory factory;

  g_mutex_lock (&factory_lock);
  factory = cuda_factory;
#if FVC_HAVE_CUDA
  if (factory == NULL) {
    const char *candidates[] = { g_getenv ("FVC_CUDA_MODULE"), FVC_CUDA_MODULE_BUILD, FVC_CUDA_MODULE_INSTALLED };
    g_autoptr (GString) tried = g_string_new (NULL);
    for (guint i = 0; i < G_N_ELEMENTS (candidates) && factory == NULL; i++) {
      GModule *module;
      gpointer symbol = NULL;
      if (candidates[i] == NULL || !g_file_test (candidates[i], G_FILE_TEST_EXISTS))
        continue;
      module = g_module_open (candidates[i], G_MODULE_BIND_LOCAL);
      if (module == NULL) {
        g_string_append_printf (tried, "%s%s", tried->len ? "; " : "", g_module_error ());
        continue;
      }
      if (!g_module_symbol (module, "fvc_cuda_module_backend_new", &symbol)) {
        g_string_append_printf (tried, "%s%s: no entry point", tried->len ? "; " : "", candidates[i]);
        g_module_close (module);
        continue;
      }
      g_module_make_resident (module);
      factory = (FvcBackendFactory) symbol;
    }
    if (factory == NULL) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "device \"cuda\": cannot load the CUDA backend module "
                   "(%s; set FVC_CUDA_MODULE to libfvc-cuda.so)", tried->len ? tried->str : "not found");
    }
    cuda_factory = factory;
  }
#else
  if (factory == NULL)
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED,
                 "device \"cuda\": this build of fvc-stream has no CUDA training backend; use device=cpu");
#endif
  g_mutex_unlock (&factory_lock);
  return factory;
}

gboolean
fvc_backend_available (FvcDevice device)
{
  switch (device) {
  case FVC_DEVICE_CPU:
    return TRUE;
  case FVC_DEVICE_CUDA:
    return FVC_HAVE_CUDA || cuda_factory != NULL;
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
  case FVC_DEVICE_CUDA: {
    FvcBackendFactory factory = cuda_backend_factory (error);
    FvcBackend *be = factory ? factory (error) : NULL;
    if (be != NULL)
      device_backend_watch (be, TRUE);
    return be;
  }
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
fvc_plan_desc_out_dims (const FvcPlanDesc *d, gint64 out_dims[5], GError **error)
{
  const guint in[3] = { d->t, d->h, d->w };

  out_dims[0] = d->n;
  out_dims[1] = d->kind == FVC_OP_CONV3D ? d->out_c : d->c;
  if (d->kind == FVC_OP_AVGPOOL_GLOBAL) {
    out_dims[2] = out_dims[3] = out_dims[4] = 1;
    return TRUE;
  }
  for (int i = 0; i < 3; i++) {
    /* In 64 bits: the guint fields would wrap below zero. */
    gint64 padded = (gint64) in[i] + (d->kind == FVC_OP_CONV3D ? 2 * (gint64) d->pad[i] : 0);
    if (d->kernel[i] == 0) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "%s: empty kernel",
                   d->kind == FVC_OP_CONV3D ? "conv3d" : "maxpool3d");
      return FALSE;
    }
    if (padded < d->kernel[i]) {
      g_set_error_literal (error, FVC_ERROR, FVC_ERROR_INVALID, d->kind == FVC_OP_CONV3D
                           ? "conv3d: kernel larger than the padded input" : "maxpool3d: kernel larger than the input");
      return FALSE;
    }
    /* Convolution: stride 1. Max pooling: stride = window, no padding, the rest dropped. */
    out_dims[2 + i] = d->kind == FVC_OP_CONV3D ? padded - d->kernel[i] + 1 : padded / d->kernel[i];
  }
  return TRUE;
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
