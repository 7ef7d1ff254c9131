// CUDA error reporting (kernels/base/cuda_check.h). CUDA builds only.
#include "kernels/base/cuda_check.h"

#include <gpunn/error.h>

#include <string>

namespace gpunn::kernels {

DeviceGuard::DeviceGuard(int device) : previous_(0) {
  GPUNN_CUDA_CHECK(cudaGetDevice(&previous_));
  if (device != previous_) GPUNN_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous_) (void)cudaSetDevice(previous_);
}

}  // namespace gpunn::kernels

namespace gpunn::kernels::detail {

void throw_cuda_error(cudaError_t err, const char* what, const char* file, int line) {
  (void)cudaGetLastError();  // clear a non-sticky error so later calls work
  int device = -1;
  (void)cudaGetDevice(&device);
  const std::string msg =
      gpunn::detail::concat("CUDA error ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
                            ") in `", what, "` at ", file, ":", line, " on cuda:", device);
  if (err == cudaErrorMemoryAllocation) throw OutOfMemoryError(msg);
  throw Error(msg);
}

void check_launch(const char* op, const char* file, int line) {
  const cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) return;
  int device = -1;
  (void)cudaGetDevice(&device);
  throw Error(gpunn::detail::concat(op, ": CUDA kernel launch failed: ", cudaGetErrorName(err),
                                    " (", cudaGetErrorString(err), ") at ", file, ":", line,
                                    " on cuda:", device));
}

}  // namespace gpunn::kernels::detail
