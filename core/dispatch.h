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
// Choice: on the CPU the cpu/cpu_vendor entries, on CUDA cuda/cuda_vendor. `custom`
// tries ours first, `vendor` and `auto` the vendor's first; an entry whose supported()
// refuses the args is skipped, and the other one serves (`vendor` on an op without a
// vendor implementation runs ours, as gpunn/config.h documents). No entry at all is an
// error naming the op, the dtype and the device.
#pragma once

#include <gpunn/config.h>
#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/tensor.h>

#include <initializer_list>
#include <optional>
#include <utility>

#include "core/profiler_hooks.h"
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
  KernelRun(const char* op, OpFamily family, Device device, Implementation impl,
            unsigned libraries);
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

 private:
  const char* op_;
  OpFamily family_;
  Device device_;
  Implementation impl_;
  kernels::Context ctx_;
  Tensor workspace_, reserve_;
  std::optional<profiler::detail::Pending> profile_;  // while a profiler records
};

[[noreturn]] void throw_no_implementation(const char* op, DType dtype, Device device);

}  // namespace dispatch_detail

template <typename Args>
Launched launch(const kernels::OpTable<Args>& table, Device device, const Args& args,
                std::initializer_list<const Tensor*> inputs,
                std::initializer_list<const Tensor*> outputs, const char* op = nullptr) {
  const char* name = op ? op : table.name;
  const kernels::Row<Args>& row = table.row(args.dtype);
  const bool cpu = device.is_cpu();
  const kernels::Kernel<Args>& ours = cpu ? row.cpu : row.cuda;
  const kernels::Kernel<Args>& vendor = cpu ? row.cpu_vendor : row.cuda_vendor;
  const Implementation ours_impl = cpu ? Implementation::Cpu : Implementation::Cuda;
  const Implementation vendor_impl = cpu ? Implementation::CpuVendor : Implementation::CudaVendor;
  const bool vendor_first = get_impl(table.family) != Impl::Custom;
  const kernels::Kernel<Args>* chosen = nullptr;
  Implementation impl = ours_impl;
  if (vendor_first && vendor.accepts(args)) {
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
  dispatch_detail::KernelRun run(name, table.family, device, impl, chosen->libraries);
  if (chosen->workspace_bytes) run.workspace(chosen->workspace_bytes(args, run.context()));
  if (chosen->reserve_bytes) run.reserve(chosen->reserve_bytes(args));
  chosen->run(args, run.context());
  run.finish(inputs, outputs);
  return {impl, run.take_reserve()};
}

}  // namespace gpunn
