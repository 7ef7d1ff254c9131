// The CUDA devices gpunn sees: properties, synchronization, the memory cache, the
// stream gpunn's ops run on and a timer. Every function works in every build: without
// CUDA (or without a usable GPU) device_count() is 0 and the others raise gpunn::Error
// saying so (the Timer times the CPU).
#pragma once

#include <gpunn/config.h>
#include <gpunn/dtype.h>
#include <gpunn/export.h>

#include <chrono>
#include <cstdint>
#include <string>

GPUNN_API_BEGIN

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

// The stream gpunn queues all work of `device` on, as a cudaStream_t (cast it), for
// CUDA code of one's own that must be ordered with gpunn's ops. Created on first use.
void* stream(int device = 0);

// Times the work queued on a device between start() and stop_ms(): CUDA events on the
// device's stream for a CUDA device (the time the GPU spent between them), the steady
// clock for the CPU. stop_ms() waits for the work queued before it.
//   cuda::Timer t(x.device());  t.start();  y = conv2d(x, w);  double ms = t.stop_ms();
class Timer {
 public:
  explicit Timer(Device device = kCPU);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start();
  // Milliseconds since start().
  double stop_ms();

 private:
  Device device_;
  [[maybe_unused]] void* start_ = nullptr;  // cudaEvent_t (builds with CUDA)
  [[maybe_unused]] void* stop_ = nullptr;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace gpunn::cuda

GPUNN_API_END
