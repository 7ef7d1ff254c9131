// Embedding lookup.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <optional>

GPUNN_API_BEGIN

namespace gpunn {

// y[i..., :] = weight[indices[i...], :] for int64 `indices` of any shape and
// weight [V, D]; y has shape indices.shape + [D]. Every index must lie in [0, V).
// dweight[v] = Σ of dy over positions whose index is v; the row padding_idx (if
// given) gets no gradient.
Tensor embedding(const Tensor& indices, const Tensor& weight,
                 std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace gpunn

GPUNN_API_END
