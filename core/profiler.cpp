// The profiler (gpunn/profiler.h) and its hooks in launch() (core/profiler_hooks.h).
//
// Launches on any thread append to the running profiler's state under its mutex (only
// while one runs; otherwise the hooks cost one relaxed atomic load). CUDA launches carry
// a pair of events recorded on the device's stream around the kernel entry; stop() waits
// for the last of them and converts them to device times, placed on the host's time axis
// through a reference event recorded when the profiler first saw the device.
#include <gpunn/profiler.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include "core/io/atomic_file.h"
#include "core/io/json.h"
#include "core/profiler_hooks.h"

#if GPUNN_WITH_CUDA
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include "core/cuda/context.h"
#endif

namespace gpunn::profiler {

using Clock = std::chrono::steady_clock;

namespace {

std::atomic<bool> g_active{false};

// Small thread numbers, in the order threads first record something.
int thread_number() {
  static std::atomic<int> next{0};
  thread_local const int n = next.fetch_add(1);
  return n;
}

std::string shape_text(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

#if GPUNN_WITH_CUDA
// An op's CUDA events and the device's reference event for the time axis.
struct CudaMark {
  cudaEvent_t start = nullptr, stop = nullptr;
  int device = -1;
};
#endif

struct Profiler::State {
  ProfilerOptions options;
  Clock::time_point t0;
  bool running = true;
  std::mutex mutex;
  std::vector<OpEvent> ops;
  std::vector<RangeEvent> ranges;
#if GPUNN_WITH_CUDA
  std::vector<CudaMark> marks;  // parallel to ops (empty marks on the CPU)
  // Per device: the event recorded when the profiler first saw it, and its host time.
  std::map<int, std::pair<cudaEvent_t, double>> references;
#endif

  double since_start_us(Clock::time_point t) const {
    return std::chrono::duration<double, std::micro>(t - t0).count();
  }
};

namespace {
// The running profiler's state (valid while g_active).
Profiler::State* g_state = nullptr;
std::mutex g_state_mutex;  // guards g_state's lifetime against concurrent hooks
}  // namespace

bool active() { return g_active.load(std::memory_order_relaxed); }

// ---- hooks (core/profiler_hooks.h) ----

namespace detail {

struct Pending::Impl {
  Clock::time_point start;
  int thread = 0;
#if GPUNN_WITH_CUDA
  CudaMark mark;
  bool nvtx = false;
#endif
};

Pending::Pending(Device device) : impl_(std::make_unique<Impl>()) {
  impl_->thread = thread_number();
#if GPUNN_WITH_CUDA
  if (device.is_cuda()) {
    const cuda::DeviceGuard guard(device.index);  // events belong to the current device
    bool events = false;
    {
      std::lock_guard lock(g_state_mutex);
      events = g_state && g_state->options.cuda_events;
      if (events && !g_state->references.count(device.index)) {
        cudaEvent_t ref = nullptr;
        if (cudaEventCreate(&ref) == cudaSuccess &&
            cudaEventRecord(ref, cuda::device_stream(device.index)) == cudaSuccess) {
          g_state->references[device.index] = {ref, g_state->since_start_us(Clock::now())};
        }
      }
    }
    if (events && cudaEventCreate(&impl_->mark.start) == cudaSuccess &&
        cudaEventCreate(&impl_->mark.stop) == cudaSuccess) {
      impl_->mark.device = device.index;
      cudaEventRecord(impl_->mark.start, cuda::device_stream(device.index));
    }
  }
#else
  (void)device;
#endif
  impl_->start = Clock::now();
}

Pending::~Pending() {
  if (!impl_) return;
#if GPUNN_WITH_CUDA
  // Not finished (the kernel threw): nothing recorded.
  if (impl_->mark.start) cudaEventDestroy(impl_->mark.start);
  if (impl_->mark.stop) cudaEventDestroy(impl_->mark.stop);
  if (impl_->nvtx) nvtxRangePop();
#endif
}

void Pending::nvtx_push(const char* op) {
#if GPUNN_WITH_CUDA
  nvtxRangePushA(op);
  impl_->nvtx = true;
#else
  (void)op;
#endif
}

void Pending::finish(const char* op, OpFamily family, Implementation impl, int variant,
                     Device device, std::initializer_list<const Tensor*> inputs,
                     std::initializer_list<const Tensor*> outputs, size_t workspace_bytes) {
  const Clock::time_point end = Clock::now();
#if GPUNN_WITH_CUDA
  if (impl_->mark.stop) cudaEventRecord(impl_->mark.stop, cuda::device_stream(device.index));
  if (impl_->nvtx) {
    nvtxRangePop();
    impl_->nvtx = false;
  }
#endif
  OpEvent e;
  e.op = op;
  e.family = family;
  e.implementation = impl;
  e.variant = variant;
  e.device = device;
  e.thread = impl_->thread;
  e.bytes = static_cast<int64_t>(workspace_bytes);
  for (const Tensor* t : outputs)
    if (t && t->defined()) e.bytes += t->numel() * static_cast<int64_t>(dtype_size(t->dtype()));
  std::lock_guard lock(g_state_mutex);
  if (!g_state) return;  // stopped meanwhile
  for (const Tensor* t : inputs) {
    if (!t || !t->defined()) continue;
    if (e.dtype.empty()) e.dtype = dtype_name(t->dtype());
    if (g_state->options.record_shapes) e.shapes.push_back(shape_text(t->shape()));
  }
  e.start_us = g_state->since_start_us(impl_->start);
  e.host_us = std::chrono::duration<double, std::micro>(end - impl_->start).count();
  std::lock_guard state_lock(g_state->mutex);
  g_state->ops.push_back(std::move(e));
#if GPUNN_WITH_CUDA
  g_state->marks.push_back(impl_->mark);
  impl_->mark = {};  // the state owns the events now
#endif
}

}  // namespace detail

// ---- Range ----

Range::Range(const char* name) : name_(name), recording_(active()), start_(Clock::now()) {
#if GPUNN_WITH_CUDA
  nvtxRangePushA(name);
#endif
}

Range::~Range() {
#if GPUNN_WITH_CUDA
  nvtxRangePop();
#endif
  if (!recording_) return;
  const Clock::time_point end = Clock::now();
  std::lock_guard lock(g_state_mutex);
  if (!g_state) return;
  RangeEvent r{name_, thread_number(), g_state->since_start_us(start_),
               std::chrono::duration<double, std::micro>(end - start_).count()};
  std::lock_guard state_lock(g_state->mutex);
  g_state->ranges.push_back(std::move(r));
}

// ---- Profiler ----

Profiler::Profiler(ProfilerOptions options) : state_(std::make_unique<State>()) {
  state_->options = options;
  state_->t0 = Clock::now();
  std::lock_guard lock(g_state_mutex);
  GPUNN_CHECK(g_state == nullptr,
              "profiler::Profiler: another profiler is recording; stop it first (one records "
              "at a time)");
  g_state = state_.get();
  g_active.store(true, std::memory_order_relaxed);
}

Profiler::~Profiler() {
  try {
    stop();
  } catch (...) {  // a destructor does not throw; stop() only fails on a broken device
  }
}

bool Profiler::running() const { return state_->running; }

void Profiler::stop() {
  if (!state_->running) return;
  {
    std::lock_guard lock(g_state_mutex);
    g_active.store(false, std::memory_order_relaxed);
    g_state = nullptr;
  }
  state_->running = false;
#if GPUNN_WITH_CUDA
  State& s = *state_;
  for (size_t i = 0; i < s.ops.size(); ++i) {
    CudaMark& m = s.marks[i];
    if (!m.start) continue;
    float ms = 0;
    if (m.stop && cudaEventSynchronize(m.stop) == cudaSuccess &&
        cudaEventElapsedTime(&ms, m.start, m.stop) == cudaSuccess) {
      s.ops[i].device_us = 1000.0 * ms;
      const auto ref = s.references.find(m.device);
      float since = 0;
      if (ref != s.references.end() &&
          cudaEventElapsedTime(&since, ref->second.first, m.start) == cudaSuccess) {
        s.ops[i].device_start_us = ref->second.second + 1000.0 * since;
      }
    }
    cudaEventDestroy(m.start);
    if (m.stop) cudaEventDestroy(m.stop);
    m = {};
  }
  for (auto& [device, ref] : s.references) cudaEventDestroy(ref.first);
  s.references.clear();
#endif
}

const std::vector<OpEvent>& Profiler::ops() const { return state_->ops; }
const std::vector<RangeEvent>& Profiler::ranges() const { return state_->ranges; }

std::string Profiler::table(size_t top) const {
  struct Row {
    std::string op, impl, device;
    int64_t calls = 0;
    double host = 0, dev = 0;
    bool has_device = false;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Row> rows;
  double host_total = 0, device_total = 0;
  for (const OpEvent& e : state_->ops) {
    const std::string impl = implementation_name(e.implementation, e.variant), dev = e.device.str();
    Row& r = rows[{e.op, impl, dev}];
    r.op = e.op, r.impl = impl, r.device = dev;
    ++r.calls;
    r.host += e.host_us;
    host_total += e.host_us;
    if (e.device_us >= 0) {
      r.dev += e.device_us;
      r.has_device = true;
      device_total += e.device_us;
    }
  }
  std::vector<Row> sorted;
  for (auto& [key, r] : rows) sorted.push_back(r);
  std::sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) {
    const double ka = a.has_device ? a.dev : a.host, kb = b.has_device ? b.dev : b.host;
    return ka != kb ? ka > kb : a.op < b.op;
  });
  if (top > 0 && sorted.size() > top) sorted.resize(top);

  size_t op_width = 4;  // "op" and two spaces at least
  bool any_device = false;
  for (const Row& r : sorted) {
    op_width = std::max(op_width, r.op.size() + 2);
    any_device = any_device || r.has_device;
  }
  std::ostringstream os;
  os << std::fixed;
  auto ms = [](double us) { return us / 1000.0; };
  os << std::left << std::setw(static_cast<int>(op_width)) << "op" << std::setw(13) << "impl"
     << std::setw(8) << "device" << std::right << std::setw(8) << "calls" << std::setw(11)
     << "host ms" << std::setw(15) << "host us/call" << std::setw(8) << "host %";
  if (any_device)
    os << std::setw(12) << "device ms" << std::setw(17) << "device us/call" << std::setw(10)
       << "device %";
  os << "\n";
  for (const Row& r : sorted) {
    os << std::left << std::setw(static_cast<int>(op_width)) << r.op << std::setw(13) << r.impl
       << std::setw(8) << r.device << std::right << std::setw(8) << r.calls << std::setw(11)
       << std::setprecision(3) << ms(r.host) << std::setw(15) << std::setprecision(1)
       << r.host / r.calls << std::setw(8) << (host_total > 0 ? 100.0 * r.host / host_total : 0.0);
    if (r.has_device) {
      os << std::setw(12) << std::setprecision(3) << ms(r.dev) << std::setw(17)
         << std::setprecision(1) << r.dev / r.calls << std::setw(10)
         << (device_total > 0 ? 100.0 * r.dev / device_total : 0.0);
    } else if (any_device) {
      os << std::setw(12) << "-" << std::setw(17) << "-" << std::setw(10) << "-";
    }
    os << "\n";
  }
  os << std::setprecision(3) << "total: " << state_->ops.size() << " launches, host "
     << ms(host_total) << " ms";
  if (device_total > 0) os << ", device " << ms(device_total) << " ms";
  os << "\n";
  if (!state_->ranges.empty()) {
    std::map<std::string, std::pair<int64_t, double>> by_name;
    for (const RangeEvent& r : state_->ranges) {
      auto& [calls, total] = by_name[r.name];
      ++calls;
      total += r.duration_us;
    }
    os << "\n"
       << std::left << std::setw(30) << "range" << std::right << std::setw(8) << "calls"
       << std::setw(12) << "total ms" << std::setw(12) << "us/call"
       << "\n";
    for (const auto& [name, v] : by_name) {
      os << std::left << std::setw(30) << name << std::right << std::setw(8) << v.first
         << std::setw(12) << std::setprecision(3) << ms(v.second) << std::setw(12)
         << std::setprecision(1) << v.second / v.first << "\n";
    }
  }
  return os.str();
}

void Profiler::export_chrome_trace(const std::string& path) const {
  // pid 0: the host, one tid per thread; pid 1 + d: CUDA device d.
  std::ostringstream os;
  os << std::setprecision(3) << std::fixed;
  os << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
  os << "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, \"args\": {\"name\": \"host\"}}";
  std::map<int, bool> devices;
  for (const OpEvent& e : state_->ops) {
    os << ",\n{\"name\": " << json::quote(e.op) << ", \"cat\": \"op\", \"ph\": \"X\", \"pid\": 0"
       << ", \"tid\": " << e.thread << ", \"ts\": " << e.start_us << ", \"dur\": " << e.host_us
       << ", \"args\": {\"implementation\": \"" << implementation_name(e.implementation, e.variant)
       << "\", \"device\": " << json::quote(e.device.str())
       << ", \"dtype\": " << json::quote(e.dtype) << ", \"bytes\": " << e.bytes
       << ", \"shapes\": [";
    for (size_t i = 0; i < e.shapes.size(); ++i) os << (i ? ", " : "") << json::quote(e.shapes[i]);
    os << "]}}";
    if (e.device_start_us >= 0) {
      devices[e.device.index] = true;
      os << ",\n{\"name\": " << json::quote(e.op) << ", \"cat\": \"kernel\", \"ph\": \"X\""
         << ", \"pid\": " << 1 + e.device.index << ", \"tid\": 0, \"ts\": " << e.device_start_us
         << ", \"dur\": " << e.device_us << ", \"args\": {\"implementation\": \""
         << implementation_name(e.implementation, e.variant) << "\"}}";
    }
  }
  for (const auto& [d, unused] : devices) {
    os << ",\n{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": " << 1 + d
       << ", \"args\": {\"name\": \"cuda:" << d << "\"}}";
  }
  for (const RangeEvent& r : state_->ranges) {
    os << ",\n{\"name\": " << json::quote(r.name) << ", \"cat\": \"range\", \"ph\": \"X\""
       << ", \"pid\": 0, \"tid\": " << r.thread << ", \"ts\": " << r.start_us
       << ", \"dur\": " << r.duration_us << "}";
  }
  os << "\n]}\n";
  const std::string text = os.str();
  io::write_file_atomically(path, {{text.data(), text.size()}});
}

}  // namespace gpunn::profiler
