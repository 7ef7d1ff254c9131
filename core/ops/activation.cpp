// Activations: relu, leaky_relu, sigmoid, tanh, gelu (formulas in gpunn/ops/activation.h).
//
// Each saves the one tensor its derivative reads (y for relu/sigmoid/tanh, x for
// leaky_relu and gelu), and its backward kernel doubles as the JVP with dy := tangent.
#include <gpunn/autograd.h>
#include <gpunn/ops/activation.h>
#include <gpunn/ops/elementwise.h>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/activation.h"

namespace gpunn {
namespace {

using kernels::Activation;

const char* act_name(Activation f) {
  switch (f) {
    case Activation::Relu:
      return "relu";
    case Activation::LeakyRelu:
      return "leaky_relu";
    case Activation::Sigmoid:
      return "sigmoid";
    case Activation::Tanh:
      return "tanh";
    case Activation::GeluErf:
    case Activation::GeluTanh:
      return "gelu";
  }
  return "activation";
}

const char* act_backward_name(Activation f) {
  switch (f) {
    case Activation::Relu:
      return "relu_backward";
    case Activation::LeakyRelu:
      return "leaky_relu_backward";
    case Activation::Sigmoid:
      return "sigmoid_backward";
    case Activation::Tanh:
      return "tanh_backward";
    case Activation::GeluErf:
    case Activation::GeluTanh:
      return "gelu_backward";
  }
  return "activation_backward";
}

Tensor act_forward(Activation f, const Tensor& x, double slope) {
  Tensor y = empty_as(x, x.shape());
  const kernels::ActivationArgs args{.dtype = x.dtype(),
                                     .f = f,
                                     .n = x.numel(),
                                     .slope = slope,
                                     .x = x.data_ptr(),
                                     .y = y.data_ptr()};
  launch(kernels::activation_forward, x.device(), args, {&x}, {&y}, act_name(f));
  return y;
}

// dx = dy * f'(saved), saved = x or y as kernels::activation_backward_reads_x(f) says.
Tensor act_backward(Activation f, const Tensor& dy, const Tensor& saved, double slope) {
  Tensor g = dy.contiguous();
  Tensor dx = empty_as(g, g.shape());
  const kernels::ActivationBackwardArgs args{.dtype = g.dtype(),
                                             .f = f,
                                             .n = g.numel(),
                                             .slope = slope,
                                             .dy = g.data_ptr(),
                                             .saved = saved.data_ptr(),
                                             .dx = dx.data_ptr()};
  launch(kernels::activation_backward, g.device(), args, {&g, &saved}, {&dx}, act_backward_name(f));
  return dx;
}

struct ActSaved {
  autograd::SavedTensor x_or_y;
};

// GELU's derivative Φ(x) + x·φ(x) (erf form) as a recorded op, for gelu's differentiable
// rule: there is no erf op to write Φ with, so the value comes from the backward kernel with
// dy = 1, and its own derivative, φ(x)·(2 - x²) with φ(x) = e^(-x²/2)/√(2π), is ops on x
// (differentiable again).
Tensor gelu_erf_prime(const Tensor& x);

Tensor gelu_erf_second(const Tensor& x) {
  const Tensor x2 = mul(x, x);
  return mul(mul(exp(mul(x2, -0.5)), 0.39894228040143267794), rsub(x2, 2.0));
}

class GeluErfPrimeBackward final : public autograd::NodeWith<ActSaved> {
 public:
  const char* name() const override { return "gelu_derivative_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {mul(grads[0], gelu_erf_second(saved.x_or_y.unpack(*this)))};
  }
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return {
        mul(grads[0], gelu_erf_second(saved.x_or_y.unpack_differentiable(*this, next_edges[0])))};
  }
};

class ActBackward final : public autograd::NodeWith<ActSaved> {
 public:
  ActBackward(Activation act, double slope) : act_(act), slope_(slope) {}
  const char* name() const override { return act_backward_name(act_); }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {act_backward(act_, grads[0], saved.x_or_y.unpack(*this), slope_)};
  }
  // dy · f' as ops (Note [differentiable backward]), with the kernels' conventions at 0.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor& dy = grads[0];
    const bool reads_x = kernels::activation_backward_reads_x(act_);
    const Tensor s = reads_x ? saved.x_or_y.unpack_differentiable(*this, next_edges[0])
                             : saved.x_or_y.unpack_output(*this, 0);
    switch (act_) {
      case Activation::Relu:  // y > 0
        return {mul(dy, gt(s, 0.0))};
      case Activation::LeakyRelu: {  // 1 for x > 0, else the slope
        const Tensor positive = gt(s, 0.0);
        return {mul(dy, add(positive, mul(rsub(positive, 1.0), slope_)))};
      }
      case Activation::Sigmoid:  // y (1 - y)
        return {mul(mul(dy, s), rsub(s, 1.0))};
      case Activation::Tanh:  // 1 - y²
        return {mul(dy, rsub(mul(s, s), 1.0))};
      case Activation::GeluTanh: {
        // u = √(2/π)(x + 0.044715 x³), t = tanh u:
        // f' = ½(1 + t) + ½ x (1 - t²) √(2/π)(1 + 3·0.044715 x²)
        constexpr double k = 0.79788456080286535588, c = 0.044715;
        const Tensor x2 = mul(s, s);
        const Tensor t = gpunn::tanh(mul(add(s, mul(mul(x2, s), c)), k));
        const Tensor du = mul(add(mul(x2, 3.0 * c), 1.0), k);
        const Tensor d =
            add(mul(add(t, 1.0), 0.5), mul(mul(mul(s, rsub(mul(t, t), 1.0)), du), 0.5));
        return {mul(dy, d)};
      }
      case Activation::GeluErf:
        return {mul(dy, gelu_erf_prime(s))};
    }
    return autograd::Node::apply_differentiable(grads);
  }

 private:
  Activation act_;
  double slope_;
};

Tensor activation(Activation act, const Tensor& x, double slope = 0.0) {
  const char* op = act_name(act);
  check_floating(op, x, "input");
  check_same_device(op, {&x});
  Tensor xc = x.detach().contiguous();
  Tensor y = act_forward(act, xc, slope);
  const Tensor saved = kernels::activation_backward_reads_x(act) ? xc : y.detach();
  const bool reads_x = kernels::activation_backward_reads_x(act);
  std::shared_ptr<ActBackward> node;
  if (autograd::needs_grad({&x})) {
    node = autograd::make_node<ActBackward>({&x}, act, slope);
    node->saved.x_or_y = reads_x ? autograd::SavedTensor(saved, x) : autograd::SavedTensor(saved);
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, act_backward(act, autograd::fw::tangent_of(x), saved, slope));
    if (node && !reads_x) node->saved.x_or_y.set_tangent(autograd::fw::tangent_of(y));
  }
  return y;
}

Tensor gelu_erf_prime(const Tensor& x) {
  const Tensor xc = x.detach().contiguous();
  Tensor y = act_backward(Activation::GeluErf, ones_like(xc), xc, 0.0);
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<GeluErfPrimeBackward>({&x});
    node->saved.x_or_y = autograd::SavedTensor(xc, x);
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, mul(autograd::fw::tangent_of(x), gelu_erf_second(xc)));
  }
  return y;
}

}  // namespace

Tensor relu(const Tensor& x) { return activation(Activation::Relu, x); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return activation(Activation::LeakyRelu, x, negative_slope);
}
Tensor sigmoid(const Tensor& x) { return activation(Activation::Sigmoid, x); }
Tensor tanh(const Tensor& x) { return activation(Activation::Tanh, x); }
Tensor gelu(const Tensor& x, GeluApproximation approximate) {
  return activation(
      approximate == GeluApproximation::Tanh ? Activation::GeluTanh : Activation::GeluErf, x);
}

}  // namespace gpunn
