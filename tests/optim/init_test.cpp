// Initializers (gpunn/nn/init.h): statistics against the documented
// distributions, bounds, determinism with a seed, fans and errors.
#include <gpunn/nn/init.h>

#include <cmath>

#include "test_util.h"

namespace gpunn {
namespace {

namespace init = nn::init;

struct Stats {
  double mean, std, min, max;
};
Stats stats(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  double s = 0, ss = 0, lo = INFINITY, hi = -INFINITY;
  for (const double x : v) {
    s += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double mean = s / static_cast<double>(v.size());
  for (const double x : v) ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / static_cast<double>(v.size() - 1)), lo, hi};
}

// With n = 65,536 samples the sample mean has standard error σ/256 and the
// sample std about σ/362 (normal) or σ·0.0019 (uniform); the bounds below are
// at least 5 standard errors, so a correct initializer fails with p < 1e-6.
constexpr int64_t kOut = 256, kIn = 256;

TEST(Init, KaimingNormalFanInAndFanOut) {
  Generator g(11);
  const Tensor w = zeros({kOut, kIn / 4, 2, 2}).requires_grad_(true);  // fan_in 256, fan_out 1024
  init::kaiming_normal_(w, 0.0, init::FanMode::FanIn, init::Nonlinearity::ReLU, &g);
  Stats s = stats(w);
  const double sigma = std::sqrt(2.0 / 256);
  EXPECT_NEAR(s.mean, 0.0, 5 * sigma / 256);
  EXPECT_NEAR(s.std, sigma, 5 * sigma / 362);
  init::kaiming_normal_(w, 0.0, init::FanMode::FanOut, init::Nonlinearity::ReLU, &g);
  s = stats(w);
  EXPECT_NEAR(s.std, std::sqrt(2.0 / 1024), 5 * std::sqrt(2.0 / 1024) / 362);
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
}

TEST(Init, KaimingUniformBoundsAndStd) {
  Generator g(12);
  const Tensor w = empty({kOut, kIn}, kFloat64);
  init::kaiming_uniform_(w, 0.0, init::FanMode::FanIn, init::Nonlinearity::LeakyReLU, &g);
  const double bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(256.0);
  const Stats s = stats(w);
  EXPECT_GE(s.min, -bound);
  EXPECT_LT(s.max, bound);
  EXPECT_GT(s.max, 0.99 * bound);  // the range is used
  EXPECT_LT(s.min, -0.99 * bound);
  EXPECT_NEAR(s.std, bound / std::sqrt(3.0), 5 * 0.0019 * bound / std::sqrt(3.0));
}

TEST(Init, XavierUniformAndNormal) {
  Generator g(13);
  const Tensor w = empty({kOut, kIn});
  init::xavier_uniform_(w, init::calculate_gain(init::Nonlinearity::Tanh), &g);
  const double r = 5.0 / 3.0 * std::sqrt(6.0 / 512);
  Stats s = stats(w);
  EXPECT_GE(s.min, -r * (1 + 1e-6));  // float32 rounding of the bound
  EXPECT_LE(s.max, r * (1 + 1e-6));
  EXPECT_NEAR(s.std, r / std::sqrt(3.0), 5 * 0.0019 * r / std::sqrt(3.0));
  init::xavier_normal_(w, 1.0, &g);
  s = stats(w);
  EXPECT_NEAR(s.std, std::sqrt(2.0 / 512), 5 * std::sqrt(2.0 / 512) / 362);
  EXPECT_NEAR(s.mean, 0.0, 5 * std::sqrt(2.0 / 512) / 256);
}

TEST(Init, SmallRandomNormalIsNeverAllZeroOrSymmetric) {
  Generator g(14);
  const Tensor w = zeros({kOut, kIn});
  init::normal_(w, 0.0, 0.01, &g);
  const Stats s = stats(w);
  EXPECT_NEAR(s.std, 0.01, 5 * 0.01 / 362);
  EXPECT_NEAR(s.mean, 0.0, 5 * 0.01 / 256);
  // Rows differ, so units are not symmetric.
  EXPECT_NE(w[0].to_vector<double>(), w[1].to_vector<double>());
}

TEST(Init, UniformConstantZerosOnes) {
  Generator g(15);
  const Tensor t = empty({1000}, kFloat64);
  init::uniform_(t, -0.5, 2.0, &g);
  const Stats s = stats(t);
  EXPECT_GE(s.min, -0.5);
  EXPECT_LT(s.max, 2.0);
  init::constant_(t, 0.25);
  EXPECT_EQ(stats(t).min, 0.25);
  EXPECT_EQ(stats(t).max, 0.25);
  init::zeros_(t);
  EXPECT_EQ(stats(t).max, 0.0);
  init::ones_(t);
  EXPECT_EQ(stats(t).min, 1.0);
}

TEST(Init, SeededAndDefaultGeneratorsAreDeterministic) {
  Generator a(99), b(99);
  const Tensor x = empty({4, 5}), y = empty({4, 5});
  init::kaiming_uniform_(x, 0.0, init::FanMode::FanIn, init::Nonlinearity::ReLU, &a);
  init::kaiming_uniform_(y, 0.0, init::FanMode::FanIn, init::Nonlinearity::ReLU, &b);
  EXPECT_EQ(x.to_vector<float>(), y.to_vector<float>());
  manual_seed(5);
  init::xavier_normal_(x);
  manual_seed(5);
  init::xavier_normal_(y);
  EXPECT_EQ(x.to_vector<float>(), y.to_vector<float>());
  init::xavier_normal_(y);  // the generator moved on
  EXPECT_NE(x.to_vector<float>(), y.to_vector<float>());
}

TEST(Init, GainsAndFans) {
  EXPECT_EQ(init::calculate_gain(init::Nonlinearity::Linear), 1.0);
  EXPECT_EQ(init::calculate_gain(init::Nonlinearity::Sigmoid), 1.0);
  EXPECT_EQ(init::calculate_gain(init::Nonlinearity::Tanh), 5.0 / 3.0);
  EXPECT_EQ(init::calculate_gain(init::Nonlinearity::ReLU), std::sqrt(2.0));
  EXPECT_EQ(init::calculate_gain(init::Nonlinearity::LeakyReLU, 0.2), std::sqrt(2.0 / 1.04));
  EXPECT_EQ(init::calculate_gain(init::Nonlinearity::SELU), 0.75);
  const init::Fans linear = init::calculate_fan_in_and_fan_out(empty({10, 20}));
  EXPECT_EQ(linear.fan_in, 20);
  EXPECT_EQ(linear.fan_out, 10);
  const init::Fans conv = init::calculate_fan_in_and_fan_out(empty({16, 3, 5, 5}));
  EXPECT_EQ(conv.fan_in, 75);
  EXPECT_EQ(conv.fan_out, 400);
}

TEST(Init, Errors) {
  EXPECT_THROWS_WITH(init::kaiming_normal_(empty({5})), "kaiming_normal_", "at least 2 dims",
                     "[5]");
  EXPECT_THROWS_WITH(init::xavier_uniform_(scalar_tensor(1.0)), "xavier_uniform_",
                     "at least 2 dims");
  EXPECT_THROWS_WITH(init::calculate_fan_in_and_fan_out(empty({3})), "at least 2 dims");
  EXPECT_THROWS_WITH(init::kaiming_uniform_(empty({4, 0})), "fan_in", "is 0");
  EXPECT_THROWS_WITH(init::normal_(empty({2}, kInt64)),
                     "normal_: expected a floating-point tensor");
  EXPECT_THROWS_WITH(init::uniform_(empty({2}), 1.0, 0.0), "uniform_: need finite bounds a <= b");
}

}  // namespace
}  // namespace gpunn
