// Host memory: 64-byte aligned buffers with statistics (gpunn/memory.h).
// Private to libgpunn.
#pragma once

#include <cstddef>

namespace gpunn {

// Throws gpunn::OutOfMemoryError when the system cannot serve the request.
void* cpu_allocate(size_t nbytes);
void cpu_free(void* ptr, size_t nbytes);

struct Device;
// Throws gpunn::Error naming `op` unless `device` is the CPU or a usable CUDA device.
void check_device_available(const char* op, Device device);

}  // namespace gpunn
