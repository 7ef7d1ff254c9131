// RMSprop (gpunn/optim/rmsprop.h); each step is one fused update (gpunn/ops/optim.h).
#include <gpunn/ops/optim.h>
#include <gpunn/optim/rmsprop.h>

#include <cmath>

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
  // Buffers in buffer_names() order: square_avg, then momentum_buffer and grad_avg as
  // the options ask.
  size_t next = 1;
  const Tensor momentum = o_.momentum > 0 ? state.buffers[next++] : Tensor();
  const Tensor grad_avg = o_.centered ? state.buffers[next++] : Tensor();
  rmsprop_step_(param, grad, state.buffers[0], grad_avg, momentum,
                {.lr = *group.lr,
                 .alpha = o_.alpha,
                 .eps = o_.eps,
                 .weight_decay = *group.weight_decay,
                 .momentum = o_.momentum,
                 .centered = o_.centered},
                state.master);
}

}  // namespace gpunn::optim
