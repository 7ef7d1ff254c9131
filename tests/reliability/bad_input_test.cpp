// The bad-input table: every public op, tensor method that takes shapes or
// indices, layer, loss module, optimizer, schedule and data transform, called
// with the inputs users get wrong (wrong rank or shape, mixed dtypes, empty
// tensors, negative or zero sizes, out-of-range indices and dims, NaN and Inf,
// bad views, wrong state dicts).
//
// Each row is one call and one expectation (reliability/bad_input.h): an error
// row expects gpunn::Error (never InternalError) naming the op and the
// offending shapes or values; a value row (empty tensors, NaN, Inf) asserts the
// result PyTorch's rules give, which gpunn documents.
// Mismatched devices need a GPU: those rows live in tests/cuda/bad_device_test.cpp.
//
// BadInput.TableSize prints the number of rows per category and in total (the
// count docs/reliability.md quotes):
//   gpunn_tests --gtest_filter=BadInput.TableSize
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using namespace bad_input;  // NOLINT(google-build-using-namespace)

// ---- layers and loss modules -----------------------------------------------------------------

Table layer_rows() {
  Table t;
  t.err("layer", "Linear(4, 3) given 5 features",
        [] {
          nn::Linear m(4, 3);
          m(F({2, 5}));
        },
        {"linear:", "5 features", "[2, 5]", "[3, 4]"});
  t.err("layer", "Linear given float64 input",
        [] {
          nn::Linear m(4, 3);
          m(D({2, 4}));
        },
        {"linear:", "float64", "float32"});
  t.err("layer", "Linear given a 0-D input",
        [] {
          nn::Linear m(4, 3);
          m(F({}));
        },
        {"linear:", "[] float32"});
  t.err("size", "Linear with out_features 0", [] { nn::Linear m(4, 0); },
        {"Linear:", "out_features >= 1", "0"});
  t.err("size", "Linear with negative in_features", [] { nn::Linear m(-1, 3); }, {"Linear:", "-1"});
  t.val("empty", "Linear on an empty batch", [] {
    nn::Linear m(4, 3);
    return is(m(F({0, 4})), {0, 3});
  });

  t.err("layer", "Conv2d(3, 8) given 1 channel",
        [] {
          nn::Conv2d m(3, 8, 3);
          m(F({2, 1, 8, 8}));
        },
        {"conv2d:", "1 channels", "expects 3", "[2, 1, 8, 8]", "[8, 3, 3, 3]"});
  t.err("layer", "Conv2d given a 2-D input",
        [] {
          nn::Conv2d m(1, 2, 3);
          m(F({8, 8}));
        },
        {"conv2d:", "[8, 8] float32"});
  t.err("layer", "Conv2d with a kernel larger than the input",
        [] {
          nn::Conv2d m(1, 2, 5);
          m(F({1, 1, 3, 3}));
        },
        {"conv2d:", "5x5", "[1, 1, 3, 3]"});
  t.err("size", "Conv2d with kernel_size 0", [] { nn::Conv2d m(1, 2, 0); },
        {"Conv2d:", "kernel_size must be at least 1"});
  t.err("size", "Conv2d with 0 in_channels", [] { nn::Conv2d m(0, 2, 3); }, {"Conv2d:", "0"});
  t.err("size", "Conv2d with groups that do not divide",
        [] {
          nn::Conv2d m(nn::Conv2dOptions{
              .in_channels = 3, .out_channels = 4, .kernel_size = 3, .groups = 2});
        },
        {"Conv2d:", "groups 2", "in_channels 3"});
  t.err("size", "Conv2d with stride 0",
        [] {
          nn::Conv2d m(1, 2, 3, 0);
          m(F({1, 1, 5, 5}));
        },
        {"onv2d", "stride", "0"});
  t.err("size", "Conv2d with negative padding",
        [] {
          nn::Conv2d m(1, 2, 3, 1, -1);
          m(F({1, 1, 5, 5}));
        },
        {"onv2d", "padding", "-1"});

  t.err("layer", "MaxPool2d window larger than the input",
        [] {
          nn::MaxPool2d m({.kernel_size = 4});
          m(F({1, 1, 3, 3}));
        },
        {"max_pool2d:", "4x4", "[1, 1, 3, 3]"});
  t.err("layer", "AvgPool2d given a 2-D input",
        [] {
          nn::AvgPool2d m({.kernel_size = 2});
          m(F({4, 4}));
        },
        {"avg_pool2d:", "[4, 4] float32"});
  t.err("size", "MaxPool2d with kernel_size 0",
        [] {
          nn::MaxPool2d m({.kernel_size = 0});
          m(F({1, 1, 3, 3}));
        },
        {"ax_pool2d", "kernel_size", "0"});
  t.err("size", "AvgPool2d with negative padding",
        [] {
          nn::AvgPool2d m({.kernel_size = 2, .padding = -1});
          m(F({1, 1, 3, 3}));
        },
        {"vg_pool2d", "padding", "-1"});

  t.err("dtype", "ReLU of int64",
        [] {
          nn::ReLU m;
          m(L({2}));
        },
        {"relu:", "int64"});
  t.err("dtype", "LeakyReLU of int64",
        [] {
          nn::LeakyReLU m;
          m(L({2}));
        },
        {"leaky_relu:", "int64"});
  t.err("dtype", "Sigmoid of int64",
        [] {
          nn::Sigmoid m;
          m(L({2}));
        },
        {"sigmoid:", "int64"});
  t.err("dtype", "Tanh of int64",
        [] {
          nn::Tanh m;
          m(L({2}));
        },
        {"tanh:", "int64"});
  t.err("dim", "Softmax(dim 2) of a 2-D input",
        [] {
          nn::Softmax m(2);
          m(F({2, 3}));
        },
        {"softmax:", "dim 2", "[2, 3]"});
  t.err("dim", "LogSoftmax(dim -3) of a 2-D input",
        [] {
          nn::LogSoftmax m(-3);
          m(F({2, 3}));
        },
        {"log_softmax:", "dim -3", "[2, 3]"});
  t.err("size", "Dropout with p = 2", [] { nn::Dropout m(2.0); },
        {"Dropout:", "p must be in [0, 1]", "2"});
  t.err("size", "Dropout with p = -1", [] { nn::Dropout m(-1.0); }, {"Dropout:", "-1"});
  t.err("dim", "Flatten(start_dim 1) of a 1-D input",
        [] {
          nn::Flatten m;
          m(F({4}));
        },
        {"flatten:", "dim 1", "out of range"});
  t.err("dim", "Flatten with start_dim after end_dim",
        [] {
          nn::Flatten m(2, 1);
          m(F({2, 3, 4}));
        },
        {"flatten:", "start_dim 2", "end_dim 1"});

  t.err("index", "Embedding(10, 4) given index 10",
        [] {
          nn::Embedding m(10, 4);
          m(I({3, 10}));
        },
        {"embedding:", "index 10", "10 embeddings", "[10, 4]"});
  t.err("index", "Embedding given index -1",
        [] {
          nn::Embedding m(10, 4);
          m(I({-1}));
        },
        {"embedding:", "index -1"});
  t.err("dtype", "Embedding given float indices",
        [] {
          nn::Embedding m(10, 4);
          m(F({2}));
        },
        {"embedding:", "int64", "[2] float32"});
  t.err("size", "Embedding with 0 embeddings", [] { nn::Embedding m(0, 4); },
        {"Embedding:", "num_embeddings", "0"});
  t.err("index", "Embedding with padding_idx out of range", [] { nn::Embedding m(10, 4, 10); },
        {"Embedding:", "padding_idx 10", "10 embeddings"});

  t.err("layer", "BatchNorm1d(3) given 4 features",
        [] {
          nn::BatchNorm1d m(3);
          m(R({5, 4}));
        },
        {"BatchNorm1d:", "expected 3 channels", "[5, 4]"});
  t.err("rank", "BatchNorm1d given a 4-D input",
        [] {
          nn::BatchNorm1d m(3);
          m(R({5, 3, 2, 2}));
        },
        {"BatchNorm1d:", "2 or 3-D", "[5, 3, 2, 2]"});
  t.err("layer", "BatchNorm2d(3) given 1 channel",
        [] {
          nn::BatchNorm2d m(3);
          m(R({2, 1, 4, 4}));
        },
        {"BatchNorm2d:", "expected 3 channels", "[2, 1, 4, 4]"});
  t.err("rank", "BatchNorm2d given a 3-D input",
        [] {
          nn::BatchNorm2d m(3);
          m(R({3, 4, 4}));
        },
        {"BatchNorm2d:", "4-D", "[3, 4, 4]"});
  t.err("dtype", "BatchNorm2d (float32) given float64",
        [] {
          nn::BatchNorm2d m(3);
          m(D({2, 3, 2, 2}));
        },
        {"batch_norm:", "float32", "float64"});
  t.val("dtype", "a failed BatchNorm call leaves num_batches_tracked alone", [] {
    nn::BatchNorm2d m(3);
    try {
      m(D({2, 3, 2, 2}));
    } catch (const Error&) {
    }
    return is(m.num_batches_tracked, {}, {0});
  });
  t.err("empty", "BatchNorm1d training on one sample",
        [] {
          nn::BatchNorm1d m(3);
          m(R({1, 3}));
        },
        {"batch_norm:", "more than 1 value per channel", "[1, 3]"});
  t.err("size", "BatchNorm1d with 0 features", [] { nn::BatchNorm1d m(0); },
        {"BatchNorm1d:", "num_features", "0"});
  t.err("layer", "LocalResponseNorm given a 2-D input",
        [] {
          nn::LocalResponseNorm m(2);
          m(F({2, 3}));
        },
        {"local_response_norm:", "[2, 3] float32"});
  t.err("size", "LocalResponseNorm with size 0", [] { nn::LocalResponseNorm m(0); },
        {"LocalResponseNorm:", "size must be at least 1"});

  const nn::RnnOptions ro{.input_size = 4, .hidden_size = 3};
  t.err("layer", "RNN(input 4) given input size 5",
        [ro] {
          nn::RNN m(ro);
          m(F({2, 1, 5}));
        },
        {"RNN:", "input_size 4", "[2, 1, 5]"});
  t.err("rank", "RNN given a 2-D input",
        [ro] {
          nn::RNN m(ro);
          m(F({2, 4}));
        },
        {"RNN:", "[T, N, I]", "[2, 4]"});
  t.err("rank", "RNN (batch_first) given a 4-D input",
        [ro] {
          nn::RnnOptions o = ro;
          o.batch_first = true;
          nn::RNN m(o);
          m(F({1, 2, 3, 4}));
        },
        {"RNN:", "[N, T, I]", "[1, 2, 3, 4]"});
  t.err("empty", "RNN given an empty sequence",
        [ro] {
          nn::RNN m(ro);
          m(F({0, 2, 4}));
        },
        {"RNN:", "non-empty", "[0, 2, 4]"});
  t.err("shape", "RNN given h0 of the wrong shape",
        [ro] {
          nn::RNN m(ro);
          m.forward(F({2, 5, 4}), F({1, 2, 3}));
        },
        {"RNN:", "h0 [1, 5, 3]", "[2, 5, 4]", "[1, 2, 3]"});
  t.err("dtype", "RNN (float32) given float64",
        [ro] {
          nn::RNN m(ro);
          m(D({2, 1, 4}));
        },
        {"float64", "float32"});
  t.err("size", "RNN with hidden_size 0", [] { nn::RNN m({.input_size = 4, .hidden_size = 0}); },
        {"RNN:", "hidden_size"});
  t.err("layer", "LSTM(input 4) given input size 2",
        [ro] {
          nn::LSTM m(ro);
          m(F({2, 1, 2}));
        },
        {"LSTM:", "input_size 4", "[2, 1, 2]"});
  t.err("shape", "LSTM given c0 of the wrong shape",
        [ro] {
          nn::LSTM m(ro);
          m.forward(F({2, 5, 4}), Tensor(), F({1, 5, 4}));
        },
        {"LSTM:", "c0 [1, 5, 3]", "[1, 5, 4]"});
  t.err("size", "LSTM with num_layers 0",
        [] { nn::LSTM m({.input_size = 4, .hidden_size = 3, .num_layers = 0}); },
        {"LSTM:", "num_layers"});

  t.err("layer", "Sequential whose layers do not chain",
        [] {
          nn::Sequential s;
          s.emplace<nn::Linear>(4, 3);
          s.emplace<nn::Linear>(5, 2);
          s(F({2, 4}));
        },
        {"linear:", "3 features", "[2, 3]", "[2, 5]"});
  t.err("index", "Sequential index past the end",
        [] {
          nn::Sequential s;
          s.emplace<nn::ReLU>();
          (void)s[1];
        },
        {"Sequential:", "index 1", "1"});
  t.err("index", "ModuleList index past the end",
        [] {
          nn::ModuleList l;
          (void)l[0];
        },
        {"ModuleList:", "index 0"});
  t.err("dtype", "Module::to(int64)",
        [] {
          nn::Linear m(2, 2);
          m.to(kInt64);
        },
        {"Linear.to:", "int64"});

  // Ready-made models and summaries.
  t.err("layer", "fashion_mlp given 32x32 images",
        [] {
          models::fashion_mlp()->forward(F({2, 1, 32, 32}));
        },
        {"linear:", "1024 features", "[2, 1024]", "[256, 784]"});
  t.err("layer", "fashion_cnn given 3 channels",
        [] {
          models::fashion_cnn()->forward(F({2, 3, 28, 28}));
        },
        {"conv2d:", "3 channels", "[2, 3, 28, 28]"});
  t.err("size", "fashion_cnn with 0 classes", [] { models::fashion_cnn(0); },
        {"models::fashion_cnn:", "num_classes", "0"});
  t.err("size", "alexnet with dropout 1", [] { models::alexnet(10, 1.0); },
        {"models::alexnet:", "dropout", "1"});
  t.err("size", "summary with a zero size",
        [] {
          nn::Linear m(4, 3);
          nn::summary(m, {0, 4});
        },
        {"summary:", "[0, 4]"});
  t.err("size", "summary with two negative sizes",
        [] {
          nn::Linear m(4, 3);
          nn::summary(m, {-1, -4});
        },
        {"summary:", "[-1, -4]"});
  t.err("layer", "summary with the wrong feature count",
        [] {
          nn::Linear m(4, 3);
          nn::summary(m, {2, 5});
        },
        {"linear:", "5 features", "[2, 5]"});

  // Loss modules.
  t.err("index", "CrossEntropyLoss with target == C",
        [] {
          nn::CrossEntropyLoss l;
          l(R({2, 3}), I({3, 0}));
        },
        {"cross_entropy:", "target 3", "3 classes"});
  t.err("shape", "CrossEntropyLoss with a weight of the wrong size",
        [] {
          nn::CrossEntropyLoss l({.weight = F({2})});
          l(R({2, 3}), I({0, 1}));
        },
        {"cross_entropy:", "weight must be [3]", "[2] float32"});
  t.err("index", "NLLLoss with a negative target",
        [] {
          nn::NLLLoss l;
          l(R({2, 3}), I({-3, 0}));
        },
        {"nll_loss:", "target -3"});
  t.err("dtype", "NLLLoss with float targets",
        [] {
          nn::NLLLoss l;
          l(R({2, 3}), F({2}));
        },
        {"nll_loss:", "[2] float32"});
  t.err("index", "MultiMarginLoss with target == C",
        [] {
          nn::MultiMarginLoss l;
          l(R({2, 3}), I({0, 3}));
        },
        {"multi_margin_loss:", "target 3"});
  t.err("size", "MultiMarginLoss with p = 0",
        [] {
          nn::MultiMarginLoss l({.p = 0});
          l(R({2, 3}), I({0, 1}));
        },
        {"multi_margin_loss:", "p must be 1 or 2", "0"});
  t.err("shape", "MSELoss of different shapes",
        [] {
          nn::MSELoss l;
          l(F({2, 3}), F({2}));
        },
        {"mse_loss:", "[2, 3]", "[2]"});
  t.err("shape", "BCEWithLogitsLoss of different shapes",
        [] {
          nn::BCEWithLogitsLoss l;
          l(F({4, 1}), F({4}));
        },
        {"binary_cross_entropy_with_logits:", "[4, 1]", "[4]"});
  t.err("shape", "BCEWithLogitsLoss with pos_weight of the wrong size",
        [] {
          nn::BCEWithLogitsLoss l({.pos_weight = F({5})});
          l(F({4, 2}), F({4, 2}));
        },
        {"binary_cross_entropy_with_logits:", "pos_weight must be [2]", "[5] float32"});

  // nn::init.
  t.err("rank", "kaiming_uniform_ of a 1-D tensor", [] { nn::init::kaiming_uniform_(F({4})); },
        {"kaiming_uniform_", "[4]"});
  t.err("rank", "xavier_normal_ of a 1-D tensor", [] { nn::init::xavier_normal_(F({4})); },
        {"xavier_normal_", "[4]"});
  t.err("empty", "kaiming_normal_ with fan_in 0",
        [] {
          nn::init::kaiming_normal_(F({3, 0}));
        },
        {"kaiming_normal_", "fan_in"});
  t.err("dtype", "normal_ of int64", [] { nn::init::normal_(L({2})); }, {"normal_:", "int64"});
  t.err("size", "normal_ with a negative std", [] { nn::init::normal_(F({2}), 0.0, -1.0); },
        {"normal_:", "-1"});
  t.err("size", "uniform_ with a > b", [] { nn::init::uniform_(F({2}), 1.0, 0.0); }, {"uniform_:"});
  t.err("nonfinite", "uniform_ with an infinite bound",
        [] { nn::init::uniform_(F({2}), 0.0, kInf); }, {"uniform_:", "inf"});
  t.err("dtype", "constant_ of int64", [] { nn::init::constant_(L({2}), 1.0); },
        {"constant_:", "int64"});
  return t;
}

// ---- load_state_dict -------------------------------------------------------------------------

Table state_dict_rows() {
  Table t;
  t.err("state_dict", "Linear.load_state_dict with a transposed weight",
        [] {
          nn::Linear m(4, 3);
          StateDict s = m.state_dict();
          s.insert_or_assign("weight", F({4, 3}));
          m.load_state_dict(s);
        },
        {"Linear.load_state_dict:", "weight", "[4, 3]", "[3, 4]"});
  t.err("state_dict", "Linear.load_state_dict with a bias of the wrong size (non-strict)",
        [] {
          nn::Linear m(4, 3);
          StateDict s;
          s.insert("bias", F({4}));
          m.load_state_dict(s, /*strict=*/false);
        },
        {"Linear.load_state_dict:", "bias", "[4]", "[3]"});
  t.err("state_dict", "load_state_dict missing a key",
        [] {
          nn::Linear m(4, 3);
          StateDict s = m.state_dict();
          s.erase("bias");
          m.load_state_dict(s);
        },
        {"Linear.load_state_dict:", "missing keys: [bias]"});
  t.err("state_dict", "load_state_dict with an unexpected key",
        [] {
          nn::Linear m(4, 3);
          StateDict s = m.state_dict();
          s.insert("extra", F({1}));
          m.load_state_dict(s);
        },
        {"Linear.load_state_dict:", "unexpected keys: [extra]"});
  t.err("state_dict", "load_state_dict of int64 into a float parameter",
        [] {
          nn::Linear m(4, 3);
          StateDict s = m.state_dict();
          s.insert_or_assign("weight", L({3, 4}));
          m.load_state_dict(s);
        },
        {"Linear.load_state_dict:", "weight", "int64", "float32"});
  t.err("state_dict", "load_state_dict of an undefined entry",
        [] {
          nn::Linear m(4, 3);
          StateDict s = m.state_dict();
          s.insert_or_assign("bias", Tensor());
          m.load_state_dict(s);
        },
        {"Linear.load_state_dict:", "bias", "undefined"});
  t.err("state_dict", "Sequential.load_state_dict names the nested entry",
        [] {
          nn::Sequential m;
          m.emplace<nn::Linear>(4, 3);
          m.emplace<nn::Conv2d>(1, 2, 3);
          StateDict s = m.state_dict();
          s.insert_or_assign("1.weight", F({2, 1, 5, 5}));
          m.load_state_dict(s);
        },
        {"Sequential.load_state_dict:", "1.weight", "[2, 1, 5, 5]", "[2, 1, 3, 3]"});
  t.err("state_dict", "BatchNorm2d.load_state_dict with running_var of the wrong size",
        [] {
          nn::BatchNorm2d m(3);
          StateDict s = m.state_dict();
          s.insert_or_assign("running_var", F({4}));
          m.load_state_dict(s);
        },
        {"BatchNorm2d.load_state_dict:", "running_var", "[4]", "[3]"});
  t.err("state_dict", "Embedding.load_state_dict with a smaller table",
        [] {
          nn::Embedding m(10, 4);
          StateDict s;
          s.insert("weight", F({9, 4}));
          m.load_state_dict(s);
        },
        {"Embedding.load_state_dict:", "weight", "[9, 4]", "[10, 4]"});
  t.err("state_dict", "LSTM.load_state_dict with weight_hh of the wrong size",
        [] {
          nn::LSTM m({.input_size = 4, .hidden_size = 3});
          StateDict s = m.state_dict();
          s.insert_or_assign("weight_hh_l0", F({12, 4}));
          m.load_state_dict(s);
        },
        {"LSTM.load_state_dict:", "weight_hh_l0", "[12, 4]", "[12, 3]"});
  t.val("state_dict", "a failed load_state_dict leaves the module untouched", [] {
    nn::Linear m(2, 2);
    const std::vector<double> before = m.weight.to_vector<double>();
    StateDict s = m.state_dict();
    s.insert_or_assign("weight", full({2, 2}, 7.0));
    s.insert_or_assign("bias", F({3}));
    try {
      m.load_state_dict(s);
    } catch (const Error&) {
    }
    return is(m.weight, {2, 2}, before);
  });
  return t;
}

// ---- optimizers and schedules --------------------------------------------------------------

Tensor param(const Shape& shape) { return F(shape).requires_grad_(true); }

Table optim_rows() {
  Table t;
  using namespace optim;  // NOLINT(google-build-using-namespace)
  t.err("options", "SGD with a negative lr", [] { SGD o({param({2})}, {.lr = -0.1}); },
        {"sgd:", "lr", "-0.1"});
  t.err("nonfinite", "SGD with a NaN lr", [] { SGD o({param({2})}, {.lr = kNaN}); },
        {"sgd:", "lr"});
  t.err("options", "SGD with a negative momentum", [] { SGD o({param({2})}, {.momentum = -0.5}); },
        {"sgd:", "momentum", "-0.5"});
  t.err("options", "SGD nesterov without momentum", [] { SGD o({param({2})}, {.nesterov = true}); },
        {"sgd:", "esterov"});
  t.err("options", "SGD with a negative weight_decay",
        [] { SGD o({param({2})}, {.weight_decay = -1.0}); }, {"sgd:", "weight_decay", "-1"});
  t.err("dtype", "SGD over an int64 tensor", [] { SGD o({L({2})}, {}); },
        {"optimizer:", "parameter 0", "int64"});
  t.err("options", "SGD over a tensor that does not require grad", [] { SGD o({F({2})}, {}); },
        {"optimizer:", "parameter 0"});
  t.err("options", "SGD over a non-leaf",
        [] {
          Tensor p = param({2});
          SGD o({mul(p, 2.0)}, {});
        },
        {"optimizer:", "parameter 0"});
  t.err("undefined", "SGD over an undefined tensor",
        [] {
          SGD o({param({2}), Tensor()}, {});
        },
        {"optimizer:", "parameter 1", "undefined"});
  t.err("options", "SGD over the same tensor twice",
        [] {
          Tensor p = param({2});
          SGD o({p, p}, {});
        },
        {"optimizer:", "parameter"});
  t.err("options", "Adam with beta1 = 1", [] { Adam o({param({2})}, {.beta1 = 1.0}); },
        {"adam:", "beta"});
  t.err("options", "Adam with beta2 = -0.1", [] { Adam o({param({2})}, {.beta2 = -0.1}); },
        {"adam:", "beta"});
  t.err("options", "Adam with a negative eps", [] { Adam o({param({2})}, {.eps = -1e-8}); },
        {"adam:", "eps"});
  t.err("options", "AdamW with a negative lr",
        [] {
          AdamWOptions w;
          w.lr = -1.0;
          AdamW o({param({2})}, w);
        },
        {"adamw:", "lr", "-1"});
  t.err("options", "RMSprop with alpha 1.5", [] { RMSprop o({param({2})}, {.alpha = 1.5}); },
        {"rmsprop:", "alpha", "1.5"});
  t.err("options", "RMSprop with a negative momentum",
        [] { RMSprop o({param({2})}, {.momentum = -1}); }, {"rmsprop:", "momentum"});
  t.err("index", "set_lr of a group that does not exist",
        [] {
          SGD o({param({2})}, {});
          o.set_lr(3, 0.1);
        },
        {"sgd:", "group 3"});
  t.err("index", "lr of a group that does not exist",
        [] {
          SGD o({param({2})}, {});
          (void)o.lr(1);
        },
        {"sgd:", "group 1"});
  t.err("options", "set_lr to a negative value",
        [] {
          SGD o({param({2})}, {});
          o.set_lr(-1.0);
        },
        {"sgd:", "lr", "-1"});
  t.err("state_dict", "Adam.load_state_dict with exp_avg of the wrong shape",
        [] {
          Tensor p = param({2, 3});
          Adam o({p}, {});
          p.set_grad(full({2, 3}, 1.0));
          o.step();
          StateDict s = o.state_dict();
          s.insert_or_assign("state.0.exp_avg", F({3, 2}));
          o.load_state_dict(s);
        },
        {"adam", "state.0.exp_avg", "[3, 2]", "[2, 3]"});
  t.err("state_dict", "SGD.load_state_dict missing an entry",
        [] {
          SGD o({param({2})}, {});
          StateDict s = o.state_dict();
          s.erase("param_groups.0.lr");
          o.load_state_dict(s);
        },
        {"sgd", "param_groups.0.lr"});
  t.err("state_dict", "SGD.load_state_dict from an optimizer over more parameters",
        [] {
          SGD big({param({2}), param({3})}, {});
          SGD o({param({2})}, {});
          o.load_state_dict(big.state_dict());
        },
        {"sgd", "group 0", "2", "1"});
  t.err("state_dict", "RMSprop.load_state_dict with a float step",
        [] {
          Tensor p = param({2});
          RMSprop o({p}, {});
          p.set_grad(full({2}, 1.0));
          o.step();
          StateDict s = o.state_dict();
          s.insert_or_assign("state.0.step", F({}));
          o.load_state_dict(s);
        },
        {"rmsprop", "state.0.step"});

  t.err("size", "clip_grad_norm with norm_type 0", [] { clip_grad_norm({param({2})}, 1.0, 0.0); },
        {"clip_grad_norm:", "norm_type", "0"});
  t.err("size", "clip_grad_norm with a negative max_norm",
        [] { clip_grad_norm({param({2})}, -1.0); }, {"clip_grad_norm:", "max_norm", "-1"});
  t.err("nonfinite", "clip_grad_norm with a NaN max_norm",
        [] { clip_grad_norm({param({2})}, kNaN); }, {"clip_grad_norm:", "max_norm"});
  t.err("size", "clip_grad_value with a negative clip_value",
        [] { clip_grad_value({param({2})}, -1.0); }, {"clip_grad_value:", "-1"});
  t.err("undefined", "clip_grad_norm of an undefined parameter",
        [] { clip_grad_norm({Tensor()}, 1.0); }, {"clip_grad_norm:", "undefined"});
  t.val("nonfinite", "clip_grad_norm of a NaN gradient returns NaN", [] {
    Tensor p = param({2});
    p.set_grad(V({kNaN, 1}, {2}));
    const double n = clip_grad_norm({p}, 1.0);
    if (std::isnan(n)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "norm " << n;
  });

  t.err("size", "StepLR with step_size 0",
        [] {
          SGD o({param({2})}, {});
          StepLR s(o, 0);
        },
        {"StepLR:", "step_size", "0"});
  t.err("size", "ExponentialLR with a negative gamma",
        [] {
          SGD o({param({2})}, {});
          ExponentialLR s(o, -0.5);
        },
        {"ExponentialLR:", "gamma", "-0.5"});
  t.err("size", "WarmupCosineLR with total <= warmup",
        [] {
          SGD o({param({2})}, {});
          WarmupCosineLR s(o, 10, 10);
        },
        {"WarmupCosineLR:", "10"});
  t.err("size", "OneCycleLR with pct_start 0",
        [] {
          SGD o({param({2})}, {});
          OneCycleLR s(o, {.pct_start = 0.0});
        },
        {"OneCycleLR:", "pct_start", "0"});
  t.err("size", "OneCycleLR with total_steps 1",
        [] {
          SGD o({param({2})}, {});
          OneCycleLR s(o, {.total_steps = 1});
        },
        {"OneCycleLR:", "total_steps", "1"});
  t.err("size", "OneCycleLR whose pct_start leaves a phase empty",
        [] {
          SGD o({param({2})}, {});
          OneCycleLR s(o, {.total_steps = 2});
        },
        {"OneCycleLR:", "pct_start 0.3", "total_steps 2"});
  t.err("index", "OneCycleLR stepped past total_steps",
        [] {
          SGD o({param({2})}, {});
          OneCycleLR s(o, {.total_steps = 10});
          for (int i = 0; i < 11; ++i) s.step();  // PyTorch allows 10 calls, not 11
        },
        {"OneCycleLR:", "called 11 times", "total_steps is 10"});
  t.err("state_dict", "StepLR.load_state_dict with a negative last_epoch",
        [] {
          SGD o({param({2})}, {});
          StepLR s(o, 2);
          StateDict d = s.state_dict();
          d.insert_or_assign("last_epoch", tensor_from(std::vector<int64_t>{-3}, {}));
          s.load_state_dict(d);
        },
        {"StepLR", "-3"});
  return t;
}

// ---- data ------------------------------------------------------------------------------------

Table data_rows() {
  Table t;
  using namespace data;  // NOLINT(google-build-using-namespace)
  t.err("shape", "TensorDataset with different first dims",
        [] {
          TensorDataset d(F({4, 2}), L({3}));
        },
        {"TensorDataset:", "[4, 2]", "[3]"});
  t.err("rank", "TensorDataset of 0-D data", [] { TensorDataset d(F({})); }, {"TensorDataset:"});
  t.err("index", "TensorDataset::get past the end",
        [] {
          TensorDataset d(F({4, 2}));
          d.get(4);
        },
        {"TensorDataset::get:", "index 4", "4"});
  t.err("index", "TensorDataset::get of -1",
        [] {
          TensorDataset d(F({4, 2}));
          d.get(-1);
        },
        {"TensorDataset::get:", "index -1"});
  t.err("index", "TensorDataset::get_batch with an index past the end",
        [] {
          TensorDataset d(F({4, 2}));
          d.get_batch({0, 9});
        },
        {"index 9", "4"});
  t.val("empty", "TensorDataset::get_batch of no indices is an empty batch", [] {
    TensorDataset d(F({4, 2}), L({4}));
    const Batch b = d.get_batch({});
    ::testing::AssertionResult a = is(b.data, {0, 2});
    return a ? is(b.target, {0}) : a;
  });
  t.err("index", "TensorDataset::subset with an index past the end",
        [] {
          TensorDataset d(F({4, 2}));
          d.subset({5});
        },
        {"index 5", "4"});
  t.err("index", "gather_rows with a negative index",
        [] {
          gather_rows(F({3, 2}), {-1});
        },
        {"gather_rows:", "index -1", "3"});
  t.err("rank", "gather_rows of a 0-D tensor", [] { gather_rows(F({}), {0}); }, {"gather_rows:"});
  t.err("index", "Subset with an index past the end",
        [] {
          Subset s(std::make_shared<TensorDataset>(F({3, 2})), {0, 3});
        },
        {"Subset:", "index 3", "3"});
  t.err("undefined", "Subset of a null dataset", [] { Subset s(nullptr, {0}); },
        {"Subset:", "null"});
  t.err("size", "DataLoader with batch_size 0",
        [] {
          DataLoader l(std::make_shared<TensorDataset>(F({3, 2})), {.batch_size = 0});
        },
        {"DataLoader:", "batch_size", "0"});
  t.err("size", "DataLoader with prefetch_depth 0",
        [] {
          DataLoader l(std::make_shared<TensorDataset>(F({3, 2})), {.prefetch_depth = 0});
        },
        {"DataLoader:", "prefetch_depth", "0"});
  t.err("undefined", "DataLoader of a null dataset", [] { DataLoader l(nullptr); },
        {"DataLoader:", "null"});
  t.err("size", "DataLoader::set_epoch(-1)",
        [] {
          DataLoader l(std::make_shared<TensorDataset>(F({3, 2})));
          l.set_epoch(-1);
        },
        {"DataLoader::set_epoch:", "-1"});
  t.err("options", "a DataLoader transform's error reaches the consumer",
        [] {
          DataLoader l(std::make_shared<TensorDataset>(F({3, 2})),
                       {.transform = [](Batch b, Generator& g) {
                         b.data = random_crop(b.data, 1, g);  // [B, 2] is not an image batch
                         return b;
                       }});
          for (Batch& b : l) (void)b;
        },
        {"random_crop:", "[N, C, H, W]", "[1, 2]"});
  t.err("size", "shuffled_indices of -1", [] { shuffled_indices(-1, 0); },
        {"shuffled_indices:", "-1"});

  t.err("shape", "Normalize with mean and std of different shapes",
        [] {
          Normalize n(F({3, 1, 1}), full({3}, 1.0));
        },
        {"Normalize:", "[3, 1, 1]", "[3]"});
  t.err("size", "Normalize with std 0", [] { Normalize n(F({2}), F({2})); },
        {"Normalize:", "std must be positive", "0"});
  t.err("nonfinite", "Normalize with std NaN", [] { Normalize n(F({1}), V({kNaN}, {1})); },
        {"Normalize:", "std", "nan"});
  t.err("nonfinite", "Normalize with mean inf", [] { Normalize n(V({kInf}, {1}), V({1}, {1})); },
        {"Normalize:", "mean", "inf"});
  t.err("shape", "Normalize applied to the wrong channel count",
        [] {
          Normalize n(F({3, 1, 1}), full({3, 1, 1}, 1.0));
          n(F({2, 1, 4, 4}));
        },
        {"Normalize:", "[2, 1, 4, 4]", "[3, 1, 1]"});
  t.err("rank", "Normalize applied to a single example",
        [] {
          Normalize n(F({3, 1, 1}), full({3, 1, 1}, 1.0));
          n(F({3, 4, 4}));
        },
        {"Normalize:", "[3, 4, 4]", "[3, 1, 1]"});
  t.err("shape", "Normalize::inverse of the wrong channel count",
        [] {
          Normalize n(F({3, 1, 1}), full({3, 1, 1}, 1.0));
          n.inverse(F({2, 1, 4, 4}));
        },
        {"Normalize::inverse:", "[2, 1, 4, 4]", "[3, 1, 1]"});
  t.err("dtype", "Normalize of int64",
        [] {
          Normalize n(F({2}), full({2}, 1.0));
          n(L({4, 2}));
        },
        {"Normalize:", "int64"});
  t.err("undefined", "an unfitted Normalize",
        [] {
          Normalize n;
          n(F({2, 2}));
        },
        {"Normalize:", "not fitted"});
  t.err("rank", "Normalize::fit_per_channel of a 1-D tensor",
        [] { Normalize::fit_per_channel(F({4})); }, {"Normalize::fit_per_channel:", "[4]"});
  t.err("empty", "Normalize::fit_per_channel of no examples",
        [] {
          Normalize::fit_per_channel(F({0, 3}));
        },
        {"Normalize::fit_per_channel:", "[0, 3]"});
  t.err("empty", "Normalize::fit_channel_mean of empty examples",
        [] {
          Normalize::fit_channel_mean(F({2, 3, 0}));
        },
        {"Normalize::fit_channel_mean:", "[2, 3, 0]"});
  t.err("empty", "Normalize::fit_per_channel of empty examples",
        [] {
          Normalize::fit_per_channel(F({2, 3, 0}));
        },
        {"Normalize::fit_per_channel:", "[2, 3, 0]"});
  t.err("empty", "Normalize::fit_mean_example of no examples",
        [] {
          Normalize::fit_mean_example(F({0, 3}));
        },
        {"Normalize::fit_mean_example:", "[0, 3]"});
  t.err("dtype", "Normalize::fit_per_channel of int64",
        [] {
          Normalize::fit_per_channel(L({2, 3}));
        },
        {"Normalize::fit_per_channel:", "int64"});

  t.err("rank", "random_crop of a 3-D tensor",
        [] {
          Generator g(1);
          random_crop(F({3, 8, 8}), 2, g);
        },
        {"random_crop:", "[N, C, H, W]", "[3, 8, 8]"});
  t.err("size", "random_crop with negative padding",
        [] {
          Generator g(1);
          random_crop(F({1, 3, 8, 8}), -1, g);
        },
        {"random_crop:", "padding", "-1"});
  t.err("dtype", "random_crop of int64",
        [] {
          Generator g(1);
          random_crop(L({1, 3, 8, 8}), 1, g);
        },
        {"random_crop:", "int64"});
  t.val("empty", "random_crop of an empty batch", [] {
    Generator g(1);
    return is(random_crop(F({0, 3, 8, 8}), 2, g), {0, 3, 8, 8});
  });
  t.val("size", "random_crop with padding larger than the image gives zeros or shifts", [] {
    Generator g(1);
    return is(random_crop(full({2, 1, 2, 2}, 1.0), 100, g), {2, 1, 2, 2});
  });
  t.err("rank", "random_horizontal_flip of a 2-D tensor",
        [] {
          Generator g(1);
          random_horizontal_flip(F({8, 8}), g);
        },
        {"random_horizontal_flip:", "[8, 8]"});
  t.err("size", "random_horizontal_flip with p = 1.5",
        [] {
          Generator g(1);
          random_horizontal_flip(F({1, 1, 2, 2}), g, 1.5);
        },
        {"random_horizontal_flip:", "p must be in [0, 1]", "1.5"});
  t.err("dtype", "random_horizontal_flip of int64",
        [] {
          Generator g(1);
          random_horizontal_flip(L({1, 1, 2, 2}), g);
        },
        {"random_horizontal_flip:", "int64"});

  t.err("size", "train_val_split with val_fraction 1.5", [] { train_val_split(10, 1.5, 0); },
        {"train_val_split:", "val_fraction", "1.5"});
  t.err("size", "train_val_split of n = -1", [] { train_val_split(-1, 0.5, 0); },
        {"train_val_split:", "-1"});
  t.err("empty", "bootstrap_ci of no values", [] { bootstrap_ci(std::vector<double>{}); },
        {"bootstrap_ci:", "at least one example", "0"});
  t.err("size", "bootstrap_ci with confidence 1",
        [] {
          bootstrap_ci(std::vector<double>{1, 0}, 10, 1.0);
        },
        {"bootstrap_ci:", "confidence", "1"});
  t.err("size", "bootstrap_ci with 0 resamples",
        [] {
          bootstrap_ci(std::vector<double>{1, 0}, 0);
        },
        {"bootstrap_ci:", "resamples", "0"});
  t.err("rank", "bootstrap_ci of a 2-D tensor",
        [] {
          bootstrap_ci(F({2, 2}));
        },
        {"bootstrap_ci:", "[2, 2]"});

  t.err("index", "CharVocab::id of a character not in the text",
        [] {
          CharVocab v("abc");
          v.id('z');
        },
        {"CharVocab:", "'z'", "3"});
  t.err("index", "CharVocab::character of id 3 of 3",
        [] {
          CharVocab v("abc");
          v.character(3);
        },
        {"CharVocab:", "id 3", "3"});
  t.err("index", "CharVocab::decode of an id out of range",
        [] {
          CharVocab v("abc");
          v.decode(I({0, 7}));
        },
        {"CharVocab", "id 7"});
  t.err("dtype", "CharVocab::decode of float ids",
        [] {
          CharVocab v("abc");
          v.decode(F({2}));
        },
        {"CharVocab::decode:", "int64", "float32"});
  t.err("size", "CharDataset with seq_len 0", [] { CharDataset d("hello", 0); },
        {"CharDataset:", "seq_len", "0"});
  t.err("size", "CharDataset with a negative stride", [] { CharDataset d("hello", 2, -1); },
        {"CharDataset:", "stride", "-1"});
  t.err("index", "CharDataset::get past the end",
        [] {
          CharDataset d("hello", 2);
          d.get(d.size());
        },
        {"CharDataset::get:", "index 2"});
  t.val("empty", "CharDataset of a text shorter than seq_len + 1 is empty", [] {
    CharDataset d("ab", 4);
    return d.size() == 0 ? ::testing::AssertionSuccess()
                         : ::testing::AssertionFailure() << d.size();
  });
  t.err("undefined", "read_idx of a missing file",
        [] { read_idx("/nonexistent/gpunn/x-idx1-ubyte"); }, {"/nonexistent/gpunn/x-idx1-ubyte"});
  t.err("undefined", "read_cifar10_batch of a missing file",
        [] { read_cifar10_batch("/nonexistent/gpunn/data_batch_1.bin"); },
        {"/nonexistent/gpunn/data_batch_1.bin"});
  t.err("undefined", "load_fashion_mnist from a missing folder",
        [] { load_fashion_mnist("/nonexistent/gpunn", Split::Train); }, {"/nonexistent/gpunn"});
  t.err("size", "spiral with 0 classes", [] { spiral(0, 10, 1); }, {"spiral:", "0"});
  t.err("dtype", "spiral of int64", [] { spiral(2, 10, 1, 0.2, kInt64); }, {"spiral:", "int64"});
  t.err("nonfinite", "spiral with NaN noise", [] { spiral(2, 10, 1, kNaN); },
        {"spiral:", "noise", "nan"});
  return t;
}

// ---- the whole table --------------------------------------------------------------------------

const std::vector<std::pair<std::string, Table (*)()>>& families() {
  static const std::vector<std::pair<std::string, Table (*)()>> f = {
      // The op families' rows live in tests/ops/<family>_test.cpp.
      {"elementwise", elementwise_bad_input},
      {"activation", activation_bad_input},
      {"reduce", reduce_bad_input},
      {"shape", shape_bad_input},
      {"gemm", gemm_bad_input},
      {"softmax", softmax_bad_input},
      {"conv", conv_bad_input},
      {"pool", pool_bad_input},
      {"loss", loss_bad_input},
      {"random", random_bad_input},
      {"index", index_bad_input},
      {"norm", norm_bad_input},
      {"rnn", rnn_bad_input},
      {"attention", attention_bad_input},
      {"layer", layer_rows},
      {"state_dict", state_dict_rows},
      {"optim", optim_rows},
      {"data", data_rows}};
  return f;
}

TEST(BadInput, LayersAndLossModules) { run_table(layer_rows()); }
TEST(BadInput, LoadStateDict) { run_table(state_dict_rows()); }
TEST(BadInput, OptimizersAndSchedules) { run_table(optim_rows()); }
TEST(BadInput, Data) { run_table(data_rows()); }

// Prints the table's size per category and family (quoted in docs/reliability.md)
// and guards against rows silently disappearing.
TEST(BadInput, TableSize) {
  std::map<std::string, int> by_category;
  int total = 0, errors = 0;
  std::printf("bad-input table, rows per family:\n");
  for (const auto& [family, make] : families()) {
    const Table t = make();
    std::printf("  %-18s %4zu\n", family.c_str(), t.rows().size());
    for (const Row& r : t.rows()) {
      ++by_category[r.category];
      ++total;
      errors += r.check ? 0 : 1;
    }
  }
  std::printf("rows per category:\n");
  for (const auto& [c, n] : by_category) std::printf("  %-18s %4d\n", c.c_str(), n);
  std::printf("bad-input table: %d rows (%d expect an error, %d a documented value)\n", total,
              errors, total - errors);
  ::testing::Test::RecordProperty("rows", total);
  EXPECT_GE(total, 400);
}

}  // namespace
}  // namespace gpunn
