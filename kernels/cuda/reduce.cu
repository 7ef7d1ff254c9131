// CUDA reductions (kernels/reduce.h).
//
// sum_rows: one block per row (grid-strided over rows); the block's threads
// stride over the row, accumulate in double, then reduce with warp shuffles and
// one shared-memory step. max_dim: one thread per (outer, inner) position walks
// the reduced dim, keeping the first maximum (NaN wins), as the CPU does.
#include "kernels/cuda/launch.cuh"
#include "kernels/reduce.h"

namespace gpunn::kernels {
namespace {

constexpr int kReduceThreads = 256;

__device__ __forceinline__ double warp_sum(double v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

template <typename T>
__global__ void sum_rows_kernel(T* __restrict__ out, const T* __restrict__ x, int64_t rows,
                                int64_t cols, double scale) {
  __shared__ double partial[kReduceThreads / 32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * cols;
    double acc = 0.0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) acc += static_cast<double>(row[c]);
    acc = warp_sum(acc);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) partial[warp] = acc;
    __syncthreads();
    if (warp == 0) {
      acc = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : 0.0;
      acc = warp_sum(acc);
      if (lane == 0) out[r] = static_cast<T>(acc * scale);
    }
    __syncthreads();  // partial[] is rewritten for the next row
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
    T best = base[0];
    int64_t best_k = 0;
    for (int64_t k = 1; k < size; ++k) {
      const T v = base[k * inner];
      if (best != best) break;  // NaN already won
      if (v != v || v > best) {
        best = v;
        best_k = k;
      }
    }
    if (values) values[p] = best;
    indices[p] = best_k;
  }
}

// Each warp votes, and one lane per warp that saw a NaN or an infinity ORs the
// bits in: integer atomics, so the result does not depend on their order.
template <typename T>
__global__ void nonfinite_kernel(unsigned long long* flags, const T* __restrict__ x, int64_t n) {
  bool nan = false, inf = false;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    nan |= isnan(x[i]);
    inf |= isinf(x[i]);
  }
  const bool any_nan = __any_sync(0xffffffffu, nan), any_inf = __any_sync(0xffffffffu, inf);
  if (threadIdx.x % 32 == 0 && (any_nan || any_inf))
    atomicOr(flags, (any_nan ? kHasNan : 0ull) | (any_inf ? kHasInf : 0ull));
}

template <typename T>
void nonfinite_launch(unsigned long long* flags, const T* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  nonfinite_kernel<<<cuda_detail::grid_for(n), cuda_detail::kThreads, 0, stream>>>(flags, x, n);
}

template <typename T>
void sum_rows_launch(T* out, const T* x, int64_t rows, int64_t cols, double scale,
                     cudaStream_t stream) {
  if (rows == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(rows, 65535 * 8));
  sum_rows_kernel<<<blocks, kReduceThreads, 0, stream>>>(out, x, rows, cols, scale);
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
  sum_rows_launch(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.rows, a.cols, a.scale,
                  ctx.stream);
}

template <typename T>
void max_dim_cuda(const MaxDimArgs& a, const Context& ctx) {
  max_dim_launch(static_cast<T*>(a.values), a.indices, static_cast<const T*>(a.x), a.outer, a.size,
                 a.inner, ctx.stream);
}

template <typename T>
void nonfinite_cuda(const NonfiniteArgs& a, const Context& ctx) {
  static_assert(sizeof(unsigned long long) == sizeof(int64_t));
  nonfinite_launch(reinterpret_cast<unsigned long long*>(a.flags), static_cast<const T*>(a.x), a.n,
                   ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                        \
  template void sum_rows_cuda<T>(const SumArgs&, const Context&);   \
  template void max_dim_cuda<T>(const MaxDimArgs&, const Context&); \
  template void nonfinite_cuda<T>(const NonfiniteArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
