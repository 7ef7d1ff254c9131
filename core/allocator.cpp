// Host allocation with statistics, and storage for new tensors.
#include "core/allocator.h"

#include <gpunn/error.h>
#include <gpunn/memory.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "core/tensor_impl.h"

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

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  GPUNN_CHECK(device.is_cpu(), "allocate: device ", device.str(),
              " is not available (this build of gpunn has no CUDA backend yet)");
  void* p = cpu_allocate(nbytes);
  return std::make_shared<Storage>(p, nbytes, device,
                                   [nbytes](void* ptr) { cpu_free(ptr, nbytes); });
}

MemoryStats memory_stats(Device device) {
  GPUNN_CHECK(device.is_cpu(), "memory_stats: device ", device.str(), " is not available");
  CpuStats& s = cpu_stats();
  return {s.allocated.load(), s.peak.load(), s.count.load()};
}

void reset_peak_memory_stats(Device device) {
  GPUNN_CHECK(device.is_cpu(), "reset_peak_memory_stats: device ", device.str(),
              " is not available");
  CpuStats& s = cpu_stats();
  s.peak.store(s.allocated.load());
}

}  // namespace gpunn
