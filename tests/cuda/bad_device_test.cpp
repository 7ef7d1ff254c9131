// The bad-input table's GPU rows (the table itself: tests/reliability/bad_input_test.cpp):
// operands on different devices, class and embedding indices checked for CUDA
// tensors, and the CUDA kernels given empty and non-finite inputs. Skipped
// without a GPU (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using namespace bad_input;  // NOLINT(google-build-using-namespace)

const Device kCuda = Device::cuda(0);

Tensor G(const Tensor& t) { return t.to(kCuda); }

Table device_rows() {
  Table t;
  auto binary = elementwise_binary_ops();
  binary.insert(binary.end(), {
      {"matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }},
      {"linear", [](const Tensor& a, const Tensor& b) { return linear(a, b); }},
      {"mse_loss", [](const Tensor& a, const Tensor& b) { return mse_loss(a, b); }},
      {"binary_cross_entropy_with_logits",
       [](const Tensor& a, const Tensor& b) { return binary_cross_entropy_with_logits(a, b); }},
  });
  for (const auto& [name, f] : binary) {
    t.err("device", name + " of a CPU and a CUDA tensor",
          [f = f] {
            f(F({2, 2}), G(F({2, 2})));
          },
          {name + ":", "cpu", "cuda:0"});
    t.err("device", name + " of a CUDA and a CPU tensor",
          [f = f] {
            f(G(F({2, 2})), F({2, 2}));
          },
          {name + ":", "cpu", "cuda:0"});
  }
  t.err("device", "linear with the bias on the CPU",
        [] {
          linear(G(F({2, 4})), G(F({3, 4})), F({3}));
        },
        {"linear:", "cpu", "cuda:0"});
  t.err("device", "conv2d with the weight on the CPU",
        [] {
          conv2d(G(F({1, 1, 5, 5})), F({2, 1, 3, 3}));
        },
        {"conv2d:", "cpu", "cuda:0"});
  t.err("device", "conv2d with the bias on the CPU",
        [] {
          conv2d(G(F({1, 1, 5, 5})), G(F({2, 1, 3, 3})), F({2}));
        },
        {"conv2d:", "cpu", "cuda:0"});
  t.err("device", "cat of a CPU and a CUDA tensor",
        [] {
          cat({F({2}), G(F({2}))});
        },
        {"cat:", "cpu", "cuda:0"});
  t.err("device", "stack of a CUDA and a CPU tensor",
        [] {
          stack({G(F({2})), F({2})});
        },
        {"cpu", "cuda:0"});
  t.err("device", "copy_ from another device", [] { F({2}).copy_(G(F({2}))); },
        {"copy_:", "cpu", "cuda:0"});
  t.err("device", "add_ of a CUDA operand to a CPU tensor", [] { F({2}).add_(G(F({2}))); },
        {"add", "cpu", "cuda:0"});
  t.err("device", "set_grad with a gradient on another device", [] { F({2}).set_grad(G(F({2}))); },
        {"set_grad:", "cpu", "cuda:0"});
  t.err("device", "embedding with CPU indices and a CUDA weight",
        [] {
          embedding(I({1}), G(F({5, 3})));
        },
        {"embedding:", "cpu", "cuda:0"});
  t.err("device", "cross_entropy with the target on the CPU",
        [] {
          cross_entropy(G(R({2, 3})), I({0, 1}));
        },
        {"cross_entropy:", "cpu", "cuda:0"});
  t.err("device", "cross_entropy with a class weight on the CPU",
        [] {
          cross_entropy(G(R({2, 3})), G(I({0, 1})), {.weight = F({3})});
        },
        {"cross_entropy:", "cpu", "cuda:0"});
  t.err("device", "nll_loss with the target on the CPU",
        [] {
          nll_loss(G(R({2, 3})), I({0, 1}));
        },
        {"nll_loss:", "cpu", "cuda:0"});
  t.err("device", "multi_margin_loss with the target on the CPU",
        [] {
          multi_margin_loss(G(R({2, 3})), I({0, 1}));
        },
        {"multi_margin_loss:", "cpu", "cuda:0"});
  t.err("device", "bce_with_logits with pos_weight on the CPU",
        [] {
          binary_cross_entropy_with_logits(G(F({4, 2})), G(F({4, 2})), {.pos_weight = F({2})});
        },
        {"binary_cross_entropy_with_logits:", "cpu", "cuda:0"});
  t.err("device", "batch_norm with running statistics on the CPU",
        [] {
          batch_norm(G(R({4, 3})), F({3}), F({3}));
        },
        {"batch_norm:", "cpu", "cuda:0"});
  t.err("device", "batch_norm with the weight on the CPU",
        [] {
          batch_norm(G(R({4, 3})), Tensor(), Tensor(), F({3}));
        },
        {"batch_norm:", "cpu", "cuda:0"});
  t.err("device", "lstm_cell with c_prev on the CPU",
        [] {
          lstm_cell(G(F({2, 16})), F({2, 4}));
        },
        {"lstm_cell:", "cpu", "cuda:0"});
  t.err("device", "l2_penalty of parameters on two devices",
        [] {
          l2_penalty({F({2}), G(F({2}))});
        },
        {"l2_penalty:", "cpu", "cuda:0"});
  t.err("device", "a Linear layer on the GPU given a CPU input",
        [] {
          nn::Linear m(4, 3);
          m.to(kCuda);
          m(F({2, 4}));
        },
        {"linear:", "cpu", "cuda:0"});
  t.err("device", "a Conv2d layer on the CPU given a CUDA input",
        [] {
          nn::Conv2d m(1, 2, 3);
          m(G(F({1, 1, 5, 5})));
        },
        {"conv2d:", "cpu", "cuda:0"});
  t.err("device", "DataLoader to a device that does not exist",
        [] {
          data::DataLoader l(std::make_shared<data::TensorDataset>(F({3, 2})),
                             {.device = Device::cuda(cuda::device_count())});
        },
        {"DataLoader:", "cuda:"});
  t.val("device", "load_state_dict from CPU tensors into a CUDA module", [] {
    nn::Linear src(2, 2), dst(2, 2);
    dst.to(kCuda);
    dst.load_state_dict(src.state_dict());
    return is(dst.weight, {2, 2}, src.weight.to_vector<double>());
  });

  // Indices are checked on the host for CUDA tensors too.
  t.err("index", "cross_entropy on the GPU with target == C",
        [] {
          cross_entropy(G(R({2, 3})), G(I({0, 3})));
        },
        {"cross_entropy:", "target 3", "3 classes"});
  t.err("index", "nll_loss on the GPU with a negative target",
        [] {
          nll_loss(G(R({2, 3})), G(I({-1, 0})));
        },
        {"nll_loss:", "target -1"});
  t.err("index", "multi_margin_loss on the GPU with target == C",
        [] {
          multi_margin_loss(G(R({2, 3})), G(I({3, 0})));
        },
        {"multi_margin_loss:", "target 3"});
  t.err("index", "embedding on the GPU with index == V",
        [] {
          embedding(G(I({5})), G(F({5, 3})));
        },
        {"embedding:", "index 5", "5 embeddings"});

  // Empty tensors: the CUDA kernels must not be launched with an empty grid.
  t.val("empty", "add of empty CUDA tensors", [] {
    return is(add(G(F({0, 3})), G(F({1, 3}))), {0, 3});
  });
  t.val("empty", "exp of an empty CUDA tensor", [] { return is(exp(G(F({0, 3}))), {0, 3}); });
  t.val("empty", "relu of an empty CUDA tensor", [] { return is(relu(G(F({3, 0}))), {3, 0}); });
  t.val("empty", "softmax of an empty CUDA tensor", [] {
    return is(softmax(G(F({2, 0})), 1), {2, 0});
  });
  t.val("empty", "log_softmax of an empty batch on CUDA", [] {
    return is(log_softmax(G(F({0, 3})), 1), {0, 3});
  });
  t.val("empty", "sum of an empty CUDA tensor", [] { return is(sum(G(F({0, 3}))), {}, {0}); });
  t.val("empty", "mean of an empty CUDA tensor", [] { return is(mean(G(F({0}))), {}, {kNaN}); });
  t.val("empty", "sum over an empty dim on CUDA", [] {
    return is(sum(G(F({2, 0})), {1}), {2}, {0, 0});
  });
  t.val("empty", "max over a non-empty dim of an empty CUDA tensor", [] {
    return is(max(G(F({0, 3})), 1).values, {0});
  });
  t.val("empty", "matmul [2, 0] @ [0, 4] on CUDA", [] {
    return is(matmul(G(F({2, 0})), G(F({0, 4}))), {2, 4}, std::vector<double>(8, 0.0));
  });
  t.val("empty", "matmul [0, 3] @ [3, 4] on CUDA", [] {
    return is(matmul(G(F({0, 3})), G(F({3, 4}))), {0, 4});
  });
  t.val("empty", "conv2d of an empty batch on CUDA", [] {
    return is(conv2d(G(F({0, 1, 5, 5})), G(F({2, 1, 3, 3}))), {0, 2, 3, 3});
  });
  t.val("empty", "max_pool2d of an empty batch on CUDA", [] {
    return is(max_pool2d(G(F({0, 1, 4, 4})), {.kernel_size = 2}), {0, 1, 2, 2});
  });
  t.val("empty", "avg_pool2d of zero channels on CUDA", [] {
    return is(avg_pool2d(G(F({2, 0, 4, 4})), {.kernel_size = 2}), {2, 0, 2, 2});
  });
  t.val("empty", "embedding of no indices on CUDA", [] {
    return is(embedding(G(L({0})), G(F({5, 3}))), {0, 3});
  });
  t.val("empty", "cross_entropy of an empty batch on CUDA", [] {
    return is(cross_entropy(G(F({0, 3})), G(L({0}))), {}, {kNaN});
  });
  t.val("empty", "dropout of an empty CUDA tensor", [] {
    return is(dropout(G(F({0, 5})), 0.5), {0, 5});
  });
  t.val("empty", "lstm_cell of an empty batch on CUDA", [] {
    return is(lstm_cell(G(F({0, 16})), G(F({0, 4}))).h, {0, 4});
  });
  t.val("empty", "batch_norm eval of an empty batch on CUDA", [] {
    return is(batch_norm(G(F({0, 3})), G(F({3})), G(full({3}, 1.0)), Tensor(), Tensor(),
                         {.training = false}),
              {0, 3});
  });

  // Non-finite values give what the CPU gives.
  t.val("nonfinite", "softmax of a NaN row on CUDA", [] {
    return is(softmax(G(V({kNaN, 0, 0, 0}, {2, 2})), 1), {2, 2}, {kNaN, kNaN, 0.5, 0.5});
  });
  t.val("nonfinite", "softmax with -inf on CUDA", [] {
    return is(softmax(G(V({-kInf, 0}, {2})), 0), {2}, {0, 1});
  });
  t.val("nonfinite", "max with NaN on CUDA", [] {
    const MaxResult r = max(G(V({1, kNaN, 3, kNaN}, {4})), 0);
    ::testing::AssertionResult a = is(r.values, {}, {kNaN});
    return a ? is(r.indices, {}, {1}) : a;
  });
  t.val("nonfinite", "argmax with NaN on CUDA", [] {
    return is(argmax(G(V({1, kNaN, 3}, {3}))), {}, {1});
  });
  t.val("nonfinite", "clamp of NaN and +-inf on CUDA", [] {
    return is(clamp(G(V({kNaN, kInf, -kInf, 0.5}, {4})), 0.0, 1.0), {4}, {kNaN, 1, 0, 0.5});
  });
  t.val("nonfinite", "relu keeps NaN on CUDA", [] {
    return is(relu(G(V({kNaN, -kInf}, {2}))), {2}, {kNaN, 0});
  });
  t.val("nonfinite", "max_pool2d: NaN wins on CUDA", [] {
    return is(max_pool2d(G(V({1, kNaN, 3, 4}, {1, 1, 2, 2})), {.kernel_size = 2}), {1, 1, 1, 1},
              {kNaN});
  });
  t.val("nonfinite", "cross_entropy with -inf on another class on CUDA", [] {
    return is(cross_entropy(G(V({0, -kInf}, {1, 2})), G(I({0}))), {}, {0});
  });
  t.val("nonfinite", "bce_with_logits of +-1000 on CUDA", [] {
    return is(binary_cross_entropy_with_logits(G(V({1000, -1000}, {2})), G(V({1, 0}, {2})),
                                               {.reduction = Reduction::None}),
              {2}, {0, 0});
  });
  return t;
}

TEST(CudaBadInput, DevicesEmptyAndNonFinite) {
  GPUNN_REQUIRE_GPU();
  run_table(device_rows());
}

}  // namespace
}  // namespace gpunn
