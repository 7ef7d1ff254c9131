// Recompute scopes: autograd::checkpoint, nn::Checkpoint, Sequential::checkpoint_segments.
// The gradients with and without a checkpoint must be bitwise equal on the CPU (the same
// kernels run on the same values), with dropout inside; the checkpoint must keep less.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

using test::leaf;
using test::tensors_near;

// A model with everything a recompute must repeat: dropout (random), batch norm
// (running statistics), fused Linear+ReLU pairs.
std::shared_ptr<nn::Sequential> mlp(uint64_t seed, int64_t width = 16) {
  manual_seed(seed);
  auto m = std::make_shared<nn::Sequential>();
  m->emplace<nn::Linear>(8, width);
  m->emplace<nn::ReLU>();
  m->emplace<nn::Dropout>(0.3);
  m->emplace<nn::Linear>(width, width);
  m->emplace<nn::BatchNorm1d>(width);
  m->emplace<nn::Tanh>();
  m->emplace<nn::Dropout>(0.5);
  m->emplace<nn::Linear>(width, width);
  m->emplace<nn::ReLU>();
  m->emplace<nn::Linear>(width, 3);
  return m;
}

struct Step {
  Tensor loss, input_grad;
  std::vector<Tensor> grads, buffers;
  Generator::State rng_after;
};

// One training step from a fixed seed: forward, loss, backward.
Step step(nn::Module& model, uint64_t seed) {
  manual_seed(seed);
  Tensor x = leaf(rand({6, 8}) * 2.0 - 1.0);
  Tensor target = tensor({0, 1, 2, 0, 1, 2}, kInt64);
  Tensor loss = cross_entropy(model(x), target);
  loss.backward();
  Step s{loss.detach(), x.grad(), {}, {}, default_generator().state()};
  for (const Tensor& p : model.parameters()) s.grads.push_back(p.grad());
  for (const Tensor& b : model.buffers()) s.buffers.push_back(b.clone());
  return s;
}

void expect_bitwise_equal(const Step& a, const Step& b) {
  EXPECT_TRUE(tensors_near(a.loss, b.loss, 0));
  EXPECT_TRUE(tensors_near(a.input_grad, b.input_grad, 0));
  ASSERT_EQ(a.grads.size(), b.grads.size());
  for (size_t i = 0; i < a.grads.size(); ++i) {
    ASSERT_TRUE(a.grads[i].defined() && b.grads[i].defined()) << "parameter " << i;
    EXPECT_TRUE(tensors_near(a.grads[i], b.grads[i], 0)) << "parameter " << i;
  }
  ASSERT_EQ(a.buffers.size(), b.buffers.size());
  for (size_t i = 0; i < a.buffers.size(); ++i)
    EXPECT_TRUE(tensors_near(a.buffers[i], b.buffers[i], 0)) << "buffer " << i;
  // The rerun replays the generator and puts it back: later draws are unchanged.
  EXPECT_EQ(a.rng_after.seed, b.rng_after.seed);
  EXPECT_EQ(a.rng_after.offset, b.rng_after.offset);
}

TEST(Recompute, SequentialSegmentsGiveBitwiseEqualGradientsWithDropoutAndBatchNorm) {
  const Step stored = step(*mlp(7), 11);
  for (size_t k : {1, 2, 3, 4, 9}) {
    auto model = mlp(7);
    model->checkpoint_segments(k);
    EXPECT_EQ(model->checkpoint_segments(), k);
    SCOPED_TRACE("segments of " + std::to_string(k));
    expect_bitwise_equal(step(*model, 11), stored);
  }
}

TEST(Recompute, TheModuleWrapperGivesBitwiseEqualGradientsAndNamesItsChild) {
  const Step stored = step(*mlp(3), 5);
  auto inner = mlp(3);
  nn::Checkpoint wrapped(inner);
  expect_bitwise_equal(step(wrapped, 5), stored);
  const StateDict state = wrapped.state_dict();
  EXPECT_TRUE(state.contains("module.0.weight"));
  EXPECT_TRUE(state.contains("module.4.running_mean"));
  // Batch norm counted one batch, not two (the rerun counts none).
  EXPECT_EQ(inner->named_buffers().back().second.item(), 1.0);
}

TEST(Recompute, TheFunctionFormReachesInputsAndTheTensorsItClosesOver) {
  manual_seed(1);
  const Tensor x0 = rand({4, 5}, kFloat64), w0 = rand({5, 3}, kFloat64);
  const Tensor c0 = rand({3}, kFloat64);
  auto f = [](const Tensor& x, const Tensor& w, const Tensor& c) {
    return sum(tanh(matmul(x, w)) * sigmoid(c) + exp(x).mean());
  };
  Tensor x = leaf(x0), w = leaf(w0), c = leaf(c0);
  f(x, w, c).backward();

  Tensor x2 = leaf(x0), w2 = leaf(w0), c2 = leaf(c0);
  Tensor y = autograd::checkpoint(
      [&](const std::vector<Tensor>& in) { return std::vector<Tensor>{f(in[0], in[1], c2)}; },
      {x2, w2})[0];
  EXPECT_EQ(y.grad_fn_name(), "checkpoint_backward");
  y.backward();
  EXPECT_TRUE(tensors_near(x2.grad(), x.grad(), 0));
  EXPECT_TRUE(tensors_near(w2.grad(), w.grad(), 0));
  EXPECT_TRUE(tensors_near(c2.grad(), c.grad(), 0));  // closed over, not passed

  // autograd::grad sees the closed-over tensor through the checkpoint too.
  Tensor y2 = autograd::checkpoint([&](const Tensor& t) { return f(t, w2, c2); }, x2);
  const std::vector<Tensor> g = autograd::grad({y2}, {w2, c2});
  EXPECT_TRUE(tensors_near(g[0], w.grad(), 0));
  EXPECT_TRUE(tensors_near(g[1], c.grad(), 0));
}

TEST(Recompute, PassesTheFloat64GradientCheck) {
  manual_seed(2);
  const Tensor w = leaf(rand({3, 3}, kFloat64));
  auto f = [&](const std::vector<Tensor>& in) {
    return autograd::checkpoint(
        [&](const std::vector<Tensor>& t) {
          return std::vector<Tensor>{sum(sin(matmul(t[0], w)) * t[1])};
        },
        in)[0];
  };
  EXPECT_TRUE(
      test::derivatives_ok(f, {leaf(rand({2, 3}, kFloat64)), leaf(rand({2, 3}, kFloat64))}));
}

TEST(Recompute, NestedCheckpointsGiveBitwiseEqualGradients) {
  manual_seed(4);
  const Tensor x0 = rand({3, 4}, kFloat64);
  Tensor a = leaf(rand({4, 4}, kFloat64)), b = leaf(rand({4, 4}, kFloat64));
  auto block = [](const Tensor& t, const Tensor& w) { return tanh(matmul(t, w)); };
  Tensor x = leaf(x0);
  sum(block(block(x, a), b)).backward();
  const Tensor ga = a.grad().clone(), gb = b.grad().clone(), gx = x.grad().clone();
  a.zero_grad();
  b.zero_grad();

  Tensor x2 = leaf(x0);
  Tensor y = autograd::checkpoint(
      [&](const Tensor& t) {
        Tensor inner = autograd::checkpoint([&](const Tensor& u) { return block(u, a); }, t);
        return block(inner, b);
      },
      x2);
  sum(y).backward();
  EXPECT_TRUE(tensors_near(x2.grad(), gx, 0));
  EXPECT_TRUE(tensors_near(a.grad(), ga, 0));
  EXPECT_TRUE(tensors_near(b.grad(), gb, 0));
}

TEST(Recompute, ForwardModeSeesThroughIt) {
  manual_seed(5);
  const Tensor x = rand({2, 3}, kFloat64), v = rand({2, 3}, kFloat64);
  const Tensor w = rand({3, 3}, kFloat64);
  auto g = [&](const Tensor& t) { return exp(matmul(t, w)) * t.sum(); };
  const auto [y, jv] =
      autograd::jvp([&](const std::vector<Tensor>& in) { return g(in[0]); }, {x}, {v});
  const auto [y2, jv2] = autograd::jvp(
      [&](const std::vector<Tensor>& in) { return autograd::checkpoint(g, in[0]); }, {x}, {v});
  EXPECT_TRUE(tensors_near(y2, y, 0));
  EXPECT_TRUE(tensors_near(jv2, jv, 0));
}

TEST(Recompute, AutocastIsRerunAsInForward) {
  const Step stored = [] {
    auto m = mlp(8);
    autocast::Guard bf16(kBFloat16);
    return step(*m, 9);
  }();
  auto model = mlp(8);
  model->checkpoint_segments(2);
  Step s;
  {
    autocast::Guard bf16(kBFloat16);
    manual_seed(9);
    Tensor x = leaf(rand({6, 8}) * 2.0 - 1.0);
    Tensor loss = cross_entropy((*model)(x), tensor({0, 1, 2, 0, 1, 2}, kInt64));
    autocast::Guard off(kBFloat16, false);  // backward outside autocast: the rerun turns it on
    loss.backward();
    s = {loss.detach(), x.grad(), {}, {}, default_generator().state()};
  }
  for (const Tensor& p : model->parameters()) s.grads.push_back(p.grad());
  for (const Tensor& b : model->buffers()) s.buffers.push_back(b.clone());
  expect_bitwise_equal(s, stored);
}

TEST(Recompute, KeepsOnlyTheSegmentInputsUntilBackward) {
  // Eight wide tanh layers: without a checkpoint, forward keeps every activation.
  auto deep = [](size_t k) {
    manual_seed(6);
    auto m = std::make_shared<nn::Sequential>();
    for (int i = 0; i < 8; ++i) {
      m->emplace<nn::Linear>(256, 256);
      m->emplace<nn::Tanh>();
    }
    m->checkpoint_segments(k);
    return m;
  };
  auto held_after_forward = [](nn::Sequential& m) {
    manual_seed(7);
    Tensor x = rand({512, 256});
    const int64_t before = memory_stats().allocated_bytes;
    Tensor y = m(x);
    Tensor loss = (y * y).mean();
    const int64_t held = memory_stats().allocated_bytes - before;
    loss.backward();
    return held;
  };
  auto stored = deep(0), recomputed = deep(4);
  const int64_t all = held_after_forward(*stored);
  const int64_t some = held_after_forward(*recomputed);
  // One [512, 256] float32 activation is 0.5 MiB. Without a checkpoint each layer keeps
  // one (Linear saves its input, Tanh its output: the next layer's input): 8. With
  // segments of four modules (two layers), the three checkpointed segments keep their
  // outputs (the next segments' inputs) and the last one its two activations: 5.
  const int64_t activation = 512 * 256 * 4;
  EXPECT_GE(all, 8 * activation);
  EXPECT_LE(some, 5 * activation + 4096) << "without " << all << " bytes, with " << some;
  const std::vector<Tensor> p = stored->parameters(), q = recomputed->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(tensors_near(q[i].grad(), p[i].grad(), 0));
}

TEST(Recompute, RetainGraphAllowsASecondBackward) {
  manual_seed(8);
  Tensor w = leaf(rand({4, 4}, kFloat64));
  Tensor x = rand({2, 4}, kFloat64);
  Tensor y = sum(autograd::checkpoint([&](const Tensor& t) { return tanh(matmul(t, w)); }, x));
  y.backward(Tensor(), /*retain_graph=*/true);
  const Tensor once = w.grad().clone();
  y.backward();
  EXPECT_TRUE(tensors_near(w.grad(), once * 2.0, 0));
  EXPECT_THROWS_WITH(y.backward(), "backward", "freed");
}

TEST(Recompute, WithoutRecordingItIsTheFunction) {
  Tensor w = leaf(ones({2}));
  NoGradGuard no_grad;
  int calls = 0;
  Tensor y = autograd::checkpoint(
      [&](const Tensor& t) {
        ++calls;
        return t * w;
      },
      ones({2}));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(y.requires_grad());
}

TEST(Recompute, OutputsThatAreInputsOrOutsideTensorsGetTheirGradients) {
  Tensor x = leaf(tensor({1.0, 2.0}, kFloat64)), w = leaf(tensor({3.0, 4.0}, kFloat64));
  std::vector<Tensor> out = autograd::checkpoint(
      [&](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{in[0], w, in[0] * w};
      },
      {x});
  EXPECT_NE(out[1].impl(), w.impl());  // aliased, so w keeps its own history
  autograd::backward({sum(out[0]) + sum(out[1]) * 2.0 + sum(out[2])});
  EXPECT_TRUE(test::values_near(x.grad(), {4, 5}, 0));  // 1 + w
  EXPECT_TRUE(test::values_near(w.grad(), {3, 4}, 0));  // 2 + x
}

TEST(Recompute, AComparisonOnATrainedTensorInsideIsNoEdge) {
  // gt(w, 0) has no gradient: w is no edge of the checkpoint, and the rerun reaches it not.
  Tensor x = leaf(tensor({1.0, 2.0, 3.0}, kFloat64)), w = leaf(tensor({-1.0, 0.5, 2.0}, kFloat64));
  sum(autograd::checkpoint([&](const Tensor& t) { return t * gt(w, 0.0); }, x)).backward();
  EXPECT_TRUE(test::values_near(x.grad(), {0, 1, 1}, 0));
  EXPECT_FALSE(w.grad().defined());
}

TEST(Recompute, ARerunThatDiffersIsAnErrorNotAWrongGradient) {
  Tensor w = leaf(ones({3}, kFloat64)), v = leaf(ones({3}, kFloat64));
  int calls = 0;
  auto changing = [&](const Tensor& t) { return ++calls == 1 ? t * w : t * v; };
  Tensor y = sum(autograd::checkpoint(changing, ones({3}, kFloat64)));
  EXPECT_THROWS_WITH(y.backward(), "checkpoint", "first run did not use");

  int n = 0;
  auto shape_changes = [&](const Tensor& t) { return ++n == 1 ? t * w : (t * w).sum(); };
  Tensor z = sum(autograd::checkpoint(shape_changes, ones({3}, kFloat64)));
  EXPECT_THROWS_WITH(z.backward(), "checkpoint", "output 0", "[3]");

  // An input changed in place before backward: the saved-tensor check names it.
  Tensor x = ones({3}, kFloat64);
  Tensor u = sum(autograd::checkpoint([&](const Tensor& t) { return t * w; }, x));
  x.add_(1.0);
  EXPECT_THROWS_WITH(u.backward(), "checkpoint_backward", "modified in place");
  // The library is still usable: a fresh checkpoint works.
  w.zero_grad();
  sum(autograd::checkpoint([&](const Tensor& t) { return t * w; }, x)).backward();
  EXPECT_TRUE(test::values_near(w.grad(), {2, 2, 2}, 0));
}

TEST(CudaRecompute, GradientsMatchTheStoredRun) {
  GPUNN_REQUIRE_GPU();
  auto stored = mlp(12);
  stored->to(Device::cuda(0));
  auto recomputed = mlp(12);
  recomputed->to(Device::cuda(0));
  recomputed->checkpoint_segments(2);
  auto run = [](nn::Module& m) {
    manual_seed(13);
    Tensor x = leaf((rand({6, 8}) * 2.0 - 1.0).to(Device::cuda(0)));
    Tensor t = tensor({0, 1, 2, 0, 1, 2}, kInt64).to(Device::cuda(0));
    cross_entropy(m(x), t).backward();
    return x.grad();
  };
  EXPECT_TRUE(tensors_near(run(*recomputed), run(*stored), 0));
  const std::vector<Tensor> p = stored->parameters(), q = recomputed->parameters();
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(tensors_near(q[i].grad(), p[i].grad(), 0));
}

}  // namespace
}  // namespace gpunn
