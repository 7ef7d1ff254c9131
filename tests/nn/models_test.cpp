// Ready-made models: output shapes, layer shapes and parameter counts from
// nn::summary, and bad arguments.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace gpunn {
namespace {

TEST(Models, AlexNetShapesAndParameterCount) {
  auto net = models::alexnet();
  const nn::ModelSummary s = nn::summary(*net, {2, 3, 224, 224});
  // 23,296 + 307,392 + 663,936 + 884,992 + 590,080 (convolutions)
  // + 37,752,832 + 16,781,312 + 4,097,000 (fully connected).
  EXPECT_EQ(s.total_parameters, 61100840);
  EXPECT_EQ(net->num_parameters(), 61100840);
  ASSERT_FALSE(s.layers.empty());
  EXPECT_EQ(s.layers.back().output_shape, (Shape{2, 1000}));
  // The feature stack ends at [2, 256, 6, 6] (the last max-pool, layer 12).
  EXPECT_EQ(s.layers[12].type, "MaxPool2d");
  EXPECT_EQ(s.layers[12].output_shape, (Shape{2, 256, 6, 6}));
  EXPECT_EQ(s.layers[0].output_shape, (Shape{2, 64, 55, 55}));
  EXPECT_EQ(s.layers[2].output_shape, (Shape{2, 64, 27, 27}));
  EXPECT_EQ(s.layers[5].output_shape, (Shape{2, 192, 13, 13}));
  EXPECT_EQ(s.layers[14].type, "Dropout");
  EXPECT_EQ(s.layers[15].output_shape, (Shape{2, 4096}));
}

TEST(Models, FashionCnnShapes) {
  auto net = models::fashion_cnn();
  const nn::ModelSummary s = nn::summary(*net, {3, 1, 28, 28});
  ASSERT_EQ(s.layers.size(), 10u);
  const std::vector<Shape> expected = {
      {3, 32, 28, 28}, {3, 32, 28, 28}, {3, 32, 14, 14}, {3, 64, 14, 14}, {3, 64, 14, 14},
      {3, 64, 7, 7},   {3, 3136},       {3, 128},        {3, 128},        {3, 10}};
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(s.layers[i].output_shape, expected[i]) << "layer " << i;
  EXPECT_EQ(s.total_parameters, 832 + 51264 + 401536 + 1290);
  // The forward pass itself (not only the summary's) gives logits per image.
  Tensor y = (*net)(zeros({5, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{5, 10}));
}

TEST(Models, FashionMlpShapes) {
  auto net = models::fashion_mlp(7);
  const nn::ModelSummary s = nn::summary(*net, {4, 1, 28, 28});
  EXPECT_EQ(s.layers.back().output_shape, (Shape{4, 7}));
  EXPECT_EQ(s.total_parameters, 784 * 256 + 256 + 256 * 128 + 128 + 128 * 7 + 7);
  EXPECT_EQ(models::fashion_mlp()->num_parameters(), 235146);
}

TEST(Models, LeNet5ShapesAndParameterCount) {
  auto net = models::lenet5();
  const nn::ModelSummary s = nn::summary(*net, {2, 1, 28, 28});
  ASSERT_EQ(s.layers.size(), 12u);
  EXPECT_EQ(s.layers[2].output_shape, (Shape{2, 6, 14, 14}));
  EXPECT_EQ(s.layers[3].output_shape, (Shape{2, 16, 10, 10}));
  EXPECT_EQ(s.layers[5].output_shape, (Shape{2, 16, 5, 5}));
  EXPECT_EQ(s.layers[6].output_shape, (Shape{2, 400}));
  EXPECT_EQ(s.layers.back().output_shape, (Shape{2, 10}));
  // 156 + 2,416 (convolutions) + 48,120 + 10,164 + 850 (fully connected).
  EXPECT_EQ(s.total_parameters, 61706);
  EXPECT_EQ(net->num_parameters(), 61706);
  EXPECT_EQ(models::lenet5(5)->num_parameters(), 61706 - 850 + 84 * 5 + 5);
  Tensor y = (*net)(zeros({3, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{3, 10}));
}

TEST(Models, SpiralMlpShapesAndParameterCount) {
  auto net = models::spiral_mlp();
  EXPECT_EQ(net->num_parameters(), 2 * 100 + 100 + 100 * 3 + 3);
  EXPECT_EQ((*net)(zeros({300, 2})).shape(), (Shape{300, 3}));
  EXPECT_EQ(models::spiral_mlp(7, 4)->num_parameters(), 2 * 7 + 7 + 7 * 4 + 4);
}

TEST(Models, BadArguments) {
  EXPECT_TRUE(test::throws_with([] { (void)models::lenet5(0); }, {"models::lenet5"}));
  EXPECT_TRUE(
      test::throws_with([] { (void)models::spiral_mlp(0); }, {"models::spiral_mlp", "hidden"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::alexnet(0); }, {"models::alexnet"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::alexnet(1000, 1.0); }, {"dropout"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::fashion_cnn(-1); }, {"num_classes"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::fashion_mlp(0); }, {"fashion_mlp"}));
}

}  // namespace
}  // namespace gpunn

namespace gpunn {
namespace {

// The exact log-likelihood gradient of a tiny RBM (4 visible, 3 hidden units) by
// enumerating all 2^7 joint states: the data's statistics minus the model's.
TEST(Rbm, ContrastiveDivergenceMatchesTheExactGradientOfATinyRbm) {
  manual_seed(5);
  models::RBM rbm(4, 3);
  rbm.to(kFloat64);
  {
    NoGradGuard no_grad;
    rbm.weight.copy_(randn({4, 3}, kFloat64));
    rbm.visible_bias.copy_(randn({4}, kFloat64) * 0.5);
    rbm.hidden_bias.copy_(randn({3}, kFloat64) * 0.5);
  }
  const std::vector<double> W = rbm.weight.to_vector<double>(),
                            b = rbm.visible_bias.to_vector<double>(),
                            c = rbm.hidden_bias.to_vector<double>();
  // Model expectations of v_i h_j, v_i and h_j over P(v, h) = exp(-E) / Z.
  std::vector<double> vh(12, 0.0), ev(4, 0.0), eh(3, 0.0);
  double Z = 0;
  for (int s = 0; s < 128; ++s) {
    int v[4], h[3];
    for (int i = 0; i < 4; ++i) v[i] = (s >> i) & 1;
    for (int j = 0; j < 3; ++j) h[j] = (s >> (4 + j)) & 1;
    double minus_e = 0;
    for (int i = 0; i < 4; ++i) minus_e += b[i] * v[i];
    for (int j = 0; j < 3; ++j) minus_e += c[j] * h[j];
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j) minus_e += v[i] * W[i * 3 + j] * h[j];
    const double w = std::exp(minus_e);
    Z += w;
    for (int i = 0; i < 4; ++i) {
      ev[i] += w * v[i];
      for (int j = 0; j < 3; ++j) vh[i * 3 + j] += w * v[i] * h[j];
    }
    for (int j = 0; j < 3; ++j) eh[j] += w * h[j];
  }
  // The data: six visible vectors; their statistics are exact (p(h | v) in closed form).
  const Tensor data = tensor(
      {1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1}, {6, 4}, kFloat64);
  const Tensor ph = rbm.hidden_probabilities(data);
  std::vector<double> dw = (matmul(data.transpose(0, 1), ph) / 6.0).to_vector<double>();
  std::vector<double> db = data.mean({0}).to_vector<double>();
  std::vector<double> dc = ph.mean({0}).to_vector<double>();
  for (size_t k = 0; k < 12; ++k) dw[k] -= vh[k] / Z;
  for (size_t i = 0; i < 4; ++i) db[i] -= ev[i] / Z;
  for (size_t j = 0; j < 3; ++j) dc[j] -= eh[j] / Z;

  // Persistent CD with 20,000 chains run 200 steps: the negative phase is the model's
  // expectation up to Monte Carlo error (about 0.5 / sqrt(20000) = 0.0035 per entry).
  manual_seed(6);
  Tensor chain = models::RBM::sample(full({20000, 4}, 0.5, kFloat64));
  const models::RBM::Gradients g = rbm.contrastive_divergence(data, 200, &chain);
  EXPECT_TRUE(test::values_near(g.weight, dw, 0.02));
  EXPECT_TRUE(test::values_near(g.visible_bias, db, 0.02));
  EXPECT_TRUE(test::values_near(g.hidden_bias, dc, 0.02));
  EXPECT_EQ(chain.shape(), (Shape{20000, 4}));
  // CD-1 from the data is biased: it differs from the exact gradient visibly here.
  const models::RBM::Gradients cd1 = rbm.contrastive_divergence(data, 1);
  EXPECT_EQ(cd1.weight.shape(), (Shape{4, 3}));
  // The free energy gives the exact marginal: P(v) = exp(-F(v)) / Z.
  const std::vector<double> f = rbm.free_energy(data).to_vector<double>();
  double marginal = 0;  // P(v = data row 0) by enumerating h
  for (int s = 0; s < 8; ++s) {
    const int v[4] = {1, 0, 1, 0};
    double minus_e = 0;
    for (int i = 0; i < 4; ++i) minus_e += b[i] * v[i];
    for (int j = 0; j < 3; ++j) {
      const int h = (s >> j) & 1;
      minus_e += c[j] * h;
      for (int i = 0; i < 4; ++i) minus_e += v[i] * W[i * 3 + j] * h;
    }
    marginal += std::exp(minus_e);
  }
  EXPECT_NEAR(std::exp(-f[0]), marginal, 1e-12 * marginal);
  EXPECT_THROWS_WITH(rbm.hidden_probabilities(ones({2, 5}, kFloat64)), "RBM", "[2, 5]");
  EXPECT_THROWS_WITH(rbm.gibbs(data, 0), "RBM::gibbs", "k");
}

// A RealNVP in float64 with every parameter drawn away from its identity start.
std::shared_ptr<models::RealNVP> random_flow(int64_t features, int64_t layers, uint64_t seed) {
  manual_seed(seed);
  auto flow = models::realnvp(features, layers, 8);
  flow->to(kFloat64);
  NoGradGuard no_grad;
  for (Tensor& p : flow->parameters()) p.copy_(randn(p.shape(), kFloat64) * 0.5);
  return flow;
}

TEST(RealNvp, InverseRecoversTheInputToRoundOff) {
  auto flow = random_flow(5, 4, 11);
  const Tensor x = randn({7, 5}, kFloat64) * 2.0;
  const models::RealNVP::Result r = flow->forward_with_log_det(x);
  EXPECT_GT(max(abs(r.z - x)).item(), 0.1);  // the flow is not the identity
  EXPECT_TRUE(test::values_near(flow->inverse(r.z), x.to_vector<double>(), 1e-10));
  const Tensor z = randn({7, 5}, kFloat64);
  EXPECT_TRUE(test::values_near(flow->forward_with_log_det(flow->inverse(z)).z,
                                z.to_vector<double>(), 1e-10));
  // Each coupling keeps the units of its mask exactly.
  auto& first = static_cast<models::AffineCoupling&>(*(*flow->couplings)[0]);
  const Tensor y = first.forward_with_log_det(x).y;
  EXPECT_EQ(max(abs((y - x) * first.mask)).item(), 0.0);
}

// log|det ∂z/∂x| per row against the Jacobian built column by column with gpunn's own forward
// mode (one jvp per input unit: rows are independent, so direction e_j on every row gives each
// row's column j), its determinant by Gaussian elimination with partial pivoting.
TEST(RealNvp, LogDeterminantMatchesTheForwardModeJacobian) {
  const int64_t n = 3, d = 4;
  auto flow = random_flow(d, 3, 12);
  const Tensor x = randn({n, d}, kFloat64);
  const std::vector<double> log_det = flow->forward_with_log_det(x).log_det.to_vector<double>();
  std::vector<double> jac(static_cast<size_t>(n * d * d));  // [row][i][j] = ∂z_i/∂x_j
  for (int64_t j = 0; j < d; ++j) {
    std::vector<double> e(static_cast<size_t>(n * d), 0.0);
    for (int64_t r = 0; r < n; ++r) e[static_cast<size_t>(r * d + j)] = 1.0;
    const auto [z, dz] = autograd::jvp(
        [&](const std::vector<Tensor>& in) { return flow->forward_with_log_det(in[0]).z; }, {x},
        {tensor(e, {n, d}, kFloat64)});
    const std::vector<double> col = dz.to_vector<double>();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t i = 0; i < d; ++i)
        jac[static_cast<size_t>((r * d + i) * d + j)] = col[static_cast<size_t>(r * d + i)];
  }
  for (int64_t r = 0; r < n; ++r) {
    std::vector<double> a(jac.begin() + r * d * d, jac.begin() + (r + 1) * d * d);
    double log_abs_det = 0;
    for (int64_t c = 0; c < d; ++c) {
      int64_t p = c;
      for (int64_t i = c + 1; i < d; ++i)
        if (std::abs(a[static_cast<size_t>(i * d + c)]) >
            std::abs(a[static_cast<size_t>(p * d + c)]))
          p = i;
      for (int64_t k = 0; k < d; ++k)
        std::swap(a[static_cast<size_t>(c * d + k)], a[static_cast<size_t>(p * d + k)]);
      const double pivot = a[static_cast<size_t>(c * d + c)];
      ASSERT_NE(pivot, 0.0);
      log_abs_det += std::log(std::abs(pivot));
      for (int64_t i = c + 1; i < d; ++i) {
        const double f = a[static_cast<size_t>(i * d + c)] / pivot;
        for (int64_t k = c; k < d; ++k)
          a[static_cast<size_t>(i * d + k)] -= f * a[static_cast<size_t>(c * d + k)];
      }
    }
    EXPECT_NEAR(log_det[static_cast<size_t>(r)], log_abs_det, 1e-10) << "row " << r;
    EXPECT_GT(std::abs(log_abs_det), 1e-3) << "row " << r;  // not volume-preserving by accident
  }
}

// log_prob is a density: on a 2-D flow its integral over a wide grid is one.
TEST(RealNvp, DensityIntegratesToOne) {
  auto flow = random_flow(2, 4, 13);
  {
    NoGradGuard no_grad;  // milder scales, so the density's mass stays inside the grid
    for (const auto& m : *flow->couplings) static_cast<models::AffineCoupling&>(*m).scale.mul_(0.3);
  }
  const int64_t side = 601;
  const double lo = -12, step = 24.0 / static_cast<double>(side - 1);
  std::vector<double> grid;
  for (int64_t i = 0; i < side; ++i)
    for (int64_t j = 0; j < side; ++j) {
      grid.push_back(lo + step * static_cast<double>(i));
      grid.push_back(lo + step * static_cast<double>(j));
    }
  NoGradGuard no_grad;
  const double mass =
      exp(flow->log_prob(tensor(grid, {side * side, 2}, kFloat64))).sum().item() * step * step;
  EXPECT_NEAR(mass, 1.0, 1e-3);
}

// Maximum likelihood on an axis-aligned Gaussian, which two couplings represent exactly
// (each shifts and scales one unit by constants): the mean negative log-likelihood falls to
// the data's entropy.
TEST(RealNvp, MaximumLikelihoodFitsAGaussian) {
  manual_seed(14);
  const Tensor data = randn({2048, 2}) * tensor({0.5, 2.0}, {2}) + tensor({3.0, -1.0}, {2});
  const double entropy = 0.5 * 2 * std::log(2 * 3.14159265358979323846 * std::exp(1.0)) +
                         std::log(0.5) + std::log(2.0);
  auto flow = models::realnvp(2, 2, 16);
  optim::Adam opt(flow->parameters(), {.lr = 0.02});
  const double before = neg(flow->log_prob(data)).mean().item();
  double nll = before;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    const Tensor loss = neg(flow->log_prob(data)).mean();
    loss.backward();
    opt.step();
    nll = loss.item();
  }
  EXPECT_GT(before, entropy + 1.0);
  EXPECT_NEAR(nll, entropy, 0.05) << "before training " << before;
  const Tensor s = flow->sample(4096);
  EXPECT_NEAR(s.mean({0}).to_vector<double>()[0], 3.0, 0.1);
  EXPECT_NEAR(s.mean({0}).to_vector<double>()[1], -1.0, 0.2);
}

TEST(RealNvp, BadArguments) {
  EXPECT_THROWS_WITH(models::AffineCoupling(tensor({1.0, 0.5}, {2}), 4), "AffineCoupling",
                     "only 0 and 1");
  EXPECT_THROWS_WITH(models::AffineCoupling(tensor({1.0, 1.0}, {2}), 4), "AffineCoupling",
                     "keeps 2 of 2");
  EXPECT_THROWS_WITH(models::realnvp(1, 2, 4), "RealNVP", "features must be at least 2");
  EXPECT_THROWS_WITH(models::realnvp(3, 2, 4, tensor({1.0, 0.0}, {2})), "RealNVP",
                     "expected a mask [3]");
  auto flow = models::realnvp(3, 2, 4);
  EXPECT_THROWS_WITH(flow->log_prob(ones({2, 4})), "RealNVP", "[2, 4]");
  EXPECT_THROWS_WITH(flow->inverse(ones({4})), "RealNVP::inverse", "[4]");
  EXPECT_THROWS_WITH(flow->sample(0), "RealNVP::sample", "got 0");
}

}  // namespace
}  // namespace gpunn
