// spiral: the minimal neural-network case study of the CS231n notes, in C++.
//
// Three arms of 100 points each (gpunn::data::spiral) are not linearly
// separable. A linear classifier s = x·W + b, trained full-batch with the
// multiclass SVM hinge loss and with softmax cross-entropy (each + ½·reg·ΣW²),
// gets about half of them right; a two-layer network 2 → 100 → ReLU → 3 with
// the same L2 penalty separates them (≥ 97% training accuracy).
//
// Then the linear softmax classifier once more, in float64, by gradient descent and by
// Newton's method: truncated Newton, each step solving H·p = -∇L by conjugate gradients
// with Hessian-vector products (autograd::hvp, forward over reverse) and a backtracking line
// search. It compares the steps each needs to reach the other's loss and draws both
// curves (spiral_newton.png).
//
// Writes the decision regions of each model as PNG (spiral_<model>.png and the
// side-by-side spiral_regions.png) and ends with one JSON line of accuracies.
// Exits non-zero if a loss turns NaN, if Newton does not reach gradient descent's loss in
// fewer steps or, in a full run, the network stays below 97%.
#include "common/example.h"
#include "common/plot.h"

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

// ---- Newton's method on the linear softmax classifier ------------------------------------

// The linear softmax classifier's regularised loss as a function of its parameters
// θ = [W (classes x 2, row-major), b (classes)], float64.
struct SoftmaxObjective {
  Tensor x, y;
  int64_t classes;
  double reg;
  Tensor operator()(const Tensor& theta) const {
    const Tensor w = theta.narrow(0, 0, 2 * classes).reshape({classes, 2});
    const Tensor b = theta.narrow(0, 2 * classes, classes);
    return cross_entropy(linear(x, w, b), y) + (w * w).sum() * (0.5 * reg);
  }
  double value(const Tensor& theta) const {
    NoGradGuard no_grad;
    return (*this)(theta).item();
  }
  Tensor gradient(const Tensor& theta) const {
    const Tensor t = theta.detach().requires_grad_(true);
    return autograd::grad({(*this)(t)}, {t})[0];
  }
};

struct NewtonResult {
  std::vector<double> newton_losses, gd_losses;  // before step 1, then after each step
  int64_t hvps = 0;
};

// Truncated Newton: H·p = -g by conjugate gradients (at most n iterations, n = θ's size, or
// until the residual is 1e-10 of |g|), then θ += t·p with t halved from 1 until the Armijo
// condition holds. Stops at |g| < 1e-10, when no step lowers the loss any more (the minimum
// to round-off), or after max_steps.
std::vector<double> newton(const SoftmaxObjective& f, Tensor theta, int64_t max_steps,
                           int64_t* hvps) {
  std::vector<double> losses{f.value(theta)};
  const int64_t n = theta.numel();
  const autograd::ScalarFunction fn = [&f](const Tensor& t) { return f(t); };
  auto dot = [](const Tensor& a, const Tensor& b) { return (a * b).sum().item(); };
  for (int64_t step = 0; step < max_steps; ++step) {
    const Tensor g = f.gradient(theta);
    const double gnorm = std::sqrt(dot(g, g));
    if (gnorm < 1e-10) break;
    Tensor p = zeros_like(g), r = neg(g), d = r;
    double rr = dot(r, r);
    for (int64_t k = 0; k < n && std::sqrt(rr) > 1e-10 * gnorm; ++k) {
      const Tensor hd = autograd::hvp(fn, theta, d).second;
      ++*hvps;
      const double curvature = dot(d, hd);
      if (!(curvature > 0)) break;  // no descent left along d (H is positive definite here)
      const double alpha = rr / curvature;
      p = p + d * alpha;
      r = r - hd * alpha;
      const double rr_next = dot(r, r);
      d = r + d * (rr_next / rr);
      rr = rr_next;
    }
    const double slope = dot(g, p), now = losses.back();
    double t = 1.0;
    while (t > 1e-8 && f.value(theta + p * t) > now + 1e-4 * t * slope) t *= 0.5;
    const Tensor next = theta + p * t;
    const double after = f.value(next);
    if (!(after < now)) break;  // at the minimum to round-off: no step lowers the loss
    theta = next;
    losses.push_back(after);
  }
  return losses;
}

// Plain gradient descent with step lr; losses before step 1, then after each.
std::vector<double> gradient_descent(const SoftmaxObjective& f, Tensor theta, int64_t steps,
                                     double lr, double stop_below = -1e300) {
  std::vector<double> losses{f.value(theta)};
  for (int64_t step = 0; step < steps && losses.back() > stop_below; ++step) {
    theta = theta - f.gradient(theta) * lr;
    losses.push_back(f.value(theta));
  }
  return losses;
}

// The first index whose loss is at or below `target`, or -1.
int64_t steps_to(const std::vector<double>& losses, double target) {
  for (size_t i = 0; i < losses.size(); ++i)
    if (losses[i] <= target) return static_cast<int64_t>(i);
  return -1;
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

  // Newton against gradient descent on the linear softmax classifier, in float64, from the
  // same small random start.
  const SoftmaxObjective objective{x.to(kFloat64), y, s.classes, s.reg};
  Generator start_gen(common.seed + 5);
  const Tensor start =
      cat({randn({2 * s.classes}, kFloat64, &start_gen) * 0.01, zeros({s.classes}, kFloat64)}, 0)
          .to(device);
  int64_t hvps = 0;
  const std::vector<double> nt = newton(objective, start, 20, &hvps);
  const std::vector<double> gd = gradient_descent(objective, start, s.linear_steps, s.linear_lr);
  const double best = nt.back();
  const int64_t newton_to_gd = steps_to(nt, gd.back());
  // Gradient descent continued (at most 100 times as long) until within 1e-6 of Newton's loss.
  const int64_t gd_cap = 100 * s.linear_steps;
  const std::vector<double> gd_long =
      gradient_descent(objective, start, gd_cap, s.linear_lr, best + 1e-6);
  const int64_t gd_to_newton = steps_to(gd_long, best + 1e-6);
  std::cerr << "  linear softmax in float64: gradient descent " << s.linear_steps
            << " steps reach loss " << gd.back() << "; Newton (truncated, " << hvps
            << " Hessian-vector products in " << nt.size() - 1 << " steps) reaches it in "
            << newton_to_gd << " steps and converges to " << best << "; gradient descent needs "
            << (gd_to_newton < 0 ? "more than " + std::to_string(gd_cap)
                                 : std::to_string(gd_to_newton))
            << " steps to come within 1e-6 of that\n";
  {
    ex::Series a{"gradient descent", {}, {}, ex::plot_palette()[0]};
    ex::Series b{"Newton (CG on hvp)", {}, {}, ex::plot_palette()[1]};
    const int64_t shown =
        std::min<int64_t>(static_cast<int64_t>(gd_long.size()), 4 * s.linear_steps);
    for (int64_t i = 0; i < shown; ++i) {
      a.x.push_back(static_cast<double>(i));
      a.y.push_back(std::log10(std::max(gd_long[static_cast<size_t>(i)] - best, 1e-16)));
    }
    for (size_t i = 0; i < nt.size(); ++i) {
      b.x.push_back(static_cast<double>(i));
      b.y.push_back(std::log10(std::max(nt[i] - best, 1e-16)));
    }
    ex::PlotOptions po;
    po.title = "linear softmax: log10(loss - minimum)";
    po.x_label = "step";
    po.y_label = "log10 gap";
    po.x_integer = true;
    const std::string path = ex::output_path(common, "spiral_newton.png");
    ex::write_png(path, ex::line_plot({a, b}, po));
    std::cerr << "  wrote " << path << "\n";
  }

  ex::JsonLine json;
  for (const Model& m : models) json.add(std::string(m.key) + "_acc", m.acc);
  for (const Model& m : models) json.add(std::string(m.key) + "_loss", m.loss_value);
  json.add("gd_steps", s.linear_steps)
      .add("gd_loss", gd.back())
      .add("newton_steps_to_gd_loss", newton_to_gd)
      .add("newton_steps", static_cast<int64_t>(nt.size()) - 1)
      .add("newton_hvps", hvps)
      .add("newton_loss", best)
      .add("gd_steps_to_newton_loss", gd_to_newton);
  json.add("device", device.str()).add("smoke", common.smoke);
  std::cout << json.str() << std::endl;
  if (newton_to_gd < 0 || newton_to_gd >= s.linear_steps || !std::isfinite(best)) {
    std::cerr << "spiral: Newton's method did not reach gradient descent's loss " << gd.back()
              << " in fewer than " << s.linear_steps << " steps\n";
    return 1;
  }

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
