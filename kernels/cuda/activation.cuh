// CUDA activation kernels: the same meaning as kernels/activation.h, queued on
// `stream`. The backward kernels also give the JVP with dy := tangent.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void relu_forward_cuda(T* y, const T* x, int64_t n, cudaStream_t stream);
template <typename T>
void relu_backward_cuda(T* dx, const T* dy, const T* y, int64_t n, cudaStream_t stream);
template <typename T>
void leaky_relu_forward_cuda(T* y, const T* x, int64_t n, double slope, cudaStream_t stream);
template <typename T>
void leaky_relu_backward_cuda(T* dx, const T* dy, const T* x, int64_t n, double slope,
                              cudaStream_t stream);
template <typename T>
void sigmoid_forward_cuda(T* y, const T* x, int64_t n, cudaStream_t stream);
template <typename T>
void sigmoid_backward_cuda(T* dx, const T* dy, const T* y, int64_t n, cudaStream_t stream);
template <typename T>
void tanh_forward_cuda(T* y, const T* x, int64_t n, cudaStream_t stream);
template <typename T>
void tanh_backward_cuda(T* dx, const T* dy, const T* y, int64_t n, cudaStream_t stream);

}  // namespace gpunn::kernels
