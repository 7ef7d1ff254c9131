// Losses. Scores/logits are [N, C] (or [C] with a 0-D target, or [N, C, d1, ...]
// with a target [N, d1, ...] where the op says so); targets are int64 class
// indices in [0, C). Reduction::Mean (the default) averages over samples as
// described per loss; Sum adds; None returns one loss per sample.
//
// The options structs are meant for designated initializers, e.g.
// cross_entropy(x, y, {.label_smoothing = 0.1}); every member has an explicit
// default (`weight{}` too) so that leaving members out does not trip
// -Wmissing-field-initializers.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

enum class Reduction { None, Mean, Sum };

struct NllLossOptions {
  Tensor weight{};              // [C] class weights (optional)
  int64_t ignore_index = -100;  // targets equal to it contribute nothing
  Reduction reduction = Reduction::Mean;
};
// l_n = -w[y_n] · logp[n, y_n];  Mean: Σ l_n / Σ w[y_n] over non-ignored n.
// Accepts [N, C], [C] and [N, C, d1, ...].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options = {});

struct CrossEntropyOptions {
  Tensor weight{};               // [C] class weights (optional)
  int64_t ignore_index = -100;   // targets equal to it contribute nothing
  double label_smoothing = 0.0;  // ε in [0, 1]
  Reduction reduction = Reduction::Mean;
};
// Softmax cross-entropy from logits, with logp = log_softmax(logits, class dim):
//   l_n = (1 - ε) · (-w[y_n] · logp[n, y_n]) + (ε / C) · (-Σ_c w[c] · logp[n, c])
// Mean: Σ l_n / Σ w[y_n] over non-ignored n (with no weights: their count).
// Gradient (ε = 0, no weights, Mean): (softmax(logits) - onehot(y)) / N.
// Accepts [N, C], [C] and [N, C, d1, ...].
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

// The multiclass SVM hinge loss of cs231n's linear-classification notes:
//   l_n = Σ_{j ≠ y_n} max(0, s[n, j] - s[n, y_n] + margin)
// Mean: Σ l_n / N. Subgradient 0 where the hinge is exactly 0. A term that is
// NaN (a NaN score) counts as 0, as in PyTorch: NaN scores do not show in this
// loss (or in multi_margin_loss), so check the scores themselves.
// Accepts [N, C] and [C].
Tensor multiclass_hinge_loss(const Tensor& scores, const Tensor& target, double margin = 1.0,
                             Reduction reduction = Reduction::Mean);

struct MultiMarginLossOptions {
  int p = 1;  // 1 or 2
  double margin = 1.0;
  Tensor weight{};  // [C] (optional)
  Reduction reduction = Reduction::Mean;
};
// PyTorch's MultiMarginLoss: like the hinge loss above but each term is
// w[y_n] · max(0, margin - x[n, y_n] + x[n, j])^p and the sum is divided by C:
//   l_n = Σ_{j ≠ y_n} w[y_n] · max(0, margin - x[n, y_n] + x[n, j])^p / C
// Mean: Σ l_n / N.
Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginLossOptions& options = {});

// l = (input - target)^2 elementwise; both must have the same shape.
// Mean: over all elements.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

struct BceWithLogitsOptions {
  Tensor weight{};      // broadcasts to the input's shape (never beyond it): a rescaling per
                        // element (optional)
  Tensor pos_weight{};  // [C], C = the input's last dim: weight of positive targets (optional)
  Reduction reduction = Reduction::Mean;
};
// Binary cross-entropy from logits x and targets y in [0, 1] of the same shape,
// without forming σ(x) (stable for any x):
//   l = w · [(1 - y)·x + (1 + (pw - 1)·y)·log(1 + e^-x)]
// Mean: over all elements. Gradients reach the input and the target.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options = {});

// The Kullback-Leibler divergence of a diagonal Gaussian q = N(mu, diag(e^logvar))
// from the standard normal N(0, I): the regularizer of a variational
// autoencoder's loss. mu and logvar are [N, D] (N samples of D latent
// dimensions) or [D] (one sample), of the same shape, dtype and device:
//   l_n = -½ Σ_j (1 + logvar[n, j] - mu[n, j]² - e^logvar[n, j])   (>= 0, 0 iff q = N(0, I))
// Mean: Σ l_n / N (a [D] input is one sample). dmu = mu, dlogvar = ½(e^logvar - 1),
// times the reduction's factor. Composed of differentiable ops, so it works on
// every device and in both autograd modes.
Tensor gaussian_kl_divergence(const Tensor& mu, const Tensor& logvar,
                              Reduction reduction = Reduction::Mean);

// Penalties on parameters, to add to a loss: Σ_p Σ|p| and Σ_p Σp² (no ½).
Tensor l1_penalty(const std::vector<Tensor>& params);
Tensor l2_penalty(const std::vector<Tensor>& params);

}  // namespace gpunn

GPUNN_API_END
