// The rnn family: the fused LSTM cell. gates [N, 4H] holds the pre-activations in the
// order input, forget, cell, output; c_prev [N, H]; out [N, 2H] holds h in columns
// [0, H) and c in [H, 2H). With i, f, o = σ(gates) and g = tanh(gates) (the element
// formulas in kernels/rnn_math.h):
//   forward:   c = f·c_prev + i·g,  h = o·tanh(c)
//   backward:  dout (dh, dc) → dgates [N, 4H] and dc_prev [N, H] (either may be null)
//   jvp:       the tangent of out from tangents of gates and c_prev (either may be null)
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct LstmCellArgs {
  DType dtype;
  int64_t N, H;
  const void* gates;
  const void* c_prev;
  void* out;
};

struct LstmCellBackwardArgs {
  DType dtype;
  int64_t N, H;
  const void* dout;
  const void* gates;
  const void* c_prev;
  void* dgates;   // may be null
  void* dc_prev;  // may be null
};

struct LstmCellJvpArgs {
  DType dtype;
  int64_t N, H;
  const void* tgates;   // may be null
  const void* tc_prev;  // may be null
  const void* gates;
  const void* c_prev;
  void* tout;
};

extern const OpTable<LstmCellArgs> lstm_cell_forward;
extern const OpTable<LstmCellBackwardArgs> lstm_cell_backward;
extern const OpTable<LstmCellJvpArgs> lstm_cell_jvp;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void lstm_cell_forward_cpu(const LstmCellArgs& a, const Context& ctx);
template <typename T>
void lstm_cell_backward_cpu(const LstmCellBackwardArgs& a, const Context& ctx);
template <typename T>
void lstm_cell_jvp_cpu(const LstmCellJvpArgs& a, const Context& ctx);

template <typename T>
void lstm_cell_forward_cuda(const LstmCellArgs& a, const Context& ctx);
template <typename T>
void lstm_cell_backward_cuda(const LstmCellBackwardArgs& a, const Context& ctx);
template <typename T>
void lstm_cell_jvp_cuda(const LstmCellJvpArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
