// Reference GEMM (kernels/gemm.h). One output row at a time: the row is
// accumulated in double over k, reading B's row k contiguously when B is not
// transposed (the i-k-j order), then scaled and stored.
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

namespace gpunn::kernels {

namespace {

template <typename T>
void gemm_loops(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                const T* A, int64_t lda, const T* B, int64_t ldb, double beta, T* C, int64_t ldc) {
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
      const double old = beta == 0.0 ? 0.0 : beta * static_cast<double>(c[j]);
      c[j] = static_cast<T>(alpha * row[j] + old);
    }
  }
}

template <typename T>
void gemm_batched_loops(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                        const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                        int64_t stride_b, double beta, T* C, int64_t ldc, int64_t stride_c,
                        int64_t batch) {
  for (int64_t b = 0; b < batch; ++b)
    gemm_loops(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
               C + b * stride_c, ldc);
}

}  // namespace

template <typename T>
void gemm_cpu(const GemmArgs& a, const Context&) {
  gemm_batched_loops<T>(a.trans_a, a.trans_b, a.M, a.N, a.K, a.alpha, static_cast<const T*>(a.A),
                        a.lda, a.stride_a, static_cast<const T*>(a.B), a.ldb, a.stride_b, a.beta,
                        static_cast<T*>(a.C), a.ldc, a.stride_c, a.batch);
}

template void gemm_cpu<float>(const GemmArgs&, const Context&);
template void gemm_cpu<double>(const GemmArgs&, const Context&);
template void gemm_cpu<BFloat16>(const GemmArgs&, const Context&);
template void gemm_cpu<Half>(const GemmArgs&, const Context&);

}  // namespace gpunn::kernels
