// CUDA random kernels (kernels/cuda/random.cuh): grid-stride loops over the
// element draws of kernels/random_math.h, so a tensor made on the GPU holds the
// same numbers as one made on the CPU from the same generator state.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/random.cuh"
#include "kernels/random_math.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void uniform_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double low,
                               double high) {
  GPUNN_GRID_STRIDE(i, n) { out[i] = math::uniform_at<T>(seed, offset, i, low, high); }
}
template <typename T>
__global__ void normal_kernel(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean,
                              double stddev) {
  GPUNN_GRID_STRIDE(i, n) { out[i] = math::normal_at<T>(seed, offset, i, mean, stddev); }
}
__global__ void randint_kernel(int64_t* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low,
                               int64_t high) {
  GPUNN_GRID_STRIDE(i, n) { out[i] = math::randint_at(seed, offset, i, low, high); }
}
template <typename T>
__global__ void mask_kernel(T* mask, int64_t n, uint64_t seed, uint64_t offset, double keep,
                            T scale) {
  GPUNN_GRID_STRIDE(i, n) { mask[i] = math::bernoulli_mask_at<T>(seed, offset, i, keep, scale); }
}

}  // namespace

template <typename T>
void uniform_cuda(T* out, int64_t n, uint64_t seed, uint64_t offset, double low, double high,
                  cudaStream_t s) {
  if (n > 0) uniform_kernel<<<grid_for(n), kThreads, 0, s>>>(out, n, seed, offset, low, high);
}
template <typename T>
void normal_cuda(T* out, int64_t n, uint64_t seed, uint64_t offset, double mean, double stddev,
                 cudaStream_t s) {
  if (n > 0) normal_kernel<<<grid_for(n), kThreads, 0, s>>>(out, n, seed, offset, mean, stddev);
}
void randint_cuda(int64_t* out, int64_t n, uint64_t seed, uint64_t offset, int64_t low,
                  int64_t high, cudaStream_t s) {
  if (n > 0) randint_kernel<<<grid_for(n), kThreads, 0, s>>>(out, n, seed, offset, low, high);
}
template <typename T>
void bernoulli_mask_cuda(T* mask, int64_t n, uint64_t seed, uint64_t offset, double keep_prob,
                         double scale, cudaStream_t s) {
  if (n > 0)
    mask_kernel<<<grid_for(n), kThreads, 0, s>>>(mask, n, seed, offset, keep_prob,
                                                 static_cast<T>(scale));
}

#define GPUNN_INSTANTIATE(T)                                                                    \
  template void uniform_cuda<T>(T*, int64_t, uint64_t, uint64_t, double, double, cudaStream_t); \
  template void normal_cuda<T>(T*, int64_t, uint64_t, uint64_t, double, double, cudaStream_t);  \
  template void bernoulli_mask_cuda<T>(T*, int64_t, uint64_t, uint64_t, double, double,         \
                                       cudaStream_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
