// CUDA 2-D convolution: the same meaning as kernels/conv.h, queued on `stream`.
//
// Our path lowers convolution to GEMM per image: im2col gathers the input
// patches into `col` ([C·R·S, P·Q] per image), our GEMM multiplies by the
// filters per group, and col2im gathers patch gradients back to the image.
// `col` is a caller-provided workspace of conv2d_col_elements(s) elements.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/conv.h"

namespace gpunn::kernels {

// Workspace elements the *_cuda functions below need: one image's columns.
int64_t conv2d_col_elements(const Conv2dShape& s);

template <typename T>
void conv2d_forward_cuda(T* y, const T* x, const T* w, const T* b, const Conv2dShape& s, T* col,
                         cudaStream_t stream);
template <typename T>
void conv2d_backward_data_cuda(T* dx, const T* dy, const T* w, const Conv2dShape& s, T* col,
                               cudaStream_t stream);
template <typename T>
void conv2d_backward_weight_cuda(T* dw, const T* dy, const T* x, const Conv2dShape& s, T* col,
                                 cudaStream_t stream);
template <typename T>
void conv2d_backward_bias_cuda(T* db, const T* dy, const Conv2dShape& s, cudaStream_t stream);

}  // namespace gpunn::kernels
