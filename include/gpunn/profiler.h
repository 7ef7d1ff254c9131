// Where the time goes: a profiler of every op launch, with named ranges.
//
//   gpunn::profiler::Profiler prof;            // records from here, on every thread
//   for (...) {
//     gpunn::profiler::Range step("step");     // a named range (also an NVTX range)
//     ... forward, backward, opt.step() ...
//   }
//   prof.stop();
//   std::cout << prof.table();                 // per op and implementation: calls, times
//   prof.export_chrome_trace("trace.json");    // open in Perfetto (ui.perfetto.dev)
//
// Each op launch (every kernel the dispatcher runs: gpunn/config.h's LaunchTrace sees the
// same launches) is recorded with its name, the implementation that ran (cpu, cpu_vendor,
// cuda, cuda_vendor), its input shapes and dtype, the bytes of its outputs and workspace,
// its host time (the call, which on CUDA is the time to queue it) and, on CUDA, its device
// time, measured with a pair of CUDA events around it (read when the profiler stops). The
// library marks ranges of its own: "data" (DataLoader::next), "optimizer.step" and
// "grad_scaler.step". With CUDA, ops and ranges are also NVTX ranges while a profiler runs
// (ranges always), so `nsys profile` timelines show their names.
//
// One profiler records at a time (a second while one runs is an error). When none runs,
// the cost per launch is one relaxed atomic load.
#pragma once

#include <gpunn/config.h>
#include <gpunn/dtype.h>
#include <gpunn/export.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::profiler {

struct ProfilerOptions {
  // Time each op on the GPU with CUDA events (a pair per launch; no effect on the CPU).
  bool cuda_events = true;
  // Record each launch's input shapes and dtype.
  bool record_shapes = true;
};

// One op launch.
struct OpEvent {
  std::string op;  // "conv2d", "relu_backward", ...
  OpFamily family;
  Implementation implementation;
  int variant = 0;  // our numbered kernel that auto chose (gpunn/config.h); 0: the default
  Device device;
  std::string dtype;                // of the first input
  std::vector<std::string> shapes;  // the inputs', "[64, 1, 28, 28]" (record_shapes)
  int64_t bytes = 0;                // outputs and workspace
  int thread = 0;                   // 0, 1, ... in the order threads first recorded
  double start_us = 0;              // host, since the profiler started
  double host_us = 0;               // the call's duration on the host
  double device_start_us = -1;      // CUDA: since the profiler started (aligned roughly)
  double device_us = -1;            // CUDA: between the events around the launch; -1 else
};

// One Range.
struct RangeEvent {
  std::string name;
  int thread = 0;
  double start_us = 0, duration_us = 0;
};

class Profiler {
 public:
  explicit Profiler(ProfilerOptions options = {});
  ~Profiler();  // stops, if still running
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Stops recording (waits for the GPU to finish the recorded launches to read their
  // events). Calling it again does nothing.
  void stop();
  bool running() const;

  // What was recorded; complete after stop().
  const std::vector<OpEvent>& ops() const;
  const std::vector<RangeEvent>& ranges() const;

  // Per (op, implementation, device), sorted by total time (device time where there is
  // one, else host time): calls, total and mean host and device times, share of the whole;
  // then the ranges. `top` > 0 keeps that many op rows.
  std::string table(size_t top = 0) const;
  // Chrome's trace-event JSON (Perfetto, chrome://tracing): host ops and ranges per thread,
  // device times on one track per GPU. Written atomically; throws gpunn::Error when the file
  // cannot be written.
  void export_chrome_trace(const std::string& path) const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// A named range while alive: recorded by a running profiler (on this thread) and, in builds
// with CUDA, an NVTX range.
class Range {
 public:
  explicit Range(const char* name);
  ~Range();
  Range(const Range&) = delete;
  Range& operator=(const Range&) = delete;

 private:
  const char* name_;
  bool recording_;
  std::chrono::steady_clock::time_point start_;
};

// Whether a profiler is recording.
bool active();

}  // namespace gpunn::profiler

GPUNN_API_END
