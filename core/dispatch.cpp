// launch()'s non-template half (core/dispatch.h) and LaunchTrace (gpunn/config.h).
#include "core/dispatch.h"

#include "core/autograd/anomaly.h"
#include "core/cuda/runtime.h"
#include "core/tuning.h"

namespace gpunn {

namespace {
thread_local LaunchTrace* active_trace = nullptr;
}  // namespace

const char* implementation_name(Implementation impl) {
  switch (impl) {
    case Implementation::Cpu:
      return "cpu";
    case Implementation::CpuVendor:
      return "cpu_vendor";
    case Implementation::Cuda:
      return "cuda";
    case Implementation::CudaVendor:
      return "cuda_vendor";
  }
  return "unknown";
}

std::string implementation_name(Implementation impl, int variant) {
  std::string name = implementation_name(impl);
  if (variant != 0) name += "#" + std::to_string(variant);
  return name;
}

LaunchTrace::LaunchTrace() : outer_(active_trace) { active_trace = this; }
LaunchTrace::~LaunchTrace() { active_trace = outer_; }

void LaunchTrace::add(const char* op, OpFamily family, Implementation impl, int variant) {
  records_.push_back({op, family, impl, variant});
}

int LaunchTrace::count(const std::string& op) const {
  int n = 0;
  for (const LaunchRecord& r : records_) n += r.op == op;
  return n;
}

int LaunchTrace::count(const std::string& op, Implementation impl) const {
  int n = 0;
  for (const LaunchRecord& r : records_) n += r.op == op && r.implementation == impl;
  return n;
}

namespace dispatch_detail {

KernelRun::KernelRun(const char* op, OpFamily family, Device device, Implementation impl,
                     unsigned libraries, int variant, bool trial)
    : op_(op), family_(family), device_(device), impl_(impl), variant_(variant) {
  if (device.is_cuda()) ctx_ = cuda::kernel_context(device.index, libraries);
  ctx_.settings = current_settings();
  ctx_.variant = variant;
  if (!trial && profiler::active()) {
    profile_.emplace(device);
    profile_->nvtx_push(op);
  }
}

namespace {
// Bytes from the device's allocator (the caching allocator on CUDA), as an int64 tensor.
Tensor bytes_on(Device device, size_t bytes) {
  return empty({static_cast<int64_t>((bytes + 7) / 8)}, TensorOptions(kInt64).device(device));
}
}  // namespace

Tensor meta_bytes(size_t bytes) { return bytes == 0 ? Tensor() : bytes_on(kMeta, bytes); }

void KernelRun::workspace(size_t bytes) {
  if (bytes == 0) return;
  // Freed (back to the cache) when the run ends, after the kernel was queued on the
  // device's one stream, so the next user of the block is ordered after it.
  workspace_ = bytes_on(device_, bytes);
  ctx_.workspace = workspace_.data_ptr();
  ctx_.workspace_bytes = bytes;
}

void KernelRun::reserve(size_t bytes) {
  if (bytes == 0) return;
  reserve_ = bytes_on(device_, bytes);
  ctx_.reserve = reserve_.data_ptr();
  ctx_.reserve_bytes = bytes;
}

void KernelRun::finish(std::initializer_list<const Tensor*> inputs,
                       std::initializer_list<const Tensor*> outputs) {
  if (device_.is_cuda()) cuda::check_launch(op_);
  if (active_trace) active_trace->add(op_, family_, impl_, variant_);
  if (profile_) {
    profile_->finish(op_, family_, impl_, variant_, device_, inputs, outputs, ctx_.workspace_bytes);
    profile_.reset();
  }
  if (autograd::anomaly::enabled()) autograd::anomaly::check_outputs(op_, inputs, outputs);
}

void KernelRun::check_trial() {
  if (device_.is_cuda()) cuda::check_launch(op_);
}

void throw_no_implementation(const char* op, DType dtype, Device device) {
  detail::throw_error(op, ": no implementation for ", dtype_name(dtype), " tensors on ",
                      device.str(), " in this build of gpunn");
}

kernels::Settings current_settings() {
  kernels::Settings s;
  s.allow_tf32 = allow_tf32();
  s.deterministic = deterministic();
  s.cudnn_benchmark = cudnn_benchmark();
  return s;
}

bool tuning_applies(Device device) {
  if (!tuning()) return false;
  return device.is_cuda() || tuning_cache::testing::measure_on_cpu();
}

bool capturing(Device device) {
  return device.is_cuda() && cuda::stream_is_capturing(device.index);
}

}  // namespace dispatch_detail

}  // namespace gpunn
