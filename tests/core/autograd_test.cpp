// Reverse mode: the tape, backward(), grad(), accumulation, retain_graph,
// no-grad, detach, saved-tensor release and in-place detection.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

using test::leaf;
using test::values_near;

TEST(Autograd, ScalarBackwardMatchesHandDerivative) {
  // y = Σ (x² + 3x) → dy/dx = 2x + 3
  Tensor x = leaf(tensor({1, -2, 0.5}, kFloat64));
  Tensor y = sum(x * x + x * 3.0);
  EXPECT_EQ(y.grad_fn_name(), "sum_backward");
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(x.is_leaf());
  y.backward();
  EXPECT_TRUE(values_near(x.grad(), {5, -1, 4}, 1e-15));
}

TEST(Autograd, ExplicitUpstreamGradient) {
  Tensor x = leaf(tensor({1, 2, 3}, kFloat64));
  Tensor y = x * x;  // not a scalar: the caller supplies dL/dy
  y.backward(tensor({1, 0.5, -1}, kFloat64));
  EXPECT_TRUE(values_near(x.grad(), {2, 2, -6}, 0));
  Tensor z = x * 2.0;
  EXPECT_THROWS_WITH(z.backward(), "backward", "one element", "[3]");
  EXPECT_THROWS_WITH(z.backward(ones({2}, kFloat64)), "backward", "[2]", "[3]");
  EXPECT_THROWS_WITH(z.backward(ones({3})), "backward", "float32");
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = leaf(tensor({1, 2}, kFloat64));
  (x * 3.0).sum().backward();
  (x * x).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {5, 7}, 0));  // 3 + 2x
  x.zero_grad();
  EXPECT_TRUE(values_near(x.grad(), {0, 0}, 0));
  (x * 1.0).sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1, 1}, 0));
  x.zero_grad(/*set_to_none=*/true);
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, DiamondAndReuse) {
  // x feeds two paths that meet again: gradients must be summed once per path.
  Tensor x = leaf(tensor({2}, kFloat64));
  Tensor a = x * 3.0, b = exp(x);
  Tensor y = (a * b + a).sum();  // y = 3x e^x + 3x
  y.backward();
  const double e2 = std::exp(2.0);
  EXPECT_TRUE(values_near(x.grad(), {3 * e2 + 6 * e2 + 3}, 1e-12));
  Tensor z = leaf(tensor({3}, kFloat64));
  (z * z * z).sum().backward();  // 3z²
  EXPECT_TRUE(values_near(z.grad(), {27}, 0));
}

TEST(Autograd, SecondBackwardNeedsRetainGraph) {
  Tensor x = leaf(tensor({1, 2}, kFloat64));
  Tensor y = (exp(x) * x).sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  const double e1 = std::exp(1.0), e2 = std::exp(2.0);
  EXPECT_TRUE(values_near(x.grad(), {2 * 2 * e1, 2 * 3 * e2}, 1e-12));
  EXPECT_THROWS_WITH(y.backward(), "backward", "retain_graph");
}

TEST(Autograd, LeafServesANewGraphWhileAnOldOneIsAlive) {
  // The leaf's grad accumulator is shared by both graphs; a finished backward
  // on the first must not mark it as freed for the second (the truncated-BPTT
  // pattern: the old chunk's outputs are still in scope).
  Tensor w = ones({2}).requires_grad_(true);
  Tensor first = sum(mul(w, 2.0));
  first.backward();
  Tensor second = sum(mul(w, 3.0));
  second.backward();
  EXPECT_TRUE(test::values_near(w.grad(), {5, 5}, 0));
  EXPECT_TRUE(first.defined());
}

TEST(Autograd, SavedTensorsAreFreedDuringBackward) {
  // Each exp saves its output (8 MB here). After backward without retain_graph
  // the graph's saved buffers are gone even though the graph object lives on.
  Tensor x = leaf(ones({1 << 20}, kFloat64));
  Tensor y = exp(exp(exp(x))).sum();
  const int64_t with_graph = memory_stats().allocated_bytes;
  y.backward();
  Tensor keep = x.grad();
  const int64_t after = memory_stats().allocated_bytes;
  // Three saved outputs (3 x 8 MB) are released; the new grad (8 MB) is kept.
  EXPECT_LE(after, with_graph - 2 * 8 * (1 << 20) + 1024);
  EXPECT_THROWS_WITH(y.backward(), "backward");
}

TEST(Autograd, NoGradGuardStopsRecording) {
  Tensor x = leaf(tensor({1}, kFloat64));
  {
    NoGradGuard guard;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.grad_fn_name().empty());
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Autograd, DetachCutsTheTape) {
  Tensor x = leaf(tensor({3}, kFloat64));
  Tensor y = (x * x.detach()).sum();  // d/dx = x (the detached factor is a constant)
  y.backward();
  EXPECT_TRUE(values_near(x.grad(), {3}, 0));
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.data_ptr(), x.data_ptr());  // shares storage
}

TEST(Autograd, RequiresGradRules) {
  Tensor x = leaf(tensor({1}, kFloat64));
  Tensor y = x * 2.0;
  EXPECT_THROWS_WITH(y.requires_grad_(false), "requires_grad_", "leaf", "mul_backward");
  EXPECT_THROWS_WITH((ones({1}) * 2.0).backward(), "backward", "does not require grad");
  // Ops on tensors that need no grad record nothing.
  EXPECT_FALSE((ones({2}) + ones({2})).requires_grad());
}

TEST(Autograd, InPlaceChangeOfSavedTensorIsDetected) {
  Tensor x = leaf(tensor({1, 2}, kFloat64));
  Tensor w = tensor({3, 4}, kFloat64);
  Tensor y = (x * w).sum();  // mul saves w
  w.mul_(2.0);
  EXPECT_THROWS_WITH(y.backward(), "mul_backward", "modified in place");
}

TEST(Autograd, GradFunctionReturnsInsteadOfAccumulating) {
  Tensor x = leaf(tensor({1, 2}, kFloat64));
  Tensor u = leaf(tensor({5}, kFloat64));
  Tensor h = x * 3.0;  // a non-leaf input
  Tensor y = (h * h).sum();
  std::vector<Tensor> g = autograd::grad({y}, {x, h}, {}, /*retain_graph=*/true);
  EXPECT_TRUE(values_near(g[0], {18, 36}, 0));  // 18x
  EXPECT_TRUE(values_near(g[1], {6, 12}, 0));   // 2h
  EXPECT_FALSE(x.grad().defined());             // nothing accumulated
  EXPECT_THROWS_WITH(autograd::grad({y}, {u}), "grad", "not used");
  std::vector<Tensor> unused = autograd::grad({y}, {u}, {}, false, /*allow_unused=*/true);
  EXPECT_FALSE(unused[0].defined());
}

TEST(Autograd, SeveralOutputsAtOnce) {
  Tensor x = leaf(tensor({1, 2}, kFloat64));
  Tensor a = (x * 2.0).sum(), b = (x * x).sum();
  autograd::backward({a, b});
  EXPECT_TRUE(values_near(x.grad(), {4, 6}, 0));  // 2 + 2x
}

TEST(Autograd, LeafAsRoot) {
  Tensor x = leaf(scalar_tensor(4, kFloat64));
  x.backward();
  EXPECT_TRUE(values_near(x.grad(), {1}, 0));
}

TEST(Autograd, GradientThroughViewsAndCopies) {
  Tensor x = leaf(arange(6, kFloat64).reshape({2, 3}));
  Tensor y = x.t().contiguous().reshape({6}).slice(0, 1, 6, 2).sum();
  y.backward();
  // x.t() flattened is x[0,0], x[1,0], x[0,1], x[1,1], x[0,2], x[1,2];
  // elements 1, 3, 5 of it are x[1,0], x[1,1], x[1,2].
  EXPECT_TRUE(values_near(x.grad(), {0, 0, 0, 1, 1, 1}, 0));
}

TEST(Autograd, DeepChainDoesNotOverflowTheStack) {
  Tensor x = leaf(tensor({1}, kFloat64));
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0;
  y.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1}, 0));
  Tensor z = x;
  for (int i = 0; i < 20000; ++i) z = z + 0.0;
  EXPECT_TRUE(values_near(autograd::grad({z.sum()}, {x})[0], {1}, 0));
}

}  // namespace
}  // namespace gpunn
