// Run-time configuration and build information.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

TEST(Config, ImplementationChoicePerFamily) {
  const Impl saved = get_impl(OpFamily::Conv);
  set_impl(OpFamily::Conv, Impl::Custom);
  EXPECT_EQ(get_impl(OpFamily::Conv), Impl::Custom);
  set_impl(Impl::Vendor);
  EXPECT_EQ(get_impl(OpFamily::Gemm), Impl::Vendor);
  EXPECT_EQ(get_impl(OpFamily::Conv), Impl::Vendor);
  // Every choice computes the same thing on the CPU (vendor falls back to the
  // reference loops where no vendor implementation exists).
  Tensor x = tensor({1, 2, 3, 4}, {2, 2}, kFloat64);
  for (Impl impl : {Impl::Custom, Impl::Vendor, Impl::Auto}) {
    set_impl(impl);
    EXPECT_TRUE(test::values_near(matmul(x, x), {7, 10, 15, 22}, 0)) << impl_name(impl);
  }
  set_impl(Impl::Auto);
  set_impl(OpFamily::Conv, saved);
}

TEST(Config, Names) {
  EXPECT_EQ(parse_impl("custom"), Impl::Custom);
  EXPECT_EQ(parse_impl("vendor"), Impl::Vendor);
  EXPECT_EQ(parse_impl("auto"), Impl::Auto);
  EXPECT_THROWS_WITH(parse_impl("cudnn"), "parse_impl", "cudnn");
  EXPECT_STREQ(op_family_name(OpFamily::Conv), "conv");
  EXPECT_STREQ(impl_name(Impl::Vendor), "vendor");
}

TEST(Config, VersionAndBuildInfo) {
  EXPECT_STREQ(version(), GPUNN_VERSION_STRING);
  const std::string info = build_info();
  EXPECT_NE(info.find(std::string("version: ") + version()), std::string::npos) << info;
  EXPECT_NE(info.find("cuda: "), std::string::npos) << info;
  // No usable GPU is never an error: the answer is simply "none".
  EXPECT_GE(cuda::device_count(), 0);
  EXPECT_EQ(cuda::is_available(), cuda::device_count() > 0);
}

}  // namespace
}  // namespace gpunn

namespace gpunn {
namespace {

TEST(Config, Tf32OffByDefaultAndSettable) {
  EXPECT_FALSE(allow_tf32());  // the test environment does not set GPUNN_ALLOW_TF32
  set_allow_tf32(true);
  EXPECT_TRUE(allow_tf32());
  set_allow_tf32(false);
  EXPECT_FALSE(allow_tf32());
}

TEST(Config, CudnnMeasuresByDefaultAndIsSettable) {
  EXPECT_TRUE(cudnn_benchmark());  // the test environment does not set GPUNN_CUDNN_BENCHMARK
  set_cudnn_benchmark(false);
  EXPECT_FALSE(cudnn_benchmark());
  set_cudnn_benchmark(true);
  EXPECT_TRUE(cudnn_benchmark());
}

}  // namespace
}  // namespace gpunn
