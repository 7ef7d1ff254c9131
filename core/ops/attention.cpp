// scaled_dot_product_attention (gpunn/ops/attention.h).
//
// The forward runs the attention family's fused kernels (kernels/attention.h) and saves
// q, k, v, the output and the row statistics lse; the backward kernel recomputes the
// probabilities from lse. Forward mode, the differentiable backward (create_graph) and
// shapes our CUDA kernel does not take use the composed form instead, as public ops
// (composed_probs below: softmax with fully masked rows 0); dropout multiplies P by the
// kept mask / (1 - p), rebuilt from the saved Philox state with gpunn::rand. The composed
// form materialises the T×S matrix.
#include <gpunn/autograd.h>
#include <gpunn/ops/attention.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/linalg.h>
#include <gpunn/ops/reduce.h>

#include <cmath>
#include <limits>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/attention.h"
#include "kernels/attention_math.h"

namespace gpunn {
namespace {

constexpr const char* kOp = "scaled_dot_product_attention";
constexpr double kInf = std::numeric_limits<double>::infinity();

bool is16(DType d) { return d == kBFloat16 || d == kFloat16; }
// The lse dtype: float64 for float64, float32 otherwise.
DType stats_dtype(DType d) { return d == kFloat64 ? kFloat64 : kFloat32; }

// What the backward and the composed form need besides the tensors.
struct Setup {
  kernels::AttentionShape shape{};
  Shape out_shape;  // [B, H, T, Dv], or [B, T, Dv] for 3-D inputs
  Tensor mask;      // contiguous, in the inputs' dtype, its own (broadcastable) shape; or none
};

// The composed probabilities P = softmax(scale·q kᵀ + mask), [B, H, T, S], as ops on q4
// and k4 (float32 or float64, 4-D). The shift m (each row's maximum, a constant: softmax
// does not depend on it) is kept finite, and a row whose sum is 0 (every score -inf) is
// divided by 1, so fully masked rows are 0 as in the kernels.
Tensor composed_probs(const Setup& s, const Tensor& q4, const Tensor& k4) {
  const auto& sh = s.shape;
  const DType dt = q4.dtype();
  Tensor scores = mul(matmul(q4, k4.transpose(2, 3)), sh.scale);
  if (s.mask.defined()) scores = add(scores, s.mask.to(dt));
  if (sh.causal) {
    std::vector<double> c(static_cast<size_t>(sh.T * sh.S), 0.0);
    for (int64_t i = 0; i < sh.T; ++i)
      for (int64_t j = i + 1; j < sh.S; ++j) c[static_cast<size_t>(i * sh.S + j)] = -kInf;
    scores = add(scores, tensor(c, {sh.T, sh.S}, TensorOptions(dt).device(q4.device())));
  }
  const Tensor m = clamp(max(scores.detach(), 3, /*keepdim=*/true).values, -1e30, std::nullopt);
  const Tensor e = exp(sub(scores, m));
  const Tensor l = sum(e, {3}, /*keepdim=*/true);
  return div(e, add(l, eq(l.detach(), 0.0)));
}

// Dropout's factor Z = kept / (1 - p), [B, H, T, S] in dt, rebuilt from the saved Philox
// state; undefined without dropout.
Tensor dropout_factor(const Setup& s, Device device, DType dt) {
  const auto& sh = s.shape;
  if (sh.dropout_p <= 0.0) return Tensor();
  Generator g(sh.seed);
  g.set_state({sh.seed, sh.offset});
  const Tensor u = rand({sh.B, sh.H, sh.T, sh.S}, TensorOptions(kFloat32).device(device), &g);
  const double threshold = kernels::math::attention_keep_threshold(sh.dropout_p);
  return mul(lt(u, threshold).to(dt), 1.0 / (1.0 - sh.dropout_p));
}

Shape four_d(const Tensor& t) {
  return t.dim() == 4 ? t.shape() : Shape{t.shape()[0], 1, t.shape()[1], t.shape()[2]};
}

// t in `dt` as [B, H, L, D] (a 3-D t gets H = 1), for the composed form.
Tensor as4(const Tensor& t, DType dt) { return t.to(dt).reshape(four_d(t)); }

struct AttentionSaved {
  autograd::SavedTensor q, k, v, o, lse;
};

class AttentionBackward final : public autograd::NodeWith<AttentionSaved> {
 public:
  explicit AttentionBackward(Setup s) : s_(std::move(s)) {}
  const char* name() const override { return "scaled_dot_product_attention_backward"; }

  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor q = saved.q.unpack(*this), k = saved.k.unpack(*this), v = saved.v.unpack(*this),
                 o = saved.o.unpack(*this), lse = saved.lse.unpack(*this);
    Tensor dout = grads[0].contiguous();
    Tensor dq = empty_as(q, q.shape()), dk = empty_as(k, k.shape()), dv = empty_as(v, v.shape());
    const auto& sh = s_.shape;
    if (sh.B * sh.H * sh.T == 0 || sh.S == 0) {
      return {zeros_like(q), zeros_like(k), zeros_like(v)};
    }
    kernels::AttentionBackwardArgs args{.dtype = q.dtype(),
                                        .shape = s_.shape,
                                        .q = q.data_ptr(),
                                        .k = k.data_ptr(),
                                        .v = v.data_ptr(),
                                        .o = o.data_ptr(),
                                        .lse = lse.data_ptr(),
                                        .dout = dout.data_ptr(),
                                        .dq = dq.data_ptr(),
                                        .dk = dk.data_ptr(),
                                        .dv = dv.data_ptr()};
    args.shape.mask = data_or_null(s_.mask);
    launch(kernels::attention_backward, q.device(), args, {&q, &k, &v, &o, &lse, &dout},
           {&dq, &dk, &dv}, "scaled_dot_product_attention_backward");
    return {dq, dk, dv};
  }

  // The gradients as ops on q, k, v with their history (Note [differentiable backward]):
  //   dv = P̃ᵀ do,  dP = Z ∘ (do vᵀ),  ds = P ∘ (dP - Σ_j P ∘ dP),
  //   dq = scale · ds k,  dk = scale · dsᵀ q    (P̃ = P ∘ Z, Z the kept mask / (1 - p)).
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor q0 = saved.q.unpack_differentiable(*this, next_edges[0]);
    const Tensor k0 = saved.k.unpack_differentiable(*this, next_edges[1]);
    const Tensor v0 = saved.v.unpack_differentiable(*this, next_edges[2]);
    const DType in = q0.dtype();
    const DType dt = is16(in) ? kFloat32 : in;
    const Tensor q = as4(q0, dt), k = as4(k0, dt), v = as4(v0, dt), dout = as4(grads[0], dt);
    const Tensor p = composed_probs(s_, q, k);
    const Tensor z = dropout_factor(s_, q.device(), dt);
    const Tensor pz = z.defined() ? mul(p, z) : p;
    Tensor dp = matmul(dout, v.transpose(2, 3));
    if (z.defined()) dp = mul(dp, z);
    const Tensor ds = mul(p, sub(dp, sum(mul(p, dp), {3}, /*keepdim=*/true)));
    const double scale = s_.shape.scale;
    const Tensor dq = mul(matmul(ds, k), scale).to(in).reshape(q0.shape());
    const Tensor dk = mul(matmul(ds.transpose(2, 3), q), scale).to(in).reshape(k0.shape());
    const Tensor dv = matmul(pz.transpose(2, 3), dout).to(in).reshape(v0.shape());
    return {dq, dk, dv};
  }

 private:
  Setup s_;
};

// The whole op as recorded public ops (gradients and tangents come from theirs), for head
// dims our CUDA kernel does not take.
Tensor composed_attention(Setup& s, const Tensor& q, const Tensor& k, const Tensor& v,
                          Generator* generator) {
  auto& sh = s.shape;
  if (sh.dropout_p > 0.0) {
    Generator& g = generator ? *generator : default_generator();
    const Generator::State at = g.reserve(static_cast<uint64_t>(sh.B * sh.H * sh.T * sh.S));
    sh.seed = at.seed;
    sh.offset = at.offset;
  }
  const DType in = q.dtype();
  const DType dt = is16(in) ? kFloat32 : in;
  const Tensor q4 = as4(q, dt), k4 = as4(k, dt), v4 = as4(v, dt);
  Tensor p = composed_probs(s, q4, k4);
  const Tensor z = dropout_factor(s, q.device(), dt);
  if (z.defined()) p = mul(p, z);
  return matmul(p, v4).to(in).reshape(s.out_shape);
}

void check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  check_floating(kOp, q, "q");
  check_floating(kOp, k, "k");
  check_floating(kOp, v, "v");
  check_same_dtype_device(kOp, q, "q", k, "k");
  check_same_dtype_device(kOp, q, "q", v, "v");
  check_same_device(kOp, {&q, &k, &v});
  GPUNN_CHECK((q.dim() == 4 || q.dim() == 3) && k.dim() == q.dim() && v.dim() == q.dim(), kOp,
              ": expected q [B, H, T, D], k [B, H, S, D], v [B, H, S, Dv] (or all 3-D), got q ",
              describe(q), ", k ", describe(k), ", v ", describe(v));
  const int64_t n = q.dim();
  for (int64_t d = 0; d + 2 < n; ++d)
    GPUNN_CHECK(k.shape()[d] == q.shape()[d] && v.shape()[d] == q.shape()[d], kOp,
                ": q, k and v must agree in the batch dims, got q ", describe(q), ", k ",
                describe(k), ", v ", describe(v));
  GPUNN_CHECK(k.shape()[n - 1] == q.shape()[n - 1], kOp, ": q ", describe(q), " and k ",
              describe(k), " differ in the head dim D (", q.shape()[n - 1], " vs ",
              k.shape()[n - 1], ")");
  GPUNN_CHECK(v.shape()[n - 2] == k.shape()[n - 2], kOp, ": k ", describe(k), " and v ",
              describe(v), " differ in the number of keys S (", k.shape()[n - 2], " vs ",
              v.shape()[n - 2], ")");
  GPUNN_CHECK(std::isfinite(o.dropout_p) && o.dropout_p >= 0.0 && o.dropout_p < 1.0, kOp,
              ": dropout_p must be in [0, 1), got ", o.dropout_p);
  if (o.scale) GPUNN_CHECK(std::isfinite(*o.scale), kOp, ": scale must be finite, got ", *o.scale);
  if (o.mask.defined()) {
    const Tensor& m = o.mask;
    check_floating(kOp, m, "mask");
    check_same_device(kOp, {&q, &m});
    GPUNN_CHECK(!m.requires_grad(), kOp,
                ": the mask gets no gradient, but it requires grad; pass mask.detach()");
    const Shape full{q.shape()[0], n == 4 ? q.shape()[1] : 1, q.shape()[n - 2], k.shape()[n - 2]};
    const Shape want = n == 4 ? full : Shape{full[0], full[2], full[3]};
    bool ok = m.dim() <= n;
    for (int64_t d = 0; ok && d < m.dim(); ++d) {
      const int64_t size = m.shape()[m.dim() - 1 - d], target = want[want.size() - 1 - d];
      ok = size == 1 || size == target;
    }
    GPUNN_CHECK(ok, kOp, ": mask ", describe(m), " does not broadcast to the scores ", want,
                n == 4 ? " [B, H, T, S]" : " [B, T, S]", " of q ", describe(q), " and k ",
                describe(k));
  }
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                    const AttentionOptions& options) {
  Tensor q = q_in, k = k_in, v = v_in;
  if (autocast_detail::active()) {  // low precision (gpunn/autocast.h)
    q = autocast_detail::low(q);
    k = autocast_detail::low(k);
    v = autocast_detail::low(v);
  }
  check_inputs(q, k, v, options);
  const int64_t n = q.dim();
  Setup s;
  auto& sh = s.shape;
  sh.B = q.shape()[0];
  sh.H = n == 4 ? q.shape()[1] : 1;
  sh.T = q.shape()[n - 2];
  sh.S = k.shape()[n - 2];
  sh.D = q.shape()[n - 1];
  sh.Dv = v.shape()[n - 1];
  sh.scale = options.scale ? *options.scale : 1.0 / std::sqrt(static_cast<double>(sh.D));
  sh.causal = options.causal;
  sh.dropout_p = options.dropout_p;
  s.out_shape = n == 4 ? Shape{sh.B, sh.H, sh.T, sh.Dv} : Shape{sh.B, sh.T, sh.Dv};
  if (options.mask.defined()) {
    // As a 4-D [b, h, t, s] tensor, each dim of size 1 or the scores' (a 3-D call's mask
    // [b, t, s] gets h = 1), and its strides, 0 where it broadcasts.
    Tensor m = options.mask.detach().to(q.dtype()).contiguous();
    Shape shape4 = m.shape();
    while (static_cast<int64_t>(shape4.size()) < n) shape4.insert(shape4.begin(), 1);
    if (n == 3) shape4.insert(shape4.begin() + 1, 1);
    s.mask = m.reshape(shape4);
    int64_t stride = 1;
    for (int d = 3; d >= 0; --d) {
      sh.mask_stride[d] = shape4[static_cast<size_t>(d)] == 1 ? 0 : stride;
      stride *= shape4[static_cast<size_t>(d)];
    }
  }
  // On the CPU, float32 and the 16-bit types take the composed product unless `custom` is
  // asked for: its GEMMs (oneDNN's) beat the reference loops, which sum in double and serve
  // as the oracle (bench/results/2026-12-07-cpu-attention.md).
  // On the meta device the modelled device decides (memory::estimate counts what it keeps).
  const Device where = q.device().is_meta() ? meta_allocator_model() : q.device();
  if (where.is_cpu() && q.dtype() != kFloat64 && get_impl(OpFamily::Attention) != Impl::Custom &&
      sh.B * sh.H * sh.T > 0 && sh.S > 0) {
    return composed_attention(s, q, k, v, options.generator);
  }
  if (where.is_cuda() && sh.B * sh.H * sh.T > 0 && sh.S > 0 &&
      !kernels::attention_forward.row(q.dtype()).cuda.accepts({.dtype = q.dtype(),
                                                               .shape = sh,
                                                               .q = nullptr,
                                                               .k = nullptr,
                                                               .v = nullptr,
                                                               .o = nullptr,
                                                               .lse = nullptr})) {
    return composed_attention(s, q, k, v, options.generator);
  }
  Tensor qc = q.detach().contiguous(), kc = k.detach().contiguous(), vc = v.detach().contiguous();
  Tensor o = empty_as(qc, s.out_shape);
  Tensor lse =
      empty(Shape{sh.B, sh.H, sh.T}, TensorOptions(stats_dtype(q.dtype())).device(q.device()));
  if (sh.dropout_p > 0.0) {
    Generator& g = options.generator ? *options.generator : default_generator();
    const Generator::State at = g.reserve(static_cast<uint64_t>(sh.B * sh.H * sh.T * sh.S));
    sh.seed = at.seed;
    sh.offset = at.offset;
  }
  if (sh.B * sh.H * sh.T == 0 || sh.S == 0) {  // no rows, or no keys: every row is empty
    o = zeros(s.out_shape, TensorOptions(q.dtype()).device(q.device()));
    lse = full(lse.shape(), -kInf, TensorOptions(lse.dtype()).device(q.device()));
  } else {
    kernels::AttentionArgs args{.dtype = q.dtype(),
                                .shape = sh,
                                .q = qc.data_ptr(),
                                .k = kc.data_ptr(),
                                .v = vc.data_ptr(),
                                .o = o.data_ptr(),
                                .lse = lse.data_ptr()};
    args.shape.mask = data_or_null(s.mask);
    // lse is not named as an output: -inf there is a fully masked row, not an anomaly.
    launch(kernels::attention_forward, q.device(), args, {&qc, &kc, &vc, &s.mask}, {&o}, kOp);
  }

  std::shared_ptr<AttentionBackward> node;
  if (autograd::needs_grad({&q, &k, &v})) {
    node = autograd::make_node<AttentionBackward>({&q, &k, &v}, s);
    node->saved.q = autograd::SavedTensor(qc, q);
    node->saved.k = autograd::SavedTensor(kc, k);
    node->saved.v = autograd::SavedTensor(vc, v);
    node->saved.o = o.detach();
    node->saved.lse = lse.detach();
    autograd::set_history(o, node);
  }
  if (autograd::fw::any_tangent({&q, &k, &v})) {
    // J·t through the composed form: P's tangent and the product's, as ops.
    autograd::fw::TangentScope scope;
    const DType dt = is16(q.dtype()) ? kFloat32 : q.dtype();
    auto tangent4 = [&](const Tensor& x) {
      const Tensor t = autograd::fw::tangent_of(x);
      return t.defined() ? as4(t, dt) : zeros(four_d(x), TensorOptions(dt).device(x.device()));
    };
    const Tensor q4 = as4(qc, dt), k4 = as4(kc, dt), v4 = as4(vc, dt);
    const Tensor tq = tangent4(q), tk = tangent4(k), tv = tangent4(v);
    const Tensor p = composed_probs(s, q4, k4);
    const Tensor z = dropout_factor(s, q.device(), dt);
    const Tensor pz = z.defined() ? mul(p, z) : p;
    const Tensor ts =
        mul(add(matmul(tq, k4.transpose(2, 3)), matmul(q4, tk.transpose(2, 3))), sh.scale);
    const Tensor pts = mul(p, ts);
    Tensor tp = sub(pts, mul(p, sum(pts, {3}, /*keepdim=*/true)));
    if (z.defined()) tp = mul(tp, z);
    const Tensor to = add(matmul(tp, v4), matmul(pz, tv)).to(q.dtype()).reshape(s.out_shape);
    autograd::fw::set_tangent(o, to);
    if (node) node->saved.o.set_tangent(to);
  }
  return o;
}

}  // namespace gpunn
