// Random numbers: the Philox generator against its published test vectors,
// seeding and reproducibility, and the distributions.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/base/philox.h"
#include "test_util.h"

namespace gpunn {
namespace {

TEST(Random, PhiloxKnownAnswers) {
  // Known-answer tests for Philox4x32-10 from the Random123 distribution.
  kernels::Philox4 zero = kernels::philox4x32_10({{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(zero.v[0], 0x6627e8d5u);
  EXPECT_EQ(zero.v[1], 0xe169c58du);
  EXPECT_EQ(zero.v[2], 0xbc57ac4cu);
  EXPECT_EQ(zero.v[3], 0x9b00dbd8u);
  kernels::Philox4 ones = kernels::philox4x32_10(
      {{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(ones.v[0], 0x408f276du);
  EXPECT_EQ(ones.v[1], 0x41c83b0eu);
  EXPECT_EQ(ones.v[2], 0xa20bc7c6u);
  EXPECT_EQ(ones.v[3], 0x6d5451fdu);
  kernels::Philox4 pi = kernels::philox4x32_10(
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(pi.v[0], 0xd16cfe09u);
  EXPECT_EQ(pi.v[1], 0x94fdccebu);
  EXPECT_EQ(pi.v[2], 0x5001e420u);
  EXPECT_EQ(pi.v[3], 0x24126ea1u);
}

TEST(Random, SeedingIsReproducible) {
  Generator a(42), b(42), c(43);
  Tensor x = randn({100}, kFloat64, &a), y = randn({100}, kFloat64, &b);
  EXPECT_EQ(x.to_vector<double>(), y.to_vector<double>());
  EXPECT_NE(x.to_vector<double>(), randn({100}, kFloat64, &c).to_vector<double>());
  // The stream continues: a second draw differs from the first ...
  EXPECT_NE(randn({100}, kFloat64, &a).to_vector<double>(), x.to_vector<double>());
  // ... and restoring the state replays it.
  Generator::State s = a.state();
  Tensor p = rand({10}, kFloat32, &a);
  a.set_state(s);
  EXPECT_EQ(rand({10}, kFloat32, &a).to_vector<float>(), p.to_vector<float>());
  manual_seed(7);
  Tensor d1 = rand({5});
  manual_seed(7);
  EXPECT_EQ(rand({5}).to_vector<float>(), d1.to_vector<float>());
}

TEST(Random, Distributions) {
  Generator g(2024);
  const int n = 200000;
  const std::vector<double> u = rand({n}, kFloat64, &g).to_vector<double>();
  const std::vector<double> z = randn({n}, kFloat64, &g).to_vector<double>();
  double su = 0, su2 = 0, sz = 0, sz2 = 0, umin = 1, umax = 0;
  for (int i = 0; i < n; ++i) {
    su += u[i];
    su2 += u[i] * u[i];
    sz += z[i];
    sz2 += z[i] * z[i];
    umin = std::min(umin, u[i]);
    umax = std::max(umax, u[i]);
  }
  // Sample moments: 6 standard errors of slack (n = 200000).
  EXPECT_NEAR(su / n, 0.5, 6 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(su2 / n - (su / n) * (su / n), 1.0 / 12, 0.002);
  EXPECT_NEAR(sz / n, 0.0, 6 / std::sqrt(n));
  EXPECT_NEAR(sz2 / n, 1.0, 0.02);
  EXPECT_GE(umin, 0.0);
  EXPECT_LT(umax, 1.0);
  const std::vector<float> f = rand({n}, kFloat32, &g).to_vector<float>();
  for (float v : f) ASSERT_TRUE(v >= 0.0f && v < 1.0f);
  const std::vector<int64_t> k = randint(-3, 4, {n}, kInt64, &g).to_vector<int64_t>();
  std::vector<int> counts(7, 0);
  for (int64_t v : k) {
    ASSERT_TRUE(v >= -3 && v < 4);
    ++counts[v + 3];
  }
  for (int c : counts) EXPECT_NEAR(c, n / 7.0, 6 * std::sqrt(n / 7.0));
}

}  // namespace
}  // namespace gpunn
