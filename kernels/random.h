// The random family. Element i draws from Philox block (offset + i) under key seed
// (kernels/base/philox.h; the draws in kernels/random_math.h), so a run of n elements
// consumes n blocks of the generator, the result does not depend on how the work is
// split, and any device computes the same numbers.
//
//   Uniform:    floating: uniform in [a, b);  int64: integers uniform in [low, high)
//   Normal:     mean a, standard deviation b (Box-Muller)
//   Bernoulli:  a mask: b with probability a, else 0 (dropout: a = the keep
//               probability, b = 1/a)
//
// randperm: a uniform random permutation of 0..n-1 (int64): position i gets the 64-bit
// key of block offset + i (math::sort_key_at), and the positions sorted by key, stably,
// are the permutation. The CPU sorts with std::stable_sort, the GPU with a stable
// cub::DeviceRadixSort, so both give the same permutation.
#pragma once

#include <cstddef>
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

struct RandpermArgs {
  DType dtype;  // int64
  int64_t n;
  uint64_t seed, offset;
  int64_t* out;
};

extern const OpTable<RandomArgs> random_numbers;
extern const OpTable<RandpermArgs> randperm;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void random_cpu(const RandomArgs& a, const Context& ctx);
template <typename T>
void random_cuda(const RandomArgs& a, const Context& ctx);
// The int64 rows draw uniform integers only.
bool random_integer_supported(const RandomArgs& a);
void randperm_cpu(const RandpermArgs& a, const Context& ctx);
void randperm_cuda(const RandpermArgs& a, const Context& ctx);
size_t randperm_cuda_workspace(const RandpermArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
