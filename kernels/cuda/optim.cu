// Fused optimizer updates on the GPU (kernels/optim.h): each reads the
// gradient and the state once and writes parameter and state once, with the
// element formulas of kernels/optim_math.h shared with the CPU.
#include "kernels/cuda/launch.cuh"
#include "kernels/optim.h"
#include "kernels/optim_math.h"

namespace gpunn::kernels {
namespace {

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

// State buffers and the master copy are compute_t<T> (kernels/optim.h).
template <typename T>
__global__ void sgd_kernel(T* param, const T* grad, compute_t<T>* buf, compute_t<T>* master,
                           int64_t n, math::SgdConsts<T> c) {
  GPUNN_GRID_STRIDE(i, n) { math::sgd_update(param, grad, buf, master, i, c); }
}

template <typename T>
__global__ void adam_kernel(T* param, const T* grad, compute_t<T>* m, compute_t<T>* v,
                            compute_t<T>* vmax, compute_t<T>* master, int64_t n,
                            math::AdamConsts<T> c) {
  GPUNN_GRID_STRIDE(i, n) { math::adam_update(param, grad, m, v, vmax, master, i, c); }
}

template <typename T>
__global__ void rmsprop_kernel(T* param, const T* grad, compute_t<T>* sq, compute_t<T>* avg,
                               compute_t<T>* buf, compute_t<T>* master, int64_t n,
                               math::RmspropConsts<T> c) {
  GPUNN_GRID_STRIDE(i, n) { math::rmsprop_update(param, grad, sq, avg, buf, master, i, c); }
}

// Each warp votes; one lane per warp that saw a non-finite value sets the flag (all
// writers store the same 1, so the order does not matter).
template <typename T>
__global__ void unscale_kernel(T* g, int64_t n, compute_t<T> inv_scale, float* found_inf) {
  bool finite = true;
  GPUNN_GRID_STRIDE(i, n) { finite &= math::unscale_at(g, i, inv_scale); }
  if (!__all_sync(0xffffffffu, finite) && threadIdx.x % 32 == 0) *found_inf = 1.0f;
}

using cuda_detail::grid_for;
using cuda_detail::kThreads;

}  // namespace

template <typename T>
void unscale_cuda(const UnscaleArgs& a, const Context& ctx) {
  if (a.n == 0) return;
  unscale_kernel<<<grid_for(a.n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.grad), a.n, static_cast<compute_t<T>>(a.inv_scale), a.found_inf);
}

template <typename T>
void sgd_step_cuda(const SgdArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  if (a.n == 0) return;
  auto* buf = static_cast<A*>(a.momentum_buffer);
  sgd_kernel<<<grid_for(a.n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.param), static_cast<const T*>(a.grad), buf, static_cast<A*>(a.master), a.n,
      math::SgdConsts<T>(a.p, buf != nullptr));
}

template <typename T>
void adam_step_cuda(const AdamArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  if (a.n == 0) return;
  adam_kernel<<<grid_for(a.n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.param), static_cast<const T*>(a.grad), static_cast<A*>(a.exp_avg),
      static_cast<A*>(a.exp_avg_sq), static_cast<A*>(a.max_exp_avg_sq), static_cast<A*>(a.master),
      a.n, math::AdamConsts<T>(a.p));
}

template <typename T>
void rmsprop_step_cuda(const RmspropArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  if (a.n == 0) return;
  rmsprop_kernel<<<grid_for(a.n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.param), static_cast<const T*>(a.grad), static_cast<A*>(a.square_avg),
      static_cast<A*>(a.grad_avg), static_cast<A*>(a.momentum_buffer), static_cast<A*>(a.master),
      a.n, math::RmspropConsts<T>(a.p));
}

#define GPUNN_INSTANTIATE(T)                                         \
  template void unscale_cuda<T>(const UnscaleArgs&, const Context&); \
  template void sgd_step_cuda<T>(const SgdArgs&, const Context&);    \
  template void adam_step_cuda<T>(const AdamArgs&, const Context&);  \
  template void rmsprop_step_cuda<T>(const RmspropArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
