// CUDA gather/scatter and embedding (kernels/index.h).
//
// scatter_add_dim gathers instead of scattering: one thread per destination
// element sums the y_size sources along its line whose index points at it, so
// the result is deterministic. Embedding's backward and index_add sum rows over
// arbitrary repeated indices and use atomics. Their deterministic variant sorts the
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
    compute_t<T> acc = 0;
    for (int64_t j = 0; j < y_size; ++j) {
      const int64_t at = (o * y_size + j) * inner + i;
      if (idx[at] == k) acc += static_cast<compute_t<T>>(dy[at]);
    }
    dx[e] = static_cast<T>(acc);
  }
}

template <typename T>
__global__ void embedding_forward_kernel(T* y, const T* __restrict__ w,
                                         const int64_t* __restrict__ idx, int64_t n, int64_t D) {
  GPUNN_GRID_STRIDE(e, n * D) { y[e] = w[idx[e / D] * D + e % D]; }
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
      if (row != padding_idx)
        dw[row * D + d] = static_cast<T>(static_cast<compute_t<T>>(dw[row * D + d]) +
                                         static_cast<compute_t<T>>(dy[i * D + d]));
    }
  }
}

__global__ void iota_kernel(int64_t* v, int64_t n) {
  GPUNN_GRID_STRIDE(i, n) { v[i] = i; }
}

template <typename T>
__global__ void index_select_kernel(T* y, const T* __restrict__ x, const int64_t* __restrict__ idx,
                                    int64_t outer, int64_t x_size, int64_t y_size, int64_t inner) {
  GPUNN_GRID_STRIDE(e, outer * y_size * inner) {
    const int64_t i = e % inner, j = (e / inner) % y_size, o = e / (y_size * inner);
    y[e] = x[(o * x_size + idx[j]) * inner + i];
  }
}

// dx[o, idx[j], i] += dy[o, j, i] with atomics; rows equal to `skip` (-1: none) get
// nothing. Embedding's backward is the case outer = 1, inner = D.
template <typename T>
__global__ void index_add_atomic_kernel(T* dx, const T* __restrict__ dy,
                                        const int64_t* __restrict__ idx, int64_t outer,
                                        int64_t x_size, int64_t y_size, int64_t inner,
                                        int64_t skip) {
  GPUNN_GRID_STRIDE(e, outer * y_size * inner) {
    const int64_t i = e % inner, j = (e / inner) % y_size, o = e / (y_size * inner);
    const int64_t row = idx[j];
    if (row != skip) atomicAdd(&dx[(o * x_size + row) * inner + i], dy[e]);
  }
}

// dx[o, idx[j], i] += dy[o, j, i] with the indices sorted: keys are the sorted indices
// and pos their positions, increasing within a key. The thread for (o, j, i) works only
// where a key's segment starts at j and adds the segment's dy rows in position order
// (the CPU loop's order). Rows equal to `skip` (-1: none) get nothing. Embedding's
// backward is the case outer = 1, inner = D.
template <typename T>
__global__ void index_add_segments_kernel(T* dx, const T* __restrict__ dy,
                                          const uint64_t* __restrict__ keys,
                                          const int64_t* __restrict__ pos, int64_t outer,
                                          int64_t x_size, int64_t y_size, int64_t inner,
                                          int64_t skip) {
  GPUNN_GRID_STRIDE(e, outer * y_size * inner) {
    const int64_t i = e % inner, j = (e / inner) % y_size, o = e / (y_size * inner);
    const uint64_t row = keys[j];
    if ((j > 0 && keys[j - 1] == row) || static_cast<int64_t>(row) == skip) continue;
    T* to = dx + (o * x_size + static_cast<int64_t>(row)) * inner + i;
    compute_t<T> acc = static_cast<compute_t<T>>(*to);  // float for the 16-bit dtypes
    for (int64_t k = j; k < y_size && keys[k] == row; ++k)
      acc += static_cast<compute_t<T>>(dy[(o * y_size + pos[k]) * inner + i]);
    *to = static_cast<T>(acc);
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
  // CUB's scratch for these n pairs: asked first, so the sort below is given exactly the
  // size it checks for (a zero size with a real pointer would be refused).
  GPUNN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, l.temp_bytes, keys_in, keys, pos_in,
                                                   pos_out, n, 0, key_bits(rows), stream));
  l.total = l.temp + l.temp_bytes;
  if (base) {
    iota_kernel<<<grid_for(n), kThreads, 0, stream>>>(pos_in, n);
    GPUNN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(
        base + l.temp, l.temp_bytes, keys_in, keys, pos_in, pos_out, n, 0, key_bits(rows), stream));
  }
  return l;
}

template <typename T>
void index_add_atomic_launch(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                             int64_t y_size, int64_t inner, int64_t skip, cudaStream_t stream) {
  const int64_t n = outer * y_size * inner;
  if (n == 0) return;
  index_add_atomic_kernel<<<grid_for(n), kThreads, 0, stream>>>(dx, dy, idx, outer, x_size, y_size,
                                                                inner, skip);
}

template <typename T>
void index_add_sorted_launch(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                             int64_t y_size, int64_t inner, int64_t skip, void* workspace,
                             cudaStream_t stream) {
  const int64_t n = outer * y_size * inner;
  if (n == 0) return;
  char* base = static_cast<char*>(workspace);
  const SortLayout l = sort_indices(base, idx, y_size, x_size, stream);
  index_add_segments_kernel<<<grid_for(n), kThreads, 0, stream>>>(
      dx, dy, reinterpret_cast<const uint64_t*>(base + l.keys),
      reinterpret_cast<const int64_t*>(base + l.pos_out), outer, x_size, y_size, inner, skip);
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
void index_select_cuda(const IndexSelectArgs& a, const Context& ctx) {
  const int64_t n = a.outer * a.y_size * a.inner;
  if (n == 0) return;
  index_select_kernel<<<grid_for(n), kThreads, 0, ctx.stream>>>(
      static_cast<T*>(a.y), static_cast<const T*>(a.x), a.idx, a.outer, a.x_size, a.y_size,
      a.inner);
}

// The 16-bit dtypes always take the sorted sums: each row's gradients are added in float
// and stored once (16-bit atomics would round after every addition).
template <typename T>
bool sorted_sums(const Context& ctx) {
  return ctx.settings.deterministic || sizeof(T) == 2;
}

// dx[o, idx[j], i] += dy[o, j, i] (rows equal to `skip` get nothing), by the sorted sums or by
// atomics, as sorted_sums says; index_add's and embedding's backward alike.
template <typename T>
void index_add_launch(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                      int64_t y_size, int64_t inner, int64_t skip, const Context& ctx) {
  if (sorted_sums<T>(ctx)) {
    index_add_sorted_launch(dx, dy, idx, outer, x_size, y_size, inner, skip, ctx.workspace,
                            ctx.stream);
  } else if constexpr (sizeof(T) > 2) {  // no 16-bit atomics are instantiated
    index_add_atomic_launch(dx, dy, idx, outer, x_size, y_size, inner, skip, ctx.stream);
  }
}

template <typename T>
size_t index_add_cuda_workspace(const IndexAddArgs& a, const Context& ctx) {
  if (!sorted_sums<T>(ctx) || a.outer * a.y_size * a.inner == 0) return 0;
  return sort_indices(nullptr, a.idx, a.y_size, a.x_size, nullptr).total;
}

template <typename T>
void index_add_cuda(const IndexAddArgs& a, const Context& ctx) {
  index_add_launch(static_cast<T*>(a.dx), static_cast<const T*>(a.dy), a.idx, a.outer, a.x_size,
                   a.y_size, a.inner, -1, ctx);
}

template <typename T>
size_t embedding_backward_cuda_workspace(const EmbeddingBackwardArgs& a, const Context& ctx) {
  if (!sorted_sums<T>(ctx) || a.n * a.D == 0) return 0;
  return sort_indices(nullptr, a.idx, a.n, a.rows, nullptr).total;
}

template <typename T>
void embedding_backward_cuda(const EmbeddingBackwardArgs& a, const Context& ctx) {
  index_add_launch(static_cast<T*>(a.dweight), static_cast<const T*>(a.dy), a.idx, 1, a.rows, a.n,
                   a.D, a.padding_idx, ctx);
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
                                                                const Context&);              \
  template void index_add_cuda<T>(const IndexAddArgs&, const Context&);                       \
  template size_t index_add_cuda_workspace<T>(const IndexAddArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE
template void index_select_cuda<float>(const IndexSelectArgs&, const Context&);
template void index_select_cuda<double>(const IndexSelectArgs&, const Context&);
template void index_select_cuda<int64_t>(const IndexSelectArgs&, const Context&);
template void index_select_cuda<BFloat16>(const IndexSelectArgs&, const Context&);
template void index_select_cuda<Half>(const IndexSelectArgs&, const Context&);

}  // namespace gpunn::kernels
