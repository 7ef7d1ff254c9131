// Learning-rate schedules (gpunn/optim/schedule.h): closed forms of the counter.
#include <gpunn/optim/schedule.h>

#include <cmath>
#include <numbers>

namespace gpunn::optim {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (size_t g = 0; g < optimizer.num_groups(); ++g) base_lrs_.push_back(optimizer.lr(g));
}

void LRScheduler::check_epoch(int64_t epoch) const {
  GPUNN_CHECK(epoch >= 0, name(), ": the step counter must be >= 0, got ", epoch);
}

void LRScheduler::apply() {
  for (size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, lr_at(last_epoch_, g));
}

void LRScheduler::step() {
  check_epoch(last_epoch_ + 1);
  ++last_epoch_;
  apply();
}

StateDict LRScheduler::state_dict() const {
  StateDict d;
  d.insert("last_epoch", tensor_from(std::vector<int64_t>{last_epoch_}, {}));
  d.insert("base_lrs", tensor(base_lrs_, {static_cast<int64_t>(base_lrs_.size())}, kFloat64));
  return d;
}

void LRScheduler::load_state_dict(const StateDict& d) {
  const std::string who = std::string(name()) + " load_state_dict";
  for (const auto& [k, unused] : d)
    GPUNN_CHECK(k == "last_epoch" || k == "base_lrs", who, ": unexpected entry '", k, "'");
  const Tensor& e = d.at("last_epoch");
  GPUNN_CHECK(e.dtype() == kInt64 && e.dim() == 0, who, ": last_epoch must be an int64 0-D tensor");
  const Tensor& b = d.at("base_lrs");
  GPUNN_CHECK(
      b.dtype() == kFloat64 && b.dim() == 1 && b.numel() == static_cast<int64_t>(base_lrs_.size()),
      who, ": base_lrs must be float64 [", base_lrs_.size(), "] (one per group), got ", b.shape(),
      " ", b.dtype());
  const int64_t epoch = e.item<int64_t>();
  check_epoch(epoch);
  const std::vector<double> lrs = b.to_vector<double>();
  for (const double lr : lrs)
    GPUNN_CHECK(std::isfinite(lr) && lr >= 0, who, ": base_lrs holds ", lr);
  base_lrs_ = lrs;
  last_epoch_ = epoch;
  apply();
}

// ---- StepLR / ExponentialLR ---------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  GPUNN_CHECK(step_size >= 1, "StepLR: step_size must be >= 1, got ", step_size);
  GPUNN_CHECK(std::isfinite(gamma) && gamma >= 0, "StepLR: gamma must be >= 0, got ", gamma);
  apply();
}

double StepLR::lr_at(int64_t epoch, size_t group) const {
  return base_lrs_.at(group) * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  GPUNN_CHECK(std::isfinite(gamma) && gamma >= 0, "ExponentialLR: gamma must be >= 0, got ", gamma);
  apply();
}

double ExponentialLR::lr_at(int64_t epoch, size_t group) const {
  return base_lrs_.at(group) * std::pow(gamma_, static_cast<double>(epoch));
}

// ---- WarmupCosineLR -----------------------------------------------------------------

WarmupCosineLR::WarmupCosineLR(Optimizer& optimizer, int64_t warmup_steps, int64_t total_steps,
                               double min_lr)
    : LRScheduler(optimizer), warmup_(warmup_steps), total_(total_steps), min_lr_(min_lr) {
  GPUNN_CHECK(warmup_steps >= 0 && total_steps > warmup_steps,
              "WarmupCosineLR: need 0 <= warmup_steps < total_steps, got warmup_steps ",
              warmup_steps, " and total_steps ", total_steps);
  GPUNN_CHECK(std::isfinite(min_lr) && min_lr >= 0, "WarmupCosineLR: min_lr must be >= 0, got ",
              min_lr);
  apply();
}

double WarmupCosineLR::lr_at(int64_t epoch, size_t group) const {
  const double base = base_lrs_.at(group);
  if (epoch < warmup_) return base * static_cast<double>(epoch) / static_cast<double>(warmup_);
  if (epoch >= total_) return min_lr_;
  const double x = static_cast<double>(epoch - warmup_) / static_cast<double>(total_ - warmup_);
  return min_lr_ + (base - min_lr_) * (1.0 + std::cos(std::numbers::pi * x)) / 2.0;
}

// ---- OneCycleLR ---------------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleOptions o) : LRScheduler(optimizer), o_(o) {
  GPUNN_CHECK(o.total_steps >= 2, "OneCycleLR: total_steps must be >= 2, got ", o.total_steps);
  GPUNN_CHECK(o.pct_start > 0 && o.pct_start < 1, "OneCycleLR: pct_start must be in (0, 1), got ",
              o.pct_start);
  GPUNN_CHECK(std::isfinite(o.max_lr) && o.max_lr > 0, "OneCycleLR: max_lr must be > 0, got ",
              o.max_lr);
  GPUNN_CHECK(o.div_factor > 0 && o.final_div_factor > 0,
              "OneCycleLR: div_factor and final_div_factor must be > 0, got ", o.div_factor,
              " and ", o.final_div_factor);
  const double initial = o.max_lr / o.div_factor;
  const double final_lr = initial / o.final_div_factor;
  const double up = o.pct_start * static_cast<double>(o.total_steps) - 1.0;
  const double last = static_cast<double>(o.total_steps) - 1.0;
  if (o.three_phase) {
    phases_ = {{up, initial, o.max_lr}, {2 * up, o.max_lr, initial}, {last, initial, final_lr}};
  } else {
    phases_ = {{up, initial, o.max_lr}, {last, o.max_lr, final_lr}};
  }
  // Each phase must span at least one step, or its fraction divides by zero.
  double start = 0;
  for (const Phase& p : phases_) {
    GPUNN_CHECK(p.end_step > start, "OneCycleLR: pct_start ", o.pct_start, " with total_steps ",
                o.total_steps, " leaves a phase without steps");
    start = p.end_step;
  }
  for (double& b : base_lrs_) b = initial;
  apply();
}

void OneCycleLR::check_epoch(int64_t epoch) const {
  LRScheduler::check_epoch(epoch);
  // As PyTorch's OneCycleLR: step() may be called total_steps times, once per batch; the
  // last call sets the lr for a step no batch takes (the cosine continued past its end).
  GPUNN_CHECK(epoch <= o_.total_steps, "OneCycleLR: step() called ", epoch,
              " times but total_steps is ", o_.total_steps,
              " (at most total_steps calls, one per batch)");
}

double OneCycleLR::lr_at(int64_t epoch, size_t /*group*/) const {
  const double e = static_cast<double>(epoch);
  double start = 0;
  for (size_t i = 0; i < phases_.size(); ++i) {
    const Phase& p = phases_[i];
    if (e <= p.end_step || i + 1 == phases_.size()) {
      const double x = (e - start) / (p.end_step - start);
      return p.end_lr + (p.start_lr - p.end_lr) * (1.0 + std::cos(std::numbers::pi * x)) / 2.0;
    }
    start = p.end_step;
  }
  GPUNN_ASSERT(false, "OneCycleLR: no phase");
}

}  // namespace gpunn::optim
