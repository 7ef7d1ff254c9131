// The Optimizer base (gpunn/optim/optimizer.h): parameter groups, the step loop,
// and state save/load.
#include <gpunn/autograd.h>
#include <gpunn/optim/optimizer.h>
#include <gpunn/profiler.h>

#include <cmath>
#include <map>

namespace gpunn::optim {
namespace {

std::string key(const char* section, size_t index, const std::string& field) {
  std::string k = section;
  k += '.';
  k += std::to_string(index);
  k += '.';
  k += field;
  return k;
}

}  // namespace

Optimizer::Optimizer(std::vector<ParamGroup> groups, double lr, double weight_decay)
    : groups_(std::move(groups)) {
  size_t count = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    if (!group.lr) group.lr = lr;
    if (!group.weight_decay) group.weight_decay = weight_decay;
    for (size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      GPUNN_CHECK(p.defined(), "optimizer: parameter ", i, " of group ", g, " is undefined");
      GPUNN_CHECK(p.is_floating_point(), "optimizer: parameter ", i, " of group ", g, " is ",
                  p.dtype(), "; only float32 and float64 tensors can be optimized");
      GPUNN_CHECK(p.is_leaf() && p.requires_grad(), "optimizer: parameter ", i, " of group ", g,
                  " (", p.shape(), ") must be a leaf tensor that requires grad");
      GPUNN_CHECK(p.is_contiguous(), "optimizer: parameter ", i, " of group ", g, " (", p.shape(),
                  ") must be contiguous");
      for (const ParamGroup& other : groups_)
        for (const Tensor& q : other.params)
          GPUNN_CHECK(&q == &p || !q.is_same(p), "optimizer: parameter ", i, " of group ", g,
                      " appears more than once");
      ++count;
    }
  }
  state_.resize(count);
}

void Optimizer::check_all() const {
  check_options();
  for (size_t g = 0; g < groups_.size(); ++g) {
    const double lr = *groups_[g].lr, wd = *groups_[g].weight_decay;
    GPUNN_CHECK(std::isfinite(lr) && lr >= 0, name(), ": lr must be finite and >= 0, got ", lr,
                " (group ", g, ")");
    GPUNN_CHECK(std::isfinite(wd) && wd >= 0, name(),
                ": weight_decay must be finite and >= 0, got ", wd, " (group ", g, ")");
  }
}

void Optimizer::step() {
  const profiler::Range range("optimizer.step");
  NoGradGuard no_grad;
  size_t index = 0;
  for (const ParamGroup& group : groups_) {
    for (const Tensor& p : group.params) {
      ParamState& s = state_[index++];
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      GPUNN_CHECK(
          grad.shape() == p.shape() && grad.dtype() == p.dtype() && grad.device() == p.device(),
          name(), ": parameter ", index - 1, " is ", p.shape(), " ", p.dtype(),
          " but its gradient is ", grad.shape(), " ", grad.dtype());
      GPUNN_CHECK(p.is_contiguous(), name(), ": parameter ", index - 1, " ", p.shape(),
                  " is not contiguous; the fused updates write it as one block");
      // 16-bit parameters: float32 state and a float32 master copy (gpunn/optim/optimizer.h).
      const bool low = is_reduced_float(p.dtype());
      const TensorOptions state_options = low ? p.options().dtype(kFloat32) : p.options();
      if (s.step == 0) {
        s.buffers.clear();
        for (size_t b = 0; b < buffer_names().size(); ++b)
          s.buffers.push_back(zeros(p.shape(), state_options));
      }
      if (low && (!s.master.defined() || p.version() != s.param_version))
        s.master = p.detach().to(kFloat32).clone();
      ++s.step;
      update(p, grad.contiguous(), s, group);
      s.param_version = p.version();
    }
  }
}

void Optimizer::zero_grad(bool set_to_none) {
  for (const ParamGroup& group : groups_)
    for (const Tensor& p : group.params) {
      Tensor q = p;
      q.zero_grad(set_to_none);
    }
}

double Optimizer::lr(size_t group) const {
  GPUNN_CHECK(group < groups_.size(), name(), ": no parameter group ", group, " (", groups_.size(),
              " groups)");
  return *groups_[group].lr;
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}

void Optimizer::set_lr(size_t group, double lr) {
  GPUNN_CHECK(group < groups_.size(), name(), ": no parameter group ", group, " (", groups_.size(),
              " groups)");
  GPUNN_CHECK(std::isfinite(lr) && lr >= 0, name(), ": lr must be finite and >= 0, got ", lr);
  groups_[group].lr = lr;
}

StateDict Optimizer::state_dict() const {
  StateDict d;
  for (size_t g = 0; g < groups_.size(); ++g) {
    d.insert(key("param_groups", g, "lr"), scalar_tensor(*groups_[g].lr, kFloat64));
    d.insert(key("param_groups", g, "weight_decay"),
             scalar_tensor(*groups_[g].weight_decay, kFloat64));
    d.insert(key("param_groups", g, "num_params"),
             tensor_from(std::vector<int64_t>{static_cast<int64_t>(groups_[g].params.size())}, {}));
  }
  // hparams() hands out pointers for load_state_dict; here they are only read.
  for (const HParam& h : const_cast<Optimizer*>(this)->hparams()) {
    const double v = h.value ? *h.value : (*h.flag ? 1.0 : 0.0);
    d.insert(std::string("hparams.") + h.name, scalar_tensor(v, kFloat64));
  }
  const std::vector<std::string> names = buffer_names();
  for (size_t i = 0; i < state_.size(); ++i) {
    if (state_[i].step == 0) continue;
    d.insert(key("state", i, "step"), tensor_from(std::vector<int64_t>{state_[i].step}, {}));
    for (size_t b = 0; b < names.size(); ++b)
      d.insert(key("state", i, names[b]), state_[i].buffers[b].clone());
    if (state_[i].master.defined()) d.insert(key("state", i, "master"), state_[i].master.clone());
  }
  return d;
}

void Optimizer::load_state_dict(const StateDict& d) {
  const std::string who = std::string(name()) + " load_state_dict";
  std::map<std::string, bool> used;
  for (const auto& [k, unused] : d) used[k] = false;
  auto get = [&](const std::string& k, DType dtype, bool scalar) -> const Tensor& {
    const Tensor* t = d.find(k);
    GPUNN_CHECK(t != nullptr, who, ": missing entry '", k, "'");
    GPUNN_CHECK(t->defined() && t->dtype() == dtype && (!scalar || t->dim() == 0), who, ": entry '",
                k, "' must be a ", scalar ? "0-D " : "", dtype_name(dtype), " tensor, got ",
                t->defined() ? t->shape() : Shape{}, " ",
                t->defined() ? dtype_name(t->dtype()) : "undefined");
    used[k] = true;
    return *t;
  };

  // Check everything first; then apply, so a bad dict changes nothing.
  std::vector<double> lrs, wds;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const int64_t n = get(key("param_groups", g, "num_params"), kInt64, true).item<int64_t>();
    GPUNN_CHECK(n == static_cast<int64_t>(groups_[g].params.size()), who, ": group ", g, " has ",
                groups_[g].params.size(), " parameters, the saved state has ", n);
    lrs.push_back(get(key("param_groups", g, "lr"), kFloat64, true).item());
    wds.push_back(get(key("param_groups", g, "weight_decay"), kFloat64, true).item());
  }
  std::vector<HParam> hp = hparams();
  std::vector<double> hp_values;
  for (const HParam& h : hp) {
    const double v = get(std::string("hparams.") + h.name, kFloat64, true).item();
    GPUNN_CHECK(h.value != nullptr || v == 0.0 || v == 1.0, who, ": hparams.", h.name,
                " is a flag and must be 0 or 1, got ", v);
    hp_values.push_back(v);
  }
  // The buffers depend on the options, so apply them (remembering the old ones)
  // before checking the state; restore on failure.
  std::vector<double> old_values;
  for (const HParam& h : hp) old_values.push_back(h.value ? *h.value : (*h.flag ? 1.0 : 0.0));
  auto assign = [&](const std::vector<double>& values) {
    for (size_t i = 0; i < hp.size(); ++i) {
      if (hp[i].value)
        *hp[i].value = values[i];
      else
        *hp[i].flag = values[i] != 0.0;
    }
  };
  assign(hp_values);
  try {
    check_options();
    for (size_t g = 0; g < groups_.size(); ++g)
      GPUNN_CHECK(std::isfinite(lrs[g]) && lrs[g] >= 0 && std::isfinite(wds[g]) && wds[g] >= 0, who,
                  ": group ", g, " has lr ", lrs[g], " and weight_decay ", wds[g],
                  "; both must be finite and >= 0");
    const std::vector<std::string> names = buffer_names();
    std::vector<ParamState> loaded(state_.size());
    size_t i = 0;
    for (const ParamGroup& group : groups_) {
      for (const Tensor& p : group.params) {
        const std::string step_key = key("state", i, "step");
        if (d.contains(step_key)) {
          loaded[i].step = get(step_key, kInt64, true).item<int64_t>();
          GPUNN_CHECK(loaded[i].step > 0, who, ": ", step_key, " must be positive, got ",
                      loaded[i].step);
          const DType state_dtype = is_reduced_float(p.dtype()) ? kFloat32 : p.dtype();
          for (const std::string& b : names) {
            const Tensor& t = get(key("state", i, b), state_dtype, false);
            GPUNN_CHECK(t.shape() == p.shape(), who, ": entry '", key("state", i, b), "' is ",
                        t.shape(), " but parameter ", i, " is ", p.shape());
            loaded[i].buffers.push_back(t.to(p.device()).clone());
          }
          // A master copy belongs to the parameter as it is now (loaded before the optimizer,
          // as checkpoints do); a parameter changed later re-reads it (Tensor::version).
          const std::string master_key = key("state", i, "master");
          if (is_reduced_float(p.dtype()) && d.contains(master_key)) {
            const Tensor& t = get(master_key, kFloat32, false);
            GPUNN_CHECK(t.shape() == p.shape(), who, ": entry '", master_key, "' is ", t.shape(),
                        " but parameter ", i, " is ", p.shape());
            loaded[i].master = t.to(p.device()).clone();
            loaded[i].param_version = p.version();
          }
        }
        ++i;
      }
    }
    for (const auto& [k, was_used] : used)
      GPUNN_CHECK(was_used, who, ": unexpected entry '", k,
                  "' (saved by another optimizer or other options?)");
    for (size_t g = 0; g < groups_.size(); ++g) {
      groups_[g].lr = lrs[g];
      groups_[g].weight_decay = wds[g];
    }
    state_ = std::move(loaded);
  } catch (...) {
    assign(old_values);
    throw;
  }
}

}  // namespace gpunn::optim
