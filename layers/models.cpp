// Ready-made models (gpunn/models.h).
#include <gpunn/autograd.h>
#include <gpunn/error.h>
#include <gpunn/models.h>
#include <gpunn/nn/init.h>
#include <gpunn/nn/layers.h>
#include <gpunn/ops.h>

#include <cmath>
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

RBM::RBM(int64_t visible_, int64_t hidden_, Generator* generator)
    : Module("RBM"), visible(visible_), hidden(hidden_) {
  GPUNN_CHECK(visible >= 1 && hidden >= 1,
              "models::RBM: visible and hidden must be at least 1, got ", visible, " and ", hidden);
  weight = register_parameter("weight", randn({visible, hidden}, {}, generator) * 0.01, false);
  visible_bias = register_parameter("visible_bias", zeros({visible}), false);
  hidden_bias = register_parameter("hidden_bias", zeros({hidden}), false);
}

Tensor RBM::hidden_probabilities(const Tensor& v) const {
  GPUNN_CHECK(v.dim() == 2 && v.shape()[1] == visible, "RBM: expected visible units [N, ", visible,
              "], got ", v.shape());
  return sigmoid(linear(v, weight.transpose(0, 1), hidden_bias));
}

Tensor RBM::visible_probabilities(const Tensor& h) const {
  GPUNN_CHECK(h.dim() == 2 && h.shape()[1] == hidden, "RBM: expected hidden units [N, ", hidden,
              "], got ", h.shape());
  return sigmoid(linear(h, weight, visible_bias));
}

Tensor RBM::sample(const Tensor& p, Generator* generator) { return lt(rand_like(p, generator), p); }

Tensor RBM::free_energy(const Tensor& v) const {
  GPUNN_CHECK(v.dim() == 2 && v.shape()[1] == visible, "RBM: expected visible units [N, ", visible,
              "], got ", v.shape());
  const Tensor a = linear(v, weight.transpose(0, 1), hidden_bias);
  // softplus(a) = relu(a) + log(1 + exp(-|a|)): no overflow for large |a|.
  const Tensor softplus = relu(a) + log(add(exp(neg(abs(a))), 1.0));
  return neg(matmul(v, visible_bias) + softplus.sum({1}));
}

Tensor RBM::gibbs(const Tensor& v, int64_t k, Generator* generator) const {
  GPUNN_CHECK(k >= 1, "RBM::gibbs: k must be at least 1, got ", k);
  Tensor x = v;
  for (int64_t i = 0; i < k; ++i) {
    x = sample(visible_probabilities(sample(hidden_probabilities(x), generator)), generator);
  }
  return x;
}

RBM::Gradients RBM::contrastive_divergence(const Tensor& v0, int64_t k, Tensor* chain,
                                           Generator* generator) const {
  NoGradGuard no_grad;
  GPUNN_CHECK(k >= 1, "RBM::contrastive_divergence: k must be at least 1, got ", k);
  const Tensor ph0 = hidden_probabilities(v0);
  Tensor vk = gibbs(chain ? *chain : v0, k, generator);
  if (chain) *chain = vk;
  const Tensor phk = hidden_probabilities(vk);
  const auto n0 = static_cast<double>(v0.shape()[0]), nk = static_cast<double>(vk.shape()[0]);
  Gradients g;
  g.weight = matmul(v0.transpose(0, 1), ph0) / n0 - matmul(vk.transpose(0, 1), phk) / nk;
  g.visible_bias = v0.mean({0}) - vk.mean({0});
  g.hidden_bias = ph0.mean({0}) - phk.mean({0});
  return g;
}

std::string RBM::extra_repr() const {
  return "visible=" + std::to_string(visible) + ", hidden=" + std::to_string(hidden);
}

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

// ---- RealNVP --------------------------------------------------------------------------------

AffineCoupling::AffineCoupling(const Tensor& mask_, int64_t hidden_)
    : Module("AffineCoupling"), features(mask_.defined() ? mask_.numel() : 0), hidden(hidden_) {
  GPUNN_CHECK(mask_.defined() && mask_.dim() == 1 && features >= 2 && hidden >= 1,
              "models::AffineCoupling: expected a mask [features] (features >= 2) and hidden >= 1, "
              "got mask ",
              mask_.defined() ? mask_.shape() : Shape{}, " and hidden ", hidden_);
  const std::vector<double> m = mask_.to(kCPU).to_vector<double>();
  int64_t kept = 0;
  for (const double v : m) {
    GPUNN_CHECK(v == 0.0 || v == 1.0,
                "models::AffineCoupling: the mask must hold only 0 and 1, found ", v);
    kept += v == 1.0;
  }
  GPUNN_CHECK(kept >= 1 && kept < features,
              "models::AffineCoupling: the mask must keep some units and transform the others, "
              "it keeps ",
              kept, " of ", features);
  mask = register_buffer("mask", tensor(m, {features}, kFloat32));
  scale = register_parameter("scale", ones({features}));
  net = register_module("net", std::make_shared<nn::Sequential>());
  net->emplace<nn::Linear>(features, hidden);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(hidden, hidden);
  net->emplace<nn::ReLU>();
  auto last = net->emplace<nn::Linear>(hidden, 2 * features);
  NoGradGuard no_grad;
  last->weight.zero_();
  last->bias.zero_();
}

std::pair<Tensor, Tensor> AffineCoupling::scale_and_shift(const Tensor& kept) {
  const Tensor out = (*net)(kept);
  const Tensor free = rsub(mask, 1.0);
  const Tensor s = tanh(out.narrow(1, 0, features)) * (scale * free);
  const Tensor t = out.narrow(1, features, features) * free;
  return {s, t};
}

AffineCoupling::Result AffineCoupling::forward_with_log_det(const Tensor& x) {
  GPUNN_CHECK(x.defined() && x.dim() == 2 && x.size(1) == features,
              "models::AffineCoupling: expected x [N, ", features, "], got ",
              x.defined() ? x.shape() : Shape{});
  const auto [s, t] = scale_and_shift(x * mask);
  return {x * exp(s) + t, s.sum({1})};
}

Tensor AffineCoupling::inverse(const Tensor& y) {
  GPUNN_CHECK(y.defined() && y.dim() == 2 && y.size(1) == features,
              "models::AffineCoupling::inverse: expected y [N, ", features, "], got ",
              y.defined() ? y.shape() : Shape{});
  const auto [s, t] = scale_and_shift(y * mask);
  return (y - t) * exp(neg(s));
}

std::string AffineCoupling::extra_repr() const {
  return "features=" + std::to_string(features) + ", hidden=" + std::to_string(hidden);
}

RealNVP::RealNVP(int64_t features_, int64_t layers, int64_t hidden, const Tensor& mask)
    : Module("RealNVP"), features(features_) {
  GPUNN_CHECK(features >= 2 && layers >= 1 && hidden >= 1,
              "models::RealNVP: features must be at least 2, layers and hidden at least 1, got ",
              features, ", ", layers, ", ", hidden);
  Tensor first = mask;
  if (!first.defined()) {
    std::vector<double> m(static_cast<size_t>(features));
    for (size_t i = 0; i < m.size(); ++i) m[i] = i % 2 == 0 ? 1.0 : 0.0;
    first = tensor(m, {features}, kFloat32);
  }
  GPUNN_CHECK(first.dim() == 1 && first.numel() == features, "models::RealNVP: expected a mask [",
              features, "], got ", first.shape());
  first = first.to(kCPU).to(kFloat32);
  couplings = register_module("couplings", std::make_shared<nn::ModuleList>());
  for (int64_t i = 0; i < layers; ++i)
    couplings->push_back(
        std::make_shared<AffineCoupling>(i % 2 == 0 ? first : rsub(first, 1.0), hidden));
}

RealNVP::Result RealNVP::forward_with_log_det(const Tensor& x) {
  GPUNN_CHECK(x.defined() && x.dim() == 2 && x.size(1) == features,
              "models::RealNVP: expected x [N, ", features, "], got ",
              x.defined() ? x.shape() : Shape{});
  Result r{x, Tensor()};
  for (const auto& m : *couplings) {
    AffineCoupling::Result c = static_cast<AffineCoupling&>(*m).forward_with_log_det(r.z);
    r.z = c.y;
    r.log_det = r.log_det.defined() ? r.log_det + c.log_det : c.log_det;
  }
  return r;
}

Tensor RealNVP::inverse(const Tensor& z) {
  GPUNN_CHECK(z.defined() && z.dim() == 2 && z.size(1) == features,
              "models::RealNVP::inverse: expected z [N, ", features, "], got ",
              z.defined() ? z.shape() : Shape{});
  Tensor x = z;
  for (size_t i = couplings->size(); i-- > 0;)
    x = static_cast<AffineCoupling&>(*(*couplings)[i]).inverse(x);
  return x;
}

Tensor RealNVP::log_prob(const Tensor& x) {
  const Result r = forward_with_log_det(x);
  const double log_2pi = std::log(2.0 * 3.14159265358979323846);
  return (r.z * r.z).sum({1}) * -0.5 + r.log_det - 0.5 * static_cast<double>(features) * log_2pi;
}

Tensor RealNVP::sample(int64_t n, double temperature, Generator* generator) {
  GPUNN_CHECK(n >= 1, "models::RealNVP::sample: n must be at least 1, got ", n);
  const Tensor& any = static_cast<AffineCoupling&>(*(*couplings)[0]).scale;
  return inverse(randn({n, features}, any.options(), generator) * temperature);
}

std::string RealNVP::extra_repr() const {
  return "features=" + std::to_string(features) + ", layers=" + std::to_string(couplings->size());
}

std::shared_ptr<RealNVP> realnvp(int64_t features, int64_t layers, int64_t hidden,
                                 const Tensor& mask) {
  return std::make_shared<RealNVP>(features, layers, hidden, mask);
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

// ---- char_transformer -------------------------------------------------------------------------

CharTransformer::CharTransformer(const CharTransformerOptions& o)
    : Module("CharTransformer"), options(o) {
  GPUNN_CHECK(o.vocab >= 1 && o.context >= 1 && o.dim >= 1 && o.layers >= 0,
              "char_transformer: expected vocab, context, dim >= 1 and layers >= 0, got vocab ",
              o.vocab, ", context ", o.context, ", dim ", o.dim, ", layers ", o.layers);
  tok = register_module("tok", std::make_shared<nn::Embedding>(o.vocab, o.dim));
  {
    NoGradGuard no_grad;
    nn::init::normal_(tok->weight, 0.0, 0.02);
  }
  pos = register_module("pos", std::make_shared<nn::PositionalEmbedding>(o.context, o.dim));
  blocks = register_module("blocks", std::make_shared<nn::ModuleList>());
  for (int64_t l = 0; l < o.layers; ++l)
    blocks->push_back(std::make_shared<nn::TransformerBlock>(nn::TransformerBlockOptions{
        .dim = o.dim, .num_heads = o.heads, .dropout = o.dropout, .causal = true}));
  ln_f = register_module("ln_f", std::make_shared<nn::LayerNorm>(Shape{o.dim}));
  head = register_module("head", std::make_shared<nn::Linear>(o.dim, o.vocab));
}

Tensor CharTransformer::forward(const Tensor& ids) {
  GPUNN_CHECK(ids.defined(), "CharTransformer: ids is an undefined tensor");
  GPUNN_CHECK(ids.dim() == 2, "CharTransformer: expected ids [N, L], got ", ids.shape());
  Tensor x = pos->forward(tok->forward(ids));
  x = dropout(x, options.dropout, is_training());
  for (const auto& block : *blocks) x = block->forward(x);
  return head->forward(ln_f->forward(x));
}

std::shared_ptr<CharTransformer> char_transformer(const CharTransformerOptions& options) {
  return std::make_shared<CharTransformer>(options);
}

}  // namespace gpunn::models
