// What the CUDA runtime says about this machine, and what this build contains.
// Compiled in every build; the CUDA parts only with GPUNN_WITH_CUDA.
#include <gpunn/config.h>
#include <gpunn/cuda.h>
#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/version.h>

#include <sstream>

#if GPUNN_WITH_CUDA
#include <cuda_runtime.h>

#include "core/cuda/context.h"
#include "kernels/base/cuda_check.h"
#include "kernels/base/handles.h"
#include "kernels/base/table.h"
#endif
#include "core/allocator.h"
#include "core/cuda/runtime.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
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

namespace {

// Throws unless `device` names a usable device.
void check_device(const char* op, int device) {
#if GPUNN_WITH_CUDA
  const char* why = " (the CUDA runtime found none, or no driver)";
#else
  const char* why = " (this build of gpunn has no CUDA backend)";
#endif
  const int n = device_count();
  GPUNN_CHECK(n > 0, op, ": no CUDA device is usable", why);
  GPUNN_CHECK(device >= 0 && device < n, op, ": device cuda:", device, " does not exist (", n,
              " device", n == 1 ? "" : "s", ")");
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out;
}

}  // namespace

DeviceProperties device_properties(int device) {
  check_device("device_properties", device);
  DeviceProperties p;
  p.index = device;
#if GPUNN_WITH_CUDA
  cudaDeviceProp prop{};
  GPUNN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  p.name = prop.name;
  p.compute_capability_major = prop.major;
  p.compute_capability_minor = prop.minor;
  p.multiprocessors = prop.multiProcessorCount;
  p.total_memory_bytes = static_cast<int64_t>(prop.totalGlobalMem);
  p.shared_memory_per_block_bytes = static_cast<int64_t>(prop.sharedMemPerBlockOptin);
  p.l2_cache_bytes = prop.l2CacheSize;
  GPUNN_CUDA_CHECK(cudaDeviceGetAttribute(&p.clock_khz, cudaDevAttrClockRate, device));
  GPUNN_CUDA_CHECK(
      cudaDeviceGetAttribute(&p.memory_bus_width_bits, cudaDevAttrGlobalMemoryBusWidth, device));
  {
    DeviceGuard guard(device);
    size_t free_b = 0, total_b = 0;
    GPUNN_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
    p.free_memory_bytes = static_cast<int64_t>(free_b);
  }
  GPUNN_CUDA_CHECK(cudaDriverGetVersion(&p.driver_version));
  GPUNN_CUDA_CHECK(cudaRuntimeGetVersion(&p.runtime_version));
  p.cublas_version = kernels::cublas_version();
  p.cudnn_version = kernels::cudnn_version();
#endif
  return p;
}

std::string devices_json() {
  std::ostringstream os;
  os << "{\"devices\": [";
  const int n = device_count();
  for (int i = 0; i < n; ++i) {
    const DeviceProperties p = device_properties(i);
    os << (i ? ", " : "") << "{\"index\": " << p.index << ", \"name\": \"" << json_escape(p.name)
       << "\", \"compute_capability\": \"" << p.compute_capability_major << "."
       << p.compute_capability_minor << "\", \"multiprocessors\": " << p.multiprocessors
       << ", \"total_memory_bytes\": " << p.total_memory_bytes
       << ", \"free_memory_bytes\": " << p.free_memory_bytes
       << ", \"shared_memory_per_block_bytes\": " << p.shared_memory_per_block_bytes
       << ", \"l2_cache_bytes\": " << p.l2_cache_bytes << ", \"clock_khz\": " << p.clock_khz
       << ", \"memory_bus_width_bits\": " << p.memory_bus_width_bits
       << ", \"driver_version\": " << p.driver_version
       << ", \"runtime_version\": " << p.runtime_version
       << ", \"cublas_version\": " << p.cublas_version << ", \"cudnn_version\": " << p.cudnn_version
       << "}";
  }
  os << "]}";
  return os.str();
}

void* stream(int device) {
  check_device("stream", device);
#if GPUNN_WITH_CUDA
  return device_stream(device);
#else
  return nullptr;
#endif
}

Timer::Timer(Device device) : device_(device) {
  if (!device_.is_cuda()) return;
  check_device("Timer", device_.index);
#if GPUNN_WITH_CUDA
  DeviceGuard guard(device_.index);
  cudaEvent_t a = nullptr, b = nullptr;
  GPUNN_CUDA_CHECK(cudaEventCreate(&a));
  start_ = a;
  GPUNN_CUDA_CHECK(cudaEventCreate(&b));
  stop_ = b;
#endif
}

Timer::~Timer() {
#if GPUNN_WITH_CUDA
  if (start_) (void)cudaEventDestroy(static_cast<cudaEvent_t>(start_));
  if (stop_) (void)cudaEventDestroy(static_cast<cudaEvent_t>(stop_));
#endif
}

void Timer::start() {
#if GPUNN_WITH_CUDA
  if (device_.is_cuda()) {
    GPUNN_CUDA_CHECK(
        cudaEventRecord(static_cast<cudaEvent_t>(start_), device_stream(device_.index)));
    return;
  }
#endif
  t0_ = std::chrono::steady_clock::now();
}

double Timer::stop_ms() {
#if GPUNN_WITH_CUDA
  if (device_.is_cuda()) {
    const auto b = static_cast<cudaEvent_t>(stop_);
    GPUNN_CUDA_CHECK(cudaEventRecord(b, device_stream(device_.index)));
    GPUNN_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    GPUNN_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start_), b));
    return ms;
  }
#endif
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
}

kernels::Context kernel_context([[maybe_unused]] int device, [[maybe_unused]] unsigned libraries) {
#if GPUNN_WITH_CUDA
  kernels::Context ctx;
  ctx.device = device;
  ctx.stream = device_stream(device);
  if (libraries & kernels::kCublas) ctx.cublas = kernels::cublas_handle(device, ctx.stream);
  if (libraries & kernels::kCudnn) ctx.cudnn = kernels::cudnn_handle(device, ctx.stream);
  return ctx;
#else
  check_device("launch", device);  // throws: no CUDA backend in this build
  return {};
#endif
}

void check_launch([[maybe_unused]] const char* op) {
#if GPUNN_WITH_CUDA
  kernels::detail::check_launch(op, __FILE__, __LINE__);
#endif
}

bool stream_is_capturing([[maybe_unused]] int device) {
#if GPUNN_WITH_CUDA
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  GPUNN_CUDA_CHECK(cudaStreamIsCapturing(device_stream(device), &status));
  return status != cudaStreamCaptureStatusNone;
#else
  return false;
#endif
}

void synchronize(int device) {
  if (device < 0) {
    for (int i = 0; i < device_count(); ++i) synchronize(i);
    return;
  }
  check_device("synchronize", device);
#if GPUNN_WITH_CUDA
  GPUNN_CUDA_CHECK(cudaStreamSynchronize(device_stream(device)));
#endif
}

}  // namespace cuda

void copy_between_devices([[maybe_unused]] void* dst, Device dst_device,
                          [[maybe_unused]] const void* src, Device src_device,
                          [[maybe_unused]] size_t nbytes) {
#if GPUNN_WITH_CUDA
  if (src_device.is_cpu()) {
    cuda::copy_host_to_device(dst, src, nbytes, dst_device.index);
  } else if (dst_device.is_cpu()) {
    cuda::copy_device_to_host(dst, src, nbytes, src_device.index);
  } else {
    cuda::copy_device_to_device(dst, dst_device.index, src, src_device.index, nbytes);
  }
#else
  GPUNN_ASSERT(false, "copy from ", src_device.str(), " to ", dst_device.str(),
               " in a build without CUDA");
#endif
}

bool cpu_vendor_available() {
#if GPUNN_WITH_ONEDNN
  return true;
#else
  return false;
#endif
}

std::string build_info() {
  std::ostringstream os;
  os << "version: " << GPUNN_VERSION_STRING << "\n";
#if defined(__clang__)
  os << "compiler: clang " << __clang_major__ << "." << __clang_minor__ << "\n";
#elif defined(__GNUC__)
  os << "compiler: gcc " << __GNUC__ << "." << __GNUC_MINOR__ << "\n";
#endif
  os << "c++ standard: " << __cplusplus << "\n";
#if GPUNN_WITH_ONEDNN
  os << "onednn: compiled in (" << kernels::onednn_description() << ")\n";
#else
  os << "onednn: not compiled in\n";
#endif
#if GPUNN_WITH_CUDA
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  os << "cuda: compiled in (runtime " << runtime / 1000 << "." << (runtime % 1000) / 10
     << "), devices usable now: " << cuda::device_count() << "\n";
#else
  os << "cuda: not compiled in\n";
#endif
#if GPUNN_WITH_CUDNN
  const int v = kernels::cudnn_version();
  os << "cudnn: compiled in (" << v / 10000 << "." << (v % 10000) / 100 << "." << v % 100 << ")\n";
#else
  os << "cudnn: not compiled in\n";
#endif
  // Which path bfloat16 and float16 take (docs/precision.md).
#if GPUNN_WITH_ONEDNN
  if (kernels::onednn_native_bf16()) {
    os << "bf16 on the cpu: GEMM, convolution and pooling through oneDNN's bfloat16 primitives "
          "(the CPU has bfloat16 instructions); f16 on the cpu: GEMM and convolution through "
          "oneDNN on float32 copies; the rest of both in the reference loops (float32 arithmetic, "
          "one "
          "rounding per output)\n";
  } else {
    os << "bf16/f16 on the cpu: GEMM and convolution through oneDNN on float32 copies (oneDNN "
          "sees no bfloat16 instructions), the rest in the reference loops (float32 arithmetic, "
          "one rounding per output)\n";
  }
#else
  os << "bf16/f16 on the cpu: the reference loops (float32 arithmetic, one rounding per output)\n";
#endif
#if GPUNN_WITH_CUDA
  os << "bf16/f16 on cuda: our kernels (tensor-core GEMM on sm_80 and newer) and "
        "cuBLAS/cuDNN with float32 accumulation\n";
#endif
#if GPUNN_WITH_ZLIB
  os << "zlib: compiled in (" << zlibVersion() << "), data readers take .gz files\n";
#else
  os << "zlib: not compiled in, data readers take uncompressed files only\n";
#endif
  return os.str();
}

}  // namespace gpunn
