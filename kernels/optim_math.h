// One element of each optimizer update, shared by the CPU loops and the fused
// CUDA kernels (formulas in kernels/optim.h). The per-step constants are formed
// once on the host, in double where it matters, and converted to T.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/base/host_device.h"
#include "kernels/optim.h"

namespace gpunn::kernels::math {

template <typename T>
struct SgdConsts {
  T lr, mu, damp, wd;
  bool weight_decay, momentum, nesterov, first_step;
  explicit SgdConsts(const SgdParams& p, bool has_buffer)
      : lr(T(p.lr)),
        mu(T(p.momentum)),
        damp(T(1.0 - p.dampening)),
        wd(T(p.weight_decay)),
        weight_decay(p.weight_decay != 0),
        momentum(has_buffer),
        nesterov(p.nesterov),
        first_step(p.first_step) {}
};

template <typename T>
GPUNN_HOST_DEVICE inline void sgd_update(T* param, const T* grad, T* buf, int64_t i,
                                         const SgdConsts<T>& c) {
  T g = grad[i];
  if (c.weight_decay) g += c.wd * param[i];
  if (c.momentum) {
    T& b = buf[i];
    b = c.first_step ? g : c.mu * b + c.damp * g;
    g = c.nesterov ? g + c.mu * b : b;
  }
  param[i] -= c.lr * g;
}

template <typename T>
struct AdamConsts {
  T step_size, bias2_sqrt, b1, b2, eps, wd, one_minus_b1, one_minus_b2, decay;
  bool decoupled, weight_decay;
  explicit AdamConsts(const AdamParams& p)
      : step_size(T(p.lr / (1.0 - std::pow(p.beta1, static_cast<double>(p.step))))),
        bias2_sqrt(T(std::sqrt(1.0 - std::pow(p.beta2, static_cast<double>(p.step))))),
        b1(T(p.beta1)),
        b2(T(p.beta2)),
        eps(T(p.eps)),
        wd(T(p.weight_decay)),
        // 1 − β is formed in double: in float32, 1 − 0.999f is off by 1.3e-5 relative.
        one_minus_b1(T(1.0 - p.beta1)),
        one_minus_b2(T(1.0 - p.beta2)),
        decay(T(1.0 - p.lr * p.weight_decay)),
        decoupled(p.decoupled_weight_decay),
        weight_decay(p.weight_decay != 0) {}
};

template <typename T>
GPUNN_HOST_DEVICE inline void adam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                                          T* max_exp_avg_sq, int64_t i, const AdamConsts<T>& c) {
  T g = grad[i];
  if (c.decoupled)
    param[i] *= c.decay;
  else if (c.weight_decay)
    g += c.wd * param[i];
  exp_avg[i] = c.b1 * exp_avg[i] + c.one_minus_b1 * g;
  exp_avg_sq[i] = c.b2 * exp_avg_sq[i] + c.one_minus_b2 * g * g;
  T v = exp_avg_sq[i];
  if (max_exp_avg_sq != nullptr) {
    max_exp_avg_sq[i] = max_exp_avg_sq[i] > v ? max_exp_avg_sq[i] : v;
    v = max_exp_avg_sq[i];
  }
  param[i] -= c.step_size * exp_avg[i] / (std::sqrt(v) / c.bias2_sqrt + c.eps);
}

template <typename T>
struct RmspropConsts {
  T lr, a, eps, wd, one_minus_a, mu;
  bool weight_decay;
  explicit RmspropConsts(const RmspropParams& p)
      : lr(T(p.lr)),
        a(T(p.alpha)),
        eps(T(p.eps)),
        wd(T(p.weight_decay)),
        one_minus_a(T(1.0 - p.alpha)),  // formed in double, as in AdamConsts
        mu(T(p.momentum)),
        weight_decay(p.weight_decay != 0) {}
};

template <typename T>
GPUNN_HOST_DEVICE inline void rmsprop_update(T* param, const T* grad, T* square_avg, T* grad_avg,
                                             T* momentum_buffer, int64_t i,
                                             const RmspropConsts<T>& c) {
  T g = grad[i];
  if (c.weight_decay) g += c.wd * param[i];
  square_avg[i] = c.a * square_avg[i] + c.one_minus_a * g * g;
  T avg;
  if (grad_avg != nullptr) {
    grad_avg[i] = c.a * grad_avg[i] + c.one_minus_a * g;
    avg = std::sqrt(square_avg[i] - grad_avg[i] * grad_avg[i]) + c.eps;
  } else {
    avg = std::sqrt(square_avg[i]) + c.eps;
  }
  if (momentum_buffer != nullptr) {
    momentum_buffer[i] = c.mu * momentum_buffer[i] + g / avg;
    param[i] -= c.lr * momentum_buffer[i];
  } else {
    param[i] -= c.lr * g / avg;
  }
}

}  // namespace gpunn::kernels::math
