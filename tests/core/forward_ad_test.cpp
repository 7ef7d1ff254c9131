// Forward mode: dual tensors, jvp(), tangents through views, and the guard.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace gpunn {
namespace {

using test::values_near;

TEST(ForwardAD, DualTensorCarriesTangent) {
  Tensor x = tensor({1, 2}, kFloat64);
  Tensor dual = autograd::make_dual(x, tensor({1, 0}, kFloat64));
  EXPECT_EQ(dual.data_ptr(), x.data_ptr());  // the primal's data, not a copy
  EXPECT_FALSE(x.tangent().defined());
  Tensor y = sin(dual) * dual;  // y' = (cos x · x + sin x) · t
  EXPECT_TRUE(values_near(y.tangent(), {std::cos(1.0) + std::sin(1.0), 0}, 1e-15));
}

TEST(ForwardAD, JvpSingleAndMultipleOutputs) {
  auto f = [](const std::vector<Tensor>& v) { return (v[0] * v[1]).sum(); };
  auto [out, t] = autograd::jvp(f, {tensor({1, 2}, kFloat64), tensor({3, 4}, kFloat64)},
                                {tensor({1, 1}, kFloat64), Tensor()});
  EXPECT_EQ(out.item(), 11);
  EXPECT_EQ(t.item(), 7);  // Σ b · da
  EXPECT_FALSE(out.tangent().defined());
  auto g = [](const std::vector<Tensor>& v) {
    return std::vector<Tensor>{v[0] * 2.0, v[0] * 0.0 + 1.0, ones({1}, kFloat64)};
  };
  auto [outs, ts] = autograd::jvp(g, {tensor({5}, kFloat64)}, {tensor({1}, kFloat64)});
  EXPECT_EQ(ts[0].item(), 2);
  EXPECT_EQ(ts[1].item(), 0);
  EXPECT_EQ(ts[2].item(), 0);  // does not depend on the input: zeros
  EXPECT_THROWS_WITH(autograd::jvp(f, {ones({1}, kFloat64)}, {}), "jvp", "1 inputs",
                     "0 directions");
}

TEST(ForwardAD, TangentsFollowViews) {
  Tensor x = autograd::make_dual(arange(6, kFloat64), arange(6, kFloat64) * 10.0);
  Tensor v = x.reshape({2, 3}).t().select(0, 1);  // elements 1 and 4
  EXPECT_TRUE(values_near(v.tangent(), {10, 40}, 0));
  Tensor e = x.reshape({1, 6}).expand({2, 6}).sum({0});
  EXPECT_TRUE(values_near(e.tangent(), {0, 20, 40, 60, 80, 100}, 0));
}

TEST(ForwardAD, ForwardModeMatchesReverseMode) {
  // J v (one forward pass) against Jᵀ u (one backward pass): uᵀ J v must agree.
  test::reseed(5);
  Tensor a = test::leaf(test::uniform({3, 4}));
  Tensor b = test::leaf(test::uniform({4, 2}));
  auto f = [](const std::vector<Tensor>& v) { return tanh(matmul(v[0], v[1])).softmax(1); };
  EXPECT_TRUE(test::jvpcheck_ok(f, {a, b}));
}

TEST(ForwardAD, GuardStopsPropagation) {
  Tensor x = autograd::make_dual(ones({2}, kFloat64), ones({2}, kFloat64));
  {
    autograd::ForwardADGuard guard;
    EXPECT_FALSE((x * 2.0).tangent().defined());
  }
  EXPECT_TRUE((x * 2.0).tangent().defined());
}

TEST(ForwardAD, DualWorksWithReverseMode) {
  // make_dual is the identity for reverse mode.
  Tensor x = test::leaf(tensor({2}, kFloat64));
  Tensor d = autograd::make_dual(x, ones({1}, kFloat64));
  Tensor y = (d * d).sum();
  EXPECT_EQ(y.tangent().item(), 4);
  y.backward();
  EXPECT_EQ(x.grad().item(), 4);
}

TEST(ForwardAD, BadInput) {
  EXPECT_THROWS_WITH(autograd::make_dual(ones({2}, kFloat64), ones({3}, kFloat64)), "make_dual",
                     "[3]", "[2]");
  EXPECT_THROWS_WITH(autograd::make_dual(ones({2}, kFloat64), ones({2})), "make_dual", "float32");
  EXPECT_THROWS_WITH(autograd::make_dual(ones({2}, kInt64), ones({2}, kInt64)), "make_dual",
                     "int64");
  Tensor d = autograd::make_dual(ones({2}, kFloat64), ones({2}, kFloat64));
  EXPECT_THROWS_WITH(d.add_(1.0), "add_", "dual");
}

}  // namespace
}  // namespace gpunn
