// Reference random loops (kernels/random.h): element i uses Philox block
// offset + i only, so results do not depend on how the loop is split.
#include "kernels/random.h"

#include <cmath>

#include "kernels/philox.h"

namespace gpunn::kernels {
namespace {

// Uniform in [0, 1) for element i: float from one word, double from two.
template <typename T>
T uniform01(const Philox4& r, int lane_pair) {
  if constexpr (sizeof(T) == 4) {
    return uniform_float(r.v[2 * lane_pair]);
  } else {
    return uniform_double(r.v[2 * lane_pair], r.v[2 * lane_pair + 1]);
  }
}

}  // namespace

template <typename T>
void uniform_cpu(T* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high) {
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(uniform01<T>(philox_block(seed, offset + i), 0));
    T v = static_cast<T>(low + (high - low) * u);
    // Rounding to T can land exactly on `high`; keep the interval half-open.
    if (v >= static_cast<T>(high) && high > low) v = static_cast<T>(low);
    out[i] = v;
  }
}

template <typename T>
void normal_cpu(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double stddev) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (int64_t i = 0; i < n; ++i) {
    const Philox4 r = philox_block(seed, offset + i);
    // Box-Muller: u1 in (0, 1] so that log(u1) is finite.
    const double u1 = 1.0 - static_cast<double>(uniform01<T>(r, 0));
    const double u2 = static_cast<double>(uniform01<T>(r, 1));
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
    out[i] = static_cast<T>(mean + stddev * z);
  }
}

__extension__ typedef unsigned __int128 uint128_t;  // GCC and Clang both have it

void randint_cpu(int64_t* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low,
                 int64_t high) {
  const uint128_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  for (int64_t i = 0; i < n; ++i) {
    const Philox4 r = philox_block(seed, offset + i);
    const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    // Multiply-shift maps 64 random bits onto [0, range) with bias below 2^-64·range.
    const uint64_t k = static_cast<uint64_t>((bits * range) >> 64);
    out[i] = low + static_cast<int64_t>(k);
  }
}

template <typename T>
void bernoulli_mask_cpu(T* mask, int64_t n, uint64_t seed, uint64_t offset, double keep_prob,
                        double scale) {
  const T s = static_cast<T>(scale);
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(uniform01<T>(philox_block(seed, offset + i), 0));
    mask[i] = u < keep_prob ? s : T(0);
  }
}

template void uniform_cpu<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void uniform_cpu<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void normal_cpu<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void normal_cpu<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void bernoulli_mask_cpu<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void bernoulli_mask_cpu<double>(double*, int64_t, uint64_t, uint64_t, double, double);

}  // namespace gpunn::kernels
