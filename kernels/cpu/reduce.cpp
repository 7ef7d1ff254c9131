// Reference loops for reductions (kernels/reduce.h).
#include "kernels/reduce.h"

#include <cmath>
#include <vector>

namespace gpunn::kernels {

namespace {

template <typename T>
void sum_rows_loops(T* out, const T* x, int64_t rows, int64_t cols, double scale) {
  for (int64_t r = 0; r < rows; ++r) {
    double acc = 0.0;
    const T* row = x + r * cols;
    for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(row[c]);
    out[r] = static_cast<T>(acc * scale);
  }
}

template <typename T>
void sum_leading_loops(T* out, const T* x, int64_t rows, int64_t cols, double scale) {
  std::vector<double> acc(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * cols;
    for (int64_t c = 0; c < cols; ++c) acc[static_cast<size_t>(c)] += static_cast<double>(row[c]);
  }
  for (int64_t c = 0; c < cols; ++c) out[c] = static_cast<T>(acc[static_cast<size_t>(c)] * scale);
}

template <typename T>
void max_dim_loops(T* values, int64_t* indices, const T* x, int64_t outer, int64_t size,
                   int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* base = x + o * size * inner + i;
      T best = base[0];
      int64_t best_index = 0;
      for (int64_t j = 1; j < size && !std::isnan(best); ++j) {
        T v = base[j * inner];
        if (v > best || std::isnan(v)) {
          best = v;
          best_index = j;
        }
      }
      if (values) values[o * inner + i] = best;
      indices[o * inner + i] = best_index;
    }
  }
}

template <typename T>
int nonfinite_loops(const T* x, int64_t n) {
  int flags = 0;
  for (int64_t i = 0; i < n && flags != (kHasNan | kHasInf); ++i) {
    if (std::isnan(x[i])) flags |= kHasNan;
    if (std::isinf(x[i])) flags |= kHasInf;
  }
  return flags;
}

template <typename T>
double abs_pow_sum_loops(const T* x, int64_t n, double p) {
  double acc = 0.0;
  if (std::isinf(p)) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = std::fabs(static_cast<double>(x[i]));
      if (!(v <= acc)) acc = v;  // a NaN wins and stays
      if (std::isnan(acc)) break;
    }
  } else if (p == 2.0) {
    for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  } else if (p == 1.0) {
    for (int64_t i = 0; i < n; ++i) acc += std::fabs(static_cast<double>(x[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) acc += std::pow(std::fabs(static_cast<double>(x[i])), p);
  }
  return acc;
}

}  // namespace

template <typename T>
void sum_rows_cpu(const SumArgs& a, const Context&) {
  sum_rows_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.rows, a.cols, a.scale);
}

template <typename T>
void sum_leading_cpu(const SumArgs& a, const Context&) {
  sum_leading_loops(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.rows, a.cols, a.scale);
}

template <typename T>
void max_dim_cpu(const MaxDimArgs& a, const Context&) {
  max_dim_loops(static_cast<T*>(a.values), a.indices, static_cast<const T*>(a.x), a.outer, a.size,
                a.inner);
}

template <typename T>
void nonfinite_cpu(const NonfiniteArgs& a, const Context&) {
  *a.flags = nonfinite_loops(static_cast<const T*>(a.x), a.n);
}

template <typename T>
void abs_pow_sum_cpu(const AbsPowSumArgs& a, const Context&) {
  *a.out = abs_pow_sum_loops(static_cast<const T*>(a.x), a.n, a.p);
}

#define GPUNN_INSTANTIATE(T)                                            \
  template void sum_rows_cpu<T>(const SumArgs&, const Context&);        \
  template void sum_leading_cpu<T>(const SumArgs&, const Context&);     \
  template void max_dim_cpu<T>(const MaxDimArgs&, const Context&);      \
  template void nonfinite_cpu<T>(const NonfiniteArgs&, const Context&); \
  template void abs_pow_sum_cpu<T>(const AbsPowSumArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)  // values convert to double (exactly) where the loops read them
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
