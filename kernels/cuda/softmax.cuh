// CUDA softmax / log_softmax over the middle dim of [outer, C, inner]: the same
// meaning as kernels/softmax.h, queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void softmax_forward_cuda(T* y, const T* x, int64_t outer, int64_t C, int64_t inner, bool log,
                          cudaStream_t stream);
template <typename T>
void softmax_backward_cuda(T* dx, const T* dy, const T* y, int64_t outer, int64_t C, int64_t inner,
                           bool log, cudaStream_t stream);

}  // namespace gpunn::kernels
