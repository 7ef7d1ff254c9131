// The formulas of the elementwise ops and their derivatives, shared by the CPU
// reference loops and the CUDA kernels so that both compute the same thing.
// Plain functions of scalars, callable on the host and on the device.
#pragma once

#include <cmath>

#include "kernels/base/host_device.h"
#include "kernels/elementwise.h"

namespace gpunn::kernels::math {

template <typename T>
GPUNN_HOST_DEVICE inline T unary_value(UnaryOp op, T x, T a, T b) {
  switch (op) {
    case UnaryOp::Neg:
      return -x;
    case UnaryOp::Exp:
      return std::exp(x);
    case UnaryOp::Log:
      return std::log(x);
    case UnaryOp::Sqrt:
      return std::sqrt(x);
    case UnaryOp::Abs:
      return std::abs(x);
    case UnaryOp::Sin:
      return std::sin(x);
    case UnaryOp::Cos:
      return std::cos(x);
    case UnaryOp::AddScalar:
      return x + a;
    case UnaryOp::MulScalar:
      return x * a;
    case UnaryOp::DivScalar:
      return x / a;
    case UnaryOp::RSubScalar:
      return a - x;
    case UnaryOp::RDivScalar:
      return a / x;
    case UnaryOp::PowScalar:
      return std::pow(x, a);
    case UnaryOp::Clamp: {
      // Written so that NaN passes through: neither comparison holds for it.
      T y = x < a ? a : x;
      return b < y ? b : y;
    }
  }
  return x;
}

template <typename T>
GPUNN_HOST_DEVICE inline T sign(T x) {
  return static_cast<T>((x > T(0)) - (x < T(0)));
}

// dy/dx of the op at x (with y = op(x)).
template <typename T>
GPUNN_HOST_DEVICE inline T unary_derivative(UnaryOp op, T x, T y, T a, T b) {
  switch (op) {
    case UnaryOp::Neg:
      return T(-1);
    case UnaryOp::Exp:
      return y;
    case UnaryOp::Log:
      return T(1) / x;
    case UnaryOp::Sqrt:
      return T(1) / (T(2) * y);
    case UnaryOp::Abs:
      return sign(x);
    case UnaryOp::Sin:
      return std::cos(x);
    case UnaryOp::Cos:
      return -std::sin(x);
    case UnaryOp::AddScalar:
      return T(1);
    case UnaryOp::MulScalar:
      return a;
    case UnaryOp::DivScalar:
      return T(1) / a;
    case UnaryOp::RSubScalar:
      return T(-1);
    case UnaryOp::RDivScalar:
      return -a / (x * x);
    case UnaryOp::PowScalar:
      // d/dx x^0 is 0 everywhere, including x = 0 where the formula gives 0 * inf.
      return a == T(0) ? T(0) : a * std::pow(x, a - T(1));
    case UnaryOp::Clamp:
      return (x >= a && x <= b) ? T(1) : T(0);
  }
  return T(0);
}

template <typename T>
GPUNN_HOST_DEVICE inline T binary_value(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add:
      return a + b;
    case BinaryOp::Sub:
      return a - b;
    case BinaryOp::Mul:
      return a * b;
    case BinaryOp::Div:
      return a / b;
    case BinaryOp::Pow:
      return std::pow(a, b);
    case BinaryOp::Lt:
      return a < b ? T(1) : T(0);
    case BinaryOp::Le:
      return a <= b ? T(1) : T(0);
    case BinaryOp::Gt:
      return a > b ? T(1) : T(0);
    case BinaryOp::Ge:
      return a >= b ? T(1) : T(0);
    case BinaryOp::Eq:
      return a == b ? T(1) : T(0);
    case BinaryOp::Ne:
      return a != b ? T(1) : T(0);
  }
  return T(0);
}

// ∂z/∂a and ∂z/∂b at (a, b) with z = a op b.
template <typename T>
GPUNN_HOST_DEVICE inline void binary_partials(BinaryOp op, T a, T b, T z, T* pa, T* pb) {
  switch (op) {
    case BinaryOp::Add:
      *pa = T(1);
      *pb = T(1);
      return;
    case BinaryOp::Sub:
      *pa = T(1);
      *pb = T(-1);
      return;
    case BinaryOp::Mul:
      *pa = b;
      *pb = a;
      return;
    case BinaryOp::Div:
      *pa = T(1) / b;
      *pb = -a / (b * b);
      return;
    case BinaryOp::Pow:
      // d/da a^b = b a^(b-1) (0 where b == 0); d/db a^b = a^b ln a, taken as 0
      // where a == 0 and b >= 0 (the limit from the right), as PyTorch does.
      *pa = b == T(0) ? T(0) : b * std::pow(a, b - T(1));
      *pb = (a == T(0) && b >= T(0)) ? T(0) : z * std::log(a);
      return;
    case BinaryOp::Lt:  // piecewise constant: no gradient (never recorded)
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
    case BinaryOp::Eq:
    case BinaryOp::Ne:
      *pa = T(0);
      *pb = T(0);
      return;
  }
}

}  // namespace gpunn::kernels::math
