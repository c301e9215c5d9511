/* fvc-cuda-linear.cu — linear-layer kernels and their launchers: bias add and bias gradient
 * beside cuBLAS's matmuls, and the one-output layer of logistic_regression / svm computed from
 * the uint8 clips directly (one byte read per input element instead of a float written and read
 * twice). Shapes in fvc-cuda-kernels.h. Not here: the cuBLAS calls (fvc-backend-cuda.c). */
#include "fvc-cuda-common.cuh"

__global__ void
linear_bias_add_kernel (float *y, const float *b, int64_t n, int64_t o)
{
  for (int64_t i = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; i < n * o; i += (int64_t) gridDim.x * blockDim.x)
    y[i] += b[i % o];
}

extern "C" cudaError_t
fvc_cuk_linear_bias_add (float *y, const float *b, int64_t n, int64_t o, cudaStream_t s)
{
  linear_bias_add_kernel<<<fvc_cuk_blocks (n * o, 128), 128, 0, s>>> (y, b, n, o);
  return cudaGetLastError ();
}

/* One block per output column; the rows in order through a fixed tree. */
__global__ void
linear_bias_grad_kernel (const float *__restrict__ dy, float *__restrict__ db, int64_t n, int64_t o)
{
  __shared__ float buf[32];
  const int64_t j = blockIdx.x;
  float sum = 0.f;

  for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
    sum += dy[i * o + j];
  sum = fvc_block_sum (sum, buf);
  if (threadIdx.x == 0)
    db[j] = sum;
}

extern "C" cudaError_t
fvc_cuk_linear_bias_grad (const float *dy, float *db, int64_t n, int64_t o, cudaStream_t s)
{
  linear_bias_grad_kernel<<<(unsigned) o, 128, 0, s>>> (dy, db, n, o);
  return cudaGetLastError ();
}

/* ---- one-output linear layer from uint8 clips ---- */

/* Pixels per block of the forward: 256 threads x 8 pixels. */
#define LU8_PIXELS_PER_BLOCK 2048

static int64_t
lu8_chunks (int64_t thw)
{
  return (thw + LU8_PIXELS_PER_BLOCK - 1) / LU8_PIXELS_PER_BLOCK;
}

extern "C" size_t
fvc_cuk_linear_u8_partial_floats (int64_t n, int64_t t, int64_t hw)
{
  return (size_t) (n * lu8_chunks (t * hw));
}

/* Block (chunk, i): partial[i * chunks + chunk] = sum over the chunk's pixels p and channels c of
 * x[i, c, p] w[c * THW + p]. u8 is read pixel by pixel (3 bytes), w plane by plane: coalesced. */
__global__ void
linear_u8_forward_kernel (const uint8_t *__restrict__ u8, int64_t thw, const float *__restrict__ w,
                          float *__restrict__ partial)
{
  __shared__ float lut[768];
  __shared__ float buf[32];
  const int64_t i = blockIdx.y, chunks = gridDim.x;
  const int64_t p0 = blockIdx.x * (int64_t) LU8_PIXELS_PER_BLOCK;
  const int64_t p1 = min (thw, p0 + LU8_PIXELS_PER_BLOCK);
  const uint8_t *src = u8 + i * thw * 3;
  float sum = 0.f;

  fvc_norm_table (lut);
  for (int64_t p = p0 + threadIdx.x; p < p1; p += blockDim.x) {
    const uint8_t *px = src + 3 * p;
    sum += lut[px[0]] * w[p];
    sum += lut[256 + px[1]] * w[thw + p];
    sum += lut[512 + px[2]] * w[2 * thw + p];
  }
  sum = fvc_block_sum (sum, buf);
  if (threadIdx.x == 0)
    partial[i * chunks + blockIdx.x] = sum;
}

/* y[i] = sum of the row's partials (in order) + b. One block per row. */
__global__ void
linear_u8_finish_kernel (const float *__restrict__ partial, int64_t chunks, const float *__restrict__ b,
                         float *__restrict__ y)
{
  __shared__ float buf[32];
  const int64_t i = blockIdx.x;
  float sum = 0.f;

  for (int64_t k = threadIdx.x; k < chunks; k += blockDim.x)
    sum += partial[i * chunks + k];
  sum = fvc_block_sum (sum, buf);
  if (threadIdx.x == 0)
    y[i] = sum + b[0];
}

extern "C" cudaError_t
fvc_cuk_linear_u8_forward (const uint8_t *u8, int64_t n, int64_t t, int64_t hw, const float *w, const float *b,
                           float *y, float *partial, cudaStream_t s)
{
  const int64_t thw = t * hw, chunks = lu8_chunks (thw);
  cudaError_t e;

  linear_u8_forward_kernel<<<dim3 ((unsigned) chunks, (unsigned) n), FVC_CUK_THREADS, 0, s>>> (u8, thw, w, partial);
  if ((e = cudaGetLastError ()) != cudaSuccess)
    return e;
  linear_u8_finish_kernel<<<(unsigned) n, 128, 0, s>>> (partial, chunks, b, y);
  return cudaGetLastError ();
}

/* One thread per pixel p: dw[c * THW + p] = sum over rows i (in order) of dy[i] x[i, c, p]. */
#define LU8_MAX_SHARED_ROWS 2048

__global__ void
linear_u8_backward_kernel (const uint8_t *__restrict__ u8, int64_t n, int64_t thw, const float *__restrict__ dy,
                           float *__restrict__ dw)
{
  __shared__ float lut[768];
  __shared__ float g[LU8_MAX_SHARED_ROWS];

  for (int64_t i = threadIdx.x; i < n && i < LU8_MAX_SHARED_ROWS; i += blockDim.x)
    g[i] = dy[i];
  fvc_norm_table (lut);
  for (int64_t p = blockIdx.x * (int64_t) blockDim.x + threadIdx.x; p < thw; p += (int64_t) gridDim.x * blockDim.x) {
    float a0 = 0.f, a1 = 0.f, a2 = 0.f;
#pragma unroll 4
    for (int64_t i = 0; i < n; i++) {
      const uint8_t *px = u8 + (i * thw + p) * 3;
      const float gi = i < LU8_MAX_SHARED_ROWS ? g[i] : dy[i];
      a0 += gi * lut[px[0]];
      a1 += gi * lut[256 + px[1]];
      a2 += gi * lut[512 + px[2]];
    }
    dw[p] = a0;
    dw[thw + p] = a1;
    dw[2 * thw + p] = a2;
  }
}

extern "C" cudaError_t
fvc_cuk_linear_u8_backward (const uint8_t *u8, int64_t n, int64_t t, int64_t hw, const float *dy, float *dw,
                            float *db, cudaStream_t s)
{
  const int64_t thw = t * hw;
  cudaError_t e;

  linear_u8_backward_kernel<<<fvc_cuk_blocks (thw, FVC_CUK_THREADS), FVC_CUK_THREADS, 0, s>>> (u8, n, thw, dy, dw);
  if ((e = cudaGetLastError ()) != cudaSuccess)
    return e;
  return fvc_cuk_linear_bias_grad (dy, db, n, 1, s);
}
