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
// log_softmax, and relu/leaky_relu forward, stay on the reference loops
// (kernels/vendor/onednn.h says why); tests below pin that down.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

constexpr double kSumAtol = 1e-4;
constexpr double kSumRtol = 1e-5;

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
  Conv2dOptions o;
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
    const Conv2dOptions o = c.o;
    expect_paths_agree(
        [o](const std::vector<Tensor>& v) {
          return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), o);
        },
        inputs, kSumAtol, kSumRtol);
  }
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
    expect_paths_agree([o](const std::vector<Tensor>& v) { return max_pool2d(v[0], o); },
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
    expect_paths_agree([o](const std::vector<Tensor>& v) { return avg_pool2d(v[0], o); },
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
