// The index arithmetic of the implicit-GEMM convolutions (kernels/cuda/conv_implicit.cu),
// shared with the CPU tests that check it against direct enumeration
// (tests/ops/conv_math_test.cpp). Letters as in kernels/conv.h; Cg = C/groups,
// Kg = K/groups, RS = R·S, PQ = P·Q, HW = H·W; g is the group.
//
// Each pass is a GEMM per group, D[m, n] = Σ_t A[m, t] · B[t, n], whose operands are read
// from the tensors on the fly (no im2col buffer):
//
//   pass             m (rows of D)       n (columns)   t (summed)     A            B
//   forward          output pixel n,p,q  filter k      tap c,r,s      x gathered   w
//   backward data    input pixel n,h,w   channel c     tap k,r,s      dy gathered  w
//   backward weight  tap c,r,s           filter k      pixel n,p,q    x gathered   dy
//
// A thread loads A for one m and B for one n through the whole sum, so what depends on m
// alone (a Row) is computed once per thread; what depends on t alone (a Step) is a table the
// kernel builds first in its workspace, one entry per t, read by every thread. The kernels
// call these with g = 0 and pointers advanced to the group's first channel and filter.
// An element is then a few adds and compares: an index, or -1 for the zero padding (or, in
// backward data, for the (r, s) whose window does not reach the input pixel).
#pragma once

#include <cstdint>

#include "kernels/base/host_device.h"
#include "kernels/conv.h"

namespace gpunn::kernels::conv_math {

// ---- forward: D[n·PQ + p·Q + q, k] = Σ_{c,r,s} x[n, g·Cg + c, h, w] · w[g·Kg + k, c, r, s]
//      with h = p·stride_h - pad_h + r·dil_h, w = q·stride_w - pad_w + s·dil_w

struct FwdRow {    // output pixel m = n·PQ + p·Q + q
  int64_t x_base;  // offset of x[n, g·Cg, 0, 0]
  int64_t y_base;  // offset of y[n, 0, p, q]
  int64_t h0, w0;  // the window's top-left corner in the input (may be negative)
};
struct FwdStep {     // tap t = (c·R + r)·S + s
  int64_t x_offset;  // c·HW + (r·dil_h)·W + s·dil_w
  int64_t dh, dw;    // r·dil_h, s·dil_w
};

GPUNN_HOST_DEVICE inline FwdRow fwd_row(const Conv2dShape& s, int64_t g, int64_t m) {
  const int64_t PQ = s.P * s.Q, n = m / PQ, pq = m % PQ, p = pq / s.Q, q = pq % s.Q;
  return {((n * s.C) + g * (s.C / s.groups)) * s.H * s.W, n * s.K * PQ + pq,
          p * s.stride_h - s.pad_h, q * s.stride_w - s.pad_w};
}
GPUNN_HOST_DEVICE inline FwdStep fwd_step(const Conv2dShape& s, int64_t t) {
  const int64_t RS = s.R * s.S, c = t / RS, r = (t % RS) / s.S, ss = t % s.S;
  const int64_t dh = r * s.dil_h, dw = ss * s.dil_w;
  return {c * s.H * s.W + dh * s.W + dw, dh, dw};
}
// The x element A[m, t] reads, or -1 (padding).
GPUNN_HOST_DEVICE inline int64_t fwd_x_index(const Conv2dShape& s, const FwdRow& row,
                                             const FwdStep& step) {
  const int64_t h = row.h0 + step.dh, w = row.w0 + step.dw;
  if (h < 0 || h >= s.H || w < 0 || w >= s.W) return -1;
  return row.x_base + step.x_offset + row.h0 * s.W + row.w0;
}
// B[t, k] = w[g·Kg + k, t] (w is [K, Cg·R·S] row-major).
GPUNN_HOST_DEVICE inline int64_t fwd_w_index(const Conv2dShape& s, int64_t g, int64_t k,
                                             int64_t t) {
  return (g * (s.K / s.groups) + k) * (s.C / s.groups) * s.R * s.S + t;
}
// Where D[m, k] goes in y.
GPUNN_HOST_DEVICE inline int64_t fwd_y_index(const Conv2dShape& s, const FwdRow& row, int64_t g,
                                             int64_t k) {
  return row.y_base + (g * (s.K / s.groups) + k) * s.P * s.Q;
}

// ---- backward data: D[n·HW + h·W + w, c] = Σ_{k,r,s} dy[n, g·Kg + k, p, q] · w[g·Kg + k, c, r, s]
//      over the (k, r, s) with p·stride_h = h + pad_h - r·dil_h (and q likewise) inside dy

struct BwdDataRow {  // input pixel m = n·HW + h·W + w
  int64_t dy_base;   // offset of dy[n, g·Kg, 0, 0]
  int64_t dx_base;   // offset of dx[n, 0, h, w]
  int64_t h, w;
};
struct BwdDataStep {  // tap t = (k·R + r)·S + s
  int64_t dy_offset;  // k·PQ
  int64_t w_offset;   // k·Cg·RS + r·S + s, to which c·RS is added
  int64_t dh, dw;     // pad_h - r·dil_h, pad_w - s·dil_w: p·stride_h = h + dh
};

GPUNN_HOST_DEVICE inline BwdDataRow bwd_data_row(const Conv2dShape& s, int64_t g, int64_t m) {
  const int64_t HW = s.H * s.W, n = m / HW, hw = m % HW;
  return {(n * s.K + g * (s.K / s.groups)) * s.P * s.Q, n * s.C * HW + hw, hw / s.W, hw % s.W};
}
GPUNN_HOST_DEVICE inline BwdDataStep bwd_data_step(const Conv2dShape& s, int64_t t) {
  const int64_t RS = s.R * s.S, k = t / RS, rs = t % RS, r = rs / s.S, ss = rs % s.S;
  return {k * s.P * s.Q, k * (s.C / s.groups) * RS + rs, s.pad_h - r * s.dil_h,
          s.pad_w - ss * s.dil_w};
}
// The dy element A[m, t] reads, or -1 (no output position reads x at this tap).
GPUNN_HOST_DEVICE inline int64_t bwd_data_dy_index(const Conv2dShape& s, const BwdDataRow& row,
                                                   const BwdDataStep& step) {
  const int64_t ph = row.h + step.dh, qw = row.w + step.dw;
  if (ph < 0 || qw < 0) return -1;
  int64_t p = ph, q = qw;
  if (s.stride_h != 1) {
    if (ph % s.stride_h != 0) return -1;
    p = ph / s.stride_h;
  }
  if (s.stride_w != 1) {
    if (qw % s.stride_w != 0) return -1;
    q = qw / s.stride_w;
  }
  if (p >= s.P || q >= s.Q) return -1;
  return row.dy_base + step.dy_offset + p * s.Q + q;
}
// B[t, c] = w[g·Kg + k, c, r, s].
GPUNN_HOST_DEVICE inline int64_t bwd_data_w_index(const Conv2dShape& s, int64_t g, int64_t c,
                                                  const BwdDataStep& step) {
  const int64_t Cg = s.C / s.groups, RS = s.R * s.S;
  return g * (s.K / s.groups) * Cg * RS + step.w_offset + c * RS;
}
// Where D[m, c] goes in dx.
GPUNN_HOST_DEVICE inline int64_t bwd_data_dx_index(const Conv2dShape& s, const BwdDataRow& row,
                                                   int64_t g, int64_t c) {
  return row.dx_base + (g * (s.C / s.groups) + c) * s.H * s.W;
}

// ---- backward weight: D[(c·R + r)·S + s, k] = Σ_{n,p,q} x[n, g·Cg + c, h, w] · dy[n, g·Kg + k, p,
// q]
//      (h, w as in forward); the sum over pixels may be split into ranges (split-K)

struct BwdWeightRow {  // tap m = (c·R + r)·S + s: forward's step
  FwdStep tap;
};
struct BwdWeightStep {  // pixel t = n·PQ + p·Q + q: forward's row, for group 0
  FwdRow pixel;
};

GPUNN_HOST_DEVICE inline BwdWeightRow bwd_weight_row(const Conv2dShape& s, int64_t m) {
  return {fwd_step(s, m)};
}
GPUNN_HOST_DEVICE inline BwdWeightStep bwd_weight_step(const Conv2dShape& s, int64_t t) {
  return {fwd_row(s, 0, t)};
}
// The x element A[m, t] reads in group g, or -1 (padding).
GPUNN_HOST_DEVICE inline int64_t bwd_weight_x_index(const Conv2dShape& s, const BwdWeightRow& row,
                                                    const BwdWeightStep& step, int64_t g) {
  const int64_t i = fwd_x_index(s, step.pixel, row.tap);
  return i < 0 ? -1 : i + g * (s.C / s.groups) * s.H * s.W;
}
// B[t, k] = dy[n, g·Kg + k, p, q].
GPUNN_HOST_DEVICE inline int64_t bwd_weight_dy_index(const Conv2dShape& s,
                                                     const BwdWeightStep& step, int64_t g,
                                                     int64_t k) {
  return fwd_y_index(s, step.pixel, g, k);
}
// Where D[m, k] goes in dw.
GPUNN_HOST_DEVICE inline int64_t bwd_weight_dw_index(const Conv2dShape& s, int64_t g, int64_t m,
                                                     int64_t k) {
  return fwd_w_index(s, g, k, m);
}

// The GEMM sizes of each pass, per group.
struct GemmSize {
  int64_t M, N, T;
};
GPUNN_HOST_DEVICE inline GemmSize fwd_size(const Conv2dShape& s) {
  return {s.N * s.P * s.Q, s.K / s.groups, (s.C / s.groups) * s.R * s.S};
}
GPUNN_HOST_DEVICE inline GemmSize bwd_data_size(const Conv2dShape& s) {
  return {s.N * s.H * s.W, s.C / s.groups, (s.K / s.groups) * s.R * s.S};
}
GPUNN_HOST_DEVICE inline GemmSize bwd_weight_size(const Conv2dShape& s) {
  return {(s.C / s.groups) * s.R * s.S, s.K / s.groups, s.N * s.P * s.Q};
}

}  // namespace gpunn::kernels::conv_math
