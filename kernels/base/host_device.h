// GPUNN_HOST_DEVICE marks small functions that both the CPU reference loops and
// the CUDA kernels call (the formulas live once): __host__ __device__ under
// nvcc, nothing otherwise. Write `GPUNN_HOST_DEVICE inline`.
#pragma once

#if defined(__CUDACC__)
#define GPUNN_HOST_DEVICE __host__ __device__
#else
#define GPUNN_HOST_DEVICE
#endif
