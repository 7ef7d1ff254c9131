// Gradient clipping, PyTorch's torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <vector>

GPUNN_API_BEGIN

namespace gpunn::optim {

// The norm of all gradients together, as if concatenated into one vector:
//   total = (Σ_p ‖g_p‖ₙ^n)^(1/n), or max |g| for norm_type = +infinity.
// If total > max_norm, every gradient is scaled by max_norm / (total + 1e-6).
// Parameters without a gradient are skipped. Returns total (before clipping);
// with no gradients at all, 0. norm_type must be > 0 (or +infinity).
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

// Clamps every gradient element to [-clip_value, clip_value] (clip_value >= 0).
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace gpunn::optim

GPUNN_API_END
