// GEMM on row-major matrices, in the BLAS manner:
//   C[M, N] = alpha · op(A) · op(B) + beta · C,  op(X) = Xᵀ when trans_x
// A is M x K (K x M when trans_a) with row stride lda; B is K x N (N x K when
// trans_b) with row stride ldb; C has row stride ldc. beta = 0 ignores C's old
// contents (NaN included). The batched form repeats this `batch` times, with
// each operand advanced by its own stride (0 broadcasts one matrix).
#pragma once

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

template <typename T>
void gemm_batched_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                      const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                      int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch);

}  // namespace gpunn::kernels
