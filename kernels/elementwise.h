// The elementwise family: unary math (with the op's scalars a, b) and binary math with
// broadcasting (operands walked through a StridedPair, kernels/base/strided.h). The
// formulas live once in kernels/elementwise_math.h, for the CPU loops and the CUDA
// kernels alike.
//
//   unary forward:    y = op(x) over n contiguous elements
//   unary backward:   dx = dy · op'(x), given the forward's x and y; linear in dy, so with
//                     dy := a tangent it is the JVP. x or y may be null where op' does
//                     not read it (unary_backward_reads_x/y).
//   binary forward:   z = a op b; z contiguous with ix.shape, a and b read through ix.a/b
//   binary backward:  da = dz · ∂z/∂a, db = dz · ∂z/∂b in z's shape (either may be null);
//                     summing back to the operands' shapes is the caller's. z is read by
//                     Pow only and may be null otherwise.
#pragma once

#include <cstdint>

#include "kernels/base/strided.h"
#include "kernels/base/table.h"

namespace gpunn::kernels {

enum class UnaryOp : int {
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sin,
  Cos,
  AddScalar,   // x + a
  MulScalar,   // x * a
  DivScalar,   // x / a
  RSubScalar,  // a - x
  RDivScalar,  // a / x
  PowScalar,   // x ^ a
  Clamp,       // min(max(x, a), b); absent bounds are ±infinity
};

constexpr bool unary_backward_reads_x(UnaryOp op) {
  return op == UnaryOp::Log || op == UnaryOp::Abs || op == UnaryOp::Sin || op == UnaryOp::Cos ||
         op == UnaryOp::RDivScalar || op == UnaryOp::PowScalar || op == UnaryOp::Clamp;
}
constexpr bool unary_backward_reads_y(UnaryOp op) {
  return op == UnaryOp::Exp || op == UnaryOp::Sqrt;
}

// Lt ... Ne compare: 1 where the relation holds, else 0 (NaN compares false, and unequal),
// in the operands' dtype; they have no gradient.
enum class BinaryOp : int { Add, Sub, Mul, Div, Pow, Lt, Le, Gt, Ge, Eq, Ne };

constexpr bool is_comparison(BinaryOp op) { return op >= BinaryOp::Lt; }

struct UnaryArgs {
  DType dtype;
  UnaryOp op;
  int64_t n;
  double a, b;  // the op's scalars
  const void* x;
  void* y;
};

struct UnaryBackwardArgs {
  DType dtype;
  UnaryOp op;
  int64_t n;
  double a, b;
  const void* dy;
  const void* x;  // may be null (unary_backward_reads_x)
  const void* y;  // may be null (unary_backward_reads_y)
  void* dx;
};

struct BinaryArgs {
  DType dtype;
  BinaryOp op;
  StridedPair ix;
  int64_t n;
  const void* a;
  const void* b;
  void* z;
};

struct BinaryBackwardArgs {
  DType dtype;
  BinaryOp op;
  StridedPair ix;
  int64_t n;
  const void* dz;
  const void* a;
  const void* b;
  const void* z;  // Pow only
  void* da;       // may be null
  void* db;       // may be null
};

extern const OpTable<UnaryArgs> unary_forward;
extern const OpTable<UnaryBackwardArgs> unary_backward;
extern const OpTable<BinaryArgs> binary_forward;
extern const OpTable<BinaryBackwardArgs> binary_backward;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void unary_forward_cpu(const UnaryArgs& a, const Context& ctx);
template <typename T>
void unary_backward_cpu(const UnaryBackwardArgs& a, const Context& ctx);
template <typename T>
void binary_forward_cpu(const BinaryArgs& a, const Context& ctx);
template <typename T>
void binary_backward_cpu(const BinaryBackwardArgs& a, const Context& ctx);

template <typename T>
void unary_forward_cuda(const UnaryArgs& a, const Context& ctx);
template <typename T>
void unary_backward_cuda(const UnaryBackwardArgs& a, const Context& ctx);
template <typename T>
void binary_forward_cuda(const BinaryArgs& a, const Context& ctx);
template <typename T>
void binary_backward_cuda(const BinaryBackwardArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
