// embedding: rows of a [V, D] weight looked up by int64 indices of any shape; and
// index_select: slices along any dim picked by a list of indices (repeats allowed).
//
// Same parts as every op test file (see elementwise_test.cpp):
//   1. hand-checked lookups in float32 and float64, and values and weight
//      gradients against fixed float64 references from PyTorch;
//   2. gradient check in double over several index shapes (0-D, 1-D with
//      repeats, 2-D, 3-D) and weight sizes, size 1 too;
//   3. forward mode (JVP) against finite differences and reverse mode;
//   4. edge cases (repeated indices accumulate, padding_idx gets no gradient,
//      empty and non-contiguous indices);
//   5. bad input: gpunn::Error naming the op, the index and the shapes.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <optional>
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

// Tolerances against the float64 references: a gradient row sums several
// upstream rows, possibly in a different order than PyTorch.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

// ---- 1. forward values --------------------------------------------------------------------

class EmbeddingTyped : public ::testing::TestWithParam<DType> {};

TEST_P(EmbeddingTyped, HandChecked) {
  const DType dt = GetParam();
  // Row v of the weight is {3v, 3v + 1, 3v + 2}.
  Tensor w = arange(12, dt).reshape({4, 3});
  Tensor y = embedding(tensor_from(std::vector<int64_t>{2, 0, 3, 2}, {4}), w);
  EXPECT_EQ(y.shape(), (Shape{4, 3}));
  EXPECT_EQ(y.dtype(), dt);
  EXPECT_TRUE(values_near(y, {6, 7, 8, 0, 1, 2, 9, 10, 11, 6, 7, 8}, 0));
  // A 0-D index gives one row, [D].
  Tensor one = embedding(tensor_from(std::vector<int64_t>{1}, {}), w);
  EXPECT_EQ(one.shape(), (Shape{3}));
  EXPECT_TRUE(values_near(one, {3, 4, 5}, 0));
  // 2-D indices give [2, 2, D].
  Tensor two = embedding(tensor_from(std::vector<int64_t>{3, 1, 0, 0}, {2, 2}), w);
  EXPECT_EQ(two.shape(), (Shape{2, 2, 3}));
  EXPECT_TRUE(values_near(two, {9, 10, 11, 3, 4, 5, 0, 1, 2, 0, 1, 2}, 0));
  // padding_idx changes only the gradient: the row is still looked up.
  EXPECT_TRUE(
      values_near(embedding(tensor_from(std::vector<int64_t>{2}, {1}), w, 2), {6, 7, 8}, 0));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, EmbeddingTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// weight [5, 3], indices [[0, 2, 0], [4, 1, 2]] and the values below: from
// PyTorch 1.13 in float64 (torch.nn.functional.embedding; dw from backward of
// (y * gy).sum()).
const std::vector<double> kRefWeight = {-0.49, 0.55,  -0.33, 0.44,  0.76, -0.57, -0.22, -0.18,
                                        -0.13, -0.78, -0.74, -0.36, 0.63, 0.44,  0.25};

struct EmbeddingReference {
  std::vector<double> gy, y, dw;
};

void check_reference(std::optional<int64_t> padding_idx, const EmbeddingReference& r) {
  Tensor w = leaf(tensor(kRefWeight, {5, 3}, kFloat64));
  Tensor idx = tensor_from(std::vector<int64_t>{0, 2, 0, 4, 1, 2}, {2, 3});
  Tensor y = embedding(idx, w, padding_idx);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3}));
  EXPECT_TRUE(values_near(y, r.y, 0));  // copies of weight rows: exact
  y.backward(tensor(r.gy, y.shape(), kFloat64));
  EXPECT_TRUE(values_near(w.grad(), r.dw, kRefAtol, kRefRtol));
}

TEST(Embedding, TorchReference) {
  // clang-format off
  {
    SCOPED_TRACE("no padding_idx");
    check_reference(std::nullopt, {
        .gy = {-0.25, 0.72, 0.05, 0.03, 0.7, -0.25, 0.34, 0.89, 0.24, 0.75, -0.23, -0.71, -0.62,
               0.57, 0.24, -0.25, -0.86, -0.11},
        .y = {-0.48999999999999999, 0.55000000000000004, -0.33000000000000002, -0.22,
              -0.17999999999999999, -0.13, -0.48999999999999999, 0.55000000000000004,
              -0.33000000000000002, 0.63, 0.44, 0.25, 0.44, 0.76000000000000001,
              -0.56999999999999995, -0.22, -0.17999999999999999, -0.13},
        .dw = {0.090000000000000024, 1.6099999999999999, 0.28999999999999998, -0.62,
               0.56999999999999995, 0.23999999999999999, -0.22, -0.16000000000000003,
               -0.35999999999999999, 0, 0, 0, 0.75, -0.23000000000000001, -0.70999999999999996},
    });
  }
  {
    SCOPED_TRACE("padding_idx 2");
    check_reference(2, {
        .gy = {-0.09, -0.03, -0.1, 0.34, -0.33, 0.25, -0.25, -0.28, 0.63, -0.01, 0.68, 0.62, 0.36,
               0.81, 0.48, -0.75, -0.82, 0.53},
        .y = {-0.48999999999999999, 0.55000000000000004, -0.33000000000000002, -0.22,
              -0.17999999999999999, -0.13, -0.48999999999999999, 0.55000000000000004,
              -0.33000000000000002, 0.63, 0.44, 0.25, 0.44, 0.76000000000000001,
              -0.56999999999999995, -0.22, -0.17999999999999999, -0.13},
        .dw = {-0.33999999999999997, -0.31000000000000005, 0.53000000000000003, 0.35999999999999999,
               0.81000000000000005, 0.47999999999999998, 0, 0, 0, 0, 0, 0, -0.01,
               0.68000000000000005, 0.62},
    });
  }
  // clang-format on
}

// ---- 2 and 3. gradients, reverse and forward mode ---------------------------------------------

TEST(Embedding, Derivatives) {
  test::reseed(51);
  const std::vector<std::pair<Shape, std::vector<int64_t>>> index_cases = {
      {{}, {2}},
      {{1}, {0}},
      {{5}, {1, 3, 1, 1, 0}},
      {{2, 3}, {3, 3, 0, 2, 1, 3}},
      {{2, 1, 2}, {0, 4, 4, 2}},
  };
  for (const auto& [shape, values] : index_cases) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    Tensor idx = tensor_from(values, shape);
    EXPECT_TRUE(derivatives_ok([idx](const auto& v) { return embedding(idx, v[0]); },
                               {leaf(uniform({5, 3}))}));
  }
  // One embedding of size 1.
  Tensor idx = tensor_from(std::vector<int64_t>{0, 0}, {2});
  EXPECT_TRUE(derivatives_ok([idx](const auto& v) { return embedding(idx, v[0]); },
                             {leaf(uniform({1, 1}))}));
  // A padding_idx that no index uses changes nothing.
  Tensor idx2 = tensor_from(std::vector<int64_t>{1, 2, 1}, {3});
  EXPECT_TRUE(derivatives_ok([idx2](const auto& v) { return embedding(idx2, v[0], 0); },
                             {leaf(uniform({4, 2}))}));
}

// ---- 4. edge cases --------------------------------------------------------------------------

TEST(Embedding, RepeatedIndicesAccumulate) {
  Tensor w = leaf(zeros({4, 2}, kFloat64));
  Tensor idx = tensor_from(std::vector<int64_t>{1, 1, 3, 1}, {2, 2});
  Tensor gy = tensor({1, 2, 10, 20, 100, 200, 1000, 2000}, {2, 2, 2}, kFloat64);
  embedding(idx, w).backward(gy);
  EXPECT_TRUE(values_near(w.grad(), {0, 0, 1011, 2022, 0, 0, 100, 200}, 0));
  // A second backward adds on top (parameter gradients accumulate).
  embedding(idx, w).backward(gy);
  EXPECT_TRUE(values_near(w.grad(), {0, 0, 2022, 4044, 0, 0, 200, 400}, 0));
}

TEST(Embedding, PaddingIdxGetsNoGradient) {
  Tensor idx = tensor_from(std::vector<int64_t>{0, 2, 3, 2}, {4});
  Tensor gy = tensor({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}, kFloat64);
  Tensor w = leaf(ones({4, 2}, kFloat64));
  embedding(idx, w, 2).backward(gy);
  EXPECT_TRUE(values_near(w.grad(), {1, 2, 0, 0, 0, 0, 5, 6}, 0));
  // A negative padding_idx counts from the end: -1 is row 3.
  Tensor w2 = leaf(ones({4, 2}, kFloat64));
  embedding(idx, w2, -1).backward(gy);
  EXPECT_TRUE(values_near(w2.grad(), {1, 2, 0, 0, 10, 12, 0, 0}, 0));
}

TEST(Embedding, Tangent) {
  // Forward mode: the tangent of y is the same lookup in the weight's tangent.
  test::reseed(52);
  Tensor w = uniform({5, 2}), t = uniform({5, 2});
  Tensor idx = tensor_from(std::vector<int64_t>{4, 0, 4}, {3});
  auto [y, ty] =
      autograd::jvp([&](const std::vector<Tensor>& v) { return embedding(idx, v[0]); }, {w}, {t});
  EXPECT_TRUE(test::tensors_near(y, embedding(idx, w), 0));
  EXPECT_TRUE(test::tensors_near(ty, embedding(idx, t), 0));
}

TEST(Embedding, EmptyIndices) {
  Tensor w = leaf(uniform({4, 3}));
  Tensor y = embedding(zeros({0}, kInt64), w);
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  Tensor y2 = embedding(zeros({2, 0}, kInt64), w);
  EXPECT_EQ(y2.shape(), (Shape{2, 0, 3}));
  (y.sum() + y2.sum()).backward();
  EXPECT_TRUE(values_near(w.grad(), std::vector<double>(12, 0.0), 0));
}

TEST(Embedding, NonContiguousInputs) {
  test::reseed(53);
  Tensor idx = tensor_from(std::vector<int64_t>{0, 1, 2, 3, 4, 0}, {2, 3}).t();  // [3, 2]
  ASSERT_FALSE(idx.is_contiguous());
  Tensor w = uniform({3, 5}).t();  // [5, 3]
  ASSERT_FALSE(w.is_contiguous());
  Tensor y = embedding(idx, w);
  EXPECT_EQ(y.shape(), (Shape{3, 2, 3}));
  EXPECT_TRUE(test::tensors_near(y, embedding(idx.contiguous(), w.contiguous()), 0));
  // Row by row: y[i, j] = w[idx[i, j]].
  const std::vector<int64_t> iv = idx.to_vector<int64_t>();
  for (size_t k = 0; k < iv.size(); ++k) {
    EXPECT_TRUE(test::tensors_near(y.reshape({6, 3})[static_cast<int64_t>(k)], w[iv[k]], 0));
  }
  EXPECT_TRUE(derivatives_ok([idx](const auto& v) { return embedding(idx, v[0]); }, {leaf(w)}));
}

// ---- 5. bad input ---------------------------------------------------------------------------

TEST(Embedding, BadInput) {
  Tensor w = zeros({4, 3});
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0, 3, 4}, {3}), w),
                     "embedding: index 4", "out of range", "4 embeddings", "[4, 3]");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{-1}, {1}), w), "embedding",
                     "index -1", "out of range");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0, 1, 2, 9}, {2, 2}), w),
                     "embedding", "index 9");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{7}, {}), w), "embedding",
                     "index 7");
  // Indices must be int64; the weight a float matrix.
  EXPECT_THROWS_WITH(embedding(tensor({0, 1}, {2}), w), "embedding", "indices", "float32");
  EXPECT_THROWS_WITH(embedding(tensor({0, 1}, {2}, kFloat64), w), "embedding", "indices",
                     "float64");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0}, {1}), zeros({5})), "embedding",
                     "weight", "[5]");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0}, {1}), zeros({2, 2, 2})),
                     "embedding", "weight", "[2, 2, 2]");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0}, {1}), zeros({4, 3}, kInt64)),
                     "embedding", "weight", "int64");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0}, {1}), w, 4), "embedding",
                     "padding_idx 4");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0}, {1}), w, -5), "embedding",
                     "padding_idx -5");
  EXPECT_THROWS_WITH(embedding(Tensor(), w), "embedding", "indices", "undefined");
  EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{0}, {1}), Tensor()), "embedding",
                     "weight", "undefined");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

// ---- index_select ---------------------------------------------------------------------------

// x = [[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]] in every dtype index_select takes.
TEST(IndexSelect, HandChecked) {
  for (const DType dt : {kFloat32, kFloat64, kInt64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor x = tensor({0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}, {3, 4}, dt);
    const Tensor rows = index_select(x, 0, tensor_from(std::vector<int64_t>{2, 0, 2}, {3}));
    EXPECT_EQ(rows.dtype(), dt);
    EXPECT_EQ(rows.shape(), (Shape{3, 4}));
    EXPECT_EQ(rows.to(kFloat64).to_vector<double>(),
              (std::vector<double>{20, 21, 22, 23, 0, 1, 2, 3, 20, 21, 22, 23}));
    const Tensor cols = index_select(x, -1, tensor_from(std::vector<int64_t>{3, 1}, {2}));
    EXPECT_EQ(cols.shape(), (Shape{3, 2}));
    EXPECT_EQ(cols.to(kFloat64).to_vector<double>(), (std::vector<double>{3, 1, 13, 11, 23, 21}));
    // A 0-D index keeps the dim, with size 1; an empty one leaves size 0.
    EXPECT_EQ(index_select(x, 1, tensor_from(std::vector<int64_t>{2}, {})).shape(), (Shape{3, 1}));
    EXPECT_EQ(index_select(x, 0, tensor_from(std::vector<int64_t>{}, {0})).shape(), (Shape{0, 4}));
  }
}

TEST(IndexSelect, MiddleDimOfA3DTensor) {
  const Tensor x = arange(24.0, kFloat64).view({2, 3, 4});
  const Tensor y = index_select(x, 1, tensor_from(std::vector<int64_t>{1, 1, 0}, {3}));
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(y.to_vector<double>(),
            (std::vector<double>{4,  5,  6,  7,  4,  5,  6,  7,  0,  1,  2,  3,
                                 16, 17, 18, 19, 16, 17, 18, 19, 12, 13, 14, 15}));
}

// dx sums dy over repeated indices: rows 1 (twice) and 3 (once) of x [4, 2].
TEST(IndexSelect, RepeatedIndicesAddUpInTheGradient) {
  Tensor x = leaf(uniform({4, 2}));
  const Tensor y = index_select(x, 0, tensor_from(std::vector<int64_t>{1, 3, 1}, {3}));
  sum(mul(y, tensor({1, 2, 3, 4, 5, 6}, {3, 2}, kFloat64))).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 6, 8, 0, 0, 3, 4}));
}

TEST(IndexSelect, Derivatives) {
  test::reseed(52);
  const Tensor repeats = tensor_from(std::vector<int64_t>{2, 0, 2, 1, 2}, {5});
  for (const int64_t dim : {0, 1, 2, -1}) {
    SCOPED_TRACE(dim);
    EXPECT_TRUE(derivatives_ok([&](const auto& v) { return index_select(v[0], dim, repeats); },
                               {leaf(uniform({3, 3, 3}))}));
  }
  const Tensor one = tensor_from(std::vector<int64_t>{0}, {});
  EXPECT_TRUE(derivatives_ok([&](const auto& v) { return index_select(v[0], 0, one); },
                             {leaf(uniform({1}))}));
  // Non-contiguous input.
  EXPECT_TRUE(
      derivatives_ok([&](const auto& v) { return index_select(v[0].transpose(0, 1), 0, repeats); },
                     {leaf(uniform({4, 3}))}));
}

TEST(IndexSelect, IntegerInputHasNoGradientButSelects) {
  const Tensor labels = tensor_from(std::vector<int64_t>{7, 8, 9}, {3});
  const Tensor y = index_select(labels, 0, tensor_from(std::vector<int64_t>{2, 2, 0}, {3}));
  EXPECT_EQ(y.to_vector<int64_t>(), (std::vector<int64_t>{9, 9, 7}));
  EXPECT_FALSE(y.requires_grad());
}

TEST(IndexRows, EmbeddingGatherScatterCatStack) {
  const Tensor idx = tensor_from(std::vector<int64_t>{3, 0, 3, 5, 1, 3}, {2, 3});
  test::expect_rows(OpFamily::Index, "embedding with padding_idx",
                    [&](auto& in) { return embedding(test::like(idx, in[0]), in[0], 5); },
                    {test::uniform({6, 4})});
  const Tensor picks = tensor_from(std::vector<int64_t>{4, 0, 4, 2, 4, 4, 1}, {7});
  test::expect_rows(OpFamily::Index, "index_select dim 1 with repeats",
                    [&](auto& in) { return index_select(in[0], 1, test::like(picks, in[0])); },
                    {test::uniform({3, 5, 6})});
  // max along a dim gathers its values and scatters its gradient.
  test::expect_rows(OpFamily::Index, "max over a dim (gather, scatter_add)",
                    [](auto& in) { return max(in[0], 1).values; }, {test::uniform({4, 7, 3})});
  test::expect_rows(OpFamily::Copy, "cat",
                    [](auto& in) {
                      return cat({in[0], in[1]}, 1);
                    },
                    {test::uniform({2, 3}), test::uniform({2, 5})});
  test::expect_rows(OpFamily::Copy, "stack",
                    [](auto& in) {
                      return stack({in[0], in[1]}, 0);
                    },
                    {test::uniform({2, 3}), test::uniform({2, 3})});
}

TEST(IndexRows, BadIndexOnEveryDevice) {
  for (const test::ImplRow& row : test::impl_rows()) {
    EXPECT_THROWS_WITH(embedding(tensor_from(std::vector<int64_t>{9}, {1}).to(row.device),
                                 zeros({6, 4}, row.device)),
                       "embedding", "index 9");
  }
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table index_bad_input() {
  Table t;
  t.err("index", "index_select index equal to the dim's size",
        [] {
          index_select(F({3, 4}), 1, I({0, 4}));
        },
        {"index_select:", "index 4", "position 1", "dim 1 of size 4", "[3, 4]"});
  t.err("index", "index_select of a negative index", [] { index_select(F({3}), 0, I({-1})); },
        {"index_select:", "index -1", "size 3"});
  t.err("dim", "index_select over dim 2 of a 2-D tensor",
        [] {
          index_select(F({3, 4}), 2, I({0}));
        },
        {"index_select:", "dim 2", "[3, 4]"});
  t.err("dtype", "index_select with float indices", [] { index_select(F({3}), 0, F({2})); },
        {"index_select:", "index", "int64", "[2] float32"});
  t.err("rank", "index_select with a 2-D index",
        [] {
          index_select(F({3}), 0, L({1, 2}));
        },
        {"index_select:", "0 or 1 dims", "[1, 2] int64"});
  t.err("rank", "index_select of a 0-D input", [] { index_select(F({}), 0, I({0})); },
        {"index_select:", "at least one dim"});
  t.err("undefined", "index_select of an undefined tensor",
        [] { index_select(Tensor(), 0, I({0})); }, {"index_select:", "undefined"});
  t.val("empty", "index_select with no indices", [] {
    return is(index_select(F({3, 2}), 0, I({})), {0, 2});
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

TEST(IndexBadInput, Table) { run_table(index_bad_input()); }

}  // namespace gpunn::bad_input
