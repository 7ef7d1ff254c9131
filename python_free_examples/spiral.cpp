// spiral: the minimal neural-network case study of the CS231n notes, in C++.
//
// Three arms of 100 points each (gpunn::data::spiral) are not linearly
// separable. A linear classifier s = x·W + b, trained full-batch with the
// multiclass SVM hinge loss and with softmax cross-entropy (each + ½·reg·ΣW²),
// gets about half of them right; a two-layer network 2 → 100 → ReLU → 3 with
// the same L2 penalty separates them (≥ 97% training accuracy).
//
// Writes the decision regions of each model as PNG (spiral_<model>.png and the
// side-by-side spiral_regions.png) and ends with one JSON line of accuracies.
// Exits non-zero if a loss turns NaN or, in a full run, the network stays
// below 97%.
#include "common/example.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace gpunn;
namespace ex = gpunn::examples;

enum class Loss { Hinge, Softmax };

struct Settings {
  int64_t points = 100;  // per class
  int64_t classes = 3;
  int64_t hidden = 100;
  int64_t linear_steps = 200;
  int64_t mlp_steps = 5000;  // the notes run 10000; 98% is reached well before
  double linear_lr = 1.0;
  double mlp_lr = 1.0;
  double reg = 1e-3;
};

// ½·reg·ΣW² over the weight matrices (biases are not regularized).
Tensor l2_term(const nn::Module& model, double reg) {
  std::vector<Tensor> weights;
  for (const auto& [name, p] : model.named_parameters())
    if (name.ends_with("weight")) weights.push_back(p);
  return l2_penalty(weights) * (0.5 * reg);
}

double accuracy(nn::Module& model, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  const std::vector<int64_t> pred = argmax(model(x), 1).to(kCPU).to_vector<int64_t>();
  const std::vector<int64_t> truth = y.to(kCPU).to_vector<int64_t>();
  int64_t correct = 0;
  for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
  return static_cast<double>(correct) / static_cast<double>(pred.size());
}

// Full-batch gradient descent; returns the last loss. Throws if it is not finite.
double train(const std::string& label, nn::Module& model, const Tensor& x, const Tensor& y,
             Loss loss_kind, int64_t steps, double lr, double reg) {
  optim::SGD opt(model.parameters(), {.lr = lr});
  ex::Progress progress(label, steps, "step");
  double last = NAN;
  for (int64_t step = 1; step <= steps; ++step) {
    const profiler::Range step_range("step");
    opt.zero_grad();
    const Tensor scores = model(x);
    const Tensor data_loss =
        loss_kind == Loss::Hinge ? multiclass_hinge_loss(scores, y) : cross_entropy(scores, y);
    const Tensor loss = data_loss + l2_term(model, reg);
    loss.backward();
    opt.step();
    last = loss.item();
    GPUNN_CHECK(std::isfinite(last), label, ": loss is ", last, " at step ", step);
    if (step % 50 == 0 || step == steps) {
      std::ostringstream status;
      status << "loss " << last;
      progress.update(step, status.str());
    }
  }
  std::ostringstream status;
  status << "loss " << last << ", accuracy " << accuracy(model, x, y);
  progress.finish(status.str());
  return last;
}

// The cs231n initialization: weights N(0, 0.01²), biases zero.
void small_init(nn::Module& model) {
  for (const auto& [name, p] : model.named_parameters()) {
    if (name.ends_with("weight")) {
      nn::init::normal_(p, 0.0, 0.01);
    } else {
      nn::init::zeros_(p);
    }
  }
}

// ---- pictures -----------------------------------------------------------------------------

constexpr std::array<std::array<uint8_t, 3>, 6> kStrong = {
    {{200, 40, 40}, {40, 110, 200}, {30, 150, 60}, {220, 140, 20}, {140, 60, 180}, {60, 60, 60}}};

std::array<uint8_t, 3> light(const std::array<uint8_t, 3>& c) {
  std::array<uint8_t, 3> out{};
  for (int i = 0; i < 3; ++i) out[i] = static_cast<uint8_t>(255 - (255 - c[i]) * 30 / 100);
  return out;
}

// A size × size picture shows the square [-e, e]² (y up), e = 1.1: the data
// lie within radius 1. Pixel (px, py) is the point (to_coord(px), -to_coord(py)).
constexpr double kExtent = 1.1;
double to_coord(int p, int size) { return kExtent * (-1.0 + 2.0 * (p + 0.5) / size); }
int to_pixel(double v, int size) {
  return static_cast<int>(std::floor((v / kExtent + 1.0) / 2.0 * size));
}

// Each pixel coloured (lightly) by the class the model predicts there, and the
// data points as dots in the strong colour of their true class.
ex::Image decision_regions(nn::Module& model, const Tensor& x, const Tensor& y, Device device,
                           int size) {
  std::vector<double> grid;
  grid.reserve(static_cast<size_t>(size) * size * 2);
  for (int py = 0; py < size; ++py)
    for (int px = 0; px < size; ++px) {
      grid.push_back(to_coord(px, size));
      grid.push_back(-to_coord(py, size));
    }
  std::vector<int64_t> pred;
  {
    NoGradGuard no_grad;
    const Tensor g = tensor(grid, {static_cast<int64_t>(size) * size, 2}, x.dtype()).to(device);
    pred = argmax(model(g), 1).to(kCPU).to_vector<int64_t>();
  }
  ex::Image im(size, size, 3);
  for (int py = 0; py < size; ++py)
    for (int px = 0; px < size; ++px) {
      const auto c = light(
          kStrong[static_cast<size_t>(pred[static_cast<size_t>(py) * size + px]) % kStrong.size()]);
      std::copy(c.begin(), c.end(), im.at(px, py));
    }
  const std::vector<double> xs = x.to(kCPU).to_vector<double>();
  const std::vector<int64_t> ys = y.to(kCPU).to_vector<int64_t>();
  for (size_t i = 0; i < ys.size(); ++i) {
    const int cx = to_pixel(xs[2 * i], size), cy = to_pixel(-xs[2 * i + 1], size);
    const auto& c = kStrong[static_cast<size_t>(ys[i]) % kStrong.size()];
    for (int dy = -2; dy <= 2; ++dy)
      for (int dx = -2; dx <= 2; ++dx) {
        const int qx = cx + dx, qy = cy + dy;
        if (dx * dx + dy * dy > 5 || qx < 0 || qy < 0 || qx >= size || qy >= size) continue;
        const bool rim = dx * dx + dy * dy > 2;  // a dark outline keeps dots visible
        for (int k = 0; k < 3; ++k) im.at(qx, qy)[k] = rim ? static_cast<uint8_t>(c[k] / 2) : c[k];
      }
  }
  return im;
}

int run(int argc, char** argv) {
  CLI::App app{
      "spiral: linear classifiers (SVM, softmax) and a two-layer ReLU network on the "
      "CS231n spiral data, with decision-region pictures"};
  ex::CommonOptions common;
  Settings s;
  ex::add_common_options(app, common);
  app.add_option("--points", s.points, "points per class")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{100000}));
  app.add_option("--classes", s.classes, "number of spiral arms (classes)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{6}));
  app.add_option("--hidden", s.hidden, "hidden units of the two-layer network")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--linear-steps", s.linear_steps, "full-batch steps for each linear classifier")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--steps", s.mlp_steps, "full-batch steps for the network")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--linear-lr", s.linear_lr, "learning rate of the linear classifiers")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--lr", s.mlp_lr, "learning rate of the network")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--reg", s.reg, "L2 regularization strength (loss + reg/2 * sum of W^2)")
      ->capture_default_str()
      ->check(gpunn::cli::non_negative);
  CLI11_PARSE(app, argc, argv);
  if (common.smoke) {
    s.linear_steps = std::min<int64_t>(s.linear_steps, 20);
    s.mlp_steps = std::min<int64_t>(s.mlp_steps, 100);
  }

  ex::prepare_output_dir(common);
  const Device device = ex::resolve_device(common.device);
  std::cout << "spiral: " << ex::run_summary(device, "fp32") << "\n";
  manual_seed(common.seed);
  const data::TensorDataset d = data::spiral(s.classes, s.points, common.seed);
  const Tensor x = d.data().to(device), y = d.target().to(device);
  std::cerr << "spiral: " << s.classes << " classes x " << s.points << " points on " << device.str()
            << "\n";

  struct Model {
    const char* key;  // JSON key and file name
    const char* label;
    Loss loss;
    std::shared_ptr<nn::Module> net;
    int64_t steps;
    double lr;
    double acc = 0, loss_value = 0;
  };
  auto mlp = std::make_shared<nn::Sequential>();
  mlp->emplace<nn::Linear>(2, s.hidden);
  mlp->emplace<nn::ReLU>();
  mlp->emplace<nn::Linear>(s.hidden, s.classes);
  std::vector<Model> models = {
      {"linear_svm", "linear SVM", Loss::Hinge, std::make_shared<nn::Linear>(2, s.classes),
       s.linear_steps, s.linear_lr},
      {"linear_softmax", "linear softmax", Loss::Softmax,
       std::make_shared<nn::Linear>(2, s.classes), s.linear_steps, s.linear_lr},
      {"mlp", "2-layer net", Loss::Softmax, mlp, s.mlp_steps, s.mlp_lr},
  };

  std::vector<ex::Image> pictures;
  cli::ProfileRun profile(common.profile);  // --profile: the three trainings
  profile.start();
  for (Model& m : models) {
    small_init(*m.net);
    m.net->to(device);
    m.loss_value = train(m.label, *m.net, x, y, m.loss, m.steps, m.lr, s.reg);
    m.acc = accuracy(*m.net, x, y);
    pictures.push_back(decision_regions(*m.net, x, y, device, 240));
    const std::string path = ex::output_path(common, std::string("spiral_") + m.key + ".png");
    ex::write_png(path, pictures.back());
    std::cerr << "  " << m.label << ": training accuracy " << m.acc << ", wrote " << path << "\n";
  }
  profile.finish();
  const std::string sheet = ex::output_path(common, "spiral_regions.png");
  ex::write_png(sheet, ex::contact_sheet(pictures, 3, 6));
  std::cerr << "  wrote " << sheet << " (linear SVM | linear softmax | 2-layer net)\n";

  ex::JsonLine json;
  for (const Model& m : models) json.add(std::string(m.key) + "_acc", m.acc);
  for (const Model& m : models) json.add(std::string(m.key) + "_loss", m.loss_value);
  json.add("device", device.str()).add("smoke", common.smoke);
  std::cout << json.str() << std::endl;

  const double mlp_acc = models.back().acc;
  if (!common.smoke && mlp_acc < 0.97) {
    std::cerr << "spiral: the network reached " << mlp_acc
              << " training accuracy; expected at least 0.97\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const gpunn::Error& e) {
    std::cerr << "spiral: " << e.what() << "\n";
    return 1;
  }
}
