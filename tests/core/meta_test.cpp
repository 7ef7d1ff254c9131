// The meta device: shapes, dtypes and strides without data. Ops run their checks and
// shape rules and record autograd, nothing is allocated, and reading values is refused.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace gpunn {
namespace {

const TensorOptions kMetaF32 = TensorOptions(kFloat32).device(kMeta);

TEST(Meta, TensorsHaveShapesAndNoStorageAndTheSimulatedAllocatorCountsThem) {
  EXPECT_EQ(Device::parse("meta"), kMeta);
  EXPECT_EQ(kMeta.str(), "meta");
  const int64_t cpu_before = memory_stats(kCPU).allocated_bytes;
  const int64_t meta_before = memory_stats(kMeta).allocated_bytes;
  {
    Tensor a = randn({1024, 1024}, kMetaF32);
    Tensor b = zeros({3, 4}, TensorOptions(kFloat64).device(kMeta));
    EXPECT_EQ(a.device(), kMeta);
    EXPECT_EQ(a.shape(), (Shape{1024, 1024}));
    EXPECT_EQ(a.strides(), (Shape{1024, 1}));
    EXPECT_EQ(b.dtype(), kFloat64);
    EXPECT_EQ(a.data_ptr(), nullptr);
    EXPECT_EQ(a.transpose(0, 1).strides(), (Shape{1, 1024}));
    EXPECT_EQ(memory_stats(kMeta).allocated_bytes - meta_before, 1024 * 1024 * 4 + 3 * 4 * 8);
    EXPECT_EQ(memory_stats(kCPU).allocated_bytes, cpu_before);  // nothing real
  }
  EXPECT_EQ(memory_stats(kMeta).allocated_bytes, meta_before);
}

TEST(Meta, OpsGiveTheShapesOfTheRealOnes) {
  manual_seed(1);
  const Tensor x = rand({2, 3, 9, 9}), w = rand({4, 3, 3, 3}), b = rand({4});
  const Tensor real =
      max_pool2d(relu(conv2d(x, w, b, {.stride = 2, .padding = 1})), {.kernel_size = 2});
  const Tensor meta =
      max_pool2d(relu(conv2d(x.to(kMeta), w.to(kMeta), b.to(kMeta), {.stride = 2, .padding = 1})),
                 {.kernel_size = 2});
  EXPECT_EQ(meta.shape(), real.shape());
  EXPECT_EQ(meta.device(), kMeta);
  EXPECT_EQ(matmul(rand({5, 7}, kMetaF32), rand({7, 2}, kMetaF32)).shape(), (Shape{5, 2}));
  EXPECT_EQ(softmax(rand({3, 6}, kMetaF32), 1).sum({0}).shape(), (Shape{6}));
  EXPECT_EQ(cat({rand({2, 3}, kMetaF32), rand({4, 3}, kMetaF32)}, 0).shape(), (Shape{6, 3}));
}

// The message `f` raises on the CPU and on meta tensors of the same shapes.
template <typename F>
std::pair<std::string, std::string> messages(F&& f) {
  std::string on_cpu, on_meta;
  try {
    f(kCPU);
  } catch (const Error& e) {
    on_cpu = e.what();
  }
  try {
    f(kMeta);
  } catch (const Error& e) {
    on_meta = e.what();
  }
  return {on_cpu, on_meta};
}

TEST(Meta, ShapeErrorsAreTheRealOnes) {
  auto opts = [](Device d) { return TensorOptions(kFloat32).device(d); };
  const std::vector<std::function<void(Device)>> bad = {
      [&](Device d) {
        matmul(ones({2, 3}, opts(d)), ones({4, 5}, opts(d)));
      },
      [&](Device d) {
        add(ones({2, 3}, opts(d)), ones({4}, opts(d)));
      },
      [&](Device d) {
        conv2d(ones({1, 3, 8, 8}, opts(d)), ones({4, 2, 3, 3}, opts(d)));
      },
      [&](Device d) {
        linear(ones({5, 7}, opts(d)), ones({3, 6}, opts(d)));
      },
      [&](Device d) {
        cross_entropy(ones({4, 10}, opts(d)), zeros({3}, TensorOptions(kInt64).device(d)));
      },
      [&](Device d) {
        max_pool2d(ones({1, 1, 2, 2}, opts(d)), {.kernel_size = 3});
      },
      [&](Device d) {
        ones({6}, opts(d)).view({4, 2});
      },
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const auto [cpu, meta] = messages(bad[i]);
    EXPECT_FALSE(cpu.empty()) << "case " << i;
    EXPECT_EQ(meta, cpu) << "case " << i;
  }
  // Two devices in one op: named as for any pair.
  EXPECT_THROWS_WITH(add(ones({2}), ones({2}, kMetaF32)), "meta", "cpu");
}

TEST(Meta, ValuesAreRefusedByName) {
  const Tensor t = ones({2, 2}, kMetaF32);
  EXPECT_THROWS_WITH(t.sum().item(), "item", "meta");
  EXPECT_THROWS_WITH(t.to_vector<float>(), "to_vector", "meta");
  EXPECT_THROWS_WITH(t.to(kCPU), "to", "meta", "no data");
  EXPECT_EQ(t.str(), "tensor(..., size=[2, 2], device=meta)");
  const std::string path = ::testing::TempDir() + "/meta.safetensors";
  StateDict state;
  state.insert("t", t);
  EXPECT_THROWS_WITH(io::save_safetensors(path, state), "meta");
  EXPECT_THROWS_WITH(set_memory_limit(kMeta, 1024), "set_memory_limit", "meta");
}

TEST(Meta, AModelTrainsAStepOnMetaTensorsWithoutData) {
  manual_seed(2);
  auto model = models::fashion_cnn();
  model->to(kMeta);
  optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  const std::string cpu_grad_fn =
      cross_entropy(ones({8, 10}).requires_grad_(true), zeros({8}, kInt64)).grad_fn_name();
  const int64_t cpu_before = memory_stats(kCPU).allocated_bytes;
  const Tensor x = randn({8, 1, 28, 28}, kMetaF32);
  const Tensor y = randint(0, 10, {8}, TensorOptions(kInt64).device(kMeta));
  Tensor loss = cross_entropy((*model)(x), y);
  EXPECT_EQ(loss.shape(), Shape{});
  EXPECT_EQ(loss.grad_fn_name(), cpu_grad_fn);
  loss.backward();
  for (const auto& [name, p] : model->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_EQ(p.grad().shape(), p.shape()) << name;
    EXPECT_EQ(p.grad().device(), kMeta) << name;
  }
  opt.step();
  EXPECT_EQ(memory_stats(kCPU).allocated_bytes, cpu_before);
}

}  // namespace
}  // namespace gpunn
