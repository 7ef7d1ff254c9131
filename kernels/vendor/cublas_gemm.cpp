// GEMM through cuBLAS (kernels/gemm.h), for row-major operands.
//
// cuBLAS is column-major. A row-major M x N matrix C is the column-major N x M
// matrix Cᵀ, and C = op(A)·op(B) is Cᵀ = op(B)ᵀ·op(A)ᵀ: so we ask cuBLAS for
// the product with the operands swapped (B first, then A), the same transpose
// flags, and the dimensions (N, M, K). Leading dimensions are the row strides
// unchanged. Strict FP32 unless tf32 is set (cublasGemmStridedBatchedEx with
// CUBLAS_COMPUTE_32F or CUBLAS_COMPUTE_32F_FAST_TF32). bfloat16 and float16 operands
// run on the tensor cores with float32 accumulation (CUBLAS_COMPUTE_32F, float alpha and
// beta), C in the operands' dtype.
#include <gpunn/error.h>

#include <climits>
#include <type_traits>

#include "kernels/base/handles.h"
#include "kernels/gemm.h"

namespace gpunn::kernels {
namespace {

template <typename T>
void gemm_batched_cublas(cublasHandle_t handle, bool tf32, bool trans_a, bool trans_b, int64_t M,
                         int64_t N, int64_t K, T alpha, const T* A, int64_t lda, int64_t stride_a,
                         const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                         int64_t stride_c, int64_t batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  // cuBLAS wants leading dimensions ≥ 1 even for empty K.
  const int ld_a = static_cast<int>(std::max<int64_t>(lda, 1));
  const int ld_b = static_cast<int>(std::max<int64_t>(ldb, 1));
  const int ld_c = static_cast<int>(std::max<int64_t>(ldc, 1));
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if constexpr (std::is_same_v<T, float>) {
    GPUNN_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        handle, op_b, op_a, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha,
        B, CUDA_R_32F, ld_b, stride_b, A, CUDA_R_32F, ld_a, stride_a, &beta, C, CUDA_R_32F, ld_c,
        stride_c, static_cast<int>(batch), tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
        CUBLAS_GEMM_DEFAULT));
  } else {
    GPUNN_CUBLAS_CHECK(cublasDgemmStridedBatched(
        handle, op_b, op_a, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha,
        B, ld_b, stride_b, A, ld_a, stride_a, &beta, C, ld_c, stride_c, static_cast<int>(batch)));
  }
}

// bfloat16 / float16 in, float32 sums, C in the same 16-bit dtype.
void gemm_batched_cublas_16(cublasHandle_t handle, cudaDataType_t type, const GemmArgs& a) {
  if (a.M == 0 || a.N == 0 || a.batch == 0) return;
  const int ld_a = static_cast<int>(std::max<int64_t>(a.lda, 1));
  const int ld_b = static_cast<int>(std::max<int64_t>(a.ldb, 1));
  const int ld_c = static_cast<int>(std::max<int64_t>(a.ldc, 1));
  const float alpha = static_cast<float>(a.alpha), beta = static_cast<float>(a.beta);
  GPUNN_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      handle, a.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, a.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
      static_cast<int>(a.N), static_cast<int>(a.M), static_cast<int>(a.K), &alpha, a.B, type, ld_b,
      a.stride_b, a.A, type, ld_a, a.stride_a, &beta, a.C, type, ld_c, a.stride_c,
      static_cast<int>(a.batch), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

bool gemm_cublas_supported(const GemmArgs& a) {
  for (int64_t v : {a.M, a.N, a.K, a.lda, a.ldb, a.ldc, a.batch}) {
    if (v > INT_MAX) return false;
  }
  return true;
}

void gemm_cublas(const GemmArgs& a, const Context& ctx) {
  if (a.dtype == DType::BFloat16 || a.dtype == DType::Float16) {
    gemm_batched_cublas_16(ctx.cublas, a.dtype == DType::BFloat16 ? CUDA_R_16BF : CUDA_R_16F, a);
  } else if (a.dtype == DType::Float64) {
    gemm_batched_cublas<double>(ctx.cublas, false, a.trans_a, a.trans_b, a.M, a.N, a.K, a.alpha,
                                static_cast<const double*>(a.A), a.lda, a.stride_a,
                                static_cast<const double*>(a.B), a.ldb, a.stride_b, a.beta,
                                static_cast<double*>(a.C), a.ldc, a.stride_c, a.batch);
  } else {
    gemm_batched_cublas<float>(ctx.cublas, ctx.settings.allow_tf32, a.trans_a, a.trans_b, a.M, a.N,
                               a.K, static_cast<float>(a.alpha), static_cast<const float*>(a.A),
                               a.lda, a.stride_a, static_cast<const float*>(a.B), a.ldb, a.stride_b,
                               static_cast<float>(a.beta), static_cast<float*>(a.C), a.ldc,
                               a.stride_c, a.batch);
  }
}

}  // namespace gpunn::kernels
