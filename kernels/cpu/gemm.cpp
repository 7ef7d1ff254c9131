// Reference GEMM (kernels/gemm.h). One output row at a time: the row is
// accumulated in double over k, reading B's row k contiguously when B is not
// transposed (the i-k-j order), then scaled, given its epilogue (bias, ReLU) and stored.
// Also the CPU half of the epilogue for the entries that emulate it.
#include "kernels/gemm.h"

#include <algorithm>
#include <vector>

#include "kernels/conv.h"  // conv2d_relu_in_place_cpu

namespace gpunn::kernels {

namespace {

template <typename T>
void gemm_loops(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                const T* A, int64_t lda, const T* B, int64_t ldb, double beta, T* C, int64_t ldc,
                const T* bias, bool relu) {
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
      double v = alpha * row[j] + old;
      if (bias) v += static_cast<double>(bias[j]);
      if (relu && v < 0.0) v = 0.0;  // NaN is not < 0: it stays
      c[j] = static_cast<T>(v);
    }
  }
}

template <typename T>
void gemm_batched_loops(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
                        const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                        int64_t stride_b, double beta, T* C, int64_t ldc, int64_t stride_c,
                        int64_t batch, const T* bias, bool relu) {
  for (int64_t b = 0; b < batch; ++b)
    gemm_loops(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
               C + b * stride_c, ldc, bias, relu);
}

// f(row of C, bias or null) for every row of every batch.
template <typename T, typename F>
void each_row(const GemmArgs& a, F f) {
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t i = 0; i < a.M; ++i)
      f(static_cast<T*>(a.C) + b * a.stride_c + i * a.ldc, static_cast<const T*>(a.bias));
}

template <typename F>
void typed(DType dtype, F f) {
  switch (dtype) {
    case DType::Float32:
      return f(float{});
    case DType::Float64:
      return f(double{});
    case DType::BFloat16:
      return f(BFloat16{});
    case DType::Float16:
      return f(Half{});
    case DType::Int64:
      break;
  }
}

}  // namespace

template <typename T>
void gemm_cpu(const GemmArgs& a, const Context&) {
  gemm_batched_loops<T>(a.trans_a, a.trans_b, a.M, a.N, a.K, a.alpha, static_cast<const T*>(a.A),
                        a.lda, a.stride_a, static_cast<const T*>(a.B), a.ldb, a.stride_b, a.beta,
                        static_cast<T*>(a.C), a.ldc, a.stride_c, a.batch,
                        static_cast<const T*>(a.bias), a.relu);
}

void gemm_bias_fill_cpu(const GemmArgs& a) {
  if (!a.bias) return;
  typed(a.dtype, [&](auto tag) {
    using T = decltype(tag);
    each_row<T>(a, [&](T* row, const T* bias) { std::copy(bias, bias + a.N, row); });
  });
}

void gemm_relu_cpu(const GemmArgs& a) {
  if (!a.relu) return;
  typed(a.dtype, [&](auto tag) {
    using T = decltype(tag);
    // The convolution's ReLU pass (NaN kept), row by row.
    each_row<T>(a, [&](T* row, const T*) { conv2d_relu_in_place_cpu(a.dtype, row, a.N); });
  });
}

template void gemm_cpu<float>(const GemmArgs&, const Context&);
template void gemm_cpu<double>(const GemmArgs&, const Context&);
template void gemm_cpu<BFloat16>(const GemmArgs&, const Context&);
template void gemm_cpu<Half>(const GemmArgs&, const Context&);

}  // namespace gpunn::kernels
