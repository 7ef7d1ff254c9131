// Attention's cuDNN entries (kernels/vendor/cudnn_attention.cpp; builds with the
// cudnn-frontend headers). On any machine: the shapes the entries accept, which must be
// exactly the ones where cuDNN's fused attention computes the family's definition. On a
// GPU: cuDNN's forward and backward against the reference loops, the entry actually
// serving (no fallback to our kernel for the shapes cuDNN documents), either pass mixed
// with ours (the saved lse means the same in both), and repeatable gradients in
// deterministic mode.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "test_util.h"

namespace gpunn {
namespace {

kernels::AttentionArgs args(DType dtype, int64_t B, int64_t H, int64_t T, int64_t S, int64_t D,
                            int64_t Dv) {
  kernels::AttentionArgs a{};
  a.dtype = dtype;
  a.shape.B = B, a.shape.H = H, a.shape.T = T, a.shape.S = S, a.shape.D = D, a.shape.Dv = Dv;
  a.shape.scale = 1.0 / std::sqrt(static_cast<double>(D));
  return a;
}

TEST(CudnnAttention, AcceptsExactlyWhatItComputesAsDefined) {
  using kernels::attention_backward_cudnn_supported;
  using kernels::attention_forward_cudnn_supported;
  const auto fwd = [](const kernels::AttentionArgs& a) {
    return attention_forward_cudnn_supported(a);
  };
  const auto bwd = [](const kernels::AttentionArgs& a) {
    kernels::AttentionBackwardArgs b{};
    b.dtype = a.dtype;
    b.shape = a.shape;
    return attention_backward_cudnn_supported(b);
  };
  const auto both = [&](const kernels::AttentionArgs& a) { return fwd(a) && bwd(a); };
  const auto neither = [&](const kernels::AttentionArgs& a) { return !fwd(a) && !bwd(a); };

  // GPT-2-small's layer, both 16-bit dtypes, causal or not, head dims 8..128.
  EXPECT_TRUE(both(args(kBFloat16, 8, 12, 1024, 1024, 64, 64)));
  EXPECT_TRUE(both(args(kFloat16, 8, 12, 1024, 1024, 64, 64)));
  kernels::AttentionArgs causal = args(kBFloat16, 2, 4, 600, 500, 128, 128);
  causal.shape.causal = true;
  EXPECT_TRUE(both(causal));
  EXPECT_TRUE(both(args(kFloat16, 1, 16, 512, 512, 8, 8)));
  EXPECT_TRUE(both(args(kFloat16, 1, 16, 512, 512, 128, 64)));

  // float32 and float64: not cuDNN's (our kernels serve them).
  EXPECT_TRUE(neither(args(kFloat32, 8, 12, 1024, 1024, 64, 64)));
  EXPECT_TRUE(neither(args(kFloat64, 8, 12, 1024, 1024, 64, 64)));
  // Head dims past 128, below 8 or not a multiple of 8.
  EXPECT_TRUE(neither(args(kBFloat16, 8, 12, 1024, 1024, 160, 160)));
  EXPECT_TRUE(neither(args(kBFloat16, 8, 12, 1024, 1024, 64, 136)));
  EXPECT_TRUE(neither(args(kBFloat16, 8, 12, 1024, 1024, 4, 4)));
  EXPECT_TRUE(neither(args(kBFloat16, 8, 12, 1024, 1024, 60, 64)));
  EXPECT_TRUE(neither(args(kBFloat16, 8, 12, 1024, 1024, 64, 100)));
  // A mask (a fully masked row is zeros here, not cuDNN's) and dropout (cuDNN's own
  // Philox stream could not be rebuilt as the family's keep rule).
  kernels::AttentionArgs masked = args(kBFloat16, 8, 12, 1024, 1024, 64, 64);
  const float mask_element = 0;
  masked.shape.mask = &mask_element;
  EXPECT_TRUE(neither(masked));
  kernels::AttentionArgs dropped = args(kBFloat16, 8, 12, 1024, 1024, 64, 64);
  dropped.shape.dropout_p = 0.1;
  EXPECT_TRUE(neither(dropped));
  // Fewer than 2^20 scores: a per-shape graph build is not worth it.
  EXPECT_TRUE(neither(args(kBFloat16, 1, 4, 64, 64, 64, 64)));
  EXPECT_TRUE(both(args(kBFloat16, 1, 4, 512, 512, 64, 64)));  // exactly 2^20
  EXPECT_TRUE(neither(args(kBFloat16, 1, 4, 512, 511, 64, 64)));

  // Tensors off a 16-byte boundary (views into a buffer): refused.
  alignas(16) static unsigned char buffer[64];
  kernels::AttentionArgs off = args(kFloat16, 8, 12, 1024, 1024, 64, 64);
  off.q = buffer, off.k = buffer + 16, off.v = buffer + 32, off.o = buffer + 48;
  EXPECT_TRUE(fwd(off));
  off.v = buffer + 34;
  EXPECT_FALSE(fwd(off));
  kernels::AttentionBackwardArgs b{};
  b.dtype = kFloat16;
  b.shape = off.shape;
  b.q = b.k = b.v = b.o = b.dout = b.dq = b.dk = b.dv = buffer;
  EXPECT_TRUE(attention_backward_cudnn_supported(b));
  b.dk = buffer + 8;
  EXPECT_FALSE(attention_backward_cudnn_supported(b));
}

// Bit patterns (16-bit values widen to float32 exactly), so comparisons are bitwise.
std::vector<uint32_t> bits(const Tensor& t) {
  const std::vector<float> v = t.to(kCPU).to(kFloat32).to_vector<float>();
  std::vector<uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

double relative_error(const Tensor& a, const Tensor& b) {
  const Tensor a64 = a.to(kCPU).to(kFloat64), b64 = b.to(kCPU).to(kFloat64);
  return std::sqrt(sum(mul(sub(a64, b64), sub(a64, b64))).item()) /
         std::sqrt(sum(mul(b64, b64)).item());
}

struct Pass {
  Tensor y, dq, dk, dv;
};

// Forward under `forward`, backward under `backward`, q/k/v on `device`.
Pass run(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& r, bool causal,
         Device device, Impl forward, Impl backward) {
  const Tensor qd = test::leaf(q.to(device)), kd = test::leaf(k.to(device)),
               vd = test::leaf(v.to(device));
  set_impl(OpFamily::Attention, forward);
  const Tensor y = scaled_dot_product_attention(qd, kd, vd, {.causal = causal});
  set_impl(OpFamily::Attention, backward);
  sum(mul(y, r.to(device))).backward();
  set_impl(OpFamily::Attention, Impl::Auto);
  return {y.detach(), qd.grad(), kd.grad(), vd.grad()};
}

// cuDNN against the reference loops in the same dtype (sums in double from the same
// rounded inputs); bounds as for our tensor-core kernels (tests/ops/attention_test.cpp):
// P rounded to 16 bits before P·V, and P and dS before the backward's products.
TEST(CudnnAttention, MatchesTheReferenceAndServesTheCall) {
  GPUNN_REQUIRE_GPU();
  test::reseed(23);
  const Device gpu = Device::cuda(0);
  struct Case {
    int64_t B, H, T, S, D, Dv;
    bool causal;
    bool documented;  // a shape cuDNN's documentation says it runs on sm_80 and newer
  };
  const std::vector<Case> cases = {{2, 4, 384, 384, 64, 64, false, true},
                                   {1, 4, 300, 900, 128, 128, true, true},
                                   {1, 3, 700, 520, 64, 64, true, true},
                                   {1, 8, 256, 512, 128, 64, false, false}};
  for (DType dt : {kBFloat16, kFloat16}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " T " + std::to_string(c.T) + " S " +
                   std::to_string(c.S) + " D " + std::to_string(c.D) + " Dv " +
                   std::to_string(c.Dv) + (c.causal ? " causal" : ""));
      const Tensor q = test::uniform({c.B, c.H, c.T, c.D}, -1, 1, dt);
      const Tensor k = test::uniform({c.B, c.H, c.S, c.D}, -1, 1, dt);
      const Tensor v = test::uniform({c.B, c.H, c.S, c.Dv}, -1, 1, dt);
      const Tensor r = test::uniform({c.B, c.H, c.T, c.Dv}, -1, 1, dt);
      const Pass ref = run(q, k, v, r, c.causal, kCPU, Impl::Custom, Impl::Custom);

      const int64_t fallbacks = kernels::attention_cudnn_fallbacks();
      LaunchTrace trace;
      const Pass cudnn = run(q, k, v, r, c.causal, gpu, Impl::Vendor, Impl::Vendor);
      EXPECT_EQ(trace.count("scaled_dot_product_attention", Implementation::CudaVendor), 1);
      EXPECT_EQ(trace.count("scaled_dot_product_attention_backward", Implementation::CudaVendor),
                1);
      if (c.documented) {
        EXPECT_EQ(kernels::attention_cudnn_fallbacks(), fallbacks);
      }
      const double tol = dt == kBFloat16 ? 1e-2 : 2e-3;
      EXPECT_LT(relative_error(cudnn.y, ref.y), tol);
      EXPECT_LT(relative_error(cudnn.dq, ref.dq), 3 * tol);
      EXPECT_LT(relative_error(cudnn.dk, ref.dk), 3 * tol);
      EXPECT_LT(relative_error(cudnn.dv, ref.dv), 3 * tol);

      // Either pass from either implementation: cuDNN's lse is ours.
      for (const auto& [f, b] :
           {std::pair{Impl::Vendor, Impl::Custom}, std::pair{Impl::Custom, Impl::Vendor}}) {
        const Pass mixed = run(q, k, v, r, c.causal, gpu, f, b);
        EXPECT_LT(relative_error(mixed.y, ref.y), tol);
        EXPECT_LT(relative_error(mixed.dq, ref.dq), 3 * tol);
        EXPECT_LT(relative_error(mixed.dk, ref.dk), 3 * tol);
        EXPECT_LT(relative_error(mixed.dv, ref.dv), 3 * tol);
      }
    }
  }
}

// Deterministic mode: cuDNN's forward, and our backward (no atomics; cuDNN's deterministic
// one keeps gigabytes of workspace at long T), so two runs give the same bits.
TEST(CudnnAttention, DeterministicModeRepeatsTheGradientsBitwise) {
  GPUNN_REQUIRE_GPU();
  test::reseed(29);
  set_deterministic(true);
  const Device gpu = Device::cuda(0);
  const Tensor q = test::uniform({2, 8, 512, 64}, -1, 1, kBFloat16);
  const Tensor k = test::uniform({2, 8, 512, 64}, -1, 1, kBFloat16);
  const Tensor v = test::uniform({2, 8, 512, 64}, -1, 1, kBFloat16);
  const Tensor r = test::uniform({2, 8, 512, 64}, -1, 1, kBFloat16);
  const Pass a = run(q, k, v, r, true, gpu, Impl::Vendor, Impl::Vendor);
  const Pass b = run(q, k, v, r, true, gpu, Impl::Vendor, Impl::Vendor);
  set_deterministic(false);
  EXPECT_EQ(bits(a.y), bits(b.y));
  EXPECT_EQ(bits(a.dq), bits(b.dq));
  EXPECT_EQ(bits(a.dk), bits(b.dk));
  EXPECT_EQ(bits(a.dv), bits(b.dv));
}

}  // namespace
}  // namespace gpunn
