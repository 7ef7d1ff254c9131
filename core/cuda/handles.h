// cuBLAS (and, with cuDNN, cuDNN) handles: one per device, created on first
// use and bound to the device's stream. Private to libgpunn; CUDA builds only.
//
//   GPUNN_CUBLAS_CHECK(cublasSgemm(...));  // names the call, file:line, device, status
#pragma once

#include <cublas_v2.h>
#if GPUNN_WITH_CUDNN
#include <cudnn.h>
#endif

namespace gpunn::cuda {

cublasHandle_t cublas_handle(int device);
#if GPUNN_WITH_CUDNN
cudnnHandle_t cudnn_handle(int device);
#endif

namespace detail {
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* what, const char* file,
                                     int line);
#if GPUNN_WITH_CUDNN
[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* what, const char* file,
                                    int line);
#endif
}  // namespace detail

}  // namespace gpunn::cuda

#define GPUNN_CUBLAS_CHECK(stmt)                                                                  \
  do {                                                                                            \
    const cublasStatus_t gpunn_cublas_status_ = (stmt);                                           \
    if (gpunn_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                            \
      ::gpunn::cuda::detail::throw_cublas_error(gpunn_cublas_status_, #stmt, __FILE__, __LINE__); \
  } while (0)

#define GPUNN_CUDNN_CHECK(stmt)                                                                 \
  do {                                                                                          \
    const cudnnStatus_t gpunn_cudnn_status_ = (stmt);                                           \
    if (gpunn_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                            \
      ::gpunn::cuda::detail::throw_cudnn_error(gpunn_cudnn_status_, #stmt, __FILE__, __LINE__); \
  } while (0)
