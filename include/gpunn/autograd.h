// Autograd: reverse mode (backpropagation) and forward mode (directional
// derivatives).
//
// Reverse mode: ops on tensors that require grad record nodes on a tape as they
// run (define-by-run). backward() walks the tape from a result back to the
// leaves, summing gradients into each leaf's grad(). Saved tensors are released
// as the sweep passes them unless retain_graph is set.
//
// Forward mode: a dual tensor carries a tangent (a direction); every op computes
// its output's tangent from its inputs' tangents as it runs (a JVP), so one
// forward pass gives the directional derivative J·v.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

// True while ops record the tape (the default on every thread).
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// Stops recording while alive: for evaluation, and for optimizers that update
// parameters in place.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

namespace autograd {

// ---- anomaly mode --------------------------------------------------------------
// A debugging tool (docs/reproducibility.md). While on, every op checks each
// floating-point tensor it outputs, and backward checks every gradient each node
// returns; the first one holding NaN or Inf raises gpunn::AnomalyError naming
// the op (its input and output shapes) or the backward node, the forward op
// that recorded it and the module it ran in:
//   "anomaly: log produced NaN in its output [2] float32 (inputs: [2] float32)"
// Each check reads the tensor: on CUDA a device reduction and one synchronising
// copy of two flags to the host per op. Off by default; when off, no tensor is
// read. Process-wide; GPUNN_DETECT_ANOMALY=1 in the environment turns it on at
// start-up.
void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();

// Turns anomaly mode on (or off) while alive, then restores the previous setting.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool enabled = true);
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

// Names the code running on this thread for anomaly messages while alive; scopes
// nest ("Sequential/Conv2d"). nn::Module::operator() opens one with the layer's
// type name when anomaly mode is on.
class AnomalyScope {
 public:
  explicit AnomalyScope(std::string name);
  ~AnomalyScope();
  AnomalyScope(const AnomalyScope&) = delete;
  AnomalyScope& operator=(const AnomalyScope&) = delete;
};

// Reverse mode from several outputs at once. grad_outputs is empty (every output
// then holds one element) or has one entry per output (undefined entries mean
// ones for one-element outputs).
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false);

// The gradients of `outputs` with respect to `inputs`, returned instead of
// accumulated into grad(). An input the outputs do not depend on gives an error,
// or an undefined tensor with allow_unused.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool allow_unused = false);

// ---- derivatives of derivatives -----------------------------------------------------
// create_graph: the backward pass is itself recorded: every gradient rule runs as ops on
// tensors with history, so the gradients returned (or accumulated into grad()) can be
// differentiated again (double backward: Hessian-vector products, gradient penalties), and
// tangents of dual inputs flow through it (forward over reverse). It implies retain_graph,
// and the output gradients keep their own history. An op whose gradient rule cannot be
// differentiated raises an error naming it when the pass reaches it (docs/autograd.md lists
// the ops that have one). Off (the default), backward is exactly as without it.
struct GradOptions {
  bool retain_graph = false;
  bool create_graph = false;
  bool allow_unused = false;  // grad() only
};
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              const GradOptions& options);
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, const GradOptions& options);

// For the functions below f maps a tensor x (float32 or float64, any shape) to a tensor;
// x itself is not changed and needs no requires_grad.
using ScalarFunction = std::function<Tensor(const Tensor&)>;

// The gradient and the Hessian-vector product H·v of a function f with one-element output
// at x, by forward over reverse: one forward pass with x dual (tangent v) and one
// differentiable backward pass whose tangent is H·v. Costs about one gradient. v has x's
// shape; so do both results.
std::pair<Tensor, Tensor> hvp(const ScalarFunction& f, const Tensor& x, const Tensor& v);

enum class HessianMode {
  ForwardOverReverse,  // one hvp per element of x
  ReverseOverReverse,  // one backward through the gradient per element of x
};
// The Hessian of a function f with one-element output at x, shape x.shape() + x.shape()
// (for x of n elements, an n x n matrix reshaped). For small x: it costs n passes.
Tensor hessian(const ScalarFunction& f, const Tensor& x,
               HessianMode mode = HessianMode::ForwardOverReverse);

enum class JacobianMode {
  Forward,  // one jvp per element of x (columns)
  Reverse,  // one backward per element of f(x) (rows)
};
// The Jacobian of f at x, shape f(x).shape() + x.shape().
Tensor jacobian(const ScalarFunction& f, const Tensor& x,
                JacobianMode mode = JacobianMode::Reverse);

// ---- recompute instead of store ---------------------------------------------------
// checkpoint(fn, inputs) returns fn(inputs) but keeps only `inputs` for backward, not
// the activations fn makes: backward reruns fn (with recording on) and backpropagates
// through the rerun. It trades one more forward of fn for its saved activations, so
// deeper models and larger batches fit in the same memory (Chen et al., "Training Deep
// Nets with Sublinear Memory Cost", 2016).
//   x = autograd::checkpoint([&](const Tensor& t) { return block(t); }, x);
// - Gradients reach `inputs` and every tensor fn uses that requires grad (the
//   parameters of the layers it calls, tensors it closes over), the same as without
//   the checkpoint: bit for bit on the CPU.
// - Random ops draw the same numbers in the rerun (dropout masks match): the state of
//   each generator fn draws from is kept and replayed. Autocast is rerun as it was.
// - Checkpoints nest; forward mode (jvp) sees through them; batch norm's running
//   statistics move once per forward, not again in the rerun.
// - fn must run the same ops on the same tensors each time (no branching on anything
//   that changes between forward and backward); the rerun reaching a tensor the first
//   run did not use is an error. `inputs` must not be changed in place before backward
//   (the usual saved-tensor error names it).
// With recording off (NoGradGuard, evaluation) it simply calls fn.
using CheckpointFunction = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
std::vector<Tensor> checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs);
Tensor checkpoint(const std::function<Tensor(const Tensor&)>& fn, const Tensor& input);

// True while a checkpoint reruns its function on this thread: layers with side effects
// in forward (a counter, running statistics) skip them then.
bool is_recomputing();

// ---- forward mode ----------------------------------------------------------------
// A new tensor sharing primal's data and carrying `tangent` (same shape, dtype
// and device as primal).
Tensor make_dual(const Tensor& primal, const Tensor& tangent);

// Disables tangent propagation while alive (gpunn uses it while computing tangents).
class ForwardADGuard {
 public:
  ForwardADGuard();
  ~ForwardADGuard();
  ForwardADGuard(const ForwardADGuard&) = delete;
  ForwardADGuard& operator=(const ForwardADGuard&) = delete;

 private:
  bool previous_;
};

namespace detail {
std::vector<Tensor> make_duals(const std::vector<Tensor>& inputs,
                               const std::vector<Tensor>& directions);
// The tangent of an output, or zeros of its shape when it does not depend on
// any input's direction.
Tensor output_tangent(const Tensor& output);
}  // namespace detail

// Directional derivative of f at `inputs` along `directions` (one per input; an
// undefined direction means zero) in a single forward pass.
//   f(inputs) -> Tensor                  returns {f(x), J·v}
//   f(inputs) -> std::vector<Tensor>     returns {outputs, tangents}
template <typename F>
auto jvp(F&& f, const std::vector<Tensor>& inputs, const std::vector<Tensor>& directions) {
  using R = std::invoke_result_t<F, const std::vector<Tensor>&>;
  std::vector<Tensor> duals = detail::make_duals(inputs, directions);
  if constexpr (std::is_same_v<std::decay_t<R>, Tensor>) {
    Tensor out = f(duals);
    return std::pair<Tensor, Tensor>{out.detach(), detail::output_tangent(out)};
  } else {
    std::vector<Tensor> outs = f(duals);
    std::vector<Tensor> tangents;
    for (Tensor& o : outs) {
      tangents.push_back(detail::output_tangent(o));
      o = o.detach();
    }
    return std::pair<std::vector<Tensor>, std::vector<Tensor>>{outs, tangents};
  }
}

}  // namespace autograd
}  // namespace gpunn

GPUNN_API_END
