// Dynamic loss scaling (gpunn/optim/grad_scaler.h).
#include <gpunn/error.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/optim.h>
#include <gpunn/optim/grad_scaler.h>
#include <gpunn/profiler.h>

#include <cmath>
#include <string>

namespace gpunn::optim {

GradScaler::GradScaler(GradScalerOptions options) : o_(options), scale_(options.init_scale) {
  GPUNN_CHECK(std::isfinite(o_.init_scale) && o_.init_scale > 0, "GradScaler: init_scale must be ",
              "finite and > 0, got ", o_.init_scale);
  GPUNN_CHECK(std::isfinite(o_.growth_factor) && o_.growth_factor > 1,
              "GradScaler: growth_factor must be > 1, got ", o_.growth_factor);
  GPUNN_CHECK(o_.backoff_factor > 0 && o_.backoff_factor < 1,
              "GradScaler: backoff_factor must be in (0, 1), got ", o_.backoff_factor);
  GPUNN_CHECK(o_.growth_interval > 0, "GradScaler: growth_interval must be > 0, got ",
              o_.growth_interval);
}

Tensor GradScaler::scale(const Tensor& loss) const {
  GPUNN_CHECK(loss.defined(), "GradScaler::scale: the loss is an undefined tensor");
  return o_.enabled ? mul(loss, scale_) : loss;
}

void GradScaler::unscale_(Optimizer& optimizer) {
  if (!o_.enabled) return;
  Stage& stage = stages_[&optimizer];
  GPUNN_CHECK(stage == Stage::Ready, "GradScaler::unscale_: ",
              stage == Stage::Unscaled ? "already called" : "called after step()", " for this ",
              optimizer.name(), " optimizer since the last update()");
  // One fused kernel per gradient, all writing this optimizer's flag on their device.
  std::vector<Tensor>& flags = flags_[&optimizer];
  std::vector<std::vector<Tensor>> by_device(flags.size());
  for (const ParamGroup& group : optimizer.param_groups()) {
    for (const Tensor& p : group.params) {
      const Tensor g = p.grad();
      if (!g.defined()) continue;
      size_t d = 0;
      while (d < flags.size() && flags[d].device() != g.device()) ++d;
      if (d == flags.size()) {
        flags.push_back(zeros({1}, TensorOptions(kFloat32).device(g.device())));
        by_device.emplace_back();
      }
      by_device[d].push_back(g);
    }
  }
  for (size_t d = 0; d < flags.size(); ++d) unscale_grads_(by_device[d], 1.0 / scale_, flags[d]);
  stage = Stage::Unscaled;
}

bool GradScaler::step(Optimizer& optimizer) {
  const profiler::Range range("grad_scaler.step");
  if (!o_.enabled) {
    optimizer.step();
    return true;
  }
  Stage& stage = stages_[&optimizer];
  GPUNN_CHECK(stage != Stage::Stepped, "GradScaler::step: already called for this ",
              optimizer.name(), " optimizer since the last update()");
  if (stage == Stage::Ready) unscale_(optimizer);
  // The one read of the step: each device's flag.
  bool found = false;
  for (const Tensor& f : flags_[&optimizer]) found = found || f.item() != 0.0;
  found_[&optimizer] = found;
  if (!found) optimizer.step();
  stages_[&optimizer] = Stage::Stepped;
  return !found;
}

void GradScaler::update() {
  if (!o_.enabled) return;
  GPUNN_CHECK(!stages_.empty(), "GradScaler::update: no gradients were unscaled since the last ",
              "update() (call step() or unscale_() first)");
  bool found = false;
  for (const auto& [opt, stage] : stages_) {
    auto it = found_.find(opt);
    if (it != found_.end()) {
      found = found || it->second;
    } else {  // unscaled but not stepped: read its flags now
      for (const Tensor& f : flags_[opt]) found = found || f.item() != 0.0;
    }
  }
  if (found) {
    scale_ *= o_.backoff_factor;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ == o_.growth_interval) {
    scale_ *= o_.growth_factor;
    growth_tracker_ = 0;
  }
  last_skipped_ = found;
  stages_.clear();
  found_.clear();
  for (auto& [opt, flags] : flags_)
    for (Tensor& f : flags) f.zero_();
}

StateDict GradScaler::state_dict() const {
  StateDict d;
  d.insert("scale", scalar_tensor(scale_, kFloat64));
  d.insert("growth_tracker", tensor_from(std::vector<int64_t>{growth_tracker_}, {}));
  d.insert("growth_factor", scalar_tensor(o_.growth_factor, kFloat64));
  d.insert("backoff_factor", scalar_tensor(o_.backoff_factor, kFloat64));
  d.insert("growth_interval", scalar_tensor(static_cast<double>(o_.growth_interval), kFloat64));
  return d;
}

void GradScaler::load_state_dict(const StateDict& state) {
  const char* who = "GradScaler::load_state_dict";
  auto get = [&](const char* name, DType dtype) {
    const Tensor* t = state.find(name);
    GPUNN_CHECK(t != nullptr, who, ": missing entry '", name, "'");
    GPUNN_CHECK(t->defined() && t->dim() == 0 && t->dtype() == dtype, who, ": entry '", name,
                "' must be a 0-D ", dtype_name(dtype), " tensor");
    return t->item();
  };
  GPUNN_CHECK(state.size() == 5, who, ": expected 5 entries (scale, growth_tracker, ",
              "growth_factor, backoff_factor, growth_interval), got ", state.size());
  const double scale = get("scale", kFloat64);
  const double tracker = get("growth_tracker", kInt64);
  GradScalerOptions o = o_;
  o.growth_factor = get("growth_factor", kFloat64);
  o.backoff_factor = get("backoff_factor", kFloat64);
  const double interval = get("growth_interval", kFloat64);
  GPUNN_CHECK(std::isfinite(scale) && scale > 0, who, ": scale must be finite and > 0, got ",
              scale);
  GPUNN_CHECK(
      interval >= 1 && interval == std::floor(interval) && tracker >= 0 && tracker < interval, who,
      ": growth_tracker ", tracker, " must be in [0, growth_interval ", interval, ")");
  o.growth_interval = static_cast<int64_t>(interval);
  o.init_scale = scale;
  const GradScaler check(o);  // validates the options
  o_ = o;
  scale_ = scale;
  growth_tracker_ = static_cast<int64_t>(tracker);
}

}  // namespace gpunn::optim
