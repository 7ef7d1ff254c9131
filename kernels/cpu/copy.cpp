// Reference loops for copy and fill (kernels/copy.h).
#include "kernels/copy.h"

#include <limits>
#include <type_traits>

#include "kernels/cpu/strided.h"

namespace gpunn::kernels {
namespace {

// Float to int64 truncates toward zero; values it cannot hold (NaN, ±inf, beyond
// ±2^63) give INT64_MIN, as x86 conversion does, instead of undefined behaviour.
template <typename To, typename From>
To convert(From v) {
  if constexpr (std::is_same_v<To, int64_t> && std::is_floating_point_v<From>) {
    constexpr From kLimit = From(9223372036854775808.0);  // 2^63
    if (!(v > -kLimit && v < kLimit)) return std::numeric_limits<int64_t>::min();
  }
  return static_cast<To>(v);
}

template <typename To, typename From>
void copy_loops(To* dst, const From* src, const StridedPair& ix, int64_t n) {
  for_each_strided(ix, n, [&](int64_t, int64_t od, int64_t os) { dst[od] = convert<To>(src[os]); });
}

}  // namespace

template <typename To>
void copy_cpu(const CopyArgs& a, const Context&) {
  To* dst = static_cast<To*>(a.dst);
  switch (a.src_dtype) {
    case DType::Float32:
      return copy_loops(dst, static_cast<const float*>(a.src), a.ix, a.n);
    case DType::Float64:
      return copy_loops(dst, static_cast<const double*>(a.src), a.ix, a.n);
    case DType::Int64:
      return copy_loops(dst, static_cast<const int64_t*>(a.src), a.ix, a.n);
  }
}

template <typename T>
void fill_cpu(const FillArgs& a, const Context&) {
  T* dst = static_cast<T*>(a.dst);
  const T value = static_cast<T>(a.value);
  for_each_strided(a.ix, a.n, [&](int64_t, int64_t od, int64_t) { dst[od] = value; });
}

#define GPUNN_INSTANTIATE(T)                                  \
  template void copy_cpu<T>(const CopyArgs&, const Context&); \
  template void fill_cpu<T>(const FillArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(int64_t)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
