// The random family. Element i draws from Philox block (offset + i) under key seed
// (kernels/base/philox.h; the draws in kernels/random_math.h), so a run of n elements
// consumes n blocks of the generator, the result does not depend on how the work is
// split, and any device computes the same numbers.
//
//   Uniform:    floating: uniform in [a, b);  int64: integers uniform in [low, high)
//   Normal:     mean a, standard deviation b (Box-Muller)
//   Bernoulli:  a mask: b with probability a, else 0 (dropout: a = the keep
//               probability, b = 1/a)
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

enum class Distribution : int { Uniform, Normal, Bernoulli };

struct RandomArgs {
  DType dtype;
  Distribution dist;
  int64_t n;
  uint64_t seed, offset;
  double a, b;        // floating dtypes
  int64_t low, high;  // int64: Uniform only, high > low
  void* out;
};

extern const OpTable<RandomArgs> random_numbers;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void random_cpu(const RandomArgs& a, const Context& ctx);
template <typename T>
void random_cuda(const RandomArgs& a, const Context& ctx);
// The int64 rows draw uniform integers only.
bool random_integer_supported(const RandomArgs& a);

}  // namespace gpunn::kernels
