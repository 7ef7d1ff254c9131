// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay.
//
// For each parameter p with gradient g (PyTorch's torch.optim.SGD semantics):
//   g ← g + weight_decay · p
//   if momentum ≠ 0:
//     b ← g                                 on the first update
//     b ← momentum · b + (1 − dampening) · g  afterwards
//     g ← g + momentum · b   (nesterov)     or   g ← b
//   p ← p − lr · g
// Nesterov needs momentum > 0 and dampening = 0 (Sutskever et al., ICML 2013).
// State: "momentum_buffer" when momentum ≠ 0.
#pragma once

#include <gpunn/export.h>
#include <gpunn/optim/optimizer.h>

GPUNN_API_BEGIN

namespace gpunn::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD final : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  SGD(std::vector<ParamGroup> groups, SGDOptions options);
  const char* name() const override { return "sgd"; }
  const SGDOptions& options() const { return o_; }

 private:
  std::vector<std::string> buffer_names() const override;
  std::vector<HParam> hparams() override;
  void check_options() const override;
  void update(const Tensor& param, const Tensor& grad, ParamState& state,
              const ParamGroup& group) override;
  SGDOptions o_;
};

}  // namespace gpunn::optim

GPUNN_API_END
