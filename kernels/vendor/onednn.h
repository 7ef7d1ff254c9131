// What oneDNN, the CPU vendor path, says about itself (builds with GPUNN_WITH_ONEDNN).
// Its kernels are entries of the family tables (kernels/<family>.h): float32 only,
// every buffer contiguous and in the layout the reference loops use (NCHW,
// row-major). Primitives are created once per shape and cached
// (kernels/vendor/onednn_common.h); oneDNN runs its own threads (OpenMP, one per core).
// Failures inside oneDNN raise gpunn::InternalError (gpunn::OutOfMemoryError when it
// could not allocate) naming the op.
#pragma once

namespace gpunn::kernels {

// "oneDNN 2.6.3 (cpu runtime: OpenMP, 2 threads, ISA: ...)" for build_info().
const char* onednn_description();

}  // namespace gpunn::kernels
