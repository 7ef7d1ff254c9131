// Reference optimizer updates (kernels/optim.h), one loop per optimizer.
#include "kernels/optim.h"

#include "kernels/optim_math.h"

namespace gpunn::kernels {

namespace {

template <typename T>
void sgd_step_loops(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdParams& p) {
  const math::SgdConsts<T> c(p, momentum_buffer != nullptr);
  for (int64_t i = 0; i < n; ++i) math::sgd_update(param, grad, momentum_buffer, i, c);
}

template <typename T>
void adam_step_loops(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                     int64_t n, const AdamParams& p) {
  const math::AdamConsts<T> c(p);
  for (int64_t i = 0; i < n; ++i)
    math::adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, i, c);
}

template <typename T>
void rmsprop_step_loops(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                        int64_t n, const RmspropParams& p) {
  const math::RmspropConsts<T> c(p);
  for (int64_t i = 0; i < n; ++i)
    math::rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, i, c);
}

}  // namespace

template <typename T>
void sgd_step_cpu(const SgdArgs& a, const Context&) {
  sgd_step_loops(static_cast<T*>(a.param), static_cast<const T*>(a.grad),
                 static_cast<T*>(a.momentum_buffer), a.n, a.p);
}

template <typename T>
void adam_step_cpu(const AdamArgs& a, const Context&) {
  adam_step_loops(static_cast<T*>(a.param), static_cast<const T*>(a.grad),
                  static_cast<T*>(a.exp_avg), static_cast<T*>(a.exp_avg_sq),
                  static_cast<T*>(a.max_exp_avg_sq), a.n, a.p);
}

template <typename T>
void rmsprop_step_cpu(const RmspropArgs& a, const Context&) {
  rmsprop_step_loops(static_cast<T*>(a.param), static_cast<const T*>(a.grad),
                     static_cast<T*>(a.square_avg), static_cast<T*>(a.grad_avg),
                     static_cast<T*>(a.momentum_buffer), a.n, a.p);
}

#define GPUNN_INSTANTIATE(T)                                       \
  template void sgd_step_cpu<T>(const SgdArgs&, const Context&);   \
  template void adam_step_cpu<T>(const AdamArgs&, const Context&); \
  template void rmsprop_step_cpu<T>(const RmspropArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
