// Our CUDA GEMM (kernels/cuda/gemm.cuh).
//
// Each block computes a BM x BN tile of C; each of its (BM/TM)·(BN/TN) threads
// a TM x TN sub-tile held in registers (register blocking). The K loop stages
// BK-wide slices of op(A) and op(B) in shared memory, stored K-major so that
// the inner product reads both fragments as consecutive words; loads go through
// one index function per operand, which covers all four transpose cases, and
// bounds checks make any M, N, K work. Batches run along the grid's z.
//
// This is the straightforward register-blocked kernel; vectorized and
// double-buffered loads are the next steps, measured against cuBLAS in bench/.
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/launch.cuh"

namespace gpunn::kernels {
namespace {

template <typename T, int BM, int BN, int BK, int TM, int TN>
__global__ void __launch_bounds__((BM / TM) * (BN / TN))
    gemm_kernel(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                const T* __restrict__ A, int64_t lda, int64_t stride_a, const T* __restrict__ B,
                int64_t ldb, int64_t stride_b, T beta, T* __restrict__ C, int64_t ldc,
                int64_t stride_c, int64_t batch) {
  constexpr int kThreads = (BM / TM) * (BN / TN);
  __shared__ T As[BK][BM];
  __shared__ T Bs[BK][BN];
  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  const int64_t m0 = int64_t{blockIdx.y} * BM, n0 = int64_t{blockIdx.x} * BN;

  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {
    const T* a = A + z * stride_a;
    const T* b = B + z * stride_b;
    T* c = C + z * stride_c;
    T acc[TM][TN] = {};
    for (int64_t k0 = 0; k0 < K; k0 += BK) {
      // op(A)[m][k] and op(B)[k][n] for this slice, zero outside the matrices.
      for (int i = tid; i < BM * BK; i += kThreads) {
        const int mm = i / BK, kk = i % BK;
        const int64_t m = m0 + mm, k = k0 + kk;
        T v = T(0);
        if (m < M && k < K) v = trans_a ? a[k * lda + m] : a[m * lda + k];
        As[kk][mm] = v;
      }
      for (int i = tid; i < BK * BN; i += kThreads) {
        const int kk = i / BN, nn = i % BN;
        const int64_t k = k0 + kk, n = n0 + nn;
        T v = T(0);
        if (k < K && n < N) v = trans_b ? b[n * ldb + k] : b[k * ldb + n];
        Bs[kk][nn] = v;
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < BK; ++kk) {
        T af[TM], bf[TN];
#pragma unroll
        for (int i = 0; i < TM; ++i) af[i] = As[kk][ty * TM + i];
#pragma unroll
        for (int j = 0; j < TN; ++j) bf[j] = Bs[kk][tx * TN + j];
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] += af[i] * bf[j];
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      const int64_t m = m0 + ty * TM + i;
      if (m >= M) continue;
#pragma unroll
      for (int j = 0; j < TN; ++j) {
        const int64_t n = n0 + tx * TN + j;
        if (n >= N) continue;
        T* out = c + m * ldc + n;
        // beta = 0 ignores C's old contents, NaN included (BLAS semantics).
        *out = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
      }
    }
  }
}

template <typename T, int BM, int BN, int BK, int TM, int TN>
void launch_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                 int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta,
                 T* C, int64_t ldc, int64_t stride_c, int64_t batch, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((N + BN - 1) / BN),
                  static_cast<unsigned>((M + BM - 1) / BM),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  gemm_kernel<T, BM, BN, BK, TM, TN><<<grid, (BM / TM) * (BN / TN), 0, stream>>>(
      trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c,
      batch);
}

}  // namespace

template <typename T>
void gemm_batched_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                       const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                       int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch,
                       cudaStream_t stream) {
  if (M == 0 || N == 0 || batch == 0) return;
  if (M * N >= int64_t{128} * 128 * 64) {
    // Big products: 128x128 tiles, 8x8 per thread (256 threads).
    launch_gemm<T, 128, 128, 8, 8, 8>(trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B, ldb,
                                      stride_b, beta, C, ldc, stride_c, batch, stream);
  } else {
    // Small ones (the launch-bound case): 32x32 tiles, 2x2 per thread, more blocks.
    launch_gemm<T, 32, 32, 16, 2, 2>(trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B, ldb,
                                     stride_b, beta, C, ldc, stride_c, batch, stream);
  }
}

#define GPUNN_INSTANTIATE(T)                                                                       \
  template void gemm_batched_cuda<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,  \
                                     int64_t, const T*, int64_t, int64_t, T, T*, int64_t, int64_t, \
                                     int64_t, cudaStream_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
