// The autograd tape: nodes, edges and saved tensors. Private to libgpunn.
//
// Every differentiable op that runs while recording makes one Node holding what
// its gradient rule needs, and links it to the nodes that made its inputs
// (next_edges). A tensor the op returns points at the node (grad_fn) and says
// which of the node's outputs it is (output_nr). backward() (engine.cpp) walks
// the nodes in reverse topological order.
//
// Who accumulates: a node's apply() returns one gradient per next edge and never
// writes into anything; the engine sums gradients that meet at one node, and
// AccumulateGrad adds (+=) into a leaf's grad().
//
// Note [saved tensors are freed during backward]
//   A node keeps its saved tensors in one struct (NodeWith<Saved>::saved). Right
//   after the engine applies a node it calls release_saved() unless retain_graph
//   is set, so activations are freed as the sweep passes them, not when the whole
//   graph dies. A released node that is reached again raises an error naming it.
//
// Note [saved tensors and in-place updates]
//   A SavedTensor remembers the storage version at save time. If an in-place op
//   changed the data before backward, unpack() raises an error naming the node,
//   instead of silently computing a wrong gradient.
//
// Note [deleting long graphs]
//   A graph of n chained nodes would be freed by n nested destructor calls (each
//   node owns the next through its edges) and overflow the stack for long RNN
//   unrolls. ~Node hands its edges to a per-thread queue that the outermost
//   destructor drains in a loop instead.
//
// Saved tensors are detached aliases (no grad_fn), so saving an op's own output
// makes no reference cycle. A plain backward pass runs with recording off (except where
// a checkpoint node reruns its function, core/autograd/checkpoint.h) and calls apply().
//
// Note [differentiable backward]
//   With create_graph the engine calls apply_differentiable() instead, with recording and
//   tangents on: the rule runs as public ops on tensors that have history, so the
//   gradients it returns can be differentiated again (reverse over reverse) and carry
//   tangents (forward over reverse). A rule reads its saved inputs through
//   SavedTensor::unpack_differentiable(node, next_edges[i]), which gives the saved value the
//   history of input i (its node's gradient edge) and the tangent it had when saved, and its
//   saved outputs through unpack_output(), which points them back at the node itself. Nodes
//   whose apply() is already made of public ops on the incoming gradients (views, sums,
//   copies) return apply(grads); a node without a differentiable rule raises an error naming
//   it (the default).
#pragma once

#include "core/autograd/anomaly.h"
#include "core/tensor_impl.h"

#include <gpunn/tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gpunn::autograd {

class Node;

// Where a gradient goes: input `input_nr` of node `fn` (null: nowhere).
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return fn != nullptr; }
};

// Shape, dtype and device of one of a node's outputs: the engine makes zeros
// from it when no gradient reached that output.
struct OutputMeta {
  Shape shape;
  DType dtype = kFloat32;
  Device device;
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();  // Note [deleting long graphs]
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual const char* name() const = 0;
  // grads: one per output, each defined and shaped like that output. Returns one
  // gradient per next edge; an undefined tensor means "no contribution".
  virtual std::vector<Tensor> apply(std::vector<Tensor>& grads) = 0;
  // The same gradients computed with recorded ops (Note [differentiable backward]). The
  // default raises an error naming the node.
  virtual std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads);
  virtual void release_saved() {}
  // A leaf's accumulator outlives the graphs that reach it and is never released.
  virtual bool reusable() const { return false; }

  std::vector<Edge> next_edges;
  std::vector<OutputMeta> outputs;
  uint64_t sequence_nr;
  bool released = false;
  // Anomaly mode only: the forward op, input shapes and scope that made this
  // node (anomaly::creation_context), for the message if its gradient is bad.
  std::string anomaly_context;
};

// A node whose saved tensors live in one struct `saved`, released as a whole.
template <typename Saved>
class NodeWith : public Node {
 public:
  Saved saved;
  void release_saved() override { saved = Saved{}; }
};

// A tensor kept for backward: a detached alias plus the version it had, and the tangent
// it carried when forward mode was on (for forward over reverse).
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t);  // NOLINT(google-explicit-constructor)
  // `value` (a detached or contiguous form of `source`) with source's tangent, if any.
  SavedTensor(const Tensor& value, const Tensor& source);
  // The saved value; throws if it was released or changed in place since.
  Tensor unpack(const Node& node) const;
  // The saved value with the gradient history `history` (the node's edge for the input it
  // was saved from) and its saved tangent (Note [differentiable backward]).
  Tensor unpack_differentiable(const Node& node, const Edge& history) const;
  // The saved value as output `output_nr` of `node` (an op's own output).
  Tensor unpack_output(Node& node, uint32_t output_nr) const;
  // The tangent of a saved output, known only after the node was made.
  void set_tangent(const Tensor& tangent);
  const Tensor& tangent() const { return tangent_; }
  bool defined() const { return was_defined_; }

 private:
  Tensor data_;
  Tensor tangent_;
  uint64_t version_ = 0;
  bool was_defined_ = false;
};

// An alias of `value` that autograd treats as the tensor behind `history` (gradients
// flowing into it reach that edge), carrying `tangent` (may be undefined).
Tensor with_history(const Tensor& value, const Edge& history, const Tensor& tangent);

// Adds incoming gradients into a leaf's grad(). It holds the leaf weakly: after
// backward(create_graph) the leaf's grad() has a graph that reaches this node, and a strong
// reference would make a cycle (leaf → grad → graph → here → leaf) that is never freed; a
// leaf no one holds any more has no grad() anyone can read, and is skipped.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf) : leaf_(leaf) {}
  const char* name() const override { return "accumulate_grad"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override;
  // create_graph: the gradient keeps its history (sums are out of place).
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override;
  bool reusable() const override { return true; }

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

// The sequence number the next node made will get (nodes made later get larger ones).
uint64_t next_sequence_nr();

// The edge a gradient for `t` must follow: its grad_fn, its grad accumulator (a
// leaf that requires grad), or none.
Edge gradient_edge(const Tensor& t);

// True when recording is on and some input requires grad: the op must record.
// Every op calls it with all its differentiable inputs, recording or not.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Makes node N, links it to the inputs' gradient edges (one per input, in
// order; inputs that need no gradient get an empty edge) and returns it.
// Every node is made here (Note [where anomaly mode looks] in anomaly.h).
template <typename N, typename... Args>
std::shared_ptr<N> make_node(std::initializer_list<const Tensor*> inputs, Args&&... args) {
  auto node = std::make_shared<N>(std::forward<Args>(args)...);
  node->next_edges.reserve(inputs.size());
  for (const Tensor* t : inputs) node->next_edges.push_back(t ? gradient_edge(*t) : Edge{});
  if (anomaly::enabled()) node->anomaly_context = anomaly::creation_context(*node, inputs);
  return node;
}
template <typename N, typename... Args>
std::shared_ptr<N> make_node_from(const std::vector<Tensor>& inputs, Args&&... args) {
  auto node = std::make_shared<N>(std::forward<Args>(args)...);
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
  if (anomaly::enabled()) {
    std::vector<const Tensor*> pointers;
    for (const Tensor& t : inputs) pointers.push_back(&t);
    node->anomaly_context = anomaly::creation_context(*node, pointers);
  }
  return node;
}

// Makes `output` the next output of `node`: it now requires grad and points at
// the node.
void set_history(const Tensor& output, const std::shared_ptr<Node>& node);

}  // namespace gpunn::autograd
