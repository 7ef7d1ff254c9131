// Normalization ops. (The LSTM cell is in gpunn/ops/rnn.h.)
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// The functional op's options; the modules' are nn::BatchNormOptions (gpunn/nn/layers.h).
struct BatchNormFuncOptions {
  bool training = true;   // normalize with the batch's statistics and update the running ones
  double momentum = 0.1;  // running = (1 - momentum)·running + momentum·batch
  double eps = 1e-5;
};

// Batch normalization of x [N, C] or [N, C, d1, ...] per channel c:
//   y = (x - μ[c]) / sqrt(σ²[c] + eps) · weight[c] + bias[c]
// Training (or no running statistics given): μ, σ² are the batch's mean and
// biased variance over N·d1·…, and running_mean/running_var (if given) are
// updated in place with the unbiased variance. Eval: μ, σ² are the running
// statistics. weight and bias [C] are optional; running_mean/var [C] are both
// given or both undefined. Gradients reach x, weight and bias, never the running
// statistics.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  const BatchNormFuncOptions& options = {});

// Layer normalization (Ba, Kiros and Hinton, 2016) over the last dims of x, those of
// `normalized_shape` (which must equal x's trailing dims):
//   y = (x - μ) / sqrt(σ² + eps) · weight + bias
// μ, σ² the mean and biased variance over those dims, per leading index; weight and bias
// (optional) have normalized_shape. Composed of ops, so its gradient, JVP and double
// backward come with them; under autocast it runs in float32.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

// Local response normalization across channels, as in AlexNet, for x [N, C, ...]:
//   y[c] = x[c] / (k + α/size · Σ_{c' = c - size/2}^{c + (size-1)/2} x[c']²)^β
// (channels outside [0, C) count as zero).
Tensor local_response_norm(const Tensor& x, int64_t size, double alpha = 1e-4, double beta = 0.75,
                           double k = 1.0);

}  // namespace gpunn

GPUNN_API_END
