// Ops on the GPU against the CPU reference: each family that has CUDA kernels
// runs the same computation on both devices, forward and backward, and the
// results must agree. Skipped without a GPU (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

const Device kCuda = Device::cuda(0);

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Runs f on CPU leaves and on their CUDA copies (leaves on the CPU moved with
// to(), so gradients come back to the CPU), with L = Σ f(x) ⊙ r; compares the
// outputs and every input's gradient. Float32 tolerance: the two devices may
// round differently in transcendental functions and in summation order.
void expect_parity(const Fn& f, const std::vector<Tensor>& values, const std::string& what,
                   double atol = 1e-5, double rtol = 1e-5) {
  std::vector<Tensor> cpu_in, gpu_leaves, gpu_in;
  for (const Tensor& v : values) {
    cpu_in.push_back(test::leaf(v.to(kFloat32)));
    gpu_leaves.push_back(test::leaf(v.to(kFloat32)));
    gpu_in.push_back(gpu_leaves.back().to(kCuda));
  }
  Tensor y_cpu = f(cpu_in), y_gpu = f(gpu_in);
  ASSERT_EQ(y_gpu.device(), kCuda) << what;
  EXPECT_TRUE(test::tensors_near(y_gpu.to(kCPU), y_cpu, atol, rtol)) << what << ": forward";
  Tensor r = test::uniform(y_cpu.shape()).to(kFloat32);
  sum(mul(y_cpu, r)).backward();
  sum(mul(y_gpu, r.to(kCuda))).backward();
  for (size_t i = 0; i < cpu_in.size(); ++i) {
    ASSERT_TRUE(gpu_leaves[i].grad().defined()) << what << ": input " << i;
    EXPECT_TRUE(test::tensors_near(gpu_leaves[i].grad(), cpu_in[i].grad(), atol, rtol))
        << what << ": gradient of input " << i;
  }
}

TEST(CudaOps, UnaryElementwise) {
  GPUNN_REQUIRE_GPU();
  const Tensor pos = test::uniform({37, 5}, 0.1, 3.0), any = test::uniform({37, 5}, -3, 3);
  expect_parity([](auto& in) { return neg(in[0]); }, {any}, "neg");
  expect_parity([](auto& in) { return exp(in[0]); }, {any}, "exp");
  expect_parity([](auto& in) { return log(in[0]); }, {pos}, "log");
  expect_parity([](auto& in) { return sqrt(in[0]); }, {pos}, "sqrt");
  expect_parity([](auto& in) { return abs(in[0]); }, {test::away_from_zero({37, 5})}, "abs");
  expect_parity([](auto& in) { return sin(in[0]); }, {any}, "sin");
  expect_parity([](auto& in) { return cos(in[0]); }, {any}, "cos");
  expect_parity([](auto& in) { return pow(in[0], 2.5); }, {pos}, "pow scalar");
  expect_parity([](auto& in) { return clamp(in[0], -1.0, 2.0); }, {any}, "clamp");
  expect_parity([](auto& in) { return rdiv(add(mul(in[0], 3.0), 10.0), 2.0); }, {pos},
                "scalar arithmetic");
}

TEST(CudaOps, BinaryElementwiseWithBroadcasting) {
  GPUNN_REQUIRE_GPU();
  const Tensor a = test::uniform({4, 1, 6}, 0.5, 2.0), b = test::uniform({3, 1}, 0.5, 2.0);
  expect_parity([](auto& in) { return add(in[0], in[1]); }, {a, b}, "add");
  expect_parity([](auto& in) { return sub(in[0], in[1]); }, {a, b}, "sub");
  expect_parity([](auto& in) { return mul(in[0], in[1]); }, {a, b}, "mul");
  expect_parity([](auto& in) { return div(in[0], in[1]); }, {a, b}, "div");
  expect_parity([](auto& in) { return pow(in[0], in[1]); }, {a, b}, "pow");
  // Non-contiguous operands take the strided path.
  expect_parity([](auto& in) { return mul(in[0].transpose(0, 1), in[1]); },
                {test::uniform({5, 7}), test::uniform({7, 5})}, "mul of a transposed view");
}

TEST(CudaOps, Reductions) {
  GPUNN_REQUIRE_GPU();
  const Tensor x = test::uniform({3, 50, 7});
  expect_parity([](auto& in) { return sum(in[0]); }, {x}, "sum all");
  expect_parity([](auto& in) { return sum(in[0], {1}); }, {x}, "sum dim 1");
  expect_parity([](auto& in) { return mean(in[0], {0, 2}, true); }, {x}, "mean keepdim");
  expect_parity([](auto& in) { return sum(in[0], {0}); }, {test::uniform({100000, 1})},
                "a long sum", 1e-3, 1e-5);
  EXPECT_EQ(sum(zeros({0, 3}, kCuda), {0}).to(kCPU).to_vector<float>(),
            std::vector<float>(3, 0.0f));
}

// Runs `body` once with each implementation of `family` on the GPU.
void for_each_impl(OpFamily family, const std::function<void(const std::string&)>& body) {
  const Impl saved = get_impl(family);
  for (Impl impl : {Impl::Custom, Impl::Vendor}) {
    set_impl(family, impl);
    body(impl_name(impl));
  }
  set_impl(family, saved);
}

TEST(CudaOps, Activations) {
  GPUNN_REQUIRE_GPU();
  for_each_impl(OpFamily::Activation, [](const std::string& impl) {
    const Tensor x = test::away_from_zero({33, 9});
    expect_parity([](auto& in) { return relu(in[0]); }, {x}, "relu " + impl);
    expect_parity([](auto& in) { return leaky_relu(in[0], 0.1); }, {x}, "leaky_relu " + impl);
    expect_parity([](auto& in) { return sigmoid(in[0]); }, {mul(x, 5.0)}, "sigmoid " + impl);
    expect_parity([](auto& in) { return tanh(in[0]); }, {x}, "tanh " + impl);
  });
}

TEST(CudaOps, SoftmaxOverRowsAndChannels) {
  GPUNN_REQUIRE_GPU();
  for_each_impl(OpFamily::Softmax, [](const std::string& impl) {
    // Rows ([N, C], the warp-per-row kernel), including C above one warp.
    for (int64_t C : {3, 32, 100, 1000}) {
      const Tensor x = mul(test::uniform({17, C}), 5.0);
      expect_parity([](auto& in) { return softmax(in[0], 1); }, {x},
                    "softmax C " + std::to_string(C) + " " + impl);
      expect_parity([](auto& in) { return log_softmax(in[0], -1); }, {x},
                    "log_softmax C " + std::to_string(C) + " " + impl);
    }
    // Channels of an image batch (strided kernel).
    const Tensor img = test::uniform({2, 5, 3, 4});
    expect_parity([](auto& in) { return softmax(in[0], 1); }, {img},
                  "softmax over channels " + impl);
    expect_parity([](auto& in) { return log_softmax(in[0], 1); }, {img},
                  "log_softmax over channels " + impl);
    // Large logits must not overflow.
    Tensor big = tensor({1000.0, 0.0, -1000.0}).to(kCuda);
    EXPECT_TRUE(test::values_near(softmax(big, 0).to(kCPU), {1.0, 0.0, 0.0}, 1e-7)) << impl;
  });
}

TEST(CudaOps, MatmulAndLinearCustomAndCublas) {
  GPUNN_REQUIRE_GPU();
  for_each_impl(OpFamily::Gemm, [](const std::string& impl) {
    // Sizes that are not multiples of any tile, every kernel's tile choice: the
    // last is big enough for our 128-bit-load variant (rows of 4-float multiples)
    // with partial tiles in M and N and a K that ends in half a slice.
    for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{
             {1, 1, 1}, {37, 19, 53}, {300, 70, 260}, {1032, 44, 1028}}) {
      const std::string what =
          impl + " " + std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N);
      expect_parity([](auto& in) { return matmul(in[0], in[1]); },
                    {test::uniform({M, K}), test::uniform({K, N})}, "matmul " + what, 1e-4, 1e-4);
      expect_parity([](auto& in) { return matmul(in[0].transpose(0, 1), in[1].transpose(0, 1)); },
                    {test::uniform({K, M}), test::uniform({N, K})}, "matmul of transposes " + what,
                    1e-4, 1e-4);
      expect_parity([](auto& in) { return linear(in[0], in[1], in[2]); },
                    {test::uniform({M, K}), test::uniform({N, K}), test::uniform({N})},
                    "linear " + what, 1e-4, 1e-4);
    }
    expect_parity([](auto& in) { return matmul(in[0], in[1]); },
                  {test::uniform({3, 1, 9, 7}), test::uniform({4, 7, 5})},
                  "batched, broadcast " + impl, 1e-4, 1e-4);
  });
}

TEST(CudaOps, Tf32IsOffByDefault) {
  GPUNN_REQUIRE_GPU();
  EXPECT_FALSE(allow_tf32());
  // Strict FP32: cuBLAS agrees with the CPU to float32 rounding on a 256-deep product.
  Tensor a = test::uniform({64, 256}).to(kFloat32), b = test::uniform({256, 64}).to(kFloat32);
  set_impl(OpFamily::Gemm, Impl::Vendor);
  Tensor gpu = matmul(a.to(kCuda), b.to(kCuda)).to(kCPU);
  set_impl(OpFamily::Gemm, Impl::Auto);
  EXPECT_TRUE(test::tensors_near(gpu, matmul(a, b), 1e-4, 1e-5));
}

// Three steps of an optimizer on the same parameters and gradients, on both
// devices; the fused kernels must follow the CPU's trajectory.
template <typename Opt, typename Options>
void expect_optimizer_parity(const Options& options, const std::string& what) {
  Tensor init = test::uniform({1000}).to(kFloat32);
  Tensor p_cpu = init.clone().requires_grad_(true);
  Tensor p_gpu = init.to(kCuda).requires_grad_(true);
  Opt cpu({p_cpu}, options), gpu({p_gpu}, options);
  for (int step = 0; step < 3; ++step) {
    Tensor g = test::uniform({1000}).to(kFloat32);
    p_cpu.set_grad(g);
    p_gpu.set_grad(g.to(kCuda));
    cpu.step();
    gpu.step();
  }
  EXPECT_TRUE(test::tensors_near(p_gpu.to(kCPU), p_cpu, 1e-6, 1e-5)) << what;
}

TEST(CudaOps, FusedOptimizerUpdates) {
  GPUNN_REQUIRE_GPU();
  expect_optimizer_parity<optim::SGD>(
      optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true},
      "sgd nesterov");
  expect_optimizer_parity<optim::Adam>(optim::AdamOptions{.lr = 1e-2, .amsgrad = true},
                                       "adam amsgrad");
  optim::AdamWOptions adamw;
  adamw.lr = 1e-2;
  expect_optimizer_parity<optim::AdamW>(adamw, "adamw");
  expect_optimizer_parity<optim::RMSprop>(
      optim::RMSpropOptions{.lr = 1e-2, .momentum = 0.5, .centered = true}, "rmsprop centered");
}

TEST(CudaOps, Losses) {
  GPUNN_REQUIRE_GPU();
  const Tensor logits = mul(test::uniform({9, 5}), 3.0);
  const Tensor target = tensor_from(std::vector<int64_t>{0, 4, 2, 2, 1, 3, 0, 4, 1}, {9});
  const Tensor target_gpu = target.to(kCuda);
  auto on = [&](const Tensor& x) { return x.device().is_cuda() ? target_gpu : target; };
  const Tensor w = tensor({1.0, 2.0, 0.5, 1.5, 1.0});
  auto w_on = [&](const Tensor& x) { return x.device().is_cuda() ? w.to(kCuda) : w; };
  expect_parity([&](auto& in) { return cross_entropy(in[0], on(in[0])); }, {logits},
                "cross_entropy");
  expect_parity(
      [&](auto& in) {
        return cross_entropy(in[0], on(in[0]), {.weight = w_on(in[0]), .label_smoothing = 0.1});
      },
      {logits}, "cross_entropy, weights and smoothing");
  expect_parity([&](auto& in) { return multiclass_hinge_loss(in[0], on(in[0])); }, {logits},
                "hinge");
  expect_parity([&](auto& in) { return multi_margin_loss(in[0], on(in[0]), {.p = 2}); }, {logits},
                "multi_margin p=2");
  expect_parity([](auto& in) { return mse_loss(in[0], in[1]); },
                {test::uniform({4, 3}), test::uniform({4, 3})}, "mse");
  expect_parity([](auto& in) { return binary_cross_entropy_with_logits(in[0], in[1]); },
                {test::uniform({4, 3}, -4, 4), test::uniform({4, 3}, 0, 1)}, "bce with logits");
  // A bad class index is a clear error on the GPU too.
  Tensor bad = tensor_from(std::vector<int64_t>{0, 7}, {2}).to(kCuda);
  EXPECT_THROWS_WITH(cross_entropy(zeros({2, 5}, kCuda), bad), "cross_entropy", "target 7");
}

TEST(CudaOps, ConvolutionOursAndCudnn) {
  GPUNN_REQUIRE_GPU();
  struct Case {
    Shape x, w;
    Conv2dOptions o;
    const char* what;
  };
  const std::vector<Case> cases = {
      {{2, 3, 9, 8}, {4, 3, 3, 3}, {}, "3x3"},
      {{2, 3, 11, 11}, {6, 3, 5, 3}, {.stride = {2, 1}, .padding = {2, 1}}, "stride, padding"},
      {{1, 4, 10, 9}, {6, 2, 3, 3}, {.padding = 2, .dilation = 2, .groups = 2}, "dilation, groups"},
      {{3, 3, 23, 23}, {8, 3, 11, 11}, {.stride = 4, .padding = 2}, "AlexNet-like first layer"},
  };
  for_each_impl(OpFamily::Conv, [&](const std::string& impl) {
    for (const Case& c : cases) {
      const Conv2dOptions o = c.o;
      expect_parity([o](auto& in) { return conv2d(in[0], in[1], in[2], o); },
                    {test::uniform(c.x), test::uniform(c.w), test::uniform({c.w[0]})},
                    impl + " conv2d " + c.what, 1e-4, 1e-4);
    }
  });
}

TEST(CudaOps, TransposedConvolutionOursAndCudnn) {
  GPUNN_REQUIRE_GPU();
  struct Case {
    Shape x, w;
    ConvTranspose2dOptions o;
    const char* what;
  };
  const std::vector<Case> cases = {
      {{2, 8, 7, 7}, {8, 4, 4, 4}, {.stride = 2, .padding = 1}, "DCGAN 4x4 stride 2"},
      {{1, 4, 5, 6},
       {4, 3, 3, 2},
       {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {1, 2}},
       "rectangular output_padding"},
      {{2, 6, 5, 5},
       {6, 2, 3, 3},
       {.stride = 2, .padding = 1, .groups = 3, .dilation = 2},
       "groups, dilation"},
      // Beyond cuDNN's size formula: the vendor setting runs our kernels.
      {{1, 2, 4, 4},
       {2, 3, 3, 3},
       {.output_padding = 1, .dilation = 2},
       "output_padding >= stride"},
  };
  for_each_impl(OpFamily::Conv, [&](const std::string& impl) {
    for (const Case& c : cases) {
      const ConvTranspose2dOptions o = c.o;
      expect_parity([o](auto& in) { return conv_transpose2d(in[0], in[1], in[2], o); },
                    {test::uniform(c.x), test::uniform(c.w), test::uniform({c.w[1] * o.groups})},
                    impl + " conv_transpose2d " + c.what, 1e-4, 1e-4);
    }
  });
}

TEST(CudaOps, Pooling) {
  GPUNN_REQUIRE_GPU();
  for_each_impl(OpFamily::Pool, [](const std::string& impl) {
    const Tensor x = test::uniform({2, 3, 9, 10});
    for (const Pool2dOptions& o : std::vector<Pool2dOptions>{
             {.kernel_size = 2},
             {.kernel_size = 3, .stride = 2},
             {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true},
             {.kernel_size = {2, 3},
             .stride = {1, 2},
             .padding = {1, 1},
             .count_include_pad = false}}) {
      expect_parity([o](auto& in) { return max_pool2d(in[0], o); }, {x}, "max_pool2d " + impl);
      expect_parity([o](auto& in) { return avg_pool2d(in[0], o); }, {x}, "avg_pool2d " + impl);
    }
    // max_pool2d_with_indices keeps our kernel (the vendor path has no indices).
    const auto [values, indices] =
        max_pool2d_with_indices(x.to(kFloat32).to(kCuda), {.kernel_size = 3, .stride = 2});
    const auto [cpu_values, cpu_indices] =
        max_pool2d_with_indices(x.to(kFloat32), {.kernel_size = 3, .stride = 2});
    EXPECT_TRUE(test::tensors_near(values.to(kCPU), cpu_values, 0, 0)) << impl;
    EXPECT_TRUE(test::tensors_near(indices.to(kCPU), cpu_indices, 0, 0)) << impl;
  });
}

TEST(CudaOps, NormalizationAndLstmCell) {
  GPUNN_REQUIRE_GPU();
  const Tensor x = test::uniform({4, 3, 5, 2});
  expect_parity([](auto& in) { return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2]); },
                {x, test::uniform({3}, 0.5, 1.5), test::uniform({3})}, "batch_norm, batch stats");
  for (bool training : {true, false}) {
    Tensor rm_cpu = test::uniform({3}).to(kFloat32),
           rv_cpu = test::uniform({3}, 0.5, 2.0).to(kFloat32);
    Tensor rm_gpu = rm_cpu.to(kCuda), rv_gpu = rv_cpu.to(kCuda);
    expect_parity(
        [&](auto& in) {
          const bool gpu = in[0].device().is_cuda();
          return batch_norm(in[0], gpu ? rm_gpu : rm_cpu, gpu ? rv_gpu : rv_cpu, in[1], in[2],
                            {.training = training});
        },
        {x, test::uniform({3}, 0.5, 1.5), test::uniform({3})},
        training ? "batch_norm, training with running stats" : "batch_norm, eval");
    EXPECT_TRUE(test::tensors_near(rm_gpu.to(kCPU), rm_cpu, 1e-6)) << "running mean";
    EXPECT_TRUE(test::tensors_near(rv_gpu.to(kCPU), rv_cpu, 1e-6)) << "running var";
  }
  for (int64_t size : {2, 5})
    expect_parity([size](auto& in) { return local_response_norm(in[0], size, 0.1, 0.75, 2.0); },
                  {test::uniform({2, 7, 3, 3})}, "lrn size " + std::to_string(size));
  expect_parity(
      [](auto& in) {
        LstmState s = lstm_cell(in[0], in[1]);
        return add(s.h, mul(s.c, 0.5));
      },
      {test::uniform({5, 12}, -2, 2), test::uniform({5, 3})}, "lstm_cell");
}

TEST(CudaOps, MaxArgmaxEmbeddingCat) {
  GPUNN_REQUIRE_GPU();
  const Tensor x = test::uniform({4, 7, 3});
  expect_parity([](auto& in) { return max(in[0], 1).values; }, {x}, "max over dim 1");
  expect_parity([](auto& in) { return max(in[0]); }, {x}, "max over everything");
  EXPECT_EQ(argmax(x.to(kCuda), 2).to(kCPU).to_vector<int64_t>(),
            argmax(x.to(kFloat32), 2).to_vector<int64_t>());
  const Tensor idx = tensor_from(std::vector<int64_t>{3, 0, 3, 5, 1, 3}, {2, 3});
  expect_parity(
      [&](auto& in) {
        const Tensor i = in[0].device().is_cuda() ? idx.to(kCuda) : idx;
        return embedding(i, in[0], 5);
      },
      {test::uniform({6, 4})}, "embedding with padding_idx");
  expect_parity(
      [](auto& in) {
        return cat({in[0], in[1]}, 1);
      },
      {test::uniform({2, 3}), test::uniform({2, 5})}, "cat");
  expect_parity(
      [](auto& in) {
        return stack({in[0], in[1]}, 0);
      },
      {test::uniform({2, 3}), test::uniform({2, 3})}, "stack");
  EXPECT_THROWS_WITH(
      embedding(tensor_from(std::vector<int64_t>{9}, {1}).to(kCuda), zeros({6, 4}, kCuda)),
      "embedding", "index 9");
}

TEST(CudaOps, RandomNumbersMatchTheCpu) {
  GPUNN_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    Generator a(123), b(123);
    EXPECT_EQ(rand({1000}, TensorOptions(dt).device(kCuda), &a).to(kCPU).to_vector<double>(),
              rand({1000}, dt, &b).to_vector<double>());
    // Normals come from the same uniforms through Box-Muller (log, sqrt, cos):
    // CUDA's device math and the host's libm are each within an ulp or two of
    // exact but not always the same ulp, so normals agree to a few ulp of the
    // type, not bitwise (the uniforms above, and dropout below, are bitwise).
    const double tol = dt == kFloat32 ? 1e-6 : 1e-14;
    EXPECT_TRUE(test::tensors_near(randn({999}, TensorOptions(dt).device(kCuda), &a).to(kCPU),
                                   randn({999}, dt, &b), tol, tol))
        << dtype_name(dt);
    EXPECT_EQ(a.state().offset, b.state().offset);
  }
  Generator a(7), b(7);
  EXPECT_EQ(
      randint(-5, 9, {500}, TensorOptions(kInt64).device(kCuda), &a).to(kCPU).to_vector<int64_t>(),
      randint(-5, 9, {500}, kInt64, &b).to_vector<int64_t>());
  Tensor x = ones({4000});
  Generator g1(5), g2(5);
  EXPECT_EQ(dropout(x.to(kCuda), 0.3, true, &g1).to(kCPU).to_vector<float>(),
            dropout(x, 0.3, true, &g2).to_vector<float>());
}

// A small network trained on the GPU follows the CPU's loss curve.
TEST(CudaOps, TrainingStepsFollowTheCpu) {
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
  gpu->to(kCuda);
  optim::SGD opt_cpu(cpu->parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::SGD opt_gpu(gpu->parameters(), {.lr = 0.1, .momentum = 0.9});
  const Tensor x = test::uniform({16, 1, 8, 8}).to(kFloat32);
  const Tensor y = randint(0, 10, {16});
  const Tensor xg = x.to(kCuda), yg = y.to(kCuda);
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

TEST(CudaOps, MixedDevicesAreAnError) {
  GPUNN_REQUIRE_GPU();
  EXPECT_THROWS_WITH(add(ones({2}), ones({2}, kCuda)), "add", "second operand", "cpu", "cuda:0");
}

}  // namespace
}  // namespace gpunn
