// Gradient clipping (gpunn/optim/clip.h), built from the tensor ops.
#include <gpunn/autograd.h>
#include <gpunn/optim/clip.h>

#include <algorithm>
#include <cmath>

namespace gpunn::optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  GPUNN_CHECK(norm_type > 0 && !std::isnan(norm_type),
              "clip_grad_norm: norm_type must be > 0 or infinity, got ", norm_type);
  GPUNN_CHECK(max_norm >= 0 && !std::isnan(max_norm), "clip_grad_norm: max_norm must be >= 0, got ",
              max_norm);
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& p : params) {
    GPUNN_CHECK(p.defined(), "clip_grad_norm: a parameter is undefined");
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  // Accumulated in double whatever the gradients' dtype.
  const bool inf = std::isinf(norm_type);
  double total = 0.0;
  for (const Tensor& g : grads) {
    if (g.numel() == 0) continue;
    const Tensor a = g.to(kFloat64).abs();
    if (inf)
      total = std::max(total, a.max().item());
    else if (norm_type == 2.0)
      total += a.mul(a).sum().item();
    else
      total += a.pow(norm_type).sum().item();
  }
  if (!inf) total = norm_type == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (Tensor& g : grads) g.mul_(coef);
  }
  return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
  GPUNN_CHECK(clip_value >= 0 && !std::isnan(clip_value),
              "clip_grad_value: clip_value must be >= 0, got ", clip_value);
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    GPUNN_CHECK(p.defined(), "clip_grad_value: a parameter is undefined");
    Tensor g = p.grad();
    if (g.defined()) g.copy_(g.clamp(-clip_value, clip_value));
  }
}

}  // namespace gpunn::optim
