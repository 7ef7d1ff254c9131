// The pool family: 2-D max and average pooling over contiguous NCHW buffers,
// x [N, C, H, W] -> y [N, C, P, Q]. Semantics (windows, ceil_mode, divisors) in
// gpunn/ops/pool.h.
//
//   max forward:   y = window maximum (NaN wins); indices = its position h·W + w
//   max backward:  dx = 0, then dx[plane, indices] += dy
//   avg forward:   y = window sum / divisor
//   avg backward:  dx = Σ over the windows holding x of dy / divisor
//
// Max pooling's backward needs to know where each maximum was, and the
// implementations remember it differently: ours write gpunn's indices, oneDNN keeps
// its own argmax format in the forward's reserve (kernels/base/table.h), cuDNN finds
// the maxima again from x and y. So the backward args carry whichever the forward left
// and only the matching entry accepts them; the vendor forwards accept only calls that
// need no indices (MaxPool2dArgs::indices_needed).
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct Pool2dShape {
  int64_t N = 0, C = 0, H = 0, W = 0;
  int64_t P = 0, Q = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  bool count_include_pad = true;  // avg only
};

struct MaxPool2dArgs {
  DType dtype;
  Pool2dShape s;
  const void* x;
  void* y;
  int64_t* indices;     // [N, C, P, Q]; written by our entries
  bool indices_needed;  // the caller returns or uses them (then vendor entries refuse)
};

struct MaxPool2dBackwardArgs {
  DType dtype;
  Pool2dShape s;
  const void* dy;
  void* dx;
  const int64_t* indices;  // from our forward, else null
  const void* reserve;     // from oneDNN's forward, else null
  const void* x;           // from cuDNN's forward (its input and output), else null
  const void* y;
};

struct AvgPool2dArgs {
  DType dtype;
  Pool2dShape s;
  const void* x;
  void* y;
};

struct AvgPool2dBackwardArgs {
  DType dtype;
  Pool2dShape s;
  const void* dy;
  void* dx;
};

extern const OpTable<MaxPool2dArgs> max_pool2d_forward;
extern const OpTable<MaxPool2dBackwardArgs> max_pool2d_backward;
extern const OpTable<AvgPool2dArgs> avg_pool2d_forward;
extern const OpTable<AvgPool2dBackwardArgs> avg_pool2d_backward;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void max_pool2d_forward_cpu(const MaxPool2dArgs& a, const Context& ctx);
template <typename T>
void max_pool2d_backward_cpu(const MaxPool2dBackwardArgs& a, const Context& ctx);
template <typename T>
void avg_pool2d_forward_cpu(const AvgPool2dArgs& a, const Context& ctx);
template <typename T>
void avg_pool2d_backward_cpu(const AvgPool2dBackwardArgs& a, const Context& ctx);
// Our max-pool backward entries need the indices (CPU and CUDA alike).
bool max_pool2d_backward_has_indices(const MaxPool2dBackwardArgs& a);

// oneDNN, float32 and bfloat16 (where its bfloat16 primitives run: kernels/vendor/
// onednn_common.h). Max pooling lets NaN lose its window there, where ours lets it win,
// so inputs holding NaN or infinities are refused (the check reads x). Average pooling
// with count_include_pad whose last window (ceil_mode) reaches past the right padding
// divides by the clipped window in gpunn and by the whole window in oneDNN: refused.
void max_pool2d_forward_onednn(const MaxPool2dArgs& a, const Context& ctx);
bool max_pool2d_forward_onednn_supported(const MaxPool2dArgs& a);
size_t max_pool2d_forward_onednn_reserve(const MaxPool2dArgs& a);
void max_pool2d_backward_onednn(const MaxPool2dBackwardArgs& a, const Context& ctx);
bool max_pool2d_backward_onednn_supported(const MaxPool2dBackwardArgs& a);
void avg_pool2d_forward_onednn(const AvgPool2dArgs& a, const Context& ctx);
bool avg_pool2d_forward_onednn_supported(const AvgPool2dArgs& a);
void avg_pool2d_backward_onednn(const AvgPool2dBackwardArgs& a, const Context& ctx);
bool avg_pool2d_backward_onednn_supported(const AvgPool2dBackwardArgs& a);

template <typename T>
void max_pool2d_forward_cuda(const MaxPool2dArgs& a, const Context& ctx);
template <typename T>
void max_pool2d_backward_cuda(const MaxPool2dBackwardArgs& a, const Context& ctx);
template <typename T>
void avg_pool2d_forward_cuda(const AvgPool2dArgs& a, const Context& ctx);
template <typename T>
void avg_pool2d_backward_cuda(const AvgPool2dBackwardArgs& a, const Context& ctx);

// cuDNN: sizes its output by the floor rule, so shapes from ceil_mode windows stay on
// our kernels; max pooling in its deterministic mode (each window's gradient goes to
// the same one of its maxima every run); NaN propagates.
void max_pool2d_forward_cudnn(const MaxPool2dArgs& a, const Context& ctx);
bool max_pool2d_forward_cudnn_supported(const MaxPool2dArgs& a);
void max_pool2d_backward_cudnn(const MaxPool2dBackwardArgs& a, const Context& ctx);
bool max_pool2d_backward_cudnn_supported(const MaxPool2dBackwardArgs& a);
void avg_pool2d_forward_cudnn(const AvgPool2dArgs& a, const Context& ctx);
bool avg_pool2d_forward_cudnn_supported(const AvgPool2dArgs& a);
void avg_pool2d_backward_cudnn(const AvgPool2dBackwardArgs& a, const Context& ctx);
bool avg_pool2d_backward_cudnn_supported(const AvgPool2dBackwardArgs& a);

}  // namespace gpunn::kernels
