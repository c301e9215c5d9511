/* test-gpu-layers.c — every operation of the CUDA backend against the CPU backend (the
 * reference, itself checked against float64 finite differences in tests/train/test-layers.c) on
 * seeded random inputs: input normalisation, conv3d (forward, dx, dw, db), ReLU, max pooling
 * (cuDNN and the own kernel), global average pooling, linear (cuBLAS and the fused uint8 path),
 * BCE and hinge losses, gradient accumulation, AdamW; and the plans' output shapes (pinned) and
 * refusals of windows larger than their input.
 *
 * Tolerances (rel = ||gpu - cpu|| / ||cpu||):
 *   exact (bitwise)  normalisation, ReLU, max pooling, hinge, accumulation, AdamW: the same
 *                    float operations in the same order (no fused multiply-add)
 *   1e-5             reductions in another order (global average pool, linear, bias gradients, BCE)
 *   1e-4             fp32 convolutions (FMA math, cuDNN's own summation order)
 *   5e-3             tf32 convolutions (10-bit mantissa products)
 *   2e-2             bf16 convolutions on bf16-representable inputs (bf16 outputs, fp32 accumulation)
 * Exits 77 without a CUDA device.
 */
#include "gpu-util.h"

#include "fvc-backend-cuda.h"
#include "fvc-error.h"
#include "fvc-layers.h"
#include "fvc-optim.h"

#include <string.h>

static double
conv_tol (FvcPrecision p)
{
  return p == FVC_PRECISION_BF16 ? 2e-2 : p == FVC_PRECISION_TF32 ? 5e-3 : 1e-4;
}

/* A bf16 activation layout from the GPU (the output of a 1x1x1 convolution to @c channels), or
 * NULL (plain) outside bf16. The donor plan is returned for freeing. */
static const FvcLayout *
donor_layout (GpuPair *p, guint n, guint c, guint t, guint h, guint w, FvcPlan **donor)
{
  FvcPlanDesc d = { FVC_OP_CONV3D, n, 8, t, h, w, NULL, c, { 1, 1, 1 }, { 0, 0, 0 }, TRUE, TRUE };
  g_autoptr (GError) error = NULL;

  *donor = NULL;
  if (p->gpu->precision != FVC_PRECISION_BF16)
    return NULL;
  *donor = p->gpu->plan_new (p->gpu, &d, &error);
  if (*donor == NULL) {
    gpu_fail ("donor plan: %s", error->message);
    return NULL;
  }
  return (*donor)->dst_layout;
}

/* The CPU plan of @d (plain input) and the GPU plan with input layout @gin; scratch bound and each
 * plan's workspace allocated. FALSE (case failed) when a plan cannot be made. */
static gboolean
make_plans (GpuPair *p, FvcPlanDesc d, const FvcLayout *gin, FvcPlan **cp, FvcPlan **gp, FvcTensor *cws,
            FvcTensor *gws)
{
  g_autoptr (GError) err = NULL;

  *cp = *gp = NULL;
  d.src_layout = NULL;
  *cp = p->cpu->plan_new (p->cpu, &d, &err);
  d.src_layout = gin;
  if (*cp != NULL)
    *gp = p->gpu->plan_new (p->gpu, &d, &err);
  if (*gp == NULL) {
    gpu_fail ("plans: %s", err ? err->message : "?");
    return FALSE;
  }
  gpu_pair_scratch (p, (*cp)->scratch_bytes, (*gp)->scratch_bytes);
  gpu_raw_alloc (p->cpu, cws, (*cp)->workspace_bytes);
  gpu_raw_alloc (p->gpu, gws, (*gp)->workspace_bytes);
  return TRUE;
}

static void
plans_free (GpuPair *p, FvcPlan *cp, FvcPlan *gp, FvcPlan *donor)
{
  if (cp)
    p->cpu->plan_free (p->cpu, cp);
  if (gp)
    p->gpu->plan_free (p->gpu, gp);
  if (donor)
    p->gpu->plan_free (p->gpu, donor);
}

static void
fill_pair (GpuPair *p, GpuTT *t, guint32 seed, double lo, double hi, gboolean bf16)
{
  g_autofree float *v = g_new (float, t->c.numel);
  gpu_fill (v, t->c.numel, seed, lo, hi);
  if (bf16)
    gpu_round_bf16 (v, t->c.numel);
  gpu_tt_set (p, t, v);
}

/* ---- normalisation ------------------------------------------------------------------------ */

static void
test_normalize (void)
{
  GpuPair p;
  const gint64 n = 3, t = 2, h = 9, w = 11;
  FvcTensor cu8, gu8;
  GpuTT x;
  g_autofree guint8 *bytes = g_new (guint8, n * t * h * w * 3);

  if (!gpu_pair_init (&p, FVC_PRECISION_FP32))
    return;
  for (gsize i = 0; i < (gsize) (n * t * h * w * 3); i++)
    bytes[i] = (guint8) (i * 37 + i / 7);
  fvc_tensor_init (&cu8, "u8", FVC_DEVICE_CPU, FVC_DTYPE_U8, 5, (gint64[]) { n, t, h, w, 3 });
  fvc_tensor_init (&gu8, "u8", FVC_DEVICE_CUDA, FVC_DTYPE_U8, 5, (gint64[]) { n, t, h, w, 3 });
  gu8.data = p.gpu->alloc (p.gpu, gu8.nbytes, NULL);
  cu8.data = bytes;
  GPU_OK (p.gpu->copy_h2d (p.gpu, gu8.data, bytes, gu8.nbytes, error));
  gpu_tt_alloc (&p, &x, "x", 5, (gint64[]) { n, 3, t, h, w }, NULL, 0, NULL, 0);
  gpu_tt_poison (&p, &x);
  GPU_OK (fvc_normalize_forward (p.cpu, &cu8, &x.c, error));
  GPU_OK (fvc_normalize_forward (p.gpu, &gu8, &x.g, error));
  gpu_tt_check (&p, &x, "normalize x", 0);
  gpu_tt_free (&p, &x);
  p.gpu->free (p.gpu, gu8.data);
  gpu_pair_clear (&p);
}

/* ---- convolution -------------------------------------------------------------------------- */

typedef struct {
  const char *name;
  guint n, c, t, h, w, o, k[3], pad[3];
  gboolean need_dx;
  gboolean layout_input;   /* bf16: input in the GPU's activation layout (as after a pool) */
} ConvCase;

static void
conv_check (FvcPrecision prec, const ConvCase *cc)
{
  GpuPair p;
  FvcPlan *donor = NULL, *cp = NULL, *gp = NULL;
  FvcTensor cws, gws;
  GpuTT x, w, b, y, dy, dx, dw, db;
  const gboolean bf16 = prec == FVC_PRECISION_BF16;
  const double tol = conv_tol (prec);
  const FvcLayout *gin = NULL;
  g_autofree char *what = NULL;
  FvcPlanDesc d = { FVC_OP_CONV3D, cc->n, cc->c, cc->t, cc->h, cc->w, NULL, cc->o,
                    { cc->k[0], cc->k[1], cc->k[2] }, { cc->pad[0], cc->pad[1], cc->pad[2] }, TRUE, cc->need_dx };

  if (!gpu_pair_init (&p, prec))
    return;
  if (cc->layout_input)
    gin = donor_layout (&p, cc->n, cc->c, cc->t, cc->h, cc->w, &donor);
  if (!make_plans (&p, d, gin, &cp, &gp, &cws, &gws))
    goto out;
  gpu_note ("%s %s: gpu plan: %s", cc->name, fvc_precision_name (prec), fvc_backend_cuda_plan_describe (gp));

  {
    const gint64 xs[5] = { cc->n, cc->c, cc->t, cc->h, cc->w };
    const gint64 ws[5] = { cc->o, cc->c, cc->k[0], cc->k[1], cc->k[2] };
    const gint64 ys[5] = { gp->out_dims[0], gp->out_dims[1], gp->out_dims[2], gp->out_dims[3], gp->out_dims[4] };
    gsize gxbytes = gin ? (gsize) (xs[0] * xs[1] * xs[2] * xs[3] * xs[4]) * 2 : 0;

    gpu_tt_alloc (&p, &x, "x", 5, xs, NULL, 0, gin, gxbytes);
    gpu_tt_alloc (&p, &dx, "dx", 5, xs, NULL, 0, gin, gxbytes);
    gpu_tt_alloc (&p, &w, "w", 5, ws, NULL, 0, NULL, 0);
    gpu_tt_alloc (&p, &dw, "dw", 5, ws, NULL, 0, NULL, 0);
    gpu_tt_alloc (&p, &b, "b", 1, (gint64[]) { cc->o }, NULL, 0, NULL, 0);
    gpu_tt_alloc (&p, &db, "db", 1, (gint64[]) { cc->o }, NULL, 0, NULL, 0);
    gpu_tt_alloc (&p, &y, "y", 5, ys, cp->dst_layout, cp->dst_bytes, gp->dst_layout, gp->dst_bytes);
    gpu_tt_alloc (&p, &dy, "dy", 5, ys, cp->dst_layout, cp->dst_bytes, gp->dst_layout, gp->dst_bytes);
  }
  fill_pair (&p, &x, 1, -1, 1, bf16);
  fill_pair (&p, &w, 2, -0.3, 0.3, bf16);
  fill_pair (&p, &b, 3, -0.2, 0.2, FALSE);
  fill_pair (&p, &dy, 4, -1, 1, bf16);

  gpu_tt_poison (&p, &y);
  {
    GPU_OK (fvc_conv3d_forward (p.cpu, cp, &x.c, &w.c, &b.c, &y.c, &cws, error));
    GPU_OK (fvc_conv3d_forward (p.gpu, gp, &x.g, &w.g, &b.g, &y.g, &gws, error));
  }
  what = g_strdup_printf ("conv3d %s %s y", cc->name, fvc_precision_name (prec));
  gpu_tt_check (&p, &y, what, tol);

  gpu_tt_poison (&p, &dw);
  gpu_tt_poison (&p, &db);
  if (cc->need_dx)
    gpu_tt_poison (&p, &dx);
  {
    GPU_OK (fvc_conv3d_backward (p.cpu, cp, &x.c, &w.c, &dy.c, cc->need_dx ? &dx.c : NULL, &dw.c, &db.c, &cws, error));
    GPU_OK (fvc_conv3d_backward (p.gpu, gp, &x.g, &w.g, &dy.g, cc->need_dx ? &dx.g : NULL, &dw.g, &db.g, &gws,
                                 error));
  }
  g_free (what);
  what = g_strdup_printf ("conv3d %s %s dw", cc->name, fvc_precision_name (prec));
  gpu_tt_check (&p, &dw, what, tol);
  g_free (what);
  what = g_strdup_printf ("conv3d %s %s db", cc->name, fvc_precision_name (prec));
  gpu_tt_check (&p, &db, what, bf16 ? 1e-2 : 1e-5);
  if (cc->need_dx) {
    g_free (what);
    what = g_strdup_printf ("conv3d %s %s dx", cc->name, fvc_precision_name (prec));
    gpu_tt_check (&p, &dx, what, tol);
  }
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &dx);
  gpu_tt_free (&p, &w);
  gpu_tt_free (&p, &dw);
  gpu_tt_free (&p, &b);
  gpu_tt_free (&p, &db);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &dy);
  gpu_raw_free (p.cpu, &cws);
  gpu_raw_free (p.gpu, &gws);
out:
  plans_free (&p, cp, gp, donor);
  gpu_pair_clear (&p);
}

static const ConvCase conv_cases[] = {
  /* naive_cnn's three layers, small */
  { "c1", 2, 3, 4, 12, 10, 32, { 1, 3, 3 }, { 0, 1, 1 }, FALSE, FALSE },
  { "c2", 2, 32, 4, 6, 5, 64, { 3, 3, 3 }, { 1, 1, 1 }, TRUE, TRUE },
  { "c3", 3, 64, 3, 4, 4, 128, { 3, 3, 3 }, { 1, 1, 1 }, TRUE, TRUE },
  /* odd channel counts, plain input with data gradient, no padding */
  { "odd", 3, 5, 3, 7, 9, 6, { 3, 3, 3 }, { 1, 1, 1 }, TRUE, FALSE },
  { "nopad", 2, 8, 4, 6, 7, 16, { 2, 3, 1 }, { 0, 0, 0 }, TRUE, FALSE },
  { NULL },
};

static void
test_conv (FvcPrecision prec)
{
  for (const ConvCase *c = conv_cases; c->name != NULL; c++)
    conv_check (prec, c);
}

static void
test_conv_fp32 (void)
{
  test_conv (FVC_PRECISION_FP32);
}

static void
test_conv_tf32 (void)
{
  test_conv (FVC_PRECISION_TF32);
}

static void
test_conv_bf16 (void)
{
  test_conv (FVC_PRECISION_BF16);
}

/* ---- ReLU --------------------------------------------------------------------------------- */

static void
relu_check (FvcPrecision prec)
{
  GpuPair p;
  FvcPlan *donor = NULL;
  const gint64 s[5] = { 2, 16, 3, 5, 7 };
  const gsize numel = 2 * 16 * 3 * 5 * 7;
  const FvcLayout *gl;
  GpuTT x, y, dy, dx;
  const gboolean bf16 = prec == FVC_PRECISION_BF16;

  if (!gpu_pair_init (&p, prec))
    return;
  gl = donor_layout (&p, 2, 16, 3, 5, 7, &donor);
  gpu_tt_alloc (&p, &x, "x", 5, s, NULL, 0, gl, gl ? numel * 2 : 0);
  gpu_tt_alloc (&p, &y, "y", 5, s, NULL, 0, gl, gl ? numel * 2 : 0);
  gpu_tt_alloc (&p, &dy, "dy", 5, s, NULL, 0, gl, gl ? numel * 2 : 0);
  gpu_tt_alloc (&p, &dx, "dx", 5, s, NULL, 0, gl, gl ? numel * 2 : 0);
  fill_pair (&p, &x, 11, -1, 1, bf16);
  fill_pair (&p, &dy, 12, -1, 1, bf16);
  gpu_tt_poison (&p, &y);
  gpu_tt_poison (&p, &dx);
  GPU_OK (fvc_relu_forward (p.cpu, &x.c, &y.c, error) && fvc_relu_forward (p.gpu, &x.g, &y.g, error));
  gpu_tt_check (&p, &y, bf16 ? "relu bf16 y" : "relu fp32 y", 0);
  GPU_OK (fvc_relu_backward (p.cpu, &y.c, &dy.c, &dx.c, error) && fvc_relu_backward (p.gpu, &y.g, &dy.g, &dx.g, error));
  gpu_tt_check (&p, &dx, bf16 ? "relu bf16 dx" : "relu fp32 dx", 0);
  /* in place, as the models use it */
  GPU_OK (fvc_relu_forward (p.cpu, &x.c, &x.c, error) && fvc_relu_forward (p.gpu, &x.g, &x.g, error));
  gpu_tt_check (&p, &x, bf16 ? "relu bf16 in place" : "relu fp32 in place", 0);
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &dy);
  gpu_tt_free (&p, &dx);
  if (donor)
    p.gpu->plan_free (p.gpu, donor);
  gpu_pair_clear (&p);
}

static void
test_relu (void)
{
  relu_check (FVC_PRECISION_FP32);
  relu_check (FVC_PRECISION_BF16);
}

/* ---- max pooling -------------------------------------------------------------------------- */

static void
pool_check (FvcPrecision prec, const char *impl, const guint *kernel, const gint64 *xs)
{
  GpuPair p;
  FvcPlan *donor = NULL, *cp = NULL, *gp = NULL;
  FvcTensor cws, gws;
  GpuTT x, y, dy, dx;
  const gboolean bf16 = prec == FVC_PRECISION_BF16;
  const FvcLayout *gin;
  g_autofree char *what = NULL;
  FvcPlanDesc d = { FVC_OP_MAXPOOL3D, xs[0], xs[1], xs[2], xs[3], xs[4], NULL, 0, { kernel[0], kernel[1], kernel[2] },
                    { 0, 0, 0 }, TRUE, FALSE };

  g_setenv ("FVC_CUDA_POOL", impl, TRUE);
  if (!gpu_pair_init (&p, prec))
    return;
  gin = donor_layout (&p, xs[0], xs[1], xs[2], xs[3], xs[4], &donor);
  if (!make_plans (&p, d, gin, &cp, &gp, &cws, &gws))
    goto out;
  gpu_note ("maxpool %s %s k=%ux%ux%u: gpu plan: %s", impl, fvc_precision_name (prec), kernel[0], kernel[1],
            kernel[2], fvc_backend_cuda_plan_describe (gp));
  {
    const gint64 ys[5] = { gp->out_dims[0], gp->out_dims[1], gp->out_dims[2], gp->out_dims[3], gp->out_dims[4] };
    const gsize xn = xs[0] * xs[1] * xs[2] * xs[3] * xs[4];
    gpu_tt_alloc (&p, &x, "x", 5, xs, NULL, 0, gin, gin ? xn * 2 : 0);
    gpu_tt_alloc (&p, &dx, "dx", 5, xs, NULL, 0, gin, gin ? xn * 2 : 0);
    gpu_tt_alloc (&p, &y, "y", 5, ys, cp->dst_layout, cp->dst_bytes, gp->dst_layout, gp->dst_bytes);
    gpu_tt_alloc (&p, &dy, "dy", 5, ys, cp->dst_layout, cp->dst_bytes, gp->dst_layout, gp->dst_bytes);
  }
  fill_pair (&p, &x, 21, -1, 1, bf16);
  fill_pair (&p, &dy, 22, -1, 1, bf16);
  gpu_tt_poison (&p, &y);
  gpu_tt_poison (&p, &dx);
  GPU_OK (fvc_maxpool3d_forward (p.cpu, cp, &x.c, &y.c, &cws, error));
  GPU_OK (fvc_maxpool3d_forward (p.gpu, gp, &x.g, &y.g, &gws, error));
  what = g_strdup_printf ("maxpool %s %s %ux%ux%u y", impl, fvc_precision_name (prec), kernel[0], kernel[1], kernel[2]);
  gpu_tt_check (&p, &y, what, 0);
  GPU_OK (fvc_maxpool3d_backward (p.cpu, cp, &x.c, &y.c, &dy.c, &dx.c, &cws, error));
  GPU_OK (fvc_maxpool3d_backward (p.gpu, gp, &x.g, &y.g, &dy.g, &dx.g, &gws, error));
  g_free (what);
  what = g_strdup_printf ("maxpool %s %s %ux%ux%u dx", impl, fvc_precision_name (prec), kernel[0], kernel[1], kernel[2]);
  gpu_tt_check (&p, &dx, what, 0);
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &dx);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &dy);
  gpu_raw_free (p.cpu, &cws);
  gpu_raw_free (p.gpu, &gws);
out:
  plans_free (&p, cp, gp, donor);
  gpu_pair_clear (&p);
  g_unsetenv ("FVC_CUDA_POOL");
}

static void
test_maxpool (void)
{
  static const guint k122[3] = { 1, 2, 2 }, k222[3] = { 2, 2, 2 };
  static const gint64 even[5] = { 2, 32, 3, 8, 10 }, odd[5] = { 3, 16, 5, 7, 9 };
  const char *impls[] = { "cudnn", "kernel" };

  for (guint i = 0; i < G_N_ELEMENTS (impls); i++) {
    pool_check (FVC_PRECISION_FP32, impls[i], k122, even);
    pool_check (FVC_PRECISION_FP32, impls[i], k222, odd);
    pool_check (FVC_PRECISION_BF16, impls[i], k122, even);
    pool_check (FVC_PRECISION_BF16, impls[i], k222, odd);
  }
}

/* ---- global average pooling --------------------------------------------------------------- */

static void
gap_check (FvcPrecision prec)
{
  GpuPair p;
  FvcPlan *donor = NULL, *cp = NULL, *gp = NULL;
  const gint64 xs[5] = { 3, 64, 3, 7, 6 };
  const gsize xn = 3 * 64 * 3 * 7 * 6;
  const gboolean bf16 = prec == FVC_PRECISION_BF16;
  const FvcLayout *gin;
  GpuTT x, y, dy, dx;
  FvcTensor cws, gws;
  FvcPlanDesc d = { FVC_OP_AVGPOOL_GLOBAL, 3, 64, 3, 7, 6, NULL, 0, { 0 }, { 0 }, TRUE, FALSE };

  if (!gpu_pair_init (&p, prec))
    return;
  gin = donor_layout (&p, 3, 64, 3, 7, 6, &donor);
  if (!make_plans (&p, d, gin, &cp, &gp, &cws, &gws))
    goto out;
  gpu_tt_alloc (&p, &x, "x", 5, xs, NULL, 0, gin, gin ? xn * 2 : 0);
  gpu_tt_alloc (&p, &dx, "dx", 5, xs, NULL, 0, gin, gin ? xn * 2 : 0);
  gpu_tt_alloc (&p, &y, "y", 2, (gint64[]) { 3, 64 }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &dy, "dy", 2, (gint64[]) { 3, 64 }, NULL, 0, NULL, 0);
  fill_pair (&p, &x, 31, -1, 1, bf16);
  fill_pair (&p, &dy, 32, -1, 1, FALSE);
  gpu_tt_poison (&p, &y);
  gpu_tt_poison (&p, &dx);
  GPU_OK (fvc_avgpool_global_forward (p.cpu, cp, &x.c, &y.c, error));
  GPU_OK (fvc_avgpool_global_forward (p.gpu, gp, &x.g, &y.g, error));
  gpu_tt_check (&p, &y, bf16 ? "gap bf16 y" : "gap fp32 y", 1e-5);
  GPU_OK (fvc_avgpool_global_backward (p.cpu, cp, &dy.c, &dx.c, error));
  GPU_OK (fvc_avgpool_global_backward (p.gpu, gp, &dy.g, &dx.g, error));
  gpu_tt_check (&p, &dx, bf16 ? "gap bf16 dx" : "gap fp32 dx", bf16 ? 5e-3 : 1e-6);
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &dx);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &dy);
  gpu_raw_free (p.cpu, &cws);
  gpu_raw_free (p.gpu, &gws);
out:
  plans_free (&p, cp, gp, donor);
  gpu_pair_clear (&p);
}

static void
test_gap (void)
{
  gap_check (FVC_PRECISION_FP32);
  gap_check (FVC_PRECISION_BF16);
}

/* ---- linear ------------------------------------------------------------------------------- */

static void
test_linear (void)
{
  GpuPair p;
  const gint64 n = 5, k = 37, o = 3;
  GpuTT x, w, b, y, dy, dx, dw, db;

  if (!gpu_pair_init (&p, FVC_PRECISION_FP32))
    return;
  gpu_pair_scratch (&p, 1 << 16, 1 << 16);
  gpu_tt_alloc (&p, &x, "x", 2, (gint64[]) { n, k }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &dx, "dx", 2, (gint64[]) { n, k }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &w, "w", 2, (gint64[]) { o, k }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &dw, "dw", 2, (gint64[]) { o, k }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &b, "b", 1, (gint64[]) { o }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &db, "db", 1, (gint64[]) { o }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &y, "y", 2, (gint64[]) { n, o }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &dy, "dy", 2, (gint64[]) { n, o }, NULL, 0, NULL, 0);
  fill_pair (&p, &x, 41, -1, 1, FALSE);
  fill_pair (&p, &w, 42, -0.5, 0.5, FALSE);
  fill_pair (&p, &b, 43, -0.5, 0.5, FALSE);
  fill_pair (&p, &dy, 44, -1, 1, FALSE);
  gpu_tt_poison (&p, &y);
  GPU_OK (fvc_linear_forward (p.cpu, &x.c, &w.c, &b.c, &y.c, error));
  GPU_OK (fvc_linear_forward (p.gpu, &x.g, &w.g, &b.g, &y.g, error));
  gpu_tt_check (&p, &y, "linear y", 1e-5);
  gpu_tt_poison (&p, &dx);
  gpu_tt_poison (&p, &dw);
  gpu_tt_poison (&p, &db);
  GPU_OK (fvc_linear_backward (p.cpu, &x.c, &w.c, &dy.c, &dx.c, &dw.c, &db.c, error));
  GPU_OK (fvc_linear_backward (p.gpu, &x.g, &w.g, &dy.g, &dx.g, &dw.g, &db.g, error));
  gpu_tt_check (&p, &dx, "linear dx", 1e-5);
  gpu_tt_check (&p, &dw, "linear dw", 1e-5);
  gpu_tt_check (&p, &db, "linear db", 1e-5);
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &dx);
  gpu_tt_free (&p, &w);
  gpu_tt_free (&p, &dw);
  gpu_tt_free (&p, &b);
  gpu_tt_free (&p, &db);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &dy);
  gpu_pair_clear (&p);
}

/* The one-output layer over the normalised input reads the uint8 clips (fused), and the float
 * input appears only when read. */
static void
test_linear_fused_input (void)
{
  GpuPair p;
  const gint64 n = 4, t = 3, h = 20, wd = 24, k = 3 * t * h * wd;
  const gsize nbytes = n * t * h * wd * 3;
  FvcTensor cu8, gu8;
  GpuTT x, w, b, y, dy, dw, db;
  FvcCudaCounters c0, c1;
  g_autofree guint8 *bytes = g_new (guint8, nbytes);
  g_autoptr (GError) err = NULL;

  if (!gpu_pair_init (&p, FVC_PRECISION_FP32))
    return;
  for (gsize i = 0; i < nbytes; i++)
    bytes[i] = (guint8) ((i * 2654435761u) >> 13);
  gpu_pair_scratch (&p, 1 << 20, 1 << 20);
  fvc_tensor_init (&cu8, "u8", FVC_DEVICE_CPU, FVC_DTYPE_U8, 5, (gint64[]) { n, t, h, wd, 3 });
  fvc_tensor_init (&gu8, "u8", FVC_DEVICE_CUDA, FVC_DTYPE_U8, 5, (gint64[]) { n, t, h, wd, 3 });
  cu8.data = bytes;
  gu8.data = p.gpu->alloc (p.gpu, nbytes, NULL);
  GPU_OK (p.gpu->copy_h2d (p.gpu, gu8.data, bytes, nbytes, error));
  gpu_tt_alloc (&p, &x, "x", 5, (gint64[]) { n, 3, t, h, wd }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &w, "w", 2, (gint64[]) { 1, k }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &dw, "dw", 2, (gint64[]) { 1, k }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &b, "b", 1, (gint64[]) { 1 }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &db, "db", 1, (gint64[]) { 1 }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &y, "y", 2, (gint64[]) { n, 1 }, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &dy, "dy", 2, (gint64[]) { n, 1 }, NULL, 0, NULL, 0);
  fill_pair (&p, &w, 51, -0.01, 0.01, FALSE);
  fill_pair (&p, &b, 52, -0.5, 0.5, FALSE);
  fill_pair (&p, &dy, 53, -1, 1, FALSE);
  gpu_tt_poison (&p, &y);
  gpu_tt_poison (&p, &dw);
  gpu_tt_poison (&p, &db);
  fvc_backend_cuda_get_counters (p.gpu, &c0);
  GPU_OK (fvc_normalize_forward (p.cpu, &cu8, &x.c, error) && fvc_linear_forward (p.cpu, &x.c, &w.c, &b.c, &y.c, error) &&
          fvc_linear_backward (p.cpu, &x.c, &w.c, &dy.c, NULL, &dw.c, &db.c, error));
  GPU_OK (fvc_normalize_forward (p.gpu, &gu8, &x.g, error) && fvc_linear_forward (p.gpu, &x.g, &w.g, &b.g, &y.g, error) &&
          fvc_linear_backward (p.gpu, &x.g, &w.g, &dy.g, NULL, &dw.g, &db.g, error));
  gpu_tt_check (&p, &y, "fused linear y", 1e-5);
  gpu_tt_check (&p, &dw, "fused linear dw", 1e-5);
  gpu_tt_check (&p, &db, "fused linear db", 1e-5);
  fvc_backend_cuda_get_counters (p.gpu, &c1);
  if (c1.fused_input_ops - c0.fused_input_ops != 2 || c1.normalize_runs != c0.normalize_runs)
    gpu_fail ("fused linear: %" G_GUINT64_FORMAT " fused passes (want 2), %" G_GUINT64_FORMAT
              " normalisations (want 0)", c1.fused_input_ops - c0.fused_input_ops,
              c1.normalize_runs - c0.normalize_runs);
  else
    gpu_note ("fused linear: 2 passes read the uint8 clips, no float input written");
  /* reading x makes it */
  gpu_tt_check (&p, &x, "fused linear: x on demand", 0);
  fvc_backend_cuda_get_counters (p.gpu, &c1);
  if (c1.normalize_runs - c0.normalize_runs != 1)
    gpu_fail ("reading x ran %" G_GUINT64_FORMAT " normalisations (want 1)", c1.normalize_runs - c0.normalize_runs);
  /* x read after its clips changed is refused, not silently wrong */
  GPU_OK (fvc_normalize_forward (p.gpu, &gu8, &x.g, error));
  GPU_OK (p.gpu->copy_h2d (p.gpu, gu8.data, bytes, nbytes, error));
  {
    g_autofree float *tmp = g_new (float, x.g.numel);
    if (gpu_tensor_get (p.gpu, &x.g, tmp, &err))
      gpu_fail ("reading x after its clips were replaced should fail");
    else
      gpu_note ("stale input refused: %s", err->message);
  }
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &w);
  gpu_tt_free (&p, &dw);
  gpu_tt_free (&p, &b);
  gpu_tt_free (&p, &db);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &dy);
  p.gpu->free (p.gpu, gu8.data);
  gpu_pair_clear (&p);
}

/* ---- losses ------------------------------------------------------------------------------- */

static void
test_losses (void)
{
  GpuPair p;
  const gint64 n = 37;
  GpuTT x, y, l, d;
  g_autofree float *tv = g_new (float, n);

  if (!gpu_pair_init (&p, FVC_PRECISION_FP32))
    return;
  gpu_tt_alloc (&p, &x, "logits", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &y, "targets", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &l, "losses", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &d, "dlogits", 1, &n, NULL, 0, NULL, 0);
  fill_pair (&p, &x, 61, -4, 4, FALSE);
  for (gint64 i = 0; i < n; i++)
    tv[i] = (i * 7) % 3 == 0 ? 1.f : 0.f;
  gpu_tt_set (&p, &y, tv);
  gpu_tt_poison (&p, &l);
  gpu_tt_poison (&p, &d);
  GPU_OK (fvc_bce_forward (p.cpu, &x.c, &y.c, &l.c, error) && fvc_bce_forward (p.gpu, &x.g, &y.g, &l.g, error));
  gpu_tt_check (&p, &l, "bce losses", 1e-6);
  GPU_OK (fvc_bce_backward (p.cpu, &x.c, &y.c, 0.25f, &d.c, error) &&
          fvc_bce_backward (p.gpu, &x.g, &y.g, 0.25f, &d.g, error));
  gpu_tt_check (&p, &d, "bce dlogits", 1e-6);
  gpu_tt_poison (&p, &l);
  gpu_tt_poison (&p, &d);
  GPU_OK (fvc_hinge_forward (p.cpu, &x.c, &y.c, &l.c, error) && fvc_hinge_forward (p.gpu, &x.g, &y.g, &l.g, error));
  gpu_tt_check (&p, &l, "hinge losses", 0);
  GPU_OK (fvc_hinge_backward (p.cpu, &x.c, &y.c, 0.125f, &d.c, error) &&
          fvc_hinge_backward (p.gpu, &x.g, &y.g, 0.125f, &d.g, error));
  gpu_tt_check (&p, &d, "hinge dlogits", 0);
  gpu_tt_free (&p, &x);
  gpu_tt_free (&p, &y);
  gpu_tt_free (&p, &l);
  gpu_tt_free (&p, &d);
  gpu_pair_clear (&p);
}

/* ---- accumulation and AdamW --------------------------------------------------------------- */

static void
test_optimizer (void)
{
  GpuPair p;
  const gint64 n = 10007;
  GpuTT prm, g, m, v, g2;
  FvcAdamWConfig cfg;
  FvcAdamWUpdate u;
  g_autofree float *vv = g_new (float, n);

  if (!gpu_pair_init (&p, FVC_PRECISION_FP32))
    return;
  gpu_tt_alloc (&p, &prm, "param", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &g, "grad", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &g2, "grad2", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &m, "m", 1, &n, NULL, 0, NULL, 0);
  gpu_tt_alloc (&p, &v, "v", 1, &n, NULL, 0, NULL, 0);
  fill_pair (&p, &prm, 71, -1, 1, FALSE);
  fill_pair (&p, &g, 72, -1e-2, 1e-2, FALSE);
  fill_pair (&p, &g2, 73, -1e-2, 1e-2, FALSE);
  fill_pair (&p, &m, 74, -1e-3, 1e-3, FALSE);
  gpu_fill (vv, n, 75, 0, 1e-4);
  gpu_tt_set (&p, &v, vv);
  GPU_OK (p.cpu->accumulate (p.cpu, g.c.data, g2.c.data, n, error));
  GPU_OK (p.gpu->accumulate (p.gpu, g.g.data, g2.g.data, n, error));
  gpu_tt_check (&p, &g, "accumulate", 0);
  fvc_adamw_config_init (&cfg);
  for (guint64 step = 1; step <= 7; step += 6) {
    g_autofree char *what = g_strdup_printf ("adamw step %" G_GUINT64_FORMAT " params", step);
    fvc_adamw_update_for_step (&cfg, step, &u);
    GPU_OK (p.cpu->adamw_step (p.cpu, prm.c.data, g.c.data, m.c.data, v.c.data, n, &u, error));
    GPU_OK (p.gpu->adamw_step (p.gpu, prm.g.data, g.g.data, m.g.data, v.g.data, n, &u, error));
    gpu_tt_check (&p, &prm, what, 0);
    gpu_tt_check (&p, &m, "adamw exp_avg", 0);
    gpu_tt_check (&p, &v, "adamw exp_avg_sq", 0);
  }
  gpu_tt_free (&p, &prm);
  gpu_tt_free (&p, &g);
  gpu_tt_free (&p, &g2);
  gpu_tt_free (&p, &m);
  gpu_tt_free (&p, &v);
  gpu_pair_clear (&p);
}

static void
test_describe (void)
{
  g_autoptr (GError) error = NULL;
  FvcBackend *be = fvc_backend_new (FVC_DEVICE_CUDA, &error);
  g_autofree char *s = NULL;

  if (be == NULL) {
    gpu_fail ("cuda backend: %s", error->message);
    return;
  }
  s = fvc_backend_cuda_describe (be);
  gpu_note ("%s", s);
  fvc_backend_free (be);
}

/* The CUDA plans size their outputs with fvc_plan_desc_out_dims, as the CPU ones: the same
 * dimensions for fitting windows (worked out by hand), the same refusal for windows that do
 * not fit. */
static void
test_plan_shapes (void)
{
  static const struct {
    FvcPlanDesc d;
    gint64 want[5];     /* n < 0: refused */
  } shapes[] = {
    { { .kind = FVC_OP_CONV3D, .n = 2, .c = 3, .t = 4, .h = 4, .w = 5, .out_c = 7, .kernel = { 3, 3, 3 },
        .pad = { 0, 1, 1 } }, { 2, 7, 2, 4, 5 } },
    { { .kind = FVC_OP_MAXPOOL3D, .n = 3, .c = 8, .t = 3, .h = 5, .w = 7, .kernel = { 1, 2, 2 } }, { 3, 8, 3, 2, 3 } },
    { { .kind = FVC_OP_AVGPOOL_GLOBAL, .n = 4, .c = 16, .t = 6, .h = 7, .w = 7 }, { 4, 16, 1, 1, 1 } },
    { { .kind = FVC_OP_CONV3D, .n = 1, .c = 3, .t = 1, .h = 4, .w = 4, .out_c = 2, .kernel = { 3, 3, 3 },
        .pad = { 0, 1, 1 } }, { -1 } },
    { { .kind = FVC_OP_MAXPOOL3D, .n = 1, .c = 3, .t = 1, .h = 1, .w = 4, .kernel = { 1, 2, 2 } }, { -1 } },
  };
  g_autoptr (GError) error = NULL;
  FvcBackend *be = fvc_backend_new (FVC_DEVICE_CUDA, &error);

  if (be == NULL) {
    gpu_fail ("cuda backend: %s", error->message);
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++) {
    g_autoptr (GError) e = NULL;
    FvcPlan *plan = be->plan_new (be, &shapes[i].d, &e);
    if (shapes[i].want[0] < 0) {
      if (plan != NULL || !g_error_matches (e, FVC_ERROR, FVC_ERROR_INVALID))
        gpu_fail ("plan %u: a window larger than its input was not refused", i);
    } else if (plan == NULL) {
      gpu_fail ("plan %u: %s", i, e ? e->message : "?");
    } else {
      for (int k = 0; k < 5; k++)
        if (plan->out_dims[k] != shapes[i].want[k])
          gpu_fail ("plan %u: output dimension %d is %u, not %" G_GINT64_FORMAT, i, k, plan->out_dims[k],
                    shapes[i].want[k]);
    }
    if (plan != NULL)
      be->plan_free (be, plan);
  }
  fvc_backend_free (be);
}

static const GpuCase cases[] = {
  { "describe", test_describe },
  { "plan-shapes", test_plan_shapes },
  { "normalize", test_normalize },
  { "conv3d-fp32", test_conv_fp32 },
  { "conv3d-tf32", test_conv_tf32 },
  { "conv3d-bf16", test_conv_bf16 },
  { "relu", test_relu },
  { "maxpool", test_maxpool },
  { "avgpool-global", test_gap },
  { "linear", test_linear },
  { "linear-fused-input", test_linear_fused_input },
  { "losses", test_losses },
  { "optimizer", test_optimizer },
  { NULL, NULL },
};

int
main (int argc, char **argv)
{
  return gpu_test_main (argc, argv, "test-gpu-layers", cases);
}
