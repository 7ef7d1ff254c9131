// Losses: nll_loss, cross_entropy, multiclass_hinge_loss, multi_margin_loss,
// mse_loss, binary_cross_entropy_with_logits, gaussian_kl_divergence and the
// penalties (formulas in gpunn/ops/loss.h).
//
// The per-sample parts are ops of their own (nll elements, label smoothing
// included, and margin elements) with kernels, gradient and JVP rules;
// reductions and the log-softmax of cross_entropy are compositions of
// differentiable ops, so their gradients and tangents follow from those ops'
// rules. Label smoothing lives in the nll kernel rather than being composed from
// mul/sum with a 0/1 mask of the ignored targets: with every target ignored,
// Mean divides by a total weight of 0, the upstream gradient is inf, and a mask
// would turn inf · 0 into NaN where PyTorch gives 0.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/loss.h>
#include <gpunn/ops/reduce.h>
#include <gpunn/ops/softmax.h>

#include <cmath>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/loss.h"

namespace gpunn {
namespace {

// Scores [N, C, d...] as [N, C, inner] with target [N, d...].
struct ClassLayout {
  int64_t N = 1, C = 1, inner = 1;
};

// Validates scores/target shapes for class-index losses; returns the layout.
ClassLayout class_layout(const char* op, const Tensor& scores, const Tensor& target,
                         bool allow_spatial) {
  check_floating(op, scores, "input");
  check_index(op, target, "target");
  GPUNN_CHECK(scores.device() == target.device(), op, ": input is on ", scores.device().str(),
              " but target is on ", target.device().str());
  ClassLayout l;
  if (scores.dim() == 1) {
    GPUNN_CHECK(target.dim() == 0, op, ": input ", describe(scores),
                " holds one sample, so target must be 0-D, got ", describe(target));
    l.C = scores.shape()[0];
  } else {
    GPUNN_CHECK(scores.dim() == 2 || (allow_spatial && scores.dim() > 2), op,
                ": expected input [N, C]", allow_spatial ? ", [C] or [N, C, d1, ...]" : " or [C]",
                ", got ", describe(scores));
    Shape expected = scores.shape();
    expected.erase(expected.begin() + 1);
    GPUNN_CHECK(target.shape() == expected, op, ": target has shape ", target.shape(),
                " but input ", scores.shape(), " needs target shape ", expected);
    l.N = scores.shape()[0];
    l.C = scores.shape()[1];
    l.inner = prod(scores.shape(), 2, scores.dim());
  }
  GPUNN_CHECK(l.C > 0, op, ": input ", describe(scores), " has no classes");
  return l;
}

void check_targets(const char* op, const Tensor& target, int64_t C, int64_t ignore_index,
                   bool allow_ignore) {
  // Validated on the host: for a CUDA target this copies its N indices back
  // (one small synchronizing transfer per loss call) so that a bad class index is
  // a clear error here rather than an out-of-bounds read in a kernel. Meta targets have
  // no values to check.
  if (target.device().is_meta()) return;
  const Tensor t = target.to(kCPU).contiguous();
  const int64_t* p = t.data<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (allow_ignore && p[i] == ignore_index) continue;
    GPUNN_CHECK(p[i] >= 0 && p[i] < C, op, ": target ", p[i], " at position ", i,
                " is out of range for ", C, " classes (target ", target.shape(), ")");
  }
}

void check_weight(const char* op, const Tensor& weight, const Tensor& scores, int64_t C) {
  if (!weight.defined()) return;
  check_floating(op, weight, "weight");
  check_same_dtype_device(op, scores, "input", weight, "weight");
  GPUNN_CHECK(weight.dim() == 1 && weight.shape()[0] == C, op, ": weight must be [", C,
              "] (one per class), got ", describe(weight));
}

Tensor reduce(const Tensor& per_sample, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return per_sample;
    case Reduction::Mean:
      return mean(per_sample);
    case Reduction::Sum:
      return sum(per_sample);
  }
  return per_sample;
}

// ---- nll elements ----------------------------------------------------------------------

struct NllSaved {
  autograd::SavedTensor target, weight;
};

// dlogp[n, c, i] = -((1 - ε) · w[y] · [c == y] + (ε / C) · w[c]) · dl[n, i]
class NllBackward final : public autograd::NodeWith<NllSaved> {
 public:
  NllBackward(Shape logp_shape, ClassLayout l, int64_t ignore_index, double smoothing)
      : logp_shape_(std::move(logp_shape)),
        l_(l),
        ignore_index_(ignore_index),
        smoothing_(smoothing) {}
  const char* name() const override { return "nll_loss_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor target = saved.target.unpack(*this), weight = saved.weight.unpack(*this);
    const Tensor dl = grads[0].contiguous();
    Tensor dlogp = empty_as(dl, logp_shape_);
    const kernels::NllBackwardArgs args{.dtype = dl.dtype(),
                                        .N = l_.N,
                                        .C = l_.C,
                                        .inner = l_.inner,
                                        .ignore_index = ignore_index_,
                                        .smoothing = smoothing_,
                                        .dloss = dl.data_ptr(),
                                        .target = target.data<int64_t>(),
                                        .weight = data_or_null(weight),
                                        .dlogp = dlogp.data_ptr()};
    launch(kernels::nll_backward, dl.device(), args, {&dl, &target, &weight}, {&dlogp},
           "nll_loss_backward");
    return {dlogp};
  }
  // Linear in dl and constant in logp: the kernel's coefficients (dl = 1, no history) times
  // dl broadcast over the class dim, as ops (Note [differentiable backward]).
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    Tensor coefficients;
    {
      NoGradGuard no_grad;
      std::vector<Tensor> unit{ones_like(grads[0]).detach()};
      coefficients = apply(unit)[0];
    }
    const Tensor& dl = grads[0];
    return {mul(coefficients, logp_shape_.size() > 1 ? dl.unsqueeze(1) : dl)};
  }

 private:
  Shape logp_shape_;
  ClassLayout l_;
  int64_t ignore_index_;
  double smoothing_;
};

struct NllParts {
  Tensor loss;  // per element, target's shape, differentiable w.r.t. logp
  Tensor wsum;  // per element w[y] (0 where ignored), no autograd
};

// Per-element -(1 - ε) w[y] logp[y] - (ε / C) Σ_c w[c] logp[c] (kernel only, no
// autograd) into loss/wsum.
void nll_kernel(const Tensor& logp, const Tensor& target, const Tensor& weight,
                const ClassLayout& l, int64_t ignore_index, double smoothing, Tensor* loss,
                Tensor* wsum) {
  const kernels::NllArgs args{.dtype = logp.dtype(),
                              .N = l.N,
                              .C = l.C,
                              .inner = l.inner,
                              .ignore_index = ignore_index,
                              .smoothing = smoothing,
                              .logp = logp.data_ptr(),
                              .target = target.data<int64_t>(),
                              .weight = data_or_null(weight),
                              .loss = loss->data_ptr(),
                              .wsum = wsum->data_ptr()};
  launch(kernels::nll_forward, logp.device(), args, {&logp, &target, &weight}, {loss, wsum},
         "nll_loss");
}

NllParts nll_parts(const char* op, const Tensor& logp, const Tensor& target_in,
                   const Tensor& weight_in, int64_t ignore_index, double smoothing) {
  const ClassLayout l = class_layout(op, logp, target_in, /*allow_spatial=*/true);
  check_weight(op, weight_in, logp, l.C);
  check_same_device(op, {&logp, &weight_in, &target_in});
  check_targets(op, target_in, l.C, ignore_index, /*allow_ignore=*/true);
  const Tensor x = logp.detach().contiguous();
  const Tensor target = target_in.contiguous();
  const Tensor weight = weight_in.defined() ? weight_in.detach().contiguous() : Tensor();
  NllParts r;
  r.loss = empty_as(x, target.shape());
  r.wsum = empty_as(x, target.shape());
  nll_kernel(x, target, weight, l, ignore_index, smoothing, &r.loss, &r.wsum);
  if (autograd::needs_grad({&logp})) {
    auto node = autograd::make_node<NllBackward>({&logp}, x.shape(), l, ignore_index, smoothing);
    node->saved.target = target;
    node->saved.weight = weight;
    autograd::set_history(r.loss, node);
  }
  if (autograd::fw::any_tangent({&logp})) {
    // The elements are linear in logp: their tangent is the same map applied to t.
    autograd::fw::TangentScope scope;
    Tensor t = empty_as(x, target.shape()), unused = empty_as(x, target.shape());
    nll_kernel(autograd::fw::tangent_of(logp).contiguous(), target, weight, l, ignore_index,
               smoothing, &t, &unused);
    autograd::fw::set_tangent(r.loss, t);
  }
  return r;
}

// Σ loss / Σ w[y] for Mean; the plain reductions otherwise.
Tensor reduce_weighted(const NllParts& parts, Reduction reduction) {
  if (reduction != Reduction::Mean) return reduce(parts.loss, reduction);
  return div(sum(parts.loss), sum(parts.wsum));
}

// ---- margin elements --------------------------------------------------------------------

struct MarginSaved {
  autograd::SavedTensor x, target, weight;
};

struct MarginParams {
  int p = 1;
  double margin = 1.0;
  double divisor = 1.0;
};

Tensor margin_backward(const char* op, const Tensor& dl, const Tensor& x, const Tensor& target,
                       const Tensor& weight, const MarginParams& m) {
  const Tensor g = dl.contiguous();
  const int64_t N = x.shape()[0], C = x.shape()[1];
  Tensor dx = empty_as(x, x.shape());
  const kernels::MultiMarginBackwardArgs args{.dtype = x.dtype(),
                                              .N = N,
                                              .C = C,
                                              .p = m.p,
                                              .margin = m.margin,
                                              .divisor = m.divisor,
                                              .dloss = g.data_ptr(),
                                              .x = x.data_ptr(),
                                              .target = target.data<int64_t>(),
                                              .weight = data_or_null(weight),
                                              .dx = dx.data_ptr()};
  launch(kernels::multi_margin_backward, x.device(), args, {&g, &x, &target, &weight}, {&dx}, op);
  return dx;
}

class MarginBackward final : public autograd::NodeWith<MarginSaved> {
 public:
  MarginBackward(const char* op, MarginParams m) : op_(op), m_(m) {}
  const char* name() const override { return "multi_margin_loss_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    return {margin_backward(op_, grads[0], saved.x.unpack(*this), saved.target.unpack(*this),
                            saved.weight.unpack(*this), m_)};
  }

 private:
  const char* op_;
  MarginParams m_;
};

Tensor margin_loss(const char* op, const Tensor& input, const Tensor& target_in,
                   const Tensor& weight_in, const MarginParams& m, Reduction reduction) {
  const ClassLayout l = class_layout(op, input, target_in, /*allow_spatial=*/false);
  check_weight(op, weight_in, input, l.C);
  GPUNN_CHECK(m.p == 1 || m.p == 2, op, ": p must be 1 or 2, got ", m.p);
  GPUNN_CHECK(std::isfinite(m.margin), op, ": margin must be finite, got ", m.margin);
  check_same_device(op, {&input, &weight_in, &target_in});
  check_targets(op, target_in, l.C, 0, /*allow_ignore=*/false);
  const bool one_sample = input.dim() == 1;
  const Tensor in2 = one_sample ? input.unsqueeze(0) : input;
  const Tensor x = in2.detach().contiguous();
  const Tensor target = target_in.reshape({l.N}).contiguous();
  const Tensor weight = weight_in.defined() ? weight_in.detach().contiguous() : Tensor();
  Tensor loss = empty_as(x, {l.N});
  const kernels::MultiMarginArgs args{.dtype = x.dtype(),
                                      .N = l.N,
                                      .C = l.C,
                                      .p = m.p,
                                      .margin = m.margin,
                                      .divisor = m.divisor,
                                      .x = x.data_ptr(),
                                      .target = target.data<int64_t>(),
                                      .weight = data_or_null(weight),
                                      .loss = loss.data_ptr()};
  launch(kernels::multi_margin_forward, x.device(), args, {&x, &target, &weight}, {&loss}, op);
  if (autograd::needs_grad({&in2})) {
    auto node = autograd::make_node<MarginBackward>({&in2}, op, m);
    node->saved.x = x;
    node->saved.target = target;
    node->saved.weight = weight;
    autograd::set_history(loss, node);
  }
  if (autograd::fw::any_tangent({&in2})) {
    // t_l[n] = Σ_j ∂l[n]/∂x[n, j] · t[n, j]
    autograd::fw::TangentScope scope;
    const Tensor partials = margin_backward(op, ones({l.N}, x.options()), x, target, weight, m);
    autograd::fw::set_tangent(loss, sum(mul(partials, autograd::fw::tangent_of(in2)), {1}));
  }
  return reduce(one_sample ? loss.reshape({}) : loss, reduction);
}

}  // namespace

// Under autocast every loss runs in float32 (gpunn/autocast.h): float32_inputs() says
// whether any floating argument is 16-bit, and each loss then calls itself on float32 copies.
namespace {
bool float32_inputs(std::initializer_list<const Tensor*> tensors) {
  if (!autocast_detail::active()) return false;
  for (const Tensor* t : tensors)
    if (t->defined() && is_reduced_float(t->dtype())) return true;
  return false;
}
using autocast_detail::to_float32;
}  // namespace

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NllLossOptions& options) {
  if (float32_inputs({&log_probs, &options.weight})) {
    NllLossOptions o = options;
    o.weight = to_float32(options.weight);
    return nll_loss(to_float32(log_probs), target, o);
  }
  return reduce_weighted(
      nll_parts("nll_loss", log_probs, target, options.weight, options.ignore_index, 0.0),
      options.reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  if (float32_inputs({&logits, &options.weight})) {
    CrossEntropyOptions o = options;
    o.weight = to_float32(options.weight);
    return cross_entropy(to_float32(logits), target, o);
  }
  const char* op = "cross_entropy";
  class_layout(op, logits, target, /*allow_spatial=*/true);
  const double eps = options.label_smoothing;
  GPUNN_CHECK(eps >= 0.0 && eps <= 1.0, op, ": label_smoothing must be in [0, 1], got ", eps);
  const Tensor logp = log_softmax(logits, logits.dim() == 1 ? 0 : 1);
  return reduce_weighted(nll_parts(op, logp, target, options.weight, options.ignore_index, eps),
                         options.reduction);
}

Tensor multiclass_hinge_loss(const Tensor& scores, const Tensor& target, double margin,
                             Reduction reduction) {
  if (float32_inputs({&scores}))
    return multiclass_hinge_loss(to_float32(scores), target, margin, reduction);
  return margin_loss("multiclass_hinge_loss", scores, target, Tensor(), {1, margin, 1.0},
                     reduction);
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target,
                         const MultiMarginLossOptions& options) {
  if (float32_inputs({&input, &options.weight})) {
    MultiMarginLossOptions o = options;
    o.weight = to_float32(options.weight);
    return multi_margin_loss(to_float32(input), target, o);
  }
  check_defined("multi_margin_loss", input, "input");
  const int64_t C = input.dim() >= 1 ? input.shape().back() : 1;
  return margin_loss("multi_margin_loss", input, target, options.weight,
                     {options.p, options.margin, static_cast<double>(std::max<int64_t>(C, 1))},
                     options.reduction);
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (float32_inputs({&input, &target}))
    return mse_loss(to_float32(input), to_float32(target), reduction);
  check_floating("mse_loss", input, "input");
  check_floating("mse_loss", target, "target");
  check_same_dtype_device("mse_loss", input, "input", target, "target");
  GPUNN_CHECK(input.shape() == target.shape(), "mse_loss: input ", input.shape(), " and target ",
              target.shape(), " must have the same shape");
  const Tensor d = sub(input, target);
  return reduce(mul(d, d), reduction);
}

// ---- binary cross-entropy with logits ------------------------------------------------

namespace {

struct BceSaved {
  autograd::SavedTensor x, y, pos_weight;
};

// {∂l/∂x · g, ∂l/∂y · g} elementwise; either may be skipped.
std::pair<Tensor, Tensor> bce_partials(const Tensor& g_in, const Tensor& x, const Tensor& y,
                                       const Tensor& pw, bool want_x, bool want_y) {
  const Tensor g = g_in.contiguous();
  Tensor dx = want_x ? empty_as(x, x.shape()) : Tensor();
  Tensor dy = want_y ? empty_as(x, x.shape()) : Tensor();
  const int64_t C = pw.defined() ? pw.numel() : 1;
  const kernels::BceLogitsBackwardArgs args{.dtype = x.dtype(),
                                            .n = x.numel(),
                                            .C = C,
                                            .g = g.data_ptr(),
                                            .x = x.data_ptr(),
                                            .y = y.data_ptr(),
                                            .pos_weight = data_or_null(pw),
                                            .dx = want_x ? dx.data_ptr() : nullptr,
                                            .dy = want_y ? dy.data_ptr() : nullptr};
  launch(kernels::bce_logits_backward, x.device(), args, {&g, &x, &y, &pw}, {&dx, &dy},
         "binary_cross_entropy_with_logits_backward");
  return {dx, dy};
}

class BceBackward final : public autograd::NodeWith<BceSaved> {
 public:
  const char* name() const override { return "binary_cross_entropy_with_logits_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    auto [dx, dy] =
        bce_partials(grads[0], saved.x.unpack(*this), saved.y.unpack(*this),
                     saved.pos_weight.unpack(*this), next_edges[0].valid(), next_edges[1].valid());
    return {dx, dy};
  }
};

}  // namespace

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BceWithLogitsOptions& options) {
  if (float32_inputs({&input, &target, &options.weight, &options.pos_weight})) {
    BceWithLogitsOptions o = options;
    o.weight = to_float32(options.weight);
    o.pos_weight = to_float32(options.pos_weight);
    return binary_cross_entropy_with_logits(to_float32(input), to_float32(target), o);
  }
  const char* op = "binary_cross_entropy_with_logits";
  check_defined(op, input, "input");
  check_defined(op, target, "target");
  check_floating(op, input, "input");
  check_floating(op, target, "target");
  check_same_dtype_device(op, input, "input", target, "target");
  GPUNN_CHECK(input.shape() == target.shape(), op, ": input ", input.shape(), " and target ",
              target.shape(), " must have the same shape");
  const Tensor& pw_in = options.pos_weight;
  if (pw_in.defined()) {
    check_floating(op, pw_in, "pos_weight");
    check_same_dtype_device(op, input, "input", pw_in, "pos_weight");
    const int64_t C = input.dim() == 0 ? 1 : input.shape().back();
    GPUNN_CHECK(pw_in.dim() == 1 && pw_in.numel() == C, op, ": pos_weight must be [", C,
                "] (the input's last dim) for input ", input.shape(), ", got ", describe(pw_in));
  }
  if (options.weight.defined()) {
    check_floating(op, options.weight, "weight");
    check_same_dtype_device(op, input, "input", options.weight, "weight");
    GPUNN_CHECK(broadcast_shapes(op, options.weight.shape(), input.shape()) == input.shape(), op,
                ": weight ", describe(options.weight), " must broadcast to the input's shape ",
                input.shape(), " (it would change the loss's shape)");
  }
  check_same_device(op, {&input, &target, &pw_in, &options.weight});

  const Tensor x = input.detach().contiguous(), y = target.detach().contiguous();
  const Tensor pw = pw_in.defined() ? pw_in.detach().contiguous() : Tensor();
  Tensor loss = empty_as(x, x.shape());
  const kernels::BceLogitsArgs args{.dtype = x.dtype(),
                                    .n = x.numel(),
                                    .C = pw.defined() ? pw.numel() : 1,
                                    .x = x.data_ptr(),
                                    .y = y.data_ptr(),
                                    .pos_weight = data_or_null(pw),
                                    .loss = loss.data_ptr()};
  launch(kernels::bce_logits_forward, x.device(), args, {&x, &y, &pw}, {&loss}, op);
  if (autograd::needs_grad({&input, &target})) {
    auto node = autograd::make_node<BceBackward>({&input, &target});
    node->saved.x = x;
    node->saved.y = y;
    node->saved.pos_weight = pw;
    autograd::set_history(loss, node);
  }
  if (autograd::fw::any_tangent({&input, &target})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(input), ty = autograd::fw::tangent_of(target);
    Tensor t;
    if (tx.defined()) t = bce_partials(tx, x, y, pw, true, false).first;
    if (ty.defined()) {
      Tensor u = bce_partials(ty, x, y, pw, false, true).second;
      t = t.defined() ? add(t, u) : u;
    }
    autograd::fw::set_tangent(loss, t);
  }
  if (options.weight.defined()) loss = mul(loss, options.weight);
  return reduce(loss, options.reduction);
}

// ---- Gaussian KL divergence ------------------------------------------------------------------

Tensor gaussian_kl_divergence(const Tensor& mu, const Tensor& logvar, Reduction reduction) {
  if (float32_inputs({&mu, &logvar}))
    return gaussian_kl_divergence(to_float32(mu), to_float32(logvar), reduction);
  const char* op = "gaussian_kl_divergence";
  check_defined(op, mu, "mu");
  check_defined(op, logvar, "logvar");
  check_floating(op, mu, "mu");
  check_floating(op, logvar, "logvar");
  check_same_dtype_device(op, mu, "mu", logvar, "logvar");
  GPUNN_CHECK(mu.dim() == 1 || mu.dim() == 2, op,
              ": expected mu [N, D] or [D] (samples of latent dimensions), got ", describe(mu));
  GPUNN_CHECK(mu.shape() == logvar.shape(), op, ": mu ", mu.shape(), " and logvar ", logvar.shape(),
              " must have the same shape");
  // Per element: ½(mu² + e^logvar - 1 - logvar), summed over the latent dim.
  const Tensor terms = mul(sub(add(mul(mu, mu), exp(logvar)), add(logvar, 1.0)), 0.5);
  const Tensor per_sample = sum(terms, {-1});
  return reduce(per_sample, reduction);
}

// ---- penalties ------------------------------------------------------------------------------

namespace {

Tensor penalty(const char* op, const std::vector<Tensor>& params, bool squared) {
  GPUNN_CHECK(!params.empty(), op, ": expected at least one parameter");
  Tensor total;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    GPUNN_CHECK(p.defined(), op, ": parameter ", i, " is undefined");
    check_floating(op, p, "parameter");
    if (total.defined()) check_same_dtype_device(op, total, "the first parameter", p, "parameter");
    Tensor term = sum(squared ? mul(p, p) : abs(p));
    total = total.defined() ? add(total, term) : term;
  }
  return total;
}

}  // namespace

Tensor l1_penalty(const std::vector<Tensor>& params) {
  return penalty("l1_penalty", params, false);
}
Tensor l2_penalty(const std::vector<Tensor>& params) { return penalty("l2_penalty", params, true); }

}  // namespace gpunn
