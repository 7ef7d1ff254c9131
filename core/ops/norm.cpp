// batch_norm, local_response_norm and lstm_cell (formulas in gpunn/ops/norm.h
// and kernels/norm.h). Each is one fused op with its own backward and JVP rule.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/norm.h>

#include <cmath>
#include <type_traits>

#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/norm.cuh"
#endif
#include "core/ops/common.h"
#include "kernels/norm.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
#endif

namespace gpunn {
namespace {

kernels::NormShape norm_shape(const Tensor& x) {
  kernels::NormShape s;
  s.N = x.shape()[0];
  s.C = x.shape()[1];
  s.inner = prod(x.shape(), 2, x.dim());
  return s;
}

template <typename T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <typename T>
T* mut_ptr_or_null(Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

void check_channel_vector(const char* op, const Tensor& x, const Tensor& v, const char* name,
                          int64_t C) {
  if (!v.defined()) return;
  check_floating(op, v, name);
  check_same_dtype_device(op, x, "input", v, name);
  GPUNN_CHECK(v.dim() == 1 && v.shape()[0] == C, op, ": ", name, " must be [", C, "] for input ",
              x.shape(), ", got ", describe(v));
}

// ---- batch norm -------------------------------------------------------------------

struct BatchNormSaved {
  autograd::SavedTensor x, mean, invstd, weight;
};

class BatchNormBackward final : public autograd::NodeWith<BatchNormSaved> {
 public:
  BatchNormBackward(kernels::NormShape s, bool batch_stats) : s_(s), batch_stats_(batch_stats) {}
  const char* name() const override { return "batch_norm_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this), mean = saved.mean.unpack(*this);
    const Tensor invstd = saved.invstd.unpack(*this), w = saved.weight.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    std::vector<Tensor> out(3);
    if (next_edges[0].valid()) out[0] = empty_as(dy, x.shape());
    if (next_edges[1].valid()) out[1] = empty_as(dy, {s_.C});
    if (next_edges[2].valid()) out[2] = empty_as(dy, {s_.C});
    dispatch_floating(dy.dtype(), "batch_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      KernelTable table{.cpu = [&] {
        kernels::batch_norm_backward_cpu(mut_ptr_or_null<T>(out[0]), mut_ptr_or_null<T>(out[1]),
                                         mut_ptr_or_null<T>(out[2]), dy.data<T>(), x.data<T>(),
                                         mean.data<T>(), invstd.data<T>(), ptr_or_null<T>(w), s_,
                                         batch_stats_);
      }};
#if GPUNN_WITH_ONEDNN
      if constexpr (std::is_same_v<T, float>) {
        if (dy.numel() > 0) {
          table.cpu_vendor = [&] {
            kernels::batch_norm_backward_onednn(
                mut_ptr_or_null<T>(out[0]), mut_ptr_or_null<T>(out[1]), mut_ptr_or_null<T>(out[2]),
                dy.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(), ptr_or_null<T>(w), s_,
                batch_stats_);
          };
        }
      }
#endif
#if GPUNN_WITH_CUDA
      table.cuda = [&] {
        Tensor sums = empty({2 * s_.C}, TensorOptions(kFloat64).device(dy.device()));
        kernels::batch_norm_backward_cuda(
            mut_ptr_or_null<T>(out[0]), mut_ptr_or_null<T>(out[1]), mut_ptr_or_null<T>(out[2]),
            dy.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(), ptr_or_null<T>(w), s_,
            batch_stats_, sums.data<double>(), cuda::stream(dy.device().index));
        GPUNN_CUDA_CHECK_LAUNCH("batch_norm_backward");
      };
#endif
      launch("batch_norm_backward", OpFamily::Norm, dy.device(), {&dy, &x, &w},
             {&out[0], &out[1], &out[2]}, table);
    });
    return out;
  }

 private:
  kernels::NormShape s_;
  bool batch_stats_;
};

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, const BatchNormOptions& o) {
  const char* op = "batch_norm";
  check_defined(op, input, "input");
  check_floating(op, input, "input");
  GPUNN_CHECK(input.dim() >= 2, op, ": expected input [N, C] or [N, C, ...], got ",
              describe(input));
  const int64_t C = input.shape()[1];
  GPUNN_CHECK(running_mean.defined() == running_var.defined(), op,
              ": running_mean and running_var must both be given or both be undefined");
  check_channel_vector(op, input, running_mean, "running_mean", C);
  check_channel_vector(op, input, running_var, "running_var", C);
  check_channel_vector(op, input, weight, "weight", C);
  check_channel_vector(op, input, bias, "bias", C);
  GPUNN_CHECK(o.eps > 0.0, op, ": eps must be positive, got ", o.eps);
  GPUNN_CHECK(o.momentum >= 0.0 && o.momentum <= 1.0, op, ": momentum must be in [0, 1], got ",
              o.momentum);
  check_same_device(op, {&input, &running_mean, &running_var, &weight, &bias});

  const bool batch_stats = o.training || !running_mean.defined();
  const kernels::NormShape s = norm_shape(input);
  if (batch_stats) {
    GPUNN_CHECK(s.N * s.inner > 1, op,
                ": expected more than 1 value per channel when using batch statistics, got input ",
                input.shape());
  }
  const Tensor x = input.detach().contiguous();
  const Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor mean = empty_as(x, {C}), invstd = empty_as(x, {C});
  Tensor y = empty_as(x, x.shape());
  // The JVP stays on the reference loops; it reads the statistics either path wrote.
  [[maybe_unused]] const bool vendor_ok = x.numel() > 0;
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (batch_stats) {
      Tensor var_unbiased = running_var.defined() ? empty_as(x, {C}) : Tensor();
      KernelTable table{.cpu = [&] {
        kernels::batch_norm_stats_cpu(mean.data<T>(), invstd.data<T>(),
                                      mut_ptr_or_null<T>(var_unbiased), x.data<T>(), s, o.eps);
        kernels::batch_norm_forward_cpu(y.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                        ptr_or_null<T>(w), ptr_or_null<T>(b), s);
      }};
#if GPUNN_WITH_ONEDNN
      if constexpr (std::is_same_v<T, float>) {
        if (vendor_ok) {
          table.cpu_vendor = [&] {
            kernels::batch_norm_forward_training_onednn(
                y.data<T>(), mean.data<T>(), invstd.data<T>(), mut_ptr_or_null<T>(var_unbiased),
                x.data<T>(), ptr_or_null<T>(w), ptr_or_null<T>(b), s, o.eps);
          };
        }
      }
#endif
#if GPUNN_WITH_CUDA
      table.cuda = [&] {
        cudaStream_t st = cuda::stream(x.device().index);
        kernels::batch_norm_stats_cuda(mean.data<T>(), invstd.data<T>(),
                                       mut_ptr_or_null<T>(var_unbiased), x.data<T>(), s, o.eps, st);
        kernels::batch_norm_forward_cuda(y.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                         ptr_or_null<T>(w), ptr_or_null<T>(b), s, st);
        GPUNN_CUDA_CHECK_LAUNCH(op);
      };
#endif
      launch(op, OpFamily::Norm, x.device(), {&x, &w, &b}, {&y, &mean, &invstd}, table);
      if (o.training && running_mean.defined()) {
        NoGradGuard no_grad;
        Tensor rm = running_mean, rv = running_var;
        rm.mul_(1.0 - o.momentum).add_(mean, o.momentum);
        rv.mul_(1.0 - o.momentum).add_(var_unbiased, o.momentum);
      }
    } else {
      const Tensor rm = running_mean.contiguous(), rv = running_var.contiguous();
      {
        NoGradGuard no_grad;
        invstd.copy_(rdiv(sqrt(add(rv, o.eps)), 1.0));  // 1 / sqrt(var + eps), on rv's device
        mean.copy_(rm);
      }
      KernelTable table{.cpu = [&] {
        kernels::batch_norm_forward_cpu(y.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                        ptr_or_null<T>(w), ptr_or_null<T>(b), s);
      }};
#if GPUNN_WITH_ONEDNN
      if constexpr (std::is_same_v<T, float>) {
        if (vendor_ok) {
          table.cpu_vendor = [&] {
            kernels::batch_norm_forward_inference_onednn(y.data<T>(), x.data<T>(), rm.data<T>(),
                                                         rv.data<T>(), ptr_or_null<T>(w),
                                                         ptr_or_null<T>(b), s, o.eps);
          };
        }
      }
#endif
#if GPUNN_WITH_CUDA
      table.cuda = [&] {
        kernels::batch_norm_forward_cuda(y.data<T>(), x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                         ptr_or_null<T>(w), ptr_or_null<T>(b), s,
                                         cuda::stream(x.device().index));
        GPUNN_CUDA_CHECK_LAUNCH(op);
      };
#endif
      launch(op, OpFamily::Norm, x.device(), {&x, &w, &b}, {&y}, table);
    }
  });

  if (autograd::needs_grad({&input, &weight, &bias})) {
    auto node = autograd::make_node<BatchNormBackward>({&input, &weight, &bias}, s, batch_stats);
    node->saved.x = x;
    node->saved.mean = mean;
    node->saved.invstd = invstd;
    node->saved.weight = w;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&input, &weight, &bias})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(input), tw = autograd::fw::tangent_of(weight),
                 tb = autograd::fw::tangent_of(bias);
    const Tensor txc = tx.defined() ? tx.contiguous() : Tensor();
    const Tensor twc = tw.defined() ? tw.contiguous() : Tensor();
    const Tensor tbc = tb.defined() ? tb.contiguous() : Tensor();
    Tensor t = empty_as(x, x.shape());
    dispatch_floating(x.dtype(), op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      launch("batch_norm_jvp", OpFamily::Norm, x.device(), {&txc, &twc, &tbc, &x}, {&t},
             {.cpu =
                  [&] {
                    kernels::batch_norm_jvp_cpu(t.data<T>(), ptr_or_null<T>(txc),
                                                ptr_or_null<T>(twc), ptr_or_null<T>(tbc),
                                                x.data<T>(), mean.data<T>(), invstd.data<T>(),
                                                ptr_or_null<T>(w), s, batch_stats);
                  },
              GPUNN_IF_CUDA(.cuda = [&] {
                Tensor sums = empty({2 * s.C}, TensorOptions(kFloat64).device(x.device()));
                kernels::batch_norm_jvp_cuda(t.data<T>(), ptr_or_null<T>(txc), ptr_or_null<T>(twc),
                                             ptr_or_null<T>(tbc), x.data<T>(), mean.data<T>(),
                                             invstd.data<T>(), ptr_or_null<T>(w), s, batch_stats,
                                             sums.data<double>(), cuda::stream(x.device().index));
                GPUNN_CUDA_CHECK_LAUNCH("batch_norm_jvp");
              })});
    });
    autograd::fw::set_tangent(y, t);
  }
  return y;
}

// ---- local response norm ---------------------------------------------------------------

namespace {

struct LrnParams {
  kernels::NormShape s;
  int64_t size;
  double alpha, beta, k;
};

// scale (k + α/size·Σx²) is kept when the reference loops ran the forward;
// oneDNN's forward does not produce it, and its backward needs only x.
struct LrnSaved {
  autograd::SavedTensor x, scale;
};

class LrnBackward final : public autograd::NodeWith<LrnSaved> {
 public:
  explicit LrnBackward(LrnParams p) : p_(p) {}
  const char* name() const override { return "local_response_norm_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this);
    const Tensor saved_scale = saved.scale.defined() ? saved.scale.unpack(*this) : Tensor();
    const Tensor dy = grads[0].contiguous();
    Tensor dx = empty_as(dy, x.shape());
    dispatch_floating(dy.dtype(), "local_response_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      KernelTable table{.cpu = [&] {
        Tensor scale = saved_scale;
        if (!scale.defined()) {  // the forward ran on oneDNN: recompute the scale
          scale = empty_as(x, x.shape());
          Tensor y = empty_as(x, x.shape());
          kernels::lrn_forward_cpu(y.data<T>(), scale.data<T>(), x.data<T>(), p_.s, p_.size,
                                   p_.alpha, p_.beta, p_.k);
        }
        kernels::lrn_backward_cpu(dx.data<T>(), dy.data<T>(), x.data<T>(), scale.data<T>(), p_.s,
                                  p_.size, p_.alpha, p_.beta);
      }};
#if GPUNN_WITH_ONEDNN
      if constexpr (std::is_same_v<T, float>) {
        if (dy.numel() > 0 && kernels::lrn_onednn_supported(p_.size)) {
          table.cpu_vendor = [&] {
            kernels::lrn_backward_onednn(dx.data<T>(), dy.data<T>(), x.data<T>(), p_.s, p_.size,
                                         p_.alpha, p_.beta, p_.k);
          };
        }
      }
#endif
#if GPUNN_WITH_CUDA
      table.cuda = [&] {
        // The CUDA forward always saves the scale.
        kernels::lrn_backward_cuda(dx.data<T>(), dy.data<T>(), x.data<T>(), saved_scale.data<T>(),
                                   p_.s, p_.size, p_.alpha, p_.beta,
                                   cuda::stream(dy.device().index));
        GPUNN_CUDA_CHECK_LAUNCH("local_response_norm_backward");
      };
#endif
      launch("local_response_norm_backward", OpFamily::Norm, dy.device(), {&dy, &x}, {&dx}, table);
    });
    return {dx};
  }

 private:
  LrnParams p_;
};

}  // namespace

Tensor local_response_norm(const Tensor& input, int64_t size, double alpha, double beta, double k) {
  const char* op = "local_response_norm";
  check_defined(op, input, "input");
  check_floating(op, input, "input");
  GPUNN_CHECK(input.dim() >= 3, op, ": expected input [N, C, ...] with at least 3 dims, got ",
              describe(input));
  GPUNN_CHECK(size >= 1, op, ": size must be at least 1, got ", size);
  GPUNN_CHECK(k > 0.0 && alpha >= 0.0, op, ": expected k > 0 and alpha >= 0, got k = ", k,
              ", alpha = ", alpha);
  check_same_device(op, {&input});
  const LrnParams p{norm_shape(input), size, alpha, beta, k};
  const Tensor x = input.detach().contiguous();
  Tensor y = empty_as(x, x.shape());
  Tensor scale;  // set when the reference loops ran
  // The JVP needs the scale, which only the reference loops produce.
  [[maybe_unused]] const bool tangents = autograd::fw::any_tangent({&input});
  dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    KernelTable table{.cpu = [&] {
      scale = empty_as(x, x.shape());
      kernels::lrn_forward_cpu(y.data<T>(), scale.data<T>(), x.data<T>(), p.s, size, alpha, beta,
                               k);
    }};
#if GPUNN_WITH_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      if (!tangents && x.numel() > 0 && kernels::lrn_onednn_supported(size)) {
        table.cpu_vendor = [&] {
          kernels::lrn_forward_onednn(y.data<T>(), x.data<T>(), p.s, size, alpha, beta, k);
        };
      }
    }
#endif
#if GPUNN_WITH_CUDA
    table.cuda = [&] {
      scale = empty_as(x, x.shape());
      kernels::lrn_forward_cuda(y.data<T>(), scale.data<T>(), x.data<T>(), p.s, size, alpha, beta,
                                k, cuda::stream(x.device().index));
      GPUNN_CUDA_CHECK_LAUNCH(op);
    };
#endif
    launch(op, OpFamily::Norm, x.device(), {&x}, {&y}, table);
  });
  if (autograd::needs_grad({&input})) {
    auto node = autograd::make_node<LrnBackward>({&input}, p);
    node->saved.x = x;
    if (scale.defined()) node->saved.scale = scale;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&input})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(input).contiguous();
    Tensor t = empty_as(x, x.shape());
    dispatch_floating(x.dtype(), op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      launch("local_response_norm_jvp", OpFamily::Norm, x.device(), {&tx, &x}, {&t},
             {.cpu =
                  [&] {
                    kernels::lrn_jvp_cpu(t.data<T>(), tx.data<T>(), x.data<T>(), scale.data<T>(),
                                         p.s, size, alpha, beta);
                  },
              GPUNN_IF_CUDA(.cuda = [&] {
                kernels::lrn_jvp_cuda(t.data<T>(), tx.data<T>(), x.data<T>(), scale.data<T>(), p.s,
                                      size, alpha, beta, cuda::stream(x.device().index));
                GPUNN_CUDA_CHECK_LAUNCH("local_response_norm_jvp");
              })});
    });
    autograd::fw::set_tangent(y, t);
  }
  return y;
}

// ---- LSTM cell -----------------------------------------------------------------------------

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
    dispatch_floating(dout.dtype(), "lstm_cell", [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* dg = mut_ptr_or_null<T>(out[0]);
      T* dc = mut_ptr_or_null<T>(out[1]);
      launch("lstm_cell_backward", OpFamily::Activation, dout.device(), {&dout, &gates, &c_prev},
             {&out[0], &out[1]},
             {.cpu =
                  [&] {
                    kernels::lstm_cell_backward_cpu(dg, dc, dout.data<T>(), gates.data<T>(),
                                                    c_prev.data<T>(), N_, H_);
                  },
              GPUNN_IF_CUDA(.cuda = [&] {
                kernels::lstm_cell_backward_cuda(dg, dc, dout.data<T>(), gates.data<T>(),
                                                 c_prev.data<T>(), N_, H_,
                                                 cuda::stream(dout.device().index));
                GPUNN_CUDA_CHECK_LAUNCH("lstm_cell_backward");
              })});
    });
    return out;
  }

 private:
  int64_t N_, H_;
};

}  // namespace

LstmState lstm_cell(const Tensor& gates_in, const Tensor& c_prev_in) {
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
  dispatch_floating(gates.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch(op, OpFamily::Activation, gates.device(), {&gates, &c_prev}, {&out},
           {.cpu =
                [&] {
                  kernels::lstm_cell_forward_cpu(out.data<T>(), gates.data<T>(), c_prev.data<T>(),
                                                 N, H);
                },
            GPUNN_IF_CUDA(.cuda = [&] {
              kernels::lstm_cell_forward_cuda(out.data<T>(), gates.data<T>(), c_prev.data<T>(), N,
                                              H, cuda::stream(gates.device().index));
              GPUNN_CUDA_CHECK_LAUNCH(op);
            })});
  });
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
    dispatch_floating(gates.dtype(), op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      launch("lstm_cell_jvp", OpFamily::Activation, gates.device(), {&tgc, &tcc, &gates, &c_prev},
             {&t},
             {.cpu =
                  [&] {
                    kernels::lstm_cell_jvp_cpu(t.data<T>(), ptr_or_null<T>(tgc),
                                               ptr_or_null<T>(tcc), gates.data<T>(),
                                               c_prev.data<T>(), N, H);
                  },
              GPUNN_IF_CUDA(.cuda = [&] {
                kernels::lstm_cell_jvp_cuda(t.data<T>(), ptr_or_null<T>(tgc), ptr_or_null<T>(tcc),
                                            gates.data<T>(), c_prev.data<T>(), N, H,
                                            cuda::stream(gates.device().index));
                GPUNN_CUDA_CHECK_LAUNCH("lstm_cell_jvp");
              })});
    });
    autograd::fw::set_tangent(out, t);
  }
  return {out.narrow(1, 0, H), out.narrow(1, H, H)};
}

}  // namespace gpunn
