// CUDA gather/scatter and embedding (kernels/index.h).
//
// scatter_add_dim gathers instead of scattering: one thread per destination
// element sums the y_size sources along its line whose index points at it, so
// the result is deterministic. Embedding's backward sums rows over arbitrary
// repeated indices and uses atomics. Its deterministic variant sorts the
// (index, position) pairs with cub::DeviceRadixSort, which is stable, so each
// weight row's positions come out in increasing order; one thread per (segment,
// column) then adds them in that order, which is the order of the CPU loop, so
// the result equals the CPU's bit for bit, with parallelism (distinct rows × D).
// The kernel it replaced (one thread per column walking all n indices, parallel
// only over D) stays for the benchmark: handwritten:: in kernels/cuda/variants.h.
#include <cub/device/device_radix_sort.cuh>

#include "kernels/base/cuda_check.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/variants.h"
#include "kernels/index.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void gather_kernel(T* y, const T* __restrict__ x, const int64_t* __restrict__ idx,
                              int64_t outer, int64_t x_size, int64_t y_size, int64_t inner) {
  GPUNN_GRID_STRIDE(at, outer * y_size * inner) {
    const int64_t i = at % inner, o = at / (y_size * inner);
    y[at] = x[(o * x_size + idx[at]) * inner + i];
  }
}

template <typename T>
__global__ void scatter_gather_kernel(T* dx, const T* __restrict__ dy,
                                      const int64_t* __restrict__ idx, int64_t outer,
                                      int64_t x_size, int64_t y_size, int64_t inner) {
  GPUNN_GRID_STRIDE(e, outer * x_size * inner) {
    const int64_t i = e % inner, k = (e / inner) % x_size, o = e / (x_size * inner);
    T acc = T(0);
    for (int64_t j = 0; j < y_size; ++j) {
      const int64_t at = (o * y_size + j) * inner + i;
      if (idx[at] == k) acc += dy[at];
    }
    dx[e] = acc;
  }
}

template <typename T>
__global__ void embedding_forward_kernel(T* y, const T* __restrict__ w,
                                         const int64_t* __restrict__ idx, int64_t n, int64_t D) {
  GPUNN_GRID_STRIDE(e, n * D) { y[e] = w[idx[e / D] * D + e % D]; }
}

template <typename T>
__global__ void embedding_backward_kernel(T* dw, const T* __restrict__ dy,
                                          const int64_t* __restrict__ idx, int64_t n, int64_t D,
                                          int64_t padding_idx) {
  GPUNN_GRID_STRIDE(e, n * D) {
    const int64_t row = idx[e / D];
    if (row != padding_idx) atomicAdd(&dw[row * D + e % D], dy[e]);
  }
}

// One thread per column d: dw[idx[i], d] += dy[i, d] for i = 0, 1, ..., n-1.
// Threads of a warp touch consecutive d, so reads and writes coalesce; the
// parallelism is only D, the price of a fixed order.
template <typename T>
__global__ void embedding_backward_ordered_kernel(T* dw, const T* __restrict__ dy,
                                                  const int64_t* __restrict__ idx, int64_t n,
                                                  int64_t D, int64_t padding_idx) {
  for (int64_t d = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; d < D;
       d += int64_t{gridDim.x} * blockDim.x) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = idx[i];
      if (row != padding_idx) dw[row * D + d] += dy[i * D + d];
    }
  }
}

__global__ void iota_kernel(int64_t* v, int64_t n) {
  GPUNN_GRID_STRIDE(i, n) { v[i] = i; }
}

// keys: the sorted indices; pos: their positions in the input, increasing within a key.
// The thread for (i, d) works only where a key's segment starts at i.
template <typename T>
__global__ void embedding_backward_segments_kernel(T* dw, const T* __restrict__ dy,
                                                   const uint64_t* __restrict__ keys,
                                                   const int64_t* __restrict__ pos, int64_t n,
                                                   int64_t D, int64_t padding_idx) {
  GPUNN_GRID_STRIDE(e, n * D) {
    const int64_t i = e / D, d = e % D;
    const uint64_t row = keys[i];
    if ((i > 0 && keys[i - 1] == row) || static_cast<int64_t>(row) == padding_idx) continue;
    T acc = dw[row * D + d];
    for (int64_t j = i; j < n && keys[j] == row; ++j) acc += dy[pos[j] * D + d];
    dw[row * D + d] = acc;
  }
}

// The deterministic backward's workspace: sorted keys, positions in and out, then CUB's
// scratch, each 256-byte aligned.
struct SortLayout {
  size_t keys = 0, pos_in = 0, pos_out = 0, temp = 0, temp_bytes = 0, total = 0;
};

int key_bits(int64_t rows) {
  int bits = 1;
  while (bits < 63 && (int64_t{1} << bits) < rows) ++bits;
  return bits;
}

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

// With base == nullptr only the layout is computed (CUB reports its scratch size).
SortLayout sort_indices(char* base, const int64_t* idx, int64_t n, int64_t rows,
                        cudaStream_t stream) {
  SortLayout l;
  const size_t array = align256(static_cast<size_t>(n) * sizeof(int64_t));
  l.keys = 0;
  l.pos_in = array;
  l.pos_out = 2 * array;
  l.temp = 3 * array;
  const auto* keys_in = reinterpret_cast<const uint64_t*>(idx);  // in range, so >= 0
  auto* keys = base ? reinterpret_cast<uint64_t*>(base + l.keys) : nullptr;
  auto* pos_in = base ? reinterpret_cast<int64_t*>(base + l.pos_in) : nullptr;
  auto* pos_out = base ? reinterpret_cast<int64_t*>(base + l.pos_out) : nullptr;
  if (base) iota_kernel<<<grid_for(n), kThreads, 0, stream>>>(pos_in, n);
  GPUNN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(base ? base + l.temp : nullptr, l.temp_bytes,
                                                   keys_in, keys, pos_in, pos_out, n, 0,
                                                   key_bits(rows), stream));
  l.total = l.temp + l.temp_bytes;
  return l;
}

template <typename T>
void embedding_backward_sorted_launch(T* dweight, const T* dy, const int64_t* idx, int64_t n,
                                      int64_t D, int64_t rows, int64_t padding_idx, void* workspace,
                                      cudaStream_t stream) {
  if (n * D == 0) return;
  char* base = static_cast<char*>(workspace);
  const SortLayout l = sort_indices(base, idx, n, rows, stream);
  embedding_backward_segments_kernel<<<grid_for(n * D), kThreads, 0, stream>>>(
      dweight, dy, reinterpret_cast<const uint64_t*>(base + l.keys),
      reinterpret_cast<const int64_t*>(base + l.pos_out), n, D, padding_idx);
}

template <typename T>
void gather_launch(T* y, const T* x, const int64_t* idx, int64_t outer, int64_t x_size,
                   int64_t y_size, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * y_size * inner;
  if (n > 0)
    gather_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, x, idx, outer, x_size, y_size, inner);
}

template <typename T>
void scatter_add_launch(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                        int64_t y_size, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * x_size * inner;
  if (n > 0)
    scatter_gather_kernel<<<grid_for(n), kThreads, 0, stream>>>(dx, dy, idx, outer, x_size, y_size,
                                                                inner);
}

template <typename T>
void embedding_forward_launch(T* y, const T* weight, const int64_t* idx, int64_t n, int64_t D,
                              cudaStream_t stream) {
  if (n * D > 0)
    embedding_forward_kernel<<<grid_for(n * D), kThreads, 0, stream>>>(y, weight, idx, n, D);
}

template <typename T>
void embedding_backward_launch(T* dweight, const T* dy, const int64_t* idx, int64_t n, int64_t D,
                               int64_t padding_idx, cudaStream_t stream) {
  if (n * D > 0)
    embedding_backward_kernel<<<grid_for(n * D), kThreads, 0, stream>>>(dweight, dy, idx, n, D,
                                                                        padding_idx);
}

template <typename T>
void embedding_backward_deterministic_launch(T* dweight, const T* dy, const int64_t* idx, int64_t n,
                                             int64_t D, int64_t padding_idx, cudaStream_t stream) {
  if (n * D > 0)
    embedding_backward_ordered_kernel<<<grid_for(D), kThreads, 0, stream>>>(dweight, dy, idx, n, D,
                                                                            padding_idx);
}

}  // namespace

template <typename T>
void gather_cuda(const GatherArgs& a, const Context& ctx) {
  gather_launch(static_cast<T*>(a.y), static_cast<const T*>(a.x), a.idx, a.outer, a.x_size,
                a.y_size, a.inner, ctx.stream);
}

template <typename T>
void scatter_add_cuda(const ScatterAddArgs& a, const Context& ctx) {
  scatter_add_launch(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), a.idx, a.outer, a.x_size,
                     a.y_size, a.inner, ctx.stream);
}

template <typename T>
void embedding_forward_cuda(const EmbeddingArgs& a, const Context& ctx) {
  embedding_forward_launch(static_cast<T*>(a.y), static_cast<const T*>(a.weight), a.idx, a.n, a.D,
                           ctx.stream);
}

template <typename T>
size_t embedding_backward_cuda_workspace(const EmbeddingBackwardArgs& a, const Context& ctx) {
  if (!ctx.settings.deterministic || a.n * a.D == 0) return 0;
  return sort_indices(nullptr, a.idx, a.n, a.rows, nullptr).total;
}

template <typename T>
void embedding_backward_cuda(const EmbeddingBackwardArgs& a, const Context& ctx) {
  if (ctx.settings.deterministic) {
    embedding_backward_sorted_launch(static_cast<T*>(a.dweight), static_cast<const T*>(a.dy), a.idx,
                                     a.n, a.D, a.rows, a.padding_idx, ctx.workspace, ctx.stream);
  } else {
    embedding_backward_launch(static_cast<T*>(a.dweight), static_cast<const T*>(a.dy), a.idx, a.n,
                              a.D, a.padding_idx, ctx.stream);
  }
}

namespace handwritten {
template <typename T>
void embedding_backward_ordered_cuda(const EmbeddingBackwardArgs& a, const Context& ctx) {
  embedding_backward_deterministic_launch(static_cast<T*>(a.dweight), static_cast<const T*>(a.dy),
                                          a.idx, a.n, a.D, a.padding_idx, ctx.stream);
}
}  // namespace handwritten

#define GPUNN_INSTANTIATE(T)                                                                  \
  template void gather_cuda<T>(const GatherArgs&, const Context&);                            \
  template void scatter_add_cuda<T>(const ScatterAddArgs&, const Context&);                   \
  template void embedding_forward_cuda<T>(const EmbeddingArgs&, const Context&);              \
  template void embedding_backward_cuda<T>(const EmbeddingBackwardArgs&, const Context&);     \
  template size_t embedding_backward_cuda_workspace<T>(const EmbeddingBackwardArgs&,          \
                                                       const Context&);                       \
  template void handwritten::embedding_backward_ordered_cuda<T>(const EmbeddingBackwardArgs&, \
                                                                const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
