// Elementwise math: unary ops, ops with a scalar, binary ops with broadcasting,
// and the in-place forms. Formulas in gpunn/ops/elementwise.h.
//
// Gradient rules: unary ops call the unary backward kernel (dx = dy * f'(x));
// binary ops compute full-shape partials and sum them back to each operand's
// shape (sum_to). Both kernels give the JVP when fed the tangent for dy.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>

#include <limits>
#include <string>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "core/tensor_impl.h"
#include "kernels/elementwise.h"

namespace gpunn {
namespace {

using kernels::BinaryOp;
using kernels::UnaryOp;

// ---- unary
// ----------------------------------------------------------------------

// dx = dy * f'(x, y), both contiguous; x/y undefined where f' does not read
// them.
Tensor unary_backward(const char* op, UnaryOp kind, const Tensor& dy, const Tensor& x,
                      const Tensor& y, double a, double b) {
  Tensor g = dy.contiguous();
  Tensor dx = empty_as(g, g.shape());
  const kernels::UnaryBackwardArgs args{.dtype = g.dtype(),
                                        .op = kind,
                                        .n = g.numel(),
                                        .a = a,
                                        .b = b,
                                        .dy = g.data_ptr(),
                                        .x = data_or_null(x),
                                        .y = data_or_null(y),
                                        .dx = dx.data_ptr()};
  launch(kernels::unary_backward, g.device(), args, {&g, &x, &y}, {&dx}, op);
  return dx;
}

struct UnarySaved {
  autograd::SavedTensor x, y;
};

class UnaryBackward final : public autograd::NodeWith<UnarySaved> {
 public:
  UnaryBackward(const char* op, UnaryOp kind, double a, double b)
      : op_(op), name_(std::string(op) + "_backward"), kind_(kind), a_(a), b_(b) {}
  const char* name() const override { return name_.c_str(); }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {
        unary_backward(op_, kind_, grads[0], saved.x.unpack(*this), saved.y.unpack(*this), a_, b_)};
  }
  // dy · f'(x) as ops (Note [differentiable backward]); the same formulas as the kernel's
  // unary_derivative.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor& dy = grads[0];
    const Tensor x = saved.x.unpack_differentiable(*this, next_edges[0]);
    const Tensor y = saved.y.unpack_output(*this, 0);
    switch (kind_) {
      case UnaryOp::Neg:
      case UnaryOp::RSubScalar:
        return {neg(dy)};
      case UnaryOp::Exp:
        return {mul(dy, y)};
      case UnaryOp::Log:
        return {div(dy, x)};
      case UnaryOp::Sqrt:
        return {mul(div(dy, y), 0.5)};
      case UnaryOp::Abs:  // sign(x): 0 at 0
        return {mul(dy, sub(gt(x, 0.0), lt(x, 0.0)))};
      case UnaryOp::Sin:
        return {mul(dy, cos(x))};
      case UnaryOp::Cos:
        return {neg(mul(dy, sin(x)))};
      case UnaryOp::AddScalar:
        return {dy};
      case UnaryOp::MulScalar:
        return {mul(dy, a_)};
      case UnaryOp::DivScalar:
        return {div(dy, a_)};
      case UnaryOp::RDivScalar:  // -a / x²
        return {neg(div(mul(dy, a_), mul(x, x)))};
      case UnaryOp::PowScalar:  // a·x^(a-1); 0 everywhere when a = 0
        return {a_ == 0.0 ? mul(dy, 0.0) : mul(mul(dy, pow(x, a_ - 1.0)), a_)};
      case UnaryOp::Clamp:  // 1 inside [a, b], else 0
        return {mul(dy, mul(ge(x, a_), le(x, b_)))};
    }
    return {};
  }

 private:
  const char* op_;
  std::string name_;
  UnaryOp kind_;
  double a_, b_;
};

Tensor unary(const char* op, UnaryOp kind, const Tensor& x, double a = 0.0, double b = 0.0) {
  check_floating(op, x, "input");
  check_same_device(op, {&x});
  Tensor xc = x.detach().contiguous();
  Tensor y = empty_as(xc, xc.shape());
  const kernels::UnaryArgs args{.dtype = x.dtype(),
                                .op = kind,
                                .n = xc.numel(),
                                .a = a,
                                .b = b,
                                .x = xc.data_ptr(),
                                .y = y.data_ptr()};
  launch(kernels::unary_forward, x.device(), args, {&xc}, {&y}, op);
  const Tensor saved_x = kernels::unary_backward_reads_x(kind) ? xc : Tensor();
  const Tensor saved_y = kernels::unary_backward_reads_y(kind) ? y.detach() : Tensor();
  std::shared_ptr<UnaryBackward> node;
  if (autograd::needs_grad({&x})) {
    node = autograd::make_node<UnaryBackward>({&x}, op, kind, a, b);
    node->saved.x = autograd::SavedTensor(saved_x, x);
    node->saved.y = saved_y;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(
        y, unary_backward(op, kind, autograd::fw::tangent_of(x), saved_x, saved_y, a, b));
    if (node) node->saved.y.set_tangent(autograd::fw::tangent_of(y));
  }
  return y;
}

// ---- binary
// ---------------------------------------------------------------------

// Full-shape partials times dz for the operands asked for (want_a, want_b).
// z (the contiguous forward output) is read by pow only and may be undefined
// for the other ops.
void binary_partials(const char* op, BinaryOp kind, const Tensor& dz, const Tensor& a,
                     const Tensor& b, const Tensor& z, const Shape& shape, bool want_a, bool want_b,
                     Tensor* da, Tensor* db) {
  GPUNN_ASSERT(z.defined() || kind != BinaryOp::Pow, "pow_backward needs its output");
  Tensor g = dz.expand(shape).contiguous();
  if (want_a) *da = empty_as(g, shape);
  if (want_b) *db = empty_as(g, shape);
  const kernels::StridedPair ix =
      make_strided_pair(shape, broadcast_strides(a, shape), broadcast_strides(b, shape));
  const kernels::BinaryBackwardArgs args{.dtype = g.dtype(),
                                         .op = kind,
                                         .ix = ix,
                                         .n = g.numel(),
                                         .dz = g.data_ptr(),
                                         .a = a.data_ptr(),
                                         .b = b.data_ptr(),
                                         .z = data_or_null(z),
                                         .da = want_a ? da->data_ptr() : nullptr,
                                         .db = want_b ? db->data_ptr() : nullptr};
  launch(kernels::binary_backward, g.device(), args, {&g, &a, &b, &z}, {da, db}, op);
}

struct BinarySaved {
  autograd::SavedTensor a, b, z;
};

const char* binary_node_name(BinaryOp kind) {
  switch (kind) {
    case BinaryOp::Add:
      return "add_backward";
    case BinaryOp::Sub:
      return "sub_backward";
    case BinaryOp::Mul:
      return "mul_backward";
    case BinaryOp::Div:
      return "div_backward";
    case BinaryOp::Pow:
      return "pow_backward";
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
    case BinaryOp::Eq:
    case BinaryOp::Ne:
      break;  // comparisons record no node
  }
  return "binary_backward";
}

// add: da = dy, db = dy;  sub: db = -dy;  mul/div/pow: the kernel's partials.
// Each then summed back to its operand's shape.
class BinaryBackward final : public autograd::NodeWith<BinarySaved> {
 public:
  BinaryBackward(const char* op, BinaryOp kind, Shape a_shape, Shape b_shape, Shape z_shape)
      : op_(op),
        kind_(kind),
        a_shape_(std::move(a_shape)),
        b_shape_(std::move(b_shape)),
        z_shape_(std::move(z_shape)) {}
  const char* name() const override { return binary_node_name(kind_); }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor& dz = grads[0];
    const bool want_a = next_edges[0].valid(), want_b = next_edges[1].valid();
    Tensor da, db;
    switch (kind_) {
      case BinaryOp::Add:
        da = dz;
        db = dz;
        break;
      case BinaryOp::Sub:
        da = dz;
        if (want_b) db = neg(dz);
        break;
      case BinaryOp::Mul:
      case BinaryOp::Div:
      case BinaryOp::Pow:
        binary_partials(op_, kind_, dz, saved.a.unpack(*this), saved.b.unpack(*this),
                        saved.z.unpack(*this), z_shape_, want_a, want_b, &da, &db);
        break;
      case BinaryOp::Lt:
      case BinaryOp::Le:
      case BinaryOp::Gt:
      case BinaryOp::Ge:
      case BinaryOp::Eq:
      case BinaryOp::Ne:
        GPUNN_ASSERT(false, op_, ": a comparison recorded a backward node");
        break;
    }
    return {want_a ? sum_to(da, a_shape_) : Tensor(), want_b ? sum_to(db, b_shape_) : Tensor()};
  }
  // The partials as ops (Note [differentiable backward]), summed back to each operand's
  // shape; pow keeps the kernel's conventions at b = 0 and a = 0.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor& dz = grads[0];
    const bool want_a = next_edges[0].valid(), want_b = next_edges[1].valid();
    const Tensor a = saved.a.unpack_differentiable(*this, next_edges[0]);
    const Tensor b = saved.b.unpack_differentiable(*this, next_edges[1]);
    Tensor da, db;
    switch (kind_) {
      case BinaryOp::Add:
      case BinaryOp::Sub:
        return apply(grads);  // ops on dz only
      case BinaryOp::Mul:
        if (want_a) da = mul(dz, b);
        if (want_b) db = mul(dz, a);
        break;
      case BinaryOp::Div:
        if (want_a) da = div(dz, b);
        if (want_b) db = neg(div(mul(dz, a), mul(b, b)));
        break;
      case BinaryOp::Pow: {
        const Tensor z = saved.z.unpack_output(*this, 0);
        // b·a^(b-1), 0 where b = 0 (a^(b-1+1) = a^0 there keeps 0·∞ out at a = 0).
        if (want_a) da = mul(dz, mul(b, pow(a, add(sub(b, 1.0), eq(b, 0.0)))));
        // a^b·ln a, 0 where a = 0 (ln(a + 1) = 0 there).
        if (want_b) db = mul(dz, mul(z, log(add(a, eq(a, 0.0)))));
        break;
      }
      default:
        GPUNN_ASSERT(false, op_, ": a comparison recorded a backward node");
    }
    return {want_a ? sum_to(da, a_shape_) : Tensor(), want_b ? sum_to(db, b_shape_) : Tensor()};
  }

 private:
  const char* op_;
  BinaryOp kind_;
  Shape a_shape_, b_shape_, z_shape_;
};

Tensor binary(const char* op, BinaryOp kind, const Tensor& a, const Tensor& b) {
  if (autocast_detail::active() && a.defined() && b.defined() && a.dtype() != b.dtype()) {
    // Promotion to the wider floating dtype (gpunn/autocast.h).
    const DType d = autocast_detail::promoted({&a, &b}, a.dtype());
    const Tensor ca = autocast_detail::cast_floating(a, d);
    const Tensor cb = autocast_detail::cast_floating(b, d);
    if (ca.impl() != a.impl() || cb.impl() != b.impl()) return binary(op, kind, ca, cb);
  }
  check_floating(op, a, "the first operand");
  check_floating(op, b, "the second operand");
  check_same_dtype_device(op, a, "the first operand", b, "the second operand");
  check_same_device(op, {&a, &b});
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  const Tensor ad = a.detach(), bd = b.detach();
  Tensor z = empty_as(a, shape);
  const kernels::StridedPair ix =
      make_strided_pair(shape, broadcast_strides(ad, shape), broadcast_strides(bd, shape));
  const kernels::BinaryArgs args{.dtype = a.dtype(),
                                 .op = kind,
                                 .ix = ix,
                                 .n = z.numel(),
                                 .a = ad.data_ptr(),
                                 .b = bd.data_ptr(),
                                 .z = z.data_ptr()};
  launch(kernels::binary_forward, z.device(), args, {&ad, &bd}, {&z}, op);
  if (kernels::is_comparison(kind)) return z;  // piecewise constant: no gradient, no tangent
  const bool partials_need_operands = kind != BinaryOp::Add && kind != BinaryOp::Sub;
  std::shared_ptr<BinaryBackward> node;
  if (autograd::needs_grad({&a, &b})) {
    node = autograd::make_node<BinaryBackward>({&a, &b}, op, kind, a.shape(), b.shape(), shape);
    if (partials_need_operands) {
      node->saved.a = autograd::SavedTensor(ad, a);
      node->saved.b = autograd::SavedTensor(bd, b);
    }
    if (kind == BinaryOp::Pow) node->saved.z = z.detach();
    autograd::set_history(z, node);
  }
  if (autograd::fw::any_tangent({&a, &b})) {
    autograd::fw::TangentScope scope;
    const Tensor ta = autograd::fw::tangent_of(a), tb = autograd::fw::tangent_of(b);
    Tensor t;
    if (!partials_need_operands) {
      const Tensor tb_signed = tb.defined() && kind == BinaryOp::Sub ? neg(tb) : tb;
      t = !ta.defined() ? tb_signed : !tb_signed.defined() ? ta : add(ta, tb_signed);
    } else {
      Tensor from_a, from_b, unused;
      if (ta.defined())
        binary_partials(op, kind, ta, ad, bd, z, shape, true, false, &from_a, &unused);
      if (tb.defined())
        binary_partials(op, kind, tb, ad, bd, z, shape, false, true, &unused, &from_b);
      t = !from_a.defined() ? from_b : !from_b.defined() ? from_a : add(from_a, from_b);
    }
    autograd::fw::set_tangent(z, t);
    if (node && kind == BinaryOp::Pow) node->saved.z.set_tangent(autograd::fw::tangent_of(z));
  }
  return z;
}

// Checks an in-place op's tensor operand under the in-place op's name: a float
// tensor of self's dtype and device that broadcasts to self's shape.
void check_inplace_operand(const char* op, const Tensor& self, const Tensor& other) {
  check_floating(op, self, "self");
  check_floating(op, other, "the operand");
  check_same_dtype_device(op, self, "self", other, "the operand");
  GPUNN_CHECK(broadcast_shapes(op, other.shape(), self.shape()) == self.shape(), op,
              ": the operand ", describe(other), " does not broadcast to self ", describe(self));
}

// self = op(self, other) for in-place forms: computed out of place, then
// copied.
Tensor& inplace(const char* op, Tensor& self, const Tensor& result) {
  GPUNN_CHECK(result.shape() == self.shape(), op, ": the result ", describe(result),
              " does not fit self ", describe(self), " (the operand must broadcast to self)");
  self.copy_(result);
  return self;
}

}  // namespace

// ---- public ops
// ----------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) { return binary("add", BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary("sub", BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary("mul", BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary("div", BinaryOp::Div, a, b); }

Tensor lt(const Tensor& a, const Tensor& b) { return binary("lt", BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary("le", BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary("gt", BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary("ge", BinaryOp::Ge, a, b); }
Tensor eq(const Tensor& a, const Tensor& b) { return binary("eq", BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary("ne", BinaryOp::Ne, a, b); }

namespace {
// b as a 0-dim tensor of a's dtype and device (broadcast against a).
Tensor scalar_like(const char* op, const Tensor& a, double b) {
  check_defined(op, a, "the first operand");
  return full({}, b, TensorOptions(a.dtype()).device(a.device()));
}
}  // namespace

Tensor lt(const Tensor& a, double b) { return lt(a, scalar_like("lt", a, b)); }
Tensor le(const Tensor& a, double b) { return le(a, scalar_like("le", a, b)); }
Tensor gt(const Tensor& a, double b) { return gt(a, scalar_like("gt", a, b)); }
Tensor ge(const Tensor& a, double b) { return ge(a, scalar_like("ge", a, b)); }
Tensor eq(const Tensor& a, double b) { return eq(a, scalar_like("eq", a, b)); }
Tensor ne(const Tensor& a, double b) { return ne(a, scalar_like("ne", a, b)); }
// exp, log and pow run in float32 under autocast (gpunn/autocast.h).
Tensor pow(const Tensor& x, const Tensor& exponent) {
  if (autocast_detail::active())
    return binary("pow", BinaryOp::Pow, autocast_detail::to_float32(x),
                  autocast_detail::to_float32(exponent));
  return binary("pow", BinaryOp::Pow, x, exponent);
}

Tensor add(const Tensor& a, double b) { return unary("add", UnaryOp::AddScalar, a, b); }
Tensor sub(const Tensor& a, double b) { return unary("sub", UnaryOp::AddScalar, a, -b); }
Tensor mul(const Tensor& a, double b) { return unary("mul", UnaryOp::MulScalar, a, b); }
Tensor div(const Tensor& a, double b) { return unary("div", UnaryOp::DivScalar, a, b); }
Tensor rsub(const Tensor& a, double b) { return unary("rsub", UnaryOp::RSubScalar, a, b); }
Tensor rdiv(const Tensor& a, double b) { return unary("rdiv", UnaryOp::RDivScalar, a, b); }

Tensor neg(const Tensor& x) { return unary("neg", UnaryOp::Neg, x); }
Tensor exp(const Tensor& x) {
  return unary("exp", UnaryOp::Exp, autocast_detail::active() ? autocast_detail::to_float32(x) : x);
}
Tensor log(const Tensor& x) {
  return unary("log", UnaryOp::Log, autocast_detail::active() ? autocast_detail::to_float32(x) : x);
}
Tensor sqrt(const Tensor& x) { return unary("sqrt", UnaryOp::Sqrt, x); }
Tensor abs(const Tensor& x) { return unary("abs", UnaryOp::Abs, x); }
Tensor sin(const Tensor& x) { return unary("sin", UnaryOp::Sin, x); }
Tensor cos(const Tensor& x) { return unary("cos", UnaryOp::Cos, x); }
Tensor pow(const Tensor& x, double exponent) {
  return unary("pow", UnaryOp::PowScalar,
               autocast_detail::active() ? autocast_detail::to_float32(x) : x, exponent);
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  GPUNN_CHECK(min.has_value() || max.has_value(), "clamp: give at least one of min and max");
  constexpr double kInf = std::numeric_limits<double>::infinity();
  return unary("clamp", UnaryOp::Clamp, x, min.value_or(-kInf), max.value_or(kInf));
}

// ---- in-place
// --------------------------------------------------------------------------

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  check_inplace("add_", *this, {&other});
  check_inplace_operand("add_", *this, other);
  NoGradGuard no_grad;
  return inplace(
      "add_", *this,
      alpha == 1.0 ? gpunn::add(*this, other) : gpunn::add(*this, gpunn::mul(other, alpha)));
}
Tensor& Tensor::add_(double value) {
  check_inplace("add_", *this);
  NoGradGuard no_grad;
  return inplace("add_", *this, gpunn::add(*this, value));
}
Tensor& Tensor::sub_(const Tensor& other) {
  check_inplace("sub_", *this, {&other});
  check_inplace_operand("sub_", *this, other);
  NoGradGuard no_grad;
  return inplace("sub_", *this, gpunn::sub(*this, other));
}
Tensor& Tensor::mul_(const Tensor& other) {
  check_inplace("mul_", *this, {&other});
  check_inplace_operand("mul_", *this, other);
  NoGradGuard no_grad;
  return inplace("mul_", *this, gpunn::mul(*this, other));
}
Tensor& Tensor::mul_(double value) {
  check_inplace("mul_", *this);
  NoGradGuard no_grad;
  return inplace("mul_", *this, gpunn::mul(*this, value));
}
Tensor& Tensor::div_(const Tensor& other) {
  check_inplace("div_", *this, {&other});
  check_inplace_operand("div_", *this, other);
  NoGradGuard no_grad;
  return inplace("div_", *this, gpunn::div(*this, other));
}
Tensor& Tensor::div_(double value) {
  check_inplace("div_", *this);
  NoGradGuard no_grad;
  return inplace("div_", *this, gpunn::div(*this, value));
}

// ---- operators
// -------------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return rdiv(b, a); }
Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace gpunn
