// The hand-written CUDA kernels that CUB-based ones replaced in the table rows, kept
// under the same signatures so bench/kernels can time both in one run and
// gpunn_internal_tests can hold them to the same results. A row switches back to one
// of these only with a measured number written beside it (kernels/cuda/reduce.cuh).
//
//   sum_rows, softmax, batch norm:  warp shuffles and one shared-memory step, where the
//                                   rows use cub::BlockReduce / cub::WarpReduce
//   nonfinite:                      one grid-stride kernel with warp votes and atomicOr,
//                                   where the row uses cub::DeviceReduce
//   embedding_backward (deterministic): one thread per column walking every index in
//                                   order, where the row sorts the indices with
//                                   cub::DeviceRadixSort and sums each row's segment
//
// The float32 and float64 instantiations exist in builds with CUDA.
#pragma once

#include "kernels/index.h"
#include "kernels/norm.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"

namespace gpunn::kernels::handwritten {

template <typename T>
void sum_rows_cuda(const SumArgs& a, const Context& ctx);
template <typename T>
void softmax_forward_cuda(const SoftmaxArgs& a, const Context& ctx);
template <typename T>
void softmax_backward_cuda(const SoftmaxBackwardArgs& a, const Context& ctx);
template <typename T>
void batch_norm_training_cuda(const BatchNormTrainingArgs& a, const Context& ctx);
template <typename T>
void batch_norm_backward_cuda(const BatchNormBackwardArgs& a, const Context& ctx);
template <typename T>
void nonfinite_cuda(const NonfiniteArgs& a, const Context& ctx);
// Always the ordered (deterministic) kernel, whatever ctx.settings say.
template <typename T>
void embedding_backward_ordered_cuda(const EmbeddingBackwardArgs& a, const Context& ctx);

}  // namespace gpunn::kernels::handwritten
