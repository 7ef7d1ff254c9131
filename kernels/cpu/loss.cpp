// Reference loss loops (kernels/loss.h). Targets were validated by the caller.
#include "kernels/loss.h"

#include <algorithm>
#include <cmath>

namespace gpunn::kernels {

template <typename T>
void nll_forward_cpu(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                     int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing) {
  const double eps_c = smoothing / static_cast<double>(C);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t y = target[n * inner + i];
      if (y == ignore_index) {
        loss[n * inner + i] = T(0);
        wsum[n * inner + i] = T(0);
        continue;
      }
      const T w = weight ? weight[y] : T(1);
      const T* lp = logp + n * C * inner + i;  // lp[c * inner] = logp[n, c, i]
      if (smoothing == 0.0) {
        // Only the target's entry is read: the others may be -inf (log of 0).
        loss[n * inner + i] = -w * lp[y * inner];
      } else {
        double all = 0.0;  // Σ_c w[c] · logp[n, c, i]
        for (int64_t c = 0; c < C; ++c)
          all +=
              (weight ? static_cast<double>(weight[c]) : 1.0) * static_cast<double>(lp[c * inner]);
        loss[n * inner + i] = static_cast<T>(-(1.0 - smoothing) * static_cast<double>(w) *
                                                 static_cast<double>(lp[y * inner]) -
                                             eps_c * all);
      }
      wsum[n * inner + i] = w;
    }
}

template <typename T>
void nll_backward_cpu(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                      int64_t C, int64_t inner, int64_t ignore_index, double smoothing) {
  // Ignored entries are left at exactly 0 rather than multiplied by a 0 weight:
  // with every target ignored, Mean's dloss is 1/0 = inf, and 0 · inf is NaN.
  std::fill(dlogp, dlogp + N * C * inner, T(0));
  const double eps_c = smoothing / static_cast<double>(C);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t y = target[n * inner + i];
      if (y == ignore_index) continue;
      const T w = weight ? weight[y] : T(1);
      T* d = dlogp + n * C * inner + i;  // d[c * inner] = dlogp[n, c, i]
      if (smoothing == 0.0) {
        d[y * inner] = -w * dloss[n * inner + i];
      } else {
        const double g = static_cast<double>(dloss[n * inner + i]);
        for (int64_t c = 0; c < C; ++c) {
          const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
          const double target_part = c == y ? (1.0 - smoothing) * static_cast<double>(w) : 0.0;
          d[c * inner] = static_cast<T>(-(target_part + eps_c * wc) * g);
        }
      }
    }
}

template <typename T>
void multi_margin_forward_cpu(T* loss, const T* x, const int64_t* target, const T* weight,
                              int64_t N, int64_t C, int p, double margin, double divisor) {
  for (int64_t n = 0; n < N; ++n) {
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
}

template <typename T>
void multi_margin_backward_cpu(T* dx, const T* dloss, const T* x, const int64_t* target,
                               const T* weight, int64_t N, int64_t C, int p, double margin,
                               double divisor) {
  for (int64_t n = 0; n < N; ++n) {
    const T* xn = x + n * C;
    T* dxn = dx + n * C;
    const int64_t y = target[n];
    const double w = weight ? static_cast<double>(weight[y]) : 1.0;
    const double g = static_cast<double>(dloss[n]) * w / divisor;
    double dy_total = 0.0;
    for (int64_t j = 0; j < C; ++j) {
      if (j == y) continue;
      const double z = margin - static_cast<double>(xn[y]) + static_cast<double>(xn[j]);
      const double d = z > 0 ? g * (p == 1 ? 1.0 : 2.0 * z) : 0.0;
      dxn[j] = static_cast<T>(d);
      dy_total += d;
    }
    dxn[y] = static_cast<T>(-dy_total);
  }
}

namespace {

// log(1 + e^z) without overflow or loss of precision for large |z|.
template <typename T>
T softplus(T z) {
  return (z > T(0) ? z : T(0)) + std::log1p(std::exp(-std::abs(z)));
}

// 1 / (1 + e^-z), both branches safe.
template <typename T>
T sigmoid(T z) {
  if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
  const T e = std::exp(z);
  return e / (T(1) + e);
}

}  // namespace

template <typename T>
void bce_logits_forward_cpu(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                            int64_t C) {
  for (int64_t i = 0; i < n; ++i) {
    const T pw = pos_weight ? pos_weight[i % C] : T(1);
    loss[i] = (T(1) - y[i]) * x[i] + (T(1) + (pw - T(1)) * y[i]) * softplus(-x[i]);
  }
}

template <typename T>
void bce_logits_backward_cpu(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pos_weight,
                             int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) {
    const T pw = pos_weight ? pos_weight[i % C] : T(1);
    if (dx) dx[i] = g[i] * ((T(1) - y[i]) - (T(1) + (pw - T(1)) * y[i]) * sigmoid(-x[i]));
    if (dy) dy[i] = g[i] * (-x[i] + (pw - T(1)) * softplus(-x[i]));
  }
}

#define GPUNN_INSTANTIATE(T)                                                                     \
  template void nll_forward_cpu<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, \
                                   int64_t, int64_t, double);                                    \
  template void nll_backward_cpu<T>(T*, const T*, const int64_t*, const T*, int64_t, int64_t,    \
                                    int64_t, int64_t, double);                                   \
  template void multi_margin_forward_cpu<T>(T*, const T*, const int64_t*, const T*, int64_t,     \
                                            int64_t, int, double, double);                       \
  template void multi_margin_backward_cpu<T>(T*, const T*, const T*, const int64_t*, const T*,   \
                                             int64_t, int64_t, int, double, double);
#define GPUNN_INSTANTIATE_BCE(T)                                                               \
  template void bce_logits_forward_cpu<T>(T*, const T*, const T*, const T*, int64_t, int64_t); \
  template void bce_logits_backward_cpu<T>(T*, T*, const T*, const T*, const T*, const T*,     \
                                           int64_t, int64_t);
GPUNN_INSTANTIATE_BCE(float)
GPUNN_INSTANTIATE_BCE(double)
#undef GPUNN_INSTANTIATE_BCE
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
