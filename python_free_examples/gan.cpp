// gan: a small DCGAN (deep convolutional generative adversarial network,
// Radford, Metz & Chintala 2016) trained on Fashion-MNIST.
//
//   generator      z [N, z_dim] ~ N(0, 1) -> Linear -> [128, 7, 7] -> BN, ReLU
//                  -> ConvTranspose2d(128, 64, 4, stride 2, padding 1) [64, 14, 14] -> BN, ReLU
//                  -> ConvTranspose2d(64, 1, 4, stride 2, padding 1)  [1, 28, 28]  -> tanh
//   discriminator  x [N, 1, 28, 28] -> Conv2d(1, 64, 4, 2, 1) -> LeakyReLU(0.2)
//                  -> Conv2d(64, 128, 4, 2, 1) -> BN -> LeakyReLU(0.2) -> Flatten
//                  -> Linear(128·7·7, 1): a logit, "real" > 0
//
// Images are scaled to [-1, 1], the range of the generator's tanh. Each step
// first trains the discriminator on a real batch (target 1) and a generated
// batch (target 0), then the generator to make the discriminator answer 1 on
// its samples (the non-saturating loss), both with binary cross-entropy on
// logits and Adam (lr 2e-4, betas 0.5, 0.999), as in the DCGAN paper. Weights
// of the convolutions start from N(0, 0.02) and batch-norm scales from
// N(1, 0.02), also as there.
//
// Writes into --out: samples_epoch_<k>.png (an 8x8 grid generated from one
// fixed noise batch after each epoch, so the grids show the same 64 draws
// improving), losses.png (the two losses and the discriminator's mean outputs
// over the run) and losses.csv. The last output line is one JSON object.
//
// What the figures say: D(x) and D(G(z)) are the discriminator's mean
// probabilities that a real, resp. generated, image is real over the last
// epoch; a generator that wins them both near 0.5, a discriminator that wins
// them near 1 and 0. The pixel spread (each pixel's standard deviation across
// the 64 fixed samples, averaged over pixels) next to the same figure for 64
// real images shows whether the samples vary as much as the data: a collapsed
// generator, drawing one image for every z, has a spread near 0; a full run
// exits non-zero below a quarter of the real figure.
//
// --loss wgan-gp trains a Wasserstein GAN with gradient penalty instead (Gulrajani et al.,
// 2017): the discriminator is a critic (no batch norm, a score instead of a logit) trained to
// maximise D(x) - D(G(z)) under the penalty λ·(‖∇x̂ D(x̂)‖₂ - 1)² at random points x̂ between
// real and generated images (λ = 10), the generator to maximise D(G(z)); 5 critic steps per
// generator step, Adam (lr 1e-4, betas 0, 0.9). The penalty differentiates the critic's
// gradient: a backward pass with create_graph, then backward through it (double backward).
// The curves then show the critic and generator losses, the Wasserstein estimate
// D(x) - D(G(z)) and the penalty.
//
// --latent-walk (after training): gan_latent_walk.png and gan_latent_walk.txt, its captions
// (see latent_walk below): interpolations between noise vectors and arithmetic on class-mean
// noise vectors, classes told by a classifier trained here on the real images.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/example.h"
#include "common/latent.h"
#include "common/plot.h"

namespace gx = gpunn::examples;
using namespace gpunn;

namespace {

constexpr int64_t kGrid = 8;   // samples per row and column of the grids
constexpr int64_t kSide = 28;  // image height and width

struct Options {
  gx::CommonOptions common;
  int64_t epochs = 0;  // 0: the default (2, smoke 1): about 8 min each on 2 busy cores
  int64_t batch = 64;
  double lr = 0;  // 0: 2e-4, or 1e-4 with wgan-gp
  int64_t z_dim = 64;
  std::string data_dir;
  std::string precision = "fp32";
  bool latent_walk = false;
  std::string loss = "bce";  // bce | wgan-gp
  int64_t n_critic = 5;      // wgan-gp: critic steps per generator step
  double gp_weight = 10.0;   // wgan-gp: λ
};

bool wgan(const Options& o) { return o.loss == "wgan-gp"; }

// The generator: z -> 28x28 image in [-1, 1].
class GeneratorNet : public nn::Module {
 public:
  explicit GeneratorNet(int64_t z_dim) : Module("Generator") {
    fc_ = register_module("fc", std::make_shared<nn::Linear>(z_dim, 128 * 7 * 7));
    bn0_ = register_module("bn0", std::make_shared<nn::BatchNorm2d>(128));
    up1_ = register_module("up1", std::make_shared<nn::ConvTranspose2d>(128, 64, 4, 2, 1));
    bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(64));
    up2_ = register_module("up2", std::make_shared<nn::ConvTranspose2d>(64, 1, 4, 2, 1));
  }
  Tensor forward(const Tensor& z) override {
    Tensor h = (*fc_)(z).reshape({z.shape()[0], 128, 7, 7});
    h = relu((*bn0_)(h));
    h = relu((*bn1_)((*up1_)(h)));
    return gpunn::tanh((*up2_)(h));
  }

 private:
  std::shared_ptr<nn::Linear> fc_;
  std::shared_ptr<nn::BatchNorm2d> bn0_, bn1_;
  std::shared_ptr<nn::ConvTranspose2d> up1_, up2_;
};

// The discriminator; the WGAN-GP critic leaves out batch norm (the penalty is per sample,
// which batch statistics would couple).
std::shared_ptr<nn::Sequential> make_discriminator(bool batch_norm = true) {
  auto d = std::make_shared<nn::Sequential>();
  d->emplace<nn::Conv2d>(1, 64, 4, 2, 1);
  d->emplace<nn::LeakyReLU>(0.2);
  d->emplace<nn::Conv2d>(64, 128, 4, 2, 1);
  if (batch_norm) d->emplace<nn::BatchNorm2d>(128);
  d->emplace<nn::LeakyReLU>(0.2);
  d->emplace<nn::Flatten>();
  d->emplace<nn::Linear>(128 * 7 * 7, 1);
  return d;
}

// DCGAN's initialization: convolution weights N(0, 0.02), batch-norm scales
// N(1, 0.02) and shifts 0; linear layers keep their defaults.
void dcgan_init(nn::Module& model) {
  NoGradGuard no_grad;
  model.apply([](nn::Module& m) {
    if (auto* c = dynamic_cast<nn::Conv2d*>(&m)) nn::init::normal_(c->weight, 0.0, 0.02);
    if (auto* c = dynamic_cast<nn::ConvTranspose2d*>(&m)) nn::init::normal_(c->weight, 0.0, 0.02);
    if (auto* b = dynamic_cast<nn::BatchNorm*>(&m)) {
      nn::init::normal_(b->weight, 1.0, 0.02);
      nn::init::zeros_(b->bias);
    }
  });
}

// Mean over pixels of each pixel's standard deviation across the images of x [N, 1, H, W].
double pixel_spread(const Tensor& x) {
  NoGradGuard no_grad;
  const Tensor centred = x - mean(x, {0}, true);
  return mean(sqrt(mean(centred * centred, {0}))).item();
}

// x [N, 1, 28, 28] in [-1, 1] (N <= 64) as an 8x8 grid, upscaled 2x.
gx::Image sample_grid(const Tensor& x) {
  const Tensor cpu = x.detach().to(kCPU);
  std::vector<gx::Image> tiles;
  for (int64_t i = 0; i < cpu.shape()[0]; ++i) tiles.push_back(gx::gray_image(cpu[i], -1.0, 1.0));
  return gx::upscale(gx::contact_sheet(tiles, static_cast<int>(kGrid), 2, 255), 2);
}

// The run's per-step record, averaged over windows for the plot and the CSV.
struct StepLog {
  std::vector<double> d_loss, g_loss, d_real, d_fake;
  std::vector<double> penalty;  // wgan-gp only
};

struct Window {
  double position = 0;  // in epochs, at the window's end
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0, penalty = 0;
};

std::vector<Window> windows(const StepLog& log, int64_t steps_per_epoch, int64_t width) {
  std::vector<Window> out;
  const size_t n = log.d_loss.size(), w = static_cast<size_t>(std::max<int64_t>(1, width));
  for (size_t begin = 0; begin < n; begin += w) {
    const size_t end = std::min(n, begin + w);
    Window win;
    win.position = static_cast<double>(end) / static_cast<double>(steps_per_epoch);
    for (size_t i = begin; i < end; ++i) {
      win.d_loss += log.d_loss[i];
      win.g_loss += log.g_loss[i];
      win.d_real += log.d_real[i];
      win.d_fake += log.d_fake[i];
      if (i < log.penalty.size()) win.penalty += log.penalty[i];
    }
    const double k = static_cast<double>(end - begin);
    win.d_loss /= k, win.g_loss /= k, win.d_real /= k, win.d_fake /= k, win.penalty /= k;
    out.push_back(win);
  }
  return out;
}

void write_loss_outputs(const gx::CommonOptions& common, const StepLog& log,
                        int64_t steps_per_epoch, int64_t epochs, bool wasserstein) {
  // Windows of total/100 steps: about 100 points over the run, however long.
  const int64_t total = static_cast<int64_t>(log.d_loss.size());
  const std::vector<Window> ws = windows(log, steps_per_epoch, std::max<int64_t>(1, total / 100));
  std::ofstream csv(gx::output_path(common, "losses.csv"));
  GPUNN_CHECK(csv.good(), "cannot write ", gx::output_path(common, "losses.csv"));
  csv << "epoch,d_loss,g_loss,d_real,d_fake" << (wasserstein ? ",penalty" : "") << "\n"
      << std::setprecision(6);
  gx::Series d{wasserstein ? "critic" : "discriminator", {}, {}, gx::plot_palette()[0]};
  gx::Series g{"generator", {}, {}, gx::plot_palette()[1]};
  gx::Series dr{"D(x)", {}, {}, gx::plot_palette()[2]};
  gx::Series df{"D(G(z))", {}, {}, gx::plot_palette()[3]};
  gx::Series wd{"D(x) - D(G(z))", {}, {}, gx::plot_palette()[2]};
  gx::Series gp{"penalty", {}, {}, gx::plot_palette()[3]};
  for (const Window& w : ws) {
    csv << w.position << "," << w.d_loss << "," << w.g_loss << "," << w.d_real << "," << w.d_fake;
    if (wasserstein) csv << "," << w.penalty;
    csv << "\n";
    d.x.push_back(w.position), d.y.push_back(w.d_loss);
    g.x.push_back(w.position), g.y.push_back(w.g_loss);
    dr.x.push_back(w.position), dr.y.push_back(w.d_real);
    df.x.push_back(w.position), df.y.push_back(w.d_fake);
    wd.x.push_back(w.position), wd.y.push_back(w.d_real - w.d_fake);
    gp.x.push_back(w.position), gp.y.push_back(w.penalty);
  }
  gx::PlotOptions po;
  po.x_label = "epoch";
  po.x_lo = 0;
  po.x_hi = static_cast<double>(epochs);
  po.title = wasserstein ? "losses (WGAN-GP)" : "losses (binary cross-entropy)";
  const gx::Image left = gx::line_plot({d, g}, po);
  gx::Image right;
  if (wasserstein) {
    po.title = "Wasserstein estimate and gradient penalty";
    right = gx::line_plot({wd, gp}, po);
  } else {
    po.title = "discriminator mean output";
    po.y_lo = 0;
    po.y_hi = 1;
    right = gx::line_plot({dr, df}, po);
  }
  gx::write_png(gx::output_path(common, "losses.png"), gx::contact_sheet({left, right}, 2, 0));
}

// ---- --latent-walk ----------------------------------------------------------------------------

// What --latent-walk found: the classifier's test accuracy, how many classes had confidently
// classified samples, how many class-mean codes the classifier recognises as their class,
// and what it calls each sum.
struct WalkResult {
  double classifier_acc = 0;
  int64_t classes_found = 0, means_recognised = 0;
  std::vector<std::string> sums;
};

// The classes of generated images need a classifier: models::fashion_mlp trained here for
// one epoch (Adam, lr 1e-3, batch 128) on the training images in [-1, 1], the generator's
// range. A pool of 4096 samples G(z) is classified; the codes of samples classified with
// probability >= 0.9 give each class's mean code. A mean of many N(0, I) vectors lies near
// the origin, where the generator was never trained, so each class mean and each sum is
// rescaled to norm √z_dim (the typical norm of z) before it is drawn; the direction carries
// the class. Rows 1-4 interpolate between random codes along great circles (10 steps); rows
// 5-7 show G of the three class means, of their sum, and of the sum plus N(0, 0.3²) noise
// four times (DCGAN's figure 7 does the same).
WalkResult latent_walk(GeneratorNet& gen, const data::TensorDataset& train,
                       const data::TensorDataset& test, int64_t z_dim, Device device,
                       const gx::CommonOptions& common) {
  WalkResult result;
  const std::vector<std::string>& names = data::fashion_mnist_classes();
  // The classifier.
  Generator walk_gen(common.seed + 7);
  manual_seed(common.seed + 7);
  auto classifier = models::fashion_mlp(10);
  classifier->to(device);
  {
    optim::Adam opt(classifier->parameters(), {.lr = 1e-3});
    data::DataLoader loader(
        train, {.batch_size = 128, .shuffle = true, .seed = common.seed + 7, .device = device});
    gx::Progress bar("classifier", loader.num_batches(), "steps");
    int64_t step = 0;
    for (data::Batch& b : loader) {
      opt.zero_grad();
      const Tensor loss = cross_entropy((*classifier)(b.data), b.target);
      loss.backward();
      opt.step();
      if (++step % 20 == 0 || step == loader.num_batches()) bar.update(step);
    }
    bar.finish();
  }
  classifier->eval();
  NoGradGuard no_grad;
  gen.eval();
  auto probabilities = [&](const Tensor& images) {
    return softmax((*classifier)(images.reshape({-1, 1, kSide, kSide})), 1);
  };
  {
    const std::vector<int64_t> predicted =
        argmax(probabilities(test.data().to(device)), 1).to(kCPU).to_vector<int64_t>();
    const std::vector<int64_t> truth = test.target().to_vector<int64_t>();
    int64_t right = 0;
    for (size_t k = 0; k < truth.size(); ++k) right += predicted[k] == truth[k];
    result.classifier_acc = static_cast<double>(right) / static_cast<double>(truth.size());
  }
  // The pool: codes, their samples' labels, kept where the classifier is confident.
  const Tensor z = randn({4096, z_dim}, TensorOptions(kFloat32), &walk_gen).to(device);
  std::vector<Tensor> probs;
  for (int64_t i = 0; i < 4096; i += 512) probs.push_back(probabilities(gen(z.narrow(0, i, 512))));
  const Tensor p = cat(probs, 0);
  const std::vector<double> pv = p.to(kCPU).to_vector<double>();
  std::vector<int64_t> kept_rows, kept_labels;
  for (int64_t i = 0; i < 4096; ++i) {
    const auto row = pv.begin() + i * 10;
    const int64_t k = std::max_element(row, row + 10) - row;
    if (row[k] >= 0.9) {
      kept_rows.push_back(i);
      kept_labels.push_back(k);
    }
  }
  const Tensor kept_z =
      kept_rows.empty()
          ? zeros({0, z_dim}, TensorOptions(kFloat32).device(device))
          : index_select(
                z, 0, tensor_from(kept_rows, {static_cast<int64_t>(kept_rows.size())}).to(device));
  const gx::ClassMeans means = gx::class_means(kept_z, kept_labels, 10);
  const double typical = std::sqrt(static_cast<double>(z_dim));
  auto typical_norm = [&](const Tensor& v) {
    return v * (typical / std::sqrt((v * v).sum().item()));
  };
  auto named = [&](const Tensor& image) {
    const Tensor q = probabilities(image).to(kCPU);
    const int64_t k = argmax(q, 1).to_vector<int64_t>()[0];
    std::ostringstream os;
    os << names[static_cast<size_t>(k)] << " (" << std::fixed << std::setprecision(2)
       << q[0][k].item() << ")";
    return std::pair<int64_t, std::string>{k, os.str()};
  };
  std::vector<Tensor> class_codes(10);
  for (int64_t k = 0; k < 10; ++k) {
    if (means.counts[static_cast<size_t>(k)] == 0) continue;
    ++result.classes_found;
    class_codes[static_cast<size_t>(k)] = typical_norm(means.means[k]);
    if (named(gen(class_codes[static_cast<size_t>(k)].reshape({1, z_dim}))).first == k)
      ++result.means_recognised;
  }

  std::vector<gx::PictureRow> rows;
  for (int r = 0; r < 4; ++r) {
    const Tensor path = gx::interpolate_codes(z[2 * r], z[2 * r + 1], 10, /*spherical=*/true);
    rows.push_back(
        {"from one random code to another along the great circle between them "
         "(spherical interpolation, 10 steps)",
         gen(path)});
  }
  for (const gx::LatentSum& sum : gx::fashion_latent_sums()) {
    const Tensor &a = class_codes[static_cast<size_t>(sum.a)],
                 &b = class_codes[static_cast<size_t>(sum.b)],
                 &c = class_codes[static_cast<size_t>(sum.c)];
    if (!a.defined() || !b.defined() || !c.defined()) {
      result.sums.push_back(gx::describe(sum, names) + ": a class had no confident sample");
      continue;
    }
    const Tensor v = typical_norm(a - b + c);
    const Tensor noise = randn({4, z_dim}, TensorOptions(kFloat32), &walk_gen).to(device) * 0.3;
    const Tensor images = gen(cat({stack({a, b, c, v}, 0), v.reshape({1, z_dim}) + noise}, 0));
    const std::string verdict = named(images.narrow(0, 3, 1)).second;
    result.sums.push_back(gx::describe(sum, names) + " -> " + verdict);
    std::ostringstream caption;
    caption << gx::describe(sum, names) << ": G of the class means over "
            << means.counts[static_cast<size_t>(sum.a)] << ", "
            << means.counts[static_cast<size_t>(sum.b)] << " and "
            << means.counts[static_cast<size_t>(sum.c)]
            << " confidently classified samples, G of their sum (classified as " << verdict
            << "), then the sum plus N(0, 0.3^2) noise four times; every code at norm sqrt("
            << z_dim << ")";
    rows.push_back({caption.str(), images});
  }
  gx::write_rows(gx::output_path(common, "gan_latent_walk.png"),
                 gx::output_path(common, "gan_latent_walk.txt"), rows, -1, 1);
  gen.train();
  return result;
}

int run(Options& o) {
  gx::prepare_output_dir(o.common);
  const Device device = gx::resolve_device(o.common.device);
  cli::apply_precision(o.precision);
  std::cout << "gan: " << gx::run_summary(device, o.precision) << "\n";
  if (o.epochs == 0) o.epochs = o.common.smoke ? 1 : 2;
  if (o.lr == 0) o.lr = wgan(o) ? 1e-4 : 2e-4;
  GPUNN_CHECK(!wgan(o) || o.precision == "fp32",
              "--loss wgan-gp runs in fp32 only (its penalty differentiates the critic's "
              "gradient, which the loss scaler's skipped steps would corrupt), got --precision ",
              o.precision);
  GPUNN_CHECK(o.epochs >= 1 && o.batch >= 2 && o.lr > 0 && o.z_dim >= 1,
              "--epochs, --z-dim and --lr must be positive and --batch at least 2 (batch "
              "norm), got ",
              o.epochs, ", ", o.z_dim, ", ", o.lr, ", ", o.batch);

  // ---- data: the 60000 training images, scaled to [-1, 1] ----
  const std::optional<std::string> found = gx::fashion_mnist_dir(o.data_dir, "gan");
  if (!found) return o.common.smoke ? gx::kSkipExitCode : 1;
  const std::string& dir = *found;
  data::TensorDataset images = data::load_fashion_mnist(dir, data::Split::Train);
  if (o.common.smoke) {  // a few steps: what CI runs
    std::vector<int64_t> idx(static_cast<size_t>(std::min<int64_t>(6 * o.batch, images.size())));
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
    images = images.subset(idx);
  }
  const data::TensorDataset train(images.data() * 2.0 - 1.0, images.target());
  std::cout << "Fashion-MNIST from " << dir << ": " << train.size()
            << " training images, scaled to [-1, 1]\n";
  // drop_last: every step sees a full batch (batch norm statistics of a last
  // batch of one or two images would be noise).
  data::DataLoader loader(train, {.batch_size = o.batch,
                                  .shuffle = true,
                                  .drop_last = true,
                                  .seed = o.common.seed,
                                  .device = device});
  const int64_t steps_per_epoch = loader.num_batches();
  GPUNN_CHECK(steps_per_epoch >= 1, "--batch ", o.batch, " exceeds the ", train.size(),
              " training images");

  // ---- models and optimizers ----
  manual_seed(o.common.seed);
  auto gen = std::make_shared<GeneratorNet>(o.z_dim);
  auto disc = make_discriminator(/*batch_norm=*/!wgan(o));
  dcgan_init(*gen);
  dcgan_init(*disc);
  gen->to(device);
  disc->to(device);
  std::cout << "generator:\n";
  nn::summary(*gen, {1, o.z_dim}, &std::cout);
  std::cout << "discriminator:\n";
  nn::summary(*disc, {1, 1, kSide, kSide}, &std::cout);
  // DCGAN's Adam (betas 0.5, 0.999), or WGAN-GP's (betas 0, 0.9).
  const double beta1 = wgan(o) ? 0.0 : 0.5, beta2 = wgan(o) ? 0.9 : 0.999;
  optim::Adam opt_g(gen->parameters(), {.lr = o.lr, .beta1 = beta1, .beta2 = beta2});
  optim::Adam opt_d(disc->parameters(), {.lr = o.lr, .beta1 = beta1, .beta2 = beta2});
  // One scaler for both networks' losses (fp16 only; a pass-through otherwise).
  optim::GradScaler scaler(cli::scaler_options(o.precision));
  nn::BCEWithLogitsLoss criterion;

  // The fixed noise of the sample grids, from its own generator so that it does not
  // depend on how many draws training made.
  Generator noise_gen(o.common.seed + 1);
  const Tensor fixed_z =
      randn({kGrid * kGrid, o.z_dim}, TensorOptions(kFloat32), &noise_gen).to(device);
  const double real_spread = pixel_spread(train.data().narrow(0, 0, kGrid * kGrid));

  StepLog log;
  double train_seconds = 0;
  int64_t images_seen = 0;
  double last_d_real = NAN, last_d_fake = NAN, last_d_loss = NAN, last_g_loss = NAN;
  double sample_spread = NAN, last_penalty = NAN;
  cli::ProfileRun profile(o.common.profile);  // --profile: the training epochs
  profile.start();
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    gen->train();
    disc->train();
    gx::Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs),
                     steps_per_epoch, "steps");
    double sum_d = 0, sum_g = 0, sum_real = 0, sum_fake = 0, sum_gp = 0;
    double last_g = std::isfinite(last_g_loss) ? last_g_loss : 0.0;
    int64_t steps = 0;
    for (data::Batch& b : loader) {
      const profiler::Range step_range("step");
      const int64_t n = b.size();
      const Tensor ones_t = ones({n, 1}, TensorOptions(kFloat32).device(device));
      const Tensor zeros_t = zeros({n, 1}, TensorOptions(kFloat32).device(device));
      const Tensor z = randn({n, o.z_dim}, TensorOptions(kFloat32)).to(device);
      const DType amp_dtype = cli::autocast_dtype(o.precision);
      const bool amp = cli::uses_autocast(o.precision);

      Tensor fake, logit_real, logit_fake, loss_d, penalty;
      if (!wgan(o)) {
        // Discriminator: real -> 1, generated -> 0 (the generator's graph is cut).
        {
          autocast::Guard guard(amp_dtype, amp);
          fake = (*gen)(z);
          logit_real = (*disc)(b.data);
          logit_fake = (*disc)(fake.detach());
          loss_d = criterion(logit_real, ones_t) + criterion(logit_fake, zeros_t);
        }
        opt_d.zero_grad();
        scaler.scale(loss_d).backward();
        scaler.step(opt_d);

        // Generator: make the (updated) discriminator call its samples real.
        Tensor loss_g;
        {
          autocast::Guard guard(amp_dtype, amp);
          loss_g = criterion((*disc)(fake), ones_t);
        }
        opt_g.zero_grad();
        scaler.scale(loss_g).backward();
        scaler.step(opt_g);
        scaler.update();  // once per iteration, after both steps
        last_g = loss_g.item();
      } else {
        // Critic: D(G(z)) - D(x) + λ (‖∇x̂ D(x̂)‖ - 1)², x̂ on the line from a generated image
        // to a real one (ε ~ U(0, 1) per image).
        fake = (*gen)(z).detach();
        logit_real = (*disc)(b.data);
        logit_fake = (*disc)(fake);
        const Tensor eps = rand({n, 1, 1, 1}, TensorOptions(kFloat32)).to(device);
        const Tensor between = (b.data * eps + fake * rsub(eps, 1.0)).detach().requires_grad_(true);
        const Tensor grad =
            autograd::grad({(*disc)(between).sum()}, {between}, {}, {.create_graph = true})[0];
        const Tensor norm = sqrt(add((grad * grad).sum({1, 2, 3}), 1e-12));
        penalty = pow(sub(norm, 1.0), 2.0).mean();
        loss_d = logit_fake.mean() - logit_real.mean() + penalty * o.gp_weight;
        opt_d.zero_grad();
        loss_d.backward();  // through the gradient: double backward into the critic
        opt_d.step();
        // Generator: every n_critic-th step, maximise D(G(z)).
        if ((steps + 1) % o.n_critic == 0) {
          const Tensor loss_g = neg((*disc)((*gen)(z)).mean());
          opt_g.zero_grad();
          loss_g.backward();
          opt_g.step();
          last_g = loss_g.item();
        }
      }

      const double ld = loss_d.item(), lg = last_g;
      GPUNN_CHECK(std::isfinite(ld) && std::isfinite(lg), "the losses became ", ld, " and ", lg,
                  " at epoch ", epoch + 1, " step ", steps + 1, "; try a smaller --lr");
      double dr = 0, df = 0;
      {
        // Probabilities for the DCGAN; the critic's mean scores for WGAN-GP.
        NoGradGuard no_grad;
        dr = (wgan(o) ? logit_real.detach() : sigmoid(logit_real.detach())).mean().item();
        df = (wgan(o) ? logit_fake.detach() : sigmoid(logit_fake.detach())).mean().item();
      }
      log.d_loss.push_back(ld), log.g_loss.push_back(lg);
      log.d_real.push_back(dr), log.d_fake.push_back(df);
      if (wgan(o)) {
        log.penalty.push_back(penalty.item());
        sum_gp += log.penalty.back();
      }
      sum_d += ld, sum_g += lg, sum_real += dr, sum_fake += df;
      images_seen += n;
      ++steps;
      std::ostringstream st;
      st << std::fixed << std::setprecision(3) << "D " << sum_d / static_cast<double>(steps)
         << "  G " << sum_g / static_cast<double>(steps) << "  D(x) "
         << sum_real / static_cast<double>(steps) << "  D(G(z)) "
         << sum_fake / static_cast<double>(steps);
      bar.update(steps, st.str());
    }
    const double seconds = bar.elapsed_seconds();
    bar.finish();
    train_seconds += seconds;
    const double k = static_cast<double>(steps);
    last_d_loss = sum_d / k, last_g_loss = sum_g / k;
    last_d_real = sum_real / k, last_d_fake = sum_fake / k;
    if (wgan(o)) last_penalty = sum_gp / k;

    // Samples of the fixed noise, batch norm on its running statistics (eval mode).
    gen->eval();
    Tensor samples;
    {
      NoGradGuard no_grad;
      samples = (*gen)(fixed_z);
    }
    sample_spread = pixel_spread(samples);
    const std::string grid = "samples_epoch_" + std::to_string(epoch + 1) + ".png";
    gx::write_png(gx::output_path(o.common, grid), sample_grid(samples));
    write_loss_outputs(o.common, log, steps_per_epoch, o.epochs, wgan(o));
    std::cout << "epoch " << epoch + 1 << ": D loss " << std::fixed << std::setprecision(4)
              << last_d_loss << ", G loss " << last_g_loss << ", D(x) " << last_d_real
              << ", D(G(z)) " << last_d_fake;
    if (wgan(o)) std::cout << ", gradient penalty " << last_penalty;
    std::cout << ", sample pixel spread " << sample_spread << " (real " << real_spread << "), "
              << std::setprecision(1) << seconds << " s, " << grid << "\n"
              << std::defaultfloat << std::setprecision(6);
  }
  std::cout << "wrote samples_epoch_*.png, losses.png and losses.csv to " << o.common.out_dir
            << "\n";
  WalkResult walk;
  if (o.latent_walk) {
    const data::TensorDataset test_images = data::load_fashion_mnist(dir, data::Split::Test);
    const data::TensorDataset test(test_images.data() * 2.0 - 1.0, test_images.target());
    walk = latent_walk(*gen, train, test, o.z_dim, device, o.common);
    std::cout << "latent walk: the classifier's test accuracy " << std::fixed
              << std::setprecision(3) << walk.classifier_acc << "; " << walk.classes_found
              << " classes among the confident samples, " << walk.means_recognised
              << " of their mean codes drawn as their class; wrote gan_latent_walk.png "
                 "(rows: gan_latent_walk.txt)\n"
              << std::defaultfloat << std::setprecision(6);
    for (const std::string& line : walk.sums) std::cout << "  " << line << "\n";
  }

  const double images_per_s =
      train_seconds > 0 ? static_cast<double>(images_seen) / train_seconds : 0;
  profile.finish();
  gx::JsonLine json;
  json.add("example", "gan")
      .add("epochs", o.epochs)
      .add("final_d_loss", last_d_loss)
      .add("final_g_loss", last_g_loss)
      .add("d_real", last_d_real)
      .add("d_fake", last_d_fake)
      .add("sample_pixel_std", sample_spread)
      .add("real_pixel_std", real_spread)
      .add("images_per_s", images_per_s)
      .add("train_seconds", train_seconds)
      .add("device", device.str())
      .add("precision", o.precision)
      .add("loss", o.loss);
  if (wgan(o)) {
    json.add("gradient_penalty", last_penalty)
        .add("wasserstein_estimate", last_d_real - last_d_fake);
  }
  if (o.latent_walk) {
    json.add("classifier_test_acc", walk.classifier_acc)
        .add("latent_classes_found", walk.classes_found)
        .add("latent_class_means_recognised", walk.means_recognised)
        .add("latent_sums", walk.sums);
  }
  std::cout << json.str() << "\n";
  const bool finite = std::isfinite(last_d_loss) && std::isfinite(last_g_loss) &&
                      std::isfinite(sample_spread) && images_per_s > 0 &&
                      (!wgan(o) || std::isfinite(last_penalty));
  if (!finite) {
    std::cerr << "gan: a metric is not finite\n";
    return 1;
  }
  // Mode collapse: the samples vary far less than the data. The smoke run's few
  // steps are too early to judge.
  if (!o.common.smoke && sample_spread < 0.25 * real_spread) {
    std::cerr << "gan: the samples' pixel spread " << sample_spread
              << " is below a quarter of the real images' " << real_spread << " (mode collapse?)\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Trains a small DCGAN on Fashion-MNIST: transposed convolutions up from a 64-d noise "
      "vector, a convolutional discriminator, sample grids of fixed noise after every epoch "
      "and loss curves."};
  Options o;
  gx::add_common_options(app, o.common);
  app.add_option("--epochs", o.epochs, "passes over the 60000 training images (default 2, smoke 1)")
      ->check(gpunn::cli::positive);
  app.add_option("--batch", o.batch, "batch size (at least 2)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  cli::add_precision_option(app, o.precision);
  app.add_option("--lr", o.lr,
                 "Adam learning rate of both networks (default 2e-4, betas 0.5, 0.999; "
                 "wgan-gp: 1e-4, betas 0, 0.9)")
      ->check(gpunn::cli::positive);
  app.add_option("--z-dim", o.z_dim, "size of the generator's noise input")->capture_default_str();
  app.add_option("--loss", o.loss,
                 "bce (the DCGAN's) or wgan-gp (a Wasserstein critic with gradient penalty)")
      ->capture_default_str()
      ->check(CLI::IsMember({"bce", "wgan-gp"}));
  app.add_option("--n-critic", o.n_critic, "wgan-gp: critic steps per generator step")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--gp-weight", o.gp_weight, "wgan-gp: the penalty's weight λ")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_flag("--latent-walk", o.latent_walk,
               "after training, draw interpolations between noise vectors and arithmetic on "
               "class-mean noise vectors (gan_latent_walk.png, captions in gan_latent_walk.txt)");
  app.add_option("--data", o.data_dir,
                 "folder of the Fashion-MNIST files (default: $GPUNN_FASHION_MNIST_DIR or "
                 "/usr/share/datasets/fashion-mnist)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "gan: " << e.what() << "\n";
    return 1;
  }
}
