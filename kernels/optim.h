// The optim family: fused optimizer updates, one parameter tensor of n elements per
// call, in place. Formulas in gpunn/optim/*.h (the element step in kernels/optim_math.h).
// Hyper-parameters arrive as double and are used in compute_t<T>; every buffer has n
// elements, and a buffer an option turns off is null. State buffers are compute_t<T>
// (float32 for bfloat16 and float16 parameters). `master`, for the 16-bit dtypes only, is
// a float32 copy of the parameter: the update reads and writes it, and the parameter gets
// it rounded (null: the parameter is read and written itself).
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct SgdParams {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as the first gradient
};

struct AdamParams {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay;  // AdamW
  bool amsgrad;
  int64_t step;  // 1 on the first update
};

struct RmspropParams {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};

struct SgdArgs {
  DType dtype;
  int64_t n;
  SgdParams p;
  void* param;
  const void* grad;
  void* momentum_buffer;  // null without momentum
  void* master;
};

struct AdamArgs {
  DType dtype;
  int64_t n;
  AdamParams p;
  void* param;
  const void* grad;
  void* exp_avg;
  void* exp_avg_sq;
  void* max_exp_avg_sq;  // null without amsgrad
  void* master;
};

struct RmspropArgs {
  DType dtype;
  int64_t n;
  RmspropParams p;
  void* param;
  const void* grad;
  void* square_avg;
  void* grad_avg;         // null unless centered
  void* momentum_buffer;  // null without momentum
  void* master;
};

// The loss scaler's unscale (gpunn/optim/grad_scaler.h): grad *= inv_scale over n elements
// in place, and *found_inf = 1 (a float32 on grad's device) when any element is NaN or ±Inf.
// The flag is only ever set, so one flag gathers all of a step's gradients.
struct UnscaleArgs {
  DType dtype;
  int64_t n;
  double inv_scale;
  void* grad;
  float* found_inf;
};

extern const OpTable<SgdArgs> sgd_step;
extern const OpTable<AdamArgs> adam_step;
extern const OpTable<RmspropArgs> rmsprop_step;
extern const OpTable<UnscaleArgs> unscale_grad;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void sgd_step_cpu(const SgdArgs& a, const Context& ctx);
template <typename T>
void adam_step_cpu(const AdamArgs& a, const Context& ctx);
template <typename T>
void rmsprop_step_cpu(const RmspropArgs& a, const Context& ctx);
template <typename T>
void unscale_cpu(const UnscaleArgs& a, const Context& ctx);

template <typename T>
void sgd_step_cuda(const SgdArgs& a, const Context& ctx);
template <typename T>
void adam_step_cuda(const AdamArgs& a, const Context& ctx);
template <typename T>
void rmsprop_step_cuda(const RmspropArgs& a, const Context& ctx);
template <typename T>
void unscale_cuda(const UnscaleArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
