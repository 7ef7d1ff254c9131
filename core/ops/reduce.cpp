// Reductions: sum, mean, max, argmax (gpunn/ops/reduce.h).
//
// sum/mean move the reduced dims last (a permuted copy) and reduce rows (a sum
// over leading dims of a contiguous input reduces columns in place instead):
//   y = scale · Σ x over dims          dx = scale · dy broadcast back to x's shape
// max along a dim returns the first index of the maximum:
//   dx = dy scattered to those indices; its tangent gathers t at them.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/reduce.h>

#include <algorithm>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/index.h"
#include "kernels/reduce.h"

namespace gpunn {
namespace {

// Sorted, unique, non-negative reduction dims; empty means every dim.
Shape normalize_dims(const char* op, const Tensor& x, const Shape& dims) {
  Shape out;
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(normalize_dim(op, d, x.dim(), x));
  std::sort(out.begin(), out.end());
  GPUNN_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), op, ": dims ", dims,
              " repeat a dim of ", describe(x));
  if (x.dim() == 0) out.clear();  // a 0-D tensor reduces to itself
  return out;
}

// The result's shape: reduced dims removed, or kept as 1.
Shape reduced_shape(const Shape& shape, const Shape& dims, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (!reduced)
      out.push_back(shape[d]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

// True when dims are 0 .. k-1 for some k < x.dim(): a sum over leading dims.
bool leading_dims(const Tensor& x, const Shape& dims) {
  if (dims.empty() || static_cast<int64_t>(dims.size()) >= x.dim()) return false;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// y = scale · Σ over `dims` of x, as a tensor of `out_shape`; no autograd.
Tensor sum_kernel(const char* op, const Tensor& x, const Shape& dims, const Shape& out_shape,
                  bool mean) {
  if (x.device().is_cpu() && x.is_contiguous() && x.numel() > 0 && leading_dims(x, dims)) {
    // Bias gradients ([N, C] or [N, C, L] summed over N): sum columns in place
    // instead of transposing first.
    const int64_t rows = prod(x.shape(), 0, static_cast<int64_t>(dims.size()));
    const int64_t cols = x.numel() / rows;
    const double scale = mean ? 1.0 / static_cast<double>(rows) : 1.0;
    Tensor y = empty_as(x, out_shape);
    const kernels::SumArgs args{.dtype = x.dtype(),
                                .rows = rows,
                                .cols = cols,
                                .scale = scale,
                                .x = x.data_ptr(),
                                .y = y.data_ptr()};
    launch(kernels::sum_leading, x.device(), args, {&x}, {&y}, op);
    return y;
  }
  Shape perm;
  int64_t cols = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), d)) perm.push_back(d);
  for (int64_t d : dims) {
    perm.push_back(d);
    cols *= x.shape()[d];
  }
  Tensor xp = x.permute(perm).contiguous();
  const int64_t rows = cols == 0 ? shape_numel(out_shape) : x.numel() / cols;
  const double scale = mean ? 1.0 / static_cast<double>(cols) : 1.0;
  Tensor y = empty_as(x, out_shape);
  const kernels::SumArgs args{.dtype = x.dtype(),
                              .rows = rows,
                              .cols = cols,
                              .scale = scale,
                              .x = xp.data_ptr(),
                              .y = y.data_ptr()};
  launch(kernels::sum_rows, x.device(), args, {&xp}, {&y}, op);
  return y;
}

// dx = scale · dy broadcast back over the reduced dims.
class SumBackward final : public autograd::Node {
 public:
  SumBackward(Shape input_shape, Shape keep_shape, double scale, bool mean)
      : input_shape_(std::move(input_shape)),
        keep_shape_(std::move(keep_shape)),
        scale_(scale),
        mean_(mean) {}
  const char* name() const override { return mean_ ? "mean_backward" : "sum_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    Tensor g = grads[0].reshape(keep_shape_).expand(input_shape_);
    return {mean_ ? mul(g, scale_) : g};
  }
  // Ops on the incoming gradient only: differentiable as they stand.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return apply(grads);
  }

 private:
  Shape input_shape_, keep_shape_;
  double scale_;
  bool mean_;
};

Tensor sum_or_mean(const char* op, const Tensor& x_in, const Shape& dims_in, bool keepdim,
                   bool mean) {
  // Under autocast sums run in float32 (gpunn/autocast.h).
  const Tensor x = autocast_detail::active() ? autocast_detail::to_float32(x_in) : x_in;
  check_floating(op, x, "input");
  check_same_device(op, {&x});
  const Shape dims = normalize_dims(op, x, dims_in);
  const Shape out_shape = reduced_shape(x.shape(), dims, keepdim);
  Tensor y = sum_kernel(op, x.detach(), dims, out_shape, mean);
  if (autograd::needs_grad({&x})) {
    int64_t count = 1;
    for (int64_t d : dims) count *= x.shape()[d];
    autograd::set_history(
        y, autograd::make_node<SumBackward>({&x}, x.shape(), reduced_shape(x.shape(), dims, true),
                                            1.0 / static_cast<double>(count), mean));
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y,
                              sum_kernel(op, autograd::fw::tangent_of(x), dims, out_shape, mean));
  }
  return y;
}

// x viewed as [outer, size, inner] around `dim`.
struct DimSplit {
  int64_t outer, size, inner;
};
DimSplit split_at(const Shape& shape, int64_t dim) {
  const int64_t n = static_cast<int64_t>(shape.size());
  return {prod(shape, 0, dim), shape[dim], prod(shape, dim + 1, n)};
}

// y = x gathered at idx along dim (idx has y's shape with dim of size 1).
Tensor gather_at(const char* op, const Tensor& x, int64_t dim, const Tensor& idx) {
  Tensor xc = x.contiguous();
  const DimSplit s = split_at(xc.shape(), dim);
  Tensor y = empty_as(xc, idx.shape());
  const kernels::GatherArgs args{.dtype = x.dtype(),
                                 .outer = s.outer,
                                 .x_size = s.size,
                                 .y_size = 1,
                                 .inner = s.inner,
                                 .x = xc.data_ptr(),
                                 .idx = idx.data<int64_t>(),
                                 .y = y.data_ptr()};
  launch(kernels::gather, x.device(), args, {&xc, &idx}, {&y}, op);
  return y;
}

// max along a dim: dx = zeros with dy added at the chosen indices.
struct MaxSaved {
  autograd::SavedTensor indices;  // keepdim shape
};

class MaxBackward final : public autograd::NodeWith<MaxSaved> {
 public:
  MaxBackward(Shape input_shape, int64_t dim) : input_shape_(std::move(input_shape)), dim_(dim) {}
  const char* name() const override { return "max_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor idx = saved.indices.unpack(*this);
    Tensor dy = grads[0].reshape(idx.shape()).contiguous();
    Tensor dx = zeros(input_shape_, dy.options());
    const DimSplit s = split_at(input_shape_, dim_);
    const kernels::ScatterAddArgs args{.dtype = dy.dtype(),
                                       .outer = s.outer,
                                       .x_size = s.size,
                                       .y_size = 1,
                                       .inner = s.inner,
                                       .dy = dy.data_ptr(),
                                       .idx = idx.data<int64_t>(),
                                       .dx = dx.data_ptr()};
    launch(kernels::scatter_add, dy.device(), args, {&dy, &idx}, {&dx}, "max_backward");
    return {dx};
  }

 private:
  Shape input_shape_;
  int64_t dim_;
};

// Values and indices along `dim` with keepdim shape; no autograd.
MaxResult max_kernel(const char* op, const Tensor& x, int64_t dim, bool want_values) {
  Tensor xc = x.contiguous();
  const DimSplit s = split_at(xc.shape(), dim);
  GPUNN_CHECK(s.size > 0, op, ": cannot reduce over dim ", dim, " of size 0 in ", describe(x));
  Shape keep_shape = xc.shape();
  keep_shape[dim] = 1;
  MaxResult r;
  r.indices = empty(keep_shape, TensorOptions(kInt64).device(x.device()));
  if (want_values) r.values = empty_as(xc, keep_shape);
  const kernels::MaxDimArgs args{.dtype = x.dtype(),
                                 .outer = s.outer,
                                 .size = s.size,
                                 .inner = s.inner,
                                 .x = xc.data_ptr(),
                                 .values = want_values ? r.values.data_ptr() : nullptr,
                                 .indices = r.indices.data<int64_t>()};
  launch(kernels::max_dim, x.device(), args, {&xc}, {&r.values, &r.indices}, op);
  return r;
}

}  // namespace

Tensor sum(const Tensor& x) { return sum_or_mean("sum", x, {}, false, false); }
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  return sum_or_mean("sum", x, dims, keepdim, false);
}
Tensor mean(const Tensor& x) { return sum_or_mean("mean", x, {}, false, true); }
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  return sum_or_mean("mean", x, dims, keepdim, true);
}

MaxResult max(const Tensor& x, int64_t dim, bool keepdim) {
  check_floating("max", x, "input");
  check_same_device("max", {&x});
  if (x.dim() == 0) {
    normalize_dim("max", dim, 0, x);
    return {x.clone(), zeros({}, TensorOptions(kInt64).device(x.device()))};
  }
  const int64_t d = normalize_dim("max", dim, x.dim(), x);
  MaxResult r = max_kernel("max", x.detach(), d, true);
  const Tensor keep_indices = r.indices;
  if (!keepdim) {
    r.values = r.values.squeeze(d);
    r.indices = r.indices.squeeze(d);
  }
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<MaxBackward>({&x}, x.shape(), d);
    node->saved.indices = keep_indices;
    autograd::set_history(r.values, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    Tensor t = gather_at("max", autograd::fw::tangent_of(x), d, keep_indices);
    autograd::fw::set_tangent(r.values, keepdim ? t : t.squeeze(d));
  }
  return r;
}

Tensor max(const Tensor& x) {
  check_floating("max", x, "input");
  GPUNN_CHECK(x.numel() > 0, "max: cannot take the maximum of an empty tensor ", describe(x));
  return max(x.reshape({-1}), 0, false).values;
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  check_floating("argmax", x, "input");
  check_same_device("argmax", {&x});
  if (x.dim() == 0) {
    normalize_dim("argmax", dim, 0, x);
    return zeros({}, TensorOptions(kInt64).device(x.device()));
  }
  const int64_t d = normalize_dim("argmax", dim, x.dim(), x);
  Tensor idx = max_kernel("argmax", x.detach(), d, false).indices;
  return keepdim ? idx : idx.squeeze(d);
}

Tensor argmax(const Tensor& x) {
  check_floating("argmax", x, "input");
  GPUNN_CHECK(x.numel() > 0, "argmax: cannot take the argmax of an empty tensor ", describe(x));
  return argmax(x.detach().reshape({-1}), 0, false);
}

}  // namespace gpunn
