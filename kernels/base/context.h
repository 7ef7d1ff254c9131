// The execution context every kernel entry receives: where it runs and with what.
//
// kernels/ is the layer under core/: it knows pointers, sizes, streams and library
// handles, never tensors or global settings. core's launch() (core/dispatch.h) fills
// one Context per call: the device and its stream, the library handles the chosen
// entry asked for (Library in kernels/base/table.h), a workspace of the size the
// entry's workspace_bytes() asked for, and the run-time settings a kernel may need.
// The CUDA types are declared, not included, so CPU code can carry a Context.
#pragma once

#include <cstddef>

struct CUstream_st;    // cudaStream_t is CUstream_st*
struct cublasContext;  // cublasHandle_t is cublasContext*
struct cudnnContext;   // cudnnHandle_t is cudnnContext*

namespace gpunn::kernels {

// The settings of gpunn/config.h that change what a kernel may do.
struct Settings {
  bool allow_tf32 = false;      // float32 products may use TF32 tensor cores
  bool deterministic = false;   // bitwise repeatable algorithms only
  bool cudnn_benchmark = true;  // cuDNN convolution algorithms chosen by timing
};

struct Context {
  int device = -1;                  // CUDA device index; -1 on the CPU
  CUstream_st* stream = nullptr;    // the device's stream (CUDA entries queue on it)
  cublasContext* cublas = nullptr;  // bound to `stream`; set when the entry needs cuBLAS
  cudnnContext* cudnn = nullptr;    // bound to `stream`; set when the entry needs cuDNN
  void* workspace = nullptr;        // scratch of workspace_bytes bytes, 64-byte aligned
  size_t workspace_bytes = 0;
  void* reserve = nullptr;  // reserve_bytes bytes kept after the call (table.h)
  size_t reserve_bytes = 0;
  Settings settings;
  // Which of the entry's numbered kernels runs (Kernel::variants in table.h), as auto
  // measured and chose; 0: the entry's own choice.
  int variant = 0;
};

}  // namespace gpunn::kernels
