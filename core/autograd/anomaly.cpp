// Anomaly mode (gpunn/autograd.h, core/autograd/anomaly.h): the setting, the
// module scopes, and the NaN/Inf scans of op outputs and node gradients.
#include "core/autograd/anomaly.h"

#include <gpunn/autograd.h>
#include <gpunn/error.h>

#include <atomic>
#include <cstdlib>
#include <sstream>

#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/environment.h"
#include "core/ops/common.h"
#include "kernels/reduce.h"

namespace gpunn::autograd {
namespace {

std::atomic<bool>& flag() {
  static std::atomic<bool> on{env::flag("GPUNN_DETECT_ANOMALY", false)};
  return on;
}

std::atomic<uint64_t> scans{0};

// Set inside a backward node's apply() and inside a check (whose own copies
// must not be checked again).
thread_local bool checks_paused = false;
thread_local std::vector<std::string> scopes;

std::string scope_path() {
  std::string path;
  for (const std::string& s : scopes) path += (path.empty() ? "" : "/") + s;
  return path;
}

// kernels::kHasNan | kernels::kHasInf for t's values.
int scan(const Tensor& t) {
  scans.fetch_add(1, std::memory_order_relaxed);
  const Tensor c = t.is_contiguous() ? t : t.contiguous();
  const int64_t n = c.numel();
  if (n == 0) return 0;
  if (!is_floating(c.dtype()) || c.device().is_meta()) return 0;  // meta: no values
  // One pass into two flag bits; on a GPU a device reduction and one synchronising read.
  Tensor flags = zeros({1}, TensorOptions(kInt64).device(c.device()));
  const kernels::NonfiniteArgs args{
      .dtype = c.dtype(), .n = n, .x = c.data_ptr(), .flags = flags.data<int64_t>()};
  launch(kernels::nonfinite, c.device(), args, {&c}, {}, "anomaly check");
  return static_cast<int>(flags.to(kCPU).item<int64_t>());
}

const char* what_found(int flags) {
  if ((flags & kernels::kHasNan) && (flags & kernels::kHasInf)) return "NaN and Inf";
  return (flags & kernels::kHasNan) ? "NaN" : "Inf";
}

std::string describe_list(std::initializer_list<const Tensor*> tensors) {
  std::string out;
  for (const Tensor* t : tensors) {
    if (t == nullptr || !t->defined()) continue;
    out += (out.empty() ? "" : ", ") + describe(*t);
  }
  return out.empty() ? "none" : out;
}

// "sqrt_backward" -> "sqrt": gpunn names every node after its forward op.
std::string forward_op_of(const Node& node) {
  std::string name = node.name();
  const std::string suffix = "_backward";
  if (name.size() > suffix.size() && name.ends_with(suffix))
    name.resize(name.size() - suffix.size());
  return name;
}

}  // namespace

void set_detect_anomaly(bool enabled) { flag().store(enabled); }
bool is_anomaly_enabled() { return flag().load(std::memory_order_relaxed); }

DetectAnomalyGuard::DetectAnomalyGuard(bool enabled) : previous_(is_anomaly_enabled()) {
  set_detect_anomaly(enabled);
}
DetectAnomalyGuard::~DetectAnomalyGuard() { set_detect_anomaly(previous_); }

AnomalyScope::AnomalyScope(std::string name) { scopes.push_back(std::move(name)); }
AnomalyScope::~AnomalyScope() { scopes.pop_back(); }

namespace anomaly {

bool enabled() { return flag().load(std::memory_order_relaxed); }

uint64_t scan_count() { return scans.load(); }

NodeScope::NodeScope() : previous_(checks_paused) { checks_paused = true; }
NodeScope::~NodeScope() { checks_paused = previous_; }

void check_outputs(const char* op, std::initializer_list<const Tensor*> inputs,
                   std::initializer_list<const Tensor*> outputs) {
  if (checks_paused) return;
  NodeScope paused;  // the scan's own copies are not ops of the user's
  NoGradGuard no_grad;
  int index = 0;
  for (const Tensor* t : outputs) {
    const int i = index++;
    if (t == nullptr || !t->defined() || !is_floating(t->dtype())) continue;
    const int flags = scan(*t);
    if (flags == 0) continue;
    const std::string scope = scope_path();
    std::ostringstream os;
    os << "anomaly: " << op << " produced " << what_found(flags) << " in its output";
    if (outputs.size() > 1) os << ' ' << i;
    os << ' ' << describe(*t) << " (inputs: " << describe_list(inputs) << ")";
    if (!scope.empty()) os << " in " << scope;
    os << "; anomaly mode stops at the first op whose output holds NaN or Inf";
    throw AnomalyError(os.str());
  }
}

std::string creation_context(const Node& node, const std::vector<const Tensor*>& inputs) {
  std::ostringstream os;
  os << "recorded by " << forward_op_of(node) << " on inputs ";
  std::string list;
  for (const Tensor* t : inputs)
    if (t != nullptr && t->defined()) list += (list.empty() ? "" : ", ") + describe(*t);
  os << (list.empty() ? "none" : list);
  const std::string scope = scope_path();
  if (!scope.empty()) os << " in " << scope;
  return os.str();
}

void check_node_gradients(const Node& node, const std::vector<Tensor>& grads) {
  NodeScope paused;
  NoGradGuard no_grad;
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined() || !is_floating(g.dtype())) continue;
    const int flags = scan(g);
    if (flags == 0) continue;
    std::ostringstream os;
    os << "anomaly: backward node " << node.name() << " returned " << what_found(flags)
       << " in the gradient " << describe(g) << " for input " << i << " of " << forward_op_of(node);
    if (!node.anomaly_context.empty()) os << " (" << node.anomaly_context << ")";
    os << "; anomaly mode stops at the first backward node whose gradient holds NaN or Inf";
    throw AnomalyError(os.str());
  }
}

}  // namespace anomaly
}  // namespace gpunn::autograd
