// deep_mlp: how deep a network trains in a fixed memory budget, storing every
// activation and recomputing them.
//
// Backpropagation keeps every intermediate of the forward sweep until backward reads
// it, so memory bounds depth. The model: Linear(2, W), then D residual blocks
// x + Linear(ReLU(BatchNorm1d(x))), then BatchNorm1d, ReLU and Linear(W, 3), trained with
// SGD (momentum 0.9) on the spiral data (3 arms, data::spiral). For each mode (stored; recompute,
// with the blocks run in segments of about sqrt(D) blocks under autograd::checkpoint) it finds the
// largest D whose estimated step peak (memory::estimate: a training step on meta tensors)
// fits --budget, then trains that model for --steps steps on the device under
// set_memory_limit(device, budget), so the budget is enforced, not just predicted, and
// reports the estimate next to the measured peak, the step time and the loss. It then
// shows that the recompute depth does not fit without recompute: the estimate says so,
// and one real step under the limit ends in the typed out-of-memory error.
//
// The last output line is one JSON object: budget_bytes, batch, width, and per mode
// depth, estimated_peak, measured_peak, step_ms, first_loss, final_loss; depth_ratio,
// time_ratio (recompute's step time over stored's, per block), stored_oom_at_recompute_depth.
// Exits non-zero when recompute does not reach a deeper network or a measured peak is
// more than 10% off its estimate.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/example.h"

namespace gx = gpunn::examples;
using namespace gpunn;

namespace {

struct Options {
  gx::CommonOptions common;
  double budget_mib = 0;  // 0: 256 (smoke 12)
  int64_t width = 0;      // 0: 256 (smoke 64)
  int64_t batch = 0;      // 0: 1024 (smoke 256)
  int64_t steps = 0;      // 0: 20 (smoke 4)
  double lr = 0.01;
};

// A pre-activation residual block, x + Linear(ReLU(BatchNorm(x))) (He et al., "Identity
// Mappings in Deep Residual Networks", 2016): the form that trains at hundreds of layers
// (a plain stack of Linear, BatchNorm and ReLU blows its gradients up long before).
class Block : public nn::Module {
 public:
  explicit Block(int64_t width) : Module("Block") {
    bn = register_module("bn", std::make_shared<nn::BatchNorm1d>(width));
    fc = register_module("fc", std::make_shared<nn::Linear>(width, width));
  }
  Tensor forward(const Tensor& x) override { return x + (*fc)(relu((*bn)(x))); }
  std::shared_ptr<nn::BatchNorm1d> bn;
  std::shared_ptr<nn::Linear> fc;
};

std::shared_ptr<nn::Sequential> deep_mlp(int64_t depth, int64_t width, bool recompute) {
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Linear>(2, width);
  for (int64_t i = 0; i < depth; ++i) net->emplace<Block>(width);
  net->emplace<nn::BatchNorm1d>(width);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(width, 3);
  if (recompute) {
    // Segments of about sqrt(D) blocks: about 2 sqrt(D) blocks' activations at once
    // (Chen et al. 2016), for one more forward of all but the last segment.
    net->checkpoint_segments(
        static_cast<size_t>(std::max<double>(1.0, std::round(std::sqrt(depth)))));
  }
  return net;
}

int64_t estimated_peak(int64_t depth, const Options& o, bool recompute, Device device) {
  manual_seed(o.common.seed);
  auto net = deep_mlp(depth, o.width, recompute);
  return memory::estimate(*net, Shape{o.batch, 2}, {.device = device, .optimizer = "momentum"})
      .peak;
}

// The largest depth whose estimate fits the budget (0 when not even depth 1 does).
int64_t deepest(const Options& o, bool recompute, Device device, int64_t budget) {
  auto fits = [&](int64_t d) { return estimated_peak(d, o, recompute, device) <= budget; };
  if (!fits(1)) return 0;
  int64_t lo = 1, hi = 2;
  while (fits(hi)) lo = hi, hi *= 2;  // lo fits, hi does not
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

struct Run {
  int64_t depth = 0, estimated = 0, measured = 0;
  double step_ms = 0, first_loss = 0, final_loss = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Trains `depth` blocks for o.steps steps under the memory limit; the measured peak
// is the most held beyond what was held before the model existed.
Run train(int64_t depth, const Options& o, bool recompute, Device device, int64_t budget,
          const Tensor& x, const Tensor& y) {
  Run r;
  r.depth = depth;
  r.estimated = estimated_peak(depth, o, recompute, device);
  const int64_t base = memory_stats(device).allocated_bytes;
  set_memory_limit(device, base + budget);
  struct Unlimit {
    Device d;
    ~Unlimit() { set_memory_limit(d, 0); }
  } unlimit{device};
  manual_seed(o.common.seed);
  auto net = deep_mlp(depth, o.width, recompute);
  net->to(device);
  optim::SGD opt(net->parameters(), {.lr = o.lr, .momentum = 0.9});
  reset_peak_memory_stats(device);
  std::vector<double> ms, losses;
  for (int64_t step = 0; step < o.steps; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    Tensor loss = cross_entropy((*net)(x), y);
    loss.backward();
    opt.step();
    opt.zero_grad();
    losses.push_back(loss.item());  // waits for the device
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  r.measured = memory_stats(device).peak_allocated_bytes - base;
  r.step_ms = median(std::vector<double>(ms.begin() + (ms.size() > 2 ? 1 : 0), ms.end()));
  r.first_loss = losses.front();
  r.final_loss = losses.back();
  return r;
}

std::string mib(int64_t b) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << static_cast<double>(b) / (1 << 20) << " MiB";
  return os.str();
}

int run(Options o) {
  gx::prepare_output_dir(o.common);
  const Device device = gx::resolve_device(o.common.device);
  const bool smoke = o.common.smoke;
  if (o.budget_mib == 0) o.budget_mib = smoke ? 12 : 256;
  if (o.width == 0) o.width = smoke ? 64 : 256;
  if (o.batch == 0) o.batch = smoke ? 256 : 1024;
  if (o.steps == 0) o.steps = smoke ? 4 : 20;
  const auto budget = static_cast<int64_t>(o.budget_mib * (1 << 20));

  data::TensorDataset spiral = data::spiral(3, o.batch / 3 + 1, o.common.seed);
  const Tensor x = spiral.data().narrow(0, 0, o.batch).to(device);
  const Tensor y = spiral.target().narrow(0, 0, o.batch).to(device);
  std::cout << "deep_mlp: budget " << mib(budget) << ", residual blocks x + Linear(" << o.width
            << ", " << o.width << ")(ReLU(BatchNorm1d(x))), batch " << o.batch << ", on "
            << device.str() << "\n";

  Run stored, recomputed;
  for (bool recompute : {false, true}) {
    const int64_t depth = deepest(o, recompute, device, budget);
    GPUNN_CHECK(depth > 0, "deep_mlp: not even one block fits in ", mib(budget),
                "; raise --budget or lower --batch/--width");
    Run r = train(depth, o, recompute, device, budget, x, y);
    std::cout << (recompute ? "recompute: " : "stored:    ") << std::setw(4) << r.depth
              << " blocks; peak estimated " << mib(r.estimated) << ", measured " << mib(r.measured)
              << "; " << std::fixed << std::setprecision(1) << r.step_ms << " ms per step; loss "
              << std::setprecision(3) << r.first_loss << " -> " << r.final_loss << "\n";
    (recompute ? recomputed : stored) = r;
  }

  // The recompute depth, storing every activation: predicted not to fit, and refused.
  const int64_t needed = estimated_peak(recomputed.depth, o, false, device);
  bool refused = false;
  {
    const int64_t base = memory_stats(device).allocated_bytes;
    set_memory_limit(device, base + budget);
    try {
      manual_seed(o.common.seed);
      auto net = deep_mlp(recomputed.depth, o.width, false);
      net->to(device);
      optim::SGD opt(net->parameters(), {.lr = o.lr, .momentum = 0.9});
      for (int step = 0; step < 2; ++step) {  // the second with the momentum buffers
        cross_entropy((*net)(x), y).backward();
        opt.step();
        opt.zero_grad();
      }
    } catch (const OutOfMemoryError& e) {
      refused = true;
      std::cout << "stored at " << recomputed.depth << " blocks: estimated " << mib(needed)
                << ", over the budget; one step under the limit: " << e.what() << "\n";
    }
    set_memory_limit(device, 0);
  }

  const double depth_ratio =
      static_cast<double>(recomputed.depth) / static_cast<double>(stored.depth);
  const double time_ratio = (recomputed.step_ms / static_cast<double>(recomputed.depth)) /
                            (stored.step_ms / static_cast<double>(stored.depth));
  std::cout << "recompute trains " << std::setprecision(2) << depth_ratio
            << "x as deep in the same memory, at " << time_ratio << "x the time per block\n";

  gx::JsonLine json;
  json.add("budget_bytes", budget).add("batch", o.batch).add("width", o.width);
  for (const auto& [name, r] : {std::pair<std::string, Run>{"stored", stored},
                                std::pair<std::string, Run>{"recompute", recomputed}}) {
    json.add(name + "_depth", r.depth)
        .add(name + "_estimated_peak", r.estimated)
        .add(name + "_measured_peak", r.measured)
        .add(name + "_step_ms", r.step_ms)
        .add(name + "_first_loss", r.first_loss)
        .add(name + "_final_loss", r.final_loss);
  }
  json.add("depth_ratio", depth_ratio)
      .add("time_ratio", time_ratio)
      .add("stored_oom_at_recompute_depth", refused)
      .add("device", device.str());
  std::cout << json.str() << std::endl;

  bool ok = recomputed.depth > stored.depth && refused;
  for (const Run& r : {stored, recomputed}) {
    const double ratio = static_cast<double>(r.estimated) / static_cast<double>(r.measured);
    if (ratio < 0.9 || ratio > 1.1) {
      std::cerr << "deep_mlp: estimate " << r.estimated << " vs measured " << r.measured
                << " bytes at depth " << r.depth << ": more than 10% apart\n";
      ok = false;
    }
    if (!std::isfinite(r.final_loss)) ok = false;
  }
  if (!ok) std::cerr << "deep_mlp: the run did not show what it should (see above)\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "deep_mlp: the deepest MLP that trains in a memory budget, storing activations and "
      "recomputing them, with the memory estimate next to the measured peak"};
  Options o;
  gx::add_common_options(app, o.common);
  app.add_option("--budget", o.budget_mib, "memory budget in MiB (default 256, smoke 12)")
      ->check(CLI::PositiveNumber);
  app.add_option("--width", o.width, "units per hidden layer (default 256, smoke 64)")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", o.batch, "batch size (default 1024, smoke 256)")
      ->check(CLI::PositiveNumber);
  app.add_option("--steps", o.steps, "training steps per model (default 20, smoke 4)")
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", o.lr, "SGD learning rate")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "deep_mlp: " << e.what() << "\n";
    return 1;
  }
}
