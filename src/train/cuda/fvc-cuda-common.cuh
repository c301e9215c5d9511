/* fvc-cuda-common.cuh — device helpers shared by the kernel files: element loads and stores
 * for f32/bf16, 5D offsets in both activation formats, launch geometry, the normalisation
 * table. Device code only; included by fvc-cuda-*.cu. */
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <math.h>

#include "fvc-cuda-kernels.h"

#define FVC_CUK_THREADS 256

/* Grid for @n items at @per_block items per block, capped (kernels loop over the rest). */
static inline unsigned
fvc_cuk_blocks (int64_t n, int64_t per_block)
{
  int64_t b = (n + per_block - 1) / per_block;
  if (b < 1)
    b = 1;
  if (b > 65535LL * 16)
    b = 65535LL * 16;
  return (unsigned) b;
}

__device__ __forceinline__ float
fvc_ld (const float *p, int64_t i)
{
  return p[i];
}

__device__ __forceinline__ float
fvc_ld (const __nv_bfloat16 *p, int64_t i)
{
  return __bfloat162float (p[i]);
}

__device__ __forceinline__ void
fvc_st (float *p, int64_t i, float v)
{
  p[i] = v;
}

__device__ __forceinline__ void
fvc_st (__nv_bfloat16 *p, int64_t i, float v)
{
  p[i] = __float2bfloat16_rn (v);
}

/* Offset of element (n, c, sp) (sp: flat position over T, H, W). */
__host__ __device__ __forceinline__ int64_t
fvc_off (FvcCukOrder order, int64_t C, int64_t S, int64_t n, int64_t c, int64_t sp)
{
  return order == FVC_CUK_NCDHW ? (n * C + c) * S + sp : (n * S + sp) * C + c;
}

/* The inverse: element index i (in storage order) -> (n, c, sp). */
__host__ __device__ __forceinline__ void
fvc_coords (FvcCukOrder order, int64_t C, int64_t S, int64_t i, int64_t *n, int64_t *c, int64_t *sp)
{
  if (order == FVC_CUK_NCDHW) {
    *sp = i % S;
    *c = (i / S) % C;
    *n = i / (S * C);
  } else {
    *c = i % C;
    *sp = (i / C) % S;
    *n = i / (C * S);
  }
}

/* (v / 255 - mean[c]) / std[c], each step rounded to float like the CPU backend's table. */
__device__ __forceinline__ float
fvc_norm_value (int v, int c)
{
  const float mean = c == 0 ? 0.485f : c == 1 ? 0.456f : 0.406f;
  const float std = c == 0 ? 0.229f : c == 1 ? 0.224f : 0.225f;
  return __fdiv_rn (__fsub_rn (__fdiv_rn ((float) v, 255.f), mean), std);
}

/* Fills a block's shared table lut[c * 256 + v]. Ends with a barrier. */
__device__ __forceinline__ void
fvc_norm_table (float *lut)
{
  for (int j = threadIdx.x; j < 768; j += blockDim.x)
    lut[j] = fvc_norm_value (j & 255, j >> 8);
  __syncthreads ();
}

/* Sum over the block (blockDim.x a multiple of 32, at most 1024) in a fixed order; the result
 * is valid in thread 0. @buf: 32 floats of shared memory. */
__device__ __forceinline__ float
fvc_block_sum (float v, float *buf)
{
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_down_sync (0xffffffffu, v, o);
  if (lane == 0)
    buf[warp] = v;
  __syncthreads ();
  if (warp == 0) {
    v = lane < (int) (blockDim.x >> 5) ? buf[lane] : 0.f;
    for (int o = 16; o > 0; o >>= 1)
      v += __shfl_down_sync (0xffffffffu, v, o);
  }
  __syncthreads ();
  return v;
}
