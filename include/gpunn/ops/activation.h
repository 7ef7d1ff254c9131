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

}  // namespace gpunn

GPUNN_API_END
