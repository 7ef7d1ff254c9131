// Fused, in-place parameter updates: one step of SGD, Adam/AdamW or RMSprop for one
// parameter tensor; and the total norm that gradient clipping scales by. gpunn::optim's optimizers
// call these once per parameter; they are public for training loops that keep their own state. The
// formulas are those of gpunn/optim/{sgd,adam,rmsprop}.h. Not recorded by autograd (they run as if
// under NoGradGuard); param, grad and every state buffer given must be contiguous, of one floating
// dtype and device, with as many elements as param. A buffer an option turns off is passed as an
// undefined Tensor.
//
// bfloat16 and float16 parameters (with gradients of their dtype) keep float32 state buffers,
// and may have a float32 master copy (`master`, same number of elements): the update then reads
// and writes the master copy and rounds the result into param once, so steps smaller than
// param's last bit are not lost. Without a master copy the 16-bit param itself is updated
// (computed in float32, rounded on store).
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

struct SgdStep {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool first_step = false;  // the momentum buffer starts as the first gradient
};
// momentum_buffer: needed when momentum ≠ 0.
void sgd_step_(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
               const SgdStep& step, const Tensor& master = Tensor());

struct AdamStep {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;  // AdamW
  bool amsgrad = false;
  int64_t step = 1;  // 1 on the first update (bias correction)
};
// max_exp_avg_sq: needed with amsgrad.
void adam_step_(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const AdamStep& step,
                const Tensor& master = Tensor());

struct RmspropStep {
  double lr = 0.01;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};
// grad_avg: needed when centered; momentum_buffer: when momentum ≠ 0.
void rmsprop_step_(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                   const Tensor& grad_avg, const Tensor& momentum_buffer, const RmspropStep& step,
                   const Tensor& master = Tensor());

// The loss scaler's unscale (gpunn/optim/grad_scaler.h): multiplies each gradient by inv_scale
// in place and sets found_inf (a one-element float32 tensor on the gradients' device) to 1 if
// any value of any gradient was NaN or infinite; found_inf is never cleared here. One fused
// kernel per gradient (scale and check in one pass) and no host synchronisation. Undefined
// gradients are skipped; the others must be contiguous and on found_inf's device. Not recorded.
void unscale_grads_(const std::vector<Tensor>& grads, double inv_scale, const Tensor& found_inf);

// The p-norm of the values of `tensors` taken together, (Σ |v|^p)^(1/p), or the largest
// |v| for norm_type = infinity: gradient clipping's total norm. Accumulated in double,
// and returned as a float64 scalar on the tensors' device without a synchronising read
// (one device-wide reduction per tensor, then one over their partial results). The
// tensors must be floating and on one device; an empty list or empty tensors add
// nothing (the norm of nothing is 0). A NaN anywhere gives NaN. Not recorded.
Tensor total_norm(const std::vector<Tensor>& tensors, double norm_type = 2.0);

}  // namespace gpunn

GPUNN_API_END
