// Index kernels: gather/scatter along one dim, embedding lookup.
//
// x is viewed as [outer, x_size, inner]; y and idx as [outer, y_size, inner].
#pragma once

#include <cstdint>

namespace gpunn::kernels {

// y[o, j, i] = x[o, idx[o, j, i], i]
template <typename T>
void gather_dim_cpu(T* y, const T* x, const int64_t* idx, int64_t outer, int64_t x_size,
                    int64_t y_size, int64_t inner);

// dx[o, idx[o, j, i], i] += dy[o, j, i]   (dx is not cleared first)
template <typename T>
void scatter_add_dim_cpu(T* dx, const T* dy, const int64_t* idx, int64_t outer, int64_t x_size,
                         int64_t y_size, int64_t inner);

// y[i, :] = weight[idx[i], :] for i < n, rows of D.
template <typename T>
void embedding_forward_cpu(T* y, const T* weight, const int64_t* idx, int64_t n, int64_t D);

// dweight[idx[i], :] += dy[i, :], skipping idx[i] == padding_idx (-1: none).
template <typename T>
void embedding_backward_cpu(T* dweight, const T* dy, const int64_t* idx, int64_t n, int64_t D,
                            int64_t padding_idx);

}  // namespace gpunn::kernels
