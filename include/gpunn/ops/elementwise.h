// Elementwise math.
//
// Binary ops broadcast as NumPy and PyTorch do: shapes align at the last dim and a
// dim of size 1 (or a missing leading dim) stretches to the other's size. Both
// operands must have the same dtype (no silent promotion) and device. Every op
// here but the comparisons is differentiable in both modes; gradients of broadcast
// operands are summed back to their shapes.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <optional>

GPUNN_API_BEGIN

namespace gpunn {

Tensor add(const Tensor& a, const Tensor& b);  // a + b
Tensor sub(const Tensor& a, const Tensor& b);  // a - b
Tensor mul(const Tensor& a, const Tensor& b);  // a * b
Tensor div(const Tensor& a, const Tensor& b);  // a / b
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor rsub(const Tensor& a, double b);  // b - a
Tensor rdiv(const Tensor& a, double b);  // b / a

// Comparisons, broadcast like the ops above: 1 where a < b (<=, >, >=, ==, !=) holds and 0
// elsewhere, in the operands' floating dtype (gpunn has no bool dtype), so that a mask
// multiplies directly. NaN compares false (and unequal: ne is 1). Piecewise constant: no
// gradient and no tangent (the result does not require grad). A Bernoulli sample of
// probabilities p: lt(rand_like(p), p).
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);

Tensor neg(const Tensor& x);   // -x
Tensor exp(const Tensor& x);   // e^x;        dx = dy * y
Tensor log(const Tensor& x);   // ln x;       dx = dy / x
Tensor sqrt(const Tensor& x);  // √x;         dx = dy / (2y)
Tensor abs(const Tensor& x);   // |x|;        dx = dy * sign(x)  (0 at 0)
Tensor sin(const Tensor& x);   //             dx = dy * cos(x)
Tensor cos(const Tensor& x);   //             dx = -dy * sin(x)

// x^p;  dx = dy * p * x^(p-1)  (0 where p == 0)
Tensor pow(const Tensor& x, double exponent);
// x^p elementwise with broadcasting;  dx = dy * p * x^(p-1),
// dp = dy * x^p * ln x  (0 where x == 0 and p >= 0, as PyTorch defines it)
Tensor pow(const Tensor& x, const Tensor& exponent);

// min(max(x, min), max); either bound may be absent.
// dx = dy where min <= x <= max, else 0.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

}  // namespace gpunn

GPUNN_API_END
