// The bfloat16 GEMM entry of the CPU vendor row (kernels/vendor/onednn_16bit.cpp), called
// directly, against float64 products of the same bfloat16 values: all four transpose
// cases, padded leading dimensions, a batch with strides and one with a broadcast (stride
// 0) operand, alpha and beta, and K = 0. The matmul tests reach only the arguments
// matmul() and linear() produce; this one covers the rest of kernels/gemm.h's contract.
// On a CPU with bfloat16 instructions the entry runs oneDNN's bfloat16 matmul, elsewhere
// float32 copies through dnnl_sgemm (the CTest onednn.widened_16bit runs this file with
// ONEDNN_MAX_CPU_ISA=AVX512_CORE, so both paths are tested on such a CPU).
//
// Tolerance: the entry sums in float32 and rounds once, so it is within half a bfloat16
// ulp (2^-8 relative: 8 significant bits) of its float32 sum, which is within
// K · 2^-24 · S of the exact value (S = alpha · Σ|a·b| + |beta · c|, the float32 error
// bound of a sum of K + 1 terms). Hence |got - exact| <= 2^-8 |exact| + (1 + 2^-8) K 2^-24 S,
// written below with 2^-23 for the second term.
#include <gpunn/half.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "kernels/gemm.h"

namespace gpunn {
namespace {

struct Case {
  int64_t M, N, K;
  bool ta, tb;
};

std::vector<BFloat16> random_bf16(int64_t n, std::mt19937& gen) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<BFloat16> v(static_cast<size_t>(n));
  for (auto& x : v) x = BFloat16(u(gen));
  return v;
}

double at(const std::vector<BFloat16>& v, int64_t i) {
  return static_cast<double>(static_cast<float>(v[static_cast<size_t>(i)]));
}

// Runs the entry with a workspace of the size it asks for.
void run_entry(const kernels::Kernel<kernels::GemmArgs>& entry, const kernels::GemmArgs& g) {
  kernels::Context ctx;
  std::vector<std::byte> workspace;
  if (entry.workspace_bytes) {
    workspace.resize(entry.workspace_bytes(g, ctx) + 64);
    void* p = workspace.data();
    size_t space = workspace.size();
    ctx.workspace = std::align(64, workspace.size() - 64, p, space);
    ctx.workspace_bytes = workspace.size() - 64;
  }
  entry.run(g, ctx);
}

// One case: batch `batch`, B broadcast (stride 0) when `broadcast_b`.
void check(const Case& c, int64_t batch, bool broadcast_b, double alpha, double beta,
           std::mt19937& gen) {
  SCOPED_TRACE(::testing::Message() << "M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << c.ta
                                    << " tb=" << c.tb << " batch=" << batch << " broadcast_b="
                                    << broadcast_b << " alpha=" << alpha << " beta=" << beta);
  const kernels::Kernel<kernels::GemmArgs>& entry = kernels::gemm.bf16.cpu_vendor;
  // Stored shapes; leading dimensions padded past the row so that reads or writes beyond
  // a row touch other values.
  const int64_t a_rows = c.ta ? c.K : c.M, a_cols = c.ta ? c.M : c.K;
  const int64_t b_rows = c.tb ? c.N : c.K, b_cols = c.tb ? c.K : c.N;
  const int64_t lda = a_cols + 3, ldb = b_cols + 5, ldc = c.N + 2;
  const int64_t sa = a_rows * lda + 1, sb = broadcast_b ? 0 : b_rows * ldb + 7, sc = c.M * ldc + 3;
  const std::vector<BFloat16> A = random_bf16(batch * sa + 1, gen);
  const std::vector<BFloat16> B = random_bf16(broadcast_b ? b_rows * ldb : batch * sb + 1, gen);
  std::vector<BFloat16> C = random_bf16(batch * sc, gen);
  if (beta == 0.0)  // beta = 0 must not read C: NaN there must not reach the result
    for (auto& x : C) x = BFloat16(std::numeric_limits<float>::quiet_NaN());
  const std::vector<BFloat16> C0 = C;

  kernels::GemmArgs g{.dtype = DType::BFloat16,
                      .trans_a = c.ta,
                      .trans_b = c.tb,
                      .M = c.M,
                      .N = c.N,
                      .K = c.K,
                      .alpha = alpha,
                      .A = A.data(),
                      .lda = lda,
                      .stride_a = sa,
                      .B = B.data(),
                      .ldb = ldb,
                      .stride_b = sb,
                      .beta = beta,
                      .C = C.data(),
                      .ldc = ldc,
                      .stride_c = sc,
                      .batch = batch};
  ASSERT_TRUE(entry.accepts(g));
  run_entry(entry, g);

  std::vector<bool> written(C.size(), false);
  for (int64_t z = 0; z < batch; ++z)
    for (int64_t m = 0; m < c.M; ++m)
      for (int64_t n = 0; n < c.N; ++n) {
        double sum = 0.0, bound = 0.0;
        for (int64_t k = 0; k < c.K; ++k) {
          const double x = c.ta ? at(A, z * sa + k * lda + m) : at(A, z * sa + m * lda + k);
          const double y = c.tb ? at(B, z * sb + n * ldb + k) : at(B, z * sb + k * ldb + n);
          sum += x * y;
          bound += std::abs(x * y);
        }
        const int64_t i = z * sc + m * ldc + n;
        const double old = beta == 0.0 ? 0.0 : at(C0, i);
        const double exact = alpha * sum + beta * old;
        bound = std::abs(alpha) * bound + std::abs(beta * old);
        const double tol = 0x1p-8 * std::abs(exact) + static_cast<double>(c.K) * 0x1p-23 * bound;
        const double got = at(C, i);
        ASSERT_LE(std::abs(got - exact), tol)
            << "C[" << z << "][" << m << "][" << n << "] = " << got << ", exact " << exact;
        written[static_cast<size_t>(i)] = true;
      }
  // Everything outside the M x N blocks (padding between rows and batches) is untouched.
  for (size_t i = 0; i < C.size(); ++i) {
    if (written[i]) continue;
    const float was = static_cast<float>(C0[i]), now = static_cast<float>(C[i]);
    ASSERT_TRUE(was == now || (std::isnan(was) && std::isnan(now))) << "C[" << i << "] written";
  }
}

TEST(OnednnGemmBf16, EveryTransposeStrideAlphaBetaAgainstFloat64) {
  if (!kernels::gemm.bf16.cpu_vendor) GTEST_SKIP() << "gpunn was built without oneDNN";
  std::mt19937 gen(20261207);
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto [M, N, K] : std::vector<std::array<int64_t, 3>>{
               {1, 1, 1}, {37, 53, 19}, {17, 9, 300}, {64, 80, 96}}) {
        const Case c{M, N, K, ta, tb};
        check(c, 1, false, 1.0, 0.0, gen);
        check(c, 2, false, 1.5, 0.5, gen);
        check(c, 3, true, -0.75, 0.0, gen);
        check(c, 2, true, 1.0, 1.0, gen);
      }
}

TEST(OnednnGemmBf16, EmptyInnerDimensionScalesC) {
  if (!kernels::gemm.bf16.cpu_vendor) GTEST_SKIP() << "gpunn was built without oneDNN";
  std::mt19937 gen(7);
  check({3, 4, 0, false, false}, 2, false, 1.0, 0.0, gen);  // zeros over NaN
  check({3, 4, 0, true, true}, 2, false, 1.0, 0.5, gen);    // half of C
}

}  // namespace
}  // namespace gpunn
