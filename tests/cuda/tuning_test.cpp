// auto by measurement on the GPU (gpunn/config.h: set_tuning): a convolution's three passes
// and a GEMM measure cuDNN/cuBLAS against our numbered kernels once per key, keep a choice
// that runs (the LaunchTrace names it), and give the float64 CPU reference's values.
// Deterministic mode without a cache file measures nothing. Skipped without a GPU
// (GPUNN_STRICT_GPU=1 fails instead).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace gpunn {
namespace {

const Device kCuda = Device::cuda(0);

class CudaTuning : public ::testing::Test {
 protected:
  void SetUp() override {
    tuning_ = tuning();
    deterministic_ = deterministic();
    set_tuning(true);
    clear_tuning_cache();
  }
  void TearDown() override {
    set_tuning(tuning_);
    set_deterministic(deterministic_);
    set_impl(Impl::Auto);
  }

 private:
  bool tuning_ = true, deterministic_ = false;
};

int records_naming(const std::string& fragment) {
  int n = 0;
  for (const TuningRecord& r : tuning_records()) n += r.key.find(fragment) != std::string::npos;
  return n;
}

TEST_F(CudaTuning, ConvolutionAndGemmChooseByMeasurementAndMatchTheReference) {
  GPUNN_REQUIRE_GPU();
  test::reseed(11);
  const Tensor x = test::uniform({8, 16, 21, 21}, -1, 1, kFloat64);
  const Tensor w = test::uniform({32, 16, 3, 3}, -0.2, 0.2, kFloat64);
  const Tensor b = test::uniform({32}, -1, 1, kFloat64);
  const Tensor g = test::uniform({8, 32, 11, 11}, -1, 1, kFloat64);
  auto pass = [&](const Tensor& xs, const Tensor& ws, const Tensor& bs, const Tensor& gs) {
    const Tensor xl = test::leaf(xs), wl = test::leaf(ws), bl = test::leaf(bs);
    const Tensor y = conv2d(xl, wl, bl, {.stride = 2, .padding = 1});
    y.backward(gs);
    return std::vector<Tensor>{y.to(kCPU).to(kFloat64), xl.grad().to(kCPU).to(kFloat64),
                               wl.grad().to(kCPU).to(kFloat64), bl.grad().to(kCPU).to(kFloat64)};
  };
  const std::vector<Tensor> want = pass(x, w, b, g);
  auto on_gpu = [&](const Tensor& t) { return t.to(kFloat32).to(kCuda); };
  LaunchTrace trace;
  const std::vector<Tensor> got = pass(on_gpu(x), on_gpu(w), on_gpu(b), on_gpu(g));
  // Sums of 144 to 968 products of float32 values of magnitude <= 1: float32 rounding.
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(test::tensors_near(got[i], want[i], 2e-4, 1e-4)) << i;
  EXPECT_EQ(records_naming("|conv2d|float32|"), 1);
  EXPECT_EQ(records_naming("|conv2d_backward_data|float32|"), 1);
  EXPECT_EQ(records_naming("|conv2d_backward_weight|float32|"), 1);
  for (const TuningRecord& r : tuning_records()) {
    EXPECT_NE(r.key.find("|cuda sm_"), std::string::npos) << r.key;
    EXPECT_GT(r.microseconds, 0) << r.key;
    // The trace names what was kept.
    bool ran = false;
    for (const LaunchRecord& l : trace.records())
      ran = ran || (r.key.find("|" + l.op + "|") != std::string::npos &&
                    l.implementation == r.implementation && l.variant == r.variant);
    EXPECT_TRUE(ran) << r.key << " kept " << implementation_name(r.implementation, r.variant);
  }

  // A GEMM large enough to be measured, against float64 on the CPU.
  const Tensor a = test::uniform({256, 192}, -1, 1, kFloat64),
               m = test::uniform({192, 160}, -1, 1, kFloat64);
  const Tensor p = matmul(on_gpu(a), on_gpu(m));
  EXPECT_TRUE(test::tensors_near(p.to(kCPU).to(kFloat64), matmul(a, m), 2e-4, 1e-4));
  EXPECT_EQ(records_naming("|matmul|float32|tf32=0 det=0|nn m256 n160 k192"), 1);
}

TEST_F(CudaTuning, DeterministicModeWithoutACacheFileMeasuresNothing) {
  GPUNN_REQUIRE_GPU();
  set_deterministic(true);
  const Tensor x = randn({4, 8, 12, 12}, TensorOptions().device(kCuda));
  const Tensor w = randn({8, 8, 3, 3}, TensorOptions().device(kCuda));
  LaunchTrace trace;
  conv2d(x, w);
  EXPECT_TRUE(tuning_records().empty());
  EXPECT_EQ(trace.count("conv2d", Implementation::CudaVendor) +
                trace.count("conv2d", Implementation::Cuda),
            1);
}

}  // namespace
}  // namespace gpunn
