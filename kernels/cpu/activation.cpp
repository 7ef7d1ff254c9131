// Reference loops for activations (kernels/activation.h).
#include "kernels/activation.h"

#include <cmath>

#include "kernels/activation_math.h"

namespace gpunn::kernels {
namespace {

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

template <typename T>
void gelu_forward_loops(T* y, const T* x, int64_t n, bool tanh_form) {
  if (tanh_form) {
    for (int64_t i = 0; i < n; ++i) y[i] = math::gelu_tanh(x[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = math::gelu_erf(x[i]);
  }
}

template <typename T>
void gelu_backward_loops(T* dx, const T* dy, const T* x, int64_t n, bool tanh_form) {
  if (tanh_form) {
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * math::gelu_tanh_derivative(x[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * math::gelu_erf_derivative(x[i]);
  }
}

}  // namespace

template <typename T>
void activation_forward_cpu(const ActivationArgs& a, const Context&) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  switch (a.f) {
    case Activation::Relu:
      return relu_forward_cpu(y, x, a.n);
    case Activation::LeakyRelu:
      return leaky_relu_forward_cpu(y, x, a.n, a.slope);
    case Activation::Sigmoid:
      return sigmoid_forward_cpu(y, x, a.n);
    case Activation::Tanh:
      return tanh_forward_cpu(y, x, a.n);
    case Activation::GeluErf:
    case Activation::GeluTanh:
      return gelu_forward_loops(y, x, a.n, a.f == Activation::GeluTanh);
  }
}

template <typename T>
void activation_backward_cpu(const ActivationBackwardArgs& a, const Context&) {
  const T* dy = static_cast<const T*>(a.dy);
  const T* saved = static_cast<const T*>(a.saved);
  T* dx = static_cast<T*>(a.dx);
  switch (a.f) {
    case Activation::Relu:
      return relu_backward_cpu(dx, dy, saved, a.n);
    case Activation::LeakyRelu:
      return leaky_relu_backward_cpu(dx, dy, saved, a.n, a.slope);
    case Activation::Sigmoid:
      return sigmoid_backward_cpu(dx, dy, saved, a.n);
    case Activation::Tanh:
      return tanh_backward_cpu(dx, dy, saved, a.n);
    case Activation::GeluErf:
    case Activation::GeluTanh:
      return gelu_backward_loops(dx, dy, saved, a.n, a.f == Activation::GeluTanh);
  }
}

template void activation_forward_cpu<float>(const ActivationArgs&, const Context&);
template void activation_forward_cpu<double>(const ActivationArgs&, const Context&);
template void activation_backward_cpu<float>(const ActivationBackwardArgs&, const Context&);
template void activation_backward_cpu<double>(const ActivationBackwardArgs&, const Context&);

}  // namespace gpunn::kernels
