// hello: the lecture's smallest recurrent network. The training text is "hello" and its
// vocabulary the four letters h, e, l, o (in order of appearance); fed h, e, l, l one at
// a time as one-hot vectors, a vanilla RNN (tanh, 3 hidden units as in the lecture)
// with a linear output layer must predict the next letter each time: e, l, l, o. The
// two l's are the point: the same input must give l the first time and o the second, so
// the answer has to come from the hidden state.
//
// Trains with Adam on the whole sequence (backpropagation through time) until every
// prediction is right and the loss is below 0.05, at most --steps steps, then prints the
// lecture's table: for each step the input, the target, the output probabilities of
// h, e, l, o and the prediction. --text takes another word (at least two letters).
//
// The last output line is one JSON object: text, vocabulary, predicted, correct, steps,
// final_loss, probabilities (one row per step). Exits non-zero unless every prediction
// is right.
#include <gpunn/gpunn.h>

#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/example.h"

namespace ex = gpunn::examples;
using namespace gpunn;

namespace {

struct Options {
  ex::CommonOptions common;
  std::string text = "hello";
  int64_t hidden = 3;
  int64_t steps = 0;  // 0: 2000 (the run stops once it has learnt; --smoke changes nothing)
  double lr = 0.05;
};

int run(const Options& o) {
  ex::prepare_output_dir(o.common);
  const Device device = ex::resolve_device(o.common.device);
  GPUNN_CHECK(o.text.size() >= 2, "--text needs at least two characters, got \"", o.text, "\"");
  std::string vocab;
  for (char c : o.text)
    if (vocab.find(c) == std::string::npos) vocab += c;
  const auto V = static_cast<int64_t>(vocab.size());
  const auto T = static_cast<int64_t>(o.text.size()) - 1;
  // Inputs: one-hot rows [T, 1, V] (time major, batch 1); targets: the next letters.
  std::vector<double> onehot(static_cast<size_t>(T * V), 0.0), next;
  for (int64_t t = 0; t < T; ++t) {
    onehot[static_cast<size_t>(t * V + static_cast<int64_t>(vocab.find(o.text[t])))] = 1.0;
    next.push_back(static_cast<double>(vocab.find(o.text[static_cast<size_t>(t + 1)])));
  }
  const Tensor x = tensor(onehot, {T, 1, V}).to(device);
  const Tensor y = tensor(next, {T}, kInt64).to(device);

  manual_seed(o.common.seed);
  nn::RNN rnn({.input_size = V, .hidden_size = o.hidden});
  nn::Linear out(o.hidden, V);
  rnn.to(device);
  out.to(device);
  std::vector<Tensor> params = rnn.parameters();
  for (const Tensor& p : out.parameters()) params.push_back(p);
  optim::Adam opt(params, {.lr = o.lr});

  auto logits = [&] { return out(rnn.forward(x, Tensor()).output.reshape({T, o.hidden})); };
  const int64_t max_steps = o.steps > 0 ? o.steps : 2000;
  int64_t steps = 0;
  double loss_value = 0;
  bool learnt = false;
  while (steps < max_steps && !learnt) {
    opt.zero_grad();
    const Tensor z = logits();
    const Tensor loss = cross_entropy(z, y);
    loss.backward();
    opt.step();
    ++steps;
    loss_value = loss.item();
    learnt = loss_value < 0.05 && argmax(z, 1).to_vector<int64_t>() == y.to_vector<int64_t>();
  }

  NoGradGuard no_grad;
  const Tensor p = softmax(logits(), 1).to(kCPU);
  const std::vector<double> probs = p.to_vector<double>();
  std::string predicted;
  std::cout << "after " << steps << " steps, loss " << std::setprecision(4) << loss_value
            << "\n\n step  input  target";
  for (char c : vocab) std::cout << "     p(" << c << ")";
  std::cout << "  predicted\n";
  std::vector<double> rows;
  for (int64_t t = 0; t < T; ++t) {
    int64_t best = 0;
    std::cout << std::setw(5) << t + 1 << "  " << std::setw(5) << o.text[static_cast<size_t>(t)]
              << "  " << std::setw(6) << o.text[static_cast<size_t>(t + 1)];
    for (int64_t v = 0; v < V; ++v) {
      const double q = probs[static_cast<size_t>(t * V + v)];
      if (q > probs[static_cast<size_t>(t * V + best)]) best = v;
      std::cout << std::setw(9) << std::fixed << std::setprecision(3) << q;
      rows.push_back(q);
    }
    predicted += vocab[static_cast<size_t>(best)];
    std::cout << "  " << std::setw(9) << vocab[static_cast<size_t>(best)] << "\n";
  }
  const std::string expected = o.text.substr(1);
  const bool correct = predicted == expected;
  std::cout << "\npredicted \"" << predicted << "\" for \"" << expected
            << "\": " << (correct ? "right" : "wrong") << "\n";

  ex::JsonLine json;
  json.add("text", o.text)
      .add("vocabulary", vocab)
      .add("predicted", predicted)
      .add("correct", correct)
      .add("steps", steps)
      .add("final_loss", loss_value)
      .add("probabilities", rows)
      .add("device", device.str());
  std::cout << json.str() << std::endl;
  return correct ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "hello: a vanilla RNN learns to predict e, l, l, o after h, e, l, l (the lecture's "
      "worked example), and prints its output probabilities per step"};
  Options o;
  ex::add_common_options(app, o.common);
  app.add_option("--text", o.text, "the word to learn")->capture_default_str();
  app.add_option("--hidden", o.hidden, "hidden units")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--steps", o.steps, "most training steps (default 2000; stops once learnt)")
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", o.lr, "Adam learning rate")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "hello: " << e.what() << "\n";
    return 1;
  }
}
