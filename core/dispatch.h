// Choosing an element type and an implementation for an op. Private to libgpunn.
//
// dtype:  dispatch_floating(x.dtype(), "relu", [&](auto tag) {
//           using T = typename decltype(tag)::type;  ...  });
// implementation: each op names the tensors its kernels read and write, then
//           lists the kernels in a KernelTable next to the call:
//           launch("relu", OpFamily::Activation, x.device(), {&x}, {&y}, {
//               .cpu = [&] { kernels::relu_forward_cpu(y, x, n); },
//               .cuda = ..., .cuda_vendor = ... });
// launch() picks by device and the family's custom/vendor/auto setting
// (gpunn/config.h); an entry left empty means "no such implementation".
#pragma once

#include <gpunn/config.h>
#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/tensor.h>

#include <functional>
#include <initializer_list>

namespace gpunn {

template <typename T>
struct TypeTag {
  using type = T;
};

template <typename F>
decltype(auto) dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      return f(TypeTag<double>{});
    case DType::Int64:
      break;
  }
  detail::throw_error(op, ": expected a float32 or float64 tensor, got ", dtype_name(dtype));
}

template <typename F>
decltype(auto) dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32:
      return f(TypeTag<float>{});
    case DType::Float64:
      return f(TypeTag<double>{});
    case DType::Int64:
      return f(TypeTag<int64_t>{});
  }
  GPUNN_ASSERT(false, "unknown dtype");
}

struct KernelTable {
  std::function<void()> cpu = nullptr;          // reference loops (custom on the CPU)
  std::function<void()> cpu_vendor = nullptr;   // a vendor library on the CPU
  std::function<void()> cuda = nullptr;         // our CUDA kernels
  std::function<void()> cuda_vendor = nullptr;  // cuBLAS / cuDNN
};

// GPUNN_IF_CUDA(.cuda = [&] { ... }) adds a table entry in CUDA builds only.
#if GPUNN_WITH_CUDA
#define GPUNN_IF_CUDA(...) __VA_ARGS__
#else
#define GPUNN_IF_CUDA(...)
#endif

// Runs the implementation of `op` chosen for `device` and `family`. `inputs`
// and `outputs` are the tensors the kernel reads and writes (null or undefined
// entries are skipped); anomaly mode checks the outputs after the kernel ran
// (Note [where anomaly mode looks] in core/autograd/anomaly.h), which is why
// every launch names them.
void launch(const char* op, OpFamily family, Device device,
            std::initializer_list<const Tensor*> inputs,
            std::initializer_list<const Tensor*> outputs, const KernelTable& table);

}  // namespace gpunn
