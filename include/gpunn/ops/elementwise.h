// Elementwise math.
//
// Binary ops broadcast as NumPy and PyTorch do: shapes align at the last dim and a
// dim of size 1 (or a missing leading dim) stretches to the other's size. Both
// operands must have the same dtype (no silent promotion) and device. Every op
// here is differentiable in both modes; gradients of broadcast operands are
// summed back to their shapes.
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
