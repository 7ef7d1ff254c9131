// Every numbered variant of our CUDA convolution (kernels/cuda/conv.cuh), called directly,
// in float32 and float64, for the three passes, against conv2d and its gradients on the
// CPU's reference loops in float64: the stride, padding, dilation and group cases of the
// conv tests, odd sizes, the ReLU epilogue, and a large weight gradient whose sum is split
// (split-K). Outputs start as NaN, so an element a kernel does not write fails. The conv
// rows reach only the variant the library picks; this runs each. Skipped without a GPU
// (GPUNN_STRICT_GPU=1 fails instead).
#include <cuda_runtime.h>
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cuda/conv.cuh"
#include "ops/conv_cases.h"
#include "test_util.h"

namespace gpunn {
namespace {

const Device kCuda = Device::cuda(0);

using Case = test::ConvCase;
kernels::Conv2dShape shape_of(const Case& c) { return test::conv_shape(c); }

Tensor nan_like(const Shape& shape, DType dtype) {
  return full(shape, std::numeric_limits<double>::quiet_NaN(), TensorOptions(dtype).device(kCuda));
}

// A workspace of `bytes` on the GPU (kept alive by the returned tensor).
Tensor workspace(size_t bytes) {
  return empty({static_cast<int64_t>(bytes / 8 + 1)}, TensorOptions(kInt64).device(kCuda));
}

kernels::Context context(const Tensor& ws, size_t bytes) {
  kernels::Context ctx;
  ctx.device = 0;
  ctx.stream = static_cast<CUstream_st*>(cuda::stream(0));
  ctx.workspace = ws.data_ptr();
  ctx.workspace_bytes = bytes;
  return ctx;
}

template <typename T>
void check(const Case& c, bool relu, int variant, double tol) {
  const DType dtype = dtype_of<T>::value;
  const std::string what = "variant " + std::to_string(variant) + " " + dtype_name(dtype) + " " +
                           test::conv_case_name(c) + (relu ? " relu" : "");
  SCOPED_TRACE(what);
  const kernels::Conv2dShape s = shape_of(c);
  // The float64 reference on the CPU's loops.
  const Tensor x = test::leaf(test::uniform(c.x)), w = test::leaf(test::uniform(c.w));
  const Tensor b = test::leaf(test::uniform({c.w[0]}));
  Conv2dFuncOptions o = c.o;
  if (relu) o.activation = ConvActivation::ReLU;
  Tensor y;
  {
    const test::EveryFamilyImpl custom(Impl::Custom);
    y = conv2d(x, w, b, o);
  }
  const Tensor dy = test::uniform(y.shape());
  y.backward(dy);
  // The ReLU's mask is applied before the convolution's backward: the passes below see
  // the masked gradient.
  Tensor dz = dy;
  if (relu) {
    std::vector<double> v = dy.to_vector<double>();
    const std::vector<double> yv = y.to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i)
      if (!(yv[i] > 0.0)) v[i] = 0.0;
    dz = tensor(v, dy.shape(), kFloat64);
  }

  const Tensor xg = x.detach().to(dtype).to(kCuda), wg = w.detach().to(dtype).to(kCuda);
  const Tensor bg = b.detach().to(dtype).to(kCuda), dzg = dz.to(dtype).to(kCuda);
  cudaStream_t stream = static_cast<cudaStream_t>(cuda::stream(0));

  Tensor yg = nan_like(y.shape(), dtype);
  const kernels::Conv2dForwardArgs fa{.dtype = dtype,
                                      .s = s,
                                      .x = xg.data_ptr(),
                                      .w = wg.data_ptr(),
                                      .b = bg.data_ptr(),
                                      .y = yg.data_ptr(),
                                      .relu = relu};
  size_t bytes = kernels::conv2d_forward_cuda_variant_workspace(variant, fa);
  Tensor ws = workspace(bytes);
  kernels::conv2d_forward_cuda_variant<T>(variant, fa, context(ws, bytes));

  Tensor dxg = nan_like(x.shape(), dtype);
  const kernels::Conv2dBackwardDataArgs da{
      .dtype = dtype, .s = s, .dy = dzg.data_ptr(), .w = wg.data_ptr(), .dx = dxg.data_ptr()};
  bytes = kernels::conv2d_backward_data_cuda_variant_workspace(variant, da);
  ws = workspace(bytes);
  kernels::conv2d_backward_data_cuda_variant<T>(variant, da, context(ws, bytes));

  Tensor dwg = nan_like(w.shape(), dtype), dbg = nan_like({c.w[0]}, dtype);
  const kernels::Conv2dBackwardWeightArgs wa{.dtype = dtype,
                                             .s = s,
                                             .dy = dzg.data_ptr(),
                                             .x = xg.data_ptr(),
                                             .dw = dwg.data_ptr(),
                                             .db = dbg.data_ptr()};
  bytes = kernels::conv2d_backward_weight_cuda_variant_workspace(variant, wa);
  ws = workspace(bytes);
  kernels::conv2d_backward_weight_cuda_variant<T>(variant, wa, context(ws, bytes));
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);

  EXPECT_TRUE(test::tensors_near(yg.to(kCPU), y, tol, tol)) << "forward";
  EXPECT_TRUE(test::tensors_near(dxg.to(kCPU), x.grad(), tol, tol)) << "backward data";
  EXPECT_TRUE(test::tensors_near(dwg.to(kCPU), w.grad(), tol, tol)) << "backward weight";
  EXPECT_TRUE(test::tensors_near(dbg.to(kCPU), b.grad(), tol, tol)) << "bias gradient";
}

TEST(CudaConvVariants, EveryVariantEveryPassAgainstTheReference) {
  GPUNN_REQUIRE_GPU();
  test::reseed(3);
  const std::vector<Case> cases = {
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {}},
      {{2, 3, 9, 8}, {4, 3, 3, 3}, {}},
      {{2, 3, 11, 11}, {6, 3, 5, 3}, {.stride = {2, 1}, .padding = {2, 1}}},
      {{1, 4, 10, 9}, {6, 2, 3, 3}, {.padding = 2, .dilation = 2, .groups = 2}},
      {{2, 6, 8, 8}, {6, 1, 3, 3}, {.padding = 1, .groups = 6}},  // depthwise
      {{1, 4, 5, 4},
       {2, 2, 2, 3},
       {.stride = {2, 1}, .padding = {0, 1}, .dilation = {2, 1}, .groups = 2}},
      {{1, 1, 2, 3}, {2, 1, 2, 2}, {.stride = 3, .padding = 3}},
      {{2, 5, 10, 9}, {4, 5, 4, 2}, {.stride = 3}},
      {{3, 3, 23, 23}, {8, 3, 11, 11}, {.stride = 4, .padding = 2}},  // AlexNet-like
      // More than one 128 x 64 tile each way, and a partial one.
      {{2, 70, 13, 13}, {130, 70, 3, 3}, {.padding = 1}},
      // N·P·Q large and K·C·R·S small: the weight gradient's sum is split.
      {{8, 3, 32, 32}, {4, 3, 3, 3}, {.padding = 1}},
  };
  for (int variant = 1; variant <= kernels::kConvCudaVariants; ++variant)
    for (const Case& c : cases) {
      EXPECT_TRUE(kernels::conv2d_cuda_variant_applies<float>(variant, shape_of(c)));
      // float32 sums of up to 70·9 = 630 products in [-1, 1] (and 8·32·32 = 8192 for the
      // split weight gradient): within 1e-3 of float64; float64 to rounding.
      for (bool relu : {false, true}) {
        check<float>(c, relu, variant, 1e-3);
        check<double>(c, relu, variant, 1e-10);
      }
    }
}

}  // namespace
}  // namespace gpunn
