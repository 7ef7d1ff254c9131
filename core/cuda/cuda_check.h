// Checking CUDA runtime calls and kernel launches. Private to libgpunn; only in
// CUDA builds.
//
//   GPUNN_CUDA_CHECK(cudaMemcpyAsync(...));   // throws gpunn::Error naming the
//                                             // statement, file:line, device and error
//   my_kernel<<<grid, block, 0, stream>>>(...);
//   GPUNN_CUDA_CHECK_LAUNCH("relu");          // a launch error names the op
//
// cudaErrorMemoryAllocation becomes gpunn::OutOfMemoryError.
#pragma once

#include <cuda_runtime.h>

namespace gpunn::cuda::detail {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line);
void check_launch(const char* op, const char* file, int line);

}  // namespace gpunn::cuda::detail

#define GPUNN_CUDA_CHECK(stmt)                                                             \
  do {                                                                                     \
    const cudaError_t gpunn_cuda_err_ = (stmt);                                            \
    if (gpunn_cuda_err_ != cudaSuccess)                                                    \
      ::gpunn::cuda::detail::throw_cuda_error(gpunn_cuda_err_, #stmt, __FILE__, __LINE__); \
  } while (0)

#define GPUNN_CUDA_CHECK_LAUNCH(op) ::gpunn::cuda::detail::check_launch(op, __FILE__, __LINE__)
