// Per-device state of the CUDA backend: the current device, one stream per
// device on which every gpunn op runs, the caching allocator, pinned staging
// for host copies. Private to libgpunn; only in CUDA builds.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "core/cuda/caching_allocator.h"
#include "kernels/base/cuda_check.h"

namespace gpunn::cuda {

int current_device();

// Makes a device current for the scope and restores the previous one.
using kernels::DeviceGuard;

// The stream gpunn's ops use on `device` (created on first use, non-blocking
// with respect to the legacy default stream).
cudaStream_t device_stream(int device);

// The device's caching allocator (created on first use; caching off when the
// environment sets GPUNN_CUDA_NO_CACHE=1).
CachingAllocator& allocator(int device);

// Copies between host and device memory in stream order on the device's
// stream. Host to device goes through pinned staging and does not wait for the
// copy; device to host waits (the bytes must be there when it returns).
void copy_host_to_device(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_host(void* dst, const void* src, size_t nbytes, int device);
void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device,
                           size_t nbytes);

}  // namespace gpunn::cuda
