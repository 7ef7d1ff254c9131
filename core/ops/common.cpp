// Helpers shared by the op files (core/ops/common.h).
#include "core/ops/common.h"

#include <gpunn/autograd.h>
#include <gpunn/ops/reduce.h>

#include <sstream>

#include "core/dispatch.h"
#include "core/tensor_impl.h"
#include "kernels/activation.h"

namespace gpunn {

std::string describe(const Tensor& t) {
  if (!t.defined()) return "(undefined)";
  std::ostringstream os;
  detail::append(os, t.shape());
  os << ' ' << dtype_name(t.dtype());
  return os.str();
}

void check_defined(const char* op, const Tensor& t, const char* name) {
  GPUNN_CHECK(t.defined(), op, ": ", name, " is an undefined tensor");
}

void check_floating(const char* op, const Tensor& t, const char* name) {
  check_defined(op, t, name);
  GPUNN_CHECK(is_floating(t.dtype()), op, ": ", name,
              " must be a floating-point tensor (float32, float64, bfloat16 or float16), got ",
              describe(t));
}

void check_index(const char* op, const Tensor& t, const char* name) {
  check_defined(op, t, name);
  GPUNN_CHECK(t.dtype() == kInt64, op, ": ", name, " must hold int64 indices, got ", describe(t));
}

void check_same_dtype_device(const char* op, const Tensor& first, const char* first_name,
                             const Tensor& other, const char* other_name) {
  GPUNN_CHECK(first.dtype() == other.dtype(), op, ": ", other_name, " ", describe(other), " and ",
              first_name, " ", describe(first), " have different dtypes (convert one with to())");
  GPUNN_CHECK(first.device() == other.device(), op, ": ", other_name, " is on ",
              other.device().str(), " but ", first_name, " is on ", first.device().str());
}

void check_cpu(const char* op, std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors) {
    if (t == nullptr || !t->defined()) continue;
    GPUNN_CHECK(t->device().is_cpu(), op, ": no implementation for device ", t->device().str(),
                " in this build of gpunn");
  }
}

void check_same_device(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (t == nullptr || !t->defined()) continue;
    if (!first) {
      first = t;
      continue;
    }
    GPUNN_CHECK(t->device() == first->device(), op, ": expected all tensors on one device, got ",
                describe(*first), " on ", first->device().str(), " and ", describe(*t), " on ",
                t->device().str());
  }
}

void check_max_dims(const char* op, const Tensor& t) {
  GPUNN_CHECK(t.dim() <= kernels::kMaxDims, op, ": at most ", kernels::kMaxDims,
              " dims are supported, got ", describe(t));
}

int64_t normalize_dim(const char* op, int64_t dim, int64_t ndim) {
  return normalize_dim(op, dim, ndim, Tensor());
}

int64_t normalize_dim(const char* op, int64_t dim, int64_t ndim, const Tensor& of) {
  const int64_t n = std::max<int64_t>(ndim, 1);
  GPUNN_CHECK(dim >= -n && dim < n, op, ": dim ", dim, " is out of range for a tensor with ", ndim,
              " dims (expected a dim in [", -n, ", ", n - 1, "]",
              of.defined() ? "; input " + describe(of) : std::string(), ")");
  return dim < 0 ? dim + n : dim;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    GPUNN_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
                " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  const Shape& s = t.shape();
  const Shape& st = t.strides();
  Shape out(shape.size(), 0);
  const size_t lead = shape.size() - s.size();
  for (size_t i = 0; i < s.size(); ++i) out[lead + i] = s[i] == 1 ? 0 : st[i];
  return out;
}

kernels::StridedPair make_strided_pair(const Shape& shape, const Shape& a_strides,
                                       const Shape& b_strides) {
  GPUNN_ASSERT(shape.size() <= static_cast<size_t>(kernels::kMaxDims), "too many dims");
  kernels::StridedPair ix;
  ix.ndim = static_cast<int>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    ix.shape[i] = shape[i];
    ix.a[i] = a_strides[i];
    ix.b[i] = b_strides[i];
  }
  return ix;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const Shape& gs = g.shape();
  GPUNN_ASSERT(gs.size() >= shape.size(), "sum_to from ", gs, " to ", shape);
  const size_t lead = gs.size() - shape.size();
  Shape dims;
  for (size_t i = 0; i < gs.size(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) dims.push_back(static_cast<int64_t>(i));
  }
  Tensor r = dims.empty() ? g : sum(g, dims, /*keepdim=*/true);
  return r.reshape(shape);
}

void check_inplace(const char* op, const Tensor& self,
                   std::initializer_list<const Tensor*> operands) {
  check_defined(op, self, "self");
  if (is_grad_enabled()) {
    GPUNN_CHECK(!self.requires_grad(), op, ": in-place update of a tensor ", describe(self),
                " that requires grad; autograd does not record in-place ops (use the "
                "out-of-place op, or NoGradGuard for updates such as optimizer steps)");
    for (const Tensor* t : operands) {
      GPUNN_CHECK(!(t && t->defined() && t->requires_grad()), op, ": operand ", describe(*t),
                  " requires grad but in-place ops are not recorded (use the out-of-place op)");
    }
  }
  GPUNN_CHECK(!self.impl()->tangent.defined(), op, ": in-place update of a dual tensor ",
              describe(self), " (forward mode does not follow in-place ops)");
}

void bump_version(const Tensor& self) { self.impl()->storage->bump_version(); }

Tensor empty_as(const Tensor& t, const Shape& shape) {
  return empty(shape, TensorOptions(t.dtype()).device(t.device()));
}

int64_t prod(const Shape& shape, int64_t begin, int64_t end) {
  int64_t p = 1;
  for (int64_t i = begin; i < end; ++i) p *= shape[i];
  return p;
}

Tensor relu_mask(const Tensor& g, const Tensor& y) {
  const Tensor gc = g.contiguous();
  Tensor out = empty_as(gc, gc.shape());
  if (out.numel() == 0) return out;
  const kernels::ActivationBackwardArgs args{.dtype = gc.dtype(),
                                             .f = kernels::Activation::Relu,
                                             .n = gc.numel(),
                                             .slope = 0.0,
                                             .dy = gc.data_ptr(),
                                             .saved = y.data_ptr(),
                                             .dx = out.data_ptr()};
  launch(kernels::activation_backward, gc.device(), args, {&gc, &y}, {&out}, "relu_backward");
  return out;
}

}  // namespace gpunn
