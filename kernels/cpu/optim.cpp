// Reference optimizer updates (kernels/optim.h), one loop per optimizer.
#include "kernels/optim.h"

#include "kernels/optim_math.h"

namespace gpunn::kernels {

// State buffers and the master copy are compute_t<T> (kernels/optim.h).
template <typename T>
void sgd_step_cpu(const SgdArgs& a, const Context&) {
  using A = compute_t<T>;
  auto* param = static_cast<T*>(a.param);
  const auto* grad = static_cast<const T*>(a.grad);
  auto* buf = static_cast<A*>(a.momentum_buffer);
  auto* master = static_cast<A*>(a.master);
  const math::SgdConsts<T> c(a.p, buf != nullptr);
  for (int64_t i = 0; i < a.n; ++i) math::sgd_update(param, grad, buf, master, i, c);
}

template <typename T>
void adam_step_cpu(const AdamArgs& a, const Context&) {
  using A = compute_t<T>;
  auto* param = static_cast<T*>(a.param);
  const auto* grad = static_cast<const T*>(a.grad);
  auto* m = static_cast<A*>(a.exp_avg);
  auto* v = static_cast<A*>(a.exp_avg_sq);
  auto* vmax = static_cast<A*>(a.max_exp_avg_sq);
  auto* master = static_cast<A*>(a.master);
  const math::AdamConsts<T> c(a.p);
  for (int64_t i = 0; i < a.n; ++i) math::adam_update(param, grad, m, v, vmax, master, i, c);
}

template <typename T>
void rmsprop_step_cpu(const RmspropArgs& a, const Context&) {
  using A = compute_t<T>;
  auto* param = static_cast<T*>(a.param);
  const auto* grad = static_cast<const T*>(a.grad);
  auto* sq = static_cast<A*>(a.square_avg);
  auto* avg = static_cast<A*>(a.grad_avg);
  auto* buf = static_cast<A*>(a.momentum_buffer);
  auto* master = static_cast<A*>(a.master);
  const math::RmspropConsts<T> c(a.p);
  for (int64_t i = 0; i < a.n; ++i) math::rmsprop_update(param, grad, sq, avg, buf, master, i, c);
}

template <typename T>
void unscale_cpu(const UnscaleArgs& a, const Context&) {
  auto* g = static_cast<T*>(a.grad);
  const auto inv = static_cast<compute_t<T>>(a.inv_scale);
  bool finite = true;
  for (int64_t i = 0; i < a.n; ++i) finite &= math::unscale_at(g, i, inv);
  if (!finite) *a.found_inf = 1.0f;
}

#define GPUNN_INSTANTIATE(T)                                        \
  template void unscale_cpu<T>(const UnscaleArgs&, const Context&); \
  template void sgd_step_cpu<T>(const SgdArgs&, const Context&);    \
  template void adam_step_cpu<T>(const AdamArgs&, const Context&);  \
  template void rmsprop_step_cpu<T>(const RmspropArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
