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
};

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

class AvgPool2dBackward final : public autograd::Node {
 public:
  explicit AvgPool2dBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "avg_pool2d_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {avg_pool_backward(grads[0], s_)};
  }

 private:
  kernels::Pool2dShape s_;
};

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
  const kernels::Pool2dShape s = pool_shape("avg_pool2d", input, input, options);
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

}  // namespace gpunn
