// Ready-made models (gpunn/models.h).
#include <gpunn/error.h>
#include <gpunn/models.h>
#include <gpunn/nn/layers.h>
#include <gpunn/ops.h>

#include <sstream>
#include <tuple>

namespace gpunn::models {

namespace {

void check_classes(const char* model, int64_t num_classes) {
  GPUNN_CHECK(num_classes >= 1, "models::", model, ": num_classes must be at least 1, got ",
              num_classes);
}

}  // namespace

std::shared_ptr<nn::Sequential> alexnet(int64_t num_classes, double dropout) {
  check_classes("alexnet", num_classes);
  GPUNN_CHECK(dropout >= 0.0 && dropout < 1.0, "models::alexnet: dropout must be in [0, 1), got ",
              dropout);
  auto net = std::make_shared<nn::Sequential>();
  const Pool2dOptions pool{.kernel_size = 3, .stride = 2};
  net->emplace<nn::Conv2d>(3, 64, 11, 4, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(pool);
  net->emplace<nn::Conv2d>(64, 192, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(pool);
  net->emplace<nn::Conv2d>(192, 384, 3, 1, 1);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Conv2d>(384, 256, 3, 1, 1);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Conv2d>(256, 256, 3, 1, 1);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(pool);
  net->emplace<nn::Flatten>();
  net->emplace<nn::Dropout>(dropout);
  net->emplace<nn::Linear>(256 * 6 * 6, 4096);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Dropout>(dropout);
  net->emplace<nn::Linear>(4096, 4096);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(4096, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> fashion_cnn(int64_t num_classes) {
  check_classes("fashion_cnn", num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Conv2d>(1, 32, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Conv2d>(32, 64, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(64 * 7 * 7, 128);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(128, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> fashion_mlp(int64_t num_classes) {
  check_classes("fashion_mlp", num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(28 * 28, 256);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(256, 128);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(128, num_classes);
  return net;
}

// ---- VAE ------------------------------------------------------------------------------------

VAE::VAE(int64_t input_features_, int64_t hidden_, int64_t latent_)
    : Module("VAE"), input_features(input_features_), hidden(hidden_), latent(latent_) {
  GPUNN_CHECK(input_features >= 1 && hidden >= 1 && latent >= 1,
              "models::VAE: input_features, hidden and latent must be at least 1, got ",
              input_features, ", ", hidden, ", ", latent);
  encoder = register_module("encoder", std::make_shared<nn::Linear>(input_features, hidden));
  mu_head = register_module("mu", std::make_shared<nn::Linear>(hidden, latent));
  logvar_head = register_module("logvar", std::make_shared<nn::Linear>(hidden, latent));
  decoder = register_module("decoder", std::make_shared<nn::Linear>(latent, hidden));
  output = register_module("output", std::make_shared<nn::Linear>(hidden, input_features));
}

std::pair<Tensor, Tensor> VAE::encode(const Tensor& x) {
  GPUNN_CHECK(x.defined() && x.dim() >= 1, "models::VAE::encode: expected examples [N, ",
              input_features, "] (or [N, ...] of ", input_features, " values each), got ",
              x.defined() ? x.shape() : Shape{});
  const int64_t n = x.size(0);
  GPUNN_CHECK(x.numel() == n * input_features, "models::VAE::encode: expected examples [N, ",
              input_features, "] (or [N, ...] of ", input_features, " values each), got ",
              x.shape());
  const Tensor h = relu((*encoder)(x.reshape({n, input_features})));
  return {(*mu_head)(h), (*logvar_head)(h)};
}

Tensor VAE::reparameterize(const Tensor& mu, const Tensor& logvar, Generator* generator) {
  GPUNN_CHECK(mu.defined() && logvar.defined() && mu.shape() == logvar.shape(),
              "models::VAE::reparameterize: mu and logvar must have the same shape, got ",
              mu.defined() ? mu.shape() : Shape{}, " and ",
              logvar.defined() ? logvar.shape() : Shape{});
  const Tensor eps = randn(mu.shape(), mu.options(), generator);
  return mu + exp(logvar * 0.5) * eps;
}

Tensor VAE::decode(const Tensor& z) {
  GPUNN_CHECK(z.defined() && z.dim() == 2 && z.size(1) == latent,
              "models::VAE::decode: expected latent codes [N, ", latent, "], got ",
              z.defined() ? z.shape() : Shape{});
  return (*output)(relu((*decoder)(z)));
}

VAE::Output VAE::forward_all(const Tensor& x, Generator* generator) {
  Output out;
  std::tie(out.mu, out.logvar) = encode(x);
  out.z = reparameterize(out.mu, out.logvar, generator);
  out.logits = decode(out.z);
  return out;
}

Tensor VAE::forward(const Tensor& x) { return forward_all(x).logits; }

std::string VAE::extra_repr() const {
  std::ostringstream os;
  os << "input_features=" << input_features << ", hidden=" << hidden << ", latent=" << latent;
  return os.str();
}

std::shared_ptr<VAE> vae(int64_t input_features, int64_t hidden, int64_t latent) {
  return std::make_shared<VAE>(input_features, hidden, latent);
}

VaeLoss vae_loss(const VAE::Output& output, const Tensor& x) {
  GPUNN_CHECK(output.logits.defined() && output.logits.dim() == 2,
              "models::vae_loss: expected logits [N, features], got ",
              output.logits.defined() ? output.logits.shape() : Shape{});
  const int64_t n = output.logits.size(0);
  GPUNN_CHECK(x.defined() && x.dim() >= 1 && x.size(0) == n && x.numel() == output.logits.numel(),
              "models::vae_loss: the examples ", x.defined() ? x.shape() : Shape{},
              " do not match the logits ", output.logits.shape(),
              " (expected N examples of as many values)");
  const Tensor target = x.reshape(output.logits.shape());
  VaeLoss l;
  l.reconstruction =
      binary_cross_entropy_with_logits(output.logits, target, {.reduction = Reduction::Sum}) /
      static_cast<double>(n);
  l.kl = gaussian_kl_divergence(output.mu, output.logvar, Reduction::Mean);
  l.loss = l.reconstruction + l.kl;
  return l;
}

std::shared_ptr<nn::Sequential> lenet5(int64_t num_classes) {
  check_classes("lenet5", num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Conv2d>(1, 6, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Conv2d>(6, 16, 5);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(16 * 5 * 5, 120);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(120, 84);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(84, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> spiral_mlp(int64_t hidden, int64_t num_classes) {
  check_classes("spiral_mlp", num_classes);
  GPUNN_CHECK(hidden >= 1, "models::spiral_mlp: hidden must be at least 1, got ", hidden);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Linear>(2, hidden);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(hidden, num_classes);
  return net;
}

}  // namespace gpunn::models
