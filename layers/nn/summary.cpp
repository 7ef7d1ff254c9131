// nn::summary (gpunn/nn/summary.h).
#include <gpunn/autograd.h>
#include <gpunn/nn/estimate.h>
#include <gpunn/nn/layers.h>
#include <gpunn/nn/rnn.h>
#include <gpunn/nn/summary.h>
#include <algorithm>

#include <iomanip>
#include <iostream>
#include <sstream>
#include <unordered_map>

namespace gpunn::nn {
namespace {

// Floating-point operations of one call of a known leaf layer.
int64_t layer_flops(Module& m, const Tensor& in, const Tensor& out) {
  const int64_t n_out = out.numel();
  if (auto* l = dynamic_cast<Linear*>(&m)) {
    const int64_t rows = l->out_features > 0 ? n_out / l->out_features : 0;
    return 2 * rows * l->in_features * l->out_features + (l->bias.defined() ? n_out : 0);
  }
  if (auto* c = dynamic_cast<Conv2d*>(&m)) {
    const int64_t per_output = (c->options.in_channels / c->options.groups) *
                               c->options.kernel_size.h * c->options.kernel_size.w;
    return 2 * n_out * per_output + (c->bias.defined() ? n_out : 0);
  }
  if (auto* c = dynamic_cast<ConvTranspose2d*>(&m)) {
    // Every input element meets (out/groups)·kh·kw weights.
    const int64_t per_input = (c->options.out_channels / c->options.groups) *
                              c->options.kernel_size.h * c->options.kernel_size.w;
    return 2 * in.numel() * per_input + (c->bias.defined() ? n_out : 0);
  }
  if (auto* p = dynamic_cast<MaxPool2d*>(&m))
    return n_out * p->options.kernel_size.h * p->options.kernel_size.w;
  if (auto* p = dynamic_cast<AvgPool2d*>(&m))
    return n_out * p->options.kernel_size.h * p->options.kernel_size.w;
  // Batch norm in eval: one multiply and one add per element.
  if (dynamic_cast<BatchNorm*>(&m)) return 2 * n_out;
  // LRN: size squares and adds per element, then a power, a multiply and a divide.
  if (auto* l = dynamic_cast<LocalResponseNorm*>(&m)) return n_out * (2 * l->size + 3);
  if (dynamic_cast<ReLU*>(&m) || dynamic_cast<LeakyReLU*>(&m) || dynamic_cast<Sigmoid*>(&m) ||
      dynamic_cast<Tanh*>(&m) || dynamic_cast<Dropout*>(&m))
    return n_out;
  // softmax: exp, sum and divide per element.
  if (dynamic_cast<Softmax*>(&m) || dynamic_cast<LogSoftmax*>(&m)) return 3 * n_out;
  if (auto* r = dynamic_cast<RecurrentBase*>(&m)) {
    // Per step and layer: the two matrix products and the gate arithmetic.
    const int64_t T = r->options.batch_first ? in.shape()[1] : in.shape()[0];
    const int64_t N = r->options.batch_first ? in.shape()[0] : in.shape()[1];
    const int64_t H = r->options.hidden_size, G = r->type_name() == "LSTM" ? 4 : 1;
    int64_t f = 0;
    for (int64_t l = 0; l < r->options.num_layers; ++l) {
      const int64_t I = l == 0 ? r->options.input_size : H;
      f += T * N * (2 * G * H * (I + H) + 2 * G * H + (G == 4 ? 10 * H : H));
    }
    return f;
  }
  return 0;  // Flatten, Embedding (lookups) and unknown layers
}

class Recorder final : public detail::ForwardObserver {
 public:
  explicit Recorder(std::unordered_map<const Module*, std::string> names)
      : names_(std::move(names)) {}
  void on_forward(Module& m, const Tensor& in, const Tensor& out) override {
    if (!m.children().empty()) return;  // containers: their leaves are recorded
    LayerSummary s;
    auto it = names_.find(&m);
    s.name = it != names_.end() ? it->second : "?";
    s.type = m.type_name();
    s.output_shape = out.shape();
    s.parameters = m.num_parameters();
    s.flops = layer_flops(m, in, out);
    s.activation_bytes = out.numel() * static_cast<int64_t>(dtype_size(out.dtype()));
    layers.push_back(std::move(s));
  }
  std::vector<LayerSummary> layers;

 private:
  std::unordered_map<const Module*, std::string> names_;
};

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  gpunn::detail::append(os, s);
  return os.str();
}

// 1234567 -> "1,234,567"
std::string grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string human_bytes(int64_t b) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(2);
  if (b >= (int64_t{1} << 30)) {
    os << static_cast<double>(b) / static_cast<double>(int64_t{1} << 30) << " GiB";
  } else if (b >= (int64_t{1} << 20)) {
    os << static_cast<double>(b) / static_cast<double>(int64_t{1} << 20) << " MiB";
  } else if (b >= 1024) {
    os << static_cast<double>(b) / 1024.0 << " KiB";
  } else {
    os << b << " B";
  }
  return os.str();
}

}  // namespace

ModelSummary summary(Module& module, const Shape& input_shape, std::ostream* out, DType dtype) {
  GPUNN_CHECK(std::all_of(input_shape.begin(), input_shape.end(), [](int64_t d) { return d >= 1; }),
              "summary: input_shape ", input_shape, " must have sizes of at least 1");
  std::unordered_map<const Module*, std::string> names;
  for (auto& [name, m] : module.named_modules()) names[m.get()] = name.empty() ? "(root)" : name;
  Device device = kCPU;
  if (auto params = module.parameters(); !params.empty()) device = params.front().device();

  Recorder recorder(std::move(names));
  const bool was_training = module.is_training();
  module.eval();
  try {
    NoGradGuard no_grad;
    detail::ForwardObserverScope scope(&recorder);
    module(zeros(input_shape, TensorOptions(dtype).device(device)));
  } catch (...) {
    module.train(was_training);
    throw;
  }
  module.train(was_training);

  ModelSummary s;
  s.input_shape = input_shape;
  s.layers = std::move(recorder.layers);
  s.total_parameters = module.num_parameters();
  s.trainable_parameters = module.num_parameters(/*trainable_only=*/true);
  for (const auto& l : s.layers) {
    s.total_flops += l.flops;
    s.activation_bytes += l.activation_bytes;
  }
  // The memory column: a training step on meta tensors. Left empty where that step cannot
  // run (batch norm refuses one value per channel in training; a 16-bit model).
  if (dtype == kFloat32) {
    module.train(true);
    try {
      const memory::MemoryEstimate e = memory::estimate(
          module, input_shape, {.device = device.is_cuda() ? device : kCPU, .optimizer = "none"});
      if (e.layers.size() == s.layers.size()) {
        for (size_t i = 0; i < s.layers.size(); ++i)
          s.layers[i].kept_bytes = e.layers[i].saved_bytes;
        s.training_peak_bytes = e.peak;
      }
    } catch (const Error&) {
    }
    module.train(was_training);
  }
  if (out) *out << s;
  return s;
}

std::string ModelSummary::table() const {
  std::ostringstream os;
  const int w_name = 22, w_type = 18, w_shape = 22, w_num = 16;
  auto rule = [&] { os << std::string(w_name + w_type + w_shape + 4 * w_num, '-') << "\n"; };
  os << "input " << shape_str(input_shape) << "\n";
  rule();
  os << std::left << std::setw(w_name) << "layer" << std::setw(w_type) << "type"
     << std::setw(w_shape) << "output shape" << std::right << std::setw(w_num) << "params"
     << std::setw(w_num) << "FLOPs" << std::setw(w_num) << "activations" << std::setw(w_num)
     << "kept (train)"
     << "\n";
  rule();
  for (const auto& l : layers) {
    os << std::left << std::setw(w_name) << l.name << std::setw(w_type) << l.type
       << std::setw(w_shape) << shape_str(l.output_shape) << std::right << std::setw(w_num)
       << grouped(l.parameters) << std::setw(w_num) << grouped(l.flops) << std::setw(w_num)
       << human_bytes(l.activation_bytes) << std::setw(w_num)
       << (l.kept_bytes >= 0 ? human_bytes(l.kept_bytes) : std::string("-")) << "\n";
  }
  rule();
  os << "total parameters:     " << grouped(total_parameters) << " (trainable "
     << grouped(trainable_parameters) << ")\n";
  os << "total FLOPs (forward): " << grouped(total_flops) << "\n";
  os << "activation memory:    " << human_bytes(activation_bytes) << "\n";
  if (training_peak_bytes >= 0) {
    os << "training step peak:   " << human_bytes(training_peak_bytes)
       << " (parameters, gradients, kept activations; memory::estimate)\n";
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const ModelSummary& s) { return os << s.table(); }

}  // namespace gpunn::nn
