// Host allocation with statistics, and storage for new tensors.
#include "core/allocator.h"

#include <gpunn/error.h>
#include <gpunn/memory.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "core/tensor_impl.h"

#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#endif
#include <gpunn/cuda.h>

namespace gpunn {
namespace {

constexpr size_t kAlignment = 64;  // a cache line; enough for any SIMD load

struct CpuStats {
  std::atomic<int64_t> allocated{0};
  std::atomic<int64_t> peak{0};
  std::atomic<int64_t> count{0};
};

CpuStats& cpu_stats() {
  static CpuStats stats;
  return stats;
}

}  // namespace

void* cpu_allocate(size_t nbytes) {
  // Round up: aligned_alloc needs a multiple of the alignment; 0 bytes still
  // gets a unique pointer so that every storage owns something.
  const size_t padded = std::max(kAlignment, (nbytes + kAlignment - 1) / kAlignment * kAlignment);
  if (padded < nbytes) {  // the rounding overflowed
    throw OutOfMemoryError(detail::concat("cpu allocator: cannot allocate ", nbytes, " bytes"));
  }
  void* p = std::aligned_alloc(kAlignment, padded);
  if (p == nullptr) {
    CpuStats& s = cpu_stats();
    throw OutOfMemoryError(detail::concat("cpu allocator: out of memory allocating ", nbytes,
                                          " bytes (", s.allocated.load(),
                                          " bytes held by gpunn tensors)"));
  }
  CpuStats& s = cpu_stats();
  const int64_t now =
      s.allocated.fetch_add(static_cast<int64_t>(nbytes)) + static_cast<int64_t>(nbytes);
  int64_t peak = s.peak.load();
  while (now > peak && !s.peak.compare_exchange_weak(peak, now)) {
  }
  s.count.fetch_add(1);
  return p;
}

void cpu_free(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  std::free(ptr);
  cpu_stats().allocated.fetch_sub(static_cast<int64_t>(nbytes));
}

namespace {
void check_cuda_device(const char* op, Device device);
}  // namespace

void check_device_available(const char* op, Device device) {
  if (device.is_cuda()) check_cuda_device(op, device);
}

namespace {

void check_cuda_device(const char* op, Device device) {
#if GPUNN_WITH_CUDA
  const char* why = ")";
#else
  const char* why = "; this build of gpunn has no CUDA backend)";
#endif
  const int n = cuda::device_count();
  GPUNN_CHECK(device.index >= 0 && device.index < n, op, ": device ", device.str(),
              " is not available (", n, " CUDA device", n == 1 ? "" : "s", " usable", why);
}

}  // namespace

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  if (device.is_cuda()) {
    check_cuda_device("allocate", device);
#if GPUNN_WITH_CUDA
    cuda::CachingAllocator& a = cuda::allocator(device.index);
    void* p = a.allocate(nbytes);
    return std::make_shared<Storage>(p, nbytes, device, [&a](void* ptr) { a.free(ptr); });
#endif
  }
  void* p = cpu_allocate(nbytes);
  return std::make_shared<Storage>(p, nbytes, device,
                                   [nbytes](void* ptr) { cpu_free(ptr, nbytes); });
}

MemoryStats memory_stats(Device device) {
  if (device.is_cuda()) {
    check_cuda_device("memory_stats", device);
#if GPUNN_WITH_CUDA
    const cuda::CacheStats c = cuda::allocator(device.index).stats();
    MemoryStats m;
    m.allocated_bytes = c.allocated_bytes;
    m.peak_allocated_bytes = c.peak_allocated_bytes;
    m.num_allocations = c.num_allocations;
    m.reserved_bytes = c.reserved_bytes;
    m.peak_reserved_bytes = c.peak_reserved_bytes;
    m.num_device_allocations = c.num_device_allocations;
    m.num_device_frees = c.num_device_frees;
    return m;
#endif
  }
  CpuStats& s = cpu_stats();
  MemoryStats m;
  m.allocated_bytes = m.reserved_bytes = s.allocated.load();
  m.peak_allocated_bytes = m.peak_reserved_bytes = s.peak.load();
  m.num_allocations = s.count.load();
  return m;
}

void reset_peak_memory_stats(Device device) {
  if (device.is_cuda()) {
    check_cuda_device("reset_peak_memory_stats", device);
#if GPUNN_WITH_CUDA
    cuda::allocator(device.index).reset_peak_stats();
    return;
#endif
  }
  CpuStats& s = cpu_stats();
  s.peak.store(s.allocated.load());
}

}  // namespace gpunn
