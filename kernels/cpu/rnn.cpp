// Reference loops for the LSTM cell (kernels/rnn.h): one element formula
// (kernels/rnn_math.h) per output position.
#include "kernels/rnn.h"

#include "kernels/rnn_math.h"

namespace gpunn::kernels {

template <typename T>
void lstm_cell_forward_cpu(const LstmCellArgs& a, const Context&) {
  auto* out = static_cast<T*>(a.out);
  const auto* gates = static_cast<const T*>(a.gates);
  const auto* c_prev = static_cast<const T*>(a.c_prev);
  for (int64_t n = 0; n < a.N; ++n)
    for (int64_t j = 0; j < a.H; ++j) math::lstm_forward_at(out, gates, c_prev, a.H, n, j);
}

template <typename T>
void lstm_cell_backward_cpu(const LstmCellBackwardArgs& a, const Context&) {
  auto* dgates = static_cast<T*>(a.dgates);
  auto* dc_prev = static_cast<T*>(a.dc_prev);
  const auto* dout = static_cast<const T*>(a.dout);
  const auto* gates = static_cast<const T*>(a.gates);
  const auto* c_prev = static_cast<const T*>(a.c_prev);
  for (int64_t n = 0; n < a.N; ++n)
    for (int64_t j = 0; j < a.H; ++j)
      math::lstm_backward_at(dgates, dc_prev, dout, gates, c_prev, a.H, n, j);
}

template <typename T>
void lstm_cell_jvp_cpu(const LstmCellJvpArgs& a, const Context&) {
  auto* tout = static_cast<T*>(a.tout);
  const auto* tgates = static_cast<const T*>(a.tgates);
  const auto* tc_prev = static_cast<const T*>(a.tc_prev);
  const auto* gates = static_cast<const T*>(a.gates);
  const auto* c_prev = static_cast<const T*>(a.c_prev);
  for (int64_t n = 0; n < a.N; ++n)
    for (int64_t j = 0; j < a.H; ++j)
      math::lstm_jvp_at(tout, tgates, tc_prev, gates, c_prev, a.H, n, j);
}

#define GPUNN_INSTANTIATE(T)                                                            \
  template void lstm_cell_forward_cpu<T>(const LstmCellArgs&, const Context&);          \
  template void lstm_cell_backward_cpu<T>(const LstmCellBackwardArgs&, const Context&); \
  template void lstm_cell_jvp_cpu<T>(const LstmCellJvpArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
