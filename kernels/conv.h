// 2-D convolution kernels (NCHW), letters as in gpunn/ops/conv.h:
//   x [N, C, H, W], w [K, C/groups, R, S], b [K], y [N, K, P, Q].
// All buffers are contiguous.
#pragma once

#include <cstdint>

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

// y = conv(x, w) + b  (b may be null)
template <typename T>
void conv2d_forward_cpu(T* y, const T* x, const T* w, const T* b, const Conv2dShape& s);

// dx[n,c,h,w] = Σ dy[n,k,p,q] · w[k,c',r,s] over the (k, p, q, r, s) that read x[n,c,h,w]
template <typename T>
void conv2d_backward_data_cpu(T* dx, const T* dy, const T* w, const Conv2dShape& s);

// dw[k,c',r,s] = Σ_{n,p,q} dy[n,k,p,q] · x[n, c, p·stride_h - pad_h + r·dil_h, ...]
template <typename T>
void conv2d_backward_weight_cpu(T* dw, const T* dy, const T* x, const Conv2dShape& s);

// db[k] = Σ_{n,p,q} dy[n,k,p,q]
template <typename T>
void conv2d_backward_bias_cpu(T* db, const T* dy, const Conv2dShape& s);

}  // namespace gpunn::kernels
