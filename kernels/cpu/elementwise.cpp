// Reference loops for elementwise math, copy and fill (kernels/elementwise.h).
// Each computes in T; derivatives follow the formulas in gpunn/ops/elementwise.h.
#include "kernels/elementwise.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/strided.h"
#include "kernels/elementwise_math.h"

namespace gpunn::kernels {

using math::binary_partials;
using math::binary_value;
using math::unary_derivative;
using math::unary_value;
namespace {

// Calls f(std::integral_constant<Op, op>{}): inside f the op is a compile-time
// constant, so the switch in unary_value & co. folds away and the loop around
// it can be vectorised.
template <typename F>
void with_constant(UnaryOp op, F&& f) {
  using U = UnaryOp;
  switch (op) {
#define GPUNN_CASE(NAME)                     \
  case U::NAME:                              \
    f(std::integral_constant<U, U::NAME>{}); \
    return;
    GPUNN_CASE(Neg)
    GPUNN_CASE(Exp)
    GPUNN_CASE(Log)
    GPUNN_CASE(Sqrt)
    GPUNN_CASE(Abs)
    GPUNN_CASE(Sin)
    GPUNN_CASE(Cos)
    GPUNN_CASE(AddScalar)
    GPUNN_CASE(MulScalar)
    GPUNN_CASE(DivScalar)
    GPUNN_CASE(RSubScalar)
    GPUNN_CASE(RDivScalar)
    GPUNN_CASE(PowScalar)
    GPUNN_CASE(Clamp)
#undef GPUNN_CASE
  }
}

}  // namespace

template <typename T>
void unary_forward_cpu(UnaryOp op, T* y, const T* x, int64_t n, double a, double b) {
  const T ta = static_cast<T>(a), tb = static_cast<T>(b);
  with_constant(op, [&](auto k) {
    for (int64_t i = 0; i < n; ++i) y[i] = unary_value(decltype(k)::value, x[i], ta, tb);
  });
}

template <typename T>
void unary_backward_cpu(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n, double a,
                        double b) {
  const T ta = static_cast<T>(a), tb = static_cast<T>(b);
  with_constant(op, [&](auto k) {
    for (int64_t i = 0; i < n; ++i) {
      const T xi = x ? x[i] : T(0), yi = y ? y[i] : T(0);
      dx[i] = dy[i] * unary_derivative(decltype(k)::value, xi, yi, ta, tb);
    }
  });
}

namespace {

template <typename F>
void with_constant(BinaryOp op, F&& f) {
  using B = BinaryOp;
  switch (op) {
    case B::Add:
      f(std::integral_constant<B, B::Add>{});
      return;
    case B::Sub:
      f(std::integral_constant<B, B::Sub>{});
      return;
    case B::Mul:
      f(std::integral_constant<B, B::Mul>{});
      return;
    case B::Div:
      f(std::integral_constant<B, B::Div>{});
      return;
    case B::Pow:
      f(std::integral_constant<B, B::Pow>{});
      return;
  }
}

}  // namespace

template <typename T>
void binary_forward_cpu(BinaryOp op, T* z, const T* a, const T* b, const StridedPair& ix,
                        int64_t n) {
  with_constant(op, [&](auto k) {
    for_each_strided(ix, n, [&](int64_t i, int64_t oa, int64_t ob) {
      z[i] = binary_value(decltype(k)::value, a[oa], b[ob]);
    });
  });
}

template <typename T>
void binary_backward_cpu(BinaryOp op, T* da, T* db, const T* dz, const T* a, const T* b, const T* z,
                         const StridedPair& ix, int64_t n) {
  with_constant(op, [&](auto k) {
    for_each_strided(ix, n, [&](int64_t i, int64_t oa, int64_t ob) {
      T pa = T(0), pb = T(0);
      binary_partials(decltype(k)::value, a[oa], b[ob], z ? z[i] : T(0), &pa, &pb);
      if (da) da[i] = dz[i] * pa;
      if (db) db[i] = dz[i] * pb;
    });
  });
}

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

}  // namespace

template <typename To, typename From>
void copy_cpu(To* dst, const From* src, const StridedPair& ix, int64_t n) {
  for_each_strided(ix, n, [&](int64_t, int64_t od, int64_t os) { dst[od] = convert<To>(src[os]); });
}

template <typename T>
void fill_cpu(T* dst, T value, const StridedPair& ix, int64_t n) {
  for_each_strided(ix, n, [&](int64_t, int64_t od, int64_t) { dst[od] = value; });
}

#define GPUNN_INSTANTIATE(T)                                                                      \
  template void unary_forward_cpu<T>(UnaryOp, T*, const T*, int64_t, double, double);             \
  template void unary_backward_cpu<T>(UnaryOp, T*, const T*, const T*, const T*, int64_t, double, \
                                      double);                                                    \
  template void binary_forward_cpu<T>(BinaryOp, T*, const T*, const T*, const StridedPair&,       \
                                      int64_t);                                                   \
  template void binary_backward_cpu<T>(BinaryOp, T*, T*, const T*, const T*, const T*, const T*,  \
                                       const StridedPair&, int64_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

#define GPUNN_INSTANTIATE_COPY(To, From) \
  template void copy_cpu<To, From>(To*, const From*, const StridedPair&, int64_t);
GPUNN_INSTANTIATE_COPY(float, float)
GPUNN_INSTANTIATE_COPY(float, double)
GPUNN_INSTANTIATE_COPY(float, int64_t)
GPUNN_INSTANTIATE_COPY(double, float)
GPUNN_INSTANTIATE_COPY(double, double)
GPUNN_INSTANTIATE_COPY(double, int64_t)
GPUNN_INSTANTIATE_COPY(int64_t, float)
GPUNN_INSTANTIATE_COPY(int64_t, double)
GPUNN_INSTANTIATE_COPY(int64_t, int64_t)
#undef GPUNN_INSTANTIATE_COPY

template void fill_cpu<float>(float*, float, const StridedPair&, int64_t);
template void fill_cpu<double>(double*, double, const StridedPair&, int64_t);
template void fill_cpu<int64_t>(int64_t*, int64_t, const StridedPair&, int64_t);

}  // namespace gpunn::kernels
