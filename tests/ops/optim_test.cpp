// The optim family: the fused in-place updates of gpunn/ops/optim.h (sgd_step_,
// adam_step_, rmsprop_step_) that the optimizers of gpunn/optim/ call: one step against
// the formulas written out in double, trajectories on every implementation row, bad
// input.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ops/rows.h"
#include "test_util.h"

namespace gpunn {
namespace {

std::vector<double> values(const Tensor& t) { return t.to(kCPU).to_vector<double>(); }

TEST(OptimOps, SgdStepWithNesterovMomentumMatchesTheFormula) {
  const Tensor p = tensor({1.0, -2.0, 0.5}, kFloat64), g = tensor({0.1, 0.2, -0.3}, kFloat64);
  const Tensor b = tensor({0.4, 0.0, -0.1}, kFloat64);
  const SgdStep s{
      .lr = 0.1, .momentum = 0.9, .dampening = 0.0, .weight_decay = 0.01, .nesterov = true};
  std::vector<double> pe = values(p), be = values(b);
  const std::vector<double> ge = values(g);
  for (size_t i = 0; i < pe.size(); ++i) {
    const double gi = ge[i] + 0.01 * pe[i];
    be[i] = 0.9 * be[i] + gi;
    pe[i] -= 0.1 * (gi + 0.9 * be[i]);
  }
  sgd_step_(p, g, b, s);
  EXPECT_TRUE(test::values_near(p, pe, 1e-15));
  EXPECT_TRUE(test::values_near(b, be, 1e-15));
}

TEST(OptimOps, AdamWStepMatchesTheFormula) {
  const Tensor p = tensor({1.0, -2.0}, kFloat64), g = tensor({0.1, -0.3}, kFloat64);
  const Tensor m = tensor({0.01, 0.02}, kFloat64), v = tensor({0.001, 0.004}, kFloat64);
  const AdamStep s{.lr = 0.01,
                   .beta1 = 0.9,
                   .beta2 = 0.99,
                   .eps = 1e-8,
                   .weight_decay = 0.1,
                   .decoupled_weight_decay = true,
                   .step = 3};
  std::vector<double> pe = values(p), me = values(m), ve = values(v);
  const std::vector<double> ge = values(g);
  for (size_t i = 0; i < pe.size(); ++i) {
    pe[i] *= 1.0 - 0.01 * 0.1;
    me[i] = 0.9 * me[i] + 0.1 * ge[i];
    ve[i] = 0.99 * ve[i] + 0.01 * ge[i] * ge[i];
    const double mh = me[i] / (1.0 - std::pow(0.9, 3)), vh = ve[i] / (1.0 - std::pow(0.99, 3));
    pe[i] -= 0.01 * mh / (std::sqrt(vh) + 1e-8);
  }
  adam_step_(p, g, m, v, Tensor(), s);
  EXPECT_TRUE(test::values_near(p, pe, 1e-14));
  EXPECT_TRUE(test::values_near(m, me, 1e-15));
  EXPECT_TRUE(test::values_near(v, ve, 1e-15));
}

TEST(OptimOps, CenteredRmspropStepMatchesTheFormula) {
  const Tensor p = tensor({1.0, -2.0}, kFloat64), g = tensor({0.1, -0.3}, kFloat64);
  const Tensor sq = tensor({0.01, 0.02}, kFloat64), ga = tensor({0.05, -0.1}, kFloat64),
               mb = tensor({0.0, 0.1}, kFloat64);
  const RmspropStep s{.lr = 0.01, .alpha = 0.9, .eps = 1e-8, .momentum = 0.5, .centered = true};
  std::vector<double> pe = values(p), se = values(sq), ae = values(ga), be = values(mb);
  const std::vector<double> ge = values(g);
  for (size_t i = 0; i < pe.size(); ++i) {
    se[i] = 0.9 * se[i] + 0.1 * ge[i] * ge[i];
    ae[i] = 0.9 * ae[i] + 0.1 * ge[i];
    const double avg = std::sqrt(se[i] - ae[i] * ae[i]) + 1e-8;
    be[i] = 0.5 * be[i] + ge[i] / avg;
    pe[i] -= 0.01 * be[i];
  }
  rmsprop_step_(p, g, sq, ga, mb, s);
  EXPECT_TRUE(test::values_near(p, pe, 1e-14));
  EXPECT_TRUE(test::values_near(mb, be, 1e-13));
}

TEST(OptimOps, BadInput) {
  const Tensor p = zeros({3}), g = zeros({3});
  EXPECT_THROWS_WITH(sgd_step_(p, zeros({4}), Tensor(), {}), "sgd_step_", "grad", "[4]");
  EXPECT_THROWS_WITH(sgd_step_(p, g, Tensor(), {.momentum = 0.9}), "sgd_step_", "momentum_buffer");
  EXPECT_THROWS_WITH(sgd_step_(p, zeros({3}, kFloat64), Tensor(), {}), "sgd_step_", "float64");
  EXPECT_THROWS_WITH(adam_step_(p, g, zeros({3}), Tensor(), Tensor(), {}), "adam_step_",
                     "exp_avg_sq");
  EXPECT_THROWS_WITH(adam_step_(p, g, zeros({3}), zeros({3}), Tensor(), {.amsgrad = true}),
                     "adam_step_", "max_exp_avg_sq");
  EXPECT_THROWS_WITH(adam_step_(p, g, zeros({3}), zeros({2}), Tensor(), {}), "adam_step_",
                     "exp_avg_sq", "[2]");
  EXPECT_THROWS_WITH(adam_step_(p, g, zeros({3}), zeros({3}), Tensor(), {.step = 0}), "adam_step_",
                     "step");
  EXPECT_THROWS_WITH(rmsprop_step_(p, g, zeros({3}), Tensor(), Tensor(), {.centered = true}),
                     "rmsprop_step_", "grad_avg");
  EXPECT_THROWS_WITH(
      rmsprop_step_(zeros({3, 2}).select(1, 0), g, zeros({3}), Tensor(), Tensor(), {}),
      "rmsprop_step_", "contiguous");
  EXPECT_THROWS_WITH(sgd_step_(zeros({3}, kInt64), g, Tensor(), {}), "sgd_step_", "int64");
  // 16-bit parameters: float32 state, and a master copy only for them.
  const Tensor h = zeros({3}, kBFloat16), hg = zeros({3}, kBFloat16);
  EXPECT_THROWS_WITH(sgd_step_(h, hg, zeros({3}, kBFloat16), {.momentum = 0.9}), "sgd_step_",
                     "momentum_buffer", "must be float32", "16-bit parameters keep float32 state");
  EXPECT_THROWS_WITH(sgd_step_(p, g, Tensor(), {}, zeros({3})), "sgd_step_", "master",
                     "bfloat16 and float16 parameters");
  EXPECT_THROWS_WITH(sgd_step_(h, hg, Tensor(), {}, zeros({3}, kFloat64)), "sgd_step_", "master",
                     "must be float32");
  EXPECT_THROWS_WITH(adam_step_(h, hg, zeros({3}), zeros({3}), Tensor(), {}, zeros({2})),
                     "adam_step_", "master", "[2]");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

// Three steps of an optimizer from the same parameters and gradients on every row: the
// fused kernels follow the float64 reference's trajectory to float32 rounding.
template <typename Opt, typename Options>
void expect_trajectories(const Options& options, const std::string& what) {
  const Tensor init = test::uniform({1000});
  std::vector<Tensor> grads;
  for (int step = 0; step < 3; ++step) grads.push_back(test::uniform({1000}));
  Tensor ref = init.clone().requires_grad_(true);
  {
    Opt opt({ref}, options);
    for (const Tensor& g : grads) {
      ref.set_grad(g);
      opt.step();
    }
  }
  for (const test::ImplRow& row : test::impl_rows()) {
    set_impl(OpFamily::Optim, row.setting);
    Tensor p = init.to(kFloat32).to(row.device).requires_grad_(true);
    Opt opt({p}, options);
    LaunchTrace trace;
    for (const Tensor& g : grads) {
      p.set_grad(g.to(kFloat32).to(row.device));
      opt.step();
    }
    EXPECT_TRUE(test::tensors_near(p.to(kCPU), ref, 1e-6, 1e-5)) << what << " [" << row.name << "]";
    for (const LaunchRecord& r : trace.records()) {
      if (r.family == OpFamily::Optim && row.setting == Impl::Custom) {
        EXPECT_EQ(r.implementation, row.implementation) << what << " [" << row.name << "]";
      }
    }
  }
  set_impl(OpFamily::Optim, Impl::Auto);
}

// The loss scaler's unscale (gpunn/ops/optim.h) on every device and dtype: gradients divided
// in place (by a power of two here, so exactly), the flag set by a NaN or an Inf in any
// gradient and never cleared; exact values on every device.
TEST(OptimRows, UnscaleGradsOnEveryDeviceAndDtype) {
  std::vector<Device> devices = {kCPU};
  if (cuda::is_available()) devices.push_back(Device::cuda(0));
  for (Device device : devices)
    for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
      SCOPED_TRACE(device.str() + " " + dtype_name(dtype));
      const TensorOptions opts = TensorOptions(dtype).device(device);
      // 40 elements: more than one 8-wide pack of the 16-bit types, not a multiple of it.
      std::vector<double> big(40);
      for (size_t i = 0; i < big.size(); ++i) big[i] = 8.0 * (static_cast<double>(i) - 19.5);
      Tensor a = tensor({1024.0, -64.0, 0.5}, opts), b = tensor(big, opts);
      const Tensor flag = zeros({1}, TensorOptions(kFloat32).device(device));
      unscale_grads_({a, Tensor(), b}, 1.0 / 1024.0, flag);
      EXPECT_EQ(values(a), (std::vector<double>{1.0, -0.0625, 0.5 / 1024.0}));
      for (size_t i = 0; i < big.size(); ++i) ASSERT_EQ(values(b)[i], big[i] / 1024.0) << i;
      EXPECT_EQ(values(flag), (std::vector<double>{0.0}));
      for (double bad : {double{INFINITY}, -double{INFINITY}, std::nan("")}) {
        Tensor c = tensor(std::vector<double>(20, 2.0), opts);
        c.narrow(0, 13, 1).fill_(bad);
        const Tensor f = zeros({1}, TensorOptions(kFloat32).device(device));
        unscale_grads_({c}, 0.5, f);
        EXPECT_EQ(values(f), (std::vector<double>{1.0})) << bad;
        EXPECT_EQ(values(c)[0], 1.0);
        unscale_grads_({a}, 1.0, f);  // a finite gradient later leaves the flag set
        EXPECT_EQ(values(f), (std::vector<double>{1.0}));
      }
    }
  // Bad input names the op.
  const Tensor flag = zeros({1});
  EXPECT_THROWS_WITH(unscale_grads_({ones({2})}, INFINITY, flag), "unscale_grads_", "inv_scale");
  EXPECT_THROWS_WITH(unscale_grads_({ones({2})}, 0.5, zeros({1}, kFloat64)), "unscale_grads_",
                     "found_inf", "one-element float32");
  EXPECT_THROWS_WITH(unscale_grads_({ones({2})}, 0.5, zeros({2})), "unscale_grads_", "found_inf");
  EXPECT_THROWS_WITH(unscale_grads_({ones({2}, kInt64)}, 0.5, flag), "unscale_grads_", "int64");
  EXPECT_THROWS_WITH(unscale_grads_({ones({2, 3}).t()}, 0.5, flag), "unscale_grads_",
                     "not contiguous");
  EXPECT_THROWS_WITH(unscale_grads_({ones({2})}, 0.5, Tensor()), "unscale_grads_", "found_inf");
}

TEST(OptimRows, FusedUpdatesFollowTheReference) {
  expect_trajectories<optim::SGD>(
      optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true},
      "sgd nesterov");
  expect_trajectories<optim::Adam>(optim::AdamOptions{.lr = 1e-2, .amsgrad = true}, "adam amsgrad");
  optim::AdamWOptions adamw;
  adamw.lr = 1e-2;
  expect_trajectories<optim::AdamW>(adamw, "adamw");
  expect_trajectories<optim::RMSprop>(
      optim::RMSpropOptions{.lr = 1e-2, .momentum = 0.5, .centered = true}, "rmsprop centered");
}

}  // namespace
}  // namespace gpunn
