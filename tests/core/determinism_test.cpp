// Determinism (gpunn/config.h, docs/reproducibility.md): whole small trainings
// run twice in one process give bitwise identical losses, parameters and
// buffers, on the reference loops and on oneDNN, with shuffling, prefetch,
// dropout, batch norm and Adam in the loop. CUDA's twins are in
// tests/cuda/determinism_test.cpp.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

// Bit patterns, so that comparisons are bitwise (NaN == NaN, -0 != +0).
std::vector<uint32_t> bits(const Tensor& t) {
  const std::vector<float> v = t.to(kFloat32).to_vector<float>();
  std::vector<uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

struct RunResult {
  std::vector<std::vector<uint32_t>> losses;  // one per step
  std::vector<std::vector<uint32_t>> state;   // parameters, then buffers
};

std::shared_ptr<nn::Sequential> make_mlp() {
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(12, 32);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Dropout>(0.3);
  net->emplace<nn::Linear>(32, 16);
  net->emplace<nn::Tanh>();
  net->emplace<nn::Linear>(16, 4);
  return net;
}

// conv -> batch norm -> relu -> max pool -> dropout -> linear: every family
// oneDNN serves on the CPU, forward and backward.
std::shared_ptr<nn::Sequential> make_cnn() {
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Conv2d>(1, 6, 3, 1, 1);
  net->emplace<nn::BatchNorm2d>(6);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Sigmoid>();
  net->emplace<nn::Dropout>(0.25);
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(6 * 4 * 4, 4);
  return net;
}

enum class Model { Mlp, Cnn };

// Seeds everything the way a user would, then trains two shuffled epochs.
RunResult train(Model which, uint64_t loader_seed = 7, bool prefetch = true) {
  manual_seed(1234);
  const Tensor x = which == Model::Mlp ? randn({96, 3, 4}) : randn({96, 1, 8, 8});
  const Tensor y = randint(0, 4, {x.shape()[0]});
  auto model = which == Model::Mlp ? make_mlp() : make_cnn();
  optim::Adam opt(model->parameters(), {.lr = 1e-2});
  nn::CrossEntropyLoss criterion;
  data::DataLoader loader(
      data::TensorDataset(x, y),
      {.batch_size = 16, .shuffle = true, .seed = loader_seed, .prefetch = prefetch});
  RunResult r;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (const data::Batch& b : loader) {
      opt.zero_grad();
      Tensor loss = criterion((*model)(b.data), b.target);
      loss.backward();
      opt.step();
      r.losses.push_back(bits(loss.detach()));
    }
  }
  for (const Tensor& p : model->parameters()) r.state.push_back(bits(p.detach()));
  for (const Tensor& b : model->buffers()) r.state.push_back(bits(b.to(kFloat64)));
  return r;
}

struct DeterminismParam {
  Model model;
  Impl impl;
};

class TrainingDeterminism : public ::testing::TestWithParam<DeterminismParam> {
 protected:
  void SetUp() override {
    if (GetParam().impl == Impl::Vendor && !cpu_vendor_available())
      GTEST_SKIP() << "this build has no oneDNN (GPUNN_WITH_ONEDNN=OFF)";
    previous_impl_ = get_impl(OpFamily::Conv);
    previous_det_ = deterministic();
    set_impl(GetParam().impl);
    set_deterministic(true);
  }
  void TearDown() override {
    set_impl(previous_impl_);
    set_deterministic(previous_det_);
  }

 private:
  Impl previous_impl_ = Impl::Auto;
  bool previous_det_ = false;
};

TEST_P(TrainingDeterminism, TwoRunsAreBitwiseIdentical) {
  const RunResult a = train(GetParam().model);
  const RunResult b = train(GetParam().model);
  ASSERT_EQ(a.losses.size(), 12u);
  EXPECT_EQ(a.losses, b.losses);
  ASSERT_EQ(a.state.size(), b.state.size());
  for (size_t i = 0; i < a.state.size(); ++i) EXPECT_EQ(a.state[i], b.state[i]) << "tensor " << i;
  // Not vacuous: training moved, and another shuffle gives other numbers.
  EXPECT_NE(a.losses.front(), a.losses.back());
  const RunResult other = train(GetParam().model, /*loader_seed=*/8);
  EXPECT_NE(a.state, other.state);
}

// The loader's order does not depend on its thread: prefetch on or off, the
// same run bit for bit.
TEST_P(TrainingDeterminism, PrefetchDoesNotChangeResults) {
  const RunResult a = train(GetParam().model, 7, /*prefetch=*/true);
  const RunResult b = train(GetParam().model, 7, /*prefetch=*/false);
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.state, b.state);
}

INSTANTIATE_TEST_SUITE_P(Cpu, TrainingDeterminism,
                         ::testing::Values(DeterminismParam{Model::Mlp, Impl::Custom},
                                           DeterminismParam{Model::Mlp, Impl::Vendor},
                                           DeterminismParam{Model::Cnn, Impl::Custom},
                                           DeterminismParam{Model::Cnn, Impl::Vendor}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.model == Model::Mlp ? "Mlp"
                                                                                   : "Cnn") +
                                  (param_info.param.impl == Impl::Custom ? "Reference" : "OneDnn");
                         });

// Run by the CTest entry determinism_and_anomaly_from_environment
// (tests/CMakeLists.txt), which sets GPUNN_DETERMINISTIC=1 and
// GPUNN_DETECT_ANOMALY=1, GPUNN_CUDNN_BENCHMARK=0 (and OMP_DYNAMIC=true for the
// trainings above);
// skipped in the plain run.
TEST(EnvSettings, ReadAtStartUp) {
  const char* expect = std::getenv("GPUNN_TEST_ENV_SETTINGS");
  if (expect == nullptr) GTEST_SKIP() << "run by the determinism_and_anomaly_from_environment test";
  EXPECT_TRUE(deterministic());
  EXPECT_TRUE(autograd::is_anomaly_enabled());
  EXPECT_FALSE(cudnn_benchmark());
}

TEST(Determinism, SettingRoundTrips) {
  const bool before = deterministic();
  set_deterministic(true);
  EXPECT_TRUE(deterministic());
  set_deterministic(false);
  EXPECT_FALSE(deterministic());
  set_deterministic(before);
}

// Dropout's mask is a pure function of the generator's seed and offset
// (Philox), so reseeding replays it exactly.
TEST(Determinism, DropoutReplaysFromTheSeed) {
  const Tensor x = ones({1000});
  Generator g(99);
  const std::vector<uint32_t> first = bits(dropout(x, 0.5, true, &g));
  g.manual_seed(99);
  EXPECT_EQ(bits(dropout(x, 0.5, true, &g)), first);
  Generator other(100);
  EXPECT_NE(bits(dropout(x, 0.5, true, &other)), first);
}

}  // namespace
}  // namespace gpunn
