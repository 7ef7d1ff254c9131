// One output element of the LSTM-cell kernels (kernels/rnn.h), shared by the CPU loops
// and the CUDA kernels. Positions are (n, j) with j < H.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/base/host_device.h"

namespace gpunn::kernels::math {

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
