// Optimizers (gpunn/optim/*.h): single steps against the formulas evaluated by
// hand in double, five-step trajectories against torch.optim (PyTorch 1.13,
// float64), float32, parameter groups, and state save/load.
#include <gpunn/optim/adam.h>
#include <gpunn/optim/rmsprop.h>
#include <gpunn/optim/sgd.h>

#include <cmath>
#include <functional>
#include <memory>

#include "test_util.h"

namespace gpunn {
namespace {

using optim::Optimizer;

Tensor param(std::vector<double> v, DType dtype = kFloat64) {
  return tensor(v, dtype).requires_grad_(true);
}

// The gradient of the quadratic loss Σ c·p² + d·p, set by hand so the test does
// not depend on autograd: g = 2·c·p + d.
void set_quadratic_grad(const Tensor& p) {
  const std::vector<double> c = {1.0, 0.5, 2.0}, d = {0.3, -0.1, 0.0};
  std::vector<double> v = p.to_vector<double>(), g(v.size());
  for (size_t i = 0; i < v.size(); ++i) g[i] = 2 * c[i] * v[i] + d[i];
  Tensor q = p;
  q.set_grad(tensor(g, p.dtype()));
}

std::vector<double> trajectory(const std::function<std::unique_ptr<Optimizer>(Tensor)>& make,
                               DType dtype = kFloat64, int steps = 5) {
  Tensor p = param({0.5, -1.2, 2.0}, dtype);
  auto opt = make(p);
  for (int s = 0; s < steps; ++s) {
    opt->zero_grad();
    set_quadratic_grad(p);
    opt->step();
  }
  return p.to_vector<double>();
}

TEST(SGD, PlainStepWithWeightDecay) {
  Tensor p = param({1.0, -2.0});
  p.set_grad(tensor({0.5, 0.25}, kFloat64));
  optim::SGD opt({p}, {.lr = 0.1, .weight_decay = 0.01});
  opt.step();
  // p − lr·(g + wd·p)
  EXPECT_TRUE(test::values_near(p, {1.0 - 0.1 * (0.5 + 0.01), -2.0 - 0.1 * (0.25 - 0.02)}, 0));
}

TEST(SGD, MomentumAndNesterovByHand) {
  for (const bool nesterov : {false, true}) {
    SCOPED_TRACE(nesterov ? "nesterov" : "heavy ball");
    Tensor p = param({1.0});
    optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = nesterov});
    double x = 1.0, b = 0.0;
    const double g[] = {0.5, -0.2, 0.3};
    for (int s = 0; s < 3; ++s) {
      p.set_grad(tensor({g[s]}, kFloat64));
      opt.step();
      b = s == 0 ? g[s] : 0.9 * b + g[s];
      x -= 0.1 * (nesterov ? g[s] + 0.9 * b : b);
      EXPECT_TRUE(test::values_near(p, {x}, 1e-15)) << "step " << s;
    }
  }
}

TEST(Adam, FirstStepsByHand) {
  Tensor p = param({1.0, -0.5});
  optim::Adam opt({p}, {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8});
  double x[2] = {1.0, -0.5}, m[2] = {0, 0}, v[2] = {0, 0};
  const double g[3][2] = {{0.2, -1.0}, {0.1, 0.5}, {-0.3, 0.0}};
  for (int t = 1; t <= 3; ++t) {
    p.set_grad(tensor({g[t - 1][0], g[t - 1][1]}, kFloat64));
    opt.step();
    for (int i = 0; i < 2; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
      v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
      const double mhat = m[i] / (1 - std::pow(0.9, t)), vhat = v[i] / (1 - std::pow(0.999, t));
      x[i] -= 0.01 * mhat / (std::sqrt(vhat) + 1e-8);
    }
    // The kernel folds the bias corrections differently (lr/(1−β1ᵗ) and
    // √v/√(1−β2ᵗ)), so results agree to rounding, not bitwise.
    EXPECT_TRUE(test::values_near(p, {x[0], x[1]}, 1e-15, 1e-14)) << "step " << t;
  }
}

TEST(RMSprop, FirstStepByHand) {
  Tensor p = param({2.0});
  p.set_grad(tensor({0.4}, kFloat64));
  optim::RMSprop opt({p}, {.lr = 0.01, .alpha = 0.99, .eps = 1e-8});
  opt.step();
  const double s = 0.01 * 0.16;
  EXPECT_TRUE(test::values_near(p, {2.0 - 0.01 * 0.4 / (std::sqrt(s) + 1e-8)}, 1e-15));
}

struct TorchCase {
  const char* name;
  std::function<std::unique_ptr<Optimizer>(Tensor)> make;
  std::vector<double> expected;  // torch.optim, 5 steps, float64
};

std::vector<TorchCase> torch_cases() {
  using optim::AdamOptions;
  using optim::AdamWOptions;
  auto adamw = [] {
    AdamWOptions o;
    o.lr = 0.1;
    o.weight_decay = 0.1;
    return o;
  };
  return {
      {"sgd_momentum_nesterov_wd",
       [](Tensor p) {
         return std::make_unique<optim::SGD>(
             std::vector<Tensor>{p},
             optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
       },
       {-0.41957706284919982, 0.24292797363386504, -0.32660080429586208}},
      {"sgd_momentum_dampening",
       [](Tensor p) {
         return std::make_unique<optim::SGD>(
             std::vector<Tensor>{p},
             optim::SGDOptions{.lr = 0.05, .momentum = 0.8, .dampening = 0.3});
       },
       {0.0094240498499999631, -0.6607401887718749, -0.47744742400000001}},
      {"adam",
       [](Tensor p) {
         return std::make_unique<optim::Adam>(
             std::vector<Tensor>{p},
             AdamOptions{
                 .lr = 0.1, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-6, .weight_decay = 0.05});
       },
       {0.022382939004606084, -0.70774919868961406, 1.5044182308195524}},
      {"adam_amsgrad",
       [](Tensor p) {
         return std::make_unique<optim::Adam>(std::vector<Tensor>{p},
                                              AdamOptions{.lr = 0.1, .amsgrad = true});
       },
       {0.016666077262482676, -0.7053463756355336, 1.502955780646025}},
      {"adamw",
       [adamw](Tensor p) {
         return std::make_unique<optim::AdamW>(std::vector<Tensor>{p}, adamw());
       },
       {0.0031796240701338213, -0.65726719227751762, 1.4155664793043066}},
      {"rmsprop",
       [](Tensor p) {
         return std::make_unique<optim::RMSprop>(
             std::vector<Tensor>{p},
             optim::RMSpropOptions{.lr = 0.01, .alpha = 0.9, .weight_decay = 0.02});
       },
       {0.39663058689537795, -1.095043875322655, 1.8945087772260547}},
      {"rmsprop_centered_momentum",
       [](Tensor p) {
         return std::make_unique<optim::RMSprop>(
             std::vector<Tensor>{p},
             optim::RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
       },
       {0.026778073756699178, -0.68126343291269476, 1.4674353253902535}},
  };
}

TEST(Optimizers, MatchTorchOptimTrajectoriesInDouble) {
  for (const TorchCase& c : torch_cases()) {
    SCOPED_TRACE(c.name);
    // Same formulas, operations grouped alike: agreement to a few ulps.
    EXPECT_TRUE(test::values_near(tensor(trajectory(c.make), kFloat64), c.expected, 1e-14, 1e-13));
  }
}

TEST(Optimizers, Float32FollowsTheFloat64Trajectory) {
  for (const TorchCase& c : torch_cases()) {
    SCOPED_TRACE(c.name);
    // float32 arithmetic over 5 steps: torch.optim in float32 lands within 7e-8
    // of these float64 values; allow a few float32 ulps of 1.0 more than that.
    EXPECT_TRUE(
        test::values_near(tensor(trajectory(c.make, kFloat32), kFloat64), c.expected, 5e-7, 5e-7));
  }
}

TEST(Optimizers, SaveLoadContinueIsBitwiseIdentical) {
  for (const TorchCase& c : torch_cases()) {
    SCOPED_TRACE(c.name);
    for (const DType dtype : {kFloat32, kFloat64}) {
      const std::vector<double> straight = trajectory(c.make, dtype, 7);
      Tensor p = param({0.5, -1.2, 2.0}, dtype);
      StateDict saved;
      std::vector<double> p_saved;
      {
        auto opt = c.make(p);
        for (int s = 0; s < 3; ++s) {
          set_quadratic_grad(p);
          opt->step();
        }
        saved = opt->state_dict();
        p_saved = p.to_vector<double>();
        // The optimizer goes on and is dropped; only the dict survives.
        set_quadratic_grad(p);
        opt->step();
      }
      Tensor q = param(p_saved, dtype);
      auto fresh = c.make(q);
      fresh->load_state_dict(saved);
      for (int s = 3; s < 7; ++s) {
        set_quadratic_grad(q);
        fresh->step();
      }
      EXPECT_EQ(q.to_vector<double>(), straight);
    }
  }
}

TEST(Optimizers, StateDictNamesAndShapes) {
  Tensor a = param({1, 2, 3}), b = tensor({4.0, 5.0}, {1, 2}, kFloat64).requires_grad_(true);
  optim::Adam opt({a, b}, {.amsgrad = true});
  a.set_grad(ones_like(a));  // b gets no gradient: no state for it
  opt.step();
  const StateDict d = opt.state_dict();
  EXPECT_EQ(d.keys(),
            (std::vector<std::string>{
                "param_groups.0.lr", "param_groups.0.weight_decay", "param_groups.0.num_params",
                "hparams.beta1", "hparams.beta2", "hparams.eps", "hparams.amsgrad", "state.0.step",
                "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq"}));
  EXPECT_EQ(d.at("state.0.step").item<int64_t>(), 1);
  EXPECT_EQ(d.at("param_groups.0.num_params").item<int64_t>(), 2);
  EXPECT_EQ(d.at("hparams.amsgrad").item(), 1.0);
  EXPECT_TRUE(test::values_near(d.at("state.0.exp_avg"), {0.1, 0.1, 0.1}, 1e-16));
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{4, 5}));  // untouched
}

TEST(Optimizers, LoadStateDictRejectsMismatches) {
  Tensor a = param({1, 2, 3});
  optim::SGD sgd({a}, {.lr = 0.1, .momentum = 0.9});
  a.set_grad(ones_like(a));
  sgd.step();
  const StateDict good = sgd.state_dict();

  optim::Adam adam({param({1, 2, 3})}, {});
  EXPECT_THROWS_WITH(adam.load_state_dict(good), "adam load_state_dict", "missing entry",
                     "hparams.beta1");

  optim::SGD two({param({1, 2, 3}), param({1})}, {.momentum = 0.9});
  EXPECT_THROWS_WITH(two.load_state_dict(good), "sgd load_state_dict", "group 0 has 2 parameters",
                     "saved state has 1");

  optim::SGD other_shape({param({1, 2})}, {.momentum = 0.9});
  EXPECT_THROWS_WITH(other_shape.load_state_dict(good), "state.0.momentum_buffer", "is [3]",
                     "parameter 0 is [2]");

  StateDict extra = good;
  extra.insert("state.5.step", tensor_from(std::vector<int64_t>{1}, {}));
  optim::SGD target({param({1, 2, 3})}, {.momentum = 0.9});
  EXPECT_THROWS_WITH(target.load_state_dict(extra), "unexpected entry 'state.5.step'");

  StateDict wrong_type = good;
  wrong_type.insert_or_assign("state.0.step", scalar_tensor(1.0, kFloat64));
  EXPECT_THROWS_WITH(target.load_state_dict(wrong_type), "'state.0.step' must be a 0-D int64");

  StateDict bad_option = good;
  bad_option.insert_or_assign("hparams.momentum", scalar_tensor(-1.0, kFloat64));
  EXPECT_THROWS_WITH(target.load_state_dict(bad_option), "sgd: momentum must be >= 0");
  // A failed load changes nothing: momentum is still 0.9 and there is no state yet.
  EXPECT_EQ(target.options().momentum, 0.9);
  EXPECT_EQ(target.state_dict().size(), good.size() - 2);

  // Loading the momentum option switches the buffers with it.
  optim::SGD plain({param({1, 2, 3})}, {});
  plain.load_state_dict(good);
  EXPECT_EQ(plain.options().momentum, 0.9);
  EXPECT_EQ(plain.lr(), 0.1);
}

TEST(Optimizers, ParamGroupsHaveTheirOwnLrAndWeightDecay) {
  Tensor w = param({1.0}), bias = param({1.0});
  optim::SGD opt({optim::ParamGroup{{w}, {}, {}}, optim::ParamGroup{{bias}, 0.5, 0.0}},
                 {.lr = 0.1, .weight_decay = 0.1});
  EXPECT_EQ(opt.lr(0), 0.1);
  EXPECT_EQ(opt.lr(1), 0.5);
  w.set_grad(ones_like(w));
  bias.set_grad(ones_like(bias));
  opt.step();
  EXPECT_TRUE(test::values_near(w, {1.0 - 0.1 * (1.0 + 0.1)}, 1e-15));
  EXPECT_TRUE(test::values_near(bias, {1.0 - 0.5}, 1e-15));
  opt.set_lr(0.2);
  EXPECT_EQ(opt.lr(1), 0.2);
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
  w.set_grad(ones_like(w));
  opt.zero_grad(false);
  EXPECT_EQ(w.grad().item(), 0.0);
}

TEST(Optimizers, RejectBadParametersAndOptions) {
  EXPECT_THROWS_WITH(optim::SGD({tensor({1.0})}, {}), "must be a leaf tensor that requires grad");
  Tensor p = param({1.0});
  EXPECT_THROWS_WITH(optim::SGD({p, p}, {}), "appears more than once");
  EXPECT_THROWS_WITH(optim::SGD({p}, {.lr = -1}), "sgd: lr must be finite and >= 0");
  EXPECT_THROWS_WITH(optim::SGD({p}, {.nesterov = true}), "nesterov needs momentum > 0");
  EXPECT_THROWS_WITH(optim::Adam({p}, {.beta1 = 1.0}), "adam: betas must be in [0, 1)");
  EXPECT_THROWS_WITH(optim::RMSprop({p}, {.alpha = 2}), "rmsprop: alpha must be in [0, 1]");
  optim::SGD opt({p}, {});
  EXPECT_THROWS_WITH(opt.set_lr(3, 0.1), "no parameter group 3");
}

}  // namespace
}  // namespace gpunn
