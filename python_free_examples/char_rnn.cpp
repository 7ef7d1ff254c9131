// char_rnn: the lecture's character-level language model, trained on a real
// list of first names, then asked for new ones.
//
// Data: Debian's list of proper names (miscfiles, found by
// gpunn::data::find_propernames), one name per line; '\n' marks the end of a
// name, so the model learns where names stop. A fixed tenth of the names (the same
// split for every seed and cell) is held out for the validation loss. Each epoch
// shuffles the training names, joins them into one text and cuts it into B parallel
// streams; training runs over chunks of T characters with truncated backpropagation
// through time: the state goes on from chunk to chunk, the gradient stops at the chunk
// boundary.
//
// Models: Embedding(V, E) → RNN, LSTM or GRU (one layer, H units) → Linear(H, V); or
// (--cell transformer) models::char_transformer, a causal Transformer whose "state" is
// the previous chunk's characters: each chunk is read after the T characters before it
// (a window of 2T), and the loss is taken on the chunk's own positions. Softmax
// cross-entropy on the next character, Adam, gradient-norm clipping. Sampling starts from
// '\n', draws each character from softmax(logits / τ) and stops at the next '\n'.
//
// --text FILE trains on another text the same way: a fortune file's entries (Debian's
// fortunes package) or the lines of any text, each entry ended by "\n%\n" (or "\n").
//
// Writes the loss per step as char_rnn_<cell>_loss.png. Ends with one JSON line: initial_loss,
// final_loss, val_loss (per character on the held-out names, state carried across them),
// samples, novel_fraction (the share of samples that are not in the training list).
// Exits non-zero if the loss turns NaN or does not fall, or, in a full run, fewer than half the
// samples are new names.
#include "common/example.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace gpunn;
namespace ex = gpunn::examples;

struct Settings {
  std::string cell = "rnn";  // rnn | lstm | gru | transformer
  int64_t epochs = 0;    // 0: 30, or 20 for the GRU (it learns the list faster, then recites it)
  int64_t batch = 32;    // B: parallel streams
  int64_t seq_len = 16;  // T: characters per chunk (the truncation length)
  int64_t embed = 32;    // E
  int64_t hidden = 128;  // H
  // The Transformer's width, heads, blocks and dropout.
  int64_t dim = 64;
  int64_t heads = 4;
  int64_t layers = 2;
  double dropout = 0.1;
  double val_fraction = 0.1;  // names held out for the validation loss
  double lr = 3e-3;
  double clip = 5.0;
  double temperature = 0.8;
  int64_t samples = 20;
  std::string names_path;  // empty: find_propernames()
  std::string text_path;   // --text: a corpus of entries instead of names
  int64_t sample_len = 0;  // longest sample; 0: 30 characters for names, 400 for --text
  std::string precision = "fp32";
};

// The state carried from one chunk (or sampled character) to the next: the recurrent
// state, or the Transformer's preceding characters.
struct State {
  Tensor h{}, c{};   // undefined: zeros
  Tensor context{};  // [T', B] int64: the characters before the next chunk (Transformer)
  State detached() const {
    return {h.defined() ? h.detach() : h, c.defined() ? c.detach() : c, context};
  }
};

class CharModel : public nn::Module {
 public:
  CharModel(int64_t vocab, const Settings& s) : Module("CharModel"), window_(2 * s.seq_len) {
    if (s.cell == "transformer") {
      transformer =
          register_module("transformer", models::char_transformer({.vocab = vocab,
                                                                   .context = window_,
                                                                   .dim = s.dim,
                                                                   .heads = s.heads,
                                                                   .layers = s.layers,
                                                                   .dropout = s.dropout}));
      return;
    }
    embed = register_module("embed", std::make_shared<nn::Embedding>(vocab, s.embed));
    const nn::RnnOptions o{.input_size = s.embed, .hidden_size = s.hidden};
    if (s.cell == "lstm") {
      lstm = register_module("lstm", std::make_shared<nn::LSTM>(o));
    } else if (s.cell == "gru") {
      gru = register_module("gru", std::make_shared<nn::GRU>(o));
    } else {
      rnn = register_module("rnn", std::make_shared<nn::RNN>(o));
    }
    head = register_module("head", std::make_shared<nn::Linear>(s.hidden, vocab));
  }

  // ids [T, B] int64 → logits [T, B, V]; `state` becomes the state after the last step.
  Tensor forward(const Tensor& ids, State& state) {
    if (transformer) {
      // The window: up to window - T preceding characters, then the chunk.
      const int64_t T = ids.shape()[0];
      Tensor full = ids;
      if (state.context.defined()) {
        const int64_t keep = std::min(state.context.shape()[0], window_ - T);
        if (keep > 0)
          full = cat({narrow(state.context, 0, state.context.shape()[0] - keep, keep), ids}, 0);
      }
      const int64_t L = full.shape()[0];
      state.context =
          narrow(full, 0, std::max<int64_t>(0, L - (window_ - 1)), std::min(L, window_ - 1));
      const Tensor logits = transformer->forward(full.transpose(0, 1).contiguous());  // [B, L, V]
      return narrow(logits, 1, L - T, T).transpose(0, 1);
    }
    const Tensor x = (*embed)(ids);
    nn::RnnOutput r = lstm  ? lstm->forward(x, state.h, state.c)
                      : gru ? gru->forward(x, state.h)
                            : rnn->forward(x, state.h);
    state = {r.h_n, r.c_n, Tensor()};
    return (*head)(r.output);
  }

  std::shared_ptr<nn::Embedding> embed;
  std::shared_ptr<nn::RNN> rnn;
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::GRU> gru;
  std::shared_ptr<nn::Linear> head;
  std::shared_ptr<models::CharTransformer> transformer;

 private:
  int64_t window_;
};

std::vector<std::string> read_names(const std::string& path) {
  std::istringstream in(data::read_text_file(path));
  std::vector<std::string> names;
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    // A list of names is text: a binary file or another encoding is refused, by line.
    bool control = false;
    for (unsigned char c : line) control = control || c < 0x20 || c == 0x7f;
    GPUNN_CHECK(!control && ex::valid_utf8(line), path, " line ", number, " is not UTF-8 text (",
                control ? "control bytes" : "invalid UTF-8",
                "); expected a list of names, one per line");
    if (!line.empty()) names.push_back(line);
  }
  GPUNN_CHECK(names.size() >= 2, path, " holds ", names.size(),
              " names; expected a list of names, one per line");
  return names;
}

// A corpus of text entries (--text FILE): the entries of a fortune file (text between
// lines that hold only "%"), or the lines of any other text. Tabs become spaces; other
// control bytes and invalid UTF-8 are refused. `end` follows each entry: "\n%\n" for
// fortunes, "\n" for lines (as for names).
struct Corpus {
  std::vector<std::string> entries;
  std::string end;
};
Corpus read_corpus(const std::string& path) {
  std::istringstream in(data::read_text_file(path));
  std::vector<std::string> lines;
  bool fortunes = false;
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    std::replace(line.begin(), line.end(), '\t', ' ');
    bool control = false;
    for (unsigned char c : line) control = control || c < 0x20 || c == 0x7f;
    GPUNN_CHECK(!control && ex::valid_utf8(line), path, " line ", number, " is not UTF-8 text (",
                control ? "control bytes" : "invalid UTF-8", ")");
    fortunes = fortunes || line == "%";
    lines.push_back(line);
  }
  Corpus c;
  if (fortunes) {
    c.end = "\n%\n";
    std::string entry;
    for (const std::string& line : lines) {
      if (line == "%") {
        while (!entry.empty() && entry.back() == '\n') entry.pop_back();
        if (!entry.empty()) c.entries.push_back(entry);
        entry.clear();
      } else {
        entry += line + "\n";
      }
    }
    while (!entry.empty() && entry.back() == '\n') entry.pop_back();
    if (!entry.empty()) c.entries.push_back(entry);
  } else {
    c.end = "\n";
    for (const std::string& line : lines)
      if (!line.empty()) c.entries.push_back(line);
  }
  GPUNN_CHECK(c.entries.size() >= 2, path, " holds ", c.entries.size(),
              " entries; expected text with at least two lines (or fortunes)");
  return c;
}

// The entries in a random order.
std::vector<std::string> shuffled(std::vector<std::string> entries, Generator& gen) {
  const std::vector<double> keys =
      rand({static_cast<int64_t>(entries.size())}, kFloat64, &gen).to_vector<double>();
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<std::string> out;
  for (size_t i : order) out.push_back(std::move(entries[i]));
  return out;
}

// The entries, each followed by `end`, after a leading `end` (so that the first entry
// also starts after an end of entry).
std::string joined(const std::vector<std::string>& entries, const std::string& end) {
  std::string text = end;
  for (const std::string& e : entries) text += e + end;
  return text;
}

// The names in a random order, each followed by `end`, after a leading one.
std::string shuffled_text(std::vector<std::string> names, Generator& gen,
                          const std::string& end = "\n") {
  return joined(shuffled(std::move(names), gen), end);
}

// Chunk k of the B streams: inputs and targets [T', B] (T' ≤ T for the last chunk).
struct Chunk {
  Tensor input, target;
};
std::vector<Chunk> make_chunks(const std::vector<int64_t>& ids, int64_t B, int64_t T) {
  const int64_t stream_len = (static_cast<int64_t>(ids.size()) - 1) / B;
  GPUNN_CHECK(stream_len >= 1, ids.size(), " characters are too few for ", B,
              " streams; lower --batch");
  std::vector<Chunk> chunks;
  for (int64_t t0 = 0; t0 < stream_len; t0 += T) {
    const int64_t len = std::min(T, stream_len - t0);
    std::vector<int64_t> in(static_cast<size_t>(len * B)), out(in.size());
    for (int64_t t = 0; t < len; ++t)
      for (int64_t b = 0; b < B; ++b) {
        const size_t pos = static_cast<size_t>(b * stream_len + t0 + t);
        in[static_cast<size_t>(t * B + b)] = ids[pos];
        out[static_cast<size_t>(t * B + b)] = ids[pos + 1];
      }
    chunks.push_back({tensor_from(in, {len, B}), tensor_from(out, {len, B})});
  }
  return chunks;
}

// The mean loss per character of the text `ids` (one stream, chunks of T, the state
// carried from chunk to chunk), in evaluation mode.
double text_loss(CharModel& model, const std::vector<int64_t>& ids, int64_t T, int64_t V,
                 Device device) {
  NoGradGuard no_grad;
  model.eval();
  State state;
  double total = 0;
  int64_t count = 0;
  for (const Chunk& chunk : make_chunks(ids, 1, T)) {
    const Tensor logits = model.forward(chunk.input.to(device), state);
    const int64_t n = chunk.target.numel();
    total += cross_entropy(logits.reshape({-1, V}), chunk.target.to(device).reshape({-1})).item() *
             static_cast<double>(n);
    count += n;
  }
  model.train();
  return total / static_cast<double>(count);
}

// One name (or entry), drawn character by character at temperature τ after an end of
// entry `end`, up to the next one; "" if it ran past max_len.
std::string sample_name(CharModel& model, const data::CharVocab& vocab, double temperature,
                        Device device, Generator& gen, int64_t max_len, const std::string& end) {
  NoGradGuard no_grad;
  State state;
  for (size_t k = 0; k + 1 < end.size(); ++k)  // all but the last character of `end`
    model.forward(tensor_from(std::vector<int64_t>{vocab.id(end[k])}, {1, 1}).to(device), state);
  int64_t id = vocab.id(end.back());
  std::string name;
  for (int64_t i = 0; i < max_len + static_cast<int64_t>(end.size()); ++i) {
    const Tensor x = tensor_from(std::vector<int64_t>{id}, {1, 1}).to(device);
    const Tensor logits = model.forward(x, state).reshape({-1});
    const std::vector<double> p = softmax(logits / temperature, 0).to(kCPU).to_vector<double>();
    const double u = rand({1}, kFloat64, &gen).item();
    double cum = 0;
    id = static_cast<int64_t>(p.size()) - 1;  // if rounding leaves u above the total
    for (size_t k = 0; k < p.size(); ++k) {
      cum += p[k];
      if (u < cum) {
        id = static_cast<int64_t>(k);
        break;
      }
    }
    name += vocab.character(id);
    if (name.size() >= end.size() && name.compare(name.size() - end.size(), end.size(), end) == 0)
      return name.substr(0, name.size() - end.size());
  }
  return "";
}

// The loss per step as a curve: x is the step, y runs from 0 (bottom) to `top`;
// light lines mark loss 1, 2, 3, ... A moving average over `window` steps
// (dark) is drawn over the raw values (light).
ex::Image loss_curve(const std::vector<double>& loss, double top, int width, int height,
                     int window = 20) {
  ex::Image im(width, height, 3, 255);
  auto y_of = [&](double v) {
    return std::clamp(static_cast<int>(std::lround((1.0 - v / top) * (height - 1))), 0, height - 1);
  };
  auto plot = [&](int x, int y, std::array<uint8_t, 3> c) {
    std::copy(c.begin(), c.end(), im.at(x, y));
  };
  for (int level = 1; level < top; ++level)
    for (int x = 0; x < width; ++x) plot(x, y_of(level), {225, 225, 225});
  const size_t n = loss.size();
  std::vector<double> avg(n);
  double run = 0;
  for (size_t i = 0; i < n; ++i) {
    run += loss[i] - (i >= static_cast<size_t>(window) ? loss[i - window] : 0.0);
    avg[i] = run / static_cast<double>(std::min(i + 1, static_cast<size_t>(window)));
  }
  auto draw = [&](const std::vector<double>& values, std::array<uint8_t, 3> colour) {
    int prev = -1;
    for (int x = 0; x < width && n > 0; ++x) {
      const int y = y_of(values[std::min(n - 1, static_cast<size_t>(x) * n / width)]);
      // A vertical run joins this column's point to the last one, so steep parts stay connected.
      const int from = prev < 0 ? y : prev;
      for (int yy = std::min(y, from); yy <= std::max(y, from); ++yy) plot(x, yy, colour);
      prev = y;
    }
  };
  draw(loss, {160, 190, 230});
  draw(avg, {20, 60, 150});
  return im;
}

int run(int argc, char** argv) {
  CLI::App app{
      "char_rnn: a character-level RNN, LSTM or GRU trained on a list of first names, "
      "then sampled for new names"};
  ex::CommonOptions common;
  Settings s;
  ex::add_common_options(app, common);
  app.add_option("--cell", s.cell, "recurrent cell, or a causal Transformer")
      ->capture_default_str()
      ->check(CLI::IsMember({"rnn", "lstm", "gru", "transformer"}));
  app.add_option("--epochs", s.epochs, "passes over the list of names (default 30; GRU 20)")
      ->check(gpunn::cli::positive);
  app.add_option("--batch", s.batch, "parallel streams of text (B)")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--seq-len", s.seq_len, "characters per chunk: how far gradients reach back (T)")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--embed", s.embed, "embedding size (E)")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--hidden", s.hidden, "hidden units (H)")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--dim", s.dim, "Transformer width")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--heads", s.heads, "Transformer attention heads (must divide --dim)")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--layers", s.layers, "Transformer blocks")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--dropout", s.dropout, "Transformer dropout")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  app.add_option("--val-fraction", s.val_fraction, "share of the names held out for val_loss")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.5));
  app.add_option("--lr", s.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--clip", s.clip, "largest gradient norm (0: no clipping)")
      ->capture_default_str()
      ->check(gpunn::cli::non_negative);
  app.add_option("--temperature", s.temperature,
                 "sampling temperature: low picks likely characters, high adds variety")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  app.add_option("--samples", s.samples, "names to sample")
      ->capture_default_str()
      ->check(gpunn::cli::positive);
  cli::add_precision_option(app, s.precision);
  app.add_option("--names", s.names_path,
                 "list of names, one per line, plain or .gz (default: miscfiles' propernames)");
  app.add_option("--text", s.text_path,
                 "train on a text instead of names: a fortune file's entries (between lines "
                 "of \"%\") or the lines of any text, plain or .gz")
      ->excludes("--names");
  app.add_option("--sample-len", s.sample_len,
                 "longest sample in characters (default 30 for names, 400 for --text)")
      ->check(gpunn::cli::positive);
  CLI11_PARSE(app, argc, argv);
  if (s.epochs == 0) s.epochs = s.cell == "gru" ? 20 : 30;
  if (common.smoke) s.epochs = std::min<int64_t>(s.epochs, 2);

  ex::prepare_output_dir(common);
  const Device device = ex::resolve_device(common.device);
  cli::apply_precision(s.precision);
  std::cerr << "char_rnn: " << ex::run_summary(device, s.precision) << "\n";
  if (s.names_path.empty() && s.text_path.empty()) {
    const std::optional<std::string> found = data::find_propernames();
    if (!found) {
      std::cerr << "char_rnn: no list of names found; install Debian's miscfiles package "
                   "(/usr/share/dict/propernames"
                << (data::has_zlib() ? "" : ", read as .gz only in builds with zlib")
                << ") or pass --names FILE\n";
      return ex::kSkipExitCode;
    }
    s.names_path = *found;
  }
  const bool text_mode = !s.text_path.empty();
  const Corpus corpus =
      text_mode ? read_corpus(s.text_path) : Corpus{read_names(s.names_path), "\n"};
  const std::string& end = corpus.end;
  const std::vector<std::string>& all_names = corpus.entries;
  const std::string source = text_mode ? s.text_path : s.names_path;
  const char* unit = text_mode ? "entries" : "names";
  if (s.sample_len == 0) s.sample_len = text_mode ? 400 : 30;
  // The split: a fixed shuffle (not the run's seed), its last tenth held out.
  std::vector<std::string> names, val_names;
  {
    Generator split_gen(20261207);
    const std::vector<std::string> order = shuffled(all_names, split_gen);
    const size_t n_val = std::max<size_t>(
        1, static_cast<size_t>(std::lround(s.val_fraction * static_cast<double>(order.size()))));
    names.assign(order.begin(), order.end() - static_cast<std::ptrdiff_t>(n_val));
    val_names.assign(order.end() - static_cast<std::ptrdiff_t>(n_val), order.end());
  }
  const std::set<std::string> known(names.begin(), names.end());
  Generator gen(common.seed);
  // The vocabulary of every entry, so validation text has no unknown characters.
  const data::CharVocab vocab(shuffled_text(all_names, gen, end));
  const int64_t V = vocab.size();
  const std::vector<int64_t> val_ids = vocab.encode_ids(joined(val_names, end));
  std::cerr << "char_rnn: " << all_names.size() << " " << unit << " from " << source << " ("
            << names.size() << " to train on, " << val_names.size() << " held out), " << V
            << " characters; " << s.cell;
  if (s.cell == "transformer")
    std::cerr << " (" << s.layers << " blocks, width " << s.dim << ", " << s.heads << " heads)";
  else
    std::cerr << " with " << s.hidden << " units";
  std::cerr << " on " << device.str() << "\n";

  manual_seed(common.seed);
  CharModel model(V, s);
  model.to(device);
  optim::Adam opt(model.parameters(), {.lr = s.lr});
  optim::GradScaler scaler(cli::scaler_options(s.precision));

  double initial_loss = NAN, final_loss = NAN;
  std::vector<double> losses;  // per step
  // Every epoch's text has the same length: a leading '\n' and each name with its '\n'.
  int64_t text_len = static_cast<int64_t>(end.size());
  for (const std::string& n : names) text_len += static_cast<int64_t>(n.size() + end.size());
  const int64_t stream_len = (text_len - 1) / s.batch;
  const int64_t chunks_per_epoch = (stream_len + s.seq_len - 1) / s.seq_len;
  ex::Progress progress("train", s.epochs * chunks_per_epoch, "step");
  int64_t step = 0;
  cli::ProfileRun profile(common.profile);  // --profile: the training epochs
  profile.start();
  for (int64_t epoch = 0; epoch < s.epochs; ++epoch) {
    State state;
    double sum = 0;
    int64_t count = 0;
    for (const Chunk& chunk :
         make_chunks(vocab.encode_ids(shuffled_text(names, gen, end)), s.batch, s.seq_len)) {
      const profiler::Range step_range("step");
      opt.zero_grad();
      Tensor loss;
      {
        autocast::Guard amp(cli::autocast_dtype(s.precision), cli::uses_autocast(s.precision));
        const Tensor logits = model.forward(chunk.input.to(device), state);
        loss = cross_entropy(logits.reshape({-1, V}), chunk.target.to(device).reshape({-1}));
      }
      scaler.scale(loss).backward();
      if (s.clip > 0) {
        scaler.unscale_(opt);  // clip the true gradients
        optim::clip_grad_norm(model.parameters(), s.clip);
      }
      scaler.step(opt);
      scaler.update();
      // Truncated BPTT: keep the state's values, drop its history.
      state = state.detached();
      const double l = loss.item();
      GPUNN_CHECK(std::isfinite(l), "loss is ", l, " at epoch ", epoch + 1);
      if (step == 0) initial_loss = l;
      losses.push_back(l);
      sum += l;
      ++count;
      ++step;
      std::ostringstream status;
      status << "epoch " << epoch + 1 << ", loss " << l;
      progress.update(step, status.str());
    }
    final_loss = sum / static_cast<double>(count);  // the mean over the last epoch
  }
  progress.finish("loss " + std::to_string(final_loss));
  const double val_loss = text_loss(model, val_ids, s.seq_len, V, device);
  std::cerr << "  validation loss " << val_loss << " per character (" << val_names.size()
            << " held-out " << unit << ")\n";

  const std::string curve = ex::output_path(common, "char_rnn_" + s.cell + "_loss.png");
  ex::write_png(curve, loss_curve(losses, std::ceil(initial_loss + 0.5), 480, 200));
  std::cerr << "  loss per step -> " << curve << "\n";

  model.eval();
  Generator sample_gen(common.seed + 1);
  std::vector<std::string> samples;
  int64_t novel = 0;
  for (int tries = 0; static_cast<int64_t>(samples.size()) < s.samples && tries < 100 * s.samples;
       ++tries) {
    std::string name = sample_name(model, vocab, s.temperature, device, sample_gen, s.sample_len, end);
    if (name.empty()) continue;  // an empty or runaway sample is no name
    novel += known.count(name) == 0;
    std::cerr << "  " << name << (known.count(name) ? "  (in the training list)" : "") << "\n";
    samples.push_back(std::move(name));
  }
  const double novel_fraction =
      samples.empty() ? 0.0 : static_cast<double>(novel) / static_cast<double>(samples.size());

  profile.finish();
  ex::JsonLine json;
  json.add("cell", s.cell)
      .add("initial_loss", initial_loss)
      .add("final_loss", final_loss)
      .add("val_loss", val_loss)
      .add("samples", samples)
      .add("novel_fraction", novel_fraction)
      .add("temperature", s.temperature)
      .add("epochs", s.epochs)
      .add("steps", step)
      .add("train_seconds", progress.elapsed_seconds())
      .add("device", device.str())
      .add("precision", s.precision)
      .add("smoke", common.smoke);
  std::cout << json.str() << std::endl;

  if (!(final_loss < initial_loss)) {
    std::cerr << "char_rnn: the loss did not fall (" << initial_loss << " -> " << final_loss
              << ")\n";
    return 1;
  }
  if (!common.smoke && novel_fraction < 0.5) {
    std::cerr << "char_rnn: only " << novel << " of " << samples.size()
              << " samples are new names; expected at least half\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const gpunn::Error& e) {
    std::cerr << "char_rnn: " << e.what() << "\n";
    return 1;
  }
}
