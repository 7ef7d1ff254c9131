// conv2d: checks, output allocation, dispatch, gradient and JVP rules.
// Shapes and formula in gpunn/ops/conv.h; kernels in kernels/conv.h.
//
//   dx = conv2d_backward_data(dy, w)    dw = conv2d_backward_weight(dy, x)
//   db = Σ_{n,p,q} dy                   JVP: conv(tx, w) + conv(x, tw) + tb
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

// y = conv(x, w) + b for contiguous x, w; no autograd.
Tensor conv_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                    const kernels::Conv2dShape& s) {
  Tensor y = empty_as(x, {s.N, s.K, s.P, s.Q});
  if (y.numel() == 0) return y;
  dispatch_floating(x.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* bp = b.defined() ? b.data<T>() : nullptr;
    KernelTable table{
        .cpu = [&] { kernels::conv2d_forward_cpu(y.data<T>(), x.data<T>(), w.data<T>(), bp, s); }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      table.cpu_vendor = [&] {
        kernels::conv2d_forward_onednn(y.data<T>(), x.data<T>(), w.data<T>(), bp, s);
      };
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      Tensor col = empty_as(x, {kernels::conv2d_col_elements(s)});
      kernels::conv2d_forward_cuda(y.data<T>(), x.data<T>(), w.data<T>(), bp, s, col.data<T>(),
                                   cuda::stream(x.device().index));
      GPUNN_CUDA_CHECK_LAUNCH("conv2d");
    };
#endif
#if GPUNN_WITH_CUDNN
    table.cuda_vendor = [&] {
      kernels::CudnnConv conv(cuda::cudnn_handle(x.device().index), s, x.dtype() == kFloat64,
                              allow_tf32(), deterministic());
      const size_t bytes = conv.workspace_bytes(kernels::CudnnConv::Pass::Forward);
      Tensor ws = cudnn_workspace(bytes, x.device());
      conv.forward(y.data<T>(), x.data<T>(), w.data<T>(), bp, ws.data_ptr(), bytes);
    };
#endif
    launch("conv2d", OpFamily::Conv, x.device(), {&x, &w, &b}, {&y}, table);
  });
  return y;
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
    dispatch_floating(dy.dtype(), "conv2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (next_edges[0].valid()) {
        out[0] = empty_as(dy, x.shape());
        KernelTable table{.cpu = [&] {
          kernels::conv2d_backward_data_cpu(out[0].data<T>(), dy.data<T>(), w.data<T>(), s_);
        }};
#if GPUNN_WITH_ONEDNN
        if constexpr (std::is_same_v<T, float>) {
          if (s_.N > 0) {
            table.cpu_vendor = [&] {
              kernels::conv2d_backward_data_onednn(out[0].data<T>(), dy.data<T>(), w.data<T>(), s_);
            };
          }
        }
#endif
#if GPUNN_WITH_CUDA
        table.cuda = [&] {
          Tensor col = empty_as(dy, {kernels::conv2d_col_elements(s_)});
          kernels::conv2d_backward_data_cuda(out[0].data<T>(), dy.data<T>(), w.data<T>(), s_,
                                             col.data<T>(), cuda::stream(dy.device().index));
          GPUNN_CUDA_CHECK_LAUNCH("conv2d_backward_data");
        };
#endif
#if GPUNN_WITH_CUDNN
        table.cuda_vendor = [&] {
          kernels::CudnnConv conv(cuda::cudnn_handle(dy.device().index), s_, dy.dtype() == kFloat64,
                                  allow_tf32(), deterministic());
          const size_t bytes = conv.workspace_bytes(kernels::CudnnConv::Pass::BackwardData);
          Tensor ws = cudnn_workspace(bytes, dy.device());
          conv.backward_data(out[0].data<T>(), dy.data<T>(), w.data<T>(), ws.data_ptr(), bytes);
        };
#endif
        launch("conv2d_backward_data", OpFamily::Conv, dy.device(), {&dy, &w}, {&out[0]}, table);
      }
      // The bias gradient comes with the weight gradient from oneDNN; the
      // reference computes it on its own.
      const bool want_dw = next_edges[1].valid();
      const bool want_db = next_edges.size() > 2 && next_edges[2].valid();
      bool db_done = false;
      if (want_db) out[2] = empty_as(dy, {s_.K});
      if (want_dw) {
        out[1] = empty_as(dy, w.shape());
        KernelTable table{.cpu = [&] {
          kernels::conv2d_backward_weight_cpu(out[1].data<T>(), dy.data<T>(), x.data<T>(), s_);
        }};
#if GPUNN_WITH_ONEDNN
        // With N = 0 the gradient is zero; the reference writes those zeros.
        if constexpr (std::is_same_v<T, float>) {
          if (s_.N > 0) {
            table.cpu_vendor = [&] {
              kernels::conv2d_backward_weight_onednn(out[1].data<T>(),
                                                     want_db ? out[2].data<T>() : nullptr,
                                                     dy.data<T>(), x.data<T>(), s_);
              db_done = want_db;
            };
          }
        }
#endif
#if GPUNN_WITH_CUDA
        table.cuda = [&] {
          Tensor col = empty_as(dy, {kernels::conv2d_col_elements(s_)});
          kernels::conv2d_backward_weight_cuda(out[1].data<T>(), dy.data<T>(), x.data<T>(), s_,
                                               col.data<T>(), cuda::stream(dy.device().index));
          GPUNN_CUDA_CHECK_LAUNCH("conv2d_backward_weight");
        };
#endif
#if GPUNN_WITH_CUDNN
        table.cuda_vendor = [&] {
          kernels::CudnnConv conv(cuda::cudnn_handle(dy.device().index), s_, dy.dtype() == kFloat64,
                                  allow_tf32(), deterministic());
          const size_t bytes = conv.workspace_bytes(kernels::CudnnConv::Pass::BackwardWeight);
          Tensor ws = cudnn_workspace(bytes, dy.device());
          conv.backward_weight(out[1].data<T>(), dy.data<T>(), x.data<T>(), ws.data_ptr(), bytes);
        };
#endif
        launch("conv2d_backward_weight", OpFamily::Conv, dy.device(), {&dy, &x}, {&out[1]}, table);
      }
      if (want_db && !db_done) {
        launch(
            "conv2d_backward_bias", OpFamily::Conv, dy.device(), {&dy}, {&out[2]},
            {.cpu = [&] { kernels::conv2d_backward_bias_cpu(out[2].data<T>(), dy.data<T>(), s_); },
             GPUNN_IF_CUDA(.cuda = [&] {
               kernels::conv2d_backward_bias_cuda(out[2].data<T>(), dy.data<T>(), s_,
                                                  cuda::stream(dy.device().index));
               GPUNN_CUDA_CHECK_LAUNCH("conv2d_backward_bias");
             })});
      }
    });
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

}  // namespace gpunn
