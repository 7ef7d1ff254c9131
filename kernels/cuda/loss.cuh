// CUDA loss kernels: the same meaning as kernels/loss.h, queued on `stream`.
// Targets must already be validated (in range or ignore_index).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace gpunn::kernels {

template <typename T>
void nll_forward_cuda(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                      int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                      cudaStream_t stream);
template <typename T>
void nll_backward_cuda(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                       int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                       cudaStream_t stream);
template <typename T>
void multi_margin_forward_cuda(T* loss, const T* x, const int64_t* target, const T* weight,
                               int64_t N, int64_t C, int p, double margin, double divisor,
                               cudaStream_t stream);
template <typename T>
void multi_margin_backward_cuda(T* dx, const T* dloss, const T* x, const int64_t* target,
                                const T* weight, int64_t N, int64_t C, int p, double margin,
                                double divisor, cudaStream_t stream);
template <typename T>
void bce_logits_forward_cuda(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                             int64_t C, cudaStream_t stream);
template <typename T>
void bce_logits_backward_cuda(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pos_weight,
                              int64_t n, int64_t C, cudaStream_t stream);

}  // namespace gpunn::kernels
