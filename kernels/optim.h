// Optimizer updates: one parameter tensor of n elements per call, in place.
// Formulas in gpunn/optim/*.h. Hyper-parameters arrive as double and are used
// in the element type T; every buffer has n elements, and a buffer an option
// turns off is passed as nullptr.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

struct SgdParams {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as the first gradient
};
template <typename T>
void sgd_step_cpu(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdParams& p);

struct AdamParams {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay;  // AdamW
  bool amsgrad;
  int64_t step;  // 1 on the first update
};
template <typename T>
void adam_step_cpu(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                   const AdamParams& p);

struct RmspropParams {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};
template <typename T>
void rmsprop_step_cpu(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                      int64_t n, const RmspropParams& p);

}  // namespace gpunn::kernels
