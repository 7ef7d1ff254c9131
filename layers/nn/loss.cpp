// Loss modules (gpunn/nn/loss.h).
#include <gpunn/nn/loss.h>

#include <sstream>

namespace gpunn::nn {

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyOptions o) : Module("CrossEntropyLoss"), options(o) {
  if (options.weight.defined()) options.weight = register_buffer("weight", options.weight);
}
Tensor CrossEntropyLoss::operator()(const Tensor& logits, const Tensor& target) const {
  return cross_entropy(logits, target, options);
}
std::string CrossEntropyLoss::extra_repr() const {
  std::ostringstream os;
  if (options.label_smoothing > 0) os << "label_smoothing=" << options.label_smoothing;
  return os.str();
}

NLLLoss::NLLLoss(NllLossOptions o) : Module("NLLLoss"), options(o) {
  if (options.weight.defined()) options.weight = register_buffer("weight", options.weight);
}
Tensor NLLLoss::operator()(const Tensor& log_probs, const Tensor& target) const {
  return nll_loss(log_probs, target, options);
}

MultiMarginLoss::MultiMarginLoss(MultiMarginLossOptions o) : Module("MultiMarginLoss"), options(o) {
  if (options.weight.defined()) options.weight = register_buffer("weight", options.weight);
}
Tensor MultiMarginLoss::operator()(const Tensor& scores, const Tensor& target) const {
  return multi_margin_loss(scores, target, options);
}
std::string MultiMarginLoss::extra_repr() const {
  std::ostringstream os;
  os << "p=" << options.p << ", margin=" << options.margin;
  return os.str();
}

MSELoss::MSELoss(Reduction r) : Module("MSELoss"), reduction(r) {}
Tensor MSELoss::operator()(const Tensor& input, const Tensor& target) const {
  return mse_loss(input, target, reduction);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(BceWithLogitsOptions o)
    : Module("BCEWithLogitsLoss"), options(o) {
  if (options.weight.defined()) options.weight = register_buffer("weight", options.weight);
  if (options.pos_weight.defined())
    options.pos_weight = register_buffer("pos_weight", options.pos_weight);
}
Tensor BCEWithLogitsLoss::operator()(const Tensor& logits, const Tensor& target) const {
  return binary_cross_entropy_with_logits(logits, target, options);
}

}  // namespace gpunn::nn
