// One sample (or one gradient element) of each loss kernel (kernels/loss.h),
// shared by the CPU loops and the CUDA kernels so that both compute the same
// formulas. Layout as in kernels/loss.h: scores [N, C, inner], targets [N, inner].
// Values are read into compute_t<T> (float for the 16-bit types) or double, and rounded
// to T once on store.
#pragma once

#include <gpunn/half.h>

#include <cmath>
#include <cstdint>

#include "kernels/base/host_device.h"

namespace gpunn::kernels::math {

// loss[p] and wsum[p] for position p = n·inner + i.
template <typename T>
GPUNN_HOST_DEVICE inline void nll_forward_at(T* loss, T* wsum, const T* logp, const int64_t* target,
                                             const T* weight, int64_t C, int64_t inner,
                                             int64_t ignore_index, double smoothing, int64_t p) {
  const int64_t n = p / inner, i = p % inner;
  const int64_t y = target[p];
  if (y == ignore_index) {
    loss[p] = T(0);
    wsum[p] = T(0);
    return;
  }
  using A = compute_t<T>;
  const A w = weight ? static_cast<A>(weight[y]) : A(1);
  const T* lp = logp + n * C * inner + i;  // lp[c · inner] = logp[n, c, i]
  if (smoothing == 0.0) {
    // Only the target's entry is read: the others may be -inf (log of 0).
    loss[p] = static_cast<T>(-w * static_cast<A>(lp[y * inner]));
  } else {
    double all = 0.0;  // Σ_c w[c] · logp[n, c, i]
    for (int64_t c = 0; c < C; ++c)
      all += (weight ? static_cast<double>(weight[c]) : 1.0) * static_cast<double>(lp[c * inner]);
    loss[p] = static_cast<T>(-(1.0 - smoothing) * static_cast<double>(w) *
                                 static_cast<double>(lp[y * inner]) -
                             smoothing / static_cast<double>(C) * all);
  }
  wsum[p] = static_cast<T>(w);
}

// dlogp[e] for element e = (n·C + c)·inner + i; exactly 0 where the target is
// ignored (never 0 · inf: with every target ignored, Mean's dloss is 1/0).
template <typename T>
GPUNN_HOST_DEVICE inline void nll_backward_at(T* dlogp, const T* dloss, const int64_t* target,
                                              const T* weight, int64_t C, int64_t inner,
                                              int64_t ignore_index, double smoothing, int64_t e) {
  const int64_t i = e % inner, c = (e / inner) % C, n = e / (C * inner);
  const int64_t y = target[n * inner + i];
  if (y == ignore_index) {
    dlogp[e] = T(0);
    return;
  }
  const double g = static_cast<double>(dloss[n * inner + i]);
  const double wy = weight ? static_cast<double>(weight[y]) : 1.0;
  const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
  const double target_part = c == y ? (1.0 - smoothing) * wy : 0.0;
  dlogp[e] = static_cast<T>(-(target_part + smoothing / static_cast<double>(C) * wc) * g);
}

// loss[n] = Σ_{j ≠ y} w[y] · max(0, margin - x[n, y] + x[n, j])^p / divisor
template <typename T>
GPUNN_HOST_DEVICE inline void margin_forward_at(T* loss, const T* x, const int64_t* target,
                                                const T* weight, int64_t C, int p, double margin,
                                                double divisor, int64_t n) {
  const T* xn = x + n * C;
  const int64_t y = target[n];
  const double w = weight ? static_cast<double>(weight[y]) : 1.0;
  double acc = 0.0;
  for (int64_t j = 0; j < C; ++j) {
    if (j == y) continue;
    const double z = margin - static_cast<double>(xn[y]) + static_cast<double>(xn[j]);
    if (z > 0) acc += w * (p == 1 ? z : z * z);
  }
  loss[n] = static_cast<T>(acc / divisor);
}

// Row n of dx (0 on the hinge's flat side and at its kink).
template <typename T>
GPUNN_HOST_DEVICE inline void margin_backward_at(T* dx, const T* dloss, const T* x,
                                                 const int64_t* target, const T* weight, int64_t C,
                                                 int p, double margin, double divisor, int64_t n) {
  const T* xn = x + n * C;
  T* dxn = dx + n * C;
  const int64_t y = target[n];
  const double w = weight ? static_cast<double>(weight[y]) : 1.0;
  const double g = static_cast<double>(dloss[n]) * w / divisor;
  double total = 0.0;
  for (int64_t j = 0; j < C; ++j) {
    if (j == y) continue;
    const double z = margin - static_cast<double>(xn[y]) + static_cast<double>(xn[j]);
    const double d = z > 0 ? g * (p == 1 ? 1.0 : 2.0 * z) : 0.0;
    dxn[j] = static_cast<T>(d);
    total += d;
  }
  dxn[y] = static_cast<T>(-total);
}

// log(1 + e^z) without overflow or loss of precision for large |z|.
template <typename T>
GPUNN_HOST_DEVICE inline T softplus(T z) {
  return (z > T(0) ? z : T(0)) + std::log1p(std::exp(-std::abs(z)));
}

// 1 / (1 + e^-z), both branches safe.
template <typename T>
GPUNN_HOST_DEVICE inline T sigmoid(T z) {
  if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
  const T e = std::exp(z);
  return e / (T(1) + e);
}

template <typename T>
GPUNN_HOST_DEVICE inline T bce_logits_at(const T* x, const T* y, const T* pos_weight, int64_t C,
                                         int64_t i) {
  using A = compute_t<T>;
  const A pw = pos_weight ? static_cast<A>(pos_weight[i % C]) : A(1);
  const A xi = static_cast<A>(x[i]), yi = static_cast<A>(y[i]);
  return static_cast<T>((A(1) - yi) * xi + (A(1) + (pw - A(1)) * yi) * softplus(-xi));
}

template <typename T>
GPUNN_HOST_DEVICE inline void bce_logits_backward_at(T* dx, T* dy, const T* g, const T* x,
                                                     const T* y, const T* pos_weight, int64_t C,
                                                     int64_t i) {
  using A = compute_t<T>;
  const A pw = pos_weight ? static_cast<A>(pos_weight[i % C]) : A(1);
  const A gi = static_cast<A>(g[i]), xi = static_cast<A>(x[i]), yi = static_cast<A>(y[i]);
  if (dx) dx[i] = static_cast<T>(gi * ((A(1) - yi) - (A(1) + (pw - A(1)) * yi) * sigmoid(-xi)));
  if (dy) dy[i] = static_cast<T>(gi * (-xi + (pw - A(1)) * softplus(-xi)));
}

}  // namespace gpunn::kernels::math
