// max_pool2d and avg_pool2d: checks, dispatch, gradient and JVP rules.
// Semantics in gpunn/ops/pool.h; kernels in kernels/pool.h.
//
// max_pool2d's vendor paths keep no gpunn indices: oneDNN (float32) records its
// argmax in its own format in the forward's reserve, and cuDNN's backward finds the
// maxima again from the saved input and output. So they serve max_pool2d only when no
// indices are asked for (max_pool2d_with_indices and forward mode use our kernels),
// and the backward passes on whichever the forward left (kernels/pool.h).
//
//   max: dx = dy routed to the saved argmax indices;  JVP: t gathered at them
//   avg: dx = avg_pool2d_backward(dy)                 JVP: avg_pool2d(t)
#include <gpunn/autograd.h>
#include <gpunn/ops/pool.h>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/index.h"
#include "kernels/pool.h"

namespace gpunn {
namespace {

// Output length of one pooled dim.
int64_t pooled_size(int64_t in, int64_t k, int64_t stride, int64_t pad, bool ceil_mode) {
  int64_t out = floor_div(in + 2 * pad - k + (ceil_mode ? stride - 1 : 0), stride) + 1;
  // With ceil_mode the last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// x is the input as a batch ([N, C, H, W]); messages show `input`, the tensor the caller
// passed ([C, H, W] for one image).
kernels::Pool2dShape pool_shape(const char* op, const Tensor& input, const Tensor& x,
                                const Pool2dOptions& o) {
  check_floating(op, input, "input");
  GPUNN_CHECK(x.dim() == 4, op, ": expected input [N, C, H, W] (or [C, H, W]), got ",
              describe(input));
  const Int2 k = o.kernel_size;
  const Int2 stride = (o.stride.h == 0 && o.stride.w == 0) ? k : o.stride;
  GPUNN_CHECK(k.h >= 1 && k.w >= 1, op, ": kernel_size must be at least 1, got (", k.h, ", ", k.w,
              ")");
  GPUNN_CHECK(stride.h >= 1 && stride.w >= 1, op, ": stride must be at least 1, got (", stride.h,
              ", ", stride.w, ")");
  GPUNN_CHECK(
      o.padding.h >= 0 && o.padding.w >= 0 && 2 * o.padding.h <= k.h && 2 * o.padding.w <= k.w, op,
      ": padding (", o.padding.h, ", ", o.padding.w,
      ") must be non-negative and at most half the kernel (", k.h, ", ", k.w, ")");
  kernels::Pool2dShape s;
  s.N = x.shape()[0];
  s.C = x.shape()[1];
  s.H = x.shape()[2];
  s.W = x.shape()[3];
  s.kernel_h = k.h;
  s.kernel_w = k.w;
  s.stride_h = stride.h;
  s.stride_w = stride.w;
  s.pad_h = o.padding.h;
  s.pad_w = o.padding.w;
  s.count_include_pad = o.count_include_pad;
  s.P = pooled_size(s.H, k.h, stride.h, o.padding.h, o.ceil_mode);
  s.Q = pooled_size(s.W, k.w, stride.w, o.padding.w, o.ceil_mode);
  GPUNN_CHECK(s.P >= 1 && s.Q >= 1, op, ": the ", k.h, "x", k.w, " window does not fit input ",
              input.shape(), " with padding (", o.padding.h, ", ", o.padding.w,
              "): output would be ", s.P, "x", s.Q);
  check_same_device(op, {&input});
  return s;
}

// ---- max ------------------------------------------------------------------------------

struct MaxPoolSaved {
  autograd::SavedTensor indices;  // our kernels: argmax as h * W + w
  autograd::SavedTensor reserve;  // oneDNN: its argmax, in its own format
  autograd::SavedTensor x, y;     // cuDNN: its input and output
  // oneDNN: the input as well (an alias: its producer, a ReLU, keeps it anyway), from which
  // the differentiable rule finds the indices.
  autograd::SavedTensor x_for_indices;
};

// ---- gather and scatter over each (n, c) plane at pooling indices --------------------------
//
// y[n, c, j] = x[n, c, idx[n, c, j]] (M) and its adjoint dx[n, c, idx[n, c, j]] += dy[n, c, j]
// (Mᵀ), with j over the P x Q outputs and idx over the H x W inputs: recorded ops, each the
// other's gradient (both are linear in their input), so max_pool2d's backward is
// differentiable to any order.

kernels::GatherArgs plane_args(const Tensor& from, const Tensor& idx, void* to,
                               const kernels::Pool2dShape& s) {
  return {.dtype = from.dtype(),
          .outer = s.N * s.C,
          .x_size = s.H * s.W,
          .y_size = s.P * s.Q,
          .inner = 1,
          .x = from.data_ptr(),
          .idx = idx.data<int64_t>(),
          .y = to};
}

Tensor gather_kernel(const Tensor& x_in, const Tensor& idx, const kernels::Pool2dShape& s) {
  const Tensor x = x_in.contiguous();
  Tensor y = empty_as(x, {s.N, s.C, s.P, s.Q});
  const kernels::GatherArgs args = plane_args(x, idx, y.data_ptr(), s);
  launch(kernels::gather, x.device(), args, {&x, &idx}, {&y}, "max_pool2d_backward");
  return y;
}

Tensor scatter_kernel(const Tensor& dy_in, const Tensor& idx, const kernels::Pool2dShape& s) {
  const Tensor dy = dy_in.contiguous();
  Tensor dx = zeros({s.N, s.C, s.H, s.W}, dy.options());
  const kernels::ScatterAddArgs args{.dtype = dy.dtype(),
                                     .outer = s.N * s.C,
                                     .x_size = s.H * s.W,
                                     .y_size = s.P * s.Q,
                                     .inner = 1,
                                     .dy = dy.data_ptr(),
                                     .idx = idx.data<int64_t>(),
                                     .dx = dx.data_ptr()};
  launch(kernels::scatter_add, dy.device(), args, {&dy, &idx}, {&dx}, "max_pool2d_backward");
  return dx;
}

Tensor plane_gather(const Tensor& x, const Tensor& idx, const kernels::Pool2dShape& s);
Tensor plane_scatter(const Tensor& dy, const Tensor& idx, const kernels::Pool2dShape& s);

struct IndexSaved {
  autograd::SavedTensor idx;
};

class PlaneGatherBackward final : public autograd::NodeWith<IndexSaved> {
 public:
  explicit PlaneGatherBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "max_pool2d_gather_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {scatter_kernel(grads[0], saved.idx.unpack(*this), s_)};
  }
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return {plane_scatter(grads[0], saved.idx.unpack(*this), s_)};
  }

 private:
  kernels::Pool2dShape s_;
};

class PlaneScatterBackward final : public autograd::NodeWith<IndexSaved> {
 public:
  explicit PlaneScatterBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "max_pool2d_scatter_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {gather_kernel(grads[0], saved.idx.unpack(*this), s_)};
  }
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return {plane_gather(grads[0], saved.idx.unpack(*this), s_)};
  }

 private:
  kernels::Pool2dShape s_;
};

Tensor plane_gather(const Tensor& x, const Tensor& idx, const kernels::Pool2dShape& s) {
  Tensor y = gather_kernel(x.detach(), idx, s);
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<PlaneGatherBackward>({&x}, s);
    node->saved.idx = idx;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, gather_kernel(autograd::fw::tangent_of(x), idx, s));
  }
  return y;
}

Tensor plane_scatter(const Tensor& dy, const Tensor& idx, const kernels::Pool2dShape& s) {
  Tensor dx = scatter_kernel(dy.detach(), idx, s);
  if (autograd::needs_grad({&dy})) {
    auto node = autograd::make_node<PlaneScatterBackward>({&dy}, s);
    node->saved.idx = idx;
    autograd::set_history(dx, node);
  }
  if (autograd::fw::any_tangent({&dy})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(dx, scatter_kernel(autograd::fw::tangent_of(dy), idx, s));
  }
  return dx;
}

// The argmax indices of max pooling x (our kernels: the vendor entries refuse when indices
// are needed).
Tensor pool_indices(const Tensor& x, const kernels::Pool2dShape& s) {
  Tensor values = empty_as(x, {s.N, s.C, s.P, s.Q});
  Tensor indices = empty({s.N, s.C, s.P, s.Q}, TensorOptions(kInt64).device(x.device()));
  const kernels::MaxPool2dArgs args{.dtype = x.dtype(),
                                    .s = s,
                                    .x = x.data_ptr(),
                                    .y = values.data_ptr(),
                                    .indices = indices.data<int64_t>(),
                                    .indices_needed = true};
  launch(kernels::max_pool2d_forward, x.device(), args, {&x}, {&values, &indices}, "max_pool2d");
  return indices;
}

class MaxPool2dBackward final : public autograd::NodeWith<MaxPoolSaved> {
 public:
  explicit MaxPool2dBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "max_pool2d_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = empty_as(dy, {s_.N, s_.C, s_.H, s_.W});
    // Whatever the forward left; only the implementation that left it accepts the args.
    const Tensor idx = saved.indices.unpack(*this), reserve = saved.reserve.unpack(*this);
    const Tensor x = saved.x.unpack(*this), y = saved.y.unpack(*this);
    const kernels::MaxPool2dBackwardArgs args{
        .dtype = dy.dtype(),
        .s = s_,
        .dy = dy.data_ptr(),
        .dx = dx.data_ptr(),
        .indices = idx.defined() ? idx.data<int64_t>() : nullptr,
        .reserve = data_or_null(reserve),
        .x = data_or_null(x),
        .y = data_or_null(y)};
    launch(kernels::max_pool2d_backward, dy.device(), args, {&dy}, {&dx});
    return {dx};
  }
  // dy routed to the argmax positions as a recorded scatter (its gradient: a gather at the
  // same positions); the indices are the forward's, or found again from its input.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    Tensor idx = saved.indices.unpack(*this);
    if (!idx.defined()) {
      const Tensor x =
          saved.x_for_indices.defined() ? saved.x_for_indices.unpack(*this) : saved.x.unpack(*this);
      GPUNN_ASSERT(x.defined(), "max_pool2d_backward kept neither indices nor its input");
      NoGradGuard no_grad;
      idx = pool_indices(x, s_);
    }
    return {plane_scatter(grads[0], idx, s_)};
  }

 private:
  kernels::Pool2dShape s_;
};

// want_indices: the caller returns them (else only the values are needed).
MaxPool2dResult max_pool_impl(const Tensor& input, const Pool2dOptions& options,
                              bool want_indices) {
  const kernels::Pool2dShape s = pool_shape("max_pool2d", input, input, options);
  const Tensor x = input.detach().contiguous();
  // Only the vendor paths can skip computing indices; forward mode gathers with them.
  const bool need_indices = want_indices || autograd::fw::any_tangent({&input});
  const Shape y_shape{s.N, s.C, s.P, s.Q};
  MaxPool2dResult r;
  r.values = empty_as(x, y_shape);
  r.indices = empty(y_shape, TensorOptions(kInt64).device(x.device()));
  Launched ran{Implementation::Cpu, Tensor()};
  if (r.values.numel() > 0) {
    const kernels::MaxPool2dArgs args{.dtype = x.dtype(),
                                      .s = s,
                                      .x = x.data_ptr(),
                                      .y = r.values.data_ptr(),
                                      .indices = r.indices.data<int64_t>(),
                                      .indices_needed = need_indices};
    ran = launch(kernels::max_pool2d_forward, x.device(), args, {&x}, {&r.values, &r.indices});
  }
  const bool vendor_ran = ran.implementation == Implementation::CpuVendor ||
                          ran.implementation == Implementation::CudaVendor;
  if (autograd::needs_grad({&input})) {
    auto node = autograd::make_node<MaxPool2dBackward>({&input}, s);
    if (ran.reserve.defined()) {
      node->saved.reserve = ran.reserve;
      node->saved.x_for_indices = x;
    } else if (vendor_ran) {
      node->saved.x = x;
      node->saved.y = r.values;
    } else {
      node->saved.indices = r.indices;
    }
    autograd::set_history(r.values, node);
  }
  if (autograd::fw::any_tangent({&input})) {
    autograd::fw::TangentScope scope;
    const Tensor t = autograd::fw::tangent_of(input).contiguous();
    Tensor ty = empty_as(t, r.values.shape());
    const kernels::GatherArgs args{.dtype = t.dtype(),
                                   .outer = s.N * s.C,
                                   .x_size = s.H * s.W,
                                   .y_size = s.P * s.Q,
                                   .inner = 1,
                                   .x = t.data_ptr(),
                                   .idx = r.indices.data<int64_t>(),
                                   .y = ty.data_ptr()};
    launch(kernels::gather, t.device(), args, {&t}, {&ty}, "max_pool2d");
    autograd::fw::set_tangent(r.values, ty);
  }
  if (vendor_ran) r.indices = Tensor();  // not computed; only max_pool2d asks, and drops them
  return r;
}

// ---- avg ------------------------------------------------------------------------------

Tensor avg_pool_backward(const Tensor& dy_in, const kernels::Pool2dShape& s) {
  const Tensor dy = dy_in.contiguous();
  Tensor dx = empty_as(dy, {s.N, s.C, s.H, s.W});
  const kernels::AvgPool2dBackwardArgs args{
      .dtype = dy.dtype(), .s = s, .dy = dy.data_ptr(), .dx = dx.data_ptr()};
  launch(kernels::avg_pool2d_backward, dy.device(), args, {&dy}, {&dx});
  return dx;
}

Tensor avg_pool_forward(const Tensor& x, const kernels::Pool2dShape& s) {
  Tensor y = empty_as(x, {s.N, s.C, s.P, s.Q});
  if (y.numel() == 0) return y;
  const kernels::AvgPool2dArgs args{
      .dtype = x.dtype(), .s = s, .x = x.data_ptr(), .y = y.data_ptr()};
  launch(kernels::avg_pool2d_forward, x.device(), args, {&x}, {&y});
  return y;
}

// Average pooling A and its adjoint Aᵀ (avg_pool2d_backward) as recorded ops, each the
// other's gradient (A is linear), so avg_pool2d's backward is differentiable to any order.
Tensor avg_pool_recorded(const Tensor& x, const kernels::Pool2dShape& s);
Tensor avg_adjoint_recorded(const Tensor& dy, const kernels::Pool2dShape& s);

class AvgPool2dBackward final : public autograd::Node {
 public:
  explicit AvgPool2dBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "avg_pool2d_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {avg_pool_backward(grads[0], s_)};
  }
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return {avg_adjoint_recorded(grads[0], s_)};
  }

 private:
  kernels::Pool2dShape s_;
};

class AvgPoolAdjointBackward final : public autograd::Node {
 public:
  explicit AvgPoolAdjointBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "avg_pool2d_adjoint_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {avg_pool_forward(grads[0].contiguous(), s_)};
  }
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return {avg_pool_recorded(grads[0], s_)};
  }

 private:
  kernels::Pool2dShape s_;
};

Tensor avg_pool_recorded(const Tensor& input, const kernels::Pool2dShape& s) {
  Tensor y = avg_pool_forward(input.detach().contiguous(), s);
  if (autograd::needs_grad({&input})) {
    autograd::set_history(y, autograd::make_node<AvgPool2dBackward>({&input}, s));
  }
  if (autograd::fw::any_tangent({&input})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, avg_pool_forward(autograd::fw::tangent_of(input).contiguous(), s));
  }
  return y;
}

Tensor avg_adjoint_recorded(const Tensor& dy, const kernels::Pool2dShape& s) {
  Tensor dx = avg_pool_backward(dy.detach(), s);
  if (autograd::needs_grad({&dy})) {
    autograd::set_history(dx, autograd::make_node<AvgPoolAdjointBackward>({&dy}, s));
  }
  if (autograd::fw::any_tangent({&dy})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(dx, avg_pool_backward(autograd::fw::tangent_of(dy), s));
  }
  return dx;
}

}  // namespace

MaxPool2dResult max_pool2d_with_indices(const Tensor& x, const Pool2dOptions& options) {
  check_defined("max_pool2d", x, "input");
  if (x.dim() == 3) {
    // One image: checked here so that messages show the [C, H, W] shape given.
    pool_shape("max_pool2d", x, x.detach().unsqueeze(0), options);
    MaxPool2dResult r = max_pool2d_with_indices(x.unsqueeze(0), options);
    return {r.values.squeeze(0), r.indices.squeeze(0)};
  }
  return max_pool_impl(x, options, /*want_indices=*/true);
}

Tensor max_pool2d(const Tensor& x, const Pool2dOptions& options) {
  check_defined("max_pool2d", x, "input");
  if (x.dim() == 3) {
    pool_shape("max_pool2d", x, x.detach().unsqueeze(0), options);
    return max_pool_impl(x.unsqueeze(0), options, /*want_indices=*/false).values.squeeze(0);
  }
  return max_pool_impl(x, options, /*want_indices=*/false).values;
}

Tensor avg_pool2d(const Tensor& input, const Pool2dOptions& options) {
  check_defined("avg_pool2d", input, "input");
  if (input.dim() == 3) {
    // One image: checked here so that messages show the [C, H, W] shape given.
    pool_shape("avg_pool2d", input, input.detach().unsqueeze(0), options);
    return avg_pool2d(input.unsqueeze(0), options).squeeze(0);
  }
  return avg_pool_recorded(input, pool_shape("avg_pool2d", input, input, options));
}

}  // namespace gpunn
