// gpunn::Tensor: an n-dimensional array on a device, with autograd.
//
// A Tensor is a cheap handle (a shared pointer) to its metadata: shape, strides
// (in elements), storage offset and dtype, over a ref-counted Storage that views
// share. Copying a Tensor copies the handle, never the data; clone() copies data.
//
// Autograd: a tensor that requires grad records the ops applied to it on a tape
// (define-by-run); backward() walks the tape in reverse and accumulates into the
// grad() of leaf tensors. Forward mode: a tensor may carry a tangent (see
// autograd.h, make_dual/jvp) that every op pushes forward.
#pragma once

#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/export.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

using Shape = std::vector<int64_t>;

class TensorImpl;
class Generator;

// What a factory makes: dtype (default float32), device (default CPU) and whether
// the new leaf requires grad. Implicit from a DType or a Device, as in
// gpunn::zeros({2, 3}, gpunn::kFloat64).
class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(DType dtype) : dtype_(dtype) {}      // NOLINT(google-explicit-constructor)
  TensorOptions(Device device) : device_(device) {}  // NOLINT(google-explicit-constructor)

  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool requires_grad() const { return requires_grad_; }

  TensorOptions dtype(DType dtype) const {
    TensorOptions o = *this;
    o.dtype_ = dtype;
    return o;
  }
  TensorOptions device(Device device) const {
    TensorOptions o = *this;
    o.device_ = device;
    return o;
  }
  TensorOptions requires_grad(bool requires_grad) const {
    TensorOptions o = *this;
    o.requires_grad_ = requires_grad;
    return o;
  }

 private:
  DType dtype_ = kFloat32;
  Device device_ = kCPU;
  bool requires_grad_ = false;
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl);

  bool defined() const { return impl_ != nullptr; }

  // ---- metadata -------------------------------------------------------------
  const Shape& shape() const;
  const Shape& sizes() const { return shape(); }
  int64_t size(int64_t dim) const;  // negative dims count from the end
  const Shape& strides() const;     // in elements
  int64_t stride(int64_t dim) const;
  int64_t storage_offset() const;  // in elements
  int64_t dim() const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  TensorOptions options() const;  // dtype and device (requires_grad false)
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }

  // ---- data -----------------------------------------------------------------
  // Typed pointer to the first element (storage offset applied). T must match
  // dtype(). On a CUDA tensor it is a device pointer, for kernels only: host
  // code reads values through to(kCPU), item() or to_vector().
  template <typename T>
  T* data() const;
  void* data_ptr() const;  // any device
  // The value of a one-element tensor, converted to double (or T).
  double item() const;
  template <typename T>
  T item() const {
    return static_cast<T>(item());
  }
  // All elements in row-major order, converted to T.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- conversions and copies -----------------------------------------------
  Tensor to(DType dtype) const;  // differentiable between float types
  Tensor to(Device device) const;
  Tensor contiguous() const;  // self when already contiguous
  Tensor clone() const;       // a contiguous copy; differentiable
  Tensor detach() const;      // shares storage; no history, no tangent
  // In-place: copy src (broadcast to this shape, converted to this dtype).
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }

  // ---- views (share storage; differentiable) --------------------------------
  Tensor view(const Shape& shape) const;     // needs compatible strides; one dim may be -1
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // transpose of a 2-D tensor (0-D and 1-D: itself)
  Tensor permute(const Shape& dims) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;  // removes dim
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(const Shape& shape) const;  // -1 keeps a size; broadcast rules

  // ---- math (same as the free functions in gpunn/ops) -----------------------
  Tensor add(const Tensor& other) const;
  Tensor sub(const Tensor& other) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor pow(double exponent) const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor relu() const;
  Tensor sigmoid() const;
  Tensor tanh() const;
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor matmul(const Tensor& other) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- in-place arithmetic ---------------------------------------------------
  // Allowed on tensors that take no part in autograd, or under NoGradGuard (how
  // optimizers update parameters). Bumps the storage's version, so a tensor saved
  // for backward that is changed afterwards is detected when backward runs.
  Tensor& add_(const Tensor& other, double alpha = 1.0);  // this += alpha * other
  Tensor& add_(double value);
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(const Tensor& other);
  Tensor& div_(double value);

  // ---- autograd --------------------------------------------------------------
  bool requires_grad() const;
  // Only on leaves (tensors no op made while recording), and only float dtypes.
  Tensor& requires_grad_(bool requires_grad = true);
  bool is_leaf() const;
  // The storage's version: it grows with every in-place change of any view of it (ops
  // that write in place bump it; autograd checks saved tensors with it, and optimizers
  // notice parameters changed behind their back).
  uint64_t version() const;
  // The accumulated gradient; undefined until a backward pass reaches this leaf.
  Tensor grad() const;
  void set_grad(const Tensor& grad);
  // Makes this leaf hold `data`'s values, shape, dtype and device (sharing its
  // storage), keeping its identity and requires_grad: how nn::Module::to()
  // moves or converts parameters that optimizers and layers already hold. A
  // defined grad is converted alike. Leaves only (not for tensors with history).
  void set_data(const Tensor& data);
  // Zeroes the accumulated gradient in place; with set_to_none, forgets it.
  void zero_grad(bool set_to_none = false);
  // Reverse mode from this tensor. Without `gradient` the tensor must hold one
  // element (a loss); otherwise `gradient` has this tensor's shape. The tape is
  // freed as it is walked unless retain_graph is true. With create_graph the pass is
  // recorded, so the gradients it accumulates can be differentiated again
  // (autograd::GradOptions).
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;
  // The name of the node that made this tensor ("" for leaves), e.g. "mul_backward".
  std::string grad_fn_name() const;

  // ---- forward mode ----------------------------------------------------------
  // The tangent carried by a dual tensor (see autograd::make_dual); undefined if none.
  Tensor tangent() const;

  // ---- printing and internals -------------------------------------------------
  std::string str() const;
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  // True when both handles point at the same tensor (not merely equal values).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- factories ------------------------------------------------------------------
Tensor empty(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor scalar_tensor(double value, TensorOptions options = {});  // 0-D
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// [start, end) in steps of `step` (step may be negative, never zero).
Tensor arange(double end, TensorOptions options = {});
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
// Random tensors from `generator` (the default generator when null); see generator.h.
Tensor rand(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
Tensor randn(const Shape& shape, TensorOptions options = {}, Generator* generator = nullptr);
// Integers uniform in [low, high), int64 unless options say otherwise.
Tensor randint(int64_t low, int64_t high, const Shape& shape,
               TensorOptions options = TensorOptions(kInt64), Generator* generator = nullptr);
// A uniform random permutation of 0, 1, ..., n-1 (int64 unless options say otherwise),
// from the generator's next n blocks: the same permutation on the CPU and every GPU
// (the positions sorted by Philox keys, kernels/random.h). PyTorch's randperm.
Tensor randperm(int64_t n, TensorOptions options = TensorOptions(kInt64),
                Generator* generator = nullptr);
Tensor rand_like(const Tensor& t, Generator* generator = nullptr);
Tensor randn_like(const Tensor& t, Generator* generator = nullptr);
// A copy of `values` (row-major) as a tensor of `shape` (1-D of values.size()
// when omitted). With an int64 dtype the values must be whole numbers.
Tensor tensor(const std::vector<double>& values, const Shape& shape, TensorOptions options = {});
Tensor tensor(const std::vector<double>& values, TensorOptions options = {});
Tensor tensor_from(const std::vector<int64_t>& values, const Shape& shape);  // int64
Tensor tensor_from(const std::vector<float>& values, const Shape& shape);    // float32
// A tensor over memory gpunn does not own: contiguous, row-major. Without a
// deleter the caller keeps the buffer alive for as long as any view of it lives;
// with one, gpunn calls it when the last view goes.
Tensor from_blob(void* data, const Shape& shape, DType dtype,
                 std::function<void(void*)> deleter = nullptr, Device device = kCPU);

// ---- operators ------------------------------------------------------------------
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// Elements of a shape (1 for []); gpunn::Error when the count overflows int64.
int64_t shape_numel(const Shape& shape);

}  // namespace gpunn

GPUNN_API_END
