// The reduce family. Sums accumulate in double whatever the dtype.
//
//   sum_rows:     y[r] = scale · Σ_c x[r·cols + c]
//   sum_leading:  y[c] = scale · Σ_r x[r·cols + c]: the sum over leading dims (bias
//                 gradients) without transposing first; each column is summed in the
//                 order sum_rows uses on the transposed copy, so the results are equal
//   max_dim:      x viewed as [outer, size, inner]: the maximum along the middle dim and
//                 the first index reaching it (NaN counts as the maximum); values may be
//                 null
//   nonfinite:    whether x[0, n) holds a NaN (kHasNan) or an infinity (kHasInf), OR-ed
//                 into *flags (zeroed by the caller, on x's device): anomaly mode's scan
#pragma once

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

extern const OpTable<SumArgs> sum_rows;
extern const OpTable<SumArgs> sum_leading;
extern const OpTable<MaxDimArgs> max_dim;
extern const OpTable<NonfiniteArgs> nonfinite;

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
void sum_rows_cuda(const SumArgs& a, const Context& ctx);
template <typename T>
void max_dim_cuda(const MaxDimArgs& a, const Context& ctx);
template <typename T>
void nonfinite_cuda(const NonfiniteArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
