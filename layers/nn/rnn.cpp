// RNN, LSTM and GRU layers (gpunn/nn/rnn.h).
#include <gpunn/autograd.h>
#include <gpunn/nn/rnn.h>
#include <gpunn/ops.h>

#include <cmath>
#include <sstream>

namespace gpunn::nn {

RecurrentBase::RecurrentBase(const char* type, const RnnOptions& o, int64_t gates,
                             TensorOptions topt, Generator* gen)
    : Module(type), options(o), gates_(gates) {
  GPUNN_CHECK(o.input_size >= 1 && o.hidden_size >= 1 && o.num_layers >= 1, type,
              ": expected input_size, hidden_size and num_layers >= 1, got ", o.input_size, ", ",
              o.hidden_size, ", ", o.num_layers);
  const int64_t H = o.hidden_size, G = gates * H;
  const double bound = 1.0 / std::sqrt(static_cast<double>(H));
  auto init = [&](const Shape& shape) {
    Tensor u = rand(shape, topt.requires_grad(false), gen);
    NoGradGuard no_grad;
    u.mul_(2.0 * bound).add_(-bound);
    return u;
  };
  for (int64_t l = 0; l < o.num_layers; ++l) {
    const std::string s = std::to_string(l);
    const int64_t in = l == 0 ? o.input_size : H;
    LayerParams p;
    p.weight_ih = register_parameter("weight_ih_l" + s, init({G, in}));
    p.weight_hh = register_parameter("weight_hh_l" + s, init({G, H}));
    p.bias_ih = register_parameter("bias_ih_l" + s, o.bias ? init({G}) : Tensor());
    p.bias_hh = register_parameter("bias_hh_l" + s, o.bias ? init({G}) : Tensor());
    layers.push_back(p);
  }
}

std::string RecurrentBase::extra_repr() const {
  std::ostringstream os;
  os << options.input_size << ", " << options.hidden_size;
  if (options.num_layers != 1) os << ", num_layers=" << options.num_layers;
  if (type_name() == "RNN" && options.nonlinearity == RnnNonlinearity::Relu)
    os << ", nonlinearity=relu";
  if (!options.bias) os << ", bias=false";
  if (options.batch_first) os << ", batch_first=true";
  return os.str();
}

Tensor RecurrentBase::time_major(const Tensor& x) const {
  GPUNN_CHECK(x.defined() && x.dim() == 3, type_name(), ": expected input ",
              options.batch_first ? "[N, T, I]" : "[T, N, I]", ", got ",
              x.defined() ? gpunn::detail::concat(x.shape()) : std::string("an undefined tensor"));
  GPUNN_CHECK(x.shape()[2] == options.input_size, type_name(), ": expected input_size ",
              options.input_size, " in the last dim, got input ", x.shape());
  GPUNN_CHECK(x.shape()[0] >= 1 && x.shape()[1] >= 1, type_name(),
              ": the sequence and batch must be non-empty, got input ", x.shape());
  return options.batch_first ? x.transpose(0, 1) : x;
}

Tensor RecurrentBase::initial_state(const Tensor& given, const Tensor& x, const char* name) const {
  const Shape want{options.num_layers, x.shape()[1], options.hidden_size};
  if (!given.defined()) return zeros(want, x.options());
  GPUNN_CHECK(given.shape() == want, type_name(), ": expected ", name, " ", want, " for input ",
              x.shape(), ", got ", given.shape());
  return given;
}

RNN::RNN(const RnnOptions& o, TensorOptions t, Generator* g) : RecurrentBase("RNN", o, 1, t, g) {}

namespace {

// The steps of x [T, N, I] as T tensors [N, I], by unbind: one gradient node for all of
// them, so backward stacks the T step gradients once (selecting each step separately gave
// each a zero-filled gradient of the whole sequence: O(T²) per chunk). Layers pass their
// outputs to the next layer as this list rather than as a stacked tensor sliced again.
std::vector<Tensor> steps_of(const Tensor& x) { return unbind(x, 0); }

// Every layer of a cell with one state (RNN, GRU) over the steps of x: state = cell(layer,
// step, state) per step, each layer's outputs the next one's inputs; the last layer's outputs
// and every layer's last state.
template <typename Cell>
RnnOutput run_single_state(const std::vector<RecurrentBase::LayerParams>& layers, const Tensor& x,
                           const Tensor& h0, bool batch_first, Cell cell) {
  std::vector<Tensor> steps = steps_of(x);
  std::vector<Tensor> last;
  for (size_t l = 0; l < layers.size(); ++l) {
    Tensor h = h0.narrow(0, static_cast<int64_t>(l), 1).squeeze(0);
    for (Tensor& step : steps) {
      h = cell(layers[l], step, h);
      step = h;  // this layer's output is the next layer's input
    }
    last.push_back(h);
  }
  RnnOutput out;
  out.output = stack(steps, batch_first ? 1 : 0);
  out.h_n = stack(last, 0);
  return out;
}

}  // namespace

RnnOutput RNN::forward(const Tensor& input, const Tensor& h0_in) {
  const Tensor x = time_major(input);
  const bool tanh_cell = options.nonlinearity == RnnNonlinearity::Tanh;
  return run_single_state(layers, x, initial_state(h0_in, x, "h0"), options.batch_first,
                          [tanh_cell](const LayerParams& p, const Tensor& step, const Tensor& h) {
                            // s_t = f(U·x_t + b_ih + W·s_{t-1} + b_hh)
                            const Tensor pre = add(linear(step, p.weight_ih, p.bias_ih),
                                                   linear(h, p.weight_hh, p.bias_hh));
                            return tanh_cell ? gpunn::tanh(pre) : relu(pre);
                          });
}

LSTM::LSTM(const RnnOptions& o, TensorOptions t, Generator* g)
    : RecurrentBase("LSTM", o, 4, t, g) {}

RnnOutput LSTM::forward(const Tensor& input, const Tensor& h0_in, const Tensor& c0_in) {
  const Tensor x = time_major(input);
  const Tensor h0 = initial_state(h0_in, x, "h0"), c0 = initial_state(c0_in, x, "c0");
  std::vector<Tensor> steps = steps_of(x);
  std::vector<Tensor> last_h, last_c;
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerParams& p = layers[l];
    const int64_t li = static_cast<int64_t>(l);
    Tensor h = h0.narrow(0, li, 1).squeeze(0), c = c0.narrow(0, li, 1).squeeze(0);
    for (Tensor& step : steps) {
      const Tensor gates =
          add(linear(step, p.weight_ih, p.bias_ih), linear(h, p.weight_hh, p.bias_hh));
      LstmState s = lstm_cell(gates, c);
      h = s.h;
      c = s.c;
      step = h;
    }
    last_h.push_back(h);
    last_c.push_back(c);
  }
  RnnOutput out;
  out.output = stack(steps, options.batch_first ? 1 : 0);
  out.h_n = stack(last_h, 0);
  out.c_n = stack(last_c, 0);
  return out;
}

GRU::GRU(const RnnOptions& o, TensorOptions t, Generator* g) : RecurrentBase("GRU", o, 3, t, g) {}

RnnOutput GRU::forward(const Tensor& input, const Tensor& h0_in) {
  const Tensor x = time_major(input);
  return run_single_state(layers, x, initial_state(h0_in, x, "h0"), options.batch_first,
                          [](const LayerParams& p, const Tensor& step, const Tensor& h) {
                            return gru_cell(linear(step, p.weight_ih, p.bias_ih),
                                            linear(h, p.weight_hh, p.bias_hh), h);
                          });
}

}  // namespace gpunn::nn
