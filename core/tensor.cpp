// Tensor and TensorImpl: metadata, data access and the autograd entry points.
#include <gpunn/autograd.h>
#include <gpunn/tensor.h>

#include <cstring>
#include <limits>

#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "core/tensor_impl.h"

namespace gpunn {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t s : shape) {
    if (s == 0) return 0;
    overflow |= __builtin_mul_overflow(n, s, &n);
  }
  GPUNN_CHECK(!overflow, "shape ", shape, " has more elements than fit in 64 bits");
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    // Only a shape with a 0 dim (no elements to address) can overflow here.
    if (__builtin_mul_overflow(s, std::max<int64_t>(shape[i], 1), &s)) {
      s = std::numeric_limits<int64_t>::max();
    }
  }
  return strides;
}

TensorImpl::TensorImpl(std::shared_ptr<Storage> storage_, Shape shape_, Shape strides_,
                       int64_t offset_, DType dtype_)
    : storage(std::move(storage_)),
      shape(std::move(shape_)),
      strides(std::move(strides_)),
      offset(offset_),
      dtype(dtype_) {
  GPUNN_ASSERT(shape.size() == strides.size(), "shape and strides differ in rank");
}

int64_t TensorImpl::numel() const { return shape_numel(shape); }

bool TensorImpl::is_contiguous() const {
  // Dims of size 1 may have any stride; an empty tensor is contiguous.
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 0) return true;
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>(base.impl()->storage, std::move(shape),
                                           std::move(strides), offset, base.dtype());
  return Tensor(std::move(impl));
}

// ---- Tensor: metadata ---------------------------------------------------------------

Tensor::Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

namespace {
const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl, const char* what) {
  GPUNN_CHECK(impl != nullptr, what, ": the tensor is undefined (default-constructed)");
  return *impl;
}
}  // namespace

const Shape& Tensor::shape() const { return checked(impl_, "shape").shape; }
const Shape& Tensor::strides() const { return checked(impl_, "strides").strides; }
int64_t Tensor::storage_offset() const { return checked(impl_, "storage_offset").offset; }
int64_t Tensor::dim() const { return static_cast<int64_t>(checked(impl_, "dim").shape.size()); }
int64_t Tensor::numel() const { return checked(impl_, "numel").numel(); }
DType Tensor::dtype() const { return checked(impl_, "dtype").dtype; }
Device Tensor::device() const { return checked(impl_, "device").device(); }
bool Tensor::is_contiguous() const { return checked(impl_, "is_contiguous").is_contiguous(); }
TensorOptions Tensor::options() const { return TensorOptions(dtype()).device(device()); }

int64_t Tensor::size(int64_t dim) const {
  const Shape& s = shape();
  GPUNN_CHECK(!s.empty(), "size: a 0-D tensor has no dims (asked for dim ", dim, ")");
  return s[normalize_dim("size", dim, static_cast<int64_t>(s.size()), *this)];
}

int64_t Tensor::stride(int64_t dim) const {
  const Shape& s = strides();
  GPUNN_CHECK(!s.empty(), "stride: a 0-D tensor has no dims (asked for dim ", dim, ")");
  return s[normalize_dim("stride", dim, static_cast<int64_t>(s.size()), *this)];
}

// ---- Tensor: data -------------------------------------------------------------------

template <typename T>
T* Tensor::data() const {
  const TensorImpl& impl = checked(impl_, "data");
  GPUNN_CHECK(impl.dtype == dtype_of<T>::value, "data: the tensor is ", dtype_name(impl.dtype),
              ", asked for ", dtype_name(dtype_of<T>::value));
  return static_cast<T*>(impl.data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;
template BFloat16* Tensor::data<BFloat16>() const;
template Half* Tensor::data<Half>() const;

void* Tensor::data_ptr() const { return checked(impl_, "data_ptr").data(); }

uint64_t Tensor::version() const { return checked(impl_, "version").storage->version(); }

double Tensor::item() const {
  const TensorImpl& impl = checked(impl_, "item");
  GPUNN_CHECK(impl.numel() == 1, "item: needs a tensor with one element, got shape ", impl.shape);
  GPUNN_CHECK(!impl.device().is_meta(), "item: a meta tensor ", impl.shape,
              " has no value (the meta device holds shapes only)");
  Tensor host = detach().to(kCPU);
  return dispatch_all(impl.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<double>(*static_cast<const T*>(host.impl()->data()));
  });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  const TensorImpl& impl = checked(impl_, "to_vector");
  GPUNN_CHECK(!impl.device().is_meta(), "to_vector: a meta tensor ", impl.shape,
              " has no values (the meta device holds shapes only)");
  Tensor host = detach().to(kCPU).to(dtype_of<T>::value).contiguous();
  std::vector<T> out(static_cast<size_t>(host.numel()));
  if (!out.empty()) std::memcpy(out.data(), host.impl()->data(), out.size() * sizeof(T));
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<BFloat16> Tensor::to_vector<BFloat16>() const;
template std::vector<Half> Tensor::to_vector<Half>() const;

Tensor Tensor::detach() const {
  const TensorImpl& impl = checked(impl_, "detach");
  return make_view(*this, impl.shape, impl.strides, impl.offset);
}

// ---- Tensor: autograd ---------------------------------------------------------------

bool Tensor::requires_grad() const { return checked(impl_, "requires_grad").requires_grad; }

bool Tensor::is_leaf() const { return checked(impl_, "is_leaf").grad_fn == nullptr; }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  const TensorImpl& impl = checked(impl_, "requires_grad_");
  GPUNN_CHECK(impl.grad_fn == nullptr,
              "requires_grad_: only leaf tensors can change requires_grad; this one was made by ",
              impl.grad_fn ? impl.grad_fn->name() : "", " (use detach() to get a leaf)");
  GPUNN_CHECK(!requires_grad || is_floating(impl.dtype),
              "requires_grad_: only float32/float64 tensors can require grad, got ",
              dtype_name(impl.dtype), " ", impl.shape);
  impl_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const { return checked(impl_, "grad").grad; }

void Tensor::set_grad(const Tensor& grad) {
  const TensorImpl& impl = checked(impl_, "set_grad");
  if (grad.defined()) {
    GPUNN_CHECK(
        grad.shape() == impl.shape && grad.dtype() == impl.dtype && grad.device() == impl.device(),
        "set_grad: gradient ", describe(grad), " on ", grad.device().str(),
        " does not match tensor ", describe(*this), " on ", impl.device().str());
  }
  impl_->grad = grad;
}

void Tensor::set_data(const Tensor& data) {
  TensorImpl& impl = const_cast<TensorImpl&>(checked(impl_, "set_data"));
  GPUNN_CHECK(data.defined(), "set_data: the new data is undefined");
  GPUNN_CHECK(!impl.grad_fn, "set_data: only for leaf tensors, but this tensor was made by ",
              grad_fn_name());
  const Tensor src = data.detach();
  const TensorImpl& d = *src.impl();
  if (impl.grad.defined() && (d.dtype != impl.dtype || d.device() != impl.device())) {
    impl.grad = impl.grad.to(d.dtype).to(d.device());
  }
  if (impl.grad.defined() && impl.grad.shape() != d.shape) impl.grad = Tensor();
  impl.storage = d.storage;
  impl.shape = d.shape;
  impl.strides = d.strides;
  impl.offset = d.offset;
  impl.dtype = d.dtype;
  // Graphs recorded before refer to the old data; new ones get a new accumulator.
  impl.grad_accumulator.reset();
}

void Tensor::zero_grad(bool set_to_none) {
  checked(impl_, "zero_grad");
  TensorImpl& impl = *impl_;
  if (!impl.grad.defined()) return;
  if (set_to_none) {
    impl.grad = Tensor();
  } else {
    NoGradGuard no_grad;
    impl.grad.zero_();
  }
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  checked(impl_, "backward");
  autograd::backward(
      {*this}, {gradient},
      autograd::GradOptions{.retain_graph = retain_graph, .create_graph = create_graph});
}

std::string Tensor::grad_fn_name() const {
  const TensorImpl& impl = checked(impl_, "grad_fn_name");
  return impl.grad_fn ? impl.grad_fn->name() : "";
}

Tensor Tensor::tangent() const { return checked(impl_, "tangent").tangent; }

}  // namespace gpunn
