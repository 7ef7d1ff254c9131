// SGD (gpunn/optim/sgd.h); each step is one fused update (gpunn/ops/optim.h).
#include <gpunn/ops/optim.h>
#include <gpunn/optim/sgd.h>

#include <cmath>

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
  sgd_step_(param, grad, state.buffers.empty() ? Tensor() : state.buffers[0],
            {.lr = *group.lr,
             .momentum = o_.momentum,
             .dampening = o_.dampening,
             .weight_decay = *group.weight_decay,
             .nesterov = o_.nesterov,
             .first_step = state.step == 1},
            state.master);
}

}  // namespace gpunn::optim
