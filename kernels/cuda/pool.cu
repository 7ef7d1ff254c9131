// CUDA pooling (kernels/pool.h). Forward: one thread per output. Backward:
// one thread per input element gathers from the outputs whose windows hold it
// (max: where the saved index points at it), so there are no atomics and the
// sums do not depend on scheduling. Windows and divisors as in kernels/cpu/pool.cpp.
#include "kernels/cuda/launch.cuh"
#include "kernels/pool.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

__device__ __forceinline__ int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
__device__ __forceinline__ int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// Outputs along one axis whose window [o·stride - pad, o·stride - pad + k) holds i.
__device__ __forceinline__ void covering(int64_t i, int64_t stride, int64_t pad, int64_t k,
                                         int64_t out, int64_t* first, int64_t* last) {
  const int64_t hi = (i + pad) / stride;  // o·stride - pad <= i
  const int64_t num = i + pad - k + 1;    // o·stride - pad + k > i
  const int64_t lo = num <= 0 ? 0 : (num + stride - 1) / stride;
  *first = lo;
  *last = imin(hi, out - 1);
}

template <typename T>
__global__ void max_forward_kernel(T* y, int64_t* indices, const T* __restrict__ x, Pool2dShape s) {
  GPUNN_GRID_STRIDE(o, s.N * s.C * s.P * s.Q) {
    const int64_t q = o % s.Q, p = (o / s.Q) % s.P, plane = o / (s.P * s.Q);
    const T* xp = x + plane * s.H * s.W;
    const int64_t h0 = imax(p * s.stride_h - s.pad_h, 0), w0 = imax(q * s.stride_w - s.pad_w, 0);
    const int64_t h1 = imin(p * s.stride_h - s.pad_h + s.kernel_h, s.H);
    const int64_t w1 = imin(q * s.stride_w - s.pad_w + s.kernel_w, s.W);
    using A = compute_t<T>;
    A best = -INFINITY;
    int64_t best_index = h0 * s.W + w0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const A v = static_cast<A>(xp[h * s.W + w]);
        if (v > best || v != v) {  // NaN wins, as on the CPU
          best = v;
          best_index = h * s.W + w;
        }
      }
    y[o] = static_cast<T>(best);  // exact: one of the inputs
    indices[o] = best_index;
  }
}

template <typename T>
__global__ void max_backward_kernel(T* dx, const T* __restrict__ dy,
                                    const int64_t* __restrict__ indices, Pool2dShape s) {
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.H * s.W) {
    const int64_t w = e % s.W, h = (e / s.W) % s.H, plane = e / (s.W * s.H);
    int64_t p0, p1, q0, q1;
    covering(h, s.stride_h, s.pad_h, s.kernel_h, s.P, &p0, &p1);
    covering(w, s.stride_w, s.pad_w, s.kernel_w, s.Q, &q0, &q1);
    const int64_t me = h * s.W + w;
    compute_t<T> acc = 0;  // summed in float for the 16-bit dtypes, stored once
    for (int64_t p = p0; p <= p1; ++p)
      for (int64_t q = q0; q <= q1; ++q) {
        const int64_t o = (plane * s.P + p) * s.Q + q;
        if (indices[o] == me) acc += static_cast<compute_t<T>>(dy[o]);
      }
    dx[e] = static_cast<T>(acc);
  }
}

// Divisor of output (p, q): the window clipped to the padded input
// (count_include_pad) or to the input.
__device__ __forceinline__ int64_t avg_divisor(const Pool2dShape& s, int64_t p, int64_t q) {
  int64_t h0 = p * s.stride_h - s.pad_h, w0 = q * s.stride_w - s.pad_w;
  int64_t h1 = imin(h0 + s.kernel_h, s.H + s.pad_h), w1 = imin(w0 + s.kernel_w, s.W + s.pad_w);
  if (s.count_include_pad) return (h1 - h0) * (w1 - w0);
  h0 = imax(h0, 0);
  w0 = imax(w0, 0);
  h1 = imin(h1, s.H);
  w1 = imin(w1, s.W);
  return (h1 - h0) * (w1 - w0);
}

template <typename T>
__global__ void avg_forward_kernel(T* y, const T* __restrict__ x, Pool2dShape s) {
  GPUNN_GRID_STRIDE(o, s.N * s.C * s.P * s.Q) {
    const int64_t q = o % s.Q, p = (o / s.Q) % s.P, plane = o / (s.P * s.Q);
    const T* xp = x + plane * s.H * s.W;
    const int64_t h0 = imax(p * s.stride_h - s.pad_h, 0), w0 = imax(q * s.stride_w - s.pad_w, 0);
    const int64_t h1 = imin(imin(p * s.stride_h - s.pad_h + s.kernel_h, s.H + s.pad_h), s.H);
    const int64_t w1 = imin(imin(q * s.stride_w - s.pad_w + s.kernel_w, s.W + s.pad_w), s.W);
    double acc = 0.0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) acc += static_cast<double>(xp[h * s.W + w]);
    y[o] = static_cast<T>(acc / static_cast<double>(avg_divisor(s, p, q)));
  }
}

template <typename T>
__global__ void avg_backward_kernel(T* dx, const T* __restrict__ dy, Pool2dShape s) {
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.H * s.W) {
    const int64_t w = e % s.W, h = (e / s.W) % s.H, plane = e / (s.W * s.H);
    int64_t p0, p1, q0, q1;
    covering(h, s.stride_h, s.pad_h, s.kernel_h, s.P, &p0, &p1);
    covering(w, s.stride_w, s.pad_w, s.kernel_w, s.Q, &q0, &q1);
    using A = compute_t<T>;
    A acc = A(0);
    for (int64_t p = p0; p <= p1; ++p)
      for (int64_t q = q0; q <= q1; ++q)
        acc +=
            static_cast<A>(dy[(plane * s.P + p) * s.Q + q]) / static_cast<A>(avg_divisor(s, p, q));
    dx[e] = static_cast<T>(acc);
  }
}

template <typename T>
void max_pool2d_forward_launch(T* y, int64_t* indices, const T* x, const Pool2dShape& s,
                               cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.P * s.Q;
  if (n > 0) max_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, indices, x, s);
}
template <typename T>
void max_pool2d_backward_launch(T* dx, const T* dy, const int64_t* indices, const Pool2dShape& s,
                                cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.H * s.W;
  if (n > 0) max_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(dx, dy, indices, s);
}
template <typename T>
void avg_pool2d_forward_launch(T* y, const T* x, const Pool2dShape& s, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.P * s.Q;
  if (n > 0) avg_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, x, s);
}
template <typename T>
void avg_pool2d_backward_launch(T* dx, const T* dy, const Pool2dShape& s, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.H * s.W;
  if (n > 0) avg_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(dx, dy, s);
}

}  // namespace

template <typename T>
void max_pool2d_forward_cuda(const MaxPool2dArgs& a, const Context& ctx) {
  max_pool2d_forward_launch(static_cast<T*>(a.y), a.indices, static_cast<const T*>(a.x), a.s,
                            ctx.stream);
}

template <typename T>
void max_pool2d_backward_cuda(const MaxPool2dBackwardArgs& a, const Context& ctx) {
  max_pool2d_backward_launch(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), a.indices, a.s,
                             ctx.stream);
}

template <typename T>
void avg_pool2d_forward_cuda(const AvgPool2dArgs& a, const Context& ctx) {
  avg_pool2d_forward_launch(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.s, ctx.stream);
}

template <typename T>
void avg_pool2d_backward_cuda(const AvgPool2dBackwardArgs& a, const Context& ctx) {
  avg_pool2d_backward_launch(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), a.s, ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                                               \
  template void max_pool2d_forward_cuda<T>(const MaxPool2dArgs&, const Context&);          \
  template void max_pool2d_backward_cuda<T>(const MaxPool2dBackwardArgs&, const Context&); \
  template void avg_pool2d_forward_cuda<T>(const AvgPool2dArgs&, const Context&);          \
  template void avg_pool2d_backward_cuda<T>(const AvgPool2dBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
