// CUDA random kernels (kernels/random.h): grid-stride loops over the
// element draws of kernels/random_math.h, so a tensor made on the GPU holds the
// same numbers as one made on the CPU from the same generator state. randperm sorts
// the positions by their keys with a stable cub::DeviceRadixSort.
#include <cub/device/device_radix_sort.cuh>

#include "kernels/base/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/random.h"
#include "kernels/random_math.h"

#include <type_traits>

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

__global__ void sort_keys_kernel(uint64_t* keys, int64_t* positions, int64_t n, uint64_t seed,
                                 uint64_t offset) {
  GPUNN_GRID_STRIDE(i, n) {
    keys[i] = math::sort_key_at(seed, offset, i);
    positions[i] = i;
  }
}

// The workspace: keys in and out, positions in, then CUB's scratch (256-byte aligned).
// With base == nullptr only the size is computed.
size_t randperm_sort(char* base, const RandpermArgs& a, cudaStream_t stream) {
  const size_t array = (static_cast<size_t>(a.n) * 8 + 255) / 256 * 256;
  auto* keys_in = base ? reinterpret_cast<uint64_t*>(base) : nullptr;
  auto* keys_out = base ? reinterpret_cast<uint64_t*>(base + array) : nullptr;
  auto* positions = base ? reinterpret_cast<int64_t*>(base + 2 * array) : nullptr;
  size_t temp_bytes = 0;  // CUB's scratch for n pairs
  GPUNN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_in, keys_out,
                                                   positions, a.out, a.n, 0, 64, stream));
  if (base) {
    sort_keys_kernel<<<grid_for(a.n), kThreads, 0, stream>>>(keys_in, positions, a.n, a.seed,
                                                             a.offset);
    GPUNN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        base + 3 * array, temp_bytes, keys_in, keys_out, positions, a.out, a.n, 0, 64, stream));
  }
  return 3 * array + temp_bytes;
}

}  // namespace

size_t randperm_cuda_workspace(const RandpermArgs& a, const Context&) {
  return a.n == 0 ? 0 : randperm_sort(nullptr, a, nullptr);
}

void randperm_cuda(const RandpermArgs& a, const Context& ctx) {
  if (a.n == 0) return;
  randperm_sort(static_cast<char*>(ctx.workspace), a, ctx.stream);
}

template <typename T>
void random_cuda(const RandomArgs& a, const Context& ctx) {
  if (a.n == 0) return;
  T* out = static_cast<T*>(a.out);
  const unsigned grid = grid_for(a.n);
  cudaStream_t s = ctx.stream;
  if constexpr (std::is_same_v<T, int64_t>) {
    randint_kernel<<<grid, kThreads, 0, s>>>(out, a.n, a.seed, a.offset, a.low, a.high);
  } else {
    switch (a.dist) {
      case Distribution::Uniform:
        uniform_kernel<<<grid, kThreads, 0, s>>>(out, a.n, a.seed, a.offset, a.a, a.b);
        return;
      case Distribution::Normal:
        normal_kernel<<<grid, kThreads, 0, s>>>(out, a.n, a.seed, a.offset, a.a, a.b);
        return;
      case Distribution::Bernoulli:
        mask_kernel<<<grid, kThreads, 0, s>>>(out, a.n, a.seed, a.offset, a.a, static_cast<T>(a.b));
        return;
    }
  }
}

template void random_cuda<float>(const RandomArgs&, const Context&);
template void random_cuda<double>(const RandomArgs&, const Context&);
template void random_cuda<int64_t>(const RandomArgs&, const Context&);
template void random_cuda<BFloat16>(const RandomArgs&, const Context&);
template void random_cuda<Half>(const RandomArgs&, const Context&);

}  // namespace gpunn::kernels
