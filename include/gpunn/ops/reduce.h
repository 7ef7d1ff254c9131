// Reductions. `dims` may be negative (counted from the end) and must not repeat;
// keepdim leaves each reduced dim in place with size 1.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

Tensor sum(const Tensor& x);  // over everything: a 0-D tensor
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);  // NaN for an empty tensor, as in PyTorch
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);

// Values and int64 indices of the maximum along `dim`. Ties pick the first
// index; NaN counts as the maximum. The gradient flows to the chosen index only.
struct MaxResult {
  Tensor values;
  Tensor indices;
};
MaxResult max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& x);  // over everything: 0-D; gradient to the first maximum
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // int64
Tensor argmax(const Tensor& x);  // int64 index into the flattened tensor

}  // namespace gpunn

GPUNN_API_END
