// Matrix products: matmul (with PyTorch's rank rules and batch broadcasting)
// and linear (y = x Wᵀ + b). Formulas in gpunn/ops/linalg.h.
//
// Operands reach the GEMM kernel as [batch, rows, cols] buffers. A matrix that
// is the transpose of a contiguous one is passed with the transpose flag
// instead of being copied, and an operand shared by every batch entry gets batch
// stride 0, so backward's Aᵀ and Bᵀ cost no copies.
#include <gpunn/autograd.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/linalg.h>
#include <gpunn/ops/reduce.h>

#include <algorithm>

#include "core/autocast.h"
#include "core/autograd/forward_ad.h"
#include "core/autograd/node.h"
#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/gemm.h"

namespace gpunn {
namespace {

// C = alpha op(A) op(B) + beta C (kernels/gemm.h), batched, with the epilogue's bias and
// ReLU when given. ta, tb, tc: the tensors behind A, B and C (for anomaly mode); the pointers
// may be offset into them.
void gemm(const char* op, const Tensor& ta, const Tensor& tb, const Tensor& tc, bool trans_a,
          bool trans_b, int64_t M, int64_t N, int64_t K, const void* A, int64_t lda,
          int64_t stride_a, const void* B, int64_t ldb, int64_t stride_b, double beta, void* C,
          int64_t ldc, int64_t stride_c, int64_t batch, const void* bias = nullptr,
          bool relu = false) {
  const kernels::GemmArgs args{.dtype = tc.dtype(),
                               .trans_a = trans_a,
                               .trans_b = trans_b,
                               .M = M,
                               .N = N,
                               .K = K,
                               .alpha = 1.0,
                               .A = A,
                               .lda = lda,
                               .stride_a = stride_a,
                               .B = B,
                               .ldb = ldb,
                               .stride_b = stride_b,
                               .beta = beta,
                               .C = C,
                               .ldc = ldc,
                               .stride_c = stride_c,
                               .batch = batch,
                               .bias = bias,
                               .relu = relu};
  launch(kernels::gemm, tc.device(), args, {&ta, &tb}, {&tc}, op);
}

// One GEMM operand: `data` holds a [batch or 1, R, C] matrix stack; op(X) is
// read transposed when `trans`; `ld` is its row stride as stored.
struct GemmOperand {
  Tensor data;
  bool trans = false;
  int64_t ld = 0;
  int64_t batch_stride = 0;
};

// Prepares t [..., R, C] (batch dims already broadcast to `batch`, as a view).
GemmOperand gemm_operand(const Tensor& t, int64_t batch) {
  const int64_t n = t.dim();
  const int64_t R = t.shape()[n - 2], C = t.shape()[n - 1];
  // Every batch entry reads one matrix when all batch strides are 0.
  bool shared = true;
  for (int64_t d = 0; d < n - 2; ++d) shared = shared && (t.strides()[d] == 0 || t.shape()[d] == 1);
  GemmOperand op;
  if (shared) {
    Tensor m = t;
    for (int64_t d = 0; d < n - 2; ++d) m = m.select(0, 0);
    // A transposed contiguous matrix: pass its storage with the flag set.
    if (!m.is_contiguous() && R > 1 && C > 1 && m.strides()[0] == 1 && m.strides()[1] == R) {
      op.data = m.t();
      op.trans = true;
      op.ld = R;
    } else {
      op.data = m.contiguous();
      op.ld = C;
    }
    op.batch_stride = 0;
    return op;
  }
  op.data = t.contiguous().reshape({batch, R, C});
  op.ld = C;
  op.batch_stride = R * C;
  return op;
}

// z [batch, M, N] = op(a) @ op(b) for a [..., M, K], b [..., K, N] broadcast to
// the batch shape `batch_shape`; no autograd.
Tensor matmul_kernel(const Tensor& a, const Tensor& b, const Shape& batch_shape) {
  const int64_t M = a.shape()[a.dim() - 2], K = a.shape()[a.dim() - 1];
  const int64_t N = b.shape()[b.dim() - 1];
  const int64_t batch = shape_numel(batch_shape);
  Shape a_full = batch_shape, b_full = batch_shape, z_shape = batch_shape;
  a_full.insert(a_full.end(), {M, K});
  b_full.insert(b_full.end(), {K, N});
  z_shape.insert(z_shape.end(), {M, N});
  Tensor z = empty_as(a, z_shape);
  if (z.numel() == 0) return z;
  if (K == 0) return z.fill_(0.0);
  const GemmOperand A = gemm_operand(a.expand(a_full), batch);
  const GemmOperand B = gemm_operand(b.expand(b_full), batch);
  gemm("matmul", A.data, B.data, z, A.trans, B.trans, M, N, K, A.data.data_ptr(), A.ld,
       A.batch_stride, B.data.data_ptr(), B.ld, B.batch_stride, 0.0, z.data_ptr(), N, M * N, batch);
  return z;
}

struct MatmulSaved {
  autograd::SavedTensor a, b;
};

// dA = dC @ Bᵀ, dB = Aᵀ @ dC, each summed back over broadcast batch dims.
class MatmulBackward final : public autograd::NodeWith<MatmulSaved> {
 public:
  const char* name() const override { return "matmul_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor a = saved.a.unpack(*this), b = saved.b.unpack(*this);
    const Tensor& dz = grads[0];
    Tensor da, db;
    if (next_edges[0].valid()) da = sum_to(matmul(dz, b.transpose(-1, -2)), a.shape());
    if (next_edges[1].valid()) db = sum_to(matmul(a.transpose(-1, -2), dz), b.shape());
    return {da, db};
  }
  // The same products on the operands with their history (Note [differentiable backward]).
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor a = saved.a.unpack_differentiable(*this, next_edges[0]);
    const Tensor b = saved.b.unpack_differentiable(*this, next_edges[1]);
    const Tensor& dz = grads[0];
    Tensor da, db;
    if (next_edges[0].valid()) da = sum_to(matmul(dz, b.transpose(-1, -2)), a.shape());
    if (next_edges[1].valid()) db = sum_to(matmul(a.transpose(-1, -2), dz), b.shape());
    return {da, db};
  }
};

// Both operands at least 2-D.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  const int64_t K = a.shape()[a.dim() - 1];
  GPUNN_CHECK(b.shape()[b.dim() - 2] == K, "matmul: ", describe(a), " @ ", describe(b),
              ": the inner dims differ (", K, " vs ", b.shape()[b.dim() - 2], ")");
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  for (size_t i = 1; i <= std::min(a_batch.size(), b_batch.size()); ++i) {
    const int64_t da = a_batch[a_batch.size() - i], db = b_batch[b_batch.size() - i];
    GPUNN_CHECK(da == db || da == 1 || db == 1, "matmul: ", describe(a), " @ ", describe(b),
                ": the batch dims ", a_batch, " and ", b_batch, " cannot be broadcast together");
  }
  const Shape batch_shape = broadcast_shapes("matmul", a_batch, b_batch);
  const Tensor ad = a.detach(), bd = b.detach();
  Tensor z = matmul_kernel(ad, bd, batch_shape);
  if (autograd::needs_grad({&a, &b})) {
    auto node = autograd::make_node<MatmulBackward>({&a, &b});
    node->saved.a = autograd::SavedTensor(ad, a);
    node->saved.b = autograd::SavedTensor(bd, b);
    autograd::set_history(z, node);
  }
  if (autograd::fw::any_tangent({&a, &b})) {
    autograd::fw::TangentScope scope;
    const Tensor ta = autograd::fw::tangent_of(a), tb = autograd::fw::tangent_of(b);
    Tensor t;
    if (ta.defined()) t = matmul_kernel(ta, bd, batch_shape);
    if (tb.defined()) {
      Tensor u = matmul_kernel(ad, tb, batch_shape);
      t = t.defined() ? add(t, u) : u;
    }
    autograd::fw::set_tangent(z, t);
  }
  return z;
}

// ---- linear -------------------------------------------------------------------------

// x2 [rows, in], w [out, in], bias [out] or undefined -> y [rows, out], the bias and the
// ReLU in the GEMM's epilogue; no autograd.
Tensor linear_kernel(const Tensor& x2, const Tensor& w, const Tensor& bias, bool relu = false) {
  const int64_t rows = x2.shape()[0], in = x2.shape()[1], out = w.shape()[0];
  Tensor y = empty_as(x2, {rows, out});
  if (y.numel() == 0) return y;
  const Tensor b = bias.defined() ? bias.contiguous() : Tensor();
  gemm("linear", x2, w, y, false, true, rows, out, in, x2.data_ptr(), in, 0, w.data_ptr(), in, 0,
       0.0, y.data_ptr(), out, 0, 1, data_or_null(b), relu);
  return y;
}

struct LinearSaved {
  autograd::SavedTensor x2, w;  // x as [rows, in], contiguous
  autograd::SavedTensor y;      // the output, with the fused ReLU only
};

// dx = dy W,  dW = dyᵀ x,  db = Σ_rows dy (dy through the fused ReLU's mask first)
class LinearBackward final : public autograd::NodeWith<LinearSaved> {
 public:
  LinearBackward(Shape x_shape, bool relu) : x_shape_(std::move(x_shape)), relu_(relu) {}
  const char* name() const override { return relu_ ? "linear_relu_backward" : "linear_backward"; }
  std::vector<Tensor> apply(std::vector<Tensor>& grads) override {
    const Tensor x2 = saved.x2.unpack(*this), w = saved.w.unpack(*this);
    const int64_t rows = x2.shape()[0], in = x2.shape()[1], out = w.shape()[0];
    const Tensor g = relu_ ? relu_mask(grads[0], saved.y.unpack(*this)) : grads[0];
    Tensor dy = g.reshape({rows, out}).contiguous();
    Tensor dx, dw;
    if (next_edges[0].valid()) {
      dx = empty_as(dy, {rows, in});
      gemm("linear_backward", dy, w, dx, false, false, rows, in, out, dy.data_ptr(), out, 0,
           w.data_ptr(), in, 0, 0.0, dx.data_ptr(), in, 0, 1);
      dx = dx.reshape(x_shape_);
    }
    if (next_edges[1].valid()) {
      dw = empty_as(dy, {out, in});
      gemm("linear_backward", dy, x2, dw, true, false, out, in, rows, dy.data_ptr(), out, 0,
           x2.data_ptr(), in, 0, 0.0, dw.data_ptr(), in, 0, 1);
    }
    std::vector<Tensor> result{dx, dw};
    if (next_edges.size() > 2) result.push_back(next_edges[2].valid() ? sum(dy, {0}) : Tensor());
    return result;
  }
  // As ops on x, W (and the output, for the fused ReLU's mask) with their history.
  std::vector<Tensor> apply_differentiable(std::vector<Tensor>& grads) override {
    const Tensor x = autograd::with_history(saved.x2.unpack(*this).reshape(x_shape_), next_edges[0],
                                            saved.x2.tangent());
    const Tensor w = saved.w.unpack_differentiable(*this, next_edges[1]);
    const int64_t in = w.shape()[1], out = w.shape()[0];
    int64_t rows = 1;
    for (size_t i = 0; i + 1 < x_shape_.size(); ++i) rows *= x_shape_[i];
    const Tensor g = relu_ ? mul(grads[0], gt(saved.y.unpack_output(*this, 0), 0.0)) : grads[0];
    const Tensor dy = g.reshape({rows, out});
    Tensor dx, dw;
    if (next_edges[0].valid()) dx = matmul(dy, w).reshape(x_shape_);
    if (next_edges[1].valid()) dw = matmul(dy.transpose(0, 1), x.reshape({rows, in}));
    std::vector<Tensor> result{dx, dw};
    if (next_edges.size() > 2) result.push_back(next_edges[2].valid() ? sum(dy, {0}) : Tensor());
    return result;
  }

 private:
  Shape x_shape_;
  bool relu_;
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (autocast_detail::active()) {  // low precision (gpunn/autocast.h)
    const Tensor la = autocast_detail::low(a), lb = autocast_detail::low(b);
    if (la.impl() != a.impl() || lb.impl() != b.impl()) return matmul(la, lb);
  }
  check_floating("matmul", a, "the first operand");
  check_floating("matmul", b, "the second operand");
  check_same_dtype_device("matmul", a, "the first operand", b, "the second operand");
  check_same_device("matmul", {&a, &b});
  GPUNN_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least 1 dim, got ",
              describe(a), " and ", describe(b));
  if (a.dim() == 1 && b.dim() == 1) {
    GPUNN_CHECK(a.shape()[0] == b.shape()[0], "matmul: dot product of ", describe(a), " and ",
                describe(b), " needs equal lengths");
    return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  }
  if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
  return matmul_nd(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  return linear(x, weight, bias, FusedActivation::None);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias,
              FusedActivation activation) {
  if (autocast_detail::active()) {  // low precision (gpunn/autocast.h)
    const Tensor lx = autocast_detail::low(x), lw = autocast_detail::low(weight);
    const Tensor lb = autocast_detail::low(bias);
    if (lx.impl() != x.impl() || lw.impl() != weight.impl() || lb.impl() != bias.impl())
      return linear(lx, lw, lb, activation);
  }
  check_floating("linear", x, "input");
  check_floating("linear", weight, "weight");
  check_same_dtype_device("linear", x, "input", weight, "weight");
  GPUNN_CHECK(weight.dim() == 2, "linear: weight must be [out_features, in_features], got ",
              describe(weight));
  GPUNN_CHECK(x.dim() >= 1, "linear: input must have at least 1 dim, got ", describe(x));
  const int64_t in = weight.shape()[1], out = weight.shape()[0];
  GPUNN_CHECK(x.shape().back() == in, "linear: input has ", x.shape().back(), " features (input ",
              x.shape(), "), weight expects ", in, " (weight ", weight.shape(), ")");
  if (bias.defined()) {
    check_floating("linear", bias, "bias");
    check_same_dtype_device("linear", x, "input", bias, "bias");
    GPUNN_CHECK(bias.dim() == 1 && bias.shape()[0] == out, "linear: bias must be [", out,
                "] for weight ", weight.shape(), ", got ", describe(bias));
  }
  check_same_device("linear", {&x, &weight, &bias});

  // rows from the leading dims, not reshape's -1: with in = 0 that is ambiguous.
  const int64_t rows = prod(x.shape(), 0, x.dim() - 1);
  const Tensor x2 = x.detach().reshape({rows, in}).contiguous();
  const Tensor w = weight.detach().contiguous();
  const Tensor b = bias.defined() ? bias.detach() : Tensor();
  Shape y_shape = x.shape();
  y_shape.back() = out;
  const bool relu = activation == FusedActivation::ReLU;
  Tensor y = linear_kernel(x2, w, b, relu).reshape(y_shape);
  std::shared_ptr<LinearBackward> linear_node;
  if (autograd::needs_grad({&x, &weight, &bias})) {
    auto node = bias.defined()
                    ? autograd::make_node<LinearBackward>({&x, &weight, &bias}, x.shape(), relu)
                    : autograd::make_node<LinearBackward>({&x, &weight}, x.shape(), relu);
    node->saved.x2 = autograd::SavedTensor(x2, x);  // x's tangent has x's shape
    node->saved.w = autograd::SavedTensor(w, weight);
    if (relu) node->saved.y = y.detach();
    autograd::set_history(y, node);
    linear_node = node;
  }
  if (autograd::fw::any_tangent({&x, &weight, &bias})) {
    autograd::fw::TangentScope scope;
    const Tensor tx = autograd::fw::tangent_of(x), tw = autograd::fw::tangent_of(weight);
    const Tensor tb = autograd::fw::tangent_of(bias);
    Tensor t;
    auto accumulate = [&](const Tensor& u) { t = t.defined() ? add(t, u) : u; };
    if (tx.defined()) accumulate(linear_kernel(tx.reshape({rows, in}).contiguous(), w, Tensor()));
    if (tw.defined()) accumulate(linear_kernel(x2, tw.contiguous(), Tensor()));
    if (tb.defined()) accumulate(tb.expand({x2.shape()[0], out}));
    t = t.reshape(y_shape);
    if (relu) t = relu_mask(t, y);
    autograd::fw::set_tangent(y, t);
    if (linear_node && relu) linear_node->saved.y.set_tangent(autograd::fw::tangent_of(y));
  }
  return y;
}

}  // namespace gpunn
