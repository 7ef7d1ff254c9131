// softmax and log_softmax over one dim (gpunn/ops/softmax.h).
//
// Both save only their output y:
//   softmax:      dx = y (dy - Σ dy y)          JVP: the same with dy := t
//   log_softmax:  dx = dy - e^y Σ dy            JVP: t - Σ e^y t
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/reduce.h>
#include <gpunn/ops/softmax.h>

#include <type_traits>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/softmax.cuh"
#endif
#include "core/ops/common.h"
#include "kernels/softmax.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
#endif
#if GPUNN_WITH_CUDNN
#include <cstdint>

#include "core/cuda/handles.h"
#include "kernels/vendor/cudnn.h"
#endif

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

#if GPUNN_WITH_CUDNN
// cuDNN describes the array as [outer, C, inner, 1] with 32-bit sides.
bool cudnn_fits(const Split& s) {
  return s.outer <= INT32_MAX && s.C <= INT32_MAX && s.inner <= INT32_MAX;
}
#endif

Tensor softmax_backward(bool log, const Tensor& dy, const Tensor& y, int64_t dim) {
  Tensor g = dy.contiguous();
  Tensor dx = empty_as(g, g.shape());
  const Split s = split(y.shape(), dim);
  dispatch_floating(g.dtype(), op_name(log), [&](auto tag) {
    using T = typename decltype(tag)::type;
    KernelTable table{.cpu = [&] {
      kernels::softmax_backward_cpu(dx.data<T>(), g.data<T>(), y.data<T>(), s.outer, s.C, s.inner,
                                    log);
    }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      // log_softmax keeps the reference loops (kernels/vendor/onednn.h says why).
      if (!log && g.numel() > 0) {
        table.cpu_vendor = [&] {
          kernels::softmax_backward_onednn(dx.data<T>(), g.data<T>(), y.data<T>(), s.outer, s.C,
                                           s.inner);
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      kernels::softmax_backward_cuda(dx.data<T>(), g.data<T>(), y.data<T>(), s.outer, s.C, s.inner,
                                     log, cuda::stream(g.device().index));
      GPUNN_CUDA_CHECK_LAUNCH(op_name(log));
    };
#endif
#if GPUNN_WITH_CUDNN
    if (g.device().is_cuda() && g.numel() > 0 && cudnn_fits(s)) {
      table.cuda_vendor = [&] {
        kernels::cudnn_softmax_backward(cuda::cudnn_handle(g.device().index), log, s.outer, s.C,
                                        s.inner, g.dtype() == kFloat64, y.data_ptr(), g.data_ptr(),
                                        dx.data_ptr());
      };
    }
#endif
    launch(op_name(log), OpFamily::Softmax, g.device(), {&g, &y}, {&dx}, table);
  });
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
    dispatch_floating(x.dtype(), op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      KernelTable table{.cpu = [&] {
        kernels::softmax_forward_cpu(y.data<T>(), xc.data<T>(), s.outer, s.C, s.inner, log);
      }};
#if GPUNN_WITH_ONEDNN
      if constexpr (std::is_same_v<T, float>) {
        // oneDNN does not turn a row holding NaN or +inf into NaN as the
        // reference does; such inputs keep the reference loops.
        if (!log && !holds_non_finite(xc)) {
          table.cpu_vendor = [&] {
            kernels::softmax_forward_onednn(y.data<T>(), xc.data<T>(), s.outer, s.C, s.inner);
          };
        }
      }
#endif
#if GPUNN_WITH_CUDA
      table.cuda = [&] {
        kernels::softmax_forward_cuda(y.data<T>(), xc.data<T>(), s.outer, s.C, s.inner, log,
                                      cuda::stream(x.device().index));
        GPUNN_CUDA_CHECK_LAUNCH(op);
      };
#endif
#if GPUNN_WITH_CUDNN
      if (x.device().is_cuda() && cudnn_fits(s)) {
        table.cuda_vendor = [&] {
          kernels::cudnn_softmax_forward(cuda::cudnn_handle(x.device().index), log, s.outer, s.C,
                                         s.inner, x.dtype() == kFloat64, xc.data_ptr(),
                                         y.data_ptr());
        };
      }
#endif
      launch(op, OpFamily::Softmax, x.device(), {&xc}, {&y}, table);
    });
  }
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<SoftmaxBackward>({&x}, log, d);
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
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(false, x, dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(true, x, dim); }

}  // namespace gpunn
