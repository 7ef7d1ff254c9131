// The CUDA devices gpunn sees: properties, synchronization, the memory cache.
// Every function works in every build: without CUDA (or without a usable GPU)
// device_count() is 0 and the others raise gpunn::Error saying so.
#pragma once

#include <gpunn/config.h>

#include <cstdint>
#include <string>

namespace gpunn::cuda {

struct DeviceProperties {
  int index = 0;
  std::string name;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int multiprocessors = 0;
  int64_t total_memory_bytes = 0;
  int64_t free_memory_bytes = 0;
  int64_t shared_memory_per_block_bytes = 0;  // opt-in maximum
  int64_t l2_cache_bytes = 0;
  int clock_khz = 0;
  int memory_bus_width_bits = 0;
  int driver_version = 0;   // e.g. 13000 for 13.0
  int runtime_version = 0;  // the CUDA runtime gpunn runs with
  int cublas_version = 0;   // major·10000 + minor·100 + patch; 0 when not built in
  int cudnn_version = 0;    // as cudnnGetVersion() reports; 0 when not built in
};

DeviceProperties device_properties(int device = 0);

// One JSON object describing every device (an empty list without CUDA).
std::string devices_json();

// Waits for all of gpunn's work on `device` (-1: every device).
void synchronize(int device = -1);

// Returns the device memory cached by gpunn's allocator to the driver (-1: all
// devices; a no-op for devices never used).
void empty_cache(int device = -1);

}  // namespace gpunn::cuda
