// CUDA losses (kernels/loss.h): the formulas of kernels/loss_math.h,
// shared with the CPU, one thread per sample position for the forward passes and
// per output element for the backward passes, so no atomics are needed and
// results do not depend on scheduling.
#include "kernels/cuda/launch.cuh"
#include "kernels/loss.h"
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

template <typename T>
void nll_forward_launch(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                        int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                        cudaStream_t s) {
  const int64_t n = N * inner;
  if (n == 0) return;
  nll_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(loss, wsum, logp, target, weight, N, C, inner,
                                                      ignore_index, smoothing);
}

template <typename T>
void nll_backward_launch(T* dlogp, const T* dloss, const int64_t* target, const T* weight,
                         int64_t N, int64_t C, int64_t inner, int64_t ignore_index,
                         double smoothing, cudaStream_t s) {
  const int64_t n = N * C * inner;
  if (n == 0) return;
  nll_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(dlogp, dloss, target, weight, N, C, inner,
                                                       ignore_index, smoothing);
}

template <typename T>
void multi_margin_forward_launch(T* loss, const T* x, const int64_t* target, const T* weight,
                                 int64_t N, int64_t C, int p, double margin, double divisor,
                                 cudaStream_t s) {
  if (N == 0) return;
  margin_forward_kernel<<<grid_for(N), kThreads, 0, s>>>(loss, x, target, weight, N, C, p, margin,
                                                         divisor);
}

template <typename T>
void multi_margin_backward_launch(T* dx, const T* dloss, const T* x, const int64_t* target,
                                  const T* weight, int64_t N, int64_t C, int p, double margin,
                                  double divisor, cudaStream_t s) {
  if (N == 0) return;
  margin_backward_kernel<<<grid_for(N), kThreads, 0, s>>>(dx, dloss, x, target, weight, N, C, p,
                                                          margin, divisor);
}

template <typename T>
void bce_logits_forward_launch(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                               int64_t C, cudaStream_t s) {
  if (n == 0) return;
  bce_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(loss, x, y, pos_weight, n, C);
}

template <typename T>
void bce_logits_backward_launch(T* dx, T* dy, const T* g, const T* x, const T* y,
                                const T* pos_weight, int64_t n, int64_t C, cudaStream_t s) {
  if (n == 0) return;
  bce_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(dx, dy, g, x, y, pos_weight, n, C);
}

}  // namespace

template <typename T>
void nll_forward_cuda(const NllArgs& a, const Context& ctx) {
  nll_forward_launch(static_cast<T*>(a.loss), static_cast<T*>(a.wsum),
                     static_cast<const T*>(a.logp), a.target, static_cast<const T*>(a.weight), a.N,
                     a.C, a.inner, a.ignore_index, a.smoothing, ctx.stream);
}

template <typename T>
void nll_backward_cuda(const NllBackwardArgs& a, const Context& ctx) {
  nll_backward_launch(static_cast<T*>(a.dlogp), static_cast<const T*>(a.dloss), a.target,
                      static_cast<const T*>(a.weight), a.N, a.C, a.inner, a.ignore_index,
                      a.smoothing, ctx.stream);
}

template <typename T>
void multi_margin_forward_cuda(const MultiMarginArgs& a, const Context& ctx) {
  multi_margin_forward_launch(static_cast<T*>(a.loss), static_cast<const T*>(a.x), a.target,
                              static_cast<const T*>(a.weight), a.N, a.C, a.p, a.margin, a.divisor,
                              ctx.stream);
}

template <typename T>
void multi_margin_backward_cuda(const MultiMarginBackwardArgs& a, const Context& ctx) {
  multi_margin_backward_launch(
      static_cast<T*>(a.dx), static_cast<const T*>(a.dloss), static_cast<const T*>(a.x), a.target,
      static_cast<const T*>(a.weight), a.N, a.C, a.p, a.margin, a.divisor, ctx.stream);
}

template <typename T>
void bce_logits_forward_cuda(const BceLogitsArgs& a, const Context& ctx) {
  bce_logits_forward_launch(static_cast<T*>(a.loss), static_cast<const T*>(a.x),
                            static_cast<const T*>(a.y), static_cast<const T*>(a.pos_weight), a.n,
                            a.C, ctx.stream);
}

template <typename T>
void bce_logits_backward_cuda(const BceLogitsBackwardArgs& a, const Context& ctx) {
  bce_logits_backward_launch(static_cast<T*>(a.dx), static_cast<T*>(a.dy),
                             static_cast<const T*>(a.g), static_cast<const T*>(a.x),
                             static_cast<const T*>(a.y), static_cast<const T*>(a.pos_weight), a.n,
                             a.C, ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                                                   \
  template void nll_forward_cuda<T>(const NllArgs&, const Context&);                           \
  template void nll_backward_cuda<T>(const NllBackwardArgs&, const Context&);                  \
  template void multi_margin_forward_cuda<T>(const MultiMarginArgs&, const Context&);          \
  template void multi_margin_backward_cuda<T>(const MultiMarginBackwardArgs&, const Context&); \
  template void bce_logits_forward_cuda<T>(const BceLogitsArgs&, const Context&);              \
  template void bce_logits_backward_cuda<T>(const BceLogitsBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
