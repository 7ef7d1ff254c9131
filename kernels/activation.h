// Activation kernels over n contiguous elements. The backward kernels also give
// the JVP when called with the tangent in place of dy.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

// y = max(x, 0);  dx = dy * (y > 0)
template <typename T>
void relu_forward_cpu(T* y, const T* x, int64_t n);
template <typename T>
void relu_backward_cpu(T* dx, const T* dy, const T* y, int64_t n);

// y = x > 0 ? x : slope * x;  dx = dy * (x > 0 ? 1 : slope)
template <typename T>
void leaky_relu_forward_cpu(T* y, const T* x, int64_t n, double slope);
template <typename T>
void leaky_relu_backward_cpu(T* dx, const T* dy, const T* x, int64_t n, double slope);

// y = 1 / (1 + e^-x);  dx = dy * y * (1 - y)
template <typename T>
void sigmoid_forward_cpu(T* y, const T* x, int64_t n);
template <typename T>
void sigmoid_backward_cpu(T* dx, const T* dy, const T* y, int64_t n);

// y = tanh x;  dx = dy * (1 - y^2)
template <typename T>
void tanh_forward_cpu(T* y, const T* x, int64_t n);
template <typename T>
void tanh_backward_cpu(T* dx, const T* dy, const T* y, int64_t n);

}  // namespace gpunn::kernels
