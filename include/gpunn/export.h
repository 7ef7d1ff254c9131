// What libgpunn exports. gpunn is compiled with hidden symbols (-fvisibility=hidden);
// every public header brackets its declarations with GPUNN_API_BEGIN / GPUNN_API_END,
// which give them default visibility, so libgpunn.so exports the public API and none
// of its internals (kernels, dispatch, allocators). For a consumer the macros change
// nothing.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define GPUNN_API_BEGIN _Pragma("GCC visibility push(default)")
#define GPUNN_API_END _Pragma("GCC visibility pop")
#else
#define GPUNN_API_BEGIN
#define GPUNN_API_END
#endif
