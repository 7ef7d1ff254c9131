// CUDA gather/scatter and embedding: the same meaning as kernels/index.h,
// queued on `stream`. Indices must already be validated.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void gather_dim_cuda(T* y, const T* x, const int64_t* idx, int64_t outer, int64_t x_size,
                     int64_t y_size, int64_t inner, cudaStream_t stream);
// dx is written whole (zero where no index points), not accumulated into.
template <typename T>
void scatter_add_dim_cuda(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                          int64_t y_size, int64_t inner, cudaStream_t stream);
template <typename T>
void embedding_forward_cuda(T* y, const T* weight, const int64_t* idx, int64_t n, int64_t D,
                            cudaStream_t stream);
// dweight must be zeroed by the caller; rows are accumulated with atomic adds,
// so the order of the additions (and the last bits of float sums over repeated
// indices) may vary between runs.
template <typename T>
void embedding_backward_cuda(T* dweight, const T* dy, const int64_t* idx, int64_t n, int64_t D,
                             int64_t padding_idx, cudaStream_t stream);
// The same sums without atomics, in index order (gpunn::deterministic()):
// bitwise equal to embedding_backward_cpu, with D-way parallelism only.
template <typename T>
void embedding_backward_deterministic_cuda(T* dweight, const T* dy, const int64_t* idx, int64_t n,
                                           int64_t D, int64_t padding_idx, cudaStream_t stream);

}  // namespace gpunn::kernels
