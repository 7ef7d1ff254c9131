// Reductions: sum and mean over everything, one dim, several dims, negative
// dims, keepdim; max over a dim (values and indices) and over everything; argmax;
// total_norm (gradient clipping's norm of a list of tensors, not differentiable).
//
// Same parts as every op test file (see elementwise_test.cpp):
//   1. hand-checked forward values in float32 and float64, and values and
//      gradients against fixed float64 references from PyTorch;
//   2. gradient check in double over several shapes, size 1 and odd sizes too;
//   3. forward mode (JVP) against finite differences and reverse mode;
//   4. edge cases (ties, NaN, empty tensors, 0-D tensors, non-contiguous input,
//      accumulation in double);
//   5. bad input: gpunn::Error naming the op, the dims and the shape.
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

using test::derivatives_ok;
using test::leaf;
using test::uniform;
using test::values_near;

// Tolerances against the float64 references: sums round in a different order
// than PyTorch's.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

std::vector<int64_t> indices_of(const Tensor& t) {
  EXPECT_EQ(t.dtype(), kInt64);
  return t.to_vector<int64_t>();
}

// ---- 1. forward values --------------------------------------------------------------------

class ReduceTyped : public ::testing::TestWithParam<DType> {};

TEST_P(ReduceTyped, HandCheckedSumMean) {
  const DType dt = GetParam();
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, dt);
  Tensor s = sum(x);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.dtype(), dt);
  EXPECT_TRUE(values_near(s, {21}, 0));
  EXPECT_TRUE(values_near(sum(x, {0}), {5, 7, 9}, 0));
  EXPECT_TRUE(values_near(sum(x, {1}), {6, 15}, 0));
  EXPECT_TRUE(values_near(sum(x, {-1}), {6, 15}, 0));
  EXPECT_TRUE(values_near(sum(x, {-2}), {5, 7, 9}, 0));
  EXPECT_EQ(sum(x, {-1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(sum(x, {0}, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(sum(x, {0, 1}).shape(), Shape{});
  EXPECT_EQ(sum(x, {1, 0}, true).shape(), (Shape{1, 1}));
  EXPECT_TRUE(values_near(sum(x, {1, 0}), {21}, 0));
  // An empty dim list reduces every dim.
  EXPECT_EQ(sum(x, {}).shape(), Shape{});
  EXPECT_TRUE(values_near(sum(x, {}), {21}, 0));
  EXPECT_TRUE(values_near(x.sum(), {21}, 0));
  EXPECT_TRUE(values_near(mean(x), {3.5}, 0));
  EXPECT_TRUE(values_near(mean(x, {0}), {2.5, 3.5, 4.5}, 0));
  EXPECT_TRUE(values_near(mean(x, {1}, true), {2, 5}, 1e-6));
  EXPECT_EQ(mean(x, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_TRUE(values_near(x.mean({-1}), {2, 5}, 1e-6));
  // x[i, j, k] = 12 i + 4 j + k: over dims {0, 2}, Σ = 60 + 32 j from 8 elements.
  Tensor x3 = arange(24, dt).reshape({2, 3, 4});
  EXPECT_TRUE(values_near(sum(x3, {0, 2}), {60, 92, 124}, 0));
  EXPECT_TRUE(values_near(sum(x3, {-1, -3}, true), {60, 92, 124}, 0));
  EXPECT_EQ(sum(x3, {-1, -3}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_TRUE(values_near(mean(x3, {2, 0}), {7.5, 11.5, 15.5}, 0));
  EXPECT_EQ(mean(x3, {0, 1, 2}, true).shape(), (Shape{1, 1, 1}));
  EXPECT_TRUE(values_near(mean(x3, {0, 1, 2}, true), {11.5}, 0));
}

TEST_P(ReduceTyped, HandCheckedMaxArgmax) {
  const DType dt = GetParam();
  Tensor x = tensor({1, 5, 3, 4, 2, 6}, {2, 3}, dt);
  MaxResult r = max(x, 1);
  EXPECT_EQ(r.values.dtype(), dt);
  EXPECT_EQ(r.values.shape(), (Shape{2}));
  EXPECT_TRUE(values_near(r.values, {5, 6}, 0));
  EXPECT_EQ(indices_of(r.indices), (std::vector<int64_t>{1, 2}));
  r = max(x, 0);
  EXPECT_TRUE(values_near(r.values, {4, 5, 6}, 0));
  EXPECT_EQ(indices_of(r.indices), (std::vector<int64_t>{1, 0, 1}));
  r = max(x, -1, true);
  EXPECT_EQ(r.values.shape(), (Shape{2, 1}));
  EXPECT_EQ(r.indices.shape(), (Shape{2, 1}));
  EXPECT_TRUE(values_near(r.values, {5, 6}, 0));
  Tensor m = max(x);
  EXPECT_EQ(m.shape(), Shape{});
  EXPECT_TRUE(values_near(m, {6}, 0));
  EXPECT_TRUE(values_near(x.max(), {6}, 0));
  Tensor a = argmax(x);
  EXPECT_EQ(a.shape(), Shape{});
  EXPECT_EQ(indices_of(a), (std::vector<int64_t>{5}));
  EXPECT_EQ(indices_of(argmax(x, 0)), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(indices_of(argmax(x, -1)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(argmax(x, 1, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(indices_of(x.argmax(1)), (std::vector<int64_t>{1, 2}));
  // argmax over everything indexes the flattened tensor.
  EXPECT_EQ(indices_of(argmax(tensor({0, 9, 2, 3, 1, 4}, {3, 2}, dt))), (std::vector<int64_t>{1}));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ReduceTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// x [2, 3, 4] and the values and gradients below come from PyTorch 1.13 in
// float64 (gradients: backward of (y * gy).sum()).
const std::vector<double> kRefX = {-0.49, 0.55,  -0.33, 0.44,  0.76,  -0.57, -0.22, -0.18,
                                   -0.13, -0.78, -0.74, -0.36, 0.63,  0.44,  0.25,  -0.25,
                                   0.72,  0.05,  0.03,  0.7,   -0.25, 0.34,  0.89,  0.24};

struct ReduceReference {
  std::vector<double> gy, y, dx;
};

void check_reference(const std::function<Tensor(const Tensor&)>& f, const Shape& y_shape,
                     const ReduceReference& r) {
  Tensor x = leaf(tensor(kRefX, {2, 3, 4}, kFloat64));
  Tensor y = f(x);
  EXPECT_EQ(y.shape(), y_shape);
  EXPECT_TRUE(values_near(y, r.y, kRefAtol, kRefRtol));
  y.backward(tensor(r.gy, y_shape, kFloat64));
  EXPECT_TRUE(values_near(x.grad(), r.dx, kRefAtol, kRefRtol));
}

TEST(Reduce, TorchReferenceSumMean) {
  // clang-format off
  {
    SCOPED_TRACE("sum over dims {0, 2}");
    check_reference([](const Tensor& x) { return sum(x, {0, 2}); }, {3}, {
        .gy = {0.75, -0.23, -0.71},
        .y = {1.2400000000000002, 1.29, -0.78999999999999981},
        .dx = {0.75, 0.75, 0.75, 0.75, -0.23000000000000001, -0.23000000000000001,
               -0.23000000000000001, -0.23000000000000001, -0.70999999999999996,
               -0.70999999999999996, -0.70999999999999996, -0.70999999999999996, 0.75, 0.75, 0.75,
               0.75, -0.23000000000000001, -0.23000000000000001, -0.23000000000000001,
               -0.23000000000000001, -0.70999999999999996, -0.70999999999999996,
               -0.70999999999999996, -0.70999999999999996},
    });
  }
  {
    SCOPED_TRACE("mean over dim -1, keepdim");
    check_reference([](const Tensor& x) { return mean(x, {-1}, true); }, {2, 3, 1}, {
        .gy = {-0.62, 0.57, 0.24, -0.25, -0.86, -0.11},
        .y = {0.04250000000000001, -0.052499999999999984, -0.50249999999999995, 0.26750000000000002,
              0.375, 0.30499999999999999},
        .dx = {-0.155, -0.155, -0.155, -0.155, 0.14249999999999999, 0.14249999999999999,
               0.14249999999999999, 0.14249999999999999, 0.059999999999999998, 0.059999999999999998,
               0.059999999999999998, 0.059999999999999998, -0.0625, -0.0625, -0.0625, -0.0625,
               -0.215, -0.215, -0.215, -0.215, -0.0275, -0.0275, -0.0275, -0.0275},
    });
  }
  {
    SCOPED_TRACE("mean over everything");
    check_reference([](const Tensor& x) { return mean(x); }, {}, {
        .gy = {-0.09},
        .y = {0.072500000000000009},
        .dx = {-0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999,
               -0.0037499999999999999, -0.0037499999999999999, -0.0037499999999999999},
    });
  }
  {
    SCOPED_TRACE("sum over dims {-1, -3}, keepdim");
    check_reference([](const Tensor& x) { return sum(x, {-1, -3}, true); }, {1, 3, 1}, {
        .gy = {-0.03, -0.1, 0.34},
        .y = {1.2400000000000002, 1.29, -0.78999999999999981},
        .dx = {-0.029999999999999999, -0.029999999999999999, -0.029999999999999999,
               -0.029999999999999999, -0.10000000000000001, -0.10000000000000001,
               -0.10000000000000001, -0.10000000000000001, 0.34000000000000002, 0.34000000000000002,
               0.34000000000000002, 0.34000000000000002, -0.029999999999999999,
               -0.029999999999999999, -0.029999999999999999, -0.029999999999999999,
               -0.10000000000000001, -0.10000000000000001, -0.10000000000000001,
               -0.10000000000000001, 0.34000000000000002, 0.34000000000000002, 0.34000000000000002,
               0.34000000000000002},
    });
  }
  // clang-format on
}

TEST(Reduce, TorchReferenceMax) {
  // clang-format off
  {
    SCOPED_TRACE("max over dim 1");
    check_reference([](const Tensor& x) { return max(x, 1).values; }, {2, 4}, {
        .gy = {-0.33, 0.25, -0.25, -0.28, 0.63, -0.01, 0.68, 0.62},
        .y = {0.76000000000000001, 0.55000000000000004, -0.22, 0.44, 0.71999999999999997, 0.44,
              0.89000000000000001, 0.69999999999999996},
        .dx = {0, 0.25, 0, -0.28000000000000003, -0.33000000000000002, 0, -0.25, 0, 0, 0, 0, 0, 0,
               -0.01, 0, 0, 0.63, 0, 0, 0.62, 0, 0, 0.68000000000000005, 0},
    });
  }
  {
    SCOPED_TRACE("max over dim -1, keepdim");
    check_reference([](const Tensor& x) { return max(x, -1, true).values; }, {2, 3, 1}, {
        .gy = {0.36, 0.81, 0.48, -0.75, -0.82, 0.53},
        .y = {0.55000000000000004, 0.76000000000000001, -0.13, 0.63, 0.71999999999999997,
              0.89000000000000001},
        .dx = {0, 0.35999999999999999, 0, 0, 0.81000000000000005, 0, 0, 0, 0.47999999999999998, 0,
               0, 0, -0.75, 0, 0, 0, -0.81999999999999995, 0, 0, 0, 0, 0, 0.53000000000000003, 0},
    });
  }
  {
    SCOPED_TRACE("max over everything");
    check_reference([](const Tensor& x) { return max(x); }, {}, {
        .gy = {1},
        .y = {0.89000000000000001},
        .dx = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0},
    });
  }
  // clang-format on
  Tensor x = tensor(kRefX, {2, 3, 4}, kFloat64);
  EXPECT_EQ(indices_of(max(x, 1).indices), (std::vector<int64_t>{1, 0, 1, 0, 1, 0, 2, 1}));
  EXPECT_EQ(indices_of(max(x, -1, true).indices), (std::vector<int64_t>{1, 0, 0, 0, 0, 2}));
  EXPECT_EQ(indices_of(argmax(x)), (std::vector<int64_t>{22}));
  EXPECT_EQ(indices_of(argmax(x, 0)), (std::vector<int64_t>{1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1}));
}

// ---- 2 and 3. gradients, reverse and forward mode ---------------------------------------------

struct SumCase {
  Shape shape;
  Shape dims;  // empty: everything
  bool keepdim;
};

TEST(Reduce, SumMeanDerivatives) {
  test::reseed(31);
  const std::vector<SumCase> cases = {
      {{1}, {}, false},
      {{1}, {0}, true},
      {{7}, {0}, false},
      {{7}, {-1}, true},
      {{3, 5}, {0}, false},
      {{3, 5}, {1}, true},
      {{3, 5}, {0, 1}, false},
      {{3, 5}, {-1}, false},
      {{2, 1, 3}, {1}, false},
      {{2, 1, 3}, {0, 2}, true},
      {{2, 1, 3}, {-1, -3}, false},
      {{}, {}, false},
      {{}, {0}, true},
      {{2, 3, 1, 2}, {3, 1}, false},
  };
  for (const SumCase& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.shape) + " dims " + ::testing::PrintToString(c.dims) +
                 (c.keepdim ? " keepdim" : ""));
    Tensor x = leaf(uniform(c.shape));
    const Shape dims = c.dims;
    const bool keep = c.keepdim;
    EXPECT_TRUE(derivatives_ok([&](const auto& v) { return sum(v[0], dims, keep); }, {x}));
    EXPECT_TRUE(derivatives_ok([&](const auto& v) { return mean(v[0], dims, keep); }, {x}));
  }
  Tensor x = leaf(uniform({3, 4}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return sum(v[0]); }, {x}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return mean(v[0]); }, {x}));
}

TEST(Reduce, MaxDerivatives) {
  // Random values: no ties, so no element sits on a kink.
  test::reseed(32);
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{1}, 0},    {{7}, 0},       {{7}, -1},       {{3, 5}, 0},
      {{3, 5}, 1}, {{2, 1, 3}, 1}, {{2, 4, 3}, -1}, {{2, 4, 3}, 1}};
  for (const auto& [shape, dim] : cases) {
    SCOPED_TRACE(::testing::PrintToString(shape) + " dim " + std::to_string(dim));
    Tensor x = leaf(uniform(shape));
    const int64_t d = dim;
    EXPECT_TRUE(derivatives_ok([d](const auto& v) { return max(v[0], d).values; }, {x}));
    EXPECT_TRUE(derivatives_ok([d](const auto& v) { return max(v[0], d, true).values; }, {x}));
  }
  for (const Shape& shape : {Shape{1}, Shape{7}, Shape{3, 5}}) {
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return max(v[0]); }, {leaf(uniform(shape))}));
  }
}

// ---- 4. edge cases --------------------------------------------------------------------------

TEST(Reduce, TiesPickTheFirstIndex) {
  Tensor x = leaf(tensor({3, 1, 3, 2, 7, 7, 7, 0}, {2, 4}, kFloat64));
  MaxResult r = max(x, 1);
  EXPECT_TRUE(values_near(r.values, {3, 7}, 0));
  EXPECT_EQ(indices_of(r.indices), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(indices_of(argmax(x, 1)), (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(indices_of(argmax(x)), (std::vector<int64_t>{4}));
  // The gradient goes to the chosen index only.
  r.values.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1, 0, 0, 0, 1, 0, 0, 0}, 0));
  // max over everything: also to the first maximum only. (PyTorch 1.13 spreads
  // it evenly over tied maxima instead; gpunn/ops/reduce.h documents this choice.)
  Tensor y = leaf(tensor({3, 1, 3, 2}, kFloat64));
  max(y).backward();
  EXPECT_TRUE(values_near(y.grad(), {1, 0, 0, 0}, 0));
}

TEST(Reduce, Nan) {
  // NaN counts as the maximum; the first NaN is chosen, as in PyTorch.
  Tensor x = leaf(tensor({1, kNan, 3, kNan, 5, 2, 0, 1}, {2, 4}, kFloat64));
  MaxResult r = max(x, 1);
  EXPECT_TRUE(values_near(r.values, {kNan, 5}, 0));
  EXPECT_EQ(indices_of(r.indices), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(indices_of(argmax(x, 1)), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(indices_of(argmax(x)), (std::vector<int64_t>{1}));
  EXPECT_TRUE(values_near(max(x), {kNan}, 0));
  r.values.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {0, 1, 0, 0, 1, 0, 0, 0}, 0));
  // A leading NaN wins too, and infinities are ordinary values.
  EXPECT_EQ(indices_of(argmax(tensor({kNan, 5, kInf}, kFloat64))), (std::vector<int64_t>{0}));
  EXPECT_EQ(indices_of(argmax(tensor({-kInf, -kInf}, kFloat64))), (std::vector<int64_t>{0}));
  EXPECT_EQ(indices_of(argmax(tensor({-kInf, kInf, 1}, kFloat32))), (std::vector<int64_t>{1}));
  // NaN propagates through sum and mean of the rows that hold it.
  EXPECT_TRUE(values_near(sum(x.detach(), {1}), {kNan, 8}, 0));
  EXPECT_TRUE(values_near(mean(x.detach(), {1}), {kNan, 2}, 0));
}

TEST(Reduce, LeadingDimsOfContiguousInputMatchTheGeneralPath) {
  // Sums over leading dims of a contiguous tensor (bias gradients) run a column
  // loop; a non-contiguous view of the same values takes the permute-and-reduce
  // path. Both add each output's terms in the same order: identical results.
  for (DType dt : {kFloat32, kFloat64}) {
    const Tensor x = test::uniform({6, 5, 4}, -1.0, 1.0, dt);
    const Tensor xs = x.transpose(1, 2).contiguous().transpose(1, 2);  // same values, strided
    ASSERT_FALSE(xs.is_contiguous());
    for (const Shape& dims : {Shape{0}, Shape{0, 1}}) {
      SCOPED_TRACE(::testing::PrintToString(dims));
      EXPECT_EQ(sum(x, dims).to_vector<double>(), sum(xs, dims).to_vector<double>());
      EXPECT_EQ(mean(x, dims, true).to_vector<double>(), mean(xs, dims, true).to_vector<double>());
      EXPECT_EQ(mean(x, dims, true).shape(), mean(xs, dims, true).shape());
    }
  }
  // Hand-checked: columns of [[1, 2, 3], [4, 5, 6]].
  const Tensor m = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  EXPECT_TRUE(test::values_near(sum(m, {0}), {5, 7, 9}, 0));
  EXPECT_TRUE(test::values_near(mean(m, {0}), {2.5, 3.5, 4.5}, 0));
}

TEST(Reduce, EmptyTensors) {
  Tensor e = zeros({0}, kFloat64);
  Tensor s = sum(e);
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_TRUE(values_near(s, {0}, 0));
  EXPECT_TRUE(values_near(mean(e), {kNan}, 0));  // 0 / 0, as in PyTorch
  Tensor e03 = zeros({0, 3}, kFloat32);
  EXPECT_TRUE(values_near(sum(e03, {0}), {0, 0, 0}, 0));
  EXPECT_TRUE(values_near(mean(e03, {0}), {kNan, kNan, kNan}, 0));
  EXPECT_EQ(sum(e03, {1}).shape(), (Shape{0}));
  EXPECT_EQ(mean(e03, {1}, true).shape(), (Shape{0, 1}));
  EXPECT_TRUE(values_near(mean(zeros({2, 0}), {1}), {kNan, kNan}, 0));
  // The maximum of nothing does not exist; reducing over a non-empty dim of an
  // empty tensor gives an empty result.
  EXPECT_THROWS_WITH(max(e), "max", "empty", "[0]");
  EXPECT_THROWS_WITH(argmax(e), "argmax", "empty", "[0]");
  EXPECT_THROWS_WITH(max(zeros({2, 0}), 1), "max", "size 0", "[2, 0]");
  EXPECT_THROWS_WITH(argmax(zeros({2, 0}), -1), "argmax", "size 0", "[2, 0]");
  MaxResult r = max(e03, 1);
  EXPECT_EQ(r.values.shape(), (Shape{0}));
  EXPECT_EQ(r.indices.shape(), (Shape{0}));
  // Gradients of empty reductions have the input's shape.
  Tensor g = leaf(zeros({0, 3}, kFloat64));
  (sum(g) + mean(g, {0}).sum()).backward();
  EXPECT_EQ(g.grad().shape(), (Shape{0, 3}));
}

TEST(Reduce, ZeroDimTensors) {
  Tensor x = leaf(scalar_tensor(4, kFloat64));
  EXPECT_TRUE(values_near(sum(x), {4}, 0));
  EXPECT_EQ(sum(x, {0}).shape(), Shape{});
  EXPECT_EQ(sum(x, {-1}, true).shape(), Shape{});
  EXPECT_TRUE(values_near(mean(x, {0}), {4}, 0));
  MaxResult r = max(x, 0);
  EXPECT_EQ(r.values.shape(), Shape{});
  EXPECT_TRUE(values_near(r.values, {4}, 0));
  EXPECT_EQ(indices_of(r.indices), (std::vector<int64_t>{0}));
  EXPECT_EQ(indices_of(argmax(x)), (std::vector<int64_t>{0}));
  EXPECT_EQ(indices_of(argmax(x, -1)), (std::vector<int64_t>{0}));
  EXPECT_TRUE(values_near(max(x), {4}, 0));
  (sum(x) + mean(x, {0}) + max(x, 0).values + max(x)).backward();
  EXPECT_TRUE(values_near(x.grad(), {4}, 0));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return max(v[0], 0).values * 2.0; }, {x}));
  EXPECT_THROWS_WITH(sum(x, {1}), "sum", "dim 1");
  EXPECT_THROWS_WITH(max(x, 1), "max", "dim 1");
}

TEST(Reduce, NonContiguousInput) {
  test::reseed(33);
  Tensor x = uniform({4, 3, 5}).permute({2, 0, 1});  // [5, 4, 3]
  ASSERT_FALSE(x.is_contiguous());
  Tensor xc = x.contiguous();
  for (const Shape& dims : {Shape{0}, Shape{1, 2}, Shape{-1}, Shape{}}) {
    EXPECT_TRUE(test::tensors_near(sum(x, dims), sum(xc, dims), 1e-15));
    EXPECT_TRUE(test::tensors_near(mean(x, dims, true), mean(xc, dims, true), 1e-15));
  }
  for (int64_t d : {0, 1, 2}) {
    MaxResult a = max(x, d), b = max(xc, d);
    EXPECT_TRUE(test::tensors_near(a.values, b.values, 0));
    EXPECT_EQ(indices_of(a.indices), indices_of(b.indices));
  }
  EXPECT_EQ(indices_of(argmax(x)), indices_of(argmax(xc)));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return sum(v[0], {0, 2}); }, {leaf(x)}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return max(v[0], 1).values; }, {leaf(x)}));
}

TEST(Reduce, SumsAccumulateInDouble) {
  // 10^6 float32 copies of 0.1 (0.100000001490116...): a float accumulator
  // drifts by about 1%; a double one lands within float rounding of 100000.
  Tensor x = full({1000000}, 0.1, kFloat32);
  EXPECT_NEAR(sum(x).item(), 100000.0, 0.01);
  EXPECT_NEAR(mean(x).item(), 0.1, 1e-8);
  EXPECT_NEAR(sum(x.reshape({1000, 1000}), {0, 1}).item(), 100000.0, 0.01);
}

TEST(Reduce, ResultsAreNewTensors) {
  // Reducing over no dim of a 0-D tensor still returns a tensor of its own.
  Tensor x = scalar_tensor(2, kFloat64);
  Tensor s = sum(x);
  s.fill_(5);
  EXPECT_EQ(x.item(), 2);
}

// ---- 5. bad input ---------------------------------------------------------------------------

TEST(Reduce, BadInput) {
  Tensor x = zeros({2, 3});
  EXPECT_THROWS_WITH(sum(x, {2}), "sum: dim 2 is out of range", "2 dims");
  EXPECT_THROWS_WITH(sum(x, {0, -3}), "sum", "dim -3");
  EXPECT_THROWS_WITH(mean(x, {5}), "mean", "dim 5");
  EXPECT_THROWS_WITH(max(x, 2), "max", "dim 2");
  EXPECT_THROWS_WITH(max(x, -3), "max", "dim -3");
  EXPECT_THROWS_WITH(argmax(x, 2), "argmax", "dim 2");
  // A dim named twice, also through a negative alias.
  EXPECT_THROWS_WITH(sum(x, {0, 0}), "sum", "[0, 0]", "repeat", "[2, 3]");
  EXPECT_THROWS_WITH(mean(x, {1, -1}), "mean", "[1, -1]", "repeat", "[2, 3]");
  EXPECT_THROWS_WITH(sum(zeros({2, 3, 4}), {0, 2, -1}, true), "sum", "[0, 2, -1]", "repeat");
  // Types.
  EXPECT_THROWS_WITH(sum(zeros({2}, kInt64)), "sum", "int64");
  EXPECT_THROWS_WITH(mean(zeros({2}, kInt64), {0}), "mean", "int64");
  EXPECT_THROWS_WITH(max(zeros({2}, kInt64), 0), "max", "int64");
  EXPECT_THROWS_WITH(max(zeros({2}, kInt64)), "max", "int64");
  EXPECT_THROWS_WITH(argmax(zeros({2}, kInt64)), "argmax", "int64");
  EXPECT_THROWS_WITH(sum(Tensor()), "sum", "undefined");
  EXPECT_THROWS_WITH(max(Tensor(), 0), "max", "undefined");
}

// ---- total_norm --------------------------------------------------------------------------

TEST(TotalNorm, HandChecked) {
  // [3, 4] and [[12]]: |v| sums 19, squares 169, cubes 1819, largest 12.
  const std::vector<Tensor> ts{tensor({3.0, -4.0}, {2}).to(kFloat32), tensor({-12.0}, {1, 1})};
  const Tensor two = total_norm(ts);
  EXPECT_EQ(two.dtype(), kFloat64);
  EXPECT_EQ(two.dim(), 0);
  EXPECT_EQ(two.item(), 13.0);
  EXPECT_EQ(total_norm(ts, 1.0).item(), 19.0);
  EXPECT_NEAR(total_norm(ts, 3.0).item(), std::cbrt(1819.0), 1e-12);
  EXPECT_EQ(total_norm(ts, kInf).item(), 12.0);
  EXPECT_NEAR(total_norm(ts, 0.5).item(), std::pow(std::sqrt(3.0) + 2.0 + std::sqrt(12.0), 2.0),
              1e-12);
}

TEST(TotalNorm, AccumulatesInDouble) {
  // 2^24 + 1 ones: float32 accumulation would stop at 2^24.
  const int64_t n = (int64_t{1} << 24) + 1;
  EXPECT_EQ(total_norm({ones({n}, kFloat32)}, 1.0).item(), static_cast<double>(n));
}

TEST(TotalNorm, EmptyNanAndNonContiguous) {
  EXPECT_EQ(total_norm({}).item(), 0.0);
  EXPECT_EQ(total_norm({zeros({0, 3})}).item(), 0.0);
  EXPECT_EQ(total_norm({zeros({0}), tensor({-2.0}, {1})}, kInf).item(), 2.0);
  EXPECT_TRUE(std::isnan(total_norm({tensor({1.0, kNan}, {2})}).item()));
  EXPECT_TRUE(std::isnan(total_norm({tensor({kNan, 1.0}, {2}), tensor({kInf}, {1})}, kInf).item()));
  EXPECT_EQ(total_norm({tensor({1.0, kInf}, {2})}).item(), kInf);
  const Tensor x = test::uniform({5, 7});
  const Tensor xt = x.t();
  ASSERT_FALSE(xt.is_contiguous());
  EXPECT_NEAR(total_norm({xt}).item(), std::sqrt(x.mul(x).sum().item()), 1e-12);
}

TEST(TotalNorm, IsNotRecorded) {
  const Tensor x = leaf(test::uniform({4}));
  EXPECT_FALSE(total_norm({x}).requires_grad());
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(ReduceRows, SumMeanMax) {
  const Tensor x = test::uniform({3, 50, 7});
  const auto R = OpFamily::Reduce;
  test::expect_rows(R, "sum all", [](auto& in) { return sum(in[0]); }, {x});
  test::expect_rows(R, "sum dim 1", [](auto& in) { return sum(in[0], {1}); }, {x});
  test::expect_rows(R, "mean keepdim", [](auto& in) { return mean(in[0], {0, 2}, true); }, {x});
  test::expect_rows(R, "sum over leading dims (bias gradients)",
                    [](auto& in) { return sum(in[0], {0}); }, {test::uniform({9, 13})});
  // float32 sums of 10^5 terms: the reference is float64.
  test::expect_rows(R, "a long sum", [](auto& in) { return sum(in[0], {0}); },
                    {test::uniform({100000, 1})}, {.atol = 1e-3, .rtol = 1e-5});
  test::expect_rows(R, "max over dim 1", [](auto& in) { return max(in[0], 1).values; }, {x});
  test::expect_rows(R, "max over everything", [](auto& in) { return max(in[0]); }, {x});
}

TEST(ReduceRows, TotalNorm) {
  const auto R = OpFamily::Reduce;
  const Tensor a = test::uniform({3, 50, 7}), b = test::uniform({1000});
  for (const double p : {2.0, 1.0, 3.0, kInf}) {
    test::expect_rows(R, "total_norm p=" + std::to_string(p),
                      [p](auto& in) {
                        return total_norm({in[0], in[1]}, p);
                      },
                      {a, b}, {.backward = false});
  }
}

TEST(ReduceRows, ArgmaxAndEmptySumsAgreeAcrossDevices) {
  GPUNN_REQUIRE_GPU();
  const Tensor x = test::uniform({4, 7, 3}).to(kFloat32);
  EXPECT_EQ(argmax(x.to(Device::cuda(0)), 2).to(kCPU).to_vector<int64_t>(),
            argmax(x, 2).to_vector<int64_t>());
  EXPECT_EQ(sum(zeros({0, 3}, Device::cuda(0)), {0}).to(kCPU).to_vector<float>(),
            std::vector<float>(3, 0.0f));
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table reduce_bad_input() {
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

  t.err("options", "total_norm with norm_type 0", [] { total_norm({F({3})}, 0.0); },
        {"total_norm:", "norm_type", "> 0", "got 0"});
  t.err("options", "total_norm with a negative norm_type", [] { total_norm({F({3})}, -2.0); },
        {"total_norm:", "norm_type", "got -2"});
  t.err("options", "total_norm with norm_type NaN", [] { total_norm({F({3})}, kNaN); },
        {"total_norm:", "norm_type", "nan"});
  t.err("dtype", "total_norm of an int64 tensor",
        [] {
          total_norm({F({3}), L({2})});
        },
        {"total_norm:", "tensors[1]", "[2] int64"});
  t.err("undefined", "total_norm of an undefined tensor", [] { total_norm({Tensor()}); },
        {"total_norm:", "tensors[0]", "undefined"});
  t.val("empty", "total_norm of no tensors is 0", [] { return is(total_norm({}), {}, {0}); });
  t.val("nonfinite", "total_norm with inf is inf", [] {
    return is(total_norm({V({1, kInf}, {2})}), {}, {kInf});
  });
  return t;
}

TEST(ReduceBadInput, Table) { run_table(reduce_bad_input()); }

}  // namespace gpunn::bad_input
