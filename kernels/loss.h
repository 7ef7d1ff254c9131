// The loss family: per-sample losses and their gradients; reductions are the caller's.
// Scores are [N, C, inner] (inner = 1 for plain classification); targets [N, inner]
// (int64 class indices). The formulas live once in kernels/loss_math.h.
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

// nll forward: negative log-likelihood with optional label smoothing ε (0 for plain nll):
//   loss[n,i] = -(1 - ε) · w[y] · logp[n, y, i] - (ε / C) · Σ_c w[c] · logp[n, c, i]
//   wsum[n,i] = w[y]
// with y = target[n,i] and w = 1 without weights; both 0 where y == ignore_index.
// With ε = 0 only logp[n, y, i] is read.
// nll backward:
//   dlogp[n, c, i] = -((1 - ε) · w[y] · [c == y] + (ε / C) · w[c]) · dloss[n, i];
//   exactly 0 where y == ignore_index (whatever dloss holds there).
// multi_margin forward:
//   loss[n] = Σ_{j ≠ y} w[y] · max(0, margin - x[n, y] + x[n, j])^p / divisor
//   for x [N, C], p in {1, 2}, w = 1 without weights.
// multi_margin backward:
//   dx[n, j] = dloss[n] · ∂loss[n]/∂x[n, j]  (0 on the hinge's flat side and at its kink)
// bce_logits: binary cross-entropy from logits x with targets y in [0, 1] (same shape, n
// elements) and an optional pos_weight pw[C] over the last dim (C divides n;
// element i uses pw[i % C]); with sp(z) = log(1 + e^z) computed stably:
//   loss = (1 - y)·x + (1 + (pw - 1)·y)·sp(-x)
// bce_logits backward:
//   dx = g·((1 - y) - (1 + (pw - 1)·y)·σ(-x)),  dy = g·(-x + (pw - 1)·sp(-x));
//   either output may be null. With g := a tangent these are the JVP's terms.

struct NllArgs {
  DType dtype;
  int64_t N, C, inner;
  int64_t ignore_index;
  double smoothing;  // ε, 0 for plain nll
  const void* logp;
  const int64_t* target;
  const void* weight;  // [C] or null
  void* loss;          // [N, inner]
  void* wsum;          // [N, inner]
};

struct NllBackwardArgs {
  DType dtype;
  int64_t N, C, inner;
  int64_t ignore_index;
  double smoothing;
  const void* dloss;
  const int64_t* target;
  const void* weight;
  void* dlogp;
};

struct MultiMarginArgs {
  DType dtype;
  int64_t N, C;
  int p;
  double margin, divisor;
  const void* x;
  const int64_t* target;
  const void* weight;  // [C] or null
  void* loss;          // [N]
};

struct MultiMarginBackwardArgs {
  DType dtype;
  int64_t N, C;
  int p;
  double margin, divisor;
  const void* dloss;
  const void* x;
  const int64_t* target;
  const void* weight;
  void* dx;
};

struct BceLogitsArgs {
  DType dtype;
  int64_t n, C;
  const void* x;
  const void* y;
  const void* pos_weight;  // [C] or null
  void* loss;
};

struct BceLogitsBackwardArgs {
  DType dtype;
  int64_t n, C;
  const void* g;
  const void* x;
  const void* y;
  const void* pos_weight;
  void* dx;  // may be null
  void* dy;  // may be null
};

extern const OpTable<NllArgs> nll_forward;
extern const OpTable<NllBackwardArgs> nll_backward;
extern const OpTable<MultiMarginArgs> multi_margin_forward;
extern const OpTable<MultiMarginBackwardArgs> multi_margin_backward;
extern const OpTable<BceLogitsArgs> bce_logits_forward;
extern const OpTable<BceLogitsBackwardArgs> bce_logits_backward;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void nll_forward_cpu(const NllArgs& a, const Context& ctx);
template <typename T>
void nll_backward_cpu(const NllBackwardArgs& a, const Context& ctx);
template <typename T>
void multi_margin_forward_cpu(const MultiMarginArgs& a, const Context& ctx);
template <typename T>
void multi_margin_backward_cpu(const MultiMarginBackwardArgs& a, const Context& ctx);
template <typename T>
void bce_logits_forward_cpu(const BceLogitsArgs& a, const Context& ctx);
template <typename T>
void bce_logits_backward_cpu(const BceLogitsBackwardArgs& a, const Context& ctx);

template <typename T>
void nll_forward_cuda(const NllArgs& a, const Context& ctx);
template <typename T>
void nll_backward_cuda(const NllBackwardArgs& a, const Context& ctx);
template <typename T>
void multi_margin_forward_cuda(const MultiMarginArgs& a, const Context& ctx);
template <typename T>
void multi_margin_backward_cuda(const MultiMarginBackwardArgs& a, const Context& ctx);
template <typename T>
void bce_logits_forward_cuda(const BceLogitsArgs& a, const Context& ctx);
template <typename T>
void bce_logits_backward_cuda(const BceLogitsBackwardArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
