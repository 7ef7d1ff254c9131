// cuBLAS and cuDNN: per-device handles and checked calls. CUDA builds only (cuDNN with
// GPUNN_WITH_CUDNN).
//
// One handle per library and device, created on first use and bound to the stream it
// was first asked for: gpunn runs every op of a device on that device's one stream
// (core/cuda/context.h), and core's launch() hands the handle to the kernel entry in its
// Context. Vendor code takes handles from the Context only.
//
//   GPUNN_CUBLAS_CHECK(cublasSgemm(...));  // names the call, file:line, device, status
//   GPUNN_CUDNN_CHECK(cudnnSoftmaxForward(...));
#pragma once

#include <cublas_v2.h>

#include "kernels/base/context.h"

namespace gpunn::kernels {

cublasHandle_t cublas_handle(int device, CUstream_st* stream);
// Throws gpunn::InternalError in a build without cuDNN (no entry asks for it there).
cudnnContext* cudnn_handle(int device, CUstream_st* stream);

// major·10000 + minor·100 + patch of the cuBLAS loaded (0 when it cannot say); cuDNN's
// version as cudnnGetVersion() reports it (0 in a build without cuDNN).
int cublas_version();
int cudnn_version();

namespace detail {
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* what, const char* file,
                                     int line);
// `status` is a cudnnStatus_t.
[[noreturn]] void throw_cudnn_error(int status, const char* what, const char* file, int line);
}  // namespace detail

}  // namespace gpunn::kernels

#define GPUNN_CUBLAS_CHECK(stmt)                                                          \
  do {                                                                                    \
    const cublasStatus_t gpunn_cublas_status_ = (stmt);                                   \
    if (gpunn_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                    \
      ::gpunn::kernels::detail::throw_cublas_error(gpunn_cublas_status_, #stmt, __FILE__, \
                                                   __LINE__);                             \
  } while (0)

// For cuDNN calls; the caller includes <cudnn.h>.
#define GPUNN_CUDNN_CHECK(stmt)                                                                 \
  do {                                                                                          \
    const cudnnStatus_t gpunn_cudnn_status_ = (stmt);                                           \
    if (gpunn_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                            \
      ::gpunn::kernels::detail::throw_cudnn_error(static_cast<int>(gpunn_cudnn_status_), #stmt, \
                                                  __FILE__, __LINE__);                          \
  } while (0)
