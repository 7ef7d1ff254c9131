// conv2d and conv_transpose2d: checks, output allocation, dispatch, gradient and
// JVP rules. Shapes and formulas in gpunn/ops/conv.h; kernels in kernels/conv.h.
//
// conv2d:  dx = conv2d_backward_data(dy, w)    dw = conv2d_backward_weight(dy, x)
//          db = Σ_{n,p,q} dy                   JVP: conv(tx, w) + conv(x, tw) + tb
//          With the ReLU epilogue (ConvActivation::ReLU) dy and the JVP first pass through
//          relu's backward rule with the saved output: g · (y > 0).
// conv_transpose2d runs the same three passes with roles exchanged (its banner below).
#include <gpunn/autograd.h>
#include <gpunn/ops/conv.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/reduce.h>
#include <gpunn/ops/shape.h>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/activation.h"
#include "kernels/conv.h"

namespace gpunn {
namespace {

kernels::Conv2dShape conv_shape(const Tensor& x, const Tensor& w, const Conv2dFuncOptions& o) {
  kernels::Conv2dShape s;
  s.N = x.shape()[0];
  s.C = x.shape()[1];
  s.H = x.shape()[2];
  s.W = x.shape()[3];
  s.K = w.shape()[0];
  s.R = w.shape()[2];
  s.S = w.shape()[3];
  s.stride_h = o.stride.h;
  s.stride_w = o.stride.w;
  s.pad_h = o.padding.h;
  s.pad_w = o.padding.w;
  s.dil_h = o.dilation.h;
  s.dil_w = o.dilation.w;
  s.groups = o.groups;
  s.P = floor_div(s.H + 2 * s.pad_h - s.dil_h * (s.R - 1) - 1, s.stride_h) + 1;
  s.Q = floor_div(s.W + 2 * s.pad_w - s.dil_w * (s.S - 1) - 1, s.stride_w) + 1;
  return s;
}

// x is the input as a batch ([N, C, H, W]); messages show `input`, the tensor the caller
// passed ([C, H, W] for one image).
void check_conv(const Tensor& input, const Tensor& x, const Tensor& w, const Tensor& b,
                const Conv2dFuncOptions& o) {
  check_floating("conv2d", input, "input");
  check_floating("conv2d", w, "weight");
  check_same_dtype_device("conv2d", input, "input", w, "weight");
  GPUNN_CHECK(x.dim() == 4, "conv2d: expected input [N, C, H, W] (or [C, H, W]), got ",
              describe(input));
  GPUNN_CHECK(w.dim() == 4, "conv2d: expected weight [K, C/groups, R, S], got ", describe(w));
  GPUNN_CHECK(o.stride.h >= 1 && o.stride.w >= 1, "conv2d: stride must be at least 1, got (",
              o.stride.h, ", ", o.stride.w, ")");
  GPUNN_CHECK(o.padding.h >= 0 && o.padding.w >= 0, "conv2d: padding must be non-negative, got (",
              o.padding.h, ", ", o.padding.w, ")");
  GPUNN_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1, "conv2d: dilation must be at least 1, got (",
              o.dilation.h, ", ", o.dilation.w, ")");
  GPUNN_CHECK(o.groups >= 1, "conv2d: groups must be at least 1, got ", o.groups);
  const int64_t C = x.shape()[1], K = w.shape()[0];
  GPUNN_CHECK(K > 0 && w.shape()[2] > 0 && w.shape()[3] > 0,
              "conv2d: weight must have non-zero sizes, got ", describe(w));
  GPUNN_CHECK(C % o.groups == 0 && K % o.groups == 0, "conv2d: groups ", o.groups,
              " must divide the input channels ", C, " and the output channels ", K, " (input ",
              input.shape(), ", weight ", w.shape(), ")");
  GPUNN_CHECK(w.shape()[1] * o.groups == C, "conv2d: input has ", C, " channels, weight expects ",
              w.shape()[1] * o.groups, " (input ", input.shape(), ", weight ", w.shape(),
              ", groups ", o.groups, ")");
  if (b.defined()) {
    check_floating("conv2d", b, "bias");
    check_same_dtype_device("conv2d", input, "input", b, "bias");
    GPUNN_CHECK(b.dim() == 1 && b.shape()[0] == K, "conv2d: bias must be [", K, "] for weight ",
                w.shape(), ", got ", describe(b));
  }
  const kernels::Conv2dShape s = conv_shape(x, w, o);
  GPUNN_CHECK(s.P >= 1 && s.Q >= 1, "conv2d: the ", s.R, "x", s.S, " kernel (dilation ", s.dil_h,
              ", ", s.dil_w, ") does not fit the padded input ", input.shape(), " with padding (",
              s.pad_h, ", ", s.pad_w, "): output would be ", s.P, "x", s.Q);
  check_same_device("conv2d", {&input, &w, &b});
}

// The three passes of the convolution over contiguous tensors, no autograd. conv2d uses them
// as forward / backward; conv_transpose2d with the roles exchanged (see its banner below).
// `op` names the pass in messages and in the dispatch.

// y [N, K, P, Q] = conv(x, w) + b, then max(y, 0) (NaN kept) with `relu`
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                    const kernels::Conv2dShape& s, const char* op = "conv2d", bool relu = false) {
  Tensor y = empty_as(x, {s.N, s.K, s.P, s.Q});
  if (y.numel() == 0) return y;
  const kernels::Conv2dForwardArgs args{.dtype = x.dtype(),
                                        .s = s,
                                        .x = x.data_ptr(),
                                        .w = w.data_ptr(),
                                        .b = data_or_null(b),
                                        .y = y.data_ptr(),
                                        .relu = relu};
  launch(kernels::conv2d_forward, x.device(), args, {&x, &w, &b}, {&y}, op);
  return y;
}

// dx [N, C, H, W] from dy [N, K, P, Q] and w
Tensor conv_backward_data(const Tensor& dy, const Tensor& w, const kernels::Conv2dShape& s,
                          const char* op) {
  Tensor dx = empty_as(dy, {s.N, s.C, s.H, s.W});
  if (dx.numel() == 0) return dx;
  const kernels::Conv2dBackwardDataArgs args{
      .dtype = dy.dtype(), .s = s, .dy = dy.data_ptr(), .w = w.data_ptr(), .dx = dx.data_ptr()};
  launch(kernels::conv2d_backward_data, dy.device(), args, {&dy, &w}, {&dx}, op);
  return dx;
}

// dw [K, C/groups, R, S] from dy [N, K, P, Q] and x [N, C, H, W]; with `db` ([K],
// allocated by the caller) the bias gradient in the same pass.
Tensor conv_backward_weight(Tensor* db, const Tensor& dy, const Tensor& x,
                            const kernels::Conv2dShape& s, const char* op) {
  Tensor dw = empty_as(dy, {s.K, s.C / s.groups, s.R, s.S});
  const kernels::Conv2dBackwardWeightArgs args{.dtype = dy.dtype(),
                                               .s = s,
                                               .dy = dy.data_ptr(),
                                               .x = x.data_ptr(),
                                               .dw = dw.data_ptr(),
                                               .db = db ? db->data_ptr() : nullptr};
  launch(kernels::conv2d_backward_weight, dy.device(), args, {&dy, &x}, {&dw, db}, op);
  return dw;
}

// db [K] = Σ_{n,p,q} dy[n, k, p, q]
Tensor conv_backward_bias(const Tensor& dy, const kernels::Conv2dShape& s, const char* op) {
  Tensor db = empty_as(dy, {s.K});
  const kernels::Conv2dBackwardBiasArgs args{
      .dtype = dy.dtype(), .s = s, .dy = dy.data_ptr(), .db = db.data_ptr()};
  launch(kernels::conv2d_backward_bias, dy.device(), args, {&dy}, {&db}, op);
  return db;
}

struct ConvSaved {
  autograd::SavedTensor x, w;  // contiguous
  autograd::SavedTensor y;     // the output, with the fused ReLU only
};

class Conv2dBackward final : public autograd::NodeWith<ConvSaved> {
 public:
  Conv2dBackward(kernels::Conv2dShape s, bool relu) : s_(s), relu_(relu) {}
  const char* name() const override { return relu_ ? "conv2d_relu_backward" : "conv2d_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this), w = saved.w.unpack(*this);
    const Tensor dy = relu_ ? relu_mask(grads[0], saved.y.unpack(*this)) : grads[0].contiguous();
    std::vector<Tensor> out(next_edges.size());
    if (next_edges[0].valid()) out[0] = conv_backward_data(dy, w, s_, "conv2d_backward_data");
    // The bias gradient comes in the weight gradient's pass (one pass over dy on oneDNN).
    const bool want_db = next_edges.size() > 2 && next_edges[2].valid();
    if (want_db) out[2] = empty_as(dy, {s_.K});
    if (next_edges[1].valid()) {
      out[1] =
          conv_backward_weight(want_db ? &out[2] : nullptr, dy, x, s_, "conv2d_backward_weight");
    } else if (want_db) {
      out[2] = conv_backward_bias(dy, s_, "conv2d_backward_bias");
    }
    return out;
  }
  // As ops (Note [differentiable backward]): dx = conv_transpose2d(dy, W), the adjoint in the
  // input; dW per group = the correlation of x with dy, a convolution of x's channels (batch
  // and channels swapped) by dy's with stride and dilation swapped, cut to R x S;
  // db = Σ dy over N, P, Q.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack_differentiable(*this, next_edges[0]);
    const Tensor w = saved.w.unpack_differentiable(*this, next_edges[1]);
    const Tensor dy = relu_ ? mul(grads[0], gt(saved.y.unpack_output(*this, 0), 0.0)) : grads[0];
    std::vector<Tensor> out(next_edges.size());
    if (next_edges[0].valid()) {
      // The rows and columns of x that no output reads (the floor in P and Q) get zeros.
      const int64_t extra_h =
          s_.H - ((s_.P - 1) * s_.stride_h - 2 * s_.pad_h + s_.dil_h * (s_.R - 1) + 1);
      const int64_t extra_w =
          s_.W - ((s_.Q - 1) * s_.stride_w - 2 * s_.pad_w + s_.dil_w * (s_.S - 1) + 1);
      out[0] = conv_transpose2d(dy, w, Tensor(),
                                {.stride = {s_.stride_h, s_.stride_w},
                                 .padding = {s_.pad_h, s_.pad_w},
                                 .output_padding = {extra_h, extra_w},
                                 .groups = s_.groups,
                                 .dilation = {s_.dil_h, s_.dil_w}});
    }
    if (next_edges[1].valid()) {
      const int64_t cg = s_.C / s_.groups, kg = s_.K / s_.groups;
      std::vector<Tensor> parts;
      for (int64_t g = 0; g < s_.groups; ++g) {
        const Tensor xg = x.narrow(1, g * cg, cg).transpose(0, 1);    // [cg, N, H, W]
        const Tensor dyg = dy.narrow(1, g * kg, kg).transpose(0, 1);  // [kg, N, P, Q]
        const Tensor r = conv2d(xg, dyg, Tensor(),
                                {.stride = {s_.dil_h, s_.dil_w},
                                 .padding = {s_.pad_h, s_.pad_w},
                                 .dilation = {s_.stride_h, s_.stride_w}});  // [cg, kg, R', S']
        parts.push_back(r.narrow(2, 0, s_.R).narrow(3, 0, s_.S).transpose(0, 1));
      }
      out[1] = parts.size() == 1 ? parts[0] : cat(parts, 0);
    }
    if (next_edges.size() > 2 && next_edges[2].valid()) out[2] = sum(dy, {0, 2, 3});
    return out;
  }

 private:
  kernels::Conv2dShape s_;
  bool relu_;
};

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const Conv2dFuncOptions& options) {
  if (autocast_detail::active()) {  // low precision (gpunn/autocast.h)
    const Tensor lx = autocast_detail::low(input), lw = autocast_detail::low(weight);
    const Tensor lb = autocast_detail::low(bias);
    if (lx.impl() != input.impl() || lw.impl() != weight.impl() || lb.impl() != bias.impl())
      return conv2d(lx, lw, lb, options);
  }
  check_defined("conv2d", input, "input");
  if (input.dim() == 3) {
    // One image: checked here so that messages show the [C, H, W] shape given.
    check_conv(input, input.detach().unsqueeze(0), weight, bias, options);
    return conv2d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  }
  check_conv(input, input, weight, bias, options);
  const Tensor x = input.detach().contiguous(), w = weight.detach().contiguous();
  const Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  const kernels::Conv2dShape s = conv_shape(x, w, options);
  const bool relu = options.activation == ConvActivation::ReLU;
  Tensor y = conv_forward(x, w, b, s, "conv2d", relu);
  std::shared_ptr<Conv2dBackward> conv_node;
  if (autograd::needs_grad({&input, &weight, &bias})) {
    auto node = bias.defined()
                    ? autograd::make_node<Conv2dBackward>({&input, &weight, &bias}, s, relu)
                    : autograd::make_node<Conv2dBackward>({&input, &weight}, s, relu);
    node->saved.x = autograd::SavedTensor(x, input);
    node->saved.w = autograd::SavedTensor(w, weight);
    if (relu) node->saved.y = y.detach();
    autograd::set_history(y, node);
    conv_node = node;
  }
  if (autograd::fw::any_tangent({&input, &weight, &bias})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(input), tw = autograd::fw::tangent_of(weight);
    const Tensor tb = autograd::fw::tangent_of(bias);
    Tensor t;
    auto accumulate = [&](const Tensor& u) { t = t.defined() ? add(t, u) : u; };
    if (tx.defined()) accumulate(conv_forward(tx.contiguous(), w, Tensor(), s));
    if (tw.defined()) accumulate(conv_forward(x, tw.contiguous(), Tensor(), s));
    if (tb.defined()) accumulate(tb.reshape({1, s.K, 1, 1}).expand(y.shape()));
    if (relu) t = relu_mask(t, y);
    autograd::fw::set_tangent(y, t);
    if (conv_node && relu) conv_node->saved.y.set_tangent(autograd::fw::tangent_of(y));
  }
  return y;
}

// ---- conv_transpose2d ------------------------------------------------------------------------
//
// A transposed convolution is the adjoint of a convolution in its input. With
// the convolution c that maps [N, Cout, Hout, Wout] to [N, Cin, H, W] through
// the same weight (its K = Cin filters of Cout/groups channels: the layout
// [Cin, Cout/groups, kH, kW] is the one conv2d reads):
//   y  = conv_transpose2d(x, w) + b = c_backward_data(dy := x, w) + b
//   dx = c_forward(dy, w)                 (conv2d of the output gradient)
//   dw = c_backward_weight(dy := x, x := dy)
//   db = Σ_{n,h,w} dy                     JVP: T(tx, w) + T(x, tw) + tb
// so the three passes of conv2d serve, on every implementation.
namespace {

// The convolution c above, for a batched input x [N, Cin, H, W].
kernels::Conv2dShape transpose_shape(const Tensor& x, const Tensor& w,
                                     const ConvTranspose2dFuncOptions& o) {
  kernels::Conv2dShape s;
  s.N = x.shape()[0];
  s.K = x.shape()[1];
  s.P = x.shape()[2];
  s.Q = x.shape()[3];
  s.R = w.shape()[2];
  s.S = w.shape()[3];
  s.C = w.shape()[1] * o.groups;
  s.stride_h = o.stride.h;
  s.stride_w = o.stride.w;
  s.pad_h = o.padding.h;
  s.pad_w = o.padding.w;
  s.dil_h = o.dilation.h;
  s.dil_w = o.dilation.w;
  s.groups = o.groups;
  s.H = (s.P - 1) * s.stride_h - 2 * s.pad_h + s.dil_h * (s.R - 1) + o.output_padding.h + 1;
  s.W = (s.Q - 1) * s.stride_w - 2 * s.pad_w + s.dil_w * (s.S - 1) + o.output_padding.w + 1;
  return s;
}

void check_conv_transpose(const Tensor& input, const Tensor& x, const Tensor& w, const Tensor& b,
                          const ConvTranspose2dFuncOptions& o) {
  constexpr const char* op = "conv_transpose2d";
  check_floating(op, input, "input");
  check_floating(op, w, "weight");
  check_same_dtype_device(op, input, "input", w, "weight");
  GPUNN_CHECK(x.dim() == 4, op, ": expected input [N, Cin, H, W] (or [Cin, H, W]), got ",
              describe(input));
  GPUNN_CHECK(w.dim() == 4, op, ": expected weight [Cin, Cout/groups, kH, kW], got ", describe(w));
  GPUNN_CHECK(o.stride.h >= 1 && o.stride.w >= 1, op, ": stride must be at least 1, got (",
              o.stride.h, ", ", o.stride.w, ")");
  GPUNN_CHECK(o.padding.h >= 0 && o.padding.w >= 0, op, ": padding must be non-negative, got (",
              o.padding.h, ", ", o.padding.w, ")");
  GPUNN_CHECK(o.dilation.h >= 1 && o.dilation.w >= 1, op, ": dilation must be at least 1, got (",
              o.dilation.h, ", ", o.dilation.w, ")");
  GPUNN_CHECK(o.output_padding.h >= 0 && o.output_padding.w >= 0, op,
              ": output_padding must be non-negative, got (", o.output_padding.h, ", ",
              o.output_padding.w, ")");
  // A larger output_padding would add rows that no input position reaches.
  GPUNN_CHECK((o.output_padding.h < o.stride.h || o.output_padding.h < o.dilation.h) &&
                  (o.output_padding.w < o.stride.w || o.output_padding.w < o.dilation.w),
              op, ": output_padding (", o.output_padding.h, ", ", o.output_padding.w,
              ") must be smaller than the stride (", o.stride.h, ", ", o.stride.w,
              ") or the dilation (", o.dilation.h, ", ", o.dilation.w, ") in each dimension");
  GPUNN_CHECK(o.groups >= 1, op, ": groups must be at least 1, got ", o.groups);
  GPUNN_CHECK(w.shape()[0] > 0 && w.shape()[1] > 0 && w.shape()[2] > 0 && w.shape()[3] > 0, op,
              ": weight must have non-zero sizes, got ", describe(w));
  const int64_t Cin = x.shape()[1];
  GPUNN_CHECK(w.shape()[0] == Cin, op, ": input has ", Cin, " channels, weight expects ",
              w.shape()[0], " (input ", input.shape(), ", weight ", w.shape(), ")");
  GPUNN_CHECK(Cin % o.groups == 0, op, ": groups ", o.groups, " must divide the input channels ",
              Cin, " (input ", input.shape(), ", weight ", w.shape(), ")");
  const int64_t Cout = w.shape()[1] * o.groups;
  if (b.defined()) {
    check_floating(op, b, "bias");
    check_same_dtype_device(op, input, "input", b, "bias");
    GPUNN_CHECK(b.dim() == 1 && b.shape()[0] == Cout, op, ": bias must be [", Cout, "] for weight ",
                w.shape(), " and groups ", o.groups, ", got ", describe(b));
  }
  GPUNN_CHECK(x.shape()[2] >= 1 && x.shape()[3] >= 1, op,
              ": input height and width must be at least 1, got ", describe(input));
  const kernels::Conv2dShape s = transpose_shape(x, w, o);
  GPUNN_CHECK(s.H >= 1 && s.W >= 1, op, ": output would be ", s.H, "x", s.W, " for input ",
              input.shape(), ", ", s.R, "x", s.S, " kernel, stride (", s.stride_h, ", ", s.stride_w,
              "), padding (", s.pad_h, ", ", s.pad_w, "), dilation (", s.dil_h, ", ", s.dil_w,
              "), output_padding (", o.output_padding.h, ", ", o.output_padding.w, ")");
  check_same_device(op, {&input, &w, &b});
}

// y = T(x, w) (+ b) for contiguous tensors; no autograd.
Tensor conv_transpose_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                              const kernels::Conv2dShape& s) {
  Tensor y = conv_backward_data(x, w, s, "conv_transpose2d");
  if (b.defined()) y = add(y, b.reshape({1, s.C, 1, 1}));
  return y;
}

class ConvTranspose2dBackward final : public autograd::NodeWith<ConvSaved> {
 public:
  explicit ConvTranspose2dBackward(kernels::Conv2dShape s) : s_(s) {}
  const char* name() const override { return "conv_transpose2d_backward"; }
  // dx = conv(dy, w);  dw = conv_backward_weight(dy := x, x := dy);  db = Σ_{n,h,w} dy
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this), w = saved.w.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    std::vector<Tensor> out(next_edges.size());
    if (next_edges[0].valid()) {
      out[0] = conv_forward(dy, w, Tensor(), s_, "conv_transpose2d_backward_data");
    }
    if (next_edges[1].valid()) {
      out[1] = conv_backward_weight(nullptr, x, dy, s_, "conv_transpose2d_backward_weight");
    }
    if (next_edges.size() > 2 && next_edges[2].valid()) {
      // dy [N, Cout, Hout, Wout] read as a convolution output with K = Cout channels.
      kernels::Conv2dShape bs;
      bs.N = s_.N;
      bs.K = s_.C;
      bs.P = s_.H;
      bs.Q = s_.W;
      out[2] = conv_backward_bias(dy, bs, "conv_transpose2d_backward_bias");
    }
    return out;
  }

 private:
  kernels::Conv2dShape s_;
};

}  // namespace

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                        const ConvTranspose2dFuncOptions& options) {
  if (autocast_detail::active()) {  // low precision (gpunn/autocast.h)
    const Tensor lx = autocast_detail::low(input), lw = autocast_detail::low(weight);
    const Tensor lb = autocast_detail::low(bias);
    if (lx.impl() != input.impl() || lw.impl() != weight.impl() || lb.impl() != bias.impl())
      return conv_transpose2d(lx, lw, lb, options);
  }
  check_defined("conv_transpose2d", input, "input");
  if (input.dim() == 3) {
    // One image: checked here so that messages show the [Cin, H, W] shape given.
    check_conv_transpose(input, input.detach().unsqueeze(0), weight, bias, options);
    return conv_transpose2d(input.unsqueeze(0), weight, bias, options).squeeze(0);
  }
  check_conv_transpose(input, input, weight, bias, options);
  const Tensor x = input.detach().contiguous(), w = weight.detach().contiguous();
  const Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  const kernels::Conv2dShape s = transpose_shape(x, w, options);
  Tensor y = conv_transpose_forward(x, w, b, s);
  if (autograd::needs_grad({&input, &weight, &bias})) {
    auto node = bias.defined()
                    ? autograd::make_node<ConvTranspose2dBackward>({&input, &weight, &bias}, s)
                    : autograd::make_node<ConvTranspose2dBackward>({&input, &weight}, s);
    node->saved.x = x;
    node->saved.w = w;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&input, &weight, &bias})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(input), tw = autograd::fw::tangent_of(weight);
    const Tensor tb = autograd::fw::tangent_of(bias);
    Tensor t;
    auto accumulate = [&](const Tensor& u) { t = t.defined() ? add(t, u) : u; };
    if (tx.defined()) accumulate(conv_transpose_forward(tx.contiguous(), w, Tensor(), s));
    if (tw.defined()) accumulate(conv_transpose_forward(x, tw.contiguous(), Tensor(), s));
    if (tb.defined()) accumulate(tb.reshape({1, s.C, 1, 1}).expand(y.shape()));
    autograd::fw::set_tangent(y, t);
  }
  return y;
}

}  // namespace gpunn
