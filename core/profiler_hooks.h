// The profiler's side of launch() (core/dispatch.cpp; gpunn/profiler.h). Private to
// libgpunn.
//
//   std::optional<profiler::detail::Pending> p;
//   if (profiler::active()) p.emplace(device);   // host clock, CUDA start event
//   ... the kernel entry runs ...
//   if (p) p->finish(...);                       // recorded in the running profiler
//
// A Pending that is destroyed without finish() (the entry threw) records nothing.
#pragma once

#include <gpunn/config.h>
#include <gpunn/profiler.h>
#include <gpunn/tensor.h>

#include <cstddef>
#include <initializer_list>
#include <memory>

namespace gpunn::profiler::detail {

class Pending {
 public:
  explicit Pending(Device device);
  ~Pending();
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;

  // An NVTX range named `op` until finish() (builds with CUDA).
  void nvtx_push(const char* op);
  void finish(const char* op, OpFamily family, Implementation impl, int variant, Device device,
              std::initializer_list<const Tensor*> inputs,
              std::initializer_list<const Tensor*> outputs, size_t workspace_bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gpunn::profiler::detail
