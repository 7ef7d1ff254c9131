// Finite-difference gradient checks (gpunn/testing/gradcheck.h).
#include <gpunn/testing/gradcheck.h>

#include <gpunn/autograd.h>
#include <gpunn/generator.h>
#include <gpunn/ops.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/ops/common.h"

namespace gpunn::testing {
namespace {

struct Prepared {
  std::vector<Tensor> leaves;  // checked inputs: contiguous float64 clones that require grad
  std::vector<size_t> checked;
};

Prepared prepare(const char* who, const std::vector<Tensor>& inputs) {
  Prepared p;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& in = inputs[i];
    if (in.defined() && in.requires_grad()) {
      GPUNN_CHECK(in.dtype() == kFloat64, who, ": input ", i, " is ", describe(in),
                  "; finite differences need float64 inputs");
      GPUNN_CHECK(in.device().is_cpu(), who, ": input ", i, " is ", describe(in),
                  "; finite differences perturb values on the host, so checked inputs must be "
                  "on the CPU (compare devices against the CPU instead)");
      p.leaves.push_back(in.detach().clone().requires_grad_(true));
      p.checked.push_back(i);
    } else {
      p.leaves.push_back(in);
    }
  }
  GPUNN_CHECK(!p.checked.empty(), who, ": no input requires grad, so there is nothing to check");
  return p;
}

Tensor evaluate(const char* who, const TensorFn& f, const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  Tensor out = f(inputs);
  GPUNN_CHECK(out.defined() && out.dtype() == kFloat64, who,
              ": the function must return a float64 tensor, got ", describe(out));
  return out;
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double s = 0.0;
  for (size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// Compares one analytic value with one numeric; records the worst errors.
bool close(double analytic, double numeric, const GradcheckOptions& o, GradcheckResult* r) {
  const double err = std::abs(analytic - numeric);
  const double scale = std::max({std::abs(analytic), std::abs(numeric), o.floor});
  r->max_abs_error = std::max(r->max_abs_error, err);
  r->max_rel_error = std::max(r->max_rel_error, err / scale);
  return err <= o.rtol * scale;
}

// A side of a one-sided difference that disagrees with the other marks a kink.
bool on_kink(double left, double right, double central, const GradcheckOptions& o) {
  return std::abs(right - left) > o.kink_tol * std::max(1.0, std::abs(central));
}

bool finish(const char* who, int64_t total, bool all_zero, const GradcheckOptions& o,
            GradcheckResult* r) {
  if (all_zero && !o.allow_zero_gradient) {
    r->message = std::string(who) +
                 ": the analytic derivative is zero everywhere, so this check would pass "
                 "vacuously (set allow_zero_gradient if that is intended)";
    return false;
  }
  if (total > 0 && static_cast<double>(r->kinks_skipped) > o.max_kink_fraction * total) {
    std::ostringstream os;
    os << who << ": " << r->kinks_skipped << " of " << total
       << " elements sit on kinks and were skipped; move the inputs away from the kinks";
    r->message = os.str();
    return false;
  }
  r->ok = true;
  return true;
}

}  // namespace

GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& o) {
  GradcheckResult r;
  Prepared p = prepare("gradcheck", inputs);
  Generator gen(o.seed);

  // Analytic: dL/dx for L = Σ f(x) ⊙ w.
  Tensor out = f(p.leaves);
  GPUNN_CHECK(out.defined() && out.dtype() == kFloat64,
              "gradcheck: the function must return a float64 tensor, got ", describe(out));
  const Tensor w = randn(out.shape(), kFloat64, &gen);
  if (out.requires_grad()) sum(mul(out, w)).backward();
  const double base = dot(evaluate("gradcheck", f, p.leaves), w);

  bool all_zero = true;
  int64_t total = 0;
  for (size_t c : p.checked) {
    Tensor& leaf = p.leaves[c];
    const Tensor g = leaf.grad().defined() ? leaf.grad() : zeros_like(leaf);
    const std::vector<double> analytic = g.to_vector<double>();
    double* x = leaf.data<double>();
    for (int64_t k = 0; k < leaf.numel(); ++k, ++total) {
      const double saved = x[k];
      x[k] = saved + o.eps;
      const double plus = dot(evaluate("gradcheck", f, p.leaves), w);
      x[k] = saved - o.eps;
      const double minus = dot(evaluate("gradcheck", f, p.leaves), w);
      x[k] = saved;
      const double central = (plus - minus) / (2 * o.eps);
      if (on_kink((base - minus) / o.eps, (plus - base) / o.eps, central, o)) {
        ++r.kinks_skipped;
        continue;
      }
      if (analytic[k] != 0.0) all_zero = false;
      ++r.checked;
      if (!close(analytic[k], central, o, &r)) {
        std::ostringstream os;
        os << "gradcheck: input " << c << " " << describe(leaf) << " element " << k << ": analytic "
           << analytic[k] << " vs numeric " << central << " (abs error "
           << std::abs(analytic[k] - central) << ", rtol " << o.rtol << ", floor " << o.floor
           << ")";
        r.message = os.str();
        return r;
      }
    }
  }
  finish("gradcheck", total, all_zero, o, &r);
  return r;
}

GradcheckResult jvpcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                         const GradcheckOptions& o) {
  GradcheckResult r;
  Prepared p = prepare("jvpcheck", inputs);
  Generator gen(o.seed);

  std::vector<Tensor> directions(p.leaves.size());
  for (size_t c : p.checked) directions[c] = randn(p.leaves[c].shape(), kFloat64, &gen);

  // Forward mode: J·v in one pass.
  auto [out, jv] = autograd::jvp(f, p.leaves, directions);
  GPUNN_CHECK(out.dtype() == kFloat64, "jvpcheck: the function must return a float64 tensor, got ",
              describe(out));

  // Central differences of f along v, elementwise.
  auto shifted = [&](double step) {
    NoGradGuard no_grad;
    std::vector<Tensor> x = p.leaves;
    for (size_t c : p.checked) x[c] = add(p.leaves[c].detach(), mul(directions[c], step));
    return evaluate("jvpcheck", f, x).to_vector<double>();
  };
  const std::vector<double> plus = shifted(o.eps), minus = shifted(-o.eps);
  const std::vector<double> base = evaluate("jvpcheck", f, p.leaves).to_vector<double>();
  const std::vector<double> forward = jv.to_vector<double>();
  bool all_zero = true;
  for (size_t k = 0; k < forward.size(); ++k) {
    const double central = (plus[k] - minus[k]) / (2 * o.eps);
    if (on_kink((base[k] - minus[k]) / o.eps, (plus[k] - base[k]) / o.eps, central, o)) {
      ++r.kinks_skipped;
      continue;
    }
    if (forward[k] != 0.0) all_zero = false;
    ++r.checked;
    if (!close(forward[k], central, o, &r)) {
      std::ostringstream os;
      os << "jvpcheck: output element " << k << " of " << describe(out) << ": forward mode "
         << forward[k] << " vs numeric " << central << " (abs error "
         << std::abs(forward[k] - central) << ")";
      r.message = os.str();
      return r;
    }
  }

  // Forward against reverse: uᵀ(J v) = Σ_i (Jᵀ u)_iᵀ v_i.
  const Tensor u = randn(out.shape(), kFloat64, &gen);
  Tensor out_r = f(p.leaves);
  double rhs = 0.0;
  if (out_r.requires_grad()) {
    std::vector<Tensor> wrt;
    for (size_t c : p.checked) wrt.push_back(p.leaves[c]);
    const std::vector<Tensor> jtu = autograd::grad({out_r}, wrt, {u}, false, true);
    for (size_t i = 0; i < wrt.size(); ++i) {
      if (jtu[i].defined()) rhs += dot(jtu[i], directions[p.checked[i]]);
    }
  }
  const double lhs = dot(u, jv);
  double magnitude = 0.0;
  const std::vector<double> uv = u.to_vector<double>();
  for (size_t k = 0; k < uv.size(); ++k) magnitude += std::abs(uv[k] * forward[k]);
  const double err = std::abs(lhs - rhs);
  if (err > o.rtol * std::max(magnitude, o.floor)) {
    std::ostringstream os;
    os << "jvpcheck: forward and reverse mode disagree: u.(Jv) = " << lhs
       << " but (J^T u).v = " << rhs << " (abs error " << err << ")";
    r.message = os.str();
    return r;
  }
  finish("jvpcheck", static_cast<int64_t>(forward.size()), all_zero, o, &r);
  return r;
}

namespace {

// Prefixes a failed check's message with what was checked.
GradcheckResult labelled(GradcheckResult r, const char* what) {
  if (!r.ok) r.message = std::string("gradgradcheck (") + what + "): " + r.message;
  return r;
}

}  // namespace

GradcheckResult gradgradcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& o) {
  // G(x) = ∂(Σ f(x) ⊙ r)/∂x for the checked inputs, flattened and concatenated, computed with
  // create_graph so that G has a graph and tangents.
  std::vector<size_t> checked;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) checked.push_back(i);
  GPUNN_CHECK(!checked.empty(),
              "gradgradcheck: no input requires grad, so there is nothing to check");
  Generator gen(o.seed + 1);
  const Tensor out = evaluate("gradgradcheck", f, inputs);
  const Tensor r = randn(out.shape(), kFloat64, &gen);
  const TensorFn G = [&](const std::vector<Tensor>& in) {
    const bool was_enabled = is_grad_enabled();
    set_grad_enabled(true);
    std::vector<Tensor> x = in, wrt;
    for (size_t c : checked) {
      // The numeric passes hand in plain copies: make them leaves to differentiate at.
      if (!x[c].requires_grad()) x[c] = x[c].detach().requires_grad_(true);
      wrt.push_back(x[c]);
    }
    Tensor y = f(x);
    std::vector<Tensor> parts;
    if (y.requires_grad()) {
      const std::vector<Tensor> g = autograd::grad(
          {y}, wrt, {r}, autograd::GradOptions{.create_graph = true, .allow_unused = true});
      for (size_t i = 0; i < g.size(); ++i)
        parts.push_back(g[i].defined() ? g[i].reshape({-1}) : zeros({wrt[i].numel()}, kFloat64));
    } else {
      for (const Tensor& w : wrt) parts.push_back(zeros({w.numel()}, kFloat64));
    }
    set_grad_enabled(was_enabled);
    return cat(parts, 0);
  };
  GradcheckResult reverse, forward;
  try {
    // The differentiable rules give the first derivative too: it must be the plain pass's
    // (itself checked against central differences of f), or the checks of G's derivatives
    // below would only show that a wrong G is consistently wrong.
    GradcheckResult first = gradcheck(f, inputs, o);
    if (!first.ok) return labelled(first, "first derivative");
    std::vector<Tensor> x = inputs, wrt;
    for (size_t c : checked) wrt.push_back(x[c] = inputs[c].detach().requires_grad_(true));
    std::vector<Tensor> plain = autograd::grad({f(x)}, wrt, {r}, false, true);
    const std::vector<double> with_graph = G(inputs).to_vector<double>();
    size_t k = 0;
    for (size_t i = 0; i < wrt.size(); ++i) {
      const std::vector<double> p =
          plain[i].defined() ? plain[i].to_vector<double>() : std::vector<double>(wrt[i].numel());
      for (size_t j = 0; j < p.size(); ++j, ++k) {
        const double err = std::abs(with_graph[k] - p[j]);
        if (err > 1e-10 * std::max(1.0, std::abs(p[j]))) {
          std::ostringstream os;
          os << "gradgradcheck: the gradient with create_graph differs from the plain pass's "
                "at input "
             << checked[i] << " element " << j << ": " << with_graph[k] << " vs " << p[j];
          GradcheckResult failed;
          failed.message = os.str();
          return failed;
        }
      }
    }
    reverse = labelled(gradcheck(G, inputs, o), "reverse over reverse");
    if (!reverse.ok) return reverse;
    forward = labelled(jvpcheck(G, inputs, o), "forward over reverse");
    if (!forward.ok) return forward;
  } catch (const Error& e) {
    GradcheckResult failed;
    failed.message = std::string("gradgradcheck: ") + e.what();
    return failed;
  }
  reverse.checked += forward.checked;
  reverse.kinks_skipped += forward.kinks_skipped;
  reverse.max_abs_error = std::max(reverse.max_abs_error, forward.max_abs_error);
  reverse.max_rel_error = std::max(reverse.max_rel_error, forward.max_rel_error);
  return reverse;
}

}  // namespace gpunn::testing
