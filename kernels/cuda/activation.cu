// CUDA activations (kernels/cuda/activation.cuh): one grid-stride kernel per
// direction, specialised by a small functor per activation. Formulas as in
// kernels/activation.h (NaN passes through relu; sigmoid never overflows).
#include "kernels/cuda/activation.cuh"
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
void relu_forward_cuda(T* y, const T* x, int64_t n, cudaStream_t s) {
  run_forward(Relu<T>{T(0)}, y, x, n, s);
}
template <typename T>
void relu_backward_cuda(T* dx, const T* dy, const T* y, int64_t n, cudaStream_t s) {
  run_backward(Relu<T>{T(0)}, dx, dy, y, n, s);
}
template <typename T>
void leaky_relu_forward_cuda(T* y, const T* x, int64_t n, double slope, cudaStream_t s) {
  run_forward(LeakyRelu<T>{static_cast<T>(slope)}, y, x, n, s);
}
template <typename T>
void leaky_relu_backward_cuda(T* dx, const T* dy, const T* x, int64_t n, double slope,
                              cudaStream_t s) {
  run_backward(LeakyRelu<T>{static_cast<T>(slope)}, dx, dy, x, n, s);
}
template <typename T>
void sigmoid_forward_cuda(T* y, const T* x, int64_t n, cudaStream_t s) {
  run_forward(Sigmoid<T>{T(0)}, y, x, n, s);
}
template <typename T>
void sigmoid_backward_cuda(T* dx, const T* dy, const T* y, int64_t n, cudaStream_t s) {
  run_backward(Sigmoid<T>{T(0)}, dx, dy, y, n, s);
}
template <typename T>
void tanh_forward_cuda(T* y, const T* x, int64_t n, cudaStream_t s) {
  run_forward(Tanh<T>{T(0)}, y, x, n, s);
}
template <typename T>
void tanh_backward_cuda(T* dx, const T* dy, const T* y, int64_t n, cudaStream_t s) {
  run_backward(Tanh<T>{T(0)}, dx, dy, y, n, s);
}

#define GPUNN_INSTANTIATE(T)                                                             \
  template void relu_forward_cuda<T>(T*, const T*, int64_t, cudaStream_t);               \
  template void relu_backward_cuda<T>(T*, const T*, const T*, int64_t, cudaStream_t);    \
  template void leaky_relu_forward_cuda<T>(T*, const T*, int64_t, double, cudaStream_t); \
  template void leaky_relu_backward_cuda<T>(T*, const T*, const T*, int64_t, double,     \
                                            cudaStream_t);                               \
  template void sigmoid_forward_cuda<T>(T*, const T*, int64_t, cudaStream_t);            \
  template void sigmoid_backward_cuda<T>(T*, const T*, const T*, int64_t, cudaStream_t); \
  template void tanh_forward_cuda<T>(T*, const T*, int64_t, cudaStream_t);               \
  template void tanh_backward_cuda<T>(T*, const T*, const T*, int64_t, cudaStream_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
