// Reference optimizer updates (kernels/optim.h), one loop per optimizer.
#include "kernels/optim.h"

#include <algorithm>
#include <cmath>

namespace gpunn::kernels {

template <typename T>
void sgd_step_cpu(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdParams& p) {
  const T lr = T(p.lr), mu = T(p.momentum), damp = T(1.0 - p.dampening), wd = T(p.weight_decay);
  for (int64_t i = 0; i < n; ++i) {
    T g = grad[i];
    if (p.weight_decay != 0) g += wd * param[i];
    if (momentum_buffer != nullptr) {
      T& b = momentum_buffer[i];
      b = p.first_step ? g : mu * b + damp * g;
      g = p.nesterov ? g + mu * b : b;
    }
    param[i] -= lr * g;
  }
}

template <typename T>
void adam_step_cpu(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                   const AdamParams& p) {
  const double bias1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
  const double bias2 = 1.0 - std::pow(p.beta2, static_cast<double>(p.step));
  const T step_size = T(p.lr / bias1), bias2_sqrt = T(std::sqrt(bias2));
  // 1 − β is formed in double: in float32, 1 − 0.999f is off by 1.3e-5 relative.
  const T b1 = T(p.beta1), b2 = T(p.beta2), eps = T(p.eps), wd = T(p.weight_decay);
  const T one_minus_b1 = T(1.0 - p.beta1), one_minus_b2 = T(1.0 - p.beta2);
  const T decay = T(1.0 - p.lr * p.weight_decay);
  for (int64_t i = 0; i < n; ++i) {
    T g = grad[i];
    if (p.decoupled_weight_decay)
      param[i] *= decay;
    else if (p.weight_decay != 0)
      g += wd * param[i];
    exp_avg[i] = b1 * exp_avg[i] + one_minus_b1 * g;
    exp_avg_sq[i] = b2 * exp_avg_sq[i] + one_minus_b2 * g * g;
    T v = exp_avg_sq[i];
    if (max_exp_avg_sq != nullptr) {
      max_exp_avg_sq[i] = std::max(max_exp_avg_sq[i], v);
      v = max_exp_avg_sq[i];
    }
    param[i] -= step_size * exp_avg[i] / (std::sqrt(v) / bias2_sqrt + eps);
  }
}

template <typename T>
void rmsprop_step_cpu(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                      int64_t n, const RmspropParams& p) {
  const T lr = T(p.lr), a = T(p.alpha), eps = T(p.eps), wd = T(p.weight_decay);
  const T one_minus_a = T(1.0 - p.alpha);  // formed in double, as in adam_step_cpu
  const T mu = T(p.momentum);
  for (int64_t i = 0; i < n; ++i) {
    T g = grad[i];
    if (p.weight_decay != 0) g += wd * param[i];
    square_avg[i] = a * square_avg[i] + one_minus_a * g * g;
    T avg;
    if (grad_avg != nullptr) {
      grad_avg[i] = a * grad_avg[i] + one_minus_a * g;
      avg = std::sqrt(square_avg[i] - grad_avg[i] * grad_avg[i]) + eps;
    } else {
      avg = std::sqrt(square_avg[i]) + eps;
    }
    if (momentum_buffer != nullptr) {
      momentum_buffer[i] = mu * momentum_buffer[i] + g / avg;
      param[i] -= lr * momentum_buffer[i];
    } else {
      param[i] -= lr * g / avg;
    }
  }
}

#define GPUNN_INSTANTIATE(T)                                                            \
  template void sgd_step_cpu<T>(T*, const T*, T*, int64_t, const SgdParams&);           \
  template void adam_step_cpu<T>(T*, const T*, T*, T*, T*, int64_t, const AdamParams&); \
  template void rmsprop_step_cpu<T>(T*, const T*, T*, T*, T*, int64_t, const RmspropParams&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
