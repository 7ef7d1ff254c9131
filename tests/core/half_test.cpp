// The 16-bit float types (gpunn/half.h) and bfloat16/float16 tensors: conversions round
// to nearest even, keep NaN, overflow to ±Inf and keep subnormals; every bit pattern
// survives a trip through float; tensors of both dtypes are made, converted, printed and
// refused where their dtype does not match.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "test_util.h"

namespace gpunn {
namespace {

using test::leaf;
using test::tensors_near;

uint32_t bits_of(float f) { return std::bit_cast<uint32_t>(f); }
float float_of(uint32_t u) { return std::bit_cast<float>(u); }

// The float value of 16-bit pattern `b`.
template <typename H>
double value_of(uint16_t b) {
  return static_cast<double>(static_cast<float>(H::from_bits(b)));
}

template <typename H>
bool is_nan_bits(uint16_t b) {
  return std::isnan(value_of<H>(b));
}

// Checks that h = H(x) is the pattern nearest to x, ties to the even pattern, by looking
// at its neighbours (the patterns one step toward and away from zero). x finite.
template <typename H>
::testing::AssertionResult rounds_to_nearest_even(float x) {
  const uint16_t h = H(x).bits;
  const double exact = static_cast<double>(x);
  const double got = value_of<H>(h);
  if (std::isinf(got)) {
    // Overflow: x must be at least halfway between the largest finite value and the
    // next power of two (what the exponent range would give next).
    const uint16_t largest = static_cast<uint16_t>((h & 0x8000) | ((h & 0x7fff) - 1));
    const double max = std::abs(value_of<H>(largest));
    const double ulp = max - std::abs(value_of<H>(static_cast<uint16_t>(largest - 1)));
    if (std::abs(exact) >= max + ulp / 2) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << x << " rounded to inf, largest finite " << max;
  }
  const double err = std::abs(got - exact);
  for (int step : {-1, 1}) {
    const int magnitude = (h & 0x7fff) + step;
    if (magnitude < 0) continue;  // below +0/-0: the other sign's zero is the same value
    const uint16_t other = static_cast<uint16_t>((h & 0x8000) | magnitude);
    if (is_nan_bits<H>(other)) continue;
    const double other_value = value_of<H>(other);
    if (std::isinf(other_value)) continue;
    const double other_err = std::abs(other_value - exact);
    if (other_err < err || (other_err == err && (h & 1) != 0)) {
      return ::testing::AssertionFailure()
             << x << " (bits 0x" << std::hex << bits_of(x) << ") rounded to 0x" << h << " (" << got
             << "), but 0x" << other << " (" << other_value << ") is nearer or even";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(Half, EveryPatternSurvivesATripThroughFloat) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const auto h = static_cast<uint16_t>(b);
    if (is_nan_bits<Half>(h)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(Half(static_cast<float>(Half::from_bits(h))))));
    } else {
      EXPECT_EQ(Half(static_cast<float>(Half::from_bits(h))).bits, h) << "pattern " << b;
    }
    if (is_nan_bits<BFloat16>(h)) {
      EXPECT_TRUE(
          std::isnan(static_cast<float>(BFloat16(static_cast<float>(BFloat16::from_bits(h))))));
    } else {
      EXPECT_EQ(BFloat16(static_cast<float>(BFloat16::from_bits(h))).bits, h) << "pattern " << b;
    }
  }
}

TEST(Half, FloatsRoundToTheNearestPatternTiesToEven) {
  // Random float bit patterns over the whole range, plus every float that lies exactly
  // halfway between two neighbouring float16 values in [1, 2) (the ties).
  Generator gen(42);
  const std::vector<int64_t> draws =
      randint(0, int64_t{1} << 32, {200000}, kInt64, &gen).to_vector<int64_t>();
  for (int64_t d : draws) {
    const float x = float_of(static_cast<uint32_t>(d));
    if (!std::isfinite(x)) continue;
    ASSERT_TRUE(rounds_to_nearest_even<Half>(x));
    ASSERT_TRUE(rounds_to_nearest_even<BFloat16>(x));
  }
  for (int m = 0; m < 1024; ++m) {
    const float tie = 1.0f + (static_cast<float>(m) + 0.5f) / 1024.0f;
    ASSERT_TRUE(rounds_to_nearest_even<Half>(tie));
    ASSERT_EQ(Half(tie).bits & 1, 0) << "tie " << tie << " must round to the even pattern";
  }
  for (int m = 0; m < 128; ++m) {
    const float tie = 1.0f + (static_cast<float>(m) + 0.5f) / 128.0f;
    ASSERT_EQ(BFloat16(tie).bits & 1, 0) << "tie " << tie;
  }
}

TEST(Half, Float16EdgeCases) {
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);  // largest finite
  EXPECT_EQ(Half(65519.0f).bits, 0x7bff);  // below the halfway point to 65536
  EXPECT_EQ(Half(65520.0f).bits, 0x7c00);  // halfway, odd neighbour: rounds up to inf
  EXPECT_EQ(Half(1e6f).bits, 0x7c00);
  EXPECT_EQ(Half(-1e6f).bits, 0xfc00);
  EXPECT_EQ(Half(std::numeric_limits<float>::infinity()).bits, 0x7c00);
  EXPECT_EQ(Half(0x1p-24f).bits, 0x0001);       // smallest subnormal, kept
  EXPECT_EQ(Half(0x1p-25f).bits, 0x0000);       // exactly half of it: ties to even (0)
  EXPECT_EQ(Half(0x1.8p-24f).bits, 0x0002);     // 1.5 steps: ties to even (2)
  EXPECT_EQ(Half(0x1.0p-25f * 1.01f).bits, 1);  // just above half a step
  EXPECT_EQ(Half(0x1.ffcp-15f).bits, 0x0400);   // halfway to the smallest normal: even
  EXPECT_EQ(Half(-0.0f).bits, 0x8000);
  EXPECT_EQ(static_cast<float>(Half::from_bits(0x0001)), 0x1p-24f);
  EXPECT_EQ(static_cast<float>(Half::from_bits(0x03ff)), 0x1.ff8p-15f);  // largest subnormal
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(nan))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(-nan))));
  EXPECT_EQ(Half(-nan).bits & 0x8000, 0x8000);  // sign kept
  // A signalling NaN whose payload lies in the low bits only must not become Inf.
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(float_of(0x7f800001u)))));
}

TEST(Half, BFloat16EdgeCases) {
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(BFloat16(-3.5f).bits, 0xc060);
  // float's largest finite value lies beyond bfloat16's halfway point: Inf.
  EXPECT_EQ(BFloat16(std::numeric_limits<float>::max()).bits, 0x7f80);
  EXPECT_EQ(BFloat16(float_of(0x7f7f7fffu)).bits, 0x7f7f);  // just below halfway: finite
  EXPECT_TRUE(rounds_to_nearest_even<BFloat16>(1e-40f));
  EXPECT_NE(BFloat16(1e-40f).bits, 0);                      // subnormals are kept, not flushed
  EXPECT_EQ(BFloat16(float_of(0x00010000u)).bits, 0x0001);  // the smallest subnormal
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(nan))));
  // A NaN whose payload is in the low 16 bits only: the rounding add must not carry it
  // into Inf, nor truncate it to Inf.
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(float_of(0x7f800001u)))));
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(float_of(0xff80ffffu)))));
  EXPECT_EQ(BFloat16(float_of(0xff80ffffu)).bits & 0x8000, 0x8000);
}

TEST(Half, DoublesRoundOnce) {
  // Just above a tie: through float the tie would be rounded to even (down); the double
  // is nearer the pattern above.
  const double above_bf16_tie = 1.0 + 0x1p-8 + 0x1p-40;
  EXPECT_EQ(static_cast<float>(above_bf16_tie), 1.0f + 0x1p-8f);  // float alone: the tie
  EXPECT_EQ(BFloat16(above_bf16_tie).bits, 0x3f81);
  EXPECT_EQ(BFloat16(1.0 + 0x1p-8).bits, 0x3f80);  // the exact tie: even
  const double above_f16_tie = 1.0 + 0x1p-11 + 0x1p-40;
  EXPECT_EQ(Half(above_f16_tie).bits, 0x3c01);
  EXPECT_EQ(Half(1.0 + 0x1p-11).bits, 0x3c00);
  const double below_f16_tie = 1.0 + 0x1p-11 - 0x1p-40;  // float rounds it up to the tie
  EXPECT_EQ(Half(below_f16_tie).bits, 0x3c00);
  EXPECT_EQ(Half(1e300).bits, 0x7c00);
  EXPECT_EQ(BFloat16(-1e300).bits, 0xff80);
  EXPECT_EQ(Half(1e-300).bits, 0x0000);
  EXPECT_EQ(Half(int64_t{2049}).bits, Half(2048.0f).bits);  // integers round too (tie: even)
  EXPECT_EQ(BFloat16(int64_t{257}).bits, BFloat16(256.0f).bits);
  // Past 2^53 an integer is not a double: 2^60 + 2^52 + 1 lies just above a bfloat16 tie
  // (between 2^60 and 2^60 + 2^53), which plain conversion to double would erase.
  const int64_t above_tie = (int64_t{1} << 60) + (int64_t{1} << 52) + 1;
  EXPECT_EQ(static_cast<double>(BFloat16(above_tie)), std::ldexp(1.0, 60) + std::ldexp(1.0, 53));
  EXPECT_EQ(static_cast<double>(BFloat16(-above_tie)),
            -(std::ldexp(1.0, 60) + std::ldexp(1.0, 53)));
  EXPECT_EQ(static_cast<double>(BFloat16((int64_t{1} << 60) + (int64_t{1} << 52))),
            std::ldexp(1.0, 60));  // the exact tie: even
  EXPECT_EQ(static_cast<double>(BFloat16(INT64_MIN)), -std::ldexp(1.0, 63));
}

TEST(HalfTensor, NamesParsingAndSizes) {
  EXPECT_STREQ(dtype_name(kBFloat16), "bfloat16");
  EXPECT_STREQ(dtype_name(kFloat16), "float16");
  EXPECT_EQ(dtype_size(kBFloat16), 2u);
  EXPECT_EQ(dtype_size(kHalf), 2u);
  EXPECT_EQ(parse_dtype("bf16"), kBFloat16);
  EXPECT_EQ(parse_dtype("half"), kFloat16);
  EXPECT_EQ(parse_dtype("fp32"), kFloat32);
  EXPECT_THROWS_WITH(parse_dtype("bfloat"), "parse_dtype", "\"bfloat\"", "bfloat16 or float16");
  EXPECT_TRUE(is_floating(kBFloat16));
  EXPECT_TRUE(is_reduced_float(kFloat16));
  EXPECT_FALSE(is_reduced_float(kFloat32));
}

TEST(HalfTensor, FactoriesConversionsAndPrinting) {
  const Tensor b = tensor({0.1, -2.5, 70000.0, 1e-6}, kBFloat16);
  EXPECT_EQ(b.dtype(), kBFloat16);
  EXPECT_EQ(b.to_vector<double>(),
            (std::vector<double>{value_of<BFloat16>(BFloat16(0.1).bits), -2.5,
                                 value_of<BFloat16>(BFloat16(70000.0).bits),
                                 value_of<BFloat16>(BFloat16(1e-6).bits)}));
  const Tensor h = b.to(kFloat16);  // 70000 overflows float16
  EXPECT_EQ(h.dtype(), kFloat16);
  EXPECT_TRUE(std::isinf(h.to_vector<double>()[2]));
  EXPECT_EQ(h.to(kFloat32).to_vector<double>()[1], -2.5);
  EXPECT_EQ(full({2, 2}, 3.0, kFloat16).to_vector<double>(), std::vector<double>(4, 3.0));
  EXPECT_EQ(ones({3}, kBFloat16).sum().item(), 3.0);
  EXPECT_EQ(zeros({2}, kHalf).to_vector<double>(), (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(scalar_tensor(0.5, kBFloat16).item(), 0.5);
  // Random tensors: drawn in float32 and rounded once, so they equal the float32 draws
  // rounded.
  Generator g1(7), g2(7);
  const Tensor r16 = randn({64}, kBFloat16, &g1);
  const Tensor r32 = randn({64}, kFloat32, &g2);
  EXPECT_TRUE(tensors_near(r16, r32.to(kBFloat16), 0.0));
  const std::vector<double> u = rand({1000}, kFloat16, &g1).to_vector<double>();
  for (double v : u) ASSERT_TRUE(v >= 0.0 && v < 1.0) << v;
  EXPECT_EQ(tensor({1.0, 2.5}, kFloat16).str(), "tensor([1.0000, 2.5000], dtype=float16)");
  EXPECT_EQ(tensor({-1.0}, kBFloat16).str(), "tensor([-1.0000], dtype=bfloat16)");
  const std::vector<BFloat16> raw = b.to_vector<BFloat16>();
  EXPECT_EQ(raw[1].bits, 0xc020);  // -2.5
  EXPECT_EQ(b.data<BFloat16>()[1].bits, 0xc020);
  EXPECT_THROWS_WITH(b.data<Half>(), "data: the tensor is bfloat16, asked for float16");
  // float -> int64 through 16 bits truncates like float does.
  EXPECT_EQ(tensor({-2.75, 3.5}, kBFloat16).to(kInt64).to_vector<int64_t>(),
            (std::vector<int64_t>{-2, 3}));
}

TEST(HalfTensor, MixingDtypesNamesBoth) {
  const Tensor b = ones({2}, kBFloat16), f = ones({2}, kFloat32), h = ones({2}, kFloat16);
  EXPECT_THROWS_WITH(add(b, f), "add", "bfloat16", "float32", "different dtypes");
  EXPECT_THROWS_WITH(mul(h, b), "mul", "float16", "bfloat16", "different dtypes");
  EXPECT_THROWS_WITH(matmul(ones({2, 2}, kBFloat16), ones({2, 2}, kFloat32)), "matmul", "bfloat16",
                     "float32");
}

TEST(HalfTensor, GradientsFlowInTheTensorsDtype) {
  for (DType dtype : {kBFloat16, kFloat16}) {
    const Tensor x = leaf(tensor({0.5, -1.25, 2.0}, dtype));
    const Tensor y = (x * x).sum();
    EXPECT_EQ(y.dtype(), dtype);
    y.backward();
    ASSERT_TRUE(x.grad().defined());
    EXPECT_EQ(x.grad().dtype(), dtype);
    EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1.0, -2.5, 4.0}));
    // A conversion is differentiable: the gradient comes back in the source's dtype.
    const Tensor z = leaf(tensor({1.0, 2.0}, kFloat32));
    (z.to(dtype) * 3.0).sum().backward();
    EXPECT_EQ(z.grad().dtype(), kFloat32);
    EXPECT_EQ(z.grad().to_vector<double>(), (std::vector<double>{3.0, 3.0}));
  }
}

}  // namespace
}  // namespace gpunn
