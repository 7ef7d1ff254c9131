// The index family's ops: embedding lookup (gpunn/ops/embedding.h):
//   y[i..., :] = weight[idx[i...], :]
//   dweight[v, :] = Σ_{i: idx[i] = v, v != padding_idx} dy[i, :]
//   JVP: the same lookup in the weight's tangent.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/embedding.h>

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
  const Tensor idx_host = idx.to(kCPU);
  const int64_t* ip = idx_host.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i) {
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

}  // namespace gpunn
