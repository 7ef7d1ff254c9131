// The backward engine: walks the tape from the roots to the leaves.
//
// 1. Count, for every node reachable from the roots, how many edges point at it.
// 2. Seed the roots' input buffers with the output gradients.
// 3. Run nodes whose count has reached zero, latest-created first (a fixed,
//    deterministic order), summing each returned gradient into the buffer of
//    the node it flows to and decrementing that node's count.
// Nodes run with recording, tangents and autocast off; with create_graph, recording and
// tangents stay on and each node runs its differentiable rule (Note [differentiable
// backward] in node.h). After a node runs its saved tensors are released (Note [saved tensors are
// freed during backward]); in anomaly mode its gradients are checked (Note [where anomaly mode
// looks]).
//
// autograd::grad() runs the same walk but captures the gradient arriving at
// each requested input instead of accumulating into leaves, and runs only the
// nodes that lie on a path to a requested input. A checkpoint node's recompute
// runs it in boundary mode (detail::backward_to_boundary): only the nodes its
// rerun made, capturing what reaches the older nodes below them.
#include <gpunn/autocast.h>
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>

#include <optional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "core/autograd/checkpoint.h"
#include "core/autograd/node.h"
#include "core/ops/common.h"

namespace gpunn::autograd {
namespace {

struct Capture {
  Node* node;
  uint32_t input_nr;
};

class GraphTask {
 public:
  GraphTask(bool retain_graph, const std::vector<Capture>* captures, bool create_graph = false)
      : retain_graph_(retain_graph || create_graph),
        create_graph_(create_graph),
        captures_(captures) {}

  // Boundary mode (detail::backward_to_boundary): nodes older than first_sequence_nr,
  // leaves' accumulators and the capture nodes are never run nor walked past; every
  // other node runs.
  void stop_at_boundary(uint64_t first_sequence_nr) {
    boundary_ = true;
    first_sequence_nr_ = first_sequence_nr;
  }

  // Runs the walk. With captures, fills `captured` (one per capture; undefined
  // when no gradient reached it) and runs only the nodes needed for them.
  void run(const std::vector<Edge>& roots, const std::vector<Tensor>& root_grads,
           std::vector<Tensor>* captured);

 private:
  void count_dependencies(const std::vector<Edge>& roots);
  bool compute_needed(Node* node);
  void add_to_buffer(Node* node, uint32_t slot, Tensor grad);
  void fill_missing(Node* node, std::vector<Tensor>& buffer);
  void check_gradients(Node* node, const std::vector<Tensor>& grads);
  // In boundary mode: a node made before the walk's graph, a capture, or a leaf's
  // accumulator (made on first use, so possibly during the rerun itself).
  bool at_boundary(Node* node) const {
    return boundary_ && (node->sequence_nr < first_sequence_nr_ || node->reusable() ||
                         capture_nodes_.count(node));
  }

  bool retain_graph_;
  bool create_graph_;
  bool boundary_ = false;
  uint64_t first_sequence_nr_ = 0;
  const std::vector<Capture>* captures_;
  std::unordered_map<Node*, int64_t> dependencies_;
  std::unordered_map<Node*, std::vector<Tensor>> buffers_;
  std::unordered_map<Node*, bool> needed_;
  std::unordered_set<Node*> capture_nodes_;
};

void GraphTask::count_dependencies(const std::vector<Edge>& roots) {
  std::vector<Node*> stack;
  std::unordered_set<Node*> seen;
  for (const Edge& e : roots) {
    if (e.valid() && seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
  }
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (at_boundary(node)) continue;
    for (const Edge& e : node->next_edges) {
      if (!e.valid()) continue;
      ++dependencies_[e.fn.get()];
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
}

// A node must run when a captured input lies below it. Iterative post-order, so
// deep graphs (long RNN unrolls) do not overflow the stack.
bool GraphTask::compute_needed(Node* root) {
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  std::unordered_set<Node*> on_stack{root};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->next_edges.size()) {
      Node* child = node->next_edges[next++].fn.get();
      if (child && !needed_.count(child) && !on_stack.count(child)) {
        stack.push_back({child, 0});
        on_stack.insert(child);
      }
      continue;
    }
    bool needed = false;
    for (const Edge& e : node->next_edges) {
      if (!e.valid()) continue;
      if (capture_nodes_.count(e.fn.get()) || needed_[e.fn.get()]) needed = true;
    }
    needed_[node] = needed;
    on_stack.erase(node);
    stack.pop_back();
  }
  return needed_[root];
}

void GraphTask::add_to_buffer(Node* node, uint32_t slot, Tensor grad) {
  std::vector<Tensor>& buffer = buffers_[node];
  if (buffer.empty()) buffer.resize(node->outputs.size());
  GPUNN_ASSERT(slot < buffer.size(), node->name(), " has no input ", slot);
  if (!buffer[slot].defined()) {
    buffer[slot] = std::move(grad);
  } else {
    // Out of place: a node may hand the same tensor to several edges.
    buffer[slot] = add(buffer[slot], grad);
  }
}

void GraphTask::fill_missing(Node* node, std::vector<Tensor>& buffer) {
  if (buffer.empty()) buffer.resize(node->outputs.size());
  for (size_t i = 0; i < buffer.size(); ++i) {
    if (buffer[i].defined()) continue;
    const OutputMeta& m = node->outputs[i];
    buffer[i] = zeros(m.shape, TensorOptions(m.dtype).device(m.device));
  }
}

void GraphTask::check_gradients(Node* node, const std::vector<Tensor>& grads) {
  GPUNN_ASSERT(grads.size() == node->next_edges.size() || grads.empty(), node->name(), " returned ",
               grads.size(), " gradients for ", node->next_edges.size(), " inputs");
  for (size_t i = 0; i < grads.size(); ++i) {
    const Edge& e = node->next_edges[i];
    if (!e.valid() || !grads[i].defined()) continue;
    const OutputMeta& m = e.fn->outputs[e.input_nr];
    GPUNN_ASSERT(grads[i].shape() == m.shape && grads[i].dtype() == m.dtype, node->name(),
                 " returned gradient ", describe(grads[i]), " for input ", i, " of shape ", m.shape,
                 " ", dtype_name(m.dtype));
  }
}

void GraphTask::run(const std::vector<Edge>& roots, const std::vector<Tensor>& root_grads,
                    std::vector<Tensor>* captured) {
  if (captures_) {
    for (const Capture& c : *captures_) capture_nodes_.insert(c.node);
  }
  count_dependencies(roots);
  if (captures_ && !boundary_) {
    for (const Edge& e : roots)
      if (e.valid()) compute_needed(e.fn.get());
  }
  for (size_t i = 0; i < roots.size(); ++i) {
    if (roots[i].valid()) add_to_buffer(roots[i].fn.get(), roots[i].input_nr, root_grads[i]);
  }

  auto later_first = [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(later_first)> ready(later_first);
  std::unordered_set<Node*> queued;
  for (const Edge& e : roots) {
    Node* n = e.fn.get();
    if (n && dependencies_[n] == 0 && queued.insert(n).second) ready.push(n);
  }

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> buffer = std::move(buffers_[node]);
    buffers_.erase(node);
    fill_missing(node, buffer);

    if (captures_) {
      for (size_t i = 0; i < captures_->size(); ++i) {
        const Capture& c = (*captures_)[i];
        if (c.node == node) (*captured)[i] = buffer[c.input_nr];
      }
      if (boundary_) {
        if (at_boundary(node)) {
          GPUNN_CHECK(capture_nodes_.count(node) != 0,
                      "checkpoint: the recomputed function reached ", node->name(),
                      ", made outside the checkpoint, through a tensor its first run "
                      "did not use; a checkpointed function must run the same ops on the same "
                      "tensors each time it is called");
          continue;
        }
      } else if (!needed_[node]) {
        continue;
      }
    }

    GPUNN_CHECK(!node->released, "backward: ", node->name(),
                " was already freed by an earlier backward pass; pass retain_graph=true to the "
                "first backward() to run backward through the same graph twice");
    std::vector<Tensor> grads;
    {
      anomaly::NodeScope node_scope;  // the node's result is checked whole, below
      grads = create_graph_ ? node->apply_differentiable(buffer) : node->apply(buffer);
    }
    buffer.clear();
    if (!retain_graph_ && !node->reusable()) {
      node->release_saved();
      node->released = true;
    }
    check_gradients(node, grads);
    if (anomaly::enabled()) anomaly::check_node_gradients(*node, grads);

    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.valid()) continue;
      Node* next = e.fn.get();
      if (i < grads.size() && grads[i].defined()) add_to_buffer(next, e.input_nr, grads[i]);
      if (--dependencies_[next] == 0 && queued.insert(next).second) ready.push(next);
    }
  }
}

// What every backward walk runs under: recording and tangents off, or with create_graph
// both on (the rules are recorded and carry tangents); autocast off (backward rules run in
// the dtypes their forward ran in, also when backward() is called inside an autocast scope).
class BackwardModes {
 public:
  explicit BackwardModes(bool create_graph = false)
      : grad_enabled_(is_grad_enabled()), autocast_(autocast::dtype(), /*enabled=*/false) {
    set_grad_enabled(create_graph);
    if (!create_graph) no_tangents_.emplace();
  }
  ~BackwardModes() { set_grad_enabled(grad_enabled_); }
  BackwardModes(const BackwardModes&) = delete;
  BackwardModes& operator=(const BackwardModes&) = delete;

 private:
  bool grad_enabled_;
  std::optional<ForwardADGuard> no_tangents_;
  autocast::Guard autocast_;
};

// Roots and their gradients for backward()/grad(), with the checks users hit.
void prepare_roots(const char* op, const std::vector<Tensor>& outputs,
                   const std::vector<Tensor>& grad_outputs, std::vector<Edge>* roots,
                   std::vector<Tensor>* grads, bool create_graph) {
  GPUNN_CHECK(!outputs.empty(), op, ": no outputs given");
  GPUNN_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), op, ": ",
              outputs.size(), " outputs but ", grad_outputs.size(), " output gradients");
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    GPUNN_CHECK(out.defined(), op, ": output ", i, " is undefined");
    GPUNN_CHECK(out.requires_grad(), op, ": output ", i, " ", describe(out),
                " does not require grad and has no grad_fn (were the inputs made with "
                "requires_grad, and was recording on?)");
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      GPUNN_CHECK(out.numel() == 1, op,
                  ": a gradient can be implied only for an output with one "
                  "element; output ",
                  i, " has shape ", out.shape(), ", so pass its gradient");
      g = ones_like(out);
    } else {
      GPUNN_CHECK(
          g.shape() == out.shape() && g.dtype() == out.dtype() && g.device() == out.device(), op,
          ": gradient ", describe(g), " on ", g.device().str(), " for output ", i, " ",
          describe(out), " on ", out.device().str(),
          " (expected the same shape, dtype and device)");
      // With create_graph the output gradients keep their history: the result is then
      // differentiable in them too.
      if (!create_graph) g = g.detach();
    }
    roots->push_back(gradient_edge(out));
    grads->push_back(g);
  }
}

}  // namespace

namespace detail {

std::vector<Tensor> backward_to_boundary(const std::vector<Tensor>& outputs,
                                         const std::vector<Tensor>& grad_outputs,
                                         const std::vector<Edge>& boundary,
                                         uint64_t first_sequence_nr) {
  GPUNN_ASSERT(outputs.size() == grad_outputs.size(), "backward_to_boundary: ", outputs.size(),
               " outputs, ", grad_outputs.size(), " gradients");
  BackwardModes modes;
  std::vector<Capture> captures;
  for (const Edge& e : boundary) captures.push_back({e.fn.get(), e.input_nr});
  std::vector<Edge> roots;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    roots.push_back(gradient_edge(outputs[i]));
    grads.push_back(grad_outputs[i]);
  }
  std::vector<Tensor> captured(boundary.size());
  GraphTask task(/*retain_graph=*/false, &captures);
  task.stop_at_boundary(first_sequence_nr);
  task.run(roots, grads, &captured);
  return captured;
}

}  // namespace detail

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              bool retain_graph) {
  backward(outputs, grad_outputs, GradOptions{.retain_graph = retain_graph});
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              const GradOptions& options) {
  std::vector<Edge> roots;
  std::vector<Tensor> grads;
  prepare_roots("backward", outputs, grad_outputs, &roots, &grads, options.create_graph);
  BackwardModes modes(options.create_graph);
  GraphTask(options.retain_graph, nullptr, options.create_graph).run(roots, grads, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool allow_unused) {
  return grad(outputs, inputs, grad_outputs,
              GradOptions{.retain_graph = retain_graph, .allow_unused = allow_unused});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, const GradOptions& options) {
  const bool allow_unused = options.allow_unused;
  std::vector<Edge> roots;
  std::vector<Tensor> grads;
  prepare_roots("grad", outputs, grad_outputs, &roots, &grads, options.create_graph);
  BackwardModes modes(options.create_graph);

  // Keep the capture edges (and so any new grad accumulators) alive for the walk.
  std::vector<Edge> input_edges;
  std::vector<Capture> captures;
  for (size_t i = 0; i < inputs.size(); ++i) {
    GPUNN_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "grad: input ", i,
                " does not require grad");
    input_edges.push_back(gradient_edge(inputs[i]));
    captures.push_back({input_edges.back().fn.get(), input_edges.back().input_nr});
  }
  std::vector<Tensor> captured(inputs.size());
  GraphTask(options.retain_graph, &captures, options.create_graph).run(roots, grads, &captured);
  for (size_t i = 0; i < inputs.size(); ++i) {
    GPUNN_CHECK(captured[i].defined() || allow_unused, "grad: input ", i, " ", describe(inputs[i]),
                " was not used to compute the outputs (pass allow_unused=true to accept that)");
  }
  return captured;
}

}  // namespace gpunn::autograd
