// Recompute scopes: autograd::checkpoint (gpunn/autograd.h, core/autograd/checkpoint.h).
//
// Forward: fn runs once with recording off on detached aliases of the inputs (tangents
// kept), while a BoundaryCollector learns the outside tensors fn's gradient reaches and
// the generators it draws from (Note [what a checkpoint's first run learns]). One
// CheckpointBackward node then takes fn's outputs; it saves the inputs and nothing fn
// made.
//
// Backward: the node reruns fn on fresh leaves holding the inputs' values, with
// recording on, the generators at their saved states and autocast as it was, then walks
// the rerun's graph down to its boundary (detail::backward_to_boundary): the fresh
// leaves and the edges learnt in forward. What reaches them is the node's result, so
// the outer backward accumulates it like any other node's.
#include "core/autograd/checkpoint.h"

#include <gpunn/autocast.h>
#include <gpunn/autograd.h>

#include <set>

#include "core/autocast.h"
#include "core/autograd/node.h"
#include "core/ops/common.h"

namespace gpunn::autograd {
namespace detail {
namespace {
thread_local BoundaryCollector* installed = nullptr;
thread_local int recompute_depth = 0;
}  // namespace

BoundaryCollector::BoundaryCollector() : previous_(installed) { installed = this; }
BoundaryCollector::~BoundaryCollector() { installed = previous_; }

void BoundaryCollector::add(const Tensor& t) {
  Edge e = gradient_edge(t);
  if (!e.valid()) return;
  for (const Edge& have : edges)
    if (have.fn == e.fn && have.input_nr == e.input_nr) return;
  edges.push_back(std::move(e));
}

void BoundaryCollector::note_generator(Generator* generator, Generator::State before) {
  for (const auto& [g, state] : generators)
    if (g == generator) return;
  generators.emplace_back(generator, before);
}

BoundaryCollector* boundary_collector() { return installed; }

}  // namespace detail

bool is_recomputing() { return detail::recompute_depth > 0; }

namespace {

// A new tensor sharing t's data and tangent, with no history.
Tensor alias(const Tensor& t) {
  Tensor a = t.detach();
  if (t.impl()->tangent.defined()) a.impl()->tangent = t.impl()->tangent;
  return a;
}

struct CheckpointSaved {
  std::vector<SavedTensor> inputs;
};

class CheckpointBackward final : public NodeWith<CheckpointSaved> {
 public:
  const char* name() const override { return "checkpoint_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override;
  void release_saved() override {
    saved = {};
    fn = nullptr;  // it may hold tensors (a closure's captures)
  }

  CheckpointFunction fn;
  std::vector<bool> input_requires_grad;  // next_edges[0, n) are the inputs' edges
  std::vector<std::pair<Generator*, Generator::State>> generators;
  bool autocast_enabled = false;
  DType autocast_dtype = kBFloat16;
  std::vector<int64_t> output_slot;  // fn's output i is this node's output slot (or -1)
};

// The rerun's surroundings: recording on, Note [recomputing], autocast as in forward,
// each generator at the state it had before forward's first draw (and back afterwards,
// so the numbers drawn after the rerun are the ones that would have been drawn anyway).
class RecomputeScope {
 public:
  explicit RecomputeScope(const CheckpointBackward& node)
      : autocast_(node.autocast_dtype, node.autocast_enabled), grad_was_(is_grad_enabled()) {
    set_grad_enabled(true);
    ++detail::recompute_depth;
    for (const auto& [generator, state] : node.generators) {
      after_.emplace_back(generator, generator->state());
      generator->set_state(state);
    }
  }
  ~RecomputeScope() {
    for (auto it = after_.rbegin(); it != after_.rend(); ++it) it->first->set_state(it->second);
    --detail::recompute_depth;
    set_grad_enabled(grad_was_);
  }
  RecomputeScope(const RecomputeScope&) = delete;
  RecomputeScope& operator=(const RecomputeScope&) = delete;

 private:
  autocast::Guard autocast_;
  bool grad_was_;
  std::vector<std::pair<Generator*, Generator::State>> after_;
};

std::vector<Tensor> CheckpointBackward::apply(std::vector<Tensor>& grads) {
  const size_t n = input_requires_grad.size();
  std::vector<Tensor> inputs(n);
  for (size_t i = 0; i < n; ++i) {
    Tensor x = saved.inputs[i].unpack(*this);
    if (!x.defined()) continue;
    inputs[i] = x.detach();
    if (input_requires_grad[i]) inputs[i].requires_grad_(true);
  }

  const uint64_t first_sequence_nr = next_sequence_nr();
  std::vector<Tensor> rerun;
  {
    RecomputeScope scope(*this);
    rerun = fn(inputs);
  }
  GPUNN_CHECK(rerun.size() == output_slot.size(), "checkpoint: the recomputed function returned ",
              rerun.size(), " tensors, its first run ", output_slot.size(),
              "; a checkpointed function must do the same each time it is called");

  std::vector<Tensor> roots, root_grads;
  for (size_t i = 0; i < rerun.size(); ++i) {
    if (output_slot[i] < 0) continue;
    const Tensor& o = rerun[i];
    const OutputMeta& m = outputs[static_cast<size_t>(output_slot[i])];
    GPUNN_CHECK(o.defined() && o.shape() == m.shape && o.dtype() == m.dtype, "checkpoint: output ",
                i, " of the recomputed function is ", o.defined() ? describe(o) : "undefined",
                ", in its first run ", m.shape, " ", dtype_name(m.dtype),
                "; a checkpointed function must do the same each time it is called");
    if (!o.requires_grad()) continue;  // depends on nothing that trains
    roots.push_back(o);
    root_grads.push_back(grads[static_cast<size_t>(output_slot[i])]);
  }

  std::vector<Edge> boundary;
  std::vector<size_t> edge_of;  // boundary[k] feeds next_edges[edge_of[k]]
  for (size_t i = 0; i < n; ++i) {
    if (!input_requires_grad[i]) continue;
    boundary.push_back(gradient_edge(inputs[i]));
    edge_of.push_back(i);
  }
  for (size_t j = n; j < next_edges.size(); ++j) {
    boundary.push_back(next_edges[j]);
    edge_of.push_back(j);
  }
  std::vector<Tensor> result(next_edges.size());
  if (roots.empty()) return result;
  std::vector<Tensor> captured =
      detail::backward_to_boundary(roots, root_grads, boundary, first_sequence_nr);
  for (size_t k = 0; k < captured.size(); ++k) result[edge_of[k]] = std::move(captured[k]);
  return result;
}

}  // namespace

std::vector<Tensor> checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs) {
  GPUNN_CHECK(static_cast<bool>(fn), "checkpoint: no function given");
  if (!is_grad_enabled()) return fn(inputs);

  std::vector<Tensor> args;
  args.reserve(inputs.size());
  for (const Tensor& x : inputs) args.push_back(x.defined() ? alias(x) : Tensor());
  std::vector<Tensor> outputs;
  std::vector<Edge> outside;
  std::vector<std::pair<Generator*, Generator::State>> generators;
  {
    detail::BoundaryCollector collector;
    {
      NoGradGuard no_grad;
      outputs = fn(args);
    }
    // An outside tensor returned as it is: its gradient goes straight through.
    for (const Tensor& o : outputs)
      if (o.defined() && o.requires_grad()) collector.add(o);
    outside = std::move(collector.edges);
    generators = std::move(collector.generators);
  }
  const bool inputs_need_grad = needs_grad(inputs);
  if (!inputs_need_grad && outside.empty()) return outputs;

  auto node = make_node_from<CheckpointBackward>(inputs);
  for (Edge& e : outside) node->next_edges.push_back(std::move(e));
  for (const Tensor& x : inputs) {
    node->saved.inputs.emplace_back(x);
    node->input_requires_grad.push_back(x.defined() && x.requires_grad());
  }
  node->fn = fn;
  node->generators = std::move(generators);
  node->autocast_enabled = autocast_detail::state().enabled;
  node->autocast_dtype = autocast_detail::state().dtype;

  std::set<const TensorImpl*> recorded;
  for (Tensor& o : outputs) {
    if (!o.defined() || !o.is_floating_point()) {
      node->output_slot.push_back(-1);
      continue;
    }
    // Outputs that already have a history (an outside tensor) or repeat are aliased.
    if (o.requires_grad() || !recorded.insert(o.impl()).second) o = alias(o);
    node->output_slot.push_back(static_cast<int64_t>(node->outputs.size()));
    set_history(o, node);
  }
  return outputs;
}

Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input) {
  GPUNN_CHECK(static_cast<bool>(fn), "checkpoint: no function given");
  return checkpoint([fn](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in[0])}; },
                    {input})[0];
}

}  // namespace gpunn::autograd
