// Element rules of the attention kernels (kernels/attention.h), shared by the CPU loops
// and the CUDA kernels so that every implementation masks and drops the same elements.
#pragma once

#include <cstdint>

#include "kernels/attention.h"
#include "kernels/base/host_device.h"
#include "kernels/base/philox.h"

namespace gpunn::kernels::math {

// The dropout threshold: element kept when its float draw is below it. Rounded to float
// once, so every dtype's kernels (and gpunn::rand's float draws compared against it) agree.
GPUNN_HOST_DEVICE inline float attention_keep_threshold(double dropout_p) {
  return static_cast<float>(1.0 - dropout_p);
}

// Whether element (bh, i, j) survives dropout: its Philox block is offset + the element's
// index in [B·H, T, S]; the float from the block's first word, as gpunn::rand draws it.
GPUNN_HOST_DEVICE inline bool attention_keep(uint64_t seed, uint64_t offset, int64_t bh, int64_t i,
                                             int64_t j, int64_t T, int64_t S, float threshold) {
  const int64_t e = (bh * T + i) * S + j;
  return uniform_float(philox_block(seed, offset + static_cast<uint64_t>(e)).v[0]) < threshold;
}

// Offset of the mask element for (b, h, i, j).
GPUNN_HOST_DEVICE inline int64_t attention_mask_offset(const AttentionShape& s, int64_t b,
                                                       int64_t h, int64_t i, int64_t j) {
  return b * s.mask_stride[0] + h * s.mask_stride[1] + i * s.mask_stride[2] + j * s.mask_stride[3];
}

}  // namespace gpunn::kernels::math
