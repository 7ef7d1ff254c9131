// Shape ops: free-function forms of the Tensor view methods, and cat/stack.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);

// Joins tensors along an existing dim; all other dims must agree.
// d(input_i) = the matching slice of dy.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
// Joins same-shaped tensors along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
// The slices of x along dim, x.size(dim) views without that dim (stack's inverse). One
// gradient node serves them all: backward stacks their gradients (zeros for slices that got
// none) once, where selecting each slice separately would make a zero-filled gradient of
// the whole of x per slice.
std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);

}  // namespace gpunn

GPUNN_API_END
