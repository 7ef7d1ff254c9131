// Every numbered variant of our CUDA GEMM (kernels/cuda/gemm.cuh), called
// directly, against a float64 product on the host: all four transpose cases,
// sizes that are not multiples of any tile, a batch with strides, alpha and
// beta, with and without the epilogue (a bias per column and ReLU). The matmul tests reach only the
// variant gemm_batched_cuda picks for each shape; this one runs each. Skipped without a GPU
// (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/gemm_tc.cuh"
#include "test_util.h"

namespace gpunn {
namespace {

const Device kCuda = Device::cuda(0);

struct Case {
  int64_t M, N, K;
  bool ta, tb;
};

// Row-major storage of op(X) (rows x cols) with leading dimension ld: X itself
// is cols x rows when transposed.
int64_t stored_rows(int64_t rows, int64_t cols, bool t) { return t ? cols : rows; }

// C = alpha * op(A) op(B) + beta * C for every batch, in float64 on the host.
std::vector<double> reference(const Case& c, const std::vector<double>& a, int64_t lda, int64_t sa,
                              const std::vector<double>& b, int64_t ldb, int64_t sb,
                              const std::vector<double>& c0, int64_t ldc, int64_t sc, int64_t batch,
                              double alpha, double beta, const std::vector<double>& bias = {},
                              bool relu = false) {
  std::vector<double> out = c0;
  for (int64_t z = 0; z < batch; ++z) {
    for (int64_t m = 0; m < c.M; ++m) {
      for (int64_t n = 0; n < c.N; ++n) {
        double acc = 0.0;
        for (int64_t k = 0; k < c.K; ++k) {
          const double x = c.ta ? a[z * sa + k * lda + m] : a[z * sa + m * lda + k];
          const double y = c.tb ? b[z * sb + n * ldb + k] : b[z * sb + k * ldb + n];
          acc += x * y;
        }
        double& o = out[z * sc + m * ldc + n];
        o = alpha * acc + beta * o + (bias.empty() ? 0.0 : bias[n]);
        if (relu && o < 0.0) o = 0.0;
      }
    }
  }
  return out;
}

TEST(CudaGemm, EveryVariantEveryTransposeAgainstFloat64) {
  GPUNN_REQUIRE_GPU();
  const int64_t batch = 2;
  const float alpha = 1.5f, beta = 0.5f;
  // The last two are large enough for the 128x128 tiles, with partial tiles
  // and a K that ends inside a slice.
  std::vector<Case> cases;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto [M, N, K] : std::vector<std::array<int64_t, 3>>{
               {1, 1, 1}, {37, 53, 19}, {132, 260, 70}, {260, 132, 33}})
        cases.push_back({M, N, K, ta, tb});
  for (const Case& c : cases) {
    // Leading dimensions padded to multiples of 4 floats (the 128-bit-load
    // variants need them), with room to spare so that reads past a row's end
    // would read other values, not zeros.
    const int64_t a_rows = stored_rows(c.M, c.K, c.ta), a_cols = stored_rows(c.K, c.M, c.ta);
    const int64_t b_rows = stored_rows(c.K, c.N, c.tb), b_cols = stored_rows(c.N, c.K, c.tb);
    const int64_t lda = (a_cols + 3) / 4 * 4 + 4, ldb = (b_cols + 3) / 4 * 4 + 4;
    const int64_t ldc = (c.N + 3) / 4 * 4 + 4;
    const int64_t sa = a_rows * lda, sb = b_rows * ldb, sc = c.M * ldc;
    const Tensor a = test::uniform({batch * sa}).to(kFloat32);
    const Tensor b = test::uniform({batch * sb}).to(kFloat32);
    const Tensor c0 = test::uniform({batch * sc}).to(kFloat32);
    const Tensor bias = test::uniform({c.N}).to(kFloat32);
    const Tensor bias_gpu = bias.to(kCuda);
    for (bool epilogue : {false, true}) {
      const std::vector<double> want =
          reference(c, a.to_vector<double>(), lda, sa, b.to_vector<double>(), ldb, sb,
                    c0.to_vector<double>(), ldc, sc, batch, alpha, beta,
                    epilogue ? bias.to_vector<double>() : std::vector<double>{}, epilogue);
      const kernels::GemmEpilogue<float> ep{epilogue ? bias_gpu.data<float>() : nullptr, epilogue};
      const Tensor a_gpu = a.to(kCuda), b_gpu = b.to(kCuda);
      std::vector<std::vector<float>> results;
      for (int v = 1; v <= kernels::kGemmCudaVariants; ++v) {
        const std::string what = "variant " + std::to_string(v) + " " + std::to_string(c.M) + "x" +
                                 std::to_string(c.N) + "x" + std::to_string(c.K) +
                                 (c.ta ? " A^T" : " A") + (c.tb ? " B^T" : " B") +
                                 (epilogue ? " bias relu" : "");
        EXPECT_TRUE(kernels::gemm_cuda_variant_applies<float>(v, a_gpu.data<float>(), lda, sa,
                                                              b_gpu.data<float>(), ldb, sb))
            << what << ": the operands are aligned, so the variant itself must run";
        Tensor out = c0.to(kCuda);
        kernels::gemm_batched_cuda_variant<float>(v, c.ta, c.tb, c.M, c.N, c.K, alpha,
                                                  a_gpu.data<float>(), lda, sa, b_gpu.data<float>(),
                                                  ldb, sb, beta, out.data<float>(), ldc, sc, batch,
                                                  static_cast<cudaStream_t>(cuda::stream(0)), ep);
        const std::vector<float> got = out.to(kCPU).to_vector<float>();
        int bad = 0;
        for (size_t i = 0; i < got.size(); ++i) {
          // K <= 70 terms in [-1, 1]: float32 accumulation stays within 1e-4.
          if (!(std::fabs(got[i] - want[i]) <= 1e-4 + 1e-4 * std::fabs(want[i]))) {
            if (bad++ < 3) {
              ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected "
                            << want[i];
            }
          }
        }
        EXPECT_EQ(bad, 0) << what;
        results.push_back(got);
      }
      // Variants 2 and 3 are one kernel at different occupancy: the same bits.
      if (kernels::kGemmCudaVariants >= 3) {
        EXPECT_EQ(results[1], results[2]);
      }
    }
  }
}

// The tensor-core GEMM (kernels/cuda/gemm_tc.cuh) for bfloat16 and float16, both paths:
// operands it copies in 16-byte chunks (aligned, sizes in multiples of 8, several 128 x
// 128 tiles with partial ones, K not a multiple of the 32-wide slice) and operands that
// take the fallback (odd sizes). Inputs are exact in 16 bits, so the float64 reference sees
// the same values; the results are float32 sums rounded once to 16 bits (or kept in float
// for Out = float, as the convolution's weight gradient does).
TEST(CudaGemm, TensorCoreKernelEveryTransposeAgainstFloat64) {
  GPUNN_REQUIRE_GPU();
  const int64_t batch = 2;
  const float alpha = 1.5f, beta = 0.5f;
  for (DType dtype : {kBFloat16, kFloat16}) {
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (auto [M, N, K] : std::vector<std::array<int64_t, 3>>{
                 {8, 8, 8}, {264, 136, 72}, {136, 264, 40}, {37, 53, 19}}) {
          const Case c{M, N, K, ta, tb};
          const bool fast = M % 8 == 0 && N % 8 == 0 && K % 8 == 0;
          const int64_t a_rows = stored_rows(c.M, c.K, c.ta), a_cols = stored_rows(c.K, c.M, c.ta);
          const int64_t b_rows = stored_rows(c.K, c.N, c.tb), b_cols = stored_rows(c.N, c.K, c.tb);
          // Padded to multiples of 8 elements with 8 to spare: reads past a row's end would
          // read other values, not zeros.
          const int64_t lda = (a_cols + 7) / 8 * 8 + 8, ldb = (b_cols + 7) / 8 * 8 + 8;
          const int64_t ldc = (c.N + 7) / 8 * 8 + 8;
          const int64_t sa = a_rows * lda, sb = b_rows * ldb, sc = c.M * ldc;
          const Tensor a = test::uniform({batch * sa}).to(dtype);
          const Tensor b = test::uniform({batch * sb}).to(dtype);
          const Tensor c0 = test::uniform({batch * sc}).to(dtype);
          const std::vector<double> want =
              reference(c, a.to_vector<double>(), lda, sa, b.to_vector<double>(), ldb, sb,
                        c0.to_vector<double>(), ldc, sc, batch, alpha, beta);
          const Tensor a_gpu = a.to(kCuda), b_gpu = b.to(kCuda);
          const std::string what = std::string(dtype_name(dtype)) + " " + std::to_string(M) + "x" +
                                   std::to_string(N) + "x" + std::to_string(K) +
                                   (ta ? " A^T" : " A") + (tb ? " B^T" : " B");
          const auto check = [&](const std::vector<double>& got, double rel, const char* out) {
            int bad = 0;
            for (size_t i = 0; i < got.size(); ++i) {
              // float32 sums of K <= 72 products of values in [-1, 1] are far more exact
              // than the output's rounding: `rel` is half an ulp of the output type, plus
              // 1e-4 absolute for values that cancel.
              if (!(std::fabs(got[i] - want[i]) <= 1e-4 + rel * std::fabs(want[i])) && bad++ < 3)
                ADD_FAILURE() << what << " (" << out << "): element " << i << " is " << got[i]
                              << ", expected " << want[i];
            }
            EXPECT_EQ(bad, 0) << what;
          };
          const auto run = [&](auto out_tag, Tensor out) {
            using Out = typename decltype(out_tag)::type;
            if (dtype == kBFloat16) {
              kernels::gemm_tc_batched_cuda<BFloat16, Out>(
                  ta, tb, M, N, K, alpha, a_gpu.data<BFloat16>(), lda, sa, b_gpu.data<BFloat16>(),
                  ldb, sb, beta, out.data<Out>(), ldc, sc, batch,
                  static_cast<cudaStream_t>(cuda::stream(0)));
            } else {
              kernels::gemm_tc_batched_cuda<Half, Out>(ta, tb, M, N, K, alpha, a_gpu.data<Half>(),
                                                       lda, sa, b_gpu.data<Half>(), ldb, sb, beta,
                                                       out.data<Out>(), ldc, sc, batch,
                                                       static_cast<cudaStream_t>(cuda::stream(0)));
            }
            return out.to(kCPU).to_vector<double>();
          };
          if (dtype == kBFloat16) {
            EXPECT_EQ(kernels::gemm_tc_applies<BFloat16>(ta, tb, M, N, K, a_gpu.data<BFloat16>(),
                                                         lda, sa, b_gpu.data<BFloat16>(), ldb, sb),
                      fast)
                << what;
          }
          const double ulp_half = dtype == kBFloat16 ? 0x1p-8 : 0x1p-11;
          if (dtype == kBFloat16) {
            check(run(std::type_identity<BFloat16>{}, c0.to(kCuda)), ulp_half * 1.01, "bf16 out");
          } else {
            check(run(std::type_identity<Half>{}, c0.to(kCuda)), ulp_half * 1.01, "f16 out");
          }
          check(run(std::type_identity<float>{}, c0.to(kFloat32).to(kCuda)), 1e-6, "float out");
        }
  }
}

// The tensor-core GEMM's epilogue: a bias per column and ReLU, applied in float32 before
// the one rounding, on the tensor-core path (sizes in multiples of 8) and the fallback.
TEST(CudaGemm, TensorCoreEpilogueAddsTheBiasAndRelu) {
  GPUNN_REQUIRE_GPU();
  for (DType dtype : {kBFloat16, kFloat16})
    for (auto [M, N, K] : std::vector<std::array<int64_t, 3>>{{136, 264, 72}, {37, 53, 19}}) {
      const Case c{M, N, K, false, false};
      const std::string what = std::string(dtype_name(dtype)) + " " + std::to_string(M) + "x" +
                               std::to_string(N) + "x" + std::to_string(K);
      const Tensor a = test::uniform({M * K}).to(dtype), b = test::uniform({K * N}).to(dtype);
      const Tensor bias = test::uniform({N}).to(dtype);
      const std::vector<double> c0(static_cast<size_t>(M * N), 0.0);
      const std::vector<double> want =
          reference(c, a.to_vector<double>(), K, 0, b.to_vector<double>(), N, 0, c0, N, 0, 1, 1.0,
                    0.0, bias.to_vector<double>(), true);
      Tensor out = full({M * N}, std::nan(""), TensorOptions(dtype).device(kCuda));
      const Tensor a_gpu = a.to(kCuda), b_gpu = b.to(kCuda), bias_gpu = bias.to(kCuda);
      const auto stream = static_cast<cudaStream_t>(cuda::stream(0));
      if (dtype == kBFloat16) {
        kernels::gemm_tc_batched_cuda<BFloat16, BFloat16>(
            false, false, M, N, K, 1.0f, a_gpu.data<BFloat16>(), K, 0, b_gpu.data<BFloat16>(), N, 0,
            0.0f, out.data<BFloat16>(), N, 0, 1, stream, {bias_gpu.data<BFloat16>(), true});
      } else {
        kernels::gemm_tc_batched_cuda<Half, Half>(
            false, false, M, N, K, 1.0f, a_gpu.data<Half>(), K, 0, b_gpu.data<Half>(), N, 0, 0.0f,
            out.data<Half>(), N, 0, 1, stream, {bias_gpu.data<Half>(), true});
      }
      const std::vector<double> got = out.to(kCPU).to_vector<double>();
      // Half an ulp of the output type, plus 1e-4 absolute for values that cancel.
      const double rel = dtype == kBFloat16 ? 1.0 / 256 : 1.0 / 2048;
      int bad = 0, clipped = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        clipped += got[i] == 0.0;
        if (!(std::fabs(got[i] - want[i]) <= 1e-4 + rel * std::fabs(want[i])) && bad++ < 3)
          ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected "
                        << want[i];
      }
      EXPECT_EQ(bad, 0) << what;
      EXPECT_GT(clipped, 0) << what << ": ReLU clipped nothing";
    }
}

}  // namespace
}  // namespace gpunn
