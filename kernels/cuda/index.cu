// CUDA gather/scatter and embedding (kernels/index.h).
//
// scatter_add_dim gathers instead of scattering: one thread per destination
// element sums the y_size sources along its line whose index points at it, so
// the result is deterministic. Embedding's backward sums rows over arbitrary
// repeated indices and uses atomics; its deterministic variant gives each
// thread one column and walks the indices in order, which is the order of the
// CPU loop, so its result equals the CPU's bit for bit.
#include "kernels/cuda/launch.cuh"
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
void embedding_backward_cuda(const EmbeddingBackwardArgs& a, const Context& ctx) {
  auto* launch = ctx.settings.deterministic ? &embedding_backward_deterministic_launch<T>
                                            : &embedding_backward_launch<T>;
  launch(static_cast<T*>(a.dweight), static_cast<const T*>(a.dy), a.idx, a.n, a.D, a.padding_idx,
         ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                                     \
  template void gather_cuda<T>(const GatherArgs&, const Context&);               \
  template void scatter_add_cuda<T>(const ScatterAddArgs&, const Context&);      \
  template void embedding_forward_cuda<T>(const EmbeddingArgs&, const Context&); \
  template void embedding_backward_cuda<T>(const EmbeddingBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
