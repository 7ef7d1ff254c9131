// Running an op's kernel: core's side of the seam (docs/design.md). Private to libgpunn.
//
// Each op family declares, in kernels/<family>.h, an argument struct per pass and an
// OpTable of implementations per dtype (kernels/base/table.h); kernels/rows.cpp fills
// them. An op file checks its arguments, allocates its outputs, fills the args and calls
//
//   launch(kernels::softmax_forward, x.device(), args, {&x}, {&y});
//
// launch() chooses the entry (below), builds the kernel's Context (stream, library
// handles, the settings of gpunn/config.h), takes the workspace the entry asks for from
// the device's allocator, runs it, checks its CUDA launches once, records it in an
// active LaunchTrace and a running profiler (gpunn/profiler.h) and, in anomaly mode, checks
// the outputs (Note [where anomaly mode
// looks] in core/autograd/anomaly.h), which is why every launch names its tensors.
//
// Choice: on the CPU the cpu/cpu_vendor entries, on CUDA cuda/cuda_vendor. On `auto`, a
// table with a tuning_key measures its candidates once per key (tuned(), below; gpunn/
// config.h's set_tuning says when). Otherwise `custom`
// tries ours first, `vendor` and `auto` the vendor's first; an entry whose supported()
// refuses the args is skipped, and the other one serves (`vendor` on an op without a
// vendor implementation runs ours, as gpunn/config.h documents). No entry at all is an
// error naming the op, the dtype and the device.
#pragma once

#include <gpunn/config.h>
#include <gpunn/cuda.h>
#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/memory.h>
#include <gpunn/tensor.h>

#include <algorithm>
#include <exception>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/profiler_hooks.h"
#include "core/tuning.h"
#include "kernels/base/table.h"

namespace gpunn {

template <typename T>
struct TypeTag {
  using type = T;
};

template <typename F>
decltype(auto) dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      return f(TypeTag<double>{});
    case DType::Int64:
      return f(TypeTag<int64_t>{});
    case DType::BFloat16:
      return f(TypeTag<BFloat16>{});
    case DType::Float16:
      return f(TypeTag<Half>{});
  }
  GPUNN_ASSERT(false, "unknown dtype");
}

// What launch() ran: the implementation, and the reserve it left for a later pass
// (undefined unless the entry asked for one; kernels/base/table.h).
struct Launched {
  Implementation implementation;
  Tensor reserve;
};

namespace dispatch_detail {

// The non-template half of launch(): one chosen entry's context, workspace and checks.
class KernelRun {
 public:
  // `variant`: the entry's numbered kernel (Context::variant; 0: its own choice). A `trial`
  // run is one of auto's measurements: neither traced nor profiled nor checked by anomaly
  // mode (the real run that follows is).
  KernelRun(const char* op, OpFamily family, Device device, Implementation impl, unsigned libraries,
            int variant = 0, bool trial = false);
  KernelRun(const KernelRun&) = delete;
  KernelRun& operator=(const KernelRun&) = delete;

  const kernels::Context& context() const { return ctx_; }
  // A workspace of `bytes` from the device's allocator, alive until this run ends.
  void workspace(size_t bytes);
  // A reserve of `bytes` that outlives the run (taken by take_reserve()).
  void reserve(size_t bytes);
  Tensor take_reserve() { return std::move(reserve_); }
  // After the entry returned: the launch check, the trace, the profiler, anomaly mode.
  void finish(std::initializer_list<const Tensor*> inputs,
              std::initializer_list<const Tensor*> outputs);
  // After a trial run: the launch check only.
  void check_trial();

 private:
  const char* op_;
  OpFamily family_;
  Device device_;
  Implementation impl_;
  int variant_;
  kernels::Context ctx_;
  Tensor workspace_, reserve_;
  std::optional<profiler::detail::Pending> profile_;  // while a profiler records
};

[[noreturn]] void throw_no_implementation(const char* op, DType dtype, Device device);

// ---- auto by measurement (gpunn/config.h: set_tuning; core/tuning.h) ----

// The settings of gpunn/config.h as kernels see them.
kernels::Settings current_settings();
// Whether auto measures on `device` (tuning on; a GPU, or the CPU in tests).
bool tuning_applies(Device device);
// Whether the device's stream is being captured into a CUDA graph: trial runs, which
// synchronize, cannot run then; kept choices still apply.
bool capturing(Device device);
template <typename Args>
struct Candidate {
  const kernels::Kernel<Args>* kernel = nullptr;
  Implementation implementation = Implementation::Cpu;
  int variant = 0;
};

// One untimed run (library set-up, algorithm search, first-call costs), then up to three
// timed ones; the fastest, in microseconds. Stops after one timed run slower than 4x
// `best_so_far`.
template <typename Args>
double time_candidate(const Candidate<Args>& c, const char* op, OpFamily family, Device device,
                      const Args& args, double best_so_far) {
  KernelRun run(op, family, device, c.implementation, c.kernel->libraries, c.variant, true);
  if (c.kernel->workspace_bytes) run.workspace(c.kernel->workspace_bytes(args, run.context()));
  if (c.kernel->reserve_bytes) run.reserve(c.kernel->reserve_bytes(args));
  c.kernel->run(args, run.context());
  run.check_trial();
  cuda::Timer timer(device);  // CUDA events on the device's stream, or the host clock
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 3; ++i) {
    timer.start();
    c.kernel->run(args, run.context());
    best = std::min(best, 1000.0 * timer.stop_ms());
    run.check_trial();
    if (best > 4 * best_so_far) break;
  }
  return best;
}

// auto's measured choice for these args, or nullopt where the fixed order applies: the
// table measures no calls (no tuning_key) or not this one (an empty key), the family is
// not on auto, measuring is off, or fewer than two candidates compute the call.
template <typename Args>
std::optional<Candidate<Args>> tuned(const kernels::OpTable<Args>& table, const char* op,
                                     Device device, const Args& args,
                                     const kernels::Row<Args>& row) {
  if (!table.tuning_key || get_impl(table.family) != Impl::Auto || !tuning_applies(device))
    return std::nullopt;
  const kernels::Settings settings = current_settings();
  // Deterministic mode measures only with a cache file (gpunn/config.h: set_tuning).
  if (settings.deterministic && !tuning_cache::has_file()) return std::nullopt;
  const std::string own = table.tuning_key(args);
  if (own.empty()) return std::nullopt;
  const bool cpu = device.is_cpu();
  const kernels::Kernel<Args>& ours = cpu ? row.cpu : row.cuda;
  const kernels::Kernel<Args>& vendor = cpu ? row.cpu_vendor : row.cuda_vendor;
  std::vector<Candidate<Args>> candidates;
  if (vendor.accepts(args))
    candidates.push_back(
        {&vendor, cpu ? Implementation::CpuVendor : Implementation::CudaVendor, 0});
  const Implementation ours_impl = cpu ? Implementation::Cpu : Implementation::Cuda;
  if (ours.accepts(args)) {
    if (ours.variants == 0) candidates.push_back({&ours, ours_impl, 0});
    for (int v = 1; v <= ours.variants; ++v) {
      if (!ours.variant_usable || ours.variant_usable(args, settings, v))
        candidates.push_back({&ours, ours_impl, v});
    }
  }
  if (candidates.size() < 2) return std::nullopt;
  const std::string key = tuning_cache::key_prefix(op, args.dtype, device, settings) + own;
  if (const std::optional<tuning_cache::Choice> kept = tuning_cache::lookup(key)) {
    for (const Candidate<Args>& c : candidates)
      if (c.implementation == kept->implementation && c.variant == kept->variant) return c;
    // A kept choice that no longer computes the call: measured again.
  }
  if (capturing(device)) return std::nullopt;
  const profiler::Range range("tuning");
  double best = std::numeric_limits<double>::infinity();
  const Candidate<Args>* fastest = nullptr;
  std::exception_ptr first_error;
  for (const Candidate<Args>& c : candidates) {
    try {
      const double us = time_candidate(c, op, table.family, device, args, best);
      if (us < best) best = us, fastest = &c;
    } catch (const Error&) {  // out of memory for its workspace, say: not a contender
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (!fastest) std::rethrow_exception(first_error);
  tuning_cache::store(key, {fastest->implementation, fastest->variant}, best);
  return *fastest;
}

// Bytes on the meta device, counted by its simulated allocator (an int64 tensor).
Tensor meta_bytes(size_t bytes);

// launch() on meta tensors: nothing runs, but what the modelled device
// (set_meta_allocator_model) would run decides what the op keeps for backward (a
// vendor max pooling its reserve, ours its indices), so the entry is chosen as launch()
// chooses it (without measuring), its reserve is allocated and returned and its
// workspace allocated and freed. A CUDA model asks its entries nothing (there may be no
// device here): the vendor entry where the family allows it, else ours, no workspace.
template <typename Args>
Launched launch_meta(const kernels::OpTable<Args>& table, const Args& args) {
  const Device model = meta_allocator_model();
  const kernels::Row<Args>& row = table.row(args.dtype);
  const bool cpu = model.is_cpu();
  const kernels::Kernel<Args>& ours = cpu ? row.cpu : row.cuda;
  const kernels::Kernel<Args>& vendor = cpu ? row.cpu_vendor : row.cuda_vendor;
  const auto accepts = [&](const kernels::Kernel<Args>& k) {
    return cpu ? k.accepts(args) : static_cast<bool>(k);
  };
  const bool vendor_first = get_impl(table.family) != Impl::Custom;
  const kernels::Kernel<Args>* chosen = nullptr;
  Implementation impl = cpu ? Implementation::Cpu : Implementation::Cuda;
  if (vendor_first && accepts(vendor)) {
    chosen = &vendor;
  } else if (accepts(ours)) {
    chosen = &ours;
  } else if (!vendor_first && accepts(vendor)) {
    chosen = &vendor;
  }
  if (chosen == nullptr) return {impl, Tensor()};
  if (chosen == &vendor) impl = cpu ? Implementation::CpuVendor : Implementation::CudaVendor;
  if (cpu && chosen->workspace_bytes) {
    kernels::Context ctx;
    ctx.settings = current_settings();
    meta_bytes(chosen->workspace_bytes(args, ctx));  // taken and given back, as a run does
  }
  return {impl, chosen->reserve_bytes ? meta_bytes(chosen->reserve_bytes(args)) : Tensor()};
}

}  // namespace dispatch_detail

template <typename Args>
Launched launch(const kernels::OpTable<Args>& table, Device device, const Args& args,
                std::initializer_list<const Tensor*> inputs,
                std::initializer_list<const Tensor*> outputs, const char* op = nullptr) {
  const char* name = op ? op : table.name;
  // Meta tensors: the op's checks, shapes and autograd ran; there is nothing to compute.
  if (device.is_meta()) return dispatch_detail::launch_meta(table, args);
  const kernels::Row<Args>& row = table.row(args.dtype);
  const bool cpu = device.is_cpu();
  const kernels::Kernel<Args>& ours = cpu ? row.cpu : row.cuda;
  const kernels::Kernel<Args>& vendor = cpu ? row.cpu_vendor : row.cuda_vendor;
  const Implementation ours_impl = cpu ? Implementation::Cpu : Implementation::Cuda;
  const Implementation vendor_impl = cpu ? Implementation::CpuVendor : Implementation::CudaVendor;
  const bool vendor_first = get_impl(table.family) != Impl::Custom;
  const kernels::Kernel<Args>* chosen = nullptr;
  Implementation impl = ours_impl;
  int variant = 0;
  if (const auto t = dispatch_detail::tuned(table, name, device, args, row)) {
    chosen = t->kernel;
    impl = t->implementation;
    variant = t->variant;
  } else if (vendor_first && vendor.accepts(args)) {
    chosen = &vendor;
    impl = vendor_impl;
  } else if (ours.accepts(args)) {
    chosen = &ours;
  } else if (!vendor_first && vendor.accepts(args)) {
    chosen = &vendor;
    impl = vendor_impl;
  } else {
    dispatch_detail::throw_no_implementation(name, args.dtype, device);
  }
  dispatch_detail::KernelRun run(name, table.family, device, impl, chosen->libraries, variant);
  if (chosen->workspace_bytes) run.workspace(chosen->workspace_bytes(args, run.context()));
  if (chosen->reserve_bytes) run.reserve(chosen->reserve_bytes(args));
  chosen->run(args, run.context());
  run.finish(inputs, outputs);
  return {impl, run.take_reserve()};
}

}  // namespace gpunn
