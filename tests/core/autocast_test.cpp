// Autocast (gpunn/autocast.h): each op's output dtype under the policy, gradients that reach
// float32 parameters in float32, one cast per parameter per scope, nesting, and refusals.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

using test::leaf;

Tensor f32(const Shape& s) { return test::uniform(s).to(kFloat32); }

class Autocast : public ::testing::TestWithParam<DType> {};

TEST_P(Autocast, OpsFollowThePolicy) {
  const DType low = GetParam();
  test::reseed(3);
  const Tensor x = f32({4, 6}), w = f32({5, 6}), b = f32({5});
  const Tensor img = f32({2, 3, 8, 8}), filt = f32({4, 3, 3, 3});
  const Tensor target = randint(0, 5, {4}, kInt64);
  autocast::Guard guard(low);
  ASSERT_TRUE(autocast::is_enabled());
  ASSERT_EQ(autocast::dtype(), low);
  // Low precision: the products.
  EXPECT_EQ(linear(x, w, b).dtype(), low);
  EXPECT_EQ(matmul(x, w.t()).dtype(), low);
  EXPECT_EQ(conv2d(img, filt).dtype(), low);
  EXPECT_EQ(conv_transpose2d(img, f32({3, 2, 3, 3})).dtype(), low);
  // float32: sums, exponentials, normalizations and losses, whatever their inputs.
  const Tensor h = linear(x, w, b);  // low
  EXPECT_EQ(softmax(h, 1).dtype(), kFloat32);
  EXPECT_EQ(log_softmax(h, 1).dtype(), kFloat32);
  EXPECT_EQ(cross_entropy(h, target).dtype(), kFloat32);
  EXPECT_EQ(nll_loss(log_softmax(h, 1), target).dtype(), kFloat32);
  EXPECT_EQ(mse_loss(h, h.detach()).dtype(), kFloat32);
  EXPECT_EQ(binary_cross_entropy_with_logits(h, sigmoid(h)).dtype(), kFloat32);
  EXPECT_EQ(multi_margin_loss(h, target).dtype(), kFloat32);
  EXPECT_EQ(sum(h).dtype(), kFloat32);
  EXPECT_EQ(mean(h, {1}).dtype(), kFloat32);
  EXPECT_EQ(exp(h).dtype(), kFloat32);
  EXPECT_EQ(log(abs(h) + 1.0).dtype(), kFloat32);
  EXPECT_EQ(pow(h, 2.0).dtype(), kFloat32);
  const Tensor feat = conv2d(img, filt);  // low
  EXPECT_EQ(batch_norm(feat, Tensor(), Tensor()).dtype(), kFloat32);
  EXPECT_EQ(local_response_norm(feat, 3).dtype(), kFloat32);
  // Everything else follows its inputs: one input keeps its dtype, mixed inputs promote.
  EXPECT_EQ(relu(h).dtype(), low);
  EXPECT_EQ(max_pool2d(feat, {.kernel_size = 2}).dtype(), low);
  EXPECT_EQ(add(h, f32({4, 5})).dtype(), kFloat32);
  EXPECT_EQ(mul(h, h).dtype(), low);
  EXPECT_EQ(cat({h, f32({4, 5})}, 0).dtype(), kFloat32);
  EXPECT_EQ(cat({h, h}, 1).dtype(), low);
  EXPECT_EQ(lstm_cell(linear(x, f32({8, 6})), f32({4, 2})).h.dtype(), kFloat32);
  // The two 16-bit types together promote to float32; float64 is never cast.
  const DType other = low == kBFloat16 ? kFloat16 : kBFloat16;
  EXPECT_EQ(add(h, h.to(other)).dtype(), kFloat32);
  EXPECT_EQ(linear(x.to(kFloat64), w.to(kFloat64)).dtype(), kFloat64);
  EXPECT_EQ(add(h.to(kFloat64), h).dtype(), kFloat64);
}

TEST_P(Autocast, GradientsReachFloat32ParametersInFloat32) {
  const DType low = GetParam();
  test::reseed(4);
  nn::Linear fc(6, 5);
  const Tensor x = f32({8, 6});
  const Tensor target = randint(0, 5, {8}, kInt64);
  Tensor loss;
  {
    autocast::Guard guard(low);
    loss = cross_entropy(fc.forward(x), target);
  }
  EXPECT_EQ(loss.dtype(), kFloat32);
  loss.backward();  // outside the scope: each rule runs in its forward's dtypes
  ASSERT_TRUE(fc.weight.grad().defined());
  EXPECT_EQ(fc.weight.grad().dtype(), kFloat32);
  EXPECT_EQ(fc.bias.grad().dtype(), kFloat32);
  // Against the float32 computation: the 16-bit product rounds its inputs and output
  // (a few ulps of the 16-bit type, 2^-8 relative for bfloat16).
  const Tensor wg = fc.weight.grad().clone(), bg = fc.bias.grad().clone();
  fc.zero_grad();
  cross_entropy(fc.forward(x), target).backward();
  const double tol = low == kBFloat16 ? 3e-2 : 4e-3;
  EXPECT_TRUE(test::tensors_near(wg, fc.weight.grad(), tol * 0.1, tol));
  EXPECT_TRUE(test::tensors_near(bg, fc.bias.grad(), tol * 0.1, tol));
}

TEST_P(Autocast, BackwardInsideTheScopeGivesTheSameGradients) {
  // Autocast is off while backward runs, wherever backward() is called: the bias
  // gradient (a sum over the 16-bit output gradient) stays in the bias cast's dtype.
  const DType low = GetParam();
  test::reseed(5);
  nn::Linear fc(6, 5);
  const Tensor x = f32({8, 6});
  const Tensor target = randint(0, 5, {8}, kInt64);
  {
    autocast::Guard guard(low);
    cross_entropy(fc.forward(x), target).backward();
  }
  const Tensor wg = fc.weight.grad().clone(), bg = fc.bias.grad().clone();
  fc.zero_grad();
  Tensor loss;
  {
    autocast::Guard guard(low);
    loss = cross_entropy(fc.forward(x), target);
  }
  loss.backward();
  EXPECT_TRUE(test::tensors_near(wg, fc.weight.grad(), 0));
  EXPECT_TRUE(test::tensors_near(bg, fc.bias.grad(), 0));
}

TEST_P(Autocast, AParameterIsCastOncePerScope) {
  const DType low = GetParam();
  Tensor w = leaf(f32({4, 4}));
  const Tensor x = f32({2, 4});
  Tensor y;
  {
    autocast::Guard guard(low);
    LaunchTrace trace;
    y = add(linear(x, w), linear(linear(x, w), w));
    // x is cast each time it is read (it is no parameter); w once.
    EXPECT_EQ(trace.count("copy_"), 2 + 1);
    // Changed in place inside the scope: cast again.
    {
      NoGradGuard no_grad;
      w.mul_(2.0);
    }
    trace.clear();
    (void)linear(x, w);
    EXPECT_EQ(trace.count("copy_"), 2);
  }
  // One gradient edge per cast: the three uses of w sum into one float32 gradient.
  sum(y).backward();
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  // A new scope casts again.
  autocast::Guard again(low);
  LaunchTrace trace;
  (void)linear(x, w);
  EXPECT_EQ(trace.count("copy_"), 2);
}

TEST_P(Autocast, GuardsNestAndRestore) {
  const DType low = GetParam();
  const Tensor x = f32({2, 3}), w = f32({3, 3});
  EXPECT_FALSE(autocast::is_enabled());
  {
    autocast::Guard outer(low);
    {
      autocast::Guard off(low, /*enabled=*/false);
      EXPECT_FALSE(autocast::is_enabled());
      EXPECT_EQ(matmul(x, w).dtype(), kFloat32);
    }
    EXPECT_TRUE(autocast::is_enabled());
    {
      const DType other = low == kBFloat16 ? kFloat16 : kBFloat16;
      autocast::Guard inner(other);
      EXPECT_EQ(matmul(x, w).dtype(), other);
    }
    EXPECT_EQ(autocast::dtype(), low);
    EXPECT_EQ(matmul(x, w).dtype(), low);
  }
  EXPECT_FALSE(autocast::is_enabled());
  EXPECT_EQ(matmul(x, w).dtype(), kFloat32);
}

TEST(AutocastRefusals, OnlySixteenBitDtypes) {
  EXPECT_THROWS_WITH(autocast::Guard(kFloat32), "autocast::Guard", "bfloat16 or float16",
                     "float32");
  EXPECT_THROWS_WITH(autocast::Guard(kInt64), "autocast::Guard", "int64");
  EXPECT_FALSE(autocast::is_enabled());
  // Outside a scope mixed dtypes are an error naming both.
  EXPECT_THROWS_WITH(add(ones({2}, kBFloat16), ones({2})), "add", "bfloat16", "float32");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Autocast, ::testing::Values(kBFloat16, kFloat16),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

}  // namespace
}  // namespace gpunn
