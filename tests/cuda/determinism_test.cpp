// Determinism on the GPU (docs/reproducibility.md): with gpunn::deterministic()
// on, whole trainings on CUDA run twice give bitwise identical results on our
// kernels and on cuDNN/cuBLAS, embedding's backward matches the CPU bit for bit,
// and anomaly mode's device check finds NaN. Skipped without a GPU
// (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

const Device kCuda = Device::cuda(0);

std::vector<uint32_t> bits(const Tensor& t) {
  const std::vector<float> v = t.to(kCPU).to(kFloat32).to_vector<float>();
  std::vector<uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

// Restores the implementation and determinism settings a test changes.
class DeterministicScope {
 public:
  explicit DeterministicScope(Impl impl) : impl_(get_impl(OpFamily::Conv)), det_(deterministic()) {
    set_impl(impl);
    set_deterministic(true);
  }
  ~DeterministicScope() {
    set_impl(impl_);
    set_deterministic(det_);
  }

 private:
  Impl impl_;
  bool det_;
};

struct RunResult {
  std::vector<std::vector<uint32_t>> losses, state;
};

// conv -> batch norm -> relu -> max pool -> dropout -> embedding-free head;
// then an embedding bag so that the atomic kernel's replacement runs too.
RunResult train_on_gpu() {
  manual_seed(77);
  const Tensor x = randn({64, 2, 10, 10}), y = randint(0, 5, {64});
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Conv2d>(2, 8, 3, 1, 1);
  net->emplace<nn::BatchNorm2d>(8);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Dropout>(0.2);
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(8 * 5 * 5, 5);
  net->to(kCuda);
  nn::Embedding emb(5, 5);
  emb.to(kCuda);
  std::vector<Tensor> params = net->parameters();
  params.push_back(emb.weight);
  optim::Adam opt(params, {.lr = 1e-2});
  data::DataLoader loader(data::TensorDataset(x, y),
                          {.batch_size = 16, .shuffle = true, .seed = 3, .device = kCuda});
  RunResult r;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (const data::Batch& b : loader) {
      opt.zero_grad();
      // Repeated indices: the embedding's backward sums many rows into few.
      const Tensor logits = add((*net)(b.data), emb(b.target));
      Tensor loss = cross_entropy(logits, b.target);
      loss.backward();
      opt.step();
      r.losses.push_back(bits(loss.detach()));
    }
  }
  for (const Tensor& p : params) r.state.push_back(bits(p.detach()));
  for (const Tensor& b : net->buffers()) r.state.push_back(bits(b.to(kFloat64)));
  return r;
}

TEST(CudaDeterminism, TrainingTwiceIsBitwiseIdenticalOnOurKernels) {
  GPUNN_REQUIRE_GPU();
  DeterministicScope scope(Impl::Custom);
  const RunResult a = train_on_gpu(), b = train_on_gpu();
  ASSERT_EQ(a.losses.size(), 8u);
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.state, b.state);
  EXPECT_NE(a.losses.front(), a.losses.back());
}

TEST(CudaDeterminism, TrainingTwiceIsBitwiseIdenticalOnCudnnAndCublas) {
  GPUNN_REQUIRE_GPU();
  DeterministicScope scope(Impl::Vendor);
  const RunResult a = train_on_gpu(), b = train_on_gpu();
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.state, b.state);
}

// The sorted kernel adds in the CPU loop's order, in T: the same bits.
TEST(CudaDeterminism, EmbeddingBackwardEqualsTheCpuBitwise) {
  GPUNN_REQUIRE_GPU();
  DeterministicScope scope(Impl::Auto);
  test::reseed(11);
  const Tensor w = test::uniform({7, 33}).to(kFloat32);
  const Tensor idx = randint(0, 7, {4000}, kInt64, &test::rng());  // heavy repetition
  const Tensor dy = test::uniform({4000, 33}).to(kFloat32);
  auto grad_on = [&](Device d) {
    Tensor wl = test::leaf(w.to(d));
    Tensor out = embedding(idx.to(d), wl);
    sum(mul(out, dy.to(d))).backward();
    return bits(wl.grad());
  };
  const std::vector<uint32_t> cpu = grad_on(kCPU), gpu = grad_on(kCuda);
  EXPECT_EQ(gpu, cpu);
  EXPECT_EQ(grad_on(kCuda), gpu);
}

// index_select's backward sums like embedding's (sorted, in a fixed order): the same bits.
TEST(CudaDeterminism, IndexSelectBackwardEqualsTheCpuBitwise) {
  GPUNN_REQUIRE_GPU();
  DeterministicScope scope(Impl::Auto);
  test::reseed(12);
  const Tensor x = test::uniform({3, 9, 17}).to(kFloat32);
  const Tensor idx = randint(0, 9, {3000}, kInt64, &test::rng());
  const Tensor dy = test::uniform({3, 3000, 17}).to(kFloat32);
  auto grad_on = [&](Device d) {
    Tensor xl = test::leaf(x.to(d));
    sum(mul(index_select(xl, 1, idx.to(d)), dy.to(d))).backward();
    return bits(xl.grad());
  };
  const std::vector<uint32_t> cpu = grad_on(kCPU), gpu = grad_on(kCuda);
  EXPECT_EQ(gpu, cpu);
  EXPECT_EQ(grad_on(kCuda), gpu);
}

// cuDNN's backward-filter algorithm 0 sums with atomics; deterministic mode
// must never pick it, so repeated weight gradients agree bit for bit.
TEST(CudaDeterminism, CudnnConvBackwardRepeatsBitwise) {
  GPUNN_REQUIRE_GPU();
  DeterministicScope scope(Impl::Vendor);
  test::reseed(12);
  const Tensor x = test::uniform({32, 16, 28, 28}).to(kFloat32).to(kCuda);
  const Tensor w0 = test::uniform({32, 16, 3, 3}).to(kFloat32);
  auto weight_grad = [&] {
    Tensor w = test::leaf(w0.to(kCuda));
    sum(conv2d(x, w, Tensor(), {.padding = 1})).backward();
    return bits(w.grad());
  };
  const std::vector<uint32_t> first = weight_grad();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(weight_grad(), first) << "repeat " << i;
}

TEST(CudaAnomaly, DeviceCheckNamesTheOp) {
  GPUNN_REQUIRE_GPU();
  autograd::DetectAnomalyGuard on;
  const Tensor x = tensor({1.0, -1.0, 2.0}, {3}).to(kCuda);
  EXPECT_THROWS_WITH(log(x), "anomaly: log produced NaN in its output [3] float32");
  const Tensor z = tensor({0.0, 1.0}, {2}).to(kCuda);
  EXPECT_THROWS_WITH(rdiv(z, 1.0), "anomaly: rdiv produced Inf");
  EXPECT_NO_THROW(exp(x));
}

}  // namespace
}  // namespace gpunn
