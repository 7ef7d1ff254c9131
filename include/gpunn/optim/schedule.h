// Learning-rate schedules. A schedule owns no parameters: it sets the learning
// rate of every group of an optimizer as a closed-form function of a counter.
//
// Convention (as in PyTorch): constructing a schedule sets the lr for counter 0;
// call step() after optimizer.step(), once per epoch for StepLR / ExponentialLR,
// once per batch for WarmupCosineLR and OneCycleLR; it advances the counter
// (last_epoch) and sets the lr for the new value. base_lr is each group's lr when
// the schedule was made.
//
//   StepLR:          lr = base_lr · gamma^⌊e / step_size⌋
//   ExponentialLR:   lr = base_lr · gamma^e
//   WarmupCosineLR:  e < warmup:  lr = base_lr · e / warmup      (linear from 0)
//                    e ≤ total:   lr = min_lr + (base_lr − min_lr) · (1 + cos(π·(e − warmup)/(total
//                    − warmup))) / 2 e > total:   lr = min_lr (SGDR's cosine, Loshchilov & Hutter,
//                    ICLR 2017, with warmup)
//   OneCycleLR:      (Smith & Topin, 2017; PyTorch's OneCycleLR, cosine annealing)
//                    initial = max_lr / div_factor, final = initial / final_div_factor;
//                    phase 1 from initial to max_lr over steps [0, pct_start·total − 1],
//                    phase 2 from max_lr to final over [pct_start·total − 1, total − 1];
//                    with three_phase: initial→max_lr, max_lr→initial over the same
//                    length, then initial→final. Within a phase from a to b at fraction x:
//                    lr = b + (a − b) · (1 + cos(π·x)) / 2. As in PyTorch, step() may be
//                    called total_steps times (once per batch; the last call sets the lr
//                    of a step no batch takes, the cosine continued); once more throws.
//                    (Momentum cycling is not done: momentum stays as configured.)
//
// A schedule keeps a reference to its optimizer, which must outlive it.
//
// state_dict(): "last_epoch" (int64 0-D) and "base_lrs" (float64 [groups]);
// load_state_dict() checks both and sets the optimizer's lr for that counter.
#pragma once

#include <gpunn/export.h>
#include <gpunn/optim/optimizer.h>

GPUNN_API_BEGIN

namespace gpunn::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  void step();
  int64_t last_epoch() const { return last_epoch_; }
  // The lr this schedule gives group `group` at counter `epoch`.
  virtual double lr_at(int64_t epoch, size_t group) const = 0;
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

  virtual const char* name() const = 0;

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  // Checks the counter (OneCycleLR: at most total_steps).
  virtual void check_epoch(int64_t epoch) const;
  // Sets the lr for last_epoch(); derived constructors call it last.
  void apply();
  std::vector<double> base_lrs_;

 private:
  Optimizer& optimizer_;
  int64_t last_epoch_ = 0;
};

class StepLR final : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch, size_t group) const override;
  const char* name() const override { return "StepLR"; }

 private:
  int64_t step_size_;
  double gamma_;
};

class ExponentialLR final : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(int64_t epoch, size_t group) const override;
  const char* name() const override { return "ExponentialLR"; }

 private:
  double gamma_;
};

class WarmupCosineLR final : public LRScheduler {
 public:
  WarmupCosineLR(Optimizer& optimizer, int64_t warmup_steps, int64_t total_steps,
                 double min_lr = 0.0);
  double lr_at(int64_t epoch, size_t group) const override;
  const char* name() const override { return "WarmupCosineLR"; }

 private:
  int64_t warmup_, total_;
  double min_lr_;
};

struct OneCycleOptions {
  double max_lr = 0.1;
  int64_t total_steps = 100;
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
};

class OneCycleLR final : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleOptions options);
  double lr_at(int64_t epoch, size_t group) const override;
  const char* name() const override { return "OneCycleLR"; }

 protected:
  void check_epoch(int64_t epoch) const override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr;
  };
  OneCycleOptions o_;
  std::vector<Phase> phases_;
};

}  // namespace gpunn::optim

GPUNN_API_END
