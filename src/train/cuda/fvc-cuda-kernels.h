/* fvc-cuda-kernels.h — the CUDA backend's own kernels, as plain C launchers (the kernels sit
 * beside their launchers in fvc-cuda-*.cu). Every launcher enqueues on @s and returns the
 * launch's cudaError_t (cudaGetLastError), which the caller checks with FVC_CU_TRY; kernel
 * faults show up at the next synchronisation.
 *
 * Activation formats: FVC_CUK_NCDHW is PyTorch's plain layout; FVC_CUK_NDHWC is channels-last
 * (what cuDNN's bf16 tensor-core convolutions want). A 5D activation (N, C, T, H, W) is described
 * by n, c (stored channels), s = T*H*W, and the format; weights (O, C, kT, kH, kW) are the same
 * shape with n = O and s = kT*kH*kW, so one conversion kernel serves both.
 * Not here: cuDNN (fvc-cudnn.c), cuBLAS and the op queue (fvc-backend-cuda.c).
 */
#pragma once

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define FVC_CUK_HD __host__ __device__
#else
#define FVC_CUK_HD
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  FVC_CUK_F32 = 0,
  FVC_CUK_BF16 = 1,
} FvcCukType;

typedef enum {
  FVC_CUK_NCDHW = 0,
  FVC_CUK_NDHWC = 1,
} FvcCukOrder;

/* A 5D activation or weight tensor as the kernels see it. */
typedef struct {
  FvcCukType type;
  FvcCukOrder order;
  int64_t n;          /* batch (or output channels for weights) */
  int64_t c;          /* stored channels (>= logical ones when padded) */
  int64_t t, h, w;    /* spatial extent (kernel extent for weights) */
} FvcCukShape;

static inline FVC_CUK_HD int64_t
fvc_cuk_shape_spatial (const FvcCukShape *s)
{
  return s->t * s->h * s->w;
}

static inline FVC_CUK_HD int64_t
fvc_cuk_shape_numel (const FvcCukShape *s)
{
  return s->n * s->c * s->t * s->h * s->w;
}

static inline FVC_CUK_HD size_t
fvc_cuk_type_size (FvcCukType t)
{
  return t == FVC_CUK_BF16 ? 2 : 4;
}

/* ---- input ---- */

/* u8 (N, T, H, W, 3) -> x (N, 3, T, H, W) f32: (v / 255 - mean[c]) / std[c], each operation
 * rounded to float as the CPU backend and PyTorch do (so results are bitwise equal). */
cudaError_t fvc_cuk_normalize (const uint8_t *u8, float *x, int64_t n, int64_t t, int64_t hw, cudaStream_t s);

/* ---- layouts ---- */

/* dst = src converted between formats and types; channels [0, min(src.c, dst.c)) are copied,
 * dst channels past src.c are zero (padding). Same n and spatial extent. */
cudaError_t fvc_cuk_convert (const void *src, FvcCukShape src_shape, void *dst, FvcCukShape dst_shape,
                             cudaStream_t s);

/* ---- elementwise ---- */

/* y = max(x, 0) over @n elements of @type (in place allowed). */
cudaError_t fvc_cuk_relu_forward (const void *x, void *y, int64_t n, FvcCukType type, cudaStream_t s);
/* dx = y > 0 ? dy : 0 (in place allowed, dx == dy). */
cudaError_t fvc_cuk_relu_backward (const void *y, const void *dy, void *dx, int64_t n, FvcCukType type,
                                   cudaStream_t s);
/* y[n, c, ...] += b[c] (f32 bias, one per stored channel). */
cudaError_t fvc_cuk_bias_add (void *y, FvcCukShape shape, const float *b, cudaStream_t s);
/* Per-channel sums of a 5D tensor, in a fixed order (deterministic), divided by @div:
 *   per_sample  out (N, C)[n, c] = sum over space of x[n, c, ...] / div   (global average pool)
 *   otherwise   out (C)[c] = sum over n and space of x[n, c, ...] / div   (conv bias gradient)
 * @partial: fvc_cuk_channel_sums_partial_floats (shape, per_sample) floats of scratch. */
cudaError_t fvc_cuk_channel_sums (const void *x, FvcCukShape shape, int per_sample, float div, float *out,
                                  float *partial, cudaStream_t s);
size_t fvc_cuk_channel_sums_partial_floats (FvcCukShape shape, int per_sample);

/* ---- pooling (own kernels: max pooling where cuDNN is not used, global average pool backward) ---- */

/* y (N, C', T/kT, H/kH, W/kW) = max over each window (stride = kernel, no padding); @argmax
 * (one byte per output) records the window offset of the first maximum, for the backward. */
cudaError_t fvc_cuk_maxpool_forward (const void *x, FvcCukShape xs, void *y, FvcCukShape ys, const int *kernel,
                                     uint8_t *argmax, cudaStream_t s);
/* dx = dy routed to the recorded argmax of each window, zero elsewhere. */
cudaError_t fvc_cuk_maxpool_backward (const void *dy, FvcCukShape ys, const uint8_t *argmax, void *dx,
                                      FvcCukShape xs, const int *kernel, cudaStream_t s);
/* dx[n, c, ...] = dy[n, c] / (T H W). */
cudaError_t fvc_cuk_gap_backward (const float *dy, void *dx, FvcCukShape xs, cudaStream_t s);

/* ---- linear layers ---- */

/* y[i, o] += b[o] for (n, o) outputs. */
cudaError_t fvc_cuk_linear_bias_add (float *y, const float *b, int64_t n, int64_t o, cudaStream_t s);
/* db[o] = sum over i of dy[i, o], in order. */
cudaError_t fvc_cuk_linear_bias_grad (const float *dy, float *db, int64_t n, int64_t o, cudaStream_t s);

/* One-output linear layer read straight from the uint8 clips (the normalised input is never
 * written): x = normalise(u8 (N, T, H, W, 3)) viewed as (N, 3 T H W) in PyTorch's (C, T, H, W)
 * order, w (1, 3 T H W), b (1):
 *   forward   y[i] = sum_k x[i, k] w[k] + b
 *   backward  dw[k] = sum_i dy[i] x[i, k], db = sum_i dy[i]
 * Sums are in a fixed order (block partials, then a serial pass): deterministic.
 * @partial: fvc_cuk_linear_u8_partial_floats (n, t, hw) floats. */
cudaError_t fvc_cuk_linear_u8_forward (const uint8_t *u8, int64_t n, int64_t t, int64_t hw, const float *w,
                                       const float *b, float *y, float *partial, cudaStream_t s);
cudaError_t fvc_cuk_linear_u8_backward (const uint8_t *u8, int64_t n, int64_t t, int64_t hw, const float *dy,
                                        float *dw, float *db, cudaStream_t s);
size_t fvc_cuk_linear_u8_partial_floats (int64_t n, int64_t t, int64_t hw);

/* ---- losses (targets 0/1; the formulas of fvc-layers.h) ---- */

cudaError_t fvc_cuk_bce_forward (const float *x, const float *y, float *loss, int64_t n, cudaStream_t s);
cudaError_t fvc_cuk_bce_backward (const float *x, const float *y, float scale, float *dx, int64_t n, cudaStream_t s);
cudaError_t fvc_cuk_hinge_forward (const float *x, const float *y, float *loss, int64_t n, cudaStream_t s);
cudaError_t fvc_cuk_hinge_backward (const float *x, const float *y, float scale, float *dx, int64_t n,
                                    cudaStream_t s);

/* ---- optimizer ---- */

/* dst[i] += src[i] over @n floats. */
cudaError_t fvc_cuk_accumulate (float *dst, const float *src, int64_t n, cudaStream_t s);

/* AdamW over @n floats with the host-computed scalars of FvcAdamWUpdate (fvc-backend.h), in
 * PyTorch's operation order, every operation rounded as on the CPU (no fused multiply-add), so
 * CPU and GPU give the same bits for the same gradients. */
typedef struct {
  float decay, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, bias_correction2_sqrt, eps;
} FvcCukAdamW;
cudaError_t fvc_cuk_adamw (float *p, const float *g, float *m, float *v, int64_t n, FvcCukAdamW u, cudaStream_t s);

#ifdef __cplusplus
}
#endif
