/* fvc-cuda-elementwise.cu — the CUDA backend's elementwise kernels and their launchers: input
 * normalisation, layout/type conversion, ReLU, convolution bias (add and gradient), losses,
 * gradient accumulation, AdamW. Memory-bound, grid-stride loops. Shapes in fvc-cuda-kernels.h.
 * Not here: pooling (fvc-cuda-pool.cu), linear layers (fvc-cuda-linear.cu). */
#include "fvc-cuda-common.cuh"

/* ---- input normalisation: u8 (N, T, H, W, 3) -> f32 (N, 3, T, H, W) ---- */

/* One thread per pixel: three bytes in, three coalesced planes out. */
__global__ void
normalize_kernel (const uint8_t *__restrict__ u8, float *__restrict__ x, int64_t n_pixels, int64_t t, int64_t hw)
{
  __shared__ float lut[768];
  const int64_t thw = t * hw;

  fvc_norm_table (lut);
  for (int64_t p = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; p < n_pixels; p += (int64_t) gridDim.x * blockDim.x) {
    const int64_t i = p / thw, q = p % thw;
    const uint8_t *s = u8 + 3 * p;
    float *d = x + i * 3 * thw + q;
    d[0] = lut[s[0]];
    d[thw] = lut[256 + s[1]];
    d[2 * thw] = lut[512 + s[2]];
  }
}

extern "C" cudaError_t
fvc_cuk_normalize (const uint8_t *u8, float *x, int64_t n, int64_t t, int64_t hw, cudaStream_t s)
{
  const int64_t pixels = n * t * hw;
  normalize_kernel<<<fvc_cuk_blocks (pixels, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (u8, x, pixels, t, hw);
  return cudaGetLastError ();
}

/* ---- layout and type conversion ---- */

template <typename TS, typename TD>
__global__ void
convert_kernel (const TS *__restrict__ src, FvcCukShape ss, TD *__restrict__ dst, FvcCukShape ds, int64_t total)
{
  const int64_t S = fvc_cuk_shape_spatial (&ds);
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < total; i += (int64_t) gridDim.x * blockDim.x) {
    int64_t n, c, sp;
    fvc_coords (ds.order, ds.c, S, i, &n, &c, &sp);
    fvc_st (dst, i, c < ss.c ? fvc_ld (src, fvc_off (ss.order, ss.c, S, n, c, sp)) : 0.f);
  }
}

extern "C" cudaError_t
fvc_cuk_convert (const void *src, FvcCukShape ss, void *dst, FvcCukShape ds, cudaStream_t s)
{
  const int64_t total = fvc_cuk_shape_numel (&ds);
  const unsigned g = fvc_cuk_blocks (total, FVC_CUK_THREADS * 4);

  if (ss.type == FVC_CUK_F32 && ds.type == FVC_CUK_F32)
    convert_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const float *) src, ss, (float *) dst, ds, total);
  else if (ss.type == FVC_CUK_F32)
    convert_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const float *) src, ss, (__nv_bfloat16 *) dst, ds, total);
  else if (ds.type == FVC_CUK_F32)
    convert_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const __nv_bfloat16 *) src, ss, (float *) dst, ds, total);
  else
    convert_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((const __nv_bfloat16 *) src, ss, (__nv_bfloat16 *) dst, ds, total);
  return cudaGetLastError ();
}

/* ---- ReLU ---- */

/* NaN maps to 0, as in the CPU backend (x > 0 is false). */
template <typename T>
__global__ void
relu_forward_kernel (const T *x, T *y, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
    float v = fvc_ld (x, i);
    fvc_st (y, i, v > 0.f ? v : 0.f);
  }
}

template <typename T>
__global__ void
relu_backward_kernel (const T *y, const T *dy, T *dx, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x)
    fvc_st (dx, i, fvc_ld (y, i) > 0.f ? fvc_ld (dy, i) : 0.f);
}

/* Eight bf16 (16 bytes) per thread: the sign and magnitude bits decide, no conversion. */
__global__ void
relu_forward_bf16x8 (const uint4 *x, uint4 *y, int64_t n16)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n16; i += (int64_t) gridDim.x * blockDim.x) {
    uint4 v = x[i];
    unsigned *w = (unsigned *) &v;
#pragma unroll
    for (int k = 0; k < 4; k++) {
      unsigned lo = w[k] & 0xffffu, hi = w[k] >> 16;
      /* keep h when it is > 0: sign bit clear, not zero, not NaN (exponent all ones with mantissa) */
      lo = ((lo & 0x8000u) || lo == 0 || (lo & 0x7fffu) > 0x7f80u) ? 0u : lo;
      hi = ((hi & 0x8000u) || hi == 0 || (hi & 0x7fffu) > 0x7f80u) ? 0u : hi;
      w[k] = lo | (hi << 16);
    }
    y[i] = v;
  }
}

__global__ void
relu_backward_bf16x8 (const uint4 *y, const uint4 *dy, uint4 *dx, int64_t n16)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n16; i += (int64_t) gridDim.x * blockDim.x) {
    uint4 a = y[i], g = dy[i];
    unsigned *wa = (unsigned *) &a, *wg = (unsigned *) &g;
#pragma unroll
    for (int k = 0; k < 4; k++) {
      unsigned lo = wa[k] & 0xffffu, hi = wa[k] >> 16;
      unsigned klo = ((lo & 0x8000u) || lo == 0 || (lo & 0x7fffu) > 0x7f80u) ? 0u : 0xffffu;
      unsigned khi = ((hi & 0x8000u) || hi == 0 || (hi & 0x7fffu) > 0x7f80u) ? 0u : 0xffff0000u;
      wg[k] &= klo | khi;
    }
    dx[i] = g;
  }
}

static bool
aligned16 (const void *p)
{
  return ((uintptr_t) p & 15u) == 0;
}

extern "C" cudaError_t
fvc_cuk_relu_forward (const void *x, void *y, int64_t n, FvcCukType type, cudaStream_t s)
{
  if (type == FVC_CUK_BF16 && n % 8 == 0 && aligned16 (x) && aligned16 (y)) {
    relu_forward_bf16x8<<<fvc_cuk_blocks (n / 8, FVC_CUK_THREADS * 2), FVC_CUK_THREADS, 0, s>>> (
        (const uint4 *) x, (uint4 *) y, n / 8);
  } else if (type == FVC_CUK_BF16) {
    relu_forward_kernel<<<fvc_cuk_blocks (n, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (
        (const __nv_bfloat16 *) x, (__nv_bfloat16 *) y, n);
  } else {
    relu_forward_kernel<<<fvc_cuk_blocks (n, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (
        (const float *) x, (float *) y, n);
  }
  return cudaGetLastError ();
}

extern "C" cudaError_t
fvc_cuk_relu_backward (const void *y, const void *dy, void *dx, int64_t n, FvcCukType type, cudaStream_t s)
{
  if (type == FVC_CUK_BF16 && n % 8 == 0 && aligned16 (y) && aligned16 (dy) && aligned16 (dx)) {
    relu_backward_bf16x8<<<fvc_cuk_blocks (n / 8, FVC_CUK_THREADS * 2), FVC_CUK_THREADS, 0, s>>> (
        (const uint4 *) y, (const uint4 *) dy, (uint4 *) dx, n / 8);
  } else if (type == FVC_CUK_BF16) {
    relu_backward_kernel<<<fvc_cuk_blocks (n, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (
        (const __nv_bfloat16 *) y, (const __nv_bfloat16 *) dy, (__nv_bfloat16 *) dx, n);
  } else {
    relu_backward_kernel<<<fvc_cuk_blocks (n, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (
        (const float *) y, (const float *) dy, (float *) dx, n);
  }
  return cudaGetLastError ();
}

/* ---- convolution bias ---- */

template <typename T>
__global__ void
bias_add_kernel (T *y, FvcCukShape sh, const float *__restrict__ b, int64_t total)
{
  const int64_t S = fvc_cuk_shape_spatial (&sh);
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < total; i += (int64_t) gridDim.x * blockDim.x) {
    const int64_t c = sh.order == FVC_CUK_NCDHW ? (i / S) % sh.c : i % sh.c;
    fvc_st (y, i, fvc_ld (y, i) + b[c]);
  }
}

extern "C" cudaError_t
fvc_cuk_bias_add (void *y, FvcCukShape sh, const float *b, cudaStream_t s)
{
  const int64_t total = fvc_cuk_shape_numel (&sh);
  const unsigned g = fvc_cuk_blocks (total, FVC_CUK_THREADS * 4);
  if (sh.type == FVC_CUK_BF16)
    bias_add_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((__nv_bfloat16 *) y, sh, b, total);
  else
    bias_add_kernel<<<g, FVC_CUK_THREADS, 0, s>>> ((float *) y, sh, b, total);
  return cudaGetLastError ();
}

/* ---- per-channel sums: the conv bias gradient and the global average pool ---- */

/* Channels-last: group g holds @rows rows of C channels. A block of (32, 8) threads takes
 * @per_chunk rows of one group: x over channels (coalesced), y over rows; the 8 row sums are added
 * in order. partial[(g * chunks + chunk) * C + c]. */
template <typename T>
__global__ void
sum_rows_kernel (const T *__restrict__ x, int64_t rows, int64_t C, int64_t per_chunk, float *__restrict__ partial)
{
  __shared__ float acc[8][33];
  const int64_t g = blockIdx.y, chunks = gridDim.x;
  const int64_t r0 = blockIdx.x * per_chunk, r1 = min (rows, r0 + per_chunk);
  const T *base = x + g * rows * C;

  for (int64_t cb = 0; cb < C; cb += 32) {
    const int64_t c = cb + threadIdx.x;
    float sum = 0.f;
    if (c < C)
      for (int64_t r = r0 + threadIdx.y; r < r1; r += 8)
        sum += fvc_ld (base, r * C + c);
    acc[threadIdx.y][threadIdx.x] = sum;
    __syncthreads ();
    if (threadIdx.y == 0 && c < C) {
      float t = 0.f;
      for (int k = 0; k < 8; k++)
        t += acc[k][threadIdx.x];
      partial[(g * chunks + blockIdx.x) * C + c] = t;
    }
    __syncthreads ();
  }
}

/* Planar: one block per (c, n) plane of S values; out[n * C + c] = sum / div. */
template <typename T>
__global__ void
sum_planes_kernel (const T *__restrict__ x, int64_t C, int64_t S, float div, float *__restrict__ out)
{
  __shared__ float buf[32];
  const int64_t c = blockIdx.x, n = blockIdx.y;
  const T *p = x + (n * C + c) * S;
  float sum = 0.f;

  for (int64_t i = threadIdx.x; i < S; i += blockDim.x)
    sum += fvc_ld (p, i);
  sum = fvc_block_sum (sum, buf);
  if (threadIdx.x == 0)
    out[n * C + c] = div == 1.f ? sum : sum / div;
}

/* out[g * C + c] = (sum over k < m of partial[(g * m + k) * C + c]) / div: one block per (c, g),
 * a fixed tree (deterministic). */
__global__ void
reduce_partials_kernel (const float *__restrict__ partial, int64_t m, int64_t C, float div, float *__restrict__ out)
{
  __shared__ float buf[32];
  const int64_t c = blockIdx.x, g = blockIdx.y;
  float sum = 0.f;

  for (int64_t k = threadIdx.x; k < m; k += blockDim.x)
    sum += partial[(g * m + k) * C + c];
  sum = fvc_block_sum (sum, buf);
  if (threadIdx.x == 0)
    out[g * C + c] = div == 1.f ? sum : sum / div;
}

/* Chunks of rows for the channels-last sums: enough blocks to fill the GPU, few enough partials
 * for one reduction pass. A function of the shape only (deterministic). */
static int64_t
row_chunks (int64_t rows, int64_t *per_chunk)
{
  int64_t chunks = (rows + 63) / 64;
  if (chunks > 1024)
    chunks = 1024;
  if (chunks < 1)
    chunks = 1;
  *per_chunk = (rows + chunks - 1) / chunks;
  return (rows + *per_chunk - 1) / *per_chunk;
}

extern "C" size_t
fvc_cuk_channel_sums_partial_floats (FvcCukShape xs, int per_sample)
{
  const int64_t S = fvc_cuk_shape_spatial (&xs);
  int64_t per;
  if (xs.order == FVC_CUK_NCDHW)
    return per_sample ? 0 : (size_t) (xs.n * xs.c);
  return per_sample ? (size_t) (xs.n * row_chunks (S, &per) * xs.c) : (size_t) (row_chunks (xs.n * S, &per) * xs.c);
}

extern "C" cudaError_t
fvc_cuk_channel_sums (const void *x, FvcCukShape xs, int per_sample, float div, float *out, float *partial,
                      cudaStream_t s)
{
  const int64_t S = fvc_cuk_shape_spatial (&xs);
  const int64_t groups = per_sample ? xs.n : 1, rows = per_sample ? S : xs.n * S;
  int64_t per, chunks;
  cudaError_t e;

  if (xs.order == FVC_CUK_NCDHW) {
    /* planes give per-sample sums: the final ones, or partials over the batch */
    dim3 grid ((unsigned) xs.c, (unsigned) xs.n);
    float *dst = per_sample ? out : partial;
    float d = per_sample ? div : 1.f;
    if (xs.type == FVC_CUK_BF16)
      sum_planes_kernel<<<grid, FVC_CUK_THREADS, 0, s>>> ((const __nv_bfloat16 *) x, xs.c, S, d, dst);
    else
      sum_planes_kernel<<<grid, FVC_CUK_THREADS, 0, s>>> ((const float *) x, xs.c, S, d, dst);
    if ((e = cudaGetLastError ()) != cudaSuccess || per_sample)
      return e;
    reduce_partials_kernel<<<dim3 ((unsigned) xs.c, 1), 128, 0, s>>> (partial, xs.n, xs.c, div, out);
    return cudaGetLastError ();
  }
  chunks = row_chunks (rows, &per);
  dim3 grid ((unsigned) chunks, (unsigned) groups), block (32, 8);
  if (xs.type == FVC_CUK_BF16)
    sum_rows_kernel<<<grid, block, 0, s>>> ((const __nv_bfloat16 *) x, rows, xs.c, per, partial);
  else
    sum_rows_kernel<<<grid, block, 0, s>>> ((const float *) x, rows, xs.c, per, partial);
  if ((e = cudaGetLastError ()) != cudaSuccess)
    return e;
  reduce_partials_kernel<<<dim3 ((unsigned) xs.c, (unsigned) groups), 128, 0, s>>> (partial, chunks, xs.c, div, out);
  return cudaGetLastError ();
}

/* ---- losses ---- */

__global__ void
bce_forward_kernel (const float *x, const float *y, float *loss, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x)
    loss[i] = fmaxf (x[i], 0.f) - x[i] * y[i] + log1pf (expf (-fabsf (x[i])));
}

__global__ void
bce_backward_kernel (const float *x, const float *y, float scale, float *dx, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x)
    dx[i] = scale * (1.f / (1.f + expf (-x[i])) - y[i]);
}

__global__ void
hinge_forward_kernel (const float *x, const float *y, float *loss, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
    const float sgn = __fsub_rn (__fmul_rn (2.f, y[i]), 1.f);
    loss[i] = fmaxf (__fsub_rn (1.f, __fmul_rn (sgn, x[i])), 0.f);
  }
}

/* The margin test rounds like the CPU (no fused multiply-add), so both take the same branch. */
__global__ void
hinge_backward_kernel (const float *x, const float *y, float scale, float *dx, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
    const float sgn = __fsub_rn (__fmul_rn (2.f, y[i]), 1.f);
    dx[i] = __fsub_rn (1.f, __fmul_rn (sgn, x[i])) >= 0.f ? -sgn * scale : 0.f;
  }
}

extern "C" cudaError_t
fvc_cuk_bce_forward (const float *x, const float *y, float *loss, int64_t n, cudaStream_t s)
{
  bce_forward_kernel<<<fvc_cuk_blocks (n, 128), 128, 0, s>>> (x, y, loss, n);
  return cudaGetLastError ();
}

extern "C" cudaError_t
fvc_cuk_bce_backward (const float *x, const float *y, float scale, float *dx, int64_t n, cudaStream_t s)
{
  bce_backward_kernel<<<fvc_cuk_blocks (n, 128), 128, 0, s>>> (x, y, scale, dx, n);
  return cudaGetLastError ();
}

extern "C" cudaError_t
fvc_cuk_hinge_forward (const float *x, const float *y, float *loss, int64_t n, cudaStream_t s)
{
  hinge_forward_kernel<<<fvc_cuk_blocks (n, 128), 128, 0, s>>> (x, y, loss, n);
  return cudaGetLastError ();
}

extern "C" cudaError_t
fvc_cuk_hinge_backward (const float *x, const float *y, float scale, float *dx, int64_t n, cudaStream_t s)
{
  hinge_backward_kernel<<<fvc_cuk_blocks (n, 128), 128, 0, s>>> (x, y, scale, dx, n);
  return cudaGetLastError ();
}

/* ---- optimizer ---- */

__global__ void
accumulate_kernel (float *dst, const float *src, int64_t n)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x)
    dst[i] = __fadd_rn (dst[i], src[i]);
}

extern "C" cudaError_t
fvc_cuk_accumulate (float *dst, const float *src, int64_t n, cudaStream_t s)
{
  accumulate_kernel<<<fvc_cuk_blocks (n, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (dst, src, n);
  return cudaGetLastError ();
}

/* torch/optim/adamw.py (_single_tensor_adamw), the operation order of the CPU backend. */
__global__ void
adamw_kernel (float *p, const float *g, float *m, float *v, int64_t n, FvcCukAdamW u)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n; i += (int64_t) gridDim.x * blockDim.x) {
    const float gi = g[i];
    const float pi = __fmul_rn (p[i], u.decay);
    const float mi = __fadd_rn (__fmul_rn (m[i], u.beta1), __fmul_rn (u.one_minus_beta1, gi));
    const float vi = __fadd_rn (__fmul_rn (v[i], u.beta2), __fmul_rn (__fmul_rn (u.one_minus_beta2, gi), gi));
    const float denom = __fadd_rn (__fdiv_rn (__fsqrt_rn (vi), u.bias_correction2_sqrt), u.eps);
    m[i] = mi;
    v[i] = vi;
    p[i] = __fsub_rn (pi, __fdiv_rn (__fmul_rn (u.step_size, mi), denom));
  }
}

extern "C" cudaError_t
fvc_cuk_adamw (float *p, const float *g, float *m, float *v, int64_t n, FvcCukAdamW u, cudaStream_t s)
{
  adamw_kernel<<<fvc_cuk_blocks (n, FVC_CUK_THREADS * 4), FVC_CUK_THREADS, 0, s>>> (p, g, m, v, n, u);
  return cudaGetLastError ();
}
