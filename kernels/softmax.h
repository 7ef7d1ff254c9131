// The softmax family: softmax and log_softmax over the middle dim of [outer, C, inner]
// (the softmax dim is C), contiguous buffers.
//
//   forward:   y = softmax(x) or, with log, log_softmax(x)
//   backward:  softmax:      dx = y · (dy - Σ_c dy·y)
//              log_softmax:  dx = dy - e^y · Σ_c dy
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct SoftmaxArgs {
  DType dtype;
  int64_t outer, C, inner;
  bool log;  // log_softmax
  const void* x;
  void* y;
};

struct SoftmaxBackwardArgs {
  DType dtype;
  int64_t outer, C, inner;
  bool log;
  const void* dy;
  const void* y;  // the forward's output
  void* dx;
};

extern const OpTable<SoftmaxArgs> softmax_forward;
extern const OpTable<SoftmaxBackwardArgs> softmax_backward;

// ---- implementations (kernels/rows.cpp puts them in the tables) ----
// Reference loops: the maximum is subtracted before exponentiating; sums in double.
template <typename T>
void softmax_forward_cpu(const SoftmaxArgs& a, const Context& ctx);
template <typename T>
void softmax_backward_cpu(const SoftmaxBackwardArgs& a, const Context& ctx);

// oneDNN, float32, softmax only: its log_softmax is off by up to ~1e-6 absolute (it even
// returns small positive log-probabilities for a dominant class). Its forward does not
// turn a row holding NaN or +inf into NaN as the reference does, so such inputs are not
// supported (the check reads x; it runs only when oneDNN is the entry wanted).
void softmax_forward_onednn(const SoftmaxArgs& a, const Context& ctx);
bool softmax_forward_onednn_supported(const SoftmaxArgs& a);
void softmax_backward_onednn(const SoftmaxBackwardArgs& a, const Context& ctx);
bool softmax_backward_onednn_supported(const SoftmaxBackwardArgs& a);

template <typename T>
void softmax_forward_cuda(const SoftmaxArgs& a, const Context& ctx);
template <typename T>
void softmax_backward_cuda(const SoftmaxBackwardArgs& a, const Context& ctx);

// cuDNN (channel mode over an [outer, C, inner, 1] tensor with 32-bit sides).
void softmax_forward_cudnn(const SoftmaxArgs& a, const Context& ctx);
bool softmax_forward_cudnn_supported(const SoftmaxArgs& a);
void softmax_backward_cudnn(const SoftmaxBackwardArgs& a, const Context& ctx);
bool softmax_backward_cudnn_supported(const SoftmaxBackwardArgs& a);

}  // namespace gpunn::kernels
