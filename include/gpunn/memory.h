// Memory statistics per device.
#pragma once

#include <gpunn/dtype.h>
#include <gpunn/export.h>

#include <cstdint>

GPUNN_API_BEGIN

namespace gpunn {

struct MemoryStats {
  int64_t allocated_bytes = 0;       // held by live tensors now
  int64_t peak_allocated_bytes = 0;  // the most held at once since the last reset
  int64_t num_allocations = 0;       // allocations served since start
  // CUDA devices (the caching allocator); for the CPU, equal to the above / 0.
  int64_t reserved_bytes = 0;  // obtained from the driver, cached or in use
  int64_t peak_reserved_bytes = 0;
  int64_t num_device_allocations = 0;  // cudaMalloc calls since start
  int64_t num_device_frees = 0;        // cudaFree calls since start
};

MemoryStats memory_stats(Device device = kCPU);
void reset_peak_memory_stats(Device device = kCPU);

// Freed host blocks of 256 KiB and more are kept (up to 1 GiB) for reuse by the
// next request of the same size, so a training loop does not fault in fresh
// pages every step. They do not count in allocated_bytes; empty_cache() gives
// them back to the system.
void empty_cache(Device device = kCPU);

}  // namespace gpunn

GPUNN_API_END
