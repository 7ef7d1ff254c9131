// Nodes, saved tensors and gradient accumulation (core/autograd/node.h).
#include "core/autograd/node.h"

#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>

#include <atomic>

#include "core/autograd/checkpoint.h"
#include "core/ops/common.h"

namespace gpunn::autograd {
namespace {
std::atomic<uint64_t> sequence_counter{0};
}  // namespace

Node::Node() : sequence_nr(sequence_counter.fetch_add(1, std::memory_order_relaxed)) {}

uint64_t next_sequence_nr() { return sequence_counter.load(std::memory_order_relaxed); }

Node::~Node() {
  // Note [deleting long graphs]: only the outermost ~Node drains the queue; the
  // nodes it frees push their own edges and return.
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  for (Edge& e : next_edges)
    if (e.fn) pending.push_back(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> next = std::move(pending.back());
    pending.pop_back();
    next.reset();  // may run ~Node of `next`, which only queues its edges
  }
  draining = false;
}

std::vector<Tensor> Node::apply_differentiable(std::vector<Tensor>& /*grads*/) {
  GPUNN_CHECK(false, "backward: ", name(),
              " has no differentiable gradient rule, so a backward pass with create_graph=true "
              "(double backward, hvp, hessian, a gradient penalty) cannot go through it; the ops "
              "with one are listed in docs/autograd.md");
  return {};
}

SavedTensor::SavedTensor(const Tensor& t) : was_defined_(t.defined()) {
  if (!t.defined()) return;
  data_ = t.detach();
  version_ = t.impl()->storage->version();
  if (t.impl()->tangent.defined()) tangent_ = t.impl()->tangent;
}

SavedTensor::SavedTensor(const Tensor& value, const Tensor& source) : SavedTensor(value) {
  if (was_defined_ && source.defined() && source.impl()->tangent.defined())
    tangent_ = source.impl()->tangent;
}

void SavedTensor::set_tangent(const Tensor& tangent) {
  if (was_defined_) tangent_ = tangent.defined() ? tangent.detach() : Tensor();
}

Tensor SavedTensor::unpack_differentiable(const Node& node, const Edge& history) const {
  const Tensor value = unpack(node);
  if (!value.defined()) return value;
  return with_history(value, history, tangent_);
}

Tensor SavedTensor::unpack_output(Node& node, uint32_t output_nr) const {
  const Tensor value = unpack(node);
  if (!value.defined()) return value;
  return with_history(value, Edge{node.shared_from_this(), output_nr}, tangent_);
}

Tensor with_history(const Tensor& value, const Edge& history, const Tensor& tangent) {
  Tensor out = value.detach();
  TensorImpl& impl = *out.impl();
  if (history.valid()) {
    impl.requires_grad = true;
    if (history.fn->reusable()) {
      // A leaf's accumulator: the alias accumulates into the leaf (gradient_edge finds it).
      impl.grad_accumulator = history.fn;
    } else {
      impl.grad_fn = history.fn;
      impl.output_nr = history.input_nr;
    }
  }
  if (tangent.defined()) impl.tangent = tangent;
  return out;
}

Tensor SavedTensor::unpack(const Node& node) const {
  if (!was_defined_) return Tensor();
  GPUNN_CHECK(data_.defined(), "backward: ", node.name(),
              " has already released its saved tensors in an earlier backward pass; "
              "pass retain_graph=true to the first backward() to run backward twice");
  const uint64_t now = data_.impl()->storage->version();
  GPUNN_CHECK(now == version_, "backward: a tensor ", describe(data_), " saved by ", node.name(),
              " was modified in place after it was saved (version ", now, ", saved at version ",
              version_, "); use an out-of-place op or clone() before modifying it");
  return data_;
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>& grads) {
  Tensor& g = grads[0];
  const std::shared_ptr<TensorImpl> held = leaf_.lock();
  if (!held) return {};  // the leaf is gone: no grad() to accumulate into
  TensorImpl& leaf = *held;
  GPUNN_ASSERT(g.shape() == leaf.shape && g.dtype() == leaf.dtype, "accumulate_grad: gradient ",
               describe(g), " for a leaf ", leaf.shape, " ", dtype_name(leaf.dtype));
  if (!leaf.grad.defined()) {
    // Keep the incoming tensor only when nothing else can see or change it: it is
    // contiguous, this buffer holds its only handle and no view shares its storage.
    const bool exclusive =
        g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 && g.is_contiguous();
    leaf.grad = exclusive ? g : g.clone();
  } else {
    leaf.grad.add_(g);
  }
  return {};
}

std::vector<Tensor> AccumulateGrad::apply_differentiable(std::vector<Tensor>& grads) {
  Tensor& g = grads[0];
  const std::shared_ptr<TensorImpl> held = leaf_.lock();
  if (!held) return {};
  TensorImpl& leaf = *held;
  GPUNN_ASSERT(g.shape() == leaf.shape && g.dtype() == leaf.dtype, "accumulate_grad: gradient ",
               describe(g), " for a leaf ", leaf.shape, " ", dtype_name(leaf.dtype));
  leaf.grad = leaf.grad.defined() ? add(leaf.grad, g) : g;
  return {};
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined()) return {};
  TensorImpl& impl = *t.impl();
  if (impl.grad_fn) return {impl.grad_fn, impl.output_nr};
  if (!impl.requires_grad) return {};
  std::shared_ptr<Node> acc = impl.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    acc->outputs.push_back({impl.shape, impl.dtype, impl.device()});
    impl.grad_accumulator = acc;
  }
  return {acc, 0};
}

// With recording off, a checkpoint's first run learns which outside tensors its
// function uses (Note [what a checkpoint's first run learns]).
bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) {
    if (detail::BoundaryCollector* c = detail::boundary_collector()) {
      for (const Tensor* t : inputs)
        if (t && t->defined() && t->requires_grad()) c->add(*t);
    }
    return false;
  }
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) {
    if (detail::BoundaryCollector* c = detail::boundary_collector()) {
      for (const Tensor& t : inputs)
        if (t.defined() && t.requires_grad()) c->add(t);
    }
    return false;
  }
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void set_history(const Tensor& output, const std::shared_ptr<Node>& node) {
  TensorImpl& impl = *output.impl();
  GPUNN_ASSERT(is_floating(impl.dtype), node->name(), " recorded a non-float output");
  impl.requires_grad = true;
  impl.grad_fn = node;
  impl.output_nr = static_cast<uint32_t>(node->outputs.size());
  node->outputs.push_back({impl.shape, impl.dtype, impl.device()});
}

}  // namespace gpunn::autograd
