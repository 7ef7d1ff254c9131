// conv2d: stride, padding, dilation, groups (depthwise included), with and
// without bias, rectangular kernels and strides, 3-D unbatched input.
//
// Same parts as every op test file (see elementwise_test.cpp):
//   1. hand-checked forward values in float32 and float64, and values and
//      gradients of every input against fixed float64 references;
//   2. gradient check in double over several shapes, size 1 and odd sizes too;
//   3. forward mode (JVP) against finite differences and reverse mode;
//   4. edge cases (batch > 1, 1x1 kernels, output size 1, empty batch,
//      non-contiguous input, gradients of some inputs only);
//   5. bad input: gpunn::Error naming the op and the shapes.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/rows.h"
#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using test::derivatives_ok;
using test::leaf;
using test::uniform;
using test::values_near;

// Tolerances against the float64 references: gpunn and PyTorch add the same
// products in different orders, so the results agree to rounding, not bit for bit.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

Conv2dFuncOptions conv_options(Int2 stride, Int2 padding, Int2 dilation = 1, int64_t groups = 1) {
  Conv2dFuncOptions o;
  o.stride = stride;
  o.padding = padding;
  o.dilation = dilation;
  o.groups = groups;
  return o;
}

// ---- 1. forward values --------------------------------------------------------------------

class ConvTyped : public ::testing::TestWithParam<DType> {};

TEST_P(ConvTyped, HandChecked) {
  const DType dt = GetParam();
  // x = 0..15 as one 4x4 plane; a 2x2 kernel of ones sums each window.
  Tensor x = arange(16, dt).reshape({1, 1, 4, 4});
  Tensor ones2 = ones({1, 1, 2, 2}, dt);
  Tensor y = conv2d(x, ones2);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(y.dtype(), dt);
  EXPECT_TRUE(values_near(y, {10, 14, 18, 26, 30, 34, 42, 46, 50}, 0));
  // Bias adds to every output; stride 2 keeps every other window.
  EXPECT_TRUE(
      values_near(conv2d(x, ones2, tensor({1}, dt)), {11, 15, 19, 27, 31, 35, 43, 47, 51}, 0));
  EXPECT_TRUE(values_near(conv2d(x, ones2, Tensor(), conv_options(2, 0)), {10, 18, 42, 50}, 0));
  // Cross-correlation, not convolution: the kernel is not flipped.
  Tensor corner = tensor({1, 0, 0, 0}, {1, 1, 2, 2}, dt);
  EXPECT_TRUE(values_near(conv2d(x, corner), {0, 1, 2, 4, 5, 6, 8, 9, 10}, 0));
  // Padding 1 with a 2x2 kernel and stride 2: windows at rows {-1, 0}, {1, 2}, {3, 4}.
  EXPECT_TRUE(values_near(conv2d(x, ones2, Tensor(), conv_options(2, 1)),
                          {0, 3, 3, 12, 30, 18, 12, 27, 15}, 0));
  // Dilation 2 on a 3x3 plane: the 2x2 kernel reads the four corners.
  Tensor x3 = arange(9, dt).reshape({1, 1, 3, 3});
  EXPECT_TRUE(values_near(conv2d(x3, ones2, Tensor(), conv_options(1, 0, 2)), {0 + 2 + 6 + 8}, 0));
  // Two channels: the weight sums over them.
  Tensor xc = cat({full({1, 1, 2, 2}, 1.0, dt), full({1, 1, 2, 2}, 2.0, dt)}, 1);
  EXPECT_TRUE(values_near(conv2d(xc, tensor({3, 5}, {1, 2, 1, 1}, dt)), {13, 13, 13, 13}, 0));
  // Groups 2: each output channel sees only its own input channel.
  EXPECT_TRUE(
      values_near(conv2d(xc, tensor({3, 5}, {2, 1, 1, 1}, dt), Tensor(), conv_options(1, 0, 1, 2)),
                  {3, 3, 3, 3, 10, 10, 10, 10}, 0));
  // A 1x3 kernel with stride (1, 2): on a width of 4 only one window fits per row.
  Tensor row3 = ones({1, 1, 1, 3}, dt);
  EXPECT_TRUE(values_near(conv2d(x, row3, Tensor(), conv_options({1, 2}, 0)), {3, 15, 27, 39}, 0));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, ConvTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// A conv2d case with expected values from PyTorch 1.13 in float64
// (torch.nn.functional.conv2d; gradients from backward of (y * gy).sum()).
struct ConvReference {
  Shape x_shape;  // [N, C, H, W] or [C, H, W]
  Shape w_shape;
  Conv2dFuncOptions options;
  std::vector<double> x, w, b, gy;    // inputs (b empty: no bias), upstream gradient
  std::vector<double> y, dx, dw, db;  // output and the gradients of Σ y ⊙ gy
};

void check_reference(const ConvReference& r) {
  Tensor x = leaf(tensor(r.x, r.x_shape, kFloat64));
  Tensor w = leaf(tensor(r.w, r.w_shape, kFloat64));
  Tensor b = r.b.empty() ? Tensor() : leaf(tensor(r.b, kFloat64));
  Tensor y = conv2d(x, w, b, r.options);
  EXPECT_TRUE(values_near(y, r.y, kRefAtol, kRefRtol));
  y.backward(tensor(r.gy, y.shape(), kFloat64));
  EXPECT_TRUE(values_near(x.grad(), r.dx, kRefAtol, kRefRtol));
  EXPECT_EQ(x.grad().shape(), r.x_shape);
  EXPECT_TRUE(values_near(w.grad(), r.dw, kRefAtol, kRefRtol));
  if (b.defined()) {
    EXPECT_TRUE(values_near(b.grad(), r.db, kRefAtol, kRefRtol));
  }
}

TEST(Conv, TorchReferenceGroupedStridedDilatedBias) {
  // x [2, 4, 5, 5], w [4, 2, 3, 3], groups 2, stride 2, padding 1, dilation 2 -> y [2, 4, 2, 2]
  // clang-format off
  check_reference({
      .x_shape = {2, 4, 5, 5},
      .w_shape = {4, 2, 3, 3},
      .options = conv_options(2, 1, 2, 2),
    .x = {-0.49, 0.55, -0.33, 0.44, 0.76, -0.57, -0.22, -0.18, -0.13, -0.78, -0.74, -0.36, 0.63,
          0.44, 0.25, -0.25, 0.72, 0.05, 0.03, 0.7, -0.25, 0.34, 0.89, 0.24, 0.75, -0.23, -0.71,
          -0.62, 0.57, 0.24, -0.25, -0.86, -0.11, -0.09, -0.03, -0.1, 0.34, -0.33, 0.25, -0.25,
          -0.28, 0.63, -0.01, 0.68, 0.62, 0.36, 0.81, 0.48, -0.75, -0.82, 0.53, 0.03, -0.7,
          -0.96, 0.4, -0.78, 0.02, -0.93, -0.62, -0.06, -0.49, 0.55, 0.74, 0.43, 0.18, 0.85,
          -0.46, -0.27, 0.91, 0.61, 0.42, 0.52, -0.76, 0.48, -0.97, -0.7, -0.85, -0.31, -0.12,
          -0.02, -0.55, 0.11, 0.69, 0.69, 0.72, -0.76, 0.58, 0.61, 0.06, -0.67, 0.07, 0.49,
          -0.61, -0.65, -0.82, -0.02, -0.39, 0.57, 0.54, 0.56, 0.98, 0.45, 0.11, 0.54, -0.87,
          0.04, 0.12, 0.39, 0.75, 0.17, -0.58, 0.17, 0.12, -0.64, -0.98, -0.9, -0.03, 0.07,
          -0.53, -0.75, 0.19, -0.05, 0.35, 0.18, -0.06, 0.98, -0.28, 0.19, -0.09, 0.54, 0.07,
          -0.55, 0.88, -0.84, -0.28, 0.87, -0.14, -0.64, -0.19, -0.61, -0.46, 0.1, 0, -0.89,
          -0.65, 0.64, -0.83, 0.09, 0.18, -0.78, 0.76, -0.53, 0.74, 0.36, 0.21, 0.95, -0.6,
          0.81, -0.41, 0.59, 0.6, -0.33, -0.16, -0.69, 0.08, 0.59, 0.41, 0.13, -0.23, 0.68,
          0.26, 0.34, -0.25, 0.49, -0.93, -0.21, 0.43, 0.98, 0.87, -0.5, -0.54, 0.03, -0.34,
          0.99, 0.92, 0.75, 0.83, 0.74, -0.2, 0.71, -0.68, 0.86, 0.63, -0.18, 0.94, 0.68, 0.53,
          -0.65, -0.06, -0.2},
    .w = {0.53, -0.15, 0.11, 0.43, 0.55, -0.62, -0.61, -0.87, -0.83, 0.34, 0.4, -0.69, -0.38,
          -0.85, -0.16, 0.28, 0.28, -0.65, -0.11, 0.78, -0.21, 0.35, -0.57, 0.13, 0.27, -0.44,
          -0.41, 0.61, 0.15, 0.51, 0.67, -0.04, -0.12, -0.57, -0.85, 0.6, 0.31, -0.69, 0.51,
          -0.9, -0.14, -0.72, 0.85, -0.34, -0.32, -0.8, 0.35, -0.62, -0.08, -0.44, -0.73, 0.54,
          0.73, 0.65, 0.63, 0.56, -0.06, 0.44, -0.45, 0.02, -0.02, 0.54, 0.65, -0.93, 0.51,
          0.16, -0.82, 0.38, -0.84, 0.26, 0.58, 0.36},
    .b = {-0.76, -0.5, -0.7, 0.14},
    .gy = {0.98, -0.5, 0.67, 0.44, -0.94, 0.04, -0.71, 0.67, -0.14, 0.67, -1, -0.18, 0.39,
           -0.98, -0.87, 0.12, -0.32, 0.89, 0.97, 0.14, -0.74, 0.91, 0.04, -0.25, 0.67, -0.7,
           0.61, -0.37, 0.89, -0.17, -0.75, -0.05},
    .y = {-0.9719000000000001, -0.62129999999999996, -1.2900999999999998, -1.6768000000000003,
          -0.80290000000000006, -1.8313999999999999, -1.3325, -0.48549999999999993, -1.0081,
          -1.8538999999999997, -1.7511999999999999, 0.4209, -0.025899999999999868, 0.8508,
          1.3123, -1.2057000000000002, 0.51540000000000019, 0.88529999999999998,
          0.033599999999999949, -0.91780000000000017, -0.73660000000000003,
          -0.29580000000000006, -1.0237999999999998, 0.0044999999999999277,
          -0.61170000000000002, 0.2191000000000001, -1.2372000000000001, -0.60699999999999998,
          0.08750000000000005, 0.39889999999999998, 0.29120000000000001, -0.48029999999999995},
    .dx = {0, 0, 0, 0, 0, 0, 0.379, 0, -0.34820000000000001, 0, 0, 0, 0, 0, 0, 0,
           1.0736999999999997, 0, -0.65820000000000001, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0.14119999999999999, 0, -0.16850000000000007, 0, 0, 0, 0, 0, 0, 0, 0.6512, 0,
           -1.7978000000000001, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.96750000000000014, 0,
           0.18940000000000004, 0, 0, 0, 0, 0, 0, 0, 1.5935999999999999, 0, 0.21509999999999996,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.19850000000000004, 0, -0.41360000000000002, 0,
           0, 0, 0, 0, 0, 0, 0.25640000000000002, 0, 1.5556999999999999, 0, 0, 0, 0, 0, 0, 0, 0,
           0, 0, 0, 0, 0.93440000000000001, 0, -0.044699999999999906, 0, 0, 0, 0, 0, 0, 0,
           0.7901999999999999, 0, -0.98240000000000016, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0.86220000000000008, 0, -1.2832999999999999, 0, 0, 0, 0, 0, 0, 0,
           -0.77690000000000003, 0, -1.0293000000000001, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           -0.92619999999999991, 0, 0.29329999999999989, 0, 0, 0, 0, 0, 0, 0,
           0.22429999999999994, 0, 0.13039999999999996, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0.41229999999999994, 0, -1.6464999999999999, 0, 0, 0, 0, 0, 0, 0,
           0.10030000000000006, 0, 0.4748, 0, 0, 0, 0, 0, 0},
    .dw = {-0.079999999999999988, 0.016799999999999982, 0.64040000000000008,
           0.52939999999999998, 0.87079999999999991, -0.86139999999999994, -0.38669999999999999,
           0.22849999999999998, 0.19900000000000001, -0.45540000000000003, -1.2669000000000001,
           -0.87509999999999999, 0.23170000000000002, -0.67569999999999986,
           -0.22709999999999997, -0.22599999999999998, -0.54670000000000019,
           0.95120000000000005, -0.1774, -0.11360000000000001, 0.12229999999999999,
           0.59030000000000005, 0.43550000000000011, -0.47529999999999994,
           0.0014999999999999979, -1.1356999999999999, 0.36399999999999999,
           -0.43870000000000003, 0.73829999999999996, 0.030300000000000001,
           -0.13780000000000003, 0.68220000000000003, 0.18779999999999997, 0.11620000000000001,
           -1.4489000000000001, 0.019399999999999973, 0.21840000000000001, -0.1227,
           0.36990000000000001, 0.36449999999999999, 0.098199999999999898, -1.2382,
           -0.59519999999999995, 1.1097999999999999, -0.28150000000000003,
           -0.030899999999999997, -0.58220000000000005, -0.086099999999999954,
           -0.35370000000000001, -0.0078000000000000291, 1.1069, -0.27369999999999994,
           0.19809999999999994, -0.029599999999999987, 0.032399999999999998,
           0.37869999999999998, 0.84689999999999999, 0.0066999999999999976, 0.36449999999999994,
           -1.2259, 0.38110000000000005, -0.66720000000000013, 0.15020000000000003, 0.0117,
           -0.084900000000000017, -1.3428, -0.097099999999999992, -1.9152, 1.8507,
           -0.62639999999999996, 1.6240999999999999, -0.41370000000000001},
    .db = {3.27, -0.97999999999999976, -0.43999999999999984, -1.4199999999999999},
  });
  // clang-format on
}

TEST(Conv, TorchReferenceRectangularUnbatched) {
  // x [3, 5, 6] (one image), w [2, 3, 2, 3], no bias, stride (2, 1), padding (1, 2),
  // dilation (1, 2) -> y [2, 3, 6]
  // clang-format off
  check_reference({
      .x_shape = {3, 5, 6},
      .w_shape = {2, 3, 2, 3},
      .options = conv_options({2, 1}, {1, 2}, {1, 2}),
    .x = {0.36, 0.55, -0.02, 0.27, 0.15, 0.03, 0.85, -0.93, -0.22, 0.23, 0.32, -0.15, 0.17,
          -0.28, -0.7, -0.88, 0.7, -0.41, 0.84, 0.38, 0.98, -0.09, 0.11, 0.56, 0.72, 0.57,
          -0.93, -0.86, 0.23, -0.96, 0.17, -0.16, 0.58, -0.86, 0.97, 0.6, 0.89, 0.32, 0.21,
          -0.43, -0.18, -0.77, -0.15, -0.34, 0.09, 0.39, -0.34, 1, -0.35, 0.72, 0.88, -0.2,
          0.51, 0.88, -0.72, -0.42, 0.64, 0.64, -0.19, 0.03, -0.98, -0.74, 0.66, -0.73, 0.88,
          0.36, 0.07, 0.73, -0.87, 0.91, 0.46, -0.75, 0.26, 0.47, 0.65, -0.2, -0.16, 0.55,
          -0.25, 0.98, -0.94, -0.44, -0.05, -0.39, 0.35, -0.7, 0.76, -0.69, 0.81, 0.36},
    .w = {-0.32, 0.9, 0.46, -0.89, -0.56, -0.41, -0.79, 0.11, 0.78, -0.72, -0.63, -0.17, -0.38,
          0.36, 0.51, -0.57, -0.15, -0.03, -0.73, -0.3, 0.36, -0.75, 0.71, -0.94, 0.24, 0.9,
          0.97, 0.11, -0.52, 0.86, -0.25, -0.53, -0.26, -0.14, 0.91, -0.38},
    .b = {},
    .gy = {0.07, 0.72, 0.46, -0.96, -0.54, 0.3, 0.25, 0.87, -0.41, 0.83, 0.33, -0.87, -0.89,
           0.66, 0.58, 0.28, 0.51, 0.02, -0.29, 0.33, -0.21, 0.7, 0.72, -0.79, 0.02, -0.18,
           0.73, 0.83, 0.45, -0.94, -0.7, -0.7, -0.46, -0.37, 0.38, -0.69},
    .y = {-0.27190000000000009, -0.038800000000000071, -0.59020000000000006,
          0.42249999999999988, -1.6031, 0.34619999999999995, 0.71949999999999981,
          0.29649999999999999, -1.4265000000000001, -0.31259999999999971, 0.70280000000000009,
          -0.43590000000000007, 1.5329000000000006, 0.66710000000000003, 0.76139999999999997,
          0.17460000000000001, -0.71139999999999981, 1.9770000000000001, -0.4578000000000001,
          -0.91569999999999985, 0.52949999999999997, -0.00089999999999998415,
          0.38930000000000009, -0.15800000000000008, 1.7832999999999999, 1.2534999999999998,
          -0.90959999999999963, -0.83740000000000014, 0.89879999999999982, -0.32879999999999987,
          3.3562000000000003, 1.5097000000000003, -0.74830000000000019, -0.26840000000000019,
          1.8440000000000001, 1.4007999999999998},
    .dx = {-0.497, 0.16050000000000003, -0.22220000000000012, 0.75470000000000015,
           0.82240000000000013, -0.99329999999999996, -0.18269999999999995,
           -0.034499999999999864, -0.89990000000000003, 1.798, 0.23620000000000002,
           0.17959999999999976, -0.30840000000000001, -1.9762, -0.0045999999999999652,
           1.4162999999999997, -0.38340000000000002, -1.3006999999999997, -0.44080000000000008,
           0.98450000000000004, -0.44199999999999995, 0.91189999999999993, 0.44620000000000004,
           0.22060000000000002, -0.16979999999999984, -0.83830000000000005,
           -0.36740000000000017, 0.4675999999999999, 0.17880000000000001, -0.2681,
           -0.24760000000000001, 0.1429999999999999, 0.026100000000000068, 0.099299999999999999,
           -0.29299999999999998, 0.9870000000000001, 0.54459999999999997, -0.52279999999999993,
           0.67359999999999998, 1.804, 0.8296, 0.51079999999999992, 0.20759999999999995,
           -0.96079999999999999, -0.3347, -0.73420000000000007, 0.25559999999999999,
           1.6096000000000001, -1.2965, -0.86740000000000006, -2.0350999999999999,
           -0.64779999999999993, 0.40429999999999999, -0.75929999999999997, 0.45650000000000002,
           -0.29410000000000003, -0.90229999999999988, -0.78849999999999998,
           -1.0131000000000001, -0.019600000000000006, -0.50719999999999998,
           0.64149999999999996, 0.055000000000000007, 0.5736, 0.80220000000000002,
           -1.0011000000000001, 0.052699999999999997, -0.11430000000000007,
           -0.65010000000000001, 0.91499999999999992, -0.51859999999999995, 0.39250000000000002,
           0.11219999999999995, -0.88359999999999994, 0.45960000000000001, 1.3006,
           0.09490000000000004, -1.0651999999999999, -0.054800000000000001, 0.59470000000000001,
           -0.10810000000000003, 0.98039999999999994, 0.39759999999999995, 0.6119,
           -0.76970000000000005, -0.84379999999999999, -0.55680000000000007,
           -0.047300000000000036, 0.42669999999999997, -0.49870000000000003},
    .dw = {-0.30149999999999999, 0.034299999999999976, -0.82159999999999977,
           0.047599999999999747, -0.92269999999999996, -1.21, 0.78750000000000009,
           2.1871999999999998, -1.2599000000000002, -1.0657000000000001, 0.43429999999999996,
           0.37380000000000008, -0.86040000000000005, 2.7364999999999999, 0.17110000000000009,
           0.73699999999999966, -0.55970000000000009, -0.47079999999999989,
           -0.55909999999999993, -1.1164000000000001, -0.81749999999999989, 0.18349999999999983,
           0.46019999999999972, 1.9018999999999999, 1.7809999999999999, -0.6038,
           -1.7250999999999999, 0.51969999999999994, -1.073, -0.54199999999999993,
           -0.89109999999999989, 1.2364999999999999, 0.66539999999999988, 2.6629999999999998,
           -0.41020000000000034, -0.53120000000000012},
    .db = {},
  });
  // clang-format on
}

TEST(Conv, TorchReferenceDepthwiseBias) {
  // Depthwise with channel multiplier 2: x [1, 2, 4, 5], w [4, 1, 3, 2], groups 2,
  // stride (1, 2), padding (1, 0) -> y [1, 4, 4, 2]
  // clang-format off
  check_reference({
      .x_shape = {1, 2, 4, 5},
      .w_shape = {4, 1, 3, 2},
      .options = conv_options({1, 2}, {1, 0}, 1, 2),
    .x = {0.65, -0.52, 0.07, 0.78, -0.42, 0.91, 0.99, 0.3, -0.93, 0.13, 0.41, -0.85, 0.57, 0.12,
          -0.18, -0.65, -0.35, 0.98, -0.65, -0.3, 0.39, -0.57, -0.16, -0.53, -0.66, -0.77, 0.93,
          -0.67, -0.36, -0.62, -0.49, 0.72, -0.72, 0.96, -0.71, 0.51, -0.04, 0.47, 0.04, -0.64},
    .w = {-0.09, 0.46, 0.58, -0.49, 0.35, 0.89, -0.75, -0.84, -0.37, -0.6, 0.21, 0.61, 0.54,
          0.92, 0.26, -0.12, 0.68, -0.7, 0.25, -0.18, 0.63, 0.96, 0.64, -0.67},
    .b = {-0.89, -0.69, -0.2, 0.7},
    .gy = {-0.39, -0.49, -0.54, -0.22, 0.54, -0.18, 0.12, -0.48, 0.33, 0.34, 0.98, -0.76, 0.25,
           0.97, 0.1, 0.1, 0.58, -0.41, 0.95, 0.19, 0.06, -0.86, 0.79, -0.03, 0.16, -0.01,
           -0.43, -0.23, -0.99, 0.88, -0.45, 0.64},
    .y = {0.94140000000000001, -1.9543000000000001, -1.758, 0.39849999999999997, -0.4012,
          -1.3085, -1.5234000000000001, 0.00079999999999991189, 0.17650000000000016,
          -1.6882000000000001, -2.1037999999999997, -0.75779999999999981, -2.1957999999999998,
          -0.60739999999999994, 0.16700000000000001, -1.1909000000000001, -1.2048000000000001,
          -0.38160000000000005, -1.6628000000000001, -2.0666000000000002, 0.40079999999999993,
          -0.90380000000000005, 0.3352, 0.41179999999999994, -0.71740000000000004,
          -0.097200000000000092, 0.51180000000000003, -1.1163000000000001, 1.0757999999999999,
          1.3392999999999999, 0.73079999999999989, 0.68169999999999997},
    .dx = {-1.0347, -1.0785, 0.17980000000000018, 0.57329999999999992, 0, -0.97909999999999986,
           -0.43079999999999996, -0.65780000000000005, -0.5625, 0, 0.15169999999999995,
           -0.32619999999999999, -0.73170000000000002, -1.458, 0, 0.27410000000000001,
           0.51429999999999998, -0.17469999999999997, 0.60670000000000002, 0,
           0.65710000000000002, 1.0354000000000001, -0.067799999999999999, 0.25580000000000003,
           0, 0.25780000000000003, -0.80659999999999998, -0.62509999999999999,
           -0.89950000000000008, 0, 0.076799999999999979, -0.52669999999999972,
           0.45660000000000001, 0.82629999999999992, 0, -0.67090000000000005,
           0.094500000000000028, 0.37380000000000008, 0.63039999999999996, 0},
    .dw = {-0.15339999999999995, 0.65160000000000018, -1.2748000000000002, -0.71999999999999997,
           -1.3761000000000001, 0.43019999999999997, 1.2002999999999999, -1.8300000000000001,
           1.5905000000000002, 1.5745000000000005, 1.159, -1.6316999999999999,
           0.50460000000000005, 0.26319999999999993, 0.41160000000000008, -0.11340000000000001,
           -1.1477999999999999, 1.5165999999999999, -0.19850000000000001, -0.58010000000000017,
           0.47200000000000009, -0.2274000000000001, 0.16849999999999993, -0.30319999999999997},
    .db = {-1.6399999999999999, 2.3100000000000001, 1.2699999999999998, -0.42999999999999994},
  });
  // clang-format on
}

// ---- 2 and 3. gradients, reverse and forward mode ---------------------------------------------

struct ConvGradCase {
  std::string name;
  Shape x_shape, w_shape;
  bool bias;
  Conv2dFuncOptions options;
};

TEST(Conv, Derivatives) {
  test::reseed(11);
  const std::vector<ConvGradCase> cases = {
      {"size 1", {1, 1, 1, 1}, {1, 1, 1, 1}, true, {}},
      {"3x3 padding 1", {2, 3, 5, 5}, {4, 3, 3, 3}, true, conv_options(1, 1)},
      {"stride 2 odd sizes", {1, 3, 7, 5}, {2, 3, 3, 2}, false, conv_options(2, 0)},
      {"rectangular everything",
       {1, 4, 5, 4},
       {2, 2, 2, 3},
       true,
       conv_options({2, 1}, {0, 1}, {2, 1}, 2)},
      {"depthwise", {2, 3, 4, 4}, {3, 1, 3, 3}, true, conv_options(1, 1, 1, 3)},
      {"1x1 kernel stride 2", {2, 3, 3, 2}, {5, 3, 1, 1}, true, conv_options(2, 0)},
      {"output size 1", {1, 2, 3, 3}, {2, 2, 3, 3}, true, {}},
      {"dilation 2 padding 2 unbatched", {2, 5, 5}, {3, 2, 3, 3}, false, conv_options(1, 2, 2)},
      {"padding larger than kernel", {1, 1, 2, 3}, {2, 1, 2, 2}, true, conv_options(3, 3)},
  };
  for (const ConvGradCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Tensor> inputs = {leaf(uniform(c.x_shape)), leaf(uniform(c.w_shape))};
    if (c.bias) inputs.push_back(leaf(uniform({c.w_shape[0]})));
    const Conv2dFuncOptions o = c.options;
    EXPECT_TRUE(derivatives_ok(
        [o](const std::vector<Tensor>& v) {
          return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), o);
        },
        inputs));
  }
}

// The ReLU epilogue (ConvActivation::ReLU): gradient and JVP against finite differences.
// Random inputs put no output within the finite-difference step of ReLU's kink at 0.
TEST(Conv, ReluEpilogueDerivatives) {
  test::reseed(13);
  const std::vector<ConvGradCase> cases = {
      {"3x3 padding 1", {2, 3, 5, 5}, {4, 3, 3, 3}, true, conv_options(1, 1)},
      {"stride 2 no bias", {1, 3, 7, 5}, {2, 3, 3, 2}, false, conv_options(2, 0)},
      {"groups dilation", {1, 4, 6, 6}, {4, 2, 2, 2}, true, conv_options(1, 1, 2, 2)},
      {"unbatched", {2, 5, 5}, {3, 2, 3, 3}, true, {}},
  };
  for (ConvGradCase c : cases) {
    SCOPED_TRACE(c.name);
    c.options.activation = ConvActivation::ReLU;
    std::vector<Tensor> inputs = {leaf(uniform(c.x_shape)), leaf(uniform(c.w_shape))};
    if (c.bias) inputs.push_back(leaf(uniform({c.w_shape[0]})));
    const Conv2dFuncOptions o = c.options;
    const auto f = [o](const std::vector<Tensor>& v) {
      return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), o);
    };
    // Some outputs are clipped and some pass, or the case checks half of the rule.
    const std::vector<double> y = f(inputs).to_vector<double>();
    EXPECT_GT(std::count(y.begin(), y.end(), 0.0), 0);
    EXPECT_GT(std::count_if(y.begin(), y.end(), [](double v) { return v > 0.0; }), 0);
    EXPECT_TRUE(derivatives_ok(f, inputs));
  }
}

TEST(Conv, DerivativesOfSomeInputsOnly) {
  test::reseed(12);
  Tensor x = uniform({2, 2, 4, 4}), w = uniform({3, 2, 2, 2}), b = uniform({3});
  const Conv2dFuncOptions o = conv_options(1, 1);
  // Only the input, only the weight, only the bias.
  EXPECT_TRUE(derivatives_ok([&](const auto& v) { return conv2d(v[0], w, b, o); }, {leaf(x)}));
  EXPECT_TRUE(derivatives_ok([&](const auto& v) { return conv2d(x, v[0], b, o); }, {leaf(w)}));
  EXPECT_TRUE(derivatives_ok([&](const auto& v) { return conv2d(x, w, v[0], o); }, {leaf(b)}));
  // Gradients accumulate only into the leaves that require them.
  Tensor wl = leaf(w);
  conv2d(x, wl, b, o).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  EXPECT_EQ(wl.grad().shape(), (Shape{3, 2, 2, 2}));
}

// ---- 4. edge cases --------------------------------------------------------------------------

TEST(Conv, BatchIsIndependentSamples) {
  test::reseed(13);
  Tensor x = uniform({3, 2, 5, 4}), w = uniform({4, 2, 3, 2}), b = uniform({4});
  const Conv2dFuncOptions o = conv_options({1, 2}, 1);
  Tensor y = conv2d(x, w, b, o);
  ASSERT_EQ(y.shape(), (Shape{3, 4, 5, 3}));
  for (int64_t n = 0; n < 3; ++n) {
    SCOPED_TRACE(n);
    // Unbatched [C, H, W] input gives the sample's output without the batch dim.
    Tensor yn = conv2d(x[n], w, b, o);
    ASSERT_EQ(yn.shape(), (Shape{4, 5, 3}));
    EXPECT_TRUE(test::tensors_near(yn, y[n], 0));
  }
}

TEST(Conv, OneByOneKernelIsChannelMatmul) {
  test::reseed(14);
  Tensor x = uniform({2, 3, 4, 5}), w = uniform({6, 3, 1, 1});
  // y[n, k, h, w] = Σ_c w[k, c] x[n, c, h, w]
  Tensor expected = matmul(w.reshape({6, 3}), x.reshape({2, 3, 20})).reshape({2, 6, 4, 5});
  EXPECT_TRUE(test::tensors_near(conv2d(x, w), expected, 1e-14));
}

TEST(Conv, OutputSizeOneIsDotProduct) {
  test::reseed(15);
  Tensor x = uniform({1, 2, 3, 4}), w = uniform({1, 2, 3, 4}), b = uniform({1});
  Tensor y = conv2d(x, w, b);
  ASSERT_EQ(y.shape(), (Shape{1, 1, 1, 1}));
  EXPECT_NEAR(y.item(), (x * w).sum().item() + b.item(), 1e-14);
  // The stride does not matter when only one window fits.
  EXPECT_NEAR(conv2d(x, w, b, conv_options(5, 0)).item(), y.item(), 0);
}

TEST(Conv, PaddingOnlyWindowsGiveBias) {
  // Padding 2 around a 1x1 input with a 1x1 kernel: only the centre sees the input.
  Tensor x = tensor({3}, {1, 1, 1, 1}, kFloat64);
  Tensor y =
      conv2d(x, tensor({2}, {1, 1, 1, 1}, kFloat64), tensor({0.5}, kFloat64), conv_options(1, 2));
  ASSERT_EQ(y.shape(), (Shape{1, 1, 5, 5}));
  std::vector<double> expected(25, 0.5);
  expected[12] = 6.5;
  EXPECT_TRUE(values_near(y, expected, 0));
  // A kernel larger than the input fits once padding makes room.
  Tensor big = conv2d(ones({1, 1, 2, 2}, kFloat64), ones({1, 1, 3, 3}, kFloat64), Tensor(),
                      conv_options(1, 1));
  EXPECT_TRUE(values_near(big, {4, 4, 4, 4}, 0));
}

TEST(Conv, Float32MatchesFloat64) {
  test::reseed(16);
  Tensor x = uniform({2, 4, 6, 5}), w = uniform({6, 2, 3, 3}), b = uniform({6});
  const Conv2dFuncOptions o = conv_options({2, 1}, {1, 2}, {1, 2}, 2);
  Tensor y64 = conv2d(x, w, b, o);
  Tensor y32 = conv2d(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), o);
  EXPECT_EQ(y32.dtype(), kFloat32);
  EXPECT_TRUE(test::tensors_near(y32, y64, 1e-5));
}

TEST(Conv, NonContiguousInputs) {
  test::reseed(17);
  // x and w stored transposed (H and W swapped), then viewed back.
  Tensor xt = uniform({2, 3, 5, 4}), wt = uniform({4, 3, 3, 2});
  Tensor x = xt.transpose(2, 3), w = wt.transpose(2, 3);
  ASSERT_FALSE(x.is_contiguous());
  ASSERT_FALSE(w.is_contiguous());
  const Conv2dFuncOptions o = conv_options(1, 1);
  EXPECT_TRUE(test::tensors_near(conv2d(x, w, Tensor(), o),
                                 conv2d(x.contiguous(), w.contiguous(), Tensor(), o), 0));
  Tensor xl = leaf(x), wl = leaf(w);
  EXPECT_TRUE(
      derivatives_ok([o](const auto& v) { return conv2d(v[0], v[1], Tensor(), o); }, {xl, wl}));
}

TEST(Conv, EmptyBatch) {
  Tensor x = leaf(zeros({0, 2, 5, 5}, kFloat64));
  Tensor w = leaf(ones({3, 2, 3, 3}, kFloat64));
  Tensor b = leaf(ones({3}, kFloat64));
  Tensor y = conv2d(x, w, b);
  EXPECT_EQ(y.shape(), (Shape{0, 3, 3, 3}));
  y.sum().backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 2, 5, 5}));
  EXPECT_TRUE(values_near(w.grad(), std::vector<double>(54, 0.0), 0));
  EXPECT_TRUE(values_near(b.grad(), {0, 0, 0}, 0));
}

TEST(Conv, RepeatedUseAccumulatesWeightGradient) {
  // The same weight applied twice: its gradient is the sum of both uses.
  Tensor x = arange(9, kFloat64).reshape({1, 1, 3, 3});
  Tensor w = leaf(ones({1, 1, 2, 2}, kFloat64));
  (conv2d(x, w).sum() + conv2d(x, w).sum()).backward();
  // dw[r, s] = 2 Σ_{p,q} x[p + r, q + s]: window sums {8, 12, 20, 24} doubled.
  EXPECT_TRUE(values_near(w.grad(), {16, 24, 40, 48}, 0));
}

// ---- 5. bad input ---------------------------------------------------------------------------

TEST(Conv, BadInput) {
  Tensor x = zeros({2, 3, 8, 8});
  EXPECT_THROWS_WITH(conv2d(x, zeros({16, 4, 3, 3})), "conv2d: input has 3 channels",
                     "weight expects 4", "[2, 3, 8, 8]", "[16, 4, 3, 3]");
  // One image [C, H, W]: messages show the shape given, not the batch of one.
  EXPECT_THROWS_WITH(conv2d(zeros({3, 8, 8}), zeros({16, 4, 3, 3})),
                     "conv2d: input has 3 channels, weight expects 4 (input [3, 8, 8],");
  EXPECT_THROWS_WITH(conv2d(zeros({1, 3, 3}), zeros({1, 1, 5, 5})), "conv2d",
                     "padded input [1, 3, 3] ");
  EXPECT_THROWS_WITH(conv2d(zeros({3, 8, 8}, kInt64), zeros({4, 3, 3, 3})), "conv2d",
                     "[3, 8, 8] int64");
  // Groups must divide both channel counts.
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 1, 3, 3}), Tensor(), conv_options(1, 0, 1, 2)), "conv2d",
                     "groups 2", "[2, 3, 8, 8]", "[4, 1, 3, 3]");
  EXPECT_THROWS_WITH(
      conv2d(zeros({2, 4, 8, 8}), zeros({3, 2, 3, 3}), Tensor(), conv_options(1, 0, 1, 2)),
      "conv2d", "groups 2", "[3, 2, 3, 3]");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), conv_options(1, 0, 1, 0)), "conv2d",
                     "groups", "0");
  // Input channels that a grouped weight does not expect.
  EXPECT_THROWS_WITH(
      conv2d(zeros({1, 4, 5, 5}), zeros({4, 1, 3, 3}), Tensor(), conv_options(1, 0, 1, 2)),
      "conv2d: input has 4 channels, weight expects 2");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), zeros({3})), "conv2d", "bias", "[4]", "[3]");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), zeros({4, 1})), "conv2d", "bias", "[4, 1]");
  // The kernel must fit the padded input (dilation counts).
  EXPECT_THROWS_WITH(conv2d(zeros({1, 1, 3, 3}), zeros({1, 1, 5, 5})), "conv2d", "5x5",
                     "[1, 1, 3, 3]");
  // With stride 2 the output size (3 - 4) / 2 + 1 must round down to 0, not toward 0 to 1;
  // in height and in width.
  EXPECT_THROWS_WITH(conv2d(zeros({1, 1, 3, 5}), zeros({1, 1, 4, 2}), Tensor(), conv_options(2, 0)),
                     "conv2d", "4x2", "[1, 1, 3, 5]");
  EXPECT_THROWS_WITH(conv2d(zeros({1, 1, 5, 3}), zeros({1, 1, 2, 4}), Tensor(), conv_options(2, 0)),
                     "conv2d", "2x4", "[1, 1, 5, 3]");
  EXPECT_THROWS_WITH(
      conv2d(zeros({1, 1, 4, 4}), zeros({1, 1, 3, 3}), Tensor(), conv_options(1, 0, 2)), "conv2d",
      "3x3", "dilation 2", "[1, 1, 4, 4]");
  EXPECT_THROWS_WITH(
      conv2d(zeros({1, 1, 3, 6}), zeros({1, 1, 3, 2}), Tensor(), conv_options(1, {0, 0}, {1, 6})),
      "conv2d", "[1, 1, 3, 6]");
  // Strides, padding, dilation.
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), conv_options(0, 0)), "conv2d",
                     "stride", "(0, 0)");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), conv_options({1, -2}, 0)), "conv2d",
                     "stride", "(1, -2)");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), conv_options(1, {-1, 0})), "conv2d",
                     "padding", "(-1, 0)");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), Tensor(), conv_options(1, 0, {0, 1})), "conv2d",
                     "dilation", "(0, 1)");
  // Input and weight ranks.
  EXPECT_THROWS_WITH(conv2d(zeros({8, 8}), zeros({4, 3, 3, 3})), "conv2d", "[8, 8]");
  EXPECT_THROWS_WITH(conv2d(zeros({1, 2, 3, 8, 8}), zeros({4, 3, 3, 3})), "conv2d",
                     "[1, 2, 3, 8, 8]");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3})), "conv2d", "weight", "[4, 3, 3]");
  // Types.
  EXPECT_THROWS_WITH(conv2d(zeros({2, 3, 8, 8}, kInt64), zeros({4, 3, 3, 3})), "conv2d", "input",
                     "int64");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}, kFloat64)), "conv2d", "float32", "float64");
  EXPECT_THROWS_WITH(conv2d(x, zeros({4, 3, 3, 3}), zeros({4}, kFloat64)), "conv2d", "bias",
                     "float64");
  EXPECT_THROWS_WITH(conv2d(Tensor(), zeros({4, 3, 3, 3})), "conv2d", "undefined");
  EXPECT_THROWS_WITH(conv2d(x, Tensor()), "conv2d", "weight", "undefined");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(ConvRows, Conv2d) {
  struct Case {
    Shape x, w;
    Conv2dFuncOptions o;
    const char* what;
  };
  const std::vector<Case> cases = {
      {{2, 3, 9, 8}, {4, 3, 3, 3}, {}, "3x3"},
      {{2, 3, 11, 11}, {6, 3, 5, 3}, {.stride = {2, 1}, .padding = {2, 1}}, "stride, padding"},
      {{1, 4, 10, 9}, {6, 2, 3, 3}, {.padding = 2, .dilation = 2, .groups = 2}, "dilation, groups"},
      {{3, 3, 23, 23}, {8, 3, 11, 11}, {.stride = 4, .padding = 2}, "AlexNet-like first layer"},
  };
  const std::vector<std::string> passes = {"conv2d", "conv2d_backward_data",
                                           "conv2d_backward_weight"};
  for (const Case& c : cases) {
    const Conv2dFuncOptions o = c.o;
    test::expect_rows(
        OpFamily::Conv, std::string("conv2d ") + c.what,
        [o](auto& in) { return conv2d(in[0], in[1], in[2], o); },
        {test::uniform(c.x), test::uniform(c.w), test::uniform({c.w[0]})},
        {.atol = 1e-4, .rtol = 1e-4, .cpu_vendor_ops = passes, .cuda_vendor_ops = passes});
  }
}

TEST(ConvRows, Conv2dReluEpilogue) {
  const Conv2dFuncOptions o{.padding = 1, .groups = 2, .activation = ConvActivation::ReLU};
  const std::vector<std::string> passes = {"conv2d", "conv2d_backward_data",
                                           "conv2d_backward_weight"};
  test::expect_rows(
      OpFamily::Conv, "conv2d with the ReLU epilogue",
      [o](auto& in) { return conv2d(in[0], in[1], in[2], o); },
      {test::uniform({2, 4, 9, 8}), test::uniform({6, 2, 3, 3}), test::uniform({6})},
      {.atol = 1e-4, .rtol = 1e-4, .cpu_vendor_ops = passes, .cuda_vendor_ops = passes});
}

// The fused op gives relu(conv2d(...)) bit for bit on every row and dtype, output and
// gradients (the epilogue applies ReLU before the one rounding, which commutes with it;
// backward runs relu's own rule on the same output), and keeps NaN where relu does.
TEST(ConvRows, ReluEpilogueEqualsSeparateReluBitwise) {
  for (const test::ImplRow& row : test::impl_rows())
    for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
      SCOPED_TRACE(row.name + " " + dtype_name(dtype));
      const test::EveryFamilyImpl setting(row.setting);
      test::reseed(21);
      const Tensor x0 = test::uniform({2, 4, 7, 6}), w0 = test::uniform({6, 2, 3, 3});
      const Tensor b0 = test::uniform({6}), r0 = test::uniform({2, 6, 7, 6});
      Conv2dFuncOptions o{.padding = 1, .groups = 2};
      struct Out {
        Tensor y, dx, dw, db;
      };
      auto run = [&](bool fused) {
        const Tensor x = leaf(x0.to(dtype).to(row.device)), w = leaf(w0.to(dtype).to(row.device));
        const Tensor b = leaf(b0.to(dtype).to(row.device));
        Conv2dFuncOptions oo = o;
        if (fused) oo.activation = ConvActivation::ReLU;
        const Tensor y = fused ? conv2d(x, w, b, oo) : relu(conv2d(x, w, b, oo));
        sum(mul(y, r0.to(dtype).to(row.device))).backward();
        return Out{y.detach(), x.grad(), w.grad(), b.grad()};
      };
      const Out fused = run(true), separate = run(false);
      EXPECT_TRUE(test::values_near(fused.y, separate.y.to_vector<double>(), 0.0));
      EXPECT_TRUE(test::values_near(fused.dx, separate.dx.to_vector<double>(), 0.0));
      EXPECT_TRUE(test::values_near(fused.dw, separate.dw.to_vector<double>(), 0.0));
      EXPECT_TRUE(test::values_near(fused.db, separate.db.to_vector<double>(), 0.0));
      const std::vector<double> y = fused.y.to_vector<double>();
      EXPECT_GT(std::count(y.begin(), y.end(), 0.0), 0);  // the epilogue clipped something

      // NaN in the input reaches the outputs whose windows read it, fused or not.
      std::vector<double> xv = x0.to_vector<double>();
      xv[((0 * 4 + 1) * 7 + 3) * 6 + 3] = std::numeric_limits<double>::quiet_NaN();
      const Tensor xn = tensor(xv, x0.shape(), kFloat64);
      const Tensor xd = xn.to(dtype).to(row.device), wd = w0.to(dtype).to(row.device);
      const Tensor bd = b0.to(dtype).to(row.device);
      Conv2dFuncOptions of = o;
      of.activation = ConvActivation::ReLU;
      const std::vector<double> yf = conv2d(xd, wd, bd, of).to_vector<double>();
      const std::vector<double> ys = relu(conv2d(xd, wd, bd, o)).to_vector<double>();
      int nans = 0;
      for (size_t i = 0; i < yf.size(); ++i) {
        ASSERT_EQ(std::isnan(yf[i]), std::isnan(ys[i])) << "element " << i;
        nans += std::isnan(yf[i]) ? 1 : 0;
      }
      EXPECT_EQ(nans, 3 * 3 * 3);  // 3 filters of the group, 3x3 outputs read (3, 3)
    }
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table conv_bad_input() {
  Table t;
  t.err("rank", "conv2d of a 2-D input",
        [] {
          conv2d(F({5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "[N, C, H, W]", "[5, 5] float32"});
  t.err("rank", "conv2d of a 5-D input",
        [] {
          conv2d(F({1, 1, 1, 5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "[1, 1, 1, 5, 5] float32"});
  t.err("rank", "conv2d with a 3-D weight",
        [] {
          conv2d(F({1, 1, 5, 5}), F({2, 3, 3}));
        },
        {"conv2d:", "weight", "[2, 3, 3] float32"});
  t.err("shape", "conv2d with the wrong channel count",
        [] {
          conv2d(F({8, 3, 32, 32}), F({16, 4, 3, 3}));
        },
        {"conv2d:", "3 channels", "expects 4", "[8, 3, 32, 32]", "[16, 4, 3, 3]"});
  t.err("shape", "conv2d with a kernel larger than the padded input",
        [] {
          conv2d(F({1, 1, 4, 4}), F({1, 1, 7, 7}), Tensor(), {.padding = 1});
        },
        {"conv2d:", "7x7", "[1, 1, 4, 4]", "padding (1, 1)"});
  t.err("shape", "conv2d with a dilated kernel that does not fit",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.dilation = 3});
        },
        {"conv2d:", "3x3", "dilation 3", "[1, 1, 5, 5]"});
  t.err("size", "conv2d with stride 0",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.stride = 0});
        },
        {"conv2d:", "stride must be at least 1", "(0, 0)"});
  t.err("size", "conv2d with a negative stride",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.stride = Int2(1, -2)});
        },
        {"conv2d:", "stride", "(1, -2)"});
  t.err("size", "conv2d with negative padding",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.padding = -1});
        },
        {"conv2d:", "padding must be non-negative", "(-1, -1)"});
  t.err("size", "conv2d with dilation 0",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 3, 3}), Tensor(), {.dilation = 0});
        },
        {"conv2d:", "dilation must be at least 1"});
  t.err("size", "conv2d with groups 0",
        [] {
          conv2d(F({1, 2, 5, 5}), F({2, 1, 3, 3}), Tensor(), {.groups = 0});
        },
        {"conv2d:", "groups must be at least 1", "0"});
  t.err("shape", "conv2d with groups that do not divide the channels",
        [] {
          conv2d(F({1, 3, 5, 5}), F({4, 1, 3, 3}), Tensor(), {.groups = 2});
        },
        {"conv2d:", "groups 2", "[1, 3, 5, 5]", "[4, 1, 3, 3]"});
  t.err("size", "conv2d with a zero-size kernel",
        [] {
          conv2d(F({1, 1, 5, 5}), F({1, 1, 0, 3}));
        },
        {"conv2d:", "non-zero sizes", "[1, 1, 0, 3] float32"});
  t.err("size", "conv2d with no output channels",
        [] {
          conv2d(F({1, 1, 5, 5}), F({0, 1, 3, 3}));
        },
        {"conv2d:", "[0, 1, 3, 3] float32"});
  t.err("shape", "conv2d with a bias of the wrong size",
        [] {
          conv2d(F({1, 1, 5, 5}), F({2, 1, 3, 3}), F({3}));
        },
        {"conv2d:", "bias must be [2]", "[3] float32"});
  t.err("dtype", "conv2d float64 input, float32 weight",
        [] {
          conv2d(D({1, 1, 5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "float32", "float64", "different dtypes"});
  t.err("dtype", "conv2d of int64",
        [] {
          conv2d(L({1, 1, 5, 5}), F({2, 1, 3, 3}));
        },
        {"conv2d:", "[1, 1, 5, 5] int64"});
  t.err("dtype", "conv2d with a float64 bias",
        [] {
          conv2d(F({1, 1, 5, 5}), F({2, 1, 3, 3}), D({2}));
        },
        {"conv2d:", "bias", "float64"});
  t.val("empty", "conv2d of an empty batch", [] {
    return is(conv2d(F({0, 1, 5, 5}), F({2, 1, 3, 3}), F({2})), {0, 2, 3, 3});
  });
  t.err("empty", "conv2d of an empty image",
        [] {
          conv2d(F({1, 1, 0, 5}), F({2, 1, 1, 1}));
        },
        {"conv2d:", "[1, 1, 0, 5]"});
  t.val("empty", "conv2d of one CHW image", [] {
    return is(conv2d(F({1, 5, 5}), F({2, 1, 3, 3})), {2, 3, 3});
  });
  t.val("nonfinite", "conv2d propagates NaN to the windows that read it", [] {
    Tensor x = F({1, 1, 3, 3});
    x.narrow(2, 0, 1).narrow(3, 0, 1).fill_(kNaN);
    return is(conv2d(x, full({1, 1, 2, 2}, 1.0)), {1, 1, 2, 2}, {kNaN, 0, 0, 0});
  });
  return t;
}

TEST(ConvBadInput, Table) { run_table(conv_bad_input()); }

}  // namespace gpunn::bad_input
