// CUDA reductions (kernels/reduce.h).
//
// sum_rows: one block per row (grid-strided over rows); the block's threads stride
// over the row, accumulate in double, then cub::BlockReduce combines them (the
// hand-written shuffles it replaced: kernels/cuda/variants.h). max_dim: one thread per
// (outer, inner) position walks the reduced dim, keeping the first maximum (NaN wins),
// as the CPU does. nonfinite and abs_pow_sum: cub::DeviceReduce::TransformReduce, a
// fixed two-pass tree with no atomics, so the results repeat bit for bit on a device.
#include <cub/device/device_reduce.cuh>

#include <cmath>

#include "kernels/base/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/cuda/variants.h"
#include "kernels/reduce.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::Reducer;

constexpr int kReduceThreads = 256;

template <Reducer R, typename T>
__global__ void sum_rows_kernel(T* __restrict__ out, const T* __restrict__ x, int64_t rows,
                                int64_t cols, double scale) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * cols;
    double acc = 0.0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) acc += static_cast<double>(row[c]);
    acc = cuda_detail::block_sum<R, kReduceThreads>(acc);
    if (threadIdx.x == 0) out[r] = static_cast<T>(acc * scale);
  }
}

template <typename T>
__global__ void max_dim_kernel(T* values, int64_t* indices, const T* __restrict__ x, int64_t outer,
                               int64_t size, int64_t inner) {
  const int64_t total = outer * inner;
  for (int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; p < total;
       p += int64_t{gridDim.x} * blockDim.x) {
    const int64_t o = p / inner, i = p % inner;
    const T* base = x + o * size * inner + i;
    using A = compute_t<T>;
    A best = static_cast<A>(base[0]);
    int64_t best_k = 0;
    for (int64_t k = 1; k < size; ++k) {
      const A v = static_cast<A>(base[k * inner]);
      if (best != best) break;  // NaN already won
      if (v != v || v > best) {
        best = v;
        best_k = k;
      }
    }
    if (values) values[p] = static_cast<T>(best);  // exact: one of the inputs
    indices[p] = best_k;
  }
}

// The hand-written finite check: each warp votes, and one lane per warp that saw a NaN
// or an infinity ORs the bits in: integer atomics, so the result does not depend on
// their order.
template <typename T>
__global__ void nonfinite_kernel(unsigned long long* flags, const T* __restrict__ x, int64_t n) {
  bool nan = false, inf = false;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const compute_t<T> v = static_cast<compute_t<T>>(x[i]);
    nan |= isnan(v);
    inf |= isinf(v);
  }
  const bool any_nan = __any_sync(0xffffffffu, nan), any_inf = __any_sync(0xffffffffu, inf);
  if (threadIdx.x % 32 == 0 && (any_nan || any_inf))
    atomicOr(flags, (any_nan ? kHasNan : 0ull) | (any_inf ? kHasInf : 0ull));
}

// ---- the device-wide reductions' element maps and combiners ----
struct NonfiniteBits {
  template <typename T>
  __device__ __forceinline__ long long operator()(T x) const {
    const compute_t<T> v = static_cast<compute_t<T>>(x);
    return (isnan(v) ? kHasNan : 0) | (isinf(v) ? kHasInf : 0);
  }
};
struct BitOr {
  __device__ __forceinline__ long long operator()(long long a, long long b) const { return a | b; }
};

// |v|^p in double, one functor per case so the common p = 2 and p = 1 carry no pow()
// (with it inlined, the float64 reduction kernel spilled 20 bytes on sm_90).
struct Square {
  template <typename T>
  __device__ __forceinline__ double operator()(T v) const {
    const double a = static_cast<double>(v);
    return a * a;
  }
};
struct AbsPow {
  double p;
  template <typename T>
  __device__ __forceinline__ double operator()(T v) const {
    return pow(fabs(static_cast<double>(v)), p);
  }
};
struct Abs {
  template <typename T>
  __device__ __forceinline__ double operator()(T v) const {
    return fabs(static_cast<double>(v));
  }
};
struct Plus {
  __device__ __forceinline__ double operator()(double a, double b) const { return a + b; }
};
// A NaN wins (the maximum of a set holding NaN is NaN, as on the CPU).
struct MaxNan {
  __device__ __forceinline__ double operator()(double a, double b) const {
    return (a != a || a > b) ? a : b;
  }
};

// One TransformReduce call: with temp == nullptr it only sets *bytes.
template <typename T>
void nonfinite_reduce(void* temp, size_t* bytes, const NonfiniteArgs& a, cudaStream_t stream) {
  GPUNN_CUDA_CHECK(cub::DeviceReduce::TransformReduce(temp, *bytes, static_cast<const T*>(a.x),
                                                      reinterpret_cast<long long*>(a.flags), a.n,
                                                      BitOr{}, NonfiniteBits{}, 0LL, stream));
}

template <typename T>
void abs_pow_sum_reduce(void* temp, size_t* bytes, const AbsPowSumArgs& a, cudaStream_t stream) {
  const T* x = static_cast<const T*>(a.x);
  if (std::isinf(a.p)) {
    GPUNN_CUDA_CHECK(cub::DeviceReduce::TransformReduce(temp, *bytes, x, a.out, a.n, MaxNan{},
                                                        Abs{}, 0.0, stream));
  } else if (a.p == 2.0) {
    GPUNN_CUDA_CHECK(cub::DeviceReduce::TransformReduce(temp, *bytes, x, a.out, a.n, Plus{},
                                                        Square{}, 0.0, stream));
  } else if (a.p == 1.0) {
    GPUNN_CUDA_CHECK(cub::DeviceReduce::TransformReduce(temp, *bytes, x, a.out, a.n, Plus{}, Abs{},
                                                        0.0, stream));
  } else {
    GPUNN_CUDA_CHECK(cub::DeviceReduce::TransformReduce(temp, *bytes, x, a.out, a.n, Plus{},
                                                        AbsPow{a.p}, 0.0, stream));
  }
}

template <Reducer R, typename T>
void sum_rows_launch(T* out, const T* x, int64_t rows, int64_t cols, double scale,
                     cudaStream_t stream) {
  if (rows == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(rows, 65535 * 8));
  sum_rows_kernel<R><<<blocks, kReduceThreads, 0, stream>>>(out, x, rows, cols, scale);
}

template <typename T>
void max_dim_launch(T* values, int64_t* indices, const T* x, int64_t outer, int64_t size,
                    int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * inner;
  if (n == 0) return;
  max_dim_kernel<<<cuda_detail::grid_for(n), cuda_detail::kThreads, 0, stream>>>(
      values, indices, x, outer, size, inner);
}

}  // namespace

template <typename T>
void sum_rows_cuda(const SumArgs& a, const Context& ctx) {
  sum_rows_launch<Reducer::kCub>(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.rows, a.cols,
                                 a.scale, ctx.stream);
}

template <typename T>
void max_dim_cuda(const MaxDimArgs& a, const Context& ctx) {
  max_dim_launch(static_cast<T*>(a.values), a.indices, static_cast<const T*>(a.x), a.outer, a.size,
                 a.inner, ctx.stream);
}

// n = 0 still writes *flags / *out (TransformReduce stores the initial value).
template <typename T>
size_t nonfinite_cuda_workspace(const NonfiniteArgs& a, const Context&) {
  size_t bytes = 0;
  nonfinite_reduce<T>(nullptr, &bytes, a, nullptr);
  return bytes;
}

template <typename T>
void nonfinite_cuda(const NonfiniteArgs& a, const Context& ctx) {
  static_assert(sizeof(long long) == sizeof(int64_t));
  size_t bytes = ctx.workspace_bytes;
  nonfinite_reduce<T>(ctx.workspace, &bytes, a, ctx.stream);
}

template <typename T>
size_t abs_pow_sum_cuda_workspace(const AbsPowSumArgs& a, const Context&) {
  size_t bytes = 0;
  abs_pow_sum_reduce<T>(nullptr, &bytes, a, nullptr);
  return bytes;
}

template <typename T>
void abs_pow_sum_cuda(const AbsPowSumArgs& a, const Context& ctx) {
  size_t bytes = ctx.workspace_bytes;
  abs_pow_sum_reduce<T>(ctx.workspace, &bytes, a, ctx.stream);
}

namespace handwritten {

template <typename T>
void sum_rows_cuda(const SumArgs& a, const Context& ctx) {
  sum_rows_launch<Reducer::kHandwritten>(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.rows,
                                         a.cols, a.scale, ctx.stream);
}

// Writes *flags as the table's entry does: cleared first, then OR-ed into.
template <typename T>
void nonfinite_cuda(const NonfiniteArgs& a, const Context& ctx) {
  GPUNN_CUDA_CHECK(cudaMemsetAsync(a.flags, 0, sizeof(int64_t), ctx.stream));
  if (a.n == 0) return;
  nonfinite_kernel<<<cuda_detail::grid_for(a.n), cuda_detail::kThreads, 0, ctx.stream>>>(
      reinterpret_cast<unsigned long long*>(a.flags), static_cast<const T*>(a.x), a.n);
}

}  // namespace handwritten

#define GPUNN_INSTANTIATE(T)                                                           \
  template void sum_rows_cuda<T>(const SumArgs&, const Context&);                      \
  template void max_dim_cuda<T>(const MaxDimArgs&, const Context&);                    \
  template void nonfinite_cuda<T>(const NonfiniteArgs&, const Context&);               \
  template size_t nonfinite_cuda_workspace<T>(const NonfiniteArgs&, const Context&);   \
  template void abs_pow_sum_cuda<T>(const AbsPowSumArgs&, const Context&);             \
  template size_t abs_pow_sum_cuda_workspace<T>(const AbsPowSumArgs&, const Context&); \
  template void handwritten::sum_rows_cuda<T>(const SumArgs&, const Context&);         \
  template void handwritten::nonfinite_cuda<T>(const NonfiniteArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
