// memory::estimate (gpunn/nn/estimate.h): two training steps on the meta device.
#include <gpunn/autocast.h>
#include <gpunn/autograd.h>
#include <gpunn/error.h>
#include <gpunn/memory.h>
#include <gpunn/nn/estimate.h>
#include <gpunn/ops.h>
#include <gpunn/optim/adam.h>
#include <gpunn/optim/sgd.h>

#include <algorithm>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <unordered_map>
#include <utility>

namespace gpunn::memory {
namespace {

int64_t held() { return memory_stats(kMeta).allocated_bytes; }

// The bytes the modelled allocator counts for t's storage (gpunn/memory.h:
// set_meta_allocator_model): whole 512-byte blocks on a CUDA device.
int64_t counted_bytes(const Tensor& t, Device modelled) {
  const int64_t n = t.numel() * static_cast<int64_t>(dtype_size(t.dtype()));
  return modelled.is_cuda() ? std::max<int64_t>(512, (n + 511) / 512 * 512) : n;
}

std::string mib(int64_t bytes) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2) << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return os.str();
}

// Moves the model's parameters and buffers to the meta device while alive (their values,
// gradients and devices come back at the end), and the meta allocator's model with them.
class OnMeta {
 public:
  OnMeta(nn::Module& model, Device modelled)
      : previous_model_(meta_allocator_model()), rng_(default_generator().state()) {
    set_meta_allocator_model(modelled);
    NoGradGuard no_grad;
    for (auto& [name, p] : model.named_parameters()) {
      saved_.push_back({p, p.detach(), p.grad()});
      if (p.grad().defined()) p.zero_grad(/*set_to_none=*/true);
      p.set_data(p.to(kMeta));
    }
    for (auto& [name, b] : model.named_buffers()) {
      saved_.push_back({b, b.detach(), Tensor()});
      b.set_data(b.to(kMeta));
    }
  }
  ~OnMeta() {
    NoGradGuard no_grad;
    for (Saved& s : saved_) {
      s.tensor.zero_grad(/*set_to_none=*/true);
      s.tensor.set_data(s.data);
      if (s.grad.defined()) s.tensor.set_grad(s.grad);
    }
    set_meta_allocator_model(previous_model_);
    default_generator().set_state(rng_);  // meta draws (dropout) consume no numbers
  }
  OnMeta(const OnMeta&) = delete;
  OnMeta& operator=(const OnMeta&) = delete;

 private:
  struct Saved {
    Tensor tensor, data, grad;
  };
  std::vector<Saved> saved_;
  Device previous_model_;
  Generator::State rng_;
};

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& kind,
                                                 std::vector<Tensor> params) {
  if (kind == "sgd") return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions{});
  if (kind == "momentum")
    return std::make_unique<optim::SGD>(std::move(params), optim::SGDOptions{.momentum = 0.9});
  if (kind == "adam") return std::make_unique<optim::Adam>(std::move(params), optim::AdamOptions{});
  GPUNN_CHECK(kind == "none",
              "memory::estimate: optimizer must be sgd, momentum, adam or none, got \"", kind,
              "\"");
  return nullptr;
}

std::optional<DType> autocast_dtype(const std::string& precision) {
  if (precision == "bf16") return kBFloat16;
  if (precision == "fp16") return kFloat16;
  GPUNN_CHECK(precision == "fp32" || precision == "tf32",
              "memory::estimate: precision must be fp32, tf32, bf16 or fp16, got \"", precision,
              "\"");
  return std::nullopt;
}

// Tags the meta allocations of each leaf module's forward: tag i + 1 from the end of the
// i-th layer called to the end of the next one (layers run one by one while observed), 1
// before the first; what is still held at the end of forward is then counted per layer.
class LayerRecorder final : public nn::detail::ForwardObserver {
 public:
  explicit LayerRecorder(nn::Module& model) : previous_tag_(detail::set_meta_allocation_tag(1)) {
    for (auto& [name, m] : model.named_modules()) names_[m.get()] = name.empty() ? "(root)" : name;
  }
  ~LayerRecorder() override { detail::set_meta_allocation_tag(previous_tag_); }
  LayerRecorder(const LayerRecorder&) = delete;
  LayerRecorder& operator=(const LayerRecorder&) = delete;

  void on_forward(nn::Module& m, const Tensor&, const Tensor&) override {
    if (!m.children().empty()) return;  // containers: their leaves are recorded
    auto it = names_.find(&m);
    layers.push_back({it != names_.end() ? it->second : "?", m.type_name(), 0});
    detail::set_meta_allocation_tag(static_cast<int>(layers.size()) + 1);
  }
  // Each layer's bytes still held now (call at the end of forward).
  void count_held() {
    for (const auto& [tag, bytes] : detail::meta_bytes_by_tag())
      if (tag >= 1 && static_cast<size_t>(tag) <= layers.size())
        layers[tag - 1].saved_bytes = bytes;
  }
  std::vector<LayerMemory> layers;

 private:
  std::unordered_map<const nn::Module*, std::string> names_;
  int previous_tag_;
};

}  // namespace

MemoryEstimate estimate(nn::Module& model, const std::function<Tensor()>& loss,
                        const EstimateOptions& options) {
  GPUNN_CHECK(static_cast<bool>(loss), "memory::estimate: no loss function given");
  GPUNN_CHECK(options.device.is_cpu() || options.device.is_cuda(),
              "memory::estimate: the modelled device must be the CPU or a CUDA device, got ",
              options.device.str());
  const std::optional<DType> low = autocast_dtype(options.precision);
  MemoryEstimate e;
  e.device = options.device;
  e.precision = options.precision;
  e.optimizer = options.optimizer;

  const int64_t base = held();  // meta tensors of others
  OnMeta on_meta(model, options.device);
  e.parameters = held() - base;
  std::unique_ptr<optim::Optimizer> opt = make_optimizer(options.optimizer, model.parameters());

  auto forward = [&]() {
    autocast::Guard amp(low.value_or(kBFloat16), low.has_value());
    return loss();
  };
  auto update = [&]() {
    if (opt) opt->step();
    for (Tensor& p : model.parameters()) p.zero_grad(/*set_to_none=*/true);
  };

  // Step 1, the layers one by one (fusions off while observed): what each keeps.
  {
    {
      Tensor l;
      {
        LayerRecorder recorder(model);
        nn::detail::ForwardObserverScope scope(&recorder);
        l = forward();
        recorder.count_held();
        e.layers = std::move(recorder.layers);
      }
      l.backward();
    }
    const int64_t before_update = held();
    for (const Tensor& p : model.parameters())
      if (p.grad().defined()) e.gradients += counted_bytes(p.grad(), options.device);
    if (opt) opt->step();
    e.optimizer_state = held() - before_update;
    for (Tensor& p : model.parameters()) p.zero_grad(/*set_to_none=*/true);
  }
  // Step 2, as training runs it: the steady state, whose peak is the prediction.
  reset_peak_memory_stats(kMeta);
  const int64_t start = held();
  {
    Tensor l = forward();
    e.activations = held() - start;
    l.backward();
  }
  update();
  e.peak = memory_stats(kMeta).peak_allocated_bytes - base;
  return e;
}

MemoryEstimate estimate(nn::Module& model, const Shape& input_shape,
                        const EstimateOptions& options) {
  GPUNN_CHECK(
      !input_shape.empty() &&
          std::all_of(input_shape.begin(), input_shape.end(), [](int64_t d) { return d >= 1; }),
      "memory::estimate: input_shape ", input_shape, " must be [N, ...] with sizes of at least 1");
  return estimate(
      model,
      [&]() {
        const Tensor x = zeros(input_shape, TensorOptions(kFloat32).device(kMeta));
        const Tensor out = model(x);
        if (out.dim() != 2) return out.mean();
        return cross_entropy(out, zeros({out.shape()[0]}, TensorOptions(kInt64).device(kMeta)));
      },
      options);
}

std::string MemoryEstimate::table() const {
  std::ostringstream os;
  os << "memory estimate for one training step on " << device.str() << " (" << precision
     << ", optimizer " << optimizer << ")\n";
  int64_t width = 20;
  for (const LayerMemory& l : layers)
    width = std::max<int64_t>(width, static_cast<int64_t>(l.name.size() + l.type.size() + 3));
  const auto row = [&](const std::string& what, int64_t bytes) {
    os << "  " << std::left << std::setw(static_cast<int>(width)) << what << std::right
       << std::setw(14) << mib(bytes) << "\n";
  };
  row("parameters", parameters);
  row("gradients", gradients);
  row("optimizer state", optimizer_state);
  row("activations", activations);
  os << "  kept for backward, by layer (run one by one):\n";
  for (const LayerMemory& l : layers) row("  " + l.name + " " + l.type, l.saved_bytes);
  row("peak", peak);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const MemoryEstimate& e) { return os << e.table(); }

}  // namespace gpunn::memory
