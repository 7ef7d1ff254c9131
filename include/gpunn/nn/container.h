// Containers: Sequential (modules applied in order), ModuleList (an indexed
// list of modules whose parameters belong to the owner) and Checkpoint (a module
// recomputed in backward instead of storing its activations). Children are named
// "0", "1", ... as users of other frameworks expect in state dicts.
#pragma once

#include <gpunn/export.h>
#include <gpunn/nn/module.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  // Appends a module and returns it.
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(modules_.size()), module);
    modules_.push_back(module);
    return module;
  }
  // Constructs a module in place: seq.emplace<nn::Linear>(784, 10).
  template <typename M, typename... Args>
  std::shared_ptr<M> emplace(Args&&... args) {
    return push_back(std::make_shared<M>(std::forward<Args>(args)...));
  }

  Tensor forward(const Tensor& x) override;
  size_t size() const { return modules_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const;
  std::vector<std::shared_ptr<Module>>::const_iterator begin() const { return modules_.begin(); }
  std::vector<std::shared_ptr<Module>>::const_iterator end() const { return modules_.end(); }

  // Recompute instead of store. With k > 0, forward (while recording) runs the modules
  // in segments of k, and the first `count` segments (all but the last, at most) under
  // autograd::checkpoint: backward keeps only such a segment's input and reruns the
  // segment to backpropagate through it. A segment never ends between a Conv2d or Linear
  // and the ReLU that follows it (they run fused). Gradients are the same as without;
  // the cost is one more forward of the recomputed segments. In a CNN the first layers
  // hold the largest activations for the least arithmetic, so a small `count` often
  // saves most of the memory for a fraction of the time. k = 0 (the default) stores
  // every activation.
  Sequential& checkpoint_segments(size_t k, size_t count = SIZE_MAX);
  size_t checkpoint_segments() const { return checkpoint_segments_; }
  size_t checkpointed_segments() const { return checkpoint_count_; }

 private:
  // modules_[begin, end) in order, Conv2d/Linear + ReLU pairs fused where allowed.
  Tensor run(size_t begin, size_t end, const Tensor& x);
  // The end of the segment of about `k` modules that starts at `begin`.
  size_t segment_end(size_t begin, size_t k) const;

  std::vector<std::shared_ptr<Module>> modules_;
  size_t checkpoint_segments_ = 0;
  size_t checkpoint_count_ = SIZE_MAX;
};

class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(modules_.size()), module);
    modules_.push_back(module);
    return module;
  }
  size_t size() const { return modules_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const;
  std::vector<std::shared_ptr<Module>>::const_iterator begin() const { return modules_.begin(); }
  std::vector<std::shared_ptr<Module>>::const_iterator end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

// Bagging's combination (Breiman, "Bagging Predictors", 1996): the members' predicted
// probabilities averaged, forward(x) = mean over members of softmax(member(x), 1), for
// classifiers that return logits [N, C]. Members are the children "0", "1", ...; train
// each on its own bootstrap resample (data::bootstrap_sample) and combine them here.
class Ensemble : public Module {
 public:
  Ensemble() : Module("Ensemble") {}
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> member) {
    register_module(std::to_string(members_.size()), member);
    members_.push_back(member);
    return member;
  }
  Tensor forward(const Tensor& x) override;  // probabilities [N, C], not logits
  size_t size() const { return members_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const;

 private:
  std::vector<std::shared_ptr<Module>> members_;
};

// Runs `module` under autograd::checkpoint while recording: its forward keeps only its
// input for backward, and backward reruns it (gpunn/autograd.h says what that covers:
// dropout masks repeat, batch norm's statistics move once). Without recording it is the
// module itself. The wrapped module is the child "module" (state-dict names
// "module.weight", ...).
class Checkpoint : public Module {
 public:
  explicit Checkpoint(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> module;
};

}  // namespace gpunn::nn

GPUNN_API_END
