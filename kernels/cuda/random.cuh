// CUDA random kernels: the same numbers as kernels/random.h (element i from
// Philox block offset + i), queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void uniform_cuda(T* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high,
                  cudaStream_t stream);
template <typename T>
void normal_cuda(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double stddev,
                 cudaStream_t stream);
void randint_cuda(int64_t* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low,
                  int64_t high, cudaStream_t stream);
template <typename T>
void bernoulli_mask_cuda(T* mask, int64_t n, uint64_t seed, uint64_t offset, double keep_prob,
                         double scale, cudaStream_t stream);

}  // namespace gpunn::kernels
