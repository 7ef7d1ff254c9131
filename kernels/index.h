// The index family: gather and scatter-add along one dim, and embedding lookup.
//
// Gather/scatter view x as [outer, x_size, inner] and y, idx as [outer, y_size, inner]:
//   gather:       y[o, j, i] = x[o, idx[o, j, i], i]
//   scatter_add:  dx[o, idx[o, j, i], i] += dy[o, j, i]     (dx is not cleared first)
// Embedding, with rows of D values:
//   forward:      y[i, :] = weight[idx[i], :] for i < n
//   backward:     dweight[idx[i], :] += dy[i, :], skipping idx[i] == padding_idx (-1: none)
// index_select views x as [outer, x_size, inner] and y as [outer, y_size, inner], with
// one index per j (idx has y_size entries):
//   index_select: y[o, j, i] = x[o, idx[j], i]                (int64 values too)
//   index_add:    dx[o, idx[j], i] += dy[o, j, i]             (dx is not cleared first)
// Indices are int64 and in range (core checks them); values are the row's dtype.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct GatherArgs {
  DType dtype;
  int64_t outer, x_size, y_size, inner;
  const void* x;
  const int64_t* idx;
  void* y;
};

struct ScatterAddArgs {
  DType dtype;
  int64_t outer, x_size, y_size, inner;
  const void* dy;
  const int64_t* idx;
  void* dx;
};

struct EmbeddingArgs {
  DType dtype;
  int64_t n, D;
  const void* weight;
  const int64_t* idx;
  void* y;
};

struct EmbeddingBackwardArgs {
  DType dtype;
  int64_t n, D;
  int64_t rows;  // weight's rows: every idx[i] is in [0, rows)
  int64_t padding_idx;
  const void* dy;
  const int64_t* idx;
  void* dweight;  // accumulated into
};

struct IndexSelectArgs {
  DType dtype;
  int64_t outer, x_size, y_size, inner;
  const void* x;
  const int64_t* idx;
  void* y;
};

struct IndexAddArgs {
  DType dtype;
  int64_t outer, x_size, y_size, inner;
  const void* dy;
  const int64_t* idx;
  void* dx;  // accumulated into
};

extern const OpTable<GatherArgs> gather;
extern const OpTable<IndexSelectArgs> index_select;
extern const OpTable<IndexAddArgs> index_add;
extern const OpTable<ScatterAddArgs> scatter_add;
extern const OpTable<EmbeddingArgs> embedding_forward;
extern const OpTable<EmbeddingBackwardArgs> embedding_backward;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void gather_cpu(const GatherArgs& a, const Context& ctx);
template <typename T>
void scatter_add_cpu(const ScatterAddArgs& a, const Context& ctx);
template <typename T>
void index_select_cpu(const IndexSelectArgs& a, const Context& ctx);
template <typename T>
void index_add_cpu(const IndexAddArgs& a, const Context& ctx);
template <typename T>
void embedding_forward_cpu(const EmbeddingArgs& a, const Context& ctx);
template <typename T>
void embedding_backward_cpu(const EmbeddingBackwardArgs& a, const Context& ctx);

template <typename T>
void gather_cuda(const GatherArgs& a, const Context& ctx);
template <typename T>
void scatter_add_cuda(const ScatterAddArgs& a, const Context& ctx);
template <typename T>
void index_select_cuda(const IndexSelectArgs& a, const Context& ctx);
// Atomic adds, or with settings.deterministic the sorted sums that embedding_backward
// uses (below), equal to the CPU's bit for bit.
template <typename T>
void index_add_cuda(const IndexAddArgs& a, const Context& ctx);
template <typename T>
size_t index_add_cuda_workspace(const IndexAddArgs& a, const Context& ctx);
template <typename T>
void embedding_forward_cuda(const EmbeddingArgs& a, const Context& ctx);
// Atomic adds, whose sums depend on the order they land in (docs/reproducibility.md).
// With settings.deterministic the indices are sorted (a stable cub::DeviceRadixSort of
// (index, position) pairs, in the workspace) and each weight row's segment is summed
// in position order: the CPU loop's order, so the result equals the CPU's bit for bit.
template <typename T>
void embedding_backward_cuda(const EmbeddingBackwardArgs& a, const Context& ctx);
template <typename T>
size_t embedding_backward_cuda_workspace(const EmbeddingBackwardArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
