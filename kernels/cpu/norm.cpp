// Reference loops for batch norm and LRN (kernels/norm.h).
// Sums accumulate in double; elementwise steps compute in compute_t<T>.
#include "kernels/norm.h"

#include "kernels/norm_math.h"

#include <algorithm>
#include <cmath>

namespace gpunn::kernels {
namespace {

// x[n, c, i] in the [N, C, inner] view.
inline int64_t at(const NormShape& s, int64_t n, int64_t c, int64_t i) {
  return (n * s.C + c) * s.inner + i;
}

template <typename T>
void batch_norm_stats_loops(T* mean, T* invstd, T* var_unbiased, const T* x, NormShape s,
                            double eps) {
  const double M = static_cast<double>(s.N * s.inner);
  for (int64_t c = 0; c < s.C; ++c) {
    double sum = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.inner; ++i) sum += static_cast<double>(x[at(s, n, c, i)]);
    const double mu = sum / M;
    double sq = 0.0;  // two passes: no cancellation from E[x²] - E[x]²
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.inner; ++i) {
        const double d = static_cast<double>(x[at(s, n, c, i)]) - mu;
        sq += d * d;
      }
    mean[c] = static_cast<T>(mu);
    invstd[c] = static_cast<T>(1.0 / std::sqrt(sq / M + eps));
    if (var_unbiased) var_unbiased[c] = static_cast<T>(M > 1 ? sq / (M - 1) : 0.0);
  }
}

template <typename T>
void batch_norm_forward_loops(T* y, const T* x, const T* mean, const T* invstd, const T* w,
                              const T* b, NormShape s) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t c = 0; c < s.C; ++c) {
      using A = compute_t<T>;
      const A scale = static_cast<A>(invstd[c]) * (w ? static_cast<A>(w[c]) : A(1));
      const A shift = (b ? static_cast<A>(b[c]) : A(0)) - static_cast<A>(mean[c]) * scale;
      const int64_t base = at(s, n, c, 0);
      for (int64_t i = 0; i < s.inner; ++i)
        y[base + i] = static_cast<T>(static_cast<A>(x[base + i]) * scale + shift);
    }
}

template <typename T>
void batch_norm_backward_loops(T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean,
                               const T* invstd, const T* w, NormShape s, bool training) {
  const double M = static_cast<double>(s.N * s.inner);
  for (int64_t c = 0; c < s.C; ++c) {
    const double mu = static_cast<double>(mean[c]), r = static_cast<double>(invstd[c]);
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t k = at(s, n, c, i);
        const double g = static_cast<double>(dy[k]);
        sum_dy += g;
        sum_dy_xhat += g * (static_cast<double>(x[k]) - mu) * r;
      }
    if (dw) dw[c] = static_cast<T>(sum_dy_xhat);
    if (db) db[c] = static_cast<T>(sum_dy);
    if (!dx) continue;
    const double wr = (w ? static_cast<double>(w[c]) : 1.0) * r;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t k = at(s, n, c, i);
        const double g = static_cast<double>(dy[k]);
        if (training) {
          const double xhat = (static_cast<double>(x[k]) - mu) * r;
          dx[k] = static_cast<T>(wr * (g - sum_dy / M - xhat * sum_dy_xhat / M));
        } else {
          dx[k] = static_cast<T>(wr * g);
        }
      }
  }
}

template <typename T>
void batch_norm_jvp_loops(T* t, const T* tx, const T* tw, const T* tb, const T* x, const T* mean,
                          const T* invstd, const T* w, NormShape s, bool training) {
  const double M = static_cast<double>(s.N * s.inner);
  for (int64_t c = 0; c < s.C; ++c) {
    const double mu = static_cast<double>(mean[c]), r = static_cast<double>(invstd[c]);
    double mean_tx = 0.0, mean_xhat_tx = 0.0;
    if (tx && training) {
      for (int64_t n = 0; n < s.N; ++n)
        for (int64_t i = 0; i < s.inner; ++i) {
          const int64_t k = at(s, n, c, i);
          const double v = static_cast<double>(tx[k]);
          mean_tx += v;
          mean_xhat_tx += v * (static_cast<double>(x[k]) - mu) * r;
        }
      mean_tx /= M;
      mean_xhat_tx /= M;
    }
    const double wc = w ? static_cast<double>(w[c]) : 1.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t k = at(s, n, c, i);
        const double xhat = (static_cast<double>(x[k]) - mu) * r;
        double v = 0.0;
        if (tx) {
          const double d = static_cast<double>(tx[k]);
          v += wc * r * (training ? d - mean_tx - xhat * mean_xhat_tx : d);
        }
        if (tw) v += static_cast<double>(tw[c]) * xhat;
        if (tb) v += static_cast<double>(tb[c]);
        t[k] = static_cast<T>(v);
      }
  }
}

template <typename T>
void lrn_forward_loops(T* y, T* scale, const T* x, NormShape s, int64_t size, double alpha,
                       double beta, double k) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < s.inner; ++i)
      for (int64_t c = 0; c < s.C; ++c)
        math::lrn_forward_at(y, scale, x, s, size, alpha, beta, k, n, c, i);
}

template <typename T>
void lrn_backward_loops(T* dx, const T* dy, const T* x, const T* scale, NormShape s, int64_t size,
                        double alpha, double beta) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < s.inner; ++i)
      for (int64_t j = 0; j < s.C; ++j)
        math::lrn_backward_at(dx, dy, x, scale, s, size, alpha, beta, n, j, i);
}

template <typename T>
void lrn_jvp_loops(T* t, const T* tx, const T* x, const T* scale, NormShape s, int64_t size,
                   double alpha, double beta) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < s.inner; ++i)
      for (int64_t c = 0; c < s.C; ++c)
        math::lrn_jvp_at(t, tx, x, scale, s, size, alpha, beta, n, c, i);
}

}  // namespace

template <typename T>
void batch_norm_training_cpu(const BatchNormTrainingArgs& a, const Context&) {
  batch_norm_stats_loops(static_cast<T*>(a.mean), static_cast<T*>(a.invstd),
                         static_cast<T*>(a.var_unbiased), static_cast<const T*>(a.x), a.s, a.eps);
  batch_norm_forward_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x),
                           static_cast<const T*>(a.mean), static_cast<const T*>(a.invstd),
                           static_cast<const T*>(a.w), static_cast<const T*>(a.b), a.s);
}

template <typename T>
void batch_norm_inference_cpu(const BatchNormInferenceArgs& a, const Context&) {
  batch_norm_forward_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x),
                           static_cast<const T*>(a.mean), static_cast<const T*>(a.invstd),
                           static_cast<const T*>(a.w), static_cast<const T*>(a.b), a.s);
}

template <typename T>
void batch_norm_backward_cpu(const BatchNormBackwardArgs& a, const Context&) {
  batch_norm_backward_loops(static_cast<T*>(a.dx), static_cast<T*>(a.dw), static_cast<T*>(a.db),
                            static_cast<const T*>(a.dy), static_cast<const T*>(a.x),
                            static_cast<const T*>(a.mean), static_cast<const T*>(a.invstd),
                            static_cast<const T*>(a.w), a.s, a.training);
}

template <typename T>
void batch_norm_jvp_cpu(const BatchNormJvpArgs& a, const Context&) {
  batch_norm_jvp_loops(
      static_cast<T*>(a.t), static_cast<const T*>(a.tx), static_cast<const T*>(a.tw),
      static_cast<const T*>(a.tb), static_cast<const T*>(a.x), static_cast<const T*>(a.mean),
      static_cast<const T*>(a.invstd), static_cast<const T*>(a.w), a.s, a.training);
}

template <typename T>
void lrn_forward_cpu(const LrnArgs& a, const Context&) {
  lrn_forward_loops(static_cast<T*>(a.y), static_cast<T*>(a.scale), static_cast<const T*>(a.x), a.s,
                    a.size, a.alpha, a.beta, a.k);
}

size_t lrn_backward_cpu_workspace(const LrnBackwardArgs& a, const Context&) {
  // The scale and a throw-away y, recomputed when the forward ran on oneDNN.
  return a.scale ? 0 : 2 * static_cast<size_t>(a.s.N * a.s.C * a.s.inner) * dtype_size(a.dtype);
}

template <typename T>
void lrn_backward_cpu(const LrnBackwardArgs& a, const Context& ctx) {
  const T* x = static_cast<const T*>(a.x);
  const T* scale = static_cast<const T*>(a.scale);
  if (!scale) {
    T* recomputed = static_cast<T*>(ctx.workspace);
    T* y = recomputed + a.s.N * a.s.C * a.s.inner;
    lrn_forward_loops(y, recomputed, x, a.s, a.size, a.alpha, a.beta, a.k);
    scale = recomputed;
  }
  lrn_backward_loops(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), x, scale, a.s, a.size,
                     a.alpha, a.beta);
}

template <typename T>
void lrn_jvp_cpu(const LrnJvpArgs& a, const Context&) {
  lrn_jvp_loops(static_cast<T*>(a.t), static_cast<const T*>(a.tx), static_cast<const T*>(a.x),
                static_cast<const T*>(a.scale), a.s, a.size, a.alpha, a.beta);
}

#define GPUNN_INSTANTIATE(T)                                                                \
  template void batch_norm_training_cpu<T>(const BatchNormTrainingArgs&, const Context&);   \
  template void batch_norm_inference_cpu<T>(const BatchNormInferenceArgs&, const Context&); \
  template void batch_norm_backward_cpu<T>(const BatchNormBackwardArgs&, const Context&);   \
  template void batch_norm_jvp_cpu<T>(const BatchNormJvpArgs&, const Context&);             \
  template void lrn_forward_cpu<T>(const LrnArgs&, const Context&);                         \
  template void lrn_backward_cpu<T>(const LrnBackwardArgs&, const Context&);                \
  template void lrn_jvp_cpu<T>(const LrnJvpArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
