// Training through the public API end to end: a Fashion-MNIST MLP reaches the
// accuracy users expect after one epoch, and a checkpointed run resumes
// bitwise identically to an uninterrupted one.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "test_util.h"

namespace gpunn {
namespace {

std::shared_ptr<nn::Sequential> mlp(std::vector<int64_t> sizes, double dropout = 0.0) {
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Flatten>();
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->emplace<nn::Linear>(sizes[i], sizes[i + 1]);
    if (i + 2 < sizes.size()) {
      net->emplace<nn::ReLU>();
      if (dropout > 0) net->emplace<nn::Dropout>(dropout);
    }
  }
  return net;
}

double accuracy(nn::Module& model, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  model.eval();
  const Tensor pred = argmax(model(x), 1);
  model.train();
  const std::vector<int64_t> p = pred.to_vector<int64_t>(), t = y.to_vector<int64_t>();
  int64_t right = 0;
  for (size_t i = 0; i < p.size(); ++i) right += p[i] == t[i];
  return static_cast<double>(right) / static_cast<double>(p.size());
}

TEST(Training, FashionMnistMlpReaches84PercentInOneEpoch) {
  const auto dir = data::find_fashion_mnist();
  if (!dir) GTEST_SKIP() << "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)";
  data::TensorDataset train = data::load_fashion_mnist(*dir, data::Split::Train);
  data::TensorDataset test = data::load_fashion_mnist(*dir, data::Split::Test);
  // Normalization computed on the training set only.
  const data::Normalize norm = data::Normalize::fit_per_channel(train.data());
  data::TensorDataset train_n(norm(train.data()), train.target());

  manual_seed(0);
  auto model = mlp({784, 256, 10});
  optim::Adam opt(model->parameters(), {.lr = 1e-3});
  nn::CrossEntropyLoss criterion;
  data::DataLoader loader(train_n, {.batch_size = 64, .shuffle = true, .seed = 0});
  double first_loss = 0.0, last_loss = 0.0;
  int64_t step = 0;
  for (const data::Batch& b : loader) {
    opt.zero_grad();
    Tensor loss = criterion((*model)(b.data), b.target);
    loss.backward();
    opt.step();
    if (step++ == 0) first_loss = loss.item();
    last_loss = loss.item();
  }
  EXPECT_EQ(step, 938);
  EXPECT_LT(last_loss, first_loss);
  const double acc = accuracy(*model, norm(test.data()), test.target());
  EXPECT_GE(acc, 0.84) << "test accuracy after one epoch";
  std::cout << "Fashion-MNIST MLP test accuracy after one epoch: " << acc << "\n";
}

// Trains `steps` steps of a small dropout MLP on a fixed problem, optionally
// stopping at `stop_at` to checkpoint, and returns the final parameters.
struct RunResult {
  std::vector<std::vector<float>> params;
  double loss = 0.0;
};

RunResult run(int64_t steps, int64_t stop_at, const std::string& ckpt, bool resume) {
  manual_seed(42);
  Tensor x = randn({96, 1, 2, 3}), y = randint(0, 4, {96});
  auto model = mlp({6, 16, 4}, /*dropout=*/0.25);
  optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  optim::StepLR sched(opt, 3, 0.5);
  data::DataLoader loader(data::TensorDataset(x, y),
                          {.batch_size = 16, .shuffle = true, .seed = 7});
  int64_t step = 0;
  if (resume) {
    const io::Checkpoint c = io::load_checkpoint(ckpt);
    model->load_state_dict(c.model);
    opt.load_state_dict(c.optimizer);
    sched.load_state_dict(c.scheduler);
    default_generator().set_state(c.rng);
    step = c.step;
    loader.set_epoch(c.epoch);
  }
  RunResult r;
  nn::CrossEntropyLoss criterion;
  while (step < steps) {
    int64_t in_epoch = 0;
    const int64_t skip = step % loader.num_batches();  // batches already done this epoch
    for (const data::Batch& b : loader) {
      if (in_epoch++ < skip) continue;
      if (step == stop_at) {
        io::Checkpoint c;
        c.model = model->state_dict();
        c.optimizer = opt.state_dict();
        c.scheduler = sched.state_dict();
        c.rng = default_generator().state();
        c.step = step;
        c.epoch = loader.epoch();
        io::save_checkpoint(ckpt, c);
        return r;
      }
      opt.zero_grad();
      Tensor loss = criterion((*model)(b.data), b.target);
      loss.backward();
      opt.step();
      r.loss = loss.item();
      if (++step % loader.num_batches() == 0) sched.step();
      if (step == steps) break;
    }
  }
  for (const Tensor& p : model->parameters()) r.params.push_back(p.to_vector<float>());
  return r;
}

// Stopping after k of N steps, saving, and resuming from the checkpoint in a
// fresh model, optimizer, schedule and loader ends bitwise where an
// uninterrupted run ends: for k on the first step, mid-epoch, on an epoch
// boundary (6 batches an epoch) and on the last step.
TEST(Training, ResumeFromCheckpointIsBitwiseIdentical) {
  const std::string ckpt = (std::filesystem::temp_directory_path() /
                            ("gpunn_resume_test." + std::to_string(::getpid()) + ".safetensors"))
                               .string();
  const RunResult full = run(20, -1, ckpt, false);
  for (const int64_t k : {1, 9, 12, 19}) {
    SCOPED_TRACE("resumed after " + std::to_string(k) + " of 20 steps");
    run(20, k, ckpt, false);  // stops after k steps and saves
    const RunResult resumed = run(20, -1, ckpt, true);
    ASSERT_EQ(full.params.size(), resumed.params.size());
    for (size_t i = 0; i < full.params.size(); ++i)
      EXPECT_EQ(full.params[i], resumed.params[i]) << "parameter " << i;
    EXPECT_EQ(full.loss, resumed.loss);
  }
  std::filesystem::remove(ckpt);
}

}  // namespace
}  // namespace gpunn
