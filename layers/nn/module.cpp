// nn::Module (gpunn/nn/module.h).
#include <gpunn/autograd.h>
#include <gpunn/nn/module.h>

#include <optional>
#include <sstream>
#include <unordered_set>

namespace gpunn::nn {

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}

Tensor Module::forward(const Tensor&) {
  gpunn::detail::throw_error(type_name_,
                             ": this module has no single-input forward(); call its own "
                             "forward overload");
}

namespace {
thread_local detail::ForwardObserver* g_observer = nullptr;
}  // namespace

detail::ForwardObserverScope::ForwardObserverScope(ForwardObserver* observer)
    : previous_(g_observer) {
  g_observer = observer;
}
detail::ForwardObserverScope::~ForwardObserverScope() { g_observer = previous_; }
bool detail::observing_forward() { return g_observer != nullptr; }

Tensor Module::operator()(const Tensor& input) {
  // Anomaly messages name the layers an op ran in ("Sequential/Conv2d").
  std::optional<autograd::AnomalyScope> scope;
  if (autograd::is_anomaly_enabled()) scope.emplace(type_name_);
  Tensor output = forward(input);
  if (g_observer) g_observer->on_forward(*this, input, output);
  return output;
}

void Module::check_new_name(const std::string& name, const char* what) const {
  GPUNN_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_, ": ", what,
              " name '", name, "' must be non-empty and contain no '.'");
  auto taken = [&](const auto& list) {
    for (const auto& e : list)
      if (e.first == name) return true;
    return false;
  };
  GPUNN_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_), type_name_,
              ": the name '", name, "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  if (tensor.defined()) {
    GPUNN_CHECK(tensor.is_leaf(), type_name_, ": parameter '", name,
                "' must be a leaf tensor (detach it first)");
    GPUNN_CHECK(is_floating(tensor.dtype()), type_name_, ": parameter '", name,
                "' must be a floating-point tensor, got ", dtype_name(tensor.dtype()));
    tensor.requires_grad_(requires_grad);
  }
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name, "buffer");
  buffers_.emplace_back(name, tensor.defined() ? tensor.detach() : tensor);
  return buffers_.back().second;
}

void Module::register_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  GPUNN_CHECK(module != nullptr, type_name_, ": module '", name, "' is null");
  GPUNN_CHECK(module.get() != this, type_name_, ": a module cannot be its own child");
  children_.emplace_back(name, std::move(module));
}

void Module::replace_tensor(const std::string& name, Tensor tensor) {
  for (auto& e : parameters_)
    if (e.first == name) {
      e.second = tensor;
      return;
    }
  for (auto& e : buffers_)
    if (e.first == name) {
      e.second = tensor;
      return;
    }
  gpunn::detail::throw_error(type_name_, ": no parameter or buffer named '", name, "'");
}

void Module::collect(const std::string& prefix, bool recurse, bool params,
                     std::vector<std::pair<std::string, Tensor>>* out) const {
  for (const auto& [name, t] : params ? parameters_ : buffers_)
    if (t.defined()) out->emplace_back(prefix + name, t);
  if (!recurse) return;
  for (const auto& [name, child] : children_)
    child->collect(prefix + name + ".", true, params, out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", recurse, true, &out);
  // A tensor shared by two modules (tied weights) is listed once.
  std::unordered_set<const void*> seen;
  std::vector<std::pair<std::string, Tensor>> unique;
  for (auto& e : out)
    if (seen.insert(e.second.impl()).second) unique.push_back(std::move(e));
  return unique;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& e : named_parameters(recurse)) out.push_back(e.second);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", recurse, false, &out);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& e : named_buffers(recurse)) out.push_back(e.second);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& e : children_) out.push_back(e.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  std::function<void(const std::string&, const std::shared_ptr<Module>&)> walk =
      [&](const std::string& prefix, const std::shared_ptr<Module>& m) {
        for (const auto& [name, child] : m->children_) {
          const std::string full = prefix.empty() ? name : prefix + "." + name;
          out.emplace_back(full, child);
          walk(full, child);
        }
      };
  // A module not (yet) owned by a shared_ptr still lists itself, without owning.
  std::shared_ptr<Module> self = weak_from_this().lock();
  if (!self) self = std::shared_ptr<Module>(this, [](Module*) {});
  out.emplace_back("", self);
  walk("", self);
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (const Tensor& p : parameters())
    if (!trainable_only || p.requires_grad()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& e : children_) e.second->train(on);
}

void Module::to(DType dtype) {
  GPUNN_CHECK(is_floating(dtype), type_name_,
              ".to: parameters must be floating-point (float32, float64, bfloat16, float16), got ",
              dtype_name(dtype));
  NoGradGuard no_grad;
  for (auto& [name, p] : named_parameters()) p.set_data(p.to(dtype));
  for (auto& [name, b] : named_buffers())
    if (is_floating(b.dtype())) b.set_data(b.to(dtype));
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (auto& [name, p] : named_parameters()) p.set_data(p.to(device));
  for (auto& [name, b] : named_buffers()) b.set_data(b.to(device));
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) p.zero_grad(set_to_none);
}

StateDict Module::state_dict() const {
  StateDict d;
  // Parameters and buffers of each module together, in registration order, as
  // users expect ("bn.weight", "bn.bias", "bn.running_mean", ...).
  std::vector<std::pair<std::string, Tensor>> ordered;
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m,
                                                                    const std::string& prefix) {
    for (const auto& [n, t] : m.parameters_)
      if (t.defined()) ordered.emplace_back(prefix + n, t);
    for (const auto& [n, t] : m.buffers_)
      if (t.defined()) ordered.emplace_back(prefix + n, t);
    for (const auto& [n, c] : m.children_) walk(*c, prefix + n + ".");
  };
  walk(*this, "");
  for (auto& [n, t] : ordered) d.insert_or_assign(n, t.detach());
  return d;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict mine = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : mine) {
    const Tensor* src = state.find(name);
    if (!src) {
      missing.push_back(name);
    } else if (!src->defined() || src->shape() != t.shape()) {
      mismatched.push_back(src->defined()
                               ? gpunn::detail::concat(name, ": checkpoint has ", src->shape(),
                                                       ", the module ", t.shape())
                               : name + ": checkpoint entry is undefined");
    } else if (!is_floating(src->dtype()) && is_floating(t.dtype())) {
      mismatched.push_back(name + ": checkpoint holds " + dtype_name(src->dtype()) +
                           ", the module " + dtype_name(t.dtype()));
    }
  }
  for (const auto& [name, t] : state)
    if (!mine.contains(name)) unexpected.push_back(name);
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
  };
  GPUNN_CHECK(mismatched.empty(), type_name_,
              ".load_state_dict: shape or dtype mismatch: ", join(mismatched));
  if (strict) {
    GPUNN_CHECK(missing.empty() && unexpected.empty(), type_name_,
                ".load_state_dict: missing keys: [", join(missing), "]; unexpected keys: [",
                join(unexpected), "]");
  }
  NoGradGuard no_grad;
  for (const auto& [name, t] : mine) {
    const Tensor* src = state.find(name);
    if (!src) continue;
    Tensor dst = t;
    dst.copy_(src->to(dst.device()));
  }
}

std::string Module::repr() const {
  std::ostringstream os;
  repr_into(os, 0);
  return os.str();
}

void Module::repr_into(std::ostream& os, int indent) const {
  os << type_name_ << "(" << extra_repr();
  if (!children_.empty()) {
    os << "\n";
    for (const auto& [name, child] : children_) {
      os << std::string(static_cast<size_t>(indent + 2), ' ') << "(" << name << "): ";
      child->repr_into(os, indent + 2);
      os << "\n";
    }
    os << std::string(static_cast<size_t>(indent), ' ');
  }
  os << ")";
}

void Module::apply(const std::function<void(Module&)>& fn) {
  fn(*this);
  for (auto& e : children_) e.second->apply(fn);
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.repr(); }

}  // namespace gpunn::nn
