// Adam and AdamW (gpunn/optim/adam.h); the update loop is kernels::adam_step_cpu.
#include <gpunn/optim/adam.h>

#include <cmath>

#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/optim.cuh"
#endif
#include "kernels/optim.h"

namespace gpunn::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options, false) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options)
    : Adam(std::move(groups), options, false) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options, bool decoupled)
    : Optimizer(std::move(groups), options.lr, options.weight_decay),
      o_(options),
      decoupled_(decoupled) {
  check_all();
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options, true) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Adam(std::move(groups), options, true) {}

std::vector<std::string> Adam::buffer_names() const {
  if (o_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

std::vector<Optimizer::HParam> Adam::hparams() {
  return {{"beta1", &o_.beta1},
          {"beta2", &o_.beta2},
          {"eps", &o_.eps},
          {"amsgrad", nullptr, &o_.amsgrad}};
}

void Adam::check_options() const {
  GPUNN_CHECK(o_.beta1 >= 0 && o_.beta1 < 1 && o_.beta2 >= 0 && o_.beta2 < 1, name(),
              ": betas must be in [0, 1), got (", o_.beta1, ", ", o_.beta2, ")");
  GPUNN_CHECK(std::isfinite(o_.eps) && o_.eps >= 0, name(), ": eps must be >= 0, got ", o_.eps);
}

void Adam::update(const Tensor& param, const Tensor& grad, ParamState& state,
                  const ParamGroup& group) {
  const kernels::AdamParams p{*group.lr,           o_.beta1,   o_.beta2,   o_.eps,
                              *group.weight_decay, decoupled_, o_.amsgrad, state.step};
  dispatch_floating(param.dtype(), name(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* vmax = o_.amsgrad ? state.buffers[2].data<T>() : nullptr;
    T* m = state.buffers[0].data<T>();
    T* v = state.buffers[1].data<T>();
    launch("adam_step", OpFamily::Optimizer, param.device(), {&param, &grad}, {&param},
           {.cpu =
                [&] {
                  kernels::adam_step_cpu(param.data<T>(), grad.data<T>(), m, v, vmax, param.numel(),
                                         p);
                },
            GPUNN_IF_CUDA(.cuda = [&] {
              kernels::adam_step_cuda(param.data<T>(), grad.data<T>(), m, v, vmax, param.numel(), p,
                                      cuda::stream(param.device().index));
              GPUNN_CUDA_CHECK_LAUNCH("adam_step");
            })});
  });
}

}  // namespace gpunn::optim
