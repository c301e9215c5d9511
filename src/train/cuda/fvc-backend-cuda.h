/* fvc-backend-cuda.h — the CUDA training backend (fvc-backend.h's table on one NVIDIA GPU):
 * cuDNN convolutions and pooling (fvc-cudnn.h), cuBLAS matmuls, own kernels for the rest
 * (fvc-cuda-kernels.h), a stream per backend, pinned host staging, and CUDA graphs.
 *
 * What is particular to this backend:
 *  - Precision: FVC_PRECISION_FP32 (FMA math, no TF32), TF32 (cuDNN's tensor cores on float32,
 *    PyTorch's default for convolutions), BF16 (convolution operands and activations in bf16,
 *    channels-last; fp32 accumulation, fp32 weights, gradients and optimizer; linear layers and
 *    losses in fp32). Activations then carry a layout ("bf16-ndhwc") and the first convolution
 *    converts the plain float32 input itself.
 *  - Graphs: operations are recorded, not launched, until something needs their results (a copy
 *    to or from the host, synchronize, an AdamW step); the recorded sequence is then captured
 *    once as a CUDA graph and replayed whenever the same sequence (same operations, tensors and
 *    scalars) comes again — a training step costs one launch. FVC_CUDA_GRAPHS=0 launches every
 *    operation directly; a capture that fails turns graphs off for the backend (see the counters).
 *  - Fused input: for a one-output linear layer over the normalised input (logistic_regression,
 *    svm), forward and backward read the uint8 clips directly; the float32 input is written only
 *    if something else reads it (FVC_CUDA_FUSE_INPUT=0: always). Reading that input after its
 *    clips were replaced by the next batch is an error.
 *  - copy_h2d() from memory of alloc_host() (pinned) is asynchronous: keep the source unchanged
 *    until the next synchronize() or copy_d2h().
 *  - Environment, read when a backend is made: FVC_CUDA_DEVICE (index, default 0),
 *    FVC_CUDA_GRAPHS, FVC_CUDA_FUSE_INPUT (1/0), FVC_CUDA_POOL (cudnn | kernel),
 *    FVC_CUDA_BF16_LAYOUT (ndhwc | ncdhw), FVC_CUDNN_FIND (1: choose algorithms by timing),
 *    FVC_CUDNN_PROBE (0: trust the heuristics without a trial run), FVC_CUDNN_WORKSPACE_MB (256).
 */
#pragma once

#include "fvc-backend.h"

G_BEGIN_DECLS

FvcBackend *fvc_backend_cuda_new (GError **error);

/* Number of CUDA devices; 0 with @reason (transfer full) when there is no driver or device. */
int fvc_cuda_device_count (char **reason);

typedef struct {
  guint64 device_mallocs;    /* cudaMalloc/cudaHostAlloc of the backend's own memory, ever */
  guint64 graphs_captured;   /* operation sequences captured as graphs */
  guint64 graph_launches;
  guint64 ops_in_graphs;     /* operations run through graph launches */
  guint64 ops_eager;         /* operations launched one by one */
  guint64 fused_input_ops;   /* linear passes that read the uint8 clips */
  guint64 normalize_runs;    /* normalisations actually run */
  const char *graph_error;   /* why graphs were turned off; NULL while they are on or never tried */
} FvcCudaCounters;

void fvc_backend_cuda_get_counters (FvcBackend *be, FvcCudaCounters *out);
/* One line: device, compute capability, memory, driver/runtime/cuDNN/cuBLAS versions, settings.
 * (transfer full) */
char *fvc_backend_cuda_describe (FvcBackend *be);
/* How plan @plan is computed ("cudnn bf16-ndhwc fwd=... ", "kernel"). (transfer none) */
const char *fvc_backend_cuda_plan_describe (const FvcPlan *plan);

G_END_DECLS
