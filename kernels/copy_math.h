// The element conversion of the copy family, shared by the CPU loops and the CUDA kernels
// so that a conversion gives the same value on every device.
//
// Float to int64 truncates toward zero; values it cannot hold (NaN, ±inf, beyond ±2^63)
// give INT64_MIN, as x86 conversion does, instead of undefined behaviour. To and from the
// 16-bit types the value passes through their own conversions (gpunn/half.h: one rounding
// to nearest even); 16 bits to 16 bits go through float, which holds both exactly.
#pragma once

#include <gpunn/half.h>

#include <cstdint>
#include <type_traits>

#include "kernels/base/host_device.h"

namespace gpunn::kernels::math {

template <typename To, typename From>
GPUNN_HOST_DEVICE inline To convert(From v) {
  if constexpr (!std::is_arithmetic_v<From>) {
    return convert<To>(static_cast<float>(v));
  } else {
    if constexpr (std::is_same_v<To, int64_t> && std::is_floating_point_v<From>) {
      constexpr From kLimit = From(9223372036854775808.0);  // 2^63
      if (!(v > -kLimit && v < kLimit)) return INT64_MIN;
    }
    return static_cast<To>(v);
  }
}

}  // namespace gpunn::kernels::math
