// Helpers shared by the op files: argument checks with op-naming messages,
// broadcasting, output allocation. Private to libgpunn.
#pragma once

#include <gpunn/tensor.h>

#include <initializer_list>
#include <string>

#include "kernels/base/strided.h"

namespace gpunn {

// "[2, 3] float32" for messages.
std::string describe(const Tensor& t);

void check_defined(const char* op, const Tensor& t, const char* name);
// Defined, float32/float64.
void check_floating(const char* op, const Tensor& t, const char* name);
// Defined, int64.
void check_index(const char* op, const Tensor& t, const char* name);
// Same dtype and device as `first` (named first_name).
void check_same_dtype_device(const char* op, const Tensor& first, const char* first_name,
                             const Tensor& other, const char* other_name);
// All tensors live on the CPU (ops without device kernels yet).
void check_cpu(const char* op, std::initializer_list<const Tensor*> tensors);
// All defined tensors live on one device (ops with kernels for every device).
void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors);
void check_max_dims(const char* op, const Tensor& t);

// dim in [-ndim, ndim) -> [0, ndim); `ndim` may be 0 for ops that accept 0-D
// tensors, where dims -1 and 0 both mean "the scalar" (returns 0).
int64_t normalize_dim(const char* op, int64_t dim, int64_t ndim);
// The same, naming the tensor the dim refers to (its shape and dtype) in the message.
int64_t normalize_dim(const char* op, int64_t dim, int64_t ndim, const Tensor& of);

// NumPy broadcasting of two shapes; throws naming op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

// Strides that read `t` as if expanded to `shape` (0 on broadcast dims).
Shape broadcast_strides(const Tensor& t, const Shape& shape);

// The kernel view of two operands over one shape.
kernels::StridedPair make_strided_pair(const Shape& shape, const Shape& a_strides,
                                       const Shape& b_strides);

// Sums g over the dims that broadcasting added or stretched, so the result has
// `shape`. Used by every backward of a broadcasting op.
Tensor sum_to(const Tensor& g, const Shape& shape);

// In-place ops are not recorded: they are allowed on tensors that take no part
// in autograd, or with recording off (NoGradGuard), e.g. optimizer updates.
// Throws when `self` or an operand requires grad while recording, or when
// `self` carries a tangent.
void check_inplace(const char* op, const Tensor& self,
                   std::initializer_list<const Tensor*> operands = {});
// Marks self's storage as changed (Note [saved tensors and in-place updates]).
void bump_version(const Tensor& self);

// t's data, or null for an undefined tensor (a kernel argument that may be absent).
inline void* data_or_null(const Tensor& t) { return t.defined() ? t.data_ptr() : nullptr; }

// A new contiguous tensor with t's dtype and device.
Tensor empty_as(const Tensor& t, const Shape& shape);

// g · (y > 0): the derivative of a ReLU fused into an op's epilogue (gpunn/ops/fused.h),
// read from its output y with relu's own backward rule and kernels, so fused and separate
// ReLUs agree everywhere, NaN included. Also its JVP, with g the tangent.
Tensor relu_mask(const Tensor& g, const Tensor& y);

// a / b rounded toward negative infinity (b > 0), for output-size formulas whose
// numerator goes negative when a window does not fit.
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// The product of shape[begin, end).
int64_t prod(const Shape& shape, int64_t begin, int64_t end);

}  // namespace gpunn
