// lstm_cell (gpunn/ops/rnn.h): one fused op with its own backward and JVP rule;
// formulas in kernels/rnn.h.
//   forward:  c = f·c_prev + i·g,  h = o·tanh(c)  (h and c views of one [N, 2H] result)
//   backward: dgates and dc_prev from (dh, dc);  JVP: its own kernel
#include <gpunn/autograd.h>
#include <gpunn/ops/activation.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/rnn.h>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/rnn.h"

namespace gpunn {
namespace {

struct LstmSaved {
  autograd::SavedTensor gates, c_prev;
};

class LstmCellBackward final : public autograd::NodeWith<LstmSaved> {
 public:
  LstmCellBackward(int64_t N, int64_t H) : N_(N), H_(H) {}
  const char* name() const override { return "lstm_cell_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor gates = saved.gates.unpack(*this), c_prev = saved.c_prev.unpack(*this);
    const Tensor dout = grads[0].contiguous();
    std::vector<Tensor> out(2);
    if (next_edges[0].valid()) out[0] = empty_as(dout, {N_, 4 * H_});
    if (next_edges[1].valid()) out[1] = empty_as(dout, {N_, H_});
    const kernels::LstmCellBackwardArgs args{.dtype = dout.dtype(),
                                             .N = N_,
                                             .H = H_,
                                             .dout = dout.data_ptr(),
                                             .gates = gates.data_ptr(),
                                             .c_prev = c_prev.data_ptr(),
                                             .dgates = data_or_null(out[0]),
                                             .dc_prev = data_or_null(out[1])};
    launch(kernels::lstm_cell_backward, dout.device(), args, {&dout, &gates, &c_prev},
           {&out[0], &out[1]});
    return out;
  }

 private:
  int64_t N_, H_;
};

}  // namespace

LstmState lstm_cell(const Tensor& gates_in, const Tensor& c_prev_in) {
  if (autocast_detail::active() && gates_in.defined() && c_prev_in.defined() &&
      gates_in.dtype() != c_prev_in.dtype()) {  // promotion (gpunn/autocast.h)
    const DType d = autocast_detail::promoted({&gates_in, &c_prev_in}, gates_in.dtype());
    const Tensor g = autocast_detail::cast_floating(gates_in, d);
    const Tensor c = autocast_detail::cast_floating(c_prev_in, d);
    if (g.impl() != gates_in.impl() || c.impl() != c_prev_in.impl()) return lstm_cell(g, c);
  }
  const char* op = "lstm_cell";
  check_defined(op, gates_in, "gates");
  check_defined(op, c_prev_in, "c_prev");
  check_floating(op, gates_in, "gates");
  check_same_dtype_device(op, gates_in, "gates", c_prev_in, "c_prev");
  GPUNN_CHECK(c_prev_in.dim() == 2, op, ": expected c_prev [N, H], got ", describe(c_prev_in));
  const int64_t N = c_prev_in.shape()[0], H = c_prev_in.shape()[1];
  GPUNN_CHECK(gates_in.dim() == 2 && gates_in.shape()[0] == N && gates_in.shape()[1] == 4 * H, op,
              ": expected gates [N, 4H] = [", N, ", ", 4 * H, "] for c_prev ", c_prev_in.shape(),
              ", got ", describe(gates_in));
  check_same_device(op, {&gates_in, &c_prev_in});
  const Tensor gates = gates_in.detach().contiguous(), c_prev = c_prev_in.detach().contiguous();
  Tensor out = empty_as(gates, {N, 2 * H});
  const kernels::LstmCellArgs args{.dtype = gates.dtype(),
                                   .N = N,
                                   .H = H,
                                   .gates = gates.data_ptr(),
                                   .c_prev = c_prev.data_ptr(),
                                   .out = out.data_ptr()};
  launch(kernels::lstm_cell_forward, gates.device(), args, {&gates, &c_prev}, {&out});
  if (autograd::needs_grad({&gates_in, &c_prev_in})) {
    auto node = autograd::make_node<LstmCellBackward>({&gates_in, &c_prev_in}, N, H);
    node->saved.gates = gates;
    node->saved.c_prev = c_prev;
    autograd::set_history(out, node);
  }
  if (autograd::fw::any_tangent({&gates_in, &c_prev_in})) {
    autograd::fw::TangentScope scope;
    const Tensor tg = autograd::fw::tangent_of(gates_in), tc = autograd::fw::tangent_of(c_prev_in);
    const Tensor tgc = tg.defined() ? tg.contiguous() : Tensor();
    const Tensor tcc = tc.defined() ? tc.contiguous() : Tensor();
    Tensor t = empty_as(gates, {N, 2 * H});
    const kernels::LstmCellJvpArgs jvp{.dtype = gates.dtype(),
                                       .N = N,
                                       .H = H,
                                       .tgates = data_or_null(tgc),
                                       .tc_prev = data_or_null(tcc),
                                       .gates = gates.data_ptr(),
                                       .c_prev = c_prev.data_ptr(),
                                       .tout = t.data_ptr()};
    launch(kernels::lstm_cell_jvp, gates.device(), jvp, {&tgc, &tcc, &gates, &c_prev}, {&t});
    autograd::fw::set_tangent(out, t);
  }
  return {out.narrow(1, 0, H), out.narrow(1, H, H)};
}

Tensor gru_cell(const Tensor& gates_x, const Tensor& gates_h, const Tensor& h_prev) {
  const char* op = "gru_cell";
  check_defined(op, gates_x, "gates_x");
  check_defined(op, gates_h, "gates_h");
  check_defined(op, h_prev, "h_prev");
  GPUNN_CHECK(h_prev.dim() == 2, op, ": expected h_prev [N, H], got ", describe(h_prev));
  const int64_t n = h_prev.shape()[0], H = h_prev.shape()[1];
  const Shape gates{n, 3 * H};
  GPUNN_CHECK(gates_x.shape() == gates && gates_h.shape() == gates, op,
              ": expected gates_x and gates_h [", n, ", ", 3 * H,
              "] (reset, update, new) for h_prev ", h_prev.shape(), ", got ", gates_x.shape(),
              " and ", gates_h.shape());
  const Tensor r = sigmoid(add(gates_x.narrow(1, 0, H), gates_h.narrow(1, 0, H)));
  const Tensor z = sigmoid(add(gates_x.narrow(1, H, H), gates_h.narrow(1, H, H)));
  const Tensor cand =
      gpunn::tanh(add(gates_x.narrow(1, 2 * H, H), mul(r, gates_h.narrow(1, 2 * H, H))));
  return add(cand, mul(z, sub(h_prev, cand)));  // (1 - z)·n + z·h_prev
}

}  // namespace gpunn
