// Forward mode: dual tensors and the helpers ops use to push tangents
// (core/autograd/forward_ad.h).
#include "core/autograd/forward_ad.h"

#include "core/autograd/node.h"
#include "core/ops/common.h"

namespace gpunn::autograd {
namespace {

// make_dual is the identity for reverse mode.
class MakeDualBackward final : public Node {
 public:
  const char* name() const override { return "make_dual_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override { return {grads[0]}; }
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    return {grads[0]};
  }
};

}  // namespace

Tensor make_dual(const Tensor& primal, const Tensor& tangent) {
  check_defined("make_dual", primal, "primal");
  check_floating("make_dual", primal, "primal");
  check_defined("make_dual", tangent, "tangent");
  GPUNN_CHECK(tangent.shape() == primal.shape() && tangent.dtype() == primal.dtype() &&
                  tangent.device() == primal.device(),
              "make_dual: tangent ", describe(tangent), " on ", tangent.device().str(),
              " must match primal ", describe(primal), " on ", primal.device().str());
  Tensor dual = primal.detach();
  if (needs_grad({&primal})) set_history(dual, make_node<MakeDualBackward>({&primal}));
  dual.impl()->tangent = tangent.detach();
  return dual;
}

namespace detail {

std::vector<Tensor> make_duals(const std::vector<Tensor>& inputs,
                               const std::vector<Tensor>& directions) {
  GPUNN_CHECK(inputs.size() == directions.size(), "jvp: ", inputs.size(), " inputs but ",
              directions.size(), " directions");
  std::vector<Tensor> duals;
  duals.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    duals.push_back(directions[i].defined() ? make_dual(inputs[i], directions[i]) : inputs[i]);
  }
  return duals;
}

Tensor output_tangent(const Tensor& output) {
  check_defined("jvp", output, "output");
  Tensor t = output.tangent();
  return t.defined() ? t : zeros_like(output);
}

}  // namespace detail

namespace fw {

Tensor tangent_of(const Tensor& t) { return t.defined() ? t.impl()->tangent : Tensor(); }

bool any_tangent(std::initializer_list<const Tensor*> inputs) {
  if (!enabled()) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->impl()->tangent.defined()) return true;
  return false;
}

bool any_tangent(const std::vector<Tensor>& inputs) {
  if (!enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.impl()->tangent.defined()) return true;
  return false;
}

void set_tangent(const Tensor& output, const Tensor& tangent) {
  if (!tangent.defined()) return;
  GPUNN_ASSERT(tangent.dtype() == output.dtype(), "tangent ", describe(tangent), " for output ",
               describe(output));
  Tensor t = tangent.shape() == output.shape() ? tangent : tangent.expand(output.shape());
  output.impl()->tangent = t.detach();
}

}  // namespace fw
}  // namespace gpunn::autograd
