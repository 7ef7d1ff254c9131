// One element of each optimizer update, shared by the CPU loops and the fused
// CUDA kernels (formulas in kernels/optim.h). The per-step constants are formed
// once on the host, in double where it matters, and converted to A = compute_t<T>. State
// buffers are A (float32 for the 16-bit dtypes); a 16-bit parameter is updated in its A
// master copy when one is given and rounded into the parameter once.
#pragma once

#include <gpunn/half.h>

#include <cmath>
#include <cstdint>

#include "kernels/base/host_device.h"
#include "kernels/optim.h"

namespace gpunn::kernels::math {

template <typename T>
struct SgdConsts {
  using A = compute_t<T>;
  A lr, mu, damp, wd;
  bool weight_decay, momentum, nesterov, first_step;
  explicit SgdConsts(const SgdParams& p, bool has_buffer)
      : lr(A(p.lr)),
        mu(A(p.momentum)),
        damp(A(1.0 - p.dampening)),
        wd(A(p.weight_decay)),
        weight_decay(p.weight_decay != 0),
        momentum(has_buffer),
        nesterov(p.nesterov),
        first_step(p.first_step) {}
};

// The parameter's value in A: its float32 master copy when there is one (16-bit
// parameters), else the parameter itself; store() writes both.
template <typename T, typename A>
GPUNN_HOST_DEVICE inline A load_param(const T* param, const A* master, int64_t i) {
  return master ? master[i] : static_cast<A>(param[i]);
}
template <typename T, typename A>
GPUNN_HOST_DEVICE inline void store_param(T* param, A* master, int64_t i, A value) {
  if (master) master[i] = value;
  param[i] = static_cast<T>(value);
}

template <typename T>
GPUNN_HOST_DEVICE inline void sgd_update(T* param, const T* grad, compute_t<T>* buf,
                                         compute_t<T>* master, int64_t i, const SgdConsts<T>& c) {
  using A = compute_t<T>;
  const A p = load_param(param, master, i);
  A g = static_cast<A>(grad[i]);
  if (c.weight_decay) g += c.wd * p;
  if (c.momentum) {
    const A b = c.first_step ? g : c.mu * buf[i] + c.damp * g;
    buf[i] = b;
    g = c.nesterov ? g + c.mu * b : b;
  }
  store_param(param, master, i, p - c.lr * g);
}

template <typename T>
struct AdamConsts {
  using A = compute_t<T>;
  A step_size, bias2_sqrt, b1, b2, eps, wd, one_minus_b1, one_minus_b2, decay;
  bool decoupled, weight_decay;
  explicit AdamConsts(const AdamParams& p)
      : step_size(A(p.lr / (1.0 - std::pow(p.beta1, static_cast<double>(p.step))))),
        bias2_sqrt(A(std::sqrt(1.0 - std::pow(p.beta2, static_cast<double>(p.step))))),
        b1(A(p.beta1)),
        b2(A(p.beta2)),
        eps(A(p.eps)),
        wd(A(p.weight_decay)),
        // 1 − β is formed in double: in float32, 1 − 0.999f is off by 1.3e-5 relative.
        one_minus_b1(A(1.0 - p.beta1)),
        one_minus_b2(A(1.0 - p.beta2)),
        decay(A(1.0 - p.lr * p.weight_decay)),
        decoupled(p.decoupled_weight_decay),
        weight_decay(p.weight_decay != 0) {}
};

template <typename T>
GPUNN_HOST_DEVICE inline void adam_update(T* param, const T* grad, compute_t<T>* exp_avg,
                                          compute_t<T>* exp_avg_sq, compute_t<T>* max_exp_avg_sq,
                                          compute_t<T>* master, int64_t i, const AdamConsts<T>& c) {
  using A = compute_t<T>;
  A p = load_param(param, master, i);
  A g = static_cast<A>(grad[i]);
  if (c.decoupled)
    p *= c.decay;
  else if (c.weight_decay)
    g += c.wd * p;
  const A m = c.b1 * exp_avg[i] + c.one_minus_b1 * g;
  A v = c.b2 * exp_avg_sq[i] + c.one_minus_b2 * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  if (max_exp_avg_sq != nullptr) {
    const A old_max = max_exp_avg_sq[i];
    v = old_max > v ? old_max : v;
    max_exp_avg_sq[i] = v;
  }
  store_param(param, master, i, p - c.step_size * m / (std::sqrt(v) / c.bias2_sqrt + c.eps));
}

template <typename T>
struct RmspropConsts {
  using A = compute_t<T>;
  A lr, a, eps, wd, one_minus_a, mu;
  bool weight_decay;
  explicit RmspropConsts(const RmspropParams& p)
      : lr(A(p.lr)),
        a(A(p.alpha)),
        eps(A(p.eps)),
        wd(A(p.weight_decay)),
        one_minus_a(A(1.0 - p.alpha)),  // formed in double, as in AdamConsts
        mu(A(p.momentum)),
        weight_decay(p.weight_decay != 0) {}
};

template <typename T>
GPUNN_HOST_DEVICE inline void rmsprop_update(T* param, const T* grad, compute_t<T>* square_avg,
                                             compute_t<T>* grad_avg, compute_t<T>* momentum_buffer,
                                             compute_t<T>* master, int64_t i,
                                             const RmspropConsts<T>& c) {
  using A = compute_t<T>;
  const A p = load_param(param, master, i);
  A g = static_cast<A>(grad[i]);
  if (c.weight_decay) g += c.wd * p;
  const A sq = c.a * square_avg[i] + c.one_minus_a * g * g;
  square_avg[i] = sq;
  A avg;
  if (grad_avg != nullptr) {
    const A ga = c.a * grad_avg[i] + c.one_minus_a * g;
    grad_avg[i] = ga;
    avg = std::sqrt(sq - ga * ga) + c.eps;
  } else {
    avg = std::sqrt(sq) + c.eps;
  }
  if (momentum_buffer != nullptr) {
    const A buf = c.mu * momentum_buffer[i] + g / avg;
    momentum_buffer[i] = buf;
    store_param(param, master, i, p - c.lr * buf);
  } else {
    store_param(param, master, i, p - c.lr * g / avg);
  }
}

// g[i] *= inv_scale; returns whether g[i] was finite (NaN and ±Inf are not).
template <typename T>
GPUNN_HOST_DEVICE inline bool unscale_at(T* g, int64_t i, compute_t<T> inv_scale) {
  using A = compute_t<T>;
  const A v = static_cast<A>(g[i]);
  g[i] = static_cast<T>(v * inv_scale);
  return v - v == A(0);  // false for NaN and ±Inf
}

}  // namespace gpunn::kernels::math
