// Gradient checking by finite differences, for tests of ops and layers.
//
// gradcheck compares reverse mode with central differences in double:
//   L(x) = Σ f(x) ⊙ r        (r: fixed random weights, so every output counts)
//   numeric_k = (L(x + h e_k) - L(x - h e_k)) / 2h
//   pass when |analytic_k - numeric_k| <= rtol · max(|analytic_k|, |numeric_k|, floor)
// Elements on a kink (ReLU at 0, max ties, |x| at 0) are detected by comparing
// the one-sided differences and skipped; too many skips fail the check, and so
// does an analytic gradient that is all zero (a check on it would pass
// vacuously). jvpcheck does the same for forward mode, and checks that forward
// and reverse mode agree: uᵀ(J v) = (Jᵀ u)ᵀ v.
//
// Only inputs with requires_grad() are checked (they must be float64); others
// (int64 targets, fixed weights) pass through unchanged. f must be deterministic:
// a random op inside f must draw from a generator that f itself re-seeds.
#pragma once

#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::testing {

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;                 // finite-difference step h
  double rtol = 1e-5;                // relative tolerance ...
  double floor = 1e-3;               // ... with this floor under the scale
  double kink_tol = 1e-3;            // one-sided slopes further apart than this mark a kink
  double max_kink_fraction = 0.25;   // fail when more elements than this sit on kinks
  bool allow_zero_gradient = false;  // an all-zero analytic gradient fails unless set
  uint64_t seed = 1234;              // for the random weights r, u and directions v
};

struct GradcheckResult {
  bool ok = false;
  std::string message;  // on failure: which input, which element, both values
  int64_t checked = 0;  // elements compared
  int64_t kinks_skipped = 0;
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;
  explicit operator bool() const { return ok; }
};

GradcheckResult gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

GradcheckResult jvpcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                         const GradcheckOptions& options = {});

// Second derivatives: G(x) = ∂(Σ f(x) ⊙ r)/∂x (r fixed random weights), computed by a backward
// pass with create_graph, must equal the plain pass's gradient (itself gradchecked first), and
// is then checked by gradcheck (its reverse mode is double backward: reverse over reverse) and
// by jvpcheck (tangents through the backward pass: forward over reverse), both against
// central differences of G. Fails on an op whose gradient rule is not differentiable, with
// that error's message.
GradcheckResult gradgradcheck(const TensorFn& f, const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace gpunn::testing

GPUNN_API_END
