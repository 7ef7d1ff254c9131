// Gradient clipping (gpunn/optim/clip.h), against torch.nn.utils (PyTorch 1.13).
#include <gpunn/optim/clip.h>

#include <cmath>
#include <limits>

#include "test_util.h"

namespace gpunn {
namespace {

std::vector<Tensor> two_params() {
  Tensor a = zeros({3}, kFloat64).requires_grad_(true),
         b = zeros({2}, kFloat64).requires_grad_(true);
  a.set_grad(tensor({3.0, -4.0, 1.0}, kFloat64));
  b.set_grad(tensor({2.0, -2.0}, kFloat64));
  return {a, b, zeros({1}, kFloat64).requires_grad_(true)};  // the last has no gradient
}

TEST(ClipGradNorm, TwoNormMatchesTorch) {
  const std::vector<Tensor> ps = two_params();
  EXPECT_NEAR(optim::clip_grad_norm(ps, 1.0), 5.8309518948453007, 1e-15);  // √34
  EXPECT_TRUE(test::values_near(
      ps[0].grad(), {0.51449566719224749, -0.68599422292299661, 0.17149855573074915}, 1e-15));
  EXPECT_TRUE(test::values_near(ps[1].grad(), {0.34299711146149831, -0.34299711146149831}, 1e-15));
}

TEST(ClipGradNorm, ThreeNormMatchesTorch) {
  const std::vector<Tensor> ps = two_params();
  EXPECT_NEAR(optim::clip_grad_norm(ps, 2.0, 3.0), 4.7622031559045981, 1e-14);
  EXPECT_TRUE(test::values_near(
      ps[0].grad(), {1.2599207853280867, -1.6798943804374491, 0.41997359510936227}, 1e-14));
}

TEST(ClipGradNorm, InfinityNormAndNoClipBelowTheLimit) {
  std::vector<Tensor> ps = two_params();
  EXPECT_EQ(optim::clip_grad_norm(ps, 8.0, std::numeric_limits<double>::infinity()), 4.0);
  EXPECT_EQ(ps[0].grad().to_vector<double>(), (std::vector<double>{3, -4, 1}));  // untouched
  ps = two_params();
  EXPECT_EQ(optim::clip_grad_norm(ps, 2.0, std::numeric_limits<double>::infinity()), 4.0);
  EXPECT_TRUE(test::values_near(ps[1].grad(), {2 * 2 / (4 + 1e-6), -2 * 2 / (4 + 1e-6)}, 1e-15));
  EXPECT_EQ(optim::clip_grad_norm({zeros({2}).requires_grad_(true)}, 1.0), 0.0);
  EXPECT_THROWS_WITH(optim::clip_grad_norm(ps, 1.0, 0.0), "clip_grad_norm: norm_type must be > 0");
  EXPECT_THROWS_WITH(optim::clip_grad_norm(ps, -1.0), "max_norm must be >= 0");
}

TEST(ClipGradNorm, Float32Gradients) {
  Tensor a = zeros({2}).requires_grad_(true);
  a.set_grad(tensor({3.0, 4.0}));
  EXPECT_NEAR(optim::clip_grad_norm({a}, 1.0), 5.0, 1e-6);
  EXPECT_TRUE(test::values_near(a.grad(), {0.6, 0.8}, 1e-6));
  EXPECT_EQ(a.grad().dtype(), kFloat32);
}

TEST(ClipGradValue, Clamps) {
  const std::vector<Tensor> ps = two_params();
  optim::clip_grad_value(ps, 2.5);
  EXPECT_EQ(ps[0].grad().to_vector<double>(), (std::vector<double>{2.5, -2.5, 1}));
  EXPECT_EQ(ps[1].grad().to_vector<double>(), (std::vector<double>{2, -2}));
  EXPECT_THROWS_WITH(optim::clip_grad_value(ps, -1), "clip_value must be >= 0");
}

}  // namespace
}  // namespace gpunn
