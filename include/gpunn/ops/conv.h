// 2-D convolution (cross-correlation, as in every deep-learning framework).
//
// Shape letters, used the same way in the kernels:
//   input  x [N, C, H, W]      weight w [K, C/groups, R, S]      bias b [K]
//   output y [N, K, P, Q]      P = (H + 2 pad_h - dil_h (R - 1) - 1) / stride_h + 1
//                              Q likewise with W, S and the _w settings
//   y[n,k,p,q] = b[k] + Σ_{c in k's group, r, s}
//                w[k,c,r,s] · x[n, c, p·stride_h - pad_h + r·dil_h, q·stride_w - pad_w + s·dil_w]
// (positions outside the input read as zero). A 3-D input [C, H, W] is one image.
#pragma once

#include <gpunn/tensor.h>

namespace gpunn {

// A pair (height, width); one number sets both.
struct Int2 {
  int64_t h = 0;
  int64_t w = 0;
  Int2() = default;
  Int2(int64_t v) : h(v), w(v) {}  // NOLINT(google-explicit-constructor)
  Int2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};

struct Conv2dOptions {
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 dilation = 1;
  int64_t groups = 1;
};

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
              const Conv2dOptions& options = {});

}  // namespace gpunn
