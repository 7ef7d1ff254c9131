// models::VAE and models::vae_loss: shapes and names, the loss of a tiny
// network with hand-set weights against the formulas worked by hand, the
// reparameterization's use of the generator, and a short training run on
// synthetic patterns that must lower the loss by a stated amount.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

// log(1 + e^-x) + (1 - y)·x: binary cross-entropy from a logit x for a target y.
double bce(double x, double y) { return (1 - y) * x + std::log1p(std::exp(-x)); }

TEST(Vae, ShapesNamesAndParameterCount) {
  manual_seed(0);
  auto net = models::vae();
  // 784·400 + 400, 2 · (400·20 + 20), 20·400 + 400, 400·784 + 784.
  EXPECT_EQ(net->num_parameters(), 314000 + 16040 + 8400 + 314384);
  const std::vector<std::string> names = {
      "encoder.weight", "encoder.bias",   "mu.weight",    "mu.bias",       "logvar.weight",
      "logvar.bias",    "decoder.weight", "decoder.bias", "output.weight", "output.bias"};
  const auto named = net->named_parameters();
  ASSERT_EQ(named.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(named[i].first, names[i]);

  auto small = models::vae(12, 5, 3);
  const Tensor x = rand({4, 1, 3, 4});  // [N, ...] of 12 values each
  const models::VAE::Output out = small->forward_all(x);
  EXPECT_EQ(out.logits.shape(), (Shape{4, 12}));
  EXPECT_EQ(out.mu.shape(), (Shape{4, 3}));
  EXPECT_EQ(out.logvar.shape(), (Shape{4, 3}));
  EXPECT_EQ(out.z.shape(), (Shape{4, 3}));
  EXPECT_EQ((*small)(x).shape(), (Shape{4, 12}));
  EXPECT_EQ(small->decode(zeros({7, 3})).shape(), (Shape{7, 12}));
  EXPECT_NE(small->repr().find("input_features=12, hidden=5, latent=3"), std::string::npos);
}

TEST(Vae, LossOfAGivenOutputIsTheWorkedFormula) {
  // logits (0, ln 3) for x (1, 0): BCE ln 2 + (ln 3 + ln 4/3) = 3 ln 2.
  // mu (1, -2), variances (½, 1): KL ½(4.5 + ln 2).
  const double ln2 = std::log(2.0);
  models::VAE::Output out;
  out.logits = tensor({0, std::log(3.0)}, {1, 2}, kFloat64);
  out.mu = tensor({1, -2}, {1, 2}, kFloat64);
  out.logvar = tensor({-ln2, 0}, {1, 2}, kFloat64);
  const models::VaeLoss l = models::vae_loss(out, tensor({1, 0}, {1, 2}, kFloat64));
  EXPECT_NEAR(l.reconstruction.item(), 3 * ln2, 1e-15);
  EXPECT_NEAR(l.kl.item(), 0.5 * (4.5 + ln2), 1e-15);
  EXPECT_NEAR(l.loss.item(), 3 * ln2 + 0.5 * (4.5 + ln2), 1e-15);
  EXPECT_EQ(l.loss.dim(), 0);

  // Gradients reach the logits, mu and logvar.
  Tensor logits = test::leaf(test::uniform({3, 4}));
  Tensor mu = test::leaf(test::uniform({3, 2}));
  Tensor logvar = test::leaf(test::uniform({3, 2}));
  const Tensor x = test::uniform({3, 4}, 0.0, 1.0);
  EXPECT_TRUE(test::gradcheck_ok(
      [&](const auto& v) {
        return models::vae_loss({.logits = v[0], .mu = v[1], .logvar = v[2], .z = Tensor()}, x)
            .loss;
      },
      {logits, mu, logvar}));
}

// A VAE 2 -> 1 -> 1 with weights set by hand, in float64:
//   h = relu(x0 - x1 + 0.5), mu = 2h, logvar = 0.1 - h,
//   z = mu + e^(logvar/2)·eps, d = relu(z), logits = (d, 1 - 2d).
std::shared_ptr<models::VAE> tiny_vae() {
  auto net = models::vae(2, 1, 1);
  net->to(kFloat64);
  StateDict s;
  s.insert("encoder.weight", tensor({1, -1}, {1, 2}, kFloat64));
  s.insert("encoder.bias", tensor({0.5}, kFloat64));
  s.insert("mu.weight", tensor({2}, {1, 1}, kFloat64));
  s.insert("mu.bias", tensor({0}, kFloat64));
  s.insert("logvar.weight", tensor({-1}, {1, 1}, kFloat64));
  s.insert("logvar.bias", tensor({0.1}, kFloat64));
  s.insert("decoder.weight", tensor({1}, {1, 1}, kFloat64));
  s.insert("decoder.bias", tensor({0}, kFloat64));
  s.insert("output.weight", tensor({1, -2}, {2, 1}, kFloat64));
  s.insert("output.bias", tensor({0, 1}, kFloat64));
  net->load_state_dict(s);
  return net;
}

TEST(Vae, TinyNetworkMatchesHandComputation) {
  auto net = tiny_vae();
  // x = (1, 0) gives h = 1.5, mu = 3, logvar = -1.4; x = (0, 1) gives h = 0,
  // mu = 0, logvar = 0.1. Values in [0, 1] that are not 0/1 test the BCE's
  // soft targets: x = (0.25, 0.75) gives h = 0, as the second.
  const Tensor x = tensor({1, 0, 0, 1, 0.25, 0.75}, {3, 2}, kFloat64);
  const double mu[3] = {3, 0, 0}, logvar[3] = {-1.4, 0.1, 0.1};
  // eps is the generator's next standard normal draw of mu's shape.
  Generator probe(2024);
  const std::vector<double> eps = randn({3, 1}, kFloat64, &probe).to_vector<double>();

  Generator g(2024);
  const models::VAE::Output out = net->forward_all(x, &g);
  EXPECT_TRUE(test::values_near(out.mu, {3, 0, 0}, 1e-15));
  EXPECT_TRUE(test::values_near(out.logvar, {-1.4, 0.1, 0.1}, 1e-15));
  const double xs[3][2] = {{1, 0}, {0, 1}, {0.25, 0.75}};
  double recon = 0, kl = 0;
  std::vector<double> z(3), logits;
  for (int n = 0; n < 3; ++n) {
    z[n] = mu[n] + std::exp(logvar[n] / 2) * eps[n];
    const double d = std::max(0.0, z[n]);
    logits.push_back(d);
    logits.push_back(1 - 2 * d);
    recon += bce(d, xs[n][0]) + bce(1 - 2 * d, xs[n][1]);
    kl += 0.5 * (mu[n] * mu[n] + std::exp(logvar[n]) - 1 - logvar[n]);
  }
  EXPECT_TRUE(test::values_near(out.z, z, 1e-14));
  EXPECT_TRUE(test::values_near(out.logits, logits, 1e-14));
  const models::VaeLoss l = models::vae_loss(out, x);
  EXPECT_NEAR(l.reconstruction.item(), recon / 3, 1e-14);
  EXPECT_NEAR(l.kl.item(), kl / 3, 1e-14);
  EXPECT_NEAR(l.loss.item(), (recon + kl) / 3, 1e-14);
  // The KL term of sample 0 alone: ½(9 + e^-1.4 - 1 + 1.4).
  EXPECT_NEAR(gaussian_kl_divergence(out.mu.narrow(0, 0, 1), out.logvar.narrow(0, 0, 1)).item(),
              0.5 * (9.4 + std::exp(-1.4)), 1e-14);

  // The same generator state gives the same sample; the next draw another.
  Generator again(2024);
  EXPECT_TRUE(test::tensors_near(net->forward_all(x, &again).z, out.z, 0.0));
  EXPECT_FALSE(test::tensors_near(net->forward_all(x, &again).z, out.z, 1e-3));
}

// 64 examples of 16 values (4 x 4 images): each lights one of four rows or one
// of four columns (eight patterns), with 1 in 16 pixels flipped at random.
Tensor patterns() {
  Generator g(7);
  const std::vector<double> flip = rand({64, 16}, kFloat64, &g).to_vector<double>();
  std::vector<double> v(64 * 16);
  for (int n = 0; n < 64; ++n) {
    const int p = n % 8;
    for (int i = 0; i < 16; ++i) {
      const bool on = p < 4 ? i / 4 == p : i % 4 == p - 4;
      const bool flipped = flip[static_cast<size_t>(n * 16 + i)] < 1.0 / 16;
      v[static_cast<size_t>(n * 16 + i)] = on != flipped ? 1.0 : 0.0;
    }
  }
  return tensor(v, {64, 16}, kFloat32);
}

TEST(Vae, TrainingLowersTheLossOnPatterns) {
  // 300 full-batch Adam steps (lr 1e-2) of a 16-32-2 VAE, seeded. The first
  // loss is about 16 ln 2 + KL = 11.2 (logits near 0); the mean of the last 20
  // steps must be below 7.5 and at least 3.5 under the first (measured: 11.16
  // -> 6.74; the floor is about 16·H(1/16) = 5.4 for the flipped pixels plus
  // the KL of telling eight patterns apart). Means over 20 steps smooth out the
  // noise of the sampled z. About 0.2 s.
  manual_seed(3);
  auto net = models::vae(16, 32, 2);
  optim::Adam opt(net->parameters(), {.lr = 1e-2});
  const Tensor x = patterns();
  Generator eps(11);
  std::vector<double> losses;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    const models::VaeLoss l = models::vae_loss(net->forward_all(x, &eps), x);
    l.loss.backward();
    opt.step();
    losses.push_back(l.loss.item());
    ASSERT_TRUE(std::isfinite(losses.back())) << "step " << step;
  }
  auto mean_of = [&](size_t from) {
    double s = 0;
    for (size_t i = from; i < from + 20; ++i) s += losses[i];
    return s / 20;
  };
  const double first = losses[0], last = mean_of(280);
  EXPECT_GT(first, 10.5);
  EXPECT_LT(last, 7.5);
  EXPECT_GT(first - last, 3.5);
}

TEST(Vae, BadInput) {
  auto net = models::vae(12, 5, 3);
  EXPECT_THROWS_WITH(net->forward_all(zeros({4, 11})), "models::VAE::encode", "[4, 11]", "12");
  EXPECT_THROWS_WITH(net->decode(zeros({4, 2})), "models::VAE::decode", "[N, 3]", "[4, 2]");
  EXPECT_THROWS_WITH(models::vae(0, 5, 3), "models::VAE", "at least 1");
  const models::VAE::Output out = net->forward_all(zeros({4, 12}));
  EXPECT_THROWS_WITH(models::vae_loss(out, zeros({3, 12})), "models::vae_loss", "[3, 12]",
                     "[4, 12]");
  EXPECT_THROWS_WITH(models::VAE::reparameterize(zeros({2, 3}), zeros({2, 2})), "reparameterize",
                     "[2, 3]", "[2, 2]");
}

}  // namespace
}  // namespace gpunn
