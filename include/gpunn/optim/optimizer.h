// gpunn::optim::Optimizer: the base of SGD, Adam, AdamW and RMSprop.
//
// An optimizer holds parameter groups (leaf tensors that require grad, each group
// with its own learning rate and weight decay) and per-parameter state. step()
// applies one update to every parameter whose grad() is defined, in place and
// with gradient recording off; parameters without a gradient are skipped and
// their state is left alone. State buffers are created at a parameter's first
// update (zeros, except SGD's momentum buffer, which starts as the gradient).
//
// state_dict() layout (the names an optimizer checkpoint holds):
//   "param_groups.<g>.lr", "param_groups.<g>.weight_decay"   float64 0-D
//   "param_groups.<g>.num_params"                            int64 0-D
//   "hparams.<name>"            the optimizer's options, float64 0-D (booleans 0/1)
//   "state.<i>.step"            int64 0-D: updates applied to parameter i
//   "state.<i>.<buffer>"        e.g. "state.3.exp_avg", the parameter's shape and dtype
//                               (float32 for bfloat16 and float16 parameters)
//   "state.<i>.master"          bfloat16 and float16 parameters only: the float32 master copy
//
// bfloat16 and float16 parameters are trained through a float32 master copy with float32
// state (gpunn/ops/optim.h): each step updates the copy and rounds it into the parameter,
// so updates smaller than the parameter's last bit accumulate instead of vanishing. A
// parameter changed outside the optimizer (Module::load_state_dict, in-place edits) is
// noticed by its version (Tensor::version) and its master copy re-read from it.
// where i counts parameters across groups in order. load_state_dict() checks
// every entry (group sizes, names, shapes, dtypes, values) before changing
// anything, restores hyper-parameters and state, and throws gpunn::Error naming
// the optimizer and the entry on any mismatch. Saving, loading and continuing
// gives bitwise the same parameters as never stopping.
#pragma once

#include <gpunn/export.h>
#include <gpunn/state_dict.h>
#include <gpunn/tensor.h>

#include <optional>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::optim {

struct ParamGroup {
  std::vector<Tensor> params;
  // Unset: the optimizer's option of the same name.
  std::optional<double> lr;
  std::optional<double> weight_decay;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Applies one update to every parameter that has a gradient.
  void step();
  // Forgets every parameter's gradient (set_to_none) or zeroes it in place.
  void zero_grad(bool set_to_none = true);

  // The learning rate of group 0 / of `group`; set_lr(lr) sets every group.
  double lr() const { return lr(0); }
  double lr(size_t group) const;
  void set_lr(double lr);
  void set_lr(size_t group, double lr);
  size_t num_groups() const { return groups_.size(); }
  // lr and weight_decay are always set here.
  const std::vector<ParamGroup>& param_groups() const { return groups_; }

  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

  virtual const char* name() const = 0;  // "sgd", "adam", ...

 protected:
  struct ParamState {
    int64_t step = 0;             // 0: no update yet, no buffers
    std::vector<Tensor> buffers;  // in buffer_names() order
    Tensor master;                // float32 copy of a 16-bit parameter (else undefined)
    uint64_t param_version = 0;   // the parameter's version after our last update
  };
  struct HParam {
    const char* name;
    double* value = nullptr;  // exactly one of value / flag
    bool* flag = nullptr;
  };

  Optimizer(std::vector<ParamGroup> groups, double lr, double weight_decay);

  // Names of the state buffers the current options need.
  virtual std::vector<std::string> buffer_names() const = 0;
  // The options, for state_dict()/load_state_dict().
  virtual std::vector<HParam> hparams() = 0;
  // Throws gpunn::Error naming the optimizer if an option is out of range.
  virtual void check_options() const = 0;
  // One update of `param` (state.step already counts it).
  virtual void update(const Tensor& param, const Tensor& grad, ParamState& state,
                      const ParamGroup& group) = 0;

  // Call at the end of a derived constructor.
  void check_all() const;

 private:
  std::vector<ParamGroup> groups_;
  std::vector<ParamState> state_;  // one per parameter, across groups
};

}  // namespace gpunn::optim

GPUNN_API_END
