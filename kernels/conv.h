// The conv family: 2-D convolution (NCHW, cross-correlation as every framework means
// by "convolution"), letters as in gpunn/ops/conv.h:
//   x [N, C, H, W], w [K, C/groups, R, S], b [K], y [N, K, P, Q]; contiguous buffers.
//
//   forward:          y = conv(x, w) + b                         (b may be null)
//                     then y = max(y, 0) when relu (NaN stays NaN: gpunn's relu)
//   backward_data:    dx[n,c,h,w] = Σ dy[n,k,p,q] · w[k,c',r,s] over the (k,p,q,r,s)
//                     that read x[n,c,h,w]
//   backward_weight:  dw[k,c',r,s] = Σ_{n,p,q} dy[n,k,p,q] · x[n, c, p·stride_h - pad_h
//                     + r·dil_h, ...], and db[k] = Σ_{n,p,q} dy[n,k,p,q] when db is given
//   backward_bias:    db[k] = Σ_{n,p,q} dy[n,k,p,q]
// conv_transpose2d runs these passes with the roles exchanged (core/ops/conv.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct Conv2dShape {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // filters: K of C/groups x R x S
  int64_t P = 0, Q = 0;                // output height and width
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dil_h = 1, dil_w = 1;
  int64_t groups = 1;
};

// a / b rounded toward negative infinity (b > 0).
constexpr int64_t conv_floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Whether P and Q are what the usual formula gives for the input, kernel, stride,
// padding and dilation. The vendor libraries derive the output size from that formula;
// a transposed convolution whose output_padding is not smaller than its stride (allowed
// when it is smaller than the dilation) runs a convolution whose P, Q exceed it, and
// such shapes stay on our kernels.
constexpr bool conv2d_output_size_is_standard(const Conv2dShape& s) {
  return s.P == conv_floor_div(s.H + 2 * s.pad_h - s.dil_h * (s.R - 1) - 1, s.stride_h) + 1 &&
         s.Q == conv_floor_div(s.W + 2 * s.pad_w - s.dil_w * (s.S - 1) - 1, s.stride_w) + 1;
}

struct Conv2dForwardArgs {
  DType dtype;
  Conv2dShape s;
  const void* x;
  const void* w;
  const void* b;  // may be null
  void* y;
  // The ReLU epilogue (the fused conv2d + relu). Applied to the sum in the compute type
  // before the one rounding to the output dtype, which gives the same values as rounding
  // first (rounding is monotone and keeps 0 and NaN).
  bool relu = false;
};

struct Conv2dBackwardDataArgs {
  DType dtype;
  Conv2dShape s;
  const void* dy;
  const void* w;
  void* dx;
};

struct Conv2dBackwardWeightArgs {
  DType dtype;
  Conv2dShape s;
  const void* dy;
  const void* x;
  void* dw;
  void* db;  // may be null: [K], the bias gradient in the same pass
};

struct Conv2dBackwardBiasArgs {
  DType dtype;
  Conv2dShape s;  // N, K, P, Q are read
  const void* dy;
  void* db;
};

extern const OpTable<Conv2dForwardArgs> conv2d_forward;
extern const OpTable<Conv2dBackwardDataArgs> conv2d_backward_data;
extern const OpTable<Conv2dBackwardWeightArgs> conv2d_backward_weight;
extern const OpTable<Conv2dBackwardBiasArgs> conv2d_backward_bias;

// auto's key of a call (kernels/base/table.h's tuning_key): every shape field, and the
// bias and ReLU flags.
std::string conv2d_tuning_key(const Conv2dForwardArgs& a);
std::string conv2d_tuning_key(const Conv2dBackwardDataArgs& a);
std::string conv2d_tuning_key(const Conv2dBackwardWeightArgs& a);

// y = max(y, 0) over n values in place, NaN kept: the ReLU epilogue of the entries whose
// library computes the convolution and the bias (oneDNN, cuDNN). Their own ReLU epilogues
// (oneDNN's post-op, cuDNN's fused convolution-bias-activation) compute max(y, 0) in a way
// that turns NaN into 0, which would hide a diverging training from the loss and the
// gradient scaler; this pass over y keeps NaN, as our kernels' epilogues do.
void conv2d_relu_in_place_cpu(DType dtype, void* y, int64_t n);
template <typename T>  // float, double, BFloat16, Half (kernels/cuda/conv.cu)
void conv2d_relu_in_place_cuda(T* y, int64_t n, const Context& ctx);

// ---- implementations (kernels/rows.cpp) ----
// Reference loops, accumulating in double.
template <typename T>
void conv2d_forward_cpu(const Conv2dForwardArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_data_cpu(const Conv2dBackwardDataArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_weight_cpu(const Conv2dBackwardWeightArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_bias_cpu(const Conv2dBackwardBiasArgs& a, const Context& ctx);

// oneDNN, float32, shapes with the standard output size; backward_weight gives db in
// the same pass.
void conv2d_forward_onednn(const Conv2dForwardArgs& a, const Context& ctx);
bool conv2d_forward_onednn_supported(const Conv2dForwardArgs& a);
void conv2d_backward_data_onednn(const Conv2dBackwardDataArgs& a, const Context& ctx);
bool conv2d_backward_data_onednn_supported(const Conv2dBackwardDataArgs& a);
void conv2d_backward_weight_onednn(const Conv2dBackwardWeightArgs& a, const Context& ctx);
bool conv2d_backward_weight_onednn_supported(const Conv2dBackwardWeightArgs& a);
// The float32 entries above also run bfloat16 natively (oneDNN's bfloat16 primitives)
// where the CPU has bfloat16 instructions; these say whether that primitive exists for
// the args (building and caching it), for the 16-bit entries below.
bool conv2d_forward_onednn_native(const Conv2dForwardArgs& a);
bool conv2d_backward_data_onednn_native(const Conv2dBackwardDataArgs& a);
bool conv2d_backward_weight_onednn_native(const Conv2dBackwardWeightArgs& a);
// bfloat16 and float16 on the CPU (kernels/vendor/onednn_16bit.cpp): oneDNN's bfloat16
// primitive where native, otherwise widened to float32 in the workspace, oneDNN's float32
// primitive, rounded once.
template <typename T>
void conv2d_forward_onednn_16bit(const Conv2dForwardArgs& a, const Context& ctx);
bool conv2d_forward_onednn_16bit_supported(const Conv2dForwardArgs& a);
template <typename T>
size_t conv2d_forward_onednn_16bit_workspace(const Conv2dForwardArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_data_onednn_16bit(const Conv2dBackwardDataArgs& a, const Context& ctx);
bool conv2d_backward_data_onednn_16bit_supported(const Conv2dBackwardDataArgs& a);
template <typename T>
size_t conv2d_backward_data_onednn_16bit_workspace(const Conv2dBackwardDataArgs& a,
                                                   const Context& ctx);
template <typename T>
void conv2d_backward_weight_onednn_16bit(const Conv2dBackwardWeightArgs& a, const Context& ctx);
bool conv2d_backward_weight_onednn_16bit_supported(const Conv2dBackwardWeightArgs& a);
template <typename T>
size_t conv2d_backward_weight_onednn_16bit_workspace(const Conv2dBackwardWeightArgs& a,
                                                     const Context& ctx);

// Ours (kernels/cuda/conv.cuh numbers the kernels): the variant auto chose
// (Context::variant), else variant 1 (per image, im2col gathers the input patches into the
// workspace ([C·R·S, P·Q]), our GEMM multiplies by the filters per group, col2im scatters
// patch gradients back); the workspace is the chosen variant's.
template <typename T>
void conv2d_forward_cuda(const Conv2dForwardArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_data_cuda(const Conv2dBackwardDataArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_weight_cuda(const Conv2dBackwardWeightArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_bias_cuda(const Conv2dBackwardBiasArgs& a, const Context& ctx);
// Whether numbered kernel `variant` computes these args (auto's candidates).
template <typename T, typename Args>
bool conv2d_cuda_variant_usable(const Args& a, const Settings& settings, int variant);
size_t conv2d_forward_cuda_workspace(const Conv2dForwardArgs& a, const Context& ctx);
size_t conv2d_backward_data_cuda_workspace(const Conv2dBackwardDataArgs& a, const Context& ctx);
size_t conv2d_backward_weight_cuda_workspace(const Conv2dBackwardWeightArgs& a, const Context& ctx);

// cuDNN (kernels/vendor/cudnn_conv.cpp): descriptors and the algorithm of each pass are
// chosen once per (device, shape, dtype, settings) and cached; the choice sets the
// workspace. Shapes with the standard output size and 32-bit sides.
void conv2d_forward_cudnn(const Conv2dForwardArgs& a, const Context& ctx);
bool conv2d_forward_cudnn_supported(const Conv2dForwardArgs& a);
size_t conv2d_forward_cudnn_workspace(const Conv2dForwardArgs& a, const Context& ctx);
void conv2d_backward_data_cudnn(const Conv2dBackwardDataArgs& a, const Context& ctx);
bool conv2d_backward_data_cudnn_supported(const Conv2dBackwardDataArgs& a);
size_t conv2d_backward_data_cudnn_workspace(const Conv2dBackwardDataArgs& a, const Context& ctx);
void conv2d_backward_weight_cudnn(const Conv2dBackwardWeightArgs& a, const Context& ctx);
bool conv2d_backward_weight_cudnn_supported(const Conv2dBackwardWeightArgs& a);
size_t conv2d_backward_weight_cudnn_workspace(const Conv2dBackwardWeightArgs& a,
                                              const Context& ctx);

}  // namespace gpunn::kernels
