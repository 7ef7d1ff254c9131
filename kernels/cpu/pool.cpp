// Reference 2-D pooling loops (kernels/pool.h). Window of output (p, q):
//   rows [p·stride_h - pad_h, p·stride_h - pad_h + kernel_h) clipped to the
//   input, columns likewise.
#include "kernels/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace gpunn::kernels {

namespace {

template <typename T>
void max_pool2d_forward_loops(T* y, int64_t* indices, const T* x, const Pool2dShape& s) {
  for (int64_t plane = 0; plane < s.N * s.C; ++plane) {
    const T* xp = x + plane * s.H * s.W;
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        const int64_t h0 = std::max<int64_t>(p * s.stride_h - s.pad_h, 0);
        const int64_t w0 = std::max<int64_t>(q * s.stride_w - s.pad_w, 0);
        const int64_t h1 = std::min(p * s.stride_h - s.pad_h + s.kernel_h, s.H);
        const int64_t w1 = std::min(q * s.stride_w - s.pad_w + s.kernel_w, s.W);
        using A = compute_t<T>;
        A best = -std::numeric_limits<A>::infinity();
        int64_t best_index = h0 * s.W + w0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) {
            const A v = static_cast<A>(xp[h * s.W + w]);
            if (v > best || std::isnan(v)) {
              best = v;
              best_index = h * s.W + w;
            }
          }
        const int64_t at = (plane * s.P + p) * s.Q + q;
        y[at] = static_cast<T>(best);  // exact: best is one of the inputs
        indices[at] = best_index;
      }
  }
}

// dx, one plane at a time: add_plane(plane, acc) adds the plane's gradient into acc, summed
// in compute_t<T> and stored once (with the 16-bit types, overlapping windows must not
// round after every addition).
template <typename T, typename F>
void scatter_planes(T* dx, const Pool2dShape& s, F add_plane) {
  using A = compute_t<T>;
  const int64_t hw = s.H * s.W;
  std::vector<A> acc(static_cast<size_t>(hw));
  for (int64_t plane = 0; plane < s.N * s.C; ++plane) {
    std::fill(acc.begin(), acc.end(), A(0));
    add_plane(plane, acc.data());
    for (int64_t k = 0; k < hw; ++k) dx[plane * hw + k] = static_cast<T>(acc[k]);
  }
}

template <typename T>
void max_pool2d_backward_loops(T* dx, const T* dy, const int64_t* indices, const Pool2dShape& s) {
  scatter_planes(dx, s, [&](int64_t plane, compute_t<T>* acc) {
    for (int64_t i = 0; i < s.P * s.Q; ++i)
      acc[indices[plane * s.P * s.Q + i]] += static_cast<compute_t<T>>(dy[plane * s.P * s.Q + i]);
  });
}

struct Window {
  int64_t h0, h1, w0, w1;  // clipped to the input
  int64_t divisor;
};

// The window of output (p, q) and its divisor: the window clipped to the padded
// input (count_include_pad) or to the input itself.
Window avg_window(const Pool2dShape& s, int64_t p, int64_t q) {
  int64_t h0 = p * s.stride_h - s.pad_h, w0 = q * s.stride_w - s.pad_w;
  int64_t h1 = std::min(h0 + s.kernel_h, s.H + s.pad_h);
  int64_t w1 = std::min(w0 + s.kernel_w, s.W + s.pad_w);
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, s.H);
  w1 = std::min(w1, s.W);
  return {h0, h1, w0, w1, s.count_include_pad ? padded_size : (h1 - h0) * (w1 - w0)};
}

template <typename T>
void avg_pool2d_forward_loops(T* y, const T* x, const Pool2dShape& s) {
  for (int64_t plane = 0; plane < s.N * s.C; ++plane) {
    const T* xp = x + plane * s.H * s.W;
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        const Window win = avg_window(s, p, q);
        double acc = 0.0;
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w) acc += static_cast<double>(xp[h * s.W + w]);
        y[(plane * s.P + p) * s.Q + q] = static_cast<T>(acc / static_cast<double>(win.divisor));
      }
  }
}

template <typename T>
void avg_pool2d_backward_loops(T* dx, const T* dy, const Pool2dShape& s) {
  using A = compute_t<T>;
  scatter_planes(dx, s, [&](int64_t plane, A* acc) {
    for (int64_t p = 0; p < s.P; ++p)
      for (int64_t q = 0; q < s.Q; ++q) {
        const Window win = avg_window(s, p, q);
        const A g = static_cast<A>(dy[(plane * s.P + p) * s.Q + q]) / static_cast<A>(win.divisor);
        for (int64_t h = win.h0; h < win.h1; ++h)
          for (int64_t w = win.w0; w < win.w1; ++w) acc[h * s.W + w] += g;
      }
  });
}

}  // namespace

template <typename T>
void max_pool2d_forward_cpu(const MaxPool2dArgs& a, const Context&) {
  max_pool2d_forward_loops(static_cast<T*>(a.y), a.indices, static_cast<const T*>(a.x), a.s);
}

template <typename T>
void max_pool2d_backward_cpu(const MaxPool2dBackwardArgs& a, const Context&) {
  max_pool2d_backward_loops(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), a.indices, a.s);
}

template <typename T>
void avg_pool2d_forward_cpu(const AvgPool2dArgs& a, const Context&) {
  avg_pool2d_forward_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.s);
}

template <typename T>
void avg_pool2d_backward_cpu(const AvgPool2dBackwardArgs& a, const Context&) {
  avg_pool2d_backward_loops(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), a.s);
}

bool max_pool2d_backward_has_indices(const MaxPool2dBackwardArgs& a) {
  return a.indices != nullptr;
}

#define GPUNN_INSTANTIATE(T)                                                              \
  template void max_pool2d_forward_cpu<T>(const MaxPool2dArgs&, const Context&);          \
  template void max_pool2d_backward_cpu<T>(const MaxPool2dBackwardArgs&, const Context&); \
  template void avg_pool2d_forward_cpu<T>(const AvgPool2dArgs&, const Context&);          \
  template void avg_pool2d_backward_cpu<T>(const AvgPool2dBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
