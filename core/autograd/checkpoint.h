// Recompute scopes (autograd::checkpoint): the pieces other parts of core see.
// Private to libgpunn.
//
// Note [what a checkpoint's first run learns]
//   checkpoint() runs its function once with recording off, so nothing is saved. While
//   it runs, a BoundaryCollector is installed on the thread: every op passes its inputs
//   to needs_grad(), and the collector keeps the gradient edge of each input that
//   requires grad (with recording off, only tensors made outside the function do: the
//   parameters it uses, tensors it closes over). Those edges become the checkpoint
//   node's next edges, so the backward walk knows every tensor the function's gradient
//   reaches before it runs. Generator::reserve() reports each generator the function
//   draws from with its state before the draw, so the recompute replays the same
//   numbers (dropout masks match).
//
// Note [recomputing]
//   While a checkpoint node reruns its function, is_recomputing() is true on the thread:
//   batch norm then leaves its running statistics alone (the first run updated them),
//   and autocast casts parameters afresh instead of reusing a cast made before the
//   recompute (whose graph node lies outside the checkpoint).
#pragma once

#include <gpunn/generator.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "core/autograd/node.h"

namespace gpunn::autograd::detail {

class BoundaryCollector {
 public:
  BoundaryCollector();   // installs itself on this thread
  ~BoundaryCollector();  // restores the collector that was installed before
  BoundaryCollector(const BoundaryCollector&) = delete;
  BoundaryCollector& operator=(const BoundaryCollector&) = delete;

  void add(const Tensor& t);  // t requires grad: keeps its gradient edge (once)
  void note_generator(Generator* generator, Generator::State before);

  std::vector<Edge> edges;
  std::vector<std::pair<Generator*, Generator::State>> generators;

 private:
  BoundaryCollector* previous_;
};

// The collector installed on this thread, or null.
BoundaryCollector* boundary_collector();

// Backward from `outputs` (seeded with `grad_outputs`, one each) through the nodes made
// at or after `first_sequence_nr`, stopping at older nodes and at `boundary`: returns the
// gradient that reaches each boundary edge (undefined where none does). An older node
// that is not in `boundary` is an error: the function used a tensor in its recompute
// that its first run did not.
std::vector<Tensor> backward_to_boundary(const std::vector<Tensor>& outputs,
                                         const std::vector<Tensor>& grad_outputs,
                                         const std::vector<Edge>& boundary,
                                         uint64_t first_sequence_nr);

}  // namespace gpunn::autograd::detail
