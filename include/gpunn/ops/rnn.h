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

}  // namespace gpunn

GPUNN_API_END
