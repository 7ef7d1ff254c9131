// autoencoder: the lecture's variational autoencoder on Fashion-MNIST.
//
// models::VAE (gpunn/models.h): encoder 784 -> 400 ReLU -> mu and log-variance
// (20 each); z = mu + e^(logvar/2)·eps with eps from a seeded generator;
// decoder 20 -> 400 ReLU -> 784 logits. The loss per image (models::vae_loss)
// is the binary cross-entropy of the logits against the image (values in
// [0, 1]) summed over its pixels, plus KL(q(z|x) || N(0, I)) =
// -½ Σ (1 + logvar - mu² - e^logvar): the negative evidence lower bound. Adam,
// lr 1e-3, batch 128.
//
// Writes into --out after every epoch autoencoder_recon_<epoch>.png (test
// images beside their reconstructions) and autoencoder_samples_<epoch>.png
// (the decoder's images for a fixed batch of z ~ N(0, I)); at the end
// autoencoder_loss.png (train and test loss per epoch) and, with --latent 2,
// autoencoder_manifold.png (images decoded over a grid of z). With --latent-walk also
// autoencoder_latent_walk.png and .txt (see latent_walk below). The last output line is one
// JSON object of the metrics.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/example.h"
#include "common/latent.h"
#include "common/plot.h"

namespace gx = gpunn::examples;
using namespace gpunn;

namespace {

struct Options {
  gx::CommonOptions common;
  int64_t latent = 20;
  int64_t hidden = 400;
  int64_t epochs = 10;
  int64_t batch = 128;
  double lr = 1e-3;
  int64_t manifold = 20;  // grid side of the --latent 2 picture
  bool latent_walk = false;
  std::string data_dir;
  std::string precision = "fp32";
};

struct EpochLoss {
  double loss = 0, recon = 0, kl = 0;  // means per image
};

// The loss over x in chunks, without autograd, in evaluation mode. z is drawn
// from `generator` (one-sample estimates of the bound, as in training).
EpochLoss evaluate(models::VAE& net, const Tensor& x, Device device, Generator& generator) {
  NoGradGuard no_grad;
  net.eval();
  EpochLoss sum;
  constexpr int64_t kChunk = 1000;
  const int64_t n = x.size(0);
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = std::min(kChunk, n - i);
    const Tensor xb = x.narrow(0, i, m).contiguous().to(device);
    const models::VaeLoss l = models::vae_loss(net.forward_all(xb, &generator), xb);
    sum.loss += l.loss.item() * static_cast<double>(m);
    sum.recon += l.reconstruction.item() * static_cast<double>(m);
    sum.kl += l.kl.item() * static_cast<double>(m);
  }
  net.train();
  const double d = static_cast<double>(n);
  return {sum.loss / d, sum.recon / d, sum.kl / d};
}

// Images [N, 784] (probabilities) on any device as 28 x 28 gray images, scaled 2x.
std::vector<gx::Image> to_images(const Tensor& p) { return gx::gray_tiles(p, 0, 1); }

// The first 16 test images, each beside its reconstruction σ(decode(mu)), in 4
// columns of pairs.
gx::Image reconstructions(models::VAE& net, const Tensor& test_x, Device device) {
  NoGradGuard no_grad;
  const Tensor x = test_x.narrow(0, 0, 16).contiguous().to(device);
  const Tensor recon = sigmoid(net.decode(net.encode(x).first));
  const std::vector<gx::Image> a = to_images(x.reshape({16, 784})), b = to_images(recon);
  std::vector<gx::Image> pairs;
  for (size_t i = 0; i < a.size(); ++i) pairs.push_back(gx::contact_sheet({a[i], b[i]}, 2, 0));
  return gx::contact_sheet(pairs, 4, 8);
}

gx::Image samples(models::VAE& net, const Tensor& z) {
  NoGradGuard no_grad;
  return gx::contact_sheet(to_images(sigmoid(net.decode(z))), 8, 2);
}

// The standard normal quantile Φ⁻¹(p) by bisection on Φ(x) = ½ erfc(-x/√2).
double normal_quantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// With a 2-D latent space: the decoder's image at each point of a side x side
// grid of z, placed at the standard normal quantiles of evenly spaced
// probabilities (so the grid covers N(0, I) evenly); z1 left to right, z2
// bottom to top.
gx::Image manifold(models::VAE& net, int64_t side, Device device) {
  std::vector<double> q;
  for (int64_t i = 0; i < side; ++i)
    q.push_back(normal_quantile((static_cast<double>(i) + 0.5) / static_cast<double>(side)));
  std::vector<double> z;
  for (int64_t r = 0; r < side; ++r)
    for (int64_t c = 0; c < side; ++c) {
      z.push_back(q[static_cast<size_t>(c)]);
      z.push_back(q[static_cast<size_t>(side - 1 - r)]);
    }
  NoGradGuard no_grad;
  const Tensor p = sigmoid(net.decode(tensor(z, {side * side, 2}).to(device)));
  const Tensor c = p.to(kCPU).reshape({side * side, 28, 28});
  std::vector<gx::Image> tiles;
  for (int64_t i = 0; i < side * side; ++i) tiles.push_back(gx::gray_image(c[i], 0, 1));
  return gx::contact_sheet(tiles, static_cast<int>(side), 0);
}

// --latent-walk: the codes are the posterior means mu of the test images. Rows 1-4 walk a
// straight line from one test image's code to another's (the real images at the ends, 8
// decoded codes between); rows 5-7 decode the class means of the codes, mean(mu | class) over
// the test images of each class, and the sums of fashion_latent_sums(). Writes
// autoencoder_latent_walk.png and its captions, autoencoder_latent_walk.txt. Returns how many
// of the 10 decoded class means lie nearest (mean squared pixel difference) to the mean
// image of their own class among the 10 classes' mean images: the check that the class
// means are the classes' codes.
int64_t latent_walk(models::VAE& net, const data::TensorDataset& test, Device device,
                    const gx::CommonOptions& common) {
  NoGradGuard no_grad;
  net.eval();
  const std::vector<std::string>& names = data::fashion_mnist_classes();
  const int64_t n = test.size();
  const Tensor x = test.data().reshape({n, 784});
  const std::vector<int64_t> labels = test.target().to_vector<int64_t>();
  std::vector<Tensor> mus;
  for (int64_t i = 0; i < n; i += 1000)
    mus.push_back(net.encode(x.narrow(0, i, std::min<int64_t>(1000, n - i)).to(device)).first);
  const Tensor mu = cat(mus, 0);
  auto decode = [&](const Tensor& z) { return sigmoid(net.decode(z)); };
  auto first_of = [&](int64_t k) {
    const auto it = std::find(labels.begin(), labels.end(), k);
    return it == labels.end() ? int64_t{-1} : static_cast<int64_t>(it - labels.begin());
  };

  std::vector<gx::PictureRow> rows;
  const std::pair<int64_t, int64_t> walks[] = {{0, 1}, {7, 9}, {3, 8}, {2, 5}};
  for (const auto& [from, to] : walks) {
    const int64_t i = first_of(from), j = first_of(to);
    if (i < 0 || j < 0) continue;
    const Tensor path = gx::interpolate_codes(mu[i], mu[j], 10, /*spherical=*/false);
    const Tensor inner = decode(path.narrow(0, 1, 8));
    rows.push_back({names[static_cast<size_t>(from)] + " (test image " + std::to_string(i) +
                        ") to " + names[static_cast<size_t>(to)] + " (test image " +
                        std::to_string(j) +
                        "): the real images at the ends, between them 8 codes decoded on the "
                        "straight line between their posterior means",
                    cat({x.narrow(0, i, 1).to(device), inner, x.narrow(0, j, 1).to(device)}, 0)});
  }
  const gx::ClassMeans means = gx::class_means(mu, labels, 10);
  for (const gx::LatentSum& sum : gx::fashion_latent_sums()) {
    const int64_t a = sum.a, b = sum.b, c = sum.c;
    if (means.counts[static_cast<size_t>(a)] == 0 || means.counts[static_cast<size_t>(b)] == 0 ||
        means.counts[static_cast<size_t>(c)] == 0)
      continue;
    const Tensor z = means.means[a] - means.means[b] + means.means[c];
    rows.push_back({gx::describe(sum, names) + ": the decoded class means mean(mu | " +
                        names[static_cast<size_t>(a)] + "), mean(mu | " +
                        names[static_cast<size_t>(b)] + "), mean(mu | " +
                        names[static_cast<size_t>(c)] + ") (over " +
                        std::to_string(means.counts[static_cast<size_t>(a)]) + ", " +
                        std::to_string(means.counts[static_cast<size_t>(b)]) + " and " +
                        std::to_string(means.counts[static_cast<size_t>(c)]) +
                        " test images), then their sum decoded",
                    decode(stack({means.means[a], means.means[b], means.means[c], z}, 0))});
  }
  gx::write_rows(gx::output_path(common, "autoencoder_latent_walk.png"),
                 gx::output_path(common, "autoencoder_latent_walk.txt"), rows, 0, 1);

  // The check: decoded class means against the classes' mean images.
  const Tensor decoded = decode(means.means).to(kCPU);
  const gx::ClassMeans pixel_means = gx::class_means(x, labels, 10);
  int64_t nearest_own = 0;
  for (int64_t k = 0; k < 10; ++k) {
    if (means.counts[static_cast<size_t>(k)] == 0) continue;
    const Tensor d = decoded[k] - pixel_means.means.to(kCPU);  // [10, 784]
    const std::vector<double> dist = (d * d).mean({1}).to_vector<double>();
    if (std::min_element(dist.begin(), dist.end()) - dist.begin() == k) ++nearest_own;
  }
  net.train();
  return nearest_own;
}

void write_loss_png(const std::string& path, const std::vector<EpochLoss>& train,
                    const std::vector<EpochLoss>& test, int64_t latent) {
  gx::Series tr{"train", {}, {}, gx::plot_palette()[0]};
  gx::Series te{"test", {}, {}, gx::plot_palette()[1]};
  for (size_t i = 0; i < train.size(); ++i) {
    tr.x.push_back(static_cast<double>(i + 1)), tr.y.push_back(train[i].loss);
    te.x.push_back(static_cast<double>(i + 1)), te.y.push_back(test[i].loss);
  }
  gx::PlotOptions po;
  po.title = "VAE loss per image, latent " + std::to_string(latent);
  po.x_label = "epoch";
  po.y_label = "BCE + KL";
  po.x_integer = true;
  po.x_lo = 1;
  po.x_hi = std::max<double>(2.0, static_cast<double>(train.size()));
  gx::write_png(path, gx::line_plot({tr, te}, po));
}

int run(Options& o) {
  gx::prepare_output_dir(o.common);
  const Device device = gx::resolve_device(o.common.device);
  cli::apply_precision(o.precision);
  std::cout << "autoencoder: " << gx::run_summary(device, o.precision) << "\n";
  if (o.common.smoke) o.epochs = std::min<int64_t>(o.epochs, 2);

  const std::optional<std::string> found = gx::fashion_mnist_dir(o.data_dir, "autoencoder");
  if (!found) return o.common.smoke ? gx::kSkipExitCode : 1;
  const std::string& dir = *found;
  data::TensorDataset train = data::load_fashion_mnist(dir, data::Split::Train);
  data::TensorDataset test = data::load_fashion_mnist(dir, data::Split::Test);
  if (o.common.smoke) {  // a subset: 24 steps per epoch
    auto first = [](const data::TensorDataset& d, int64_t n) {
      std::vector<int64_t> idx(static_cast<size_t>(std::min(n, d.size())));
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
      return d.subset(idx);
    };
    train = first(train, 24 * o.batch);
    test = first(test, 1000);
  }
  const Tensor test_x = test.data();  // [N, 1, 28, 28] in [0, 1]
  std::cout << "Fashion-MNIST from " << dir << ": " << train.size() << " training and "
            << test.size() << " test images, on " << device.str() << "\n";

  data::DataLoader loader(
      train, {.batch_size = o.batch, .shuffle = true, .seed = o.common.seed, .device = device});
  manual_seed(o.common.seed);
  auto net = models::vae(28 * 28, o.hidden, o.latent);
  net->to(device);
  std::cout << *net << "parameters: " << net->num_parameters() << "\n";
  optim::Adam opt(net->parameters(), {.lr = o.lr});
  optim::GradScaler scaler(cli::scaler_options(o.precision));

  // eps for training; a fixed z batch for the sample pictures; the test loss
  // draws from a generator restarted each epoch, so epochs are compared on the
  // same eps.
  Generator eps(o.common.seed + 1);
  Generator fixed(o.common.seed + 2);
  const Tensor z_fixed = randn({64, o.latent}, TensorOptions(kFloat32).device(device), &fixed);

  std::vector<EpochLoss> train_hist, test_hist;
  double train_seconds = 0;
  int64_t train_images = 0;
  cli::ProfileRun profile(o.common.profile);  // --profile: the training epochs
  profile.start();
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    gx::Progress bar("epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs),
                     loader.num_batches(), "steps");
    EpochLoss sum;
    int64_t seen = 0, step = 0;
    for (data::Batch& b : loader) {
      const profiler::Range step_range("step");
      opt.zero_grad();
      models::VaeLoss l;
      {
        autocast::Guard amp(cli::autocast_dtype(o.precision), cli::uses_autocast(o.precision));
        l = models::vae_loss(net->forward_all(b.data, &eps), b.data);
      }
      scaler.scale(l.loss).backward();
      scaler.step(opt);
      scaler.update();
      const double loss = l.loss.item();
      GPUNN_CHECK(std::isfinite(loss), "the loss became ", loss, " in epoch ", epoch,
                  "; try a smaller --lr");
      const double m = static_cast<double>(b.size());
      sum.loss += loss * m;
      sum.recon += l.reconstruction.item() * m;
      sum.kl += l.kl.item() * m;
      seen += b.size();
      std::ostringstream st;
      st << "loss " << std::fixed << std::setprecision(2) << sum.loss / static_cast<double>(seen);
      bar.update(++step, st.str());
    }
    const double seconds = bar.elapsed_seconds();
    bar.finish();
    train_seconds += seconds;
    train_images += seen;
    const double d = static_cast<double>(seen);
    train_hist.push_back({sum.loss / d, sum.recon / d, sum.kl / d});
    Generator test_eps(o.common.seed + 3);
    test_hist.push_back(evaluate(*net, test_x, device, test_eps));
    const EpochLoss &tr = train_hist.back(), &te = test_hist.back();
    std::cout << "epoch " << epoch << ": train loss " << std::fixed << std::setprecision(2)
              << tr.loss << " (reconstruction " << tr.recon << " + KL " << tr.kl << "), test loss "
              << te.loss << " (" << te.recon << " + " << te.kl << "), " << std::setprecision(1)
              << seconds << " s\n"
              << std::defaultfloat << std::setprecision(6);
    const std::string e = std::to_string(epoch);
    gx::write_png(gx::output_path(o.common, "autoencoder_recon_" + e + ".png"),
                  reconstructions(*net, test_x, device));
    gx::write_png(gx::output_path(o.common, "autoencoder_samples_" + e + ".png"),
                  samples(*net, z_fixed));
  }
  write_loss_png(gx::output_path(o.common, "autoencoder_loss.png"), train_hist, test_hist,
                 o.latent);
  std::cout << "wrote autoencoder_recon_<epoch>.png, autoencoder_samples_<epoch>.png and "
               "autoencoder_loss.png";
  if (o.latent == 2) {
    gx::write_png(gx::output_path(o.common, "autoencoder_manifold.png"),
                  manifold(*net, o.manifold, device));
    std::cout << " and autoencoder_manifold.png";
  }
  std::cout << " to " << o.common.out_dir << "\n";
  int64_t nearest_own = -1;
  if (o.latent_walk) {
    nearest_own = latent_walk(*net, test, device, o.common);
    std::cout << "latent walk: autoencoder_latent_walk.png (rows: autoencoder_latent_walk.txt); "
              << nearest_own
              << " of 10 decoded class means are nearest to their own class's mean image\n";
  }

  const EpochLoss &tr = train_hist.back(), &te = test_hist.back();
  const double images_per_s =
      train_seconds > 0 ? static_cast<double>(train_images) / train_seconds : 0;
  profile.finish();
  gx::JsonLine json;
  json.add("example", "autoencoder")
      .add("final_loss", tr.loss)
      .add("test_loss", te.loss)
      .add("recon_loss", tr.recon)
      .add("kl_loss", tr.kl)
      .add("test_recon_loss", te.recon)
      .add("test_kl_loss", te.kl)
      .add("first_epoch_loss", train_hist.front().loss)
      .add("epochs", o.epochs)
      .add("latent", o.latent)
      .add("images_per_s", images_per_s)
      .add("device", device.str())
      .add("precision", o.precision)
      .add("smoke", o.common.smoke);
  if (o.latent_walk) json.add("class_means_nearest_own_class", nearest_own);
  std::cout << json.str() << std::endl;

  // An untrained decoder (logits near 0) scores 784·ln 2 = 543 per image; a
  // smoke run's 48 steps already get well below that, a full run far below.
  const double limit = o.common.smoke ? 400 : 300;
  if (!std::isfinite(te.loss) || te.loss > limit) {
    std::cerr << "autoencoder: test loss " << te.loss << " per image; expected below " << limit
              << "\n";
    return 1;
  }
  // A trained model's class means decode to their classes (shirt, T-shirt, pullover and coat
  // look alike, so not all ten need to); the smoke run's 48 steps are too few to judge.
  if (o.latent_walk && !o.common.smoke && nearest_own < 7) {
    std::cerr << "autoencoder: only " << nearest_own
              << " of 10 decoded class means are nearest to their own class's mean image\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "autoencoder: a variational autoencoder (784-400-latent, Bernoulli decoder) on "
      "Fashion-MNIST, with reconstructions, samples, the loss curve and, for a 2-D latent "
      "space, the learned manifold as PNGs"};
  Options o;
  gx::add_common_options(app, o.common);
  app.add_option("--latent", o.latent, "latent dimensions (2 also draws the manifold)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_option("--hidden", o.hidden, "hidden units of the encoder and of the decoder")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  app.add_option("--epochs", o.epochs, "epochs (smoke: at most 2 of 24 steps)")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--batch", o.batch, "batch size")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  cli::add_precision_option(app, o.precision);
  app.add_option("--lr", o.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--manifold", o.manifold, "grid side of the --latent 2 manifold picture")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{64}));
  app.add_flag("--latent-walk", o.latent_walk,
               "also draw interpolations between test images' codes and arithmetic on class "
               "means (autoencoder_latent_walk.png, captions in autoencoder_latent_walk.txt)");
  app.add_option("--data", o.data_dir,
                 "folder of the Fashion-MNIST files (default: $GPUNN_FASHION_MNIST_DIR or "
                 "/usr/share/datasets/fashion-mnist)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "autoencoder: " << e.what() << "\n";
    return 1;
  }
}
