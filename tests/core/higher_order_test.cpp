// Derivatives of derivatives: create_graph, gradgradcheck over every op with a
// differentiable gradient rule, hvp / hessian / jacobian against closed forms, forward over
// reverse against reverse over reverse, and the errors of ops without a rule.
#include <gpunn/gpunn.h>
#include <gpunn/testing/gradcheck.h>
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace gpunn {
namespace {

using testing::gradgradcheck;
using testing::TensorFn;

constexpr double kPi = 3.14159265358979323846;

Tensor leaf(const Shape& shape, uint64_t seed, double scale = 1.0, double shift = 0.0) {
  Generator g(seed);
  return (randn(shape, kFloat64, &g) * scale + shift).requires_grad_(true);
}

#define EXPECT_GRADGRAD(f, ...)                         \
  do {                                                  \
    const auto result_ = gradgradcheck(f, __VA_ARGS__); \
    EXPECT_TRUE(result_.ok) << result_.message;         \
    EXPECT_GT(result_.checked, 0);                      \
  } while (0)

// Each unary op inside x·op(x), so that its second derivative enters (ops linear in x have
// none of their own).
TEST(DoubleBackward, UnaryOps) {
  const Tensor x = leaf({2, 3}, 1);
  const Tensor positive = leaf({2, 3}, 2, 0.3, 1.5);  // away from 0 for log, sqrt, pow, rdiv
  auto times_x = [](Tensor (*op)(const Tensor&)) {
    return TensorFn([op](const std::vector<Tensor>& v) { return v[0] * op(v[0]); });
  };
  for (auto op : {&exp, &sin, &cos, &neg, &abs, &tanh, &sigmoid, &relu})
    EXPECT_GRADGRAD(times_x(op), {x});
  for (auto op : {&log, &sqrt}) EXPECT_GRADGRAD(times_x(op), {positive});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& v) { return pow(v[0], 2.5) + pow(v[0], 3.0); },
                  {positive});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& v) { return v[0] * rdiv(v[0], 2.0); }, {positive});
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& v) {
        return v[0] * (add(v[0], 1.5) + sub(v[0], 0.5) + mul(v[0], 3.0) + div(v[0], 4.0) +
                       rsub(v[0], 2.0));
      },
      {x});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& v) { return v[0] * clamp(v[0], -0.5, 0.7); }, {x});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& v) { return v[0] * leaky_relu(v[0], 0.1); }, {x});
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& v) { return v[0] * gelu(v[0], GeluApproximation::Tanh); }, {x});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& v) { return gelu(v[0]); }, {x});
  // gelu (erf): its derivative is a recorded op whose own derivative is φ(x)(2 - x²); the
  // third derivative φ(x)(x³ - 4x) through it, against the closed form.
  Tensor z = tensor({-1.3, -0.2, 0.0, 0.6, 2.1}, {5}, kFloat64).requires_grad_(true);
  const Tensor g1 = autograd::grad({gelu(z).sum()}, {z}, {}, {.create_graph = true})[0];
  const Tensor g2 = autograd::grad({g1.sum()}, {z}, {}, {.create_graph = true})[0];
  const Tensor g3 = autograd::grad({g2.sum()}, {z})[0];
  std::vector<double> second, third;
  for (const double t : z.to_vector<double>()) {
    const double phi = std::exp(-0.5 * t * t) / std::sqrt(2 * kPi);
    second.push_back(phi * (2 - t * t));
    third.push_back(phi * (t * t * t - 4 * t));
  }
  EXPECT_TRUE(test::values_near(g2, second, 1e-14));
  EXPECT_TRUE(test::values_near(g3, third, 1e-14));
  // x^0: the gradient is 0 everywhere, and so is its derivative.
  Tensor y = positive.detach().requires_grad_(true);
  const Tensor g = autograd::grad({pow(y, 0.0).sum()}, {y}, {}, {.create_graph = true})[0];
  EXPECT_EQ(abs(g).sum().item(), 0.0);
}

TEST(DoubleBackward, BinaryOpsWithBroadcasting) {
  const Tensor a = leaf({2, 3}, 3, 0.3, 1.2), b = leaf({3}, 4, 0.3, 1.4);
  for (auto op : {static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&add),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&sub),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&mul),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&div),
                  static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&pow)}) {
    EXPECT_GRADGRAD([op](const std::vector<Tensor>& v) { return op(v[0], v[1]) * v[0] * v[1]; },
                    {a, b});
  }
  // One operand fixed (no requires_grad): only the other's derivatives are formed.
  EXPECT_GRADGRAD([](const std::vector<Tensor>& v) { return v[0] * v[1] / v[0].exp(); },
                  {a, b.detach()});
}

TEST(DoubleBackward, MatmulAndLinear) {
  const Tensor a = leaf({2, 3, 4}, 5), b = leaf({4, 2}, 6), v = leaf({4}, 7);
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return tanh(matmul(t[0], t[1])); }, {a, b});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return sin(matmul(t[0], t[1])); }, {a, v});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return sin(matmul(t[0], t[0])); },
                  {leaf({3}, 8)});  // a dot product
  const Tensor x = leaf({2, 2, 3}, 9), w = leaf({4, 3}, 10), bias = leaf({4}, 11);
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return tanh(linear(t[0], t[1], t[2])); },
                  {x, w, bias});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return sigmoid(linear(t[0], t[1])); }, {x, w});
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& t) {
        return sin(linear(t[0], t[1], t[2], FusedActivation::ReLU));
      },
      {x, w, bias});
}

TEST(DoubleBackward, ReductionsSoftmaxAndLosses) {
  const Tensor x = leaf({3, 4}, 12);
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return sin(t[0].sum({1})) * t[0].mean(); },
                  {x});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return softmax(t[0], 1) * t[0]; }, {x});
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return log_softmax(t[0], 0) * t[0]; }, {x});
  const Tensor target = tensor_from(std::vector<int64_t>{1, 3, 0}, {3});
  EXPECT_GRADGRAD([&](const std::vector<Tensor>& t) { return cross_entropy(t[0], target); }, {x});
  const Tensor weight = tensor({0.5, 1.0, 2.0, 1.5}, {4}, kFloat64);
  EXPECT_GRADGRAD(
      [&](const std::vector<Tensor>& t) {
        return cross_entropy(t[0], target, {.weight = weight, .label_smoothing = 0.1});
      },
      {x});
  EXPECT_GRADGRAD(
      [&](const std::vector<Tensor>& t) { return nll_loss(log_softmax(t[0], 1), target); }, {x});
  const Tensor y = leaf({3, 4}, 13);
  EXPECT_GRADGRAD([](const std::vector<Tensor>& t) { return mse_loss(tanh(t[0]), t[1]); }, {x, y});
}

TEST(DoubleBackward, ViewsAndCopies) {
  const Tensor x = leaf({2, 3, 4}, 14);
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& t) {
        const Tensor& v = t[0];
        return sin(v.reshape({6, 4})).sum({0}) * v.transpose(0, 2).narrow(0, 1, 2).sum() +
               v.permute({2, 0, 1}).select(0, 3).sum() * v.select(1, 0).sum() +
               cat({v, v * v}, 1).sum() * v.clone().mean() +
               v.narrow(2, 1, 2).unsqueeze(0).expand({3, 2, 3, 2}).sum() * v.sum();
      },
      {x});
}

// f(x) = (x1·x2·sin x3 + e^(x1·x2)) / x3, the lecture's worked example, and its Hessian.
Tensor lecture_f(const Tensor& x) {
  const Tensor a = x[0] * x[1];
  return (a * sin(x[2]) + exp(a)) / x[2];
}

std::vector<double> lecture_hessian(double x1, double x2, double x3) {
  const double a = x1 * x2, s = std::sin(x3), c = std::cos(x3), e = std::exp(a);
  const double h11 = x2 * x2 * e / x3, h22 = x1 * x1 * e / x3;
  const double h12 = (s + e + a * e) / x3;
  const double h13 = x2 * c / x3 - x2 * (s + e) / (x3 * x3);
  const double h23 = x1 * c / x3 - x1 * (s + e) / (x3 * x3);
  const double h33 = -a * s / x3 - 2 * a * c / (x3 * x3) + 2 * (a * s + e) / (x3 * x3 * x3);
  return {h11, h12, h13, h12, h22, h23, h13, h23, h33};
}

TEST(Hessian, TheLectureExampleByBothModesMatchesTheClosedForm) {
  for (const std::vector<double>& p :
       {std::vector<double>{1, 2, kPi / 2}, std::vector<double>{0.3, -0.7, 2.1}}) {
    const Tensor x = tensor(p, {3}, kFloat64);
    const Tensor fr = autograd::hessian(lecture_f, x, autograd::HessianMode::ForwardOverReverse);
    const Tensor rr = autograd::hessian(lecture_f, x, autograd::HessianMode::ReverseOverReverse);
    EXPECT_EQ(fr.shape(), (Shape{3, 3}));
    const std::vector<double> closed = lecture_hessian(p[0], p[1], p[2]);
    EXPECT_TRUE(test::values_near(fr, closed, 1e-12));
    EXPECT_TRUE(test::values_near(rr, closed, 1e-12));
    EXPECT_TRUE(test::values_near(fr, rr.to_vector<double>(), 1e-12));
  }
}

TEST(Hessian, HvpMatchesTheExplicitHessian) {
  // f(x) = Σ sin(x)·x² + (Σ x)², H = diag(2 sin x + 4x cos x - x² sin x) + 2·11ᵀ.
  auto f = [](const Tensor& x) { return (sin(x) * x * x).sum() + x.sum() * x.sum(); };
  const Tensor x = tensor({0.3, -1.2, 2.0, 0.7}, {4}, kFloat64);
  const Tensor v = tensor({1.0, -2.0, 0.5, 3.0}, {4}, kFloat64);
  const std::vector<double> xs = x.to_vector<double>(), vs = v.to_vector<double>();
  std::vector<double> hv(4), grad(4);
  double total = 0, vsum = 0;
  for (int i = 0; i < 4; ++i) total += xs[i], vsum += vs[i];
  for (int i = 0; i < 4; ++i) {
    const double xi = xs[i];
    const double d = 2 * std::sin(xi) + 4 * xi * std::cos(xi) - xi * xi * std::sin(xi);
    hv[i] = d * vs[i] + 2 * vsum;
    grad[i] = std::cos(xi) * xi * xi + 2 * xi * std::sin(xi) + 2 * total;
  }
  const auto [g, h] = autograd::hvp(f, x, v);
  EXPECT_TRUE(test::values_near(g, grad, 1e-12));
  EXPECT_TRUE(test::values_near(h, hv, 1e-12));
  // The Hessian itself, both ways, times v.
  for (auto mode :
       {autograd::HessianMode::ForwardOverReverse, autograd::HessianMode::ReverseOverReverse}) {
    const Tensor H = autograd::hessian(f, x, mode);
    EXPECT_TRUE(test::values_near(matmul(H, v), hv, 1e-12));
  }
  EXPECT_FALSE(x.requires_grad());  // x is left as it was
  // A function that does not depend on x: zero gradient and zero product.
  const auto [g0, h0] = autograd::hvp([](const Tensor& t) { return t.sum() * 0.0 + 1.0; }, x, v);
  EXPECT_EQ(abs(h0).sum().item(), 0.0);
  EXPECT_THROWS_WITH(autograd::hvp(f, x, ones({3}, kFloat64)), "hvp", "must match x");
  EXPECT_THROWS_WITH(autograd::hvp([](const Tensor& t) { return t * 2.0; }, x, v), "hvp",
                     "one element");
}

TEST(Hessian, ANetworkLossByBothModes) {
  // The Hessian of a softmax classifier's loss in its weights (a linear layer, flattened):
  // forward over reverse and reverse over reverse agree.
  Generator gen(15);
  const Tensor data = randn({5, 3}, kFloat64, &gen);
  const Tensor target = tensor_from(std::vector<int64_t>{0, 2, 1, 1, 0}, {5});
  auto loss = [&](const Tensor& w) {
    return cross_entropy(tanh(linear(data, w.reshape({3, 3}))), target);
  };
  const Tensor w = randn({9}, kFloat64, &gen);
  const Tensor a = autograd::hessian(loss, w, autograd::HessianMode::ForwardOverReverse);
  const Tensor b = autograd::hessian(loss, w, autograd::HessianMode::ReverseOverReverse);
  EXPECT_TRUE(test::values_near(a, b.to_vector<double>(), 1e-12));
  EXPECT_TRUE(test::values_near(a, a.transpose(0, 1).contiguous().to_vector<double>(), 1e-12));
  EXPECT_GT(abs(a).max().item(), 1e-3);
}

TEST(Jacobian, BothModesMatchTheClosedForm) {
  // f(x) = [x0·x1, sin x2, x0 + x2²]
  auto f = [](const Tensor& x) { return stack({x[0] * x[1], sin(x[2]), x[0] + x[2] * x[2]}, 0); };
  const Tensor x = tensor({2.0, 3.0, 0.5}, {3}, kFloat64);
  const std::vector<double> closed{3, 2, 0, 0, 0, std::cos(0.5), 1, 0, 1.0};
  for (auto mode : {autograd::JacobianMode::Forward, autograd::JacobianMode::Reverse}) {
    const Tensor J = autograd::jacobian(f, x, mode);
    EXPECT_EQ(J.shape(), (Shape{3, 3}));
    EXPECT_TRUE(test::values_near(J, closed, 1e-15));
  }
  // Shapes: f(x) [2, 2] of x [3] gives [2, 2, 3].
  const Tensor J = autograd::jacobian(
      [](const Tensor& t) {
        return t.narrow(0, 0, 2).unsqueeze(1) * t.narrow(0, 1, 2).unsqueeze(0);
      },
      x);
  EXPECT_EQ(J.shape(), (Shape{2, 2, 3}));
}

TEST(CreateGraph, GradientsKeepHistoryAndMatchThePlainPass) {
  const Tensor x = leaf({4}, 16);
  const Tensor w = leaf({4}, 17);
  auto loss = [&] { return (tanh(x * w) * x).sum(); };
  const Tensor plain = autograd::grad({loss()}, {x})[0];
  const Tensor g = autograd::grad({loss()}, {x}, {}, {.create_graph = true})[0];
  EXPECT_FALSE(plain.requires_grad());
  EXPECT_TRUE(g.requires_grad());
  EXPECT_TRUE(test::values_near(g, plain.to_vector<double>(), 1e-15));
  // backward(create_graph): grad() itself has history; a penalty on it trains w
  // (WGAN-GP's pattern: (|∇x D|² - 1)² backpropagated into D's parameters).
  loss().backward(Tensor(), false, /*create_graph=*/true);
  ASSERT_TRUE(x.grad().requires_grad());
  const Tensor penalty = pow(sub(x.grad().mul(x.grad()).sum(), 1.0), 2.0);
  const Tensor dw = autograd::grad({penalty}, {w})[0];
  // Against central differences of the penalty in w.
  const std::vector<double> w0 = w.to_vector<double>();
  for (int k = 0; k < 4; ++k) {
    auto at = [&](double h) {
      std::vector<double> ws = w0;
      ws[static_cast<size_t>(k)] += h;
      Tensor xv = x.detach().requires_grad_(true);
      const Tensor gx =
          autograd::grad({(tanh(xv * tensor(ws, {4}, kFloat64)) * xv).sum()}, {xv})[0];
      return std::pow((gx * gx).sum().item() - 1.0, 2.0);
    };
    const double numeric = (at(1e-6) - at(-1e-6)) / 2e-6;
    EXPECT_NEAR(dw.to_vector<double>()[static_cast<size_t>(k)], numeric,
                1e-6 * std::max(1.0, std::abs(numeric)));
  }
  // A second backward(create_graph) accumulates out of place, keeping the history.
  loss().backward(Tensor(), false, true);
  EXPECT_TRUE(test::values_near(x.grad(), (g * 2.0).to_vector<double>(), 1e-14));
  EXPECT_TRUE(x.grad().requires_grad());
}

TEST(DoubleBackward, Conv2d) {
  // Strides, padding, dilation and groups, sizes where the floor leaves input rows unread,
  // with and without bias and the fused ReLU.
  const Tensor x = leaf({2, 4, 7, 6}, 21), w = leaf({6, 2, 3, 2}, 22), b = leaf({6}, 23);
  const Conv2dFuncOptions o{.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  EXPECT_GRADGRAD([&](const std::vector<Tensor>& t) { return sin(conv2d(t[0], t[1], t[2], o)); },
                  {x, w, b});
  Conv2dFuncOptions fused{.stride = 2, .padding = 1};
  fused.activation = ConvActivation::ReLU;
  EXPECT_GRADGRAD(
      [&](const std::vector<Tensor>& t) { return tanh(conv2d(t[0], t[1], Tensor(), fused)); },
      {leaf({1, 2, 5, 5}, 24), leaf({3, 2, 3, 3}, 25)});
  // One image [C, H, W] and a fixed weight.
  const Conv2dFuncOptions plain{.stride = 2, .padding = 1};
  EXPECT_GRADGRAD(
      [&](const std::vector<Tensor>& t) { return sin(conv2d(t[0], t[1], Tensor(), plain)); },
      {leaf({2, 5, 4}, 26), leaf({3, 2, 2, 2}, 27).detach()});
}

TEST(CreateGraph, OpsWithoutARuleSayWhichOne) {
  const Tensor x = leaf({1, 4, 3, 3}, 18);
  const Tensor y = local_response_norm(x, 3).sum();
  EXPECT_THROWS_WITH(autograd::grad({y}, {x}, {}, {.create_graph = true}),
                     "local_response_norm_backward", "no differentiable gradient rule",
                     "create_graph");
  // The plain pass through the same op still works.
  EXPECT_EQ(autograd::grad({local_response_norm(x, 3).sum()}, {x})[0].shape(), x.shape());
  const auto r = gradgradcheck(
      [](const std::vector<Tensor>& t) { return local_response_norm(t[0] * t[0], 3); },
      {leaf({1, 4, 2, 2}, 20)});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("local_response_norm_backward has no differentiable gradient rule"),
            std::string::npos)
      << r.message;
}

TEST(DoubleBackward, Pooling) {
  // Max pooling: the gradient is routed to the argmax (a recorded scatter, whose own
  // gradient is a gather), overlapping windows, padding, ceil mode; average pooling:
  // with and without the padding in the divisor.
  const Tensor x = leaf({2, 3, 6, 5}, 32);
  for (const Pool2dOptions& o :
       {Pool2dOptions{.kernel_size = 2}, Pool2dOptions{.kernel_size = 3, .stride = 2, .padding = 1},
        Pool2dOptions{.kernel_size = {2, 3}, .stride = {2, 1}, .ceil_mode = true}}) {
    EXPECT_GRADGRAD(
        [&](const std::vector<Tensor>& t) { return max_pool2d(t[0], o) * max_pool2d(t[0], o); },
        {x});
    Pool2dOptions exclude = o;
    exclude.count_include_pad = false;
    for (const Pool2dOptions& a : {o, exclude})
      EXPECT_GRADGRAD([&](const std::vector<Tensor>& t) { return sin(avg_pool2d(t[0], a)); }, {x});
  }
  // One image [C, H, W].
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& t) {
        return tanh(max_pool2d(t[0], {.kernel_size = 2}) * avg_pool2d(t[0], {.kernel_size = 2}));
      },
      {leaf({2, 4, 4}, 33)});
  // Third order through the pair of recorded ops: the gradient of a Hessian-vector product.
  const Tensor v = leaf({1, 1, 4, 4}, 34).detach();
  Tensor z = leaf({1, 1, 4, 4}, 35);
  auto f = [](const Tensor& t) { return (max_pool2d(t * t * t, {.kernel_size = 2})).sum(); };
  const Tensor g = autograd::grad({f(z)}, {z}, {}, {.create_graph = true})[0];
  const Tensor hv = autograd::grad({(g * v).sum()}, {z}, {}, {.create_graph = true})[0];
  const Tensor third = autograd::grad({(hv * v).sum()}, {z})[0];
  // f = Σ over the windows' maxima of t³: the third derivative along v at the argmax is 6 v².
  const Tensor idx =
      max_pool2d_with_indices(z.detach() * z.detach() * z.detach(), {.kernel_size = 2}).indices;
  std::vector<double> expected(16, 0.0);
  const std::vector<double> vs = v.to_vector<double>();
  for (const int64_t k : idx.to_vector<int64_t>())
    expected[static_cast<size_t>(k)] = 6 * vs[static_cast<size_t>(k)] * vs[static_cast<size_t>(k)];
  EXPECT_TRUE(test::values_near(third, expected, 1e-12));
  // Without tangents float32 max pooling runs on the CPU vendor path where there is one
  // (oneDNN keeps its argmax in its own format, and the rule finds the indices again from
  // the input): reverse over reverse gives the float64 Hessian-vector product.
  auto pooled = [](const Tensor& t) {
    return (max_pool2d(t * t * t, {.kernel_size = 3, .stride = 2, .padding = 1}) *
            t.narrow(2, 0, 3).narrow(3, 0, 3))
        .sum();
  };
  const Tensor p64 = leaf({2, 3, 6, 6}, 36).detach(), d64 = leaf({2, 3, 6, 6}, 37).detach();
  const Tensor h64 = autograd::hvp(pooled, p64, d64).second;
  const Tensor p32 = p64.to(kFloat32).requires_grad_(true);
  const Tensor g32 = autograd::grad({pooled(p32)}, {p32}, {}, {.create_graph = true})[0];
  const Tensor h32 = autograd::grad({(g32 * d64.to(kFloat32)).sum()}, {p32})[0];
  EXPECT_TRUE(test::values_near(h32.to(kFloat64), h64.to_vector<double>(), 1e-4));
}

TEST(DoubleBackward, BatchNorm) {
  // Batch statistics (their dependence on x included), with and without the affine
  // parameters, [N, C] and [N, C, H, W]; running statistics in evaluation mode.
  const Tensor x4 = leaf({3, 2, 2, 3}, 28), x2 = leaf({5, 3}, 29);
  const Tensor w = leaf({2}, 30, 0.3, 1.0), b = leaf({2}, 31);
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& t) {
        return sin(batch_norm(t[0], Tensor(), Tensor(), t[1], t[2], {.training = true}));
      },
      {x4, w, b});
  EXPECT_GRADGRAD(
      [](const std::vector<Tensor>& t) {
        return tanh(batch_norm(t[0], Tensor(), Tensor(), Tensor(), Tensor(), {.training = true}));
      },
      {x2});
  const Tensor rm = tensor({0.2, -0.1}, {2}, kFloat64), rv = tensor({1.5, 0.7}, {2}, kFloat64);
  EXPECT_GRADGRAD(
      [&](const std::vector<Tensor>& t) {
        return sin(batch_norm(t[0], rm, rv, t[1], t[2], {.training = false}) * t[0]);
      },
      {x4, w, b});
}

TEST(CreateGraph, CudaMatchesTheCpu) {
  GPUNN_REQUIRE_GPU();
  // Hessian-vector products (forward over reverse) and a Hessian row by reverse over reverse
  // through every family with a differentiable rule, on the GPU against the CPU, float64.
  Generator gen(40);
  const Tensor target = tensor_from(std::vector<int64_t>{1, 0}, {2});
  const std::vector<std::pair<const char*, autograd::ScalarFunction>> cases{
      {"elementwise and softmax",
       [](const Tensor& x) { return (sin(x) * x).sum() + (softmax(x, 0) * x).sum(); }},
      {"conv, relu, max pool, linear, cross entropy",
       [&](const Tensor& x) {
         const Tensor img = x.reshape({2, 1, 4, 4});
         const Tensor h = max_pool2d(
             relu(conv2d(
                 img,
                 img.narrow(0, 0, 1).narrow(2, 0, 3).narrow(3, 0, 3).expand({3, 1, 3, 3}) * 0.5,
                 Tensor(), {.padding = 1})),
             {.kernel_size = 2});
         return cross_entropy(
             linear(h.reshape({2, 12}),
                    h.reshape({2, 12}).narrow(1, 0, 12).narrow(0, 0, 1).expand({2, 12})),
             target);
       }},
      {"batch norm, average pool, gelu",
       [](const Tensor& x) {
         const Tensor img = x.reshape({2, 2, 2, 4});
         return (gelu(avg_pool2d(
                     batch_norm(img, Tensor(), Tensor(), Tensor(), Tensor(), {.training = true}),
                     {.kernel_size = 2})) *
                 img.narrow(2, 0, 1).narrow(3, 0, 2))
             .sum();
       }},
  };
  for (const auto& [label, f] : cases) {
    const Tensor x = randn({32}, kFloat64, &gen), v = randn({32}, kFloat64, &gen);
    const auto [g, h] = autograd::hvp(f, x, v);
    const auto [gc, hc] = autograd::hvp(f, x.to(Device::cuda(0)), v.to(Device::cuda(0)));
    EXPECT_TRUE(test::values_near(gc.to(kCPU), g.to_vector<double>(), 1e-10)) << label;
    EXPECT_TRUE(test::values_near(hc.to(kCPU), h.to_vector<double>(), 1e-10)) << label;
    const Tensor H =
        autograd::hessian(f, x.to(Device::cuda(0)), autograd::HessianMode::ReverseOverReverse);
    EXPECT_TRUE(test::values_near(matmul(H.to(kCPU), v), h.to_vector<double>(), 1e-10)) << label;
  }
}

}  // namespace
}  // namespace gpunn
