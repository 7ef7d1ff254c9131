// Convolution on the GPU through im2col + our GEMM (kernels/conv.h).
//
// For image n and group g, with CRS = (C/groups)·R·S and PQ = P·Q:
//   forward:          y_g[K/g, PQ]   = w_g[K/g, CRS] · col_g[CRS, PQ]   (+ bias)
//   backward data:    col_g[CRS, PQ] = w_gᵀ · dy_g,  then col2im into dx
//   backward weights: dw_g[K/g, CRS] += dy_g · col_gᵀ  (summed over images)
// The bias and the ReLU epilogue of the fused conv2d + relu are one pass over y.
// The groups of one image are one batched GEMM. col2im gathers (one thread per
// input element sums the column entries that read it), so there are no atomics
// and results do not depend on scheduling. bfloat16 and float16 multiply on the tensor
// cores (kernels/cuda/gemm_tc.cuh) with float32 sums; their weight gradient is summed over
// the images in a float32 buffer (after the column buffer in the workspace) and rounded
// once at the end.
#include <type_traits>

#include "kernels/conv.h"
#include "kernels/cuda/conv.cuh"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/gemm_tc.cuh"
#include "kernels/cuda/launch.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

// col[(c·R + r)·S + s][p·Q + q] = x[c, p·sh - ph + r·dh, q·sw - pw + s·dw] (0 outside)
template <typename T>
__global__ void im2col_kernel(T* __restrict__ col, const T* __restrict__ x, Conv2dShape s) {
  const int64_t PQ = s.P * s.Q, total = s.C * s.R * s.S * PQ;
  GPUNN_GRID_STRIDE(e, total) {
    const int64_t pq = e % PQ, crs = e / PQ;
    const int64_t q = pq % s.Q, p = pq / s.Q;
    const int64_t ss = crs % s.S, r = (crs / s.S) % s.R, c = crs / (s.S * s.R);
    const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h;
    const int64_t w = q * s.stride_w - s.pad_w + ss * s.dil_w;
    col[e] = (h >= 0 && h < s.H && w >= 0 && w < s.W) ? x[(c * s.H + h) * s.W + w] : T(0);
  }
}

// dx[c, h, w] = Σ col[(c·R + r)·S + s][p·Q + q] over the (r, s, p, q) whose
// window position lands on (h, w).
template <typename T>
__global__ void col2im_kernel(T* __restrict__ dx, const T* __restrict__ col, Conv2dShape s) {
  const int64_t total = s.C * s.H * s.W, PQ = s.P * s.Q;
  GPUNN_GRID_STRIDE(e, total) {
    const int64_t w = e % s.W, h = (e / s.W) % s.H, c = e / (s.W * s.H);
    compute_t<T> acc = 0;
    for (int64_t r = 0; r < s.R; ++r) {
      const int64_t hp = h + s.pad_h - r * s.dil_h;  // = p · stride_h
      if (hp < 0 || hp % s.stride_h != 0) continue;
      const int64_t p = hp / s.stride_h;
      if (p >= s.P) continue;
      for (int64_t ss = 0; ss < s.S; ++ss) {
        const int64_t wq = w + s.pad_w - ss * s.dil_w;
        if (wq < 0 || wq % s.stride_w != 0) continue;
        const int64_t q = wq / s.stride_w;
        if (q >= s.Q) continue;
        acc += static_cast<compute_t<T>>(col[((c * s.R + r) * s.S + ss) * PQ + p * s.Q + q]);
      }
    }
    dx[e] = static_cast<T>(acc);
  }
}

// y = y + b[k] (b may be null), then max(·, 0) with NaN kept when relu; one rounding.
template <typename T>
__global__ void bias_relu_kernel(T* __restrict__ y, const T* __restrict__ b, int64_t K, int64_t PQ,
                                 int64_t total, bool relu) {
  using A = compute_t<T>;
  GPUNN_GRID_STRIDE(e, total) {
    A v = static_cast<A>(y[e]);
    if (b) v += static_cast<A>(b[(e / PQ) % K]);
    if (relu && v < A(0)) v = A(0);  // NaN is not < 0: it stays
    y[e] = static_cast<T>(v);
  }
}

template <typename T>
__global__ void round_kernel(T* __restrict__ out, const float* __restrict__ in, int64_t n) {
  GPUNN_GRID_STRIDE(i, n) { out[i] = static_cast<T>(in[i]); }
}

// C = op(A)·op(B) + beta·C for one image's groups: our register-blocked kernel for float
// and double, the tensor-core kernel (float32 sums, C of type Out) for the 16-bit dtypes.
template <typename T, typename Out>
void conv_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A, int64_t lda,
               int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, double beta, Out* C,
               int64_t ldc, int64_t stride_c, int64_t batch, cudaStream_t stream) {
  if constexpr (sizeof(T) == 2) {
    gemm_tc_batched_cuda<T, Out>(trans_a, trans_b, M, N, K, 1.0f, A, lda, stride_a, B, ldb,
                                 stride_b, static_cast<float>(beta), C, ldc, stride_c, batch,
                                 stream);
  } else {
    static_assert(std::is_same_v<T, Out>);
    gemm_batched_cuda<T>(trans_a, trans_b, M, N, K, T(1), A, lda, stride_a, B, ldb, stride_b,
                         static_cast<T>(beta), C, ldc, stride_c, batch, stream);
  }
}

// db[k] = Σ_{n, pq} dy[n, k, pq]: one block per channel, double accumulation.
template <typename T>
__global__ void bias_grad_kernel(T* __restrict__ db, const T* __restrict__ dy, int64_t N, int64_t K,
                                 int64_t PQ) {
  __shared__ double partial[kThreads / 32];
  for (int64_t k = blockIdx.x; k < K; k += gridDim.x) {
    double acc = 0.0;
    for (int64_t i = threadIdx.x; i < N * PQ; i += blockDim.x) {
      const int64_t n = i / PQ, pq = i % PQ;
      acc += static_cast<double>(dy[(n * K + k) * PQ + pq]);
    }
    for (int o = 16; o > 0; o /= 2) acc += __shfl_down_sync(0xffffffffu, acc, o);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = acc;
    __syncthreads();
    if (threadIdx.x < 32) {
      acc = threadIdx.x < blockDim.x / 32 ? partial[threadIdx.x] : 0.0;
      for (int o = 16; o > 0; o /= 2) acc += __shfl_down_sync(0xffffffffu, acc, o);
      if (threadIdx.x == 0) db[k] = static_cast<T>(acc);
    }
    __syncthreads();
  }
}

struct GroupDims {
  int64_t Kg, CRS, PQ;
};
GroupDims group_dims(const Conv2dShape& s) {
  return {s.K / s.groups, (s.C / s.groups) * s.R * s.S, s.P * s.Q};
}

int64_t conv2d_col_elements(const Conv2dShape& s) { return s.C * s.R * s.S * s.P * s.Q; }

template <typename T>
void conv2d_forward_launch(T* y, const T* x, const T* w, const T* b, bool relu,
                           const Conv2dShape& s, T* col, cudaStream_t stream) {
  const GroupDims g = group_dims(s);
  const int64_t col_n = conv2d_col_elements(s);
  for (int64_t n = 0; n < s.N; ++n) {
    im2col_kernel<<<grid_for(col_n), kThreads, 0, stream>>>(col, x + n * s.C * s.H * s.W, s);
    // Per group: y_g = w_g · col_g.
    conv_gemm<T, T>(false, false, g.Kg, g.PQ, g.CRS, w, g.CRS, g.Kg * g.CRS, col, g.PQ,
                    g.CRS * g.PQ, 0.0, y + n * s.K * g.PQ, g.PQ, g.Kg * g.PQ, s.groups, stream);
  }
  if (b || relu) {
    const int64_t total = s.N * s.K * g.PQ;
    bias_relu_kernel<<<grid_for(total), kThreads, 0, stream>>>(y, b, s.K, g.PQ, total, relu);
  }
}

template <typename T>
void conv2d_backward_data_launch(T* dx, const T* dy, const T* w, const Conv2dShape& s, T* col,
                                 cudaStream_t stream) {
  const GroupDims g = group_dims(s);
  const int64_t image = s.C * s.H * s.W;
  for (int64_t n = 0; n < s.N; ++n) {
    // col_g = w_gᵀ · dy_g
    conv_gemm<T, T>(true, false, g.CRS, g.PQ, g.Kg, w, g.CRS, g.Kg * g.CRS, dy + n * s.K * g.PQ,
                    g.PQ, g.Kg * g.PQ, 0.0, col, g.PQ, g.CRS * g.PQ, s.groups, stream);
    col2im_kernel<<<grid_for(image), kThreads, 0, stream>>>(dx + n * image, col, s);
  }
}

// The 16-bit dtypes' float32 weight-gradient sums, after the column buffer.
size_t conv2d_col_bytes(const Conv2dShape& s, DType dtype) {
  return (static_cast<size_t>(conv2d_col_elements(s)) * dtype_size(dtype) + 255) / 256 * 256;
}

template <typename T>
void conv2d_backward_weight_launch(T* dw, const T* dy, const T* x, const Conv2dShape& s, T* col,
                                   cudaStream_t stream) {
  const GroupDims g = group_dims(s);
  const int64_t col_n = conv2d_col_elements(s);
  if (s.N == 0) {
    cudaMemsetAsync(dw, 0, static_cast<size_t>(s.K * g.CRS) * sizeof(T), stream);
    return;
  }
  using Acc = std::conditional_t<sizeof(T) == 2, float, T>;
  Acc* sums = reinterpret_cast<Acc*>(dw);
  if constexpr (sizeof(T) == 2)
    sums = reinterpret_cast<float*>(reinterpret_cast<char*>(col) +
                                    conv2d_col_bytes(s, dtype_of<T>::value));
  for (int64_t n = 0; n < s.N; ++n) {
    im2col_kernel<<<grid_for(col_n), kThreads, 0, stream>>>(col, x + n * s.C * s.H * s.W, s);
    // dw_g (+)= dy_g · col_gᵀ; the first image overwrites.
    conv_gemm<T, Acc>(false, true, g.Kg, g.CRS, g.PQ, dy + n * s.K * g.PQ, g.PQ, g.Kg * g.PQ, col,
                      g.PQ, g.CRS * g.PQ, n == 0 ? 0.0 : 1.0, sums, g.CRS, g.Kg * g.CRS, s.groups,
                      stream);
  }
  if constexpr (sizeof(T) == 2) {
    const int64_t total = s.K * g.CRS;
    round_kernel<<<grid_for(total), kThreads, 0, stream>>>(dw, sums, total);
  }
}

template <typename T>
void conv2d_backward_bias_launch(T* db, const T* dy, const Conv2dShape& s, cudaStream_t stream) {
  if (s.K == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(s.K, 65535));
  bias_grad_kernel<<<blocks, kThreads, 0, stream>>>(db, dy, s.N, s.K, s.P * s.Q);
}

}  // namespace

namespace {
// Variant 1: im2col and our GEMM.
template <typename T>
void conv2d_forward_im2col(const Conv2dForwardArgs& a, const Context& ctx) {
  conv2d_forward_launch(static_cast<T*>(a.y), static_cast<const T*>(a.x),
                        static_cast<const T*>(a.w), static_cast<const T*>(a.b), a.relu, a.s,
                        static_cast<T*>(ctx.workspace), ctx.stream);
}

}  // namespace

template <typename T>
void conv2d_relu_in_place_cuda(T* y, int64_t n, const Context& ctx) {
  if (n == 0) return;
  // The bias-and-ReLU pass with no bias and K = PQ = 1 (every element its own channel).
  bias_relu_kernel<T><<<grid_for(n), kThreads, 0, ctx.stream>>>(y, nullptr, 1, 1, n, true);
}

namespace {
template <typename T>
void conv2d_backward_data_im2col(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  conv2d_backward_data_launch(static_cast<T*>(a.dx), static_cast<const T*>(a.dy),
                              static_cast<const T*>(a.w), a.s, static_cast<T*>(ctx.workspace),
                              ctx.stream);
}

template <typename T>
void conv2d_backward_weight_im2col(const Conv2dBackwardWeightArgs& a, const Context& ctx) {
  conv2d_backward_weight_launch(static_cast<T*>(a.dw), static_cast<const T*>(a.dy),
                                static_cast<const T*>(a.x), a.s, static_cast<T*>(ctx.workspace),
                                ctx.stream);
  if (a.db) {
    conv2d_backward_bias_launch(static_cast<T*>(a.db), static_cast<const T*>(a.dy), a.s,
                                ctx.stream);
  }
}

}  // namespace

template <typename T>
void conv2d_backward_bias_cuda(const Conv2dBackwardBiasArgs& a, const Context& ctx) {
  conv2d_backward_bias_launch(static_cast<T*>(a.db), static_cast<const T*>(a.dy), a.s, ctx.stream);
}

namespace {
size_t conv2d_forward_im2col_workspace(const Conv2dForwardArgs& a) {
  return static_cast<size_t>(conv2d_col_elements(a.s)) * dtype_size(a.dtype);
}
size_t conv2d_backward_data_im2col_workspace(const Conv2dBackwardDataArgs& a) {
  return static_cast<size_t>(conv2d_col_elements(a.s)) * dtype_size(a.dtype);
}
size_t conv2d_backward_weight_im2col_workspace(const Conv2dBackwardWeightArgs& a) {
  if (dtype_size(a.dtype) != 2)
    return static_cast<size_t>(conv2d_col_elements(a.s)) * dtype_size(a.dtype);
  const GroupDims g = group_dims(a.s);
  return conv2d_col_bytes(a.s, a.dtype) + static_cast<size_t>(a.s.K * g.CRS) * sizeof(float);
}
}  // namespace

// ---- the numbered variants (kernels/cuda/conv.cuh) ----

template <typename T>
bool conv2d_cuda_variant_applies(int variant, const Conv2dShape& s) {
  return variant == 1 || (variant == 2 && conv2d_implicit_applies<T>(s));
}

namespace {
bool implicit(int variant, DType dtype, const Conv2dShape& s) {
  if (variant != 2) return false;
  switch (dtype) {
    case DType::Float32:
      return conv2d_implicit_applies<float>(s);
    case DType::Float64:
      return conv2d_implicit_applies<double>(s);
    default:
      return false;
  }
}
}  // namespace

// The implicit GEMM exists for float and double only.
template <typename T>
constexpr bool kHasImplicit = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <typename T>
void conv2d_forward_cuda_variant(int variant, const Conv2dForwardArgs& a, const Context& ctx) {
  if constexpr (kHasImplicit<T>) {
    if (variant == 2 && conv2d_implicit_applies<T>(a.s))
      return conv2d_forward_implicit_cuda<T>(a, ctx);
  }
  conv2d_forward_im2col<T>(a, ctx);
}
template <typename T>
void conv2d_backward_data_cuda_variant(int variant, const Conv2dBackwardDataArgs& a,
                                       const Context& ctx) {
  if constexpr (kHasImplicit<T>) {
    if (variant == 2 && conv2d_implicit_applies<T>(a.s))
      return conv2d_backward_data_implicit_cuda<T>(a, ctx);
  }
  conv2d_backward_data_im2col<T>(a, ctx);
}
template <typename T>
void conv2d_backward_weight_cuda_variant(int variant, const Conv2dBackwardWeightArgs& a,
                                         const Context& ctx) {
  if constexpr (kHasImplicit<T>) {
    if (variant == 2 && conv2d_implicit_applies<T>(a.s)) {
      conv2d_backward_weight_implicit_cuda<T>(a, ctx);
      if (a.db) {
        conv2d_backward_bias_launch(static_cast<T*>(a.db), static_cast<const T*>(a.dy), a.s,
                                    ctx.stream);
      }
      return;
    }
  }
  conv2d_backward_weight_im2col<T>(a, ctx);
}

size_t conv2d_forward_cuda_variant_workspace(int variant, const Conv2dForwardArgs& a) {
  return implicit(variant, a.dtype, a.s) ? conv2d_forward_implicit_workspace(a.s)
                                         : conv2d_forward_im2col_workspace(a);
}
size_t conv2d_backward_data_cuda_variant_workspace(int variant, const Conv2dBackwardDataArgs& a) {
  return implicit(variant, a.dtype, a.s) ? conv2d_backward_data_implicit_workspace(a.s)
                                         : conv2d_backward_data_im2col_workspace(a);
}
size_t conv2d_backward_weight_cuda_variant_workspace(int variant,
                                                     const Conv2dBackwardWeightArgs& a) {
  return implicit(variant, a.dtype, a.s)
             ? conv2d_backward_weight_implicit_workspace(a.s, dtype_size(a.dtype))
             : conv2d_backward_weight_im2col_workspace(a);
}

// ---- the rows' entries: the variant auto chose (Context::variant), else variant 1 ----

namespace {
int chosen(const Context& ctx) { return ctx.variant == 0 ? 1 : ctx.variant; }
}  // namespace

template <typename T>
void conv2d_forward_cuda(const Conv2dForwardArgs& a, const Context& ctx) {
  conv2d_forward_cuda_variant<T>(chosen(ctx), a, ctx);
}
template <typename T>
void conv2d_backward_data_cuda(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  conv2d_backward_data_cuda_variant<T>(chosen(ctx), a, ctx);
}
template <typename T>
void conv2d_backward_weight_cuda(const Conv2dBackwardWeightArgs& a, const Context& ctx) {
  conv2d_backward_weight_cuda_variant<T>(chosen(ctx), a, ctx);
}
size_t conv2d_forward_cuda_workspace(const Conv2dForwardArgs& a, const Context& ctx) {
  return conv2d_forward_cuda_variant_workspace(chosen(ctx), a);
}
size_t conv2d_backward_data_cuda_workspace(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  return conv2d_backward_data_cuda_variant_workspace(chosen(ctx), a);
}
size_t conv2d_backward_weight_cuda_workspace(const Conv2dBackwardWeightArgs& a,
                                             const Context& ctx) {
  return conv2d_backward_weight_cuda_variant_workspace(chosen(ctx), a);
}
template <typename T, typename Args>
bool conv2d_cuda_variant_usable(const Args& a, const Settings&, int variant) {
  // Both variants are deterministic (variant 2's split-K adds its partial sums in a fixed
  // order) and compute in the dtype's own precision: only the shape and dtype decide, and
  // whether the variant has been proven on a GPU (conv.cuh: kConvImplicitProven).
  if (variant == 2 && !kConvImplicitProven) return false;
  return conv2d_cuda_variant_applies<T>(variant, a.s);
}

#define GPUNN_INSTANTIATE(T)                                                                     \
  template bool conv2d_cuda_variant_applies<T>(int, const Conv2dShape&);                         \
  template void conv2d_forward_cuda_variant<T>(int, const Conv2dForwardArgs&, const Context&);   \
  template void conv2d_backward_data_cuda_variant<T>(int, const Conv2dBackwardDataArgs&,         \
                                                     const Context&);                            \
  template void conv2d_backward_weight_cuda_variant<T>(int, const Conv2dBackwardWeightArgs&,     \
                                                       const Context&);                          \
  template bool conv2d_cuda_variant_usable<T>(const Conv2dForwardArgs&, const Settings&, int);   \
  template bool conv2d_cuda_variant_usable<T>(const Conv2dBackwardDataArgs&, const Settings&,    \
                                              int);                                              \
  template bool conv2d_cuda_variant_usable<T>(const Conv2dBackwardWeightArgs&, const Settings&,  \
                                              int);                                              \
  template void conv2d_forward_cuda<T>(const Conv2dForwardArgs&, const Context&);                \
  template void conv2d_backward_data_cuda<T>(const Conv2dBackwardDataArgs&, const Context&);     \
  template void conv2d_backward_weight_cuda<T>(const Conv2dBackwardWeightArgs&, const Context&); \
  template void conv2d_backward_bias_cuda<T>(const Conv2dBackwardBiasArgs&, const Context&);     \
  template void conv2d_relu_in_place_cuda<T>(T*, int64_t, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
