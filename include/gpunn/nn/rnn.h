// Recurrent layers over a sequence: the vanilla RNN of the lecture, the LSTM and the GRU.
//
// RNN, layer l at step t (tanh or ReLU as f):
//   s_t = f(U·x_t + W·s_{t-1} + b)     U = weight_ih_l{l}, W = weight_hh_l{l},
//                                      b = bias_ih_l{l} + bias_hh_l{l}
// LSTM: gates = W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh, then ops/rnn.h's lstm_cell.
// Parameter names and shapes follow the common convention (weight_ih_l0
// [G·H, I], weight_hh_l0 [G·H, H], biases [G·H]; G = 1 for RNN, 4 for LSTM in
// the order input, forget, cell, output, 3 for GRU in the order reset, update, new),
// so state dicts move between gpunn and
// other tools. Initial values are U(-1/sqrt(H), 1/sqrt(H)).
//
// Input [T, N, I] ([N, T, I] with batch_first); states [num_layers, N, H],
// zeros when not given. Truncated backpropagation through time: run a chunk of
// the sequence, backpropagate, and pass the detached final state into the next
// chunk (h = out.h_n.detach()), so gradients stop at the chunk boundary.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::nn {

enum class RnnNonlinearity { Tanh, Relu };

struct RnnOptions {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  RnnNonlinearity nonlinearity = RnnNonlinearity::Tanh;  // RNN only
  bool bias = true;
  bool batch_first = false;
};

struct RnnOutput {
  Tensor output;  // the last layer's states at every step: [T, N, H] ([N, T, H] batch_first)
  Tensor h_n;     // every layer's last state: [num_layers, N, H]
  Tensor c_n;     // LSTM: every layer's last cell state; undefined for RNN
};

class RecurrentBase : public Module {
 public:
  std::string extra_repr() const override;
  RnnOptions options;
  // Per layer: weight_ih, weight_hh, bias_ih, bias_hh (biases undefined without bias).
  struct LayerParams {
    Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  };
  std::vector<LayerParams> layers;

 protected:
  RecurrentBase(const char* type_name, const RnnOptions& options, int64_t gates,
                TensorOptions tensor_options, Generator* generator);
  // x as [T, N, I]; checks shapes and the optional initial state.
  Tensor time_major(const Tensor& x) const;
  Tensor initial_state(const Tensor& given, const Tensor& x, const char* name) const;
  int64_t gates_;
};

class RNN : public RecurrentBase {
 public:
  explicit RNN(const RnnOptions& options, TensorOptions tensor_options = {},
               Generator* generator = nullptr);
  RnnOutput forward(const Tensor& x, const Tensor& h0);
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()).output; }
};

class LSTM : public RecurrentBase {
 public:
  explicit LSTM(const RnnOptions& options, TensorOptions tensor_options = {},
                Generator* generator = nullptr);
  RnnOutput forward(const Tensor& x, const Tensor& h0, const Tensor& c0);
  Tensor forward(const Tensor& x) override { return forward(x, Tensor(), Tensor()).output; }
};

// GRU: per step gates_x = W_ih·x_t + b_ih, gates_h = W_hh·h_{t-1} + b_hh (3H each: reset,
// update, new), then ops/rnn.h's gru_cell. Parameters as above with G = 3.
class GRU : public RecurrentBase {
 public:
  explicit GRU(const RnnOptions& options, TensorOptions tensor_options = {},
               Generator* generator = nullptr);
  RnnOutput forward(const Tensor& x, const Tensor& h0);
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()).output; }
};

}  // namespace gpunn::nn

GPUNN_API_END
