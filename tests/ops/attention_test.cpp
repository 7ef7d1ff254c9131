// scaled_dot_product_attention.
//
// The oracle is the composed product written here with public ops in float64,
// softmax(scale · q kᵀ + mask) v, against which the fused reference loops are checked for
// values and gradients with and without causal and padding masks, odd T and D, 3-D inputs;
// dropout is checked through its mask (rebuilt with gpunn::rand from the generator's state);
// float64 gradient, JVP and second-derivative checks; fully masked rows (documented: zeros,
// no gradient); every implementation row on NaN-poisoned outputs with T and S across tile
// edges; the 16-bit dtypes; bad input.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/rows.h"
#include "ops/seq.h"
#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using test::derivatives_ok;
using test::tensors_near;
using test::values_near;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The oracle: softmax(scale q kᵀ + mask [+ causal]) [⊙ z] v, every op public and recorded.
Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal,
                double scale, const Tensor& z = Tensor()) {
  Tensor s = mul(matmul(q, k.transpose(-2, -1)), scale);
  if (mask.defined()) s = add(s, mask);
  if (causal) {
    const int64_t T = q.shape()[q.dim() - 2], S = k.shape()[k.dim() - 2];
    std::vector<double> c(static_cast<size_t>(T * S), 0.0);
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = i + 1; j < S; ++j) c[static_cast<size_t>(i * S + j)] = -kInf;
    s = add(s, tensor(c, {T, S}, q.dtype()));
  }
  Tensor p = softmax(s, -1);
  if (z.defined()) p = mul(p, z);
  return matmul(p, v);
}

// A mask with -inf at a fixed pseudo-random ~30% of its elements, but never a whole row.
Tensor random_mask(const Shape& shape, DType dt = kFloat64) {
  const Tensor u = test::uniform(shape, 0.0, 1.0);
  std::vector<double> m = u.to_vector<double>();
  const int64_t S = shape.back();
  for (size_t e = 0; e < m.size(); ++e) {
    const bool first = static_cast<int64_t>(e) % S == 0;  // keep one key per row
    m[e] = (!first && m[e] < 0.3) ? -kInf : 0.5 * (m[e] - 0.5);
  }
  return tensor(m, shape, dt);
}

struct Case {
  std::string name;
  int64_t B, H, T, S, D, Dv;
  Shape mask;  // empty: none
  bool causal;
};

std::vector<Case> cases() {
  return {{"plain", 2, 3, 5, 7, 4, 6, {}, false},
          {"causal square", 2, 2, 6, 6, 3, 3, {}, true},
          {"causal T < S", 1, 2, 4, 9, 5, 2, {}, true},
          {"causal T > S", 1, 1, 7, 3, 2, 4, {}, true},
          {"mask [T, S]", 2, 2, 5, 6, 3, 5, {5, 6}, false},
          {"key padding [B, 1, 1, S]", 3, 2, 4, 5, 3, 3, {3, 1, 1, 5}, false},
          {"mask [B, H, T, S] and causal", 2, 3, 5, 5, 4, 4, {2, 3, 5, 5}, true},
          {"one key", 2, 1, 3, 1, 2, 3, {}, false},
          {"one query", 1, 2, 1, 8, 7, 1, {1, 8}, false}};
}

TEST(Attention, MatchesTheComposedProductWithItsGradients) {
  test::reseed(11);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Tensor q = test::leaf(test::uniform({c.B, c.H, c.T, c.D}));
    const Tensor k = test::leaf(test::uniform({c.B, c.H, c.S, c.D}));
    const Tensor v = test::leaf(test::uniform({c.B, c.H, c.S, c.Dv}));
    const Tensor mask = c.mask.empty() ? Tensor() : random_mask(c.mask);
    const double scale = 1.0 / std::sqrt(static_cast<double>(c.D));
    const Tensor y = scaled_dot_product_attention(q, k, v, {.mask = mask, .causal = c.causal});
    const Tensor want = composed(q, k, v, mask, c.causal, scale);
    ASSERT_EQ(y.shape(), (Shape{c.B, c.H, c.T, c.Dv}));
    EXPECT_TRUE(tensors_near(y, want.detach(), 1e-13, 1e-12));
    const Tensor r = test::weights_like(y);
    const auto g = autograd::grad({sum(mul(y, r))}, {q, k, v});
    const auto gw = autograd::grad({sum(mul(want, r))}, {q, k, v});
    for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(tensors_near(g[i], gw[i], 1e-12, 1e-11)) << i;
  }
}

TEST(Attention, ThreeDimensionalInputsAndAnExplicitScale) {
  test::reseed(12);
  const Tensor q = test::leaf(test::uniform({3, 5, 4}));
  const Tensor k = test::leaf(test::uniform({3, 6, 4}));
  const Tensor v = test::leaf(test::uniform({3, 6, 2}));
  const Tensor mask = random_mask({3, 5, 6});
  const Tensor y = scaled_dot_product_attention(q, k, v, {.mask = mask, .scale = 0.7});
  EXPECT_EQ(y.shape(), (Shape{3, 5, 2}));
  EXPECT_TRUE(tensors_near(y, composed(q, k, v, mask, false, 0.7).detach(), 1e-13, 1e-12));
  EXPECT_TRUE(derivatives_ok(
      [&](const auto& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], {.mask = mask, .scale = 0.7});
      },
      {q, k, v}));
}

TEST(Attention, GradientAndJvpChecks) {
  test::reseed(13);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    const Tensor q = test::leaf(test::uniform({c.B, c.H, c.T, c.D}));
    const Tensor k = test::leaf(test::uniform({c.B, c.H, c.S, c.D}));
    const Tensor v = test::leaf(test::uniform({c.B, c.H, c.S, c.Dv}));
    const Tensor mask = c.mask.empty() ? Tensor() : random_mask(c.mask);
    EXPECT_TRUE(derivatives_ok(
        [&](const auto& in) {
          return scaled_dot_product_attention(in[0], in[1], in[2],
                                              {.mask = mask, .causal = c.causal});
        },
        {q, k, v}));
  }
}

TEST(Attention, DropoutIsTheComposedProductWithItsMask) {
  test::reseed(14);
  const int64_t B = 2, H = 3, T = 9, S = 11, D = 5;
  const Tensor q = test::leaf(test::uniform({B, H, T, D}));
  const Tensor k = test::leaf(test::uniform({B, H, S, D}));
  const Tensor v = test::leaf(test::uniform({B, H, S, D}));
  const double p = 0.3;
  Generator g(77);
  const Generator::State before = g.state();
  const Tensor y =
      scaled_dot_product_attention(q, k, v, {.causal = true, .dropout_p = p, .generator = &g});
  // The call advanced the generator by one block per score.
  EXPECT_EQ(g.state().offset, before.offset + static_cast<uint64_t>(B * H * T * S));
  // The mask: the float32 draws of rand from the same state, kept below float(1 - p).
  Generator g2;
  g2.set_state(before);
  const Tensor u = rand({B, H, T, S}, kFloat32, &g2);
  const Tensor z =
      mul(lt(u, static_cast<double>(static_cast<float>(1.0 - p))).to(kFloat64), 1.0 / (1.0 - p));
  const double kept = mean(lt(u, 1.0 - p)).item<double>();
  EXPECT_NEAR(kept, 1.0 - p, 0.06);  // 594 draws
  const Tensor want = composed(q, k, v, Tensor(), true, 1.0 / std::sqrt(5.0), z);
  EXPECT_TRUE(tensors_near(y, want.detach(), 1e-13, 1e-12));
  const Tensor r = test::weights_like(y);
  const auto gy = autograd::grad({sum(mul(y, r))}, {q, k, v});
  const auto gw = autograd::grad({sum(mul(want, r))}, {q, k, v});
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(tensors_near(gy[i], gw[i], 1e-12, 1e-11)) << i;
  // Same generator state, same mask: gradient checks see a deterministic function.
  EXPECT_TRUE(derivatives_ok(
      [&](const auto& in) {
        Generator gen(5);
        return scaled_dot_product_attention(in[0], in[1], in[2],
                                            {.dropout_p = 0.4, .generator = &gen});
      },
      {q, k, v}));
  // Another state draws another mask.
  const Tensor y2 =
      scaled_dot_product_attention(q, k, v, {.causal = true, .dropout_p = p, .generator = &g});
  EXPECT_FALSE(tensors_near(y2, y.detach(), 1e-6));
}

TEST(Attention, SecondDerivatives) {
  test::reseed(15);
  const Tensor q = test::leaf(test::uniform({1, 2, 4, 3}));
  const Tensor k = test::leaf(test::uniform({1, 2, 5, 3}));
  const Tensor v = test::leaf(test::uniform({1, 2, 5, 2}));
  const Tensor mask = random_mask({4, 5});
  EXPECT_TRUE(testing::gradgradcheck(
      [&](const auto& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], {.mask = mask, .causal = true});
      },
      {q, k, v}));
  EXPECT_TRUE(testing::gradgradcheck(
      [&](const auto& in) {
        Generator gen(9);
        return scaled_dot_product_attention(in[0], in[1], in[2],
                                            {.dropout_p = 0.25, .generator = &gen});
      },
      {q, k, v}));
}

TEST(Attention, FullyMaskedRowsAreZeroWithNoGradient) {
  test::reseed(16);
  const Tensor q = test::leaf(test::uniform({1, 1, 3, 2}));
  const Tensor k = test::leaf(test::uniform({1, 1, 4, 2}));
  const Tensor v = test::leaf(test::uniform({1, 1, 4, 3}));
  // Row 1 sees no key; rows 0 and 2 see some.
  const Tensor mask =
      tensor({0, -kInf, 0, 0, -kInf, -kInf, -kInf, -kInf, 0, 0, -kInf, 0}, {3, 4}, kFloat64);
  const Tensor y = scaled_dot_product_attention(q, k, v, {.mask = mask});
  const std::vector<double> out = y.to_vector<double>();
  for (int d = 0; d < 3; ++d) EXPECT_EQ(out[3 + d], 0.0);
  // The other rows are the composed product's.
  const Tensor want = composed(q, k, v, mask, false, 1.0 / std::sqrt(2.0)).detach();
  const std::vector<double> w = want.to_vector<double>();
  for (int e : {0, 1, 2, 6, 7, 8}) EXPECT_NEAR(out[e], w[e], 1e-13) << e;
  sum(mul(y, test::weights_like(y))).backward();
  const std::vector<double> gq = q.grad().to_vector<double>();
  EXPECT_EQ(gq[2], 0.0);
  EXPECT_EQ(gq[3], 0.0);
  for (const Tensor& t : {q.grad(), k.grad(), v.grad()})
    for (double x : t.to_vector<double>()) EXPECT_TRUE(std::isfinite(x));
  // With no keys at all every row is empty.
  const Tensor none =
      scaled_dot_product_attention(q, zeros({1, 1, 0, 2}, kFloat64), zeros({1, 1, 0, 3}, kFloat64));
  EXPECT_TRUE(values_near(none, std::vector<double>(9, 0.0), 0.0));
  // A NaN score makes its row NaN (and only its row).
  Tensor nan_mask = zeros({3, 4}, kFloat64);
  nan_mask =
      add(nan_mask, tensor({0, 0, 0, 0, 0, std::nan(""), 0, 0, 0, 0, 0, 0}, {3, 4}, kFloat64));
  const std::vector<double> yn =
      scaled_dot_product_attention(q.detach(), k.detach(), v.detach(), {.mask = nan_mask})
          .to_vector<double>();
  for (int e = 0; e < 9; ++e) EXPECT_EQ(std::isnan(yn[e]), e >= 3 && e < 6) << e;
}

TEST(Attention, SixteenBitDtypesFollowTheFloat64Result) {
  test::reseed(17);
  const Tensor q = test::uniform({2, 2, 7, 8}), k = test::uniform({2, 2, 9, 8}),
               v = test::uniform({2, 2, 9, 8});
  const Tensor mask = random_mask({7, 9});
  const Tensor want = scaled_dot_product_attention(q, k, v, {.mask = mask, .causal = true});
  for (DType dt : {kBFloat16, kFloat16}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor y = scaled_dot_product_attention(q.to(dt), k.to(dt), v.to(dt),
                                                  {.mask = mask.to(dt), .causal = true});
    EXPECT_EQ(y.dtype(), dt);
    // Inputs rounded to 8 (bf16) or 11 (f16) significant bits; sums in float32.
    const double tol = dt == kBFloat16 ? 3e-2 : 4e-3;
    EXPECT_TRUE(tensors_near(y.to(kFloat64), want, tol, tol));
  }
  // Under autocast a float32 call runs in the scope's dtype.
  const Tensor q32 = q.to(kFloat32), k32 = k.to(kFloat32), v32 = v.to(kFloat32);
  autocast::Guard amp(kBFloat16);
  EXPECT_EQ(scaled_dot_product_attention(q32, k32, v32).dtype(), kBFloat16);
}

// ---- every implementation row, outputs poisoned (tests/ops/rows.h) -------------------------

TEST(AttentionRows, TilesMasksAndDropout) {
  const auto A = OpFamily::Attention;
  test::reseed(18);
  struct RowCase {
    std::string name;
    Shape q, k, v;
    Shape mask;
    bool causal;
    double dropout;
  };
  // T and S across the CUDA kernel's tile edges (64 rows, 32 keys); odd head dims; each
  // head-dim bound (32, 64, 128).
  const std::vector<RowCase> rc = {
      {"T 70 S 45 D 5", {2, 2, 70, 5}, {2, 2, 45, 5}, {2, 2, 45, 7}, {}, false, 0.0},
      {"causal T 97 D 40", {1, 3, 97, 40}, {1, 3, 97, 40}, {1, 3, 97, 40}, {}, true, 0.0},
      {"padding mask D 100",
       {2, 1, 33, 100},
       {2, 1, 65, 100},
       {2, 1, 65, 3},
       {2, 1, 1, 65},
       false,
       0.0},
      {"mask [T, S] causal dropout",
       {1, 2, 66, 16},
       {1, 2, 66, 16},
       {1, 2, 66, 16},
       {66, 66},
       true,
       0.2}};
  for (const RowCase& c : rc) {
    const Tensor q = test::uniform(c.q), k = test::uniform(c.k), v = test::uniform(c.v);
    const Tensor mask = c.mask.empty() ? Tensor() : random_mask(c.mask);
    test::expect_rows(
        A, c.name,
        [&](auto& in) {
          Generator gen(3);
          const Tensor m = mask.defined() ? test::like(mask, in[0]) : Tensor();
          return scaled_dot_product_attention(
              in[0], in[1], in[2],
              {.mask = m, .causal = c.causal, .dropout_p = c.dropout, .generator = &gen});
        },
        {q, k, v}, {.atol = 2e-5, .rtol = 2e-5});
  }
}

// ||a - b|| / ||b|| over all elements (float64): rounding differences of many small terms
// (the tensor-core kernels round P and dS to 16 bits before their products) average out
// in it, where an elementwise bound would fail on the few sums that cancel.
double relative_error(const Tensor& a, const Tensor& b) {
  const Tensor a64 = a.to(kCPU).to(kFloat64), b64 = b.to(kCPU).to(kFloat64);
  return std::sqrt(sum(mul(sub(a64, b64), sub(a64, b64))).item()) /
         std::sqrt(sum(mul(b64, b64)).item());
}

// Our CUDA kernels in the 16-bit dtypes (tensor cores) against the reference loops in the
// same dtype (which sum in double from the same rounded inputs): tile edges in T and S, a
// padded head dim (100 of 128) with Dv != D, masks, dropout; and a head dim past the
// kernels' bound, which takes the composed product.
TEST(Attention, CudaMatchesTheCpu) {
  GPUNN_REQUIRE_GPU();
  test::reseed(19);
  const Device gpu = Device::cuda(0);
  struct GpuCase {
    Shape q, k, v, mask;
    bool causal;
    double dropout;
  };
  const std::vector<GpuCase> gc = {
      {{2, 3, 130, 64}, {2, 3, 130, 64}, {2, 3, 130, 64}, {}, true, 0.0},
      {{2, 2, 70, 100}, {2, 2, 90, 100}, {2, 2, 90, 40}, {2, 1, 1, 90}, false, 0.1},
      {{1, 2, 65, 32}, {1, 2, 65, 32}, {1, 2, 65, 32}, {65, 65}, true, 0.0},
      // Causal with T > S, D <= 64 but Dv in (64, 128], and rows 5 and 66 fully masked.
      {{1, 2, 70, 48}, {1, 2, 50, 48}, {1, 2, 50, 96}, {70, 50}, true, 0.0}};
  set_impl(OpFamily::Attention, Impl::Custom);  // the CPU side: the reference loops
  for (DType dt : {kBFloat16, kFloat16}) {
    for (const GpuCase& c : gc) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " q " + ::testing::PrintToString(c.q));
      const Tensor q = test::leaf(test::uniform(c.q, -1, 1, dt));
      const Tensor k = test::leaf(test::uniform(c.k, -1, 1, dt));
      const Tensor v = test::leaf(test::uniform(c.v, -1, 1, dt));
      Tensor mask = c.mask.empty() ? Tensor() : random_mask(c.mask, dt);
      if (c.mask == Shape{70, 50}) {  // rows 5 and 66 see no key: zeros, no gradient
        std::vector<double> m = mask.to_vector<double>();
        for (int64_t j = 0; j < 50; ++j) m[5 * 50 + j] = m[66 * 50 + j] = -kInf;
        mask = tensor(m, {70, 50}, dt);
      }
      const Tensor qg = test::leaf(q.to(gpu)), kg = test::leaf(k.to(gpu)),
                   vg = test::leaf(v.to(gpu));
      Generator g1(8), g2(8);
      const Tensor y = scaled_dot_product_attention(
          q, k, v, {.mask = mask, .causal = c.causal, .dropout_p = c.dropout, .generator = &g1});
      const Tensor yg =
          scaled_dot_product_attention(qg, kg, vg,
                                       {.mask = mask.defined() ? mask.to(gpu) : Tensor(),
                                        .causal = c.causal,
                                        .dropout_p = c.dropout,
                                        .generator = &g2});
      // One rounding of P to 16 bits before P·V: relative errors of 2^-8 (bf16), 2^-11 (f16).
      const double tol = dt == kBFloat16 ? 1e-2 : 2e-3;
      EXPECT_LT(relative_error(yg, y), tol);
      const Tensor r = test::uniform(y.shape(), -1, 1, dt);
      sum(mul(y, r)).backward();
      sum(mul(yg, r.to(gpu))).backward();
      // P and dS rounded before their products: a few times the output's error.
      EXPECT_LT(relative_error(qg.grad(), q.grad()), 3 * tol);
      EXPECT_LT(relative_error(kg.grad(), k.grad()), 3 * tol);
      EXPECT_LT(relative_error(vg.grad(), v.grad()), 3 * tol);
    }
  }
  set_impl(OpFamily::Attention, Impl::Auto);
  const Tensor q = test::uniform({1, 2, 20, 160}, -1, 1, kFloat32),
               k = test::uniform({1, 2, 24, 160}, -1, 1, kFloat32),
               v = test::uniform({1, 2, 24, 160}, -1, 1, kFloat32);
  const Tensor y = scaled_dot_product_attention(q, k, v);
  const Tensor yg = scaled_dot_product_attention(q.to(gpu), k.to(gpu), v.to(gpu));
  EXPECT_TRUE(tensors_near(yg.to(kCPU), y, 1e-5, 1e-5));
}

}  // namespace

// ---- bad input (also in the whole table, tests/reliability/bad_input_test.cpp) -------------

namespace bad_input {

Table attention_bad_input() {
  Table t;
  const auto sdpa = [](const Tensor& q, const Tensor& k, const Tensor& v,
                       const AttentionOptions& o = {}) {
    return scaled_dot_product_attention(q, k, v, o);
  };
  t.err("shape", "scaled_dot_product_attention with a head-dim mismatch",
        [&] {
          sdpa(F({2, 3, 4, 8}), F({2, 3, 5, 7}), F({2, 3, 5, 8}));
        },
        {"scaled_dot_product_attention:", "[2, 3, 4, 8] float32", "[2, 3, 5, 7] float32",
         "D (8 vs 7)"});
  t.err("shape", "scaled_dot_product_attention with k and v of different lengths",
        [&] {
          sdpa(F({2, 3, 4, 8}), F({2, 3, 5, 8}), F({2, 3, 6, 8}));
        },
        {"scaled_dot_product_attention:", "S (5 vs 6)"});
  t.err("shape", "scaled_dot_product_attention with different batch dims",
        [&] {
          sdpa(F({2, 3, 4, 8}), F({2, 2, 5, 8}), F({2, 2, 5, 8}));
        },
        {"scaled_dot_product_attention:", "batch dims", "[2, 2, 5, 8] float32"});
  t.err("shape", "scaled_dot_product_attention with a mask that does not broadcast",
        [&] {
          sdpa(F({2, 3, 4, 8}), F({2, 3, 5, 8}), F({2, 3, 5, 8}), {.mask = F({4, 4})});
        },
        {"scaled_dot_product_attention:", "mask [4, 4] float32", "[2, 3, 4, 5]"});
  t.err("rank", "scaled_dot_product_attention of 2-D inputs",
        [&] {
          sdpa(F({4, 8}), F({5, 8}), F({5, 8}));
        },
        {"scaled_dot_product_attention:", "q [B, H, T, D]", "[4, 8] float32"});
  t.err("rank", "scaled_dot_product_attention with a 5-D mask",
        [&] {
          sdpa(F({2, 3, 4, 8}), F({2, 3, 5, 8}), F({2, 3, 5, 8}), {.mask = F({1, 2, 3, 4, 5})});
        },
        {"scaled_dot_product_attention:", "mask [1, 2, 3, 4, 5]"});
  t.err("dtype", "scaled_dot_product_attention float32 q, float64 k",
        [&] {
          sdpa(F({1, 1, 2, 2}), D({1, 1, 2, 2}), F({1, 1, 2, 2}));
        },
        {"scaled_dot_product_attention:", "float64", "float32"});
  t.err("dtype", "scaled_dot_product_attention of int64",
        [&] {
          sdpa(L({1, 1, 2, 2}), L({1, 1, 2, 2}), L({1, 1, 2, 2}));
        },
        {"scaled_dot_product_attention:", "int64"});
  t.err("dtype", "scaled_dot_product_attention with an int64 mask",
        [&] {
          sdpa(F({1, 1, 2, 2}), F({1, 1, 2, 2}), F({1, 1, 2, 2}), {.mask = L({2, 2})});
        },
        {"scaled_dot_product_attention:", "mask", "int64"});
  t.err("options", "scaled_dot_product_attention with dropout_p 1",
        [&] {
          sdpa(F({1, 1, 2, 2}), F({1, 1, 2, 2}), F({1, 1, 2, 2}), {.dropout_p = 1.0});
        },
        {"scaled_dot_product_attention:", "dropout_p", "[0, 1)", "1"});
  t.err("nonfinite", "scaled_dot_product_attention with a NaN scale",
        [&] {
          sdpa(F({1, 1, 2, 2}), F({1, 1, 2, 2}), F({1, 1, 2, 2}), {.scale = std::nan("")});
        },
        {"scaled_dot_product_attention:", "scale", "nan"});
  t.err("options", "scaled_dot_product_attention with a mask that requires grad",
        [&] {
          sdpa(F({1, 1, 2, 2}), F({1, 1, 2, 2}), F({1, 1, 2, 2}),
               {.mask = F({2, 2}).requires_grad_(true)});
        },
        {"scaled_dot_product_attention:", "mask", "detach"});
  t.err("undefined", "scaled_dot_product_attention of an undefined q",
        [&] {
          sdpa(Tensor(), F({1, 1, 2, 2}), F({1, 1, 2, 2}));
        },
        {"scaled_dot_product_attention:", "q", "undefined"});
  t.val("empty", "scaled_dot_product_attention of an empty batch", [&] {
    return is(sdpa(F({0, 2, 3, 4}), F({0, 2, 5, 4}), F({0, 2, 5, 6})), {0, 2, 3, 6});
  });
  t.val("empty", "scaled_dot_product_attention with no keys gives zeros", [&] {
    return is(sdpa(R({1, 1, 2, 2}), F({1, 1, 0, 2}), F({1, 1, 0, 3})), {1, 1, 2, 3},
              std::vector<double>(6, 0.0));
  });
  return t;
}

TEST(AttentionBadInput, Table) { run_table(attention_bad_input()); }

}  // namespace bad_input
}  // namespace gpunn
