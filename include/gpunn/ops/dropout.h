// Inverted dropout.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// Training: y = x · m / (1 - p) with m_i ~ Bernoulli(1 - p) drawn from `generator`
// (the default generator when null); p = 1 gives zeros. Evaluation
// (training = false) or p = 0: y = x. dx = dy · m / (1 - p).
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true,
               Generator* generator = nullptr);

}  // namespace gpunn

GPUNN_API_END
