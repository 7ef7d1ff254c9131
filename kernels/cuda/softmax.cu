// CUDA softmax (kernels/softmax.h).
//
// Rows with inner == 1 (the [N, C] case of classifiers): one warp per row, the
// maximum and the sum reduced with cub::WarpReduce (the hand-written butterfly it
// replaced: kernels/cuda/variants.h), three passes over the row in registers/L1. Otherwise (softmax
// over channels of [N, C, H, W]): one thread per (outer, inner) position walks the C values, which
// are inner apart, so neighbouring threads read neighbouring addresses. Arithmetic in
// compute_t<T> (float for the 16-bit dtypes, T otherwise), as the row is short; the maximum is
// subtracted before exponentiating.
#include <cfloat>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/cuda/variants.h"
#include "kernels/softmax.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::MaxOp;
using cuda_detail::Reducer;
using cuda_detail::SumOp;

constexpr int kWarpsPerBlock = 8;

template <Reducer R, typename T>
__device__ __forceinline__ T warp_max(T v) {
  return cuda_detail::warp_all_reduce<R, kWarpsPerBlock>(v, MaxOp{});
}
template <Reducer R, typename T>
__device__ __forceinline__ T warp_sum(T v) {
  return cuda_detail::warp_all_reduce<R, kWarpsPerBlock>(v, SumOp{});
}

template <Reducer R, typename T>
__global__ void softmax_rows_forward(T* __restrict__ y, const T* __restrict__ x, int64_t rows,
                                     int64_t C, bool log) {
  using A = compute_t<T>;
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; r < rows;
       r += int64_t{gridDim.x} * kWarpsPerBlock) {
    const T* xr = x + r * C;
    T* yr = y + r * C;
    A m = -INFINITY;
    for (int64_t c = lane; c < C; c += 32) m = fmax(m, static_cast<A>(xr[c]));
    m = warp_max<R>(m);
    A sum = 0;
    for (int64_t c = lane; c < C; c += 32) sum += exp(static_cast<A>(xr[c]) - m);
    sum = warp_sum<R>(sum);
    const A log_sum = ::log(sum);
    for (int64_t c = lane; c < C; c += 32) {
      const A z = static_cast<A>(xr[c]) - m;
      yr[c] = static_cast<T>(log ? z - log_sum : exp(z) / sum);
    }
  }
}

template <Reducer R, typename T>
__global__ void softmax_rows_backward(T* __restrict__ dx, const T* __restrict__ dy,
                                      const T* __restrict__ y, int64_t rows, int64_t C, bool log) {
  using A = compute_t<T>;
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32; r < rows;
       r += int64_t{gridDim.x} * kWarpsPerBlock) {
    const int64_t base = r * C;
    A dot = 0;  // Σ dy·y (softmax) or Σ dy (log_softmax)
    for (int64_t c = lane; c < C; c += 32) {
      const A g = static_cast<A>(dy[base + c]);
      dot += log ? g : g * static_cast<A>(y[base + c]);
    }
    dot = warp_sum<R>(dot);
    for (int64_t c = lane; c < C; c += 32) {
      const A g = static_cast<A>(dy[base + c]), v = static_cast<A>(y[base + c]);
      dx[base + c] = static_cast<T>(log ? g - exp(v) * dot : v * (g - dot));
    }
  }
}

template <typename T>
__global__ void softmax_strided_forward(T* y, const T* x, int64_t outer, int64_t C, int64_t inner,
                                        bool log) {
  using A = compute_t<T>;
  for (int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; p < outer * inner;
       p += int64_t{gridDim.x} * blockDim.x) {
    const int64_t base = (p / inner) * C * inner + p % inner;
    A m = -INFINITY;
    for (int64_t c = 0; c < C; ++c) m = fmax(m, static_cast<A>(x[base + c * inner]));
    A sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += exp(static_cast<A>(x[base + c * inner]) - m);
    const A log_sum = ::log(sum);
    for (int64_t c = 0; c < C; ++c) {
      const A z = static_cast<A>(x[base + c * inner]) - m;
      y[base + c * inner] = static_cast<T>(log ? z - log_sum : exp(z) / sum);
    }
  }
}

template <typename T>
__global__ void softmax_strided_backward(T* dx, const T* dy, const T* y, int64_t outer, int64_t C,
                                         int64_t inner, bool log) {
  using A = compute_t<T>;
  for (int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; p < outer * inner;
       p += int64_t{gridDim.x} * blockDim.x) {
    const int64_t base = (p / inner) * C * inner + p % inner;
    A dot = 0;
    for (int64_t c = 0; c < C; ++c) {
      const A g = static_cast<A>(dy[base + c * inner]);
      dot += log ? g : g * static_cast<A>(y[base + c * inner]);
    }
    for (int64_t c = 0; c < C; ++c) {
      const A g = static_cast<A>(dy[base + c * inner]), v = static_cast<A>(y[base + c * inner]);
      dx[base + c * inner] = static_cast<T>(log ? g - exp(v) * dot : v * (g - dot));
    }
  }
}

unsigned row_blocks(int64_t rows) {
  return static_cast<unsigned>(std::max<int64_t>(
      1, std::min<int64_t>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock, 65535 * 16)));
}

template <Reducer R, typename T>
void softmax_forward_impl(const SoftmaxArgs& a, const Context& ctx) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  const int64_t outer = a.outer, C = a.C, inner = a.inner;
  cudaStream_t stream = ctx.stream;
  if (outer * C * inner == 0) return;
  if (inner == 1) {
    softmax_rows_forward<R>
        <<<row_blocks(outer), 32 * kWarpsPerBlock, 0, stream>>>(y, x, outer, C, a.log);
  } else {
    const int64_t n = outer * inner;
    softmax_strided_forward<<<cuda_detail::grid_for(n), cuda_detail::kThreads, 0, stream>>>(
        y, x, outer, C, inner, a.log);
  }
}

template <Reducer R, typename T>
void softmax_backward_impl(const SoftmaxBackwardArgs& a, const Context& ctx) {
  const T* dy = static_cast<const T*>(a.dy);
  const T* y = static_cast<const T*>(a.y);
  T* dx = static_cast<T*>(a.dx);
  const int64_t outer = a.outer, C = a.C, inner = a.inner;
  cudaStream_t stream = ctx.stream;
  if (outer * C * inner == 0) return;
  if (inner == 1) {
    softmax_rows_backward<R>
        <<<row_blocks(outer), 32 * kWarpsPerBlock, 0, stream>>>(dx, dy, y, outer, C, a.log);
  } else {
    const int64_t n = outer * inner;
    softmax_strided_backward<<<cuda_detail::grid_for(n), cuda_detail::kThreads, 0, stream>>>(
        dx, dy, y, outer, C, inner, a.log);
  }
}

}  // namespace

template <typename T>
void softmax_forward_cuda(const SoftmaxArgs& a, const Context& ctx) {
  softmax_forward_impl<Reducer::kCub, T>(a, ctx);
}
template <typename T>
void softmax_backward_cuda(const SoftmaxBackwardArgs& a, const Context& ctx) {
  softmax_backward_impl<Reducer::kCub, T>(a, ctx);
}
template <typename T>
void handwritten::softmax_forward_cuda(const SoftmaxArgs& a, const Context& ctx) {
  softmax_forward_impl<Reducer::kHandwritten, T>(a, ctx);
}
template <typename T>
void handwritten::softmax_backward_cuda(const SoftmaxBackwardArgs& a, const Context& ctx) {
  softmax_backward_impl<Reducer::kHandwritten, T>(a, ctx);
}

#define GPUNN_INSTANTIATE(T)                                                              \
  template void softmax_forward_cuda<T>(const SoftmaxArgs&, const Context&);              \
  template void softmax_backward_cuda<T>(const SoftmaxBackwardArgs&, const Context&);     \
  template void handwritten::softmax_forward_cuda<T>(const SoftmaxArgs&, const Context&); \
  template void handwritten::softmax_backward_cuda<T>(const SoftmaxBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
