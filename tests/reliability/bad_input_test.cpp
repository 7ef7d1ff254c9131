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

// ---- elementwise --------------------------------------------------------------------------

Table elementwise_rows() {
  Table t;
  const auto binary = elementwise_binary_ops();
  for (const auto& [name, f] : binary) {
    t.err("shape", name + " of broadcast-incompatible shapes",
          [f = f] {
            f(F({2, 3}), F({4, 3}));
          },
          {name + ":", "[2, 3]", "[4, 3]", "cannot be broadcast"});
    t.err("shape", name + " with a trailing-dim mismatch",
          [f = f] {
            f(F({5, 3}), F({2}));
          },
          {name + ":", "[5, 3]", "[2]"});
    t.err("dtype", name + " float32 with float64", [f = f] { f(F({2}), D({2})); },
          {name + ":", "float32", "float64", "different dtypes"});
    t.err("dtype", name + " of int64 tensors", [f = f] { f(L({2}), L({2})); },
          {name + ":", "[2] int64", "float32 or float64"});
    t.err("undefined", name + " of an undefined tensor", [f = f] { f(Tensor(), F({2})); },
          {name + ":", "undefined"});
    t.val("empty", name + " of [0, 3] and [1, 3]", [f = f] {
      return is(f(F({0, 3}), F({1, 3})), {0, 3});
    });
    t.err("empty", name + " of [0, 3] and [2, 3]",
          [f = f] {
            f(F({0, 3}), F({2, 3}));
          },
          {name + ":", "[0, 3]", "[2, 3]"});
  }
  using Un = Tensor (*)(const Tensor&);
  const std::vector<std::pair<std::string, Un>> unary = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }},
      {"pow", [](const Tensor& x) { return pow(x, 2.0); }},
      {"add", [](const Tensor& x) { return add(x, 1.0); }},
      {"sub", [](const Tensor& x) { return sub(x, 1.0); }},
      {"mul", [](const Tensor& x) { return mul(x, 2.0); }},
      {"div", [](const Tensor& x) { return div(x, 2.0); }},
      {"rsub", [](const Tensor& x) { return rsub(x, 1.0); }},
      {"rdiv", [](const Tensor& x) { return rdiv(x, 1.0); }},
      {"clamp", [](const Tensor& x) { return clamp(x, 0.0, 1.0); }},
  };
  for (const auto& [name, f] : unary) {
    t.err("dtype", name + " of an int64 tensor",
          [f = f] {
            f(L({2, 3}));
          },
          {name + ":", "[2, 3] int64", "float32 or float64"});
    t.val("empty", name + " of [0, 4]", [f = f] { return is(f(F({0, 4})), {0, 4}); });
  }
  t.err("undefined", "exp of an undefined tensor", [] { exp(Tensor()); }, {"exp:", "undefined"});
  // Non-finite values follow IEEE arithmetic, as in PyTorch.
  t.val("nonfinite", "log of -1, 0, +inf", [] {
    return is(log(V({-1, 0, kInf}, {3})), {3}, {kNaN, -kInf, kInf});
  });
  t.val("nonfinite", "sqrt of -1 and NaN", [] {
    return is(sqrt(V({-1, kNaN}, {2})), {2}, {kNaN, kNaN});
  });
  t.val("nonfinite", "div by zero", [] {
    return is(div(V({1, -1, 0}, {3}), F({3})), {3}, {kInf, -kInf, kNaN});
  });
  t.val("nonfinite", "exp of +-inf and NaN", [] {
    return is(exp(V({kInf, -kInf, kNaN}, {3})), {3}, {kInf, 0, kNaN});
  });
  // clamp: NaN stays NaN, infinities are clamped, min > max gives max.
  t.err("size", "clamp with neither bound", [] { clamp(F({2}), std::nullopt, std::nullopt); },
        {"clamp:", "at least one of min and max"});
  t.val("nonfinite", "clamp of NaN and +-inf", [] {
    return is(clamp(V({kNaN, kInf, -kInf, 0.5}, {4}), 0.0, 1.0), {4}, {kNaN, 1, 0, 0.5});
  });
  t.val("nonfinite", "clamp with only a max bound", [] {
    return is(clamp(V({kNaN, kInf, -kInf}, {3}), std::nullopt, 1.0), {3}, {kNaN, 1, -kInf});
  });
  t.val("size", "clamp with min > max gives max", [] {
    return is(clamp(V({0.5, 3}, {2}), 2.0, 1.0), {2}, {1, 1});
  });
  // In-place forms: the operand must broadcast to self.
  t.err("shape", "add_ of a larger operand",
        [] {
          F({3}).add_(F({2, 3}));
        },
        {"add_:", "[2, 3]", "[3]"});
  t.err("shape", "mul_ of an incompatible operand", [] { F({3}).mul_(F({2})); },
        {"mul_:", "[3]", "[2]"});
  t.err("shape", "sub_ of a larger operand", [] { F({1}).sub_(F({4})); }, {"sub_:", "[4]", "[1]"});
  t.err("shape", "div_ of a larger operand",
        [] {
          F({2, 1}).div_(F({2, 2}));
        },
        {"div_:", "[2, 2]", "[2, 1]"});
  t.err("dtype", "add_ float32 += float64", [] { F({2}).add_(D({2})); },
        {"add", "float32", "float64"});
  t.err("dtype", "mul_ on int64", [] { L({2}).mul_(2.0); }, {"mul", "int64"});
  t.err("options", "add_ on a leaf that requires grad",
        [] {
          Tensor x = F({2}).requires_grad_(true);
          x.add_(1.0);
        },
        {"add_:", "[2] float32", "requires grad"});
  t.err("shape", "operator+ of incompatible shapes", [] { (void)(F({2}) + F({3})); },
        {"add:", "[2]", "[3]"});
  return t;
}

// ---- activations, softmax, dropout ------------------------------------------------------------

Table activation_rows() {
  Table t;
  using Un = Tensor (*)(const Tensor&);
  const std::vector<std::pair<std::string, Un>> acts = {
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return gpunn::tanh(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x, GeluApproximation::Tanh); }},
  };
  for (const auto& [name, f] : acts) {
    t.err("dtype", name + " of int64", [f = f] { f(L({4})); }, {name + ":", "[4] int64"});
    t.err("undefined", name + " of an undefined tensor", [f = f] { f(Tensor()); },
          {name + ":", "undefined"});
    t.val("empty", name + " of [3, 0]", [f = f] { return is(f(F({3, 0})), {3, 0}); });
  }
  t.val("nonfinite", "relu keeps NaN, clips -inf", [] {
    return is(relu(V({kNaN, -kInf, kInf}, {3})), {3}, {kNaN, 0, kInf});
  });
  t.val("nonfinite", "leaky_relu of +-inf and NaN", [] {
    return is(leaky_relu(V({kNaN, -kInf, kInf}, {3}), 0.5), {3}, {kNaN, -kInf, kInf});
  });
  t.val("nonfinite", "sigmoid of +-inf and NaN", [] {
    return is(sigmoid(V({kInf, -kInf, kNaN}, {3})), {3}, {1, 0, kNaN});
  });
  // As PyTorch: -inf · Φ(-inf) = -inf · 0 is NaN.
  t.val("nonfinite", "gelu of +-inf and NaN", [] {
    return is(gelu(V({kInf, -kInf, kNaN}, {3})), {3}, {kInf, kNaN, kNaN});
  });
  t.val("nonfinite", "tanh of +-inf", [] {
    return is(gpunn::tanh(V({kInf, -kInf}, {2})), {2}, {1, -1});
  });

  using Sm = Tensor (*)(const Tensor&, int64_t);
  const std::vector<std::pair<std::string, Sm>> sms = {
      {"softmax", [](const Tensor& x, int64_t d) { return softmax(x, d); }},
      {"log_softmax", [](const Tensor& x, int64_t d) { return log_softmax(x, d); }},
  };
  for (const auto& [name, f] : sms) {
    t.err("dim", name + " over dim 2 of a 2-D tensor",
          [f = f] {
            f(F({2, 3}), 2);
          },
          {name + ":", "dim 2", "out of range", "[2, 3]"});
    t.err("dim", name + " over dim -3 of a 2-D tensor",
          [f = f] {
            f(F({2, 3}), -3);
          },
          {name + ":", "dim -3", "[2, 3]"});
    t.err("dtype", name + " of int64", [f = f] { f(L({2, 3}), 1); }, {name + ":", "[2, 3] int64"});
    t.val("empty", name + " of [2, 0] over dim 1", [f = f] { return is(f(F({2, 0}), 1), {2, 0}); });
    t.val("empty", name + " of [0, 3] over dim 1", [f = f] { return is(f(F({0, 3}), 1), {0, 3}); });
  }
  // A NaN poisons its own row only; +inf gives NaN (inf - inf); -inf is a zero weight.
  t.val("nonfinite", "softmax with a NaN in one row", [] {
    return is(softmax(V({kNaN, 0, 0, 0}, {2, 2}), 1), {2, 2}, {kNaN, kNaN, 0.5, 0.5});
  });
  t.val("nonfinite", "softmax with -inf", [] {
    return is(softmax(V({-kInf, 0}, {2}), 0), {2}, {0, 1});
  });
  t.val("nonfinite", "softmax with +inf", [] {
    return is(softmax(V({kInf, 0}, {2}), 0), {2}, {kNaN, kNaN});
  });
  t.val("nonfinite", "softmax of an all -inf row", [] {
    return is(softmax(V({-kInf, -kInf}, {2}), 0), {2}, {kNaN, kNaN});
  });
  t.val("nonfinite", "log_softmax with -inf", [] {
    return is(log_softmax(V({-kInf, 0}, {2}), 0), {2}, {-kInf, 0});
  });

  t.err("size", "dropout with p = -0.1", [] { dropout(F({4}), -0.1); },
        {"dropout:", "p must be in [0, 1]", "-0.1"});
  t.err("size", "dropout with p = 1.5", [] { dropout(F({4}), 1.5); }, {"dropout:", "1.5"});
  t.err("nonfinite", "dropout with p = NaN", [] { dropout(F({4}), kNaN); },
        {"dropout:", "p must be in [0, 1]"});
  t.err("dtype", "dropout of int64", [] { dropout(L({4}), 0.5); }, {"dropout:", "[4] int64"});
  t.val("empty", "dropout of [0, 5]", [] { return is(dropout(F({0, 5}), 0.5), {0, 5}); });
  return t;
}

// ---- reductions ----------------------------------------------------------------------------

Table reduce_rows() {
  Table t;
  t.err("dim", "sum over dim 2 of a 2-D tensor",
        [] {
          sum(F({2, 3}), {2});
        },
        {"sum:", "dim 2", "out of range", "[2, 3]"});
  t.err("dim", "sum over dim -3 of a 2-D tensor",
        [] {
          sum(F({2, 3}), {-3});
        },
        {"sum:", "dim -3", "[2, 3]"});
  t.err("dim", "sum over a repeated dim",
        [] {
          sum(F({2, 3}), {1, -1});
        },
        {"sum:", "[1, -1]", "[2, 3]"});
  t.err("dim", "mean over dim 1 of a 1-D tensor", [] { mean(F({4}), {1}); },
        {"mean:", "dim 1", "[4]"});
  t.err("dim", "mean over a repeated dim", [] { mean(F({2, 3}), {0, 0}); }, {"mean:", "[0, 0]"});
  t.err("dim", "Tensor::sum over dim 5", [] { F({2}).sum({5}, false); }, {"sum:", "dim 5"});
  t.err("dim", "Tensor::mean over dim -2", [] { F({2}).mean({-2}, false); }, {"mean:", "dim -2"});
  t.err("dtype", "sum of int64", [] { sum(L({3})); }, {"sum:", "[3] int64"});
  t.err("dtype", "mean of int64", [] { mean(L({3}), {0}); }, {"mean:", "[3] int64"});
  t.val("empty", "sum of an empty tensor is 0", [] { return is(sum(F({0, 3})), {}, {0}); });
  t.val("empty", "mean of an empty tensor is NaN", [] { return is(mean(F({0})), {}, {kNaN}); });
  t.val("empty", "sum over an empty dim", [] { return is(sum(F({2, 0}), {1}), {2}, {0, 0}); });
  t.val("empty", "mean over an empty dim is NaN", [] {
    return is(mean(F({2, 0}), {1}), {2}, {kNaN, kNaN});
  });
  t.val("empty", "sum over a non-empty dim of [0, 3]", [] { return is(sum(F({0, 3}), {1}), {0}); });
  t.val("nonfinite", "sum with NaN and inf", [] {
    return is(sum(V({1, kInf, 1, kNaN}, {2, 2}), {1}), {2}, {kInf, kNaN});
  });
  t.val("nonfinite", "sum of +inf and -inf is NaN", [] {
    return is(sum(V({kInf, -kInf}, {2})), {}, {kNaN});
  });

  t.err("dim", "max over dim 2 of a 2-D tensor",
        [] {
          max(F({2, 3}), 2);
        },
        {"max:", "dim 2", "[2, 3]"});
  t.err("dim", "argmax over dim -3 of a 2-D tensor",
        [] {
          argmax(F({2, 3}), -3);
        },
        {"argmax:", "dim -3", "[2, 3]"});
  t.err("dim", "Tensor::argmax over dim 1 of a 1-D tensor", [] { F({3}).argmax(1); },
        {"argmax:", "dim 1", "[3]"});
  t.err("dtype", "max of int64", [] { max(L({3})); }, {"max:", "[3] int64"});
  t.err("dtype", "argmax of int64", [] { argmax(L({3}), 0); }, {"argmax:", "[3] int64"});
  t.err("empty", "max of an empty tensor", [] { max(F({0, 2})); }, {"max:", "empty", "[0, 2]"});
  t.err("empty", "argmax of an empty tensor", [] { argmax(F({0})); }, {"argmax:", "empty", "[0]"});
  t.err("empty", "max over an empty dim",
        [] {
          max(F({2, 0}), 1);
        },
        {"max:", "dim 1", "size 0", "[2, 0]"});
  t.err("empty", "argmax over an empty dim",
        [] {
          argmax(F({0, 3}), 0);
        },
        {"argmax:", "size 0", "[0, 3]"});
  t.val("empty", "max over a non-empty dim of [0, 3]", [] {
    const MaxResult r = max(F({0, 3}), 1);
    ::testing::AssertionResult a = is(r.values, {0});
    return a ? is(r.indices, {0}) : a;
  });
  // NaN counts as the maximum (its first position).
  t.val("nonfinite", "max along a dim with NaN", [] {
    const MaxResult r = max(V({1, kNaN, 3, kNaN}, {4}), 0);
    ::testing::AssertionResult a = is(r.values, {}, {kNaN});
    return a ? is(r.indices, {}, {1}) : a;
  });
  t.val("nonfinite", "max of everything with NaN", [] {
    return is(max(V({1, 5, kNaN}, {3})), {}, {kNaN});
  });
  t.val("nonfinite", "argmax with NaN", [] { return is(argmax(V({1, kNaN, 3}, {3})), {}, {1}); });
  t.val("nonfinite", "argmax with +inf", [] {
    return is(argmax(V({1, kInf, 3}, {3}), 0), {}, {1});
  });
  t.val("nonfinite", "max with -inf only", [] {
    return is(max(V({-kInf, -kInf}, {2})), {}, {-kInf});
  });
  return t;
}

// ---- shape ops and tensor methods -----------------------------------------------------------

Table shape_rows() {
  Table t;
  // view / reshape
  t.err("view", "view of a transposed (non-contiguous) tensor",
        [] {
          F({2, 3}).t().view({6});
        },
        {"view:", "[3, 2] float32", "without copying"});
  t.err("view", "view with the wrong element count",
        [] {
          F({2, 3}).view({4});
        },
        {"view:", "[4]", "[2, 3]", "6 elements"});
  t.err("view", "view with two -1",
        [] {
          F({2, 3}).view({-1, -1});
        },
        {"view:", "only one dim may be -1"});
  t.err("view", "view with a -1 that does not divide",
        [] {
          F({2, 3}).view({-1, 4});
        },
        {"view:", "[-1, 4]", "[2, 3]"});
  t.err("size", "view with a negative size",
        [] {
          F({2, 3}).view({-2, -3});
        },
        {"view:", "invalid size -2"});
  t.err("view", "reshape with the wrong element count",
        [] {
          F({2, 3}).reshape({5});
        },
        {"reshape:", "[5]", "[2, 3]"});
  t.err("view", "free reshape with the wrong element count", [] { reshape(F({4}), {3}); },
        {"reshape:", "[3]", "[4]"});
  t.err("size", "reshape with a negative size",
        [] {
          F({2, 3}).reshape({-3, -2});
        },
        {"reshape:", "invalid size -3"});
  t.err("view", "reshape of an empty tensor with -1",
        [] {
          F({0, 3}).reshape({-1, 0});
        },
        {"reshape:", "[-1, 0]", "[0, 3]"});
  t.val("empty", "reshape of an empty tensor", [] {
    return is(F({0, 3}).reshape({3, 0}), {3, 0});
  });
  t.val("view", "reshape of a non-contiguous tensor copies", [] {
    return is(V({1, 2, 3, 4, 5, 6}, {2, 3}).t().reshape({6}), {6}, {1, 4, 2, 5, 3, 6});
  });
  t.err("view", "view beyond the dims limit", [] { F({1}).view(Shape(40, 1)); },
        {"view:", "at most"});
  // flatten / transpose / permute / squeeze / unsqueeze
  t.err("dim", "flatten with start_dim out of range",
        [] {
          F({2, 3}).flatten(2);
        },
        {"flatten:", "dim 2", "out of range"});
  t.err("dim", "flatten with start_dim after end_dim",
        [] {
          flatten(F({2, 3, 4}), 2, 1);
        },
        {"flatten:", "start_dim 2", "end_dim 1", "[2, 3, 4]"});
  t.err("dim", "transpose of dim 2 of a 2-D tensor",
        [] {
          transpose(F({2, 3}), 0, 2);
        },
        {"transpose:", "dim 2", "out of range"});
  t.err("dim", "Tensor::transpose of dim -3",
        [] {
          F({2, 3}).transpose(-3, 0);
        },
        {"transpose:", "dim -3"});
  t.err("dim", "t of a 3-D tensor", [] { F({2, 3, 4}).t(); }, {"t:", "[2, 3, 4] float32"});
  t.err("dim", "permute with too few dims",
        [] {
          permute(F({2, 3, 4}), {0, 1});
        },
        {"permute:", "2 dims given", "[2, 3, 4]"});
  t.err("dim", "permute with a repeated dim",
        [] {
          F({2, 3}).permute({1, 1});
        },
        {"permute:", "repeats", "[1, 1]"});
  t.err("dim", "permute with an out-of-range dim",
        [] {
          F({2, 3}).permute({0, 2});
        },
        {"permute:", "dim 2", "out of range"});
  t.err("dim", "squeeze of dim 3 of a 2-D tensor",
        [] {
          squeeze(F({2, 1}), 3);
        },
        {"squeeze:", "dim 3", "out of range"});
  t.err("dim", "unsqueeze at dim 4 of a 2-D tensor",
        [] {
          unsqueeze(F({2, 3}), 4);
        },
        {"unsqueeze:", "dim 4", "out of range"});
  t.err("dim", "unsqueeze at dim -4 of a 2-D tensor",
        [] {
          F({2, 3}).unsqueeze(-4);
        },
        {"unsqueeze:", "dim -4"});
  t.val("empty", "squeeze of [0, 1]", [] { return is(F({0, 1}).squeeze(), {0}); });
  // narrow / slice / select / indexing
  t.err("index", "narrow past the end", [] { narrow(F({5}), 0, 3, 3); },
        {"narrow:", "start 3", "length 3", "size 5", "[5] float32"});
  t.err("size", "narrow with a negative length", [] { F({5}).narrow(0, 1, -1); },
        {"narrow:", "length -1", "size 5"});
  t.err("index", "narrow with a start before the beginning", [] { F({5}).narrow(0, -6, 1); },
        {"narrow:", "start -6", "size 5"});
  t.err("dim", "narrow of dim 1 of a 1-D tensor", [] { F({5}).narrow(1, 0, 1); },
        {"narrow:", "dim 1", "out of range"});
  t.err("rank", "narrow of a 0-D tensor", [] { F({}).narrow(0, 0, 1); }, {"narrow:", "0-D"});
  t.err("size", "slice with step 0", [] { F({5}).slice(0, 0, 5, 0); },
        {"slice:", "step must be positive", "0"});
  t.err("size", "slice with a negative step", [] { F({5}).slice(0, 0, 5, -1); },
        {"slice:", "step must be positive", "-1"});
  t.err("dim", "slice of dim 2 of a 2-D tensor",
        [] {
          F({2, 3}).slice(2, 0, 1);
        },
        {"slice:", "dim 2", "out of range"});
  t.val("empty", "slice past the end is empty, as in Python",
        [] { return is(F({5}).slice(0, 7, 9), {0}); });
  t.err("index", "select index 3 of a dim of size 3",
        [] {
          F({3, 2}).select(0, 3);
        },
        {"select:", "index 3", "size 3", "[3, 2] float32"});
  t.err("index", "select index -4 of a dim of size 3",
        [] {
          F({2, 3}).select(1, -4);
        },
        {"select:", "index -4", "size 3"});
  t.err("index", "operator[] past the end", [] { F({2, 3})[2]; }, {"select:", "index 2", "size 2"});
  t.err("index", "select of an empty dim", [] { F({0, 3})[0]; }, {"select:", "index 0", "size 0"});
  t.err("rank", "select of a 0-D tensor", [] { F({}).select(0, 0); }, {"select:", "0-D"});
  t.err("dim", "select of dim 2 of a 2-D tensor",
        [] {
          F({2, 3}).select(2, 0);
        },
        {"select:", "dim 2", "out of range"});
  // expand
  t.err("shape", "expand a non-1 dim",
        [] {
          F({2, 3}).expand({4, 3});
        },
        {"expand:", "[2, 3] float32", "[4, 3]", "size 2"});
  t.err("rank", "expand to fewer dims",
        [] {
          F({2, 3}).expand({3});
        },
        {"expand:", "[2, 3] float32", "fewer dims", "[3]"});
  t.err("size", "expand a new leading dim to -1",
        [] {
          F({3}).expand({-1, 3});
        },
        {"expand:", "-1", "[-1, 3]"});
  t.err("size", "expand to a negative size", [] { F({1}).expand({-2}); }, {"expand:", "[-2]"});
  // size / stride
  t.err("dim", "size of dim 2 of a 2-D tensor",
        [] {
          (void)F({2, 3}).size(2);
        },
        {"size:", "dim 2", "out of range"});
  t.err("dim", "size of a 0-D tensor", [] { (void)F({}).size(0); }, {"size:", "0-D"});
  t.err("dim", "stride of dim -3 of a 2-D tensor",
        [] {
          (void)F({2, 3}).stride(-3);
        },
        {"stride:", "dim -3"});
  // cat / stack
  t.err("shape", "cat of mismatched shapes",
        [] {
          cat({F({2, 3}), F({2, 4})}, 0);
        },
        {"cat:", "tensor 1", "[2, 4]", "[2, 3]", "dim 0"});
  t.err("rank", "cat of different ranks",
        [] {
          cat({F({2, 3}), F({3})}, 0);
        },
        {"cat:", "tensor 1", "[3]", "[2, 3]"});
  t.err("dtype", "cat of float32 and float64",
        [] {
          cat({F({2}), D({2})});
        },
        {"cat:", "[2] float64", "[2] float32", "different dtypes"});
  t.err("dim", "cat along dim 2 of 2-D tensors",
        [] {
          cat({F({2, 3}), F({2, 3})}, 2);
        },
        {"cat:", "dim 2", "out of range"});
  t.err("rank", "cat of 0-D tensors", [] { cat({F({}), F({})}); }, {"cat:", "0-D"});
  t.err("empty", "cat of no tensors", [] { cat({}); }, {"cat:", "at least one tensor"});
  t.err("undefined", "cat with an undefined tensor",
        [] {
          cat({F({2}), Tensor()});
        },
        {"cat:", "undefined"});
  t.val("empty", "cat with an empty part", [] {
    return is(cat({V({1, 2}, {1, 2}), F({0, 2})}, 0), {1, 2}, {1, 2});
  });
  t.err("shape", "stack of different shapes",
        [] {
          stack({F({2}), F({3})});
        },
        {"stack:", "tensor 1", "[3]", "[2]"});
  t.err("dim", "stack along dim 3 of 1-D tensors",
        [] {
          stack({F({2}), F({2})}, 3);
        },
        {"stack:", "dim 3", "out of range"});
  t.err("empty", "stack of no tensors", [] { stack({}); }, {"stack:", "at least one tensor"});
  t.err("dtype", "stack of float32 and float64",
        [] {
          stack({F({2}), D({2})});
        },
        {"float64", "float32", "different dtypes"});
  // data access, copies, autograd entry points
  t.err("shape", "item of a 2-element tensor", [] { (void)F({2}).item(); },
        {"item:", "one element", "[2]"});
  t.err("empty", "item of an empty tensor", [] { (void)F({0}).item(); }, {"item:", "[0]"});
  t.err("dtype", "data<float> of a float64 tensor", [] { (void)D({2}).data<float>(); },
        {"data:", "float64"});
  t.err("dtype", "data<int64_t> of a float32 tensor", [] { (void)F({2}).data<int64_t>(); },
        {"data:", "float32"});
  t.err("shape", "copy_ of a non-broadcastable source",
        [] {
          F({2, 3}).copy_(F({2, 2}));
        },
        {"copy_:", "[2, 2]", "[2, 3]"});
  t.err("shape", "copy_ of a larger source",
        [] {
          F({3}).copy_(F({2, 3}));
        },
        {"copy_:", "[2, 3]", "[3]"});
  t.err("undefined", "copy_ from an undefined tensor", [] { F({3}).copy_(Tensor()); },
        {"copy_:", "undefined"});
  t.err("options", "fill_ of a leaf that requires grad",
        [] { F({2}).requires_grad_(true).fill_(1.0); }, {"fill_:", "[2] float32", "requires grad"});
  t.err("dtype", "requires_grad_ on int64", [] { L({2}).requires_grad_(true); },
        {"requires_grad_:", "int64", "[2]"});
  t.err("shape", "set_grad with the wrong shape",
        [] {
          F({2, 3}).set_grad(F({3, 2}));
        },
        {"set_grad:", "[3, 2] float32", "[2, 3] float32"});
  t.err("dtype", "set_grad with the wrong dtype", [] { F({2}).set_grad(D({2})); },
        {"set_grad:", "[2] float64", "[2] float32"});
  t.err("shape", "backward of a non-scalar without a gradient",
        [] {
          Tensor x = F({3}).requires_grad_(true);
          mul(x, 2.0).backward();
        },
        {"backward", "[3]"});
  t.err("shape", "backward with a gradient of the wrong shape",
        [] {
          Tensor x = F({3}).requires_grad_(true);
          mul(x, 2.0).backward(F({4}));
        },
        {"backward", "[4]", "[3]"});
  t.err("options", "backward of a tensor that does not require grad", [] { F({}).backward(); },
        {"backward"});
  // factories
  t.err("size", "zeros with a negative size", [] { zeros({2, -1}); }, {"non-negative", "[2, -1]"});
  t.err("size", "empty with a negative size", [] { empty({-3}); }, {"empty:", "[-3]"});
  t.err("size", "full with a negative size", [] { full({-1, 2}, 1.0); }, {"[-1, 2]"});
  t.err("size", "rand with a negative size", [] { rand({-1}); }, {"[-1]"});
  t.err("dtype", "rand of int64", [] { rand({2}, kInt64); }, {"rand:", "int64"});
  t.err("dtype", "randn of int64", [] { randn({2}, kInt64); }, {"randn:", "int64"});
  t.err("size", "randint with low >= high", [] { randint(3, 3, {2}); },
        {"randint:", "low 3", "high 3"});
  t.err("size", "arange with step 0", [] { arange(0.0, 5.0, 0.0); }, {"arange:", "step"});
  t.err("size", "arange with a step of the wrong sign", [] { arange(0.0, 5.0, -1.0); },
        {"arange:", "step -1"});
  t.err("nonfinite", "arange to NaN", [] { arange(0.0, kNaN); }, {"arange:"});
  t.err("shape", "tensor with too few values",
        [] {
          tensor({1, 2, 3}, {2, 2});
        },
        {"tensor:", "3", "[2, 2]"});
  t.err("dtype", "int64 tensor of a fraction", [] { tensor({1.5}, {1}, kInt64); },
        {"tensor:", "1.5"});
  t.err("nonfinite", "int64 tensor of NaN", [] { tensor({kNaN}, {1}, kInt64); }, {"tensor:"});
  t.err("shape", "tensor_from with too many values",
        [] {
          tensor_from(std::vector<int64_t>{1, 2, 3}, {2});
        },
        {"tensor_from:", "[2]"});
  t.err("size", "from_blob of null data", [] { from_blob(nullptr, {2}, kFloat32); },
        {"from_blob:", "null", "[2]"});
  t.err("size", "zeros beyond the dims limit", [] { zeros(Shape(40, 1)); }, {"at most"});
  return t;
}

// ---- matmul, linear, conv, pool ------------------------------------------------------------

Table linalg_conv_pool_rows() {
  Table t;
  t.err("shape", "matmul [2, 3] @ [4, 5]",
        [] {
          matmul(F({2, 3}), F({4, 5}));
        },
        {"matmul:", "[2, 3]", "[4, 5]"});
  t.err("shape", "matmul of vectors of different lengths", [] { matmul(F({3}), F({4})); },
        {"matmul:", "[3]", "[4]", "equal lengths"});
  t.err("shape", "matmul [3] @ [4, 2]", [] { matmul(F({3}), F({4, 2})); }, {"matmul:", "[4, 2]"});
  t.err("shape", "matmul [2, 3] @ [4]", [] { matmul(F({2, 3}), F({4})); }, {"matmul:", "[2, 3]"});
  t.err("shape", "matmul with batch dims that do not broadcast",
        [] {
          matmul(F({2, 2, 3}), F({3, 3, 4}));
        },
        {"matmul:", "[2, 2, 3]", "[3, 3, 4]"});
  t.err("rank", "matmul of a 0-D operand", [] { matmul(F({}), F({3})); },
        {"matmul:", "at least 1 dim", "[] float32"});
  t.err("dtype", "matmul float32 @ float64",
        [] {
          matmul(F({2, 2}), D({2, 2}));
        },
        {"matmul:", "float64", "float32", "different dtypes"});
  t.err("dtype", "matmul of int64",
        [] {
          matmul(L({2, 2}), L({2, 2}));
        },
        {"matmul:", "[2, 2] int64"});
  t.val("empty", "matmul [0, 3] @ [3, 4]", [] { return is(matmul(F({0, 3}), F({3, 4})), {0, 4}); });
  t.val("empty", "matmul [2, 0] @ [0, 4] is zeros", [] {
    return is(matmul(F({2, 0}), F({0, 4})), {2, 4}, std::vector<double>(8, 0.0));
  });
  t.val("empty", "matmul [0] @ [0] is 0", [] { return is(matmul(F({0}), F({0})), {}, {0}); });
  t.val("nonfinite", "matmul with NaN and inf", [] {
    return is(matmul(V({kNaN, 1, kInf, 1}, {2, 2}), V({1, 0, 0, 1}, {2, 2})), {2, 2},
              {kNaN, kNaN, kInf, kNaN});
  });

  t.err("shape", "linear with the wrong in_features",
        [] {
          linear(F({2, 5}), F({3, 4}));
        },
        {"linear:", "5 features", "[2, 5]", "[3, 4]"});
  t.err("rank", "linear with a 1-D weight",
        [] {
          linear(F({2, 4}), F({4}));
        },
        {"linear:", "weight", "[4] float32"});
  t.err("rank", "linear of a 0-D input",
        [] {
          linear(F({}), F({3, 1}));
        },
        {"linear:", "at least 1 dim", "[] float32"});
  t.err("shape", "linear with the wrong bias",
        [] {
          linear(F({2, 4}), F({3, 4}), F({4}));
        },
        {"linear:", "bias", "[3]", "[4] float32"});
  t.err("dtype", "linear float64 input, float32 weight",
        [] {
          linear(D({2, 4}), F({3, 4}));
        },
        {"linear:", "float32", "float64"});
  t.err("dtype", "linear with a float64 bias",
        [] {
          linear(F({2, 4}), F({3, 4}), D({3}));
        },
        {"linear:", "bias", "float64"});
  t.err("dtype", "linear of int64",
        [] {
          linear(L({2, 4}), F({3, 4}));
        },
        {"linear:", "[2, 4] int64"});
  t.val("empty", "linear of an empty batch", [] {
    return is(linear(F({0, 4}), F({3, 4}), F({3})), {0, 3});
  });
  t.val("empty", "linear with in_features 0 gives the bias", [] {
    return is(linear(F({2, 0}), F({3, 0}), V({1, 2, 3}, {3})), {2, 3}, {1, 2, 3, 1, 2, 3});
  });

  t.err("rank", "conv2d of a 2-D input",
        [] {
          conv2d(F({5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "[N, C, H, W]", "[5, 5] float32"});
  t.err("rank", "conv2d of a 5-D input",
        [] {
          conv2d(F({1, 1, 1, 5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "[1, 1, 1, 5, 5] float32"});
  t.err("rank", "conv2d with a 3-D weight",
        [] {
          conv2d(F({1, 1, 5, 5}), F({2, 3, 3}));
        },
        {"conv2d:", "weight", "[2, 3, 3] float32"});
  t.err("shape", "conv2d with the wrong channel count",
        [] {
          conv2d(F({8, 3, 32, 32}), F({16, 4, 3, 3}));
        },
        {"conv2d:", "3 channels", "expects 4", "[8, 3, 32, 32]", "[16, 4, 3, 3]"});
  t.err("shape", "conv2d with a kernel larger than the padded input",
        [] {
          conv2d(F({1, 1, 4, 4}), F({1, 1, 7, 7}), Tensor(), {.padding = 1});
        },
        {"conv2d:", "7x7", "[1, 1, 4, 4]", "padding (1, 1)"});
  t.err("shape", "conv2d with a dilated kernel that does not fit",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.dilation = 3});
        },
        {"conv2d:", "3x3", "dilation 3", "[1, 1, 5, 5]"});
  t.err("size", "conv2d with stride 0",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.stride = 0});
        },
        {"conv2d:", "stride must be at least 1", "(0, 0)"});
  t.err("size", "conv2d with a negative stride",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.stride = Int2(1, -2)});
        },
        {"conv2d:", "stride", "(1, -2)"});
  t.err("size", "conv2d with negative padding",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.padding = -1});
        },
        {"conv2d:", "padding must be non-negative", "(-1, -1)"});
  t.err("size", "conv2d with dilation 0",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.dilation = 0});
        },
        {"conv2d:", "dilation must be at least 1"});
  t.err("size", "conv2d with groups 0",
        [] {
          conv2d(F({1, 2, 5, 5}), F({2, 1, 3, 3}), Tensor(), {.groups = 0});
        },
        {"conv2d:", "groups must be at least 1", "0"});
  t.err("shape", "conv2d with groups that do not divide the channels",
        [] {
          conv2d(F({1, 3, 5, 5}), F({4, 1, 3, 3}), Tensor(), {.groups = 2});
        },
        {"conv2d:", "groups 2", "[1, 3, 5, 5]", "[4, 1, 3, 3]"});
  t.err("size", "conv2d with a zero-size kernel",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 0, 3}));
        },
        {"conv2d:", "non-zero sizes", "[1, 1, 0, 3] float32"});
  t.err("size", "conv2d with no output channels",
        [] {
          conv2d(F({1, 1, 5, 5}), F({0, 1, 3, 3}));
        },
        {"conv2d:", "[0, 1, 3, 3] float32"});
  t.err("shape", "conv2d with a bias of the wrong size",
        [] {
          conv2d(F({1, 1, 5, 5}), F({2, 1, 3, 3}), F({3}));
        },
        {"conv2d:", "bias must be [2]", "[3] float32"});
  t.err("dtype", "conv2d float64 input, float32 weight",
        [] {
          conv2d(D({1, 1, 5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "float32", "float64", "different dtypes"});
  t.err("dtype", "conv2d of int64",
        [] {
          conv2d(L({1, 1, 5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "[1, 1, 5, 5] int64"});
  t.err("dtype", "conv2d with a float64 bias",
        [] {
          conv2d(F({1, 1, 5, 5}), F({2, 1, 3, 3}), D({2}));
        },
        {"conv2d:", "bias", "float64"});
  t.val("empty", "conv2d of an empty batch", [] {
    return is(conv2d(F({0, 1, 5, 5}), F({2, 1, 3, 3}), F({2})), {0, 2, 3, 3});
  });
  t.err("empty", "conv2d of an empty image",
        [] {
          conv2d(F({1, 1, 0, 5}), F({2, 1, 1, 1}));
        },
        {"conv2d:", "[1, 1, 0, 5]"});
  t.val("empty", "conv2d of one CHW image", [] {
    return is(conv2d(F({1, 5, 5}), F({2, 1, 3, 3})), {2, 3, 3});
  });
  t.val("nonfinite", "conv2d propagates NaN to the windows that read it", [] {
    Tensor x = F({1, 1, 3, 3});
    x.narrow(2, 0, 1).narrow(3, 0, 1).fill_(kNaN);
    return is(conv2d(x, full({1, 1, 2, 2}, 1.0)), {1, 1, 2, 2}, {kNaN, 0, 0, 0});
  });

  const Pool2dOptions k2{.kernel_size = 2};
  using PoolFn = std::function<Tensor(const Tensor&, const Pool2dOptions&)>;
  const std::vector<std::pair<std::string, PoolFn>> pools = {
      {"max_pool2d", [](const Tensor& x, const Pool2dOptions& o) { return max_pool2d(x, o); }},
      {"max_pool2d_with_indices",
       [](const Tensor& x, const Pool2dOptions& o) {
         return max_pool2d_with_indices(x, o).values;
       }},
      {"avg_pool2d", [](const Tensor& x, const Pool2dOptions& o) { return avg_pool2d(x, o); }},
  };
  for (const auto& [name, f] : pools) {
    // max_pool2d_with_indices reports as max_pool2d.
    const std::string op = name == "avg_pool2d" ? "avg_pool2d:" : "max_pool2d";
    t.err("rank", name + " of a 2-D input",
          [f = f, k2] {
            f(F({4, 4}), k2);
          },
          {op, "[N, C, H, W]", "[4, 4] float32"});
    t.err("size", name + " with kernel_size 0",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 0});
          },
          {op, "kernel_size must be at least 1", "(0, 0)"});
    t.err("size", name + " with a negative kernel",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = Int2(2, -1)});
          },
          {op, "(2, -1)"});
    t.err("size", name + " with a negative stride",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 2, .stride = -1});
          },
          {op, "stride must be at least 1", "(-1, -1)"});
    t.err("size", name + " with negative padding",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 2, .padding = -1});
          },
          {op, "padding (-1, -1)", "non-negative"});
    t.err("size", name + " with padding over half the kernel",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 2, .padding = 2});
          },
          {op, "padding (2, 2)", "half the kernel (2, 2)"});
    t.err("shape", name + " with a window larger than the input",
          [f = f] {
            f(F({1, 1, 3, 3}), {.kernel_size = 5});
          },
          {op, "5x5", "[1, 1, 3, 3]"});
    t.err("dtype", name + " of int64",
          [f = f, k2] {
            f(L({1, 1, 4, 4}), k2);
          },
          {op, "[1, 1, 4, 4] int64"});
    t.val("empty", name + " of an empty batch", [f = f, k2] {
      return is(f(F({0, 1, 4, 4}), k2), {0, 1, 2, 2});
    });
    t.val("empty", name + " of zero channels", [f = f, k2] {
      return is(f(F({2, 0, 4, 4}), k2), {2, 0, 2, 2});
    });
    t.err("empty", name + " of an empty plane",
          [f = f, k2] {
            f(F({1, 1, 0, 4}), k2);
          },
          {op, "[1, 1, 0, 4]"});
  }
  t.val("nonfinite", "max_pool2d: NaN wins its window", [] {
    Tensor x =
        V({1, kNaN, 3, 4, 5, 6, 7, 8, -kInf, -kInf, -kInf, -kInf, 1, 2, 3, kInf}, {1, 1, 4, 4});
    return is(max_pool2d(x, {.kernel_size = 2}), {1, 1, 2, 2}, {kNaN, 8, 2, kInf});
  });
  t.val("nonfinite", "max_pool2d_with_indices points at the NaN", [] {
    Tensor x = V({1, kNaN, 3, 4}, {1, 1, 2, 2});
    return is(max_pool2d_with_indices(x, {.kernel_size = 2}).indices, {1, 1, 1, 1}, {1});
  });
  t.val("nonfinite", "avg_pool2d with inf and NaN", [] {
    Tensor x = V({1, kInf, 3, 4, 1, 1, kNaN, 1}, {1, 1, 2, 4});
    return is(avg_pool2d(x, {.kernel_size = 2}), {1, 1, 1, 2}, {kInf, kNaN});
  });
  return t;
}

// ---- norm, embedding, lstm_cell -----------------------------------------------------------

Table norm_embedding_rows() {
  Table t;
  const Tensor none;
  t.err("rank", "batch_norm of a 1-D input", [none] { batch_norm(F({4}), none, none); },
        {"batch_norm:", "[N, C]", "[4] float32"});
  t.err("shape", "batch_norm with running_mean of the wrong size",
        [] {
          batch_norm(R({4, 3}), F({2}), F({2}));
        },
        {"batch_norm:", "running_mean must be [3]", "[4, 3]", "[2] float32"});
  t.err("shape", "batch_norm with a weight of the wrong size",
        [none] {
          batch_norm(R({4, 3, 2}), none, none, F({4}));
        },
        {"batch_norm:", "weight must be [3]", "[4, 3, 2]"});
  t.err("shape", "batch_norm with a bias of the wrong size",
        [none] {
          batch_norm(R({4, 3}), none, none, F({3}), F({3, 1}));
        },
        {"batch_norm:", "bias must be [3]", "[3, 1] float32"});
  t.err("options", "batch_norm with running_mean but no running_var",
        [none] {
          batch_norm(R({4, 3}), F({3}), none);
        },
        {"batch_norm:", "running_mean and running_var"});
  t.err("size", "batch_norm with eps 0",
        [none] {
          batch_norm(R({4, 3}), none, none, none, none, {.eps = 0.0});
        },
        {"batch_norm:", "eps must be positive", "0"});
  t.err("size", "batch_norm with momentum 1.5",
        [none] {
          batch_norm(R({4, 3}), none, none, none, none, {.momentum = 1.5});
        },
        {"batch_norm:", "momentum", "1.5"});
  t.err("dtype", "batch_norm float64 input, float32 running stats",
        [] {
          batch_norm(D({4, 3}), F({3}), F({3}));
        },
        {"batch_norm:", "running_mean", "float32", "float64"});
  t.err("dtype", "batch_norm of int64",
        [none] {
          batch_norm(L({4, 3}), none, none);
        },
        {"batch_norm:", "[4, 3] int64"});
  t.err("empty", "batch_norm training on one value per channel",
        [none] {
          batch_norm(F({1, 3}), none, none);
        },
        {"batch_norm:", "more than 1 value per channel", "[1, 3]"});
  t.err("empty", "batch_norm training on an empty batch",
        [none] {
          batch_norm(F({0, 3}), none, none);
        },
        {"batch_norm:", "more than 1 value per channel", "[0, 3]"});
  t.val("empty", "batch_norm eval on an empty batch", [] {
    return is(
        batch_norm(F({0, 3}), F({3}), full({3}, 1.0), Tensor(), Tensor(), {.training = false}),
        {0, 3});
  });
  t.val("nonfinite", "batch_norm: a NaN poisons its channel only", [] {
    Tensor x = V({kNaN, 1, 0, 3}, {2, 2});
    return is(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), {.eps = 1e-12}), {2, 2},
              {kNaN, -1, kNaN, 1}, 1e-5);
  });

  t.err("rank", "local_response_norm of a 2-D input",
        [] {
          local_response_norm(F({2, 3}), 2);
        },
        {"local_response_norm:", "at least 3 dims", "[2, 3] float32"});
  t.err("size", "local_response_norm with size 0",
        [] {
          local_response_norm(F({1, 3, 2}), 0);
        },
        {"local_response_norm:", "size must be at least 1", "0"});
  t.err("size", "local_response_norm with k 0",
        [] {
          local_response_norm(F({1, 3, 2}), 2, 1e-4, 0.75, 0.0);
        },
        {"local_response_norm:", "k > 0"});
  t.err("size", "local_response_norm with a negative alpha",
        [] {
          local_response_norm(F({1, 3, 2}), 2, -1.0);
        },
        {"local_response_norm:", "alpha >= 0"});
  t.err("dtype", "local_response_norm of int64",
        [] {
          local_response_norm(L({1, 3, 2}), 2);
        },
        {"local_response_norm:", "[1, 3, 2] int64"});
  t.val("empty", "local_response_norm of an empty batch", [] {
    return is(local_response_norm(F({0, 3, 2}), 2), {0, 3, 2});
  });

  t.err("shape", "lstm_cell with gates of the wrong width",
        [] {
          lstm_cell(F({2, 12}), F({2, 4}));
        },
        {"lstm_cell:", "[2, 16]", "[2, 4]", "[2, 12] float32"});
  t.err("shape", "lstm_cell with a batch mismatch",
        [] {
          lstm_cell(F({3, 16}), F({2, 4}));
        },
        {"lstm_cell:", "[2, 16]", "[3, 16] float32"});
  t.err("rank", "lstm_cell with a 1-D c_prev",
        [] {
          lstm_cell(F({1, 16}), F({4}));
        },
        {"lstm_cell:", "c_prev [N, H]", "[4] float32"});
  t.err("dtype", "lstm_cell float32 gates, float64 c_prev",
        [] {
          lstm_cell(F({2, 16}), D({2, 4}));
        },
        {"lstm_cell:", "float64", "float32", "different dtypes"});
  t.err("dtype", "lstm_cell of int64",
        [] {
          lstm_cell(L({2, 16}), L({2, 4}));
        },
        {"lstm_cell:", "[2, 16] int64"});
  t.val("empty", "lstm_cell of an empty batch", [] {
    const LstmState s = lstm_cell(F({0, 16}), F({0, 4}));
    ::testing::AssertionResult a = is(s.h, {0, 4});
    return a ? is(s.c, {0, 4}) : a;
  });

  t.err("index", "embedding index equal to num_embeddings",
        [] {
          embedding(I({0, 5}), F({5, 3}));
        },
        {"embedding:", "index 5", "position 1", "5 embeddings", "[5, 3]"});
  t.err("index", "embedding of a negative index",
        [] {
          embedding(I({-1}), F({5, 3}));
        },
        {"embedding:", "index -1", "[5, 3]"});
  t.err("index", "embedding of a huge index",
        [] {
          embedding(I({int64_t{1} << 40}), F({5, 3}));
        },
        {"embedding:", "index 1099511627776", "5 embeddings"});
  t.err("dtype", "embedding of float indices",
        [] {
          embedding(F({2}), F({5, 3}));
        },
        {"embedding:", "indices", "int64", "[2] float32"});
  t.err("dtype", "embedding with an int64 weight",
        [] {
          embedding(I({1}), L({5, 3}));
        },
        {"embedding:", "weight", "[5, 3] int64"});
  t.err("rank", "embedding with a 1-D weight", [] { embedding(I({1}), F({5})); },
        {"embedding:", "weight must be [num_embeddings, dim]", "[5] float32"});
  t.err("index", "embedding with padding_idx out of range",
        [] {
          embedding(I({1}), F({5, 3}), 5);
        },
        {"embedding:", "padding_idx 5", "5 embeddings"});
  t.err("index", "embedding with padding_idx below -V",
        [] {
          embedding(I({1}), F({5, 3}), -6);
        },
        {"embedding:", "padding_idx -6"});
  t.val("empty", "embedding of no indices", [] {
    return is(embedding(L({0}), F({5, 3})), {0, 3});
  });
  t.val("empty", "embedding of [2, 0] indices", [] {
    return is(embedding(L({2, 0}), F({5, 3})), {2, 0, 3});
  });
  t.val("empty", "embedding from an empty table is fine without indices", [] {
    return is(embedding(L({0}), F({0, 3})), {0, 3});
  });
  t.err("index", "embedding into an empty table",
        [] {
          embedding(I({0}), F({0, 3}));
        },
        {"embedding:", "index 0", "0 embeddings"});
  return t;
}

// ---- losses --------------------------------------------------------------------------------

Table loss_rows() {
  Table t;
  t.err("index", "cross_entropy with target == C",
        [] {
          cross_entropy(R({2, 3}), I({0, 3}));
        },
        {"cross_entropy:", "target 3", "position 1", "3 classes", "[2]"});
  t.err("index", "cross_entropy with a negative target",
        [] {
          cross_entropy(R({2, 3}), I({-1, 0}));
        },
        {"cross_entropy:", "target -1", "3 classes"});
  t.err("index", "cross_entropy with -100 under another ignore_index",
        [] {
          cross_entropy(R({2, 3}), I({-100, 0}), {.ignore_index = 7});
        },
        {"cross_entropy:", "target -100"});
  t.err("index", "cross_entropy spatial target out of range",
        [] {
          cross_entropy(R({1, 3, 2}), tensor_from(std::vector<int64_t>{0, 4}, {1, 2}));
        },
        {"cross_entropy:", "target 4", "[1, 2]"});
  t.err("dtype", "cross_entropy with float targets",
        [] {
          cross_entropy(R({2, 3}), F({2}));
        },
        {"cross_entropy:", "target", "int64", "[2] float32"});
  t.err("dtype", "cross_entropy of int64 logits",
        [] {
          cross_entropy(L({2, 3}), I({0, 1}));
        },
        {"cross_entropy:", "[2, 3] int64"});
  t.err("shape", "cross_entropy with a target of the wrong length",
        [] {
          cross_entropy(R({2, 3}), I({0, 1, 2}));
        },
        {"cross_entropy:", "target has shape [3]", "[2, 3]", "[2]"});
  t.err("shape", "cross_entropy of [C] with a 1-D target", [] { cross_entropy(R({3}), I({0})); },
        {"cross_entropy:", "[3] float32", "0-D", "[1] int64"});
  t.err("rank", "cross_entropy of 0-D logits", [] { cross_entropy(F({}), L({})); },
        {"cross_entropy:", "[] float32"});
  t.err("shape", "cross_entropy with a class weight of the wrong size",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.weight = F({4})});
        },
        {"cross_entropy:", "weight must be [3]", "[4] float32"});
  t.err("dtype", "cross_entropy with a float64 class weight",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.weight = D({3})});
        },
        {"cross_entropy:", "weight", "float64", "float32"});
  t.err("size", "cross_entropy with label_smoothing 1.5",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.label_smoothing = 1.5});
        },
        {"cross_entropy:", "label_smoothing", "1.5"});
  t.err("nonfinite", "cross_entropy with label_smoothing NaN",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.label_smoothing = kNaN});
        },
        {"cross_entropy:", "label_smoothing"});
  t.err("empty", "cross_entropy with no classes",
        [] {
          cross_entropy(F({2, 0}), I({0, 0}));
        },
        {"cross_entropy:", "[2, 0] float32", "no classes"});
  t.val("empty", "cross_entropy of an empty batch (mean) is NaN", [] {
    return is(cross_entropy(F({0, 3}), L({0})), {}, {kNaN});
  });
  t.val("empty", "cross_entropy of an empty batch (sum) is 0", [] {
    return is(cross_entropy(F({0, 3}), L({0}), {.reduction = Reduction::Sum}), {}, {0});
  });
  t.val("empty", "cross_entropy of an empty batch (none) is empty", [] {
    return is(cross_entropy(F({0, 3}), L({0}), {.reduction = Reduction::None}), {0});
  });
  t.val("index", "cross_entropy with every target ignored is NaN", [] {
    return is(cross_entropy(R({2, 3}), I({-100, -100})), {}, {kNaN});
  });
  t.val("index", "cross_entropy ignores ignore_index", [] {
    return is(cross_entropy(F({2, 3}), I({1, -100})), {}, {std::log(3.0)});
  });
  t.val("nonfinite", "cross_entropy with -inf on another class is finite", [] {
    return is(cross_entropy(V({0, -kInf}, {1, 2}), I({0})), {}, {0});
  });
  t.val("nonfinite", "cross_entropy with -inf on the target class is inf", [] {
    return is(cross_entropy(V({-kInf, 0}, {1, 2}), I({0})), {}, {kInf});
  });
  t.val("nonfinite", "cross_entropy with a NaN logit is NaN", [] {
    return is(cross_entropy(V({kNaN, 0, 1, 2}, {2, 2}), I({1, 0}), {.reduction = Reduction::None}),
              {2}, {kNaN, 1 + std::log1p(std::exp(-1.0))}, 1e-5);
  });
  t.val("nonfinite", "cross_entropy with +inf logits is NaN", [] {
    return is(cross_entropy(V({kInf, 0}, {1, 2}), I({0})), {}, {kNaN});
  });
  t.val("nonfinite", "cross_entropy of large logits stays finite", [] {
    return is(cross_entropy(V({1e4, -1e4}, {1, 2}), I({1})), {}, {2e4}, 1e-2);
  });

  t.err("index", "nll_loss with target == C",
        [] {
          nll_loss(R({2, 3}), I({3, 0}));
        },
        {"nll_loss:", "target 3", "3 classes"});
  t.err("index", "nll_loss with a negative target",
        [] {
          nll_loss(R({2, 3}), I({0, -2}));
        },
        {"nll_loss:", "target -2", "position 1"});
  t.err("dtype", "nll_loss with float targets",
        [] {
          nll_loss(R({2, 3}), F({2}));
        },
        {"nll_loss:", "target", "[2] float32"});
  t.err("shape", "nll_loss with the wrong target shape",
        [] {
          nll_loss(R({2, 3, 4}), L({2, 3}));
        },
        {"nll_loss:", "target has shape [2, 3]", "[2, 3, 4]", "[2, 4]"});
  t.err("shape", "nll_loss with a class weight of the wrong size",
        [] {
          nll_loss(R({2, 3}), I({0, 1}), {.weight = F({2})});
        },
        {"nll_loss:", "weight must be [3]", "[2] float32"});
  t.val("empty", "nll_loss of an empty batch is NaN", [] {
    return is(nll_loss(F({0, 3}), L({0})), {}, {kNaN});
  });
  t.val("nonfinite", "nll_loss of -inf is inf", [] {
    return is(nll_loss(V({-kInf, 0}, {1, 2}), I({0})), {}, {kInf});
  });

  t.err("index", "multiclass_hinge_loss with target == C",
        [] {
          multiclass_hinge_loss(R({2, 3}), I({3, 0}));
        },
        {"multiclass_hinge_loss:", "target 3", "3 classes"});
  t.err("index", "multiclass_hinge_loss with target -100 (no ignore_index)",
        [] {
          multiclass_hinge_loss(R({2, 3}), I({-100, 0}));
        },
        {"multiclass_hinge_loss:", "target -100"});
  t.err("rank", "multiclass_hinge_loss of a 3-D input",
        [] {
          multiclass_hinge_loss(R({2, 3, 4}), L({2, 4}));
        },
        {"multiclass_hinge_loss:", "[N, C]", "[2, 3, 4] float32"});
  t.err("nonfinite", "multiclass_hinge_loss with an infinite margin",
        [] {
          multiclass_hinge_loss(R({2, 3}), I({0, 1}), kInf);
        },
        {"multiclass_hinge_loss:", "margin must be finite", "inf"});
  t.err("dtype", "multiclass_hinge_loss with float targets",
        [] {
          multiclass_hinge_loss(R({2, 3}), F({2}));
        },
        {"multiclass_hinge_loss:", "[2] float32"});
  t.val("empty", "multiclass_hinge_loss of an empty batch is NaN", [] {
    return is(multiclass_hinge_loss(F({0, 3}), L({0})), {}, {kNaN});
  });
  // A hinge term that is NaN counts as 0 (ops/loss.h), as in PyTorch: a NaN on
  // another class drops its term, a NaN on the target class drops them all.
  t.val("nonfinite", "multiclass_hinge_loss: a NaN term counts as 0", [] {
    return is(multiclass_hinge_loss(V({kNaN, 0, 0}, {1, 3}), I({1})), {}, {1});
  });
  t.val("nonfinite", "multi_margin_loss: NaN on the target class gives 0", [] {
    return is(multi_margin_loss(V({0, kNaN, 0}, {1, 3}), I({1})), {}, {0});
  });
  t.val("nonfinite", "multi_margin_loss with an inf score is inf", [] {
    return is(multi_margin_loss(V({kInf, 0, 0}, {1, 3}), I({1})), {}, {kInf});
  });

  t.err("index", "multi_margin_loss with target == C",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 3}));
        },
        {"multi_margin_loss:", "target 3", "3 classes"});
  t.err("size", "multi_margin_loss with p = 3",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 1}), {.p = 3});
        },
        {"multi_margin_loss:", "p must be 1 or 2", "3"});
  t.err("nonfinite", "multi_margin_loss with a NaN margin",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 1}), {.margin = kNaN});
        },
        {"multi_margin_loss:", "margin must be finite"});
  t.err("shape", "multi_margin_loss with a class weight of the wrong size",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 1}), {.weight = F({3, 1})});
        },
        {"multi_margin_loss:", "weight must be [3]", "[3, 1] float32"});
  t.err("shape", "multi_margin_loss with the wrong target length",
        [] {
          multi_margin_loss(R({2, 3}), I({0}));
        },
        {"multi_margin_loss:", "target has shape [1]", "[2, 3]"});
  t.err("rank", "multi_margin_loss of a 0-D input", [] { multi_margin_loss(F({}), L({})); },
        {"multi_margin_loss:", "[] float32"});
  t.val("empty", "multi_margin_loss of an empty batch is NaN", [] {
    return is(multi_margin_loss(F({0, 3}), L({0})), {}, {kNaN});
  });

  t.err("shape", "mse_loss of different shapes",
        [] {
          mse_loss(F({2, 3}), F({3, 2}));
        },
        {"mse_loss:", "[2, 3]", "[3, 2]"});
  t.err("shape", "mse_loss does not broadcast",
        [] {
          mse_loss(F({2, 3}), F({1, 3}));
        },
        {"mse_loss:", "[2, 3]", "[1, 3]"});
  t.err("dtype", "mse_loss float32 and float64", [] { mse_loss(F({2}), D({2})); },
        {"mse_loss:", "float64", "float32"});
  t.err("dtype", "mse_loss with an int64 target", [] { mse_loss(F({2}), L({2})); },
        {"mse_loss:", "target", "[2] int64"});
  t.val("empty", "mse_loss of empty tensors (mean) is NaN",
        [] { return is(mse_loss(F({0}), F({0})), {}, {kNaN}); });
  t.val("empty", "mse_loss of empty tensors (sum) is 0",
        [] { return is(mse_loss(F({0}), F({0}), Reduction::Sum), {}, {0}); });
  t.val("nonfinite", "mse_loss with inf and NaN", [] {
    return is(mse_loss(V({kInf, kNaN}, {2}), F({2}), Reduction::None), {2}, {kInf, kNaN});
  });

  const std::string bce = "binary_cross_entropy_with_logits:";
  t.err("shape", "bce_with_logits of different shapes",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 1}));
        },
        {bce, "[4, 2]", "[4, 1]"});
  t.err("dtype", "bce_with_logits with int64 targets",
        [] { binary_cross_entropy_with_logits(F({4}), L({4})); }, {bce, "target", "[4] int64"});
  t.err("dtype", "bce_with_logits float32 and float64",
        [] { binary_cross_entropy_with_logits(F({4}), D({4})); }, {bce, "float64", "float32"});
  t.err("shape", "bce_with_logits with pos_weight of the wrong size",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 2}), {.pos_weight = F({3})});
        },
        {bce, "pos_weight must be [2]", "[4, 2]", "[3] float32"});
  t.err("shape", "bce_with_logits with a weight that does not broadcast",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 2}), {.weight = F({3})});
        },
        {bce, "[3]", "[4, 2]"});
  t.err("shape", "bce_with_logits with a weight larger than the input",
        [] {
          binary_cross_entropy_with_logits(F({2}), F({2}), {.weight = F({3, 2})});
        },
        {bce, "weight", "[3, 2]", "[2]"});
  t.err("dtype", "bce_with_logits with a float64 pos_weight",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 2}), {.pos_weight = D({2})});
        },
        {bce, "pos_weight", "float64"});
  t.val("empty", "bce_with_logits of empty tensors (mean) is NaN", [] {
    return is(binary_cross_entropy_with_logits(F({0, 2}), F({0, 2})), {}, {kNaN});
  });
  t.val("nonfinite", "bce_with_logits is finite for logits of +-1000", [] {
    return is(binary_cross_entropy_with_logits(V({1000, -1000}, {2}), V({1, 0}, {2}),
                                               {.reduction = Reduction::None}),
              {2}, {0, 0});
  });
  t.val("nonfinite", "bce_with_logits of wrong-side logits +-1000 is 1000", [] {
    return is(binary_cross_entropy_with_logits(V({1000, -1000}, {2}), V({0, 1}, {2}),
                                               {.reduction = Reduction::None}),
              {2}, {1000, 1000}, 1e-3);
  });
  t.val("nonfinite", "bce_with_logits of NaN is NaN", [] {
    return is(binary_cross_entropy_with_logits(V({kNaN}, {1}), V({1}, {1})), {}, {kNaN});
  });

  t.err("empty", "l1_penalty of no parameters", [] { l1_penalty({}); },
        {"l1_penalty:", "at least one parameter"});
  t.err("undefined", "l2_penalty of an undefined parameter",
        [] {
          l2_penalty({F({2}), Tensor()});
        },
        {"l2_penalty:", "parameter 1", "undefined"});
  t.err("dtype", "l2_penalty of int64", [] { l2_penalty({L({2})}); }, {"l2_penalty:", "[2] int64"});
  t.err("dtype", "l1_penalty of float32 and float64",
        [] {
          l1_penalty({F({2}), D({3})});
        },
        {"l1_penalty:", "[3] float64", "float32"});
  t.val("empty", "l2_penalty of an empty parameter is 0",
        [] { return is(l2_penalty({F({0})}), {}, {0}); });
  return t;
}

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
          for (int i = 0; i < 10; ++i) s.step();
        },
        {"OneCycleLR:", "stepped to 10", "total_steps is 10"});
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
      {"elementwise", elementwise_rows},
      {"activation", activation_rows},
      {"reduce", reduce_rows},
      {"shape", shape_rows},
      {"linalg_conv_pool", linalg_conv_pool_rows},
      {"norm_embedding", norm_embedding_rows},
      {"loss", loss_rows},
      {"layer", layer_rows},
      {"state_dict", state_dict_rows},
      {"optim", optim_rows},
      {"data", data_rows}};
  return f;
}

TEST(BadInput, Elementwise) { run_table(elementwise_rows()); }
TEST(BadInput, ActivationSoftmaxDropout) { run_table(activation_rows()); }
TEST(BadInput, Reductions) { run_table(reduce_rows()); }
TEST(BadInput, ShapeOpsAndTensorMethods) { run_table(shape_rows()); }
TEST(BadInput, MatmulConvPool) { run_table(linalg_conv_pool_rows()); }
TEST(BadInput, NormEmbeddingLstmCell) { run_table(norm_embedding_rows()); }
TEST(BadInput, Losses) { run_table(loss_rows()); }
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
