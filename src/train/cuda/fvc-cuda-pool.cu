/* fvc-cuda-pool.cu — pooling kernels and their launchers: max pooling with a one-byte argmax
 * workspace (used where cuDNN's pooling is not: FVC_CUDA_POOL=kernel, or a format cuDNN refuses)
 * and the global average pool's backward (its forward is fvc_cuk_channel_sums). Shapes in
 * fvc-cuda-kernels.h. Not here: cuDNN's pooling (fvc-cudnn.c). */
#include "fvc-cuda-common.cuh"

/* ---- max pooling: stride == kernel, no padding, floor mode ---- */

/* One thread per output element (storage order of y, so writes coalesce). The first maximum
 * wins, NaN propagates (PyTorch's rule: val > max || isnan(val)). */
template <typename T>
__global__ void
maxpool_forward_kernel (const T *__restrict__ x, FvcCukShape xs, T *__restrict__ y, FvcCukShape ys, int kt, int kh,
                        int kw, uint8_t *__restrict__ argmax, int64_t total)
{
  const int64_t XS = fvc_cuk_shape_spatial (&xs), YS = fvc_cuk_shape_spatial (&ys);
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < total; i += (int64_t) gridDim.x * blockDim.x) {
    int64_t n, c, sp;
    fvc_coords (ys.order, ys.c, YS, i, &n, &c, &sp);
    const int64_t ow = sp % ys.w, oh = (sp / ys.w) % ys.h, ot = sp / (ys.w * ys.h);
    float best = -INFINITY;
    int arg = 0, k = 0;
    for (int a = 0; a < kt; a++)
      for (int b = 0; b < kh; b++)
        for (int d = 0; d < kw; d++, k++) {
          const int64_t xsp = ((ot * kt + a) * xs.h + oh * kh + b) * xs.w + ow * kw + d;
          const float v = fvc_ld (x, fvc_off (xs.order, xs.c, XS, n, c, xsp));
          if (v > best || isnan (v)) {
            best = v;
            arg = k;
            if (isnan (v))
              goto done;
          }
        }
  done:
    fvc_st (y, i, best);
    argmax[i] = (uint8_t) arg;
  }
}

/* One thread per output: writes its whole window (windows tile the covered input). */
template <typename T>
__global__ void
maxpool_backward_kernel (const T *__restrict__ dy, FvcCukShape ys, const uint8_t *__restrict__ argmax,
                         T *__restrict__ dx, FvcCukShape xs, int kt, int kh, int kw, int64_t total)
{
  const int64_t XS = fvc_cuk_shape_spatial (&xs), YS = fvc_cuk_shape_spatial (&ys);
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < total; i += (int64_t) gridDim.x * blockDim.x) {
    int64_t n, c, sp;
    fvc_coords (ys.order, ys.c, YS, i, &n, &c, &sp);
    const int64_t ow = sp % ys.w, oh = (sp / ys.w) % ys.h, ot = sp / (ys.w * ys.h);
    const float g = fvc_ld (dy, i);
    const int arg = argmax[i];
    int k = 0;
    for (int a = 0; a < kt; a++)
      for (int b = 0; b < kh; b++)
        for (int d = 0; d < kw; d++, k++) {
          const int64_t xsp = ((ot * kt + a) * xs.h + oh * kh + b) * xs.w + ow * kw + d;
          fvc_st (dx, fvc_off (xs.order, xs.c, XS, n, c, xsp), k == arg ? g : 0.f);
        }
  }
}

extern "C" cudaError_t
fvc_cuk_maxpool_forward (const void *x, FvcCukShape xs, void *y, FvcCukShape ys, const int *k, uint8_t *argmax,
                         cudaStream_t s)
{
  const int64_t total = fvc_cuk_shape_numel (&ys);
  const unsigned g = fvc_cuk_blocks (total, FVC_CUK_THREADS * 2);

  if (k[0] * k[1] * k[2] > 256)
    return cudaErrorInvalidValue;
  if (xs.type == FVC_CUK_BF16)
    maxpool_forward_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const __nv_bfloat16 *) x, xs, (__nv_bfloat16 *) y, ys, k[0],
                                                          k[1], k[2], argmax, total);
  else
    maxpool_forward_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const float *) x, xs, (float *) y, ys, k[0], k[1], k[2],
                                                          argmax, total);
  return cudaGetLastError ();
}

extern "C" cudaError_t
fvc_cuk_maxpool_backward (const void *dy, FvcCukShape ys, const uint8_t *argmax, void *dx, FvcCukShape xs,
                          const int *k, cudaStream_t s)
{
  const int64_t total = fvc_cuk_shape_numel (&ys);
  const unsigned g = fvc_cuk_blocks (total, FVC_CUK_THREADS * 2);
  cudaError_t e;

  /* Input rows/columns past the last whole window get no gradient. */
  if (xs.t != ys.t * k[0] || xs.h != ys.h * k[1] || xs.w != ys.w * k[2]) {
    e = cudaMemsetAsync (dx, 0, (size_t) fvc_cuk_shape_numel (&xs) * fvc_cuk_type_size (xs.type), s);
    if (e != cudaSuccess)
      return e;
  }
  if (xs.type == FVC_CUK_BF16)
    maxpool_backward_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const __nv_bfloat16 *) dy, ys, argmax,
                                                           (__nv_bfloat16 *) dx, xs, k[0], k[1], k[2], total);
  else
    maxpool_backward_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const float *) dy, ys, argmax, (float *) dx, xs, k[0],
                                                           k[1], k[2], total);
  return cudaGetLastError ();
}

/* ---- global average pooling ---- */

template <typename T>
__global__ void
gap_backward_kernel (const float *__restrict__ dy, T *__restrict__ dx, FvcCukShape xs, int64_t total)
{
  const int64_t S = fvc_cuk_shape_spatial (&xs);
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < total; i += (int64_t) gridDim.x * blockDim.x) {
    int64_t n, c, sp;
    fvc_coords (xs.order, xs.c, S, i, &n, &c, &sp);
    fvc_st (dx, i, dy[n * xs.c + c] / (float) S);
  }
}

extern "C" cudaError_t
fvc_cuk_gap_backward (const float *dy, void *dx, FvcCukShape xs, cudaStream_t s)
{
  const int64_t total = fvc_cuk_shape_numel (&xs);
  const unsigned g = fvc_cuk_blocks (total, FVC_CUK_THREADS * 4);
  if (xs.type == FVC_CUK_BF16)
    gap_backward_kernel<<<g, FVC_CUK_THREADS, 0, s>>> (dy, (__nv_bfloat16 *) dx, xs, total);
  else
    gap_backward_kernel<<<g, FVC_CUK_THREADS, 0, s>>> (dy, (float *) dx, xs, total);
  return cudaGetLastError ();
}
