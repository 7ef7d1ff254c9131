// What the CUDA runtime says about this machine, and what this build contains.
// Compiled in every build; the CUDA parts only with GPUNN_WITH_CUDA.
#include <gpunn/config.h>
#include <gpunn/version.h>

#include <sstream>

#if GPUNN_WITH_CUDA
#include <cuda_runtime.h>
#endif
#if GPUNN_WITH_CUDNN
#include <cudnn.h>
#endif
#if GPUNN_WITH_ZLIB
#include <zlib.h>
#endif

namespace gpunn {
namespace cuda {

int device_count() {
#if GPUNN_WITH_CUDA
  int count = 0;
  // Without a driver this returns cudaErrorInsufficientDriver (or another error),
  // not cudaErrorNoDevice: any error means "no usable GPU".
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky error for later calls
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

bool is_available() { return device_count() > 0; }

}  // namespace cuda

std::string build_info() {
  std::ostringstream os;
  os << "version: " << GPUNN_VERSION_STRING << "\n";
#if defined(__clang__)
  os << "compiler: clang " << __clang_major__ << "." << __clang_minor__ << "\n";
#elif defined(__GNUC__)
  os << "compiler: gcc " << __GNUC__ << "." << __GNUC_MINOR__ << "\n";
#endif
  os << "c++ standard: " << __cplusplus << "\n";
#if GPUNN_WITH_CUDA
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  os << "cuda: compiled in (runtime " << runtime / 1000 << "." << (runtime % 1000) / 10
     << "), devices usable now: " << cuda::device_count() << "\n";
#else
  os << "cuda: not compiled in\n";
#endif
#if GPUNN_WITH_CUDNN
  const size_t v = cudnnGetVersion();
  os << "cudnn: compiled in (" << v / 10000 << "." << (v % 10000) / 100 << "." << v % 100 << ")\n";
#else
  os << "cudnn: not compiled in\n";
#endif
#if GPUNN_WITH_ZLIB
  os << "zlib: compiled in (" << zlibVersion() << "), data readers take .gz files\n";
#else
  os << "zlib: not compiled in, data readers take uncompressed files only\n";
#endif
  return os.str();
}

}  // namespace gpunn
