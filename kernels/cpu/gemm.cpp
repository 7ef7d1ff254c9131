// Reference GEMM (kernels/gemm.h). One output row at a time: the row is
// accumulated in double over k, reading B's row k contiguously when B is not
// transposed (the i-k-j order), then scaled and stored.
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

namespace gpunn::kernels {

template <typename T>
void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  std::vector<double> row(static_cast<size_t>(N));
  for (int64_t i = 0; i < M; ++i) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t k = 0; k < K; ++k) {
      const double a = static_cast<double>(trans_a ? A[k * lda + i] : A[i * lda + k]);
      if (trans_b) {
        for (int64_t j = 0; j < N; ++j) row[j] += a * static_cast<double>(B[j * ldb + k]);
      } else {
        const T* b = B + k * ldb;
        for (int64_t j = 0; j < N; ++j) row[j] += a * static_cast<double>(b[j]);
      }
    }
    T* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) {
      // beta == 0 must not read C: it may hold NaN from an uninitialized buffer.
      const double old = beta == T(0) ? 0.0 : static_cast<double>(beta) * c[j];
      c[j] = static_cast<T>(static_cast<double>(alpha) * row[j] + old);
    }
  }
}

template <typename T>
void gemm_batched_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                      const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                      int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c,
                      int64_t batch) {
  for (int64_t b = 0; b < batch; ++b)
    gemm_cpu(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
             C + b * stride_c, ldc);
}

#define GPUNN_INSTANTIATE(T)                                                                       \
  template void gemm_cpu<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, \
                            int64_t, T, T*, int64_t);                                              \
  template void gemm_batched_cpu<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,   \
                                    int64_t, const T*, int64_t, int64_t, T, T*, int64_t, int64_t,  \
                                    int64_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
