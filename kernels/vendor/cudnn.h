// cuDNN for the vendor path on the GPU: convolution (forward, backward data,
// backward weights), pooling, softmax and activations, behind raw-pointer
// calls like the rest of kernels/. Only in builds with cuDNN. All of them queue
// work on the stream the handle is bound to (core/cuda/handles.h).
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
#include "kernels/pool.h"

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

// ---- pooling, softmax, activations (kernels/vendor/cudnn_ops.cpp) ----------------
// float64 selects double data; otherwise float32. Max pooling uses cuDNN's
// deterministic mode (each window's gradient goes to the same one of its
// maxima every run); all of them propagate NaN.

// Whether cuDNN's pooling computes exactly s: its output size rule is the
// floor rule, so shapes from ceil_mode windows stay on our kernels.
bool cudnn_pool2d_supported(const Pool2dShape& s);
void cudnn_pool2d_forward(cudnnHandle_t handle, bool max, const Pool2dShape& s, bool float64,
                          const void* x, void* y);
// dx from dy; max pooling finds the window maxima again from x and y.
void cudnn_pool2d_backward(cudnnHandle_t handle, bool max, const Pool2dShape& s, bool float64,
                           const void* x, const void* y, const void* dy, void* dx);

// Softmax over C of an [outer, C, inner] array; log selects log_softmax.
void cudnn_softmax_forward(cudnnHandle_t handle, bool log, int64_t outer, int64_t C, int64_t inner,
                           bool float64, const void* x, void* y);
// dx from the forward's output y and dy.
void cudnn_softmax_backward(cudnnHandle_t handle, bool log, int64_t outer, int64_t C, int64_t inner,
                            bool float64, const void* y, const void* dy, void* dx);

enum class CudnnActivation { Relu, Sigmoid, Tanh };
// y = f(x) over n contiguous values.
void cudnn_activation_forward(cudnnHandle_t handle, CudnnActivation f, int64_t n, bool float64,
                              const void* x, void* y);
// dx = dy * f'(x) from the forward's output y: for these three functions the
// derivative is a function of y alone (relu: y > 0 exactly when x > 0).
void cudnn_activation_backward(cudnnHandle_t handle, CudnnActivation f, int64_t n, bool float64,
                               const void* y, const void* dy, void* dx);

}  // namespace gpunn::kernels
