// Gradient clipping (gpunn/optim/clip.h), built from the tensor ops and total_norm.
#include <gpunn/autograd.h>
#include <gpunn/ops/optim.h>
#include <gpunn/optim/clip.h>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

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
  // gpunn::total_norm per device (in double whatever the gradients' dtype: one device-wide
  // reduction per gradient, then one read per device), the devices' norms then combined.
  const bool inf = std::isinf(norm_type);
  std::vector<std::pair<Device, std::vector<Tensor>>> by_device;
  for (const Tensor& g : grads) {
    auto it = std::find_if(by_device.begin(), by_device.end(),
                           [&](const auto& d) { return d.first == g.device(); });
    if (it == by_device.end()) it = by_device.insert(by_device.end(), {g.device(), {}});
    it->second.push_back(g);
  }
  double total = 0.0;
  if (by_device.size() == 1) {
    total = total_norm(by_device[0].second, norm_type).item();
  } else {
    for (const auto& on_device : by_device) {
      const double n = total_norm(on_device.second, norm_type).item();
      total = inf ? (std::isnan(n) || n > total ? n : total) : total + std::pow(n, norm_type);
    }
    if (!inf) total = std::pow(total, 1.0 / norm_type);
  }
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
