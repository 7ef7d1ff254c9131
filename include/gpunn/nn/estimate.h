// memory::estimate: the memory a training step will take, known before the first step.
//
// It runs the model's training step (forward, loss, backward, optimizer update) twice on
// the meta device (gpunn/dtype.h: tensors without data), so every op runs its checks and
// shape rules and allocates exactly what it allocates on a real device, while the meta
// device's simulated allocator follows every allocation and release, counting bytes as the
// modelled device's allocator does (the CUDA caching allocator's 512-byte blocks). The
// model's parameters are moved to the meta device for the estimate and back afterwards
// (their values, gradients, the optimizer and the default generator's state are
// untouched; the step runs in the model's current mode, train() for a training step). The second
// step is the steady state (the optimizer's buffers exist): its peak is the prediction, to compare
// with memory_stats(device).peak_allocated_bytes over a real step.
//
// Not modelled: scratch that a library takes outside gpunn's allocator (oneDNN's, cuDNN's
// internal buffers), and workspaces gpunn's launch takes for a vendor call (cuDNN's
// convolution algorithms choose theirs on the GPU at run time).
#pragma once

#include <gpunn/dtype.h>
#include <gpunn/export.h>
#include <gpunn/nn/module.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::memory {

struct EstimateOptions {
  Device device = kCPU;  // whose allocator is modelled: the CPU or a CUDA device
  // fp32 and tf32: float32 throughout; bf16 and fp16: autocast's mixed precision (the
  // parameters and their gradients stay float32, the casts and activations are 16-bit).
  std::string precision = "fp32";
  // The update and its state per parameter: "sgd" (none), "momentum" (one buffer),
  // "adam" (two), "none" (no update).
  std::string optimizer = "momentum";
};

struct LayerMemory {
  std::string name;  // dotted path, e.g. "3"
  std::string type;  // e.g. "Conv2d"
  // What its forward made that is still held when forward ends: what backward will read
  // (layers run one by one, unfused, for this count; the first layer's includes the input).
  int64_t saved_bytes = 0;
};

struct MemoryEstimate {
  Device device;
  std::string precision, optimizer;
  int64_t parameters = 0;       // the parameters (and buffers)
  int64_t gradients = 0;        // the parameters' gradients after backward
  int64_t optimizer_state = 0;  // the optimizer's buffers
  int64_t activations = 0;      // kept by forward for backward (up to the loss)
  int64_t peak = 0;             // the most held at once during a steady-state step
  std::vector<LayerMemory> layers;
  std::string table() const;  // the printed form
};

// A classifier: forward on float32 input_shape ([N, ...]; the batch is its first size),
// cross_entropy against N class targets when the output is [N, C], else the output's mean.
MemoryEstimate estimate(nn::Module& model, const Shape& input_shape,
                        const EstimateOptions& options = {});

// Any step: `loss` runs the forward pass with inputs it makes on the meta device (kMeta)
// and returns the loss, e.g. for a model with another forward signature (an LSTM).
MemoryEstimate estimate(nn::Module& model, const std::function<Tensor()>& loss,
                        const EstimateOptions& options = {});

std::ostream& operator<<(std::ostream& os, const MemoryEstimate& e);

}  // namespace gpunn::memory

GPUNN_API_END
