// Adam (Kingma & Ba, ICLR 2015) and AdamW (Loshchilov & Hutter, ICLR 2019).
//
// For each parameter p with gradient g at update t = 1, 2, ... (PyTorch's
// torch.optim.Adam / AdamW semantics):
//   Adam:   g ← g + weight_decay · p           (L2 penalty through the gradient)
//   AdamW:  p ← p · (1 − lr · weight_decay)    (decoupled decay)
//   m ← β1 · m + (1 − β1) · g
//   v ← β2 · v + (1 − β2) · g²
//   v̂ ← max(v̂, v) with amsgrad (Reddi et al., ICLR 2018), else v̂ = v
//   p ← p − lr / (1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)
// State: "exp_avg" (m), "exp_avg_sq" (v) and with amsgrad "max_exp_avg_sq" (v̂).
#pragma once

#include <gpunn/export.h>
#include <gpunn/optim/optimizer.h>

GPUNN_API_BEGIN

namespace gpunn::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // AdamW's default is 1e-2 (AdamWOptions)
  bool amsgrad = false;
};

// AdamW's options: Adam's fields, with AdamW's default weight decay (1e-2, decoupled).
// Its own aggregate rather than a subclass of AdamOptions, so designated initializers
// work: optim::AdamW opt(params, {.lr = 1e-3}).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options);
  Adam(std::vector<ParamGroup> groups, AdamOptions options);
  const char* name() const override { return decoupled_ ? "adamw" : "adam"; }
  const AdamOptions& options() const { return o_; }

 protected:
  Adam(std::vector<ParamGroup> groups, AdamOptions options, bool decoupled);

 private:
  std::vector<std::string> buffer_names() const override;
  std::vector<HParam> hparams() override;
  void check_options() const override;
  void update(const Tensor& param, const Tensor& grad, ParamState& state,
              const ParamGroup& group) override;
  AdamOptions o_;
  bool decoupled_;
};

class AdamW final : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options);
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options);
};

}  // namespace gpunn::optim

GPUNN_API_END
