// Ready-made models: the networks the examples and benchmarks train. The
// classifiers are nn::Sequential stacks whose state-dict names are the layer
// indices ("0.weight", "3.bias", ...); the variational autoencoder is a module
// of its own (VAE below).
//
// Shapes: N images of C channels, H x W pixels, as [N, C, H, W]; the models
// return logits [N, num_classes] (no softmax: pair them with cross_entropy).
// Parameters start from the layers' defaults (gpunn/nn/layers.h), drawn from the
// default generator, so gpunn::manual_seed makes a model reproducible.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/nn/container.h>
#include <gpunn/nn/layers.h>
#include <gpunn/nn/transformer.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

GPUNN_API_BEGIN

namespace gpunn::models {

// AlexNet in the single-tower form of "One weird trick for parallelizing
// convolutional neural networks" (Krizhevsky, 2014), input [N, 3, 224, 224]:
//   conv 64 11x11 stride 4 pad 2, ReLU, max-pool 3 stride 2     -> [N, 64, 27, 27]
//   conv 192 5x5 pad 2, ReLU, max-pool 3 stride 2               -> [N, 192, 13, 13]
//   conv 384 3x3 pad 1, ReLU; conv 256 3x3 pad 1, ReLU;
//   conv 256 3x3 pad 1, ReLU, max-pool 3 stride 2               -> [N, 256, 6, 6]
//   flatten, dropout, FC 9216->4096, ReLU, dropout, FC 4096->4096, ReLU,
//   FC 4096->num_classes
// 61,100,840 parameters for 1000 classes. `dropout` is the drop probability.
std::shared_ptr<nn::Sequential> alexnet(int64_t num_classes = 1000, double dropout = 0.5);

// The CNN for 28x28 gray images (Fashion-MNIST), input [N, 1, 28, 28]:
//   conv 32 5x5 pad 2, ReLU, max-pool 2    -> [N, 32, 14, 14]
//   conv 64 5x5 pad 2, ReLU, max-pool 2    -> [N, 64, 7, 7]
//   flatten, FC 3136->128, ReLU, FC 128->num_classes
// 454,922 parameters for 10 classes.
std::shared_ptr<nn::Sequential> fashion_cnn(int64_t num_classes = 10);

// A multilayer perceptron for 28x28 gray images, input [N, 1, 28, 28] (or
// [N, 784]): flatten, FC 784->256, ReLU, FC 256->128, ReLU, FC 128->num_classes.
// 235,146 parameters for 10 classes.
std::shared_ptr<nn::Sequential> fashion_mlp(int64_t num_classes = 10);

// The variational autoencoder of Kingma and Welling ("Auto-Encoding Variational
// Bayes", 2014) with fully connected layers, for examples of `input_features`
// values in [0, 1] (784 for 28x28 images), input [N, input_features] or any
// [N, ...] holding that many values per example (e.g. [N, 1, 28, 28]):
//   encoder   FC input_features->hidden, ReLU; then two heads FC hidden->latent:
//             mu and logvar, the mean and log-variance of q(z|x) = N(mu, diag(e^logvar))
//   sample    z = mu + e^(logvar/2)·eps with eps ~ N(0, I) (the reparameterization:
//             z is differentiable in mu and logvar)
//   decoder   FC latent->hidden, ReLU, FC hidden->input_features: the logits of
//             p(x|z), one Bernoulli probability σ(logit) per value
// Children (state-dict prefixes): "encoder", "mu", "logvar", "decoder", "output".
// 784-400-20: 652,824 parameters.
class VAE : public nn::Module {
 public:
  struct Output {
    Tensor logits;  // [N, input_features], the decoder's output for z
    Tensor mu;      // [N, latent]
    Tensor logvar;  // [N, latent]
    Tensor z;       // [N, latent], the sample decoded
  };

  explicit VAE(int64_t input_features = 784, int64_t hidden = 400, int64_t latent = 20);

  // mu and logvar of q(z|x).
  std::pair<Tensor, Tensor> encode(const Tensor& x);
  // z = mu + e^(logvar/2)·eps, eps drawn from `generator` (the default one when
  // null) on mu's device.
  static Tensor reparameterize(const Tensor& mu, const Tensor& logvar,
                               Generator* generator = nullptr);
  // Logits [N, input_features] for latent codes z [N, latent].
  Tensor decode(const Tensor& z);
  // Encode, sample (in training and evaluation mode alike) and decode.
  Output forward_all(const Tensor& x, Generator* generator = nullptr);
  // forward_all(x).logits, from the default generator.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  int64_t input_features, hidden, latent;
  std::shared_ptr<nn::Linear> encoder, mu_head, logvar_head, decoder, output;
};

std::shared_ptr<VAE> vae(int64_t input_features = 784, int64_t hidden = 400, int64_t latent = 20);

// The negative evidence lower bound of a VAE's output for the examples x it
// encoded (values in [0, 1], N examples of input_features values), each term a
// 0-D mean per example:
//   reconstruction = Σ over values of binary_cross_entropy_with_logits(logits, x), mean over N
//   kl             = gaussian_kl_divergence(mu, logvar) (gpunn/ops/loss.h), mean over N
//   loss           = reconstruction + kl
struct VaeLoss {
  Tensor loss, reconstruction, kl;
};
VaeLoss vae_loss(const VAE::Output& output, const Tensor& x);

// A binary-binary restricted Boltzmann machine (Smolensky 1986; Hinton, "A Practical
// Guide to Training Restricted Boltzmann Machines", 2010): visible units v and hidden
// units h in {0, 1}, energy E(v, h) = -b·v - c·h - vᵀWh, P(v, h) = exp(-E) / Z.
//   p(h = 1 | v) = σ(vW + c),   p(v = 1 | h) = σ(hWᵀ + b)
//   free energy F(v) = -b·v - Σ_j softplus((vW + c)_j),   P(v) = exp(-F(v)) / Z
// Parameters: "weight" [visible, hidden] (N(0, 0.01²)), "visible_bias", "hidden_bias"
// (zeros). Its updates are not backpropagation: contrastive_divergence gives the
// log-likelihood's gradient estimate, which the caller adds (gradient ascent).
class RBM : public nn::Module {
 public:
  RBM(int64_t visible, int64_t hidden, Generator* generator = nullptr);
  Tensor hidden_probabilities(const Tensor& v) const;   // [N, hidden]
  Tensor visible_probabilities(const Tensor& h) const;  // [N, visible]
  // A Bernoulli sample of probabilities p: 1 with probability p (lt(rand_like(p), p)).
  static Tensor sample(const Tensor& p, Generator* generator = nullptr);
  Tensor free_energy(const Tensor& v) const;  // [N]
  // k steps of block Gibbs sampling from v (v → h → v, k times): the last visible sample.
  Tensor gibbs(const Tensor& v, int64_t k, Generator* generator = nullptr) const;

  // The log-likelihood's gradient, estimated by contrastive divergence: the data's
  // statistics (v0 with p(h | v0)) minus the model's, from a Gibbs chain of k steps
  // started at the data (CD-k) or, with `chain` given, at the chain's state, which is
  // then advanced in place (persistent CD, Tieleman 2008). The negative phase uses the
  // chain's visible sample and its hidden probabilities (Hinton's guide, section 3).
  // Each statistic is a mean over its rows.
  struct Gradients {
    Tensor weight, visible_bias, hidden_bias;
  };
  Gradients contrastive_divergence(const Tensor& v0, int64_t k, Tensor* chain = nullptr,
                                   Generator* generator = nullptr) const;

  Tensor forward(const Tensor& v) override { return hidden_probabilities(v); }
  std::string extra_repr() const override;

  int64_t visible, hidden;
  Tensor weight, visible_bias, hidden_bias;
};

// One affine coupling layer of RealNVP (Dinh, Sohl-Dickstein and Bengio, "Density
// estimation using Real NVP", 2017) on vectors [N, features]. A fixed mask m (1: the unit
// passes through, 0: it is transformed) splits the units; a network of the kept units
// gives a log-scale s and a shift t for the others:
//   (raw, t) = net(m⊙x),  s = (1 - m)⊙scale⊙tanh(raw),  t ← (1 - m)⊙t
//   y = x⊙exp(s) + t                   (kept units: s = t = 0, y = x)
//   x = (y - t)⊙exp(-s)                (s and t from net(m⊙y) = net(m⊙x): exact inverse)
//   log|det ∂y/∂x| = Σ_i s_i            (the Jacobian is triangular up to a permutation)
// net: FC features->hidden, ReLU, FC hidden->hidden, ReLU, FC hidden->2·features, its last
// layer starting at zero so that the layer starts as the identity; "scale" [features]
// starts at one (tanh bounds each log-scale by it, which keeps early training stable).
// Children and tensors (state-dict names): "net", "scale" (parameter), "mask" (buffer).
class AffineCoupling : public nn::Module {
 public:
  // mask: [features] of 0 and 1, at least one of each.
  AffineCoupling(const Tensor& mask, int64_t hidden);
  struct Result {
    Tensor y;        // [N, features]
    Tensor log_det;  // [N]: log|det ∂y/∂x| per row
  };
  Result forward_with_log_det(const Tensor& x);
  Tensor inverse(const Tensor& y);
  Tensor forward(const Tensor& x) override { return forward_with_log_det(x).y; }
  std::string extra_repr() const override;

  int64_t features, hidden;
  Tensor mask, scale;
  std::shared_ptr<nn::Sequential> net;

 private:
  std::pair<Tensor, Tensor> scale_and_shift(const Tensor& kept);  // s, t (both masked)
};

// RealNVP: `layers` affine couplings whose masks alternate between `mask` and 1 - mask
// (default: the units of even index kept first), so every unit is transformed. It maps
// data x to z = f(x) with a standard normal base density, so
//   log p(x) = log N(f(x); 0, I) + log|det ∂f/∂x| = -½|z|² - (D/2)·log 2π + Σ log-dets,
// exact, and samples are f⁻¹(z) with z ~ N(0, I). Children: "couplings" (0, 1, ...).
class RealNVP : public nn::Module {
 public:
  RealNVP(int64_t features, int64_t layers, int64_t hidden, const Tensor& mask = {});
  struct Result {
    Tensor z;        // [N, features]
    Tensor log_det;  // [N]
  };
  Result forward_with_log_det(const Tensor& x);  // x -> z
  Tensor inverse(const Tensor& z);               // z -> x
  Tensor log_prob(const Tensor& x);              // [N], in nats
  // n samples f⁻¹(temperature·ε), ε ~ N(0, I) drawn from `generator` (the default one when
  // null), on the model's device and dtype.
  Tensor sample(int64_t n, double temperature = 1.0, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override { return forward_with_log_det(x).z; }
  std::string extra_repr() const override;

  int64_t features;
  std::shared_ptr<nn::ModuleList> couplings;
};

std::shared_ptr<RealNVP> realnvp(int64_t features, int64_t layers, int64_t hidden,
                                 const Tensor& mask = {});

// LeNet-5 (LeCun et al., 1998) in its common modern form (ReLU and max-pooling
// in place of the scaled tanh and trainable subsampling) for 28x28 gray images,
// input [N, 1, 28, 28]; the first convolution pads by 2, which gives the
// original's 32x32 input plane:
//   conv 6 5x5 pad 2, ReLU, max-pool 2     -> [N, 6, 14, 14]
//   conv 16 5x5, ReLU, max-pool 2          -> [N, 16, 5, 5]
//   flatten, FC 400->120, ReLU, FC 120->84, ReLU, FC 84->num_classes
// 61,706 parameters for 10 classes.
std::shared_ptr<nn::Sequential> lenet5(int64_t num_classes = 10);

// The two-layer network for the spiral data (gpunn::data::spiral), input
// [N, 2]: FC 2->hidden, ReLU, FC hidden->num_classes. 603 parameters for the
// defaults (100 hidden units, 3 classes).
std::shared_ptr<nn::Sequential> spiral_mlp(int64_t hidden = 100, int64_t num_classes = 3);

// A character-level Transformer language model (GPT-style, decoder only):
//   ids [N, L] int64 → token embedding [vocab, dim] + learned positions [context, dim],
//   dropout, `layers` pre-norm causal TransformerBlocks (dim, heads, MLP 4·dim, GELU),
//   LayerNorm, Linear(dim, vocab) → logits [N, L, vocab] (L <= context).
// Position i predicts the character after i from characters 0..i. Token and position
// embeddings start from N(0, 0.02²). Submodules: tok, pos, blocks.0 ..., ln_f, head.
struct CharTransformerOptions {
  int64_t vocab = 0;
  int64_t context = 64;
  int64_t dim = 64;
  int64_t heads = 4;
  int64_t layers = 2;
  double dropout = 0.1;
};

class CharTransformer : public nn::Module {
 public:
  explicit CharTransformer(const CharTransformerOptions& options);
  Tensor forward(const Tensor& ids) override;
  CharTransformerOptions options;
  std::shared_ptr<nn::Embedding> tok;
  std::shared_ptr<nn::PositionalEmbedding> pos;
  std::shared_ptr<nn::ModuleList> blocks;
  std::shared_ptr<nn::LayerNorm> ln_f;
  std::shared_ptr<nn::Linear> head;
};

std::shared_ptr<CharTransformer> char_transformer(const CharTransformerOptions& options);

}  // namespace gpunn::models

GPUNN_API_END
