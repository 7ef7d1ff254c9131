// Adam and AdamW (gpunn/optim/adam.h); each step is one fused update (gpunn/ops/optim.h).
#include <gpunn/ops/optim.h>
#include <gpunn/optim/adam.h>

#include <cmath>

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

namespace {
AdamOptions as_adam(const AdamWOptions& o) {
  return {.lr = o.lr,
          .beta1 = o.beta1,
          .beta2 = o.beta2,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad};
}
}  // namespace

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), {}, {}}}, as_adam(options), true) {
}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Adam(std::move(groups), as_adam(options), true) {}

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
  adam_step_(param, grad, state.buffers[0], state.buffers[1],
             o_.amsgrad ? state.buffers[2] : Tensor(),
             {.lr = *group.lr,
              .beta1 = o_.beta1,
              .beta2 = o_.beta2,
              .eps = o_.eps,
              .weight_decay = *group.weight_decay,
              .decoupled_weight_decay = decoupled_,
              .amsgrad = o_.amsgrad,
              .step = state.step},
             state.master);
}

}  // namespace gpunn::optim
