// Activations, elementwise.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// y = max(x, 0);                    dx = dy * (x > 0)
Tensor relu(const Tensor& x);
// y = x > 0 ? x : slope * x;        dx = dy * (x > 0 ? 1 : slope)
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// y = 1 / (1 + e^-x);               dx = dy * y * (1 - y)
Tensor sigmoid(const Tensor& x);
// y = tanh x;                       dx = dy * (1 - y^2)
Tensor tanh(const Tensor& x);

// GELU (Hendrycks and Gimpel, 2016), PyTorch's approximate="none" and "tanh":
//   None:  y = x·Φ(x) = x/2·(1 + erf(x/√2));         dx = dy·(Φ(x) + x·φ(x))
//   Tanh:  y = x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))  and its derivative
// with φ, Φ the standard normal density and distribution function.
enum class GeluApproximation { None, Tanh };
Tensor gelu(const Tensor& x, GeluApproximation approximate = GeluApproximation::None);

}  // namespace gpunn

GPUNN_API_END
