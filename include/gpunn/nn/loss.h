// Loss modules: the losses of gpunn/ops/loss.h with their options held, so that
// a training program builds its criterion once. Call as loss(input, target).
// Class weights are registered as buffers ("weight", "pos_weight"), so
// Module::to() moves them with the model.
#pragma once

#include <gpunn/export.h>
#include <gpunn/nn/module.h>
#include <gpunn/ops/loss.h>

GPUNN_API_BEGIN

namespace gpunn::nn {

class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {});
  Tensor operator()(const Tensor& logits, const Tensor& target) const;
  std::string extra_repr() const override;
  CrossEntropyOptions options;
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(NllLossOptions options = {});
  Tensor operator()(const Tensor& log_probs, const Tensor& target) const;
  NllLossOptions options;
};

// The multiclass SVM (hinge) loss; MultiMarginLossOptions{.p = 1, .margin = 1}
// divides by C as PyTorch does; use multiclass_hinge_loss (ops/loss.h) for the
// lecture's undivided sum.
class MultiMarginLoss : public Module {
 public:
  explicit MultiMarginLoss(MultiMarginLossOptions options = {});
  Tensor operator()(const Tensor& scores, const Tensor& target) const;
  std::string extra_repr() const override;
  MultiMarginLossOptions options;
};

class MSELoss : public Module {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean);
  Tensor operator()(const Tensor& input, const Tensor& target) const;
  Reduction reduction;
};

class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(BceWithLogitsOptions options = {});
  Tensor operator()(const Tensor& logits, const Tensor& target) const;
  BceWithLogitsOptions options;
};

}  // namespace gpunn::nn

GPUNN_API_END
