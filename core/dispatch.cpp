// launch(): picks one entry of an op's KernelTable (core/dispatch.h).
//
// CPU:  custom -> cpu;  vendor/auto -> cpu_vendor when present, else cpu.
// CUDA: custom -> cuda; vendor/auto -> cuda_vendor when present, else cuda.
// `vendor` on an op without a vendor implementation falls back to custom, as
// gpunn/config.h documents; an op with no implementation on the device at all
// raises an error naming the op and the device. In anomaly mode the outputs
// are then checked for NaN and Inf (core/autograd/anomaly.h).
#include "core/dispatch.h"

#include "core/autograd/anomaly.h"

namespace gpunn {

namespace {

void run(const char* op, OpFamily family, Device device, const KernelTable& table) {
  const Impl impl = get_impl(family);
  const bool want_vendor = impl != Impl::Custom;
  if (device.is_cpu()) {
    if (want_vendor && table.cpu_vendor) return table.cpu_vendor();
    GPUNN_ASSERT(table.cpu, op, " has no CPU implementation");
    return table.cpu();
  }
  if (want_vendor && table.cuda_vendor) return table.cuda_vendor();
  if (table.cuda) return table.cuda();
  detail::throw_error(op, ": no implementation for device ", device.str(),
                      " in this build of gpunn");
}

}  // namespace

void launch(const char* op, OpFamily family, Device device,
            std::initializer_list<const Tensor*> inputs,
            std::initializer_list<const Tensor*> outputs, const KernelTable& table) {
  run(op, family, device, table);
  if (autograd::anomaly::enabled()) autograd::anomaly::check_outputs(op, inputs, outputs);
}

}  // namespace gpunn
