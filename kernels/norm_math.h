// One output element of the LRN and LSTM-cell kernels (kernels/norm.h), shared
// by the CPU loops and the CUDA kernels. Positions are (n, c, i) in the
// [N, C, inner] view for LRN and (n, j) with j < H for the LSTM cell.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"
#include "kernels/norm.h"

namespace gpunn::kernels::math {

GPUNN_HOST_DEVICE inline int64_t norm_at(const NormShape& s, int64_t n, int64_t c, int64_t i) {
  return (n * s.C + c) * s.inner + i;
}
GPUNN_HOST_DEVICE inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
GPUNN_HOST_DEVICE inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// ---- LRN: win(c) = [c - size/2, c + (size-1)/2] ∩ [0, C) ----------------------------

template <typename T>
GPUNN_HOST_DEVICE inline void lrn_forward_at(T* y, T* scale, const T* x, const NormShape& s,
                                             int64_t size, double alpha, double beta, double k,
                                             int64_t n, int64_t c, int64_t i) {
  double sq = 0.0;
  for (int64_t j = imax(0, c - size / 2); j <= imin(s.C - 1, c + (size - 1) / 2); ++j) {
    const double v = static_cast<double>(x[norm_at(s, n, j, i)]);
    sq += v * v;
  }
  const double sc = k + alpha / static_cast<double>(size) * sq;
  const int64_t idx = norm_at(s, n, c, i);
  scale[idx] = static_cast<T>(sc);
  y[idx] = static_cast<T>(static_cast<double>(x[idx]) * std::pow(sc, -beta));
}

// dx[j] = dy[j]·scale[j]^-β - (2αβ/size)·x[j]·Σ_{c: j ∈ win(c)} dy[c]·x[c]·scale[c]^(-β-1),
// where j ∈ win(c) ⇔ c ∈ [j - (size-1)/2, j + size/2].
template <typename T>
GPUNN_HOST_DEVICE inline void lrn_backward_at(T* dx, const T* dy, const T* x, const T* scale,
                                              const NormShape& s, int64_t size, double alpha,
                                              double beta, int64_t n, int64_t j, int64_t i) {
  double acc = 0.0;
  for (int64_t c = imax(0, j - (size - 1) / 2); c <= imin(s.C - 1, j + size / 2); ++c) {
    const int64_t idx = norm_at(s, n, c, i);
    acc += static_cast<double>(dy[idx]) * static_cast<double>(x[idx]) *
           std::pow(static_cast<double>(scale[idx]), -beta - 1.0);
  }
  const int64_t idx = norm_at(s, n, j, i);
  const double coef = 2.0 * alpha * beta / static_cast<double>(size);
  dx[idx] = static_cast<T>(static_cast<double>(dy[idx]) *
                               std::pow(static_cast<double>(scale[idx]), -beta) -
                           coef * static_cast<double>(x[idx]) * acc);
}

template <typename T>
GPUNN_HOST_DEVICE inline void lrn_jvp_at(T* t, const T* tx, const T* x, const T* scale,
                                         const NormShape& s, int64_t size, double alpha,
                                         double beta, int64_t n, int64_t c, int64_t i) {
  double acc = 0.0;
  for (int64_t j = imax(0, c - size / 2); j <= imin(s.C - 1, c + (size - 1) / 2); ++j) {
    const int64_t idx = norm_at(s, n, j, i);
    acc += static_cast<double>(x[idx]) * static_cast<double>(tx[idx]);
  }
  const int64_t idx = norm_at(s, n, c, i);
  const double sc = static_cast<double>(scale[idx]);
  const double coef = 2.0 * alpha * beta / static_cast<double>(size);
  t[idx] = static_cast<T>(static_cast<double>(tx[idx]) * std::pow(sc, -beta) -
                          coef * static_cast<double>(x[idx]) * std::pow(sc, -beta - 1.0) * acc);
}

// ---- LSTM cell ---------------------------------------------------------------------------

template <typename T>
GPUNN_HOST_DEVICE inline T stable_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}

// The four gates of (n, j): i, f, o = σ(·), g = tanh(·).
template <typename T>
struct LstmGates {
  T i, f, g, o;
};
template <typename T>
GPUNN_HOST_DEVICE inline LstmGates<T> lstm_gates(const T* gates, int64_t H, int64_t n, int64_t j) {
  const T* g = gates + n * 4 * H;
  return {stable_sigmoid(g[j]), stable_sigmoid(g[H + j]), std::tanh(g[2 * H + j]),
          stable_sigmoid(g[3 * H + j])};
}

template <typename T>
GPUNN_HOST_DEVICE inline void lstm_forward_at(T* out, const T* gates, const T* c_prev, int64_t H,
                                              int64_t n, int64_t j) {
  const LstmGates<T> a = lstm_gates(gates, H, n, j);
  const T c = a.f * c_prev[n * H + j] + a.i * a.g;
  out[n * 2 * H + j] = a.o * std::tanh(c);
  out[n * 2 * H + H + j] = c;
}

template <typename T>
GPUNN_HOST_DEVICE inline void lstm_backward_at(T* dgates, T* dc_prev, const T* dout, const T* gates,
                                               const T* c_prev, int64_t H, int64_t n, int64_t j) {
  const LstmGates<T> a = lstm_gates(gates, H, n, j);
  const T cp = c_prev[n * H + j];
  const T tc = std::tanh(a.f * cp + a.i * a.g);
  const T dh = dout[n * 2 * H + j];
  const T dc = dout[n * 2 * H + H + j] + dh * a.o * (T(1) - tc * tc);
  if (dgates) {
    T* dg = dgates + n * 4 * H;
    dg[j] = dc * a.g * a.i * (T(1) - a.i);
    dg[H + j] = dc * cp * a.f * (T(1) - a.f);
    dg[2 * H + j] = dc * a.i * (T(1) - a.g * a.g);
    dg[3 * H + j] = dh * tc * a.o * (T(1) - a.o);
  }
  if (dc_prev) dc_prev[n * H + j] = dc * a.f;
}

template <typename T>
GPUNN_HOST_DEVICE inline void lstm_jvp_at(T* tout, const T* tgates, const T* tc_prev,
                                          const T* gates, const T* c_prev, int64_t H, int64_t n,
                                          int64_t j) {
  const LstmGates<T> a = lstm_gates(gates, H, n, j);
  const T cp = c_prev[n * H + j];
  const T tc = std::tanh(a.f * cp + a.i * a.g);
  T ti = 0, tf = 0, tg = 0, to = 0;
  if (tgates) {
    const T* d = tgates + n * 4 * H;
    ti = d[j] * a.i * (T(1) - a.i);
    tf = d[H + j] * a.f * (T(1) - a.f);
    tg = d[2 * H + j] * (T(1) - a.g * a.g);
    to = d[3 * H + j] * a.o * (T(1) - a.o);
  }
  const T tcp = tc_prev ? tc_prev[n * H + j] : T(0);
  const T dc = tf * cp + a.f * tcp + ti * a.g + a.i * tg;
  tout[n * 2 * H + j] = to * tc + a.o * (T(1) - tc * tc) * dc;
  tout[n * 2 * H + H + j] = dc;
}

}  // namespace gpunn::kernels::math
