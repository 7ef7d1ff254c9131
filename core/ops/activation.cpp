// Activations: relu, leaky_relu, sigmoid, tanh (formulas in gpunn/ops/activation.h).
//
// Each saves the one tensor its derivative reads (y for relu/sigmoid/tanh, x for
// leaky_relu), and its backward kernel doubles as the JVP with dy := tangent.
#include <gpunn/autograd.h>
#include <gpunn/ops/activation.h>

#include <string>
#include <type_traits>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/activation.cuh"
#endif
#include "core/ops/common.h"
#include "kernels/activation.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
#endif
#if GPUNN_WITH_CUDNN
#include "core/cuda/handles.h"
#include "kernels/vendor/cudnn.h"
#endif

namespace gpunn {
namespace {

enum class Act { Relu, LeakyRelu, Sigmoid, Tanh };

const char* act_name(Act act) {
  switch (act) {
    case Act::Relu:
      return "relu";
    case Act::LeakyRelu:
      return "leaky_relu";
    case Act::Sigmoid:
      return "sigmoid";
    case Act::Tanh:
      return "tanh";
  }
  return "activation";
}

// leaky_relu's derivative reads x; the others read y.
bool reads_input(Act act) { return act == Act::LeakyRelu; }

#if GPUNN_WITH_CUDNN
kernels::CudnnActivation cudnn_mode(Act act) {
  return act == Act::Relu      ? kernels::CudnnActivation::Relu
         : act == Act::Sigmoid ? kernels::CudnnActivation::Sigmoid
                               : kernels::CudnnActivation::Tanh;
}
#endif

Tensor act_forward(Act act, const Tensor& x, double slope) {
  Tensor y = empty_as(x, x.shape());
  const int64_t n = x.numel();
  dispatch_floating(x.dtype(), act_name(act), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    KernelTable table{.cpu = [&] {
      switch (act) {
        case Act::Relu:
          return kernels::relu_forward_cpu(yp, xp, n);
        case Act::LeakyRelu:
          return kernels::leaky_relu_forward_cpu(yp, xp, n, slope);
        case Act::Sigmoid:
          return kernels::sigmoid_forward_cpu(yp, xp, n);
        case Act::Tanh:
          return kernels::tanh_forward_cpu(yp, xp, n);
      }
    }};
#if GPUNN_WITH_ONEDNN
    // relu and leaky_relu forward keep gpunn's loop: it propagates NaN, oneDNN's
    // turns it into 0, and a vectorised loop is as fast for a pass over memory.
    if constexpr (std::is_same_v<T, float>) {
      if (act == Act::Sigmoid || act == Act::Tanh) {
        table.cpu_vendor = [&] {
          if (act == Act::Sigmoid) return kernels::sigmoid_forward_onednn(yp, xp, n);
          return kernels::tanh_forward_onednn(yp, xp, n);
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      cudaStream_t s = cuda::stream(x.device().index);
      switch (act) {
        case Act::Relu:
          kernels::relu_forward_cuda(yp, xp, n, s);
          break;
        case Act::LeakyRelu:
          kernels::leaky_relu_forward_cuda(yp, xp, n, slope, s);
          break;
        case Act::Sigmoid:
          kernels::sigmoid_forward_cuda(yp, xp, n, s);
          break;
        case Act::Tanh:
          kernels::tanh_forward_cuda(yp, xp, n, s);
          break;
      }
      GPUNN_CUDA_CHECK_LAUNCH(act_name(act));
    };
#endif
#if GPUNN_WITH_CUDNN
    // cuDNN has no leaky ReLU; relu forward keeps our kernel for the reason the
    // CPU keeps its loop (NaN in, NaN out, and one pass over memory either way).
    if (x.device().is_cuda() && n > 0 && (act == Act::Sigmoid || act == Act::Tanh)) {
      table.cuda_vendor = [&] {
        kernels::cudnn_activation_forward(cuda::cudnn_handle(x.device().index), cudnn_mode(act), n,
                                          x.dtype() == kFloat64, xp, yp);
      };
    }
#endif
    launch(act_name(act), OpFamily::Activation, x.device(), {&x}, {&y}, table);
  });
  return y;
}

// dx = dy * f'(saved), saved = x for leaky_relu, y otherwise.
Tensor act_backward(Act act, const Tensor& dy, const Tensor& saved, double slope) {
  Tensor g = dy.contiguous();
  Tensor dx = empty_as(g, g.shape());
  const int64_t n = g.numel();
  dispatch_floating(g.dtype(), act_name(act), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gp = g.data<T>();
    const T* sp = saved.data<T>();
    T* dxp = dx.data<T>();
    KernelTable table{.cpu = [&] {
      switch (act) {
        case Act::Relu:
          return kernels::relu_backward_cpu(dxp, gp, sp, n);
        case Act::LeakyRelu:
          return kernels::leaky_relu_backward_cpu(dxp, gp, sp, n, slope);
        case Act::Sigmoid:
          return kernels::sigmoid_backward_cpu(dxp, gp, sp, n);
        case Act::Tanh:
          return kernels::tanh_backward_cpu(dxp, gp, sp, n);
      }
    }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      table.cpu_vendor = [&] {
        switch (act) {
          case Act::Relu:
            return kernels::relu_backward_onednn(dxp, gp, sp, n);
          case Act::LeakyRelu:
            return kernels::leaky_relu_backward_onednn(dxp, gp, sp, n, slope);
          case Act::Sigmoid:
            return kernels::sigmoid_backward_onednn(dxp, gp, sp, n);
          case Act::Tanh:
            return kernels::tanh_backward_onednn(dxp, gp, sp, n);
        }
      };
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      cudaStream_t s = cuda::stream(g.device().index);
      switch (act) {
        case Act::Relu:
          kernels::relu_backward_cuda(dxp, gp, sp, n, s);
          break;
        case Act::LeakyRelu:
          kernels::leaky_relu_backward_cuda(dxp, gp, sp, n, slope, s);
          break;
        case Act::Sigmoid:
          kernels::sigmoid_backward_cuda(dxp, gp, sp, n, s);
          break;
        case Act::Tanh:
          kernels::tanh_backward_cuda(dxp, gp, sp, n, s);
          break;
      }
      GPUNN_CUDA_CHECK_LAUNCH(act_name(act));
    };
#endif
#if GPUNN_WITH_CUDNN
    if (g.device().is_cuda() && n > 0 && act != Act::LeakyRelu) {
      table.cuda_vendor = [&] {
        kernels::cudnn_activation_backward(cuda::cudnn_handle(g.device().index), cudnn_mode(act), n,
                                           g.dtype() == kFloat64, sp, gp, dxp);
      };
    }
#endif
    launch(act_name(act), OpFamily::Activation, g.device(), {&g, &saved}, {&dx}, table);
  });
  return dx;
}

struct ActSaved {
  autograd::SavedTensor x_or_y;
};

class ActBackward final : public autograd::NodeWith<ActSaved> {
 public:
  ActBackward(Act act, double slope)
      : act_(act), slope_(slope), name_(std::string(act_name(act)) + "_backward") {}
  const char* name() const override { return name_.c_str(); }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {act_backward(act_, grads[0], saved.x_or_y.unpack(*this), slope_)};
  }

 private:
  Act act_;
  double slope_;
  std::string name_;
};

Tensor activation(Act act, const Tensor& x, double slope = 0.0) {
  const char* op = act_name(act);
  check_floating(op, x, "input");
  check_same_device(op, {&x});
  Tensor xc = x.detach().contiguous();
  Tensor y = act_forward(act, xc, slope);
  const Tensor saved = reads_input(act) ? xc : y.detach();
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<ActBackward>({&x}, act, slope);
    node->saved.x_or_y = saved;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, act_backward(act, autograd::fw::tangent_of(x), saved, slope));
  }
  return y;
}

}  // namespace

Tensor relu(const Tensor& x) { return activation(Act::Relu, x); }
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return activation(Act::LeakyRelu, x, negative_slope);
}
Tensor sigmoid(const Tensor& x) { return activation(Act::Sigmoid, x); }
Tensor tanh(const Tensor& x) { return activation(Act::Tanh, x); }

}  // namespace gpunn
