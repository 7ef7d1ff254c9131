// gpunn::optim::GradScaler: dynamic loss scaling for float16 training, as PyTorch's
// torch.amp.GradScaler does it, in C++.
//
// float16 cannot hold gradients below 2^-24 (6e-8): small losses' gradients underflow to 0.
// The scaler multiplies the loss by a large factor before backward, so the gradients are
// scaled by it too, and divides them again before the optimizer step:
//
//   optim::GradScaler scaler;
//   for (...) {
//     Tensor loss;
//     { autocast::Guard amp(kFloat16); loss = loss_fn(model.forward(x), y); }
//     opt.zero_grad();
//     scaler.scale(loss).backward();
//     scaler.unscale_(opt);                       // only when clipping: unscale first
//     optim::clip_grad_norm(model.parameters(), 1.0);
//     scaler.step(opt);                           // skipped if a gradient overflowed
//     scaler.update();
//   }
//
// Dynamic scale: starts at init_scale (2^16); a step whose gradients hold a NaN or an Inf is
// skipped and the scale multiplied by backoff_factor (0.5); after growth_interval (2000)
// finite steps in a row it is multiplied by growth_factor (2). Unscaling is one fused kernel
// per gradient that divides and checks at once (unscale_grads_, gpunn/ops/optim.h), writing
// one flag per device; step() reads that flag once (one synchronisation per step, not one per
// tensor). bfloat16 has float32's range and needs no scaler; a disabled scaler
// (enabled = false) passes everything through, so one loop serves every precision.
//
// state_dict(): "scale" (float64 0-D), "growth_tracker" (int64 0-D), and the options
// "growth_factor", "backoff_factor", "growth_interval" (float64 0-D); a checkpoint keeps it
// under "scaler." (gpunn/io/checkpoint.h).
#pragma once

#include <gpunn/export.h>
#include <gpunn/optim/optimizer.h>
#include <gpunn/state_dict.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <map>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::optim {

struct GradScalerOptions {
  double init_scale = 65536.0;     // 2^16
  double growth_factor = 2.0;      // > 1
  double backoff_factor = 0.5;     // in (0, 1)
  int64_t growth_interval = 2000;  // > 0
  bool enabled = true;
};

class GradScaler {
 public:
  explicit GradScaler(GradScalerOptions options = {});

  // loss · scale (a new tensor, recorded); the loss itself when disabled.
  Tensor scale(const Tensor& loss) const;
  // Divides the optimizer's gradients by the scale in place and notes whether any value is
  // NaN or infinite. At most once per optimizer between update() calls (an error names the
  // optimizer otherwise); step() calls it when you did not.
  void unscale_(Optimizer& optimizer);
  // Unscales (unless unscale_ ran), then runs optimizer.step() unless a gradient was not
  // finite. Returns whether the optimizer stepped.
  bool step(Optimizer& optimizer);
  // Adjusts the scale after the step(s) of an iteration, and readies the next iteration.
  void update();

  double get_scale() const { return scale_; }
  int64_t growth_tracker() const { return growth_tracker_; }
  bool is_enabled() const { return o_.enabled; }
  // Whether the last update() saw a non-finite gradient (and so skipped its steps).
  bool last_step_skipped() const { return last_skipped_; }

  StateDict state_dict() const;
  // Checks every entry first; throws gpunn::Error naming it and changes nothing on a mismatch.
  void load_state_dict(const StateDict& state);

 private:
  GradScalerOptions o_;
  double scale_;
  int64_t growth_tracker_ = 0;
  bool last_skipped_ = false;
  // Per optimizer, one float32 [1] flag per device its gradients live on (zeroed by update()).
  std::map<const Optimizer*, std::vector<Tensor>> flags_;
  enum class Stage { Ready, Unscaled, Stepped };
  std::map<const Optimizer*, Stage> stages_;
  std::map<const Optimizer*, bool> found_;  // per optimizer, read once in step()
};

}  // namespace gpunn::optim

GPUNN_API_END
