// Per-device cuBLAS and cuDNN handles (kernels/base/handles.h). CUDA builds only.
#include "kernels/base/handles.h"

#include <gpunn/error.h>

#include <array>
#include <mutex>
#include <string>

#include "kernels/base/cuda_check.h"
#if GPUNN_WITH_CUDNN
#include <cudnn.h>
#endif

namespace gpunn::kernels {
namespace {

constexpr int kMaxDevices = 64;

template <typename Handle>
struct Slot {
  std::once_flag once;
  Handle handle = nullptr;
};

template <typename Handle>
Slot<Handle>& slot(const char* library, int device) {
  // Never destroyed, like the streams they are bound to.
  static auto* slots = new std::array<Slot<Handle>, kMaxDevices>();
  GPUNN_CHECK(device >= 0 && device < kMaxDevices, library, ": device index ", device,
              " out of range");
  return (*slots)[static_cast<size_t>(device)];
}

int current_device_or_minus_one() {
  int device = -1;
  (void)cudaGetDevice(&device);
  return device;
}

}  // namespace

namespace detail {

void throw_cublas_error(cublasStatus_t status, const char* what, const char* file, int line) {
  const std::string msg = gpunn::detail::concat(
      "cuBLAS error ", cublasGetStatusName(status), " (", cublasGetStatusString(status), ") in `",
      what, "` at ", file, ":", line, " on cuda:", current_device_or_minus_one());
  if (status == CUBLAS_STATUS_ALLOC_FAILED) throw OutOfMemoryError(msg);
  throw Error(msg);
}

void throw_cudnn_error([[maybe_unused]] int status, const char* what, const char* file, int line) {
#if GPUNN_WITH_CUDNN
  const auto s = static_cast<cudnnStatus_t>(status);
  const std::string msg =
      gpunn::detail::concat("cuDNN error ", cudnnGetErrorString(s), " in `", what, "` at ", file,
                            ":", line, " on cuda:", current_device_or_minus_one());
  if (s == CUDNN_STATUS_ALLOC_FAILED) throw OutOfMemoryError(msg);
  throw Error(msg);
#else
  GPUNN_ASSERT(false, "cuDNN error reported by ", what, " at ", file, ":", line,
               " in a build without cuDNN");
#endif
}

}  // namespace detail

cublasHandle_t cublas_handle(int device, CUstream_st* stream) {
  auto& s = slot<cublasHandle_t>("cublas", device);
  std::call_once(s.once, [&] {
    DeviceGuard guard(device);
    GPUNN_CUBLAS_CHECK(cublasCreate(&s.handle));
    GPUNN_CUBLAS_CHECK(cublasSetStream(s.handle, stream));
    // Note [cuBLAS and determinism]: cuBLAS gives bitwise identical results
    // run to run on one GPU model and toolkit when a single stream is active
    // and its atomics mode is off. gpunn binds the handle to the device's one
    // stream and states the atomics mode (off, cuBLAS's default) rather than
    // rely on the default, so both modes of gpunn::deterministic() hold.
    GPUNN_CUBLAS_CHECK(cublasSetAtomicsMode(s.handle, CUBLAS_ATOMICS_NOT_ALLOWED));
  });
  return s.handle;
}

cudnnContext* cudnn_handle([[maybe_unused]] int device, [[maybe_unused]] CUstream_st* stream) {
#if GPUNN_WITH_CUDNN
  auto& s = slot<cudnnHandle_t>("cudnn", device);
  std::call_once(s.once, [&] {
    DeviceGuard guard(device);
    GPUNN_CUDNN_CHECK(cudnnCreate(&s.handle));
    GPUNN_CUDNN_CHECK(cudnnSetStream(s.handle, stream));
  });
  return s.handle;
#else
  GPUNN_ASSERT(false, "a kernel entry asked for cuDNN in a build without it");
#endif
}

int cublas_version() {
  int major = 0, minor = 0, patch = 0;
  if (cublasGetProperty(MAJOR_VERSION, &major) != CUBLAS_STATUS_SUCCESS ||
      cublasGetProperty(MINOR_VERSION, &minor) != CUBLAS_STATUS_SUCCESS ||
      cublasGetProperty(PATCH_LEVEL, &patch) != CUBLAS_STATUS_SUCCESS) {
    return 0;
  }
  return major * 10000 + minor * 100 + patch;
}

int cudnn_version() {
#if GPUNN_WITH_CUDNN
  return static_cast<int>(cudnnGetVersion());
#else
  return 0;
#endif
}

}  // namespace gpunn::kernels
