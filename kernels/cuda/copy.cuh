// CUDA copy and fill kernels (the strided, converting copy behind contiguous(),
// copy_(), to(dtype) and clone on the device). Same meaning as copy_cpu/fill_cpu
// in kernels/elementwise.h, queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/elementwise.h"

namespace gpunn::kernels {

template <typename To, typename From>
void copy_cuda(To* dst, const From* src, const StridedPair& ix, int64_t n, cudaStream_t stream);

template <typename T>
void fill_cuda(T* dst, T value, const StridedPair& ix, int64_t n, cudaStream_t stream);

}  // namespace gpunn::kernels
