// Reference loops for activations (kernels/activation.h).
#include "kernels/activation.h"

#include <cmath>

#include "kernels/activation_math.h"

namespace gpunn::kernels {
namespace {

// y[i] = f(x[i]), computed in A = compute_t<T> (float for the 16-bit types) and rounded
// to T once on store; the lambdas inline, so the float loops still vectorise.
template <typename T, typename F>
void map(T* y, const T* x, int64_t n, F f) {
  using A = compute_t<T>;
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(f(static_cast<A>(x[i])));
}

// dx[i] = f(dy[i], saved[i]), the same way.
template <typename T, typename F>
void map(T* dx, const T* dy, const T* saved, int64_t n, F f) {
  using A = compute_t<T>;
  for (int64_t i = 0; i < n; ++i)
    dx[i] = static_cast<T>(f(static_cast<A>(dy[i]), static_cast<A>(saved[i])));
}

}  // namespace

template <typename T>
void activation_forward_cpu(const ActivationArgs& a, const Context&) {
  using A = compute_t<T>;
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  const A slope = static_cast<A>(a.slope);
  switch (a.f) {
    case Activation::Relu:
      // x > 0 ? x : 0 would turn NaN into 0; this keeps it.
      return map(y, x, a.n, [](A v) { return v < A(0) ? A(0) : v; });
    case Activation::LeakyRelu:
      return map(y, x, a.n, [slope](A v) { return v > A(0) ? v : v * slope; });
    case Activation::Sigmoid:
      // Two forms so that e^(-x) never overflows: for x < 0 use e^x / (1 + e^x).
      return map(y, x, a.n, [](A v) {
        if (v >= A(0)) return A(1) / (A(1) + std::exp(-v));
        const A e = std::exp(v);
        return e / (A(1) + e);
      });
    case Activation::Tanh:
      return map(y, x, a.n, [](A v) { return std::tanh(v); });
    case Activation::GeluErf:
      return map(y, x, a.n, [](A v) { return math::gelu_erf(v); });
    case Activation::GeluTanh:
      return map(y, x, a.n, [](A v) { return math::gelu_tanh(v); });
  }
}

// `saved` is x where activation_backward_reads_x(f), y otherwise (kernels/activation.h).
template <typename T>
void activation_backward_cpu(const ActivationBackwardArgs& a, const Context&) {
  using A = compute_t<T>;
  const T* dy = static_cast<const T*>(a.dy);
  const T* saved = static_cast<const T*>(a.saved);
  T* dx = static_cast<T*>(a.dx);
  const A slope = static_cast<A>(a.slope);
  switch (a.f) {
    case Activation::Relu:
      return map(dx, dy, saved, a.n, [](A g, A y) { return y > A(0) ? g : A(0); });
    case Activation::LeakyRelu:
      return map(dx, dy, saved, a.n, [slope](A g, A x) { return x > A(0) ? g : g * slope; });
    case Activation::Sigmoid:
      return map(dx, dy, saved, a.n, [](A g, A y) { return g * y * (A(1) - y); });
    case Activation::Tanh:
      return map(dx, dy, saved, a.n, [](A g, A y) { return g * (A(1) - y * y); });
    case Activation::GeluErf:
      return map(dx, dy, saved, a.n, [](A g, A x) { return g * math::gelu_erf_derivative(x); });
    case Activation::GeluTanh:
      return map(dx, dy, saved, a.n, [](A g, A x) { return g * math::gelu_tanh_derivative(x); });
  }
}

#define GPUNN_INSTANTIATE(T)                                                      \
  template void activation_forward_cpu<T>(const ActivationArgs&, const Context&); \
  template void activation_backward_cpu<T>(const ActivationBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
