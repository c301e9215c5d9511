/* fvc-cudnn.c — the only file that includes cudnn.h: 3D convolutions and max pooling through
 * cuDNN 9's legacy API (tensor/filter/convolution/pooling descriptors), algorithm choice with a
 * probe run, and cuDNN's status texts. See fvc-cudnn.h for the contract.
 * Not here: bias, activation and layout kernels (fvc-cuda-*.cu), the backend (fvc-backend-cuda.c).
 */
#include "config.h"

#include <cudnn.h>

#include "fvc-cuda-check.h"
#include "fvc-cudnn.h"
#include "fvc-error.h"

#include <string.h>

/* The legacy API is deprecated in cuDNN 9 but complete for what we need, and works from 9.0 on. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

const char *
fvc_cudnn_status_name (int status)
{
  return cudnnGetErrorString ((cudnnStatus_t) status);
}

/* The detail of the last failure (cuDNN >= 9.0), per thread. */
const char *
fvc_cudnn_status_detail (void)
{
  static __thread char detail[512];

  detail[0] = '\0';
  cudnnGetLastErrorString (detail, sizeof detail);
  return detail[0] ? detail : "no detail";
}

struct _FvcCudnn {
  cudnnHandle_t handle;
  cudaStream_t stream;
};

FvcCudnn *
fvc_cudnn_new (cudaStream_t stream, GError **error)
{
  FvcCudnn *dnn = g_new0 (FvcCudnn, 1);

  dnn->stream = stream;
  FVC_CU_TRY (cudnnCreate (&dnn->handle));
  FVC_CU_TRY (cudnnSetStream (dnn->handle, stream));
  return dnn;
fail:
  fvc_cudnn_free (dnn);
  return NULL;
}

void
fvc_cudnn_free (FvcCudnn *dnn)
{
  if (dnn == NULL)
    return;
  if (dnn->handle)
    cudnnDestroy (dnn->handle);
  g_free (dnn);
}

const char *
fvc_cudnn_version_string (void)
{
  static char buf[32];
  size_t v = cudnnGetVersion ();

  g_snprintf (buf, sizeof buf, "%u.%u.%u", (unsigned) (v / 10000), (unsigned) (v % 10000 / 100),
              (unsigned) (v % 100));
  return buf;
}

static cudnnDataType_t
data_type (FvcCudnnType t)
{
  return t == FVC_CUDNN_BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
}

static gsize
type_size (FvcCudnnType t)
{
  return t == FVC_CUDNN_BF16 ? 2 : 4;
}

/* A 5D tensor descriptor (n, c, t, h, w) in @order. */
static gboolean
tensor_desc (cudnnTensorDescriptor_t *d, FvcCudnnType type, FvcCudnnOrder order, const int *dims, GError **error)
{
  int strides[5];
  const int n = dims[0], c = dims[1], t = dims[2], h = dims[3], w = dims[4];

  (void) n;
  if (order == FVC_CUDNN_NCDHW) {
    strides[4] = 1;
    strides[3] = w;
    strides[2] = h * w;
    strides[1] = t * h * w;
    strides[0] = c * t * h * w;
  } else {
    strides[1] = 1;
    strides[4] = c;
    strides[3] = w * c;
    strides[2] = h * w * c;
    strides[0] = t * h * w * c;
  }
  FVC_CU_TRY (cudnnCreateTensorDescriptor (d));
  FVC_CU_TRY (cudnnSetTensorNdDescriptor (*d, data_type (type), 5, dims, strides));
  return TRUE;
fail:
  return FALSE;
}

/* ---- convolutions ------------------------------------------------------------------------- */

static const char *const fwd_names[] = { "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT",
                                         "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED" };
static const char *const bwd_data_names[] = { "ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD",
                                              "WINOGRAD_NONFUSED" };
static const char *const bwd_filter_names[] = { "ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD",
                                                "WINOGRAD_NONFUSED", "FFT_TILING" };

static const char *
algo_name (const char *const *names, guint n, int algo)
{
  return algo >= 0 && (guint) algo < n ? names[algo] : "?";
}

static const char *
math_name (cudnnMathType_t m)
{
  switch (m) {
  case CUDNN_TENSOR_OP_MATH:
  case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
    return "tensor";
  case CUDNN_FMA_MATH:
    return "fma";
  default:
    return "default";
  }
}

enum { DIR_FWD, DIR_BWD_DATA, DIR_BWD_FILTER, N_DIRS };

struct _FvcCudnnConv {
  FvcCudnn *dnn;
  FvcCudnnConvDesc d;
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv[N_DIRS];   /* one per direction: each has its math type */
  int algo[N_DIRS];
  gsize ws[N_DIRS];
  gboolean have[N_DIRS];
  int relaxed[N_DIRS];       /* see acceptable() */
  char describe[200];
};

/* One candidate of any direction, as cuDNN's three perf structs share these fields. */
typedef struct {
  int algo;
  cudnnStatus_t status;
  gsize memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t math;
} Candidate;

#define MAX_CANDIDATES 16

/* Scratch buffers of the real shape for probing and timing (freed after the choice). */
typedef struct {
  void *x, *w, *y, *ws;
  gsize ws_bytes;
} Probe;

static void
probe_clear (Probe *p)
{
  cudaFree (p->x);
  cudaFree (p->w);
  cudaFree (p->y);
  cudaFree (p->ws);
  memset (p, 0, sizeof *p);
}

static gsize
conv_bytes (const FvcCudnnConv *c, int which, const int *ydims)
{
  const FvcCudnnConvDesc *d = &c->d;
  gsize e = type_size (d->type);
  switch (which) {
  case 0:
    return e * d->n * d->c * d->t * d->h * d->w;
  case 1:
    return e * d->o * d->c * d->k[0] * d->k[1] * d->k[2];
  default:
    return e * (gsize) ydims[0] * ydims[1] * ydims[2] * ydims[3] * ydims[4];
  }
}

static gboolean
probe_alloc (Probe *p, const FvcCudnnConv *c, const int *ydims, gsize ws_bytes, GError **error)
{
  FVC_CU_TRY (cudaMalloc (&p->x, conv_bytes (c, 0, ydims)));
  FVC_CU_TRY (cudaMalloc (&p->w, conv_bytes (c, 1, ydims)));
  FVC_CU_TRY (cudaMalloc (&p->y, conv_bytes (c, 2, ydims)));
  /* Defined inputs: zeros are fine for checking that an algorithm runs (not for timing it
   * finely, which only the find mode does). */
  FVC_CU_TRY (cudaMemset (p->x, 0, conv_bytes (c, 0, ydims)));
  FVC_CU_TRY (cudaMemset (p->w, 0, conv_bytes (c, 1, ydims)));
  FVC_CU_TRY (cudaMemset (p->y, 0, conv_bytes (c, 2, ydims)));
  p->ws_bytes = ws_bytes;
  if (ws_bytes > 0)
    FVC_CU_TRY (cudaMalloc (&p->ws, ws_bytes));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
run_dir (FvcCudnnConv *c, int dir, int algo, const void *a, const void *b, void *out, void *ws, gsize ws_bytes,
         GError **error)
{
  const float one = 1.f, zero = 0.f;
  cudnnHandle_t h = c->dnn->handle;

  switch (dir) {
  case DIR_FWD:
    FVC_CU_TRY (cudnnConvolutionForward (h, &one, c->x, a, c->w, b, c->conv[DIR_FWD], algo, ws, ws_bytes, &zero, c->y,
                                         out));
    break;
  case DIR_BWD_DATA:
    FVC_CU_TRY (cudnnConvolutionBackwardData (h, &one, c->w, b, c->y, a, c->conv[DIR_BWD_DATA], algo, ws, ws_bytes,
                                              &zero, c->x, out));
    break;
  default:
    FVC_CU_TRY (cudnnConvolutionBackwardFilter (h, &one, c->x, a, c->y, b, c->conv[DIR_BWD_FILTER], algo, ws,
                                                ws_bytes, &zero, c->w, out));
    break;
  }
  return TRUE;
fail:
  return FALSE;
}

/* Candidates for @dir from the heuristics (or from timing, with find), best first. */
static gboolean
candidates (FvcCudnnConv *c, int dir, Probe *probe, Candidate *out, int *n_out, GError **error)
{
  cudnnHandle_t h = c->dnn->handle;
  int max = 0, got = 0;

  *n_out = 0;
  switch (dir) {
  case DIR_FWD: {
    cudnnConvolutionFwdAlgoPerf_t perf[MAX_CANDIDATES];
    FVC_CU_TRY (cudnnGetConvolutionForwardAlgorithmMaxCount (h, &max));
    max = MIN (max, MAX_CANDIDATES);
    if (probe != NULL)
      FVC_CU_TRY (cudnnFindConvolutionForwardAlgorithmEx (h, c->x, probe->x, c->w, probe->w, c->conv[dir], c->y,
                                                          probe->y, max, &got, perf, probe->ws, probe->ws_bytes));
    else
      FVC_CU_TRY (cudnnGetConvolutionForwardAlgorithm_v7 (h, c->x, c->w, c->conv[dir], c->y, max, &got, perf));
    for (int i = 0; i < got; i++)
      out[i] = (Candidate) { perf[i].algo, perf[i].status, perf[i].memory, perf[i].determinism, perf[i].mathType };
    break;
  }
  case DIR_BWD_DATA: {
    cudnnConvolutionBwdDataAlgoPerf_t perf[MAX_CANDIDATES];
    FVC_CU_TRY (cudnnGetConvolutionBackwardDataAlgorithmMaxCount (h, &max));
    max = MIN (max, MAX_CANDIDATES);
    if (probe != NULL)
      FVC_CU_TRY (cudnnFindConvolutionBackwardDataAlgorithmEx (h, c->w, probe->w, c->y, probe->y, c->conv[dir], c->x,
                                                               probe->x, max, &got, perf, probe->ws,
                                                               probe->ws_bytes));
    else
      FVC_CU_TRY (cudnnGetConvolutionBackwardDataAlgorithm_v7 (h, c->w, c->y, c->conv[dir], c->x, max, &got, perf));
    for (int i = 0; i < got; i++)
      out[i] = (Candidate) { perf[i].algo, perf[i].status, perf[i].memory, perf[i].determinism, perf[i].mathType };
    break;
  }
  default: {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[MAX_CANDIDATES];
    FVC_CU_TRY (cudnnGetConvolutionBackwardFilterAlgorithmMaxCount (h, &max));
    max = MIN (max, MAX_CANDIDATES);
    if (probe != NULL)
      FVC_CU_TRY (cudnnFindConvolutionBackwardFilterAlgorithmEx (h, c->x, probe->x, c->y, probe->y, c->conv[dir],
                                                                 c->w, probe->w, max, &got, perf, probe->ws,
                                                                 probe->ws_bytes));
    else
      FVC_CU_TRY (cudnnGetConvolutionBackwardFilterAlgorithm_v7 (h, c->x, c->y, c->conv[dir], c->w, max, &got,
                                                                 perf));
    for (int i = 0; i < got; i++)
      out[i] = (Candidate) { perf[i].algo, perf[i].status, perf[i].memory, perf[i].determinism, perf[i].mathType };
    break;
  }
  }
  *n_out = got;
  return TRUE;
fail:
  return FALSE;
}

static gboolean
workspace_size (FvcCudnnConv *c, int dir, int algo, gsize *bytes, GError **error)
{
  cudnnHandle_t h = c->dnn->handle;
  size_t s = 0;

  switch (dir) {
  case DIR_FWD:
    FVC_CU_TRY (cudnnGetConvolutionForwardWorkspaceSize (h, c->x, c->w, c->conv[dir], c->y, algo, &s));
    break;
  case DIR_BWD_DATA:
    FVC_CU_TRY (cudnnGetConvolutionBackwardDataWorkspaceSize (h, c->w, c->y, c->conv[dir], c->x, algo, &s));
    break;
  default:
    FVC_CU_TRY (cudnnGetConvolutionBackwardFilterWorkspaceSize (h, c->x, c->y, c->conv[dir], c->w, algo, &s));
    break;
  }
  *bytes = s;
  return TRUE;
fail:
  return FALSE;
}

/* Keeps a candidate that is supported, within the workspace limit, deterministic (backward), and
 * for strict float32 not on tensor cores. Should none qualify, @relax 1 accepts nondeterministic
 * backward algorithms and @relax 2 also tensor-core (TF32) ones for float32, said in the plan's
 * description: a working convolution rather than none. */
static gboolean
acceptable (const FvcCudnnConv *c, int dir, const Candidate *k, int relax)
{
  if (k->status != CUDNN_STATUS_SUCCESS || k->memory > c->d.workspace_limit)
    return FALSE;
  if (relax < 1 && dir != DIR_FWD && k->determinism != CUDNN_DETERMINISTIC)
    return FALSE;
  if (relax < 2 && c->d.type == FVC_CUDNN_F32 && !c->d.tf32 &&
      (k->math == CUDNN_TENSOR_OP_MATH || k->math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))
    return FALSE;
  return TRUE;
}

static gboolean
choose (FvcCudnnConv *c, int dir, Probe *probe, GError **error)
{
  Candidate cand[MAX_CANDIDATES];
  int n = 0;
  const gboolean strict = c->d.type == FVC_CUDNN_F32 && !c->d.tf32;
  g_autoptr (GString) tried = g_string_new (NULL);

  if (!candidates (c, dir, c->d.find ? probe : NULL, cand, &n, error))
    return FALSE;
  for (int j = 0; j < 3 * n; j++) {
    const int relax = j / n;
    const Candidate *k = &cand[j % n];
    g_autoptr (GError) run_error = NULL;
    gsize ws = 0;
    const void *a, *b;
    void *out;

    if (!acceptable (c, dir, k, relax) || (relax > 0 && acceptable (c, dir, k, relax - 1)))
      continue;   /* (already tried at the stricter level) */
    if (!strict || relax == 2)
      FVC_CU_TRY (cudnnSetConvolutionMathType (c->conv[dir], k->math));
    if (!workspace_size (c, dir, k->algo, &ws, &run_error) || ws > c->d.workspace_limit) {
      g_string_append_printf (tried, " %d(workspace)", k->algo);
      continue;
    }
    /* The heuristics' choice is checked by running it once; a timed (find) choice already ran. */
    if (c->d.probe && !c->d.find) {
      if (ws > probe->ws_bytes) {
        cudaFree (probe->ws);
        probe->ws = NULL;
        probe->ws_bytes = 0;
        if (cudaMalloc (&probe->ws, ws) != cudaSuccess) {
          cudaGetLastError ();
          g_string_append_printf (tried, " %d(no memory for its workspace)", k->algo);
          continue;
        }
        probe->ws_bytes = ws;
      }
      /* forward (x, w) -> y; backward data (dy, w) -> dx; backward filter (x, dy) -> dw */
      a = dir == DIR_BWD_DATA ? probe->y : probe->x;
      b = dir == DIR_BWD_FILTER ? probe->y : probe->w;
      out = dir == DIR_FWD ? probe->y : dir == DIR_BWD_DATA ? probe->x : probe->w;
      if (!run_dir (c, dir, k->algo, a, b, out, probe->ws, ws, &run_error) ||
          cudaStreamSynchronize (c->dnn->stream) != cudaSuccess) {
        cudaGetLastError ();
        g_string_append_printf (tried, " %d(%s)", k->algo, run_error ? run_error->message : "failed at run time");
        continue;
      }
    }
    c->algo[dir] = k->algo;
    c->ws[dir] = ws;
    c->have[dir] = TRUE;
    c->relaxed[dir] = relax;
    return TRUE;
  }
  g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED,
               "cuDNN has no usable %s algorithm for this convolution (%d candidates;%s)",
               dir == DIR_FWD ? "forward" : dir == DIR_BWD_DATA ? "backward-data" : "backward-filter", n,
               tried->len ? tried->str : " none acceptable");
  return FALSE;
fail:
  return FALSE;
}

FvcCudnnConv *
fvc_cudnn_conv_new (FvcCudnn *dnn, const FvcCudnnConvDesc *desc, GError **error)
{
  FvcCudnnConv *c = g_new0 (FvcCudnnConv, 1);
  const FvcCudnnConvDesc *d = desc;
  const int xdims[5] = { d->n, d->c, d->t, d->h, d->w };
  const int wdims[5] = { d->o, d->c, d->k[0], d->k[1], d->k[2] };
  const int pad[3] = { d->pad[0], d->pad[1], d->pad[2] }, one[3] = { 1, 1, 1 };
  int ydims[5];
  Probe probe = { 0 };
  cudnnMathType_t math;

  c->dnn = dnn;
  c->d = *desc;
  math = d->type == FVC_CUDNN_BF16 ? CUDNN_TENSOR_OP_MATH : d->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  if (!tensor_desc (&c->x, d->type, d->order, xdims, error))
    goto fail;
  FVC_CU_TRY (cudnnCreateFilterDescriptor (&c->w));
  FVC_CU_TRY (cudnnSetFilterNdDescriptor (c->w, data_type (d->type),
                                          d->order == FVC_CUDNN_NDHWC ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, 5,
                                          wdims));
  for (int i = 0; i < N_DIRS; i++) {
    FVC_CU_TRY (cudnnCreateConvolutionDescriptor (&c->conv[i]));
    FVC_CU_TRY (cudnnSetConvolutionNdDescriptor (c->conv[i], 3, pad, one, one, CUDNN_CROSS_CORRELATION,
                                                 CUDNN_DATA_FLOAT));
    FVC_CU_TRY (cudnnSetConvolutionMathType (c->conv[i], math));
  }
  FVC_CU_TRY (cudnnGetConvolutionNdForwardOutputDim (c->conv[0], c->x, c->w, 5, ydims));
  if (!tensor_desc (&c->y, d->type, d->order, ydims, error))
    goto fail;

  if (d->probe || d->find) {
    /* find: cuDNN times the algorithms within this workspace; probe: grown per candidate */
    gsize ws = d->find ? d->workspace_limit : 0;
    if (!probe_alloc (&probe, c, ydims, 0, error))
      goto fail;
    while (ws > 0 && cudaMalloc (&probe.ws, ws) != cudaSuccess) {
      cudaGetLastError ();
      ws /= 2;
    }
    probe.ws_bytes = probe.ws ? ws : 0;
  }
  if (!choose (c, DIR_FWD, &probe, error))
    goto fail;
  if (d->backward_data && !choose (c, DIR_BWD_DATA, &probe, error))
    goto fail;
  if (d->backward_filter && !choose (c, DIR_BWD_FILTER, &probe, error))
    goto fail;
  probe_clear (&probe);

  g_snprintf (c->describe, sizeof c->describe, "fwd=%s", algo_name (fwd_names, G_N_ELEMENTS (fwd_names), c->algo[0]));
  if (c->have[DIR_BWD_DATA])
    g_strlcat (c->describe, " bwd-data=", sizeof c->describe),
        g_strlcat (c->describe, algo_name (bwd_data_names, G_N_ELEMENTS (bwd_data_names), c->algo[1]),
                   sizeof c->describe);
  if (c->have[DIR_BWD_FILTER])
    g_strlcat (c->describe, " bwd-filter=", sizeof c->describe),
        g_strlcat (c->describe, algo_name (bwd_filter_names, G_N_ELEMENTS (bwd_filter_names), c->algo[2]),
                   sizeof c->describe);
  {
    cudnnMathType_t m = CUDNN_DEFAULT_MATH;
    cudnnGetConvolutionMathType (c->conv[DIR_FWD], &m);
    g_strlcat (c->describe, " math=", sizeof c->describe);
    g_strlcat (c->describe, math_name (m), sizeof c->describe);
    for (int i = 0; i < N_DIRS; i++)
      if (c->relaxed[i] > 0)
        g_strlcat (c->describe, c->relaxed[i] == 1 ? " (a nondeterministic algorithm: no deterministic one)"
                                                   : " (tensor cores: no FMA algorithm)", sizeof c->describe);
  }
  return c;
fail:
  probe_clear (&probe);
  fvc_cudnn_conv_free (c);
  return NULL;
}

void
fvc_cudnn_conv_free (FvcCudnnConv *c)
{
  if (c == NULL)
    return;
  if (c->x)
    cudnnDestroyTensorDescriptor (c->x);
  if (c->y)
    cudnnDestroyTensorDescriptor (c->y);
  if (c->w)
    cudnnDestroyFilterDescriptor (c->w);
  for (int i = 0; i < N_DIRS; i++)
    if (c->conv[i])
      cudnnDestroyConvolutionDescriptor (c->conv[i]);
  g_free (c);
}

gsize
fvc_cudnn_conv_get_workspace (const FvcCudnnConv *c)
{
  return MAX (c->ws[0], MAX (c->ws[1], c->ws[2]));
}

const char *
fvc_cudnn_conv_describe (const FvcCudnnConv *c)
{
  return c->describe;
}

gboolean
fvc_cudnn_conv_forward (FvcCudnnConv *c, const void *x, const void *w, void *y, void *workspace, GError **error)
{
  g_return_val_if_fail (c->have[DIR_FWD], FALSE);
  return run_dir (c, DIR_FWD, c->algo[DIR_FWD], x, w, y, workspace, c->ws[DIR_FWD], error);
}

gboolean
fvc_cudnn_conv_backward_data (FvcCudnnConv *c, const void *dy, const void *w, void *dx, void *workspace,
                              GError **error)
{
  g_return_val_if_fail (c->have[DIR_BWD_DATA], FALSE);
  return run_dir (c, DIR_BWD_DATA, c->algo[DIR_BWD_DATA], dy, w, dx, workspace, c->ws[DIR_BWD_DATA], error);
}

gboolean
fvc_cudnn_conv_backward_filter (FvcCudnnConv *c, const void *x, const void *dy, void *dw, void *workspace,
                                GError **error)
{
  g_return_val_if_fail (c->have[DIR_BWD_FILTER], FALSE);
  return run_dir (c, DIR_BWD_FILTER, c->algo[DIR_BWD_FILTER], x, dy, dw, workspace, c->ws[DIR_BWD_FILTER], error);
}

/* ---- pooling ------------------------------------------------------------------------------ */

struct _FvcCudnnPool {
  FvcCudnn *dnn;
  cudnnPoolingDescriptor_t pool;
  cudnnTensorDescriptor_t x, y;
};

FvcCudnnPool *
fvc_cudnn_pool_new (FvcCudnn *dnn, guint n, guint c, guint t, guint h, guint w, const guint *kernel,
                    FvcCudnnType type, FvcCudnnOrder order, gboolean probe, GError **error)
{
  FvcCudnnPool *p = g_new0 (FvcCudnnPool, 1);
  const int xdims[5] = { n, c, t, h, w };
  const int win[3] = { kernel[0], kernel[1], kernel[2] }, zero[3] = { 0, 0, 0 };
  int ydims[5];

  p->dnn = dnn;
  FVC_CU_TRY (cudnnCreatePoolingDescriptor (&p->pool));
  FVC_CU_TRY (cudnnSetPoolingNdDescriptor (p->pool, CUDNN_POOLING_MAX_DETERMINISTIC, CUDNN_PROPAGATE_NAN, 3, win, zero,
                                           win));
  if (!tensor_desc (&p->x, type, order, xdims, error))
    goto fail;
  FVC_CU_TRY (cudnnGetPoolingNdForwardOutputDim (p->pool, p->x, 5, ydims));
  if (!tensor_desc (&p->y, type, order, ydims, error))
    goto fail;
  if (probe) {
    const gsize xb = type_size (type) * n * c * t * h * w;
    const gsize yb = type_size (type) * (gsize) ydims[0] * ydims[1] * ydims[2] * ydims[3] * ydims[4];
    void *x = NULL, *y = NULL, *dx = NULL;
    gboolean ok = cudaMalloc (&x, xb) == cudaSuccess && cudaMalloc (&y, yb) == cudaSuccess &&
                  cudaMalloc (&dx, xb) == cudaSuccess && cudaMemset (x, 0, xb) == cudaSuccess &&
                  fvc_cudnn_pool_forward (p, x, y, error) && fvc_cudnn_pool_backward (p, x, y, y, dx, error) &&
                  cudaStreamSynchronize (dnn->stream) == cudaSuccess;
    cudaFree (x);
    cudaFree (y);
    cudaFree (dx);
    cudaGetLastError ();
    if (!ok) {
      if (error != NULL && *error == NULL)
        g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "cuDNN pooling failed on a probe run");
      goto fail;
    }
  }
  return p;
fail:
  if (error != NULL && *error != NULL)
    (*error)->code = FVC_ERROR_UNSUPPORTED;
  fvc_cudnn_pool_free (p);
  return NULL;
}

void
fvc_cudnn_pool_free (FvcCudnnPool *p)
{
  if (p == NULL)
    return;
  if (p->pool)
    cudnnDestroyPoolingDescriptor (p->pool);
  if (p->x)
    cudnnDestroyTensorDescriptor (p->x);
  if (p->y)
    cudnnDestroyTensorDescriptor (p->y);
  g_free (p);
}

gboolean
fvc_cudnn_pool_forward (FvcCudnnPool *p, const void *x, void *y, GError **error)
{
  const float one = 1.f, zero = 0.f;
  FVC_CU_TRY (cudnnPoolingForward (p->dnn->handle, p->pool, &one, p->x, x, &zero, p->y, y));
  return TRUE;
fail:
  return FALSE;
}

gboolean
fvc_cudnn_pool_backward (FvcCudnnPool *p, const void *x, const void *y, const void *dy, void *dx, GError **error)
{
  const float one = 1.f, zero = 0.f;
  FVC_CU_TRY (cudnnPoolingBackward (p->dnn->handle, p->pool, &one, p->y, y, p->y, dy, p->x, x, &zero, p->x, dx));
  return TRUE;
fail:
  return FALSE;
}
