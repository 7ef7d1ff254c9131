// Fused CUDA optimizer updates: one kernel per step and parameter, the same
// meaning as kernels/optim.h, queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/optim.h"

namespace gpunn::kernels {

template <typename T>
void sgd_step_cuda(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdParams& p,
                   cudaStream_t stream);
template <typename T>
void adam_step_cuda(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq,
                    int64_t n, const AdamParams& p, cudaStream_t stream);
template <typename T>
void rmsprop_step_cuda(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer,
                       int64_t n, const RmspropParams& p, cudaStream_t stream);

}  // namespace gpunn::kernels
