// Inverted dropout: y = x · m / (1 - p) with m ~ Bernoulli(1 - p) drawn from a
// seeded Philox generator; and randperm, a uniform random permutation.
//
// Same parts as every op test file (see elementwise_test.cpp):
//   1. forward values in float32 and float64: identity in evaluation and at
//      p = 0, zeros at p = 1, kept values scaled by 1/(1 - p), the kept fraction;
//   2. gradient check in double (the function re-seeds its own generator, so
//      it is deterministic), size 1 and odd sizes too;
//   3. forward mode (JVP) against finite differences and reverse mode;
//   4. edge cases (seeding, the default generator, empty and non-contiguous input);
//   5. bad input: gpunn::Error naming the op.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ops/rows.h"
#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using test::derivatives_ok;
using test::leaf;
using test::uniform;
using test::values_near;

// Which elements survived (y != 0); inputs are kept away from zero so a kept
// element is never 0.
std::vector<bool> kept(const Tensor& y) {
  std::vector<bool> k;
  for (double v : y.to_vector<double>()) k.push_back(v != 0.0);
  return k;
}

// ---- 1. forward values --------------------------------------------------------------------

class DropoutTyped : public ::testing::TestWithParam<DType> {};

TEST_P(DropoutTyped, EvalModeAndZeroPAreIdentity) {
  const DType dt = GetParam();
  test::reseed(41);
  Tensor x = test::away_from_zero({4, 5}).to(dt);
  Generator g(1);
  for (double p : {0.0, 0.5, 1.0}) {
    SCOPED_TRACE(p);
    Tensor y = dropout(x, p, /*training=*/false, &g);
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_TRUE(test::tensors_near(y, x, 0));
  }
  EXPECT_TRUE(test::tensors_near(dropout(x, 0.0, true, &g), x, 0));
  // Nothing is drawn when nothing is dropped.
  EXPECT_EQ(g.offset(), 0u);
}

TEST_P(DropoutTyped, POneGivesZeros) {
  const DType dt = GetParam();
  Tensor x = test::leaf(ones({3, 4}, dt));
  Tensor y = dropout(x, 1.0);
  EXPECT_EQ(y.shape(), (Shape{3, 4}));
  EXPECT_EQ(y.dtype(), dt);
  EXPECT_TRUE(values_near(y, std::vector<double>(12, 0.0), 0));
  y.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), std::vector<double>(12, 0.0), 0));
}

TEST_P(DropoutTyped, KeptValuesAreScaled) {
  const DType dt = GetParam();
  test::reseed(42);
  Tensor x = test::away_from_zero({50, 40}).to(dt);
  const std::vector<double> xs = x.to_vector<double>();
  for (double p : {0.2, 0.5, 0.75}) {
    SCOPED_TRACE(p);
    Generator g(7);
    const std::vector<double> y = dropout(x, p, true, &g).to_vector<double>();
    int dropped = 0, kept_count = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] == 0.0) {
        ++dropped;
      } else {
        ++kept_count;
        // x · (1 / (1 - p)) rounded once or twice in dt.
        ASSERT_NEAR(y[i], xs[i] / (1.0 - p), std::abs(xs[i]) * (dt == kFloat32 ? 1e-6 : 1e-15));
      }
    }
    EXPECT_GT(dropped, 0);
    EXPECT_GT(kept_count, 0);
  }
}

TEST_P(DropoutTyped, KeptFractionIsOneMinusP) {
  const DType dt = GetParam();
  const int64_t n = 200000;
  Tensor x = ones({n}, dt);
  Generator g(2024);
  for (double p : {0.1, 0.5, 0.9, 0.99}) {
    SCOPED_TRACE(p);
    const std::vector<bool> k = kept(dropout(x, p, true, &g));
    double all = 0, first_half = 0, pairs = 0;
    for (int64_t i = 0; i < n; ++i) {
      all += k[i];
      if (i < n / 2) first_half += k[i];
      if (i + 1 < n) pairs += k[i] && k[i + 1];
    }
    // Binomial: 6 standard errors of slack.
    const double q = 1.0 - p, se = std::sqrt(p * q / static_cast<double>(n));
    EXPECT_NEAR(all / n, q, 6 * se);
    EXPECT_NEAR(first_half / (n / 2), q, 6 * se * std::sqrt(2.0));
    // Neighbours are independent: both kept with probability q². Overlapping pairs
    // are correlated, which adds 2q³(1 - q) to the variance per pair.
    const double pair_var = q * q * (1 - q * q) + 2 * q * q * q * (1 - q);
    EXPECT_NEAR(pairs / (n - 1), q * q, 6 * std::sqrt(pair_var / static_cast<double>(n)));
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, DropoutTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// ---- 2 and 3. gradients, reverse and forward mode ---------------------------------------------

TEST(Dropout, GradientIsMaskOverOneMinusP) {
  test::reseed(43);
  const double p = 0.3;
  Tensor x = leaf(uniform({6, 7}));
  Tensor gy = uniform({6, 7});
  Generator g(99);
  dropout(x, p, true, &g).backward(gy);
  // Replaying the generator on ones gives m / (1 - p) itself.
  Generator replay(99);
  Tensor scaled_mask = dropout(ones({6, 7}, kFloat64), p, true, &replay);
  const std::vector<double> m = scaled_mask.to_vector<double>();
  for (double v : m) ASSERT_TRUE(v == 0.0 || std::abs(v - 1.0 / (1.0 - p)) < 1e-15) << v;
  EXPECT_TRUE(test::tensors_near(x.grad(), gy * scaled_mask, 0));
}

// A generator seed under which dropout with probability p keeps the only
// element of a size-1 tensor (so its gradient check is not vacuous).
uint64_t seed_keeping_one(double p) {
  for (uint64_t seed = 1;; ++seed) {
    Generator g(seed);
    if (dropout(ones({1}, kFloat64), p, true, &g).item() != 0.0) return seed;
  }
}

TEST(Dropout, Derivatives) {
  test::reseed(44);
  const double p = 0.4;
  const std::vector<std::pair<Shape, uint64_t>> cases = {
      {{1}, seed_keeping_one(p)}, {{7}, 5}, {{3, 5}, 6}, {{2, 3, 4}, 7}};
  for (const auto& [shape, seed] : cases) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    const uint64_t s = seed;
    // Re-seeding inside f makes every evaluation draw the same mask.
    auto f = [s, p](const std::vector<Tensor>& v) {
      Generator g(s);
      return dropout(v[0], p, true, &g);
    };
    EXPECT_TRUE(derivatives_ok(f, {leaf(uniform(shape))}));
  }
}

TEST(Dropout, Tangent) {
  // Forward mode: the tangent is dropped with the same mask: t · m / (1 - p).
  test::reseed(45);
  Tensor x = uniform({5, 4}), t = uniform({5, 4});
  Generator g(3), replay(3);
  auto [y, ty] = autograd::jvp(
      [&](const std::vector<Tensor>& v) { return dropout(v[0], 0.5, true, &g); }, {x}, {t});
  Tensor scaled_mask = dropout(ones({5, 4}, kFloat64), 0.5, true, &replay);
  EXPECT_TRUE(test::tensors_near(y, x * scaled_mask, 0));
  EXPECT_TRUE(test::tensors_near(ty, t * scaled_mask, 0));
}

// ---- 4. edge cases --------------------------------------------------------------------------

TEST(Dropout, SeedsDecideTheMask) {
  test::reseed(46);
  Tensor x = test::away_from_zero({1000});
  Generator a(42), b(42), c(43);
  const std::vector<bool> ma = kept(dropout(x, 0.5, true, &a));
  EXPECT_EQ(ma, kept(dropout(x, 0.5, true, &b)));
  EXPECT_NE(ma, kept(dropout(x, 0.5, true, &c)));
  // Each call reserves one counter block per element, so the stream moves on:
  // the next call draws a different mask, and restoring the state replays it.
  EXPECT_EQ(a.offset(), 1000u);
  const Generator::State s = a.state();
  const std::vector<bool> next = kept(dropout(x, 0.5, true, &a));
  EXPECT_NE(next, ma);
  a.set_state(s);
  EXPECT_EQ(kept(dropout(x, 0.5, true, &a)), next);
  // The mask depends on the generator and p only, not on the values.
  Generator d(42), e(42);
  EXPECT_TRUE(
      test::tensors_near(dropout(x * 3.0, 0.5, true, &d), dropout(x, 0.5, true, &e) * 3.0, 1e-15));
}

TEST(Dropout, DefaultGenerator) {
  test::reseed(47);
  Tensor x = test::away_from_zero({500});
  manual_seed(1234);
  Tensor y1 = dropout(x, 0.5);
  manual_seed(1234);
  Tensor y2 = dropout(x, 0.5);
  EXPECT_TRUE(test::tensors_near(y1, y2, 0));
  Generator g(1234);
  EXPECT_TRUE(test::tensors_near(dropout(x, 0.5, true, &g), y1, 0));
  EXPECT_FALSE(test::tensors_near(dropout(x, 0.5), y1, 0));  // the stream moved on
}

TEST(Dropout, EmptyAndNonContiguousInput) {
  Generator g(5);
  Tensor e = dropout(zeros({0, 3}, kFloat64), 0.5, true, &g);
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
  // A transposed view is dropped element by element like its contiguous copy.
  test::reseed(48);
  Tensor x = test::away_from_zero({6, 5}).t();
  ASSERT_FALSE(x.is_contiguous());
  Generator a(8), b(8);
  EXPECT_TRUE(
      test::tensors_near(dropout(x, 0.5, true, &a), dropout(x.contiguous(), 0.5, true, &b), 0));
}

// ---- 5. bad input ---------------------------------------------------------------------------

TEST(Dropout, BadInput) {
  Tensor x = ones({3});
  EXPECT_THROWS_WITH(dropout(x, -0.1), "dropout", "p", "-0.1");
  EXPECT_THROWS_WITH(dropout(x, 1.5), "dropout", "p", "1.5");
  EXPECT_THROWS_WITH(dropout(x, std::numeric_limits<double>::quiet_NaN()), "dropout", "p", "nan");
  // Checked in evaluation mode too, as PyTorch does.
  EXPECT_THROWS_WITH(dropout(x, 2.0, false), "dropout", "p", "2");
  EXPECT_THROWS_WITH(dropout(ones({3}, kInt64), 0.5), "dropout", "int64");
  EXPECT_THROWS_WITH(dropout(Tensor(), 0.5), "dropout", "undefined");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

// ---- randperm ----------------------------------------------------------------------------

TEST(Randperm, IsAPermutation) {
  Generator g(11);
  for (const int64_t n : {0, 1, 2, 7, 1000, 65537}) {
    const Tensor p = randperm(n, kInt64, &g);
    EXPECT_EQ(p.dtype(), kInt64);
    EXPECT_EQ(p.shape(), (Shape{n}));
    std::vector<int64_t> v = p.to_vector<int64_t>();
    std::sort(v.begin(), v.end());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(v[static_cast<size_t>(i)], i) << "n = " << n;
  }
}

TEST(Randperm, SeedDecidesAndTheGeneratorAdvancesByN) {
  Generator a(3), b(3), c(4);
  const std::vector<int64_t> pa = randperm(500, kInt64, &a).to_vector<int64_t>();
  EXPECT_EQ(pa, randperm(500, kInt64, &b).to_vector<int64_t>());
  EXPECT_NE(pa, randperm(500, kInt64, &c).to_vector<int64_t>());
  EXPECT_EQ(a.offset(), 500u);
  EXPECT_NE(pa, randperm(500, kInt64, &a).to_vector<int64_t>());  // the next 500 blocks
  EXPECT_EQ(randperm(5, kFloat32, &b).dtype(), kFloat32);
}

// All 24 orders of 4 items, 24,000 draws: each count is Binomial(24000, 1/24), mean 1000,
// standard deviation 31; the bounds are 5 standard deviations. Also each item's position
// (6,000 per position, sd 67).
TEST(Randperm, EveryOrderIsEquallyLikely) {
  Generator g(2024);
  std::map<std::vector<int64_t>, int> orders;
  std::vector<std::vector<int>> at(4, std::vector<int>(4, 0));
  for (int t = 0; t < 24000; ++t) {
    const std::vector<int64_t> p = randperm(4, kInt64, &g).to_vector<int64_t>();
    ++orders[p];
    for (size_t i = 0; i < 4; ++i) ++at[static_cast<size_t>(p[i])][i];
  }
  EXPECT_EQ(orders.size(), 24u);
  for (const auto& [order, count] : orders) EXPECT_NEAR(count, 1000, 155);
  for (const auto& item : at)
    for (int count : item) EXPECT_NEAR(count, 6000, 335);
}

TEST(Randperm, BadInput) {
  EXPECT_THROWS_WITH(randperm(-1), "randperm", "non-negative", "-1");
  EXPECT_THROWS_WITH(randperm(3, TensorOptions(kFloat32).requires_grad(true)), "randperm", "grad");
}

TEST(RandomRows, EveryDeviceDrawsTheSameNumbers) {
  for (const test::ImplRow& row : test::impl_rows()) {
    for (DType dt : {kFloat32, kFloat64}) {
      Generator a(123), b(123);
      EXPECT_EQ(rand({1000}, TensorOptions(dt).device(row.device), &a).to(kCPU).to_vector<double>(),
                rand({1000}, dt, &b).to_vector<double>())
          << row.name;
      // Normals come from the same uniforms through Box-Muller (log, sqrt, cos): CUDA's
      // device math and the host's libm are each within an ulp or two of exact but not
      // always the same ulp, so normals agree to a few ulp of the type, not bitwise (the
      // uniforms above, and dropout below, are bitwise).
      const double tol = dt == kFloat32 ? 1e-6 : 1e-14;
      EXPECT_TRUE(
          test::tensors_near(randn({999}, TensorOptions(dt).device(row.device), &a).to(kCPU),
                             randn({999}, dt, &b), tol, tol))
          << row.name << " " << dtype_name(dt);
      EXPECT_EQ(a.state().offset, b.state().offset);
    }
    Generator a(7), b(7);
    EXPECT_EQ(randint(-5, 9, {500}, TensorOptions(kInt64).device(row.device), &a)
                  .to(kCPU)
                  .to_vector<int64_t>(),
              randint(-5, 9, {500}, kInt64, &b).to_vector<int64_t>())
        << row.name;
    Generator g1(5), g2(5);
    EXPECT_EQ(dropout(ones({4000}, row.device), 0.3, true, &g1).to(kCPU).to_vector<float>(),
              dropout(ones({4000}), 0.3, true, &g2).to_vector<float>())
        << row.name;
    // randperm: the CPU's std::stable_sort and the GPU's radix sort of the same keys.
    for (const int64_t n : {0, 1, 1000, 300001}) {
      EXPECT_EQ(
          randperm(n, TensorOptions(kInt64).device(row.device), &g1).to(kCPU).to_vector<int64_t>(),
          randperm(n, kInt64, &g2).to_vector<int64_t>())
          << row.name << " randperm " << n;
    }
  }
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table random_bad_input() {
  Table t;
  t.err("size", "dropout with p = -0.1", [] { dropout(F({4}), -0.1); },
        {"dropout:", "p must be in [0, 1]", "-0.1"});
  t.err("size", "dropout with p = 1.5", [] { dropout(F({4}), 1.5); }, {"dropout:", "1.5"});
  t.err("nonfinite", "dropout with p = NaN", [] { dropout(F({4}), kNaN); },
        {"dropout:", "p must be in [0, 1]"});
  t.err("dtype", "dropout of int64", [] { dropout(L({4}), 0.5); }, {"dropout:", "[4] int64"});
  t.val("empty", "dropout of [0, 5]", [] { return is(dropout(F({0, 5}), 0.5), {0, 5}); });
  t.err("size", "randperm of -3", [] { randperm(-3); }, {"randperm:", "non-negative", "-3"});
  t.val("empty", "randperm of 0", [] { return is(randperm(0), {0}); });
  return t;
}

TEST(RandomBadInput, Table) { run_table(random_bad_input()); }

}  // namespace gpunn::bad_input
