// Our tensor-core GEMM for the 16-bit dtypes (kernels/cuda/gemm_tc.cu), in typed form for
// the kernels that multiply (linear and matmul through the gemm table, convolution):
//
//   C = alpha · op(A) · op(B) + beta · C    (row-major, BLAS-style flags, batched)
//
// A and B are bfloat16 or float16; products are summed in float32 by the tensor cores
// (mma.sync m16n8k16), and C is T (rounded once) or float (convolution's weight gradient
// sums its images there). beta = 0 ignores C's old contents. The epilogue (a bias in T,
// ReLU) is applied in float32 before the rounding. Private to kernels/cuda.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/gemm_epilogue.cuh"

namespace gpunn::kernels {

template <typename T, typename Out>
void gemm_tc_batched_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                          const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                          int64_t stride_b, float beta, Out* C, int64_t ldc, int64_t stride_c,
                          int64_t batch, cudaStream_t stream, GemmEpilogue<T> epilogue = {});

// Whether the tensor-core kernel (not the element-wise fallback) serves these operands:
// 16-byte aligned bases, leading dimensions and batch strides in multiples of 8 elements,
// and the contiguous dimension of each operand a multiple of 8 (for A: K, or M when
// trans_a; for B: N, or K when trans_b). For tests and benchmarks; GPUs older than sm_80
// take the fallback whatever this says.
template <typename T>
bool gemm_tc_applies(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A,
                     int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b);

}  // namespace gpunn::kernels
