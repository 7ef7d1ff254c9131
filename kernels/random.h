// Random kernels. Element i draws from Philox block (offset + i) under key seed
// (kernels/philox.h), so a run of n elements consumes n blocks of the generator
// and any device computes the same numbers.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

// Uniform in [low, high).
template <typename T>
void uniform_cpu(T* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high);

// Normal with the given mean and standard deviation (Box-Muller).
template <typename T>
void normal_cpu(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double stddev);

// Integers uniform in [low, high) (high > low).
void randint_cpu(int64_t* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low,
                 int64_t high);

// mask[i] = u_i < keep_prob ? scale : 0, with u_i uniform in [0, 1).
template <typename T>
void bernoulli_mask_cpu(T* mask, int64_t n, uint64_t seed, uint64_t offset, double keep_prob,
                        double scale);

}  // namespace gpunn::kernels
