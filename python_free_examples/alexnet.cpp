// alexnet: trains models::alexnet() (gpunn/models.h: 5 convolutions, 3 fully
// connected layers, 61.1 million parameters for 1000 classes) on 224x224
// images and reports its speed and memory.
//
// Data: by default synthetic, K batches (--synthetic-batches) of images with
// N(0, 1) pixels [B, 3, 224, 224] and uniform random labels, all drawn from
// a generator seeded by --seed, visited in turn; memorizing them is all there
// is to learn, so the loss falls visibly within a few passes. With --data
// fashion, Fashion-MNIST (normalized with the training set's mean and std)
// resized to 224x224 with data::resize_bilinear and its one channel repeated
// to three, 10 classes.
//
// SGD with momentum. Reports images/s from the median step time after
// --warmup steps, the peak bytes held by tensors on the device from the first
// step on (the CUDA caching allocator's peak allocated bytes on a GPU, the
// host allocator's on the CPU: gpunn::memory_stats), the most a step held beyond
// what it began with (activations, gradients, workspaces), what forward kept for
// backward (the saved activations), and the final loss.
// --checkpoint K recomputes instead of storing: the model runs in segments of K
// modules, each but the last under autograd::checkpoint (the same gradients for
// one more forward); --checkpoint-count N recomputes only the first N segments.
// The last output line is one JSON object: images_per_s,
// peak_device_bytes, peak_step_bytes, forward_bytes, final_loss, batch, steps, device,
// precision, checkpoint. Writes the loss per step as alexnet_loss.png into --out.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/example.h"
#include "common/plot.h"

namespace gx = gpunn::examples;
using namespace gpunn;

namespace {

struct Options {
  gx::CommonOptions common;
  std::string data = "synthetic";
  std::string data_dir;
  int64_t batch = 0;        // 0: 128 on a GPU, 8 on the CPU, 2 in smoke mode
  int64_t steps = 0;        // 0: 100 on a GPU, 20 on the CPU, 2 in smoke mode
  int64_t warmup = 3;       // steps left out of the timing (at most steps - 1)
  int64_t num_classes = 0;  // 0: 1000 synthetic, 10 Fashion-MNIST
  int64_t synthetic_batches = 4;
  double lr = 0.01;
  double momentum = 0.9;
  double dropout = 0.5;
  std::string impl = "auto";
  std::string precision = "fp32";
  int64_t checkpoint = 0;        // Sequential::checkpoint_segments (0: store every activation)
  int64_t checkpoint_count = 0;  // how many of the first segments (0: all but the last)
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Batches for training: a fixed synthetic set visited in turn, or Fashion-MNIST
// through a shuffling loader, epoch after epoch.
class Batches {
 public:
  Batches(const Options& o, Device device) : device_(device), synthetic_(o.data == "synthetic") {
    if (synthetic_) {
      Generator g(o.common.seed);
      const TensorOptions f32 = TensorOptions(kFloat32).device(device);
      for (int64_t k = 0; k < o.synthetic_batches; ++k) {
        x_.push_back(randn({o.batch, 3, 224, 224}, f32, &g));
        y_.push_back(
            randint(0, o.num_classes, {o.batch}, TensorOptions(kInt64).device(device), &g));
      }
      return;
    }
    std::string dir = o.data_dir;
    if (dir.empty()) {
      const auto found = data::find_fashion_mnist();
      GPUNN_CHECK(found.has_value(),
                  "--data fashion: Fashion-MNIST not found; install Debian's "
                  "dataset-fashion-mnist, set GPUNN_FASHION_MNIST_DIR or pass --data-dir DIR");
      dir = *found;
    }
    data::TensorDataset raw = data::load_fashion_mnist(dir, data::Split::Train);
    if (o.common.smoke) {  // the first 256 images: a few steps need no more
      std::vector<int64_t> idx(static_cast<size_t>(std::min<int64_t>(256, raw.size())));
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
      raw = raw.subset(idx);
    }
    const data::Normalize normalize = data::Normalize::fit_per_channel(raw.data());
    std::cout << "Fashion-MNIST from " << dir << ": " << raw.size()
              << " training images, normalized with mean " << normalize.mean().item() << " and std "
              << normalize.std().item() << ", resized to 224x224 on " << device.str() << "\n";
    loader_ =
        std::make_unique<data::DataLoader>(data::TensorDataset(normalize(raw.data()), raw.target()),
                                           data::DataLoaderOptions{.batch_size = o.batch,
                                                                   .shuffle = true,
                                                                   .drop_last = true,
                                                                   .seed = o.common.seed,
                                                                   .device = device});
    GPUNN_CHECK(loader_->num_batches() >= 1, "--batch ", o.batch, " is larger than the ",
                raw.size(), " training images");
  }

  // The next (images [B, 3, 224, 224], labels [B]) on the device.
  std::pair<Tensor, Tensor> next() {
    if (synthetic_) {
      const size_t k = next_++ % x_.size();
      return {x_[k], y_[k]};
    }
    data::Batch b;
    if (!started_ || !loader_->next(b)) {  // the next epoch
      loader_->start_epoch();
      started_ = true;
      GPUNN_CHECK(loader_->next(b), "the loader gave an empty epoch");
    }
    const int64_t n = b.size();
    const Tensor x = data::resize_bilinear(b.data, 224, 224).expand({n, 3, 224, 224}).contiguous();
    return {x, b.target};
  }

 private:
  Device device_;
  bool synthetic_;
  std::vector<Tensor> x_, y_;
  size_t next_ = 0;
  std::unique_ptr<data::DataLoader> loader_;
  bool started_ = false;
};

int run(Options& o) {
  gx::prepare_output_dir(o.common);
  const Device device = gx::resolve_device(o.common.device);
  set_impl(parse_impl(o.impl));
  cli::apply_precision(o.precision);
  const bool gpu = device.is_cuda();
  if (o.batch == 0) o.batch = o.common.smoke ? 2 : (gpu ? 128 : 8);
  if (o.steps == 0) o.steps = o.common.smoke ? 2 : (gpu ? 100 : 20);
  if (o.num_classes == 0) o.num_classes = o.data == "fashion" ? 10 : 1000;
  GPUNN_CHECK(o.data != "fashion" || o.num_classes >= 10,
              "--num-classes must be at least 10 for Fashion-MNIST's labels, got ", o.num_classes);
  const int64_t warmup = std::min(o.warmup, o.steps - 1);
  // The final loss averages one pass over the synthetic set (or 10 steps).
  const int64_t window = std::min(o.steps, o.data == "synthetic" ? o.synthetic_batches : 10);

  std::cout << "alexnet: " << o.data << " data, batch " << o.batch << ", " << o.steps << " steps ("
            << warmup << " warm-up), " << o.num_classes << " classes, on " << device.str()
            << "\nalexnet: " << gx::run_summary(device, o.precision) << "\n";
  Batches batches(o, device);
  manual_seed(o.common.seed);
  std::shared_ptr<nn::Sequential> net = models::alexnet(o.num_classes, o.dropout);
  net->to(device);
  net->checkpoint_segments(
      static_cast<size_t>(o.checkpoint),
      o.checkpoint_count > 0 ? static_cast<size_t>(o.checkpoint_count) : SIZE_MAX);
  std::cout << "parameters: " << net->num_parameters() << "\n";
  if (o.checkpoint > 0) {
    std::cout << "recompute: segments of " << o.checkpoint << " modules, "
              << (o.checkpoint_count > 0 ? "the first " + std::to_string(o.checkpoint_count)
                                         : std::string("each but the last"))
              << " recomputed in backward\n";
  }
  optim::SGD opt(net->parameters(), {.lr = o.lr, .momentum = o.momentum});
  nn::CrossEntropyLoss criterion;
  optim::GradScaler scaler(cli::scaler_options(o.precision));

  // The peaks are taken per step (reset at its start), so the step's own need, beyond the
  // parameters, gradients and optimizer state it starts with, can be told apart.
  int64_t peak_bytes = 0, peak_reserved = 0, peak_step_bytes = 0;
  int64_t forward_bytes = 0;  // kept by forward for backward (the saved activations)
  std::vector<double> losses, seconds;
  gx::Progress bar("alexnet", o.steps, "steps");
  cli::ProfileRun profile(o.common.profile);  // --profile: the training steps
  profile.start();
  for (int64_t step = 1; step <= o.steps; ++step) {
    const profiler::Range step_range("step");
    const auto t0 = std::chrono::steady_clock::now();
    const auto [x, y] = batches.next();
    opt.zero_grad();
    reset_peak_memory_stats(device);
    const int64_t held_at_start = memory_stats(device).allocated_bytes;
    Tensor loss;
    {
      autocast::Guard amp(cli::autocast_dtype(o.precision), cli::uses_autocast(o.precision));
      loss = criterion((*net)(x), y);
    }
    forward_bytes = std::max(forward_bytes, memory_stats(device).allocated_bytes - held_at_start);
    scaler.scale(loss).backward();
    scaler.step(opt);
    scaler.update();
    const double l = loss.item();  // waits for the device: the step is done
    const MemoryStats step_mem = memory_stats(device);
    peak_bytes = std::max(peak_bytes, step_mem.peak_allocated_bytes);
    peak_reserved = std::max(peak_reserved, step_mem.peak_reserved_bytes);
    peak_step_bytes = std::max(peak_step_bytes, step_mem.peak_allocated_bytes - held_at_start);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    GPUNN_CHECK(std::isfinite(l), "the loss became ", l, " at step ", step, "; try a smaller --lr");
    losses.push_back(l);
    std::ostringstream st;
    st << "loss " << std::fixed << std::setprecision(3) << l << ", " << std::setprecision(1)
       << static_cast<double>(o.batch) / seconds.back() << " img/s";
    bar.update(step, st.str());
  }
  bar.finish();

  const std::vector<double> timed(seconds.begin() + warmup, seconds.end());
  const double images_per_s = static_cast<double>(o.batch) / median(timed);
  auto mean = [](auto first, auto last) {
    double s = 0;
    for (auto it = first; it != last; ++it) s += *it;
    return s / static_cast<double>(last - first);
  };
  const double first_loss = mean(losses.begin(), losses.begin() + window);
  const double final_loss = mean(losses.end() - window, losses.end());
  std::cout << "loss " << first_loss << " over the first " << window << " steps, " << final_loss
            << " over the last " << window << "; " << images_per_s << " images/s (median of "
            << timed.size() << " steps after " << warmup << " warm-up); peak "
            << static_cast<double>(peak_bytes) / (1 << 20) << " MiB held by tensors"
            << (gpu ? " (" + std::to_string(peak_reserved >> 20) + " MiB reserved)" : "") << ", "
            << static_cast<double>(peak_step_bytes) / (1 << 20)
            << " MiB of it by the step (activations, gradients, workspaces); forward kept "
            << static_cast<double>(forward_bytes) / (1 << 20) << " MiB for backward\n";

  gx::Series curve{"loss", {}, losses, gx::plot_palette()[0]};
  for (size_t i = 0; i < losses.size(); ++i) curve.x.push_back(static_cast<double>(i + 1));
  gx::PlotOptions po;
  po.title = "AlexNet loss, " + o.data + ", batch " + std::to_string(o.batch);
  po.x_label = "step";
  po.x_integer = true;
  const std::string png = gx::output_path(o.common, "alexnet_loss.png");
  gx::write_png(png, gx::line_plot({curve}, po));
  std::cout << "wrote " << png << "\n";

  profile.finish();
  gx::JsonLine json;
  json.add("images_per_s", images_per_s)
      .add("peak_device_bytes", peak_bytes)
      .add("peak_step_bytes", peak_step_bytes)
      .add("forward_bytes", forward_bytes)
      .add("final_loss", final_loss)
      .add("batch", o.batch)
      .add("steps", o.steps)
      .add("device", device.str())
      .add("precision", o.precision)
      .add("checkpoint", o.checkpoint)
      .add("checkpoint_count", o.checkpoint_count);
  std::cout << json.str() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "alexnet: trains AlexNet on synthetic 224x224 images (or Fashion-MNIST resized to "
      "224x224) and reports images/s, peak device memory and the loss"};
  Options o;
  gx::add_common_options(app, o.common);
  app.add_option("--data", o.data, "synthetic (random images and labels) or fashion")
      ->check(CLI::IsMember({"synthetic", "fashion"}))
      ->capture_default_str();
  app.add_option("--data-dir", o.data_dir,
                 "folder of the Fashion-MNIST files (default: $GPUNN_FASHION_MNIST_DIR or "
                 "/usr/share/datasets/fashion-mnist)");
  app.add_option("--batch", o.batch, "batch size (default: 128 on a GPU, 8 on the CPU, smoke 2)")
      ->check(gpunn::cli::positive);
  app.add_option("--steps", o.steps,
                 "training steps (default: 100 on a GPU, 20 on the CPU, smoke 2)")
      ->check(gpunn::cli::positive);
  app.add_option("--warmup", o.warmup, "steps left out of the timing (at most steps - 1)")
      ->capture_default_str()
      ->check(gpunn::cli::non_negative);
  app.add_option("--num-classes", o.num_classes, "classes (default: 1000 synthetic, 10 fashion)")
      ->check(gpunn::cli::positive);
  app.add_option("--synthetic-batches", o.synthetic_batches,
                 "K: the synthetic set is K batches, visited in turn")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--lr", o.lr, "SGD learning rate")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--momentum", o.momentum, "SGD momentum")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999));
  app.add_option("--dropout", o.dropout, "drop probability of the two dropout layers")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  cli::add_precision_option(app, o.precision);
  app.add_option("--checkpoint,--recompute", o.checkpoint,
                 "recompute instead of store: run the model in segments of K modules, each but "
                 "the last recomputed in backward (0: store every activation)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--checkpoint-count", o.checkpoint_count,
                 "with --checkpoint: recompute only the first N segments, where a CNN keeps its "
                 "largest activations for the least arithmetic (0: all but the last)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--impl", o.impl,
                 "op implementations: auto (vendor libraries where they exist), custom "
                 "(gpunn's own kernels) or vendor (gpunn/config.h)")
      ->check(CLI::IsMember({"auto", "custom", "vendor"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "alexnet: " << e.what() << "\n";
    return 1;
  }
}
