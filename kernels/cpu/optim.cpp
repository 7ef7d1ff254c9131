// Reference optimizer updates (kernels/optim.h), one loop per optimizer.
#include "kernels/optim.h"

#include "kernels/optim_math.h"

namespace gpunn::kernels {

template <typename T>
void sgd_step_cpu(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdParams& p) {
  const math::SgdConsts<T> c(p, momentum_buffer != nullptr);
  for (int64_t i = 0; i < n; ++i) math::sgd_update(param, grad, momentum_buffer, i, c);
}

template <typename T>
void adam_step_cpu(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                   const AdamParams& p) {
  const math::AdamConsts<T> c(p);
  for (int64_t i = 0; i < n; ++i)
    math::adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, i, c);
}

template <typename T>
void rmsprop_step_cpu(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                      int64_t n, const RmspropParams& p) {
  const math::RmspropConsts<T> c(p);
  for (int64_t i = 0; i < n; ++i)
    math::rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, i, c);
}

#define GPUNN_INSTANTIATE(T)                                                            \
  template void sgd_step_cpu<T>(T*, const T*, T*, int64_t, const SgdParams&);           \
  template void adam_step_cpu<T>(T*, const T*, T*, T*, T*, int64_t, const AdamParams&); \
  template void rmsprop_step_cpu<T>(T*, const T*, T*, T*, T*, int64_t, const RmspropParams&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
