// nn::Module: the base of every layer and model.
//
// A module owns named parameters (tensors that train), named buffers (state that
// does not train, such as batch norm's running statistics) and named child
// modules, in registration order. Names nest with dots ("features.0.weight"),
// as in every state dict users have seen. Modules are held by std::shared_ptr.
//
//   class Net : public nn::Module {
//    public:
//     Net() : Module("Net") {
//       fc1 = register_module("fc1", std::make_shared<nn::Linear>(784, 256));
//       fc2 = register_module("fc2", std::make_shared<nn::Linear>(256, 10));
//     }
//     Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x))); }
//     std::shared_ptr<nn::Linear> fc1, fc2;
//   };
//
// A parameter registered once is the same tensor object for the module's whole
// life: to(dtype)/to(device) and load_state_dict() change its data in place
// (Tensor::set_data / copy_), so optimizers built before keep working.
#pragma once

#include <gpunn/export.h>
#include <gpunn/state_dict.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::nn {

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string type_name = "Module");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The layer's type, e.g. "Linear" (printing, summaries, errors).
  const std::string& type_name() const { return type_name_; }

  // Single-input, single-output forward; layers with other signatures (RNN,
  // LSTM) add their own and implement this one for their common use.
  virtual Tensor forward(const Tensor& input);
  // forward(input), seen by observers such as nn::summary; containers call
  // their children this way.
  Tensor operator()(const Tensor& input);

  // ---- parameters, buffers, children ---------------------------------------------------
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // This module ("" as its name) and every descendant, depth first, in order.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules();
  // Learnable scalars in all parameters.
  int64_t num_parameters(bool trainable_only = false) const;

  // ---- modes and devices -------------------------------------------------------------------
  // Training mode (dropout drops, batch norm uses batch statistics) or
  // evaluation mode; applies to all descendants.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Converts every parameter and buffer (and gradients) in place.
  void to(DType dtype);
  void to(Device device);

  // Zeroes (or, with set_to_none, forgets) the gradients of all parameters.
  void zero_grad(bool set_to_none = true);

  // ---- state ---------------------------------------------------------------------------------
  // Parameters and buffers by dotted name (tensors share data with the module;
  // clone them to keep a snapshot).
  StateDict state_dict() const;
  // Copies values in. strict: every entry of the module must be present and no
  // other; either way a name with the wrong shape is an error. Dtypes convert.
  // The module is untouched when an error is raised.
  void load_state_dict(const StateDict& state, bool strict = true);

  // ---- printing --------------------------------------------------------------------------------
  // The layer's settings for printing, e.g. "in_features=784, out_features=10".
  virtual std::string extra_repr() const { return ""; }
  // The tree of modules, one line each, as users of other frameworks know it.
  std::string repr() const;

  // Calls fn on this module and every descendant, depth first.
  void apply(const std::function<void(Module&)>& fn);

 protected:
  // Registers `tensor` as a parameter (requires_grad set unless told otherwise)
  // and returns it. Names are unique within a module and contain no '.'.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    register_child(name, module);
    return module;
  }
  // Replaces the tensor registered under `name` (parameter or buffer), e.g. to
  // drop a bias. An undefined tensor is kept as "absent".
  void replace_tensor(const std::string& name, Tensor tensor);

 private:
  void register_child(const std::string& name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* what) const;
  void collect(const std::string& prefix, bool recurse, bool params,
               std::vector<std::pair<std::string, Tensor>>* out) const;
  void repr_into(std::ostream& os, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

namespace detail {
// Sees every Module::operator() call on this thread while installed (used by
// nn::summary to record each layer's output).
class ForwardObserver {
 public:
  virtual ~ForwardObserver() = default;
  virtual void on_forward(Module& module, const Tensor& input, const Tensor& output) = 0;
};
// Whether a ForwardObserver is installed on this thread.
bool observing_forward();
// Installs `observer` for the scope's lifetime (nesting restores the previous one).
class ForwardObserverScope {
 public:
  explicit ForwardObserverScope(ForwardObserver* observer);
  ~ForwardObserverScope();
  ForwardObserverScope(const ForwardObserverScope&) = delete;
  ForwardObserverScope& operator=(const ForwardObserverScope&) = delete;

 private:
  ForwardObserver* previous_;
};
}  // namespace detail

}  // namespace gpunn::nn

GPUNN_API_END
