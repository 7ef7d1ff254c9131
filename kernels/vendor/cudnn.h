// cuDNN for the vendor path on the GPU: convolution (forward, backward data,
// backward weights), behind raw-pointer calls like the rest of
// kernels/. Only in builds with cuDNN.
//
// Convolution algorithms are measured once per (device, shape, dtype, TF32
// setting, determinism setting, pass) with cuDNN's find functions and cached;
// later calls with the same shape reuse the choice without measuring. Strict
// FP32 (TF32 off) rejects algorithms that use tensor-op math on float32.
//
// Note [cuDNN and determinism]
// With gpunn::deterministic() the choice keeps only algorithms whose perf
// result says CUDNN_DETERMINISTIC (cuDNN's backward algorithms that sum with
// atomics, such as backward-data and backward-filter algorithm 0, say
// CUDNN_NON_DETERMINISTIC), and it is made from cuDNN's heuristics
// (cudnnGet*_v7) instead of timing, so every process picks the same algorithm
// for a shape; timing can rank two algorithms differently from run to run, and
// two deterministic algorithms still round differently.
#pragma once

#include <cudnn.h>

#include <cstddef>
#include <cstdint>

#include "kernels/conv.h"

namespace gpunn::kernels {

class CudnnConv {
 public:
  enum class Pass { Forward, BackwardData, BackwardWeight };

  CudnnConv(cudnnHandle_t handle, const Conv2dShape& s, bool float64, bool tf32,
            bool deterministic);
  ~CudnnConv();
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;

  // Workspace the chosen algorithm for `pass` needs (chooses it on first use).
  size_t workspace_bytes(Pass pass);

  // y = conv(x, w) + b (b may be null); dx from dy; dw from dy and x.
  void forward(void* y, const void* x, const void* w, const void* b, void* workspace,
               size_t workspace_bytes);
  void backward_data(void* dx, const void* dy, const void* w, void* workspace,
                     size_t workspace_bytes);
  void backward_weight(void* dw, const void* dy, const void* x, void* workspace,
                       size_t workspace_bytes);

 private:
  struct Choice {
    int algo = 0;
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
    size_t workspace = 0;
  };
  const Choice& choose(Pass pass);

  cudnnHandle_t handle_;
  Conv2dShape s_;
  bool float64_, tf32_, deterministic_;
  cudnnDataType_t type_;
  cudnnTensorDescriptor_t x_ = nullptr, y_ = nullptr, b_ = nullptr;
  cudnnFilterDescriptor_t w_ = nullptr;
  cudnnConvolutionDescriptor_t conv_ = nullptr;
  const Choice* choice_[3] = {nullptr, nullptr, nullptr};
};

}  // namespace gpunn::kernels
