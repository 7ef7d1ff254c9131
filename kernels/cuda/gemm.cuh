// Our CUDA GEMM in typed form, for the CUDA kernels that multiply (convolution) and for
// the variant tests and benchmarks: the meaning of kernels/gemm.h (row-major, BLAS-style
// flags, batched with per-operand strides, the bias and ReLU epilogue), queued on `stream`.
// Private to kernels/cuda.
//   gemm_batched_cuda:   our tiled kernel (kernels/cuda/gemm.cu), the variant
//                        that suits the shape and alignment
//   gemm_batched_cuda_variant: one numbered variant (1, 2, 3), for benchmarks and
//                        tests; falls back to 1 where the variant does not apply
//                        (gemm_cuda_variant_applies says whether it does)
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/gemm_epilogue.cuh"

namespace gpunn::kernels {

template <typename T>
void gemm_batched_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                       const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                       int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch,
                       cudaStream_t stream, GemmEpilogue<T> epilogue = {});

template <typename T>
void gemm_batched_cuda_variant(int variant, bool trans_a, bool trans_b, int64_t M, int64_t N,
                               int64_t K, T alpha, const T* A, int64_t lda, int64_t stride_a,
                               const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                               int64_t stride_c, int64_t batch, cudaStream_t stream,
                               GemmEpilogue<T> epilogue = {});

inline constexpr int kGemmCudaVariants = 3;

// What has run on a GPU (tools/gpu_check.sh): `auto` measures only these against cuBLAS
// (kernels/gemm.h's variant_usable functions), so that no training on main computes with a
// kernel no GPU has run; `custom` and the variant tests run everything. Set each to true
// with the GPU check that proved it.
inline constexpr bool kGemmVariant2Proven = false;    // variant 3's kernel at one block per SM
inline constexpr bool kGemmEpilogueProven = false;    // the bias and ReLU instantiations
inline constexpr bool kGemmTensorCoreProven = false;  // gemm_tc (bfloat16, float16)

template <typename T>
bool gemm_cuda_variant_applies(int variant, const T* A, int64_t lda, int64_t stride_a, const T* B,
                               int64_t ldb, int64_t stride_b);

}  // namespace gpunn::kernels
