// CUDA batch norm, LRN and LSTM cell: the same meaning as kernels/norm.h,
// queued on `stream`. Batch norm's backward and JVP take `sums`, a scratch
// buffer of 2·C doubles from the caller.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/norm.h"

namespace gpunn::kernels {

template <typename T>
void batch_norm_stats_cuda(T* mean, T* invstd, T* var_unbiased, const T* x, NormShape s, double eps,
                           cudaStream_t stream);
template <typename T>
void batch_norm_forward_cuda(T* y, const T* x, const T* mean, const T* invstd, const T* w,
                             const T* b, NormShape s, cudaStream_t stream);
template <typename T>
void batch_norm_backward_cuda(T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean,
                              const T* invstd, const T* w, NormShape s, bool training, double* sums,
                              cudaStream_t stream);
template <typename T>
void batch_norm_jvp_cuda(T* t, const T* tx, const T* tw, const T* tb, const T* x, const T* mean,
                         const T* invstd, const T* w, NormShape s, bool training, double* sums,
                         cudaStream_t stream);
template <typename T>
void lrn_forward_cuda(T* y, T* scale, const T* x, NormShape s, int64_t size, double alpha,
                      double beta, double k, cudaStream_t stream);
template <typename T>
void lrn_backward_cuda(T* dx, const T* dy, const T* x, const T* scale, NormShape s, int64_t size,
                       double alpha, double beta, cudaStream_t stream);
template <typename T>
void lrn_jvp_cuda(T* t, const T* tx, const T* x, const T* scale, NormShape s, int64_t size,
                  double alpha, double beta, cudaStream_t stream);
template <typename T>
void lstm_cell_forward_cuda(T* out, const T* gates, const T* c_prev, int64_t N, int64_t H,
                            cudaStream_t stream);
template <typename T>
void lstm_cell_backward_cuda(T* dgates, T* dc_prev, const T* dout, const T* gates, const T* c_prev,
                             int64_t N, int64_t H, cudaStream_t stream);
template <typename T>
void lstm_cell_jvp_cuda(T* tout, const T* tgates, const T* tc_prev, const T* gates, const T* c_prev,
                        int64_t N, int64_t H, cudaStream_t stream);

}  // namespace gpunn::kernels
