// 2-D pooling kernels over contiguous NCHW buffers: x [N, C, H, W] -> y [N, C, P, Q].
#pragma once

#include <cstdint>

namespace gpunn::kernels {

struct Pool2dShape {
  int64_t N = 0, C = 0, H = 0, W = 0;
  int64_t P = 0, Q = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  bool count_include_pad = true;  // avg only
};

// y = window maximum; indices = its position h * W + w in the plane.
template <typename T>
void max_pool2d_forward_cpu(T* y, int64_t* indices, const T* x, const Pool2dShape& s);
// dx = 0, then dx[plane, indices[...]] += dy[...]
template <typename T>
void max_pool2d_backward_cpu(T* dx, const T* dy, const int64_t* indices, const Pool2dShape& s);

// y = window sum / divisor (see gpunn/ops/pool.h)
template <typename T>
void avg_pool2d_forward_cpu(T* y, const T* x, const Pool2dShape& s);
// dx = Σ over windows holding x of dy / divisor
template <typename T>
void avg_pool2d_backward_cpu(T* dx, const T* dy, const Pool2dShape& s);

}  // namespace gpunn::kernels
