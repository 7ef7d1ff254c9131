// rbm: a binary restricted Boltzmann machine (models::RBM) on binarised Fashion-MNIST,
// the lecture's "approximate density" model.
//
// Each image's pixels become 784 binary visible units (1 where the pixel is above 0.5).
// Training follows Hinton's practical guide: mini-batches, contrastive divergence with k
// Gibbs steps (CD-k) or, with --pcd, persistent chains (PCD-k, one per batch row), the
// log-likelihood's gradient estimate added with momentum (0.5 in the first epoch, 0.9
// after) and a small weight decay; the update is gpunn ops on the training device.
// After each epoch, on 1000 test images: the reconstruction error (mean squared
// difference between v and p(v | h) with h sampled from v) and the pseudo-log-likelihood
// (784 · log σ(F(ṽ) - F(v)) with one random bit of v flipped in ṽ, F the free energy), in
// nats per image. Writes rbm_filters.png (the first hidden units' weights) and
// rbm_samples.png (Gibbs chains from noise, one row per stage of 1000 steps).
//
// The last output line is one JSON object: hidden, k, persistent, epochs,
// recon_error and pseudo_log_likelihood (before training, then per epoch), device. Exits
// non-zero unless both improve on their values before training.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "common/example.h"

namespace ex = gpunn::examples;
using namespace gpunn;

namespace {

struct Options {
  ex::CommonOptions common;
  std::string data_dir;
  int64_t hidden = 128;
  int64_t epochs = 0;  // 0: 5 (smoke 1)
  int64_t batch = 64;
  int64_t k = 1;
  bool pcd = false;
  double lr = 0.05;
  double weight_decay = 1e-4;
};

struct Eval {
  double recon = 0, pll = 0;
};

Eval evaluate(const models::RBM& rbm, const Tensor& v) {
  NoGradGuard no_grad;
  const Tensor p = rbm.visible_probabilities(models::RBM::sample(rbm.hidden_probabilities(v)));
  const Tensor d = v - p;
  Eval e;
  e.recon = (d * d).mean().item();
  // One random bit flipped per image: ṽ = v + m - 2 v m, m one-hot at a random unit.
  const int64_t n = v.shape()[0], D = v.shape()[1];
  const std::vector<int64_t> which = randint(0, D, {n}, kInt64).to_vector<int64_t>();
  std::vector<double> mask(static_cast<size_t>(n * D), 0.0);
  for (int64_t i = 0; i < n; ++i)
    mask[static_cast<size_t>(i * D + which[static_cast<size_t>(i)])] = 1;
  const Tensor m = tensor(mask, {n, D}, v.dtype()).to(v.device());
  const Tensor flipped = v + m - v * m * 2.0;
  const Tensor x = rbm.free_energy(flipped) - rbm.free_energy(v);
  // log σ(x) = -softplus(-x) = -(relu(-x) + log(1 + exp(-|x|)))
  const Tensor log_sigmoid = neg(relu(neg(x)) + log(add(exp(neg(abs(x))), 1.0)));
  e.pll = (log_sigmoid * static_cast<double>(D)).mean().item();
  return e;
}

// A [rows·28, cols·28] gray image of `images` [n, 784] (values in [lo, hi]).
ex::Image tiles(const Tensor& images, int cols, double lo, double hi) {
  return ex::contact_sheet(ex::gray_tiles(images, lo, hi), cols, 2, 255);
}

int run(Options o) {
  ex::prepare_output_dir(o.common);
  const Device device = ex::resolve_device(o.common.device);
  if (o.epochs == 0) o.epochs = o.common.smoke ? 1 : 5;
  const std::optional<std::string> dir = ex::fashion_mnist_dir(o.data_dir, "rbm");
  if (!dir) return o.common.smoke ? ex::kSkipExitCode : 1;
  auto binarise = [&](const data::TensorDataset& d, int64_t limit) {
    const int64_t n = std::min(limit, d.size());
    return gt(d.data().narrow(0, 0, n).reshape({n, 784}), 0.5).to(device);
  };
  const Tensor train =
      binarise(data::load_fashion_mnist(*dir, data::Split::Train), o.common.smoke ? 2048 : 60000);
  const Tensor test = binarise(data::load_fashion_mnist(*dir, data::Split::Test), 1000);
  const int64_t n = train.shape()[0];
  std::cout << "rbm: " << n << " binarised Fashion-MNIST images, 784 visible and " << o.hidden
            << " hidden units, " << (o.pcd ? "PCD-" : "CD-") << o.k << ", on " << device.str()
            << "\n";

  manual_seed(o.common.seed);
  models::RBM rbm(784, o.hidden);
  rbm.to(device);
  {
    // The visible biases start at log(p / (1 - p)) of each unit's frequency (the guide, 8.1).
    NoGradGuard no_grad;
    const Tensor p = clamp(train.mean({0}), 0.01, 0.99);
    rbm.visible_bias.copy_(log(p / rsub(p, 1.0)));
  }
  Tensor vw = zeros_like(rbm.weight), vb = zeros_like(rbm.visible_bias),
         vc = zeros_like(rbm.hidden_bias);
  Tensor chain = models::RBM::sample(full({o.batch, 784}, 0.5, TensorOptions().device(device)));
  std::vector<double> recon, pll;
  const Eval before = evaluate(rbm, test);
  recon.push_back(before.recon);
  pll.push_back(before.pll);
  std::cout << "before training: reconstruction error " << std::fixed << std::setprecision(4)
            << before.recon << ", pseudo-log-likelihood " << std::setprecision(2) << before.pll
            << " nats\n";
  const int64_t steps = n / o.batch;
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const double momentum = epoch == 0 ? 0.5 : 0.9;
    const Tensor order = randperm(n, TensorOptions(kInt64).device(device));
    ex::Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs), steps,
                     "steps");
    for (int64_t s = 0; s < steps; ++s) {
      NoGradGuard no_grad;
      const Tensor v0 = index_select(train, 0, order.narrow(0, s * o.batch, o.batch));
      const models::RBM::Gradients g =
          rbm.contrastive_divergence(v0, o.k, o.pcd ? &chain : nullptr);
      vw = vw * momentum + (g.weight - rbm.weight * o.weight_decay) * o.lr;
      vb = vb * momentum + g.visible_bias * o.lr;
      vc = vc * momentum + g.hidden_bias * o.lr;
      rbm.weight.add_(vw);
      rbm.visible_bias.add_(vb);
      rbm.hidden_bias.add_(vc);
      if ((s + 1) % 50 == 0 || s + 1 == steps) bar.update(s + 1);
    }
    bar.finish();
    const Eval e = evaluate(rbm, test);
    recon.push_back(e.recon);
    pll.push_back(e.pll);
    std::cout << "epoch " << epoch + 1 << ": reconstruction error " << std::setprecision(4)
              << e.recon << ", pseudo-log-likelihood " << std::setprecision(2) << e.pll
              << " nats per image\n";
  }

  // The filters: each hidden unit's 784 weights, scaled to the largest magnitude.
  {
    const int64_t shown = std::min<int64_t>(64, o.hidden);
    const Tensor w = rbm.weight.transpose(0, 1).narrow(0, 0, shown).contiguous();
    const double m = abs(w).max().item();
    const std::string path = ex::output_path(o.common, "rbm_filters.png");
    ex::write_png(path, tiles(w, 16, -m, m));
    std::cout << "wrote " << path << " (the first " << shown << " hidden units' weights)\n";
  }
  // Samples: 12 chains from noise; a row after every 1000 Gibbs steps (p(v | h) shown).
  {
    NoGradGuard no_grad;
    Tensor v = models::RBM::sample(full({12, 784}, 0.5, TensorOptions().device(device)));
    std::vector<Tensor> rows;
    for (int stage = 0; stage < (o.common.smoke ? 2 : 5); ++stage) {
      v = rbm.gibbs(v, 1000);
      rows.push_back(rbm.visible_probabilities(models::RBM::sample(rbm.hidden_probabilities(v))));
    }
    const std::string path = ex::output_path(o.common, "rbm_samples.png");
    ex::write_png(path, tiles(cat(rows, 0), 12, 0.0, 1.0));
    std::cout << "wrote " << path << " (rows: after 1000, 2000, ... Gibbs steps)\n";
  }

  ex::JsonLine json;
  json.add("hidden", o.hidden)
      .add("k", o.k)
      .add("persistent", o.pcd)
      .add("epochs", o.epochs)
      .add("recon_error", recon)
      .add("pseudo_log_likelihood", pll)
      .add("device", device.str());
  std::cout << json.str() << std::endl;
  const bool ok =
      recon.back() < recon.front() && pll.back() > pll.front() && std::isfinite(pll.back());
  if (!ok) std::cerr << "rbm: the model did not improve on its initial state\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "rbm: a binary restricted Boltzmann machine on binarised Fashion-MNIST, trained by "
      "contrastive divergence; filters and Gibbs samples as PNGs"};
  Options o;
  ex::add_common_options(app, o.common);
  app.add_option("--data", o.data_dir, "Fashion-MNIST folder (default: the installed dataset)");
  app.add_option("--hidden", o.hidden, "hidden units")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--epochs", o.epochs, "passes over the training images (default 5, smoke 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", o.batch, "images per update")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--k", o.k, "Gibbs steps per update (CD-k)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--pcd", o.pcd, "persistent contrastive divergence (chains kept across updates)");
  app.add_option("--lr", o.lr, "learning rate")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "L2 weight decay")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "rbm: " << e.what() << "\n";
    return 1;
  }
}
