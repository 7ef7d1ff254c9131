// CUDA 2-D pooling: the same meaning as kernels/pool.h, queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/pool.h"

namespace gpunn::kernels {

template <typename T>
void max_pool2d_forward_cuda(T* y, int64_t* indices, const T* x, const Pool2dShape& s,
                             cudaStream_t stream);
template <typename T>
void max_pool2d_backward_cuda(T* dx, const T* dy, const int64_t* indices, const Pool2dShape& s,
                              cudaStream_t stream);
template <typename T>
void avg_pool2d_forward_cuda(T* y, const T* x, const Pool2dShape& s, cudaStream_t stream);
template <typename T>
void avg_pool2d_backward_cuda(T* dx, const T* dy, const Pool2dShape& s, cudaStream_t stream);

}  // namespace gpunn::kernels
