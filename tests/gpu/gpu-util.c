/* gpu-util.c — the GPU tests' harness and CPU/GPU tensor pairs (see gpu-util.h). */
#include "gpu-util.h"

#include "fvc-backend-cuda.h"
#include "fvc-seed.h"

#include <cuda_runtime_api.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* These programs link the CUDA backend statically (fvc_cuda_dep): fvc_backend_new (CUDA) uses
 * that copy instead of opening libfvc-cuda.so, so tests and backend internals agree. */
__attribute__ ((constructor)) static void
register_static_cuda_backend (void)
{
  fvc_backend_register_cuda (fvc_backend_cuda_new);
}

static gboolean case_failed;
static guint n_checks, n_failed_checks;

void
gpu_fail (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("FAIL %s\n", msg);
  fflush (stdout);
  case_failed = TRUE;
}

gboolean
gpu_case_failed (void)
{
  return case_failed;
}

void
gpu_note (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  printf ("     %s\n", msg);
  fflush (stdout);
}

int
gpu_test_main (int argc, char **argv, const char *program, const GpuCase *cases)
{
  g_autofree char *reason = NULL;
  guint run = 0, failed = 0;
  double t0 = g_get_monotonic_time ();

  if (fvc_cuda_device_count (&reason) == 0) {
    printf ("%s: SKIP: no CUDA device (%s)\n", program, reason);
    return 77;
  }
  for (const GpuCase *c = cases; c->name != NULL; c++) {
    double t1 = g_get_monotonic_time ();
    if (argc > 1 && strstr (c->name, argv[1]) == NULL)
      continue;
    printf ("# %s\n", c->name);
    fflush (stdout);
    case_failed = FALSE;
    c->run ();
    cudaGetLastError ();
    run++;
    if (case_failed)
      failed++;
    printf ("%s %s (%.2f s)\n", case_failed ? "CASE-FAILED" : "CASE-OK", c->name,
            (g_get_monotonic_time () - t1) / 1e6);
    fflush (stdout);
  }
  printf ("%s: %u cases, %u failed; %u checks, %u failed (%.1f s)\n", program, run, failed, n_checks, n_failed_checks,
          (g_get_monotonic_time () - t0) / 1e6);
  return failed ? 1 : 0;
}

gboolean
gpu_check_close (const char *what, const float *got, const float *want, gsize n, double tol)
{
  double num = 0, den = 0, maxd = 0, maxw = 0;
  gsize nan = 0, worst = 0;
  gboolean ok;

  for (gsize i = 0; i < n; i++) {
    double d = (double) got[i] - want[i];
    if (isnan (got[i]) || isnan (want[i])) {
      nan++;
      continue;
    }
    num += d * d;
    den += (double) want[i] * want[i];
    if (fabs (d) > maxd) {
      maxd = fabs (d);
      worst = i;
    }
    maxw = MAX (maxw, fabs (want[i]));
  }
  num = sqrt (num);
  den = sqrt (den);
  ok = nan == 0 && den > 0 && num <= tol * den;
  n_checks++;
  if (!ok)
    n_failed_checks++;
  if (nan > 0)
    printf ("%s %s: %" G_GSIZE_FORMAT " NaN of %" G_GSIZE_FORMAT " (unwritten or invalid)\n", ok ? "ok  " : "FAIL",
            what, nan, n);
  else if (den == 0)
    printf ("FAIL %s: the reference is all zero, the check would be vacuous\n", what);
  else
    printf ("%s %s: rel %.2e (max %.2e at %" G_GSIZE_FORMAT ": %.7g vs %.7g) <= %.1e\n", ok ? "ok  " : "FAIL", what,
            num / den, maxw > 0 ? maxd / maxw : 0.0, worst, got[worst], want[worst], tol);
  fflush (stdout);
  if (!ok)
    case_failed = TRUE;
  return ok;
}

gboolean
gpu_check_equal (const char *what, const float *got, const float *want, gsize n)
{
  gsize diff = 0, first = 0;

  for (gsize i = 0; i < n; i++) {
    if (memcmp (&got[i], &want[i], sizeof (float)) != 0) {
      if (diff++ == 0)
        first = i;
    }
  }
  n_checks++;
  if (diff == 0) {
    printf ("ok   %s: %" G_GSIZE_FORMAT " values bitwise equal\n", what, n);
    return TRUE;
  }
  n_failed_checks++;
  case_failed = TRUE;
  printf ("FAIL %s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " values differ (first at %" G_GSIZE_FORMAT
          ": %.9g vs %.9g)\n",
          what, diff, n, first, got[first], want[first]);
  fflush (stdout);
  return FALSE;
}

void
gpu_fill (float *a, gsize n, guint32 seed, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    a[i] = (float) fvc_rng_range (seed, "gpu-test", i, lo, hi);
}

void
gpu_random_bytes (guint8 *p, gsize n, guint64 seed)
{
  guint64 x = 0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull);

  for (gsize i = 0; i < n; i++) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p[i] = (guint8) ((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
}

void
gpu_round_bf16 (float *a, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint32 u;
    memcpy (&u, &a[i], 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;   /* round to nearest even */
    memcpy (&a[i], &u, 4);
  }
}

/* ---- pairs -------------------------------------------------------------------------------- */

gboolean
gpu_pair_init (GpuPair *p, FvcPrecision precision)
{
  g_autoptr (GError) error = NULL;

  memset (p, 0, sizeof *p);
  p->cpu = fvc_backend_new (FVC_DEVICE_CPU, &error);
  if (p->cpu != NULL)
    p->gpu = fvc_backend_new (FVC_DEVICE_CUDA, &error);
  if (p->gpu != NULL && !fvc_backend_set_precision (p->gpu, precision, &error)) {
    fvc_backend_free (p->gpu);
    p->gpu = NULL;
  }
  if (p->gpu == NULL) {
    gpu_fail ("backends: %s", error ? error->message : "?");
    gpu_pair_clear (p);
    return FALSE;
  }
  return TRUE;
}

void
gpu_pair_clear (GpuPair *p)
{
  if (p->cpu_scratch)
    p->cpu->free (p->cpu, p->cpu_scratch);
  if (p->gpu_scratch)
    p->gpu->free (p->gpu, p->gpu_scratch);
  fvc_backend_free (p->gpu);
  fvc_backend_free (p->cpu);
  memset (p, 0, sizeof *p);
}

void
gpu_pair_scratch (GpuPair *p, gsize cpu_bytes, gsize gpu_bytes)
{
  cpu_bytes = MAX (cpu_bytes, 64);
  gpu_bytes = MAX (gpu_bytes, 64);
  if (cpu_bytes > p->cpu_scratch_bytes) {
    if (p->cpu_scratch)
      p->cpu->free (p->cpu, p->cpu_scratch);
    p->cpu_scratch = p->cpu->alloc (p->cpu, cpu_bytes, NULL);
    p->cpu_scratch_bytes = cpu_bytes;
    p->cpu->bind_scratch (p->cpu, p->cpu_scratch, cpu_bytes);
  }
  if (gpu_bytes > p->gpu_scratch_bytes) {
    if (p->gpu_scratch)
      p->gpu->free (p->gpu, p->gpu_scratch);
    p->gpu_scratch = p->gpu->alloc (p->gpu, gpu_bytes, NULL);
    p->gpu_scratch_bytes = gpu_bytes;
    p->gpu->bind_scratch (p->gpu, p->gpu_scratch, gpu_bytes);
  }
}

static void
tensor_alloc (FvcBackend *be, FvcTensor *t, const char *name, guint n_dims, const gint64 *shape,
              const FvcLayout *layout, gsize nbytes)
{
  fvc_tensor_init (t, name, be->device, FVC_DTYPE_F32, n_dims, shape);
  t->layout = layout;
  /* a layout says its own storage size (bf16 is half a float's) */
  t->nbytes = layout != NULL && nbytes > 0 ? nbytes : MAX (t->nbytes, nbytes);
  t->data = be->alloc (be, t->nbytes, NULL);
  g_assert (t->data != NULL);
}

void
gpu_tt_alloc (GpuPair *p, GpuTT *t, const char *name, guint n_dims, const gint64 *shape, const FvcLayout *cl,
              gsize cbytes, const FvcLayout *gl, gsize gbytes)
{
  tensor_alloc (p->cpu, &t->c, name, n_dims, shape, cl, cbytes);
  tensor_alloc (p->gpu, &t->g, name, n_dims, shape, gl, gbytes);
}

void
gpu_tt_free (GpuPair *p, GpuTT *t)
{
  p->cpu->free (p->cpu, t->c.data);
  p->gpu->free (p->gpu, t->g.data);
  t->c.data = t->g.data = NULL;
}

void
gpu_raw_alloc (FvcBackend *be, FvcTensor *t, gsize bytes)
{
  fvc_tensor_init (t, "raw", be->device, FVC_DTYPE_U8, 1, (gint64[]) { (gint64) MAX (bytes, 64) });
  t->data = be->alloc (be, t->nbytes, NULL);
  g_assert (t->data != NULL);
}

void
gpu_raw_free (FvcBackend *be, FvcTensor *t)
{
  be->free (be, t->data);
  t->data = NULL;
}

gboolean
gpu_tensor_get (FvcBackend *be, const FvcTensor *t, float *plain, GError **error)
{
  gpointer tmp;
  gboolean ok;

  if (be->host_visible)
    return be->to_plain (be, t, plain, error);
  tmp = be->alloc (be, t->numel * sizeof (float), error);
  if (tmp == NULL)
    return FALSE;
  ok = be->to_plain (be, t, tmp, error) && be->copy_d2h (be, plain, tmp, t->numel * sizeof (float), error);
  be->free (be, tmp);
  return ok;
}

gboolean
gpu_tensor_set (FvcBackend *be, FvcTensor *t, const float *plain, GError **error)
{
  gpointer tmp;
  gboolean ok;

  if (be->host_visible)
    return be->from_plain (be, plain, t, error);
  tmp = be->alloc (be, t->numel * sizeof (float), error);
  if (tmp == NULL)
    return FALSE;
  ok = be->copy_h2d (be, tmp, plain, t->numel * sizeof (float), error) && be->from_plain (be, tmp, t, error) &&
       be->synchronize (be, error);
  be->free (be, tmp);
  return ok;
}

gboolean
gpu_tt_set (GpuPair *p, GpuTT *t, const float *plain)
{
  g_autoptr (GError) error = NULL;
  if (!gpu_tensor_set (p->cpu, &t->c, plain, &error) || !gpu_tensor_set (p->gpu, &t->g, plain, &error)) {
    gpu_fail ("set %s: %s", t->c.name, error->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
gpu_tt_get_cpu (GpuPair *p, const GpuTT *t, float *plain)
{
  g_autoptr (GError) error = NULL;
  if (!gpu_tensor_get (p->cpu, &t->c, plain, &error)) {
    gpu_fail ("get %s (cpu): %s", t->c.name, error->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
gpu_tt_get_gpu (GpuPair *p, const GpuTT *t, float *plain)
{
  g_autoptr (GError) error = NULL;
  if (!gpu_tensor_get (p->gpu, &t->g, plain, &error)) {
    gpu_fail ("get %s (gpu): %s", t->g.name, error->message);
    return FALSE;
  }
  return TRUE;
}

void
gpu_tt_poison (GpuPair *p, const GpuTT *t)
{
  p->gpu->synchronize (p->gpu, NULL);   /* recorded work first */
  cudaMemset (t->g.data, 0xff, t->g.nbytes);
  cudaDeviceSynchronize ();
}

gboolean
gpu_tt_check (GpuPair *p, const GpuTT *t, const char *what, double tol)
{
  g_autofree float *a = g_new (float, t->c.numel);
  g_autofree float *b = g_new (float, t->c.numel);

  if (!gpu_tt_get_gpu (p, t, a) || !gpu_tt_get_cpu (p, t, b))
    return FALSE;
  return tol == 0 ? gpu_check_equal (what, a, b, t->c.numel) : gpu_check_close (what, a, b, t->c.numel, tol);
}
