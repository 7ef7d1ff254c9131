// Per-device CUDA state (core/cuda/context.h). Only in CUDA builds.
#include "core/cuda/context.h"

#include <gpunn/error.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "core/environment.h"

namespace gpunn::cuda {

namespace {

constexpr int kMaxDevices = 64;

class CudaDeviceMemory final : public DeviceMemory {
 public:
  explicit CudaDeviceMemory(int device) : device_(device) {}
  void* allocate(size_t nbytes) override {
    DeviceGuard guard(device_);
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, nbytes);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      return nullptr;
    }
    GPUNN_CUDA_CHECK(err);
    return p;
  }
  void deallocate(void* ptr) override {
    DeviceGuard guard(device_);
    // cudaFree synchronizes the device: all queued work using the block is done.
    GPUNN_CUDA_CHECK(cudaFree(ptr));
  }
  void mem_info(size_t* free_bytes, size_t* total_bytes) override {
    DeviceGuard guard(device_);
    if (cudaMemGetInfo(free_bytes, total_bytes) != cudaSuccess) {
      (void)cudaGetLastError();
      *free_bytes = *total_bytes = 0;
    }
  }
  std::string name() const override { return "cuda:" + std::to_string(device_); }

 private:
  int device_;
};

struct PerDevice {
  std::once_flag stream_once, allocator_once;
  cudaStream_t stream = nullptr;
  std::unique_ptr<CachingAllocator> allocator;
  // Pinned staging for host-to-device copies, reused once its last copy is done.
  std::mutex staging_mu;
  void* staging = nullptr;
  size_t staging_size = 0;
  cudaEvent_t staging_done = nullptr;
};

PerDevice& per_device(int device) {
  // Never destroyed: tensors freed during static destruction still find their
  // allocator, and nothing calls into a CUDA runtime that is shutting down.
  static auto* all = new std::array<PerDevice, kMaxDevices>();
  GPUNN_CHECK(device >= 0 && device < kMaxDevices, "cuda: device index ", device, " out of range");
  return (*all)[static_cast<size_t>(device)];
}

bool caching_disabled() { return env::flag("GPUNN_CUDA_NO_CACHE", false); }

}  // namespace

int current_device() {
  int d = 0;
  GPUNN_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

cudaStream_t device_stream(int device) {
  PerDevice& d = per_device(device);
  std::call_once(d.stream_once, [&] {
    DeviceGuard guard(device);
    GPUNN_CUDA_CHECK(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking));
  });
  return d.stream;
}

CachingAllocator& allocator(int device) {
  PerDevice& d = per_device(device);
  std::call_once(d.allocator_once, [&] {
    d.allocator = std::make_unique<CachingAllocator>(std::make_unique<CudaDeviceMemory>(device),
                                                     !caching_disabled());
    d.allocator->set_limit(static_cast<size_t>(env::memory_limit_bytes()));
  });
  return *d.allocator;
}

void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device) {
  if (nbytes == 0) return;
  PerDevice& d = per_device(device);
  cudaStream_t s = device_stream(device);
  DeviceGuard guard(device);
  std::lock_guard<std::mutex> lock(d.staging_mu);
  if (d.staging_done) GPUNN_CUDA_CHECK(cudaEventSynchronize(d.staging_done));
  if (d.staging_size < nbytes) {
    if (d.staging) GPUNN_CUDA_CHECK(cudaFreeHost(d.staging));
    d.staging = nullptr;
    d.staging_size = 0;
    GPUNN_CUDA_CHECK(cudaMallocHost(&d.staging, nbytes));
    d.staging_size = nbytes;
  }
  if (!d.staging_done) {
    GPUNN_CUDA_CHECK(cudaEventCreateWithFlags(&d.staging_done, cudaEventDisableTiming));
  }
  std::memcpy(d.staging, src, nbytes);
  GPUNN_CUDA_CHECK(cudaMemcpyAsync(dst, d.staging, nbytes, cudaMemcpyHostToDevice, s));
  GPUNN_CUDA_CHECK(cudaEventRecord(d.staging_done, s));
}

void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device) {
  if (nbytes == 0) return;
  cudaStream_t s = device_stream(device);
  DeviceGuard guard(device);
  GPUNN_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, s));
  GPUNN_CUDA_CHECK(cudaStreamSynchronize(s));
}

void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device,
                           size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_device == src_device) {
    DeviceGuard guard(dst_device);
    GPUNN_CUDA_CHECK(
        cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, device_stream(dst_device)));
    return;
  }
  // Across devices: order after the source's queued work, then copy on the
  // destination's stream.
  DeviceGuard guard(src_device);
  GPUNN_CUDA_CHECK(cudaStreamSynchronize(device_stream(src_device)));
  GPUNN_CUDA_CHECK(
      cudaMemcpyPeerAsync(dst, dst_device, src, src_device, nbytes, device_stream(dst_device)));
}

}  // namespace gpunn::cuda
