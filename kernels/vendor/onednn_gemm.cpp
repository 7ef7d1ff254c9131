// GEMM through oneDNN's dnnl_sgemm (kernels/gemm.h): row-major, the
// BLAS argument order of kernels/gemm.h, JIT-compiled for the CPU it runs on
// (oneDNN detects AVX-512 etc. itself) and threaded with OpenMP.
#include <dnnl.h>

#include "kernels/gemm.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // C = beta C; oneDNN rejects the leading dimensions of empty operands
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  const onednn::ThreadLimit threads(M * N * K, onednn::kMacsPerThread);
  // dnnl_sgemm with beta = 0 never reads C (kernels/gemm.h asks for that: C may
  // hold NaN from an uninitialized buffer).
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha,
                                          A, lda, B, ldb, beta, C, ldc);
  if (status == dnnl_out_of_memory)
    throw OutOfMemoryError(detail::concat("gemm: oneDNN could not allocate memory for a ", M, "x",
                                          N, "x", K, " product"));
  GPUNN_ASSERT(status == dnnl_success, "gemm: dnnl_sgemm failed with status ",
               static_cast<int>(status), " for M=", M, " N=", N, " K=", K, " lda=", lda,
               " ldb=", ldb, " ldc=", ldc);
}

}  // namespace

void gemm_onednn(const GemmArgs& a, const Context&) {
  const auto* A = static_cast<const float*>(a.A);
  const auto* B = static_cast<const float*>(a.B);
  auto* C = static_cast<float*>(a.C);
  for (int64_t b = 0; b < a.batch; ++b) {
    sgemm(a.trans_a, a.trans_b, a.M, a.N, a.K, static_cast<float>(a.alpha), A + b * a.stride_a,
          a.lda, B + b * a.stride_b, a.ldb, static_cast<float>(a.beta), C + b * a.stride_c, a.ldc);
  }
}

}  // namespace gpunn::kernels
