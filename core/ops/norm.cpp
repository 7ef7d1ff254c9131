// batch_norm and local_response_norm (formulas in gpunn/ops/norm.h and kernels/norm.h).
// Each is one fused op with its own backward and JVP rule.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/norm.h>
#include <gpunn/ops/reduce.h>

#include <cmath>

#include "core/autocast.h"
#include "core/autograd/checkpoint.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/norm.h"

namespace gpunn {
namespace {

kernels::NormShape norm_shape(const Tensor& x) {
  kernels::NormShape s;
  s.N = x.shape()[0];
  s.C = x.shape()[1];
  s.inner = prod(x.shape(), 2, x.dim());
  return s;
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
  BatchNormBackward(kernels::NormShape s, bool batch_stats, double eps)
      : s_(s), batch_stats_(batch_stats), eps_(eps) {}
  const char* name() const override { return "batch_norm_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this), mean = saved.mean.unpack(*this);
    const Tensor invstd = saved.invstd.unpack(*this), w = saved.weight.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    std::vector<Tensor> out(3);
    if (next_edges[0].valid()) out[0] = empty_as(dy, x.shape());
    if (next_edges[1].valid()) out[1] = empty_as(dy, {s_.C});
    if (next_edges[2].valid()) out[2] = empty_as(dy, {s_.C});
    const kernels::BatchNormBackwardArgs args{.dtype = dy.dtype(),
                                              .s = s_,
                                              .training = batch_stats_,
                                              .dy = dy.data_ptr(),
                                              .x = x.data_ptr(),
                                              .mean = mean.data_ptr(),
                                              .invstd = invstd.data_ptr(),
                                              .w = data_or_null(w),
                                              .dx = data_or_null(out[0]),
                                              .dw = data_or_null(out[1]),
                                              .db = data_or_null(out[2])};
    launch(kernels::batch_norm_backward, dy.device(), args, {&dy, &x, &w},
           {&out[0], &out[1], &out[2]});
    return out;
  }
  // As ops (Note [differentiable backward]), with x̂ = (x - mean)·invstd and sums over every
  // dim but the channels:
  //   dx = w·invstd·(dy - mean(dy) - x̂·mean(dy·x̂))   (batch statistics, recomputed from x
  //                                                    so that they carry x's history)
  //   dx = w·invstd·dy                               (running statistics: constants)
  //   dw = Σ dy·x̂,  db = Σ dy
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack_differentiable(*this, next_edges[0]);
    const Tensor w = saved.weight.unpack_differentiable(*this, next_edges[1]);
    const Tensor& dy = grads[0];
    Shape dims{0}, channel(static_cast<size_t>(x.dim()), 1);
    for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
    channel[1] = s_.C;
    Tensor xhat, invstd;
    if (batch_stats_) {
      const Tensor centred = sub(x, mean(x, dims, /*keepdim=*/true));
      invstd = rdiv(sqrt(add(mean(mul(centred, centred), dims, true), eps_)), 1.0);
      xhat = mul(centred, invstd);
    } else {
      const Tensor m = saved.mean.unpack(*this).reshape(channel);
      invstd = saved.invstd.unpack(*this).reshape(channel);
      xhat = mul(sub(x, m), invstd);
    }
    const Tensor scale = w.defined() ? mul(w.reshape(channel), invstd) : invstd;
    std::vector<Tensor> out(3);
    if (next_edges[0].valid()) {
      out[0] = batch_stats_ ? mul(scale, sub(sub(dy, mean(dy, dims, true)),
                                             mul(xhat, mean(mul(dy, xhat), dims, true))))
                            : mul(scale, dy);
    }
    if (next_edges[1].valid()) out[1] = sum(mul(dy, xhat), dims);
    if (next_edges[2].valid()) out[2] = sum(dy, dims);
    return out;
  }

 private:
  kernels::NormShape s_;
  bool batch_stats_;
  double eps_;
};

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, const BatchNormFuncOptions& o) {
  if (autocast_detail::active() && input.defined() && is_reduced_float(input.dtype())) {
    // Statistics in float32 (gpunn/autocast.h); the running buffers keep their dtype.
    using autocast_detail::to_float32;
    return batch_norm(to_float32(input), running_mean, running_var, to_float32(weight),
                      to_float32(bias), o);
  }
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
  if (batch_stats) {
    Tensor var_unbiased = running_var.defined() ? empty_as(x, {C}) : Tensor();
    const kernels::BatchNormTrainingArgs args{.dtype = x.dtype(),
                                              .s = s,
                                              .eps = o.eps,
                                              .x = x.data_ptr(),
                                              .w = data_or_null(w),
                                              .b = data_or_null(b),
                                              .y = y.data_ptr(),
                                              .mean = mean.data_ptr(),
                                              .invstd = invstd.data_ptr(),
                                              .var_unbiased = data_or_null(var_unbiased)};
    launch(kernels::batch_norm_training, x.device(), args, {&x, &w, &b}, {&y, &mean, &invstd}, op);
    // A checkpoint's recompute leaves the statistics as its first run updated them.
    if (o.training && running_mean.defined() && !autograd::is_recomputing()) {
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
    const kernels::BatchNormInferenceArgs args{.dtype = x.dtype(),
                                               .s = s,
                                               .eps = o.eps,
                                               .x = x.data_ptr(),
                                               .w = data_or_null(w),
                                               .b = data_or_null(b),
                                               .mean = mean.data_ptr(),
                                               .invstd = invstd.data_ptr(),
                                               .var = rv.data_ptr(),
                                               .y = y.data_ptr()};
    launch(kernels::batch_norm_inference, x.device(), args, {&x, &w, &b}, {&y}, op);
  }

  if (autograd::needs_grad({&input, &weight, &bias})) {
    auto node =
        autograd::make_node<BatchNormBackward>({&input, &weight, &bias}, s, batch_stats, o.eps);
    node->saved.x = autograd::SavedTensor(x, input);
    node->saved.mean = mean;
    node->saved.invstd = invstd;
    node->saved.weight = autograd::SavedTensor(w, weight);
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
    const kernels::BatchNormJvpArgs args{.dtype = x.dtype(),
                                         .s = s,
                                         .training = batch_stats,
                                         .tx = data_or_null(txc),
                                         .tw = data_or_null(twc),
                                         .tb = data_or_null(tbc),
                                         .x = x.data_ptr(),
                                         .mean = mean.data_ptr(),
                                         .invstd = invstd.data_ptr(),
                                         .w = data_or_null(w),
                                         .t = t.data_ptr()};
    launch(kernels::batch_norm_jvp, x.device(), args, {&txc, &twc, &tbc, &x}, {&t},
           "batch_norm_jvp");
    autograd::fw::set_tangent(y, t);
  }
  return y;
}

// ---- layer norm ------------------------------------------------------------------------

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const char* op = "layer_norm";
  check_defined(op, input, "input");
  if (autocast_detail::active() && is_reduced_float(input.dtype())) {
    using autocast_detail::to_float32;
    return layer_norm(to_float32(input), normalized_shape, to_float32(weight), to_float32(bias),
                      eps);
  }
  check_floating(op, input, "input");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  bool trailing = k >= 1 && k <= input.dim();
  for (int64_t i = 0; trailing && i < k; ++i)
    trailing = input.shape()[static_cast<size_t>(input.dim() - k + i)] ==
               normalized_shape[static_cast<size_t>(i)];
  GPUNN_CHECK(trailing, op, ": normalized_shape ", normalized_shape,
              " must be the trailing dims of the input, got input ", input.shape());
  for (const auto& [t, name] : {std::pair<const Tensor*, const char*>{&weight, "weight"},
                                std::pair<const Tensor*, const char*>{&bias, "bias"}}) {
    if (!t->defined()) continue;
    check_floating(op, *t, name);
    check_same_dtype_device(op, input, "input", *t, name);
    GPUNN_CHECK(t->shape() == normalized_shape, op, ": ", name, " must have normalized_shape ",
                normalized_shape, ", got ", t->shape());
  }
  GPUNN_CHECK(eps > 0.0, op, ": eps must be positive, got ", eps);
  check_same_device(op, {&input, &weight, &bias});
  Shape dims;
  for (int64_t i = input.dim() - k; i < input.dim(); ++i) dims.push_back(i);
  const Tensor centred = sub(input, mean(input, dims, /*keepdim=*/true));
  const Tensor var = mean(mul(centred, centred), dims, /*keepdim=*/true);
  Tensor y = mul(centred, rdiv(sqrt(add(var, eps)), 1.0));
  if (weight.defined()) y = mul(y, weight);
  if (bias.defined()) y = add(y, bias);
  return y;
}

// ---- local response norm ---------------------------------------------------------------

namespace {

struct LrnParams {
  kernels::NormShape s;
  int64_t size;
  double alpha, beta, k;
};

// scale (k + α/size·Σx²) is kept when our kernels ran the forward; oneDNN's forward
// does not produce it, and the backward then recomputes it or needs only x.
struct LrnSaved {
  autograd::SavedTensor x, scale;
};

class LrnBackward final : public autograd::NodeWith<LrnSaved> {
 public:
  explicit LrnBackward(LrnParams p) : p_(p) {}
  const char* name() const override { return "local_response_norm_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x = saved.x.unpack(*this);
    const Tensor scale = saved.scale.unpack(*this);
    const Tensor dy = grads[0].contiguous();
    Tensor dx = empty_as(dy, x.shape());
    const kernels::LrnBackwardArgs args{.dtype = dy.dtype(),
                                        .s = p_.s,
                                        .size = p_.size,
                                        .alpha = p_.alpha,
                                        .beta = p_.beta,
                                        .k = p_.k,
                                        .dy = dy.data_ptr(),
                                        .x = x.data_ptr(),
                                        .scale = data_or_null(scale),
                                        .dx = dx.data_ptr()};
    launch(kernels::lrn_backward, dy.device(), args, {&dy, &x}, {&dx},
           "local_response_norm_backward");
    return {dx};
  }

 private:
  LrnParams p_;
};

}  // namespace

Tensor local_response_norm(const Tensor& input, int64_t size, double alpha, double beta, double k) {
  if (autocast_detail::active() && input.defined() && is_reduced_float(input.dtype()))
    return local_response_norm(autocast_detail::to_float32(input), size, alpha, beta, k);
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
  Tensor scale = empty_as(x, x.shape());
  const kernels::LrnArgs args{.dtype = x.dtype(),
                              .s = p.s,
                              .size = size,
                              .alpha = alpha,
                              .beta = beta,
                              .k = k,
                              .x = x.data_ptr(),
                              .y = y.data_ptr(),
                              .scale = scale.data_ptr(),
                              // The JVP needs the scale, which oneDNN does not produce.
                              .scale_needed = autograd::fw::any_tangent({&input})};
  const Launched ran = launch(kernels::lrn_forward, x.device(), args, {&x}, {&y}, op);
  if (ran.implementation == Implementation::CpuVendor) scale = Tensor();
  if (autograd::needs_grad({&input})) {
    auto node = autograd::make_node<LrnBackward>({&input}, p);
    node->saved.x = x;
    node->saved.scale = scale;
    autograd::set_history(y, node);
  }
  if (autograd::fw::any_tangent({&input})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(input).contiguous();
    Tensor t = empty_as(x, x.shape());
    const kernels::LrnJvpArgs jvp{.dtype = x.dtype(),
                                  .s = p.s,
                                  .size = size,
                                  .alpha = alpha,
                                  .beta = beta,
                                  .tx = tx.data_ptr(),
                                  .x = x.data_ptr(),
                                  .scale = scale.data_ptr(),
                                  .t = t.data_ptr()};
    launch(kernels::lrn_jvp, x.device(), jvp, {&tx, &x}, {&t}, "local_response_norm_jvp");
    autograd::fw::set_tangent(y, t);
  }
  return y;
}

}  // namespace gpunn
