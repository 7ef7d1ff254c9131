// The GELU formulas, shared by the CPU loops and the CUDA kernels of the activation
// family (kernels/activation.h) so that both compute the same thing.
//   erf form:   y = x·Φ(x) = x/2·(1 + erf(x/√2)),   dy/dx = Φ(x) + x·φ(x)
//   tanh form:  y = x/2·(1 + tanh u),  u = √(2/π)·(x + 0.044715·x³)
//               dy/dx = (1 + tanh u)/2 + x/2·(1 - tanh² u)·√(2/π)·(1 + 3·0.044715·x²)
// (Hendrycks and Gimpel, "Gaussian Error Linear Units", 2016; φ is the standard normal
// density, Φ its distribution function.)
#pragma once

#include <cmath>

#include "kernels/base/host_device.h"

namespace gpunn::kernels::math {

template <typename T>
GPUNN_HOST_DEVICE inline T gelu_erf(T x) {
  return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
}

template <typename T>
GPUNN_HOST_DEVICE inline T gelu_erf_derivative(T x) {
  const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
  const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
  return cdf + x * pdf;
}

template <typename T>
GPUNN_HOST_DEVICE inline T gelu_tanh(T x) {
  const T u = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
  return T(0.5) * x * (T(1) + std::tanh(u));
}

template <typename T>
GPUNN_HOST_DEVICE inline T gelu_tanh_derivative(T x) {
  const T u = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
  const T t = std::tanh(u);
  const T du = T(0.79788456080286535588) * (T(1) + T(3) * T(0.044715) * x * x);
  return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du;
}

}  // namespace gpunn::kernels::math
