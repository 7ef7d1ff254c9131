// conv2d and conv_transpose2d: checks, output allocation, dispatch, gradient and
// JVP rules. Shapes and formulas in gpunn/ops/conv.h; kernels in kernels/conv.h.
//
// conv2d:  dx = conv2d_backward_data(dy, w)    dw = conv2d_backward_weight(dy, x)
//          db = Σ_{n,p,q} dy                   JVP: conv(tx, w) + conv(x, tw) + tb
// conv_transpose2d runs the same three passes with roles exchanged (its banner below).
#include <gpunn/autograd.h>
#include <gpunn/ops/conv.h>
#include <gpunn/ops/elementwise.h>

#include <type_traits>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/conv.cuh"
#endif
#if GPUNN_WITH_CUDNN
#include "core/cuda/handles.h"
#include "kernels/vendor/cudnn.h"
#endif
#include "core/ops/common.h"
#include "kernels/conv.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
#endif

namespace gpunn {
namespace {

kernels::Conv2dShape conv_shape(const Tensor& x, const Tensor& w, const Conv2dOptions& o) {
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
                const Conv2dOptions& o) {
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

#if GPUNN_WITH_CUDNN
// cuDNN's scratch space, from the caching allocator like every device buffer.
Tensor cudnn_workspace(size_t bytes, Device device) {
  return empty({static_cast<int64_t>((bytes + 7) / 8)}, TensorOptions(kInt64).device(device));
}
#endif

// The vendor libraries derive the output size from the input, kernel, stride, padding and
// dilation; a transposed convolution whose output_padding is not smaller than its stride
// (allowed when it is smaller than the dilation) runs a convolution whose P, Q exceed
// that formula. Such shapes stay on our kernels.
[[maybe_unused]] bool vendor_output_size(const kernels::Conv2dShape& s) {
  return s.P == floor_div(s.H + 2 * s.pad_h - s.dil_h * (s.R - 1) - 1, s.stride_h) + 1 &&
         s.Q == floor_div(s.W + 2 * s.pad_w - s.dil_w * (s.S - 1) - 1, s.stride_w) + 1;
}

// The three passes of the convolution over contiguous tensors, no autograd. conv2d uses them
// as forward / backward; conv_transpose2d with the roles exchanged (see its banner below).
// `op` names the pass in messages and in the dispatch.

// y [N, K, P, Q] = conv(x, w) + b
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                    const kernels::Conv2dShape& s, const char* op = "conv2d") {
  Tensor y = empty_as(x, {s.N, s.K, s.P, s.Q});
  if (y.numel() == 0) return y;
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* bp = b.defined() ? b.data<T>() : nullptr;
    KernelTable table{
        .cpu = [&] { kernels::conv2d_forward_cpu(y.data<T>(), x.data<T>(), w.data<T>(), bp, s); }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      if (vendor_output_size(s)) {
        table.cpu_vendor = [&] {
          kernels::conv2d_forward_onednn(y.data<T>(), x.data<T>(), w.data<T>(), bp, s);
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      Tensor col = empty_as(x, {kernels::conv2d_col_elements(s)});
      kernels::conv2d_forward_cuda(y.data<T>(), x.data<T>(), w.data<T>(), bp, s, col.data<T>(),
                                   cuda::stream(x.device().index));
      GPUNN_CUDA_CHECK_LAUNCH(op);
    };
#endif
#if GPUNN_WITH_CUDNN
    if (vendor_output_size(s)) {
      table.cuda_vendor = [&] {
        kernels::CudnnConv conv(cuda::cudnn_handle(x.device().index), s, x.dtype() == kFloat64,
                                allow_tf32(), deterministic());
        const size_t bytes = conv.workspace_bytes(kernels::CudnnConv::Pass::Forward);
        Tensor ws = cudnn_workspace(bytes, x.device());
        conv.forward(y.data<T>(), x.data<T>(), w.data<T>(), bp, ws.data_ptr(), bytes);
      };
    }
#endif
    launch(op, OpFamily::Conv, x.device(), {&x, &w, &b}, {&y}, table);
  });
  return y;
}

// dx [N, C, H, W] from dy [N, K, P, Q] and w
Tensor conv_backward_data(const Tensor& dy, const Tensor& w, const kernels::Conv2dShape& s,
                          const char* op) {
  Tensor dx = empty_as(dy, {s.N, s.C, s.H, s.W});
  if (dx.numel() == 0) return dx;
  dispatch_floating(dy.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    KernelTable table{.cpu = [&] {
      kernels::conv2d_backward_data_cpu(dx.data<T>(), dy.data<T>(), w.data<T>(), s);
    }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      if (vendor_output_size(s)) {
        table.cpu_vendor = [&] {
          kernels::conv2d_backward_data_onednn(dx.data<T>(), dy.data<T>(), w.data<T>(), s);
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      Tensor col = empty_as(dy, {kernels::conv2d_col_elements(s)});
      kernels::conv2d_backward_data_cuda(dx.data<T>(), dy.data<T>(), w.data<T>(), s, col.data<T>(),
                                         cuda::stream(dy.device().index));
      GPUNN_CUDA_CHECK_LAUNCH(op);
    };
#endif
#if GPUNN_WITH_CUDNN
    if (vendor_output_size(s)) {
      table.cuda_vendor = [&] {
        kernels::CudnnConv conv(cuda::cudnn_handle(dy.device().index), s, dy.dtype() == kFloat64,
                                allow_tf32(), deterministic());
        const size_t bytes = conv.workspace_bytes(kernels::CudnnConv::Pass::BackwardData);
        Tensor ws = cudnn_workspace(bytes, dy.device());
        conv.backward_data(dx.data<T>(), dy.data<T>(), w.data<T>(), ws.data_ptr(), bytes);
      };
    }
#endif
    launch(op, OpFamily::Conv, dy.device(), {&dy, &w}, {&dx}, table);
  });
  return dx;
}

// dw [K, C/groups, R, S] from dy [N, K, P, Q] and x [N, C, H, W]. Where `db` is given and the
// chosen implementation computes the bias gradient in the same pass (oneDNN), it fills *db
// ([K], allocated by the caller) and returns true.
bool conv_backward_weight(Tensor& dw, [[maybe_unused]] Tensor* db, const Tensor& dy,
                          const Tensor& x, const kernels::Conv2dShape& s, const char* op) {
  dw = empty_as(dy, {s.K, s.C / s.groups, s.R, s.S});
  bool db_done = false;
  dispatch_floating(dy.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    KernelTable table{.cpu = [&] {
      kernels::conv2d_backward_weight_cpu(dw.data<T>(), dy.data<T>(), x.data<T>(), s);
    }};
#if GPUNN_WITH_ONEDNN
    // With N = 0 the gradient is zero; the reference writes those zeros.
    if constexpr (std::is_same_v<T, float>) {
      if (s.N > 0 && vendor_output_size(s)) {
        table.cpu_vendor = [&] {
          kernels::conv2d_backward_weight_onednn(dw.data<T>(), db ? db->data<T>() : nullptr,
                                                 dy.data<T>(), x.data<T>(), s);
          db_done = db != nullptr;
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      Tensor col = empty_as(dy, {kernels::conv2d_col_elements(s)});
      kernels::conv2d_backward_weight_cuda(dw.data<T>(), dy.data<T>(), x.data<T>(), s,
                                           col.data<T>(), cuda::stream(dy.device().index));
      GPUNN_CUDA_CHECK_LAUNCH(op);
    };
#endif
#if GPUNN_WITH_CUDNN
    if (vendor_output_size(s)) {
      table.cuda_vendor = [&] {
        kernels::CudnnConv conv(cuda::cudnn_handle(dy.device().index), s, dy.dtype() == kFloat64,
                                allow_tf32(), deterministic());
        const size_t bytes = conv.workspace_bytes(kernels::CudnnConv::Pass::BackwardWeight);
        Tensor ws = cudnn_workspace(bytes, dy.device());
        conv.backward_weight(dw.data<T>(), dy.data<T>(), x.data<T>(), ws.data_ptr(), bytes);
      };
    }
#endif
    launch(op, OpFamily::Conv, dy.device(), {&dy, &x}, {&dw, db}, table);
  });
  return db_done;
}

// db [K] = Σ_{n,p,q} dy[n, k, p, q]
Tensor conv_backward_bias(const Tensor& dy, const kernels::Conv2dShape& s, const char* op) {
  Tensor db = empty_as(dy, {s.K});
  dispatch_floating(dy.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(op, OpFamily::Conv, dy.device(), {&dy}, {&db},
           {.cpu = [&] { kernels::conv2d_backward_bias_cpu(db.data<T>(), dy.data<T>(), s); },
            GPUNN_IF_CUDA(.cuda = [&] {
              kernels::conv2d_backward_bias_cuda(db.data<T>(), dy.data<T>(), s,
                                                 cuda::stream(dy.device().index));
              GPUNN_CUDA_CHECK_LAUNCH(op);
            })});
  });
  return db;
}

struct ConvSaved {
  autograd::SavedTensor x, w;  // contiguous
};

class Conv2dBackward final : public autograd::NodeWith<ConvSaved> {
 public:
  explicit Conv2dBackward(kernels::Conv2dShape s) : s_(s) {}
  const char* name() const override { return "conv2d_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this), w = saved.w.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    std::vector<Tensor> out(next_edges.size());
    if (next_edges[0].valid()) out[0] = conv_backward_data(dy, w, s_, "conv2d_backward_data");
    // The bias gradient comes with the weight gradient from oneDNN; the
    // reference computes it on its own.
    const bool want_db = next_edges.size() > 2 && next_edges[2].valid();
    bool db_done = false;
    if (want_db) out[2] = empty_as(dy, {s_.K});
    if (next_edges[1].valid()) {
      db_done = conv_backward_weight(out[1], want_db ? &out[2] : nullptr, dy, x, s_,
                                     "conv2d_backward_weight");
    }
    if (want_db && !db_done) out[2] = conv_backward_bias(dy, s_, "conv2d_backward_bias");
    return out;
  }

 private:
  kernels::Conv2dShape s_;
};

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
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
  Tensor y = conv_forward(x, w, b, s);
  if (autograd::needs_grad({&input, &weight, &bias})) {
    auto node = bias.defined() ? autograd::make_node<Conv2dBackward>({&input, &weight, &bias}, s)
                               : autograd::make_node<Conv2dBackward>({&input, &weight}, s);
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
    if (tx.defined()) accumulate(conv_forward(tx.contiguous(), w, Tensor(), s));
    if (tw.defined()) accumulate(conv_forward(x, tw.contiguous(), Tensor(), s));
    if (tb.defined()) accumulate(tb.reshape({1, s.K, 1, 1}).expand(y.shape()));
    autograd::fw::set_tangent(y, t);
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
                                     const ConvTranspose2dOptions& o) {
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
                          const ConvTranspose2dOptions& o) {
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
      conv_backward_weight(out[1], nullptr, x, dy, s_, "conv_transpose2d_backward_weight");
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
                        const ConvTranspose2dOptions& options) {
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
