// Every op family in bfloat16 and float16 against the float32 reference.
//
// The 16-bit rows compute in float32 (or double, where the float32 rows do) and round
// once on store (docs/precision.md). So each case below feeds the same values to both
// sides: random float32 inputs are first rounded to the 16-bit dtype, and the reference
// runs in float32 on those rounded values. An op made of one kernel then differs from
// the reference only by the final rounding (half a unit in the last place, "ulp"), and
// an op made of k kernels by about k such roundings. Tolerances are written in ulps of
// the dtype (2^-7 relative for bfloat16, with its 8 significant bits; 2^-10 for float16)
// and scaled by |ref| plus 1/8 of the largest |ref| of the case, which absorbs results
// that cancel to near zero (a sum of mixed signs is rounded in a different order on the
// two sides). Gradients pass through saved 16-bit activations and 16-bit upstream
// gradients, so they get the count of kernels on the backward path.
//
// Separate tests hold the accumulation: sums of thousands of terms, whose 16-bit running
// sum would stall (bfloat16 cannot add 1 to 256), must come out exact.
#include <gpunn/gpunn.h>
#include <gpunn/testing/poison.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "test_util.h"

namespace gpunn {
namespace {

using test::leaf;
using test::tensors_near;

double ulp(DType dtype) { return dtype == kBFloat16 ? 0x1p-7 : 0x1p-10; }

struct Case {
  std::string name;
  // Float32 inputs (int64 ones pass through unchanged); the floating ones get gradients.
  std::function<std::vector<Tensor>(Generator&)> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  double forward_ulps = 1.0;   // roundings on the forward path
  double backward_ulps = 4.0;  // and on the backward path (0: no gradient)
};

::testing::AssertionResult close_in_ulps(const Tensor& got, const Tensor& ref, DType dtype,
                                         double ulps, const std::string& what) {
  if (got.dtype() != dtype)
    return ::testing::AssertionFailure() << what << ": dtype " << dtype_name(got.dtype());
  if (got.shape() != ref.shape()) return ::testing::AssertionFailure() << what << ": shape";
  const std::vector<double> g = got.to_vector<double>(), r = ref.to_vector<double>();
  double largest = 0.0;
  for (double v : r) largest = std::max(largest, std::abs(v));
  bool any_nonzero = largest > 0.0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double tol = ulps * ulp(dtype) * (std::abs(r[i]) + largest / 8.0);
    if (!(std::abs(g[i] - r[i]) <= tol)) {
      return ::testing::AssertionFailure()
             << what << " element " << i << ": got " << g[i] << ", float32 reference " << r[i]
             << " (tolerance " << tol << " = " << ulps << " ulp)";
    }
  }
  if (!any_nonzero && !r.empty())
    return ::testing::AssertionFailure() << what << ": all zero, the case checks nothing";
  return ::testing::AssertionSuccess();
}

Tensor u(Generator& g, const Shape& s, double lo = -2.0, double hi = 2.0) {
  return rand(s, kFloat32, &g) * (hi - lo) + lo;
}
Tensor labels(Generator& g, const Shape& s, int64_t classes) {
  return randint(0, classes, s, kInt64, &g);
}

std::vector<Case> cases() {
  using V = std::vector<Tensor>;
  return {
      {"neg", [](Generator& g) { return V{u(g, {33})}; }, [](const V& v) { return neg(v[0]); }},
      {"exp", [](Generator& g) { return V{u(g, {33})}; }, [](const V& v) { return exp(v[0]); }},
      {"log", [](Generator& g) { return V{u(g, {33}, 0.1, 4.0)}; },
       [](const V& v) { return log(v[0]); }},
      {"sqrt", [](Generator& g) { return V{u(g, {33}, 0.1, 4.0)}; },
       [](const V& v) { return sqrt(v[0]); }},
      {"sin", [](Generator& g) { return V{u(g, {33})}; }, [](const V& v) { return sin(v[0]); }},
      {"cos", [](Generator& g) { return V{u(g, {33})}; }, [](const V& v) { return cos(v[0]); }},
      {"pow_scalar", [](Generator& g) { return V{u(g, {33}, 0.1, 2.0)}; },
       [](const V& v) { return pow(v[0], 2.5); }},
      {"clamp", [](Generator& g) { return V{u(g, {33})}; },
       [](const V& v) { return clamp(v[0], -0.5, 1.0); }},
      {"add_broadcast",
       [](Generator& g) {
         return V{u(g, {4, 5}), u(g, {5})};
       },
       [](const V& v) { return add(v[0], v[1]); }, 1.0, 4.0},
      {"mul",
       [](Generator& g) {
         return V{u(g, {4, 5}), u(g, {4, 1})};
       },
       [](const V& v) { return mul(v[0], v[1]); }, 1.0, 4.0},
      {"div",
       [](Generator& g) {
         return V{u(g, {4, 5}), u(g, {4, 5}, 0.5, 2.0)};
       },
       [](const V& v) { return div(v[0], v[1]); }, 1.0, 4.0},
      {"pow_tensor",
       [](Generator& g) {
         return V{u(g, {4, 5}, 0.5, 2.0), u(g, {4, 5})};
       },
       [](const V& v) { return pow(v[0], v[1]); }, 1.0, 4.0},
      {"relu", [](Generator& g) { return V{u(g, {40})}; }, [](const V& v) { return relu(v[0]); }},
      {"leaky_relu", [](Generator& g) { return V{u(g, {40})}; },
       [](const V& v) { return leaky_relu(v[0], 0.1); }},
      {"sigmoid", [](Generator& g) { return V{u(g, {40})}; },
       [](const V& v) { return sigmoid(v[0]); }},
      {"tanh", [](Generator& g) { return V{u(g, {40})}; }, [](const V& v) { return tanh(v[0]); }},
      {"gelu", [](Generator& g) { return V{u(g, {40})}; }, [](const V& v) { return gelu(v[0]); }},
      {"gelu_tanh", [](Generator& g) { return V{u(g, {40})}; },
       [](const V& v) { return gelu(v[0], GeluApproximation::Tanh); }},
      {"softmax",
       [](Generator& g) {
         return V{u(g, {3, 7, 2})};
       },
       [](const V& v) { return softmax(v[0], 1); }},
      {"log_softmax",
       [](Generator& g) {
         return V{u(g, {5, 9})};
       },
       [](const V& v) { return log_softmax(v[0], 1); }},
      {"sum",
       [](Generator& g) {
         return V{u(g, {6, 7})};
       },
       [](const V& v) { return sum(v[0]); }},
      {"sum_dim",
       [](Generator& g) {
         return V{u(g, {6, 7, 3})};
       },
       [](const V& v) {
         return sum(v[0], {0, 2});
       }},
      {"mean_dim",
       [](Generator& g) {
         return V{u(g, {6, 7})};
       },
       [](const V& v) { return mean(v[0], {1}, true); }},
      {"max_dim",
       [](Generator& g) {
         return V{u(g, {6, 7})};
       },
       [](const V& v) { return max(v[0], 1).values; }},
      {"matmul",
       [](Generator& g) {
         return V{u(g, {5, 16}), u(g, {16, 3})};
       },
       [](const V& v) { return matmul(v[0], v[1]); }},
      {"bmm",
       [](Generator& g) {
         return V{u(g, {2, 5, 8}), u(g, {2, 8, 3})};
       },
       [](const V& v) { return matmul(v[0], v[1]); }},
      {"linear",
       [](Generator& g) {
         return V{u(g, {4, 12}), u(g, {6, 12}), u(g, {6})};
       },
       [](const V& v) { return linear(v[0], v[1], v[2]); }, 2.0, 4.0},
      {"conv2d",
       [](Generator& g) {
         return V{u(g, {2, 3, 7, 6}), u(g, {4, 3, 3, 3}), u(g, {4})};
       },
       [](const V& v) { return conv2d(v[0], v[1], v[2], {.stride = 2, .padding = 1}); }},
      {"conv2d_groups",
       [](Generator& g) {
         return V{u(g, {1, 4, 5, 5}), u(g, {6, 2, 3, 3})};
       },
       [](const V& v) { return conv2d(v[0], v[1], Tensor(), {.padding = 1, .groups = 2}); }},
      {"conv_transpose2d",
       [](Generator& g) {
         return V{u(g, {2, 3, 4, 4}), u(g, {3, 2, 3, 3})};
       },
       [](const V& v) {
         return conv_transpose2d(v[0], v[1], Tensor(), {.stride = 2, .padding = 1});
       }},
      {"max_pool2d",
       [](Generator& g) {
         return V{u(g, {2, 3, 7, 7})};
       },
       [](const V& v) { return max_pool2d(v[0], {.kernel_size = 3, .stride = 2}); }},
      {"avg_pool2d",
       [](Generator& g) {
         return V{u(g, {2, 3, 7, 7})};
       },
       [](const V& v) { return avg_pool2d(v[0], {.kernel_size = 3, .stride = 2, .padding = 1}); }},
      {"batch_norm",
       [](Generator& g) {
         return V{u(g, {6, 3, 4}), u(g, {3}), u(g, {3})};
       },
       [](const V& v) { return batch_norm(v[0], Tensor(), Tensor(), v[1], v[2]); }, 4.0, 16.0},
      {"local_response_norm",
       [](Generator& g) {
         return V{u(g, {2, 6, 3, 3})};
       },
       [](const V& v) { return local_response_norm(v[0], 3, 0.5, 0.75, 1.0); }},
      {"cross_entropy",
       [](Generator& g) {
         return V{u(g, {8, 5}), labels(g, {8}, 5)};
       },
       [](const V& v) { return cross_entropy(v[0], v[1]); }, 2.0, 4.0},
      {"cross_entropy_smoothing",
       [](Generator& g) {
         return V{u(g, {8, 5}), labels(g, {8}, 5)};
       },
       [](const V& v) { return cross_entropy(v[0], v[1], {.label_smoothing = 0.1}); }, 2.0, 4.0},
      {"nll_loss_none",
       [](Generator& g) {
         return V{u(g, {8, 5}), labels(g, {8}, 5)};
       },
       [](const V& v) { return nll_loss(v[0], v[1], {.reduction = Reduction::None}); }},
      {"mse_loss",
       [](Generator& g) {
         return V{u(g, {6, 4}), u(g, {6, 4})};
       },
       [](const V& v) { return mse_loss(v[0], v[1]); }, 3.0, 4.0},
      {"bce_with_logits",
       [](Generator& g) {
         return V{u(g, {6, 4}), rand({6, 4}, kFloat32, &g)};
       },
       [](const V& v) { return binary_cross_entropy_with_logits(v[0], v[1]); }, 2.0, 4.0},
      {"multi_margin",
       [](Generator& g) {
         return V{u(g, {6, 5}), labels(g, {6}, 5)};
       },
       [](const V& v) { return multi_margin_loss(v[0], v[1]); }, 2.0, 4.0},
      {"embedding",
       [](Generator& g) {
         return V{labels(g, {3, 5}, 7), u(g, {7, 4})};
       },
       [](const V& v) { return embedding(v[0], v[1]); }},
      {"index_select",
       [](Generator& g) {
         return V{u(g, {5, 6}), labels(g, {8}, 6)};
       },
       [](const V& v) { return index_select(v[0], 1, v[1]); }},
      {"lstm_cell",
       [](Generator& g) {
         return V{u(g, {3, 4 * 5}), u(g, {3, 5})};
       },
       [](const V& v) {
         const LstmState s = lstm_cell(v[0], v[1]);
         return cat({s.h, s.c}, 1);
       },
       2.0, 8.0},
      {"reshape_transpose",
       [](Generator& g) {
         return V{u(g, {4, 6})};
       },
       [](const V& v) {
         return v[0].reshape({2, 12}).t().contiguous();
       }},
  };
}

class Precision : public ::testing::TestWithParam<DType> {};

TEST_P(Precision, EveryOpMatchesTheFloat32Reference) {
  const DType dtype = GetParam();
  // The reference loops, then the vendor rows (oneDNN on float32 copies for the GEMM and the
  // convolutions; the reference loops for families without one).
  for (Impl impl : {Impl::Custom, Impl::Vendor})
    for (const Case& c : cases()) {
      const test::EveryFamilyImpl scope(impl);
      SCOPED_TRACE(c.name + " in " + dtype_name(dtype) +
                   (impl == Impl::Custom ? " [cpu]" : " [cpu_vendor]"));
      Generator gen(1234);
      const std::vector<Tensor> raw = c.inputs(gen);
      std::vector<Tensor> low, ref;  // the same values, in the 16-bit dtype and in float32
      for (const Tensor& t : raw) {
        if (!t.is_floating_point()) {
          low.push_back(t);
          ref.push_back(t);
          continue;
        }
        low.push_back(leaf(t.to(dtype)));
        ref.push_back(leaf(low.back().to(kFloat32)));
      }
      const Tensor got = c.fn(low), want = c.fn(ref);
      ASSERT_TRUE(close_in_ulps(got, want, dtype, c.forward_ulps, "forward"));
      if (c.backward_ulps == 0.0) continue;
      // Weighted sum, so that every output element has its own upstream gradient.
      Generator wgen(99);
      const Tensor w = u(wgen, want.shape()).to(dtype);
      (got * w).sum().backward();
      (want * w.to(kFloat32)).sum().backward();
      for (size_t i = 0; i < low.size(); ++i) {
        if (!raw[i].is_floating_point()) continue;
        ASSERT_TRUE(low[i].grad().defined()) << "input " << i << " got no gradient";
        ASSERT_TRUE(close_in_ulps(low[i].grad(), ref[i].grad(), dtype, c.backward_ulps,
                                  "gradient of input " + std::to_string(i)));
      }
    }
}

TEST_P(Precision, SumsAccumulateInFloat) {
  // A bfloat16 running sum stops growing at 256 (256 + 1 rounds back to 256), a float16
  // one at 2048: these results are exact only if the kernels sum in float32 or wider.
  const DType dtype = GetParam();
  for (Impl impl : {Impl::Custom, Impl::Vendor}) {
    const test::EveryFamilyImpl scope(impl);
    SCOPED_TRACE(impl == Impl::Custom ? "cpu" : "cpu_vendor");
    EXPECT_EQ(ones({4096}, dtype).sum().item(), 4096.0);
    EXPECT_EQ(ones({2, 4096}, dtype).mean({1}).to_vector<double>(), (std::vector<double>{1, 1}));
    {
      LaunchTrace trace;
      EXPECT_EQ(matmul(ones({1, 4096}, dtype), ones({4096, 1}, dtype)).item(), 4096.0);
      // The vendor rows really run oneDNN (on float32 copies) where the build has it.
      if (impl == Impl::Vendor && cpu_vendor_available()) {
        EXPECT_EQ(trace.count("matmul", Implementation::CpuVendor), 1);
      }
    }
    EXPECT_EQ(conv2d(ones({1, 1, 64, 64}, dtype), ones({1, 1, 1, 1}, dtype)).sum().item(), 4096.0);
    // Backward sums: a weight shared by 4096 positions, an embedding row used 3000 times,
    // index_select picking one column 3000 times (3000 rounds to 3008 in bfloat16, once).
    const double n3000 = scalar_tensor(3000.0, dtype).item();
    const Tensor w = leaf(ones({1, 1, 1, 1}, dtype));
    conv2d(ones({1, 1, 64, 64}, dtype), w).sum().backward();
    EXPECT_EQ(w.grad().item(), 4096.0);
    const Tensor table = leaf(ones({3, 2}, dtype));
    embedding(zeros({3000}, kInt64), table).sum().backward();
    EXPECT_EQ(table.grad().to_vector<double>(), (std::vector<double>{n3000, n3000, 0, 0, 0, 0}));
    const Tensor x = leaf(ones({2, 4}, dtype));
    index_select(x, 1, full({3000}, 2.0, kInt64)).sum().backward();
    EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, n3000, 0, 0, 0, n3000, 0}));
    // Overlapping max-pool windows: the centre of a 65×65 input is the maximum of all
    // 65·65 = 4225 windows of size 65 (padding 32), so its gradient is 4225, rounded once.
    const Tensor x65 = zeros({1, 1, 65, 65}, dtype);
    x65.narrow(2, 32, 1).narrow(3, 32, 1).fill_(1.0);
    const Tensor peak = leaf(x65);
    max_pool2d(peak, {.kernel_size = 65, .stride = 1, .padding = 32}).sum().backward();
    EXPECT_EQ(peak.grad().sum().item(), scalar_tensor(4225.0, dtype).item());
    EXPECT_EQ(peak.grad().narrow(2, 32, 1).narrow(3, 32, 1).item(),
              scalar_tensor(4225.0, dtype).item());
  }
}

TEST_P(Precision, OptimizersKeepFloat32MasterCopies) {
  // 16-bit parameters train through a float32 master copy with float32 state: after two
  // steps of each optimizer the master copy equals the float32 run exactly (the same float32
  // arithmetic on the same values) and the parameter is that value rounded once.
  const DType dtype = GetParam();
  Generator gen(5);
  const Tensor p0 = u(gen, {40}).to(dtype), g0 = u(gen, {40}).to(dtype);
  using Made = std::unique_ptr<optim::Optimizer>;
  const auto step = [&](auto make) {
    Tensor low = leaf(p0.clone()), ref = leaf(p0.to(kFloat32));
    const Made opt_low = make(std::vector<Tensor>{low});
    const Made opt_ref = make(std::vector<Tensor>{ref});
    for (int i = 0; i < 2; ++i) {
      low.set_grad(g0.clone());
      ref.set_grad(g0.to(kFloat32));
      opt_low->step();
      opt_ref->step();
    }
    const StateDict state = opt_low->state_dict();
    EXPECT_EQ(state.at("state.0.master").to_vector<double>(), ref.to_vector<double>());
    EXPECT_EQ(state.at("state.0.step").item<int64_t>(), 2);
    for (const auto& [name, t] : state) {
      if (name.rfind("state.0.", 0) == 0 && name != "state.0.step") {
        EXPECT_EQ(t.dtype(), kFloat32) << name;
      }
    }
    return tensors_near(low.detach(), ref.detach().to(dtype), 0.0);
  };
  EXPECT_TRUE(step([](std::vector<Tensor> p) -> Made {
    return std::make_unique<optim::SGD>(
        p, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01});
  }));
  EXPECT_TRUE(step([](std::vector<Tensor> p) -> Made {
    return std::make_unique<optim::Adam>(p, optim::AdamOptions{.lr = 0.01});
  }));
  EXPECT_TRUE(step([](std::vector<Tensor> p) -> Made {
    return std::make_unique<optim::RMSprop>(p, optim::RMSpropOptions{.lr = 0.01});
  }));
}

TEST_P(Precision, SmallUpdatesAccumulateInTheMasterCopy) {
  // Steps below half an ulp of 1.0 from below (bfloat16: 1e-3 < 2^-9; float16: 1e-4 < 2^-12)
  // round away when applied to the 16-bit parameter itself. Through the master copy, 100 of
  // them add up as they do in float32, and the parameter is their sum rounded once.
  const DType dtype = GetParam();
  const double lr = dtype == kBFloat16 ? 1e-3 : 1e-4;
  float want = 1.0f;
  for (int i = 0; i < 100; ++i) want -= static_cast<float>(lr);
  Tensor p = leaf(ones({3}, dtype));
  optim::SGD opt({p}, {.lr = lr});
  for (int i = 0; i < 100; ++i) {
    p.set_grad(ones({3}, dtype));
    opt.step();
  }
  EXPECT_EQ(opt.state_dict().at("state.0.master").to_vector<float>(), std::vector<float>(3, want));
  EXPECT_EQ(p.to_vector<double>(),
            std::vector<double>(3, scalar_tensor(want, kFloat32).to(dtype).item()));
  EXPECT_LT(p.to_vector<double>()[0], 1.0);
  // The kernel alone, without a master copy, loses them: the documented difference.
  Tensor q = ones({3}, dtype);
  for (int i = 0; i < 100; ++i) sgd_step_(q, ones({3}, dtype), Tensor(), {.lr = lr});
  EXPECT_EQ(q.to_vector<double>(), std::vector<double>(3, 1.0));
  // A parameter changed behind the optimizer's back is re-read: the master copy follows it.
  {
    NoGradGuard no_grad;
    p.fill_(2.0);
  }
  p.set_grad(zeros({3}, dtype));
  opt.step();
  EXPECT_EQ(p.to_vector<double>(), std::vector<double>(3, 2.0));
  EXPECT_EQ(opt.state_dict().at("state.0.master").to_vector<double>(), std::vector<double>(3, 2.0));
}

TEST_P(Precision, OptimizerStateWithMasterCopiesRoundTrips) {
  // Saving and loading mid-run continues bit for bit, master copy included.
  const DType dtype = GetParam();
  Generator gen(8);
  const Tensor p0 = u(gen, {16}).to(dtype);
  std::vector<Tensor> grads;
  for (int i = 0; i < 6; ++i) grads.push_back(u(gen, {16}).to(dtype));
  Tensor a = leaf(p0.clone());
  optim::Adam opt_a({a}, {.lr = 1e-2});
  for (int i = 0; i < 6; ++i) {
    a.set_grad(grads[i]);
    opt_a.step();
  }
  Tensor b = leaf(p0.clone());
  StateDict saved;
  {
    optim::Adam opt_b({b}, {.lr = 1e-2});
    for (int i = 0; i < 3; ++i) {
      b.set_grad(grads[i]);
      opt_b.step();
    }
    saved = opt_b.state_dict();
  }
  optim::Adam resumed({b}, {.lr = 1e-2});
  resumed.load_state_dict(saved);
  for (int i = 3; i < 6; ++i) {
    b.set_grad(grads[i]);
    resumed.step();
  }
  EXPECT_TRUE(tensors_near(b.detach(), a.detach(), 0.0));
  EXPECT_TRUE(tensors_near(resumed.state_dict().at("state.0.master"),
                           opt_a.state_dict().at("state.0.master"), 0.0));
  // float16 state where float32 is expected is refused by name.
  StateDict wrong = saved;
  wrong.insert_or_assign("state.0.exp_avg", zeros({16}, dtype));
  EXPECT_THROWS_WITH(resumed.load_state_dict(wrong), "load_state_dict", "state.0.exp_avg",
                     "float32");
}

// Every case on the GPU, our kernels and then the vendor's (cuBLAS, cuDNN; families without
// a vendor 16-bit entry run ours), against the CPU's 16-bit reference loops, outputs poisoned.
// Both sides round once to 16 bits; the GPU sums in float32 where the CPU sums in double,
// which may move a result across a rounding boundary: one more ulp than the case allows
// against float32.
TEST_P(Precision, CudaRowsMatchTheCpuReference) {
  GPUNN_REQUIRE_GPU();
  const DType dtype = GetParam();
  for (Impl impl : {Impl::Custom, Impl::Vendor}) {
    for (const Case& c : cases()) {
      SCOPED_TRACE(c.name + " in " + dtype_name(dtype) +
                   (impl == Impl::Custom ? " [cuda]" : " [cuda_vendor]"));
      Generator gen(1234);
      const std::vector<Tensor> raw = c.inputs(gen);
      std::vector<Tensor> cpu, gpu_leaves, gpu;
      for (const Tensor& t : raw) {
        if (!t.is_floating_point()) {
          cpu.push_back(t);
          gpu_leaves.push_back(t);
          gpu.push_back(t.to(Device::cuda(0)));
          continue;
        }
        cpu.push_back(leaf(t.to(dtype)));
        gpu_leaves.push_back(leaf(t.to(dtype)));
        gpu.push_back(gpu_leaves.back().to(Device::cuda(0)));
      }
      Generator wgen(99);
      const Tensor want = c.fn(cpu);
      const Tensor w = u(wgen, want.shape()).to(dtype);
      if (c.backward_ulps != 0.0) (want * w).sum().backward();
      Tensor got;
      {
        const test::EveryFamilyImpl scope(impl);
        gpunn::testing::PoisonNewTensors poison;
        got = c.fn(gpu);
        if (c.backward_ulps != 0.0) (got * w.to(Device::cuda(0))).sum().backward();
      }
      ASSERT_EQ(got.device(), Device::cuda(0));
      ASSERT_TRUE(close_in_ulps(got.to(kCPU), want, dtype, c.forward_ulps + 1.0, "forward"));
      if (c.backward_ulps == 0.0) continue;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (!raw[i].is_floating_point()) continue;
        ASSERT_TRUE(gpu_leaves[i].grad().defined()) << "input " << i << " got no gradient";
        ASSERT_TRUE(close_in_ulps(gpu_leaves[i].grad(), cpu[i].grad(), dtype, c.backward_ulps + 1.0,
                                  "gradient of input " + std::to_string(i)));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, Precision, ::testing::Values(kBFloat16, kFloat16),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

}  // namespace
}  // namespace gpunn
