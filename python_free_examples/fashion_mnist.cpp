// fashion_mnist: trains a CNN or an MLP (gpunn/models.h) on Fashion-MNIST.
//
// The protocol: 10% of the training set (a seeded split) is held out for
// validation; normalization statistics come from the remaining training images
// only. Each epoch reports train loss and accuracy and validation accuracy, and
// the weights of the epoch with the best validation accuracy are kept: they
// are the model tested. The test set is touched once, at the end, and its
// accuracy comes with a bootstrap 95% confidence interval.
//
// Writes into --out: metrics.csv (one row per epoch), learning_curves.png,
// confusion_matrix.{csv,png} (test set), checkpoint.safetensors (every epoch:
// model, optimizer, schedule, epoch, step, RNG and the history so far) and
// best_model.safetensors (the chosen weights). --resume continues from a
// checkpoint and gives bit for bit the result of a run never stopped; it restores the
// run's settings (model, batch, epochs, lr, momentum, weight decay, validation share,
// precision, seed, smoke) and writes next to the checkpoint unless --out is given, and a
// setting given with another value is an error naming both. Ctrl-C (SIGINT) or SIGTERM
// finishes the current step, writes a checkpoint from inside the epoch and prints the
// command that continues. --recompute K (also --checkpoint K) trades compute for
// memory: the model runs in segments of K modules, each but the last recomputed in
// backward instead of storing its activations (autograd::checkpoint); the results are
// the same bit for bit, so it is not part of the run's settings. The last output line
// is one JSON object of the metrics.
#include <gpunn/gpunn.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "common/example.h"
#include "common/plot.h"

namespace gx = gpunn::examples;
using namespace gpunn;

namespace {

struct Options {
  gx::CommonOptions common;
  std::string model = "cnn";
  int64_t epochs = 0;  // 0: the model's default
  int64_t stop_after = 0;
  int64_t batch = 64;
  double lr = 0;  // 0: the model's default
  double momentum = 0.9;
  double weight_decay = 5e-4;
  double val_fraction = 0.1;
  std::string data_dir;
  std::string resume;
  bool test_each_epoch = false;
  std::string precision = "fp32";
  int64_t recompute = 0;  // Sequential::checkpoint_segments (0: store every activation)
  int64_t bagging = 0;    // K > 0: K members on bootstrap resamples (run_bagging)
  // Testing hook (hidden option): raise SIGINT after this many steps, as a user's Ctrl-C would.
  int64_t raise_sigint_at_step = 0;
  // The recipe options given on the command line (an option --resume must not overrule).
  std::set<std::string> given;
  std::string program;  // argv[0], for the command that continues an interrupted run
};

// SIGINT and SIGTERM: the step in flight finishes, a checkpoint is written and the command
// that continues is printed (a second signal ends the program at once).
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int signal) {
  g_interrupted.store(true);
  std::signal(signal, SIG_DFL);
}

// The shortest text that reads back as exactly `v` (std::to_chars): 0.05, not 0.05000...3.
std::string exact(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}
template <typename T>
std::string exact(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// The settings that make a run, saved in the checkpoint as "name=value" lines so that
// --resume alone restores them (doubles in their shortest exact form).
std::string encode_recipe(const Options& o) {
  std::ostringstream os;
  os << "model=" << o.model << "\nbatch=" << o.batch << "\nepochs=" << o.epochs
     << "\nlr=" << exact(o.lr) << "\nmomentum=" << exact(o.momentum)
     << "\nweight-decay=" << exact(o.weight_decay) << "\nval-fraction=" << exact(o.val_fraction)
     << "\nprecision=" << o.precision << "\nseed=" << o.common.seed
     << "\nsmoke=" << (o.common.smoke ? 1 : 0) << "\n";
  return os.str();
}

// The recipe a checkpoint holds. Checkpoints written before recipes existed name their model,
// batch and epochs (and were float32 runs): those settings are restored and checked the same way.
std::string saved_recipe(const std::map<std::string, std::string>& metadata) {
  const auto recipe = metadata.find("fashion_mnist.recipe");
  if (recipe != metadata.end()) return recipe->second;
  std::string legacy = "precision=fp32\n";
  for (const char* key : {"model", "batch", "epochs"}) {
    const auto it = metadata.find(std::string("fashion_mnist.") + key);
    if (it != metadata.end()) legacy += std::string(key) + "=" + it->second + "\n";
  }
  return legacy;
}

// Takes each setting of the checkpoint's recipe unless the command line gave it; one given
// with another value is an error naming both (the run's settings are the checkpoint's).
void restore_recipe(Options& o, const std::string& recipe, const std::string& path) {
  std::istringstream is(recipe);
  for (std::string line; std::getline(is, line);) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), saved = line.substr(eq + 1);
    const bool given = o.given.count("--" + key) > 0;
    auto take = [&](auto& field) {
      std::istringstream v(saved);
      std::decay_t<decltype(field)> value{};
      v >> value;
      GPUNN_CHECK(!v.fail(), "--resume ", path, ": unreadable setting ", line);
      GPUNN_CHECK(!given || field == value, "--", key, " ", exact(field),
                  " differs from the checkpoint's ", saved,
                  " (--resume continues the run with its own settings: leave --", key, " out)");
      field = value;
    };
    if (key == "model") take(o.model);
    if (key == "batch") take(o.batch);
    if (key == "epochs") take(o.epochs);
    if (key == "lr") take(o.lr);
    if (key == "momentum") take(o.momentum);
    if (key == "weight-decay") take(o.weight_decay);
    if (key == "val-fraction") take(o.val_fraction);
    if (key == "precision") take(o.precision);
    if (key == "seed") take(o.common.seed);
    if (key == "smoke") {
      const bool was = saved == "1";
      GPUNN_CHECK(!given || o.common.smoke == was, "--smoke differs from the checkpoint (",
                  was ? "a smoke run" : "a full run", ")");
      o.common.smoke = was;
    }
  }
}

// One row of metrics.csv.
struct EpochRow {
  int64_t epoch = 0;
  double lr = 0, train_loss = 0, train_acc = 0, val_acc = 0, test_acc = NAN, seconds = 0;
};

// The run's history and the chosen epoch, carried across --resume in the
// checkpoint's metadata.
struct History {
  std::vector<EpochRow> rows;
  int64_t best_epoch = 0;
  double best_val_acc = -1;
  double train_seconds = 0;
  int64_t train_images = 0;
};

std::string encode_history(const History& h) {
  std::ostringstream os;
  os << std::setprecision(17) << h.best_epoch << " " << h.best_val_acc << " " << h.train_seconds
     << " " << h.train_images << "\n";
  for (const EpochRow& r : h.rows)
    os << r.epoch << " " << r.lr << " " << r.train_loss << " " << r.train_acc << " " << r.val_acc
       << " " << r.test_acc << " " << r.seconds << "\n";
  return os.str();
}

History decode_history(const std::string& text, const std::string& path) {
  std::istringstream is(text);
  History h;
  is >> h.best_epoch >> h.best_val_acc >> h.train_seconds >> h.train_images;
  GPUNN_CHECK(!is.fail(), "", path, " has an unreadable history");
  std::string line;
  std::getline(is, line);
  while (std::getline(is, line)) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    EpochRow r;
    std::string test;
    ls >> r.epoch >> r.lr >> r.train_loss >> r.train_acc >> r.val_acc >> test >> r.seconds;
    GPUNN_CHECK(!ls.fail(), "", path, " has an unreadable history row: ", line);
    r.test_acc = test == "nan" ? NAN : std::stod(test);
    h.rows.push_back(r);
  }
  return h;
}

StateDict clone_state(const StateDict& s) {
  StateDict out;
  for (const auto& [name, t] : s) out.insert(name, t.detach().clone());
  return out;
}

// Predicted classes for every image of x, in eval mode without autograd.
std::vector<int64_t> predict(nn::Module& model, const Tensor& x, Device device,
                             const std::string& precision) {
  NoGradGuard no_grad;
  // Evaluated in the precision it trains in.
  autocast::Guard amp(cli::autocast_dtype(precision), cli::uses_autocast(precision));
  const bool was_training = model.is_training();
  model.eval();
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(x.shape()[0]));
  constexpr int64_t kChunk = 1000;
  for (int64_t i = 0; i < x.shape()[0]; i += kChunk) {
    const int64_t n = std::min(kChunk, x.shape()[0] - i);
    const Tensor logits = model(x.narrow(0, i, n).contiguous().to(device));
    const std::vector<int64_t> p = argmax(logits, 1).to(kCPU).to_vector<int64_t>();
    out.insert(out.end(), p.begin(), p.end());
  }
  model.train(was_training);
  return out;
}

double accuracy(const std::vector<int64_t>& pred, const std::vector<int64_t>& label) {
  int64_t right = 0;
  for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == label[i];
  return pred.empty() ? NAN : static_cast<double>(right) / static_cast<double>(pred.size());
}

// Class probabilities [n, 10] on the CPU for every image of x (a classifier's softmax, or
// an Ensemble's own average), in eval mode without autograd, in chunks.
Tensor probabilities(nn::Module& model, const Tensor& x, Device device,
                     const std::string& precision, bool already_probabilities) {
  NoGradGuard no_grad;
  autocast::Guard amp(cli::autocast_dtype(precision), cli::uses_autocast(precision));
  const bool was_training = model.is_training();
  model.eval();
  std::vector<Tensor> parts;
  constexpr int64_t kChunk = 1000;
  for (int64_t i = 0; i < x.shape()[0]; i += kChunk) {
    const int64_t n = std::min(kChunk, x.shape()[0] - i);
    Tensor out = model(x.narrow(0, i, n).contiguous().to(device)).to(kFloat32);
    parts.push_back((already_probabilities ? out : softmax(out, 1)).to(kCPU));
  }
  model.train(was_training);
  return cat(parts, 0);
}

// Per-example correctness (1 or 0) of the most probable class.
std::vector<double> correct_of(const Tensor& probs, const std::vector<int64_t>& label) {
  const std::vector<int64_t> pred = argmax(probs, 1).to_vector<int64_t>();
  std::vector<double> c(pred.size());
  for (size_t i = 0; i < pred.size(); ++i) c[i] = pred[i] == label[i] ? 1.0 : 0.0;
  return c;
}

// --bagging K: K members, each trained from its own initial weights on its own bootstrap
// resample of the training split with the run's recipe (SGD with Nesterov momentum,
// warmup-cosine schedule, --epochs), combined by nn::Ensemble (their probabilities
// averaged). Reports each member's and the ensemble's test accuracy with bootstrap 95%
// intervals, and the out-of-bag estimate: each training image classified by the members
// that never saw it, which estimates the ensemble's accuracy without touching the test set.
int run_bagging(const Options& o, Device device, const data::TensorDataset& train,
                const Tensor& test_x, const std::vector<int64_t>& test_y) {
  const bool cnn = o.model == "cnn";
  const int64_t n = train.size();
  const std::vector<int64_t> train_y = train.target().to_vector<int64_t>();
  nn::Ensemble ensemble;
  std::vector<double> oob_sum(static_cast<size_t>(n) * 10, 0.0);
  std::vector<int64_t> oob_votes(static_cast<size_t>(n), 0);
  std::vector<double> member_acc;
  gx::JsonLine json;
  json.add("example", "fashion_mnist").add("model", o.model).add("precision", o.precision);
  json.add("bagging", o.bagging);
  for (int64_t k = 0; k < o.bagging; ++k) {
    const data::BootstrapSample bs = data::bootstrap_sample(n, o.common.seed, k);
    const data::TensorDataset resample = train.subset(bs.indices);
    manual_seed(o.common.seed + static_cast<uint64_t>(k) + 1);  // its own initial weights
    std::shared_ptr<nn::Sequential> member = cnn ? models::fashion_cnn() : models::fashion_mlp();
    member->to(device);
    data::DataLoader loader(resample, {.batch_size = o.batch,
                                       .shuffle = true,
                                       .seed = o.common.seed + static_cast<uint64_t>(k),
                                       .device = device});
    const int64_t steps_per_epoch = loader.num_batches();
    optim::SGD opt(member->parameters(), {.lr = o.lr,
                                          .momentum = o.momentum,
                                          .weight_decay = o.weight_decay,
                                          .nesterov = o.momentum > 0});
    optim::WarmupCosineLR sched(opt, steps_per_epoch / 2, o.epochs * steps_per_epoch);
    optim::GradScaler scaler(cli::scaler_options(o.precision));
    gx::Progress bar("member " + std::to_string(k + 1) + "/" + std::to_string(o.bagging),
                     o.epochs * steps_per_epoch, "steps");
    int64_t step = 0;
    double last_loss = 0;
    for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
      loader.set_epoch(epoch);
      member->train();
      for (data::Batch& b : loader) {
        Tensor loss;
        {
          autocast::Guard amp(cli::autocast_dtype(o.precision), cli::uses_autocast(o.precision));
          loss = cross_entropy((*member)(b.data), b.target);
        }
        opt.zero_grad();
        scaler.scale(loss).backward();
        scaler.step(opt);
        scaler.update();
        sched.step();
        last_loss = loss.item();
        GPUNN_CHECK(std::isfinite(last_loss), "the loss of member ", k + 1, " became ", last_loss,
                    "; try a smaller --lr");
        bar.update(++step, "loss " + std::to_string(last_loss));
      }
    }
    bar.finish();
    const Tensor p = probabilities(*member, test_x, device, o.precision, false);
    const data::ConfidenceInterval ci =
        data::bootstrap_ci(correct_of(p, test_y), 1000, 0.95, o.common.seed);
    member_acc.push_back(ci.estimate);
    std::cout << "member " << k + 1 << ": trained on " << n << " draws (" << bs.out_of_bag.size()
              << " images out of bag), test accuracy " << std::fixed << std::setprecision(4)
              << ci.estimate << " [" << ci.lower << ", " << ci.upper << "]\n";
    if (!bs.out_of_bag.empty()) {
      const Tensor idx = tensor_from(bs.out_of_bag, {static_cast<int64_t>(bs.out_of_bag.size())});
      const std::vector<float> oob_p =
          probabilities(*member, index_select(train.data(), 0, idx), device, o.precision, false)
              .to_vector<float>();
      for (size_t j = 0; j < bs.out_of_bag.size(); ++j) {
        const auto i = static_cast<size_t>(bs.out_of_bag[j]);
        for (size_t c = 0; c < 10; ++c) oob_sum[i * 10 + c] += oob_p[j * 10 + c];
        ++oob_votes[i];
      }
    }
    ensemble.push_back(member);
  }

  const Tensor p = probabilities(ensemble, test_x, device, o.precision, true);
  const data::ConfidenceInterval ci =
      data::bootstrap_ci(correct_of(p, test_y), 1000, 0.95, o.common.seed);
  // Out of bag: the images at least one member did not see, by those members' average.
  int64_t oob_n = 0, oob_right = 0;
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    if (oob_votes[i] == 0) continue;
    ++oob_n;
    const auto first = oob_sum.begin() + static_cast<std::ptrdiff_t>(i * 10);
    oob_right += std::max_element(first, first + 10) - first == train_y[i];
  }
  const double oob_acc = oob_n ? static_cast<double>(oob_right) / static_cast<double>(oob_n) : NAN;
  double mean_member = 0;
  for (double a : member_acc) mean_member += a / static_cast<double>(member_acc.size());
  std::cout << "ensemble of " << o.bagging << ": test accuracy " << std::fixed
            << std::setprecision(4) << ci.estimate << " [" << ci.lower << ", " << ci.upper
            << "] (bootstrap, " << ci.resamples << " resamples); members' mean " << mean_member
            << "\nout-of-bag estimate: " << oob_acc << " over " << oob_n
            << " training images (each classified by the members that never saw it), against "
            << "the test accuracy " << ci.estimate << "\n";

  json.add("members_test_acc", member_acc)
      .add("member_mean_test_acc", mean_member)
      .add("test_acc", ci.estimate)
      .add("test_acc_ci95", std::vector<double>{ci.lower, ci.upper})
      .add("oob_acc", oob_acc)
      .add("oob_images", oob_n)
      .add("epochs", o.epochs)
      .add("device", device.str());
  std::cout << json.str() << std::endl;
  const bool ok = std::isfinite(ci.estimate) && ci.estimate > (o.common.smoke ? 0.3 : 0.8) &&
                  std::isfinite(oob_acc);
  if (!ok) std::cerr << "fashion_mnist: the ensemble did not learn (see above)\n";
  return ok ? 0 : 1;
}

void write_metrics_csv(const std::string& path, const History& h) {
  std::ofstream f(path);
  GPUNN_CHECK(f.good(), "cannot write ", path);
  f << "epoch,lr,train_loss,train_acc,val_acc,test_acc,seconds\n" << std::setprecision(6);
  for (const EpochRow& r : h.rows) {
    f << r.epoch << "," << r.lr << "," << r.train_loss << "," << r.train_acc << "," << r.val_acc
      << ",";
    if (std::isfinite(r.test_acc)) f << r.test_acc;
    f << "," << r.seconds << "\n";
  }
}

void write_curves_png(const std::string& path, const History& h, const std::string& model) {
  gx::Series loss{"train loss", {}, {}, gx::plot_palette()[3]};
  gx::Series train{"train", {}, {}, gx::plot_palette()[0]};
  gx::Series val{"validation", {}, {}, gx::plot_palette()[1]};
  gx::Series test{"test", {}, {}, gx::plot_palette()[2]};
  for (const EpochRow& r : h.rows) {
    const double e = static_cast<double>(r.epoch);
    loss.x.push_back(e), loss.y.push_back(r.train_loss);
    train.x.push_back(e), train.y.push_back(100 * r.train_acc);
    val.x.push_back(e), val.y.push_back(100 * r.val_acc);
    test.x.push_back(e), test.y.push_back(100 * r.test_acc);
  }
  std::vector<gx::Series> acc{train, val};
  if (std::any_of(test.y.begin(), test.y.end(), [](double v) { return std::isfinite(v); }))
    acc.push_back(test);
  gx::PlotOptions po;
  po.x_label = "epoch";
  po.x_integer = true;
  po.x_lo = 1;
  po.x_hi = std::max<double>(2.0, static_cast<double>(h.rows.size()));
  po.title = model + " train loss";
  const gx::Image left = gx::line_plot({loss}, po);
  po.title = model + " accuracy %";
  const gx::Image right = gx::line_plot(acc, po);
  gx::write_png(path, gx::contact_sheet({left, right}, 2, 0));
}

void write_confusion(const gx::CommonOptions& common, const std::vector<std::vector<int64_t>>& cm) {
  const auto& names = data::fashion_mnist_classes();
  std::ofstream f(gx::output_path(common, "confusion_matrix.csv"));
  f << "true\\predicted";
  for (const auto& n : names) f << "," << n;
  f << "\n";
  for (size_t i = 0; i < cm.size(); ++i) {
    f << names[i];
    for (int64_t v : cm[i]) f << "," << v;
    f << "\n";
  }
  gx::write_png(gx::output_path(common, "confusion_matrix.png"),
                gx::matrix_heatmap(cm, names, "Fashion-MNIST test confusion matrix"));
}

void print_confusion(const std::vector<std::vector<int64_t>>& cm) {
  const auto& names = data::fashion_mnist_classes();
  std::cout << "confusion matrix (rows: true class, columns: predicted class 0-9)\n";
  for (size_t i = 0; i < cm.size(); ++i) {
    std::cout << std::setw(2) << i << " " << std::left << std::setw(12) << names[i] << std::right;
    for (int64_t v : cm[i]) std::cout << std::setw(6) << v;
    std::cout << "\n";
  }
}

int run(Options& o) {
  // --resume: the run's settings come from the checkpoint (restore_recipe), and its files
  // go next to the checkpoint unless --out says otherwise.
  std::optional<io::Checkpoint> resumed;
  if (!o.resume.empty()) {
    resumed = io::load_checkpoint(o.resume);
    restore_recipe(o, saved_recipe(resumed->metadata), o.resume);
    if (!o.given.count("--out"))
      o.common.out_dir = std::filesystem::path(o.resume).parent_path().string();
    if (o.common.out_dir.empty()) o.common.out_dir = ".";
  }
  gx::prepare_output_dir(o.common);
  const Device device = gx::resolve_device(o.common.device);
  GPUNN_CHECK(o.model == "cnn" || o.model == "mlp", "--model must be cnn or mlp, got ", o.model);
  const bool cnn = o.model == "cnn";
  if (o.epochs == 0) o.epochs = o.common.smoke ? 2 : (cnn ? 5 : 10);
  if (o.lr == 0) o.lr = cnn ? 0.05 : 0.1;
  GPUNN_CHECK(o.epochs >= 1 && o.batch >= 1 && o.lr > 0,
              "--epochs, --batch and --lr must be "
              "positive, got ",
              o.epochs, ", ", o.batch, ", ", o.lr);
  GPUNN_CHECK(o.val_fraction > 0 && o.val_fraction < 1, "--val-fraction must be in (0, 1), got ",
              o.val_fraction);
  const int64_t stop_after = o.stop_after > 0 ? std::min(o.stop_after, o.epochs) : o.epochs;
  GPUNN_CHECK(o.bagging == 0 || (o.resume.empty() && o.stop_after == 0),
              "--bagging trains its members in one run; it takes no --resume or --stop-after");
  cli::apply_precision(o.precision);
  std::cout << "fashion_mnist: " << gx::run_summary(device, o.precision) << "\n";

  // ---- data ----
  const std::optional<std::string> found = gx::fashion_mnist_dir(o.data_dir, "fashion_mnist");
  if (!found) return o.common.smoke ? gx::kSkipExitCode : 1;
  const std::string& dir = *found;
  const data::TensorDataset full_train = data::load_fashion_mnist(dir, data::Split::Train);
  const data::TensorDataset test_set = data::load_fashion_mnist(dir, data::Split::Test);
  auto [train_set, val_set] = data::train_val_split(full_train, o.val_fraction, o.common.seed);
  data::TensorDataset test = test_set;
  if (o.common.smoke) {  // a subset: a few dozen steps per epoch
    auto first = [](const data::TensorDataset& d, int64_t n) {
      std::vector<int64_t> idx(static_cast<size_t>(std::min(n, d.size())));
      for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
      return d.subset(idx);
    };
    train_set = first(train_set, 24 * o.batch);
    val_set = first(val_set, 500);
    test = first(test_set, 1000);
  }
  const data::Normalize normalize = data::Normalize::fit_per_channel(train_set.data());
  const data::TensorDataset train(normalize(train_set.data()), train_set.target());
  const Tensor val_x = normalize(val_set.data()), test_x = normalize(test.data());
  const std::vector<int64_t> val_y = val_set.target().to_vector<int64_t>();
  const std::vector<int64_t> test_y = test.target().to_vector<int64_t>();
  std::cout << "Fashion-MNIST from " << dir << ": " << train.size() << " training, "
            << val_set.size() << " validation, " << test.size() << " test images; normalized "
            << "with the training images' mean " << normalize.mean().item() << " and std "
            << normalize.std().item() << "\n";
  if (o.bagging > 0) return run_bagging(o, device, train, test_x, test_y);

  data::DataLoader loader(
      train, {.batch_size = o.batch, .shuffle = true, .seed = o.common.seed, .device = device});
  const int64_t steps_per_epoch = loader.num_batches();

  // ---- model, optimizer, schedule ----
  manual_seed(o.common.seed);
  std::shared_ptr<nn::Sequential> model = cnn ? models::fashion_cnn() : models::fashion_mlp();
  model->to(device);
  model->checkpoint_segments(static_cast<size_t>(o.recompute));
  nn::summary(*model, {1, 1, 28, 28}, &std::cout);
  optim::SGD opt(model->parameters(), {.lr = o.lr,
                                       .momentum = o.momentum,
                                       .weight_decay = o.weight_decay,
                                       .nesterov = o.momentum > 0});
  // Linear warmup over the first half epoch, then cosine decay to 0 over the
  // whole run (--epochs), stepped per batch.
  optim::WarmupCosineLR sched(opt, steps_per_epoch / 2, o.epochs * steps_per_epoch);
  nn::CrossEntropyLoss criterion;
  optim::GradScaler scaler(cli::scaler_options(o.precision));

  History hist;
  StateDict best = clone_state(model->state_dict());
  int64_t start_epoch = 0, step = 0;
  // The run's state after `epochs_done` whole epochs (and, inside an epoch, the partial sums).
  const auto checkpoint = [&](int64_t epochs_done, const std::string& partial) {
    io::Checkpoint ck{.model = model->state_dict(),
                      .optimizer = opt.state_dict(),
                      .scheduler = sched.state_dict(),
                      .scaler = scaler.is_enabled() ? scaler.state_dict() : StateDict(),
                      .epoch = epochs_done,
                      .step = step,
                      .rng = default_generator().state(),
                      .metadata = {{"fashion_mnist.recipe", encode_recipe(o)},
                                   {"fashion_mnist.history", encode_history(hist)}}};
    if (!partial.empty()) ck.metadata.emplace("fashion_mnist.partial", partial);
    const std::string path = gx::output_path(o.common, "checkpoint.safetensors");
    io::save_checkpoint(path, ck);
    return path;
  };
  // After SIGINT/SIGTERM: the command that continues from `path`.
  const auto continue_line = [&](const std::string& path) {
    return "continue with: " + o.program + " --resume " + path +
           (o.given.count("--device") ? " --device " + o.common.device : "");
  };
  int64_t resume_batches = 0;  // steps of start_epoch done before an interruption
  double partial_loss = 0, partial_seconds = 0, partial_lr = 0;
  int64_t partial_right = 0, partial_seen = 0;
  if (resumed) {
    io::Checkpoint& ck = *resumed;
    auto meta = [&](const std::string& key) {
      const auto it = ck.metadata.find(key);
      GPUNN_CHECK(it != ck.metadata.end(), "", o.resume, " lacks metadata \"", key,
                  "\" (not a fashion_mnist checkpoint?)");
      return it->second;
    };
    model->load_state_dict(ck.model);
    opt.load_state_dict(ck.optimizer);
    sched.load_state_dict(ck.scheduler);
    if (scaler.is_enabled()) scaler.load_state_dict(ck.scaler);
    default_generator().set_state(ck.rng);
    start_epoch = ck.epoch;
    step = ck.step;
    hist = decode_history(meta("fashion_mnist.history"), o.resume);
    const auto partial = ck.metadata.find("fashion_mnist.partial");
    if (partial != ck.metadata.end()) {  // interrupted inside start_epoch
      std::istringstream is(partial->second);
      is >> resume_batches >> partial_loss >> partial_right >> partial_seen >> partial_lr >>
          partial_seconds;
      GPUNN_CHECK(!is.fail() && resume_batches > 0, "", o.resume,
                  " has an unreadable fashion_mnist.partial entry: ", partial->second);
    }
    const std::string best_path =
        (std::filesystem::path(o.resume).parent_path() / "best_model.safetensors").string();
    if (std::filesystem::exists(best_path)) {
      best = io::load_safetensors(best_path).tensors;
    } else if (hist.best_epoch > 0) {
      // Not fatal: the weights of epoch best_epoch are gone, so the final test uses the
      // weights of the best epoch from here on (or the last).
      std::cerr << "fashion_mnist: warning: " << best_path << " is missing; epoch "
                << hist.best_epoch << "'s weights are lost, and the test will use the best of "
                << "the epochs still to run\n";
      best = clone_state(model->state_dict());
      hist.best_val_acc = -1;
    }
    std::cout << "resumed from " << o.resume << " at epoch " << start_epoch + 1 << ", step " << step
              << (resume_batches ? " (inside the epoch)" : "") << "\n";
  }
  loader.set_epoch(start_epoch);

  // ---- training ----
  cli::ProfileRun profile(o.common.profile);  // --profile: the training epochs
  profile.start();
  for (int64_t epoch = start_epoch; epoch < stop_after; ++epoch) {
    model->train();
    gx::Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs),
                     steps_per_epoch, "steps");
    double loss_sum = 0;
    int64_t right = 0, seen = 0, batches = 0;
    double lr_peak = 0;  // the epoch's largest learning rate
    double seconds_before = 0;
    int64_t skip = 0;
    if (epoch == start_epoch && resume_batches > 0) {  // continue inside the epoch
      skip = batches = resume_batches;
      loss_sum = partial_loss;
      right = partial_right;
      seen = partial_seen;
      lr_peak = partial_lr;
      seconds_before = partial_seconds;
    }
    for (data::Batch& b : loader) {
      if (skip > 0) {  // done before the interruption
        --skip;
        continue;
      }
      const profiler::Range step_range("step");
      Tensor logits, loss;
      {
        autocast::Guard amp(cli::autocast_dtype(o.precision), cli::uses_autocast(o.precision));
        logits = (*model)(b.data);
        loss = criterion(logits, b.target);
      }
      opt.zero_grad();
      scaler.scale(loss).backward();
      lr_peak = std::max(lr_peak, opt.lr());
      scaler.step(opt);  // skipped (fp16) when a gradient overflowed
      scaler.update();
      sched.step();
      ++step;
      const double l = loss.item();
      GPUNN_CHECK(std::isfinite(l), "the loss became ", l, " at step ", step,
                  "; try a smaller --lr");
      loss_sum += l * static_cast<double>(b.size());
      const std::vector<int64_t> pred = argmax(logits.detach(), 1).to(kCPU).to_vector<int64_t>();
      const std::vector<int64_t> y = b.target.to(kCPU).to_vector<int64_t>();
      for (size_t i = 0; i < pred.size(); ++i) right += pred[i] == y[i];
      seen += b.size();
      ++batches;
      std::ostringstream st;
      st << "loss " << std::fixed << std::setprecision(3) << loss_sum / static_cast<double>(seen);
      bar.update(batches, st.str());
      if (o.raise_sigint_at_step > 0 && step == o.raise_sigint_at_step) std::raise(SIGINT);
      if (g_interrupted.load() && batches < steps_per_epoch) {
        // Interrupted inside the epoch: everything needed to continue from this step.
        std::ostringstream partial;
        partial << std::setprecision(17) << batches << " " << loss_sum << " " << right << " "
                << seen << " " << lr_peak << " " << seconds_before + bar.elapsed_seconds();
        const std::string path = checkpoint(epoch, partial.str());
        std::cout << "\ninterrupted at epoch " << epoch + 1 << ", step " << step << ": wrote "
                  << path << "\n"
                  << continue_line(path) << "\n";
        return 130;  // 128 + SIGINT, as shells report an interrupted program
      }
    }
    const double seconds = seconds_before + bar.elapsed_seconds();
    bar.finish();
    EpochRow r{.epoch = epoch + 1,
               .lr = lr_peak,
               .train_loss = loss_sum / static_cast<double>(seen),
               .train_acc = static_cast<double>(right) / static_cast<double>(seen),
               .val_acc = accuracy(predict(*model, val_x, device, o.precision), val_y),
               .seconds = seconds};
    if (o.test_each_epoch)
      r.test_acc = accuracy(predict(*model, test_x, device, o.precision), test_y);
    hist.rows.push_back(r);
    hist.train_seconds += seconds;
    hist.train_images += seen;
    const bool improved = r.val_acc > hist.best_val_acc;
    if (improved) {
      hist.best_val_acc = r.val_acc;
      hist.best_epoch = r.epoch;
      best = clone_state(model->state_dict());
      io::save_safetensors(gx::output_path(o.common, "best_model.safetensors"), best,
                           {{"epoch", std::to_string(r.epoch)}, {"model", o.model}});
    }
    std::cout << "epoch " << r.epoch << ": train loss " << std::fixed << std::setprecision(4)
              << r.train_loss << ", train acc " << r.train_acc << ", val acc " << r.val_acc;
    if (o.test_each_epoch) std::cout << ", test acc " << r.test_acc;
    std::cout << ", " << std::setprecision(1) << seconds << " s" << (improved ? " (best)" : "")
              << "\n"
              << std::defaultfloat << std::setprecision(6);

    const std::string path = checkpoint(epoch + 1, "");
    write_metrics_csv(gx::output_path(o.common, "metrics.csv"), hist);
    write_curves_png(gx::output_path(o.common, "learning_curves.png"), hist, o.model);
    if (g_interrupted.load() && epoch + 1 < stop_after) {  // at an epoch's last step
      std::cout << "interrupted after epoch " << epoch + 1 << ": wrote " << path << "\n"
                << continue_line(path) << "\n";
      return 130;
    }
  }
  profile.finish();
  // Also after --resume of a finished run, which only tests and redraws.
  if (start_epoch >= stop_after && !hist.rows.empty()) {
    write_metrics_csv(gx::output_path(o.common, "metrics.csv"), hist);
    write_curves_png(gx::output_path(o.common, "learning_curves.png"), hist, o.model);
  }

  const double images_per_s =
      hist.train_seconds > 0 ? static_cast<double>(hist.train_images) / hist.train_seconds : 0;
  const double final_loss = hist.rows.empty() ? NAN : hist.rows.back().train_loss;
  gx::JsonLine json;
  json.add("example", "fashion_mnist").add("model", o.model).add("precision", o.precision);
  json.add("recompute", o.recompute);
  if (stop_after < o.epochs) {  // stopped early on request: no test
    json.add("epochs", stop_after).add("stopped", true).add("train_loss", final_loss);
    std::cout << json.str() << "\n";
    return 0;
  }

  // ---- the test set, once, with the weights of the best validation epoch ----
  model->load_state_dict(best);
  const std::vector<int64_t> pred = predict(*model, test_x, device, o.precision);
  std::vector<double> correct(pred.size());
  std::vector<std::vector<int64_t>> cm(10, std::vector<int64_t>(10, 0));
  for (size_t i = 0; i < pred.size(); ++i) {
    correct[i] = pred[i] == test_y[i] ? 1.0 : 0.0;
    ++cm[static_cast<size_t>(test_y[i])][static_cast<size_t>(pred[i])];
  }
  const data::ConfidenceInterval ci = data::bootstrap_ci(correct, 1000, 0.95, o.common.seed);
  std::cout << "test accuracy (weights of epoch " << hist.best_epoch << ", best validation "
            << "accuracy " << hist.best_val_acc << "): " << ci.estimate << ", 95% CI [" << ci.lower
            << ", " << ci.upper << "] (bootstrap, " << ci.resamples << " resamples)\n";
  print_confusion(cm);
  write_confusion(o.common, cm);
  std::cout << "wrote metrics.csv, learning_curves.png, confusion_matrix.{csv,png}, "
               "checkpoint.safetensors and best_model.safetensors to "
            << o.common.out_dir << "\n";

  const bool finite = std::isfinite(ci.estimate) && std::isfinite(final_loss) &&
                      std::isfinite(hist.best_val_acc) && images_per_s > 0;
  json.add("test_acc", ci.estimate)
      .add("test_acc_ci95", std::vector<double>{ci.lower, ci.upper})
      .add("epochs", o.epochs)
      .add("best_epoch", hist.best_epoch)
      .add("val_acc", hist.best_val_acc)
      .add("train_loss", final_loss)
      .add("images_per_s", images_per_s)
      .add("train_seconds", hist.train_seconds)
      .add("device", device.str());
  std::cout << json.str() << "\n";
  if (!finite) {
    std::cerr << "fashion_mnist: a metric is not finite\n";
    return 1;
  }
  // The smoke run's few dozen steps already get far above chance (10%).
  if (o.common.smoke && ci.estimate < 0.3) {
    std::cerr << "fashion_mnist: smoke run reached only " << ci.estimate << " test accuracy\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Trains a CNN or MLP on Fashion-MNIST: validation split, best-epoch selection, "
      "test accuracy with a bootstrap 95% CI, confusion matrix, learning curves, "
      "checkpoints and --resume."};
  Options o;
  gx::add_common_options(app, o.common);
  app.add_option("--model", o.model, "cnn (2 conv + 2 FC) or mlp (784-256-128-10)")
      ->check(CLI::IsMember({"cnn", "mlp"}))
      ->capture_default_str();
  app.add_option("--epochs", o.epochs, "epochs (default: cnn 5, mlp 10, smoke 2)")
      ->check(gpunn::cli::positive);
  app.add_option("--batch", o.batch, "batch size")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--lr", o.lr,
                 "peak learning rate of SGD with Nesterov momentum, linear warmup over half an "
                 "epoch then cosine decay (default: cnn 0.05, mlp 0.1)")
      ->check(gpunn::cli::positive);
  app.add_option("--momentum", o.momentum, "SGD momentum (0: plain SGD)")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "L2 weight decay")->capture_default_str();
  app.add_option("--val-fraction", o.val_fraction,
                 "share of the training set held out for validation (chooses the epoch)")
      ->capture_default_str();
  app.add_option("--data", o.data_dir,
                 "folder of the Fashion-MNIST files (default: $GPUNN_FASHION_MNIST_DIR or "
                 "/usr/share/datasets/fashion-mnist)");
  app.add_option("--resume", o.resume,
                 "continue from a checkpoint.safetensors with its settings (model, batch, epochs, "
                 "lr, ..., precision, seed); its files go next to it unless --out is given");
  app.add_option("--stop-after", o.stop_after,
                 "stop after this many epochs, keeping the --epochs schedule (to resume later; "
                 "default: run every epoch)")
      ->check(gpunn::cli::positive);
  cli::add_precision_option(app, o.precision);
  app.add_option("--recompute,--checkpoint", o.recompute,
                 "recompute instead of store: run the model in segments of K modules, each but "
                 "the last recomputed in backward (0: store every activation; the results are "
                 "the same)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--bagging", o.bagging,
                 "train K members on bootstrap resamples of the training split and average "
                 "their probabilities (nn::Ensemble); reports each member's, the ensemble's "
                 "and the out-of-bag accuracy (0: off)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--test-each-epoch", o.test_each_epoch,
               "also measure test accuracy after every epoch (for the curves only; the epoch is "
               "still chosen on validation accuracy)");
  app.add_option("--raise-sigint-at-step", o.raise_sigint_at_step)->group("");  // tests only
  CLI11_PARSE(app, argc, argv);
  for (const char* name :
       {"--model", "--batch", "--epochs", "--lr", "--momentum", "--weight-decay", "--val-fraction",
        "--precision", "--seed", "--smoke", "--out", "--device"})
    if (app.count(name) > 0) o.given.insert(name);
  o.program = argv[0];
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "fashion_mnist: " << e.what() << "\n";
    return 1;
  }
}
