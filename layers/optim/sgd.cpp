// SGD (gpunn/optim/sgd.h); the update loop is kernels::sgd_step_cpu.
#include <gpunn/optim/sgd.h>

#include <cmath>

#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/optim.cuh"
#endif
#include "kernels/optim.h"

namespace gpunn::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer(std::move(groups), options.lr, options.weight_decay), o_(options) {
  check_all();
}

std::vector<std::string> SGD::buffer_names() const {
  if (o_.momentum != 0) return {"momentum_buffer"};
  return {};
}

std::vector<Optimizer::HParam> SGD::hparams() {
  return {{"momentum", &o_.momentum},
          {"dampening", &o_.dampening},
          {"nesterov", nullptr, &o_.nesterov}};
}

void SGD::check_options() const {
  GPUNN_CHECK(std::isfinite(o_.momentum) && o_.momentum >= 0, "sgd: momentum must be >= 0, got ",
              o_.momentum);
  GPUNN_CHECK(std::isfinite(o_.dampening), "sgd: dampening must be finite, got ", o_.dampening);
  GPUNN_CHECK(!o_.nesterov || (o_.momentum > 0 && o_.dampening == 0),
              "sgd: nesterov needs momentum > 0 and dampening 0, got momentum ", o_.momentum,
              " and dampening ", o_.dampening);
}

void SGD::update(const Tensor& param, const Tensor& grad, ParamState& state,
                 const ParamGroup& group) {
  const kernels::SgdParams p{*group.lr,           o_.momentum, o_.dampening,
                             *group.weight_decay, o_.nesterov, state.step == 1};
  dispatch_floating(param.dtype(), "sgd", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* buf = state.buffers.empty() ? nullptr : state.buffers[0].data<T>();
    launch(
        "sgd_step", OpFamily::Optimizer, param.device(), {&param, &grad}, {&param},
        {.cpu =
             [&] { kernels::sgd_step_cpu(param.data<T>(), grad.data<T>(), buf, param.numel(), p); },
         GPUNN_IF_CUDA(.cuda = [&] {
           kernels::sgd_step_cuda(param.data<T>(), grad.data<T>(), buf, param.numel(), p,
                                  cuda::stream(param.device().index));
           GPUNN_CUDA_CHECK_LAUNCH("sgd_step");
         })});
  });
}

}  // namespace gpunn::optim
