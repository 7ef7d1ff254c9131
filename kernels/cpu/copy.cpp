// Reference loops for copy and fill (kernels/copy.h).
#include "kernels/copy.h"
#include "kernels/copy_math.h"

#include "kernels/cpu/strided.h"

namespace gpunn::kernels {
namespace {

using math::convert;

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
    case DType::BFloat16:
      return copy_loops(dst, static_cast<const BFloat16*>(a.src), a.ix, a.n);
    case DType::Float16:
      return copy_loops(dst, static_cast<const Half*>(a.src), a.ix, a.n);
  }
}

template <typename T>
void fill_cpu(const FillArgs& a, const Context&) {
  T* dst = static_cast<T*>(a.dst);
  const T value = static_cast<T>(a.value);  // one rounding from double (gpunn/half.h)
  for_each_strided(a.ix, a.n, [&](int64_t, int64_t od, int64_t) { dst[od] = value; });
}

#define GPUNN_INSTANTIATE(T)                                  \
  template void copy_cpu<T>(const CopyArgs&, const Context&); \
  template void fill_cpu<T>(const FillArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(int64_t)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
