// Shape ops: views (view, reshape, transpose, permute, slice, select, squeeze,
// unsqueeze, expand) and the copies cat/stack.
//
// A view shares storage and changes only shape, strides and offset. Gradient
// rules undo the view: reshape back, permute back, scatter a slice into zeros,
// sum an expansion. Tangents take the same view as their primal.
#include <gpunn/autograd.h>
#include <gpunn/ops/shape.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/ops/common.h"
#include "core/tensor_impl.h"

namespace gpunn {
namespace {

using autograd::Node;

// ---- gradient rules ---------------------------------------------------------------

// view/reshape/squeeze/unsqueeze/flatten: dx = dy reshaped to x's shape.
class ReshapeBackward final : public Node {
 public:
  explicit ReshapeBackward(Shape input_shape) : input_shape_(std::move(input_shape)) {}
  const char* name() const override { return "reshape_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {grads[0].reshape(input_shape_)};
  }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  Shape input_shape_;
};

// permute/transpose: dx = dy permuted by the inverse permutation.
class PermuteBackward final : public Node {
 public:
  explicit PermuteBackward(Shape inverse) : inverse_(std::move(inverse)) {}
  const char* name() const override { return "permute_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {grads[0].permute(inverse_)};
  }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  Shape inverse_;
};

// slice/narrow/select: dx = zeros of x's shape with dy written into the slice.
class SliceBackward final : public Node {
 public:
  SliceBackward(Shape input_shape, int64_t dim, int64_t start, int64_t end, int64_t step,
                bool select)
      : input_shape_(std::move(input_shape)),
        dim_(dim),
        start_(start),
        end_(end),
        step_(step),
        select_(select) {}
  const char* name() const override { return select_ ? "select_backward" : "slice_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    Tensor dx = zeros(input_shape_, grads[0].options());
    Tensor region = dx.slice(dim_, start_, end_, step_);
    region.copy_(select_ ? grads[0].unsqueeze(dim_) : grads[0]);
    return {dx};
  }
  // dy between zero blocks along dim (a step of 1; other steps have no rule yet).
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    if (step_ != 1) return Node::apply_differentiable(grads);
    const Tensor g = select_ ? grads[0].unsqueeze(dim_) : grads[0];
    std::vector<Tensor> parts;
    auto zeros_of = [&](int64_t length) {
      Shape shape = input_shape_;
      shape[static_cast<size_t>(dim_)] = length;
      return zeros(shape, g.options());
    };
    const int64_t size = input_shape_[static_cast<size_t>(dim_)];
    if (start_ > 0) parts.push_back(zeros_of(start_));
    parts.push_back(g);
    if (end_ < size) parts.push_back(zeros_of(size - end_));
    return {parts.size() == 1 ? g : cat(parts, dim_)};
  }

 private:
  Shape input_shape_;
  int64_t dim_, start_, end_, step_;
  bool select_;
};

// expand: dx = dy summed over the expanded dims.
class ExpandBackward final : public Node {
 public:
  explicit ExpandBackward(Shape input_shape) : input_shape_(std::move(input_shape)) {}
  const char* name() const override { return "expand_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {sum_to(grads[0], input_shape_)};
  }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  Shape input_shape_;
};

// cat: d(input_i) = the slice of dy along dim that input_i filled.
class CatBackward final : public Node {
 public:
  CatBackward(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  const char* name() const override { return "cat_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    std::vector<Tensor> out;
    int64_t start = 0;
    for (int64_t size : sizes_) {
      out.push_back(grads[0].narrow(dim_, start, size));
      start += size;
    }
    return out;
  }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  int64_t dim_;
  std::vector<int64_t> sizes_;
};

// unbind: d(x) = the slices' gradients stacked along dim (the engine gives zeros for slices
// that got none).
class UnbindBackward final : public Node {
 public:
  explicit UnbindBackward(int64_t dim) : dim_(dim) {}
  const char* name() const override { return "unbind_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override { return {stack(grads, dim_)}; }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  int64_t dim_;
};

// ---- view plumbing ----------------------------------------------------------------

// Records a view op: history through `node` when x needs grad; the tangent
// takes the same view (computed by `view_of_tangent`).
template <typename NodeT, typename F, typename... Args>
Tensor finish_view(const Tensor& x, Tensor y, F&& view_of_tangent, Args&&... node_args) {
  if (autograd::needs_grad({&x})) {
    autograd::set_history(y, autograd::make_node<NodeT>({&x}, std::forward<Args>(node_args)...));
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, view_of_tangent(autograd::fw::tangent_of(x)));
  }
  return y;
}

// Replaces a single -1 in `shape` so that it holds `numel` elements.
Shape infer_shape(const char* op, const Shape& shape, int64_t numel, const Shape& from) {
  Shape out = shape;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      GPUNN_CHECK(infer < 0, op, ": only one dim may be -1, got ", shape);
      infer = static_cast<int>(i);
    } else {
      GPUNN_CHECK(out[i] >= 0, op, ": invalid size ", out[i], " in shape ", shape);
      GPUNN_CHECK(!__builtin_mul_overflow(known, out[i], &known), op, ": shape ", shape,
                  " has more elements than fit in 64 bits");
    }
  }
  if (infer >= 0) {
    GPUNN_CHECK(known != 0 && numel % known == 0, op, ": shape ", shape,
                " is invalid for a tensor of shape ", from, " (", numel, " elements)");
    out[infer] = numel / known;
  }
  GPUNN_CHECK(shape_numel(out) == numel, op, ": shape ", shape,
              " is invalid for a tensor of shape ", from, " (", numel, " elements)");
  return out;
}

// Strides that view (shape, strides) as new_shape without copying, if any exist:
// walk both shapes from the back, matching runs of old dims that are
// contiguous with each other against runs of new dims of the same size.
std::optional<Shape> view_strides(const Shape& shape, const Shape& strides,
                                  const Shape& new_shape) {
  if (shape_numel(shape) == 0 || shape.empty()) return contiguous_strides(new_shape);
  Shape out(new_shape.size(), 1);
  int64_t nd = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t base_stride = strides.back();
  int64_t old_run = 1, new_run = 1;
  for (int64_t od = static_cast<int64_t>(shape.size()) - 1; od >= 0; --od) {
    old_run *= shape[od];
    const bool run_ends =
        od == 0 || (shape[od - 1] != 1 && strides[od - 1] != old_run * base_stride);
    if (!run_ends) continue;
    while (nd >= 0 && (new_run < old_run || new_shape[nd] == 1)) {
      out[nd] = new_run * base_stride;
      new_run *= new_shape[nd];
      --nd;
    }
    if (new_run != old_run) return std::nullopt;
    if (od > 0) {
      base_stride = strides[od - 1];
      old_run = 1;
      new_run = 1;
    }
  }
  if (nd != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  check_defined("view", *this, "self");
  const Shape target = infer_shape("view", shape, numel(), this->shape());
  GPUNN_CHECK(target.size() <= static_cast<size_t>(kernels::kMaxDims), "view: at most ",
              kernels::kMaxDims, " dims are supported, got shape ", target);
  std::optional<Shape> strides = view_strides(this->shape(), this->strides(), target);
  GPUNN_CHECK(strides.has_value(), "view: cannot view ", describe(*this), " with strides ",
              this->strides(), " as shape ", target,
              " without copying (use reshape(), or contiguous() first)");
  Tensor y = make_view(*this, target, *strides, storage_offset());
  return finish_view<ReshapeBackward>(
      *this, y, [&](const Tensor& t) { return t.reshape(target); }, this->shape());
}

Tensor Tensor::reshape(const Shape& shape) const {
  check_defined("reshape", *this, "self");
  const Shape target = infer_shape("reshape", shape, numel(), this->shape());
  if (view_strides(this->shape(), this->strides(), target)) return view(target);
  return contiguous().view(target);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  check_defined("flatten", *this, "self");
  if (dim() == 0) return reshape({1});
  const int64_t s = normalize_dim("flatten", start_dim, dim(), *this);
  const int64_t e = normalize_dim("flatten", end_dim, dim(), *this);
  GPUNN_CHECK(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim, " for ",
              describe(*this));
  Shape target(shape().begin(), shape().begin() + s);
  target.push_back(prod(shape(), s, e + 1));
  target.insert(target.end(), shape().begin() + e + 1, shape().end());
  return reshape(target);
}

Tensor Tensor::permute(const Shape& dims) const {
  check_defined("permute", *this, "self");
  const int64_t n = dim();
  GPUNN_CHECK(static_cast<int64_t>(dims.size()) == n, "permute: ", dims.size(),
              " dims given for a tensor of shape ", shape());
  Shape new_shape(n), new_strides(n), inverse(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = normalize_dim("permute", dims[i], n, *this);
    GPUNN_CHECK(!seen[d], "permute: dim ", d, " repeats in ", dims);
    seen[d] = true;
    new_shape[i] = shape()[d];
    new_strides[i] = strides()[d];
    inverse[d] = i;
  }
  Tensor y = make_view(*this, new_shape, new_strides, storage_offset());
  return finish_view<PermuteBackward>(
      *this, y, [&](const Tensor& t) { return t.permute(dims); }, inverse);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  check_defined("transpose", *this, "self");
  if (dim() == 0) return *this;
  const int64_t a = normalize_dim("transpose", dim0, dim(), *this);
  const int64_t b = normalize_dim("transpose", dim1, dim(), *this);
  Shape perm(dim());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[a], perm[b]);
  return permute(perm);
}

Tensor Tensor::t() const {
  check_defined("t", *this, "self");
  GPUNN_CHECK(dim() <= 2, "t: expects a tensor with at most 2 dims, got ", describe(*this),
              " (use transpose(dim0, dim1))");
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  check_defined("slice", *this, "self");
  GPUNN_CHECK(this->dim() > 0, "slice: cannot slice a 0-D tensor");
  const int64_t d = normalize_dim("slice", dim, this->dim(), *this);
  GPUNN_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t size = shape()[d];
  // Python-style bounds: negative counts from the end, out of range clamps.
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  Shape new_shape = shape(), new_strides = strides();
  new_shape[d] = (end - start + step - 1) / step;
  new_strides[d] = strides()[d] * step;
  Tensor y = make_view(*this, new_shape, new_strides, storage_offset() + start * strides()[d]);
  return finish_view<SliceBackward>(
      *this, y, [&](const Tensor& t) { return t.slice(d, start, end, step); }, shape(), d, start,
      end, step, false);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  check_defined("narrow", *this, "self");
  GPUNN_CHECK(this->dim() > 0, "narrow: cannot narrow a 0-D tensor");
  const int64_t d = normalize_dim("narrow", dim, this->dim(), *this);
  const int64_t size = shape()[d];
  if (start < 0 && start >= -size) start += size;
  GPUNN_CHECK(start >= 0 && length >= 0 && start + length <= size, "narrow: start ", start,
              " and length ", length, " do not fit dim ", d, " of size ", size, " in ",
              describe(*this));
  return slice(d, start, start + length, 1);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  check_defined("select", *this, "self");
  GPUNN_CHECK(this->dim() > 0, "select: cannot index a 0-D tensor");
  const int64_t d = normalize_dim("select", dim, this->dim(), *this);
  const int64_t size = shape()[d];
  GPUNN_CHECK(index >= -size && index < size, "select: index ", index, " is out of range for dim ",
              d, " of size ", size, " in ", describe(*this));
  if (index < 0) index += size;
  Shape new_shape = shape(), new_strides = strides();
  new_shape.erase(new_shape.begin() + d);
  new_strides.erase(new_strides.begin() + d);
  Tensor y = make_view(*this, new_shape, new_strides, storage_offset() + index * strides()[d]);
  return finish_view<SliceBackward>(
      *this, y, [&](const Tensor& t) { return t.select(d, index); }, shape(), d, index, index + 1,
      1, true);
}

Tensor Tensor::squeeze() const {
  check_defined("squeeze", *this, "self");
  Shape target;
  for (int64_t s : shape())
    if (s != 1) target.push_back(s);
  return view(target);
}

Tensor Tensor::squeeze(int64_t dim) const {
  check_defined("squeeze", *this, "self");
  if (this->dim() == 0) return *this;
  const int64_t d = normalize_dim("squeeze", dim, this->dim(), *this);
  if (shape()[d] != 1) return *this;
  Shape target = shape();
  target.erase(target.begin() + d);
  return view(target);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  check_defined("unsqueeze", *this, "self");
  const int64_t d = normalize_dim("unsqueeze", dim, this->dim() + 1, *this);
  Shape target = shape();
  target.insert(target.begin() + d, 1);
  return view(target);
}

Tensor Tensor::expand(const Shape& shape) const {
  check_defined("expand", *this, "self");
  const Shape& old = this->shape();
  GPUNN_CHECK(shape.size() >= old.size(), "expand: cannot expand ", describe(*this),
              " to fewer dims ", shape);
  GPUNN_CHECK(shape.size() <= static_cast<size_t>(kernels::kMaxDims), "expand: at most ",
              kernels::kMaxDims, " dims are supported, got ", shape);
  const size_t lead = shape.size() - old.size();
  Shape new_shape(shape.size()), new_strides(shape.size(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      GPUNN_CHECK(shape[i] >= 0, "expand: size -1 is not allowed for the new leading dim ", i,
                  " in ", shape);
      new_shape[i] = shape[i];
      continue;
    }
    const int64_t o = old[i - lead];
    const int64_t want = shape[i] == -1 ? o : shape[i];
    GPUNN_CHECK(want == o || o == 1, "expand: cannot expand ", describe(*this), " to ", shape,
                " (dim ", i, ": size ", o, " is not 1)");
    GPUNN_CHECK(want >= 0, "expand: invalid size ", shape[i], " in ", shape);
    new_shape[i] = want;
    new_strides[i] = want == o ? strides()[i - lead] : 0;
  }
  if (new_shape == old) return *this;
  Tensor y = make_view(*this, new_shape, new_strides, storage_offset());
  return finish_view<ExpandBackward>(
      *this, y, [&](const Tensor& t) { return t.expand(new_shape); }, old);
}

// ---- free-function forms -------------------------------------------------------------

Tensor reshape(const Tensor& x, const Shape& shape) { return x.reshape(shape); }
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return x.flatten(start_dim, end_dim);
}
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) { return x.transpose(dim0, dim1); }
Tensor permute(const Tensor& x, const Shape& dims) { return x.permute(dims); }
Tensor squeeze(const Tensor& x, int64_t dim) { return x.squeeze(dim); }
Tensor unsqueeze(const Tensor& x, int64_t dim) { return x.unsqueeze(dim); }
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return x.narrow(dim, start, length);
}

// ---- cat / stack --------------------------------------------------------------------

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  GPUNN_CHECK(!tensors.empty(), "cat: expects at least one tensor");
  if (autocast_detail::active()) {  // promotion (gpunn/autocast.h)
    const DType d =
        autocast_detail::promoted(tensors, tensors[0].defined() ? tensors[0].dtype() : kFloat32);
    std::vector<Tensor> cast;
    bool changed = false;
    for (const Tensor& t : tensors) {
      cast.push_back(autocast_detail::cast_floating(t, d));
      changed |= cast.back().impl() != t.impl();
    }
    if (changed) return cat(cast, dim);
  }
  const Tensor& first = tensors[0];
  check_defined("cat", first, "tensor 0");
  GPUNN_CHECK(first.dim() > 0, "cat: tensor 0 is 0-D; cat needs at least 1-D tensors (use stack)");
  const int64_t d = normalize_dim("cat", dim, first.dim(), first);
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    check_defined("cat", t, "a tensor");
    check_same_dtype_device("cat", first, "tensor 0", t, "another tensor");
    bool same = t.dim() == first.dim();
    for (int64_t k = 0; same && k < first.dim(); ++k)
      same = k == d || t.shape()[k] == first.shape()[k];
    GPUNN_CHECK(same, "cat: tensor ", i, " has shape ", t.shape(), " but tensor 0 has shape ",
                first.shape(), "; all dims but dim ", d, " must match");
    sizes.push_back(t.shape()[d]);
    out_shape[d] += t.shape()[d];
  }
  Tensor y = empty_as(first, out_shape);
  {
    NoGradGuard no_grad;
    autograd::ForwardADGuard no_tangents;
    int64_t start = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      y.narrow(d, start, sizes[i]).copy_(tensors[i].detach());
      start += sizes[i];
    }
  }
  if (autograd::needs_grad(tensors)) {
    autograd::set_history(y, autograd::make_node_from<CatBackward>(tensors, d, sizes));
  }
  if (autograd::fw::any_tangent(tensors)) {
    std::vector<Tensor> tangents;
    autograd::fw::TangentScope scope;
    for (const Tensor& t : tensors) {
      Tensor tt = autograd::fw::tangent_of(t);
      tangents.push_back(tt.defined() ? tt : zeros_like(t));
    }
    autograd::fw::set_tangent(y, cat(tangents, d));
  }
  return y;
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  check_defined("unbind", x, "input");
  GPUNN_CHECK(x.dim() > 0, "unbind: cannot unbind a 0-D tensor");
  const int64_t d = normalize_dim("unbind", dim, x.dim(), x);
  const int64_t n = x.shape()[d];
  std::vector<Tensor> slices;
  slices.reserve(static_cast<size_t>(n));
  {
    // Plain views; the one node below records them all.
    NoGradGuard no_grad;
    autograd::ForwardADGuard no_tangents;
    for (int64_t i = 0; i < n; ++i) slices.push_back(x.detach().select(d, i));
  }
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<UnbindBackward>({&x}, d);
    for (const Tensor& s : slices) autograd::set_history(s, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    const Tensor t = autograd::fw::tangent_of(x);
    for (int64_t i = 0; i < n; ++i)
      autograd::fw::set_tangent(slices[static_cast<size_t>(i)], t.select(d, i));
  }
  return slices;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  GPUNN_CHECK(!tensors.empty(), "stack: expects at least one tensor");
  check_defined("stack", tensors[0], "tensor 0");
  const int64_t d = normalize_dim("stack", dim, tensors[0].dim() + 1, tensors[0]);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    check_defined("stack", tensors[i], "a tensor");
    GPUNN_CHECK(tensors[i].shape() == tensors[0].shape(), "stack: tensor ", i, " has shape ",
                tensors[i].shape(), " but tensor 0 has shape ", tensors[0].shape(),
                "; stack needs equal shapes");
    parts.push_back(tensors[i].unsqueeze(d));
  }
  return cat(parts, d);
}

}  // namespace gpunn
