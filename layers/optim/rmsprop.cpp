// RMSprop (gpunn/optim/rmsprop.h); the update loop is kernels::rmsprop_step_cpu.
#include <gpunn/optim/rmsprop.h>

#include <cmath>

#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/optim.cuh"
#endif
#include "kernels/optim.h"

namespace gpunn::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : RMSprop(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options)
    : Optimizer(std::move(groups), options.lr, options.weight_decay), o_(options) {
  check_all();
}

// Buffer order: square_avg, then momentum_buffer and grad_avg when enabled.
std::vector<std::string> RMSprop::buffer_names() const {
  std::vector<std::string> names = {"square_avg"};
  if (o_.momentum > 0) names.push_back("momentum_buffer");
  if (o_.centered) names.push_back("grad_avg");
  return names;
}

std::vector<Optimizer::HParam> RMSprop::hparams() {
  return {{"alpha", &o_.alpha},
          {"eps", &o_.eps},
          {"momentum", &o_.momentum},
          {"centered", nullptr, &o_.centered}};
}

void RMSprop::check_options() const {
  GPUNN_CHECK(o_.alpha >= 0 && o_.alpha <= 1, "rmsprop: alpha must be in [0, 1], got ", o_.alpha);
  GPUNN_CHECK(std::isfinite(o_.eps) && o_.eps >= 0, "rmsprop: eps must be >= 0, got ", o_.eps);
  GPUNN_CHECK(std::isfinite(o_.momentum) && o_.momentum >= 0,
              "rmsprop: momentum must be >= 0, got ", o_.momentum);
}

void RMSprop::update(const Tensor& param, const Tensor& grad, ParamState& state,
                     const ParamGroup& group) {
  const kernels::RmspropParams p{*group.lr,           o_.alpha,    o_.eps,
                                 *group.weight_decay, o_.momentum, o_.centered};
  dispatch_floating(param.dtype(), "rmsprop", [&](auto tag) {
    using T = typename decltype(tag)::type;
    size_t next = 1;
    T* momentum = o_.momentum > 0 ? state.buffers[next++].data<T>() : nullptr;
    T* grad_avg = o_.centered ? state.buffers[next++].data<T>() : nullptr;
    T* square_avg = state.buffers[0].data<T>();
    launch("rmsprop_step", OpFamily::Optimizer, param.device(), {&param, &grad}, {&param},
           {.cpu =
                [&] {
                  kernels::rmsprop_step_cpu(param.data<T>(), grad.data<T>(), square_avg, grad_avg,
                                            momentum, param.numel(), p);
                },
            GPUNN_IF_CUDA(.cuda = [&] {
              kernels::rmsprop_step_cuda(param.data<T>(), grad.data<T>(), square_avg, grad_avg,
                                         momentum, param.numel(), p,
                                         cuda::stream(param.device().index));
              GPUNN_CUDA_CHECK_LAUNCH("rmsprop_step");
            })});
  });
}

}  // namespace gpunn::optim
