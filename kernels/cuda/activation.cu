// CUDA activations (kernels/activation.h): the elementwise maps of kernels/cuda/vector.cuh
// (8 values per thread and 16-byte access for the 16-bit dtypes), specialised by a small
// functor per activation. Formulas as in kernels/activation.h (NaN passes through relu;
// sigmoid never overflows).
#include "kernels/activation.h"
#include "kernels/activation_math.h"
#include "kernels/cuda/vector.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::map1;
using cuda_detail::map2;

// Functors over the compute type A (float for the 16-bit dtypes): forward(x) and
// backward(dy, saved), where saved is x or y as activation_backward_reads_x(f) says.
template <typename A>
struct Relu {
  A slope;
  __device__ A forward(A x) const { return x < A(0) ? A(0) : x; }
  __device__ A backward(A dy, A y) const { return y > A(0) ? dy : A(0); }
};
template <typename A>
struct LeakyRelu {
  A slope;
  __device__ A forward(A x) const { return x > A(0) ? x : x * slope; }
  __device__ A backward(A dy, A x) const { return x > A(0) ? dy : dy * slope; }
};
template <typename A>
struct Sigmoid {
  A slope;
  __device__ A forward(A x) const {
    if (x >= A(0)) return A(1) / (A(1) + exp(-x));
    const A e = exp(x);
    return e / (A(1) + e);
  }
  __device__ A backward(A dy, A y) const { return dy * y * (A(1) - y); }
};
template <typename A>
struct Tanh {
  A slope;
  __device__ A forward(A x) const { return tanh(x); }
  __device__ A backward(A dy, A y) const { return dy * (A(1) - y * y); }
};
template <typename A>
struct GeluErf {
  A slope;
  __device__ A forward(A x) const { return math::gelu_erf(x); }
  __device__ A backward(A dy, A x) const { return dy * math::gelu_erf_derivative(x); }
};
template <typename A>
struct GeluTanh {
  A slope;
  __device__ A forward(A x) const { return math::gelu_tanh(x); }
  __device__ A backward(A dy, A x) const { return dy * math::gelu_tanh_derivative(x); }
};

template <typename F>
struct Forward {
  F f;
  template <typename A>
  __device__ A operator()(A x) const {
    return f.forward(x);
  }
};
template <typename F>
struct Backward {
  F f;
  template <typename A>
  __device__ A operator()(A dy, A saved) const {
    return f.backward(dy, saved);
  }
};

template <typename F, typename T>
void run_forward(F f, T* y, const T* x, int64_t n, cudaStream_t s) {
  map1(Forward<F>{f}, y, x, n, s);
}
template <typename F, typename T>
void run_backward(F f, T* dx, const T* dy, const T* saved, int64_t n, cudaStream_t s) {
  map2(Backward<F>{f}, dx, dy, saved, n, s);
}

}  // namespace

template <typename T>
void activation_forward_cuda(const ActivationArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  cudaStream_t s = ctx.stream;
  const A slope = static_cast<A>(a.slope);
  switch (a.f) {
    case Activation::Relu:
      return run_forward(Relu<A>{slope}, y, x, a.n, s);
    case Activation::LeakyRelu:
      return run_forward(LeakyRelu<A>{slope}, y, x, a.n, s);
    case Activation::Sigmoid:
      return run_forward(Sigmoid<A>{slope}, y, x, a.n, s);
    case Activation::Tanh:
      return run_forward(Tanh<A>{slope}, y, x, a.n, s);
    case Activation::GeluErf:
      return run_forward(GeluErf<A>{slope}, y, x, a.n, s);
    case Activation::GeluTanh:
      return run_forward(GeluTanh<A>{slope}, y, x, a.n, s);
  }
}

template <typename T>
void activation_backward_cuda(const ActivationBackwardArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  const T* dy = static_cast<const T*>(a.dy);
  const T* saved = static_cast<const T*>(a.saved);
  T* dx = static_cast<T*>(a.dx);
  cudaStream_t s = ctx.stream;
  const A slope = static_cast<A>(a.slope);
  switch (a.f) {
    case Activation::Relu:
      return run_backward(Relu<A>{slope}, dx, dy, saved, a.n, s);
    case Activation::LeakyRelu:
      return run_backward(LeakyRelu<A>{slope}, dx, dy, saved, a.n, s);
    case Activation::Sigmoid:
      return run_backward(Sigmoid<A>{slope}, dx, dy, saved, a.n, s);
    case Activation::Tanh:
      return run_backward(Tanh<A>{slope}, dx, dy, saved, a.n, s);
    case Activation::GeluErf:
      return run_backward(GeluErf<A>{slope}, dx, dy, saved, a.n, s);
    case Activation::GeluTanh:
      return run_backward(GeluTanh<A>{slope}, dx, dy, saved, a.n, s);
  }
}

#define GPUNN_INSTANTIATE(T)                                                       \
  template void activation_forward_cuda<T>(const ActivationArgs&, const Context&); \
  template void activation_backward_cuda<T>(const ActivationBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
