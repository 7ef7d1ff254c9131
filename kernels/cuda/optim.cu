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

template <typename T>
__global__ void sgd_kernel(T* param, const T* grad, T* buf, int64_t n, math::SgdConsts<T> c) {
  GPUNN_GRID_STRIDE(i, n) { math::sgd_update(param, grad, buf, i, c); }
}

template <typename T>
__global__ void adam_kernel(T* param, const T* grad, T* m, T* v, T* vmax, int64_t n,
                            math::AdamConsts<T> c) {
  GPUNN_GRID_STRIDE(i, n) { math::adam_update(param, grad, m, v, vmax, i, c); }
}

template <typename T>
__global__ void rmsprop_kernel(T* param, const T* grad, T* sq, T* avg, T* buf, int64_t n,
                               math::RmspropConsts<T> c) {
  GPUNN_GRID_STRIDE(i, n) { math::rmsprop_update(param, grad, sq, avg, buf, i, c); }
}

using cuda_detail::grid_for;
using cuda_detail::kThreads;

template <typename T>
void sgd_step_launch(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdParams& p,
                     cudaStream_t stream) {
  if (n == 0) return;
  sgd_kernel<<<grid_for(n), kThreads, 0, stream>>>(
      param, grad, momentum_buffer, n, math::SgdConsts<T>(p, momentum_buffer != nullptr));
}

template <typename T>
void adam_step_launch(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                      int64_t n, const AdamParams& p, cudaStream_t stream) {
  if (n == 0) return;
  adam_kernel<<<grid_for(n), kThreads, 0, stream>>>(param, grad, exp_avg, exp_avg_sq,
                                                    max_exp_avg_sq, n, math::AdamConsts<T>(p));
}

template <typename T>
void rmsprop_step_launch(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                         int64_t n, const RmspropParams& p, cudaStream_t stream) {
  if (n == 0) return;
  rmsprop_kernel<<<grid_for(n), kThreads, 0, stream>>>(
      param, grad, square_avg, grad_avg, momentum_buffer, n, math::RmspropConsts<T>(p));
}

}  // namespace

template <typename T>
void sgd_step_cuda(const SgdArgs& a, const Context& ctx) {
  sgd_step_launch(static_cast<T*>(a.param), static_cast<const T*>(a.grad),
                  static_cast<T*>(a.momentum_buffer), a.n, a.p, ctx.stream);
}

template <typename T>
void adam_step_cuda(const AdamArgs& a, const Context& ctx) {
  adam_step_launch(static_cast<T*>(a.param), static_cast<const T*>(a.grad),
                   static_cast<T*>(a.exp_avg), static_cast<T*>(a.exp_avg_sq),
                   static_cast<T*>(a.max_exp_avg_sq), a.n, a.p, ctx.stream);
}

template <typename T>
void rmsprop_step_cuda(const RmspropArgs& a, const Context& ctx) {
  rmsprop_step_launch(static_cast<T*>(a.param), static_cast<const T*>(a.grad),
                      static_cast<T*>(a.square_avg), static_cast<T*>(a.grad_avg),
                      static_cast<T*>(a.momentum_buffer), a.n, a.p, ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                        \
  template void sgd_step_cuda<T>(const SgdArgs&, const Context&);   \
  template void adam_step_cuda<T>(const AdamArgs&, const Context&); \
  template void rmsprop_step_cuda<T>(const RmspropArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
