// Reference loops for activations (kernels/activation.h).
#include "kernels/activation.h"

#include <cmath>

namespace gpunn::kernels {

template <typename T>
void relu_forward_cpu(T* y, const T* x, int64_t n) {
  // x > 0 ? x : 0 would turn NaN into 0; this keeps it.
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}

template <typename T>
void relu_backward_cpu(T* dx, const T* dy, const T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}

template <typename T>
void leaky_relu_forward_cpu(T* y, const T* x, int64_t n, double slope) {
  const T s = static_cast<T>(slope);
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : x[i] * s;
}

template <typename T>
void leaky_relu_backward_cpu(T* dx, const T* dy, const T* x, int64_t n, double slope) {
  const T s = static_cast<T>(slope);
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : dy[i] * s;
}

template <typename T>
void sigmoid_forward_cpu(T* y, const T* x, int64_t n) {
  // Two forms so that e^(-x) never overflows: for x < 0 use e^x / (1 + e^x).
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] >= T(0)) {
      y[i] = T(1) / (T(1) + std::exp(-x[i]));
    } else {
      T e = std::exp(x[i]);
      y[i] = e / (T(1) + e);
    }
  }
}

template <typename T>
void sigmoid_backward_cpu(T* dx, const T* dy, const T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (T(1) - y[i]);
}

template <typename T>
void tanh_forward_cpu(T* y, const T* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

template <typename T>
void tanh_backward_cpu(T* dx, const T* dy, const T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
}

#define GPUNN_INSTANTIATE(T)                                                         \
  template void relu_forward_cpu<T>(T*, const T*, int64_t);                          \
  template void relu_backward_cpu<T>(T*, const T*, const T*, int64_t);               \
  template void leaky_relu_forward_cpu<T>(T*, const T*, int64_t, double);            \
  template void leaky_relu_backward_cpu<T>(T*, const T*, const T*, int64_t, double); \
  template void sigmoid_forward_cpu<T>(T*, const T*, int64_t);                       \
  template void sigmoid_backward_cpu<T>(T*, const T*, const T*, int64_t);            \
  template void tanh_forward_cpu<T>(T*, const T*, int64_t);                          \
  template void tanh_backward_cpu<T>(T*, const T*, const T*, int64_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
