// RMSprop (Tieleman & Hinton, Coursera lecture 6.5, 2012), PyTorch's
// torch.optim.RMSprop semantics. For each parameter p with gradient g:
//   g ← g + weight_decay · p
//   s ← α · s + (1 − α) · g²
//   centered:  a ← α · a + (1 − α) · g;   d = √(s − a²) + eps
//   otherwise: d = √s + eps
//   momentum > 0:  b ← momentum · b + g / d;   p ← p − lr · b
//   otherwise:     p ← p − lr · g / d
// State: "square_avg" (s), "momentum_buffer" (b) when momentum > 0, "grad_avg" (a)
// when centered; all start at zero.
#pragma once

#include <gpunn/export.h>
#include <gpunn/optim/optimizer.h>

GPUNN_API_BEGIN

namespace gpunn::optim {

struct RMSpropOptions {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

class RMSprop final : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options);
  RMSprop(std::vector<ParamGroup> groups, RMSpropOptions options);
  const char* name() const override { return "rmsprop"; }
  const RMSpropOptions& options() const { return o_; }

 private:
  std::vector<std::string> buffer_names() const override;
  std::vector<HParam> hparams() override;
  void check_options() const override;
  void update(const Tensor& param, const Tensor& grad, ParamState& state,
              const ParamGroup& group) override;
  RMSpropOptions o_;
};

}  // namespace gpunn::optim

GPUNN_API_END
