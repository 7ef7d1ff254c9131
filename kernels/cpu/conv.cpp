// Reference 2-D convolution loops (kernels/conv.h). Every output of every pass
// is one gather-sum accumulated in double, so the loops are deterministic and
// the indexing reads straight off the formula:
//   h = p·stride_h - pad_h + r·dil_h,   w = q·stride_w - pad_w + s·dil_w
// Input channel c belongs to group g = c / (C/groups), whose filters are
// k in [g·K/groups, (g+1)·K/groups).
#include "kernels/conv.h"

#include <gpunn/error.h>
#include <gpunn/half.h>

#include <type_traits>

namespace gpunn::kernels {
namespace {

template <typename T>
void conv2d_forward_loops(T* y, const T* x, const T* w, const T* b, const Conv2dShape& s,
                          bool relu) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t k = 0; k < s.K; ++k) {
      const int64_t g = k / Kg;
      for (int64_t p = 0; p < s.P; ++p)
        for (int64_t q = 0; q < s.Q; ++q) {
          double acc = b ? static_cast<double>(b[k]) : 0.0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t r = 0; r < s.R; ++r) {
              const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h;
              if (h < 0 || h >= s.H) continue;
              for (int64_t t = 0; t < s.S; ++t) {
                const int64_t wi = q * s.stride_w - s.pad_w + t * s.dil_w;
                if (wi < 0 || wi >= s.W) continue;
                const T xv = x[((n * s.C + g * Cg + c) * s.H + h) * s.W + wi];
                const T wv = w[((k * Cg + c) * s.R + r) * s.S + t];
                acc += static_cast<double>(xv) * static_cast<double>(wv);
              }
            }
          if (relu && acc < 0.0) acc = 0.0;  // NaN is not < 0: it stays
          y[((n * s.K + k) * s.P + p) * s.Q + q] = static_cast<T>(acc);
        }
    }
}

// A select, not a branch, so that the loop vectorizes (random signs defeat a branch
// predictor). NaN is not < 0: it stays.
template <typename T>
void relu_in_place(T* y, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    for (int64_t i = 0; i < n; ++i) y[i] = y[i] < T(0) ? T(0) : y[i];
  } else {
    using A = compute_t<T>;
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<A>(y[i]) < A(0) ? T(0) : y[i];
  }
}

template <typename T>
void conv2d_backward_data_loops(T* dx, const T* dy, const T* w, const Conv2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t c = 0; c < s.C; ++c) {
      const int64_t g = c / Cg, cg = c % Cg;
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t wi = 0; wi < s.W; ++wi) {
          double acc = 0.0;
          for (int64_t r = 0; r < s.R; ++r) {
            // x row h is read by output row p when p·stride_h = h + pad_h - r·dil_h.
            const int64_t ph = h + s.pad_h - r * s.dil_h;
            if (ph < 0 || ph % s.stride_h != 0) continue;
            const int64_t p = ph / s.stride_h;
            if (p >= s.P) continue;
            for (int64_t t = 0; t < s.S; ++t) {
              const int64_t qw = wi + s.pad_w - t * s.dil_w;
              if (qw < 0 || qw % s.stride_w != 0) continue;
              const int64_t q = qw / s.stride_w;
              if (q >= s.Q) continue;
              for (int64_t k = g * Kg; k < (g + 1) * Kg; ++k) {
                const T dyv = dy[((n * s.K + k) * s.P + p) * s.Q + q];
                const T wv = w[((k * Cg + cg) * s.R + r) * s.S + t];
                acc += static_cast<double>(dyv) * static_cast<double>(wv);
              }
            }
          }
          dx[((n * s.C + c) * s.H + h) * s.W + wi] = static_cast<T>(acc);
        }
    }
}

template <typename T>
void conv2d_backward_weight_loops(T* dw, const T* dy, const T* x, const Conv2dShape& s) {
  const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
  for (int64_t k = 0; k < s.K; ++k) {
    const int64_t g = k / Kg;
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t r = 0; r < s.R; ++r)
        for (int64_t t = 0; t < s.S; ++t) {
          double acc = 0.0;
          for (int64_t n = 0; n < s.N; ++n)
            for (int64_t p = 0; p < s.P; ++p) {
              const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h;
              if (h < 0 || h >= s.H) continue;
              for (int64_t q = 0; q < s.Q; ++q) {
                const int64_t wi = q * s.stride_w - s.pad_w + t * s.dil_w;
                if (wi < 0 || wi >= s.W) continue;
                const T dyv = dy[((n * s.K + k) * s.P + p) * s.Q + q];
                const T xv = x[((n * s.C + g * Cg + c) * s.H + h) * s.W + wi];
                acc += static_cast<double>(dyv) * static_cast<double>(xv);
              }
            }
          dw[((k * Cg + c) * s.R + r) * s.S + t] = static_cast<T>(acc);
        }
  }
}

template <typename T>
void conv2d_backward_bias_loops(T* db, const T* dy, const Conv2dShape& s) {
  for (int64_t k = 0; k < s.K; ++k) {
    double acc = 0.0;
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t i = 0; i < s.P * s.Q; ++i)
        acc += static_cast<double>(dy[(n * s.K + k) * s.P * s.Q + i]);
    db[k] = static_cast<T>(acc);
  }
}

}  // namespace

template <typename T>
void conv2d_forward_cpu(const Conv2dForwardArgs& a, const Context&) {
  conv2d_forward_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x), static_cast<const T*>(a.w),
                       static_cast<const T*>(a.b), a.s, a.relu);
}

template <typename T>
void conv2d_backward_data_cpu(const Conv2dBackwardDataArgs& a, const Context&) {
  conv2d_backward_data_loops(static_cast<T*>(a.dx), static_cast<const T*>(a.dy),
                             static_cast<const T*>(a.w), a.s);
}

template <typename T>
void conv2d_backward_weight_cpu(const Conv2dBackwardWeightArgs& a, const Context&) {
  conv2d_backward_weight_loops(static_cast<T*>(a.dw), static_cast<const T*>(a.dy),
                               static_cast<const T*>(a.x), a.s);
  if (a.db) conv2d_backward_bias_loops(static_cast<T*>(a.db), static_cast<const T*>(a.dy), a.s);
}

template <typename T>
void conv2d_backward_bias_cpu(const Conv2dBackwardBiasArgs& a, const Context&) {
  conv2d_backward_bias_loops(static_cast<T*>(a.db), static_cast<const T*>(a.dy), a.s);
}

void conv2d_relu_in_place_cpu(DType dtype, void* y, int64_t n) {
  switch (dtype) {
    case DType::Float32:
      return relu_in_place(static_cast<float*>(y), n);
    case DType::Float64:
      return relu_in_place(static_cast<double*>(y), n);
    case DType::BFloat16:
      return relu_in_place(static_cast<BFloat16*>(y), n);
    case DType::Float16:
      return relu_in_place(static_cast<Half*>(y), n);
    case DType::Int64:
      break;
  }
  GPUNN_ASSERT(false, "conv2d: no ReLU epilogue for ", dtype_name(dtype));
}

#define GPUNN_INSTANTIATE(T)                                                                    \
  template void conv2d_forward_cpu<T>(const Conv2dForwardArgs&, const Context&);                \
  template void conv2d_backward_data_cpu<T>(const Conv2dBackwardDataArgs&, const Context&);     \
  template void conv2d_backward_weight_cpu<T>(const Conv2dBackwardWeightArgs&, const Context&); \
  template void conv2d_backward_bias_cpu<T>(const Conv2dBackwardBiasArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
