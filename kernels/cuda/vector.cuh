// Elementwise maps over contiguous arrays, for the CUDA kernels of every dtype. Values
// are read into compute_t<T> (float for the 16-bit types), the functor runs there, and
// each result is rounded to T once on store.
//
// For bfloat16 and float16 each thread moves 8 values with one 16-byte load and store
// when every pointer is 16-byte aligned: a 2-byte access per thread would use an eighth
// of each 128-bit memory transaction. Unaligned views (a storage offset that is not a
// multiple of 8 elements) take the element-wise kernel. The tail past the last whole
// pack is done element-wise by the same kernel. Private to kernels/cuda.
#pragma once

#include <gpunn/half.h>

#include <cstdint>

#include "kernels/cuda/launch.cuh"

namespace gpunn::kernels::cuda_detail {

// Elements per 16-byte pack: 8 for the 16-bit types, 1 (no packing) otherwise.
template <typename T>
constexpr int kPack = sizeof(T) == 2 ? 8 : 1;

template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// y[i] = f(x[i])
template <int N, typename T, typename F>
__global__ void map1_kernel(F f, T* __restrict__ y, const T* __restrict__ x, int64_t n) {
  using A = compute_t<T>;
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t step = int64_t{gridDim.x} * blockDim.x;
  const int64_t packs = n / N;
  for (int64_t p = first; p < packs; p += step) {
    const Pack<T, N> in = reinterpret_cast<const Pack<T, N>*>(x)[p];
    Pack<T, N> out;
#pragma unroll
    for (int k = 0; k < N; ++k) out.v[k] = static_cast<T>(f(static_cast<A>(in.v[k])));
    reinterpret_cast<Pack<T, N>*>(y)[p] = out;
  }
  for (int64_t i = packs * N + first; i < n; i += step)
    y[i] = static_cast<T>(f(static_cast<A>(x[i])));
}

// z[i] = f(a[i], b[i])
template <int N, typename T, typename F>
__global__ void map2_kernel(F f, T* __restrict__ z, const T* __restrict__ a,
                            const T* __restrict__ b, int64_t n) {
  using A = compute_t<T>;
  const int64_t first = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t step = int64_t{gridDim.x} * blockDim.x;
  const int64_t packs = n / N;
  for (int64_t p = first; p < packs; p += step) {
    const Pack<T, N> in_a = reinterpret_cast<const Pack<T, N>*>(a)[p];
    const Pack<T, N> in_b = reinterpret_cast<const Pack<T, N>*>(b)[p];
    Pack<T, N> out;
#pragma unroll
    for (int k = 0; k < N; ++k)
      out.v[k] = static_cast<T>(f(static_cast<A>(in_a.v[k]), static_cast<A>(in_b.v[k])));
    reinterpret_cast<Pack<T, N>*>(z)[p] = out;
  }
  for (int64_t i = packs * N + first; i < n; i += step)
    z[i] = static_cast<T>(f(static_cast<A>(a[i]), static_cast<A>(b[i])));
}

template <typename T, typename F>
void map1(F f, T* y, const T* x, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  constexpr int N = kPack<T>;
  if (N > 1 && aligned16(y) && aligned16(x)) {
    map1_kernel<N><<<grid_for((n + N - 1) / N), kThreads, 0, stream>>>(f, y, x, n);
  } else {
    map1_kernel<1><<<grid_for(n), kThreads, 0, stream>>>(f, y, x, n);
  }
}

template <typename T, typename F>
void map2(F f, T* z, const T* a, const T* b, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  constexpr int N = kPack<T>;
  if (N > 1 && aligned16(z) && aligned16(a) && aligned16(b)) {
    map2_kernel<N><<<grid_for((n + N - 1) / N), kThreads, 0, stream>>>(f, z, a, b, n);
  } else {
    map2_kernel<1><<<grid_for(n), kThreads, 0, stream>>>(f, z, a, b, n);
  }
}

}  // namespace gpunn::kernels::cuda_detail
