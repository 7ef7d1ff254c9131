// Reduction kernels. Sums accumulate in double whatever T is.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

// out[r] = scale * Σ_c x[r * cols + c]
template <typename T>
void sum_rows_cpu(T* out, const T* x, int64_t rows, int64_t cols, double scale);

// out[c] = scale * Σ_r x[r * cols + c]: the sum over leading dims (bias
// gradients) without transposing first. Each column is summed in the same
// order as sum_rows_cpu on the transposed copy, so the results are identical.
template <typename T>
void sum_leading_cpu(T* out, const T* x, int64_t rows, int64_t cols, double scale);

// x viewed as [outer, size, inner]: the maximum along the middle dim and the
// first index reaching it (NaN counts as the maximum). values may be null.
template <typename T>
void max_dim_cpu(T* values, int64_t* indices, const T* x, int64_t outer, int64_t size,
                 int64_t inner);

// Whether x[0, n) holds a NaN (bit 0 of the result) or an infinity (bit 1):
// the check behind anomaly mode (core/autograd/anomaly.h).
constexpr int kHasNan = 1, kHasInf = 2;
template <typename T>
int nonfinite_cpu(const T* x, int64_t n);

}  // namespace gpunn::kernels
