// CUDA activations (kernels/activation.h): one grid-stride kernel per
// direction, specialised by a small functor per activation. Formulas as in
// kernels/activation.h (NaN passes through relu; sigmoid never overflows).
#include "kernels/activation.h"
#include "kernels/activation_math.h"
#include "kernels/cuda/launch.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

template <typename T>
struct Relu {
  T slope;
  __device__ T forward(T x) const { return x < T(0) ? T(0) : x; }
  __device__ T backward(T dy, T y) const { return y > T(0) ? dy : T(0); }
};
template <typename T>
struct LeakyRelu {
  T slope;
  __device__ T forward(T x) const { return x > T(0) ? x : x * slope; }
  __device__ T backward(T dy, T x) const { return x > T(0) ? dy : dy * slope; }
};
template <typename T>
struct Sigmoid {
  T slope;
  __device__ T forward(T x) const {
    if (x >= T(0)) return T(1) / (T(1) + exp(-x));
    const T e = exp(x);
    return e / (T(1) + e);
  }
  __device__ T backward(T dy, T y) const { return dy * y * (T(1) - y); }
};
template <typename T>
struct Tanh {
  T slope;
  __device__ T forward(T x) const { return tanh(x); }
  __device__ T backward(T dy, T y) const { return dy * (T(1) - y * y); }
};

// GELU's backward reads x (the `saved` argument).
template <typename T>
struct GeluErf {
  T slope;
  __device__ T forward(T x) const { return math::gelu_erf(x); }
  __device__ T backward(T dy, T x) const { return dy * math::gelu_erf_derivative(x); }
};
template <typename T>
struct GeluTanh {
  T slope;
  __device__ T forward(T x) const { return math::gelu_tanh(x); }
  __device__ T backward(T dy, T x) const { return dy * math::gelu_tanh_derivative(x); }
};

template <typename F, typename T>
__global__ void forward_kernel(F f, T* __restrict__ y, const T* __restrict__ x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    y[i] = f.forward(x[i]);
}

template <typename F, typename T>
__global__ void backward_kernel(F f, T* __restrict__ dx, const T* __restrict__ dy,
                                const T* __restrict__ saved, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    dx[i] = f.backward(dy[i], saved[i]);
}

template <typename F, typename T>
void run_forward(F f, T* y, const T* x, int64_t n, cudaStream_t s) {
  if (n > 0) forward_kernel<<<grid_for(n), kThreads, 0, s>>>(f, y, x, n);
}
template <typename F, typename T>
void run_backward(F f, T* dx, const T* dy, const T* saved, int64_t n, cudaStream_t s) {
  if (n > 0) backward_kernel<<<grid_for(n), kThreads, 0, s>>>(f, dx, dy, saved, n);
}

}  // namespace

template <typename T>
void activation_forward_cuda(const ActivationArgs& a, const Context& ctx) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  cudaStream_t s = ctx.stream;
  const T slope = static_cast<T>(a.slope);
  switch (a.f) {
    case Activation::Relu:
      return run_forward(Relu<T>{slope}, y, x, a.n, s);
    case Activation::LeakyRelu:
      return run_forward(LeakyRelu<T>{slope}, y, x, a.n, s);
    case Activation::Sigmoid:
      return run_forward(Sigmoid<T>{slope}, y, x, a.n, s);
    case Activation::Tanh:
      return run_forward(Tanh<T>{slope}, y, x, a.n, s);
    case Activation::GeluErf:
      return run_forward(GeluErf<T>{slope}, y, x, a.n, s);
    case Activation::GeluTanh:
      return run_forward(GeluTanh<T>{slope}, y, x, a.n, s);
  }
}

template <typename T>
void activation_backward_cuda(const ActivationBackwardArgs& a, const Context& ctx) {
  const T* dy = static_cast<const T*>(a.dy);
  const T* saved = static_cast<const T*>(a.saved);
  T* dx = static_cast<T*>(a.dx);
  cudaStream_t s = ctx.stream;
  const T slope = static_cast<T>(a.slope);
  switch (a.f) {
    case Activation::Relu:
      return run_backward(Relu<T>{slope}, dx, dy, saved, a.n, s);
    case Activation::LeakyRelu:
      return run_backward(LeakyRelu<T>{slope}, dx, dy, saved, a.n, s);
    case Activation::Sigmoid:
      return run_backward(Sigmoid<T>{slope}, dx, dy, saved, a.n, s);
    case Activation::Tanh:
      return run_backward(Tanh<T>{slope}, dx, dy, saved, a.n, s);
    case Activation::GeluErf:
      return run_backward(GeluErf<T>{slope}, dx, dy, saved, a.n, s);
    case Activation::GeluTanh:
      return run_backward(GeluTanh<T>{slope}, dx, dy, saved, a.n, s);
  }
}

template void activation_forward_cuda<float>(const ActivationArgs&, const Context&);
template void activation_forward_cuda<double>(const ActivationArgs&, const Context&);
template void activation_backward_cuda<float>(const ActivationBackwardArgs&, const Context&);
template void activation_backward_cuda<double>(const ActivationBackwardArgs&, const Context&);

}  // namespace gpunn::kernels
