// CUDA reductions: the same meaning as kernels/reduce.h, queued on `stream`.
// Sums accumulate in double, as on the CPU.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void sum_rows_cuda(T* out, const T* x, int64_t rows, int64_t cols, double scale,
                   cudaStream_t stream);

template <typename T>
void max_dim_cuda(T* values, int64_t* indices, const T* x, int64_t outer, int64_t size,
                  int64_t inner, cudaStream_t stream);

// flags[0] |= kHasNan | kHasInf as x[0, n) holds them (kernels/reduce.h); the
// caller zeroes flags first.
template <typename T>
void nonfinite_cuda(unsigned long long* flags, const T* x, int64_t n, cudaStream_t stream);

}  // namespace gpunn::kernels
