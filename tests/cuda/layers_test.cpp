// Every layer on the GPU against the same layer on the CPU: a copy of the
// module is moved with to(cuda), both run forward and backward on the same
// input, and outputs, input gradients and parameter gradients must agree.
// Skipped without a GPU (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "test_util.h"

namespace gpunn {
namespace {

const Device kCuda = Device::cuda(0);

// make() builds the layer; it is called twice with the same seed.
void expect_layer_parity_impl(const std::function<std::shared_ptr<nn::Module>()>& make,
                              const Tensor& input, const std::string& what, bool train,
                              double tol) {
  manual_seed(11);
  auto cpu = make();
  manual_seed(11);
  auto gpu = make();
  gpu->to(kCuda);
  cpu->train(train);
  gpu->train(train);
  Tensor x_cpu = input.detach().requires_grad_(is_floating(input.dtype()));
  Tensor x_gpu_leaf = input.detach().requires_grad_(is_floating(input.dtype()));
  Tensor x_gpu = x_gpu_leaf.to(kCuda);
  Tensor y_cpu = (*cpu)(x_cpu), y_gpu = (*gpu)(x_gpu);
  ASSERT_EQ(y_gpu.device(), kCuda) << what;
  EXPECT_TRUE(test::tensors_near(y_gpu.to(kCPU), y_cpu, tol, tol)) << what << ": forward";
  Tensor r = test::uniform(y_cpu.shape()).to(y_cpu.dtype());
  sum(mul(y_cpu, r)).backward();
  sum(mul(y_gpu, r.to(kCuda))).backward();
  if (x_cpu.requires_grad()) {
    EXPECT_TRUE(test::tensors_near(x_gpu_leaf.grad(), x_cpu.grad(), tol, tol))
        << what << ": input gradient";
  }
  const auto pc = cpu->named_parameters(), pg = gpu->named_parameters();
  ASSERT_EQ(pc.size(), pg.size());
  for (size_t i = 0; i < pc.size(); ++i) {
    ASSERT_TRUE(pg[i].second.grad().defined()) << what << ": " << pc[i].first;
    EXPECT_TRUE(test::tensors_near(pg[i].second.grad().to(kCPU), pc[i].second.grad(), tol, tol))
        << what << ": gradient of " << pc[i].first;
  }
  const auto gpu_state = gpu->state_dict();  // find() points into it
  for (const auto& [name, b] : cpu->named_buffers()) {
    const Tensor* g = gpu_state.find(name);
    ASSERT_NE(g, nullptr);
    EXPECT_TRUE(test::tensors_near(g->to(kCPU).to(kFloat64), b.to(kFloat64), tol, tol))
        << what << ": buffer " << name;
  }
}

// Runs one layer's comparison; an exception fails this layer by name and the
// test goes on with the next.
void expect_layer_parity(const std::function<std::shared_ptr<nn::Module>()>& make,
                         const Tensor& input, const std::string& what, bool train = true,
                         double tol = 1e-4) {
  try {
    expect_layer_parity_impl(make, input, what, train, tol);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << e.what();
  }
}

TEST(CudaLayers, EveryLayerMatchesTheCpu) {
  GPUNN_REQUIRE_GPU();
  const Tensor img = test::uniform({2, 3, 9, 9}).to(kFloat32);
  const Tensor vec = test::uniform({5, 6}).to(kFloat32);
  expect_layer_parity([] { return std::make_shared<nn::Linear>(6, 4); }, vec, "Linear");
  expect_layer_parity([] { return std::make_shared<nn::Conv2d>(3, 4, 3, 2, 1); }, img, "Conv2d");
  expect_layer_parity(
      [] { return std::make_shared<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 3, .stride = 2}); },
      img, "MaxPool2d");
  expect_layer_parity(
      [] { return std::make_shared<nn::AvgPool2d>(Pool2dOptions{.kernel_size = 2}); }, img,
      "AvgPool2d");
  expect_layer_parity([] { return std::make_shared<nn::ReLU>(); }, vec, "ReLU");
  expect_layer_parity([] { return std::make_shared<nn::LeakyReLU>(0.2); }, vec, "LeakyReLU");
  expect_layer_parity([] { return std::make_shared<nn::Sigmoid>(); }, vec, "Sigmoid");
  expect_layer_parity([] { return std::make_shared<nn::Tanh>(); }, vec, "Tanh");
  expect_layer_parity([] { return std::make_shared<nn::Softmax>(1); }, vec, "Softmax");
  expect_layer_parity([] { return std::make_shared<nn::LogSoftmax>(1); }, vec, "LogSoftmax");
  expect_layer_parity([] { return std::make_shared<nn::Flatten>(); }, img, "Flatten");
  expect_layer_parity([] { return std::make_shared<nn::BatchNorm2d>(3); }, img, "BatchNorm2d");
  expect_layer_parity([] { return std::make_shared<nn::BatchNorm1d>(6); }, vec, "BatchNorm1d eval",
                      /*train=*/false);
  expect_layer_parity([] { return std::make_shared<nn::LocalResponseNorm>(3); }, img,
                      "LocalResponseNorm");
  expect_layer_parity([] { return std::make_shared<nn::Embedding>(7, 3); },
                      tensor_from(std::vector<int64_t>{1, 6, 1, 0}, {2, 2}), "Embedding");
  expect_layer_parity(
      [] { return std::make_shared<nn::RNN>(nn::RnnOptions{.input_size = 6, .hidden_size = 4}); },
      test::uniform({3, 5, 6}).to(kFloat32), "RNN");
  expect_layer_parity(
      [] {
        return std::make_shared<nn::LSTM>(
            nn::RnnOptions{.input_size = 6, .hidden_size = 4, .num_layers = 2});
      },
      test::uniform({3, 5, 6}).to(kFloat32), "LSTM");
  // Dropout: generators in the same state give the same mask on both devices.
  Generator g_cpu(5), g_gpu(5);
  int made = 0;
  expect_layer_parity(
      [&] { return std::make_shared<nn::Dropout>(0.3, made++ == 0 ? &g_cpu : &g_gpu); }, vec,
      "Dropout");
}

// A small network trained on the GPU follows the CPU's loss curve.
TEST(CudaLayers, TrainingStepsFollowTheCpu) {
  GPUNN_REQUIRE_GPU();
  auto make = [] {
    manual_seed(3);
    auto net = std::make_shared<nn::Sequential>();
    net->emplace<nn::Conv2d>(1, 4, 3, 1, 1);
    net->emplace<nn::ReLU>();
    net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
    net->emplace<nn::Flatten>();
    net->emplace<nn::Linear>(4 * 4 * 4, 10);
    return net;
  };
  auto cpu = make(), gpu = make();
  gpu->to(Device::cuda(0));
  optim::SGD opt_cpu(cpu->parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::SGD opt_gpu(gpu->parameters(), {.lr = 0.1, .momentum = 0.9});
  const Tensor x = test::uniform({16, 1, 8, 8}).to(kFloat32);
  const Tensor y = randint(0, 10, {16});
  const Tensor xg = x.to(Device::cuda(0)), yg = y.to(Device::cuda(0));
  for (int step = 0; step < 5; ++step) {
    opt_cpu.zero_grad();
    opt_gpu.zero_grad();
    Tensor l_cpu = cross_entropy((*cpu)(x), y), l_gpu = cross_entropy((*gpu)(xg), yg);
    EXPECT_NEAR(l_gpu.item(), l_cpu.item(), 1e-4) << "step " << step;
    l_cpu.backward();
    l_gpu.backward();
    opt_cpu.step();
    opt_gpu.step();
  }
}

}  // namespace
}  // namespace gpunn
