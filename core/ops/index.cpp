// The index family's ops: embedding lookup (gpunn/ops/embedding.h):
//   y[i..., :] = weight[idx[i...], :]
//   dweight[v, :] = Σ_{i: idx[i] = v, v != padding_idx} dy[i, :]
//   JVP: the same lookup in the weight's tangent.
// and index_select (gpunn/ops/index.h), x viewed as [outer, x_size, inner]:
//   y[o, j, i] = x[o, idx[j], i];  dx[o, k, i] = Σ_{j: idx[j] = k} dy[o, j, i];
//   JVP: the same selection of the tangent.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/embedding.h>
#include <gpunn/ops/index.h>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/index.h"

namespace gpunn {
namespace {

Tensor lookup(const Tensor& idx, const Tensor& w, const Shape& y_shape) {
  Tensor y = empty_as(w, y_shape);
  const kernels::EmbeddingArgs args{.dtype = w.dtype(),
                                    .n = idx.numel(),
                                    .D = w.shape()[1],
                                    .weight = w.data_ptr(),
                                    .idx = idx.data<int64_t>(),
                                    .y = y.data_ptr()};
  launch(kernels::embedding_forward, w.device(), args, {&w, &idx}, {&y});
  return y;
}

struct EmbeddingSaved {
  autograd::SavedTensor indices;  // contiguous
};

class EmbeddingBackward final : public autograd::NodeWith<EmbeddingSaved> {
 public:
  EmbeddingBackward(Shape weight_shape, int64_t padding_idx)
      : weight_shape_(std::move(weight_shape)), padding_idx_(padding_idx) {}
  const char* name() const override { return "embedding_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor idx = saved.indices.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    Tensor dw = zeros(weight_shape_, dy.options());
    const kernels::EmbeddingBackwardArgs args{.dtype = dy.dtype(),
                                              .n = idx.numel(),
                                              .D = weight_shape_[1],
                                              .rows = weight_shape_[0],
                                              .padding_idx = padding_idx_,
                                              .dy = dy.data_ptr(),
                                              .idx = idx.data<int64_t>(),
                                              .dweight = dw.data_ptr()};
    launch(kernels::embedding_backward, dy.device(), args, {&dy, &idx}, {&dw});
    return {dw};
  }

 private:
  Shape weight_shape_;
  int64_t padding_idx_;
};

}  // namespace

Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<int64_t> padding_idx) {
  check_index("embedding", indices, "indices");
  check_floating("embedding", weight, "weight");
  GPUNN_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, dim], got ",
              describe(weight));
  GPUNN_CHECK(indices.device() == weight.device(), "embedding: indices are on ",
              indices.device().str(), " but weight is on ", weight.device().str());
  const int64_t V = weight.shape()[0];
  int64_t pad = -1;
  if (padding_idx) {
    GPUNN_CHECK(*padding_idx >= -V && *padding_idx < V, "embedding: padding_idx ", *padding_idx,
                " is out of range for ", V, " embeddings");
    pad = *padding_idx < 0 ? *padding_idx + V : *padding_idx;
  }
  const Tensor idx = indices.contiguous();
  // Validated on the host (one small transfer for CUDA indices) so a bad index
  // is a clear error rather than an out-of-bounds read in a kernel.
  // Meta indices have no values to check.
  const Tensor idx_host = idx.device().is_meta() ? Tensor() : idx.to(kCPU);
  const int64_t* ip = idx_host.defined() ? idx_host.data<int64_t>() : nullptr;
  for (int64_t i = 0; ip != nullptr && i < idx.numel(); ++i) {
    GPUNN_CHECK(ip[i] >= 0 && ip[i] < V, "embedding: index ", ip[i], " at position ", i,
                " is out of range for ", V, " embeddings (weight ", weight.shape(), ")");
  }
  Shape y_shape = indices.shape();
  y_shape.push_back(weight.shape()[1]);
  const Tensor w = weight.detach().contiguous();
  Tensor y = lookup(idx, w, y_shape);
  if (autograd::needs_grad({&weight})) {
    auto node = autograd::make_node<EmbeddingBackward>({&weight}, weight.shape(), pad);
    node->saved.indices = idx;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&weight})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y,
                              lookup(idx, autograd::fw::tangent_of(weight).contiguous(), y_shape));
  }
  return y;
}

namespace {

// x viewed as [outer, x_size, inner] around `dim`.
struct AroundDim {
  int64_t outer, size, inner;
};
AroundDim around(const Shape& shape, int64_t dim) {
  const auto n = static_cast<int64_t>(shape.size());
  return {prod(shape, 0, dim), shape[static_cast<size_t>(dim)], prod(shape, dim + 1, n)};
}

// x and idx contiguous.
Tensor select_along(const Tensor& x, int64_t dim, const Tensor& idx) {
  const AroundDim v = around(x.shape(), dim);
  Shape y_shape = x.shape();
  y_shape[static_cast<size_t>(dim)] = idx.numel();
  Tensor y = empty_as(x, y_shape);
  const kernels::IndexSelectArgs args{.dtype = x.dtype(),
                                      .outer = v.outer,
                                      .x_size = v.size,
                                      .y_size = idx.numel(),
                                      .inner = v.inner,
                                      .x = x.data_ptr(),
                                      .idx = idx.data<int64_t>(),
                                      .y = y.data_ptr()};
  launch(kernels::index_select, x.device(), args, {&x, &idx}, {&y});
  return y;
}

struct IndexSelectSaved {
  autograd::SavedTensor index;  // contiguous, 1-D
};

class IndexSelectBackward final : public autograd::NodeWith<IndexSelectSaved> {
 public:
  IndexSelectBackward(Shape x_shape, int64_t dim) : x_shape_(std::move(x_shape)), dim_(dim) {}
  const char* name() const override { return "index_select_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor idx = saved.index.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    Tensor dx = zeros(x_shape_, dy.options());
    const AroundDim v = around(x_shape_, dim_);
    const kernels::IndexAddArgs args{.dtype = dy.dtype(),
                                     .outer = v.outer,
                                     .x_size = v.size,
                                     .y_size = idx.numel(),
                                     .inner = v.inner,
                                     .dy = dy.data_ptr(),
                                     .idx = idx.data<int64_t>(),
                                     .dx = dx.data_ptr()};
    launch(kernels::index_add, dy.device(), args, {&dy, &idx}, {&dx});
    return {dx};
  }

 private:
  Shape x_shape_;
  int64_t dim_;
};

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  const char* op = "index_select";
  check_defined(op, x, "input");
  check_index(op, index, "index");
  GPUNN_CHECK(x.dim() >= 1, op, ": input must have at least one dim, got ", describe(x));
  GPUNN_CHECK(index.dim() <= 1, op, ": index must have 0 or 1 dims, got ", describe(index));
  GPUNN_CHECK(index.device() == x.device(), op, ": index is on ", index.device().str(),
              " but input is on ", x.device().str());
  const int64_t d = normalize_dim(op, dim, x.dim(), x);
  const int64_t size = x.shape()[static_cast<size_t>(d)];
  const Tensor idx = index.contiguous().view({index.numel()});
  // Checked on the host (one small transfer for CUDA indices), so a bad index is a clear
  // error rather than an out-of-bounds read in a kernel.
  // Meta indices have no values to check.
  const Tensor idx_host = idx.device().is_meta() ? Tensor() : idx.to(kCPU);
  const int64_t* ip = idx_host.defined() ? idx_host.data<int64_t>() : nullptr;
  for (int64_t j = 0; ip != nullptr && j < idx.numel(); ++j) {
    GPUNN_CHECK(ip[j] >= 0 && ip[j] < size, op, ": index ", ip[j], " at position ", j,
                " is out of range for dim ", d, " of size ", size, " (input ", describe(x), ")");
  }
  Tensor y = select_along(x.detach().contiguous(), d, idx);
  if (autograd::needs_grad({&x})) {
    auto node = autograd::make_node<IndexSelectBackward>({&x}, x.shape(), d);
    node->saved.index = idx;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&x})) {
    autograd::fw::TangentScope scope;
    autograd::fw::set_tangent(y, select_along(autograd::fw::tangent_of(x).contiguous(), d, idx));
  }
  return y;
}

}  // namespace gpunn
