// Factories: tensors from shapes, values and external memory (random ones in
// core/ops/random.cpp).
#include <gpunn/generator.h>
#include <gpunn/tensor.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "core/dispatch.h"
#include "core/ops/common.h"
#include "core/tensor_impl.h"

namespace gpunn {
namespace {

void check_shape(const char* op, const Shape& shape) {
  GPUNN_CHECK(shape.size() <= static_cast<size_t>(kernels::kMaxDims), op, ": at most ",
              kernels::kMaxDims, " dims are supported, got shape ", shape);
  for (int64_t s : shape) {
    GPUNN_CHECK(s >= 0, op, ": sizes must be non-negative, got shape ", shape);
  }
}

// The bytes a tensor of `shape` needs. A count that does not even fit in int64
// is a mistake in the shape (gpunn::Error), not an allocation to try: a real
// allocation failure is OutOfMemoryError, from the allocator.
size_t checked_nbytes(const char* op, const Shape& shape, DType dtype) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t s : shape) {
    if (s == 0) return 0;
    overflow |= __builtin_mul_overflow(n, s, &n);
  }
  int64_t bytes = 0;
  overflow |= __builtin_mul_overflow(n, static_cast<int64_t>(dtype_size(dtype)), &bytes);
  GPUNN_CHECK(!overflow, op, ": shape ", shape, " of ", dtype_name(dtype),
              " needs more than 2^63 bytes; the sizes must be wrong");
  return static_cast<size_t>(bytes);
}

Tensor finish_leaf(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) {
  check_shape("empty", shape);
  const size_t nbytes = checked_nbytes("empty", shape, options.dtype());
  auto storage = allocate_storage(nbytes, options.device());
  auto impl = std::make_shared<TensorImpl>(std::move(storage), shape, contiguous_strides(shape), 0,
                                           options.dtype());
  return finish_leaf(Tensor(std::move(impl)), options);
}

Tensor full(const Shape& shape, double value, TensorOptions options) {
  Tensor t = empty(shape, options.requires_grad(false));
  t.fill_(value);
  return finish_leaf(t, options);
}

Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }
Tensor scalar_tensor(double value, TensorOptions options) { return full({}, value, options); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.options()); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.options()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.options()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.options()); }

Tensor arange(double end, TensorOptions options) { return arange(0.0, end, 1.0, options); }

Tensor arange(double start, double end, double step, TensorOptions options) {
  GPUNN_CHECK(step != 0.0 && std::isfinite(step) && std::isfinite(start) && std::isfinite(end),
              "arange: start, end and step must be finite and step non-zero, got start ", start,
              ", end ", end, ", step ", step);
  GPUNN_CHECK((end - start) / step >= 0.0 || start == end, "arange: step ", step,
              " moves away from end (start ", start, ", end ", end, ")");
  const double count = std::ceil((end - start) / step);
  GPUNN_CHECK(count < 9.0e15, "arange: ", count, " elements is too many");
  const int64_t n = std::max<int64_t>(static_cast<int64_t>(count), 0);
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[i] = start + static_cast<double>(i) * step;
  return tensor(values, {n}, options);
}

Tensor tensor(const std::vector<double>& values, const Shape& shape, TensorOptions options) {
  check_shape("tensor", shape);
  GPUNN_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape), "tensor: ", values.size(),
              " values cannot fill shape ", shape, " (", shape_numel(shape), " elements)");
  Tensor host = empty(shape, TensorOptions(options.dtype()));
  dispatch_all(options.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = host.data<T>();
    for (size_t i = 0; i < values.size(); ++i) {
      if constexpr (std::is_same_v<T, int64_t>) {
        GPUNN_CHECK(values[i] == std::trunc(values[i]) && std::abs(values[i]) < 9.0e18,
                    "tensor: value ", values[i], " at position ", i,
                    " is not a whole number an int64 tensor can hold");
      }
      p[i] = static_cast<T>(values[i]);
    }
  });
  Tensor t = options.device().is_cpu() ? host : host.to(options.device());
  return finish_leaf(t, options);
}

Tensor tensor(const std::vector<double>& values, TensorOptions options) {
  return tensor(values, {static_cast<int64_t>(values.size())}, options);
}

Tensor tensor_from(const std::vector<int64_t>& values, const Shape& shape) {
  check_shape("tensor_from", shape);
  GPUNN_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
              "tensor_from: ", values.size(), " values cannot fill shape ", shape);
  Tensor t = empty(shape, kInt64);
  if (!values.empty()) std::memcpy(t.data<int64_t>(), values.data(), values.size() * 8);
  return t;
}

Tensor tensor_from(const std::vector<float>& values, const Shape& shape) {
  check_shape("tensor_from", shape);
  GPUNN_CHECK(static_cast<int64_t>(values.size()) == shape_numel(shape),
              "tensor_from: ", values.size(), " values cannot fill shape ", shape);
  Tensor t = empty(shape, kFloat32);
  if (!values.empty()) std::memcpy(t.data<float>(), values.data(), values.size() * 4);
  return t;
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void(void*)> deleter,
                 Device device) {
  check_shape("from_blob", shape);
  GPUNN_CHECK(data != nullptr || shape_numel(shape) == 0, "from_blob: data is null for shape ",
              shape);
  GPUNN_CHECK(device.is_cpu(), "from_blob: device ", device.str(), " is not available");
  const size_t nbytes = checked_nbytes("from_blob", shape, dtype);
  auto storage = std::make_shared<Storage>(data, nbytes, device, std::move(deleter));
  auto impl =
      std::make_shared<TensorImpl>(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
  return Tensor(std::move(impl));
}

}  // namespace gpunn
