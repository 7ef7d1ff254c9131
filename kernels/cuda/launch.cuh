// Shared helpers for gpunn's CUDA kernels. Private to kernels/cuda.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/base/strided.h"

namespace gpunn::kernels::cuda_detail {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements: enough to fill an H100 several
// times over, never more than needed.
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, 132 * 32)));
}

// Offsets of element i (row-major over ix.shape) in the two strided operands.
__device__ __forceinline__ void strided_offsets(const StridedPair& ix, int64_t i, int64_t* oa,
                                                int64_t* ob) {
  int64_t a = 0, b = 0;
  for (int d = ix.ndim - 1; d >= 0; --d) {
    const int64_t size = ix.shape[d];
    const int64_t k = i % size;
    i /= size;
    a += k * ix.a[d];
    b += k * ix.b[d];
  }
  *oa = a;
  *ob = b;
}

// True when both operands are contiguous in the row-major order of ix.
inline bool both_contiguous(const StridedPair& ix) {
  int64_t expect = 1;
  for (int d = ix.ndim - 1; d >= 0; --d) {
    if (ix.shape[d] != 1 && (ix.a[d] != expect || ix.b[d] != expect)) return false;
    expect *= ix.shape[d];
  }
  return true;
}

}  // namespace gpunn::kernels::cuda_detail
