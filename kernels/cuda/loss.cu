// CUDA losses (kernels/cuda/loss.cuh): the formulas of kernels/loss_math.h,
// shared with the CPU, one thread per sample position for the forward passes and
// per output element for the backward passes, so no atomics are needed and
// results do not depend on scheduling.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/loss.cuh"
#include "kernels/loss_math.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void nll_forward_kernel(T* loss, T* wsum, const T* logp, const int64_t* target,
                                   const T* weight, int64_t N, int64_t C, int64_t inner,
                                   int64_t ignore_index, double smoothing) {
  GPUNN_GRID_STRIDE(p, N * inner) {
    math::nll_forward_at(loss, wsum, logp, target, weight, C, inner, ignore_index, smoothing, p);
  }
}

template <typename T>
__global__ void nll_backward_kernel(T* dlogp, const T* dloss, const int64_t* target,
                                    const T* weight, int64_t N, int64_t C, int64_t inner,
                                    int64_t ignore_index, double smoothing) {
  GPUNN_GRID_STRIDE(e, N * C * inner) {
    math::nll_backward_at(dlogp, dloss, target, weight, C, inner, ignore_index, smoothing, e);
  }
}

template <typename T>
__global__ void margin_forward_kernel(T* loss, const T* x, const int64_t* target, const T* weight,
                                      int64_t N, int64_t C, int p, double margin, double divisor) {
  GPUNN_GRID_STRIDE(n, N) {
    math::margin_forward_at(loss, x, target, weight, C, p, margin, divisor, n);
  }
}

template <typename T>
__global__ void margin_backward_kernel(T* dx, const T* dloss, const T* x, const int64_t* target,
                                       const T* weight, int64_t N, int64_t C, int p, double margin,
                                       double divisor) {
  GPUNN_GRID_STRIDE(n, N) {
    math::margin_backward_at(dx, dloss, x, target, weight, C, p, margin, divisor, n);
  }
}

template <typename T>
__global__ void bce_forward_kernel(T* loss, const T* x, const T* y, const T* pw, int64_t n,
                                   int64_t C) {
  GPUNN_GRID_STRIDE(i, n) { loss[i] = math::bce_logits_at(x, y, pw, C, i); }
}

template <typename T>
__global__ void bce_backward_kernel(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pw,
                                    int64_t n, int64_t C) {
  GPUNN_GRID_STRIDE(i, n) { math::bce_logits_backward_at(dx, dy, g, x, y, pw, C, i); }
}

}  // namespace

template <typename T>
void nll_forward_cuda(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                      int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                      cudaStream_t s) {
  const int64_t n = N * inner;
  if (n == 0) return;
  nll_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(loss, wsum, logp, target, weight, N, C, inner,
                                                      ignore_index, smoothing);
}

template <typename T>
void nll_backward_cuda(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                       int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                       cudaStream_t s) {
  const int64_t n = N * C * inner;
  if (n == 0) return;
  nll_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(dlogp, dloss, target, weight, N, C, inner,
                                                       ignore_index, smoothing);
}

template <typename T>
void multi_margin_forward_cuda(T* loss, const T* x, const int64_t* target, const T* weight,
                               int64_t N, int64_t C, int p, double margin, double divisor,
                               cudaStream_t s) {
  if (N == 0) return;
  margin_forward_kernel<<<grid_for(N), kThreads, 0, s>>>(loss, x, target, weight, N, C, p, margin,
                                                         divisor);
}

template <typename T>
void multi_margin_backward_cuda(T* dx, const T* dloss, const T* x, const int64_t* target,
                                const T* weight, int64_t N, int64_t C, int p, double margin,
                                double divisor, cudaStream_t s) {
  if (N == 0) return;
  margin_backward_kernel<<<grid_for(N), kThreads, 0, s>>>(dx, dloss, x, target, weight, N, C, p,
                                                          margin, divisor);
}

template <typename T>
void bce_logits_forward_cuda(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                             int64_t C, cudaStream_t s) {
  if (n == 0) return;
  bce_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(loss, x, y, pos_weight, n, C);
}

template <typename T>
void bce_logits_backward_cuda(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pos_weight,
                              int64_t n, int64_t C, cudaStream_t s) {
  if (n == 0) return;
  bce_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(dx, dy, g, x, y, pos_weight, n, C);
}

#define GPUNN_INSTANTIATE(T)                                                                      \
  template void nll_forward_cuda<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, \
                                    int64_t, int64_t, double, cudaStream_t);                      \
  template void nll_backward_cuda<T>(T*, const T*, const int64_t*, const T*, int64_t, int64_t,    \
                                     int64_t, int64_t, double, cudaStream_t);                     \
  template void multi_margin_forward_cuda<T>(T*, const T*, const int64_t*, const T*, int64_t,     \
                                             int64_t, int, double, double, cudaStream_t);         \
  template void multi_margin_backward_cuda<T>(T*, const T*, const T*, const int64_t*, const T*,   \
                                              int64_t, int64_t, int, double, double,              \
                                              cudaStream_t);                                      \
  template void bce_logits_forward_cuda<T>(T*, const T*, const T*, const T*, int64_t, int64_t,    \
                                           cudaStream_t);                                         \
  template void bce_logits_backward_cuda<T>(T*, T*, const T*, const T*, const T*, const T*,       \
                                            int64_t, int64_t, cudaStream_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
