/* fvc-backend.h — the compute backend interface of the training core.
 *
 * A backend is a table of functions over device memory: allocation and copies, "plans" for the
 * shaped operations (3D convolution, max pooling, global average pooling), and the operations
 * every model needs (input normalisation, ReLU, linear, losses, gradient accumulation, AdamW).
 * The CPU backend (fvc-backend-cpu.c: oneDNN + OpenBLAS + OpenMP) implements it; the CUDA backend
 * (src/train/cuda/, cuDNN + cuBLAS + own kernels) implements the same table, so models and the
 * trainer never know which one they run on.
 *
 * Rules every implementation follows:
 *  - Plans are made once per shape (at model creation, and once more for a smaller last batch)
 *    and say how many bytes their output, persistent workspace and transient scratch take; the
 *    model sizes its activation arena from them. Nothing is allocated while a step runs.
 *  - Activations may use a backend-chosen layout (FvcTensor.layout); parameters, gradients and
 *    optimizer state are always plain PyTorch layouts (OIDHW, [out, in]); so are the input
 *    normalisation output, the global-average-pool output and everything linear/loss touch.
 *  - Results are deterministic for the same inputs on the same machine (same thread count).
 *  - Every operation returns FALSE with a GError (FVC_ERROR_DEVICE for device failures) instead
 *    of aborting; the CPU backend's operations fail only on programming errors.
 *  - Operations may be asynchronous on the device; synchronize() waits, copy_d2h() implies it.
 */
#pragma once

#include <glib.h>

#include "fvc-tensor.h"

G_BEGIN_DECLS

typedef enum {
  FVC_OP_CONV3D,          /* Conv3d, stride 1, zero padding, + bias */
  FVC_OP_MAXPOOL3D,       /* MaxPool3d, no padding, stride == kernel */
  FVC_OP_AVGPOOL_GLOBAL,  /* mean over (T, H, W): (N, C, T, H, W) -> plain (N, C) */
} FvcOpKind;

/* What a plan is made for. Input is (n, c, t, h, w) in layout @src_layout (NULL: plain). */
typedef struct {
  FvcOpKind kind;
  guint n, c, t, h, w;
  const FvcLayout *src_layout;
  guint out_c;               /* conv: output channels */
  guint kernel[3];           /* conv, maxpool: (kT, kH, kW) */
  guint pad[3];              /* conv: (pT, pH, pW) on both sides */
  gboolean training;         /* also make the backward primitives */
  gboolean need_src_grad;    /* conv: compute dL/dx (FALSE for the first layer) */
} FvcPlanDesc;

/* The output (N, C', T', H', W') of the operation @desc describes — convolution T + 2p - k + 1,
 * max pooling floor (T / k), global average pooling 1 — as every backend sizes its plan.
 * FALSE (FVC_ERROR_INVALID, naming the operation) when the window does not fit the (padded)
 * input. */
gboolean fvc_plan_desc_out_dims (const FvcPlanDesc *desc, gint64 out_dims[5], GError **error);

/* The public part of a plan; backends embed it first in their own struct. */
typedef struct {
  FvcPlanDesc desc;
  guint out_dims[5];           /* (N, C', T', H', W'); avgpool: (N, C, 1, 1, 1) */
  const FvcLayout *dst_layout; /* layout of the output and of its gradient; owned by the plan */
  gsize dst_bytes;             /* storage of the output (and of its gradient) */
  gsize workspace_bytes;       /* kept from forward to backward (pooling indices, packed weights) */
  gsize scratch_bytes;         /* used during one call only; shared by all plans of a model */
  const char *impl;            /* implementation of the forward, for logs ("jit:avx2") */
  const char *impl_backward;   /* of the (weights) backward, for logs; NULL when not training */
} FvcPlan;

/* One AdamW update (PyTorch's torch.optim.AdamW, single-tensor path), precomputed on the host:
 *   p = p * (1 - lr * wd)
 *   m = m * beta1 + g * (1 - beta1)
 *   v = v * beta2 + g * g * (1 - beta2)
 *   p = p - step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
 * with step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t). */
typedef struct {
  float decay;               /* 1 - lr * wd */
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float step_size;
  float bias_correction2_sqrt;
  float eps;
} FvcAdamWUpdate;

/* Arithmetic of the convolutions and matmuls; parameters, gradients and optimizer state stay
 * float32 in every mode (bf16 is autocast-style: bf16 operands, fp32 accumulation and master
 * weights). Backends without set_precision() do FP32 only. */
typedef enum {
  FVC_PRECISION_FP32,        /* float32 throughout (no TF32) */
  FVC_PRECISION_TF32,        /* float32 storage, convolutions on TF32 tensor cores (PyTorch's cuDNN default) */
  FVC_PRECISION_BF16,        /* bf16 convolution operands and activations, fp32 accumulation */
} FvcPrecision;

/* "fp32", "tf32", "bf16" */
const char *fvc_precision_name (FvcPrecision precision);
gboolean fvc_precision_from_name (const char *name, FvcPrecision *out);

typedef struct {
  guint64 n_allocs;          /* alloc() calls that succeeded, ever */
  guint64 n_frees;
  guint64 bytes_in_use;      /* device bytes held now */
  guint64 peak_bytes;
  guint64 n_plans;           /* plans made, ever */
  guint64 device_total_bytes;  /* the device's memory (cudaMemGetInfo) at the last allocation; 0 on the CPU */
  guint64 device_free_bytes;
} FvcBackendStats;

struct _FvcBackend {
  const char *name;          /* "cpu", "cuda" */
  FvcDevice device;
  gboolean host_visible;     /* device pointers are host pointers (the CPU backend) */
  FvcBackendStats stats;     /* kept by the backend */
  FvcPrecision precision;    /* set before any plan is made (fvc_backend_set_precision) */

  void (*destroy) (FvcBackend *be);
  /* NULL: FVC_PRECISION_FP32 only. */
  gboolean (*set_precision) (FvcBackend *be, FvcPrecision precision, GError **error);

  /* ---- memory (bytes; allocations are zeroed and at least FVC_ARENA_ALIGN aligned) ---- */
  gpointer (*alloc) (FvcBackend *be, gsize bytes, GError **error);
  void (*free) (FvcBackend *be, gpointer ptr);
  /* Host memory for staging clips (pinned on CUDA). */
  gpointer (*alloc_host) (FvcBackend *be, gsize bytes, GError **error);
  void (*free_host) (FvcBackend *be, gpointer ptr);
  gboolean (*copy_h2d) (FvcBackend *be, gpointer dst, gconstpointer src, gsize bytes, GError **error);
  gboolean (*copy_d2h) (FvcBackend *be, gpointer dst, gconstpointer src, gsize bytes, GError **error);
  gboolean (*memset_zero) (FvcBackend *be, gpointer dst, gsize bytes, GError **error);
  gboolean (*synchronize) (FvcBackend *be, GError **error);
  /* Starts what the operations so far queued, without waiting (NULL: they already run). */
  gboolean (*submit) (FvcBackend *be, GError **error);
  /* Binds the model's shared scratch (at least the largest plan's scratch_bytes). */
  void (*bind_scratch) (FvcBackend *be, gpointer scratch, gsize bytes);
  /* Layout conversion between a tensor (any layout) and plain device memory of numel items. */
  gboolean (*to_plain) (FvcBackend *be, const FvcTensor *src, gpointer dst_plain, GError **error);
  gboolean (*from_plain) (FvcBackend *be, gconstpointer src_plain, FvcTensor *dst, GError **error);

  /* ---- plans ---- */
  FvcPlan *(*plan_new) (FvcBackend *be, const FvcPlanDesc *desc, GError **error);
  void (*plan_free) (FvcBackend *be, FvcPlan *plan);

  /* ---- operations (shapes in fvc-layers.h) ---- */
  gboolean (*normalize_input) (FvcBackend *be, const FvcTensor *u8, FvcTensor *out, GError **error);
  gboolean (*conv3d_forward) (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x,
                              const FvcTensor *w, const FvcTensor *b, FvcTensor *y,
                              FvcTensor *workspace, GError **error);
  /* dx may be NULL; dw and db are overwritten (not accumulated). */
  gboolean (*conv3d_backward) (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x,
                               const FvcTensor *w, const FvcTensor *dy, FvcTensor *dx,
                               FvcTensor *dw, FvcTensor *db, FvcTensor *workspace, GError **error);
  /* Elementwise over the whole storage of the tensors (same layout); in place allowed. */
  gboolean (*relu_forward) (FvcBackend *be, const FvcTensor *x, FvcTensor *y, GError **error);
  gboolean (*relu_backward) (FvcBackend *be, const FvcTensor *y, const FvcTensor *dy, FvcTensor *dx,
                             GError **error);
  gboolean (*maxpool3d_forward) (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x,
                                 FvcTensor *y, FvcTensor *workspace, GError **error);
  gboolean (*maxpool3d_backward) (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x,
                                  const FvcTensor *y, const FvcTensor *dy, FvcTensor *dx,
                                  FvcTensor *workspace, GError **error);
  gboolean (*avgpool_global_forward) (FvcBackend *be, const FvcPlan *plan, const FvcTensor *x,
                                      FvcTensor *y, GError **error);
  gboolean (*avgpool_global_backward) (FvcBackend *be, const FvcPlan *plan, const FvcTensor *dy,
                                       FvcTensor *dx, GError **error);
  gboolean (*linear_forward) (FvcBackend *be, const FvcTensor *x, const FvcTensor *w,
                              const FvcTensor *b, FvcTensor *y, GError **error);
  /* dx may be NULL; dw and db are overwritten. */
  gboolean (*linear_backward) (FvcBackend *be, const FvcTensor *x, const FvcTensor *w,
                               const FvcTensor *dy, FvcTensor *dx, FvcTensor *dw, FvcTensor *db,
                               GError **error);
  gboolean (*bce_forward) (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets,
                           FvcTensor *losses, GError **error);
  gboolean (*bce_backward) (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets,
                            float scale, FvcTensor *dlogits, GError **error);
  gboolean (*hinge_forward) (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets,
                             FvcTensor *losses, GError **error);
  gboolean (*hinge_backward) (FvcBackend *be, const FvcTensor *logits, const FvcTensor *targets,
                              float scale, FvcTensor *dlogits, GError **error);
  /* dst[i] += src[i] over @n floats (gradient accumulation). */
  gboolean (*accumulate) (FvcBackend *be, gpointer dst, gconstpointer src, gsize n, GError **error);
  /* One AdamW update over @n floats of flat arenas. */
  gboolean (*adamw_step) (FvcBackend *be, gpointer param, gconstpointer grad, gpointer m, gpointer v,
                          gsize n, const FvcAdamWUpdate *u, GError **error);
};

/* Makes a backend (used for device "cuda"). */
typedef FvcBackend *(*FvcBackendFactory) (GError **error);
/* Programs that link the CUDA backend statically (the GPU tests) register it here; otherwise
 * fvc_backend_new (FVC_DEVICE_CUDA) opens the module libfvc-cuda.so. */
void fvc_backend_register_cuda (FvcBackendFactory factory);

/* A new backend instance for @device (one per model: it holds the streams/handles and the
 * bound scratch of that model). FVC_ERROR_UNSUPPORTED for a device this build lacks. */
FvcBackend *fvc_backend_new (FvcDevice device, GError **error);
void fvc_backend_free (FvcBackend *be);
/* TRUE when this build can create a backend for @device (cuda: built with the CUDA backend). */
gboolean fvc_backend_available (FvcDevice device);
/* be->submit when the backend has one. */
gboolean fvc_backend_submit (FvcBackend *be, GError **error);
/* Before any plan: FVC_ERROR_UNSUPPORTED when @be cannot compute in @precision. */
gboolean fvc_backend_set_precision (FvcBackend *be, FvcPrecision precision, GError **error);

/* Implementations (one per backend file). */
FvcBackend *fvc_backend_cpu_new (GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FvcBackend, fvc_backend_free)

G_END_DECLS
