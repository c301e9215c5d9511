/* test-layers.c — every layer of fvc-layers.h on the CPU backend against independent float64
 * references: forward values against naive reference loops, backward against central finite
 * differences of those references (L = sum(dy * y) for random dy). Inputs are laid out both plain
 * and in the backend's blocked layout (with channel padding), and the convolution's weight
 * gradients are checked through both implementations (oneDNN and im2col + GEMM). */
#include "unit-util.h"
#include "train-util.h"

#include "fvc-layers.h"
#include "fvc-seed.h"

#include <string.h>

#include <math.h>

static FvcBackend *be;

/* ---- backend tensors from plain doubles ---------------------------------------------------- */

static void
train_tensor_alloc (FvcBackend *be, FvcTensor *t, const char *name, guint n_dims, const gint64 *shape,
                    const FvcLayout *layout, gsize nbytes)
{
  GError *error = NULL;

  fvc_tensor_init (t, name, be->device, FVC_DTYPE_F32, n_dims, shape);
  t->layout = layout;
  t->nbytes = MAX (t->nbytes, nbytes);
  t->data = be->alloc (be, t->nbytes, &error);
  ck_assert_msg (t->data != NULL, "alloc %s: %s", name, error ? error->message : "?");
}

static void
train_tensor_free (FvcBackend *be, FvcTensor *t)
{
  be->free (be, t->data);
  t->data = NULL;
}

static void
train_tensor_set (FvcBackend *be, FvcTensor *t, const double *plain)
{
  g_autofree float *f = g_new (float, t->numel);
  GError *error = NULL;

  for (gsize i = 0; i < t->numel; i++)
    f[i] = (float) plain[i];
  ck_assert_msg (be->from_plain (be, f, t, &error), "from_plain %s: %s", t->name, error ? error->message : "?");
}

static void
train_tensor_get (FvcBackend *be, const FvcTensor *t, double *plain)
{
  g_autofree float *f = g_new (float, t->numel);
  GError *error = NULL;

  ck_assert_msg (be->to_plain (be, t, f, &error), "to_plain %s: %s", t->name, error ? error->message : "?");
  for (gsize i = 0; i < t->numel; i++)
    plain[i] = f[i];
}


static gpointer scratch;

static void
setup (void)
{
  GError *error = NULL;
  be = fvc_backend_new (FVC_DEVICE_CPU, &error);
  ck_assert_msg (be != NULL, "%s", error ? error->message : "?");
}

static void
teardown (void)
{
  if (scratch)
    be->free (be, scratch);
  scratch = NULL;
  fvc_backend_free (be);
  g_unsetenv ("FVC_CPU_CONV_BWD_WEIGHTS");
}

static void
bind_scratch (gsize bytes)
{
  if (scratch)
    be->free (be, scratch);
  scratch = be->alloc (be, MAX (bytes, 64), NULL);
  be->bind_scratch (be, scratch, MAX (bytes, 64));
}

/* max |got - want| <= rtol * max |want|, and want is not trivially zero */
static void
assert_close (const char *what, const double *got, const double *want, gsize n, double rtol)
{
  double err = 0, scale = 0;
  gsize worst = 0;

  for (gsize i = 0; i < n; i++) {
    if (fabs (got[i] - want[i]) > err) {
      err = fabs (got[i] - want[i]);
      worst = i;
    }
    scale = MAX (scale, fabs (want[i]));
  }
  ck_assert_msg (scale > 1e-9, "%s: the reference is all zero, the check would be vacuous", what);
  ck_assert_msg (err <= rtol * scale, "%s: max error %g at %" G_GSIZE_FORMAT " (got %.9g, want %.9g), scale %g, rtol %g",
                 what, err, worst, got[worst], want[worst], scale, rtol);
}

typedef double (*LossFn) (gpointer ctx);

/* Central differences of f with respect to @param, at up to @max_checks elements (a seeded
 * random subset when there are more); the others of @want are copied from @got so that the
 * comparison only looks at checked elements. */
static void
fd_check (const char *what, LossFn f, gpointer ctx, double *param, gsize n, double h, const double *got, double rtol,
          guint max_checks)
{
  g_autofree double *want = g_memdup2 (got, n * sizeof (double));

  for (gsize j = 0; j < MIN (n, max_checks); j++) {
    gsize i = n <= max_checks ? j : fvc_rng_below (99, what, j, (guint32) n);
    double save = param[i], lp, lm;
    param[i] = save + h;
    lp = f (ctx);
    param[i] = save - h;
    lm = f (ctx);
    param[i] = save;
    want[i] = (lp - lm) / (2 * h);
  }
  assert_close (what, got, want, n, rtol);
}

/* ---- input normalisation ------------------------------------------------------------------ */

START_TEST (test_normalize)
{
  const gint64 n = 2, t = 3, h = 4, w = 5;
  FvcTensor u8 = { 0 }, x = { 0 };
  g_autofree double *got = g_new (double, n * 3 * t * h * w);
  g_autofree double *want = g_new (double, n * 3 * t * h * w);
  const double mean[3] = { 0.485, 0.456, 0.406 }, std[3] = { 0.229, 0.224, 0.225 };
  guint8 *bytes;
  GError *error = NULL;

  fvc_tensor_init (&u8, "u8", FVC_DEVICE_CPU, FVC_DTYPE_U8, 5, (gint64[]) { n, t, h, w, 3 });
  u8.data = bytes = be->alloc (be, u8.nbytes, NULL);
  train_tensor_alloc (be, &x, "x", 5, (gint64[]) { n, 3, t, h, w }, NULL, 0);
  for (gsize i = 0; i < u8.numel; i++)
    bytes[i] = (guint8) ((i * 37 + 11) % 256);
  bytes[0] = 0;
  bytes[1] = 255;
  ck_assert (fvc_normalize_forward (be, &u8, &x, &error));
  train_tensor_get (be, &x, got);
  /* want[(n, c, t, y, x)] from u8[(n, t, y, x, c)] */
  for (gint64 i = 0; i < n; i++)
    for (gint64 k = 0; k < t; k++)
      for (gint64 p = 0; p < h * w; p++)
        for (int c = 0; c < 3; c++)
          want[((i * 3 + c) * t + k) * h * w + p] = (bytes[((i * t + k) * h * w + p) * 3 + c] / 255.0 - mean[c]) / std[c];
  assert_close ("normalize", got, want, x.numel, 1e-6);
  be->free (be, bytes);
  train_tensor_free (be, &x);
}
END_TEST

/* ---- conv3d ------------------------------------------------------------------------------- */

typedef struct {
  int n, c, o, t, h, w, k[3], p[3];
} ConvShape;

static void
conv_out_dims (const ConvShape *s, int *ot, int *oh, int *ow)
{
  *ot = s->t + 2 * s->p[0] - s->k[0] + 1;
  *oh = s->h + 2 * s->p[1] - s->k[1] + 1;
  *ow = s->w + 2 * s->p[2] - s->k[2] + 1;
}

/* y[n,o,t,y,x] = b[o] + sum_{c,i,j,l} w[o,c,i,j,l] x[n,c,t+i-pT,y+j-pH,x+l-pW] (zero outside) */
static void
conv_ref (const ConvShape *s, const double *x, const double *w, const double *b, double *y)
{
  int ot, oh, ow;
  conv_out_dims (s, &ot, &oh, &ow);
  for (int n = 0; n < s->n; n++)
    for (int o = 0; o < s->o; o++)
      for (int t = 0; t < ot; t++)
        for (int yy = 0; yy < oh; yy++)
          for (int xx = 0; xx < ow; xx++) {
            double acc = b[o];
            for (int c = 0; c < s->c; c++)
              for (int i = 0; i < s->k[0]; i++)
                for (int j = 0; j < s->k[1]; j++)
                  for (int l = 0; l < s->k[2]; l++) {
                    int it = t + i - s->p[0], iy = yy + j - s->p[1], ix = xx + l - s->p[2];
                    if (it < 0 || it >= s->t || iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
                      continue;
                    acc += w[(((o * s->c + c) * s->k[0] + i) * s->k[1] + j) * s->k[2] + l] *
                           x[(((n * s->c + c) * s->t + it) * s->h + iy) * s->w + ix];
                  }
            y[(((n * s->o + o) * ot + t) * oh + yy) * ow + xx] = acc;
          }
}

typedef struct {
  const ConvShape *s;
  double *x, *w, *b, *g, *y;
  gsize ny;
} ConvCtx;

static double
conv_loss (gpointer p)
{
  ConvCtx *c = p;
  double l = 0;
  conv_ref (c->s, c->x, c->w, c->b, c->y);
  for (gsize i = 0; i < c->ny; i++)
    l += c->g[i] * c->y[i];
  return l;
}

static const struct {
  const char *name;
  ConvShape s;
  gboolean blocked_src;
  gboolean need_dx;
} conv_cases[] = {
  { "c1-like (1,3,3) plain input", { 2, 3, 8, 3, 5, 6, { 1, 3, 3 }, { 0, 1, 1 } }, FALSE, FALSE },
  { "3x3x3 plain input, dx", { 2, 3, 5, 3, 4, 5, { 3, 3, 3 }, { 1, 1, 1 } }, FALSE, TRUE },
  { "3x3x3 blocked 8->16", { 2, 8, 16, 3, 4, 5, { 3, 3, 3 }, { 1, 1, 1 } }, TRUE, TRUE },
  { "3x3x3 blocked 5->6 (channel padding)", { 2, 5, 6, 3, 4, 4, { 3, 3, 3 }, { 1, 1, 1 } }, TRUE, TRUE },
  { "one frame, (1,3,3) blocked 8->8", { 3, 8, 8, 1, 6, 5, { 1, 3, 3 }, { 0, 1, 1 } }, TRUE, TRUE },
  { "valid in T: k (3,3,3) p (0,1,1)", { 1, 8, 8, 4, 4, 5, { 3, 3, 3 }, { 0, 1, 1 } }, TRUE, TRUE },
};

/* An input layout as the previous layer of a model would make it: the output layout of a 1x1x1
 * convolution producing @c channels. */
static FvcPlan *
producer_plan (int n, int c, int t, int h, int w)
{
  FvcPlanDesc d = { .kind = FVC_OP_CONV3D, .n = n, .c = 3, .t = t, .h = h, .w = w, .out_c = c,
                    .kernel = { 1, 1, 1 }, .training = TRUE, .need_src_grad = TRUE };
  GError *error = NULL;
  FvcPlan *p = be->plan_new (be, &d, &error);
  ck_assert_msg (p != NULL, "%s", error ? error->message : "?");
  return p;
}

START_TEST (test_conv3d)
{
  const ConvShape *s = &conv_cases[_i / 2].s;
  const char *variant = _i % 2 ? "im2col-gemm" : "onednn";
  g_autofree char *what = g_strdup_printf ("%s [%s]", conv_cases[_i / 2].name, variant);
  FvcPlan *prod = NULL, *plan;
  FvcPlanDesc d = { .kind = FVC_OP_CONV3D, .n = s->n, .c = s->c, .t = s->t, .h = s->h, .w = s->w, .out_c = s->o,
                    .training = TRUE, .need_src_grad = conv_cases[_i / 2].need_dx };
  FvcTensor x = { 0 }, w = { 0 }, b = { 0 }, y = { 0 }, dy = { 0 }, dx = { 0 }, dw = { 0 }, db = { 0 }, ws = { 0 };
  gsize nx = (gsize) s->n * s->c * s->t * s->h * s->w, nw = (gsize) s->o * s->c * s->k[0] * s->k[1] * s->k[2], ny;
  int ot, oh, ow;
  GError *error = NULL;

  g_setenv ("FVC_CPU_CONV_BWD_WEIGHTS", variant, TRUE);
  for (int i = 0; i < 3; i++) {
    d.kernel[i] = s->k[i];
    d.pad[i] = s->p[i];
  }
  if (conv_cases[_i / 2].blocked_src) {
    prod = producer_plan (s->n, s->c, s->t, s->h, s->w);
    d.src_layout = prod->dst_layout;
  }
  plan = be->plan_new (be, &d, &error);
  ck_assert_msg (plan != NULL, "%s: %s", what, error ? error->message : "?");
  conv_out_dims (s, &ot, &oh, &ow);
  ny = (gsize) s->n * s->o * ot * oh * ow;
  bind_scratch (plan->scratch_bytes);
  train_tensor_alloc (be, &x, "x", 5, (gint64[]) { s->n, s->c, s->t, s->h, s->w }, d.src_layout,
                      prod ? prod->dst_bytes : 0);
  train_tensor_alloc (be, &dx, "dx", 5, x.shape, x.layout, x.nbytes);
  train_tensor_alloc (be, &w, "w", 5, (gint64[]) { s->o, s->c, s->k[0], s->k[1], s->k[2] }, NULL, 0);
  train_tensor_alloc (be, &dw, "dw", 5, w.shape, NULL, 0);
  train_tensor_alloc (be, &b, "b", 1, (gint64[]) { s->o }, NULL, 0);
  train_tensor_alloc (be, &db, "db", 1, b.shape, NULL, 0);
  train_tensor_alloc (be, &y, "y", 5, (gint64[]) { s->n, s->o, ot, oh, ow }, plan->dst_layout, plan->dst_bytes);
  train_tensor_alloc (be, &dy, "dy", 5, y.shape, y.layout, y.nbytes);
  fvc_tensor_init (&ws, "ws", FVC_DEVICE_CPU, FVC_DTYPE_U8, 1, (gint64[]) { (gint64) MAX (plan->workspace_bytes, 1) });
  ws.data = be->alloc (be, ws.nbytes, NULL);

  {
    g_autofree double *hx = g_new (double, nx), *hw = g_new (double, nw), *hb = g_new (double, s->o);
    g_autofree double *hg = g_new (double, ny), *got = g_new (double, MAX (nx, MAX (nw, ny)));
    g_autofree double *want = g_new (double, ny);
    ConvCtx ctx = { s, hx, hw, hb, hg, want, ny };

    train_fill_uniform (hx, nx, 1, -1, 1);
    train_fill_uniform (hw, nw, 2, -0.5, 0.5);
    train_fill_uniform (hb, s->o, 3, -0.5, 0.5);
    train_fill_uniform (hg, ny, 4, -1, 1);
    train_tensor_set (be, &x, hx);
    train_tensor_set (be, &w, hw);
    train_tensor_set (be, &b, hb);
    train_tensor_set (be, &dy, hg);

    ck_assert_msg (fvc_conv3d_forward (be, plan, &x, &w, &b, &y, &ws, &error), "%s", error ? error->message : "?");
    train_tensor_get (be, &y, got);
    conv_ref (s, hx, hw, hb, want);
    assert_close (what, got, want, ny, 1e-5);

    ck_assert_msg (fvc_conv3d_backward (be, plan, &x, &w, &dy, d.need_src_grad ? &dx : NULL, &dw, &db, &ws, &error),
                   "%s", error ? error->message : "?");
    if (d.need_src_grad) {
      train_tensor_get (be, &dx, got);
      fd_check ("conv3d dx", conv_loss, &ctx, hx, nx, 0.5, got, 1e-5, 300);
    }
    train_tensor_get (be, &dw, got);
    fd_check ("conv3d dw", conv_loss, &ctx, hw, nw, 0.5, got, 1e-5, 300);
    train_tensor_get (be, &db, got);
    fd_check ("conv3d db", conv_loss, &ctx, hb, s->o, 0.5, got, 1e-5, 300);
  }
  /* the variant asked for is the one used where it applies */
  if (_i % 2 == 1 && s->k[0] == 2 * s->p[0] + 1)
    ck_assert_str_eq (plan->impl_backward, "im2col-gemm");
  if (_i % 2 == 0)
    ck_assert_str_ne (plan->impl_backward, "im2col-gemm");

  be->free (be, ws.data);
  {
    FvcTensor *all[] = { &x, &w, &b, &y, &dy, &dx, &dw, &db };
    for (guint i = 0; i < G_N_ELEMENTS (all); i++)
      train_tensor_free (be, all[i]);
  }
  be->plan_free (be, plan);
  if (prod)
    be->plan_free (be, prod);
}
END_TEST

/* ---- relu --------------------------------------------------------------------------------- */

START_TEST (test_relu)
{
  const gsize n = 2 * 5 * 3 * 4 * 4;
  FvcTensor x = { 0 }, g = { 0 };
  g_autofree double *hx = g_new (double, n), *hg = g_new (double, n), *got = g_new (double, n),
                    *want = g_new (double, n);
  GError *error = NULL;

  train_tensor_alloc (be, &x, "x", 5, (gint64[]) { 2, 5, 3, 4, 4 }, NULL, 0);
  train_tensor_alloc (be, &g, "g", 5, x.shape, NULL, 0);
  train_fill_uniform (hx, n, 5, -1, 1);
  for (gsize i = 0; i < n; i++)    /* keep away from the kink */
    hx[i] += hx[i] >= 0 ? 0.05 : -0.05;
  train_fill_uniform (hg, n, 6, -1, 1);
  train_tensor_set (be, &x, hx);
  train_tensor_set (be, &g, hg);
  ck_assert (fvc_relu_forward (be, &x, &x, &error));   /* in place, as the models use it */
  train_tensor_get (be, &x, got);
  for (gsize i = 0; i < n; i++)
    want[i] = MAX (hx[i], 0.0);
  assert_close ("relu forward", got, want, n, 1e-7);
  ck_assert (fvc_relu_backward (be, &x, &g, &g, &error));
  train_tensor_get (be, &g, got);
  for (gsize i = 0; i < n; i++) {
    double l0 = 0, l1 = 0, hh = 1e-3;   /* d/dx of g * max(x, 0), by central differences */
    l1 = hg[i] * MAX (hx[i] + hh, 0.0);
    l0 = hg[i] * MAX (hx[i] - hh, 0.0);
    want[i] = (l1 - l0) / (2 * hh);
  }
  assert_close ("relu backward", got, want, n, 1e-6);
  train_tensor_free (be, &x);
  train_tensor_free (be, &g);
}
END_TEST

/* ---- pooling ------------------------------------------------------------------------------ */

typedef struct {
  int n, c, t, h, w, k[3];
  double *x, *g, *y;
  gboolean global;
} PoolCtx;

static gsize
pool_out_size (const PoolCtx *p)
{
  return p->global ? (gsize) p->n * p->c
                   : (gsize) p->n * p->c * (p->t / p->k[0]) * (p->h / p->k[1]) * (p->w / p->k[2]);
}

static void
pool_ref (PoolCtx *p)
{
  int ot = p->t / p->k[0], oh = p->h / p->k[1], ow = p->w / p->k[2];
  for (int n = 0; n < p->n; n++)
    for (int c = 0; c < p->c; c++) {
      const double *xs = p->x + (gsize) (n * p->c + c) * p->t * p->h * p->w;
      if (p->global) {
        double s = 0;
        for (int i = 0; i < p->t * p->h * p->w; i++)
          s += xs[i];
        p->y[n * p->c + c] = s / (p->t * p->h * p->w);
        continue;
      }
      for (int t = 0; t < ot; t++)
        for (int y = 0; y < oh; y++)
          for (int x = 0; x < ow; x++) {
            double m = -INFINITY;
            for (int i = 0; i < p->k[0]; i++)
              for (int j = 0; j < p->k[1]; j++)
                for (int l = 0; l < p->k[2]; l++)
                  m = MAX (m, xs[((t * p->k[0] + i) * p->h + y * p->k[1] + j) * p->w + x * p->k[2] + l]);
            p->y[(((gsize) (n * p->c + c) * ot + t) * oh + y) * ow + x] = m;
          }
    }
}

static double
pool_loss (gpointer ctx)
{
  PoolCtx *p = ctx;
  double l = 0;
  pool_ref (p);
  for (gsize i = 0; i < pool_out_size (p); i++)
    l += p->g[i] * p->y[i];
  return l;
}

/* _i: bit 0 blocked input, bit 1 global average pool */
START_TEST (test_pool)
{
  gboolean blocked = _i & 1, global = (_i & 2) != 0;
  PoolCtx p = { 2, 5, 3, 4, 6, { 1, 2, 2 }, NULL, NULL, NULL, global };
  g_autofree char *what = g_strdup_printf ("%s, %s input", global ? "avgpool_global" : "maxpool3d (1,2,2)",
                                           blocked ? "blocked" : "plain");
  FvcPlan *prod = NULL, *plan;
  FvcPlanDesc d = { .kind = global ? FVC_OP_AVGPOOL_GLOBAL : FVC_OP_MAXPOOL3D, .n = p.n, .c = p.c, .t = p.t,
                    .h = p.h, .w = p.w, .kernel = { 1, 2, 2 }, .training = TRUE };
  FvcTensor x = { 0 }, y = { 0 }, dy = { 0 }, dx = { 0 }, ws = { 0 };
  gsize nx = (gsize) p.n * p.c * p.t * p.h * p.w, ny = pool_out_size (&p);
  g_autofree double *hx = g_new (double, nx), *hg = g_new (double, ny), *hy = g_new (double, ny);
  g_autofree double *got = g_new (double, nx);
  GError *error = NULL;

  if (blocked) {
    prod = producer_plan (p.n, p.c, p.t, p.h, p.w);
    d.src_layout = prod->dst_layout;
  }
  plan = be->plan_new (be, &d, &error);
  ck_assert_msg (plan != NULL, "%s: %s", what, error ? error->message : "?");
  bind_scratch (plan->scratch_bytes);
  train_tensor_alloc (be, &x, "x", 5, (gint64[]) { p.n, p.c, p.t, p.h, p.w }, d.src_layout, prod ? prod->dst_bytes : 0);
  train_tensor_alloc (be, &dx, "dx", 5, x.shape, x.layout, x.nbytes);
  if (global) {
    train_tensor_alloc (be, &y, "y", 2, (gint64[]) { p.n, p.c }, NULL, 0);
  } else {
    train_tensor_alloc (be, &y, "y", 5, (gint64[]) { p.n, p.c, p.t, p.h / 2, p.w / 2 }, plan->dst_layout,
                        plan->dst_bytes);
  }
  train_tensor_alloc (be, &dy, "dy", y.n_dims, y.shape, y.layout, y.nbytes);
  fvc_tensor_init (&ws, "ws", FVC_DEVICE_CPU, FVC_DTYPE_U8, 1, (gint64[]) { (gint64) MAX (plan->workspace_bytes, 1) });
  ws.data = be->alloc (be, ws.nbytes, NULL);

  /* distinct values (a permutation of a grid) so that each window has one clear maximum */
  for (gsize i = 0; i < nx; i++)
    hx[i] = ((double) ((i * 7919) % nx) / nx - 0.5) * 4;
  train_fill_uniform (hg, ny, 8, -1, 1);
  train_tensor_set (be, &x, hx);
  train_tensor_set (be, &dy, hg);
  p.x = hx;
  p.g = hg;
  p.y = hy;

  if (global) {
    ck_assert (fvc_avgpool_global_forward (be, plan, &x, &y, &error));
  } else {
    ck_assert (fvc_maxpool3d_forward (be, plan, &x, &y, &ws, &error));
  }
  train_tensor_get (be, &y, got);
  pool_ref (&p);
  assert_close (what, got, hy, ny, 1e-6);

  if (global) {
    ck_assert (fvc_avgpool_global_backward (be, plan, &dy, &dx, &error));
  } else {
    ck_assert (fvc_maxpool3d_backward (be, plan, &x, &y, &dy, &dx, &ws, &error));
  }
  train_tensor_get (be, &dx, got);
  fd_check (what, pool_loss, &p, hx, nx, 1e-4, got, 1e-5, 1000);

  be->free (be, ws.data);
  train_tensor_free (be, &x);
  train_tensor_free (be, &dx);
  train_tensor_free (be, &y);
  train_tensor_free (be, &dy);
  be->plan_free (be, plan);
  if (prod)
    be->plan_free (be, prod);
}
END_TEST

/* ---- linear ------------------------------------------------------------------------------- */

typedef struct {
  int n, k, o;
  double *x, *w, *b, *g, *y;
} LinCtx;

static double
linear_loss (gpointer ctx)
{
  LinCtx *c = ctx;
  double l = 0;
  for (int i = 0; i < c->n; i++)
    for (int j = 0; j < c->o; j++) {
      double acc = c->b[j];
      for (int q = 0; q < c->k; q++)
        acc += c->x[i * c->k + q] * c->w[j * c->k + q];
      c->y[i * c->o + j] = acc;
      l += c->g[i * c->o + j] * acc;
    }
  return l;
}

START_TEST (test_linear)
{
  /* x as (N, C, T, H, W) flattened, as the linear models use it */
  const int n = 3, o = 2, k = 3 * 2 * 3 * 2;
  FvcTensor x = { 0 }, w = { 0 }, b = { 0 }, y = { 0 }, dy = { 0 }, dx = { 0 }, dw = { 0 }, db = { 0 };
  g_autofree double *hx = g_new (double, n * k), *hw = g_new (double, o * k), *hb = g_new (double, o);
  g_autofree double *hg = g_new (double, n * o), *hy = g_new (double, n * o), *got = g_new (double, n * k);
  LinCtx c = { n, k, o, hx, hw, hb, hg, hy };
  GError *error = NULL;

  train_tensor_alloc (be, &x, "x", 5, (gint64[]) { n, 3, 2, 3, 2 }, NULL, 0);
  train_tensor_alloc (be, &dx, "dx", 5, x.shape, NULL, 0);
  train_tensor_alloc (be, &w, "w", 2, (gint64[]) { o, k }, NULL, 0);
  train_tensor_alloc (be, &dw, "dw", 2, w.shape, NULL, 0);
  train_tensor_alloc (be, &b, "b", 1, (gint64[]) { o }, NULL, 0);
  train_tensor_alloc (be, &db, "db", 1, b.shape, NULL, 0);
  train_tensor_alloc (be, &y, "y", 2, (gint64[]) { n, o }, NULL, 0);
  train_tensor_alloc (be, &dy, "dy", 2, y.shape, NULL, 0);
  train_fill_uniform (hx, n * k, 9, -1, 1);
  train_fill_uniform (hw, o * k, 10, -1, 1);
  train_fill_uniform (hb, o, 11, -1, 1);
  train_fill_uniform (hg, n * o, 12, -1, 1);
  train_tensor_set (be, &x, hx);
  train_tensor_set (be, &w, hw);
  train_tensor_set (be, &b, hb);
  train_tensor_set (be, &dy, hg);

  ck_assert (fvc_linear_forward (be, &x, &w, &b, &y, &error));
  train_tensor_get (be, &y, got);
  linear_loss (&c);
  assert_close ("linear forward", got, hy, n * o, 1e-6);
  ck_assert (fvc_linear_backward (be, &x, &w, &dy, &dx, &dw, &db, &error));
  train_tensor_get (be, &dx, got);
  fd_check ("linear dx", linear_loss, &c, hx, n * k, 0.5, got, 1e-6, 1000);
  train_tensor_get (be, &dw, got);
  fd_check ("linear dw", linear_loss, &c, hw, o * k, 0.5, got, 1e-6, 1000);
  train_tensor_get (be, &db, got);
  fd_check ("linear db", linear_loss, &c, hb, o, 0.5, got, 1e-6, 1000);
  {
    FvcTensor *all[] = { &x, &w, &b, &y, &dy, &dx, &dw, &db };
    for (guint i = 0; i < G_N_ELEMENTS (all); i++)
      train_tensor_free (be, all[i]);
  }
}
END_TEST

/* ---- losses ------------------------------------------------------------------------------- */

typedef struct {
  int n;
  double *x, *y, *l;
  gboolean hinge;
} LossCtx;

/* The textbook definitions, written differently from the backend's stable forms. */
static double
loss_sum (gpointer ctx)
{
  LossCtx *c = ctx;
  double s = 0;
  for (int i = 0; i < c->n; i++) {
    if (c->hinge) {
      double sign = c->y[i] > 0.5 ? 1 : -1;
      c->l[i] = MAX (0.0, 1 - sign * c->x[i]);
    } else {
      double p = 1 / (1 + exp (-c->x[i]));
      c->l[i] = -(c->y[i] * log (p) + (1 - c->y[i]) * log (1 - p));
    }
    s += c->l[i];
  }
  return s;
}

START_TEST (test_loss)
{
  gboolean hinge = _i == 1;
  const int n = 8;
  /* both signs, large magnitudes (the stable form matters), away from the hinge's kink */
  double hx[8] = { -3.2, -0.7, 0.2, 0.45, 1.6, 2.5, 12.0, -15.0 };
  double hy[8] = { 0, 1, 0, 1, 1, 0, 1, 0 };
  double hl[8], got[8], scale = 0.25;
  FvcTensor x = { 0 }, y = { 0 }, l = { 0 }, d = { 0 };
  LossCtx c = { n, hx, hy, hl, hinge };
  GError *error = NULL;

  train_tensor_alloc (be, &x, "logits", 1, (gint64[]) { n }, NULL, 0);
  train_tensor_alloc (be, &y, "targets", 1, x.shape, NULL, 0);
  train_tensor_alloc (be, &l, "losses", 1, x.shape, NULL, 0);
  train_tensor_alloc (be, &d, "dlogits", 1, x.shape, NULL, 0);
  train_tensor_set (be, &x, hx);
  train_tensor_set (be, &y, hy);
  if (hinge) {
    ck_assert (fvc_hinge_forward (be, &x, &y, &l, &error));
    ck_assert (fvc_hinge_backward (be, &x, &y, (float) scale, &d, &error));
  } else {
    ck_assert (fvc_bce_forward (be, &x, &y, &l, &error));
    ck_assert (fvc_bce_backward (be, &x, &y, (float) scale, &d, &error));
  }
  train_tensor_get (be, &l, got);
  loss_sum (&c);
  assert_close (hinge ? "hinge forward" : "bce forward", got, hl, n, 1e-6);
  train_tensor_get (be, &d, got);
  for (int i = 0; i < n; i++)
    got[i] /= scale;
  fd_check (hinge ? "hinge backward" : "bce backward", loss_sum, &c, hx, n, 1e-6, got, 1e-6, 100);
  train_tensor_free (be, &x);
  train_tensor_free (be, &y);
  train_tensor_free (be, &l);
  train_tensor_free (be, &d);
}
END_TEST

/* A window that does not fit its (padded) input is refused with a message naming the
 * operation; the guint arithmetic once wrapped instead (t 1, kernel 3, no padding: an output
 * of 2^32 - 1 frames, handed to oneDNN). */
START_TEST (test_plan_window_too_large)
{
  static const struct {
    FvcPlanDesc d;
    const char *message;
  } cases[] = {
    { { .kind = FVC_OP_CONV3D, .n = 1, .c = 3, .t = 1, .h = 4, .w = 4, .out_c = 2, .kernel = { 3, 3, 3 },
        .pad = { 0, 1, 1 } }, "conv3d: kernel larger than the padded input" },
    { { .kind = FVC_OP_CONV3D, .n = 1, .c = 3, .t = 4, .h = 2, .w = 4, .out_c = 2, .kernel = { 1, 5, 3 },
        .pad = { 0, 1, 1 } }, "conv3d: kernel larger than the padded input" },
    { { .kind = FVC_OP_MAXPOOL3D, .n = 1, .c = 3, .t = 1, .h = 1, .w = 4, .kernel = { 1, 2, 2 } },
      "maxpool3d: kernel larger than the input" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error = NULL;
    gint64 dims[5];
    FvcPlan *plan = be->plan_new (be, &cases[i].d, &error);

    ck_assert_msg (plan == NULL, "case %u: a plan was made", i);
    FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, cases[i].message);
    g_clear_error (&error);
    ck_assert (!fvc_plan_desc_out_dims (&cases[i].d, dims, &error));
    FVC_ASSERT_ERROR (error, FVC_ERROR_INVALID, cases[i].message);
    g_clear_error (&error);
  }
}
END_TEST

/* Output sizes, worked out by hand: stride-1 convolution T + 2p - k + 1; max pooling with stride
 * = window, floor(T / k); global average pooling 1. */
START_TEST (test_plan_out_dims)
{
  static const struct {
    FvcPlanDesc d;
    gint64 want[5];
  } cases[] = {
    { { .kind = FVC_OP_CONV3D, .n = 2, .c = 3, .t = 4, .h = 4, .w = 5, .out_c = 7, .kernel = { 3, 3, 3 },
        .pad = { 0, 1, 1 } }, { 2, 7, 2, 4, 5 } },
    { { .kind = FVC_OP_CONV3D, .n = 1, .c = 3, .t = 6, .h = 112, .w = 112, .out_c = 32, .kernel = { 1, 3, 3 },
        .pad = { 0, 1, 1 } }, { 1, 32, 6, 112, 112 } },
    { { .kind = FVC_OP_MAXPOOL3D, .n = 3, .c = 8, .t = 3, .h = 5, .w = 7, .kernel = { 1, 2, 2 } }, { 3, 8, 3, 2, 3 } },
    { { .kind = FVC_OP_AVGPOOL_GLOBAL, .n = 4, .c = 128, .t = 6, .h = 28, .w = 28 }, { 4, 128, 1, 1, 1 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error = NULL;
    gint64 dims[5];
    FvcPlan *plan;

    ck_assert_msg (fvc_plan_desc_out_dims (&cases[i].d, dims, &error), "case %u: %s", i, error->message);
    for (int k = 0; k < 5; k++)
      ck_assert_int_eq (dims[k], cases[i].want[k]);
    plan = be->plan_new (be, &cases[i].d, &error);
    ck_assert_msg (plan != NULL, "case %u: %s", i, error ? error->message : "?");
    for (int k = 0; k < 5; k++)
      ck_assert_int_eq (plan->out_dims[k], cases[i].want[k]);
    be->plan_free (be, plan);
  }
}
END_TEST

static Suite *
layers_suite (void)
{
  Suite *s = suite_create ("layers");
  TCase *tc = tcase_create ("cpu");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 240);
  tcase_add_test (tc, test_normalize);
  tcase_add_loop_test (tc, test_conv3d, 0, 2 * G_N_ELEMENTS (conv_cases));
  tcase_add_test (tc, test_relu);
  tcase_add_loop_test (tc, test_pool, 0, 4);
  tcase_add_test (tc, test_linear);
  tcase_add_loop_test (tc, test_loss, 0, 2);
  tcase_add_test (tc, test_plan_window_too_large);
  tcase_add_test (tc, test_plan_out_dims);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return fvc_test_run_suite (layers_suite ());
}
