// GEMM through oneDNN's dnnl_sgemm (kernels/vendor/onednn.h): row-major, the
// BLAS argument order of kernels/gemm.h, JIT-compiled for the CPU it runs on
// (oneDNN detects AVX-512 etc. itself) and threaded with OpenMP.
#include <dnnl.h>

#include "kernels/vendor/onednn.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {

void gemm_onednn(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc) {
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

void gemm_batched_onednn(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                         const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                         int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
                         int64_t batch) {
  for (int64_t b = 0; b < batch; ++b)
    gemm_onednn(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb,
                beta, C + b * stride_c, ldc);
}

}  // namespace gpunn::kernels
