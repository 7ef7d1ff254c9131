// The gradient checker itself: it must pass right gradients, fail wrong ones,
// skip kinks and refuse vacuous checks.
#include <gpunn/gpunn.h>
#include <gpunn/testing/gradcheck.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

TEST(Gradcheck, PassesACorrectGradient) {
  test::reseed(11);
  Tensor x = test::leaf(test::uniform({4, 3}));
  const testing::GradcheckResult r =
      testing::gradcheck([](const auto& v) { return sin(v[0]) * v[0]; }, {x});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 12);
  EXPECT_LT(r.max_rel_error, 1e-7);
}

TEST(Gradcheck, FailsAWrongGradient) {
  // x · detach(x) has derivative x, but its value moves like x², so finite
  // differences see 2x: the checker must notice.
  Tensor x = test::leaf(tensor({0.5, 1.5, -2}, kFloat64));
  const testing::GradcheckResult r =
      testing::gradcheck([](const auto& v) { return v[0] * v[0].detach(); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("analytic"), std::string::npos) << r.message;
  const testing::GradcheckResult f =
      testing::jvpcheck([](const auto& v) { return v[0] * v[0].detach(); }, {x});
  EXPECT_FALSE(f.ok);
}

TEST(Gradcheck, RefusesAnAllZeroGradient) {
  Tensor x = test::leaf(tensor({-1, -2}, kFloat64));  // relu is flat here
  const testing::GradcheckResult r =
      testing::gradcheck([](const auto& v) { return relu(v[0]); }, {x});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("vacuous"), std::string::npos) << r.message;
  testing::GradcheckOptions o;
  o.allow_zero_gradient = true;
  EXPECT_TRUE(testing::gradcheck([](const auto& v) { return relu(v[0]); }, {x}, o).ok);
}

TEST(Gradcheck, SkipsKinks) {
  // |x| at 0 has no derivative; elements there are skipped, the rest checked.
  Tensor x = test::leaf(tensor({0, 0.5, -0.7, 1.2, 2, -3, 0.3, 0.9}, kFloat64));
  const testing::GradcheckResult r =
      testing::gradcheck([](const auto& v) { return abs(v[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.kinks_skipped, 1);
  EXPECT_EQ(r.checked, 7);
  // Too many kinks: the check fails instead of passing on what is left.
  Tensor k = test::leaf(tensor({0, 0, 1}, kFloat64));
  EXPECT_FALSE(testing::gradcheck([](const auto& v) { return abs(v[0]); }, {k}).ok);
}

TEST(Gradcheck, ChecksOnlyInputsThatRequireGrad) {
  Tensor x = test::leaf(tensor({1, 2}, kFloat64));
  Tensor c = tensor({3, 4}, kFloat64);
  Tensor idx = tensor({1, 0}, kInt64);
  const testing::GradcheckResult r = testing::gradcheck(
      [](const auto& v) {
        return v[0] * v[1] + embedding(v[2], v[1].reshape({2, 1})).squeeze(1);
      },
      {x, c, idx});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 2);
}

TEST(Gradcheck, BadInput) {
  EXPECT_THROWS_WITH(
      testing::gradcheck([](const auto& v) { return v[0]; }, {test::leaf(ones({2}))}), "gradcheck",
      "float64");
  EXPECT_THROWS_WITH(testing::gradcheck([](const auto& v) { return v[0]; }, {ones({2}, kFloat64)}),
                     "gradcheck", "nothing to check");
}

}  // namespace
}  // namespace gpunn
