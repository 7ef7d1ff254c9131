// The reduce family. Sums accumulate in double whatever the dtype.
//
//   sum_rows:     y[r] = scale · Σ_c x[r·cols + c]
//   sum_leading:  y[c] = scale · Σ_r x[r·cols + c]: the sum over leading dims (bias
//                 gradients) without transposing first; each column is summed in the
//                 order sum_rows uses on the transposed copy, so the results are equal
//   max_dim:      x viewed as [outer, size, inner]: the maximum along the middle dim and
//                 the first index reaching it (NaN counts as the maximum); values may be
//                 null
//   nonfinite:    whether x[0, n) holds a NaN (kHasNan) or an infinity (kHasInf), the
//                 bits written to *flags (on x's device): anomaly mode's scan
//   abs_pow_sum:  *out = Σ |x|^p over x[0, n) (p = ∞: max |x|; n = 0: 0), accumulated
//                 in double into a double on x's device: the norms of gradient clipping
//                 (a NaN in x gives NaN, as in the reference)
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct SumArgs {
  DType dtype;
  int64_t rows, cols;
  double scale;
  const void* x;
  void* y;
};

struct MaxDimArgs {
  DType dtype;
  int64_t outer, size, inner;
  const void* x;
  void* values;  // may be null
  int64_t* indices;
};

constexpr int kHasNan = 1, kHasInf = 2;

struct NonfiniteArgs {
  DType dtype;
  int64_t n;
  const void* x;
  int64_t* flags;
};

struct AbsPowSumArgs {
  DType dtype;
  int64_t n;
  double p;  // > 0, or infinity
  const void* x;
  double* out;
};

extern const OpTable<SumArgs> sum_rows;
extern const OpTable<SumArgs> sum_leading;
extern const OpTable<MaxDimArgs> max_dim;
extern const OpTable<NonfiniteArgs> nonfinite;
extern const OpTable<AbsPowSumArgs> abs_pow_sum;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void sum_rows_cpu(const SumArgs& a, const Context& ctx);
template <typename T>
void sum_leading_cpu(const SumArgs& a, const Context& ctx);
template <typename T>
void max_dim_cpu(const MaxDimArgs& a, const Context& ctx);
template <typename T>
void nonfinite_cpu(const NonfiniteArgs& a, const Context& ctx);
template <typename T>
void abs_pow_sum_cpu(const AbsPowSumArgs& a, const Context& ctx);

template <typename T>
void sum_rows_cuda(const SumArgs& a, const Context& ctx);
template <typename T>
void max_dim_cuda(const MaxDimArgs& a, const Context& ctx);
// nonfinite and abs_pow_sum are cub::DeviceReduce calls: they need the scratch that
// *_cuda_workspace reports.
template <typename T>
void nonfinite_cuda(const NonfiniteArgs& a, const Context& ctx);
template <typename T>
size_t nonfinite_cuda_workspace(const NonfiniteArgs& a, const Context& ctx);
template <typename T>
void abs_pow_sum_cuda(const AbsPowSumArgs& a, const Context& ctx);
template <typename T>
size_t abs_pow_sum_cuda_workspace(const AbsPowSumArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
