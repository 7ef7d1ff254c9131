// Learning-rate schedules (gpunn/optim/schedule.h): exact values of the closed
// forms, OneCycleLR against torch.optim.lr_scheduler (PyTorch 1.13), save/load.
#include <gpunn/optim/schedule.h>
#include <gpunn/optim/sgd.h>

#include <cmath>
#include <numbers>

#include "test_util.h"

namespace gpunn {
namespace {

struct Fixture {
  Tensor p = tensor({0.0}, kFloat64).requires_grad_(true);
  optim::SGD opt{std::vector<Tensor>{p}, optim::SGDOptions{.lr = 0.1}};
};

std::vector<double> lrs(optim::Optimizer& opt, optim::LRScheduler& s, int n) {
  std::vector<double> out = {opt.lr()};
  for (int i = 1; i < n; ++i) {
    s.step();
    out.push_back(opt.lr());
  }
  return out;
}

TEST(Schedule, StepLR) {
  Fixture f;
  optim::StepLR s(f.opt, 3, 0.5);
  EXPECT_EQ(lrs(f.opt, s, 8), (std::vector<double>{0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025}));
  EXPECT_EQ(s.last_epoch(), 7);
}

TEST(Schedule, ExponentialLR) {
  Fixture f;
  optim::ExponentialLR s(f.opt, 0.5);
  EXPECT_EQ(lrs(f.opt, s, 4), (std::vector<double>{0.1, 0.05, 0.025, 0.0125}));
}

TEST(Schedule, WarmupCosine) {
  Fixture f;
  optim::WarmupCosineLR s(f.opt, 2, 6, 0.01);
  const std::vector<double> got = lrs(f.opt, s, 8);
  auto cosine = [](double x) { return 0.01 + 0.09 * (1 + std::cos(std::numbers::pi * x)) / 2; };
  const std::vector<double> want = {0.0,         0.05,         0.1,  cosine(0.25),
                                    cosine(0.5), cosine(0.75), 0.01, 0.01};
  // Same closed form; min_lr + (base − min_lr)·… is evaluated in another order
  // than the lambda above, so allow 1 ulp.
  EXPECT_TRUE(test::values_near(tensor(got, kFloat64), want, 0, 2e-16));
  EXPECT_NEAR(got[4], 0.055, 1e-17);  // the midpoint of the cosine
}

TEST(Schedule, OneCycleMatchesTorch) {
  Fixture f;
  optim::OneCycleLR s(f.opt, {.max_lr = 0.1, .total_steps = 10, .pct_start = 0.3});
  EXPECT_TRUE(test::values_near(
      tensor(lrs(f.opt, s, 10), kFloat64),
      {0.0040000000000000036, 0.052000000000000005, 0.10000000000000001, 0.095048463201347383,
       0.081174565394976306, 0.06112620219362893, 0.038874197806371073, 0.018825834605023701,
       0.0049519367986526289, 3.9999999999999998e-07},
      1e-17, 1e-15));
  // PyTorch allows total_steps calls of step(): the loop of docs/training.md, one per batch.
  // The last sets the lr of a step no batch takes: the cosine continued past its end,
  // pct = 8/7 (torch.optim.lr_scheduler.OneCycleLR's formula, evaluated in Python).
  s.step();
  EXPECT_EQ(s.last_epoch(), 10);
  EXPECT_NEAR(f.opt.lr(), 0.004951936798652624, 1e-17);
  EXPECT_THROWS_WITH(s.step(), "OneCycleLR: step() called 11 times but total_steps is 10");

  Fixture g;
  optim::OneCycleLR three(
      g.opt, {.max_lr = 0.1, .total_steps = 10, .pct_start = 0.3, .three_phase = true});
  EXPECT_TRUE(test::values_near(
      tensor(lrs(g.opt, three, 10), kFloat64),
      {0.0040000000000000036, 0.052000000000000005, 0.10000000000000001, 0.052000000000000005,
       0.0040000000000000001, 0.0036180721853510196, 0.0026181721853510195, 0.0013822278146489802,
       0.00038232781464898029, 3.9999999999999998e-07},
      1e-17, 1e-15));
  three.step();
  EXPECT_NEAR(g.opt.lr(), 0.00038232781464897985, 1e-17);
  EXPECT_THROWS_WITH(three.step(), "total_steps is 10");
}

// docs/training.md's loop: total_steps = epochs · batches and one step() per batch.
TEST(Schedule, OneCycleTakesOneStepPerBatchOfEveryEpoch) {
  Fixture f;
  const int epochs = 3, batches = 4;
  optim::OneCycleLR s(f.opt, {.max_lr = 0.1, .total_steps = epochs * batches});
  for (int e = 0; e < epochs; ++e)
    for (int b = 0; b < batches; ++b) s.step();
  EXPECT_EQ(s.last_epoch(), epochs * batches);
}

TEST(Schedule, SaveLoadResumesTheSameLr) {
  Fixture f;
  optim::WarmupCosineLR s(f.opt, 3, 20);
  for (int i = 0; i < 7; ++i) s.step();
  const StateDict d = s.state_dict();
  EXPECT_EQ(d.at("last_epoch").item<int64_t>(), 7);

  Fixture g;
  g.opt.set_lr(0.1);
  optim::WarmupCosineLR r(g.opt, 3, 20);
  r.load_state_dict(d);
  EXPECT_EQ(g.opt.lr(), f.opt.lr());
  s.step();
  r.step();
  EXPECT_EQ(g.opt.lr(), f.opt.lr());

  StateDict bad;
  bad.insert("last_epoch", tensor_from(std::vector<int64_t>{-1}, {}));
  bad.insert("base_lrs", tensor({0.1}, kFloat64));
  EXPECT_THROWS_WITH(r.load_state_dict(bad), "WarmupCosineLR", "must be >= 0");
  StateDict groups;
  groups.insert("last_epoch", tensor_from(std::vector<int64_t>{1}, {}));
  groups.insert("base_lrs", tensor({0.1, 0.2}, kFloat64));
  EXPECT_THROWS_WITH(r.load_state_dict(groups), "base_lrs must be float64 [1]");
}

TEST(Schedule, RejectsBadArguments) {
  Fixture f;
  EXPECT_THROWS_WITH(optim::StepLR(f.opt, 0), "StepLR: step_size must be >= 1");
  EXPECT_THROWS_WITH(optim::WarmupCosineLR(f.opt, 5, 5), "0 <= warmup_steps < total_steps");
  EXPECT_THROWS_WITH(optim::OneCycleLR(f.opt, {.total_steps = 3, .pct_start = 0.2}),
                     "leaves a phase without steps");
}

}  // namespace
}  // namespace gpunn
