// Softmax and log-softmax over one dim, computed stably (the maximum is
// subtracted first). Non-finite inputs follow IEEE rules, as in PyTorch: -inf
// gets probability 0 (log-probability -inf); a slice holding NaN or +inf is NaN
// throughout. An empty slice gives an empty result.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// y_i = e^(x_i) / Σ_j e^(x_j);       dx = y * (dy - Σ dy*y)
Tensor softmax(const Tensor& x, int64_t dim);
// y_i = x_i - log Σ_j e^(x_j);       dx = dy - softmax(x) * Σ dy
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace gpunn

GPUNN_API_END
