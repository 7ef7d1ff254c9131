// One output element of the LSTM-cell kernels (kernels/rnn.h), shared by the CPU loops
// and the CUDA kernels. Positions are (n, j) with j < H. Values are read into
// A = compute_t<T> (float for the 16-bit types) and each output rounded to T once.
#pragma once

#include <gpunn/half.h>

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
GPUNN_HOST_DEVICE inline LstmGates<compute_t<T>> lstm_gates(const T* gates, int64_t H, int64_t n,
                                                            int64_t j) {
  using A = compute_t<T>;
  const T* g = gates + n * 4 * H;
  return {stable_sigmoid(static_cast<A>(g[j])), stable_sigmoid(static_cast<A>(g[H + j])),
          std::tanh(static_cast<A>(g[2 * H + j])), stable_sigmoid(static_cast<A>(g[3 * H + j]))};
}

template <typename T>
GPUNN_HOST_DEVICE inline void lstm_forward_at(T* out, const T* gates, const T* c_prev, int64_t H,
                                              int64_t n, int64_t j) {
  using A = compute_t<T>;
  const LstmGates<A> a = lstm_gates(gates, H, n, j);
  const A c = a.f * static_cast<A>(c_prev[n * H + j]) + a.i * a.g;
  out[n * 2 * H + j] = static_cast<T>(a.o * std::tanh(c));
  out[n * 2 * H + H + j] = static_cast<T>(c);
}

template <typename T>
GPUNN_HOST_DEVICE inline void lstm_backward_at(T* dgates, T* dc_prev, const T* dout, const T* gates,
                                               const T* c_prev, int64_t H, int64_t n, int64_t j) {
  using A = compute_t<T>;
  const LstmGates<A> a = lstm_gates(gates, H, n, j);
  const A cp = static_cast<A>(c_prev[n * H + j]);
  const A tc = std::tanh(a.f * cp + a.i * a.g);
  const A dh = static_cast<A>(dout[n * 2 * H + j]);
  const A dc = static_cast<A>(dout[n * 2 * H + H + j]) + dh * a.o * (A(1) - tc * tc);
  if (dgates) {
    T* dg = dgates + n * 4 * H;
    dg[j] = static_cast<T>(dc * a.g * a.i * (A(1) - a.i));
    dg[H + j] = static_cast<T>(dc * cp * a.f * (A(1) - a.f));
    dg[2 * H + j] = static_cast<T>(dc * a.i * (A(1) - a.g * a.g));
    dg[3 * H + j] = static_cast<T>(dh * tc * a.o * (A(1) - a.o));
  }
  if (dc_prev) dc_prev[n * H + j] = static_cast<T>(dc * a.f);
}

template <typename T>
GPUNN_HOST_DEVICE inline void lstm_jvp_at(T* tout, const T* tgates, const T* tc_prev,
                                          const T* gates, const T* c_prev, int64_t H, int64_t n,
                                          int64_t j) {
  using A = compute_t<T>;
  const LstmGates<A> a = lstm_gates(gates, H, n, j);
  const A cp = static_cast<A>(c_prev[n * H + j]);
  const A tc = std::tanh(a.f * cp + a.i * a.g);
  A ti = 0, tf = 0, tg = 0, to = 0;
  if (tgates) {
    const T* d = tgates + n * 4 * H;
    ti = static_cast<A>(d[j]) * a.i * (A(1) - a.i);
    tf = static_cast<A>(d[H + j]) * a.f * (A(1) - a.f);
    tg = static_cast<A>(d[2 * H + j]) * (A(1) - a.g * a.g);
    to = static_cast<A>(d[3 * H + j]) * a.o * (A(1) - a.o);
  }
  const A tcp = tc_prev ? static_cast<A>(tc_prev[n * H + j]) : A(0);
  const A dc = tf * cp + a.f * tcp + ti * a.g + a.i * tg;
  tout[n * 2 * H + j] = static_cast<T>(to * tc + a.o * (A(1) - tc * tc) * dc);
  tout[n * 2 * H + H + j] = static_cast<T>(dc);
}

}  // namespace gpunn::kernels::math
