/* fvc-cudnn.h — everything the CUDA backend asks of cuDNN, behind a plain C interface: 3D
 * convolutions (forward, backward data, backward filter) and 3D max pooling (forward, backward),
 * in float32 or bf16, channels-first (NCDHW) or channels-last (NDHWC). cuDNN's own types never
 * leave fvc-cudnn.c (the legacy cuDNN 9 API: descriptors + cudnnConvolution*).
 *
 * Algorithms are chosen once, when a convolution is made: cuDNN's heuristics give candidates
 * (deterministic ones only for the backward passes, workspace within the limit), and each
 * candidate is run once on scratch buffers of the real shape ("probe"); the first that runs is
 * kept. With find = TRUE, cudnnFind*AlgorithmEx times them instead and the fastest is kept
 * (faster, but the choice can differ between runs). Every call returns FALSE with a GError
 * (FVC_ERROR_DEVICE, the call text and cuDNN's message) on failure.
 */
#pragma once

#include <cuda_runtime_api.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _FvcCudnn FvcCudnn;
typedef struct _FvcCudnnConv FvcCudnnConv;
typedef struct _FvcCudnnPool FvcCudnnPool;

typedef enum {
  FVC_CUDNN_F32,
  FVC_CUDNN_BF16,          /* bf16 data, float32 accumulation */
} FvcCudnnType;

typedef enum {
  FVC_CUDNN_NCDHW,         /* filters OIDHW */
  FVC_CUDNN_NDHWC,         /* filters ODHWI */
} FvcCudnnOrder;

/* A handle on @stream (borrowed; every call is enqueued on it). */
FvcCudnn *fvc_cudnn_new (cudaStream_t stream, GError **error);
void fvc_cudnn_free (FvcCudnn *dnn);
/* "9.14.0" of the library loaded at run time. (transfer none) */
const char *fvc_cudnn_version_string (void);

typedef struct {
  guint n, c, t, h, w;     /* input; c = stored channels */
  guint o;                 /* output channels */
  guint k[3], pad[3];      /* kernel (kT, kH, kW), zero padding on both sides; stride 1 */
  FvcCudnnType type;
  FvcCudnnOrder order;
  gboolean tf32;           /* F32 only: TF32 tensor cores allowed (else FMA math only) */
  gboolean backward_data;  /* also choose a backward-data algorithm */
  gboolean backward_filter;
  gsize workspace_limit;   /* bytes, per call */
  gboolean probe;          /* run each chosen algorithm once at creation */
  gboolean find;           /* choose by timing (cudnnFind*AlgorithmEx) */
} FvcCudnnConvDesc;

/* FVC_ERROR_UNSUPPORTED when cuDNN has no working algorithm for this shape, type and order (the
 * caller may try another format). */
FvcCudnnConv *fvc_cudnn_conv_new (FvcCudnn *dnn, const FvcCudnnConvDesc *desc, GError **error);
void fvc_cudnn_conv_free (FvcCudnnConv *conv);
/* Workspace bytes the largest of the chosen algorithms needs. */
gsize fvc_cudnn_conv_get_workspace (const FvcCudnnConv *conv);
/* "fwd=IMPLICIT_PRECOMP_GEMM(tensor) bwd-data=ALGO_1 bwd-filter=ALGO_1". (transfer none) */
const char *fvc_cudnn_conv_describe (const FvcCudnnConv *conv);

/* x (n, c, t, h, w), w (o, c, kT, kH, kW) in the conv's type/order -> y (n, o, t', h', w'). */
gboolean fvc_cudnn_conv_forward (FvcCudnnConv *conv, const void *x, const void *w, void *y, void *workspace,
                                 GError **error);
/* dy, w -> dx (overwritten). */
gboolean fvc_cudnn_conv_backward_data (FvcCudnnConv *conv, const void *dy, const void *w, void *dx,
                                       void *workspace, GError **error);
/* x, dy -> dw (overwritten). */
gboolean fvc_cudnn_conv_backward_filter (FvcCudnnConv *conv, const void *x, const void *dy, void *dw,
                                         void *workspace, GError **error);

/* Max pooling over (kT, kH, kW) windows, stride = kernel, no padding (floor mode), NaN
 * propagating, deterministic backward. FVC_ERROR_UNSUPPORTED when cuDNN refuses the format
 * (with @probe: when a forward and backward on scratch buffers of the real shape fail). */
FvcCudnnPool *fvc_cudnn_pool_new (FvcCudnn *dnn, guint n, guint c, guint t, guint h, guint w, const guint *kernel,
                                  FvcCudnnType type, FvcCudnnOrder order, gboolean probe, GError **error);
void fvc_cudnn_pool_free (FvcCudnnPool *pool);
gboolean fvc_cudnn_pool_forward (FvcCudnnPool *pool, const void *x, void *y, GError **error);
gboolean fvc_cudnn_pool_backward (FvcCudnnPool *pool, const void *x, const void *y, const void *dy, void *dx,
                                  GError **error);

G_END_DECLS
