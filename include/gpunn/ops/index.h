// Selecting along a dim by a list of indices.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// PyTorch's index_select: y has x's shape with size index.numel() at `dim`, and
// y[..., j, ...] = x[..., index[j], ...] for an int64 `index` of 0 or 1 dims whose
// values lie in [0, x.size(dim)) (repeats allowed). x may be float32, float64 or int64
// (integer data and labels, as a data loader gathers them). Floating x is
// differentiable: dx[..., k, ...] = Σ of dy[..., j, ...] over the j with index[j] = k; on
// a GPU those sums use atomics, or a sort and a fixed order under
// gpunn::deterministic() (equal to the CPU's bit for bit).
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);

}  // namespace gpunn

GPUNN_API_END
