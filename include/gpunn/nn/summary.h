// nn::summary: a model's layers with output shapes, parameters, FLOPs and
// activation memory, found by running one forward pass on zeros.
//
// FLOPs count multiply and add separately (a multiply-add is 2): Linear
// 2·rows·in·out (+ rows·out for the bias), Conv2d 2·N·K·(C/groups)·R·S·P·Q
// (+ N·K·P·Q for the bias), pooling one per window element per output, batch
// norm and LRN a few per element (documented in summary.cpp), elementwise
// activations one per element. Activation memory is each layer's output size
// in bytes; the total is their sum. The "kept" column is what each layer's forward
// keeps for backward in a training step, found by running one on meta tensors
// (memory::estimate, gpunn/nn/estimate.h), with its predicted peak below the table.
// Layers are the leaf modules (those without children) called through
// Module::operator().
#pragma once

#include <gpunn/export.h>
#include <gpunn/nn/module.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::nn {

struct LayerSummary {
  std::string name;  // dotted path, e.g. "features.0"
  std::string type;  // e.g. "Conv2d"
  Shape output_shape;
  int64_t parameters = 0;
  int64_t flops = 0;
  int64_t activation_bytes = 0;
  // What its forward keeps for backward in a training step (memory::estimate's count on
  // meta tensors, layers run one by one); -1 where that step could not run.
  int64_t kept_bytes = -1;
};

struct ModelSummary {
  Shape input_shape;
  std::vector<LayerSummary> layers;
  int64_t total_parameters = 0;
  int64_t trainable_parameters = 0;
  int64_t total_flops = 0;
  int64_t activation_bytes = 0;
  // The predicted peak of a training step without optimizer state (memory::estimate on
  // the module's device, float32, optimizer "none"); -1 where it could not run.
  int64_t training_peak_bytes = -1;
  std::string table() const;  // the printed form
};

// Runs module on zeros(input_shape) (in eval mode and without autograd; the
// mode is restored) and prints the table to `out` unless it is null.
ModelSummary summary(Module& module, const Shape& input_shape, std::ostream* out = nullptr,
                     DType dtype = kFloat32);

std::ostream& operator<<(std::ostream& os, const ModelSummary& s);

}  // namespace gpunn::nn

GPUNN_API_END
