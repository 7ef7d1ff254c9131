// Anomaly mode's checks (gpunn/autograd.h). Private to libgpunn.
//
// Note [where anomaly mode looks]
// Forward: every op that computes runs its kernel through launch()
// (core/dispatch.h), which names the op's input and output tensors; when
// anomaly mode is on, launch() hands them to check_outputs() after the kernel.
// Ops that compute nothing (views: reshape, permute, select, expand) return
// their input's values unchanged and are not checked; a NaN a view passes on is
// reported by the first op that computes from it.
// Backward: a node's kernels run inside the engine with forward checks off
// (NodeScope), and the engine passes what the node returns to
// check_node_gradients(), which names the node and what record_creation() kept
// when the forward op made it (that op's name, input shapes and module scope).
#pragma once

#include <gpunn/tensor.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace gpunn::autograd {

class Node;

namespace anomaly {

// One relaxed atomic load: all that anomaly mode costs while it is off.
bool enabled();

// Throws AnomalyError when one of `outputs` (floating-point ones; others are
// skipped) holds NaN or Inf. Does nothing inside a backward node or a check.
void check_outputs(const char* op, std::initializer_list<const Tensor*> inputs,
                   std::initializer_list<const Tensor*> outputs);

// Throws AnomalyError when a gradient `node` returned holds NaN or Inf.
void check_node_gradients(const Node& node, const std::vector<Tensor>& grads);

// What the message about a node will say of its creation ("recorded by sqrt on
// inputs [3] float64 in Sequential/Linear"); kept only while anomaly mode is on.
std::string creation_context(const Node& node, const std::vector<const Tensor*>& inputs);

// Forward checks are off on this thread while alive (the engine wraps a node's
// apply() in one: its result is checked as a whole).
class NodeScope {
 public:
  NodeScope();
  ~NodeScope();
  NodeScope(const NodeScope&) = delete;
  NodeScope& operator=(const NodeScope&) = delete;

 private:
  bool previous_;
};

// Tensors scanned since start-up (tests: none while anomaly mode is off).
uint64_t scan_count();

}  // namespace anomaly
}  // namespace gpunn::autograd
