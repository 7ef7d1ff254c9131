// Per-device library handles (core/cuda/handles.h).
#include "core/cuda/handles.h"

#include <gpunn/error.h>

#include <array>
#include <mutex>

#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"

namespace gpunn::cuda {

namespace detail {

void throw_cublas_error(cublasStatus_t status, const char* what, const char* file, int line) {
  int device = -1;
  (void)cudaGetDevice(&device);
  const std::string msg = gpunn::detail::concat("cuBLAS error ", cublasGetStatusName(status), " (",
                                                cublasGetStatusString(status), ") in `", what,
                                                "` at ", file, ":", line, " on cuda:", device);
  if (status == CUBLAS_STATUS_ALLOC_FAILED) throw OutOfMemoryError(msg);
  throw Error(msg);
}

#if GPUNN_WITH_CUDNN
void throw_cudnn_error(cudnnStatus_t status, const char* what, const char* file, int line) {
  int device = -1;
  (void)cudaGetDevice(&device);
  const std::string msg =
      gpunn::detail::concat("cuDNN error ", cudnnGetErrorString(status), " in `", what, "` at ",
                            file, ":", line, " on cuda:", device);
  if (status == CUDNN_STATUS_ALLOC_FAILED) throw OutOfMemoryError(msg);
  throw Error(msg);
}
#endif

}  // namespace detail

cublasHandle_t cublas_handle(int device) {
  constexpr int kMaxDevices = 64;
  struct Slot {
    std::once_flag once;
    cublasHandle_t handle = nullptr;
  };
  // Never destroyed, like the streams they are bound to.
  static auto* slots = new std::array<Slot, kMaxDevices>();
  GPUNN_CHECK(device >= 0 && device < kMaxDevices, "cublas: device index ", device,
              " out of range");
  Slot& s = (*slots)[static_cast<size_t>(device)];
  std::call_once(s.once, [&] {
    DeviceGuard guard(device);
    GPUNN_CUBLAS_CHECK(cublasCreate(&s.handle));
    GPUNN_CUBLAS_CHECK(cublasSetStream(s.handle, stream(device)));
    // Note [cuBLAS and determinism]: cuBLAS gives bitwise identical results
    // run to run on one GPU model and toolkit when a single stream is active
    // and its atomics mode is off. gpunn binds the handle to the device's one
    // stream and states the atomics mode (off, cuBLAS's default) rather than
    // rely on the default, so both modes of gpunn::deterministic() hold.
    GPUNN_CUBLAS_CHECK(cublasSetAtomicsMode(s.handle, CUBLAS_ATOMICS_NOT_ALLOWED));
  });
  return s.handle;
}

#if GPUNN_WITH_CUDNN
cudnnHandle_t cudnn_handle(int device) {
  constexpr int kMaxDevices = 64;
  struct Slot {
    std::once_flag once;
    cudnnHandle_t handle = nullptr;
  };
  static auto* slots = new std::array<Slot, kMaxDevices>();
  GPUNN_CHECK(device >= 0 && device < kMaxDevices, "cudnn: device index ", device, " out of range");
  Slot& s = (*slots)[static_cast<size_t>(device)];
  std::call_once(s.once, [&] {
    DeviceGuard guard(device);
    GPUNN_CUDNN_CHECK(cudnnCreate(&s.handle));
    GPUNN_CUDNN_CHECK(cudnnSetStream(s.handle, stream(device)));
  });
  return s.handle;
}
#endif

}  // namespace gpunn::cuda
