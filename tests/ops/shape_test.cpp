// Shape ops: view, reshape, flatten, transpose/t, permute, slice, narrow,
// select, squeeze, unsqueeze, expand (views), cat and stack (copies).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

using test::derivatives_ok;
using test::values_near;

TEST(Shape, ViewsShareStorage) {
  Tensor x = arange(24, kFloat64).reshape({2, 3, 4});
  EXPECT_EQ(x.view({6, 4}).data_ptr(), x.data_ptr());
  EXPECT_EQ(x.view({-1, 2}).shape(), (Shape{12, 2}));
  Tensor t = x.transpose(0, 2);
  EXPECT_EQ(t.shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(t.strides(), (Shape{1, 4, 12}));
  EXPECT_EQ(x.permute({2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(x.permute({-1, 0, 1}).strides(), (Shape{1, 12, 4}));
  Tensor s = x.slice(2, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.storage_offset(), 1);
  EXPECT_TRUE(values_near(s.select(0, 1).select(0, 2), {21, 23}, 0));
  EXPECT_TRUE(values_near(x.narrow(1, 1, 1).flatten(), {4, 5, 6, 7, 16, 17, 18, 19}, 0));
  EXPECT_TRUE(values_near(x[1][2], {20, 21, 22, 23}, 0));
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 2, 3, 4}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.unsqueeze(1).squeeze(1).shape(), x.shape());
  EXPECT_EQ(zeros({1, 3, 1}).squeeze().shape(), (Shape{3}));
  EXPECT_EQ(zeros({2, 3}).squeeze(0).shape(), (Shape{2, 3}));  // not size 1: unchanged
  EXPECT_EQ(x.flatten(1).shape(), (Shape{2, 12}));
  EXPECT_EQ(scalar_tensor(1).flatten().shape(), (Shape{1}));
  Tensor e = tensor({1, 2, 3}, kFloat64).reshape({3, 1}).expand({3, 4});
  EXPECT_EQ(e.strides(), (Shape{1, 0}));
  EXPECT_TRUE(values_near(e.select(1, 3), {1, 2, 3}, 0));
  EXPECT_EQ(ones({3}).expand({2, -1}).shape(), (Shape{2, 3}));
  // Writes through a view reach the base.
  x.select(0, 0).select(0, 0).fill_(-1);
  EXPECT_EQ(x.to_vector<double>()[3], -1);
}

TEST(Shape, SliceBoundsArePythonStyle) {
  Tensor x = arange(10, kFloat64);
  EXPECT_TRUE(values_near(x.slice(0, -3, 10), {7, 8, 9}, 0));
  EXPECT_TRUE(values_near(x.slice(0, 8, 100), {8, 9}, 0));
  EXPECT_EQ(x.slice(0, 5, 2).numel(), 0);
  EXPECT_TRUE(values_near(x.slice(0, 1, 8, 3), {1, 4, 7}, 0));
  EXPECT_TRUE(values_near(x.narrow(0, -2, 2), {8, 9}, 0));
  EXPECT_TRUE(values_near(x.select(0, -1), {9}, 0));
}

TEST(Shape, ReshapeCopiesOnlyWhenItMust) {
  Tensor x = arange(6, kFloat64).reshape({2, 3});
  Tensor t = x.t();  // [3, 2], not contiguous
  EXPECT_THROWS_WITH(t.view({6}), "view", "[3, 2]", "reshape");
  Tensor r = t.reshape({6});
  EXPECT_NE(r.data_ptr(), x.data_ptr());
  EXPECT_TRUE(values_near(r, {0, 3, 1, 4, 2, 5}, 0));
  // Merging dims that are contiguous with each other needs no copy, even in a
  // non-contiguous tensor.
  Tensor y = arange(24, kFloat64).reshape({2, 3, 4}).slice(2, 0, 2);  // [2, 3, 2]
  EXPECT_FALSE(y.is_contiguous());
  EXPECT_EQ(y.reshape({6, 2}).data_ptr(), y.data_ptr());
  EXPECT_TRUE(values_near(y.reshape({6, 2}).select(1, 1), {1, 5, 9, 13, 17, 21}, 0));
  Tensor z = arange(24, kFloat64).reshape({4, 6}).slice(1, 0, 6, 2);  // [4, 3]
  EXPECT_EQ(z.reshape({2, 2, 3}).data_ptr(), z.data_ptr());
}

TEST(Shape, Derivatives) {
  test::reseed(21);
  Tensor x = test::leaf(test::uniform({2, 3, 4}));
  using V = std::vector<Tensor>;
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].reshape({4, 6}) * 2.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].view({-1}) * 2.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].transpose(0, 2).contiguous(); }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].permute({1, 2, 0}) * 1.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].slice(2, 1, 4, 2) * 1.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].narrow(1, 1, 2) * 1.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].select(1, -1) * 1.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].unsqueeze(1).squeeze() * 1.0; }, {x}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].flatten(0, 1) * 1.0; }, {x}));
  Tensor y = test::leaf(test::uniform({3, 1}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].expand({2, 3, 5}) * 1.0; }, {y}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].t() * 1.0; }, {y}));
  Tensor s = test::leaf(test::uniform({1}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return v[0].reshape({}) * 1.0; }, {s}));
}

TEST(Shape, CatAndStack) {
  Tensor a = tensor({1, 2, 3, 4}, {2, 2}, kFloat64);
  Tensor b = tensor({5, 6}, {1, 2}, kFloat64);
  EXPECT_TRUE(values_near(cat({a, b}), {1, 2, 3, 4, 5, 6}, 0));
  EXPECT_EQ(cat({a, b}).shape(), (Shape{3, 2}));
  EXPECT_TRUE(values_near(cat({a, a.t()}, 1), {1, 2, 1, 3, 3, 4, 2, 4}, 0));
  EXPECT_TRUE(values_near(cat({a, zeros({0, 2}, kFloat64)}), {1, 2, 3, 4}, 0));
  Tensor s = stack({tensor({1, 2}, kFloat64), tensor({3, 4}, kFloat64)}, 1);
  EXPECT_EQ(s.shape(), (Shape{2, 2}));
  EXPECT_TRUE(values_near(s, {1, 3, 2, 4}, 0));
  EXPECT_EQ(stack({a, a}, -1).shape(), (Shape{2, 2, 2}));
}

TEST(Shape, CatAndStackDerivatives) {
  test::reseed(22);
  Tensor a = test::leaf(test::uniform({2, 3}));
  Tensor b = test::leaf(test::uniform({1, 3}));
  Tensor c = test::uniform({2, 3});  // takes part but needs no gradient
  using V = std::vector<Tensor>;
  EXPECT_TRUE(derivatives_ok([](const V& v) { return cat({v[0], v[1], v[0]}, 0); }, {a, b}));
  EXPECT_TRUE(derivatives_ok([&](const V& v) { return cat({v[0], c}, 1); }, {a}));
  EXPECT_TRUE(derivatives_ok([&](const V& v) { return stack({v[0], c, v[0]}, 1); }, {a}));
}

TEST(Shape, BadInput) {
  Tensor x = zeros({2, 3});
  EXPECT_THROWS_WITH(x.view({4, 2}), "view", "[4, 2]", "[2, 3]");
  EXPECT_THROWS_WITH(x.reshape({-1, -1}), "reshape", "one dim may be -1");
  EXPECT_THROWS_WITH(x.reshape({-1, 4}), "reshape", "[-1, 4]", "6 elements");
  EXPECT_THROWS_WITH(x.transpose(0, 2), "transpose", "dim 2", "2 dims");
  EXPECT_THROWS_WITH(x.permute({0, 0}), "permute", "repeats");
  EXPECT_THROWS_WITH(x.permute({0}), "permute", "[2, 3]");
  EXPECT_THROWS_WITH(x.select(1, 3), "select", "index 3", "size 3");
  EXPECT_THROWS_WITH(x.narrow(1, 2, 2), "narrow", "start 2", "length 2");
  EXPECT_THROWS_WITH(x.slice(0, 0, 2, 0), "slice", "step");
  EXPECT_THROWS_WITH(x.expand({4, 3}), "expand", "[2, 3]", "[4, 3]");
  EXPECT_THROWS_WITH(x.expand({3}), "expand", "fewer dims");
  EXPECT_THROWS_WITH(x.unsqueeze(4), "unsqueeze", "dim 4");
  EXPECT_THROWS_WITH(zeros({2, 2, 2}).t(), "t", "at most 2 dims");
  EXPECT_THROWS_WITH(cat({}), "cat", "at least one");
  EXPECT_THROWS_WITH(cat({x, zeros({2, 4})}), "cat", "[2, 4]", "[2, 3]");
  EXPECT_THROWS_WITH(cat({x, zeros({2, 3}, kFloat64)}), "cat", "float64");
  EXPECT_THROWS_WITH(cat({scalar_tensor(1)}), "cat", "0-D");
  EXPECT_THROWS_WITH(stack({x, zeros({3, 2})}), "stack", "[3, 2]", "[2, 3]");
}

}  // namespace
}  // namespace gpunn
