// Memory: 64-byte aligned host buffers with statistics (gpunn/memory.h), and moving
// bytes between devices. Private to libgpunn.
#pragma once

#include <cstddef>

namespace gpunn {

// Throws gpunn::OutOfMemoryError when the system cannot serve the request.
void* cpu_allocate(size_t nbytes);
void cpu_free(void* ptr, size_t nbytes);

struct Device;
// Throws gpunn::Error naming `op` unless `device` is the CPU, the meta device or a usable
// CUDA device.
void check_device_available(const char* op, Device device);

// Copies nbytes between two buffers on different devices (either may be the CPU), in
// stream order: host to device through pinned staging without waiting, device to host
// waiting for the bytes, device to device on the destination's stream.
// (core/cuda/runtime.cpp; an internal error in a build without CUDA, where no CUDA
// tensor can exist.)
void copy_between_devices(void* dst, Device dst_device, const void* src, Device src_device,
                          size_t nbytes);

}  // namespace gpunn
