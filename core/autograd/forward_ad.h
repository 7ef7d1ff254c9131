// Forward-mode plumbing for ops. Private to libgpunn.
//
// An op pushes tangents forward like this:
//   if (fw::any_tangent({&a, &b})) {
//     fw::TangentScope scope;   // no recording, no nested tangents
//     fw::set_tangent(y, <J·t from the inputs' tangents>);
//   }
// An input without a tangent contributes zero. Tangents are plain tensors of the
// primal's shape, dtype and device.
#pragma once

#include <gpunn/autograd.h>
#include <gpunn/tensor.h>

#include <initializer_list>
#include <vector>

namespace gpunn::autograd::fw {

bool enabled();

// t's tangent, or undefined when t has none. Read it inside the TangentScope
// (which switches propagation off, not the stored tangents).
Tensor tangent_of(const Tensor& t);
// True when forward mode is on and some input carries a tangent.
bool any_tangent(std::initializer_list<const Tensor*> inputs);
bool any_tangent(const std::vector<Tensor>& inputs);

// Attaches `tangent` to `output` (expanded to output's shape if it broadcasts).
void set_tangent(const Tensor& output, const Tensor& tangent);

// While computing tangents: recording off and tangent propagation off.
class TangentScope {
 public:
  TangentScope() = default;

 private:
  NoGradGuard no_grad_;
  ForwardADGuard no_fw_;
};

}  // namespace gpunn::autograd::fw
