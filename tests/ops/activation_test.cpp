// The activation family: relu, leaky_relu, sigmoid, tanh, gelu (erf and tanh forms).
//
// Same parts as every op test file (see elementwise_test.cpp): hand-checked
// forward values in float32 and float64; values and gradients against fixed
// float64 references; gradient and JVP checks in double; edge cases; bad input.
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
using test::values_near;

// Tolerances against the float64 references: the references and gpunn round
// differently (e.g. std::exp vs a vectorized exp), so not bit-exact.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

using UnaryFn = std::function<Tensor(const Tensor&)>;

// Checks y = f(x) and dx = d(Σ y ⊙ r)/dx against the reference values.
void expect_reference(const UnaryFn& f, const Tensor& x_value, const Tensor& r,
                      const std::vector<double>& y_expected,
                      const std::vector<double>& dx_expected) {
  Tensor x = test::leaf(x_value);
  Tensor y = f(x);
  EXPECT_EQ(y.shape(), x.shape());
  EXPECT_TRUE(values_near(y, y_expected, kRefAtol, kRefRtol));
  y.backward(r);
  ASSERT_TRUE(x.grad().defined());
  EXPECT_TRUE(values_near(x.grad(), dx_expected, kRefAtol, kRefRtol));
}

// Values in [0.1, 2) with alternating signs, the first positive: no element
// on relu's kink, and a size-1 tensor still has a nonzero gradient.
Tensor alternating(const Shape& shape) {
  std::vector<double> v = test::uniform(shape, 0.1, 2.0).to_vector<double>();
  for (size_t i = 1; i < v.size(); i += 2) v[i] = -v[i];
  return tensor(v, shape, kFloat64);
}

const std::vector<Shape> kShapes = {{1}, {7}, {3, 5}, {2, 1, 3}};

class ActivationTyped : public ::testing::TestWithParam<DType> {};

TEST_P(ActivationTyped, HandChecked) {
  const DType dt = GetParam();
  const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
  Tensor x = tensor({-2, -0.5, 0, 1.5, 3}, dt);
  EXPECT_TRUE(values_near(relu(x), {0, 0, 0, 1.5, 3}, 0));
  EXPECT_TRUE(values_near(leaky_relu(x), {-0.02, -0.005, 0, 1.5, 3}, tol));
  EXPECT_TRUE(values_near(leaky_relu(x, 0.5), {-1, -0.25, 0, 1.5, 3}, 0));
  // sigmoid(±ln 3) = 3/4 and 1/4; tanh(atanh(1/2)) = 1/2.
  const double ln3 = std::log(3.0), atanh_half = 0.5 * std::log(3.0);
  EXPECT_TRUE(values_near(sigmoid(tensor({0, ln3, -ln3}, dt)), {0.5, 0.75, 0.25}, tol));
  EXPECT_TRUE(values_near(tanh(tensor({0, atanh_half, -atanh_half}, dt)), {0, 0.5, -0.5}, tol));
  for (const Tensor& y : {relu(x), leaky_relu(x), sigmoid(x), tanh(x)}) {
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_EQ(y.shape(), (Shape{5}));
  }
}

TEST_P(ActivationTyped, HandCheckedGradients) {
  const DType dt = GetParam();
  const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
  const double ln3 = std::log(3.0);
  Tensor x = test::leaf(tensor({-2, 1.5}, dt));
  relu(x).backward(tensor({5, 7}, dt));
  EXPECT_TRUE(values_near(x.grad(), {0, 7}, 0));
  x.zero_grad(true);
  leaky_relu(x, 0.25).backward(tensor({4, 7}, dt));
  EXPECT_TRUE(values_near(x.grad(), {1, 7}, 0));
  // sigmoid'(ln 3) = 3/4 · 1/4; tanh'(atanh(1/2)) = 1 - 1/4.
  Tensor s = test::leaf(tensor({ln3}, dt));
  sigmoid(s).backward(ones({1}, dt));
  EXPECT_TRUE(values_near(s.grad(), {3.0 / 16.0}, tol));
  Tensor t = test::leaf(tensor({0.5 * ln3}, dt));
  tanh(t).backward(ones({1}, dt));
  EXPECT_TRUE(values_near(t.grad(), {0.75}, tol));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ActivationTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// Expected values from PyTorch 1.13 in float64:
//   y = f(x); (y * r).sum().backward()  ->  y, x.grad
TEST(Activation, MatchesTorchReference) {
  const Tensor x = tensor({-1.5, -0.3, 0.2, 0.7, 1.9, -2.4}, {2, 3}, kFloat64);
  const Tensor r = tensor({0.5, -1.0, 2.0, 1.5, -0.25, 0.75}, {2, 3}, kFloat64);
  {
    SCOPED_TRACE("relu");
    expect_reference([](const Tensor& v) { return relu(v); }, x, r, {0.0, 0.0, 0.2, 0.7, 1.9, 0.0},
                     {0.0, 0.0, 2.0, 1.5, -0.25, 0.0});
  }
  {
    SCOPED_TRACE("leaky_relu, default slope 0.01");
    expect_reference([](const Tensor& v) { return leaky_relu(v); }, x, r,
                     {-0.015, -0.003, 0.2, 0.7, 1.9, -0.024},
                     {0.005, -0.01, 2.0, 1.5, -0.25, 0.0075});
  }
  {
    SCOPED_TRACE("leaky_relu, slope 0.2");
    expect_reference([](const Tensor& v) { return leaky_relu(v, 0.2); }, x, r,
                     {-0.30000000000000004, -0.06, 0.2, 0.7, 1.9, -0.48},
                     {0.1, -0.2, 2.0, 1.5, -0.25, 0.15000000000000002});
  }
  {
    SCOPED_TRACE("sigmoid");
    expect_reference([](const Tensor& v) { return sigmoid(v); }, x, r,
                     {0.18242552380635635, 0.425557483188341, 0.549833997312478, 0.6681877721681662,
                      0.8698915256370021, 0.08317269649392238},
                     {0.07457322603516643, -0.24445831169074586, 0.4950331454237199,
                      0.33256930993966355, -0.028295064815482752, 0.05719124928888919});
  }
  {
    SCOPED_TRACE("tanh");
    expect_reference([](const Tensor& v) { return tanh(v); }, x, r,
                     {-0.9051482536448664, -0.2913126124515909, 0.197375320224904,
                      0.6043677771171635, 0.9562374581277391, -0.9836748576936802},
                     {0.0903533194618243, -0.9151369618266292, 1.9220859659322331,
                      0.9521093849736879, -0.021402480918350113, 0.02428783075598845});
  }
}

// A wider range, where sigmoid's two branches (x < 0 and x >= 0) and the tails
// of both functions matter. Expected values from PyTorch 1.13 in float64.
TEST(Activation, MatchesTorchReferenceWideRange) {
  const Tensor x = tensor({-9.0, -4.25, -0.05, 0.05, 3.5, 8.0}, kFloat64);
  const Tensor r = tensor({0.5, -1.0, 2.0, 1.5, -0.25, 0.75}, kFloat64);
  {
    SCOPED_TRACE("sigmoid");
    expect_reference([](const Tensor& v) { return sigmoid(v); }, x, r,
                     {0.00012339457598623172, 0.014063627043245475, 0.4875026035157896,
                      0.5124973964842103, 0.9706877692486436, 0.9996646498695336},
                     {6.168967488242445e-05, -0.01386584143763397, 0.49968763016223283,
                      0.3747657226216747, -0.0071132559699338994, 0.0002514282530672761});
  }
  {
    SCOPED_TRACE("tanh");
    expect_reference([](const Tensor& v) { return tanh(v); }, x, r,
                     {-0.999999969540041, -0.9995931460438896, -0.04995837495787998,
                      0.04995837495787998, 0.9981778976111987, 0.9999997749296758},
                     {3.045995853562458e-08, -0.000813542382079193, 1.9950083215431358,
                      1.496256241157352, -0.0009102211801218394, 3.376054482411394e-07});
  }
}

TEST(Activation, Float32AgreesWithFloat64) {
  test::reseed(11);
  const Tensor x64 = test::uniform({5, 7}, -4.0, 4.0);
  const Tensor r64 = test::uniform({5, 7});
  const std::vector<std::pair<std::string, UnaryFn>> fns = {
      {"relu", [](const Tensor& v) { return relu(v); }},
      {"leaky_relu", [](const Tensor& v) { return leaky_relu(v, 0.1); }},
      {"sigmoid", [](const Tensor& v) { return sigmoid(v); }},
      {"tanh", [](const Tensor& v) { return tanh(v); }}};
  for (const auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    Tensor a = test::leaf(x64);
    Tensor b = test::leaf(x64.to(kFloat32));
    Tensor ya = f(a), yb = f(b);
    EXPECT_EQ(yb.dtype(), kFloat32);
    // float32 carries about 7 digits.
    EXPECT_TRUE(test::tensors_near(yb, ya, 1e-6, 1e-5));
    ya.backward(r64);
    yb.backward(r64.to(kFloat32));
    EXPECT_EQ(b.grad().dtype(), kFloat32);
    EXPECT_TRUE(test::tensors_near(b.grad(), a.grad(), 1e-6, 1e-5));
  }
}

TEST(Activation, Derivatives) {
  test::reseed(3);
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::PrintToString(s));
    Tensor x = test::leaf(alternating(s));
    Tensor smooth = test::leaf(test::uniform(s, -3.0, 3.0));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return relu(v[0]); }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return leaky_relu(v[0]); }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return leaky_relu(v[0], 0.3); }, {x}));
    // Slopes outside (0, 1) are unusual but follow the same formula.
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return leaky_relu(v[0], -0.5); }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return leaky_relu(v[0], 1.5); }, {x}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return sigmoid(v[0]); }, {smooth}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return tanh(v[0]); }, {smooth}));
    // Composed, so each op's backward receives a non-trivial upstream gradient.
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return tanh(sigmoid(v[0]) * 3.0); }, {smooth}));
  }
}

TEST(Activation, GradientAtKinks) {
  // At 0 relu takes subgradient 0 and leaky_relu the slope, as in PyTorch.
  Tensor x = test::leaf(tensor({0.0, 0.0}, kFloat64));
  relu(x).backward(tensor({3, 5}, kFloat64));
  EXPECT_TRUE(values_near(x.grad(), {0, 0}, 0));
  Tensor z = test::leaf(tensor({0.0}, kFloat64));
  leaky_relu(z, 0.2).backward(tensor({1}, kFloat64));
  EXPECT_TRUE(values_near(z.grad(), {0.2}, 0));
}

TEST(Activation, LargeAndNonFinite) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dt : {kFloat32, kFloat64}) {
    SCOPED_TRACE(dtype_name(dt));
    Tensor big = test::leaf(tensor({-1000, 1000}, dt));
    Tensor s = sigmoid(big);
    EXPECT_TRUE(values_near(s, {0, 1}, 0));  // no overflow in e^-x
    s.backward(ones({2}, dt));
    EXPECT_TRUE(values_near(big.grad(), {0, 0}, 0));
    EXPECT_TRUE(values_near(tanh(big), {-1, 1}, 0));
    Tensor x = tensor({nan, inf, -inf}, dt);
    EXPECT_TRUE(values_near(relu(x), {nan, inf, 0}, 0));  // NaN stays NaN
    EXPECT_TRUE(values_near(leaky_relu(x, 0.5), {nan, inf, -inf}, 0));
    EXPECT_TRUE(values_near(sigmoid(x), {nan, 1, 0}, 0));
    EXPECT_TRUE(values_near(tanh(x), {nan, 1, -1}, 0));
  }
}

TEST(Activation, ShapesAndLayouts) {
  // Empty and 0-D tensors.
  Tensor e = test::leaf(zeros({0, 3}, kFloat64));
  Tensor ye = relu(e);
  EXPECT_EQ(ye.shape(), (Shape{0, 3}));
  ye.sum().backward();
  EXPECT_EQ(e.grad().shape(), (Shape{0, 3}));
  EXPECT_EQ(sigmoid(zeros({0}, kFloat64)).numel(), 0);
  Tensor s = test::leaf(scalar_tensor(-0.5, kFloat64));
  Tensor ys = leaky_relu(s, 0.1);
  EXPECT_EQ(ys.dim(), 0);
  EXPECT_DOUBLE_EQ(ys.item(), -0.05);
  ys.backward();
  EXPECT_DOUBLE_EQ(s.grad().item(), 0.1);
  // A transposed (non-contiguous) input: values and gradient follow its layout.
  Tensor base = test::leaf(tensor({-1, 2, -3, 4, -5, 6}, {2, 3}, kFloat64));
  Tensor xt = base.t();  // [3, 2]: {-1, 4}, {2, -5}, {-3, 6}
  Tensor yt = leaky_relu(xt, 0.5);
  EXPECT_EQ(yt.shape(), (Shape{3, 2}));
  EXPECT_TRUE(values_near(yt, {-0.5, 4, 2, -2.5, -1.5, 6}, 0));
  yt.backward(tensor({1, 2, 3, 4, 5, 6}, {3, 2}, kFloat64));
  EXPECT_TRUE(values_near(base.grad(), {0.5, 3, 2.5, 2, 2, 6}, 0));
  // The method forms are the same ops.
  Tensor x = tensor({-1, 0.5}, kFloat64);
  EXPECT_TRUE(test::tensors_near(x.relu(), relu(x), 0));
  EXPECT_TRUE(test::tensors_near(x.sigmoid(), sigmoid(x), 0));
  EXPECT_TRUE(test::tensors_near(x.tanh(), tanh(x), 0));
  EXPECT_EQ(relu(test::leaf(x)).grad_fn_name(), "relu_backward");
  EXPECT_EQ(tanh(test::leaf(x)).grad_fn_name(), "tanh_backward");
}

TEST(Activation, BadInput) {
  Tensor idx = zeros({2, 3}, kInt64);
  EXPECT_THROWS_WITH(relu(idx), "relu", "int64", "[2, 3]");
  EXPECT_THROWS_WITH(leaky_relu(idx), "leaky_relu", "int64");
  EXPECT_THROWS_WITH(sigmoid(idx), "sigmoid", "int64");
  EXPECT_THROWS_WITH(tanh(idx), "tanh", "int64");
  EXPECT_THROWS_WITH(relu(Tensor()), "relu", "undefined");
  EXPECT_THROWS_WITH(sigmoid(Tensor()), "sigmoid", "undefined");
}

// ---- gelu ------------------------------------------------------------------------------------

TEST(Gelu, HandChecked) {
  for (DType dt : {kFloat32, kFloat64}) {
    const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
    const Tensor x = tensor({0.0, 1.0, -1.0}, dt);
    // 1·Φ(1) and -1·Φ(-1) = -(1 - Φ(1)); the tanh form's 1/2·(1 + tanh(√(2/π)·1.044715)).
    EXPECT_TRUE(values_near(gelu(x), {0.0, 0.8413447460685429, -0.15865525393145707}, tol));
    EXPECT_TRUE(values_near(gelu(x, GeluApproximation::Tanh),
                            {0.0, 0.8411919906082768, -0.15880800939172324}, tol));
  }
}

// Expected values from PyTorch 1.13 in float64 (torch.nn.functional.gelu with
// approximate="none" and "tanh"): y = f(x); (y * r).sum().backward() -> y, x.grad.
TEST(Gelu, MatchesTorchReference) {
  const Tensor x = tensor({-1.5, -0.3, 0.2, 0.7, 1.9, -2.4}, {2, 3}, kFloat64);
  const Tensor r = tensor({0.5, -1.0, 2.0, 1.5, -0.25, 0.75}, {2, 3}, kFloat64);
  {
    SCOPED_TRACE("gelu, erf form");
    expect_reference([](const Tensor& v) { return gelu(v); }, x, r,
                     {-0.10021080190328704, -0.1146265733433142, 0.11585194188782061,
                      0.5306254434438489, 1.8454385363495966, -0.019674086219030773},
                     {-0.0637345961149898, -0.26767223317289013, 1.3149364964683883,
                      1.4649211517004899, -0.273988372063971, -0.0341620025872701});
  }
  {
    SCOPED_TRACE("gelu, tanh form");
    expect_reference([](const Tensor& v) { return gelu(v, GeluApproximation::Tanh); }, x, r,
                     {-0.10042842301976707, -0.11462907645724074, 0.11585142978210627,
                      0.5305701347051167, 1.8454512344553327, -0.019276846155601702},
                     {-0.06385539657571654, -0.26770454836119817, 1.3149162983913991,
                      1.464535827984156, -0.2741954520249486, -0.03454496895429622});
  }
  // The tails, where 1 + erf(x/√2) and 1 + tanh(u) lose their last digits.
  const Tensor xw = tensor({-9.0, -4.25, -0.05, 0.05, 3.5, 8.0}, kFloat64);
  const Tensor rw = tensor({0.5, -1.0, 2.0, 1.5, -0.25, 0.75}, kFloat64);
  {
    SCOPED_TRACE("gelu, erf form, wide range");
    expect_reference([](const Tensor& v) { return gelu(v); }, xw, rw,
                     {0.0, -4.542623454358019e-05, -0.02400305970808138, 0.025996940291918624,
                      3.4991857982233756, 7.999999999999995},
                     {-4.625898107251012e-18, 0.000192115679525161, 0.9202779969137787,
                      0.809791502314666, -0.2507054400884062, 0.7500000000000298});
  }
  {
    SCOPED_TRACE("gelu, tanh form, wide range");
    expect_reference([](const Tensor& v) { return gelu(v, GeluApproximation::Tanh); }, xw, rw,
                     {0.0, -2.0142035844883388e-05, -0.024003061761377995, 0.025996938238622008,
                      3.499383802344626, 8.0},
                     {0.0, 0.00010528218415245503, 0.920278325156585, 0.8097912561325611,
                      -0.2506056609400292, 0.75});
  }
}

TEST(Gelu, Derivatives) {
  for (const Shape& shape : kShapes) {
    const Tensor x = test::uniform(shape, -3.0, 3.0);
    EXPECT_TRUE(derivatives_ok([](const auto& in) { return gelu(in[0]); }, {test::leaf(x)}));
    EXPECT_TRUE(derivatives_ok([](const auto& in) { return gelu(in[0], GeluApproximation::Tanh); },
                               {test::leaf(x)}));
  }
}

TEST(Gelu, EdgesAndBadInput) {
  EXPECT_EQ(gelu(zeros({0, 4})).shape(), (Shape{0, 4}));
  EXPECT_TRUE(std::isnan(gelu(tensor({std::nan("")}, kFloat64)).item()));
  EXPECT_TRUE(values_near(gelu(tensor({-std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::infinity()},
                                      kFloat64)),
                          {std::nan(""), std::numeric_limits<double>::infinity()}, 0));
  EXPECT_THROWS_WITH(gelu(zeros({2}, kInt64)), "gelu", "int64");
  EXPECT_THROWS_WITH(gelu(Tensor()), "gelu", "undefined");
  EXPECT_EQ(nn::GELU(GeluApproximation::Tanh).extra_repr(), "approximate=tanh");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(ActivationRows, EveryActivation) {
  const Tensor x = test::away_from_zero({33, 9});
  const auto A = OpFamily::Activation;
  // oneDNN and cuDNN keep ours for relu's forward (NaN stays NaN) and have no leaky ReLU
  // forward; their backward runs where they have one.
  test::expect_rows(A, "relu", [](auto& in) { return relu(in[0]); }, {x},
                    {.cpu_vendor_ops = {"relu_backward"}, .cuda_vendor_ops = {"relu_backward"}});
  test::expect_rows(A, "leaky_relu", [](auto& in) { return leaky_relu(in[0], 0.1); }, {x},
                    {.cpu_vendor_ops = {"leaky_relu_backward"}});
  test::expect_rows(A, "sigmoid", [](auto& in) { return sigmoid(in[0]); }, {mul(x, 5.0)},
                    {.cpu_vendor_ops = {"sigmoid", "sigmoid_backward"},
                     .cuda_vendor_ops = {"sigmoid", "sigmoid_backward"}});
  test::expect_rows(
      A, "tanh", [](auto& in) { return tanh(in[0]); }, {x},
      {.cpu_vendor_ops = {"tanh", "tanh_backward"}, .cuda_vendor_ops = {"tanh", "tanh_backward"}});
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table activation_bad_input() {
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
  return t;
}

TEST(ActivationBadInput, Table) { run_table(activation_bad_input()); }

}  // namespace gpunn::bad_input
