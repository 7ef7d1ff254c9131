// Elementwise kernels: unary math, binary math with broadcasting, strided copy
// and fill. Kernels know pointers, sizes and strides; never tensors.
//
// Strides are in elements. StridedPair describes two operands walked in
// row-major order over one shape: for binary ops the output is contiguous and
// a/b are the inputs' strides (0 on broadcast dims); for copies a is the
// destination and b the source.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

constexpr int kMaxDims = 16;

struct StridedPair {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t a[kMaxDims] = {};
  int64_t b[kMaxDims] = {};
};

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

// y = op(x) over n contiguous elements; a and b are the op's scalars.
template <typename T>
void unary_forward_cpu(UnaryOp op, T* y, const T* x, int64_t n, double a, double b);

// dx = dy * op'(x), given the forward's x and y. With dy := a tangent this is
// also the op's JVP. x or y may be null when the op's derivative does not read
// it (unary_backward_reads_x/y say which it reads).
template <typename T>
void unary_backward_cpu(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n, double a,
                        double b);

constexpr bool unary_backward_reads_x(UnaryOp op) {
  return op == UnaryOp::Log || op == UnaryOp::Abs || op == UnaryOp::Sin || op == UnaryOp::Cos ||
         op == UnaryOp::RDivScalar || op == UnaryOp::PowScalar || op == UnaryOp::Clamp;
}
constexpr bool unary_backward_reads_y(UnaryOp op) {
  return op == UnaryOp::Exp || op == UnaryOp::Sqrt;
}

enum class BinaryOp : int { Add, Sub, Mul, Div, Pow };

// z = a op b; z contiguous with ix.shape, a and b read through ix.a / ix.b.
template <typename T>
void binary_forward_cpu(BinaryOp op, T* z, const T* a, const T* b, const StridedPair& ix,
                        int64_t n);

// The partials times dz, in z's shape (either output may be null):
//   da = dz * ∂z/∂a,  db = dz * ∂z/∂b   (dz, z, da, db contiguous; a, b strided)
// Summing da/db back to a's/b's shapes is the caller's job. z is read by Pow
// only and may be null for the other ops.
template <typename T>
void binary_backward_cpu(BinaryOp op, T* da, T* db, const T* dz, const T* a, const T* b, const T* z,
                         const StridedPair& ix, int64_t n);

// dst[i] = static_cast<To>(src[i]) over ix.shape; dst through ix.a, src through ix.b.
template <typename To, typename From>
void copy_cpu(To* dst, const From* src, const StridedPair& ix, int64_t n);

// dst = value over a strided region (ix.a; ix.b unused).
template <typename T>
void fill_cpu(T* dst, T value, const StridedPair& ix, int64_t n);

}  // namespace gpunn::kernels
