// Walking strided operands on the CPU. Private to kernels/cpu.
#pragma once

#include "kernels/elementwise.h"

namespace gpunn::kernels {

// Calls f(i, offset_a, offset_b) for i = 0 .. n-1 in row-major order of ix.shape,
// keeping the two strided offsets up to date with one add per step.
template <typename F>
void for_each_strided(const StridedPair& ix, int64_t n, F&& f) {
  int64_t index[kMaxDims] = {};
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, oa, ob);
    for (int d = ix.ndim - 1; d >= 0; --d) {
      if (++index[d] < ix.shape[d]) {
        oa += ix.a[d];
        ob += ix.b[d];
        break;
      }
      oa -= ix.a[d] * (ix.shape[d] - 1);
      ob -= ix.b[d] * (ix.shape[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace gpunn::kernels
