// 2-D convolution (cross-correlation, as in every deep-learning framework).
//
// Shape letters, used the same way in the kernels:
//   input  x [N, C, H, W]      weight w [K, C/groups, R, S]      bias b [K]
//   output y [N, K, P, Q]      P = (H + 2 pad_h - dil_h (R - 1) - 1) / stride_h + 1
//                              Q likewise with W, S and the _w settings
//   y[n,k,p,q] = b[k] + Σ_{c in k's group, r, s}
//                w[k,c,r,s] · x[n, c, p·stride_h - pad_h + r·dil_h, q·stride_w - pad_w + s·dil_w]
// (positions outside the input read as zero). A 3-D input [C, H, W] is one image.
//
// 2-D transposed convolution (the adjoint of conv2d in its input; also called
// fractionally strided convolution or "deconvolution"):
//   input  x [N, Cin, H, W]    weight w [Cin, Cout/groups, kH, kW]    bias b [Cout]
//   output y [N, Cout, Hout, Wout]
//   Hout = (H - 1) stride_h - 2 pad_h + dil_h (kH - 1) + output_padding_h + 1, Wout likewise
//   y[n,o,i,j] = b[o] + Σ_{c in o's group, h, w, r, s with i = h·stride_h - pad_h + r·dil_h,
//                                                         j = w·stride_w - pad_w + s·dil_w}
//                x[n,c,h,w] · w[c, o mod (Cout/groups), r, s]
// Each input pixel scatters its kernel-weighted copy into the output; conv2d with
// the same weight, stride, padding and dilation maps [Hout, Wout] back to
// [H, W], and conv_transpose2d's gradient in x is exactly that conv2d.
// output_padding (added on the bottom and right only) picks among the output
// sizes that stride > 1 maps to the same H; it must be smaller than the stride
// or the dilation.
#pragma once

#include <gpunn/export.h>
#include <gpunn/ops/fused.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// A pair (height, width); one number sets both.
struct Int2 {
  int64_t h = 0;
  int64_t w = 0;
  Int2() = default;
  Int2(int64_t v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor)
  Int2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};

// The functional ops' options (PyTorch's C++ API names them *FuncOptions too); the
// modules' are nn::Conv2dOptions and nn::ConvTranspose2dOptions (gpunn/nn/layers.h),
// which add the channel counts and the kernel size.
// An activation fused into the convolution's epilogue (gpunn/ops/fused.h).
using ConvActivation = FusedActivation;

struct Conv2dFuncOptions {
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 dilation = 1;
  int64_t groups = 1;
  ConvActivation activation = ConvActivation::None;
};

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dFuncOptions& options = {});

struct ConvTranspose2dFuncOptions {
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 output_padding = 0;
  int64_t groups = 1;
  Int2 dilation = 1;
};

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        const ConvTranspose2dFuncOptions& options = {});

}  // namespace gpunn

GPUNN_API_END
