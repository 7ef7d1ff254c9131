// max_pool2d, max_pool2d_with_indices and avg_pool2d: kernel, stride (default:
// the kernel), padding, ceil_mode, count_include_pad, 3-D unbatched input.
//
// Same parts as every op test file (see elementwise_test.cpp):
//   1. hand-checked forward values in float32 and float64, and values, indices
//      and gradients against fixed float64 references from PyTorch;
//   2. gradient check in double over several shapes, size 1 and odd sizes too;
//   3. forward mode (JVP) against finite differences and reverse mode;
//   4. edge cases (ties, NaN, -inf, windows hanging over the edge in ceil mode,
//      empty batch, non-contiguous input);
//   5. bad input: gpunn::Error naming the op and the shapes.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

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

// Tolerances against the float64 references: the sums of avg_pool2d round in a
// different order than PyTorch's; max_pool2d copies values and matches exactly.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

Pool2dOptions pool_options(Int2 kernel, Int2 stride = 0, Int2 padding = 0, bool ceil_mode = false,
                           bool count_include_pad = true) {
  Pool2dOptions o;
  o.kernel_size = kernel;
  o.stride = stride;
  o.padding = padding;
  o.ceil_mode = ceil_mode;
  o.count_include_pad = count_include_pad;
  return o;
}

std::vector<int64_t> indices_of(const Tensor& t) {
  EXPECT_EQ(t.dtype(), kInt64);
  return t.to_vector<int64_t>();
}

// ---- 1. forward values --------------------------------------------------------------------

class PoolTyped : public ::testing::TestWithParam<DType> {};

TEST_P(PoolTyped, HandChecked) {
  const DType dt = GetParam();
  // x = 0..15 as one 4x4 plane, so a value is also its index in the plane.
  Tensor x = arange(16, dt).reshape({1, 1, 4, 4});
  MaxPool2dResult m = max_pool2d_with_indices(x, pool_options(2));
  EXPECT_EQ(m.values.shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(m.values.dtype(), dt);
  EXPECT_TRUE(values_near(m.values, {5, 7, 13, 15}, 0));
  EXPECT_EQ(indices_of(m.indices), (std::vector<int64_t>{5, 7, 13, 15}));
  EXPECT_TRUE(values_near(max_pool2d(x, pool_options(2)), {5, 7, 13, 15}, 0));
  EXPECT_TRUE(values_near(avg_pool2d(x, pool_options(2)), {2.5, 4.5, 10.5, 12.5}, 0));
  // 3x3 windows with stride 1.
  EXPECT_TRUE(values_near(max_pool2d(x, pool_options(3, 1)), {10, 11, 14, 15}, 0));
  EXPECT_TRUE(values_near(avg_pool2d(x, pool_options(3, 1)), {5, 6, 9, 10}, 1e-6));
  // 2x2 windows, stride 2, padding 1: rows {-1, 0}, {1, 2}, {3, 4}, columns likewise.
  const Pool2dOptions padded = pool_options(2, 2, 1);
  EXPECT_TRUE(values_near(max_pool2d(x, padded), {0, 2, 3, 8, 10, 11, 12, 14, 15}, 0));
  // count_include_pad: every window counts 4; without it, only the real elements.
  EXPECT_TRUE(values_near(avg_pool2d(x, padded), {0, 0.75, 0.75, 3, 7.5, 4.5, 3, 6.75, 3.75}, 0));
  EXPECT_TRUE(values_near(avg_pool2d(x, pool_options(2, 2, 1, false, false)),
                          {0, 1.5, 3, 6, 7.5, 9, 12, 13.5, 15}, 0));
  // A 1x4 kernel with stride (2, 1): whole rows 0 and 2.
  EXPECT_TRUE(values_near(max_pool2d(x, pool_options({1, 4}, {2, 1})), {3, 11}, 0));
  EXPECT_TRUE(values_near(avg_pool2d(x, pool_options({1, 4}, {2, 1})), {1.5, 9.5}, 0));
}

TEST_P(PoolTyped, CeilModeWindowsHangOverTheEdge) {
  const DType dt = GetParam();
  // x = 0..24 as a 5x5 plane; 2x2 windows with stride 2. Floor mode drops the
  // last row and column; ceil mode keeps a window holding only them.
  Tensor x = arange(25, dt).reshape({1, 1, 5, 5});
  EXPECT_TRUE(values_near(max_pool2d(x, pool_options(2)), {6, 8, 16, 18}, 0));
  const Pool2dOptions ceil = pool_options(2, 2, 0, true);
  EXPECT_TRUE(values_near(max_pool2d(x, ceil), {6, 8, 9, 16, 18, 19, 21, 23, 24}, 0));
  // PyTorch's divisor rule: the window is clipped to the padded input, so with no
  // padding count_include_pad makes no difference: the hanging windows divide by 2 and 1.
  const std::vector<double> avg = {3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24};
  EXPECT_TRUE(values_near(avg_pool2d(x, ceil), avg, 0));
  EXPECT_TRUE(values_near(avg_pool2d(x, pool_options(2, 2, 0, true, false)), avg, 0));
  // A window must start inside the input or the left padding: with padding 1 the
  // fourth window would start in the right padding, so there are 3, not 4.
  EXPECT_EQ(max_pool2d(x, pool_options(2, 2, 1, true)).shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(avg_pool2d(x, pool_options(2, 2, 1, true)).shape(), (Shape{1, 1, 3, 3}));
  // 6 rows, kernel 3, stride 2, padding 1: floor gives 3 windows, ceil 4.
  Tensor x6 = zeros({1, 1, 6, 6}, dt);
  EXPECT_EQ(max_pool2d(x6, pool_options(3, 2, 1)).shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(max_pool2d(x6, pool_options(3, 2, 1, true)).shape(), (Shape{1, 1, 4, 4}));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, PoolTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// Cases with expected values from PyTorch 1.13 in float64
// (torch.nn.functional.max_pool2d with return_indices, avg_pool2d; gradients
// from backward of (y * gy).sum()).
struct MaxPoolReference {
  Shape x_shape;
  Pool2dOptions options;
  std::vector<double> x, gy, y;
  std::vector<int64_t> indices;
  std::vector<double> dx;
};

void check_reference(const MaxPoolReference& r) {
  Tensor x = leaf(tensor(r.x, r.x_shape, kFloat64));
  MaxPool2dResult m = max_pool2d_with_indices(x, r.options);
  EXPECT_TRUE(values_near(m.values, r.y, 0));  // a copy of an input: exact
  EXPECT_EQ(indices_of(m.indices), r.indices);
  m.values.backward(tensor(r.gy, m.values.shape(), kFloat64));
  EXPECT_TRUE(values_near(x.grad(), r.dx, kRefAtol, kRefRtol));
  // max_pool2d gives the same values and gradient.
  Tensor x2 = leaf(tensor(r.x, r.x_shape, kFloat64));
  Tensor y2 = max_pool2d(x2, r.options);
  EXPECT_TRUE(values_near(y2, r.y, 0));
  y2.backward(tensor(r.gy, y2.shape(), kFloat64));
  EXPECT_TRUE(values_near(x2.grad(), r.dx, kRefAtol, kRefRtol));
}

struct AvgPoolReference {
  Shape x_shape;
  Pool2dOptions options;  // count_include_pad is set by the test: both ways
  std::vector<double> x, gy;
  std::vector<double> y_include_pad, dx_include_pad;
  std::vector<double> y_exclude_pad, dx_exclude_pad;
};

void check_reference(const AvgPoolReference& r) {
  for (bool include_pad : {true, false}) {
    SCOPED_TRACE(include_pad ? "count_include_pad" : "!count_include_pad");
    Pool2dOptions o = r.options;
    o.count_include_pad = include_pad;
    Tensor x = leaf(tensor(r.x, r.x_shape, kFloat64));
    Tensor y = avg_pool2d(x, o);
    EXPECT_TRUE(
        values_near(y, include_pad ? r.y_include_pad : r.y_exclude_pad, kRefAtol, kRefRtol));
    y.backward(tensor(r.gy, y.shape(), kFloat64));
    EXPECT_TRUE(values_near(x.grad(), include_pad ? r.dx_include_pad : r.dx_exclude_pad, kRefAtol,
                            kRefRtol));
  }
}

TEST(Pool, TorchReferenceMaxPaddedCeil) {
  // x [2, 2, 6, 7], kernel 3, stride 2, padding 1, ceil_mode -> y [2, 2, 4, 4]
  // (floor mode would give [2, 2, 3, 4]); windows overlap, so inputs collect
  // gradient from several outputs.
  // clang-format off
  check_reference(MaxPoolReference{
      .x_shape = {2, 2, 6, 7},
      .options = pool_options(3, 2, 1, true),
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
            0.81, -0.41, 0.59, 0.6, -0.33, -0.16, -0.69, 0.08, 0.59, 0.41, 0.13},
      .gy = {-0.23, 0.68, 0.26, 0.34, -0.25, 0.49, -0.93, -0.21, 0.43, 0.98, 0.87, -0.5, -0.54,
             0.03, -0.34, 0.99, 0.92, 0.75, 0.83, 0.74, -0.2, 0.71, -0.68, 0.86, 0.63, -0.18,
             0.94, 0.68, 0.53, -0.65, -0.06, -0.2, 0.53, -0.15, 0.11, 0.43, 0.55, -0.62, -0.61,
             -0.87, -0.83, 0.34, 0.4, -0.69, -0.38, -0.85, -0.16, 0.28, 0.28, -0.65, -0.11, 0.78,
             -0.21, 0.35, -0.57, 0.13, 0.27, -0.44, -0.41, 0.61, 0.15, 0.51, 0.67, -0.04},
      .y = {0.55000000000000004, 0.55000000000000004, 0.76000000000000001, 0.63,
            0.89000000000000001, 0.89000000000000001, 0.75, 0.69999999999999996,
            0.89000000000000001, 0.89000000000000001, 0.75, 0.63, 0.34000000000000002,
            0.34000000000000002, 0.25, 0.63, 0.68000000000000005, 0.68000000000000005,
            0.81000000000000005, 0.47999999999999998, 0.53000000000000003, 0.84999999999999998,
            0.91000000000000003, 0.91000000000000003, 0.52000000000000002, 0.84999999999999998,
            0.91000000000000003, 0.91000000000000003, -0.12, -0.02, 0.68999999999999995,
            0.68999999999999995, 0.71999999999999997, 0.60999999999999999, 0.60999999999999999,
            0.56999999999999995, 0.56000000000000005, 0.97999999999999998, 0.75,
            0.56999999999999995, 0.19, 0.75, 0.75, 0.97999999999999998, 0.19, 0.34999999999999998,
            0.34999999999999998, 0.97999999999999998, 0.19, 0.87, 0.54000000000000004, 0.88,
            0.17999999999999999, 0.87, 0.76000000000000001, 0.73999999999999999,
            0.94999999999999996, 0.94999999999999996, 0.81000000000000005, 0.73999999999999999,
            -0.16, 0.080000000000000002, 0.58999999999999997, 0.40999999999999998},
      .indices = {1, 1, 4, 12, 22, 22, 24, 19, 22, 22, 24, 41, 36, 36, 38, 41, 1, 1, 4, 5, 8, 23,
                  26, 26, 29, 23, 26, 26, 36, 37, 40, 40, 0, 3, 3, 13, 15, 16, 24, 13, 36, 24, 24,
                  41, 36, 38, 38, 41, 1, 9, 3, 6, 22, 9, 24, 26, 29, 29, 31, 26, 36, 38, 39, 40},
      .dx = {0, 0.45000000000000007, 0, 0, 0.26000000000000001, 0, 0, 0, 0, 0, 0, 0,
             0.34000000000000002, 0, 0, 0, 0, 0, 0, -0.20999999999999999, 0, 0,
             1.6499999999999999, 0, -0.060000000000000053, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
             -0.51000000000000001, 0, -0.34000000000000002, 0, 0, 0.48999999999999999, 0,
             1.6699999999999999, 0, 0, 0.82999999999999996, 0.73999999999999999, 0, 0,
             -0.20000000000000001, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.53000000000000003,
             0, 0, 1.7999999999999998, 0, 0, 0.63, 0, 0, 0, 0, 0, 0, 0.53000000000000003,
             -0.65000000000000002, 0, 0, -0.26000000000000001, 0, 0.53000000000000003, 0, 0,
             -0.039999999999999994, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.44, 0, 0.55000000000000004,
             -0.62, 0, 0, 0, 0, 0, 0, 0, 0.13000000000000006, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
             -1.21, 0, -1.01, 0, 0, -0.40999999999999992, 0, 0.28000000000000003, 0, -0.11, 0, 0,
             0.78000000000000003, 0, 0, -0.30000000000000004, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
             -0.20999999999999999, 0, -0.56999999999999995, 0, 0.73999999999999999, 0, 0,
             -0.16999999999999998, 0, -0.40999999999999998, 0, 0, 0, 0, 0.14999999999999999, 0,
             0.51000000000000001, 0.67000000000000004, -0.040000000000000001, 0},
  });
  // clang-format on
}

TEST(Pool, TorchReferenceMaxRectangular) {
  // x [1, 3, 5, 6], kernel (2, 3), stride (1, 2), padding (1, 1) -> y [1, 3, 6, 3]
  // clang-format off
  check_reference(MaxPoolReference{
      .x_shape = {1, 3, 5, 6},
      .options = pool_options({2, 3}, {1, 2}, {1, 1}),
      .x = {-0.12, -0.57, -0.85, 0.6, 0.31, -0.69, 0.51, -0.9, -0.14, -0.72, 0.85, -0.34, -0.32,
            -0.8, 0.35, -0.62, -0.08, -0.44, -0.73, 0.54, 0.73, 0.65, 0.63, 0.56, -0.06, 0.44,
            -0.45, 0.02, -0.02, 0.54, 0.65, -0.93, 0.51, 0.16, -0.82, 0.38, -0.84, 0.26, 0.58,
            0.36, -0.76, -0.5, -0.7, 0.14, 0.98, -0.5, 0.67, 0.44, -0.94, 0.04, -0.71, 0.67,
            -0.14, 0.67, -1, -0.18, 0.39, -0.98, -0.87, 0.12, -0.32, 0.89, 0.97, 0.14, -0.74,
            0.91, 0.04, -0.25, 0.67, -0.7, 0.61, -0.37, 0.89, -0.17, -0.75, -0.05, 0.36, 0.55,
            -0.02, 0.27, 0.15, 0.03, 0.85, -0.93, -0.22, 0.23, 0.32, -0.15, 0.17, -0.28},
      .gy = {-0.7, -0.88, 0.7, -0.41, 0.84, 0.38, 0.98, -0.09, 0.11, 0.56, 0.72, 0.57, -0.93,
             -0.86, 0.23, -0.96, 0.17, -0.16, 0.58, -0.86, 0.97, 0.6, 0.89, 0.32, 0.21, -0.43,
             -0.18, -0.77, -0.15, -0.34, 0.09, 0.39, -0.34, 1, -0.35, 0.72, 0.88, -0.2, 0.51,
             0.88, -0.72, -0.42, 0.64, 0.64, -0.19, 0.03, -0.98, -0.74, 0.66, -0.73, 0.88, 0.36,
             0.07, 0.73},
      .y = {-0.12, 0.59999999999999998, 0.59999999999999998, 0.51000000000000001,
            0.59999999999999998, 0.84999999999999998, 0.51000000000000001, 0.34999999999999998,
            0.84999999999999998, 0.54000000000000004, 0.72999999999999998, 0.65000000000000002,
            0.54000000000000004, 0.72999999999999998, 0.65000000000000002, 0.44, 0.44,
            0.54000000000000004, 0.65000000000000002, 0.51000000000000001, 0.38,
            0.65000000000000002, 0.57999999999999996, 0.38, 0.26000000000000001,
            0.97999999999999998, 0.67000000000000004, 0.14000000000000001, 0.97999999999999998,
            0.67000000000000004, 0.040000000000000001, 0.67000000000000004, 0.67000000000000004,
            -0.17999999999999999, 0.39000000000000001, 0.12, 0.89000000000000001,
            0.96999999999999997, 0.91000000000000003, 0.89000000000000001, 0.96999999999999997,
            0.91000000000000003, 0.89000000000000001, 0.67000000000000004, 0.60999999999999999,
            0.89000000000000001, 0.27000000000000002, 0.84999999999999998, 0.27000000000000002,
            0.32000000000000001, 0.84999999999999998, 0.23000000000000001, 0.32000000000000001,
            0.17000000000000001},
      .indices = {0, 3, 3, 6, 3, 10, 6, 14, 10, 19, 20, 21, 19, 20, 21, 25, 25, 29, 0, 2, 5, 0, 8,
                  5, 7, 14, 16, 13, 14, 16, 19, 21, 21, 25, 26, 29, 1, 2, 5, 1, 2, 5, 12, 8, 10,
                  12, 19, 22, 19, 26, 22, 25, 26, 28},
      .dx = {-0.69999999999999996, 0, 0, 0.65999999999999992, 0, 0, 0.57000000000000006, 0, 0, 0,
             0.48999999999999999, 0, 0, 0, -0.089999999999999997, 0, 0, 0, 0, -0.37,
             -0.14000000000000001, 0.79999999999999993, 0, 0, 0, -0.78999999999999992, 0, 0, 0,
             -0.16, 1.1799999999999999, 0, -0.85999999999999999, 0, 0, 1.29, 0,
             0.20999999999999999, 0.89000000000000001, 0, 0, 0, 0, -0.77000000000000002,
             -0.57999999999999996, 0, -0.52000000000000002, 0, 0, 0.089999999999999997, 0,
             0.049999999999999989, 0, 0, 0, 1, -0.34999999999999998, 0, 0, 0.71999999999999997, 0,
             1.76, -0.91999999999999993, 0, 0, 0.090000000000000024, 0, 0, 0.64000000000000001, 0,
             -0.19, 0, 0.67000000000000004, 0, 0, 0, 0, 0, 0, -0.31999999999999995, 0, 0,
             0.14000000000000001, 0, 0, 0.35999999999999999, -0.65999999999999992, 0,
             0.72999999999999998, 0},
  });
  // clang-format on
}

TEST(Pool, TorchReferenceAvgPaddedCeil) {
  // x [1, 2, 6, 7], kernel 3, stride 2, padding 1, ceil_mode -> y [1, 2, 4, 4]:
  // the last window of each row reaches past the right padding.
  // clang-format off
  check_reference(AvgPoolReference{
      .x_shape = {1, 2, 6, 7},
      .options = pool_options(3, 2, 1, true),
      .x = {-0.49, 0.55, -0.33, 0.44, 0.76, -0.57, -0.22, -0.18, -0.13, -0.78, -0.74, -0.36, 0.63,
            0.44, 0.25, -0.25, 0.72, 0.05, 0.03, 0.7, -0.25, 0.34, 0.89, 0.24, 0.75, -0.23, -0.71,
            -0.62, 0.57, 0.24, -0.25, -0.86, -0.11, -0.09, -0.03, -0.1, 0.34, -0.33, 0.25, -0.25,
            -0.28, 0.63, -0.01, 0.68, 0.62, 0.36, 0.81, 0.48, -0.75, -0.82, 0.53, 0.03, -0.7,
            -0.96, 0.4, -0.78, 0.02, -0.93, -0.62, -0.06, -0.49, 0.55, 0.74, 0.43, 0.18, 0.85,
            -0.46, -0.27, 0.91, 0.61, 0.42, 0.52, -0.76, 0.48, -0.97, -0.7, -0.85, -0.31, -0.12,
            -0.02, -0.55, 0.11, 0.69, 0.69},
      .gy = {0.72, -0.76, 0.58, 0.61, 0.06, -0.67, 0.07, 0.49, -0.61, -0.65, -0.82, -0.02, -0.39,
             0.57, 0.54, 0.56, 0.98, 0.45, 0.11, 0.54, -0.87, 0.04, 0.12, 0.39, 0.75, 0.17, -0.58,
             0.17, 0.12, -0.64, -0.98, -0.9},
      .y_include_pad = {-0.027777777777777773, -0.11, 0.017777777777777781, 0.031111111111111121,
                        0.10222222222222223, 0.083333333333333343, 0.01333333333333332,
                        0.021111111111111119, 0.2533333333333333, 0.14111111111111113,
                        -0.17000000000000001, -0.12222222222222223, 0.040000000000000001,
                        0.043333333333333335, -0.046666666666666669, 0.058333333333333327,
                        0.042222222222222237, 0.16888888888888892, 0.043333333333333335,
                        -0.072222222222222229, -0.065555555555555561, -0.13111111111111112,
                        -0.11999999999999995, 0.27000000000000002, 0.12444444444444445,
                        0.013333333333333332, -0.084444444444444419, 0.15000000000000002,
                        -0.07166666666666667, -0.115, 0.04166666666666665, 0.22999999999999998},
      .dx_include_pad = {0.080000000000000002, -0.0044444444444444453, -0.084444444444444447,
                         -0.020000000000000004, 0.064444444444444443, 0.13222222222222221,
                         0.06777777777777777, 0.08666666666666667, -0.072222222222222229,
                         -0.15888888888888891, -0.086666666666666684, 0.072222222222222215,
                         0.19444444444444442, 0.1222222222222222, 0.0066666666666666662,
                         -0.067777777777777784, -0.074444444444444452, -0.06666666666666668,
                         0.0077777777777777784, 0.06222222222222222, 0.054444444444444441,
                         -0.061111111111111102, -0.20777777777777778, -0.14666666666666667,
                         -0.22999999999999998, -0.083333333333333329, -0.031111111111111103,
                         0.052222222222222218, -0.06777777777777777, -0.14000000000000001,
                         -0.072222222222222229, -0.16333333333333333, -0.091111111111111101,
                         -0.093333333333333324, -0.0022222222222222222, -0.13277777777777777,
                         -0.11000000000000003, 0.022777777777777758, 0.021666666666666667,
                         -0.0011111111111110905, 0.090000000000000024, 0.091111111111111115,
                         0.10888888888888888, 0.15888888888888889, 0.050000000000000003,
                         0.062222222222222227, 0.012222222222222223, 0.072222222222222229,
                         0.060000000000000005, 0.012222222222222218, 0.066666666666666666,
                         0.054444444444444448, 0.080000000000000002, 0.025555555555555554,
                         0.12888888888888889, 0.10333333333333333, -0.096666666666666665,
                         -0.092222222222222219, 0.0044444444444444444, 0.017777777777777778,
                         0.013333333333333332, 0.056666666666666671, 0.043333333333333335,
                         -0.013333333333333336, 0.0099999999999999985, 0.023333333333333334,
                         -0.027777777777777776, -0.051111111111111107, 0.011111111111111117,
                         0.06222222222222222, 0.083333333333333329, 0.10222222222222221,
                         0.018888888888888889, -0.045555555555555557, -0.064444444444444443,
                         -0.045555555555555557, 0.018888888888888889, 0.10333333333333333,
                         0.015555555555555545, -0.087777777777777788, -0.31555555555555559,
                         -0.22777777777777777, -0.35888888888888892, -0.13111111111111109},
      .y_exclude_pad = {-0.062499999999999986, -0.16500000000000001, 0.026666666666666672,
                        0.070000000000000021, 0.15333333333333335, 0.083333333333333343,
                        0.01333333333333332, 0.031666666666666676, 0.37999999999999995,
                        0.14111111111111113, -0.17000000000000001, -0.18333333333333335,
                        0.12000000000000001, 0.08666666666666667, -0.093333333333333338,
                        0.17499999999999999, 0.095000000000000029, 0.25333333333333335,
                        0.065000000000000002, -0.16250000000000001, -0.098333333333333342,
                        -0.13111111111111112, -0.11999999999999995, 0.40500000000000003,
                        0.18666666666666668, 0.013333333333333332, -0.084444444444444419,
                        0.22500000000000001, -0.215, -0.23000000000000001, 0.083333333333333301,
                        0.68999999999999995},
      .dx_exclude_pad = {0.17999999999999999, 0.053333333333333316, -0.12666666666666668,
                         -0.030000000000000013, 0.096666666666666665, 0.24916666666666665, 0.1525,
                         0.19, -0.011111111111111141, -0.20111111111111113, -0.096666666666666692,
                         0.10444444444444444, 0.33861111111111108, 0.23416666666666666, 0.01,
                         -0.064444444444444457, -0.074444444444444452, -0.06666666666666668,
                         0.0077777777777777784, 0.089444444444444438, 0.081666666666666665,
                         -0.091666666666666674, -0.23833333333333334, -0.14666666666666667,
                         -0.22999999999999998, -0.083333333333333329, -0.0049999999999999975,
                         0.078333333333333338, -0.10166666666666667, -0.1738888888888889,
                         -0.072222222222222229, -0.16333333333333333, -0.091111111111111101,
                         -0.094444444444444428, -0.0033333333333333335, -0.29666666666666669,
                         -0.17888888888888896, 0.11777777777777775, 0.20666666666666667,
                         0.08888888888888892, 0.36555555555555563, 0.27666666666666667, 0.245,
                         0.32000000000000001, 0.074999999999999997, 0.093333333333333324,
                         0.018333333333333333, 0.15333333333333335, 0.13500000000000001,
                         0.10000000000000001, 0.17944444444444446, 0.079444444444444443,
                         0.1111111111111111, 0.031666666666666662, 0.23166666666666669,
                         0.20000000000000001, -0.14499999999999999, -0.14055555555555554,
                         0.0044444444444444444, 0.017777777777777778, 0.013333333333333332,
                         0.078333333333333338, 0.065000000000000002, -0.01999999999999999,
                         0.0033333333333333444, 0.023333333333333334, -0.027777777777777776,
                         -0.051111111111111107, 0.04222222222222223, 0.093333333333333338, 0.125,
                         0.1438888888888889, 0.018888888888888889, -0.045555555555555557,
                         -0.064444444444444443, -0.036111111111111108, 0.028333333333333335,
                         0.185, -0.0094444444444444497, -0.19444444444444445,
                         -0.58555555555555561, -0.39111111111111108, -0.81277777777777782,
                         -0.42166666666666669},
  });
  // clang-format on
}

TEST(Pool, TorchReferenceAvgRectangularCeil) {
  // x [2, 1, 5, 5], kernel (3, 2), stride (2, 3), padding (1, 1), ceil_mode -> y [2, 1, 3, 2]
  // clang-format off
  check_reference(AvgPoolReference{
      .x_shape = {2, 1, 5, 5},
      .options = pool_options({3, 2}, {2, 3}, {1, 1}, true),
      .x = {-0.03, 0.07, -0.53, -0.75, 0.19, -0.05, 0.35, 0.18, -0.06, 0.98, -0.28, 0.19, -0.09,
            0.54, 0.07, -0.55, 0.88, -0.84, -0.28, 0.87, -0.14, -0.64, -0.19, -0.61, -0.46, 0.1,
            0, -0.89, -0.65, 0.64, -0.83, 0.09, 0.18, -0.78, 0.76, -0.53, 0.74, 0.36, 0.21, 0.95,
            -0.6, 0.81, -0.41, 0.59, 0.6, -0.33, -0.16, -0.69, 0.08, 0.59},
      .gy = {0.41, 0.13, -0.23, 0.68, 0.26, 0.34, -0.25, 0.49, -0.93, -0.21, 0.43, 0.98},
      .y_include_pad = {-0.013333333333333334, -0.19333333333333336, -0.1466666666666667,
                        -0.09166666666666666, -0.115, -0.32000000000000001, -0.12166666666666666,
                        -0.35666666666666669, -0.32666666666666666, 0.024999999999999984, -0.155,
                        -0.07166666666666667},
      .dx_include_pad = {0.068333333333333329, 0, 0.021666666666666667, 0.021666666666666667, 0,
                         0.029999999999999992, 0, 0.13500000000000001, 0.13500000000000001, 0,
                         -0.038333333333333337, 0, 0.11333333333333334, 0.11333333333333334, 0,
                         0.0049999999999999975, 0, 0.17000000000000001, 0.17000000000000001, 0,
                         0.043333333333333335, 0, 0.056666666666666671, 0.056666666666666671, 0,
                         -0.041666666666666664, 0, 0.081666666666666665, 0.081666666666666665, 0,
                         -0.19666666666666666, 0, 0.046666666666666669, 0.046666666666666669, 0,
                         -0.155, 0, -0.034999999999999996, -0.034999999999999996, 0,
                         -0.083333333333333329, 0, 0.12833333333333333, 0.12833333333333333, 0,
                         0.07166666666666667, 0, 0.16333333333333333, 0.16333333333333333, 0},
      .y_exclude_pad = {-0.040000000000000001, -0.29000000000000004, -0.29333333333333339,
                        -0.09166666666666666, -0.34500000000000003, -0.47999999999999998,
                        -0.36499999999999999, -0.53500000000000003, -0.65333333333333332,
                        0.024999999999999984, -0.46499999999999997, -0.1075},
      .dx_exclude_pad = {0.20499999999999999, 0, 0.032500000000000001, 0.032500000000000001, 0,
                         0.1283333333333333, 0, 0.14583333333333334, 0.14583333333333334, 0,
                         -0.076666666666666675, 0, 0.11333333333333334, 0.11333333333333334, 0,
                         0.05333333333333333, 0, 0.19833333333333336, 0.19833333333333336, 0,
                         0.13, 0, 0.085000000000000006, 0.085000000000000006, 0, -0.125, 0,
                         0.1225, 0.1225, 0, -0.435, 0, 0.087499999999999994, 0.087499999999999994,
                         0, -0.31, 0, -0.034999999999999996, -0.034999999999999996, 0,
                         -0.095000000000000001, 0, 0.20999999999999999, 0.20999999999999999, 0,
                         0.215, 0, 0.245, 0.245, 0},
  });
  // clang-format on
}

TEST(Pool, TorchReferenceAvgPaddingOneSide) {
  // x [1, 1, 5, 6], kernel (2, 4), stride (2, 1), padding (0, 2) -> y [1, 1, 2, 7]
  // clang-format off
  check_reference(AvgPoolReference{
      .x_shape = {1, 1, 5, 6},
      .options = pool_options({2, 4}, {2, 1}, {0, 2}),
      .x = {0.87, -0.5, -0.54, 0.03, -0.34, 0.99, 0.92, 0.75, 0.83, 0.74, -0.2, 0.71, -0.68, 0.86,
            0.63, -0.18, 0.94, 0.68, 0.53, -0.65, -0.06, -0.2, 0.53, -0.15, 0.11, 0.43, 0.55,
            -0.62, -0.61, -0.87},
      .gy = {-0.83, 0.34, 0.4, -0.69, -0.38, -0.85, -0.16, 0.28, 0.28, -0.65, -0.11, 0.78, -0.21,
             0.35},
      .y_include_pad = {0.255, 0.29125000000000001, 0.38749999999999996, 0.096249999999999974,
                        0.27749999999999997, 0.24124999999999999, 0.14499999999999999,
                        0.0074999999999999928, 0.078749999999999987, 0.031249999999999986,
                        0.23375000000000001, 0.27374999999999999, 0.20250000000000001,
                        0.25000000000000006},
      .dx_include_pad = {-0.011249999999999989, -0.097499999999999976, -0.041249999999999995,
                         -0.19, -0.26000000000000001, -0.17374999999999999, -0.011249999999999989,
                         -0.097499999999999976, -0.041249999999999995, -0.19,
                         -0.26000000000000001, -0.17374999999999999, -0.011249999999999996,
                         -0.024999999999999994, 0.037500000000000006, -0.023749999999999997,
                         0.10125000000000001, 0.115, -0.011249999999999996, -0.024999999999999994,
                         0.037500000000000006, -0.023749999999999997, 0.10125000000000001, 0.115,
                         0, 0, 0, 0, 0, 0},
      .y_exclude_pad = {0.51000000000000001, 0.38833333333333336, 0.38749999999999996,
                        0.096249999999999974, 0.27749999999999997, 0.32166666666666666,
                        0.28999999999999998, 0.014999999999999986, 0.10499999999999998,
                        0.031249999999999986, 0.23375000000000001, 0.27374999999999999,
                        0.27000000000000002, 0.50000000000000011},
      .dx_exclude_pad = {-0.10083333333333332, -0.18708333333333332, -0.02708333333333332,
                         -0.22541666666666665, -0.31541666666666662, -0.22916666666666666,
                         -0.10083333333333332, -0.18708333333333332, -0.02708333333333332,
                         -0.22541666666666665, -0.31541666666666662, -0.22916666666666666,
                         0.035416666666666666, 0.021666666666666667, 0.049166666666666671,
                         -0.032499999999999994, 0.13625000000000001, 0.14999999999999999,
                         0.035416666666666666, 0.021666666666666667, 0.049166666666666671,
                         -0.032499999999999994, 0.13625000000000001, 0.14999999999999999, 0, 0, 0,
                         0, 0, 0},
  });
  // clang-format on
}

// ---- 2 and 3. gradients, reverse and forward mode ---------------------------------------------

struct PoolGradCase {
  std::string name;
  Shape x_shape;
  Pool2dOptions options;
};

const std::vector<PoolGradCase>& grad_cases() {
  static const std::vector<PoolGradCase> cases = {
      {"size 1", {1, 1, 1, 1}, pool_options(1)},
      {"3x3 stride 2 padding 1", {2, 3, 5, 5}, pool_options(3, 2, 1)},
      {"rectangular ceil", {1, 2, 4, 7}, pool_options({2, 3}, {1, 2}, 0, true)},
      {"unbatched default stride", {3, 5, 4}, pool_options(2)},
      {"ceil with padding", {1, 1, 6, 5}, pool_options(3, 2, 1, true)},
      {"global", {2, 2, 3, 3}, pool_options(3)},
  };
  return cases;
}

TEST(Pool, MaxDerivatives) {
  // Random values: no two elements of a window within the finite-difference
  // step of each other, so no window sits on a kink.
  test::reseed(21);
  for (const PoolGradCase& c : grad_cases()) {
    SCOPED_TRACE(c.name);
    const Pool2dOptions o = c.options;
    EXPECT_TRUE(derivatives_ok([o](const auto& v) { return max_pool2d(v[0], o); },
                               {leaf(uniform(c.x_shape))}));
    EXPECT_TRUE(
        derivatives_ok([o](const auto& v) { return max_pool2d_with_indices(v[0], o).values; },
                       {leaf(uniform(c.x_shape))}));
  }
}

TEST(Pool, AvgDerivatives) {
  test::reseed(22);
  for (const PoolGradCase& c : grad_cases()) {
    for (bool include_pad : {true, false}) {
      SCOPED_TRACE(c.name + (include_pad ? ", count_include_pad" : ""));
      Pool2dOptions o = c.options;
      o.count_include_pad = include_pad;
      EXPECT_TRUE(derivatives_ok([o](const auto& v) { return avg_pool2d(v[0], o); },
                                 {leaf(uniform(c.x_shape))}));
    }
  }
}

// ---- 4. edge cases --------------------------------------------------------------------------

TEST(Pool, DefaultStrideIsKernel) {
  test::reseed(23);
  Tensor x = uniform({2, 3, 7, 8});
  for (Int2 k : {Int2(2), Int2(3), Int2(2, 3)}) {
    Pool2dOptions implicit = pool_options(k), explicit_stride = pool_options(k, k);
    EXPECT_EQ(implicit.stride.h, 0);
    EXPECT_TRUE(test::tensors_near(max_pool2d(x, implicit), max_pool2d(x, explicit_stride), 0));
    EXPECT_TRUE(test::tensors_near(avg_pool2d(x, implicit), avg_pool2d(x, explicit_stride), 0));
  }
  EXPECT_EQ(max_pool2d(x, pool_options({2, 3})).shape(), (Shape{2, 3, 3, 2}));
}

TEST(Pool, TiesPickTheFirstInWindowOrder) {
  // Equal values: the first position in row-major window order wins and alone
  // gets the gradient, as in PyTorch.
  Tensor x = leaf(ones({1, 1, 3, 3}, kFloat64));
  MaxPool2dResult m = max_pool2d_with_indices(x, pool_options(2, 1));
  EXPECT_EQ(indices_of(m.indices), (std::vector<int64_t>{0, 1, 3, 4}));
  m.values.sum().backward();
  EXPECT_TRUE(values_near(x.grad(), {1, 1, 0, 1, 1, 0, 0, 0, 0}, 0));
  // [[1, 2], [2, 0]]: the 2 in the first row wins over the 2 in the second.
  Tensor t = tensor({1, 2, 2, 0}, {1, 1, 2, 2}, kFloat64);
  EXPECT_EQ(indices_of(max_pool2d_with_indices(t, pool_options(2)).indices),
            (std::vector<int64_t>{1}));
}

TEST(Pool, PaddingNeverWins) {
  // All inputs negative: padding (implicitly -inf) must not contribute a 0.
  Tensor x = -(arange(16, kFloat64) + 1.0).reshape({1, 1, 4, 4});
  EXPECT_TRUE(values_near(max_pool2d(x, pool_options(2, 2, 1)),
                          {-1, -2, -4, -5, -6, -8, -13, -14, -16}, 0));
  // Everything -inf: the value is -inf and the index the window's first real element.
  const double inf = std::numeric_limits<double>::infinity();
  Tensor all = leaf(full({1, 1, 2, 2}, -inf, kFloat64));
  MaxPool2dResult m = max_pool2d_with_indices(all, pool_options(2, 1, 1));
  EXPECT_TRUE(values_near(m.values, std::vector<double>(9, -inf), 0));
  EXPECT_EQ(indices_of(m.indices), (std::vector<int64_t>{0, 0, 1, 0, 0, 1, 2, 2, 3}));
  m.values.sum().backward();
  EXPECT_TRUE(values_near(all.grad(), {4, 2, 2, 1}, 0));
}

TEST(Pool, NanWins) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = tensor({1, nan, 5, 3, 4, 2, 0, 1}, {1, 2, 2, 2}, kFloat64);
  MaxPool2dResult m = max_pool2d_with_indices(x, pool_options(2));
  EXPECT_TRUE(values_near(m.values, {nan, 4}, 0));
  EXPECT_EQ(indices_of(m.indices), (std::vector<int64_t>{1, 0}));
  // Two NaNs: the later one in window order, as PyTorch picks.
  Tensor two = tensor({1, nan, nan, 3}, {1, 1, 2, 2}, kFloat64);
  EXPECT_EQ(indices_of(max_pool2d_with_indices(two, pool_options(2)).indices),
            (std::vector<int64_t>{2}));
  // avg_pool2d propagates NaN to the windows that hold it only.
  EXPECT_TRUE(values_near(avg_pool2d(x, pool_options({1, 2})), {nan, 4, 3, 0.5}, 0));
}

TEST(Pool, UnbatchedInput) {
  test::reseed(24);
  Tensor x = uniform({3, 5, 6});
  const Pool2dOptions o = pool_options(3, 2, 1, true);
  MaxPool2dResult m = max_pool2d_with_indices(x, o);
  MaxPool2dResult m4 = max_pool2d_with_indices(x.unsqueeze(0), o);
  EXPECT_EQ(m.values.shape(), (Shape{3, 3, 4}));
  EXPECT_EQ(m.indices.shape(), (Shape{3, 3, 4}));
  EXPECT_TRUE(test::tensors_near(m.values, m4.values.squeeze(0), 0));
  EXPECT_EQ(indices_of(m.indices), indices_of(m4.indices));
  Tensor a = avg_pool2d(x, o);
  EXPECT_EQ(a.shape(), (Shape{3, 3, 4}));
  EXPECT_TRUE(test::tensors_near(a, avg_pool2d(x.unsqueeze(0), o).squeeze(0), 0));
  Tensor xl = leaf(x);
  avg_pool2d(xl, o).sum().backward();
  EXPECT_EQ(xl.grad().shape(), (Shape{3, 5, 6}));
}

TEST(Pool, BatchAndChannelsAreIndependentPlanes) {
  test::reseed(25);
  Tensor x = uniform({2, 3, 5, 5});
  const Pool2dOptions o = pool_options(2, 1, 1);
  Tensor y = max_pool2d(x, o), a = avg_pool2d(x, o);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c) {
      Tensor plane = x[n][c].unsqueeze(0);  // [1, 5, 5]
      EXPECT_TRUE(test::tensors_near(max_pool2d(plane, o)[0], y[n][c], 0));
      EXPECT_TRUE(test::tensors_near(avg_pool2d(plane, o)[0], a[n][c], 0));
    }
}

TEST(Pool, NonContiguousInput) {
  test::reseed(26);
  Tensor x = uniform({2, 5, 4, 3}).permute({0, 3, 1, 2});  // [2, 3, 5, 4]
  ASSERT_FALSE(x.is_contiguous());
  const Pool2dOptions o = pool_options(2, 1, 1, true);
  EXPECT_TRUE(test::tensors_near(max_pool2d(x, o), max_pool2d(x.contiguous(), o), 0));
  EXPECT_TRUE(test::tensors_near(avg_pool2d(x, o), avg_pool2d(x.contiguous(), o), 0));
  EXPECT_TRUE(derivatives_ok([o](const auto& v) { return max_pool2d(v[0], o); }, {leaf(x)}));
  EXPECT_TRUE(derivatives_ok([o](const auto& v) { return avg_pool2d(v[0], o); }, {leaf(x)}));
}

TEST(Pool, Float32MatchesFloat64) {
  test::reseed(27);
  Tensor x = uniform({2, 2, 7, 6});
  const Pool2dOptions o = pool_options(3, 2, 1, true, false);
  EXPECT_TRUE(test::tensors_near(max_pool2d(x.to(kFloat32), o), max_pool2d(x, o), 1e-7));
  EXPECT_TRUE(test::tensors_near(avg_pool2d(x.to(kFloat32), o), avg_pool2d(x, o), 1e-6));
}

TEST(Pool, EmptyBatch) {
  Tensor x = leaf(zeros({0, 2, 4, 4}, kFloat64));
  MaxPool2dResult m = max_pool2d_with_indices(x, pool_options(2));
  EXPECT_EQ(m.values.shape(), (Shape{0, 2, 2, 2}));
  EXPECT_EQ(m.indices.shape(), (Shape{0, 2, 2, 2}));
  Tensor a = avg_pool2d(x, pool_options(2));
  EXPECT_EQ(a.shape(), (Shape{0, 2, 2, 2}));
  (m.values.sum() + a.sum()).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 2, 4, 4}));
}

// ---- 5. bad input ---------------------------------------------------------------------------

TEST(Pool, BadInput) {
  Tensor x = zeros({1, 2, 4, 4});
  for (const char* op : {"max_pool2d", "avg_pool2d"}) {
    SCOPED_TRACE(op);
    const bool is_max = std::string(op) == "max_pool2d";
    auto pool = [is_max](const Tensor& t, const Pool2dOptions& o) {
      return is_max ? max_pool2d(t, o) : avg_pool2d(t, o);
    };
    EXPECT_THROWS_WITH(pool(x, pool_options({0, 2})), op, "kernel_size", "(0, 2)");
    EXPECT_THROWS_WITH(pool(x, Pool2dOptions{}), op, "kernel_size", "(0, 0)");
    EXPECT_THROWS_WITH(pool(x, pool_options(2, -1)), op, "stride", "(-1, -1)");
    EXPECT_THROWS_WITH(pool(x, pool_options(2, {0, 2})), op, "stride", "(0, 2)");
    // Padding more than half the kernel, in either dim, or negative.
    EXPECT_THROWS_WITH(pool(x, pool_options(3, 1, 2)), op, "padding (2, 2)", "half",
                       "kernel (3, 3)");
    EXPECT_THROWS_WITH(pool(x, pool_options(3, 1, {2, 1})), op, "padding (2, 1)", "half");
    EXPECT_THROWS_WITH(pool(x, pool_options(3, 1, {1, 2})), op, "padding (1, 2)", "half");
    EXPECT_THROWS_WITH(pool(x, pool_options({4, 2}, 1, {2, 2})), op, "padding (2, 2)", "half",
                       "(4, 2)");
    EXPECT_THROWS_WITH(pool(x, pool_options(2, 1, {0, -1})), op, "padding (0, -1)");
    // A window larger than the (padded) input.
    EXPECT_THROWS_WITH(pool(zeros({1, 1, 3, 3}), pool_options(5)), op, "5x5", "[1, 1, 3, 3]");
    // (3 - 4) / 2 + 1 rounds down to 0 windows (not toward zero to 1), in either dim.
    EXPECT_THROWS_WITH(pool(zeros({1, 1, 3, 5}), pool_options({4, 2}, 2)), op, "4x2",
                       "[1, 1, 3, 5]");
    EXPECT_THROWS_WITH(pool(zeros({1, 1, 5, 3}), pool_options({2, 4}, 2)), op, "2x4",
                       "[1, 1, 5, 3]");
    EXPECT_THROWS_WITH(pool(zeros({1, 1, 3, 3}), pool_options({2, 6}, 1, {1, 1})), op, "2x6",
                       "[1, 1, 3, 3]");
    // Ranks and types.
    EXPECT_THROWS_WITH(pool(zeros({4, 4}), pool_options(2)), op, "[4, 4]");
    EXPECT_THROWS_WITH(pool(zeros({1, 1, 1, 4, 4}), pool_options(2)), op, "[1, 1, 1, 4, 4]");
    EXPECT_THROWS_WITH(pool(zeros({1, 2, 4, 4}, kInt64), pool_options(2)), op, "int64",
                       "[1, 2, 4, 4]");
    EXPECT_THROWS_WITH(pool(Tensor(), pool_options(2)), op, "undefined");
    // One image [C, H, W]: messages show the shape given, not the batch of one.
    EXPECT_THROWS_WITH(pool(zeros({1, 3, 3}), pool_options(5)), op, "input [1, 3, 3] ");
    EXPECT_THROWS_WITH(pool(zeros({2, 4, 4}, kInt64), pool_options(2)), op, "[2, 4, 4] int64");
  }
  EXPECT_THROWS_WITH(max_pool2d_with_indices(zeros({4, 4}), pool_options(2)), "max_pool2d",
                     "[4, 4]");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(PoolRows, MaxAndAveragePooling) {
  const Tensor x = test::uniform({2, 3, 9, 10});
  struct Case {
    Pool2dOptions o;
    bool cpu_vendor_avg, cuda_vendor;  // the vendors describe the shape exactly
  };
  const std::vector<Case> cases = {
      {{.kernel_size = 2}, true, true},
      {{.kernel_size = 3, .stride = 2}, true, true},
      {{.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true}, false, false},
      {{.kernel_size = {2, 3}, .stride = {1, 2}, .padding = {1, 1}, .count_include_pad = false},
       true,
       true},
  };
  for (const Case& c : cases) {
    const Pool2dOptions o = c.o;
    using V = std::vector<std::string>;
    test::expect_rows(
        OpFamily::Pool, "max_pool2d", [o](auto& in) { return max_pool2d(in[0], o); }, {x},
        {.cpu_vendor_ops = V{"max_pool2d", "max_pool2d_backward"},
         .cuda_vendor_ops = c.cuda_vendor ? V{"max_pool2d", "max_pool2d_backward"} : V{}});
    test::expect_rows(
        OpFamily::Pool, "avg_pool2d", [o](auto& in) { return avg_pool2d(in[0], o); }, {x},
        {.cpu_vendor_ops = c.cpu_vendor_avg ? V{"avg_pool2d", "avg_pool2d_backward"} : V{},
         .cuda_vendor_ops = c.cuda_vendor ? V{"avg_pool2d", "avg_pool2d_backward"} : V{}});
  }
}

TEST(PoolRows, MaxPoolWithIndicesRunsOursOnEveryDevice) {
  // The vendor paths keep no indices: max_pool2d_with_indices runs our kernels whatever
  // the setting, and its indices agree with the reference's.
  const Tensor x = test::uniform({2, 3, 9, 10}).to(kFloat32);
  const auto [ref_values, ref_indices] =
      max_pool2d_with_indices(x, {.kernel_size = 3, .stride = 2});
  set_impl(OpFamily::Pool, Impl::Vendor);
  for (const test::ImplRow& row : test::impl_rows()) {
    const auto [values, indices] =
        max_pool2d_with_indices(x.to(row.device), {.kernel_size = 3, .stride = 2});
    EXPECT_TRUE(test::tensors_near(values.to(kCPU), ref_values, 0, 0)) << row.name;
    EXPECT_EQ(indices.to(kCPU).to_vector<int64_t>(), ref_indices.to_vector<int64_t>()) << row.name;
  }
  set_impl(OpFamily::Pool, Impl::Auto);
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table pool_bad_input() {
  Table t;
  const Pool2dOptions k2{.kernel_size = 2};
  using PoolFn = std::function<Tensor(const Tensor&, const Pool2dOptions&)>;
  const std::vector<std::pair<std::string, PoolFn>> pools = {
      {"max_pool2d", [](const Tensor& x, const Pool2dOptions& o) { return max_pool2d(x, o); }},
      {"max_pool2d_with_indices",
       [](const Tensor& x, const Pool2dOptions& o) {
         return max_pool2d_with_indices(x, o).values;
       }},
      {"avg_pool2d", [](const Tensor& x, const Pool2dOptions& o) { return avg_pool2d(x, o); }},
  };
  for (const auto& [name, f] : pools) {
    // max_pool2d_with_indices reports as max_pool2d.
    const std::string op = name == "avg_pool2d" ? "avg_pool2d:" : "max_pool2d";
    t.err("rank", name + " of a 2-D input",
          [f = f, k2] {
            f(F({4, 4}), k2);
          },
          {op, "[N, C, H, W]", "[4, 4] float32"});
    t.err("size", name + " with kernel_size 0",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 0});
          },
          {op, "kernel_size must be at least 1", "(0, 0)"});
    t.err("size", name + " with a negative kernel",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = Int2(2, -1)});
          },
          {op, "(2, -1)"});
    t.err("size", name + " with a negative stride",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 2, .stride = -1});
          },
          {op, "stride must be at least 1", "(-1, -1)"});
    t.err("size", name + " with negative padding",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 2, .padding = -1});
          },
          {op, "padding (-1, -1)", "non-negative"});
    t.err("size", name + " with padding over half the kernel",
          [f = f] {
            f(F({1, 1, 4, 4}), {.kernel_size = 2, .padding = 2});
          },
          {op, "padding (2, 2)", "half the kernel (2, 2)"});
    t.err("shape", name + " with a window larger than the input",
          [f = f] {
            f(F({1, 1, 3, 3}), {.kernel_size = 5});
          },
          {op, "5x5", "[1, 1, 3, 3]"});
    t.err("dtype", name + " of int64",
          [f = f, k2] {
            f(L({1, 1, 4, 4}), k2);
          },
          {op, "[1, 1, 4, 4] int64"});
    t.val("empty", name + " of an empty batch", [f = f, k2] {
      return is(f(F({0, 1, 4, 4}), k2), {0, 1, 2, 2});
    });
    t.val("empty", name + " of zero channels", [f = f, k2] {
      return is(f(F({2, 0, 4, 4}), k2), {2, 0, 2, 2});
    });
    t.err("empty", name + " of an empty plane",
          [f = f, k2] {
            f(F({1, 1, 0, 4}), k2);
          },
          {op, "[1, 1, 0, 4]"});
  }
  t.val("nonfinite", "max_pool2d: NaN wins its window", [] {
    Tensor x =
        V({1, kNaN, 3, 4, 5, 6, 7, 8, -kInf, -kInf, -kInf, -kInf, 1, 2, 3, kInf}, {1, 1, 4, 4});
    return is(max_pool2d(x, {.kernel_size = 2}), {1, 1, 2, 2}, {kNaN, 8, 2, kInf});
  });
  t.val("nonfinite", "max_pool2d_with_indices points at the NaN", [] {
    Tensor x = V({1, kNaN, 3, 4}, {1, 1, 2, 2});
    return is(max_pool2d_with_indices(x, {.kernel_size = 2}).indices, {1, 1, 1, 1}, {1});
  });
  t.val("nonfinite", "avg_pool2d with inf and NaN", [] {
    Tensor x = V({1, kInf, 3, 4, 1, 1, kNaN, 1}, {1, 1, 2, 4});
    return is(avg_pool2d(x, {.kernel_size = 2}), {1, 1, 1, 2}, {kInf, kNaN});
  });
  return t;
}

TEST(PoolBadInput, Table) { run_table(pool_bad_input()); }

}  // namespace gpunn::bad_input
