// Recurrent cells.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// One LSTM step from the gate pre-activations gates [N, 4H] (input, forget, cell,
// output, in that order; typically x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) and the
// previous cell state c_prev [N, H]:
//   i, f, o = σ(·);  g = tanh(·);  c = f·c_prev + i·g;  h = o·tanh(c).
// One fused op: h and c are views of one [N, 2H] result.
struct LstmState {
  Tensor h;
  Tensor c;
};
LstmState lstm_cell(const Tensor& gates, const Tensor& c_prev);

// One GRU step (Cho et al., 2014, in the common form with the reset gate applied to the
// hidden projection) from the input's and the state's gate projections gates_x =
// x·W_ihᵀ + b_ih and gates_h = h·W_hhᵀ + b_hh, both [N, 3H] in the order reset, update,
// new, and the previous state h_prev [N, H]:
//   r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r·h_n),  h = (1 - z)·n + z·h_prev
// Composed of ops (each with its gradient, JVP and differentiable rule), on every device.
Tensor gru_cell(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h_prev);

}  // namespace gpunn

GPUNN_API_END
