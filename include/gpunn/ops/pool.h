// 2-D max and average pooling over NCHW (or CHW) tensors.
//
// With kernel (kh, kw), stride (sh, sw) and padding (ph, pw) on an H x W plane the
// output is P x Q with P = (H + 2ph - kh) / sh + 1 (rounded up instead of down
// with ceil_mode, where the last window must still start inside the input or the
// left padding), Q likewise. Padding must be at most half the kernel.
#pragma once

#include <gpunn/export.h>
#include <gpunn/ops/conv.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

struct Pool2dOptions {
  Int2 kernel_size = 0;  // required: at least 1 (0 is refused by name)
  Int2 stride = 0;       // 0: equal to kernel_size
  Int2 padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg_pool2d: padding counts in the divisor
};

// y = max over the window (padding never wins); ties pick the first position in
// row-major window order; NaN wins. dx: dy goes to the chosen position.
Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options);

struct MaxPool2dResult {
  Tensor values;
  Tensor indices;  // int64 index of the chosen element in its H x W plane
};
MaxPool2dResult max_pool2d_with_indices(const Tensor& x, const Pool2dOptions& options);

// y = Σ window / divisor, divisor = the window's size clipped to the padded input
// (count_include_pad) or to the input itself. dx spreads dy / divisor back.
Tensor avg_pool2d(const Tensor& x, const Pool2dOptions& options);

}  // namespace gpunn

GPUNN_API_END
