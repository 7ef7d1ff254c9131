// Reference loops for batch norm, LRN and the LSTM cell (kernels/norm.h).
// Sums accumulate in double.
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

}  // namespace

template <typename T>
void batch_norm_stats_cpu(T* mean, T* invstd, T* var_unbiased, const T* x, NormShape s,
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
void batch_norm_forward_cpu(T* y, const T* x, const T* mean, const T* invstd, const T* w,
                            const T* b, NormShape s) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t c = 0; c < s.C; ++c) {
      const T scale = invstd[c] * (w ? w[c] : T(1));
      const T shift = (b ? b[c] : T(0)) - mean[c] * scale;
      const int64_t base = at(s, n, c, 0);
      for (int64_t i = 0; i < s.inner; ++i) y[base + i] = x[base + i] * scale + shift;
    }
}

template <typename T>
void batch_norm_backward_cpu(T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean,
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
void batch_norm_jvp_cpu(T* t, const T* tx, const T* tw, const T* tb, const T* x, const T* mean,
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
void lrn_forward_cpu(T* y, T* scale, const T* x, NormShape s, int64_t size, double alpha,
                     double beta, double k) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < s.inner; ++i)
      for (int64_t c = 0; c < s.C; ++c)
        math::lrn_forward_at(y, scale, x, s, size, alpha, beta, k, n, c, i);
}

template <typename T>
void lrn_backward_cpu(T* dx, const T* dy, const T* x, const T* scale, NormShape s, int64_t size,
                      double alpha, double beta) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < s.inner; ++i)
      for (int64_t j = 0; j < s.C; ++j)
        math::lrn_backward_at(dx, dy, x, scale, s, size, alpha, beta, n, j, i);
}

template <typename T>
void lrn_jvp_cpu(T* t, const T* tx, const T* x, const T* scale, NormShape s, int64_t size,
                 double alpha, double beta) {
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < s.inner; ++i)
      for (int64_t c = 0; c < s.C; ++c)
        math::lrn_jvp_at(t, tx, x, scale, s, size, alpha, beta, n, c, i);
}

template <typename T>
void lstm_cell_forward_cpu(T* out, const T* gates, const T* c_prev, int64_t N, int64_t H) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < H; ++j) math::lstm_forward_at(out, gates, c_prev, H, n, j);
}

template <typename T>
void lstm_cell_backward_cpu(T* dgates, T* dc_prev, const T* dout, const T* gates, const T* c_prev,
                            int64_t N, int64_t H) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < H; ++j)
      math::lstm_backward_at(dgates, dc_prev, dout, gates, c_prev, H, n, j);
}

template <typename T>
void lstm_cell_jvp_cpu(T* tout, const T* tgates, const T* tc_prev, const T* gates, const T* c_prev,
                       int64_t N, int64_t H) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < H; ++j)
      math::lstm_jvp_at(tout, tgates, tc_prev, gates, c_prev, H, n, j);
}

#define GPUNN_INSTANTIATE(T)                                                                       \
  template void batch_norm_stats_cpu<T>(T*, T*, T*, const T*, NormShape, double);                  \
  template void batch_norm_forward_cpu<T>(T*, const T*, const T*, const T*, const T*, const T*,    \
                                          NormShape);                                              \
  template void batch_norm_backward_cpu<T>(T*, T*, T*, const T*, const T*, const T*, const T*,     \
                                           const T*, NormShape, bool);                             \
  template void batch_norm_jvp_cpu<T>(T*, const T*, const T*, const T*, const T*, const T*,        \
                                      const T*, const T*, NormShape, bool);                        \
  template void lrn_forward_cpu<T>(T*, T*, const T*, NormShape, int64_t, double, double, double);  \
  template void lrn_backward_cpu<T>(T*, const T*, const T*, const T*, NormShape, int64_t, double,  \
                                    double);                                                       \
  template void lrn_jvp_cpu<T>(T*, const T*, const T*, const T*, NormShape, int64_t, double,       \
                               double);                                                            \
  template void lstm_cell_forward_cpu<T>(T*, const T*, const T*, int64_t, int64_t);                \
  template void lstm_cell_backward_cpu<T>(T*, T*, const T*, const T*, const T*, int64_t, int64_t); \
  template void lstm_cell_jvp_cpu<T>(T*, const T*, const T*, const T*, const T*, int64_t, int64_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
