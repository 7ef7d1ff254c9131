// Block- and warp-wide reductions inside gpunn's CUDA kernels. Private to kernels/cuda.
//
// Two builds of each: CUB's primitives (cub::BlockReduce, cub::WarpReduce), which the
// table rows use, and the hand-written shuffles they replaced, kept so that
// bench/kernels times both side by side (kernels/cuda/variants.h) and a measurement,
// not a preference, decides. The result is the same kind of tree either way (shuffles
// within a warp, then across the warps), so both are deterministic run to run.
#pragma once

#include <cub/block/block_reduce.cuh>
#include <cub/warp/warp_reduce.cuh>

namespace gpunn::kernels::cuda_detail {

enum class Reducer { kCub, kHandwritten };

struct SumOp {
  template <typename T>
  __device__ __forceinline__ T operator()(T a, T b) const {
    return a + b;
  }
};
// fmax: a NaN loses to a number, as the softmax kernels always had it.
struct MaxOp {
  template <typename T>
  __device__ __forceinline__ T operator()(T a, T b) const {
    return fmax(a, b);
  }
};

// Σ v over a block of exactly Threads threads (a multiple of 32); every thread gets
// the result. It synchronises the block: every thread must call it.
template <Reducer R, int Threads, typename T>
__device__ __forceinline__ T block_sum(T v) {
  static_assert(Threads % 32 == 0 && Threads <= 1024);
  __shared__ T total;
  if constexpr (R == Reducer::kCub) {
    using Reduce = cub::BlockReduce<T, Threads>;
    __shared__ typename Reduce::TempStorage temp;
    const T r = Reduce(temp).Sum(v);
    if (threadIdx.x == 0) total = r;
  } else {
    __shared__ T partial[Threads / 32];
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
      T w = threadIdx.x < Threads / 32 ? partial[threadIdx.x] : T(0);
      for (int o = 16; o > 0; o /= 2) w += __shfl_down_sync(0xffffffffu, w, o);
      if (threadIdx.x == 0) total = w;
    }
  }
  __syncthreads();
  const T r = total;
  __syncthreads();  // the shared slots are reused by the next call
  return r;
}

// op over the 32 lanes of each warp of a block of Warps warps; every lane gets the
// result. All lanes of the warp must call it.
template <Reducer R, int Warps, typename T, typename Op>
__device__ __forceinline__ T warp_all_reduce(T v, Op op) {
  if constexpr (R == Reducer::kCub) {
    using Reduce = cub::WarpReduce<T>;
    __shared__ typename Reduce::TempStorage temp[Warps];
    const T r = Reduce(temp[threadIdx.x / 32]).Reduce(v, op);  // valid in lane 0
    __syncwarp();                                              // temp is reused by the next call
    return __shfl_sync(0xffffffffu, r, 0);
  } else {
    for (int o = 16; o > 0; o /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
  }
}

}  // namespace gpunn::kernels::cuda_detail
