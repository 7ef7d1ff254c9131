// The loss scaler (gpunn/optim/grad_scaler.h): growth, backoff and the skipped step, exact
// unscaling, the order of calls, state in checkpoints, and the reason it exists: float16
// gradients of a small loss underflow to zero without it and survive with it.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "io/io_test_util.h"
#include "test_util.h"

namespace gpunn {
namespace {

using optim::GradScaler;
using test::leaf;

TEST(GradScaler, GrowsAfterAnIntervalOfFiniteSteps) {
  Tensor p = leaf(ones({2}));
  optim::SGD opt({p}, {.lr = 0.5});
  GradScaler scaler({.init_scale = 8.0, .growth_interval = 3});
  EXPECT_EQ(scaler.get_scale(), 8.0);
  for (int i = 1; i <= 7; ++i) {
    opt.zero_grad();
    scaler.scale(sum(p)).backward();  // gradient 8, 16, ... before unscaling; 1 after
    EXPECT_TRUE(scaler.step(opt));
    scaler.update();
    EXPECT_FALSE(scaler.last_step_skipped());
    // ×2 after every 3 finite steps.
    EXPECT_EQ(scaler.get_scale(), 8.0 * std::pow(2.0, i / 3)) << "after step " << i;
    EXPECT_EQ(scaler.growth_tracker(), i % 3);
  }
  // Seven steps of lr 0.5 with gradient 1 each.
  EXPECT_EQ(p.to_vector<double>(), (std::vector<double>{1 - 3.5, 1 - 3.5}));
}

TEST(GradScaler, SkipsTheStepAndBacksOffOnOverflow) {
  for (double bad : {std::numeric_limits<double>::infinity(), std::nan("")}) {
    Tensor p = leaf(ones({3}));
    optim::Adam opt({p}, {.lr = 0.1});
    GradScaler scaler({.init_scale = 1024.0, .growth_interval = 2});
    // One finite step, so the tracker is at 1 when the overflow comes.
    scaler.scale(sum(p)).backward();
    ASSERT_TRUE(scaler.step(opt));
    scaler.update();
    const std::vector<double> before = p.to_vector<double>();
    opt.zero_grad();
    scaler.scale(sum(mul(p, tensor({1.0, bad, 1.0})))).backward();
    EXPECT_FALSE(scaler.step(opt));
    EXPECT_EQ(p.to_vector<double>(), before) << "the step must be skipped";
    EXPECT_EQ(opt.state_dict().at("state.0.step").item<int64_t>(), 1);
    scaler.update();
    EXPECT_TRUE(scaler.last_step_skipped());
    EXPECT_EQ(scaler.get_scale(), 512.0);
    EXPECT_EQ(scaler.growth_tracker(), 0);
    // The flag is cleared: the next finite step goes through.
    opt.zero_grad();
    scaler.scale(sum(p)).backward();
    EXPECT_TRUE(scaler.step(opt));
    scaler.update();
    EXPECT_NE(p.to_vector<double>(), before);
  }
}

TEST(GradScaler, UnscalesExactlyBeforeClipping) {
  Tensor p = leaf(tensor({3.0, 4.0}));
  optim::SGD opt({p}, {.lr = 1.0});
  GradScaler scaler;                              // 2^16: a power of two, so unscaling is exact
  scaler.scale(0.5 * sum(mul(p, p))).backward();  // gradient = p = (3, 4), scaled by 2^16
  EXPECT_EQ(p.grad().to_vector<double>(), (std::vector<double>{3.0 * 65536, 4.0 * 65536}));
  scaler.unscale_(opt);
  EXPECT_EQ(p.grad().to_vector<double>(), (std::vector<double>{3.0, 4.0}));
  // Clipping sees the true norm (5) and scales to 1.
  EXPECT_NEAR(optim::clip_grad_norm({p}, 1.0), 5.0, 1e-12);
  EXPECT_TRUE(scaler.step(opt));  // does not unscale again
  scaler.update();
  EXPECT_TRUE(test::values_near(p, {3.0 - 0.6, 4.0 - 0.8}, 1e-6));
}

TEST(GradScaler, CallsInTheWrongOrderAreRefusedByName) {
  Tensor p = leaf(ones({2}));
  optim::SGD opt({p}, {.lr = 0.1});
  GradScaler scaler;
  EXPECT_THROWS_WITH(scaler.update(), "GradScaler::update", "no gradients were unscaled");
  scaler.scale(sum(p)).backward();
  scaler.unscale_(opt);
  EXPECT_THROWS_WITH(scaler.unscale_(opt), "GradScaler::unscale_", "already called", "sgd");
  scaler.step(opt);
  EXPECT_THROWS_WITH(scaler.step(opt), "GradScaler::step", "already called");
  EXPECT_THROWS_WITH(scaler.unscale_(opt), "GradScaler::unscale_", "after step()");
  scaler.update();
  EXPECT_THROWS_WITH(GradScaler({.init_scale = 0.0}), "GradScaler", "init_scale");
  EXPECT_THROWS_WITH(GradScaler({.growth_factor = 1.0}), "GradScaler", "growth_factor");
  EXPECT_THROWS_WITH(GradScaler({.backoff_factor = 1.0}), "GradScaler", "backoff_factor");
  EXPECT_THROWS_WITH(GradScaler({.growth_interval = 0}), "GradScaler", "growth_interval");
  EXPECT_THROWS_WITH(scaler.scale(Tensor()), "GradScaler::scale", "undefined");
}

TEST(GradScaler, DisabledPassesThrough) {
  Tensor p = leaf(ones({2}));
  optim::SGD opt({p}, {.lr = 0.5});
  GradScaler scaler({.enabled = false});
  const Tensor loss = sum(p);
  EXPECT_EQ(scaler.scale(loss).impl(), loss.impl());
  loss.backward();
  EXPECT_TRUE(scaler.step(opt));
  scaler.update();
  EXPECT_EQ(p.to_vector<double>(), (std::vector<double>{0.5, 0.5}));
  EXPECT_FALSE(scaler.is_enabled());
}

TEST(GradScaler, StateRoundTripsThroughACheckpoint) {
  GradScaler a({.init_scale = 256.0, .growth_factor = 4.0, .growth_interval = 5});
  Tensor p = leaf(ones({1}));
  optim::SGD opt({p}, {.lr = 0.1});
  for (int i = 0; i < 7; ++i) {
    opt.zero_grad();
    a.scale(sum(p)).backward();
    a.step(opt);
    a.update();
  }
  ASSERT_EQ(a.get_scale(), 1024.0);
  ASSERT_EQ(a.growth_tracker(), 2);
  test::ScratchDir dir;
  io::Checkpoint c;
  c.model.insert("p", p.detach());
  c.scaler = a.state_dict();
  io::save_checkpoint(dir.file("run.ckpt"), c);
  const io::Checkpoint back = io::load_checkpoint(dir.file("run.ckpt"));
  GradScaler b;
  b.load_state_dict(back.scaler);
  EXPECT_EQ(b.get_scale(), 1024.0);
  EXPECT_EQ(b.growth_tracker(), 2);
  EXPECT_EQ(b.state_dict().at("growth_factor").item(), 4.0);
  EXPECT_EQ(b.state_dict().at("growth_interval").item(), 5.0);
  // Bad entries change nothing.
  StateDict bad = a.state_dict();
  bad.insert_or_assign("growth_tracker", tensor_from(std::vector<int64_t>{9}, {}));
  EXPECT_THROWS_WITH(b.load_state_dict(bad), "GradScaler::load_state_dict", "growth_tracker");
  StateDict missing;
  EXPECT_THROWS_WITH(b.load_state_dict(missing), "GradScaler::load_state_dict");
  EXPECT_EQ(b.get_scale(), 1024.0);
}

TEST(GradScaler, Float16GradientsOfASmallLossUnderflowWithoutIt) {
  // A float32 Linear under float16 autocast; the loss is scaled down to 1e-9, so its gradient
  // reaches the float16 product as 1e-9, below float16's smallest subnormal (2^-24 = 6e-8):
  // it rounds to zero. Scaled by 2^16 it is 6.6e-5, which float16 holds, and unscaled in
  // float32 it is 1e-9 again.
  const auto weight_grad = [](bool use_scaler) {
    test::reseed(11);
    nn::Linear fc(4, 1);
    const Tensor x = ones({8, 4});
    GradScaler scaler({.enabled = use_scaler});
    optim::SGD opt(fc.parameters(), {.lr = 0.0});
    Tensor loss;
    {
      autocast::Guard amp(kFloat16);
      loss = mul(sum(fc.forward(x)), 1e-9 / 8.0);
    }
    scaler.scale(loss).backward();
    scaler.unscale_(opt);
    return fc.weight.grad().to_vector<double>();
  };
  for (double g : weight_grad(false)) EXPECT_EQ(g, 0.0) << "expected the gradient to underflow";
  // Each sample's scaled gradient, 8.2e-6, is a float16 subnormal (steps of 6e-8, so about 7
  // significant bits): the sum comes back within 1% of 1e-9.
  for (double g : weight_grad(true)) EXPECT_NEAR(g, 1e-9, 1e-11);
}

}  // namespace
}  // namespace gpunn
