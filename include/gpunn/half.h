// The 16-bit float storage types: BFloat16 (1 sign, 8 exponent, 7 mantissa bits; float32's
// range, 3 significant decimal digits) and Half (IEEE 754 binary16: 1, 5, 10; largest
// finite 65504, smallest subnormal 2^-24).
//
// They are storage types: arithmetic converts to float (implicitly), and compute in
// gpunn's kernels happens in float32 with one rounding on store (Note [16-bit floats
// compute in float32] in docs/precision.md). Conversions to 16 bits round to nearest,
// ties to even; NaN stays NaN (quiet, sign kept); values beyond the largest finite give
// ±Inf; subnormals are kept, never flushed. From double the rounding is done once
// (the value is first narrowed to float with round-to-odd, which makes the second
// rounding exact), so a double and its float32 neighbour never round differently from
// the exact value. The same code runs on the host and, compiled by nvcc, on the device.
#pragma once

#include <gpunn/export.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__CUDACC__)
#define GPUNN_HALF_HD __host__ __device__
#else
#define GPUNN_HALF_HD
#endif

GPUNN_API_BEGIN

namespace gpunn {
namespace half_detail {

GPUNN_HALF_HD inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
GPUNN_HALF_HD inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// float -> bfloat16 bits, round to nearest even. The carry of the rounding add moves
// into the exponent, so the largest finite values round up to Inf correctly.
GPUNN_HALF_HD inline uint16_t float_to_bf16_bits(float f) {
  const uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
GPUNN_HALF_HD inline float bf16_bits_to_float(uint16_t h) { return bits_float(uint32_t{h} << 16); }

// float -> binary16 bits, round to nearest even.
GPUNN_HALF_HD inline uint16_t float_to_f16_bits(float f) {
  const uint32_t u = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u | ((a >> 13) & 0x3ffu);  // NaN, made quiet
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // |f| >= 65520 (and Inf) rounds to Inf
  if (a < 0x38800000u) {
    // |f| < 2^-14: a subnormal (or zero). Adding 0.5 (whose float ulp is 2^-24, the
    // subnormal step) lets the FPU round |f| to a multiple of 2^-24, ties to even; the
    // count of steps is then the low bits. 0x400 is the smallest normal, as it should be.
    const float r = bits_float(a) + 0.5f;
    return sign | static_cast<uint16_t>(float_bits(r) - 0x3f000000u);
  }
  // Normal: rebias the exponent (127 -> 15) and round away the 13 low mantissa bits.
  const uint32_t rounded = a - 0x38000000u + 0xfffu + ((a >> 13) & 1u);
  return sign | static_cast<uint16_t>(rounded >> 13);
}

GPUNN_HALF_HD inline float f16_bits_to_float(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return bits_float(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    // Zero or subnormal: mantissa · 2^-24, exact in float.
    const float m = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -m : m;
  }
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

// double -> float rounded to odd: the float nearest toward zero, with its last bit set
// when the double was not exact. A later round-to-nearest-even to fewer bits then gives
// the correctly rounded result of the double.
GPUNN_HALF_HD inline float double_to_float_odd(double d) {
  // A finite double beyond float's range has no float (converting it is undefined): it is
  // beyond the 16-bit types' range as well, so ±Inf is its value here.
  constexpr double kFloatMax = 3.4028234663852886e38;
  if (d > kFloatMax) return bits_float(0x7f800000u);
  if (d < -kFloatMax) return bits_float(0xff800000u);
  const float f = static_cast<float>(d);
  const uint32_t u = float_bits(f);
  if ((u & 0x7f800000u) == 0x7f800000u) return f;  // NaN (or a value at float's edge)
  const double back = static_cast<double>(f);
  if (back == d) return f;
  uint32_t v = u;
  if ((back < 0 ? -back : back) > (d < 0 ? -d : d)) --v;  // rounded away from zero: step back
  v |= 1u;
  return bits_float(v);
}

// An integer as a double that rounds like the integer itself: exact below 2^53; above,
// the low bits are folded into a sticky bit (which the double then holds exactly), so the
// one rounding to 16 bits later sees whether the integer was above a tie.
template <typename I>
GPUNN_HALF_HD inline double integer_to_double_sticky(I i) {
  bool negative = false;
  if constexpr (std::is_signed_v<I>) negative = i < 0;
  unsigned long long u =
      negative ? 0ull - static_cast<unsigned long long>(i) : static_cast<unsigned long long>(i);
  int shift = 0;
  bool sticky = false;
  while (u >= (1ull << 53)) {
    sticky = sticky || (u & 1ull);
    u >>= 1;
    ++shift;
  }
  if (sticky) u |= 1ull;
  double d = static_cast<double>(u);  // exact: u < 2^53
  for (int k = 0; k < shift; ++k) d *= 2.0;
  return negative ? -d : d;
}

}  // namespace half_detail

struct BFloat16 {
  uint16_t bits;  // uninitialised by default, like float (and allowed in __shared__)

  BFloat16() = default;
  GPUNN_HALF_HD explicit BFloat16(float f) : bits(half_detail::float_to_bf16_bits(f)) {}
  GPUNN_HALF_HD explicit BFloat16(double d)
      : bits(half_detail::float_to_bf16_bits(half_detail::double_to_float_odd(d))) {}
  // Integers round once, like doubles (half_detail::integer_to_double_sticky).
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  GPUNN_HALF_HD explicit BFloat16(I i) : BFloat16(half_detail::integer_to_double_sticky(i)) {}
  GPUNN_HALF_HD static BFloat16 from_bits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
  GPUNN_HALF_HD operator float() const { return half_detail::bf16_bits_to_float(bits); }
};

struct Half {
  uint16_t bits;  // uninitialised by default, like float (and allowed in __shared__)

  Half() = default;
  GPUNN_HALF_HD explicit Half(float f) : bits(half_detail::float_to_f16_bits(f)) {}
  GPUNN_HALF_HD explicit Half(double d)
      : bits(half_detail::float_to_f16_bits(half_detail::double_to_float_odd(d))) {}
  // Integers round once, like doubles (half_detail::integer_to_double_sticky).
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  GPUNN_HALF_HD explicit Half(I i) : Half(half_detail::integer_to_double_sticky(i)) {}
  GPUNN_HALF_HD static Half from_bits(uint16_t b) {
    Half h;
    h.bits = b;
    return h;
  }
  GPUNN_HALF_HD operator float() const { return half_detail::f16_bits_to_float(bits); }
};

static_assert(sizeof(BFloat16) == 2 && sizeof(Half) == 2);

// The type kernels compute a T in: float for the 16-bit types, T itself otherwise.
template <typename T>
struct compute_type {
  using type = T;
};
template <>
struct compute_type<BFloat16> {
  using type = float;
};
template <>
struct compute_type<Half> {
  using type = float;
};
template <typename T>
using compute_t = typename compute_type<T>::type;

}  // namespace gpunn

GPUNN_API_END
