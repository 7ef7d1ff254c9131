// Reference loops for elementwise math (kernels/elementwise.h).
// Each computes in compute_t<T> (float for the 16-bit types, which round once on store);
// derivatives follow the formulas in gpunn/ops/elementwise.h.
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

template <typename T>
void unary_forward_loops(UnaryOp op, T* y, const T* x, int64_t n, double a, double b) {
  using A = compute_t<T>;
  const A ta = static_cast<A>(a), tb = static_cast<A>(b);
  with_constant(op, [&](auto k) {
    for (int64_t i = 0; i < n; ++i)
      y[i] = static_cast<T>(unary_value(decltype(k)::value, static_cast<A>(x[i]), ta, tb));
  });
}

template <typename T>
void unary_backward_loops(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n,
                          double a, double b) {
  using A = compute_t<T>;
  const A ta = static_cast<A>(a), tb = static_cast<A>(b);
  with_constant(op, [&](auto k) {
    for (int64_t i = 0; i < n; ++i) {
      const A xi = x ? static_cast<A>(x[i]) : A(0), yi = y ? static_cast<A>(y[i]) : A(0);
      dx[i] = static_cast<T>(static_cast<A>(dy[i]) *
                             unary_derivative(decltype(k)::value, xi, yi, ta, tb));
    }
  });
}

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
    case B::Lt:
      f(std::integral_constant<B, B::Lt>{});
      return;
    case B::Le:
      f(std::integral_constant<B, B::Le>{});
      return;
    case B::Gt:
      f(std::integral_constant<B, B::Gt>{});
      return;
    case B::Ge:
      f(std::integral_constant<B, B::Ge>{});
      return;
    case B::Eq:
      f(std::integral_constant<B, B::Eq>{});
      return;
    case B::Ne:
      f(std::integral_constant<B, B::Ne>{});
      return;
  }
}

template <typename T>
void binary_forward_loops(BinaryOp op, T* z, const T* a, const T* b, const StridedPair& ix,
                          int64_t n) {
  with_constant(op, [&](auto k) {
    for_each_strided(ix, n, [&](int64_t i, int64_t oa, int64_t ob) {
      using A = compute_t<T>;
      z[i] = static_cast<T>(
          binary_value(decltype(k)::value, static_cast<A>(a[oa]), static_cast<A>(b[ob])));
    });
  });
}

template <typename T>
void binary_backward_loops(BinaryOp op, T* da, T* db, const T* dz, const T* a, const T* b,
                           const T* z, const StridedPair& ix, int64_t n) {
  with_constant(op, [&](auto k) {
    for_each_strided(ix, n, [&](int64_t i, int64_t oa, int64_t ob) {
      using A = compute_t<T>;
      A pa = A(0), pb = A(0);
      binary_partials(decltype(k)::value, static_cast<A>(a[oa]), static_cast<A>(b[ob]),
                      z ? static_cast<A>(z[i]) : A(0), &pa, &pb);
      if (da) da[i] = static_cast<T>(static_cast<A>(dz[i]) * pa);
      if (db) db[i] = static_cast<T>(static_cast<A>(dz[i]) * pb);
    });
  });
}

}  // namespace

template <typename T>
void unary_forward_cpu(const UnaryArgs& a, const Context&) {
  unary_forward_loops(a.op, static_cast<T*>(a.y), static_cast<const T*>(a.x), a.n, a.a, a.b);
}

template <typename T>
void unary_backward_cpu(const UnaryBackwardArgs& a, const Context&) {
  unary_backward_loops(a.op, static_cast<T*>(a.dx), static_cast<const T*>(a.dy),
                       static_cast<const T*>(a.x), static_cast<const T*>(a.y), a.n, a.a, a.b);
}

template <typename T>
void binary_forward_cpu(const BinaryArgs& a, const Context&) {
  binary_forward_loops(a.op, static_cast<T*>(a.z), static_cast<const T*>(a.a),
                       static_cast<const T*>(a.b), a.ix, a.n);
}

template <typename T>
void binary_backward_cpu(const BinaryBackwardArgs& a, const Context&) {
  binary_backward_loops(a.op, static_cast<T*>(a.da), static_cast<T*>(a.db),
                        static_cast<const T*>(a.dz), static_cast<const T*>(a.a),
                        static_cast<const T*>(a.b), static_cast<const T*>(a.z), a.ix, a.n);
}

#define GPUNN_INSTANTIATE(T)                                                     \
  template void unary_forward_cpu<T>(const UnaryArgs&, const Context&);          \
  template void unary_backward_cpu<T>(const UnaryBackwardArgs&, const Context&); \
  template void binary_forward_cpu<T>(const BinaryArgs&, const Context&);        \
  template void binary_backward_cpu<T>(const BinaryBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
