// Deterministic inputs for the op tests whose float64 reference values were computed
// from them (independently of gpunn: see each test file's reference block).
#pragma once

#include <gpunn/gpunn.h>

#include <cmath>
#include <vector>

namespace gpunn::test {

// sin(a·i + b)·s over the flattened shape: the inputs the references were made from.
inline Tensor seq(const Shape& shape, double a = 0.37, double b = 0.1, double s = 1.5) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = std::sin(a * double(i) + b) * s;
  return tensor(v, shape, kFloat64);
}
// cos(0.23·i): the upstream gradient r of L = Σ y ⊙ r.
inline Tensor weights_like(const Tensor& y) {
  std::vector<double> v(static_cast<size_t>(y.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.23 * double(i));
  return tensor(v, y.shape(), kFloat64);
}

}  // namespace gpunn::test
