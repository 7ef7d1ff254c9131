// The layers of gpunn/nn/layers.h and the containers of gpunn/nn/container.h.
#include <gpunn/autograd.h>
#include <gpunn/nn/container.h>
#include <gpunn/nn/layers.h>
#include <gpunn/ops.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <typeinfo>

namespace gpunn::nn {
namespace {

// U(-bound, bound), the default for weights and biases with bound = 1/sqrt(fan_in).
Tensor uniform_init(const Shape& shape, double bound, TensorOptions options, Generator* gen) {
  Tensor u = rand(shape, options.requires_grad(false), gen);
  NoGradGuard no_grad;
  u.mul_(2.0 * bound).add_(-bound);
  return u;
}

std::string int2(Int2 v) {
  std::ostringstream os;
  os << "(" << v.h << ", " << v.w << ")";
  return os.str();
}

std::string pool_repr(const Pool2dOptions& o) {
  const Int2 stride = (o.stride.h == 0 && o.stride.w == 0) ? o.kernel_size : o.stride;
  std::ostringstream os;
  os << "kernel_size=" << int2(o.kernel_size) << ", stride=" << int2(stride)
     << ", padding=" << int2(o.padding);
  if (o.ceil_mode) os << ", ceil_mode=true";
  return os.str();
}

}  // namespace

// ---- Linear -------------------------------------------------------------------------------

Linear::Linear(int64_t in, int64_t out, bool with_bias, TensorOptions options, Generator* gen)
    : Module("Linear"), in_features(in), out_features(out) {
  GPUNN_CHECK(in >= 0 && out >= 1, "Linear: expected in_features >= 0 and out_features >= 1, got ",
              in, " and ", out);
  const double bound = in > 0 ? 1.0 / std::sqrt(static_cast<double>(in)) : 0.0;
  weight = register_parameter("weight", uniform_init({out, in}, bound, options, gen));
  bias = with_bias ? register_parameter("bias", uniform_init({out}, bound, options, gen))
                   : register_parameter("bias", Tensor());
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }
Tensor Linear::forward(const Tensor& x, FusedActivation activation) {
  return linear(x, weight, bias, activation);
}

std::string Linear::extra_repr() const {
  std::ostringstream os;
  os << "in_features=" << in_features << ", out_features=" << out_features
     << ", bias=" << (bias.defined() ? "true" : "false");
  return os.str();
}

// ---- Conv2d --------------------------------------------------------------------------------

Conv2d::Conv2d(const Conv2dOptions& o, TensorOptions tensor_options, Generator* gen)
    : Module("Conv2d"), options(o) {
  GPUNN_CHECK(o.in_channels >= 1 && o.out_channels >= 1,
              "Conv2d: expected in_channels and "
              "out_channels >= 1, got ",
              o.in_channels, " and ", o.out_channels);
  GPUNN_CHECK(o.groups >= 1 && o.in_channels % o.groups == 0 && o.out_channels % o.groups == 0,
              "Conv2d: groups ", o.groups, " must divide in_channels ", o.in_channels,
              " and out_channels ", o.out_channels);
  GPUNN_CHECK(o.kernel_size.h >= 1 && o.kernel_size.w >= 1,
              "Conv2d: kernel_size must be at "
              "least 1, got ",
              int2(o.kernel_size));
  const int64_t cin = o.in_channels / o.groups;
  const int64_t fan_in = cin * o.kernel_size.h * o.kernel_size.w;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  weight = register_parameter(
      "weight", uniform_init({o.out_channels, cin, o.kernel_size.h, o.kernel_size.w}, bound,
                             tensor_options, gen));
  bias = o.bias ? register_parameter("bias",
                                     uniform_init({o.out_channels}, bound, tensor_options, gen))
                : register_parameter("bias", Tensor());
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride,
               Int2 padding)
    : Conv2d(Conv2dOptions{.in_channels = in_channels,
                           .out_channels = out_channels,
                           .kernel_size = kernel_size,
                           .stride = stride,
                           .padding = padding}) {}

Tensor Conv2d::forward(const Tensor& x) { return forward(x, FusedActivation::None); }
Tensor Conv2d::forward(const Tensor& x, FusedActivation activation) {
  return conv2d(x, weight, bias,
                gpunn::Conv2dFuncOptions{.stride = options.stride,
                                         .padding = options.padding,
                                         .dilation = options.dilation,
                                         .groups = options.groups,
                                         .activation = activation});
}

std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << options.in_channels << ", " << options.out_channels
     << ", kernel_size=" << int2(options.kernel_size) << ", stride=" << int2(options.stride);
  if (options.padding.h || options.padding.w) os << ", padding=" << int2(options.padding);
  if (options.dilation.h != 1 || options.dilation.w != 1)
    os << ", dilation=" << int2(options.dilation);
  if (options.groups != 1) os << ", groups=" << options.groups;
  if (!options.bias) os << ", bias=false";
  return os.str();
}

// ---- ConvTranspose2d -----------------------------------------------------------------------

ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& o, TensorOptions tensor_options,
                                 Generator* gen)
    : Module("ConvTranspose2d"), options(o) {
  GPUNN_CHECK(o.in_channels >= 1 && o.out_channels >= 1,
              "ConvTranspose2d: expected in_channels and out_channels >= 1, got ", o.in_channels,
              " and ", o.out_channels);
  GPUNN_CHECK(o.groups >= 1 && o.in_channels % o.groups == 0 && o.out_channels % o.groups == 0,
              "ConvTranspose2d: groups ", o.groups, " must divide in_channels ", o.in_channels,
              " and out_channels ", o.out_channels);
  GPUNN_CHECK(o.kernel_size.h >= 1 && o.kernel_size.w >= 1,
              "ConvTranspose2d: kernel_size must be at least 1, got ", int2(o.kernel_size));
  const int64_t cout = o.out_channels / o.groups;
  // The weight's dim 1 is the per-group output channel count, so that is the fan-in the
  // usual init reads off the layout.
  const int64_t fan_in = cout * o.kernel_size.h * o.kernel_size.w;
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  weight = register_parameter(
      "weight", uniform_init({o.in_channels, cout, o.kernel_size.h, o.kernel_size.w}, bound,
                             tensor_options, gen));
  bias = o.bias ? register_parameter("bias",
                                     uniform_init({o.out_channels}, bound, tensor_options, gen))
                : register_parameter("bias", Tensor());
}

ConvTranspose2d::ConvTranspose2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size,
                                 Int2 stride, Int2 padding, Int2 output_padding)
    : ConvTranspose2d(ConvTranspose2dOptions{.in_channels = in_channels,
                                             .out_channels = out_channels,
                                             .kernel_size = kernel_size,
                                             .stride = stride,
                                             .padding = padding,
                                             .output_padding = output_padding}) {}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(
      x, weight, bias,
      gpunn::ConvTranspose2dFuncOptions{.stride = options.stride,
                                        .padding = options.padding,
                                        .output_padding = options.output_padding,
                                        .groups = options.groups,
                                        .dilation = options.dilation});
}

std::string ConvTranspose2d::extra_repr() const {
  std::ostringstream os;
  os << options.in_channels << ", " << options.out_channels
     << ", kernel_size=" << int2(options.kernel_size) << ", stride=" << int2(options.stride);
  if (options.padding.h || options.padding.w) os << ", padding=" << int2(options.padding);
  if (options.output_padding.h || options.output_padding.w)
    os << ", output_padding=" << int2(options.output_padding);
  if (options.dilation.h != 1 || options.dilation.w != 1)
    os << ", dilation=" << int2(options.dilation);
  if (options.groups != 1) os << ", groups=" << options.groups;
  if (!options.bias) os << ", bias=false";
  return os.str();
}

// ---- pools and activations -----------------------------------------------------------------

MaxPool2d::MaxPool2d(Pool2dOptions o) : Module("MaxPool2d"), options(o) {}
Tensor MaxPool2d::forward(const Tensor& x) { return max_pool2d(x, options); }
std::string MaxPool2d::extra_repr() const { return pool_repr(options); }

AvgPool2d::AvgPool2d(Pool2dOptions o) : Module("AvgPool2d"), options(o) {}
Tensor AvgPool2d::forward(const Tensor& x) { return avg_pool2d(x, options); }
std::string AvgPool2d::extra_repr() const { return pool_repr(options); }

Tensor ReLU::forward(const Tensor& x) { return relu(x); }

LeakyReLU::LeakyReLU(double slope) : Module("LeakyReLU"), negative_slope(slope) {}
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }
std::string LeakyReLU::extra_repr() const {
  return "negative_slope=" + std::to_string(negative_slope);
}

Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return gpunn::tanh(x); }

GELU::GELU(GeluApproximation a) : Module("GELU"), approximate(a) {}
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate); }
std::string GELU::extra_repr() const {
  return approximate == GeluApproximation::Tanh ? "approximate=tanh" : "";
}

Softmax::Softmax(int64_t d) : Module("Softmax"), dim(d) {}
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim); }
std::string Softmax::extra_repr() const { return "dim=" + std::to_string(dim); }

LogSoftmax::LogSoftmax(int64_t d) : Module("LogSoftmax"), dim(d) {}
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim); }
std::string LogSoftmax::extra_repr() const { return "dim=" + std::to_string(dim); }

Dropout::Dropout(double p_, Generator* gen) : Module("Dropout"), p(p_), generator(gen) {
  GPUNN_CHECK(p_ >= 0.0 && p_ <= 1.0, "Dropout: p must be in [0, 1], got ", p_);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), generator); }
std::string Dropout::extra_repr() const { return "p=" + std::to_string(p); }

Flatten::Flatten(int64_t s, int64_t e) : Module("Flatten"), start_dim(s), end_dim(e) {}
Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_dim, end_dim); }
std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

// ---- Embedding -------------------------------------------------------------------------------

Embedding::Embedding(int64_t num, int64_t dim, std::optional<int64_t> pad, TensorOptions options,
                     Generator* gen)
    : Module("Embedding"), num_embeddings(num), embedding_dim(dim), padding_idx(pad) {
  GPUNN_CHECK(num >= 1 && dim >= 1,
              "Embedding: expected num_embeddings and embedding_dim >= 1, "
              "got ",
              num, " and ", dim);
  if (pad) {
    GPUNN_CHECK(*pad >= -num && *pad < num, "Embedding: padding_idx ", *pad, " out of range for ",
                num, " embeddings");
    if (*pad < 0) padding_idx = *pad + num;
  }
  Tensor w = randn({num, dim}, options.requires_grad(false), gen);
  if (padding_idx) w.narrow(0, *padding_idx, 1).zero_();
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(indices, weight, padding_idx); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
  return s;
}

// ---- BatchNorm ---------------------------------------------------------------------------------

LayerNorm::LayerNorm(Shape shape, double e, bool affine, TensorOptions tensor_options)
    : Module("LayerNorm"), normalized_shape(std::move(shape)), eps(e) {
  GPUNN_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape must have at least one dim");
  for (const int64_t d : normalized_shape)
    GPUNN_CHECK(d >= 1, "LayerNorm: normalized_shape ", normalized_shape,
                " must have positive dims");
  GPUNN_CHECK(eps > 0.0, "LayerNorm: eps must be positive, got ", eps);
  const TensorOptions to = tensor_options.requires_grad(false);
  weight = register_parameter("weight", affine ? ones(normalized_shape, to) : Tensor());
  bias = register_parameter("bias", affine ? zeros(normalized_shape, to) : Tensor());
}
Tensor LayerNorm::forward(const Tensor& x) {
  return layer_norm(x, normalized_shape, weight, bias, eps);
}
std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  gpunn::detail::append(os, normalized_shape);
  os << ", eps=" << eps;
  if (!weight.defined()) os << ", elementwise_affine=false";
  return os.str();
}

BatchNorm::BatchNorm(const char* type, int64_t n, const BatchNormOptions& o,
                     TensorOptions tensor_options, std::initializer_list<int64_t> input_dims)
    : Module(type), num_features(n), options(o), input_dims_(input_dims) {
  GPUNN_CHECK(n >= 1, type, ": num_features must be at least 1, got ", n);
  const TensorOptions to = tensor_options.requires_grad(false);
  weight = register_parameter("weight", o.affine ? ones({n}, to) : Tensor());
  bias = register_parameter("bias", o.affine ? zeros({n}, to) : Tensor());
  running_mean = register_buffer("running_mean", o.track_running_stats ? zeros({n}, to) : Tensor());
  running_var = register_buffer("running_var", o.track_running_stats ? ones({n}, to) : Tensor());
  num_batches_tracked =
      register_buffer("num_batches_tracked", o.track_running_stats ? zeros({}, kInt64) : Tensor());
}

Tensor BatchNorm::forward(const Tensor& x) {
  bool dims_ok = false;
  for (int64_t d : input_dims_) dims_ok |= x.dim() == d;
  if (!dims_ok) {
    std::ostringstream want;
    for (size_t i = 0; i < input_dims_.size(); ++i) want << (i ? " or " : "") << input_dims_[i];
    gpunn::detail::throw_error(type_name(), ": expected a ", want.str(), "-D input, got ",
                               x.shape());
  }
  GPUNN_CHECK(x.shape()[1] == num_features, type_name(), ": expected ", num_features,
              " channels (dim 1), got input ", x.shape());
  // batch_norm checks everything else (dtypes, devices) before it changes the
  // running statistics; the counter moves only once it has succeeded, so a
  // rejected call leaves the layer's state as it was.
  Tensor y =
      batch_norm(x, running_mean, running_var, weight, bias,
                 {.training = is_training(), .momentum = options.momentum, .eps = options.eps});
  // A checkpoint's recompute counts no second batch (autograd::is_recomputing).
  if (is_training() && num_batches_tracked.defined() && !autograd::is_recomputing() &&
      !num_batches_tracked.device().is_meta()) {
    NoGradGuard no_grad;
    // int64: a counter, not a value for arithmetic ops.
    num_batches_tracked.fill_(num_batches_tracked.item() + 1.0);
  }
  return y;
}

std::string BatchNorm::extra_repr() const {
  std::ostringstream os;
  os << num_features << ", eps=" << options.eps << ", momentum=" << options.momentum
     << ", affine=" << (options.affine ? "true" : "false")
     << ", track_running_stats=" << (options.track_running_stats ? "true" : "false");
  return os.str();
}

BatchNorm1d::BatchNorm1d(int64_t n, const BatchNormOptions& o, TensorOptions t)
    : BatchNorm("BatchNorm1d", n, o, t, {2, 3}) {}
BatchNorm2d::BatchNorm2d(int64_t n, const BatchNormOptions& o, TensorOptions t)
    : BatchNorm("BatchNorm2d", n, o, t, {4}) {}

LocalResponseNorm::LocalResponseNorm(int64_t s, double a, double b, double k_)
    : Module("LocalResponseNorm"), size(s), alpha(a), beta(b), k(k_) {
  GPUNN_CHECK(s >= 1, "LocalResponseNorm: size must be at least 1, got ", s);
}
Tensor LocalResponseNorm::forward(const Tensor& x) {
  return local_response_norm(x, size, alpha, beta, k);
}
std::string LocalResponseNorm::extra_repr() const {
  std::ostringstream os;
  os << size << ", alpha=" << alpha << ", beta=" << beta << ", k=" << k;
  return os.str();
}

// ---- containers
// ----------------------------------------------------------------------------------

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules)
    : Module("Sequential") {
  for (const auto& m : modules) push_back(m);
}

// Note [fusing Conv2d and ReLU]
// A Conv2d or a Linear directly followed by a ReLU runs as one conv2d or linear with the
// ReLU epilogue (gpunn/ops/fused.h): the same values, one pass fewer over the output, and
// the pre-activation tensor is neither kept for backward nor allocated beyond the call.
// Only the exact classes (a subclass may change forward), and not while something watches
// each layer: a ForwardObserver (nn::summary, gpunn time's layer table) sees every
// module's output, and anomaly messages name the layer an op ran in.
Tensor Sequential::forward(const Tensor& x) {
  if (checkpoint_segments_ == 0 || !is_grad_enabled() || detail::observing_forward()) {
    return run(0, modules_.size(), x);
  }
  Tensor y = x;
  size_t begin = 0;
  for (size_t n = 0; n < checkpoint_count_ && begin < modules_.size(); ++n) {
    const size_t end = segment_end(begin, checkpoint_segments_);
    if (end == modules_.size()) break;  // the last segment: needed by backward at once
    y = autograd::checkpoint([this, begin, end](const Tensor& t) { return run(begin, end, t); }, y);
    begin = end;
  }
  return run(begin, modules_.size(), y);
}

namespace {
bool fuses_with_next(const Module& m, const Module* next) {
  return next != nullptr && typeid(*next) == typeid(ReLU) &&
         (typeid(m) == typeid(Conv2d) || typeid(m) == typeid(Linear));
}
}  // namespace

Tensor Sequential::run(size_t begin, size_t end, const Tensor& x) {
  Tensor y = x;
  const bool may_fuse = !detail::observing_forward() && !autograd::is_anomaly_enabled();
  for (size_t i = begin; i < end; ++i) {
    Module& m = *modules_[i];
    const Module* next = i + 1 < end ? modules_[i + 1].get() : nullptr;
    if (may_fuse && fuses_with_next(m, next)) {
      if (typeid(m) == typeid(Conv2d)) {
        y = static_cast<Conv2d&>(m).forward(y, FusedActivation::ReLU);
      } else {
        y = static_cast<Linear&>(m).forward(y, FusedActivation::ReLU);
      }
      ++i;
      continue;
    }
    y = m(y);
  }
  return y;
}

size_t Sequential::segment_end(size_t begin, size_t k) const {
  size_t end = std::min(begin + k, modules_.size());
  if (end < modules_.size() && fuses_with_next(*modules_[end - 1], modules_[end].get())) ++end;
  return end;
}

Sequential& Sequential::checkpoint_segments(size_t k, size_t count) {
  checkpoint_segments_ = k;
  checkpoint_count_ = count;
  return *this;
}

Tensor Ensemble::forward(const Tensor& x) {
  GPUNN_CHECK(!members_.empty(), "Ensemble: no members to average");
  Tensor sum_p;
  for (size_t i = 0; i < members_.size(); ++i) {
    const Tensor logits = (*members_[i])(x);
    GPUNN_CHECK(logits.dim() == 2, "Ensemble: member ", i, " returned ", logits.shape(),
                "; expected logits [N, C]");
    const Tensor p = softmax(logits, 1);
    if (sum_p.defined()) {
      GPUNN_CHECK(p.shape() == sum_p.shape(), "Ensemble: member ", i, " returned ", logits.shape(),
                  " but member 0 ", sum_p.shape());
      sum_p = sum_p + p;
    } else {
      sum_p = p;
    }
  }
  return sum_p / static_cast<double>(members_.size());
}

const std::shared_ptr<Module>& Ensemble::operator[](size_t i) const {
  GPUNN_CHECK(i < members_.size(), "Ensemble: index ", i, " out of range for ", members_.size(),
              " members");
  return members_[i];
}

Checkpoint::Checkpoint(std::shared_ptr<Module> wrapped) : Module("Checkpoint") {
  GPUNN_CHECK(wrapped != nullptr, "Checkpoint: no module given");
  module = register_module("module", std::move(wrapped));
}

Tensor Checkpoint::forward(const Tensor& x) {
  if (!is_grad_enabled()) return (*module)(x);
  std::shared_ptr<Module> m = module;
  return autograd::checkpoint([m](const Tensor& t) { return (*m)(t); }, x);
}

const std::shared_ptr<Module>& Sequential::operator[](size_t i) const {
  GPUNN_CHECK(i < modules_.size(), "Sequential: index ", i, " out of range for ", modules_.size(),
              " modules");
  return modules_[i];
}

const std::shared_ptr<Module>& ModuleList::operator[](size_t i) const {
  GPUNN_CHECK(i < modules_.size(), "ModuleList: index ", i, " out of range for ", modules_.size(),
              " modules");
  return modules_[i];
}

}  // namespace gpunn::nn
