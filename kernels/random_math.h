// The value of element i of each random kernel (kernels/random.h), shared by the
// CPU loops and the CUDA kernels: element i depends on Philox block offset + i
// only, so every device and every split of the work draws the same numbers.
#pragma once

#include <gpunn/half.h>

#include <cmath>
#include <cstdint>

#include "kernels/base/host_device.h"
#include "kernels/base/philox.h"

namespace gpunn::kernels::math {

// Uniform in [0, 1) from lane pair 0 or 1: float (and the 16-bit types, which round
// the float once on store) from one word, double from two.
template <typename T>
GPUNN_HOST_DEVICE inline compute_t<T> uniform01(const Philox4& r, int lane_pair) {
  if constexpr (sizeof(T) <= 4) {
    return uniform_float(r.v[2 * lane_pair]);
  } else {
    return uniform_double(r.v[2 * lane_pair], r.v[2 * lane_pair + 1]);
  }
}

template <typename T>
GPUNN_HOST_DEVICE inline T uniform_at(uint64_t seed, uint64_t offset, int64_t i, double low,
                                      double high) {
  const double u = static_cast<double>(uniform01<T>(philox_block(seed, offset + i), 0));
  T v = static_cast<T>(low + (high - low) * u);
  // Rounding to T can land exactly on `high`; keep the interval half-open.
  if (v >= static_cast<T>(high) && high > low) v = static_cast<T>(low);
  return v;
}

template <typename T>
GPUNN_HOST_DEVICE inline T normal_at(uint64_t seed, uint64_t offset, int64_t i, double mean,
                                     double stddev) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  const Philox4 r = philox_block(seed, offset + i);
  // Box-Muller: u1 in (0, 1] so that log(u1) is finite.
  const double u1 = 1.0 - static_cast<double>(uniform01<T>(r, 0));
  const double u2 = static_cast<double>(uniform01<T>(r, 1));
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
  return static_cast<T>(mean + stddev * z);
}

// randperm's sort key for position i: 64 random bits. Sorting 0..n-1 by these keys
// (stably, so equal keys keep index order) gives a uniform random permutation.
GPUNN_HOST_DEVICE inline uint64_t sort_key_at(uint64_t seed, uint64_t offset, int64_t i) {
  const Philox4 r = philox_block(seed, offset + i);
  return (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
}

// low + k with k uniform in [0, high - low): multiply-shift maps 64 random bits
// onto the range with bias below 2^-64·range.
GPUNN_HOST_DEVICE inline int64_t randint_at(uint64_t seed, uint64_t offset, int64_t i, int64_t low,
                                            int64_t high) {
  const Philox4 r = philox_block(seed, offset + i);
  const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
#if defined(__CUDA_ARCH__)
  const uint64_t k = __umul64hi(bits, range);
#else
  __extension__ typedef unsigned __int128 uint128_t;  // GCC and Clang both have it
  const uint64_t k = static_cast<uint64_t>((static_cast<uint128_t>(bits) * range) >> 64);
#endif
  return low + static_cast<int64_t>(k);
}

template <typename T>
GPUNN_HOST_DEVICE inline T bernoulli_mask_at(uint64_t seed, uint64_t offset, int64_t i,
                                             double keep_prob, T scale) {
  const double u = static_cast<double>(uniform01<T>(philox_block(seed, offset + i), 0));
  return u < keep_prob ? scale : T(0);
}

}  // namespace gpunn::kernels::math
