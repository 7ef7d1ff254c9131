// Two operands walked in row-major order over one shape, with strides in elements.
// For binary elementwise ops the output is contiguous and a/b are the inputs' strides
// (0 on broadcast dims); for copies a is the destination and b the source.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

constexpr int kMaxDims = 16;

struct StridedPair {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t a[kMaxDims] = {};
  int64_t b[kMaxDims] = {};
};

}  // namespace gpunn::kernels
