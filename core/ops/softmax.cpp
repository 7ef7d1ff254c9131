// softmax and log_softmax over one dim (gpunn/ops/softmax.h).
//
// Both save only their output y:
//   softmax:      dx = y (dy - Σ dy y)          JVP: the same with dy := t
//   log_softmax:  dx = dy - e^y Σ dy            JVP: t - Σ e^y t
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/reduce.h>
#include <gpunn/ops/softmax.h>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/softmax.h"

namespace gpunn {
namespace {

struct Split {
  int64_t outer, C, inner;
};

Split split(const Shape& shape, int64_t dim) {
  if (shape.empty()) return {1, 1, 1};
  return {prod(shape, 0, dim), shape[dim],
          prod(shape, dim + 1, static_cast<int64_t>(shape.size()))};
}

const char* op_name(bool log) { return log ? "log_softmax" : "softmax"; }

Tensor softmax_backward(bool log, const Tensor& dy, const Tensor& y, int64_t dim) {
  Tensor g = dy.contiguous();
  Tensor dx = empty_as(g, g.shape());
  const Split s = split(y.shape(), dim);
  const kernels::SoftmaxBackwardArgs args{.dtype = g.dtype(),
                                          .outer = s.outer,
                                          .C = s.C,
                                          .inner = s.inner,
                                          .log = log,
                                          .dy = g.data_ptr(),
                                          .y = y.data_ptr(),
                                          .dx = dx.data_ptr()};
  launch(kernels::softmax_backward, g.device(), args, {&g, &y}, {&dx},
         log ? "log_softmax_backward" : "softmax_backward");
  return dx;
}

struct SoftmaxSaved {
  autograd::SavedTensor y;
};

class SoftmaxBackward final : public autograd::NodeWith<SoftmaxSaved> {
 public:
  SoftmaxBackward(bool log, int64_t dim) : log_(log), dim_(dim) {}
  const char* name() const override { return log_ ? "log_softmax_backward" : "softmax_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {softmax_backward(log_, grads[0], saved.y.unpack(*this), dim_)};
  }
  // softmax: y ⊙ (dy - Σ dy ⊙ y);  log_softmax: dy - e^y ⊙ Σ dy (sums over dim), as ops.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor y = saved.y.unpack_output(*this, 0);
    const Tensor& dy = grads[0];
    if (log_) return {sub(dy, mul(exp(y), sum(dy, {dim_}, /*keepdim=*/true)))};
    return {mul(y, sub(dy, sum(mul(dy, y), {dim_}, /*keepdim=*/true)))};
  }

 private:
  bool log_;
  int64_t dim_;
};

Tensor softmax_impl(bool log, const Tensor& x, int64_t dim) {
  const char* op = op_name(log);
  check_floating(op, x, "input");
  check_same_device(op, {&x});
  const int64_t d = normalize_dim(op, dim, x.dim(), x);
  Tensor xc = x.detach().contiguous();
  Tensor y = empty_as(xc, xc.shape());
  const Split s = split(xc.shape(), d);
  if (xc.numel() > 0) {
    const kernels::SoftmaxArgs args{.dtype = x.dtype(),
                                    .outer = s.outer,
                                    .C = s.C,
                                    .inner = s.inner,
                                    .log = log,
                                    .x = xc.data_ptr(),
                                    .y = y.data_ptr()};
    launch(kernels::softmax_forward, x.device(), args, {&xc}, {&y}, op);
  }
  std::shared_ptr<SoftmaxBackward> node;
  if (autograd::needs_grad({&x})) {
    node = autograd::make_node<SoftmaxBackward>({&x}, log, d);
    node->saved.y = y.detach();
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    const Tensor t = autograd::fw::tangent_of(x);
    const Tensor yd = y.detach();
    if (!log) {
      autograd::fw::set_tangent(y, softmax_backward(false, t, yd, d));
    } else {
      autograd::fw::set_tangent(y, sub(t, sum(mul(exp(yd), t), {d}, /*keepdim=*/true)));
    }
    if (node) node->saved.y.set_tangent(autograd::fw::tangent_of(y));
  }
  return y;
}

}  // namespace

// Under autocast both run in float32 (gpunn/autocast.h).
Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_impl(false, autocast_detail::active() ? autocast_detail::to_float32(x) : x, dim);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_impl(true, autocast_detail::active() ? autocast_detail::to_float32(x) : x, dim);
}

}  // namespace gpunn
