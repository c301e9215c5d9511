/* fvc-backend-cpu.c — the CPU backend: oneDNN primitives for convolution and pooling (forward,
 * backward data, backward weights), oneDNN's sgemm for the linear layers, OpenMP loops for the
 * elementwise parts (input normalisation, ReLU, losses, accumulation, AdamW).
 *
 * Activations between convolution and pooling stay in the layout oneDNN picks (nCdhw8c on AVX2),
 * so nothing is reordered per layer; only the weights (tiny) are reordered from PyTorch's OIDHW
 * into the primitive's layout each step, and their gradients back. Primitives are made once per
 * plan with a user-managed scratchpad, so executing one allocates nothing of ours.
 * Not here: the layer order and shapes (fvc-model-*.c), the optimizer bookkeeping (fvc-optim.c).
 */
#include "config.h"
#include "fvc-backend.h"
#include "fvc-error.h"

#include <dnnl.h>
#include <dnnl_debug.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _FvcLayout {
  dnnl_memory_desc_t md;
};

typedef struct {
  FvcBackend parent;
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  guint8 *scratch;
  gsize scratch_bytes;
  GHashTable *sizes;         /* allocation -> bytes, for the statistics */
  float norm_lut[3][256];    /* (v / 255 - mean[c]) / std[c], exactly as PyTorch computes it */
} CpuBackend;

#define CPU(be) ((CpuBackend *) (be))

/* Every oneDNN call goes through here: on failure, a GError naming the call and the status. */
#define DNNL_TRY(call)                                                                           \
  G_STMT_START {                                                                                 \
    dnnl_status_t s_ = (call);                                                                   \
    if (s_ != dnnl_success) {                                                                    \
      g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "oneDNN: %s failed: %s", #call,          \
                   dnnl_status2str (s_));                                                         \
      goto fail;                                                                                 \
    }                                                                                            \
  } G_STMT_END

/* ---- primitives --------------------------------------------------------------------------- */

typedef struct {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  dnnl_memory_t scratchpad;   /* bound to the backend's scratch at run time */
  gsize scratch_bytes;
} Prim;

static void
prim_clear (Prim *p)
{
  if (p->scratchpad)
    dnnl_memory_destroy (p->scratchpad);
  if (p->prim)
    dnnl_primitive_destroy (p->prim);
  if (p->pd)
    dnnl_primitive_desc_destroy (p->pd);
  memset (p, 0, sizeof *p);
}

static dnnl_primitive_attr_t
user_scratchpad_attr (void)
{
  dnnl_primitive_attr_t attr = NULL;
  if (dnnl_primitive_attr_create (&attr) != dnnl_success)
    return NULL;
  dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user);
  return attr;
}

static gboolean
prim_finish (CpuBackend *cb, Prim *p, GError **error)
{
  const dnnl_memory_desc_t *smd;

  DNNL_TRY (dnnl_primitive_create (&p->prim, p->pd));
  smd = dnnl_primitive_desc_query_md (p->pd, dnnl_query_scratchpad_md, 0);
  p->scratch_bytes = smd ? dnnl_memory_desc_get_size (smd) : 0;
  if (p->scratch_bytes > 0)
    DNNL_TRY (dnnl_memory_create (&p->scratchpad, smd, cb->engine, DNNL_MEMORY_NONE));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
prim_init (CpuBackend *cb, Prim *p, const_dnnl_op_desc_t op, const_dnnl_primitive_desc_t hint,
           GError **error)
{
  dnnl_primitive_attr_t attr = user_scratchpad_attr ();
  dnnl_status_t s = dnnl_primitive_desc_create (&p->pd, op, attr, cb->engine, hint);

  dnnl_primitive_attr_destroy (attr);
  if (s != dnnl_success) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "oneDNN: no implementation for the primitive: %s",
                 dnnl_status2str (s));
    return FALSE;
  }
  return prim_finish (cb, p, error);
}

static gboolean
reorder_init (CpuBackend *cb, Prim *p, const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
              GError **error)
{
  dnnl_primitive_attr_t attr = user_scratchpad_attr ();
  dnnl_status_t s = dnnl_reorder_primitive_desc_create (&p->pd, src, cb->engine, dst, cb->engine, attr);

  dnnl_primitive_attr_destroy (attr);
  if (s != dnnl_success) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "oneDNN: no reorder between the layouts: %s",
                 dnnl_status2str (s));
    return FALSE;
  }
  return prim_finish (cb, p, error);
}

static const char *
prim_impl (const Prim *p)
{
  const char *s = NULL;
  if (p->pd == NULL || dnnl_primitive_desc_query (p->pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success)
    return "none";
  return s;
}

/* Runs @p with @args plus its scratchpad at @scratch_offset in the bound scratch. @args must
 * have room for one more entry. */
static gboolean
prim_run (CpuBackend *cb, const Prim *p, gsize scratch_offset, int nargs, dnnl_exec_arg_t *args,
          GError **error)
{
  if (p->scratch_bytes > 0) {
    g_return_val_if_fail (scratch_offset + p->scratch_bytes <= cb->scratch_bytes, FALSE);
    DNNL_TRY (dnnl_memory_set_data_handle (p->scratchpad, cb->scratch + scratch_offset));
    args[nargs].arg = DNNL_ARG_SCRATCHPAD;
    args[nargs].memory = p->scratchpad;
    nargs++;
  }
  DNNL_TRY (dnnl_primitive_execute (p->prim, cb->stream, nargs, args));
  DNNL_TRY (dnnl_stream_wait (cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
mem_new (CpuBackend *cb, dnnl_memory_t *m, const dnnl_memory_desc_t *md, GError **error)
{
  DNNL_TRY (dnnl_memory_create (m, md, cb->engine, DNNL_MEMORY_NONE));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
mem_bind (dnnl_memory_t m, gconstpointer ptr, GError **error)
{
  DNNL_TRY (dnnl_memory_set_data_handle (m, (void *) ptr));
  return TRUE;
fail:
  return FALSE;
}

static void
mem_clear (dnnl_memory_t *m)
{
  if (*m) {
    dnnl_memory_destroy (*m);
    *m = NULL;
  }
}

static gboolean
md_plain (dnnl_memory_desc_t *md, int ndims, const dnnl_dim_t *dims, GError **error)
{
  static const dnnl_format_tag_t tags[] = { dnnl_format_tag_undef, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde };
  DNNL_TRY (dnnl_memory_desc_init_by_tag (md, ndims, dims, dnnl_f32, tags[ndims]));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
md_any (dnnl_memory_desc_t *md, int ndims, const dnnl_dim_t *dims, GError **error)
{
  DNNL_TRY (dnnl_memory_desc_init_by_tag (md, ndims, dims, dnnl_f32, dnnl_format_tag_any));
  return TRUE;
fail:
  return FALSE;
}

static void
desc_src_md (const FvcPlanDesc *d, dnnl_memory_desc_t *md, GError **error)
{
  dnnl_dim_t dims[5] = { d->n, d->c, d->t, d->h, d->w };
  if (d->src_layout != NULL)
    *md = d->src_layout->md;
  else
    md_plain (md, 5, dims, error);
}

/* ---- plans -------------------------------------------------------------------------------- */

/* Weight gradients of a stride-1 "same" convolution as im2col + GEMM (oneDNN 2.6 has no JIT
 * backward-weights kernel for 3D on AVX2, and its GEMM fallback runs at a third of the forward's
 * speed). x is copied channels-last into (T, H + 2 pH, W + 2 pW) planes with zero borders, dy
 * channels-last without borders (rows = output positions); then, a chunk of rows at a time,
 *   col[r, (k, c)] = x[position of r shifted by kernel offset k, c]   (0 where the frame is outside)
 *   dW (O, K C) += dy[chunk]^T (O, rows) col (rows, K C)
 * The chunks run in a fixed order and each GEMM is deterministic for a given thread count. */
typedef struct {
  gboolean on;
  gint64 n, c, o, t, h, w, kt, kh, kw, pt, ph, pw, hp, wp;
  gint64 chunk_rows;
  Prim x_to_pad, dy_to_nxc;
  dnnl_memory_t x_src, x_pad, dy_src, dy_nxc;
  /* scratch: [x | dy | col | dW | bias partials | reorder scratchpad] */
  gsize x_bytes, dy_bytes, col_bytes, dwk_bytes, partial_bytes;
} ShiftGemm;

#define SHIFT_GEMM_BIAS_CHUNKS 16

typedef struct {
  FvcPlan pub;
  FvcLayout dst_layout;
  ShiftGemm sg;
  dnnl_memory_desc_t src_md, wei_user_md, dst_md;
  Prim fwd, bwd_data, bwd_weights;
  Prim wei_to_fwd;          /* user OIDHW -> forward weights (none when equal) */
  Prim wei_to_bwd;          /* user OIDHW -> backward-data weights (none when equal to forward's) */
  Prim dwei_to_user;        /* backward-weights diff weights -> user OIDHW (none when equal) */
  enum { WEI_USER, WEI_FORWARD, WEI_SCRATCH } bwd_wei;  /* where backward-data reads weights */
  gsize wei_fwd_bytes, wei_bwd_bytes, dwei_bytes;
  /* memories, rebound to the tensors at every call */
  dnnl_memory_t src, wei_user, wei_fwd, wei_bwd, bias, dst;
  dnnl_memory_t diff_dst, diff_src, dwei, dwei_user, dbias;
} ConvPlan;

typedef struct {
  FvcPlan pub;
  FvcLayout dst_layout;
  Prim fwd, bwd;
  gsize ws_bytes;
  dnnl_memory_t src, dst, ws, diff_dst, diff_src;
} PoolPlan;

typedef struct {
  FvcPlan pub;
  Prim fwd, bwd, out_to_plain, plain_to_out;
  gsize pooled_bytes;       /* the blocked (N, C, 1, 1, 1) result, in scratch */
  dnnl_memory_t src, pooled, plain, diff_src;
} GapPlan;

static void
cpu_plan_free (FvcBackend *be, FvcPlan *plan)
{
  if (plan == NULL)
    return;
  switch (plan->desc.kind) {
  case FVC_OP_CONV3D: {
    ConvPlan *p = (ConvPlan *) plan;
    prim_clear (&p->fwd);
    prim_clear (&p->bwd_data);
    prim_clear (&p->bwd_weights);
    prim_clear (&p->wei_to_fwd);
    prim_clear (&p->wei_to_bwd);
    prim_clear (&p->dwei_to_user);
    prim_clear (&p->sg.x_to_pad);
    prim_clear (&p->sg.dy_to_nxc);
    mem_clear (&p->sg.x_src);
    mem_clear (&p->sg.x_pad);
    mem_clear (&p->sg.dy_src);
    mem_clear (&p->sg.dy_nxc);
    mem_clear (&p->src);
    mem_clear (&p->wei_user);
    mem_clear (&p->wei_fwd);
    mem_clear (&p->wei_bwd);
    mem_clear (&p->bias);
    mem_clear (&p->dst);
    mem_clear (&p->diff_dst);
    mem_clear (&p->diff_src);
    mem_clear (&p->dwei);
    mem_clear (&p->dwei_user);
    mem_clear (&p->dbias);
    break;
  }
  case FVC_OP_MAXPOOL3D: {
    PoolPlan *p = (PoolPlan *) plan;
    prim_clear (&p->fwd);
    prim_clear (&p->bwd);
    mem_clear (&p->src);
    mem_clear (&p->dst);
    mem_clear (&p->ws);
    mem_clear (&p->diff_dst);
    mem_clear (&p->diff_src);
    break;
  }
  case FVC_OP_AVGPOOL_GLOBAL: {
    GapPlan *p = (GapPlan *) plan;
    prim_clear (&p->fwd);
    prim_clear (&p->bwd);
    prim_clear (&p->out_to_plain);
    prim_clear (&p->plain_to_out);
    mem_clear (&p->src);
    mem_clear (&p->pooled);
    mem_clear (&p->plain);
    mem_clear (&p->diff_src);
    break;
  }
  }
  g_free (plan);
}

static gsize
align_up (gsize n)
{
  return (n + FVC_ARENA_ALIGN - 1) / FVC_ARENA_ALIGN * FVC_ARENA_ALIGN;
}

static gboolean
shift_gemm_applies (const FvcPlanDesc *d)
{
  for (int i = 0; i < 3; i++)
    if (d->kernel[i] != 2 * d->pad[i] + 1)
      return FALSE;
  return TRUE;
}

/* FVC_CPU_CONV_BWD_WEIGHTS=onednn|im2col-gemm forces one implementation where both apply (tests
 * run every case both ways); by default im2col + GEMM replaces oneDNN's non-JIT kernels. */
static gboolean
shift_gemm_wanted (const char *onednn_impl, const FvcPlanDesc *d)
{
  const char *force = g_getenv ("FVC_CPU_CONV_BWD_WEIGHTS");

  if (!shift_gemm_applies (d) || g_strcmp0 (force, "onednn") == 0)
    return FALSE;
  return g_strcmp0 (force, "im2col-gemm") == 0 || !g_str_has_prefix (onednn_impl, "jit");
}

/* A strided view (N, C, T, H, W) of the interior of channels-last planes with borders. */
static gboolean
md_padded_nxc (dnnl_memory_desc_t *md, const ShiftGemm *g, gint64 channels, GError **error)
{
  dnnl_dims_t dims = { g->n, channels, g->t, g->h, g->w };
  dnnl_dims_t strides = { g->t * g->hp * g->wp * channels, 1, g->hp * g->wp * channels, g->wp * channels, channels };
  DNNL_TRY (dnnl_memory_desc_init_by_strides (md, 5, dims, dnnl_f32, strides));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
shift_gemm_init (CpuBackend *cb, ConvPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->pub.desc;
  ShiftGemm *g = &p->sg;
  dnnl_memory_desc_t xmd, dymd;
  dnnl_dims_t ddims;
  gint64 kc;

  g->on = TRUE;
  g->n = d->n;
  g->c = d->c;
  g->o = d->out_c;
  g->t = d->t;
  g->h = d->h;
  g->w = d->w;
  g->kt = d->kernel[0];
  g->kh = d->kernel[1];
  g->kw = d->kernel[2];
  g->pt = d->pad[0];
  g->ph = d->pad[1];
  g->pw = d->pad[2];
  g->hp = g->h + 2 * g->ph;
  g->wp = g->w + 2 * g->pw;
  kc = g->kt * g->kh * g->kw * g->c;
  /* a col chunk of about 4 MiB: big enough for an efficient GEMM, small enough for the caches */
  g->chunk_rows = CLAMP ((4 << 20) / (kc * (gint64) sizeof (float)), 64, g->n * g->t * g->h * g->w);
  g->x_bytes = align_up ((gsize) (g->n * g->t * g->hp * g->wp * g->c) * sizeof (float));
  g->dy_bytes = align_up ((gsize) (g->n * g->t * g->h * g->w * g->o) * sizeof (float));
  g->col_bytes = align_up ((gsize) (g->chunk_rows * kc) * sizeof (float));
  g->dwk_bytes = align_up ((gsize) (g->o * kc) * sizeof (float));
  g->partial_bytes = align_up ((gsize) SHIFT_GEMM_BIAS_CHUNKS * g->o * sizeof (float));
  memcpy (ddims, p->dst_md.dims, sizeof ddims);
  if (!md_padded_nxc (&xmd, g, g->c, error))
    return FALSE;
  DNNL_TRY (dnnl_memory_desc_init_by_tag (&dymd, 5, ddims, dnnl_f32, dnnl_acdeb));
  if (!reorder_init (cb, &g->x_to_pad, &p->src_md, &xmd, error) ||
      !reorder_init (cb, &g->dy_to_nxc, &p->dst_md, &dymd, error) || !mem_new (cb, &g->x_src, &p->src_md, error) ||
      !mem_new (cb, &g->x_pad, &xmd, error) || !mem_new (cb, &g->dy_src, &p->dst_md, error) ||
      !mem_new (cb, &g->dy_nxc, &dymd, error))
    return FALSE;
  return TRUE;
fail:
  return FALSE;
}

/* Zeroes the borders of N*T planes (hp x wp x ch floats each). */
static void
zero_borders (float *buf, const ShiftGemm *g, gint64 ch)
{
  const gint64 planes = g->n * g->t, row = g->wp * ch;

#pragma omp parallel for schedule(static)
  for (gint64 pl = 0; pl < planes; pl++) {
    float *base = buf + pl * g->hp * row;
    memset (base, 0, g->ph * row * sizeof (float));
    memset (base + (g->ph + g->h) * row, 0, g->ph * row * sizeof (float));
    for (gint64 y = g->ph; y < g->ph + g->h; y++) {
      memset (base + y * row, 0, g->pw * ch * sizeof (float));
      memset (base + y * row + (g->pw + g->w) * ch, 0, g->pw * ch * sizeof (float));
    }
  }
}

static gboolean
shift_gemm_backward (CpuBackend *cb, const ConvPlan *p, const FvcTensor *x, const FvcTensor *dy, FvcTensor *dw,
                     FvcTensor *db, GError **error)
{
  const ShiftGemm *g = &p->sg;
  float *xp = (float *) cb->scratch;
  float *dyc = (float *) (cb->scratch + g->x_bytes);
  float *col = (float *) (cb->scratch + g->x_bytes + g->dy_bytes);
  float *dwk = (float *) (cb->scratch + g->x_bytes + g->dy_bytes + g->col_bytes);
  float *partial = (float *) (cb->scratch + g->x_bytes + g->dy_bytes + g->col_bytes + g->dwk_bytes);
  gsize off_r = g->x_bytes + g->dy_bytes + g->col_bytes + g->dwk_bytes + g->partial_bytes;
  const gint64 o = g->o, c = g->c, offsets = g->kt * g->kh * g->kw, kc = offsets * c;
  const gint64 hw = g->h * g->w, rows = g->n * g->t * hw;
  const gint64 bias_chunk = (rows + SHIFT_GEMM_BIAS_CHUNKS - 1) / SHIFT_GEMM_BIAS_CHUNKS;
  const gint64 margin = g->ph * g->wp + g->pw;
  float *w = dw->data, *b = db->data;
  dnnl_exec_arg_t args[3];

  zero_borders (xp, g, c);
  if (!mem_bind (g->x_src, x->data, error) || !mem_bind (g->x_pad, xp + margin * c, error) ||
      !mem_bind (g->dy_src, dy->data, error) || !mem_bind (g->dy_nxc, dyc, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, g->x_src };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, g->x_pad };
  if (!prim_run (cb, &g->x_to_pad, off_r, 2, args, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, g->dy_src };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, g->dy_nxc };
  if (!prim_run (cb, &g->dy_to_nxc, off_r, 2, args, error))
    return FALSE;

  for (gint64 r0 = 0; r0 < rows; r0 += g->chunk_rows) {
    const gint64 nr = MIN (g->chunk_rows, rows - r0);

    /* row r = ((n T + t) H + y) W + x; its offset k reads x_pad at frame t + kd - pT, row y + kh,
     * column x + kw (the borders make every row and column valid; frames outside give 0) */
#pragma omp parallel for schedule(static)
    for (gint64 i = 0; i < nr; i++) {
      const gint64 r = r0 + i, nt = r / hw, q = r % hw, n = nt / g->t, t = nt % g->t, y = q / g->w, xx = q % g->w;
      float *dst = col + i * kc;
      for (gint64 k = 0; k < offsets; k++, dst += c) {
        const gint64 kd = k / (g->kh * g->kw), kh = (k / g->kw) % g->kh, kw = k % g->kw, tin = t + kd - g->pt;
        if (tin < 0 || tin >= g->t)
          memset (dst, 0, c * sizeof (float));
        else
          memcpy (dst, xp + (((n * g->t + tin) * g->hp + y + kh) * g->wp + xx + kw) * c, c * sizeof (float));
      }
    }
    if (dnnl_sgemm ('T', 'N', o, kc, nr, 1.f, dyc + r0 * o, o, col, kc, r0 == 0 ? 0.f : 1.f, dwk, kc) !=
        dnnl_success) {
      g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "oneDNN: dnnl_sgemm failed in conv3d backward weights");
      return FALSE;
    }
  }
  /* (O, offset, C) -> OIDHW */
#pragma omp parallel for schedule(static)
  for (gint64 oi = 0; oi < o; oi++)
    for (gint64 ci = 0; ci < c; ci++)
      for (gint64 k = 0; k < offsets; k++)
        w[(oi * c + ci) * offsets + k] = dwk[oi * kc + k * c + ci];

  /* db[o] = sum over rows of dy: fixed chunks, summed in chunk order. */
#pragma omp parallel for schedule(static)
  for (gint64 ch = 0; ch < SHIFT_GEMM_BIAS_CHUNKS; ch++) {
    float *acc = partial + ch * o;
    memset (acc, 0, o * sizeof (float));
    for (gint64 r = ch * bias_chunk; r < MIN (rows, (ch + 1) * bias_chunk); r++)
      for (gint64 j = 0; j < o; j++)
        acc[j] += dyc[r * o + j];
  }
  for (gint64 j = 0; j < o; j++) {
    float sum = 0.f;
    for (gint64 ch = 0; ch < SHIFT_GEMM_BIAS_CHUNKS; ch++)
      sum += partial[ch * o + j];
    b[j] = sum;
  }
  return TRUE;
}

/* Scratch of a convolution call: [ weights or diff weights in the primitive's layout | the
 * primitive's scratchpad ]. */
static gboolean
conv_plan_init (CpuBackend *cb, ConvPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->pub.desc;
  dnnl_convolution_desc_t cd;
  dnnl_memory_desc_t wei_any, dst_any, bias_md;
  const dnnl_memory_desc_t *q;
  dnnl_dim_t wdims[5] = { d->out_c, d->c, d->kernel[0], d->kernel[1], d->kernel[2] };
  dnnl_dim_t ddims[5];
  dnnl_dim_t bdims[1] = { d->out_c };
  dnnl_dims_t strides = { 1, 1, 1 };
  dnnl_dims_t pad = { d->pad[0], d->pad[1], d->pad[2] };
  gsize fwd_scratch, bwd_scratch_a = 0, bwd_scratch_b = 0;

  if (!fvc_plan_desc_out_dims (d, ddims, error))
    return FALSE;
  desc_src_md (d, &p->src_md, error);
  if (!md_plain (&p->wei_user_md, 5, wdims, error) || !md_any (&wei_any, 5, wdims, error) ||
      !md_any (&dst_any, 5, ddims, error) || !md_plain (&bias_md, 1, bdims, error))
    return FALSE;

  DNNL_TRY (dnnl_convolution_forward_desc_init (&cd, d->training ? dnnl_forward_training : dnnl_forward_inference,
                                                dnnl_convolution_direct, &p->src_md, &wei_any, &bias_md,
                                                &dst_any, strides, pad, pad));
  if (!prim_init (cb, &p->fwd, &cd, NULL, error))
    return FALSE;
  p->dst_md = *dnnl_primitive_desc_query_md (p->fwd.pd, dnnl_query_dst_md, 0);
  p->dst_layout.md = p->dst_md;
  q = dnnl_primitive_desc_query_md (p->fwd.pd, dnnl_query_weights_md, 0);
  if (!dnnl_memory_desc_equal (q, &p->wei_user_md)) {
    if (!reorder_init (cb, &p->wei_to_fwd, &p->wei_user_md, q, error))
      return FALSE;
    p->wei_fwd_bytes = align_up (dnnl_memory_desc_get_size (q));
  }
  if (!mem_new (cb, &p->src, &p->src_md, error) || !mem_new (cb, &p->wei_user, &p->wei_user_md, error) ||
      !mem_new (cb, &p->wei_fwd, q, error) || !mem_new (cb, &p->bias, &bias_md, error) ||
      !mem_new (cb, &p->dst, &p->dst_md, error))
    return FALSE;
  fwd_scratch = MAX (p->fwd.scratch_bytes, p->wei_to_fwd.scratch_bytes);

  if (d->training) {
    const dnnl_memory_desc_t *qw;

    DNNL_TRY (dnnl_convolution_backward_weights_desc_init (&cd, dnnl_convolution_direct, &p->src_md, &wei_any,
                                                           &bias_md, &p->dst_md, strides, pad, pad));
    if (!prim_init (cb, &p->bwd_weights, &cd, p->fwd.pd, error))
      return FALSE;
    if (shift_gemm_wanted (prim_impl (&p->bwd_weights), d)) {
      prim_clear (&p->bwd_weights);
      if (!shift_gemm_init (cb, p, error))
        return FALSE;
      bwd_scratch_a = 0;
      bwd_scratch_b = p->sg.x_bytes + p->sg.dy_bytes + p->sg.col_bytes + p->sg.dwk_bytes + p->sg.partial_bytes +
                      MAX (p->sg.x_to_pad.scratch_bytes, p->sg.dy_to_nxc.scratch_bytes);
      goto bwd_data;
    }
    qw = dnnl_primitive_desc_query_md (p->bwd_weights.pd, dnnl_query_diff_weights_md, 0);
    if (!dnnl_memory_desc_equal (qw, &p->wei_user_md)) {
      if (!reorder_init (cb, &p->dwei_to_user, qw, &p->wei_user_md, error))
        return FALSE;
      p->dwei_bytes = align_up (dnnl_memory_desc_get_size (qw));
    }
    if (!mem_new (cb, &p->dwei, qw, error) || !mem_new (cb, &p->dwei_user, &p->wei_user_md, error) ||
        !mem_new (cb, &p->dbias, &bias_md, error))
      return FALSE;
    bwd_scratch_a = p->dwei_bytes;
    bwd_scratch_b = MAX (p->bwd_weights.scratch_bytes, p->dwei_to_user.scratch_bytes);

  bwd_data:
    if (!mem_new (cb, &p->diff_dst, &p->dst_md, error))
      return FALSE;
    if (d->need_src_grad) {
      DNNL_TRY (dnnl_convolution_backward_data_desc_init (&cd, dnnl_convolution_direct, &p->src_md, &wei_any,
                                                          &p->dst_md, strides, pad, pad));
      if (!prim_init (cb, &p->bwd_data, &cd, p->fwd.pd, error))
        return FALSE;
      qw = dnnl_primitive_desc_query_md (p->bwd_data.pd, dnnl_query_weights_md, 0);
      if (dnnl_memory_desc_equal (qw, &p->wei_user_md)) {
        p->bwd_wei = WEI_USER;
      } else if (dnnl_memory_desc_equal (qw, q)) {
        p->bwd_wei = WEI_FORWARD;
      } else {
        p->bwd_wei = WEI_SCRATCH;
        if (!reorder_init (cb, &p->wei_to_bwd, &p->wei_user_md, qw, error))
          return FALSE;
        p->wei_bwd_bytes = align_up (dnnl_memory_desc_get_size (qw));
      }
      if (!mem_new (cb, &p->wei_bwd, qw, error) || !mem_new (cb, &p->diff_src, &p->src_md, error))
        return FALSE;
      bwd_scratch_a = MAX (bwd_scratch_a, p->wei_bwd_bytes);
      bwd_scratch_b = MAX (bwd_scratch_b, MAX (p->bwd_data.scratch_bytes, p->wei_to_bwd.scratch_bytes));
    }
  }

  for (int i = 0; i < 5; i++)
    p->pub.out_dims[i] = (guint) ddims[i];
  p->pub.dst_layout = &p->dst_layout;
  p->pub.dst_bytes = dnnl_memory_desc_get_size (&p->dst_md);
  p->pub.workspace_bytes = p->wei_fwd_bytes;
  p->pub.scratch_bytes = MAX (fwd_scratch, bwd_scratch_a + bwd_scratch_b);
  p->pub.impl = prim_impl (&p->fwd);
  p->pub.impl_backward = !d->training ? NULL : p->sg.on ? "im2col-gemm" : prim_impl (&p->bwd_weights);
  return TRUE;
fail:
  return FALSE;
}

static gboolean
pool_plan_init (CpuBackend *cb, PoolPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->pub.desc;
  dnnl_pooling_v2_desc_t pd;
  dnnl_memory_desc_t src_md, dst_any;
  const dnnl_memory_desc_t *q;
  dnnl_dim_t ddims[5];
  dnnl_dims_t kernel = { d->kernel[0], d->kernel[1], d->kernel[2] };
  dnnl_dims_t zero = { 0, 0, 0 };

  if (!fvc_plan_desc_out_dims (d, ddims, error))
    return FALSE;
  desc_src_md (d, &src_md, error);
  if (!md_any (&dst_any, 5, ddims, error))
    return FALSE;
  DNNL_TRY (dnnl_pooling_v2_forward_desc_init (&pd, d->training ? dnnl_forward_training : dnnl_forward_inference,
                                               dnnl_pooling_max, &src_md, &dst_any, kernel, kernel, zero, zero,
                                               zero));
  if (!prim_init (cb, &p->fwd, &pd, NULL, error))
    return FALSE;
  p->dst_layout.md = *dnnl_primitive_desc_query_md (p->fwd.pd, dnnl_query_dst_md, 0);
  q = dnnl_primitive_desc_query_md (p->fwd.pd, dnnl_query_workspace_md, 0);
  p->ws_bytes = q ? dnnl_memory_desc_get_size (q) : 0;
  if (!mem_new (cb, &p->src, &src_md, error) || !mem_new (cb, &p->dst, &p->dst_layout.md, error))
    return FALSE;
  if (p->ws_bytes > 0 && !mem_new (cb, &p->ws, q, error))
    return FALSE;
  if (d->training) {
    DNNL_TRY (dnnl_pooling_v2_backward_desc_init (&pd, dnnl_pooling_max, &src_md, &p->dst_layout.md, kernel,
                                                  kernel, zero, zero, zero));
    if (!prim_init (cb, &p->bwd, &pd, p->fwd.pd, error))
      return FALSE;
    if (!mem_new (cb, &p->diff_dst, &p->dst_layout.md, error) || !mem_new (cb, &p->diff_src, &src_md, error))
      return FALSE;
  }
  for (int i = 0; i < 5; i++)
    p->pub.out_dims[i] = (guint) ddims[i];
  p->pub.dst_layout = &p->dst_layout;
  p->pub.dst_bytes = dnnl_memory_desc_get_size (&p->dst_layout.md);
  p->pub.workspace_bytes = align_up (p->ws_bytes);
  p->pub.scratch_bytes = MAX (p->fwd.scratch_bytes, p->bwd.scratch_bytes);
  p->pub.impl = prim_impl (&p->fwd);
  p->pub.impl_backward = d->training ? prim_impl (&p->bwd) : NULL;
  return TRUE;
fail:
  return FALSE;
}

/* Global average pooling = average pooling with the kernel the size of (T, H, W); its (N, C, 1,
 * 1, 1) result is reordered to plain (N, C) for the linear layer. Scratch: [ pooled | scratchpad ]. */
static gboolean
gap_plan_init (CpuBackend *cb, GapPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->pub.desc;
  dnnl_pooling_v2_desc_t pd;
  dnnl_memory_desc_t src_md, dst_any, plain_md;
  const dnnl_memory_desc_t *pooled_md;
  dnnl_dim_t ddims[5] = { d->n, d->c, 1, 1, 1 };
  dnnl_dims_t kernel = { d->t, d->h, d->w };
  dnnl_dims_t zero = { 0, 0, 0 };
  gsize sb;

  desc_src_md (d, &src_md, error);
  if (!md_any (&dst_any, 5, ddims, error) || !md_plain (&plain_md, 5, ddims, error))
    return FALSE;
  DNNL_TRY (dnnl_pooling_v2_forward_desc_init (&pd, d->training ? dnnl_forward_training : dnnl_forward_inference,
                                               dnnl_pooling_avg_exclude_padding, &src_md, &dst_any, kernel, kernel,
                                               zero, zero, zero));
  if (!prim_init (cb, &p->fwd, &pd, NULL, error))
    return FALSE;
  pooled_md = dnnl_primitive_desc_query_md (p->fwd.pd, dnnl_query_dst_md, 0);
  p->pooled_bytes = align_up (dnnl_memory_desc_get_size (pooled_md));
  if (!reorder_init (cb, &p->out_to_plain, pooled_md, &plain_md, error))
    return FALSE;
  if (!mem_new (cb, &p->src, &src_md, error) || !mem_new (cb, &p->pooled, pooled_md, error) ||
      !mem_new (cb, &p->plain, &plain_md, error))
    return FALSE;
  sb = MAX (p->fwd.scratch_bytes, p->out_to_plain.scratch_bytes);
  if (d->training) {
    DNNL_TRY (dnnl_pooling_v2_backward_desc_init (&pd, dnnl_pooling_avg_exclude_padding, &src_md, pooled_md,
                                                  kernel, kernel, zero, zero, zero));
    if (!prim_init (cb, &p->bwd, &pd, p->fwd.pd, error) ||
        !reorder_init (cb, &p->plain_to_out, &plain_md, pooled_md, error))
      return FALSE;
    if (!mem_new (cb, &p->diff_src, &src_md, error))
      return FALSE;
    sb = MAX (sb, MAX (p->bwd.scratch_bytes, p->plain_to_out.scratch_bytes));
  }
  p->pub.out_dims[0] = d->n;
  p->pub.out_dims[1] = d->c;
  p->pub.out_dims[2] = p->pub.out_dims[3] = p->pub.out_dims[4] = 1;
  p->pub.dst_layout = NULL;
  p->pub.dst_bytes = (gsize) d->n * d->c * sizeof (float);
  p->pub.workspace_bytes = 0;
  p->pub.scratch_bytes = p->pooled_bytes + sb;
  p->pub.impl = prim_impl (&p->fwd);
  p->pub.impl_backward = d->training ? prim_impl (&p->bwd) : NULL;
  return TRUE;
fail:
  return FALSE;
}

static FvcPlan *
cpu_plan_new (FvcBackend *be, const FvcPlanDesc *desc, GError **error)
{
  CpuBackend *cb = CPU (be);
  FvcPlan *plan = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (desc->n > 0 && desc->c > 0 && desc->t > 0 && desc->h > 0 && desc->w > 0, NULL);
  switch (desc->kind) {
  case FVC_OP_CONV3D:
    plan = (FvcPlan *) g_new0 (ConvPlan, 1);
    plan->desc = *desc;
    ok = conv_plan_init (cb, (ConvPlan *) plan, error);
    break;
  case FVC_OP_MAXPOOL3D:
    plan = (FvcPlan *) g_new0 (PoolPlan, 1);
    plan->desc = *desc;
    ok = pool_plan_init (cb, (PoolPlan *) plan, error);
    break;
  case FVC_OP_AVGPOOL_GLOBAL:
    plan = (FvcPlan *) g_new0 (GapPlan, 1);
    plan->desc = *desc;
    ok = gap_plan_init (cb, (GapPlan *) plan, error);
    break;
  }
  /* The plan copies the input layout: the producer's plan may be freed first. */
  if (!ok) {
    cpu_plan_free (be, plan);
    return NULL;
  }
  be->stats.n_plans++;
  return plan;
}

/* ---- memory ------------------------------------------------------------------------------- */

static gpointer
cpu_alloc (FvcBackend *be, gsize bytes, GError **error)
{
  gsize size = align_up (MAX (bytes, 1));
  gpointer p = NULL;

  if (posix_memalign (&p, FVC_ARENA_ALIGN, size) != 0 || p == NULL) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "cannot allocate %" G_GSIZE_FORMAT " bytes of host memory",
                 bytes);
    return NULL;
  }
  memset (p, 0, size);
  g_hash_table_insert (CPU (be)->sizes, p, GSIZE_TO_POINTER (size));
  be->stats.n_allocs++;
  be->stats.bytes_in_use += size;
  be->stats.peak_bytes = MAX (be->stats.peak_bytes, be->stats.bytes_in_use);
  return p;
}

static void
cpu_free (FvcBackend *be, gpointer ptr)
{
  if (ptr == NULL)
    return;
  be->stats.n_frees++;
  be->stats.bytes_in_use -= GPOINTER_TO_SIZE (g_hash_table_lookup (CPU (be)->sizes, ptr));
  g_hash_table_remove (CPU (be)->sizes, ptr);
  free (ptr);
}

static gboolean
cpu_copy (FvcBackend *be, gpointer dst, gconstpointer src, gsize bytes, GError **error)
{
  memcpy (dst, src, bytes);
  return TRUE;
}

static gboolean
cpu_memset_zero (FvcBackend *be, gpointer dst, gsize bytes, GError **error)
{
  memset (dst, 0, bytes);
  return TRUE;
}

static gboolean
cpu_synchronize (FvcBackend *be, GError **error)
{
  return TRUE;
}

static void
cpu_bind_scratch (FvcBackend *be, gpointer scratch, gsize bytes)
{
  CPU (be)->scratch = scratch;
  CPU (be)->scratch_bytes = bytes;
}

static gboolean
tensor_md (const FvcTensor *t, dnnl_memory_desc_t *md, GError **error)
{
  dnnl_dim_t dims[FVC_TENSOR_MAX_DIMS];
  for (guint i = 0; i < t->n_dims; i++)
    dims[i] = t->shape[i];
  if (t->layout != NULL) {
    *md = t->layout->md;
    return TRUE;
  }
  return md_plain (md, t->n_dims, dims, error);
}

/* Layout conversions are for tests and inspection, not for the step: they make a reorder. */
static gboolean
convert (CpuBackend *cb, const FvcTensor *t, gconstpointer src, gpointer dst, gboolean to_plain, GError **error)
{
  dnnl_memory_desc_t tmd, pmd;
  dnnl_dim_t dims[FVC_TENSOR_MAX_DIMS];
  dnnl_memory_t ms = NULL, md = NULL;
  Prim r = { 0 };
  dnnl_exec_arg_t args[3];
  gpointer scratch = NULL;
  gboolean ok = FALSE;
  guint8 *saved = cb->scratch;
  gsize saved_bytes = cb->scratch_bytes;

  if (t->layout == NULL) {
    memcpy (dst, src, t->numel * sizeof (float));
    return TRUE;
  }
  for (guint i = 0; i < t->n_dims; i++)
    dims[i] = t->shape[i];
  if (!tensor_md (t, &tmd, error) || !md_plain (&pmd, t->n_dims, dims, error))
    return FALSE;
  if (!reorder_init (cb, &r, to_plain ? &tmd : &pmd, to_plain ? &pmd : &tmd, error))
    goto out;
  if (r.scratch_bytes > 0) {
    scratch = g_malloc0 (r.scratch_bytes);
    cb->scratch = scratch;
    cb->scratch_bytes = r.scratch_bytes;
  }
  if (!mem_new (cb, &ms, to_plain ? &tmd : &pmd, error) || !mem_new (cb, &md, to_plain ? &pmd : &tmd, error) ||
      !mem_bind (ms, src, error) || !mem_bind (md, dst, error))
    goto out;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, ms };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, md };
  ok = prim_run (cb, &r, 0, 2, args, error);
out:
  cb->scratch = saved;
  cb->scratch_bytes = saved_bytes;
  g_free (scratch);
  mem_clear (&ms);
  mem_clear (&md);
  prim_clear (&r);
  return ok;
}

static gboolean
cpu_to_plain (FvcBackend *be, const FvcTensor *src, gpointer dst_plain, GError **error)
{
  return convert (CPU (be), src, src->data, dst_plain, TRUE, error);
}

static gboolean
cpu_from_plain (FvcBackend *be, gconstpointer src_plain, FvcTensor *dst, GError **error)
{
  return convert (CPU (be), dst, src_plain, dst->data, FALSE, error);
}

/* ---- operations --------------------------------------------------------------------------- */

/* u8 (N, T, H, W, 3) -> out (N, 3, T, H, W) plain: one pass, one table lookup per byte. */
static gboolean
cpu_normalize_input (FvcBackend *be, const FvcTensor *u8, FvcTensor *out, GError **error)
{
  CpuBackend *cb = CPU (be);
  const gint64 n = u8->shape[0], t = u8->shape[1], hw = u8->shape[2] * u8->shape[3];
  const guint8 *src = u8->data;
  float *dst = out->data;

  g_return_val_if_fail (u8->shape[4] == 3 && out->numel == u8->numel, FALSE);
#pragma omp parallel for collapse(2) schedule(static)
  for (gint64 i = 0; i < n; i++) {
    for (gint64 k = 0; k < t; k++) {
      const guint8 *s = src + ((i * t + k) * hw) * 3;
      float *d0 = dst + ((i * 3 + 0) * t + k) * hw;
      float *d1 = dst + ((i * 3 + 1) * t + k) * hw;
      float *d2 = dst + ((i * 3 + 2) * t + k) * hw;
      for (gint64 p = 0; p < hw; p++) {
        d0[p] = cb->norm_lut[0][s[3 * p + 0]];
        d1[p] = cb->norm_lut[1][s[3 * p + 1]];
        d2[p] = cb->norm_lut[2][s[3 * p + 2]];
      }
    }
  }
  return TRUE;
}

static gboolean
cpu_conv3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                    const FvcTensor *b, FvcTensor *y, FvcTensor *workspace, GError **error)
{
  CpuBackend *cb = CPU (be);
  const ConvPlan *p = (const ConvPlan *) plan;
  dnnl_exec_arg_t args[6];
  gconstpointer wei = w->data;

  if (p->wei_to_fwd.prim != NULL) {
    g_return_val_if_fail (workspace != NULL && workspace->nbytes >= p->wei_fwd_bytes, FALSE);
    if (!mem_bind (p->wei_user, w->data, error) || !mem_bind (p->wei_fwd, workspace->data, error))
      return FALSE;
    args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, p->wei_user };
    args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, p->wei_fwd };
    if (!prim_run (cb, &p->wei_to_fwd, 0, 2, args, error))
      return FALSE;
    wei = workspace->data;
  }
  if (!mem_bind (p->src, x->data, error) || !mem_bind (p->wei_fwd, wei, error) ||
      !mem_bind (p->bias, b->data, error) || !mem_bind (p->dst, y->data, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, p->src };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_WEIGHTS, p->wei_fwd };
  args[2] = (dnnl_exec_arg_t) { DNNL_ARG_BIAS, p->bias };
  args[3] = (dnnl_exec_arg_t) { DNNL_ARG_DST, p->dst };
  return prim_run (cb, &p->fwd, 0, 4, args, error);
}

static gboolean
cpu_conv3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                     const FvcTensor *dy, FvcTensor *dx, FvcTensor *dw, FvcTensor *db, FvcTensor *workspace,
                     GError **error)
{
  CpuBackend *cb = CPU (be);
  const ConvPlan *p = (const ConvPlan *) plan;
  dnnl_exec_arg_t args[6];
  gsize off_b;

  g_return_val_if_fail (p->bwd_weights.prim != NULL || p->sg.on, FALSE);
  if (dx != NULL) {
    gconstpointer wei;

    g_return_val_if_fail (p->bwd_data.prim != NULL, FALSE);
    off_b = p->wei_bwd_bytes;
    switch (p->bwd_wei) {
    case WEI_SCRATCH:
      if (!mem_bind (p->wei_user, w->data, error) || !mem_bind (p->wei_bwd, cb->scratch, error))
        return FALSE;
      args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, p->wei_user };
      args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, p->wei_bwd };
      if (!prim_run (cb, &p->wei_to_bwd, off_b, 2, args, error))
        return FALSE;
      wei = cb->scratch;
      break;
    case WEI_FORWARD:
      wei = workspace->data;   /* reordered by the forward of this step */
      break;
    case WEI_USER:
    default:
      wei = w->data;
      break;
    }
    if (!mem_bind (p->diff_dst, dy->data, error) || !mem_bind (p->wei_bwd, wei, error) ||
        !mem_bind (p->diff_src, dx->data, error))
      return FALSE;
    args[0] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_DST, p->diff_dst };
    args[1] = (dnnl_exec_arg_t) { DNNL_ARG_WEIGHTS, p->wei_bwd };
    args[2] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_SRC, p->diff_src };
    if (!prim_run (cb, &p->bwd_data, off_b, 3, args, error))
      return FALSE;
  }

  if (p->sg.on)
    return shift_gemm_backward (cb, p, x, dy, dw, db, error);
  off_b = p->dwei_bytes;
  if (!mem_bind (p->src, x->data, error) || !mem_bind (p->diff_dst, dy->data, error) ||
      !mem_bind (p->dwei, p->dwei_to_user.prim ? (gpointer) cb->scratch : dw->data, error) ||
      !mem_bind (p->dbias, db->data, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, p->src };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_DST, p->diff_dst };
  args[2] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_WEIGHTS, p->dwei };
  args[3] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_BIAS, p->dbias };
  if (!prim_run (cb, &p->bwd_weights, off_b, 4, args, error))
    return FALSE;
  if (p->dwei_to_user.prim != NULL) {
    if (!mem_bind (p->dwei_user, dw->data, error))
      return FALSE;
    args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, p->dwei };
    args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, p->dwei_user };
    if (!prim_run (cb, &p->dwei_to_user, off_b, 2, args, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
cpu_relu_forward (FvcBackend *be, const FvcTensor *x, FvcTensor *y, GError **error)
{
  const float *a = x->data;
  float *b = y->data;
  const gint64 n = x->nbytes / sizeof (float);

#pragma omp parallel for simd schedule(static)
  for (gint64 i = 0; i < n; i++)
    b[i] = a[i] > 0.f ? a[i] : 0.f;
  return TRUE;
}

/* dx = dy where y > 0, else 0 (PyTorch's threshold_backward: the gradient at 0 is 0). */
static gboolean
cpu_relu_backward (FvcBackend *be, const FvcTensor *y, const FvcTensor *dy, FvcTensor *dx, GError **error)
{
  const float *a = y->data, *g = dy->data;
  float *o = dx->data;
  const gint64 n = y->nbytes / sizeof (float);

#pragma omp parallel for simd schedule(static)
  for (gint64 i = 0; i < n; i++)
    o[i] = a[i] > 0.f ? g[i] : 0.f;
  return TRUE;
}

static gboolean
cpu_maxpool3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y,
                       FvcTensor *workspace, GError **error)
{
  const PoolPlan *p = (const PoolPlan *) plan;
  dnnl_exec_arg_t args[4];
  int n = 2;

  if (!mem_bind (p->src, x->data, error) || !mem_bind (p->dst, y->data, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, p->src };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_DST, p->dst };
  if (p->ws != NULL) {
    g_return_val_if_fail (workspace != NULL && workspace->nbytes >= p->ws_bytes, FALSE);
    if (!mem_bind (p->ws, workspace->data, error))
      return FALSE;
    args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_WORKSPACE, p->ws };
  }
  return prim_run (CPU (be), &p->fwd, 0, n, args, error);
}

static gboolean
cpu_maxpool3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *y,
                        const FvcTensor *dy, FvcTensor *dx, FvcTensor *workspace, GError **error)
{
  const PoolPlan *p = (const PoolPlan *) plan;
  dnnl_exec_arg_t args[4];
  int n = 2;

  g_return_val_if_fail (p->bwd.prim != NULL, FALSE);
  if (!mem_bind (p->diff_dst, dy->data, error) || !mem_bind (p->diff_src, dx->data, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_DST, p->diff_dst };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_SRC, p->diff_src };
  if (p->ws != NULL) {
    if (!mem_bind (p->ws, workspace->data, error))
      return FALSE;
    args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_WORKSPACE, p->ws };
  }
  return prim_run (CPU (be), &p->bwd, 0, n, args, error);
}

static gboolean
cpu_avgpool_global_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y,
                            GError **error)
{
  CpuBackend *cb = CPU (be);
  const GapPlan *p = (const GapPlan *) plan;
  dnnl_exec_arg_t args[3];

  if (!mem_bind (p->src, x->data, error) || !mem_bind (p->pooled, cb->scratch, error) ||
      !mem_bind (p->plain, y->data, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, p->src };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_DST, p->pooled };
  if (!prim_run (cb, &p->fwd, p->pooled_bytes, 2, args, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, p->pooled };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, p->plain };
  return prim_run (cb, &p->out_to_plain, p->pooled_bytes, 2, args, error);
}

static gboolean
cpu_avgpool_global_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *dy, FvcTensor *dx,
                             GError **error)
{
  CpuBackend *cb = CPU (be);
  const GapPlan *p = (const GapPlan *) plan;
  dnnl_exec_arg_t args[3];

  g_return_val_if_fail (p->bwd.prim != NULL, FALSE);
  if (!mem_bind (p->plain, dy->data, error) || !mem_bind (p->pooled, cb->scratch, error) ||
      !mem_bind (p->diff_src, dx->data, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_FROM, p->plain };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_TO, p->pooled };
  if (!prim_run (cb, &p->plain_to_out, p->pooled_bytes, 2, args, error))
    return FALSE;
  args[0] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_DST, p->pooled };
  args[1] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_SRC, p->diff_src };
  return prim_run (cb, &p->bwd, p->pooled_bytes, 2, args, error);
}

static gboolean
sgemm (char ta, char tb, gint64 m, gint64 n, gint64 k, const float *a, gint64 lda, const float *b, gint64 ldb,
       float *c, gint64 ldc, GError **error)
{
  DNNL_TRY (dnnl_sgemm (ta, tb, m, n, k, 1.f, a, lda, b, ldb, 0.f, c, ldc));
  return TRUE;
fail:
  return FALSE;
}

/* x (N, K), w (O, K), b (O) -> y (N, O) = x w^T + b */
static gboolean
cpu_linear_forward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *b,
                    FvcTensor *y, GError **error)
{
  const gint64 n = x->shape[0], k = x->numel / x->shape[0], o = w->shape[0];
  float *out = y->data;
  const float *bias = b->data;

  g_return_val_if_fail (w->numel == (gsize) (o * k) && y->numel == (gsize) (n * o), FALSE);
  if (!sgemm ('N', 'T', n, o, k, x->data, k, w->data, k, out, o, error))
    return FALSE;
  for (gint64 i = 0; i < n; i++)
    for (gint64 j = 0; j < o; j++)
      out[i * o + j] += bias[j];
  return TRUE;
}

/* dw (O, K) = dy^T x, db (O) = sum_n dy, dx (N, K) = dy w */
static gboolean
cpu_linear_backward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *dy,
                     FvcTensor *dx, FvcTensor *dw, FvcTensor *db, GError **error)
{
  const gint64 n = x->shape[0], k = x->numel / x->shape[0], o = w->shape[0];
  const float *g = dy->data;
  float *gb = db->data;

  if (!sgemm ('T', 'N', o, k, n, g, o, x->data, k, dw->data, k, error))
    return FALSE;
  for (gint64 j = 0; j < o; j++) {
    float s = 0.f;
    for (gint64 i = 0; i < n; i++)
      s += g[i * o + j];
    gb[j] = s;
  }
  if (dx != NULL && !sgemm ('N', 'N', n, k, o, g, o, w->data, k, dx->data, k, error))
    return FALSE;
  return TRUE;
}

/* PyTorch's binary_cross_entropy_with_logits, per sample:
 *   loss = (1 - y) x + log(1 + exp(-x))  computed as  max(x, 0) - x y + log1p(exp(-|x|)) */
static gboolean
cpu_bce_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, FvcTensor *losses,
                 GError **error)
{
  const float *x = logits->data, *y = targets->data;
  float *l = losses->data;
  for (gsize i = 0; i < logits->numel; i++)
    l[i] = fmaxf (x[i], 0.f) - x[i] * y[i] + log1pf (expf (-fabsf (x[i])));
  return TRUE;
}

/* dL/dx = scale * (sigmoid(x) - y) */
static gboolean
cpu_bce_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                  FvcTensor *dlogits, GError **error)
{
  const float *x = logits->data, *y = targets->data;
  float *d = dlogits->data;
  for (gsize i = 0; i < logits->numel; i++)
    d[i] = scale * (1.f / (1.f + expf (-x[i])) - y[i]);
  return TRUE;
}

/* Targets 0/1 become s = 2y - 1 = -1/+1; loss = max(0, 1 - s x), as torch.clamp(1 - s*x, min=0). */
static gboolean
cpu_hinge_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, FvcTensor *losses,
                   GError **error)
{
  const float *x = logits->data, *y = targets->data;
  float *l = losses->data;
  for (gsize i = 0; i < logits->numel; i++)
    l[i] = fmaxf (1.f - (2.f * y[i] - 1.f) * x[i], 0.f);
  return TRUE;
}

/* clamp's gradient passes where its input >= min: dL/dx = -s * scale where 1 - s x >= 0. */
static gboolean
cpu_hinge_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                    FvcTensor *dlogits, GError **error)
{
  const float *x = logits->data, *y = targets->data;
  float *d = dlogits->data;
  for (gsize i = 0; i < logits->numel; i++) {
    float s = 2.f * y[i] - 1.f;
    d[i] = 1.f - s * x[i] >= 0.f ? -s * scale : 0.f;
  }
  return TRUE;
}

static gboolean
cpu_accumulate (FvcBackend *be, gpointer dst, gconstpointer src, gsize n, GError **error)
{
  float *d = dst;
  const float *s = src;
#pragma omp parallel for simd schedule(static)
  for (gint64 i = 0; i < (gint64) n; i++)
    d[i] += s[i];
  return TRUE;
}

/* The operation order follows torch/optim/adamw.py (_single_tensor_adamw), each operation
 * rounded to float as PyTorch's CPU kernels do. */
static gboolean
cpu_adamw_step (FvcBackend *be, gpointer param, gconstpointer grad, gpointer m, gpointer v, gsize n,
                const FvcAdamWUpdate *u, GError **error)
{
  float *p = param, *ma = m, *va = v;
  const float *g = grad;
  const FvcAdamWUpdate c = *u;

#pragma omp parallel for simd schedule(static)
  for (gint64 i = 0; i < (gint64) n; i++) {
    float pi = p[i] * c.decay;
    float mi = ma[i] * c.beta1 + c.one_minus_beta1 * g[i];
    float vi = va[i] * c.beta2 + c.one_minus_beta2 * g[i] * g[i];    /* addcmul: value * t1 * t2 */
    float denom = sqrtf (vi) / c.bias_correction2_sqrt + c.eps;
    ma[i] = mi;
    va[i] = vi;
    p[i] = pi - c.step_size * mi / denom;                              /* addcdiv: value * t1 / t2 */
  }
  return TRUE;
}

/* ---- construction ------------------------------------------------------------------------- */

static void
cpu_destroy (FvcBackend *be)
{
  CpuBackend *cb = CPU (be);
  if (cb->stream)
    dnnl_stream_destroy (cb->stream);
  if (cb->engine)
    dnnl_engine_destroy (cb->engine);
  g_hash_table_unref (cb->sizes);
  g_free (cb);
}

FvcBackend *
fvc_backend_cpu_new (GError **error)
{
  static const float mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float std[3] = { 0.229f, 0.224f, 0.225f };
  CpuBackend *cb = g_new0 (CpuBackend, 1);
  FvcBackend *be = &cb->parent;

  cb->sizes = g_hash_table_new (NULL, NULL);
  be->name = "cpu";
  be->device = FVC_DEVICE_CPU;
  be->host_visible = TRUE;
  be->destroy = cpu_destroy;
  be->alloc = cpu_alloc;
  be->free = cpu_free;
  be->alloc_host = cpu_alloc;
  be->free_host = cpu_free;
  be->copy_h2d = cpu_copy;
  be->copy_d2h = cpu_copy;
  be->memset_zero = cpu_memset_zero;
  be->synchronize = cpu_synchronize;
  be->bind_scratch = cpu_bind_scratch;
  be->to_plain = cpu_to_plain;
  be->from_plain = cpu_from_plain;
  be->plan_new = cpu_plan_new;
  be->plan_free = cpu_plan_free;
  be->normalize_input = cpu_normalize_input;
  be->conv3d_forward = cpu_conv3d_forward;
  be->conv3d_backward = cpu_conv3d_backward;
  be->relu_forward = cpu_relu_forward;
  be->relu_backward = cpu_relu_backward;
  be->maxpool3d_forward = cpu_maxpool3d_forward;
  be->maxpool3d_backward = cpu_maxpool3d_backward;
  be->avgpool_global_forward = cpu_avgpool_global_forward;
  be->avgpool_global_backward = cpu_avgpool_global_backward;
  be->linear_forward = cpu_linear_forward;
  be->linear_backward = cpu_linear_backward;
  be->bce_forward = cpu_bce_forward;
  be->bce_backward = cpu_bce_backward;
  be->hinge_forward = cpu_hinge_forward;
  be->hinge_backward = cpu_hinge_backward;
  be->accumulate = cpu_accumulate;
  be->adamw_step = cpu_adamw_step;

  /* x.float() / 255, then (x - mean) / std, each rounded to float like PyTorch's ops. */
  for (int c = 0; c < 3; c++) {
    for (int v = 0; v < 256; v++) {
      volatile float x = (float) v / 255.f;
      volatile float d = x - mean[c];
      cb->norm_lut[c][v] = d / std[c];
    }
  }
  DNNL_TRY (dnnl_engine_create (&cb->engine, dnnl_cpu, 0));
  DNNL_TRY (dnnl_stream_create (&cb->stream, cb->engine, dnnl_stream_default_flags));
  return be;
fail:
  cpu_destroy (be);
  return NULL;
}
