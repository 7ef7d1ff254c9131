// Shape ops: view, reshape, flatten, transpose/t, permute, slice, narrow,
// select, squeeze, unsqueeze, expand (views), cat and stack (copies).
#include <gpunn/gpunn.h>
#include <gpunn/testing/gradcheck.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "reliability/bad_input.h"
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

TEST(Shape, Unbind) {
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  const std::vector<Tensor> rows = unbind(a), cols = unbind(a, -1);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_TRUE(values_near(rows[1], {4, 5, 6}, 0));
  EXPECT_TRUE(values_near(cols[2], {3, 6}, 0));
  EXPECT_EQ(cols[0].shape(), (Shape{2}));
  EXPECT_EQ(rows[0].data_ptr(), a.data_ptr());  // views, no copies
  EXPECT_TRUE(unbind(zeros({0, 2})).empty());
  EXPECT_THROWS_WITH(unbind(scalar_tensor(1.0)), "unbind", "0-D");
  EXPECT_THROWS_WITH(unbind(a, 2), "unbind", "dim 2");
}

TEST(Shape, UnbindDerivatives) {
  test::reseed(23);
  Tensor a = test::leaf(test::uniform({3, 2, 4}));
  using V = std::vector<Tensor>;
  // Every slice, some slices (the others get zeros), slices used twice.
  EXPECT_TRUE(derivatives_ok([](const V& v) { return stack(unbind(v[0], 1), 0); }, {a}));
  EXPECT_TRUE(derivatives_ok(
      [](const V& v) {
        const std::vector<Tensor> s = unbind(v[0], 2);
        return s[1] * s[3] + s[1];
      },
      {a}));
  // One node for all slices: the gradient of x is made once, not once per slice.
  const std::vector<Tensor> s = unbind(a, 0);
  EXPECT_EQ(s[0].grad_fn_name(), "unbind_backward");
  const Tensor g = autograd::grad({(s[2] * 2.0).sum()}, {a})[0];
  EXPECT_TRUE(values_near(g.narrow(0, 0, 2), std::vector<double>(16, 0.0), 0));
  EXPECT_TRUE(values_near(g.narrow(0, 2, 1), std::vector<double>(8, 2.0), 0));
  EXPECT_TRUE(testing::gradgradcheck(
      [](const V& v) {
        const std::vector<Tensor> t = unbind(v[0], 0);
        return t[0] * t[1] * t[2];
      },
      {a}));
}

TEST(Shape, CudaUnbindMatchesTheCpu) {
  GPUNN_REQUIRE_GPU();
  test::reseed(24);
  const Tensor a = test::uniform({3, 4, 2});
  const Tensor ac = a.clone().to(Device::cuda(0)).requires_grad_(true);
  const std::vector<Tensor> s = unbind(ac, 1);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(values_near(s[2].to(kCPU), a.select(1, 2).contiguous().to_vector<double>(), 0));
  (s[1] * s[3]).sum().backward();
  const Tensor g = ac.grad().to(kCPU);
  EXPECT_TRUE(values_near(g.select(1, 1), a.select(1, 3).contiguous().to_vector<double>(), 0));
  EXPECT_TRUE(values_near(g.select(1, 0), std::vector<double>(6, 0.0), 0));
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

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table shape_bad_input() {
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

TEST(ShapeBadInput, Table) { run_table(shape_bad_input()); }

}  // namespace gpunn::bad_input
