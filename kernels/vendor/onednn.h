// What oneDNN, the CPU vendor path, says about itself (builds with GPUNN_WITH_ONEDNN).
// Its kernels are entries of the family tables (kernels/<family>.h): float32, and
// bfloat16 GEMM and convolution where the CPU has bfloat16 instructions (float16 and
// bfloat16 elsewhere go through float32 copies); every buffer contiguous and in the layout the
// reference loops use (NCHW, row-major). Primitives are created once per shape and cached
// (kernels/vendor/onednn_common.h); oneDNN runs its own threads (OpenMP, one per core).
// Failures inside oneDNN raise gpunn::InternalError (gpunn::OutOfMemoryError when it
// could not allocate) naming the op.
#pragma once

namespace gpunn::kernels {

// Whether the bfloat16 GEMM and convolution entries run oneDNN's bfloat16 primitives (the
// CPU has bfloat16 instructions) or float32 ones on widened copies
// (kernels/vendor/onednn_common.h, Note [oneDNN's bfloat16 primitives]).
bool onednn_native_bf16();

// "oneDNN 2.6.3 (cpu runtime: OpenMP, 2 threads, ISA: ...)" for build_info().
const char* onednn_description();

}  // namespace gpunn::kernels
