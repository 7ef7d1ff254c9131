// Loss kernels, per sample; reductions are the caller's.
// Scores are [N, C, inner] (inner = 1 for plain classification); targets [N, inner].
#pragma once

#include <cstdint>

namespace gpunn::kernels {

// Negative log-likelihood with optional label smoothing ε (0 for plain nll):
//   loss[n,i] = -(1 - ε) · w[y] · logp[n, y, i] - (ε / C) · Σ_c w[c] · logp[n, c, i]
//   wsum[n,i] = w[y]
// with y = target[n,i] and w = 1 without weights; both 0 where y == ignore_index.
// With ε = 0 only logp[n, y, i] is read.
template <typename T>
void nll_forward_cpu(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                     int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing);

// dlogp[n, c, i] = -((1 - ε) · w[y] · [c == y] + (ε / C) · w[c]) · dloss[n, i];
// exactly 0 where y == ignore_index (whatever dloss holds there).
template <typename T>
void nll_backward_cpu(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                      int64_t C, int64_t inner, int64_t ignore_index, double smoothing);

// loss[n] = Σ_{j ≠ y} w[y] · max(0, margin - x[n, y] + x[n, j])^p / divisor
// for x [N, C], p in {1, 2}, w = 1 without weights.
template <typename T>
void multi_margin_forward_cpu(T* loss, const T* x, const int64_t* target, const T* weight,
                              int64_t N, int64_t C, int p, double margin, double divisor);

// dx[n, j] = dloss[n] · ∂loss[n]/∂x[n, j]  (0 on the hinge's flat side and at its kink)
template <typename T>
void multi_margin_backward_cpu(T* dx, const T* dloss, const T* x, const int64_t* target,
                               const T* weight, int64_t N, int64_t C, int p, double margin,
                               double divisor);

// Binary cross-entropy from logits x with targets y in [0, 1] (same shape, n
// elements) and an optional pos_weight pw[C] over the last dim (C divides n;
// element i uses pw[i % C]); with sp(z) = log(1 + e^z) computed stably:
//   loss = (1 - y)·x + (1 + (pw - 1)·y)·sp(-x)
template <typename T>
void bce_logits_forward_cpu(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                            int64_t C);
// dx = g·((1 - y) - (1 + (pw - 1)·y)·σ(-x)),  dy = g·(-x + (pw - 1)·sp(-x));
// either output may be null. With g := a tangent these are the JVP's terms.
template <typename T>
void bce_logits_backward_cpu(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pos_weight,
                             int64_t n, int64_t C);

}  // namespace gpunn::kernels
