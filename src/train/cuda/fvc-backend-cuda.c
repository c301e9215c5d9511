/* fvc-backend-cuda.c — the CUDA backend: device and pinned memory, the stream, cuBLAS, the plans
 * (cuDNN convolutions and pooling through fvc-cudnn.h, own kernels for the rest), the recorded
 * operation queue that becomes CUDA graphs, and the lazily normalised input of linear models.
 * See fvc-backend-cuda.h for what is particular to this backend.
 * Not here: kernels (fvc-cuda-*.cu, launchers in fvc-cuda-kernels.h), cuDNN calls (fvc-cudnn.c).
 */
#include "config.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "fvc-backend-cuda.h"
#include "fvc-cuda-check.h"
#include "fvc-cuda-kernels.h"
#include "fvc-cudnn.h"
#include "fvc-error.h"

#include <stdlib.h>
#include <string.h>

/* ---- the check of every CUDA, cuBLAS and cuDNN call (fvc-cuda-check.h) -------------------- */

gboolean
fvc_cu_check (int status, const char *call, const char *where, GError **error)
{
  const char *library, *name, *text, *base;

  if (status == 0)
    return TRUE;
  if (g_str_has_prefix (call, "cublas")) {
    library = "cuBLAS";
    name = cublasGetStatusName ((cublasStatus_t) status);
    text = cublasGetStatusString ((cublasStatus_t) status);
  } else if (g_str_has_prefix (call, "cudnn")) {
    library = "cuDNN";
    name = fvc_cudnn_status_name (status);
    text = fvc_cudnn_status_detail ();
  } else {
    library = "CUDA";
    name = cudaGetErrorName ((cudaError_t) status);
    text = cudaGetErrorString ((cudaError_t) status);
  }
  if (error != NULL && *error == NULL) {
    base = strrchr (where, '/');
    g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "%s: %s failed: %s: %s (%s)", library, call, name, text,
                 base ? base + 1 : where);
  }
  return FALSE;
}

/* ---- layouts ------------------------------------------------------------------------------ */

/* NULL is float32 NCDHW (plain); the others are these three static descriptions. */
struct _FvcLayout {
  FvcCukType type;
  FvcCukOrder order;
  const char *name;
};

static const FvcLayout layout_bf16_ndhwc = { FVC_CUK_BF16, FVC_CUK_NDHWC, "bf16-ndhwc" };
static const FvcLayout layout_bf16_ncdhw = { FVC_CUK_BF16, FVC_CUK_NCDHW, "bf16-ncdhw" };
static const FvcLayout layout_f32_ndhwc = { FVC_CUK_F32, FVC_CUK_NDHWC, "f32-ndhwc" };

static const FvcLayout *
layout_for (FvcCukType type, FvcCukOrder order)
{
  if (type == FVC_CUK_BF16)
    return order == FVC_CUK_NDHWC ? &layout_bf16_ndhwc : &layout_bf16_ncdhw;
  return order == FVC_CUK_NDHWC ? &layout_f32_ndhwc : NULL;
}

static const char *
layout_name (const FvcLayout *l)
{
  return l ? l->name : "f32-ncdhw";
}

/* The kernels' view of a 5D tensor (n, c, t, h, w) stored in @layout. */
static FvcCukShape
shape5 (const gint64 *dims, const FvcLayout *layout)
{
  FvcCukShape s = { layout ? layout->type : FVC_CUK_F32, layout ? layout->order : FVC_CUK_NCDHW, dims[0], dims[1],
                    dims[2], dims[3], dims[4] };
  return s;
}

static FvcCukShape
tensor_shape (const FvcTensor *t)
{
  g_assert (t->n_dims == 5);
  return shape5 (t->shape, t->layout);
}

static gsize
shape_bytes (const FvcCukShape *s)
{
  return (gsize) fvc_cuk_shape_numel (s) * fvc_cuk_type_size (s->type);
}

static gsize
align_up (gsize n)
{
  return (n + FVC_ARENA_ALIGN - 1) / FVC_ARENA_ALIGN * FVC_ARENA_ALIGN;
}

/* ---- the backend -------------------------------------------------------------------------- */

typedef struct _CudaBackend CudaBackend;
typedef struct _Op Op;
typedef gboolean (*OpRun) (CudaBackend *cb, const Op *op, GError **error);

#define OP_MAX_TENSORS 7

/* One recorded operation: everything it reads, by value, so that two equal records do the same
 * work (the graph cache compares them with memcmp; records are zeroed before filling). */
struct _Op {
  OpRun run;
  const FvcPlan *plan;
  guint present;                     /* bit i: t[i] given */
  FvcTensor t[OP_MAX_TENSORS];
  float scale;
};

/* A recorded sequence seen before: run one by one the first time (which also warms up cuDNN,
 * cuBLAS and lazily loaded kernels outside any capture), captured the second, replayed after. */
typedef struct {
  Op *ops;
  guint n;
  cudaGraphExec_t exec;      /* NULL: seen once */
  guint64 last_used;
} GraphEntry;

#define N_GRAPHS 8
#define MIN_GRAPH_OPS 3
#define MAX_PENDING 256

/* The normalised input of the last normalize_input(), not yet written (see the header). */
typedef struct {
  gboolean active;
  gboolean stale;                    /* its clips were overwritten since */
  FvcTensor u8, x;
} LazyInput;

struct _CudaBackend {
  FvcBackend parent;
  int device;
  cudaStream_t stream;
  cublasHandle_t blas;
  void *blas_ws;
  gsize blas_ws_bytes;
  FvcCudnn *dnn;
  guint8 *scratch;
  gsize scratch_bytes;
  float *reduce;                     /* partial sums of the fused linear layer (grown per shape) */
  gsize reduce_bytes;
  GHashTable *sizes;                 /* device pointer -> bytes */
  GHashTable *host_sizes;            /* pinned host pointer -> bytes */
  /* settings, read from the environment at creation */
  gboolean use_graphs, fuse_input, pool_cudnn, cudnn_find, cudnn_probe;
  FvcCukOrder bf16_order;
  gsize cudnn_ws_limit;
  /* recorded operations and graphs */
  Op pending[MAX_PENDING];
  guint n_pending;
  GraphEntry graphs[N_GRAPHS];
  guint64 graph_clock;
  char *graph_error;
  LazyInput lazy;
  FvcCudaCounters counters;
};

#define CB(be) ((CudaBackend *) (be))

static gboolean
env_flag (const char *name, gboolean dflt)
{
  const char *v = g_getenv (name);
  if (v == NULL || *v == '\0')
    return dflt;
  return !(g_ascii_strcasecmp (v, "0") == 0 || g_ascii_strcasecmp (v, "no") == 0 ||
           g_ascii_strcasecmp (v, "off") == 0 || g_ascii_strcasecmp (v, "false") == 0);
}

static void
select_device (CudaBackend *cb)
{
  /* The runtime's current device is per thread; device 0 is every thread's default. */
  if (cb->device != 0)
    cudaSetDevice (cb->device);
}

static void
refresh_device_memory (CudaBackend *cb)
{
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo (&free_b, &total_b) == cudaSuccess) {
    cb->parent.stats.device_free_bytes = free_b;
    cb->parent.stats.device_total_bytes = total_b;
  } else {
    cudaGetLastError ();
  }
}

/* ---- graphs: recording, capture, replay --------------------------------------------------- */

static void
graphs_clear (CudaBackend *cb)
{
  for (guint i = 0; i < N_GRAPHS; i++) {
    GraphEntry *g = &cb->graphs[i];
    if (g->exec)
      cudaGraphExecDestroy (g->exec);
    g_free (g->ops);
    memset (g, 0, sizeof *g);
  }
}

static gboolean
run_eager (CudaBackend *cb, const Op *ops, guint n, GError **error)
{
  for (guint i = 0; i < n; i++) {
    if (!ops[i].run (cb, &ops[i], error))
      return FALSE;
    cb->counters.ops_eager++;
  }
  return TRUE;
}

static void
graphs_off (CudaBackend *cb, const char *why)
{
  if (cb->graph_error == NULL)
    cb->graph_error = g_strdup (why);
  cb->counters.graph_error = cb->graph_error;
  cb->use_graphs = FALSE;
  graphs_clear (cb);
}

/* A free slot, or the least recently used one (emptied). */
static GraphEntry *
graph_slot (CudaBackend *cb)
{
  GraphEntry *slot = &cb->graphs[0];

  for (guint k = 0; k < N_GRAPHS; k++) {
    if (cb->graphs[k].ops == NULL) {
      slot = &cb->graphs[k];
      break;
    }
    if (cb->graphs[k].last_used < slot->last_used)
      slot = &cb->graphs[k];
  }
  if (slot->exec)
    cudaGraphExecDestroy (slot->exec);
  g_free (slot->ops);
  memset (slot, 0, sizeof *slot);
  return slot;
}

/* Captures the sequence of @slot as a graph. FALSE when capture is not possible here (graphs are
 * then off): the caller runs the operations one by one. */
static gboolean
capture (CudaBackend *cb, GraphEntry *slot)
{
  const Op *ops = slot->ops;
  const guint n = slot->n;
  g_autoptr (GError) op_error = NULL;
  cudaGraph_t graph = NULL;
  cudaGraphExec_t exec = NULL;
  cudaError_t e;
  guint i;

  e = cudaStreamBeginCapture (cb->stream, cudaStreamCaptureModeThreadLocal);
  if (e != cudaSuccess) {
    cudaGetLastError ();
    graphs_off (cb, cudaGetErrorString (e));
    return FALSE;
  }
  for (i = 0; i < n; i++)
    if (!ops[i].run (cb, &ops[i], &op_error))
      break;
  e = cudaStreamEndCapture (cb->stream, &graph);
  if (i < n || e != cudaSuccess || graph == NULL) {
    g_autofree char *why = g_strdup_printf ("capture failed: %s", i < n && op_error ? op_error->message :
                                            cudaGetErrorString (e));
    if (graph)
      cudaGraphDestroy (graph);
    cudaGetLastError ();
    graphs_off (cb, why);
    return FALSE;
  }
  e = cudaGraphInstantiate (&exec, graph, 0);
  cudaGraphDestroy (graph);
  if (e != cudaSuccess) {
    g_autofree char *why = g_strdup_printf ("instantiate failed: %s", cudaGetErrorString (e));
    cudaGetLastError ();
    graphs_off (cb, why);
    return FALSE;
  }
  slot->exec = exec;
  cb->counters.graphs_captured++;
  return TRUE;
}

/* Runs what was recorded: one graph launch when the sequence was seen before. */
static gboolean
flush (CudaBackend *cb, GError **error)
{
  const guint n = cb->n_pending;
  GraphEntry *g = NULL;

  if (n == 0)
    return TRUE;
  cb->n_pending = 0;
  if (!cb->use_graphs || n < MIN_GRAPH_OPS)
    return run_eager (cb, cb->pending, n, error);
  for (guint i = 0; i < N_GRAPHS && g == NULL; i++)
    if (cb->graphs[i].ops && cb->graphs[i].n == n && memcmp (cb->graphs[i].ops, cb->pending, n * sizeof (Op)) == 0)
      g = &cb->graphs[i];
  if (g == NULL) {
    /* first time: remember it, run it one by one */
    g = graph_slot (cb);
    g->ops = g_memdup2 (cb->pending, n * sizeof (Op));
    g->n = n;
    g->last_used = ++cb->graph_clock;
    return run_eager (cb, cb->pending, n, error);
  }
  if (g->exec == NULL && !capture (cb, g))
    return run_eager (cb, cb->pending, n, error);
  g->last_used = ++cb->graph_clock;
  FVC_CU_TRY (cudaGraphLaunch (g->exec, cb->stream));
  cb->counters.graph_launches++;
  cb->counters.ops_in_graphs += n;
  return TRUE;
fail:
  return FALSE;
}

static gboolean
enqueue (CudaBackend *cb, const Op *op, GError **error)
{
  if (!cb->use_graphs) {
    cb->counters.ops_eager++;
    return op->run (cb, op, error);
  }
  if (cb->n_pending == MAX_PENDING && !flush (cb, error))
    return FALSE;
  cb->pending[cb->n_pending++] = *op;
  return TRUE;
}

/* A zeroed record for @run over @n tensors (NULL entries allowed). */
static void
op_init (Op *op, OpRun run, const FvcPlan *plan, guint n, const FvcTensor *const *t)
{
  memset (op, 0, sizeof *op);
  op->run = run;
  op->plan = plan;
  for (guint i = 0; i < n; i++) {
    if (t[i] != NULL) {
      memcpy (&op->t[i], t[i], sizeof (FvcTensor));   /* padding too: records are compared bytewise */
      op->present |= 1u << i;
    }
  }
}

#define OP_HAS(op, i) (((op)->present >> (i)) & 1u)

/* ---- the lazily normalised input ---------------------------------------------------------- */

static gboolean
overlaps (gconstpointer a, gsize na, gconstpointer b, gsize nb)
{
  const guint8 *pa = a, *pb = b;
  return a != NULL && b != NULL && pa < pb + nb && pb < pa + na;
}

static gboolean run_normalize (CudaBackend *cb, const Op *op, GError **error);

static gboolean
lazy_materialize (CudaBackend *cb, GError **error)
{
  Op op;
  const FvcTensor *t[2] = { &cb->lazy.u8, &cb->lazy.x };

  if (!cb->lazy.active)
    return TRUE;
  cb->lazy.active = FALSE;
  if (cb->lazy.stale) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID,
                 "CUDA backend: the normalised input was read after its clips were replaced (it is computed on "
                 "demand; read it before the next set_input, or set FVC_CUDA_FUSE_INPUT=0)");
    return FALSE;
  }
  op_init (&op, run_normalize, NULL, 2, t);
  return enqueue (cb, &op, error);
}

/* Before an operation reads [p, p + n): the lazy input must exist if it is read. */
static gboolean
touch_read (CudaBackend *cb, gconstpointer p, gsize n, GError **error)
{
  if (cb->lazy.active && overlaps (p, n, cb->lazy.x.data, cb->lazy.x.nbytes))
    return lazy_materialize (cb, error);
  return TRUE;
}

/* Before an operation writes [p, p + n). */
static gboolean
touch_write (CudaBackend *cb, gconstpointer p, gsize n, GError **error)
{
  if (!cb->lazy.active)
    return TRUE;
  if (overlaps (p, n, cb->lazy.x.data, cb->lazy.x.nbytes)) {
    /* the input itself is being overwritten: whatever it was is gone */
    cb->lazy.active = FALSE;
    return TRUE;
  }
  if (overlaps (p, n, cb->lazy.u8.data, cb->lazy.u8.nbytes))
    cb->lazy.stale = TRUE;
  return TRUE;
}

static gboolean
touch_tensor_read (CudaBackend *cb, const FvcTensor *t, GError **error)
{
  return t == NULL || touch_read (cb, t->data, t->nbytes, error);
}

static gboolean
touch_tensor_write (CudaBackend *cb, const FvcTensor *t, GError **error)
{
  return t == NULL || touch_write (cb, t->data, t->nbytes, error);
}

static gboolean
lazy_is (const CudaBackend *cb, const FvcTensor *x)
{
  return cb->fuse_input && cb->lazy.active && !cb->lazy.stale && x->data == cb->lazy.x.data &&
         x->numel == cb->lazy.x.numel;
}

/* ---- memory ------------------------------------------------------------------------------- */

static gpointer
cuda_alloc (FvcBackend *be, gsize bytes, GError **error)
{
  CudaBackend *cb = CB (be);
  gsize size = align_up (MAX (bytes, 1));
  void *p = NULL;

  select_device (cb);
  FVC_CU_TRY (cudaMalloc (&p, size));
  cb->counters.device_mallocs++;
  FVC_CU_TRY (cudaMemsetAsync (p, 0, size, cb->stream));
  FVC_CU_TRY (cudaStreamSynchronize (cb->stream));
  g_hash_table_insert (cb->sizes, p, GSIZE_TO_POINTER (size));
  be->stats.n_allocs++;
  be->stats.bytes_in_use += size;
  be->stats.peak_bytes = MAX (be->stats.peak_bytes, be->stats.bytes_in_use);
  refresh_device_memory (cb);
  return p;
fail:
  if (p != NULL)
    cudaFree (p);
  g_prefix_error (error, "cannot allocate %" G_GSIZE_FORMAT " bytes on the GPU: ", bytes);
  return NULL;
}

static void
cuda_free (FvcBackend *be, gpointer ptr)
{
  CudaBackend *cb = CB (be);
  gsize size;

  if (ptr == NULL)
    return;
  select_device (cb);
  /* Recorded work may still use it, and graphs may hold its address. */
  flush (cb, NULL);
  cudaStreamSynchronize (cb->stream);
  graphs_clear (cb);
  size = GPOINTER_TO_SIZE (g_hash_table_lookup (cb->sizes, ptr));
  if (cb->lazy.active && (overlaps (ptr, size, cb->lazy.x.data, cb->lazy.x.nbytes) ||
                          overlaps (ptr, size, cb->lazy.u8.data, cb->lazy.u8.nbytes)))
    cb->lazy.active = FALSE;
  g_hash_table_remove (cb->sizes, ptr);
  cudaFree (ptr);
  be->stats.n_frees++;
  be->stats.bytes_in_use -= size;
  refresh_device_memory (cb);
}

static gpointer
cuda_alloc_host (FvcBackend *be, gsize bytes, GError **error)
{
  CudaBackend *cb = CB (be);
  void *p = NULL;

  select_device (cb);
  FVC_CU_TRY (cudaHostAlloc (&p, MAX (bytes, 1), cudaHostAllocPortable));
  cb->counters.device_mallocs++;
  memset (p, 0, MAX (bytes, 1));
  g_hash_table_insert (cb->host_sizes, p, GSIZE_TO_POINTER (bytes));
  return p;
fail:
  g_prefix_error (error, "cannot allocate %" G_GSIZE_FORMAT " bytes of pinned host memory: ", bytes);
  return NULL;
}

static void
cuda_free_host (FvcBackend *be, gpointer ptr)
{
  CudaBackend *cb = CB (be);

  if (ptr == NULL)
    return;
  flush (cb, NULL);
  cudaStreamSynchronize (cb->stream);   /* a copy from it may be in flight */
  g_hash_table_remove (cb->host_sizes, ptr);
  cudaFreeHost (ptr);
}

static gboolean
cuda_copy_h2d (FvcBackend *be, gpointer dst, gconstpointer src, gsize bytes, GError **error)
{
  CudaBackend *cb = CB (be);

  select_device (cb);
  if (!touch_write (cb, dst, bytes, error) || !flush (cb, error))
    return FALSE;
  /* Pinned sources are copied asynchronously; pageable ones are staged before this returns. */
  FVC_CU_TRY (cudaMemcpyAsync (dst, src, bytes, cudaMemcpyHostToDevice, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
cuda_copy_d2h (FvcBackend *be, gpointer dst, gconstpointer src, gsize bytes, GError **error)
{
  CudaBackend *cb = CB (be);

  select_device (cb);
  if (!touch_read (cb, src, bytes, error) || !flush (cb, error))
    return FALSE;
  FVC_CU_TRY (cudaMemcpyAsync (dst, src, bytes, cudaMemcpyDeviceToHost, cb->stream));
  FVC_CU_TRY (cudaStreamSynchronize (cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
cuda_memset_zero (FvcBackend *be, gpointer dst, gsize bytes, GError **error)
{
  CudaBackend *cb = CB (be);

  select_device (cb);
  if (!touch_write (cb, dst, bytes, error) || !flush (cb, error))
    return FALSE;
  FVC_CU_TRY (cudaMemsetAsync (dst, 0, bytes, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
cuda_synchronize (FvcBackend *be, GError **error)
{
  CudaBackend *cb = CB (be);

  select_device (cb);
  if (!flush (cb, error))
    return FALSE;
  FVC_CU_TRY (cudaStreamSynchronize (cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
cuda_submit (FvcBackend *be, GError **error)
{
  select_device (CB (be));
  return flush (CB (be), error);
}

static void
cuda_bind_scratch (FvcBackend *be, gpointer scratch, gsize bytes)
{
  CudaBackend *cb = CB (be);

  flush (cb, NULL);
  graphs_clear (cb);
  cb->scratch = scratch;
  cb->scratch_bytes = bytes;
}

/* Layout conversions are for tests and inspection (eager, not recorded). */
static gboolean
convert_plain (CudaBackend *cb, const FvcTensor *t, gconstpointer src, gpointer dst, gboolean to_plain,
               GError **error)
{
  FvcCukShape ts, ps;

  if (!flush (cb, error))
    return FALSE;
  if (t->layout == NULL || t->n_dims != 5) {
    FVC_CU_TRY (cudaMemcpyAsync (dst, src, t->numel * sizeof (float), cudaMemcpyDeviceToDevice, cb->stream));
    return TRUE;
  }
  ts = tensor_shape (t);
  ps = shape5 (t->shape, NULL);
  FVC_CU_TRY (to_plain ? fvc_cuk_convert (src, ts, dst, ps, cb->stream) : fvc_cuk_convert (src, ps, dst, ts, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
cuda_to_plain (FvcBackend *be, const FvcTensor *src, gpointer dst_plain, GError **error)
{
  CudaBackend *cb = CB (be);
  select_device (cb);
  return touch_tensor_read (cb, src, error) && convert_plain (cb, src, src->data, dst_plain, TRUE, error);
}

static gboolean
cuda_from_plain (FvcBackend *be, gconstpointer src_plain, FvcTensor *dst, GError **error)
{
  CudaBackend *cb = CB (be);
  select_device (cb);
  return touch_tensor_write (cb, dst, error) && convert_plain (cb, dst, src_plain, dst->data, FALSE, error);
}

/* ---- plans -------------------------------------------------------------------------------- */

typedef struct {
  FvcPlan pub;
  char describe[256];
} PlanBase;

typedef struct {
  PlanBase base;
  FvcCukShape src;           /* the input as the producer stores it */
  FvcCukShape in;            /* what cuDNN reads: compute type/order, channels padded */
  FvcCukShape wuser;         /* the parameter: f32 OIDHW */
  FvcCukShape wc;            /* weights in the compute format */
  FvcCukShape out;           /* output (compute format) */
  gboolean convert_in, convert_w;
  gsize ws_w_off;            /* workspace: [converted input | converted weights] */
  gsize scr_tmp_off;         /* scratch: [cuDNN workspace | dx or dw in the compute format | partials] */
  gsize scr_partial_off;
  FvcCudnnConv *conv;
} ConvPlan;

typedef struct {
  PlanBase base;
  FvcCukShape xs, ys;
  int kernel[3];
  FvcCudnnPool *pool;        /* NULL: own kernel with an argmax workspace */
} PoolPlan;

typedef struct {
  PlanBase base;
  FvcCukShape xs;
} GapPlan;

const char *
fvc_backend_cuda_plan_describe (const FvcPlan *plan)
{
  return ((const PlanBase *) plan)->describe;
}

static void
cuda_plan_free (FvcBackend *be, FvcPlan *plan)
{
  if (plan == NULL)
    return;
  flush (CB (be), NULL);
  cudaStreamSynchronize (CB (be)->stream);
  graphs_clear (CB (be));
  if (plan->desc.kind == FVC_OP_CONV3D)
    fvc_cudnn_conv_free (((ConvPlan *) plan)->conv);
  else if (plan->desc.kind == FVC_OP_MAXPOOL3D)
    fvc_cudnn_pool_free (((PoolPlan *) plan)->pool);
  g_free (plan);
}

static FvcCudnnType
dnn_type (FvcCukType t)
{
  return t == FVC_CUK_BF16 ? FVC_CUDNN_BF16 : FVC_CUDNN_F32;
}

static FvcCudnnOrder
dnn_order (FvcCukOrder o)
{
  return o == FVC_CUK_NDHWC ? FVC_CUDNN_NDHWC : FVC_CUDNN_NCDHW;
}

/* One compute format a convolution may use. */
typedef struct {
  FvcCukType type;
  FvcCukOrder order;
  gboolean tf32;
} ConvFormat;

/* Sets @p up for compute format @f; @od: the output dims, worked out once by conv_plan_init. */
static gboolean
conv_plan_try (CudaBackend *cb, ConvPlan *p, ConvFormat f, const gint64 od[5], GError **error)
{
  const FvcPlanDesc *d = &p->base.pub.desc;
  /* Tensor-core kernels for channels-last bf16 want channels in multiples of 8. */
  const gint64 cpad = f.type == FVC_CUK_BF16 && f.order == FVC_CUK_NDHWC ? (d->c + 7) / 8 * 8 : d->c;
  FvcCudnnConvDesc cd = { 0 };
  gsize ws_in, ws_w, tmp, partial;

  p->src = shape5 ((gint64[]) { d->n, d->c, d->t, d->h, d->w }, d->src_layout);
  p->in = (FvcCukShape) { f.type, f.order, d->n, cpad, d->t, d->h, d->w };
  p->wuser = (FvcCukShape) { FVC_CUK_F32, FVC_CUK_NCDHW, d->out_c, d->c, d->kernel[0], d->kernel[1], d->kernel[2] };
  p->wc = (FvcCukShape) { f.type, f.order, d->out_c, cpad, d->kernel[0], d->kernel[1], d->kernel[2] };
  p->out = (FvcCukShape) { f.type, f.order, od[0], od[1], od[2], od[3], od[4] };
  p->convert_in = p->src.type != p->in.type || p->src.order != p->in.order || p->src.c != p->in.c;
  p->convert_w = f.type != FVC_CUK_F32 || f.order != FVC_CUK_NCDHW || cpad != d->c;

  cd.n = d->n;
  cd.c = cpad;
  cd.t = d->t;
  cd.h = d->h;
  cd.w = d->w;
  cd.o = d->out_c;
  memcpy (cd.k, d->kernel, sizeof cd.k);
  memcpy (cd.pad, d->pad, sizeof cd.pad);
  cd.type = dnn_type (f.type);
  cd.order = dnn_order (f.order);
  cd.tf32 = f.tf32;
  cd.backward_data = d->training && d->need_src_grad;
  cd.backward_filter = d->training;
  cd.workspace_limit = cb->cudnn_ws_limit;
  cd.probe = cb->cudnn_probe;
  cd.find = cb->cudnn_find;
  p->conv = fvc_cudnn_conv_new (cb->dnn, &cd, error);
  if (p->conv == NULL)
    return FALSE;

  ws_in = p->convert_in ? align_up (shape_bytes (&p->in)) : 0;
  ws_w = p->convert_w ? align_up (shape_bytes (&p->wc)) : 0;
  p->ws_w_off = ws_in;
  tmp = 0;
  partial = 0;
  if (d->training) {
    if (p->convert_w)
      tmp = shape_bytes (&p->wc);                       /* dw in the compute format */
    if (cd.backward_data && p->convert_in)
      tmp = MAX (tmp, shape_bytes (&p->in));            /* dx in the compute format */
    partial = fvc_cuk_channel_sums_partial_floats (p->out, FALSE) * sizeof (float);
  }
  p->scr_tmp_off = align_up (fvc_cudnn_conv_get_workspace (p->conv));
  p->scr_partial_off = p->scr_tmp_off + align_up (tmp);

  for (int i = 0; i < 5; i++)
    p->base.pub.out_dims[i] = (guint) od[i];
  p->base.pub.dst_layout = layout_for (f.type, f.order);
  p->base.pub.dst_bytes = shape_bytes (&p->out);
  p->base.pub.workspace_bytes = ws_in + ws_w;
  p->base.pub.scratch_bytes = p->scr_partial_off + align_up (partial);
  g_snprintf (p->base.describe, sizeof p->base.describe, "cudnn %s%s%s %s", layout_name (p->base.pub.dst_layout),
              f.tf32 ? "+tf32" : "", cpad != d->c ? " (input channels padded)" : "",
              fvc_cudnn_conv_describe (p->conv));
  p->base.pub.impl = p->base.describe;
  p->base.pub.impl_backward = d->training ? p->base.describe : NULL;
  return TRUE;
}

static gboolean
conv_plan_init (CudaBackend *cb, ConvPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->base.pub.desc;
  ConvFormat formats[3];
  guint n = 0;
  g_autoptr (GString) why = g_string_new (NULL);
  gint64 od[5];

  if (!fvc_plan_desc_out_dims (d, od, error))
    return FALSE;
  switch (cb->parent.precision) {
  case FVC_PRECISION_BF16:
    formats[n++] = (ConvFormat) { FVC_CUK_BF16, cb->bf16_order, FALSE };
    formats[n++] = (ConvFormat) { FVC_CUK_BF16, cb->bf16_order == FVC_CUK_NDHWC ? FVC_CUK_NCDHW : FVC_CUK_NDHWC,
                                  FALSE };
    formats[n++] = (ConvFormat) { FVC_CUK_F32, FVC_CUK_NCDHW, TRUE };
    break;
  case FVC_PRECISION_TF32:
    formats[n++] = (ConvFormat) { FVC_CUK_F32, FVC_CUK_NCDHW, TRUE };
    break;
  default:
    formats[n++] = (ConvFormat) { FVC_CUK_F32, FVC_CUK_NCDHW, FALSE };
    break;
  }
  for (guint i = 0; i < n; i++) {
    g_autoptr (GError) e = NULL;
    if (conv_plan_try (cb, p, formats[i], od, &e))
      return TRUE;
    /* any failure (no algorithm, a descriptor cuDNN refuses for this type) moves to the next format */
    g_string_append_printf (why, "%s%s: %s", why->len ? "; " : "", layout_name (layout_for (formats[i].type,
                            formats[i].order)), e->message);
    cudaGetLastError ();
  }
  g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "conv3d %ux%ux%ux%ux%u -> %u channels: %s", d->n, d->c, d->t, d->h,
               d->w, d->out_c, why->str);
  return FALSE;
}

static gboolean
pool_plan_init (CudaBackend *cb, PoolPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->base.pub.desc;
  gint64 od[5];

  if (!fvc_plan_desc_out_dims (d, od, error))
    return FALSE;
  if (d->kernel[0] * d->kernel[1] * d->kernel[2] > 256) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_UNSUPPORTED, "maxpool3d: windows of more than 256 elements");
    return FALSE;
  }
  p->xs = shape5 ((gint64[]) { d->n, d->c, d->t, d->h, d->w }, d->src_layout);
  p->ys = p->xs;
  p->ys.t = od[2];
  p->ys.h = od[3];
  p->ys.w = od[4];
  for (int i = 0; i < 3; i++)
    p->kernel[i] = d->kernel[i];
  if (cb->pool_cudnn) {
    g_autoptr (GError) e = NULL;
    p->pool = fvc_cudnn_pool_new (cb->dnn, d->n, d->c, d->t, d->h, d->w, d->kernel, dnn_type (p->xs.type),
                                  dnn_order (p->xs.order), cb->cudnn_probe, &e);
    if (p->pool == NULL && !g_error_matches (e, FVC_ERROR, FVC_ERROR_UNSUPPORTED)) {
      g_propagate_error (error, g_steal_pointer (&e));
      return FALSE;
    }
    g_snprintf (p->base.describe, sizeof p->base.describe, "%s %s%s%s", p->pool ? "cudnn" : "kernel",
                layout_name (d->src_layout), p->pool ? "" : " (cuDNN refused: ", p->pool ? "" : e->message);
    if (p->pool == NULL)
      g_strlcat (p->base.describe, ")", sizeof p->base.describe);
  } else {
    g_snprintf (p->base.describe, sizeof p->base.describe, "kernel %s", layout_name (d->src_layout));
  }
  for (int i = 0; i < 5; i++)
    p->base.pub.out_dims[i] = (guint) od[i];
  p->base.pub.dst_layout = d->src_layout;
  p->base.pub.dst_bytes = shape_bytes (&p->ys);
  p->base.pub.workspace_bytes = p->pool ? 0 : align_up ((gsize) fvc_cuk_shape_numel (&p->ys));
  p->base.pub.scratch_bytes = 0;
  p->base.pub.impl = p->base.describe;
  p->base.pub.impl_backward = d->training ? p->base.describe : NULL;
  return TRUE;
}

static gboolean
gap_plan_init (CudaBackend *cb, GapPlan *p, GError **error)
{
  const FvcPlanDesc *d = &p->base.pub.desc;
  gint64 od[5];

  if (!fvc_plan_desc_out_dims (d, od, error))
    return FALSE;
  p->xs = shape5 ((gint64[]) { d->n, d->c, d->t, d->h, d->w }, d->src_layout);
  for (int i = 0; i < 5; i++)
    p->base.pub.out_dims[i] = (guint) od[i];
  p->base.pub.dst_layout = NULL;
  p->base.pub.dst_bytes = (gsize) d->n * d->c * sizeof (float);
  p->base.pub.workspace_bytes = 0;
  p->base.pub.scratch_bytes = align_up (MAX (fvc_cuk_channel_sums_partial_floats (p->xs, TRUE), 1) * sizeof (float));
  g_snprintf (p->base.describe, sizeof p->base.describe, "kernel %s", layout_name (d->src_layout));
  p->base.pub.impl = p->base.describe;
  p->base.pub.impl_backward = d->training ? p->base.describe : NULL;
  return TRUE;
}

static FvcPlan *
cuda_plan_new (FvcBackend *be, const FvcPlanDesc *desc, GError **error)
{
  CudaBackend *cb = CB (be);
  FvcPlan *plan = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (desc->n > 0 && desc->c > 0 && desc->t > 0 && desc->h > 0 && desc->w > 0, NULL);
  select_device (cb);
  /* Plans run cuDNN on the stream (probes): nothing recorded may be pending. */
  if (!flush (cb, error))
    return NULL;
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
  if (!ok) {
    cuda_plan_free (be, plan);
    return NULL;
  }
  be->stats.n_plans++;
  refresh_device_memory (cb);
  return plan;
}

/* ---- operations: the run functions (enqueued or captured) ----------------------------------- */

static guint8 *
scratch_at (CudaBackend *cb, gsize off, gsize bytes)
{
  g_assert (off + bytes <= cb->scratch_bytes || bytes == 0);
  return cb->scratch + off;
}

static gboolean
run_normalize (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *u8 = &op->t[0];
  FVC_CU_TRY (fvc_cuk_normalize (u8->data, op->t[1].data, u8->shape[0], u8->shape[1], u8->shape[2] * u8->shape[3],
                                 cb->stream));
  cb->counters.normalize_runs++;
  return TRUE;
fail:
  return FALSE;
}

/* t: x, w, b, y, ws */
static gboolean
run_conv_forward (CudaBackend *cb, const Op *op, GError **error)
{
  const ConvPlan *p = (const ConvPlan *) op->plan;
  const FvcTensor *x = &op->t[0], *w = &op->t[1], *b = &op->t[2], *y = &op->t[3], *ws = &op->t[4];
  const void *xin = x->data, *wc = w->data;

  if (p->convert_in) {
    FVC_CU_TRY (fvc_cuk_convert (x->data, p->src, ws->data, p->in, cb->stream));
    xin = ws->data;
  }
  if (p->convert_w) {
    void *dst = (guint8 *) ws->data + p->ws_w_off;
    FVC_CU_TRY (fvc_cuk_convert (w->data, p->wuser, dst, p->wc, cb->stream));
    wc = dst;
  }
  if (!fvc_cudnn_conv_forward (p->conv, xin, wc, y->data, scratch_at (cb, 0, p->scr_tmp_off), error))
    return FALSE;
  FVC_CU_TRY (fvc_cuk_bias_add (y->data, p->out, b->data, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: x, w, dy, dx (optional), dw, db, ws */
static gboolean
run_conv_backward (CudaBackend *cb, const Op *op, GError **error)
{
  const ConvPlan *p = (const ConvPlan *) op->plan;
  const FvcTensor *x = &op->t[0], *w = &op->t[1], *dy = &op->t[2], *dx = &op->t[3], *dw = &op->t[4];
  const FvcTensor *db = &op->t[5], *ws = &op->t[6];
  const void *xin = p->convert_in ? ws->data : x->data;
  const void *wc = p->convert_w ? (const guint8 *) ws->data + p->ws_w_off : w->data;
  guint8 *cudnn_ws = cb->scratch;
  guint8 *tmp = scratch_at (cb, p->scr_tmp_off, 0);
  float *partial = (float *) scratch_at (cb, p->scr_partial_off, 0);

  FVC_CU_TRY (fvc_cuk_channel_sums (dy->data, p->out, FALSE, 1.f, db->data, partial, cb->stream));
  if (OP_HAS (op, 3)) {
    /* dx in the compute format, then in the producer's format when they differ */
    void *dxc = p->convert_in ? (void *) tmp : dx->data;
    if (!fvc_cudnn_conv_backward_data (p->conv, dy->data, wc, dxc, cudnn_ws, error))
      return FALSE;
    if (p->convert_in)
      FVC_CU_TRY (fvc_cuk_convert (dxc, p->in, dx->data, p->src, cb->stream));
  }
  {
    void *dwc = p->convert_w ? (void *) tmp : dw->data;
    if (!fvc_cudnn_conv_backward_filter (p->conv, xin, dy->data, dwc, cudnn_ws, error))
      return FALSE;
    if (p->convert_w)
      FVC_CU_TRY (fvc_cuk_convert (dwc, p->wc, dw->data, p->wuser, cb->stream));
  }
  return TRUE;
fail:
  return FALSE;
}

/* t: x, y */
static gboolean
run_relu_forward (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *x = &op->t[0];
  const FvcCukType type = x->layout ? x->layout->type : FVC_CUK_F32;
  /* over the elements: this backend's layouts have no padding */
  FVC_CU_TRY (fvc_cuk_relu_forward (x->data, op->t[1].data, (int64_t) x->numel, type, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: y, dy, dx */
static gboolean
run_relu_backward (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *y = &op->t[0];
  const FvcCukType type = y->layout ? y->layout->type : FVC_CUK_F32;
  FVC_CU_TRY (fvc_cuk_relu_backward (y->data, op->t[1].data, op->t[2].data, (int64_t) y->numel, type,
                                     cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: x, y, ws */
static gboolean
run_pool_forward (CudaBackend *cb, const Op *op, GError **error)
{
  const PoolPlan *p = (const PoolPlan *) op->plan;

  if (p->pool != NULL)
    return fvc_cudnn_pool_forward (p->pool, op->t[0].data, op->t[1].data, error);
  FVC_CU_TRY (fvc_cuk_maxpool_forward (op->t[0].data, p->xs, op->t[1].data, p->ys, p->kernel, op->t[2].data,
                                       cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: x, y, dy, dx, ws */
static gboolean
run_pool_backward (CudaBackend *cb, const Op *op, GError **error)
{
  const PoolPlan *p = (const PoolPlan *) op->plan;

  if (p->pool != NULL)
    return fvc_cudnn_pool_backward (p->pool, op->t[0].data, op->t[1].data, op->t[2].data, op->t[3].data, error);
  FVC_CU_TRY (fvc_cuk_maxpool_backward (op->t[2].data, p->ys, op->t[4].data, op->t[3].data, p->xs, p->kernel,
                                        cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: x, y */
static gboolean
run_gap_forward (CudaBackend *cb, const Op *op, GError **error)
{
  const GapPlan *p = (const GapPlan *) op->plan;
  FVC_CU_TRY (fvc_cuk_channel_sums (op->t[0].data, p->xs, TRUE, (float) fvc_cuk_shape_spatial (&p->xs),
                                    op->t[1].data, (float *) cb->scratch, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: dy, dx */
static gboolean
run_gap_backward (CudaBackend *cb, const Op *op, GError **error)
{
  const GapPlan *p = (const GapPlan *) op->plan;
  FVC_CU_TRY (fvc_cuk_gap_backward (op->t[0].data, op->t[1].data, p->xs, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* Row-major (N, K) x (O, K)^T through column-major cuBLAS; see the shapes in fvc-layers.h.
 * t: x, w, b, y */
static gboolean
run_linear_forward (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *x = &op->t[0], *w = &op->t[1];
  const int n = x->shape[0], o = w->shape[0], k = w->shape[1];
  const float one = 1.f, zero = 0.f;

  /* y' (O, N) = w'^T (O, K) x' (K, N) */
  FVC_CU_TRY (cublasSgemm (cb->blas, CUBLAS_OP_T, CUBLAS_OP_N, o, n, k, &one, w->data, k, x->data, k, &zero,
                           op->t[3].data, o));
  FVC_CU_TRY (fvc_cuk_linear_bias_add (op->t[3].data, op->t[2].data, n, o, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: x, w, dy, dx (optional), dw, db */
static gboolean
run_linear_backward (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *x = &op->t[0], *w = &op->t[1], *dy = &op->t[2];
  const int n = x->shape[0], o = w->shape[0], k = w->shape[1];
  const float one = 1.f, zero = 0.f;

  /* dw' (K, O) = x' (K, N) dy'^T (N, O) */
  FVC_CU_TRY (cublasSgemm (cb->blas, CUBLAS_OP_N, CUBLAS_OP_T, k, o, n, &one, x->data, k, dy->data, o, &zero,
                           op->t[4].data, k));
  FVC_CU_TRY (fvc_cuk_linear_bias_grad (dy->data, op->t[5].data, n, o, cb->stream));
  /* dx' (K, N) = w' (K, O) dy' (O, N) */
  if (OP_HAS (op, 3))
    FVC_CU_TRY (cublasSgemm (cb->blas, CUBLAS_OP_N, CUBLAS_OP_N, k, n, o, &one, w->data, k, dy->data, o, &zero,
                             op->t[3].data, k));
  return TRUE;
fail:
  return FALSE;
}

/* t: u8, w, b, y */
static gboolean
run_linear_u8_forward (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *u8 = &op->t[0];
  FVC_CU_TRY (fvc_cuk_linear_u8_forward (u8->data, u8->shape[0], u8->shape[1], u8->shape[2] * u8->shape[3],
                                         op->t[1].data, op->t[2].data, op->t[3].data, cb->reduce, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: u8, dy, dw, db */
static gboolean
run_linear_u8_backward (CudaBackend *cb, const Op *op, GError **error)
{
  const FvcTensor *u8 = &op->t[0];
  FVC_CU_TRY (fvc_cuk_linear_u8_backward (u8->data, u8->shape[0], u8->shape[1], u8->shape[2] * u8->shape[3],
                                          op->t[1].data, op->t[2].data, op->t[3].data, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: logits, targets, out; scale */
static gboolean
run_bce_forward (CudaBackend *cb, const Op *op, GError **error)
{
  FVC_CU_TRY (fvc_cuk_bce_forward (op->t[0].data, op->t[1].data, op->t[2].data, op->t[0].numel, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
run_bce_backward (CudaBackend *cb, const Op *op, GError **error)
{
  FVC_CU_TRY (fvc_cuk_bce_backward (op->t[0].data, op->t[1].data, op->scale, op->t[2].data, op->t[0].numel,
                                    cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
run_hinge_forward (CudaBackend *cb, const Op *op, GError **error)
{
  FVC_CU_TRY (fvc_cuk_hinge_forward (op->t[0].data, op->t[1].data, op->t[2].data, op->t[0].numel, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

static gboolean
run_hinge_backward (CudaBackend *cb, const Op *op, GError **error)
{
  FVC_CU_TRY (fvc_cuk_hinge_backward (op->t[0].data, op->t[1].data, op->scale, op->t[2].data, op->t[0].numel,
                                      cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* t: dst, src (1D views over n floats) */
static gboolean
run_accumulate (CudaBackend *cb, const Op *op, GError **error)
{
  FVC_CU_TRY (fvc_cuk_accumulate (op->t[0].data, op->t[1].data, op->t[0].numel, cb->stream));
  return TRUE;
fail:
  return FALSE;
}

/* ---- operations: the vtable (check, note reads and writes, record) --------------------------- */

/* Records @run over @n tensors after noting which of them are read and which written. */
static gboolean
record (CudaBackend *cb, OpRun run, const FvcPlan *plan, guint n, const FvcTensor *const *t, guint writes,
        float scale, GError **error)
{
  Op op;

  for (guint i = 0; i < n; i++) {
    if (t[i] == NULL)
      continue;
    if (((writes >> i) & 1u) ? !touch_tensor_write (cb, t[i], error) : !touch_tensor_read (cb, t[i], error))
      return FALSE;
  }
  op_init (&op, run, plan, n, t);
  op.scale = scale;
  return enqueue (cb, &op, error);
}

#define W(i) (1u << (i))

static gboolean
cuda_normalize_input (FvcBackend *be, const FvcTensor *u8, FvcTensor *out, GError **error)
{
  CudaBackend *cb = CB (be);

  g_return_val_if_fail (u8->shape[4] == 3 && out->numel == u8->numel, FALSE);
  if (!cb->fuse_input)
    return record (cb, run_normalize, NULL, 2, (const FvcTensor *[]) { u8, out }, W (1), 0.f, error);
  /* An earlier lazy input elsewhere must exist before it is forgotten (unless its clips are gone). */
  if (cb->lazy.active && cb->lazy.x.data != out->data && !cb->lazy.stale && !lazy_materialize (cb, error))
    return FALSE;
  cb->lazy.active = TRUE;
  cb->lazy.stale = FALSE;
  cb->lazy.u8 = *u8;
  cb->lazy.x = *out;
  return TRUE;
}

static gboolean
cuda_conv3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                     const FvcTensor *b, FvcTensor *y, FvcTensor *workspace, GError **error)
{
  g_return_val_if_fail (workspace != NULL && workspace->nbytes >= plan->workspace_bytes, FALSE);
  return record (CB (be), run_conv_forward, plan, 5, (const FvcTensor *[]) { x, w, b, y, workspace }, W (3) | W (4),
                 0.f, error);
}

static gboolean
cuda_conv3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *w,
                      const FvcTensor *dy, FvcTensor *dx, FvcTensor *dw, FvcTensor *db, FvcTensor *workspace,
                      GError **error)
{
  g_return_val_if_fail (workspace != NULL && workspace->nbytes >= plan->workspace_bytes, FALSE);
  return record (CB (be), run_conv_backward, plan, 7, (const FvcTensor *[]) { x, w, dy, dx, dw, db, workspace },
                 W (3) | W (4) | W (5), 0.f, error);
}

static gboolean
cuda_relu_forward (FvcBackend *be, const FvcTensor *x, FvcTensor *y, GError **error)
{
  return record (CB (be), run_relu_forward, NULL, 2, (const FvcTensor *[]) { x, y }, W (1), 0.f, error);
}

static gboolean
cuda_relu_backward (FvcBackend *be, const FvcTensor *y, const FvcTensor *dy, FvcTensor *dx, GError **error)
{
  return record (CB (be), run_relu_backward, NULL, 3, (const FvcTensor *[]) { y, dy, dx }, W (2), 0.f, error);
}

static gboolean
cuda_maxpool3d_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y, FvcTensor *workspace,
                        GError **error)
{
  const PoolPlan *p = (const PoolPlan *) plan;
  g_return_val_if_fail (p->pool != NULL || (workspace != NULL && workspace->nbytes >= plan->workspace_bytes), FALSE);
  return record (CB (be), run_pool_forward, plan, 3, (const FvcTensor *[]) { x, y, p->pool ? NULL : workspace },
                 W (1) | W (2), 0.f, error);
}

static gboolean
cuda_maxpool3d_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, const FvcTensor *y,
                         const FvcTensor *dy, FvcTensor *dx, FvcTensor *workspace, GError **error)
{
  const PoolPlan *p = (const PoolPlan *) plan;
  g_return_val_if_fail (p->pool != NULL || workspace != NULL, FALSE);
  return record (CB (be), run_pool_backward, plan, 5,
                 (const FvcTensor *[]) { x, y, dy, dx, p->pool ? NULL : workspace }, W (3), 0.f, error);
}

static gboolean
cuda_avgpool_global_forward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x, FvcTensor *y, GError **error)
{
  return record (CB (be), run_gap_forward, plan, 2, (const FvcTensor *[]) { x, y }, W (1), 0.f, error);
}

static gboolean
cuda_avgpool_global_backward (FvcBackend *be, const FvcPlan *plan, const FvcTensor *dy, FvcTensor *dx,
                              GError **error)
{
  return record (CB (be), run_gap_backward, plan, 2, (const FvcTensor *[]) { dy, dx }, W (1), 0.f, error);
}

/* The fused layer's partial sums: a buffer of the backend, grown when a larger shape first comes
 * (recorded work and graphs hold its address, so they go first). */
static gboolean
reduce_reserve (CudaBackend *cb, gsize bytes, GError **error)
{
  void *p = NULL;

  if (bytes <= cb->reduce_bytes)
    return TRUE;
  bytes = align_up (MAX (bytes, (gsize) 1 << 16));
  if (!flush (cb, error))
    return FALSE;
  FVC_CU_TRY (cudaStreamSynchronize (cb->stream));
  graphs_clear (cb);
  FVC_CU_TRY (cudaMalloc (&p, bytes));
  cb->counters.device_mallocs++;
  cudaFree (cb->reduce);
  cb->reduce = p;
  cb->reduce_bytes = bytes;
  return TRUE;
fail:
  return FALSE;
}

static gboolean
cuda_linear_forward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *b, FvcTensor *y,
                     GError **error)
{
  CudaBackend *cb = CB (be);

  if (lazy_is (cb, x) && w->shape[0] == 1) {
    const FvcTensor *u8 = &cb->lazy.u8;
    if (!reduce_reserve (cb, fvc_cuk_linear_u8_partial_floats (u8->shape[0], u8->shape[1],
                                                               u8->shape[2] * u8->shape[3]) * sizeof (float), error))
      return FALSE;
    cb->counters.fused_input_ops++;
    return record (cb, run_linear_u8_forward, NULL, 4, (const FvcTensor *[]) { &cb->lazy.u8, w, b, y }, W (3), 0.f,
                   error);
  }
  return record (cb, run_linear_forward, NULL, 4, (const FvcTensor *[]) { x, w, b, y }, W (3), 0.f, error);
}

static gboolean
cuda_linear_backward (FvcBackend *be, const FvcTensor *x, const FvcTensor *w, const FvcTensor *dy, FvcTensor *dx,
                      FvcTensor *dw, FvcTensor *db, GError **error)
{
  CudaBackend *cb = CB (be);

  if (dx == NULL && lazy_is (cb, x) && w->shape[0] == 1) {
    cb->counters.fused_input_ops++;
    return record (cb, run_linear_u8_backward, NULL, 4, (const FvcTensor *[]) { &cb->lazy.u8, dy, dw, db },
                   W (2) | W (3), 0.f, error);
  }
  return record (cb, run_linear_backward, NULL, 6, (const FvcTensor *[]) { x, w, dy, dx, dw, db },
                 W (3) | W (4) | W (5), 0.f, error);
}

static gboolean
cuda_bce_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, FvcTensor *losses,
                  GError **error)
{
  return record (CB (be), run_bce_forward, NULL, 3, (const FvcTensor *[]) { logits, targets, losses }, W (2), 0.f,
                 error);
}

static gboolean
cuda_bce_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale, FvcTensor *dlogits,
                   GError **error)
{
  return record (CB (be), run_bce_backward, NULL, 3, (const FvcTensor *[]) { logits, targets, dlogits }, W (2), scale,
                 error);
}

static gboolean
cuda_hinge_forward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, FvcTensor *losses,
                    GError **error)
{
  return record (CB (be), run_hinge_forward, NULL, 3, (const FvcTensor *[]) { logits, targets, losses }, W (2), 0.f,
                 error);
}

static gboolean
cuda_hinge_backward (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets, float scale,
                     FvcTensor *dlogits, GError **error)
{
  return record (CB (be), run_hinge_backward, NULL, 3, (const FvcTensor *[]) { logits, targets, dlogits }, W (2),
                 scale, error);
}

/* Flat views of @n floats at @p, for records. */
static void
flat_view (FvcTensor *t, gconstpointer p, gsize n)
{
  fvc_tensor_init (t, "flat", FVC_DEVICE_CUDA, FVC_DTYPE_F32, 1, (gint64[]) { (gint64) n });
  t->data = (gpointer) p;
}

static gboolean
cuda_accumulate (FvcBackend *be, gpointer dst, gconstpointer src, gsize n, GError **error)
{
  FvcTensor d, s;

  flat_view (&d, dst, n);
  flat_view (&s, src, n);
  return record (CB (be), run_accumulate, NULL, 2, (const FvcTensor *[]) { &d, &s }, W (0), 0.f, error);
}

/* Not recorded: its scalars change every step, and it is one launch anyway. */
static gboolean
cuda_adamw_step (FvcBackend *be, gpointer param, gconstpointer grad, gpointer m, gpointer v, gsize n,
                 const FvcAdamWUpdate *u, GError **error)
{
  CudaBackend *cb = CB (be);
  FvcCukAdamW k = { u->decay, u->beta1, u->one_minus_beta1, u->beta2, u->one_minus_beta2, u->step_size,
                    u->bias_correction2_sqrt, u->eps };

  select_device (cb);
  if (!touch_write (cb, param, n * sizeof (float), error) || !flush (cb, error))
    return FALSE;
  FVC_CU_TRY (fvc_cuk_adamw (param, grad, m, v, (int64_t) n, k, cb->stream));
  cb->counters.ops_eager++;
  return TRUE;
fail:
  return FALSE;
}

/* ---- construction ------------------------------------------------------------------------- */

static gboolean
cuda_set_precision (FvcBackend *be, FvcPrecision precision, GError **error)
{
  if (precision > FVC_PRECISION_BF16) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_INVALID, "unknown precision %d", (int) precision);
    return FALSE;
  }
  be->precision = precision;
  return TRUE;
}

int
fvc_cuda_device_count (char **reason)
{
  int n = 0;
  cudaError_t e = cudaGetDeviceCount (&n);

  if (e != cudaSuccess || n <= 0) {
    if (reason != NULL)
      *reason = e != cudaSuccess ? g_strdup_printf ("cudaGetDeviceCount: %s: %s", cudaGetErrorName (e),
                                                    cudaGetErrorString (e))
                                 : g_strdup ("cudaGetDeviceCount: no CUDA device");
    cudaGetLastError ();
    return 0;
  }
  return n;
}

static void
cuda_destroy (FvcBackend *be)
{
  CudaBackend *cb = CB (be);

  if (cb->stream) {
    flush (cb, NULL);
    cudaStreamSynchronize (cb->stream);
  }
  graphs_clear (cb);
  if (cb->dnn)
    fvc_cudnn_free (cb->dnn);
  if (cb->blas)
    cublasDestroy (cb->blas);
  if (cb->blas_ws)
    cudaFree (cb->blas_ws);
  if (cb->reduce)
    cudaFree (cb->reduce);
  if (cb->stream)
    cudaStreamDestroy (cb->stream);
  if (cb->sizes)
    g_hash_table_unref (cb->sizes);
  if (cb->host_sizes)
    g_hash_table_unref (cb->host_sizes);
  g_free (cb->graph_error);
  g_free (cb);
}

FvcBackend *
fvc_backend_cuda_new (GError **error)
{
  CudaBackend *cb = g_new0 (CudaBackend, 1);
  FvcBackend *be = &cb->parent;
  const char *v;
  int n_dev = 0;

  be->name = "cuda";
  be->device = FVC_DEVICE_CUDA;
  be->host_visible = FALSE;
  be->precision = FVC_PRECISION_FP32;
  be->destroy = cuda_destroy;
  be->set_precision = cuda_set_precision;
  be->alloc = cuda_alloc;
  be->free = cuda_free;
  be->alloc_host = cuda_alloc_host;
  be->free_host = cuda_free_host;
  be->copy_h2d = cuda_copy_h2d;
  be->copy_d2h = cuda_copy_d2h;
  be->memset_zero = cuda_memset_zero;
  be->synchronize = cuda_synchronize;
  be->submit = cuda_submit;
  be->bind_scratch = cuda_bind_scratch;
  be->to_plain = cuda_to_plain;
  be->from_plain = cuda_from_plain;
  be->plan_new = cuda_plan_new;
  be->plan_free = cuda_plan_free;
  be->normalize_input = cuda_normalize_input;
  be->conv3d_forward = cuda_conv3d_forward;
  be->conv3d_backward = cuda_conv3d_backward;
  be->relu_forward = cuda_relu_forward;
  be->relu_backward = cuda_relu_backward;
  be->maxpool3d_forward = cuda_maxpool3d_forward;
  be->maxpool3d_backward = cuda_maxpool3d_backward;
  be->avgpool_global_forward = cuda_avgpool_global_forward;
  be->avgpool_global_backward = cuda_avgpool_global_backward;
  be->linear_forward = cuda_linear_forward;
  be->linear_backward = cuda_linear_backward;
  be->bce_forward = cuda_bce_forward;
  be->bce_backward = cuda_bce_backward;
  be->hinge_forward = cuda_hinge_forward;
  be->hinge_backward = cuda_hinge_backward;
  be->accumulate = cuda_accumulate;
  be->adamw_step = cuda_adamw_step;

  cb->sizes = g_hash_table_new (NULL, NULL);
  cb->host_sizes = g_hash_table_new (NULL, NULL);
  cb->use_graphs = env_flag ("FVC_CUDA_GRAPHS", TRUE);
  cb->fuse_input = env_flag ("FVC_CUDA_FUSE_INPUT", TRUE);
  cb->pool_cudnn = g_strcmp0 (g_getenv ("FVC_CUDA_POOL"), "kernel") != 0;
  cb->cudnn_find = env_flag ("FVC_CUDNN_FIND", FALSE);
  cb->cudnn_probe = env_flag ("FVC_CUDNN_PROBE", TRUE);
  cb->bf16_order = g_strcmp0 (g_getenv ("FVC_CUDA_BF16_LAYOUT"), "ncdhw") == 0 ? FVC_CUK_NCDHW : FVC_CUK_NDHWC;
  cb->cudnn_ws_limit = (gsize) 256 << 20;
  if ((v = g_getenv ("FVC_CUDNN_WORKSPACE_MB")) != NULL && g_ascii_strtoull (v, NULL, 10) > 0)
    cb->cudnn_ws_limit = (gsize) g_ascii_strtoull (v, NULL, 10) << 20;
  if ((v = g_getenv ("FVC_CUDA_DEVICE")) != NULL)
    cb->device = (int) g_ascii_strtoll (v, NULL, 10);

  FVC_CU_TRY (cudaGetDeviceCount (&n_dev));
  if (cb->device < 0 || cb->device >= n_dev) {
    g_set_error (error, FVC_ERROR, FVC_ERROR_DEVICE, "CUDA device %d requested (FVC_CUDA_DEVICE), %d present",
                 cb->device, n_dev);
    goto fail;
  }
  FVC_CU_TRY (cudaSetDevice (cb->device));
  FVC_CU_TRY (cudaStreamCreateWithFlags (&cb->stream, cudaStreamNonBlocking));
  FVC_CU_TRY (cublasCreate (&cb->blas));
  FVC_CU_TRY (cublasSetStream (cb->blas, cb->stream));
  /* A workspace of our own, so that cuBLAS allocates nothing while a graph is captured. */
  cb->blas_ws_bytes = (gsize) 32 << 20;
  FVC_CU_TRY (cudaMalloc (&cb->blas_ws, cb->blas_ws_bytes));
  cb->counters.device_mallocs++;
  FVC_CU_TRY (cublasSetWorkspace (cb->blas, cb->blas_ws, cb->blas_ws_bytes));
  cb->dnn = fvc_cudnn_new (cb->stream, error);
  if (cb->dnn == NULL)
    goto fail;
  /* the device memory in the stats is what --memstats reports (fvc-backend.c) */
  refresh_device_memory (cb);
  return be;
fail:
  g_prefix_error (error, "device \"cuda\": ");
  cuda_destroy (be);
  return NULL;
}

void
fvc_backend_cuda_get_counters (FvcBackend *be, FvcCudaCounters *out)
{
  g_return_if_fail (be != NULL && be->device == FVC_DEVICE_CUDA);
  *out = CB (be)->counters;
}

char *
fvc_backend_cuda_describe (FvcBackend *be)
{
  CudaBackend *cb = CB (be);
  struct cudaDeviceProp prop;
  int drv = 0, rt = 0, blas = 0;

  memset (&prop, 0, sizeof prop);
  cudaGetDeviceProperties (&prop, cb->device);
  cudaDriverGetVersion (&drv);
  cudaRuntimeGetVersion (&rt);
  cublasGetVersion (cb->blas, &blas);
  cudaGetLastError ();
  return g_strdup_printf ("%s (sm_%d%d, %d SMs, %.1f GiB), driver %d.%d, runtime %d.%d, cuBLAS %d, cuDNN %s; "
                          "precision %s, graphs %s, fused input %s, pooling %s, cuDNN %s, bf16 layout %s, "
                          "workspace %" G_GSIZE_FORMAT " MiB",
                          prop.name, prop.major, prop.minor, prop.multiProcessorCount,
                          prop.totalGlobalMem / 1073741824.0, drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10,
                          blas, fvc_cudnn_version_string (), fvc_precision_name (be->precision),
                          cb->use_graphs ? "on" : cb->graph_error ? cb->graph_error : "off",
                          cb->fuse_input ? "on" : "off", cb->pool_cudnn ? "cudnn" : "kernel",
                          cb->cudnn_find ? "find" : cb->cudnn_probe ? "heuristics+probe" : "heuristics",
                          cb->bf16_order == FVC_CUK_NDHWC ? "ndhwc" : "ncdhw", cb->cudnn_ws_limit >> 20);
}
