// Elementwise ops: add, sub, mul, div (tensor and scalar), neg, exp, log, sqrt,
// abs, sin, cos, pow, clamp, and the in-place forms.
//
// Every op test file has the same parts:
//   1. hand-checked forward values, float32 and float64;
//   2. gradient check in double (reverse mode) over several shapes, including
//      size 1 and odd sizes;
//   3. forward mode: JVP against finite differences and against reverse mode;
//   4. edge cases (empty tensors, broadcasting, NaN/Inf where they matter);
//   5. bad input: gpunn::Error whose message names the op and the shapes.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/rows.h"
#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using test::away_from_zero;
using test::derivatives_ok;
using test::uniform;
using test::values_near;

const std::vector<Shape> kShapes = {{1}, {7}, {3, 5}, {2, 1, 3}};

class ElementwiseTyped : public ::testing::TestWithParam<DType> {};

TEST_P(ElementwiseTyped, HandCheckedBinary) {
  const DType dt = GetParam();
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, dt);
  Tensor b = tensor({10, 20, 30}, {3}, dt);  // broadcasts over rows
  EXPECT_TRUE(values_near(add(a, b), {11, 22, 33, 14, 25, 36}, 0));
  EXPECT_TRUE(values_near(sub(a, b), {-9, -18, -27, -6, -15, -24}, 0));
  EXPECT_TRUE(values_near(mul(a, b), {10, 40, 90, 40, 100, 180}, 0));
  EXPECT_TRUE(values_near(div(b, a), {10, 10, 10, 2.5, 4, 5}, 1e-6));
  EXPECT_TRUE(values_near(pow(a, tensor({2}, dt)), {1, 4, 9, 16, 25, 36}, 1e-5));
  EXPECT_EQ(add(a, b).dtype(), dt);
  EXPECT_EQ(add(a, b).shape(), (Shape{2, 3}));
}

TEST_P(ElementwiseTyped, HandCheckedScalarAndUnary) {
  const DType dt = GetParam();
  Tensor x = tensor({-2, -0.5, 0, 1, 4}, dt);
  EXPECT_TRUE(values_near(x + 1.0, {-1, 0.5, 1, 2, 5}, 0));
  EXPECT_TRUE(values_near(x - 1.0, {-3, -1.5, -1, 0, 3}, 0));
  EXPECT_TRUE(values_near(x * 2.0, {-4, -1, 0, 2, 8}, 0));
  EXPECT_TRUE(values_near(x / 2.0, {-1, -0.25, 0, 0.5, 2}, 0));
  EXPECT_TRUE(values_near(3.0 - x, {5, 3.5, 3, 2, -1}, 0));
  EXPECT_TRUE(values_near(2.0 / tensor({4, -0.5}, dt), {0.5, -4}, 0));
  EXPECT_TRUE(values_near(-x, {2, 0.5, 0, -1, -4}, 0));
  EXPECT_TRUE(values_near(abs(x), {2, 0.5, 0, 1, 4}, 0));
  EXPECT_TRUE(values_near(clamp(x, -1.0, 1.0), {-1, -0.5, 0, 1, 1}, 0));
  EXPECT_TRUE(values_near(clamp(x, std::nullopt, 0.5), {-2, -0.5, 0, 0.5, 0.5}, 0));
  EXPECT_TRUE(values_near(pow(tensor({2, 3}, dt), 3.0), {8, 27}, 1e-5));
  EXPECT_TRUE(values_near(sqrt(tensor({4, 9, 2}, dt)), {2, 3, std::sqrt(2.0)}, 1e-6));
  EXPECT_TRUE(values_near(exp(tensor({0, 1}, dt)), {1, std::exp(1.0)}, 1e-6));
  EXPECT_TRUE(values_near(log(tensor({1, std::exp(2.0)}, dt)), {0, 2}, 1e-6));
  EXPECT_TRUE(values_near(sin(tensor({0, M_PI / 2}, dt)), {0, 1}, 1e-6));
  EXPECT_TRUE(values_near(cos(tensor({0, M_PI}, dt)), {1, -1}, 1e-6));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ElementwiseTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

TEST(Elementwise, BinaryDerivatives) {
  test::reseed(1);
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{1}, {1}}, {{5}, {5}}, {{3, 4}, {4}}, {{2, 1, 3}, {4, 1}}, {{3, 1}, {1, 5}}, {{}, {2, 3}}};
  for (const auto& [sa, sb] : pairs) {
    SCOPED_TRACE(::testing::PrintToString(sa) + " op " + ::testing::PrintToString(sb));
    Tensor a = test::leaf(away_from_zero(sa, 0.5, 2.0));
    Tensor b = test::leaf(away_from_zero(sb, 0.5, 2.0));
    auto f = [](auto op) { return [op](const std::vector<Tensor>& v) { return op(v[0], v[1]); }; };
    EXPECT_TRUE(derivatives_ok(f([](auto x, auto y) { return add(x, y); }), {a, b}));
    EXPECT_TRUE(derivatives_ok(f([](auto x, auto y) { return sub(x, y); }), {a, b}));
    EXPECT_TRUE(derivatives_ok(f([](auto x, auto y) { return mul(x, y); }), {a, b}));
    EXPECT_TRUE(derivatives_ok(f([](auto x, auto y) { return div(x, y); }), {a, b}));
    // pow needs a positive base for a real result.
    Tensor base = test::leaf(uniform(sa, 0.5, 2.0));
    EXPECT_TRUE(derivatives_ok(f([](auto x, auto y) { return pow(x, y); }), {base, b}));
  }
}

TEST(Elementwise, OneOperandRequiresGrad) {
  test::reseed(2);
  Tensor a = test::leaf(uniform({3, 4}));
  Tensor b = uniform({4});  // a constant
  EXPECT_TRUE(derivatives_ok([&](const std::vector<Tensor>& v) { return mul(v[0], b); }, {a}));
  EXPECT_TRUE(
      derivatives_ok([&](const std::vector<Tensor>& v) { return div(b, v[0] + 3.0); }, {a}));
}

TEST(Elementwise, UnaryDerivatives) {
  test::reseed(3);
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::PrintToString(s));
    Tensor x = test::leaf(away_from_zero(s, 0.2, 2.0));
    Tensor pos = test::leaf(uniform(s, 0.2, 3.0));
    auto unary = [](Tensor (*op)(const Tensor&)) {
      return [op](const std::vector<Tensor>& v) { return op(v[0]); };
    };
    EXPECT_TRUE(derivatives_ok(unary(neg), {x}));
    EXPECT_TRUE(derivatives_ok(unary(exp), {x}));
    EXPECT_TRUE(derivatives_ok(unary(log), {pos}));
    EXPECT_TRUE(derivatives_ok(unary(sqrt), {pos}));
    EXPECT_TRUE(derivatives_ok(unary(abs), {x}));
    EXPECT_TRUE(derivatives_ok(unary(sin), {x}));
    EXPECT_TRUE(derivatives_ok(unary(cos), {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return pow(v[0], 3.0); }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return pow(v[0], -1.5); }, {pos}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return v[0] * 3.0 + 1.0; }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return 2.0 - v[0] / 4.0; }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return 2.0 / v[0]; }, {x}));
  }
}

TEST(Elementwise, ClampDerivatives) {
  // Points inside and outside the bounds, none near them.
  Tensor x = test::leaf(tensor({-0.9, -0.3, 0.2, 0.65, 0.95, 2.0}, {2, 3}, kFloat64));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return clamp(v[0], -0.5, 0.7); }, {x}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return clamp(v[0], 0.0, std::nullopt); }, {x}));
}

TEST(Elementwise, SpecialPoints) {
  // Derivatives where the formula would give 0·inf: d/dx x^0 = 0, and d/dp of
  // 0^p = 0 for p >= 0 (PyTorch's convention).
  Tensor x = test::leaf(tensor({0.0, 2.0}, kFloat64));
  pow(x, 0.0).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {0, 0}, 0));
  Tensor base = tensor({0.0}, kFloat64);
  Tensor p = test::leaf(tensor({2.0}, kFloat64));
  pow(base, p).sum().backward();
  EXPECT_TRUE(values_near(p.grad(), {0}, 0));
  // abs and clamp at their kinks: subgradients 0 and 1 (bounds are inclusive).
  Tensor k = test::leaf(tensor({0.0, -1.0, 1.0}, kFloat64));
  (abs(k) + clamp(k, -1.0, 1.0)).sum().backward();
  EXPECT_TRUE(values_near(k.grad(), {1, 0, 2}, 0));
}

TEST(Elementwise, NanAndInfPropagate) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = tensor({nan, inf, -inf}, kFloat64);
  EXPECT_TRUE(values_near(add(x, 1.0), {nan, inf, -inf}, 0));
  EXPECT_TRUE(values_near(clamp(x, -1.0, 1.0), {nan, 1, -1}, 0));
  EXPECT_TRUE(values_near(exp(x), {nan, inf, 0}, 0));
  EXPECT_TRUE(values_near(log(tensor({0.0, -1.0}, kFloat64)), {-inf, nan}, 0));
}

TEST(Elementwise, EmptyTensors) {
  Tensor a = zeros({0, 3}, kFloat64);
  EXPECT_EQ(add(a, ones({3}, kFloat64)).shape(), (Shape{0, 3}));
  EXPECT_EQ(exp(a).numel(), 0);
  Tensor g = test::leaf(zeros({0}, kFloat64));
  mul(g, 2.0).sum().backward();
  EXPECT_EQ(g.grad().shape(), (Shape{0}));
}

TEST(Elementwise, NonContiguousOperands) {
  Tensor a = arange(6, kFloat64).reshape({2, 3}).t();  // [3, 2], strides (1, 3)
  Tensor b = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, kFloat64);
  EXPECT_TRUE(values_near(add(a, b), {1, 5, 4, 8, 7, 11}, 0));
  Tensor c = arange(12, kFloat64).reshape({3, 4}).slice(1, 0, 4, 2);  // [3, 2]
  EXPECT_TRUE(values_near(mul(c, 2.0), {0, 4, 8, 12, 16, 20}, 0));
}

// The CPU loops merge dims that both operands walk as one and run the innermost
// dim as a plain loop (contiguous, broadcast and strided cases); every layout
// must give element-by-element the value at the operands' own indices.
TEST(Elementwise, StrideAndBroadcastPatternsMatchIndexArithmetic) {
  const std::vector<double> va = arange(60, kFloat64).to_vector<double>();  // A [3, 4, 5]
  std::vector<double> vb(20);                                               // B [4, 5]
  for (size_t i = 0; i < vb.size(); ++i) vb[i] = 0.5 + 0.25 * static_cast<double>(i);
  const Tensor A = tensor(va, {3, 4, 5}, kFloat64), B = tensor(vb, {4, 5}, kFloat64);
  const auto expect_sum = [](const Tensor& z,
                             const std::function<double(int64_t, int64_t, int64_t)>& want) {
    ASSERT_EQ(z.dim(), 3);
    const std::vector<double> got = z.contiguous().to_vector<double>();
    int64_t flat = 0;
    for (int64_t i = 0; i < z.shape()[0]; ++i)
      for (int64_t j = 0; j < z.shape()[1]; ++j)
        for (int64_t k = 0; k < z.shape()[2]; ++k, ++flat)
          ASSERT_EQ(got[static_cast<size_t>(flat)], want(i, j, k)) << i << "," << j << "," << k;
  };
  const auto a = [&](int64_t i, int64_t j, int64_t k) { return va[(i * 4 + j) * 5 + k]; };
  const auto b = [&](int64_t j, int64_t k) { return vb[j * 5 + k]; };
  // Both contiguous (one merged dim), row broadcast (bias add), scalar broadcast.
  expect_sum(add(A, B), [&](int64_t i, int64_t j, int64_t k) { return a(i, j, k) + b(j, k); });
  expect_sum(mul(A, tensor({3.0}, {1}, kFloat64)),
             [&](int64_t i, int64_t j, int64_t k) { return a(i, j, k) * 3.0; });
  expect_sum(sub(tensor({2.0}, {}, kFloat64), A),
             [&](int64_t i, int64_t j, int64_t k) { return 2.0 - a(i, j, k); });
  expect_sum(add(A, A), [&](int64_t i, int64_t j, int64_t k) { return 2.0 * a(i, j, k); });
  // A broadcast middle dim, a column broadcast, and a transposed operand.
  const Tensor col = tensor({1, 2, 3, 4}, {4, 1}, kFloat64);
  expect_sum(mul(A, col), [&](int64_t i, int64_t j, int64_t k) { return a(i, j, k) * (j + 1); });
  const Tensor mid = tensor({10, 20, 30}, {3, 1, 1}, kFloat64);
  expect_sum(add(A, mid),
             [&](int64_t i, int64_t j, int64_t k) { return a(i, j, k) + 10.0 * (i + 1); });
  const Tensor At = A.transpose(0, 2);  // [5, 4, 3]
  expect_sum(div(At, tensor({2.0}, {1}, kFloat64)),
             [&](int64_t i, int64_t j, int64_t k) { return a(k, j, i) / 2.0; });
  expect_sum(add(At, B.t().reshape({5, 4, 1})),
             [&](int64_t i, int64_t j, int64_t k) { return a(k, j, i) + b(j, i); });
  // Size-1 dims between strided ones, and a strided slice in the innermost dim.
  const Tensor sl = A.slice(2, 1, 5, 2);  // [3, 4, 2]
  expect_sum(mul(sl, sl), [&](int64_t i, int64_t j, int64_t k) {
    return a(i, j, 1 + 2 * k) * a(i, j, 1 + 2 * k);
  });
  const Tensor one = A.narrow(1, 2, 1);  // [3, 1, 5]
  expect_sum(pow(one, tensor({2.0}, {1}, kFloat64)),
             [&](int64_t i, int64_t, int64_t k) { return std::pow(a(i, 2, k), 2.0); });
  // Copies of views: transposed, sliced, and into a strided destination.
  expect_sum(At.contiguous(), [&](int64_t i, int64_t j, int64_t k) { return a(k, j, i); });
  Tensor dst = zeros({3, 4, 10}, kFloat64);
  dst.slice(2, 0, 10, 2).copy_(A);
  expect_sum(dst,
             [&](int64_t i, int64_t j, int64_t k) { return k % 2 == 0 ? a(i, j, k / 2) : 0.0; });
  // Gradients through a broadcast (the backward loops walk the same layouts).
  const Tensor x = test::leaf(A), y = test::leaf(B);
  mul(x, y).sum().backward();
  expect_sum(x.grad(), [&](int64_t, int64_t j, int64_t k) { return b(j, k); });
  const std::vector<double> gy = y.grad().to_vector<double>();
  for (int64_t j = 0; j < 4; ++j)
    for (int64_t k = 0; k < 5; ++k)
      EXPECT_EQ(gy[static_cast<size_t>(j * 5 + k)], a(0, j, k) + a(1, j, k) + a(2, j, k));
}

TEST(Elementwise, InPlace) {
  Tensor x = tensor({1, 2, 3}, kFloat64);
  x.add_(tensor({1, 1, 1}, kFloat64), 2.0);
  EXPECT_TRUE(values_near(x, {3, 4, 5}, 0));
  x.mul_(2.0).sub_(tensor({1}, kFloat64)).div_(tensor({5, 7, 9}, kFloat64));
  EXPECT_TRUE(values_near(x, {1, 1, 1}, 1e-15));
  x.add_(1.0).div_(2.0);
  EXPECT_TRUE(values_near(x, {1, 1, 1}, 1e-15));
  // A parameter update: allowed under NoGradGuard, refused while recording.
  Tensor w = test::leaf(ones({2}, kFloat64));
  EXPECT_THROWS_WITH(w.add_(1.0), "add_", "requires grad");
  {
    NoGradGuard no_grad;
    w.sub_(tensor({0.5, 0.25}, kFloat64));
  }
  EXPECT_TRUE(values_near(w, {0.5, 0.75}, 0));
  EXPECT_TRUE(w.requires_grad());
  // The operand must broadcast to self, not the other way round.
  Tensor small = zeros({3}, kFloat64);
  EXPECT_THROWS_WITH(small.add_(ones({2, 3}, kFloat64)), "add_", "[2, 3]", "[3]");
}

TEST(Elementwise, BadInput) {
  Tensor a = zeros({2, 3});
  EXPECT_THROWS_WITH(add(a, zeros({4})), "add", "[2, 3]", "[4]", "broadcast");
  EXPECT_THROWS_WITH(mul(a, zeros({2, 3}, kFloat64)), "mul", "float32", "float64");
  EXPECT_THROWS_WITH(sub(a, Tensor()), "sub", "undefined");
  EXPECT_THROWS_WITH(exp(zeros({2}, kInt64)), "exp", "int64");
  EXPECT_THROWS_WITH(div(zeros({2}, kInt64), 2.0), "div", "int64");
  EXPECT_THROWS_WITH(pow(a, zeros({5})), "pow", "[2, 3]", "[5]");
  EXPECT_THROWS_WITH(clamp(a, std::nullopt, std::nullopt), "clamp", "min", "max");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(ElementwiseRows, UnaryOps) {
  const Tensor pos = test::uniform({37, 5}, 0.1, 3.0), any = test::uniform({37, 5}, -3, 3);
  const auto E = OpFamily::Elementwise;
  test::expect_rows(E, "neg", [](auto& in) { return neg(in[0]); }, {any});
  test::expect_rows(E, "exp", [](auto& in) { return exp(in[0]); }, {any});
  test::expect_rows(E, "log", [](auto& in) { return log(in[0]); }, {pos});
  test::expect_rows(E, "sqrt", [](auto& in) { return sqrt(in[0]); }, {pos});
  test::expect_rows(E, "abs", [](auto& in) { return abs(in[0]); }, {test::away_from_zero({37, 5})});
  test::expect_rows(E, "sin", [](auto& in) { return sin(in[0]); }, {any});
  test::expect_rows(E, "cos", [](auto& in) { return cos(in[0]); }, {any});
  test::expect_rows(E, "pow scalar", [](auto& in) { return pow(in[0], 2.5); }, {pos});
  test::expect_rows(E, "clamp", [](auto& in) { return clamp(in[0], -1.0, 2.0); }, {any});
  test::expect_rows(E, "scalar arithmetic",
                    [](auto& in) { return rdiv(add(mul(in[0], 3.0), 10.0), 2.0); }, {pos});
}

TEST(ElementwiseRows, BinaryOpsWithBroadcasting) {
  const Tensor a = test::uniform({4, 1, 6}, 0.5, 2.0), b = test::uniform({3, 1}, 0.5, 2.0);
  const auto E = OpFamily::Elementwise;
  test::expect_rows(E, "add", [](auto& in) { return add(in[0], in[1]); }, {a, b});
  test::expect_rows(E, "sub", [](auto& in) { return sub(in[0], in[1]); }, {a, b});
  test::expect_rows(E, "mul", [](auto& in) { return mul(in[0], in[1]); }, {a, b});
  test::expect_rows(E, "div", [](auto& in) { return div(in[0], in[1]); }, {a, b});
  test::expect_rows(E, "pow", [](auto& in) { return pow(in[0], in[1]); }, {a, b});
  // Non-contiguous operands take the strided path.
  test::expect_rows(E, "mul of a transposed view",
                    [](auto& in) { return mul(in[0].transpose(0, 1), in[1]); },
                    {test::uniform({5, 7}), test::uniform({7, 5})});
}

TEST(ElementwiseRows, ComparisonsWithBroadcastingAndTies) {
  // Whole numbers in [-2, 2]: ties on both sides of every comparison.
  const Tensor a = tensor({-2, -1, 0, 1, 2, 0, 1, -1}, {4, 1, 2}, kFloat64);
  const Tensor b = tensor({0, 1, -1}, {3, 1}, kFloat64);
  const auto E = OpFamily::Elementwise;
  const test::RowOptions values_only{.atol = 0, .rtol = 0, .backward = false};
  test::expect_rows(
      E, "lt", [](auto& in) { return lt(in[0], in[1]); }, {a, b}, values_only);
  test::expect_rows(
      E, "le", [](auto& in) { return le(in[0], in[1]); }, {a, b}, values_only);
  test::expect_rows(
      E, "gt", [](auto& in) { return gt(in[0], in[1]); }, {a, b}, values_only);
  test::expect_rows(
      E, "ge", [](auto& in) { return ge(in[0], in[1]); }, {a, b}, values_only);
  test::expect_rows(
      E, "eq", [](auto& in) { return eq(in[0], in[1]); }, {a, b}, values_only);
  test::expect_rows(
      E, "ne", [](auto& in) { return ne(in[0], in[1]); }, {a, b}, values_only);
  test::expect_rows(
      E, "lt scalar", [](auto& in) { return lt(in[0], 0.5); }, {a}, values_only);
}

TEST(Elementwise, ComparisonsGiveOnesAndZerosAndNoGradient) {
  const double nan = std::nan("");
  const Tensor a = tensor({1, 2, 3, nan, 2}, kFloat64);
  const Tensor b = tensor({2, 2, 2, 1, nan}, kFloat64);
  EXPECT_TRUE(test::values_near(lt(a, b), {1, 0, 0, 0, 0}, 0));
  EXPECT_TRUE(test::values_near(le(a, b), {1, 1, 0, 0, 0}, 0));
  EXPECT_TRUE(test::values_near(gt(a, b), {0, 0, 1, 0, 0}, 0));
  EXPECT_TRUE(test::values_near(ge(a, b), {0, 1, 1, 0, 0}, 0));
  EXPECT_TRUE(test::values_near(eq(a, b), {0, 1, 0, 0, 0}, 0));
  EXPECT_TRUE(test::values_near(ne(a, b), {1, 0, 1, 1, 1}, 0));  // NaN is unequal
  EXPECT_TRUE(test::values_near(ge(a, 2.0), {0, 1, 1, 0, 1}, 0));
  for (DType d : {kFloat32, kBFloat16, kFloat16}) {
    const Tensor r = lt(a.to(d), b.to(d));
    EXPECT_EQ(r.dtype(), d);
    EXPECT_TRUE(test::values_near(r, {1, 0, 0, 0, 0}, 0)) << dtype_name(d);
  }
  // No gradient: the result does not require grad, and a loss through it reaches only the
  // other factor.
  Tensor x = test::leaf(tensor({0.5, -1.0, 2.0}, kFloat64));
  const Tensor mask = gt(x, 0.0);
  EXPECT_FALSE(mask.requires_grad());
  sum(x * mask).backward();
  EXPECT_TRUE(test::values_near(x.grad(), {1, 0, 1}, 0));
  // A Bernoulli sample: lt(u, p) is 1 with probability p.
  manual_seed(3);
  const Tensor p = full({20000}, 0.3, kFloat64);
  const double mean = lt(rand_like(p), p).mean().item();
  EXPECT_NEAR(mean, 0.3, 0.015);
  EXPECT_THROWS_WITH(lt(ones({2}), ones({2}, kFloat64)), "lt", "float64", "float32");
  EXPECT_THROWS_WITH(lt(ones({2}, kInt64), ones({2}, kInt64)), "lt");
}

TEST(ElementwiseRows, MixedDevicesAreAnError) {
  GPUNN_REQUIRE_GPU();
  EXPECT_THROWS_WITH(add(ones({2}), ones({2}, Device::cuda(0))), "add", "second operand", "cpu",
                     "cuda:0");
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table elementwise_bad_input() {
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
          {name + ":", "[2] int64", "floating-point tensor"});
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
          {name + ":", "[2, 3] int64", "floating-point tensor"});
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

TEST(ElementwiseBadInput, Table) { run_table(elementwise_bad_input()); }

}  // namespace gpunn::bad_input
