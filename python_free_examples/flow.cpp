// flow: a normalizing flow (models::RealNVP, affine coupling layers), the lecture's
// "tractable density": trained by maximum likelihood, its log-density is exact.
//
//   --data moons (default) | spiral   a 2-D density: 4000 points per moon or 2000 per arm,
//       and as many again held out; masks alternate between the two coordinates.
//   --data fashion                    Fashion-MNIST's 784 pixels, dequantised: each 8-bit
//       value v becomes (v + u) / 256 with u ~ U(0, 1) (a fixed draw for the test images),
//       mapped to logit(α + (1 - 2α)·x) with α = 0.05 as in the RealNVP paper; masks
//       alternate between a checkerboard and its complement.
//
// The loss is the mean negative log-likelihood; reported in bits per dimension, -log₂ p(x) / D,
// with p the density of the data as given (2-D: the points; images: the 8-bit pixel values
// plus the dequantisation noise, the logit's Jacobian included: an upper bound on the
// discrete data's bits per pixel, 8 for a uniform model).
//
// Writes flow_loss.png (bits per dimension per epoch), and for 2-D data flow_density.png
// (the held-out data, the learned density and samples side by side), for images
// flow_samples.png (samples at --temperature). The last output line is one JSON object:
// data, layers, hidden, parameters, epochs, train_bpd and test_bpd per epoch (test_bpd
// starting before training), device. Exits non-zero unless the held-out bits per dimension
// fell and are finite.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "common/example.h"
#include "common/plot.h"

namespace ex = gpunn::examples;
using namespace gpunn;

namespace {

constexpr double kAlpha = 0.05;  // the logit transform's margin for images

struct Options {
  ex::CommonOptions common;
  std::string data = "moons";
  std::string data_dir;
  int64_t layers = 0;  // 0: 8 for 2-D data, 6 for images
  int64_t hidden = 0;  // 0: 64 for 2-D data, 512 for images
  int64_t epochs = 0;  // 0: 150 for 2-D data (smoke 15), 5 for images (smoke 1)
  int64_t batch = 0;   // 0: 256 for 2-D data, 64 for images
  double lr = 1e-3;
  double temperature = 0.7;
};

bool images(const Options& o) { return o.data == "fashion"; }

// The data in the space the flow models, and the log-Jacobian of the map from the data as
// given to that space (per row; zero for 2-D data).
struct Modelled {
  Tensor y, log_jacobian;
};

// Images: x ∈ [0, 1] (v / 255) → dequantised (v + u) / 256 → logit(α + (1 - 2α)·x).
Modelled to_logit_space(const Tensor& x, Generator* generator) {
  // The 8-bit values: x·255 rounded (non-negative, so adding ½ and truncating rounds).
  const Tensor pixels = (x * 255.0 + 0.5).to(kInt64).to(x.dtype());
  const Tensor dequantised = (pixels + rand_like(pixels, generator)) / 256.0;
  const Tensor s = dequantised * (1 - 2 * kAlpha) + kAlpha;
  const Tensor y = log(s) - log(rsub(s, 1.0));
  // dy/dx = (1 - 2α) / (s (1 - s)) per pixel, and x is the 8-bit value / 256.
  const Tensor log_jac = (log(s) + log(rsub(s, 1.0))).sum({1}) * -1.0 +
                         static_cast<double>(x.size(1)) * std::log((1 - 2 * kAlpha) / 256.0);
  return {y, log_jac};
}

// Bits per dimension of each row of `batch` (data as given), in one tensor [N].
Tensor bits_per_dim(models::RealNVP& flow, const Modelled& m) {
  const Tensor log_p =
      m.log_jacobian.defined() ? flow.log_prob(m.y) + m.log_jacobian : flow.log_prob(m.y);
  return log_p * (-1.0 / (static_cast<double>(flow.features) * std::log(2.0)));
}

double evaluate(models::RealNVP& flow, const Modelled& test, int64_t batch) {
  NoGradGuard no_grad;
  flow.eval();
  double total = 0;
  const int64_t n = test.y.size(0);
  for (int64_t i = 0; i < n; i += batch) {
    const int64_t b = std::min(batch, n - i);
    Modelled part{test.y.narrow(0, i, b),
                  test.log_jacobian.defined() ? test.log_jacobian.narrow(0, i, b) : Tensor()};
    total += bits_per_dim(flow, part).sum().item();
  }
  flow.train();
  return total / static_cast<double>(n);
}

// ---- pictures --------------------------------------------------------------------------------

// A box around the 2-D data with a margin.
struct Box {
  double x0, x1, y0, y1;
};

Box bounds(const Tensor& xy) {
  const std::vector<double> v = xy.to(kCPU).to_vector<double>();
  Box b{1e300, -1e300, 1e300, -1e300};
  for (size_t i = 0; i + 1 < v.size(); i += 2) {
    b.x0 = std::min(b.x0, v[i]), b.x1 = std::max(b.x1, v[i]);
    b.y0 = std::min(b.y0, v[i + 1]), b.y1 = std::max(b.y1, v[i + 1]);
  }
  const double mx = 0.15 * (b.x1 - b.x0), my = 0.15 * (b.y1 - b.y0);
  return {b.x0 - mx, b.x1 + mx, b.y0 - my, b.y1 + my};
}

// A panel with a caption above the picture.
ex::Image captioned(const ex::Image& picture, const std::string& caption) {
  ex::Image out(picture.width, picture.height + 20, 3, 255);
  for (int y = 0; y < picture.height; ++y)
    for (int x = 0; x < picture.width; ++x)
      for (int c = 0; c < 3; ++c)
        out.at(x, y + 20)[c] =
            picture.pixels[(static_cast<size_t>(y) * picture.width + x) * picture.channels +
                           (picture.channels == 3 ? c : 0)];
  ex::draw_text(out, (out.width - ex::text_width(caption, 2)) / 2, 2, caption, {0, 0, 0}, 2);
  return out;
}

ex::Image scatter(const Tensor& xy, const Box& box, int size, ex::Rgb color) {
  ex::Image im(size, size, 3, 255);
  const std::vector<double> v = xy.to(kCPU).to_vector<double>();
  for (size_t i = 0; i + 1 < v.size(); i += 2) {
    const int px = static_cast<int>((v[i] - box.x0) / (box.x1 - box.x0) * size);
    const int py = static_cast<int>((box.y1 - v[i + 1]) / (box.y1 - box.y0) * size);
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        const int qx = px + dx, qy = py + dy;
        if (qx < 0 || qy < 0 || qx >= size || qy >= size || dx * dx + dy * dy > 1) continue;
        std::copy(color.begin(), color.end(), im.at(qx, qy));
      }
  }
  return im;
}

// exp(log p) on a size × size grid over the box, shaded from white (0) through blue to dark
// purple (the largest density on the grid).
ex::Image density(models::RealNVP& flow, const Box& box, int size, Device device, DType dtype) {
  std::vector<double> grid;
  grid.reserve(static_cast<size_t>(size) * size * 2);
  for (int py = 0; py < size; ++py)
    for (int px = 0; px < size; ++px) {
      grid.push_back(box.x0 + (px + 0.5) / size * (box.x1 - box.x0));
      grid.push_back(box.y1 - (py + 0.5) / size * (box.y1 - box.y0));
    }
  std::vector<double> p;
  {
    NoGradGuard no_grad;
    flow.eval();
    const Tensor g = tensor(grid, {static_cast<int64_t>(size) * size, 2}, dtype).to(device);
    p = exp(flow.log_prob(g)).to(kCPU).to_vector<double>();
    flow.train();
  }
  double top = 0;
  for (const double v : p)
    if (std::isfinite(v)) top = std::max(top, v);
  static const ex::Rgb stops[] = {
      {255, 255, 255}, {158, 202, 225}, {49, 130, 189}, {8, 48, 107}, {63, 0, 125}};
  ex::Image im(size, size, 3);
  for (int py = 0; py < size; ++py)
    for (int px = 0; px < size; ++px) {
      const double v = p[static_cast<size_t>(py) * size + px];
      const double u = top > 0 && std::isfinite(v) ? std::clamp(v / top, 0.0, 1.0) * 4.0 : 0.0;
      const int k = std::min(3, static_cast<int>(u));
      const double f = u - k;
      for (int c = 0; c < 3; ++c)
        im.at(px, py)[c] = static_cast<uint8_t>(std::lround(
            (1 - f) * stops[k][static_cast<size_t>(c)] + f * stops[k + 1][static_cast<size_t>(c)]));
    }
  return im;
}

void plot_bpd(const std::string& path, const std::vector<double>& train,
              const std::vector<double>& test, const std::string& data) {
  ex::Series tr{"train", {}, {}, ex::plot_palette()[0]};
  ex::Series te{"test", {}, {}, ex::plot_palette()[1]};
  for (size_t i = 0; i < train.size(); ++i)
    tr.x.push_back(static_cast<double>(i + 1)), tr.y.push_back(train[i]);
  for (size_t i = 0; i < test.size(); ++i)
    te.x.push_back(static_cast<double>(i)), te.y.push_back(test[i]);
  ex::PlotOptions po;
  po.title = "RealNVP on " + data + ": bits per dimension";
  po.x_label = "epoch";
  po.y_label = "bits / dim";
  po.x_integer = true;
  po.x_lo = 0;
  po.x_hi = std::max<double>(1.0, static_cast<double>(train.size()));
  ex::write_png(path, ex::line_plot({tr, te}, po));
}

// ---- the run ---------------------------------------------------------------------------------

int run(Options o) {
  ex::prepare_output_dir(o.common);
  const Device device = ex::resolve_device(o.common.device);
  const bool img = images(o);
  if (o.layers == 0) o.layers = img ? 6 : 8;
  if (o.hidden == 0) o.hidden = img ? 512 : 64;
  if (o.epochs == 0) o.epochs = img ? (o.common.smoke ? 1 : 5) : (o.common.smoke ? 15 : 150);
  if (o.batch == 0) o.batch = img ? 64 : 256;

  // The training and held-out data, in the space the flow models.
  Generator noise(o.common.seed + 1);
  Tensor train_raw;
  Modelled test;
  Tensor test_points;  // 2-D: the held-out points, for the picture
  Tensor mask;         // images: the checkerboard
  if (img) {
    const std::optional<std::string> dir = ex::fashion_mnist_dir(o.data_dir, "flow");
    if (!dir) return o.common.smoke ? ex::kSkipExitCode : 1;
    auto flat = [&](const data::TensorDataset& d, int64_t limit) {
      const int64_t n = std::min(limit, d.size());
      return d.data().narrow(0, 0, n).reshape({n, 784}).to(device);
    };
    train_raw =
        flat(data::load_fashion_mnist(*dir, data::Split::Train), o.common.smoke ? 1024 : 60000);
    test = to_logit_space(
        flat(data::load_fashion_mnist(*dir, data::Split::Test), o.common.smoke ? 500 : 10000),
        &noise);
    std::vector<double> m(784);
    for (size_t i = 0; i < m.size(); ++i) m[i] = (i / 28 + i % 28) % 2 == 0 ? 1.0 : 0.0;
    mask = tensor(m, {784}, kFloat32);
  } else {
    auto make = [&](uint64_t seed) {
      return o.data == "spiral" ? data::spiral(3, 2000, seed, 0.2).data()
                                : data::two_moons(4000, seed, 0.1).data();
    };
    train_raw = make(o.common.seed).to(device);
    test_points = make(o.common.seed + 1000).to(device);
    test = {test_points, Tensor()};
  }
  const int64_t n = train_raw.size(0), D = train_raw.size(1);

  manual_seed(o.common.seed);
  auto flow = models::realnvp(D, o.layers, o.hidden, mask);
  flow->to(device);
  int64_t parameters = 0;
  for (const Tensor& p : flow->parameters()) parameters += p.numel();
  std::cout << "flow: RealNVP, " << o.layers << " affine couplings of " << o.hidden
            << " hidden units (" << parameters << " parameters), on " << n << " "
            << (img ? "Fashion-MNIST images (784 dequantised pixels)" : o.data + " points")
            << ", on " << device.str() << "\n";
  optim::Adam opt(flow->parameters(), {.lr = o.lr});
  const int64_t steps = n / o.batch;
  // A short warm-up, then the learning rate falls along a cosine to zero at the last step.
  optim::WarmupCosineLR schedule(opt, std::min<int64_t>(100, o.epochs * steps / 10),
                                 o.epochs * steps);

  std::vector<double> train_bpd, test_bpd{evaluate(*flow, test, 1000)};
  std::cout << "before training: " << std::fixed << std::setprecision(3) << test_bpd[0]
            << " bits per dimension on the held-out data\n";
  const bool bar_per_epoch = img;
  ex::Progress all("training", o.epochs * steps, "steps");
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const Tensor order = randperm(n, TensorOptions(kInt64).device(device));
    std::optional<ex::Progress> bar;
    if (bar_per_epoch)
      bar.emplace("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs), steps,
                  "steps");
    double sum = 0;
    for (int64_t s = 0; s < steps; ++s) {
      const Tensor rows = index_select(train_raw, 0, order.narrow(0, s * o.batch, o.batch));
      const Modelled m = img ? to_logit_space(rows, nullptr) : Modelled{rows, Tensor()};
      opt.zero_grad();
      const Tensor loss = bits_per_dim(*flow, m).mean();
      loss.backward();
      // Rare large gradients (a sample deep in a tail) would throw the scales off.
      optim::clip_grad_norm(flow->parameters(), 100.0);
      opt.step();
      schedule.step();
      const double l = loss.item();
      sum += l;
      if (bar && ((s + 1) % 20 == 0 || s + 1 == steps))
        bar->update(s + 1, "bpd " + std::to_string(l));
      if (!bar && ((epoch * steps + s + 1) % 50 == 0))
        all.update(epoch * steps + s + 1, "bpd " + std::to_string(l));
    }
    if (bar) bar->finish();
    train_bpd.push_back(sum / static_cast<double>(steps));
    test_bpd.push_back(evaluate(*flow, test, 1000));
    if (img || (epoch + 1) % 25 == 0 || epoch + 1 == o.epochs)
      std::cout << "epoch " << epoch + 1 << ": train " << std::setprecision(3) << train_bpd.back()
                << ", held-out " << test_bpd.back() << " bits per dimension\n";
  }
  if (!bar_per_epoch) all.finish();

  const std::string loss_png = ex::output_path(o.common, "flow_loss.png");
  plot_bpd(loss_png, train_bpd, test_bpd, img ? "Fashion-MNIST" : o.data);
  std::cout << "wrote " << loss_png << "\n";
  if (img) {
    NoGradGuard no_grad;
    flow->eval();
    const Tensor y = flow->sample(64, o.temperature);
    const Tensor x = clamp((sigmoid(y) - kAlpha) / (1 - 2 * kAlpha), 0.0, 1.0);
    const std::string path = ex::output_path(o.common, "flow_samples.png");
    ex::write_png(path, ex::contact_sheet(ex::gray_tiles(x, 0, 1), 8, 2, 255));
    std::cout << "wrote " << path << " (64 samples at temperature " << std::setprecision(2)
              << o.temperature << ")\n";
  } else {
    const Box box = bounds(test_points);
    const int size = 240;
    Tensor samples;
    {
      NoGradGuard no_grad;
      flow->eval();
      samples = flow->sample(test_points.size(0));
    }
    const std::vector<ex::Image> panels{
        captioned(scatter(test_points, box, size, ex::plot_palette()[0]), "HELD-OUT DATA"),
        captioned(density(*flow, box, size, device, train_raw.dtype()), "LEARNED DENSITY"),
        captioned(scatter(samples, box, size, ex::plot_palette()[1]), "SAMPLES")};
    const std::string path = ex::output_path(o.common, "flow_density.png");
    ex::write_png(path, ex::contact_sheet(panels, 3, 8, 255));
    std::cout << "wrote " << path << "\n";
  }

  ex::JsonLine json;
  json.add("data", o.data)
      .add("layers", o.layers)
      .add("hidden", o.hidden)
      .add("parameters", parameters)
      .add("epochs", o.epochs)
      .add("train_bpd", train_bpd)
      .add("test_bpd", test_bpd)
      .add("device", device.str());
  std::cout << json.str() << std::endl;
  const bool ok = std::isfinite(test_bpd.back()) && test_bpd.back() < test_bpd.front();
  if (!ok) std::cerr << "flow: the held-out bits per dimension did not fall\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "flow: a RealNVP normalizing flow trained by maximum likelihood on a 2-D density or on "
      "dequantised Fashion-MNIST; bits per dimension, the learned density and samples"};
  Options o;
  ex::add_common_options(app, o.common);
  app.add_option("--data", o.data, "moons, spiral or fashion")
      ->capture_default_str()
      ->check(CLI::IsMember({"moons", "spiral", "fashion"}));
  app.add_option("--data-dir", o.data_dir, "Fashion-MNIST folder (default: the installed dataset)");
  app.add_option("--layers", o.layers, "affine coupling layers (default 8; images 6)")
      ->check(CLI::PositiveNumber);
  app.add_option("--hidden", o.hidden,
                 "hidden units of each coupling's network (default 64; images 512)")
      ->check(CLI::PositiveNumber);
  app.add_option("--epochs", o.epochs,
                 "passes over the training data (default 150, smoke 15; images 5, smoke 1)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", o.batch, "examples per step (default 256; images 64)")
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", o.lr, "Adam's learning rate")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--temperature", o.temperature,
                 "images: the base distribution's standard deviation for samples")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "flow: " << e.what() << "\n";
    return 1;
  }
}
