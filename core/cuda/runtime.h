// The CUDA side of launch() (core/dispatch.h), without CUDA headers so that the
// dispatcher compiles in every build (core/cuda/runtime.cpp). Private to libgpunn.
#pragma once

#include "kernels/base/context.h"

namespace gpunn::cuda {

// The Context of a kernel entry on `device`: its stream and the library handles that
// `libraries` (kernels::Library flags) asks for. Throws in a build without CUDA.
kernels::Context kernel_context(int device, unsigned libraries);

// Throws gpunn::Error naming `op` when a kernel launch since the last check failed.
// Does nothing in a build without CUDA.
void check_launch(const char* op);

// Whether gpunn's stream on `device` is being captured into a CUDA graph (false without
// CUDA).
bool stream_is_capturing(int device);

}  // namespace gpunn::cuda
