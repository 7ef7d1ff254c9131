// CUDA elementwise kernels: the same meaning as the *_cpu functions in
// kernels/elementwise.h (formulas shared through kernels/elementwise_math.h),
// queued on `stream`.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/elementwise.h"

namespace gpunn::kernels {

template <typename T>
void unary_forward_cuda(UnaryOp op, T* y, const T* x, int64_t n, double a, double b,
                        cudaStream_t stream);
template <typename T>
void unary_backward_cuda(UnaryOp op, T* dx, const T* dy, const T* x, const T* y, int64_t n,
                         double a, double b, cudaStream_t stream);
template <typename T>
void binary_forward_cuda(BinaryOp op, T* z, const T* a, const T* b, const StridedPair& ix,
                         int64_t n, cudaStream_t stream);
template <typename T>
void binary_backward_cuda(BinaryOp op, T* da, T* db, const T* dz, const T* a, const T* b,
                          const T* z, const StridedPair& ix, int64_t n, cudaStream_t stream);

}  // namespace gpunn::kernels
