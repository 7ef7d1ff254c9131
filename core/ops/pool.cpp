// max_pool2d and avg_pool2d: checks, dispatch, gradient and JVP rules.
// Semantics in gpunn/ops/pool.h; kernels in kernels/pool.h.
//
// max_pool2d on the vendor path (oneDNN, float32) records its argmax in
// oneDNN's workspace, not as gpunn's h * W + w indices. So it serves
// max_pool2d only when no indices are asked for (max_pool2d_with_indices and
// forward mode use the reference loops), and the backward reads whichever of
// the two the forward saved. cuDNN's max pooling (the vendor path on the GPU)
// likewise keeps no indices: its backward finds the maxima again from the
// saved input and output, so it too serves only max_pool2d without indices.
//
//   max: dx = dy routed to the saved argmax indices;  JVP: t gathered at them
//   avg: dx = avg_pool2d_backward(dy)                 JVP: avg_pool2d(t)
#include <gpunn/autograd.h>
#include <gpunn/ops/pool.h>

#include <type_traits>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/index.cuh"
#include "kernels/cuda/pool.cuh"
#endif
#include "core/ops/common.h"
#include "kernels/index.h"
#include "kernels/pool.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
#endif
#if GPUNN_WITH_CUDNN
#include "core/cuda/handles.h"
#include "kernels/vendor/cudnn.h"
#endif

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
  autograd::SavedTensor indices;    // reference path: argmax as h * W + w
  autograd::SavedTensor workspace;  // vendor path: oneDNN's workspace bytes
  autograd::SavedTensor x, y;       // vendor path on the GPU: cuDNN's input and output
};

class MaxPool2dBackward final : public autograd::NodeWith<MaxPoolSaved> {
 public:
  explicit MaxPool2dBackward(kernels::Pool2dShape s) : s_(s) {}
  const char* name() const override { return "max_pool2d_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor dy = grads[0].contiguous();
    Tensor dx = empty_as(dy, {s_.N, s_.C, s_.H, s_.W});
#if GPUNN_WITH_ONEDNN
    if (saved.workspace.defined()) {
      // The forward ran on oneDNN (float32), so this backward must too.
      const Tensor ws = saved.workspace.unpack(*this);
      kernels::max_pool2d_backward_onednn(dx.data<float>(), dy.data<float>(), ws.data<int64_t>(),
                                          s_);
      return {dx};
    }
#endif
#if GPUNN_WITH_CUDNN
    if (saved.x.defined()) {
      // The forward ran on cuDNN, so this backward must too.
      const Tensor x = saved.x.unpack(*this), y = saved.y.unpack(*this);
      kernels::cudnn_pool2d_backward(cuda::cudnn_handle(dy.device().index), true, s_,
                                     dy.dtype() == kFloat64, x.data_ptr(), y.data_ptr(),
                                     dy.data_ptr(), dx.data_ptr());
      return {dx};
    }
#endif
    const Tensor idx = saved.indices.unpack(*this);
    dispatch_floating(dy.dtype(), "max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      launch("max_pool2d_backward", OpFamily::Pool, dy.device(), {&dy}, {&dx},
             {.cpu =
                  [&] {
                    kernels::max_pool2d_backward_cpu(dx.data<T>(), dy.data<T>(),
                                                     idx.data<int64_t>(), s_);
                  },
              GPUNN_IF_CUDA(.cuda = [&] {
                kernels::max_pool2d_backward_cuda(dx.data<T>(), dy.data<T>(), idx.data<int64_t>(),
                                                  s_, cuda::stream(dy.device().index));
                GPUNN_CUDA_CHECK_LAUNCH("max_pool2d_backward");
              })});
    });
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
  // Only the vendor path can skip computing indices.
  [[maybe_unused]] const bool need_indices = want_indices || autograd::fw::any_tangent({&input});
  const Shape y_shape{s.N, s.C, s.P, s.Q};
  MaxPool2dResult r;
  r.values = empty_as(x, y_shape);
  Tensor workspace;  // set when oneDNN ran
  bool cudnn_ran = false;
  auto make_indices = [&] { r.indices = empty(y_shape, TensorOptions(kInt64).device(x.device())); };
  if (r.values.numel() == 0) make_indices();
  if (r.values.numel() > 0) {
    dispatch_floating(x.dtype(), "max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      KernelTable table{.cpu = [&] {
        make_indices();
        kernels::max_pool2d_forward_cpu(r.values.data<T>(), r.indices.data<int64_t>(), x.data<T>(),
                                        s);
      }};
#if GPUNN_WITH_ONEDNN
      if constexpr (std::is_same_v<T, float>) {
        // oneDNN lets NaN lose its window; gpunn's max lets it win (pool.h).
        if (!need_indices && !holds_non_finite(x)) {
          table.cpu_vendor = [&] {
            const auto bytes = static_cast<int64_t>(kernels::max_pool2d_workspace_bytes_onednn(s));
            workspace = empty({(bytes + 7) / 8}, TensorOptions(kInt64).device(x.device()));
            kernels::max_pool2d_forward_onednn(r.values.data<T>(), workspace.data<int64_t>(),
                                               x.data<T>(), s);
          };
        }
      }
#endif
#if GPUNN_WITH_CUDA
      table.cuda = [&] {
        make_indices();
        kernels::max_pool2d_forward_cuda(r.values.data<T>(), r.indices.data<int64_t>(), x.data<T>(),
                                         s, cuda::stream(x.device().index));
        GPUNN_CUDA_CHECK_LAUNCH("max_pool2d");
      };
#endif
#if GPUNN_WITH_CUDNN
      if (!need_indices && x.device().is_cuda() && kernels::cudnn_pool2d_supported(s)) {
        table.cuda_vendor = [&] {
          kernels::cudnn_pool2d_forward(cuda::cudnn_handle(x.device().index), true, s,
                                        x.dtype() == kFloat64, x.data_ptr(), r.values.data_ptr());
          cudnn_ran = true;
        };
      }
#endif
      launch("max_pool2d", OpFamily::Pool, x.device(), {&x}, {&r.values, &r.indices}, table);
    });
  }
  if (autograd::needs_grad({&input})) {
    auto node = autograd::make_node<MaxPool2dBackward>({&input}, s);
    if (cudnn_ran) {
      node->saved.x = x;
      node->saved.y = r.values;
    } else if (workspace.defined()) {
      node->saved.workspace = workspace;
    } else {
      node->saved.indices = r.indices;
    }
    autograd::set_history(r.values, node);
  }
  if (autograd::fw::any_tangent({&input})) {
    autograd::fw::TangentScope scope;
    const Tensor t = autograd::fw::tangent_of(input).contiguous();
    Tensor ty = empty_as(t, r.values.shape());
    dispatch_floating(t.dtype(), "max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      launch("max_pool2d", OpFamily::Index, t.device(), {&t}, {&ty},
             {.cpu =
                  [&] {
                    kernels::gather_dim_cpu(ty.data<T>(), t.data<T>(), r.indices.data<int64_t>(),
                                            s.N * s.C, s.H * s.W, s.P * s.Q, 1);
                  },
              GPUNN_IF_CUDA(.cuda = [&] {
                kernels::gather_dim_cuda(ty.data<T>(), t.data<T>(), r.indices.data<int64_t>(),
                                         s.N * s.C, s.H * s.W, s.P * s.Q, 1,
                                         cuda::stream(t.device().index));
                GPUNN_CUDA_CHECK_LAUNCH("max_pool2d");
              })});
    });
    autograd::fw::set_tangent(r.values, ty);
  }
  return r;
}

// ---- avg ------------------------------------------------------------------------------

Tensor avg_pool_backward(const Tensor& dy_in, const kernels::Pool2dShape& s) {
  const Tensor dy = dy_in.contiguous();
  Tensor dx = empty_as(dy, {s.N, s.C, s.H, s.W});
  dispatch_floating(dy.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    KernelTable table{
        .cpu = [&] { kernels::avg_pool2d_backward_cpu(dx.data<T>(), dy.data<T>(), s); }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      if (dx.numel() > 0 && kernels::avg_pool2d_onednn_supported(s)) {
        table.cpu_vendor = [&] {
          kernels::avg_pool2d_backward_onednn(dx.data<T>(), dy.data<T>(), s);
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      kernels::avg_pool2d_backward_cuda(dx.data<T>(), dy.data<T>(), s,
                                        cuda::stream(dy.device().index));
      GPUNN_CUDA_CHECK_LAUNCH("avg_pool2d_backward");
    };
#endif
#if GPUNN_WITH_CUDNN
    if (dy.device().is_cuda() && dx.numel() > 0 && kernels::cudnn_pool2d_supported(s)) {
      table.cuda_vendor = [&] {
        // Average pooling's backward reads neither x nor y: dx stands in for both.
        kernels::cudnn_pool2d_backward(cuda::cudnn_handle(dy.device().index), false, s,
                                       dy.dtype() == kFloat64, dx.data_ptr(), dy.data_ptr(),
                                       dy.data_ptr(), dx.data_ptr());
      };
    }
#endif
    launch("avg_pool2d_backward", OpFamily::Pool, dy.device(), {&dy}, {&dx}, table);
  });
  return dx;
}

Tensor avg_pool_forward(const Tensor& x, const kernels::Pool2dShape& s) {
  Tensor y = empty_as(x, {s.N, s.C, s.P, s.Q});
  if (y.numel() == 0) return y;
  dispatch_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    KernelTable table{.cpu = [&] { kernels::avg_pool2d_forward_cpu(y.data<T>(), x.data<T>(), s); }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      if (kernels::avg_pool2d_onednn_supported(s))
        table.cpu_vendor = [&] { kernels::avg_pool2d_forward_onednn(y.data<T>(), x.data<T>(), s); };
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      kernels::avg_pool2d_forward_cuda(y.data<T>(), x.data<T>(), s, cuda::stream(x.device().index));
      GPUNN_CUDA_CHECK_LAUNCH("avg_pool2d");
    };
#endif
#if GPUNN_WITH_CUDNN
    if (x.device().is_cuda() && kernels::cudnn_pool2d_supported(s)) {
      table.cuda_vendor = [&] {
        kernels::cudnn_pool2d_forward(cuda::cudnn_handle(x.device().index), false, s,
                                      x.dtype() == kFloat64, x.data_ptr(), y.data_ptr());
      };
    }
#endif
    launch("avg_pool2d", OpFamily::Pool, x.device(), {&x}, {&y}, table);
  });
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
