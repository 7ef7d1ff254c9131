// The CPU vendor path (oneDNN, float32) against the reference loops: every op
// with a cpu_vendor entry runs once with Impl::Custom and once with
// Impl::Vendor on the same inputs, and outputs and gradients must agree.
// Skipped (with a message) in builds without oneDNN.
//
// Tolerances, float32 (eps = 1.2e-7), inputs in [-1, 1]:
//  * sums of L products (conv, GEMM): the reference accumulates in double and
//    rounds once; oneDNN accumulates in float32 in its own order, whose error
//    grows like sqrt(L) eps |terms| for random signs (L eps in the worst
//    case). With L <= 1000 that is about 1e-5; kSumAtol = 1e-4 leaves a
//    tenfold margin, plus kSumRtol for outputs of size ~10.
//  * softmax, sigmoid, tanh: oneDNN evaluates exp/tanh with vectorised
//    polynomial approximations accurate to a few ulp; outputs are at most 1,
//    hence 2e-6.
//  * relu, leaky_relu, max pooling: no arithmetic beyond one product, exact.
//  * batch norm: oneDNN sums each channel's M values (M <= 600 here) in
//    float32 for the mean, the variance and the gradient sums; the statistics
//    are off by ~sqrt(M) eps relative, and |x̂| <= ~2 (uniform inputs have
//    σ ≈ 0.58), so outputs by ~1e-5 at worst and Σ-type gradients (dw, db:
//    sums of M terms) by ~M eps ≈ 1e-4 relative in the worst case:
//    kSumAtol/kSumRtol as for the GEMMs.
//  * LRN: a sum of at most `size` squares and one pow per element, in float32
//    with oneDNN's vectorised pow; values of order 1, so a few ulp plus the
//    pow's error: kLrnTol = 1e-5 (~80 ulp) leaves room for both.
// log_softmax, and relu/leaky_relu forward, stay on the reference loops
// (kernels/vendor/onednn.h says why); tests below pin that down.
#include <gpunn/testing/poison.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

constexpr double kSumAtol = 1e-4;
constexpr double kSumRtol = 1e-5;
constexpr double kLrnTol = 1e-5;

// Restores every family's implementation when a test ends.
class ImplGuard {
 public:
  ImplGuard() {
    for (int f = 0; f < static_cast<int>(OpFamily::kCount); ++f)
      saved_.push_back(get_impl(static_cast<OpFamily>(f)));
  }
  ~ImplGuard() {
    for (size_t f = 0; f < saved_.size(); ++f) set_impl(static_cast<OpFamily>(f), saved_[f]);
  }

 private:
  std::vector<Impl> saved_;
};

class OnednnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu_vendor_available()) GTEST_SKIP() << "gpunn was built without oneDNN";
    test::reseed(1234);
  }
  ImplGuard guard_;
};

Tensor f32(const Shape& shape, double lo = -1.0, double hi = 1.0) {
  return test::uniform(shape, lo, hi, kFloat32);
}

// Runs f(inputs) -> output, then backward with `dy`; returns the output followed
// by each input's gradient.
std::vector<Tensor> forward_backward(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                     const std::vector<Tensor>& inputs, const Tensor& dy) {
  std::vector<Tensor> leaves;
  for (const Tensor& t : inputs) leaves.push_back(test::leaf(t));
  Tensor y = f(leaves);
  y.backward(dy);
  std::vector<Tensor> out{y.detach()};
  for (const Tensor& t : leaves) out.push_back(t.grad());
  return out;
}

// f with every family set to Custom, then to Vendor: outputs and gradients agree.
void expect_paths_agree(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                        const std::vector<Tensor>& inputs, double atol, double rtol = 0.0) {
  // The upstream gradient: random, so that each output element matters.
  set_impl(Impl::Custom);
  const Shape y_shape = f(inputs).shape();
  const Tensor dy = f32(y_shape);
  const std::vector<Tensor> expected = forward_backward(f, inputs, dy);
  set_impl(Impl::Vendor);
  const std::vector<Tensor> actual = forward_backward(f, inputs, dy);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE(i == 0 ? "output" : "gradient of input " + std::to_string(i - 1));
    ASSERT_TRUE(actual[i].defined());
    EXPECT_EQ(actual[i].dtype(), kFloat32);
    EXPECT_TRUE(test::tensors_near(actual[i], expected[i], atol, rtol));
  }
}

// ---- convolution ------------------------------------------------------------------------

struct ConvCase {
  Shape x, w;
  bool bias;
  Conv2dFuncOptions o;
};

TEST_F(OnednnTest, Conv2dForwardAndBothBackwardsMatchReference) {
  const std::vector<ConvCase> cases = {
      {{2, 3, 9, 9}, {4, 3, 3, 3}, true, {}},
      {{2, 3, 9, 9}, {4, 3, 3, 3}, false, {.padding = 1}},
      {{1, 4, 11, 10}, {6, 4, 5, 3}, true, {.stride = {2, 3}, .padding = {2, 1}}},
      {{2, 2, 12, 12}, {3, 2, 3, 3}, true, {.padding = 2, .dilation = 2}},
      {{2, 6, 8, 8}, {9, 2, 3, 3}, true, {.padding = 1, .groups = 3}},
      {{3, 1, 28, 28}, {8, 1, 5, 5}, true, {.padding = 2}},     // the CNN's first layer
      {{2, 32, 14, 14}, {16, 32, 5, 5}, true, {.padding = 2}},  // its second (L = 800)
      {{1, 3, 7, 7}, {2, 3, 7, 7}, true, {}},                   // one output pixel
      {{2, 5, 10, 9}, {4, 5, 4, 2}, true, {.stride = 3}},       // H not a multiple of stride
  };
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.x) + " * " + ::testing::PrintToString(c.w));
    std::vector<Tensor> inputs{f32(c.x), f32(c.w)};
    if (c.bias) inputs.push_back(f32({c.w[0]}));
    const Conv2dFuncOptions o = c.o;
    expect_paths_agree(
        [o](const std::vector<Tensor>& v) {
          return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), o);
        },
        inputs, kSumAtol, kSumRtol);
  }
}

struct ConvTransposeCase {
  Shape x, w;
  bool bias;
  ConvTranspose2dFuncOptions o;
};

TEST_F(OnednnTest, ConvTranspose2dForwardAndBothBackwardsMatchReference) {
  // conv_transpose2d runs conv2d's backward-data (forward), forward (input gradient) and
  // backward-weights (weight gradient) primitives with the roles exchanged.
  const std::vector<ConvTransposeCase> cases = {
      {{2, 8, 7, 7}, {8, 4, 4, 4}, true, {.stride = 2, .padding = 1}},  // the DCGAN's layers
      {{3, 4, 14, 14}, {4, 1, 4, 4}, false, {.stride = 2, .padding = 1}},
      {{1, 4, 5, 6},
       {4, 3, 3, 2},
       true,
       {.stride = {2, 3}, .padding = {1, 0}, .output_padding = {1, 2}}},
      {{2, 6, 5, 5}, {6, 2, 3, 3}, true, {.stride = 2, .padding = 1, .groups = 3, .dilation = 2}},
      {{2, 3, 6, 5}, {3, 5, 5, 3}, true, {}},
      // output_padding >= stride (allowed by the dilation): oneDNN's size formula does not
      // give this shape, so the vendor setting falls back to the reference loops.
      {{1, 2, 4, 4}, {2, 3, 3, 3}, true, {.output_padding = 1, .dilation = 2}},
  };
  for (const ConvTransposeCase& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.x) + " * " + ::testing::PrintToString(c.w));
    std::vector<Tensor> inputs{f32(c.x), f32(c.w)};
    if (c.bias) inputs.push_back(f32({c.w[1] * c.o.groups}));
    const ConvTranspose2dFuncOptions o = c.o;
    expect_paths_agree(
        [o](const std::vector<Tensor>& v) {
          return conv_transpose2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), o);
        },
        inputs, kSumAtol, kSumRtol);
  }
}

TEST_F(OnednnTest, ConvTranspose2dVendorSettingReallyRunsOneDnn) {
  // As for conv2d below: sums of 32·16 float32 products in oneDNN's order differ from the
  // reference's double accumulation somewhere, so identical outputs would mean that the
  // vendor setting ran the reference.
  const Tensor x = f32({2, 32, 7, 7}), w = f32({32, 16, 4, 4});
  const ConvTranspose2dFuncOptions o{.stride = 2, .padding = 1};
  set_impl(Impl::Custom);
  const Tensor ref = conv_transpose2d(x, w, Tensor(), o);
  set_impl(Impl::Vendor);
  const Tensor vendor = conv_transpose2d(x, w, Tensor(), o);
  EXPECT_TRUE(test::tensors_near(vendor, ref, kSumAtol, kSumRtol));
  EXPECT_GT(max(abs(sub(vendor, ref))).item(), 0.0);
}

TEST_F(OnednnTest, VendorSettingReallyRunsOneDnn) {
  // A sum of 800 float32 products rounded in oneDNN's order cannot match the
  // reference's double accumulation everywhere: identical outputs would mean
  // the vendor setting silently ran the reference (and the parity tests above
  // would prove nothing).
  const Tensor x = f32({2, 32, 14, 14}), w = f32({16, 32, 5, 5});
  set_impl(Impl::Custom);
  const std::vector<double> reference = conv2d(x, w, Tensor(), {.padding = 2}).to_vector<double>();
  set_impl(Impl::Vendor);
  const std::vector<double> vendor = conv2d(x, w, Tensor(), {.padding = 2}).to_vector<double>();
  EXPECT_NE(vendor, reference);
}

TEST_F(OnednnTest, Conv2dRepeatedShapesReuseCachedPrimitivesCorrectly) {
  // The second call of each shape runs a cached primitive on new buffers.
  for (int round = 0; round < 2; ++round) {
    for (int64_t n : {1, 3}) {
      expect_paths_agree(
          [](const std::vector<Tensor>& v) { return conv2d(v[0], v[1], v[2], {.padding = 1}); },
          {f32({n, 3, 6, 6}), f32({5, 3, 3, 3}), f32({5})}, kSumAtol, kSumRtol);
    }
  }
}

// ---- pooling ----------------------------------------------------------------------------

TEST_F(OnednnTest, MaxPool2dMatchesReferenceExactly) {
  const std::vector<std::pair<Shape, Pool2dOptions>> cases = {
      {{2, 3, 8, 8}, {.kernel_size = 2}},
      {{2, 3, 9, 7}, {.kernel_size = 3, .stride = 2}},
      {{1, 2, 10, 11}, {.kernel_size = 3, .stride = 2, .padding = 1}},
      {{2, 2, 9, 9}, {.kernel_size = 2, .stride = 2, .ceil_mode = true}},
      {{1, 3, 7, 10},
       {.kernel_size = {3, 2}, .stride = {2, 3}, .padding = {1, 1}, .ceil_mode = true}},
  };
  for (const auto& [shape, o] : cases) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    // Uniform random values: ties (where either position is a valid argmax)
    // have probability zero.
    expect_paths_agree([opt = o](const std::vector<Tensor>& v) { return max_pool2d(v[0], opt); },
                       {f32(shape)}, 0.0);
  }
}

TEST_F(OnednnTest, MaxPool2dBackwardFollowsTheForwardsImplementation) {
  // Forward on oneDNN (its workspace saved), backward asked for with custom.
  const Tensor x = test::leaf(f32({2, 3, 6, 6}));
  set_impl(Impl::Vendor);
  Tensor y = max_pool2d(x, {.kernel_size = 2});
  set_impl(Impl::Custom);
  y.backward(ones_like(y));
  const Tensor dx_vendor = x.grad();
  const Tensor x2 = test::leaf(x.detach());
  max_pool2d(x2, {.kernel_size = 2}).backward(ones_like(y));
  EXPECT_TRUE(test::tensors_near(dx_vendor, x2.grad(), 0.0));
  // Each 2x2 window routes its one gradient to one position.
  EXPECT_DOUBLE_EQ(sum(dx_vendor).item(), static_cast<double>(y.numel()));
}

TEST_F(OnednnTest, MaxPool2dWithIndicesGivesReferenceIndicesOnVendorPath) {
  const Tensor x = f32({2, 2, 6, 6});
  set_impl(Impl::Custom);
  const MaxPool2dResult expected = max_pool2d_with_indices(x, {.kernel_size = 3, .stride = 2});
  set_impl(Impl::Vendor);
  const MaxPool2dResult actual = max_pool2d_with_indices(x, {.kernel_size = 3, .stride = 2});
  EXPECT_EQ(actual.indices.to_vector<int64_t>(), expected.indices.to_vector<int64_t>());
  EXPECT_TRUE(test::tensors_near(actual.values, expected.values, 0.0));
}

TEST_F(OnednnTest, AvgPool2dMatchesReference) {
  const std::vector<std::pair<Shape, Pool2dOptions>> cases = {
      {{2, 3, 8, 8}, {.kernel_size = 2}},
      {{1, 2, 10, 11}, {.kernel_size = 3, .stride = 2, .padding = 1}},
      {{1, 2, 10, 11}, {.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false}},
      // ceil_mode windows past the right padding: oneDNN's divisor would differ,
      // so this one falls back to the reference (and must still agree).
      {{2, 2, 9, 9}, {.kernel_size = 2, .stride = 2, .ceil_mode = true}},
      {{2, 2, 9, 9},
       {.kernel_size = 2, .stride = 2, .ceil_mode = true, .count_include_pad = false}},
      {{1, 3, 7, 10},
       {.kernel_size = {3, 2}, .stride = {2, 3}, .padding = {1, 1}, .ceil_mode = true}},
  };
  for (const auto& [shape, o] : cases) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    // At most 9 terms of size <= 1 and one division: a few ulp of 1.
    expect_paths_agree([opt = o](const std::vector<Tensor>& v) { return avg_pool2d(v[0], opt); },
                       {f32(shape)}, 1e-6);
  }
}

// ---- softmax ----------------------------------------------------------------------------

TEST_F(OnednnTest, SoftmaxMatchesReferenceOnEveryDim) {
  for (int64_t dim : {0, 1, 2, -1}) {
    SCOPED_TRACE(dim);
    // Logits of a few units, as a classifier produces.
    const Tensor x = f32({4, 7, 5}, -4.0, 4.0);
    expect_paths_agree([dim](const std::vector<Tensor>& v) { return softmax(v[0], dim); }, {x},
                       2e-6);
  }
  expect_paths_agree([](const std::vector<Tensor>& v) { return softmax(v[0], 1); },
                     {f32({64, 1000}, -4.0, 4.0)}, 2e-6);
}

TEST_F(OnednnTest, LogSoftmaxAndReluForwardKeepTheReferenceSemantics) {
  // log_softmax of a dominant class is exactly 0 (oneDNN's would be ~1e-6 off).
  const Tensor x = tensor({-1000.0, 0.0, 3.0, 1.0}, {2, 2}, kFloat32);
  set_impl(Impl::Vendor);
  EXPECT_TRUE(test::values_near(log_softmax(x, 1),
                                {-1000.0, 0.0, std::log(1 / (1 + std::exp(-2.0))),
                                 std::log(std::exp(-2.0) / (1 + std::exp(-2.0)))},
                                1e-6));
  EXPECT_EQ(log_softmax(x, 1).to_vector<double>()[1], 0.0);
  // relu keeps NaN on every setting.
  const double nan = std::nan("");
  EXPECT_TRUE(std::isnan(relu(tensor({nan, 1.0}, kFloat32)).to_vector<double>()[0]));
  EXPECT_TRUE(std::isnan(leaky_relu(tensor({nan, 1.0}, kFloat32), 0.1).to_vector<double>()[0]));
}

// ---- activations ------------------------------------------------------------------------

TEST_F(OnednnTest, ActivationsMatchReference) {
  // Odd sizes (not a multiple of a vector) and one large enough for threads.
  for (int64_t n : {1, 17, 1000, 200000}) {
    SCOPED_TRACE(n);
    // Away from 0, where relu's derivative is a matter of convention.
    const Tensor x = test::away_from_zero({n}, 0.01, 3.0).to(kFloat32);
    expect_paths_agree([](const std::vector<Tensor>& v) { return relu(v[0]); }, {x}, 0.0);
    for (double slope : {0.01, 0.2, -0.5}) {
      expect_paths_agree([slope](const std::vector<Tensor>& v) { return leaky_relu(v[0], slope); },
                         {x}, 0.0);
    }
    expect_paths_agree([](const std::vector<Tensor>& v) { return sigmoid(v[0]); }, {x}, 2e-6);
    expect_paths_agree([](const std::vector<Tensor>& v) { return tanh(v[0]); }, {x}, 2e-6);
  }
}

TEST_F(OnednnTest, ActivationsOnNonContiguousAndEmptyInputs) {
  const Tensor x = f32({6, 5}).t();
  expect_paths_agree([](const std::vector<Tensor>& v) { return tanh(v[0]); }, {x}, 2e-6);
  set_impl(Impl::Vendor);
  EXPECT_EQ(relu(zeros({0, 3}, kFloat32)).shape(), (Shape{0, 3}));
}

// ---- GEMM -------------------------------------------------------------------------------

TEST_F(OnednnTest, MatmulMatchesReference) {
  using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
  const Fn mm = [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); };
  expect_paths_agree(mm, {f32({7, 13}), f32({13, 5})}, kSumAtol, kSumRtol);
  expect_paths_agree(mm, {f32({64, 784}), f32({784, 256})}, kSumAtol, kSumRtol);
  expect_paths_agree(mm, {f32({13}), f32({13, 5})}, kSumAtol, kSumRtol);      // vector @ matrix
  expect_paths_agree(mm, {f32({13}), f32({13})}, kSumAtol, kSumRtol);         // dot product
  expect_paths_agree(mm, {f32({3, 4, 6}), f32({6, 5})}, kSumAtol, kSumRtol);  // batched
  expect_paths_agree(mm, {f32({2, 1, 4, 6}), f32({3, 6, 5})}, kSumAtol, kSumRtol);  // broadcast
  // Transposed operands reach the GEMM with the transpose flag, not a copy.
  expect_paths_agree([](const std::vector<Tensor>& v) { return matmul(v[0].t(), v[1].t()); },
                     {f32({9, 4}), f32({6, 9})}, kSumAtol, kSumRtol);
}

TEST_F(OnednnTest, LinearMatchesReference) {
  using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
  const Fn with_bias = [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); };
  const Fn without = [](const std::vector<Tensor>& v) { return linear(v[0], v[1]); };
  expect_paths_agree(with_bias, {f32({64, 784}), f32({256, 784}), f32({256})}, kSumAtol, kSumRtol);
  expect_paths_agree(with_bias, {f32({5, 3, 10}), f32({7, 10}), f32({7})}, kSumAtol, kSumRtol);
  expect_paths_agree(without, {f32({1, 3}), f32({2, 3})}, kSumAtol, kSumRtol);
}

TEST_F(OnednnTest, GemmWithEmptyInnerDimensionGivesZerosOrBias) {
  set_impl(Impl::Vendor);
  EXPECT_TRUE(test::values_near(matmul(f32({2, 0}), f32({0, 3})), std::vector<double>(6, 0.0), 0));
  const Tensor b = f32({3});
  const Tensor y = linear(f32({2, 0}), f32({3, 0}), b);
  const std::vector<double> bv = b.to_vector<double>();
  EXPECT_TRUE(test::values_near(y, {bv[0], bv[1], bv[2], bv[0], bv[1], bv[2]}, 0));
}

// ---- batch norm and LRN -------------------------------------------------------------------

struct BatchNormCase {
  Shape x;
  bool weight, bias;
  bool training;
  bool running;  // running statistics given
};

TEST_F(OnednnTest, BatchNormForwardAndBackwardMatchReference) {
  std::vector<BatchNormCase> cases;
  for (const Shape& shape : {Shape{16, 5}, Shape{4, 3, 5, 6}, Shape{3, 7, 20}})
    for (bool training : {true, false})
      for (int affine = 0; affine < 4; ++affine)
        cases.push_back({shape, (affine & 1) != 0, (affine & 2) != 0, training, true});
  // Training without running statistics, and eval without them (batch statistics too).
  cases.push_back({{6, 4, 3, 3}, true, true, true, false});
  cases.push_back({{6, 4, 3, 3}, true, false, false, false});
  for (const BatchNormCase& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.x) + (c.training ? " training" : " eval") +
                 (c.weight ? " weight" : "") + (c.bias ? " bias" : "") +
                 (c.running ? " running" : ""));
    const int64_t C = c.x[1];
    const Tensor rm = f32({C}, -0.5, 0.5), rv = f32({C}, 0.2, 2.0);
    std::vector<Tensor> inputs{f32(c.x)};
    if (c.weight) inputs.push_back(f32({C}, 0.5, 1.5));
    if (c.bias) inputs.push_back(f32({C}));
    const BatchNormCase k = c;
    expect_paths_agree(
        [k, rm, rv](const std::vector<Tensor>& v) {
          size_t i = 1;
          const Tensor w = k.weight ? v[i++] : Tensor();
          const Tensor b = k.bias ? v[i++] : Tensor();
          // Fresh running statistics each call: training updates them in place.
          const Tensor m = k.running ? rm.clone() : Tensor();
          const Tensor var = k.running ? rv.clone() : Tensor();
          return batch_norm(v[0], m, var, w, b, {.training = k.training});
        },
        inputs, kSumAtol, kSumRtol);
  }
}

TEST_F(OnednnTest, BatchNormRunningStatisticsMatchReference) {
  // The running variance is updated with the unbiased variance in both paths.
  const Tensor x = f32({5, 4, 3, 3}, -2.0, 3.0);
  std::vector<Tensor> results;
  for (Impl impl : {Impl::Custom, Impl::Vendor}) {
    set_impl(impl);
    Tensor rm = zeros({4}, TensorOptions(kFloat32)), rv = ones({4}, TensorOptions(kFloat32));
    for (int step = 0; step < 3; ++step)
      batch_norm(x, rm, rv, Tensor(), Tensor(), {.momentum = 0.3});
    results.push_back(rm);
    results.push_back(rv);
  }
  EXPECT_TRUE(test::tensors_near(results[2], results[0], 1e-6, 1e-6));
  EXPECT_TRUE(test::tensors_near(results[3], results[1], 1e-6, 1e-6));
  // One value checked by hand: the unbiased variance of channel 0 after three
  // updates towards it, 1 -> v + 0.7^3 (1 - v).
  const std::vector<double> ch0 = x.narrow(1, 0, 1).contiguous().to_vector<double>();
  double mean0 = 0.0, sq = 0.0;
  for (double e : ch0) mean0 += e / static_cast<double>(ch0.size());
  for (double e : ch0) sq += (e - mean0) * (e - mean0);
  const double v = sq / (static_cast<double>(ch0.size()) - 1.0);
  EXPECT_NEAR(results[3].to_vector<double>()[0], v + 0.343 * (1.0 - v), 1e-5);
}

TEST_F(OnednnTest, BatchNormGradientsOfParametersOnlyOrFrozenWeight) {
  // Input without gradient (oneDNN still computes dx, into a scratch buffer),
  // and a weight given but frozen while the bias learns.
  const Tensor x = f32({6, 3, 4, 4});
  const Tensor w0 = f32({3}, 0.5, 1.5), b0 = f32({3});
  const Tensor dy = f32({6, 3, 4, 4});
  std::vector<Tensor> grads;
  for (Impl impl : {Impl::Custom, Impl::Vendor}) {
    set_impl(impl);
    const Tensor w = test::leaf(w0), b = test::leaf(b0);
    batch_norm(x, Tensor(), Tensor(), w, b).backward(dy);
    grads.push_back(w.grad());
    grads.push_back(b.grad());
    const Tensor xl = test::leaf(x), bl = test::leaf(b0);
    batch_norm(xl, Tensor(), Tensor(), w0, bl).backward(dy);
    grads.push_back(xl.grad());
    grads.push_back(bl.grad());
  }
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_TRUE(test::tensors_near(grads[4 + i], grads[i], kSumAtol, kSumRtol));
  }
}

TEST_F(OnednnTest, BatchNormVendorSettingReallyRunsOneDnn) {
  // oneDNN's float32 statistics cannot equal the reference's (double, rounded
  // once) on every element of a large random batch.
  const Tensor x = f32({32, 8, 10, 10});
  set_impl(Impl::Custom);
  const std::vector<double> reference = batch_norm(x, Tensor(), Tensor()).to_vector<double>();
  set_impl(Impl::Vendor);
  const std::vector<double> vendor = batch_norm(x, Tensor(), Tensor()).to_vector<double>();
  EXPECT_NE(vendor, reference);
}

TEST_F(OnednnTest, LocalResponseNormMatchesReferenceForOddAndEvenSizes) {
  // alpha large enough that the normalization changes the values noticeably.
  // Even sizes run the reference loops on the vendor setting (the windows differ).
  for (int64_t size : {1, 2, 3, 4, 5, 7}) {
    for (const Shape& shape : {Shape{2, 8, 5, 5}, Shape{3, 6, 7}, Shape{1, 3, 2, 2}}) {
      SCOPED_TRACE("size " + std::to_string(size) + " " + ::testing::PrintToString(shape));
      expect_paths_agree(
          [size](const std::vector<Tensor>& v) {
            return local_response_norm(v[0], size, 0.8, 0.75, 1.5);
          },
          {f32(shape, -2.0, 2.0)}, kLrnTol, kLrnTol);
    }
  }
}

TEST_F(OnednnTest, LocalResponseNormBackwardAfterVendorForwardUnderCustom) {
  // Forward on oneDNN (no scale kept), backward asked for with custom: the
  // reference recomputes the scale.
  const Tensor x0 = f32({2, 6, 4, 4}, -2.0, 2.0), dy = f32({2, 6, 4, 4});
  set_impl(Impl::Vendor);
  const Tensor x = test::leaf(x0);
  Tensor y = local_response_norm(x, 5, 0.8, 0.75, 1.5);
  set_impl(Impl::Custom);
  y.backward(dy);
  const Tensor x2 = test::leaf(x0);
  local_response_norm(x2, 5, 0.8, 0.75, 1.5).backward(dy);
  EXPECT_TRUE(test::tensors_near(x.grad(), x2.grad(), 0.0));
}

TEST_F(OnednnTest, NormOpsOnFloat64StayBitForBitOnTheReference) {
  const Tensor x = test::uniform({4, 6, 3, 3});
  set_impl(Impl::Custom);
  const Tensor expected = local_response_norm(batch_norm(x, Tensor(), Tensor()), 3, 0.5);
  set_impl(Impl::Vendor);
  const Tensor actual = local_response_norm(batch_norm(x, Tensor(), Tensor()), 3, 0.5);
  EXPECT_EQ(actual.to_vector<double>(), expected.to_vector<double>());
}

// ---- float64 and training ----------------------------------------------------------------

TEST_F(OnednnTest, Float64RunsTheReferenceOnTheVendorSetting) {
  // oneDNN has no float64 kernels: vendor falls back to the reference, so the
  // results are bit for bit the custom ones.
  const Tensor x = test::uniform({2, 3, 8, 8}), w = test::uniform({4, 3, 3, 3});
  set_impl(Impl::Custom);
  const Tensor expected = softmax(relu(max_pool2d(conv2d(x, w), {.kernel_size = 2})), 1);
  set_impl(Impl::Vendor);
  const Tensor actual = softmax(relu(max_pool2d(conv2d(x, w), {.kernel_size = 2})), 1);
  EXPECT_EQ(actual.dtype(), kFloat64);
  EXPECT_EQ(actual.to_vector<double>(), expected.to_vector<double>());
}

TEST_F(OnednnTest, SmallCnnLossAndGradientsMatchReference) {
  // The whole chain the benchmark CNN uses, scaled down, through autograd.
  const Tensor labels = tensor(std::vector<double>{3, 1, 0, 2}, {4}, kInt64);
  expect_paths_agree(
      [&labels](const std::vector<Tensor>& v) {
        Tensor h = max_pool2d(relu(conv2d(v[0], v[1], v[2], {.padding = 2})), {.kernel_size = 2});
        h = relu(linear(h.flatten(1), v[3], v[4]));
        return cross_entropy(h, labels).reshape({1});
      },
      {f32({4, 1, 8, 8}), f32({6, 1, 5, 5}), f32({6}), f32({4, 96}), f32({4})}, kSumAtol, kSumRtol);
}

// ---- bfloat16 ------------------------------------------------------------------------

// Every convolution case above in bfloat16, the vendor row (oneDNN's bfloat16 primitives on
// a CPU with bfloat16 instructions, float32 copies elsewhere) against the reference loops
// in bfloat16, outputs poisoned. Both sum in float32 or wider and round each output once,
// so they differ by at most one bfloat16 ulp (2^-7 relative: 8 significant bits) where a
// sum lands near a rounding boundary, plus the float32 summation error where the sum
// cancels to near zero, which 2^-7 of the case's largest |value| / 8 covers (a float32
// sum of L <= 800 terms of size <= 1 errs by ~sqrt(L) 2^-24 L at most, far below that).
::testing::AssertionResult bf16_near(const Tensor& got, const Tensor& want) {
  if (got.dtype() != kBFloat16) return ::testing::AssertionFailure() << "dtype";
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  if (g.size() != w.size()) return ::testing::AssertionFailure() << "size";
  double largest = 0.0;
  for (double v : w) largest = std::max(largest, std::abs(v));
  for (size_t i = 0; i < g.size(); ++i) {
    const double tol = 0x1p-7 * (std::abs(w[i]) + largest / 8.0);
    if (!(std::abs(g[i] - w[i]) <= tol))
      return ::testing::AssertionFailure()
             << "element " << i << ": vendor " << g[i] << ", reference " << w[i];
  }
  return ::testing::AssertionSuccess();
}

TEST_F(OnednnTest, Bfloat16ConvolutionsMatchTheReferenceLoops) {
  const std::vector<ConvCase> cases = {
      {{2, 3, 9, 9}, {4, 3, 3, 3}, true, {}},
      {{2, 3, 9, 9}, {4, 3, 3, 3}, false, {.padding = 1}},
      {{1, 4, 11, 10}, {6, 4, 5, 3}, true, {.stride = {2, 3}, .padding = {2, 1}}},
      {{2, 2, 12, 12}, {3, 2, 3, 3}, true, {.padding = 2, .dilation = 2}},
      {{2, 6, 8, 8}, {9, 2, 3, 3}, true, {.padding = 1, .groups = 3}},
      {{2, 16, 8, 8}, {16, 1, 3, 3}, true, {.padding = 1, .groups = 16}},  // depthwise
      {{3, 1, 28, 28}, {8, 1, 5, 5}, true, {.padding = 2}},
      {{2, 32, 14, 14}, {16, 32, 5, 5}, true, {.padding = 2}},
      {{2, 5, 10, 9}, {4, 5, 4, 2}, true, {.stride = 3}},
  };
  const testing::PoisonNewTensors poison;
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.x) + " * " + ::testing::PrintToString(c.w));
    std::vector<Tensor> inputs{f32(c.x).to(kBFloat16), f32(c.w).to(kBFloat16)};
    if (c.bias) inputs.push_back(f32({c.w[0]}).to(kBFloat16));
    const Conv2dFuncOptions o = c.o;
    const auto f = [o](const std::vector<Tensor>& v) {
      return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), o);
    };
    set_impl(Impl::Custom);
    const Tensor dy = f32(f(inputs).shape()).to(kBFloat16);
    const std::vector<Tensor> want = forward_backward(f, inputs, dy);
    set_impl(Impl::Vendor);
    LaunchTrace trace;
    const std::vector<Tensor> got = forward_backward(f, inputs, dy);
    EXPECT_EQ(trace.count("conv2d", Implementation::CpuVendor), 1);
    EXPECT_EQ(trace.count("conv2d_backward_data", Implementation::CpuVendor), 1);
    EXPECT_EQ(trace.count("conv2d_backward_weight", Implementation::CpuVendor), 1);
    for (size_t i = 0; i < got.size(); ++i) {
      SCOPED_TRACE(i == 0 ? "output" : "gradient of input " + std::to_string(i - 1));
      EXPECT_TRUE(bf16_near(got[i], want[i]));
    }
  }
}

// Pooling in bfloat16 on the vendor row (oneDNN's bfloat16 pooling where its bfloat16
// primitives run, the reference loops elsewhere) against the reference loops: maxima exact,
// averages and the overlapping windows' summed gradients within the one-rounding tolerance
// of bf16_near; NaN still wins its window (such inputs stay on the reference loops).
TEST_F(OnednnTest, Bfloat16PoolingMatchesTheReferenceLoops) {
  const bool native = build_info().find("oneDNN's bfloat16 primitives") != std::string::npos;
  const testing::PoisonNewTensors poison;
  using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
  const std::vector<std::pair<std::string, Fn>> cases = {
      {"max_pool2d",
       [](const std::vector<Tensor>& v) {
         return max_pool2d(v[0], {.kernel_size = 3, .stride = 2});  // overlapping windows
       }},
      {"avg_pool2d",
       [](const std::vector<Tensor>& v) {
         return avg_pool2d(v[0], {.kernel_size = 3, .stride = 2, .padding = 1});
       }},
  };
  for (const auto& [op, f] : cases) {
    SCOPED_TRACE(op);
    const std::vector<Tensor> inputs{f32({2, 3, 13, 13}).to(kBFloat16)};
    set_impl(Impl::Custom);
    const Tensor dy = f32(f(inputs).shape()).to(kBFloat16);
    const std::vector<Tensor> want = forward_backward(f, inputs, dy);
    set_impl(Impl::Vendor);
    LaunchTrace trace;
    const std::vector<Tensor> got = forward_backward(f, inputs, dy);
    EXPECT_EQ(trace.count(op, Implementation::CpuVendor), native ? 1 : 0);
    EXPECT_EQ(trace.count(op + "_backward", Implementation::CpuVendor), native ? 1 : 0);
    if (op == "max_pool2d") {
      EXPECT_TRUE(test::tensors_near(got[0], want[0], 0.0));
    } else {
      EXPECT_TRUE(bf16_near(got[0], want[0]));
    }
    EXPECT_TRUE(bf16_near(got[1], want[1]));
  }
  // NaN wins its window, on either path.
  std::vector<double> v = f32({1, 1, 4, 4}).to_vector<double>();
  v[5] = std::numeric_limits<double>::quiet_NaN();
  const Tensor y =
      max_pool2d(tensor(v, {1, 1, 4, 4}, kFloat64).to(kBFloat16), {.kernel_size = 2, .stride = 2});
  EXPECT_TRUE(std::isnan(y.to_vector<double>()[0]));
}

// build_info() names the bfloat16 path the CPU takes: oneDNN's bfloat16 primitives exactly
// when the CPU has bfloat16 instructions (and ONEDNN_MAX_CPU_ISA does not hide them; the
// CTest onednn.widened_16bit sets it and GPUNN_TEST_EXPECT_WIDENED).
TEST(OnednnBuild, BuildInfoNamesTheBfloat16PathOfThisCpu) {
  if (!cpu_vendor_available()) GTEST_SKIP() << "gpunn was built without oneDNN";
  const std::string info = build_info();
  const bool native = info.find("oneDNN's bfloat16 primitives") != std::string::npos;
  if (std::getenv("GPUNN_TEST_EXPECT_WIDENED")) {
    EXPECT_FALSE(native) << info;
    return;
  }
  if (std::getenv("ONEDNN_MAX_CPU_ISA") || std::getenv("DNNL_MAX_CPU_ISA"))
    GTEST_SKIP() << "ONEDNN_MAX_CPU_ISA is set";
  std::ifstream cpuinfo("/proc/cpuinfo");
  if (!cpuinfo) GTEST_SKIP() << "no /proc/cpuinfo";
  std::string line;
  bool flags_seen = false, bf16 = false;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    flags_seen = true;
    std::istringstream words(line);
    std::string w;
    while (words >> w) bf16 |= w == "avx512_bf16" || w == "amx_bf16";
    break;
  }
  if (!flags_seen) GTEST_SKIP() << "/proc/cpuinfo lists no flags";
  EXPECT_EQ(native, bf16) << info;
}

TEST(OnednnBuild, BuildInfoSaysWhetherOneDnnIsCompiledIn) {
  const std::string info = build_info();
  if (cpu_vendor_available()) {
    EXPECT_NE(info.find("onednn: compiled in (oneDNN "), std::string::npos) << info;
  } else {
    EXPECT_NE(info.find("onednn: not compiled in"), std::string::npos) << info;
  }
}

}  // namespace
}  // namespace gpunn
