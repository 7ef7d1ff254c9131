// The activation family: elementwise activations over n contiguous elements.
//
//   relu:        y = max(x, 0)                       dx = dy · (y > 0)
//   leaky_relu:  y = x > 0 ? x : slope·x             dx = dy · (x > 0 ? 1 : slope)
//   sigmoid:     y = 1 / (1 + e^-x)                  dx = dy · y · (1 - y)
//   tanh:        y = tanh x                          dx = dy · (1 - y²)
//   gelu:        y = x·Φ(x) (erf form) or its tanh approximation; dx = dy · y'(x)
//                (the formulas in kernels/activation_math.h)
//
// The backward reads `saved`: x where activation_backward_reads_x(f), y otherwise. It
// is linear in dy, so it also gives the JVP with dy := the tangent.
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

enum class Activation : int { Relu, LeakyRelu, Sigmoid, Tanh, GeluErf, GeluTanh };

constexpr bool activation_backward_reads_x(Activation f) {
  return f == Activation::LeakyRelu || f == Activation::GeluErf || f == Activation::GeluTanh;
}

struct ActivationArgs {
  DType dtype;
  Activation f;
  int64_t n;
  double slope;  // leaky_relu
  const void* x;
  void* y;
};

struct ActivationBackwardArgs {
  DType dtype;
  Activation f;
  int64_t n;
  double slope;
  const void* dy;
  const void* saved;  // x or y, as activation_backward_reads_x(f) says
  void* dx;
};

extern const OpTable<ActivationArgs> activation_forward;
extern const OpTable<ActivationBackwardArgs> activation_backward;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void activation_forward_cpu(const ActivationArgs& a, const Context& ctx);
template <typename T>
void activation_backward_cpu(const ActivationBackwardArgs& a, const Context& ctx);

// oneDNN's eltwise primitive, float32. Forward: sigmoid, tanh and both GELUs (its relu
// turns NaN into 0 where ours keeps it, and a vectorised loop is as fast for one pass
// over memory).
void activation_forward_onednn(const ActivationArgs& a, const Context& ctx);
bool activation_forward_onednn_supported(const ActivationArgs& a);
void activation_backward_onednn(const ActivationBackwardArgs& a, const Context& ctx);
bool activation_backward_onednn_supported(const ActivationBackwardArgs& a);

template <typename T>
void activation_forward_cuda(const ActivationArgs& a, const Context& ctx);
template <typename T>
void activation_backward_cuda(const ActivationBackwardArgs& a, const Context& ctx);

// cuDNN: no leaky ReLU and no GELU in its activation API; relu forward keeps our kernel
// for the reason the CPU keeps its loop. Its backward takes y for relu, sigmoid and tanh.
void activation_forward_cudnn(const ActivationArgs& a, const Context& ctx);
bool activation_forward_cudnn_supported(const ActivationArgs& a);
void activation_backward_cudnn(const ActivationBackwardArgs& a, const Context& ctx);
bool activation_backward_cudnn_supported(const ActivationBackwardArgs& a);

}  // namespace gpunn::kernels
