// Derivatives of derivatives built on a differentiable backward pass (gpunn/autograd.h):
// Hessian-vector products, Hessians and Jacobians.
#include <gpunn/autograd.h>
#include <gpunn/ops/shape.h>

#include "core/ops/common.h"

namespace gpunn::autograd {
namespace {

void check_point(const char* op, const Tensor& x) {
  check_defined(op, x, "x");
  GPUNN_CHECK(is_floating(x.dtype()), op, ": x must be floating-point, got ", describe(x));
}

// A fresh leaf with x's value that requires grad (x itself is left alone).
Tensor leaf_of(const Tensor& x) {
  Tensor leaf = x.detach().clone();
  leaf.requires_grad_(true);
  return leaf;
}

// e_k: a one-hot tensor of `like`'s shape, dtype and device.
Tensor unit(const Tensor& like, int64_t k) {
  Tensor e = zeros({like.numel()}, TensorOptions(like.dtype()));
  {
    NoGradGuard no_grad;
    e.narrow(0, k, 1).fill_(1.0);
  }
  return e.reshape(like.shape()).to(like.device());
}

Tensor scalar_output(const char* op, const ScalarFunction& f, const Tensor& x) {
  Tensor y = f(x);
  GPUNN_CHECK(y.defined() && y.numel() == 1, op, ": f must return one element (a loss), got ",
              y.defined() ? describe(y) : std::string("an undefined tensor"));
  return y;
}

Shape concat(const Shape& a, const Shape& b) {
  Shape s = a;
  s.insert(s.end(), b.begin(), b.end());
  return s;
}

}  // namespace

std::pair<Tensor, Tensor> hvp(const ScalarFunction& f, const Tensor& x, const Tensor& v) {
  check_point("hvp", x);
  check_defined("hvp", v, "v");
  GPUNN_CHECK(v.shape() == x.shape() && v.dtype() == x.dtype() && v.device() == x.device(),
              "hvp: v ", describe(v), " on ", v.device().str(), " must match x ", describe(x),
              " on ", x.device().str());
  const Tensor leaf = leaf_of(x);
  const Tensor y = scalar_output("hvp", f, make_dual(leaf, v.detach()));
  if (!y.requires_grad()) return {zeros_like(x), zeros_like(x)};  // f does not depend on x
  const std::vector<Tensor> g =
      grad({y}, {leaf}, {}, GradOptions{.create_graph = true, .allow_unused = true});
  if (!g[0].defined()) return {zeros_like(x), zeros_like(x)};
  const Tensor hv = g[0].tangent();
  return {g[0].detach(), hv.defined() ? hv.detach() : zeros_like(x)};
}

Tensor hessian(const ScalarFunction& f, const Tensor& x, HessianMode mode) {
  check_point("hessian", x);
  const int64_t n = x.numel();
  std::vector<Tensor> rows;
  rows.reserve(static_cast<size_t>(n));
  if (mode == HessianMode::ForwardOverReverse) {
    // H is symmetric: H·e_k is row k as well as column k.
    for (int64_t k = 0; k < n; ++k) rows.push_back(hvp(f, x, unit(x, k)).second.reshape({n}));
  } else {
    const Tensor leaf = leaf_of(x);
    const Tensor y = scalar_output("hessian", f, leaf);
    if (!y.requires_grad()) return zeros(concat(x.shape(), x.shape()), x.options());
    const Tensor g =
        grad({y}, {leaf}, {}, GradOptions{.create_graph = true, .allow_unused = true})[0];
    if (!g.defined() || !g.requires_grad()) return zeros(concat(x.shape(), x.shape()), x.options());
    for (int64_t k = 0; k < n; ++k) {
      // Row k: the gradient of ∂f/∂x_k, a backward pass through the recorded gradient.
      const Tensor r = grad({g}, {leaf}, {unit(x, k)},
                            GradOptions{.retain_graph = true, .allow_unused = true})[0];
      rows.push_back(r.defined() ? r.reshape({n}) : zeros({n}, x.options()));
    }
  }
  return stack(rows, 0).reshape(concat(x.shape(), x.shape()));
}

Tensor jacobian(const ScalarFunction& f, const Tensor& x, JacobianMode mode) {
  check_point("jacobian", x);
  const int64_t n = x.numel();
  if (mode == JacobianMode::Forward) {
    std::vector<Tensor> columns;
    Shape out_shape;
    for (int64_t k = 0; k < n; ++k) {
      const auto [y, dy] =
          jvp([&](const std::vector<Tensor>& in) { return f(in[0]); }, {x.detach()}, {unit(x, k)});
      out_shape = y.shape();
      columns.push_back(dy.reshape({y.numel()}));
    }
    return stack(columns, 1).reshape(concat(out_shape, x.shape()));
  }
  const Tensor leaf = leaf_of(x);
  const Tensor y = f(leaf);
  check_defined("jacobian", y, "f(x)");
  const int64_t m = y.numel();
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < m; ++i) {
    Tensor r;
    if (y.requires_grad())
      r = grad({y}, {leaf}, {unit(y, i)},
               GradOptions{.retain_graph = true, .allow_unused = true})[0];
    rows.push_back(r.defined() ? r.reshape({n}).detach() : zeros({n}, x.options()));
  }
  return stack(rows, 0).reshape(concat(y.shape(), x.shape()));
}

}  // namespace gpunn::autograd
