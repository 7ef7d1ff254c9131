// Checking CUDA runtime calls and kernel launches. CUDA builds only.
//
//   GPUNN_CUDA_CHECK(cudaMemcpyAsync(...));   // throws gpunn::Error naming the
//                                             // statement, file:line, device and error
//   my_kernel<<<grid, block, 0, stream>>>(...);
//   GPUNN_CUDA_CHECK_LAUNCH("relu");          // a launch error names the op
//
// core's launch() checks every CUDA entry's launches once, after it returns; kernels
// check their own only where a later step depends on it (several launches whose
// failure would otherwise be reported against the wrong op).
// cudaErrorMemoryAllocation becomes gpunn::OutOfMemoryError.
#pragma once

#include <cuda_runtime.h>

namespace gpunn::kernels {

// Makes `device` current for the scope and restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
};

}  // namespace gpunn::kernels

namespace gpunn::kernels::detail {

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line);
void check_launch(const char* op, const char* file, int line);

}  // namespace gpunn::kernels::detail

#define GPUNN_CUDA_CHECK(stmt)                                                                \
  do {                                                                                        \
    const cudaError_t gpunn_cuda_err_ = (stmt);                                               \
    if (gpunn_cuda_err_ != cudaSuccess)                                                       \
      ::gpunn::kernels::detail::throw_cuda_error(gpunn_cuda_err_, #stmt, __FILE__, __LINE__); \
  } while (0)

#define GPUNN_CUDA_CHECK_LAUNCH(op) ::gpunn::kernels::detail::check_launch(op, __FILE__, __LINE__)
