// Matrix products: matmul (every rank combination, batch broadcasting,
// transposed and strided operands) and linear (1-D, 2-D and 3-D inputs, with
// and without bias).
//
// Same parts as every op test file (see elementwise_test.cpp): hand-checked
// forward values in float32 and float64; values and gradients against fixed
// float64 references; gradient and JVP checks in double; edge cases (empty
// and zero-length inner dims, expanded operands); bad input.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
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
using test::values_near;

// Tolerances against the float64 references: gpunn accumulates in a different
// order than the reference's BLAS, so not bit-exact.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

class LinalgTyped : public ::testing::TestWithParam<DType> {};

TEST_P(LinalgTyped, HandChecked) {
  const DType dt = GetParam();
  // Small integers: exact in float32 too.
  Tensor a = tensor({1, 2, 3, 4}, {2, 2}, dt);
  Tensor b = tensor({5, 6, 7, 8}, {2, 2}, dt);
  EXPECT_TRUE(values_near(matmul(a, b), {19, 22, 43, 50}, 0));
  EXPECT_TRUE(values_near(matmul(a.t(), b), {26, 30, 38, 44}, 0));
  EXPECT_TRUE(values_near(matmul(tensor({1, 2, 3}, dt), tensor({4, 5, 6}, dt)), {32}, 0));
  EXPECT_EQ(matmul(tensor({1, 2, 3}, dt), tensor({4, 5, 6}, dt)).dim(), 0);
  EXPECT_TRUE(values_near(matmul(tensor({1, -1}, dt), a), {-2, -2}, 0));
  EXPECT_TRUE(values_near(matmul(a, tensor({1, -1}, dt)), {-1, -1}, 0));
  EXPECT_TRUE(values_near(a.matmul(b), {19, 22, 43, 50}, 0));
  // y = x Wᵀ + b.
  Tensor x = tensor({1, 2, 3, 4}, {2, 2}, dt);
  Tensor w = tensor({1, 0, 0, 1, 1, 1}, {3, 2}, dt);
  Tensor bias = tensor({0.5, -1, 2}, dt);
  EXPECT_TRUE(values_near(linear(x, w, bias), {1.5, 1, 5, 3.5, 3, 9}, 0));
  EXPECT_TRUE(values_near(linear(x, w), {1, 2, 3, 3, 4, 7}, 0));
  EXPECT_TRUE(values_near(linear(tensor({1, 2}, dt), w, bias), {1.5, 1, 5}, 0));
  EXPECT_EQ(linear(tensor({1, 2}, dt), w, bias).shape(), (Shape{3}));
  EXPECT_EQ(linear(x, w).dtype(), dt);
}

TEST_P(LinalgTyped, HandCheckedGradients) {
  const DType dt = GetParam();
  // z = a b with dz = ones: da = dz bᵀ (row sums of b), db = aᵀ dz (column sums of a).
  Tensor a = test::leaf(tensor({1, 2, 3, 4}, {2, 2}, dt));
  Tensor b = test::leaf(tensor({5, 6, 7, 8}, {2, 2}, dt));
  matmul(a, b).sum().backward();
  EXPECT_TRUE(values_near(a.grad(), {11, 15, 11, 15}, 0));
  EXPECT_TRUE(values_near(b.grad(), {4, 4, 6, 6}, 0));
  // linear: dx = dy W, dW = dyᵀ x, db = Σ dy.
  Tensor x = test::leaf(tensor({1, 2, 3, 4}, {2, 2}, dt));
  Tensor w = test::leaf(tensor({1, 0, 0, 1, 1, 1}, {3, 2}, dt));
  Tensor bias = test::leaf(tensor({0.5, -1, 2}, dt));
  linear(x, w, bias).backward(tensor({1, 0, 2, 0, 1, 1}, {2, 3}, dt));
  EXPECT_TRUE(values_near(x.grad(), {3, 2, 1, 2}, 0));
  EXPECT_TRUE(values_near(w.grad(), {1, 2, 3, 4, 5, 8}, 0));
  EXPECT_TRUE(values_near(bias.grad(), {1, 1, 3}, 0));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LinalgTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

struct LinalgCase {
  std::string name;
  std::function<Tensor(const std::vector<Tensor>&)> f;
  std::vector<Tensor> inputs;
  Tensor upstream;
  Shape shape;
  std::vector<double> y;
  std::vector<std::vector<double>> grads;  // one per input
};

// Expected values from PyTorch 1.13 in float64: y = f(inputs) (torch.matmul,
// F.linear, with the same transposes and slices); y.backward(upstream) -> y and
// every input's grad. Transposed and sliced operands are views of the leaves,
// so their gradients arrive in the leaves' layout.
TEST(Linalg, MatchesTorchReference) {
  const std::vector<LinalgCase> cases = {
      {"dot [4]@[4]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({-0.7, -1.4, 0.6, -1.71}, {4}, kFloat64),
        tensor({0.14, -0.54, -1.77, 0.03}, {4}, kFloat64)},
       scalar_tensor(-1.85, kFloat64),
       {},
       {-0.45530000000000004},
       {{-0.25900000000000006, 0.9990000000000001, 3.2745, -0.0555}, {1.295, 2.59, -1.11, 3.1635}}},
      {"[3]@[3,4]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({-0.27, -1.72, -1.64}, {3}, kFloat64),
        tensor({-0.3, 1.31, -1.5, -1.11, 0.51, 1.79, 0.31, -0.41, 1.91, -1.81, 1.43, -0.84}, {3, 4},
               kFloat64)},
       tensor({-1.42, -1.53, -0.77, 1.26}, {4}, kFloat64),
       {4},
       {-3.9285999999999994, -0.4641000000000002, -2.4734, 2.3825},
       {{-1.8219000000000003, -4.2182, -2.1023999999999994},
        {0.3834, 0.4131, 0.20790000000000003, -0.3402, 2.4423999999999997, 2.6316, 1.3244, -2.1672,
         2.3287999999999998, 2.5092, 1.2628, -2.0664}}},
      {"[2,3]@[3]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({-1.28, 0.33, 0.56, -0.51, 0.19, -1.75}, {2, 3}, kFloat64),
        tensor({-1.76, -1.18, 0.72}, {3}, kFloat64)},
       tensor({-0.29, -0.74}, {2}, kFloat64),
       {2},
       {2.2666000000000004, -0.5865999999999999},
       {{0.5104, 0.34219999999999995, -0.20879999999999999, 1.3024, 0.8732, -0.5327999999999999},
        {0.7485999999999999, -0.2363, 1.1325999999999998}}},
      {"[2,3]@[3,4]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({0.34, -0.19, -0.8, 1.18, 0.8, -1.02}, {2, 3}, kFloat64),
        tensor({0.3, 0.1, 1.5, 0.92, -0.85, 1.92, -1.53, -0.33, 1.03, -1.39, -0.04, -1.84}, {3, 4},
               kFloat64)},
       tensor({0.67, 1.06, 0.29, 1.5, -0.75, 0.78, 0.38, 0.32}, {2, 4}, kFloat64),
       {2, 4},
       {-0.5605, 0.7811999999999999, 0.8327, 1.8475000000000001, -1.3766, 3.0717999999999996,
        0.5867999999999998, 2.6984},
       {{2.122, 0.527, -3.5549, 0.7174, 1.4481000000000002, -2.4607},
        {-0.6572, 1.2808000000000002, 0.5469999999999999, 0.8876, -0.7273000000000001,
         0.4226000000000001, 0.24890000000000007, -0.029000000000000026, 0.22899999999999998,
         -1.6436000000000002, -0.6195999999999999, -1.5264000000000002}}},
      {"[1,3]@[3,1]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({-0.18, 1.36, 1.78}, {1, 3}, kFloat64),
        tensor({-0.1, 0.66, -1.76}, {3, 1}, kFloat64)},
       tensor({0.81}, {1, 1}, kFloat64),
       {1, 1},
       {-2.2172},
       {{-0.08100000000000002, 0.5346000000000001, -1.4256000000000002},
        {-0.1458, 1.1016000000000001, 1.4418000000000002}}},
      {"batched [2,1,2,3]@[3,3,2]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({0.59, 1.97, 1.29, -0.86, -0.46, 0.67, -1.91, -0.15, -1.33, -1.53, -1.76, 1.07},
               {2, 1, 2, 3}, kFloat64),
        tensor({-1.48, -1.01, -0.44, 1.49, -1.68, -0.2, 0.2, 1.53, 1.28, 1.46, -0.89, -0.34, -0.56,
                1.54, 1.83, -1.4, -1.3, -1.07},
               {3, 3, 2}, kFloat64)},
       tensor({-1.07, -0.06, 0.36, -0.95, -1.98, -0.32, -0.52, 0.27, 1.81,  0.76, 0.06,  0.47,
               0.7,   -1.78, 1.6,  1.12,  1.5,   1.19,  -0.43, -0.4, -1.59, 0.54, -1.75, -1.73},
              {2, 3, 2, 2}, kFloat64),
       {2, 3, 2, 2},
       {-3.9071999999999996,
        2.0814,
        0.3495999999999999,
        0.04920000000000002,
        1.4914999999999996,
        3.3402999999999996,
        -1.3571,
        -2.2152000000000003,
        1.5977000000000001,
        -3.2297000000000002,
        -1.2312000000000003,
        -1.3973,
        5.1272,
        1.9716,
        1.2412,
        -1.2910999999999997,
        0.6096999999999999,
        -2.6891,
        -3.5111000000000003,
        -5.2743,
        2.5241000000000002,
        -1.3082999999999996,
        -3.755,
        -1.0371000000000004},
       {{0.9154000000000001, -0.3718999999999997, 0.5143999999999997, 1.4260000000000002, -2.3935,
         -0.6246999999999999, 4.604500000000001, -2.9685, -1.0703999999999996, -5.881400000000001,
         -0.9501000000000003, 1.7327999999999997},
        {-4.7259, 2.4677999999999995, -5.1945, -1.3854000000000002, -0.35809999999999975,
         2.8519000000000005, -2.9280999999999997, -2.0819, -3.1296, -0.22909999999999986,
         -5.357700000000001, -2.2426, 6.730700000000001, 1.6597, 6.8566, 4.2448, 2.6173, -1.274}}},
      {"batched [2,2,3]@[2,3,2]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({-1.16, -1.35, -0.64, -1.79, -2.0, -1.39, -1.59, -0.55, -1.9, 1.5, 0.46, -1.41},
               {2, 2, 3}, kFloat64),
        tensor({-0.99, -0.61, -0.54, -1.51, 1.4, 1.97, -0.14, -0.06, -1.66, -1.59, -0.63, -0.94},
               {2, 3, 2}, kFloat64)},
       tensor({1.32, -1.35, -1.91, 1.8, 0.11, -1.41, 0.17, -1.89}, {2, 2, 2}, kFloat64),
       {2, 2, 2},
       {0.9814, 1.4852999999999998, 0.9061000000000003, 1.3736000000000006, 2.3326000000000002,
        2.7559, -0.08530000000000004, 0.5039999999999999},
       {{-0.48329999999999995, 1.3256999999999999, -0.8115000000000001, 0.7928999999999997,
         -1.6865999999999999, 0.8719999999999999, 0.0692, 2.0593, 1.2561, 0.08959999999999999,
         2.7229, 1.6694999999999998},
        {1.8877, -1.656, 2.0379999999999994, -1.7774999999999999, 1.8100999999999994,
         -1.6379999999999997, 0.0801, -0.5931000000000002, 0.0177, -0.09389999999999998, -0.4487,
         5.3439}}},
      {"batched [2,2,3]@[3,2] (shared b)",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({0.11, 1.91, 1.45, 0.78, -0.96, -0.53, -1.33, 1.09, 0.13, 1.12, -0.68, -1.11},
               {2, 2, 3}, kFloat64),
        tensor({1.25, 1.94, 1.41, 1.22, 1.27, 0.96}, {3, 2}, kFloat64)},
       tensor({-1.09, 0.07, -0.58, -1.88, -1.89, -0.88, -0.96, 0.77}, {2, 2, 2}, kFloat64),
       {2, 2, 2},
       {4.6721, 3.9356, -1.0516999999999999, -0.16679999999999995, 0.03949999999999984, -1.1256,
        -0.9685, 0.27759999999999985},
       {{-1.2267000000000001, -1.4515, -1.3171000000000002, -4.372199999999999, -3.1113999999999997,
         -2.5413999999999994, -4.0697, -3.7384999999999997, -3.2451, 0.29380000000000006,
         -0.4141999999999999, -0.4800000000000001},
        {0.8661999999999999, 0.5741000000000003, -2.9324000000000003, 0.45569999999999955,
         -0.4531999999999998, 0.1287999999999997}}},
      {"[3]@[2,3,2]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({1.83, -0.21, 1.75}, {3}, kFloat64),
        tensor({1.95, 1.82, -0.54, -1.12, -1.09, -1.21, -1.18, 0.5, 1.6, 1.36, -0.08, 0.61},
               {2, 3, 2}, kFloat64)},
       tensor({1.2, -1.66, 0.64, 1.64}, {2, 2}, kFloat64),
       {2, 2},
       {1.7744, 1.4483000000000006, -2.6353999999999997, 1.6968999999999999},
       {{-0.6164, 4.4656, 1.6498},
        {2.196, -3.0378, -0.252, 0.34859999999999997, 2.1, -2.905, 1.1712, 3.0012, -0.1344, -0.3444,
         1.12, 2.8699999999999997}}},
      {"[2,2,3]@[3]",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1]); },
       {tensor({1.13, 1.0, -0.09, -1.29, 1.16, -0.67, 1.2, 1.89, -0.42, -0.39, 1.79, 0.9},
               {2, 2, 3}, kFloat64),
        tensor({-1.32, -1.49, -1.4}, {3}, kFloat64)},
       tensor({1.62, 1.23, -1.42, 1.31}, {2, 2}, kFloat64),
       {2, 2},
       {-2.8556000000000004, 0.9124000000000001, -3.8121, -3.4123},
       {{-2.1384000000000003, -2.4138, -2.268, -1.6236000000000002, -1.8327, -1.722, 1.8744,
         2.1157999999999997, 1.9879999999999998, -1.7292, -1.9519, -1.8339999999999999},
        {-1.971, 2.7079000000000004, 0.8054999999999999}}},
      {"transposed A.t()@B.t()",
       [](const std::vector<Tensor>& v) { return matmul(v[0].t(), v[1].t()); },
       {tensor({1.92, 0.63, -0.6, 0.19, -1.48, -1.94}, {3, 2}, kFloat64),
        tensor({1.88, 0.6, 0.11, 1.73, -0.26, 1.49, 1.3, -1.16, -0.99, -0.83, -1.04, 0.35}, {4, 3},
               kFloat64)},
       tensor({-0.96, -0.32, -1.48, 1.64, -0.58, -0.17, 0.33, 1.62}, {2, 4}, kFloat64),
       {2, 4},
       {3.0867999999999998, 1.2723999999999998, 4.6572000000000005, -1.4876, 1.085,
        -1.8500999999999999, 2.5191999999999997, -1.3995},
       {{-5.643599999999999, -2.3000999999999996, -0.48160000000000003, -2.3714, 1.4567999999999999,
         -0.07680000000000009},
        {-2.2086, 0.4658, 2.546, -0.7214999999999999, 0.1597, 0.8034000000000001,
         -2.6336999999999997, 0.9507, 1.5501999999999998, 4.1693999999999996, -0.6761999999999999,
         -5.57}}},
      {"transposed [2,3]@B.t()",
       [](const std::vector<Tensor>& v) { return matmul(v[0], v[1].t()); },
       {tensor({-0.32, 1.67, 0.01, 0.13, 0.09, -1.93}, {2, 3}, kFloat64),
        tensor({-0.24, -1.27, -1.98, 1.2, -1.31, -0.11, 0.9, 0.23, -0.7, 0.07, 0.22, 1.14}, {4, 3},
               kFloat64)},
       tensor({-1.58, 0.24, -1.01, -0.89, 1.09, 0.03, 0.25, 1.04}, {2, 4}, kFloat64),
       {2, 4},
       {-2.0639, -2.5728, 0.08909999999999996, 0.3564, 3.6758999999999995, 0.25039999999999996,
        1.4887, -2.1712999999999996},
       {{-0.30410000000000004, 1.2641000000000002, 2.7943999999999996, 0.07220000000000001,
         -1.1372999999999998, -1.1509},
        {0.6473000000000001, -2.5404999999999998, -2.1195, -0.07289999999999999,
         0.40349999999999997, -0.055499999999999994, 0.3557, -1.6642, -0.4926, 0.42000000000000004,
         -1.3927, -2.0161000000000002}}},
      {"batched transposed",
       [](const std::vector<Tensor>& v) { return matmul(v[0].transpose(-1, -2), v[1]); },
       {tensor({1.65, -0.23, 0.45, 0.02, 0.05, 0.77, -0.19, 0.13, -0.09, 1.77, 0.8, 1.51},
               {2, 3, 2}, kFloat64),
        tensor({1.77, -0.96, 0.24, 1.77, 1.36, -1.45}, {3, 2}, kFloat64)},
       tensor({-1.51, -0.23, -1.71, -1.04, -1.71, 0.68, 1.14, 1.59}, {2, 2, 2}, kFloat64),
       {2, 2, 2},
       {3.0965, -0.8599999999999999, 0.6449000000000001, -0.8603000000000001, 0.7301000000000001,
        -1.1368999999999998, 2.7085000000000004, 0.8186000000000004},
       {{-2.4518999999999997, -2.0282999999999998, -0.7695000000000001, -2.2512,
         -1.7201000000000004, -0.8176000000000001, -3.6795, 0.49139999999999984, 0.7932,
         3.0879000000000003, -3.3116000000000003, -0.7550999999999999},
        {-1.6250999999999998, -0.06279999999999997, 1.458, 2.6288000000000005, -1.0388000000000002,
         2.1326}}},
      {"batched both transposed",
       [](const std::vector<Tensor>&
              v) { return matmul(v[0].transpose(1, 2), v[1].transpose(1, 2)); },
       {tensor({-1.38, 0.86, 0.64, -1.43, 1.53, 1.87, -1.12, 1.81, -0.41, -0.05, 1.96, 1.33},
               {2, 3, 2}, kFloat64),
        tensor({-1.35, -0.27, 0.06,  -0.64, -1.22, -0.73, 0.89,  -1.92, 0.22,  -0.24, -1.93, -0.67,
                0.5,   0.05,  -1.74, 1.94,  1.15,  1.89,  -1.58, -0.94, -1.84, 1.12,  -0.92, -1.48},
               {2, 4, 3}, kFloat64)},
       tensor({-0.31, 1.65, 1.28, -0.97, -1.4, 1.68, 0.28, 0.8, -1.64, -1.77, 0.75, -0.3, -1.71,
               1.75, 0.54, 1.21},
              {2, 2, 4}, kFloat64),
       {2, 2, 4},
       {1.782, -1.0145, -2.1204, -1.9291000000000003, -0.6627000000000001, -0.17090000000000005,
        3.9223999999999997, 1.3005999999999995, -3.9909, 1.0600999999999998, -1.4514, -3.778,
        -1.4117, 5.9676, -5.26, 0.10479999999999978},
       {{0.7345, 0.8720000000000001, -2.5148, -3.7532, -0.29159999999999975, -1.7848,
         -5.774800000000001, 3.042, -2.5465, 0.3061999999999998, -1.4277000000000004, 3.4985},
        {-0.7762,
         1.8035999999999999,
         -3.0923,
         -0.8321999999999998,
         -1.3463999999999996,
         5.6661,
         -1.5255999999999998,
         0.4188,
         2.482,
         2.0265999999999997,
         -1.7648,
         0.011900000000000244,
         -1.2583,
         0.7578999999999999,
         -5.4887,
         5.149900000000001,
         0.6382,
         -1.1416999999999997,
         0.13739999999999997,
         -0.3345,
         2.1882,
         2.5261,
         0.062499999999999986,
         1.0213}}},
      {"strided slice",
       [](const std::vector<Tensor>& v) { return matmul(v[0].slice(1, 0, 6, 2), v[1]); },
       {tensor({-1.67, 1.42, -1.73, 1.45, -0.18, -0.64, 0.21, 1.71, -0.93, -1.48, 0.11, -1.05},
               {2, 6}, kFloat64),
        tensor({-1.56, -1.35, -1.8, -1.19, -0.75, -0.78}, {3, 2}, kFloat64)},
       tensor({1.04, -0.84, 0.0, -1.29}, {2, 2}, kFloat64),
       {2, 2},
       {5.8542, 4.4536, 1.2639, 0.7373999999999999},
       {{-0.48839999999999995, 0.0, -0.8724000000000002, 0.0, -0.12480000000000002, 0.0,
         1.7415000000000003, 0.0, 1.5351, 0.0, 1.0062, 0.0},
        {-1.7368, 1.1319, -1.7992000000000001, 2.6529, -0.1872, 0.009300000000000003}}},
      {"linear 1-D",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
       {tensor({-0.61, -1.93, -1.0, -1.94}, {4}, kFloat64),
        tensor({0.93, 0.2, -1.24, -0.1, 1.74, -1.57, 1.28, -0.27, -0.02, 1.34, -0.43, 0.03}, {3, 4},
               kFloat64),
        tensor({0.75, 1.93, -0.63}, {3}, kFloat64)},
       tensor({1.33, 0.83, 0.54}, {3}, kFloat64),
       {3},
       {1.2307, 3.1425, -2.8322},
       {{2.6702999999999997, -0.3134999999999998, -0.819, -0.3409},
        {-0.8113, -2.5669, -1.33, -2.5802, -0.5063, -1.6018999999999999, -0.83, -1.6101999999999999,
         -0.3294, -1.0422, -0.54, -1.0476},
        {1.33, 0.83, 0.54}}},
      {"linear 1-D no bias",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1]); },
       {tensor({-0.38, -0.61, -1.78, -1.48}, {4}, kFloat64),
        tensor({-1.72, 0.96, -0.98, -1.35, -1.66, 1.37, 1.48, 0.68, -0.87, -1.03, -0.83, -0.16},
               {3, 4}, kFloat64)},
       tensor({-1.37, -0.22, -0.95}, {3}, kFloat64),
       {3},
       {3.8103999999999996, -3.8457, 2.6731000000000003},
       {{3.5481000000000007, -0.6381000000000001, 1.8054999999999999, 1.8519000000000003},
        {0.5206000000000001, 0.8357, 2.4386, 2.0276, 0.08360000000000001, 0.13419999999999999,
         0.3916, 0.3256, 0.361, 0.5795, 1.6909999999999998, 1.406}}},
      {"linear 2-D",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
       {tensor({1.85, 1.89, 0.19, -1.02, 1.86, -0.76, -0.57, -2.0}, {2, 4}, kFloat64),
        tensor({-0.47, -0.1, 0.01, -1.2, 0.02, -1.98, -0.94, -1.64, -0.4, -1.83, -1.91, -0.78},
               {3, 4}, kFloat64),
        tensor({-1.07, 0.34, 0.12}, {3}, kFloat64)},
       tensor({1.0, 0.63, 0.86, 1.52, -0.44, -0.7}, {2, 3}, kFloat64),
       {2, 3},
       {-0.9026000000000001, -1.8710000000000002, -3.645999999999999, 0.5260999999999998,
        5.697799999999999, 3.4154999999999998},
       {{-0.8014, -2.9212000000000002, -2.2247999999999997, -2.904, -0.4432, 2.0002, 1.7658,
         -0.5563999999999999},
        {4.677200000000001, 0.7347999999999999, -0.6763999999999999, -4.0600000000000005,
         0.34709999999999996, 1.5251, 0.37049999999999994, 0.23739999999999994, 0.2889999999999999,
         2.1574, 0.5624, 0.5227999999999999},
        {2.52, 0.19, 0.16000000000000003}}},
      {"linear 2-D no bias",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1]); },
       {tensor({1.94, -1.4, 0.9, 0.57, -1.82, 1.34, 1.57, 0.51}, {2, 4}, kFloat64),
        tensor({0.94, 1.25, -1.44, 0.1, 0.02, 1.34, 1.22, 1.31, 0.34, 1.57, 0.73, 0.77}, {3, 4},
               kFloat64)},
       tensor({-1.08, -1.88, -1.47, -0.56, -1.58, 1.34}, {2, 3}, kFloat64),
       {2, 3},
       {-1.1654000000000002, 0.007500000000000062, -0.4424999999999998, -2.2455999999999996,
        4.342700000000001, 3.0238},
       {{-1.5526000000000002, -6.1771, -1.8114999999999994, -3.7027, -0.10239999999999988,
         -0.7134000000000005, -0.1429999999999999, -1.0940000000000003},
        {-1.076, 0.7615999999999999, -1.8512000000000002, -0.9012, -0.7715999999999994,
         0.5147999999999993, -4.1726, -1.8774, -5.2905999999999995, 3.8536, 0.7808000000000002,
         -0.15449999999999986}}},
      {"linear 3-D",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
       {tensor({0.23, 0.51, 0.5, 0.72, -0.04, -1.99, 1.19, 0.99, 0.01, 0.14, 0.64, -1.74, 0.95,
                -0.99, -1.7, -0.94},
               {2, 2, 4}, kFloat64),
        tensor({0.92, -1.18, 0.96, 1.9, -0.02, -0.47, -0.08, 0.73, 1.07, 0.47, 0.57, -1.69}, {3, 4},
               kFloat64),
        tensor({-1.41, -0.98, 0.97}, {3}, kFloat64)},
       tensor({-0.78, 0.27, -1.95, -1.76, -0.92, 0.69, 0.77, 0.7, -0.84, 0.07, -0.14, -0.13},
              {2, 2, 3}, kFloat64),
       {2, 2, 3},
       {0.04779999999999984, -0.7387, 0.524, 3.9247999999999994, 0.5836000000000001,
        -1.0029000000000001, -4.2576, -2.3674, 4.3519, -2.7858, -1.0838999999999999,
        2.1407999999999996},
       {{-2.8095, -0.123, -1.8819, 2.0105999999999997, -0.8625, 2.8335, -1.2227000000000001,
         -5.1817, -0.20440000000000003, -1.6324, 0.20440000000000008, 3.3935999999999997,
         -0.07189999999999999, -0.07790000000000001, 0.004300000000000012, 0.2505},
        {-0.0348, 3.1431, -2.1106000000000003, -3.7095999999999996, -0.027099999999999985, 2.2051,
         -0.27380000000000004, -1.8028000000000002, -0.6080000000000001, -2.3565,
         -0.47050000000000003, 0.8629},
        {-1.7, -0.09000000000000008, -2.23}}},
      {"linear 3-D no bias",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1]); },
       {tensor({-1.53, 1.57, -1.2, 1.91, 1.75, -1.93, -0.16, 1.28, 1.87, -0.2, -0.93, -1.16, 1.78,
                -1.16, 0.33, -1.43},
               {2, 2, 4}, kFloat64),
        tensor({0.1, 1.81, -1.47, 1.28, 0.03, 1.55, 0.81, -1.07, 1.59, -0.06, -1.9, -1.99}, {3, 4},
               kFloat64)},
       tensor({-0.03, -0.2, -0.79, -1.44, -0.62, -0.74, 1.36, -1.99, 1.0, 1.36, -1.52, 1.71},
              {2, 2, 3}, kFloat64),
       {2, 2, 3},
       {6.8975, -0.6280999999999999, -4.0478000000000005, -1.4447000000000003, -4.4382, 0.6551,
        -0.29269999999999996, 0.23399999999999999, 7.0607, -4.2371, 0.05280000000000018, 5.1185},
       {{-1.2651000000000001, -0.31690000000000007, 1.3830999999999998, 1.7477, -1.3392000000000002,
         -3.5229999999999997, 3.0206, 0.29279999999999995, 1.6663000000000001, -0.6829000000000001,
         -5.511100000000001, 1.8801000000000003, 2.8093, 0.0029999999999999194, -6.4794,
         -0.0356999999999994},
        {2.4899000000000004, 0.8824999999999996, -0.5496000000000001, -5.4229, -7.2059,
         3.0437999999999996, 1.6883000000000001, 3.3064, 4.827500000000001, -1.9957, 0.7007,
         -6.061400000000001}}},
      {"linear transposed weight",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1].t(), v[2]); },
       {tensor({0.85, 1.61, -0.84, -0.51, -0.43, 2.0, 0.36, -0.56}, {2, 4}, kFloat64),
        tensor({-0.29, -0.9, -1.81, -1.59, 1.34, -0.86, 1.74, -1.0, -0.94, 0.04, -1.24, -0.51},
               {4, 3}, kFloat64),
        tensor({1.82, 1.54, 1.25}, {3}, kFloat64)},
       tensor({0.52, 1.65, 1.76, 0.2, 0.88, -1.8}, {2, 3}, kFloat64),
       {2, 3},
       {-2.4684000000000004, 4.4048, -0.6234000000000001, -0.6313000000000001, 4.9414,
        0.25549999999999984},
       {{-4.8214, -0.12940000000000018, -2.3995999999999995, -2.9228, 2.408, 2.4092000000000002,
         1.16, -0.1651999999999999},
        {0.356, 1.0240999999999998, 2.27, 1.2372, 4.4165, -0.7664, -0.3648, -1.0692, -2.1264,
         -0.3772, -1.3343, 0.11040000000000016},
        {0.72, 2.53, -0.040000000000000036}}},
      {"linear one feature",
       [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); },
       {tensor({0.93, -0.2, 1.01}, {3, 1}, kFloat64), tensor({0.58, -0.86}, {2, 1}, kFloat64),
        tensor({-1.8, 1.71}, {2}, kFloat64)},
       tensor({-1.49, -0.11, -0.63, -0.81, 0.96, 1.91}, {3, 2}, kFloat64),
       {3, 2},
       {-1.2606000000000002, 0.9101999999999999, -1.916, 1.882, -1.2142, 0.8413999999999999},
       {{-0.7696, 0.3312, -1.0857999999999999},
        {-0.2901, 1.9888000000000001},
        {-1.1600000000000001, 0.9899999999999999}}},
  };
  for (const LinalgCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<Tensor> leaves;
    for (const Tensor& t : c.inputs) leaves.push_back(test::leaf(t));
    Tensor y = c.f(leaves);
    EXPECT_EQ(y.shape(), c.shape);
    EXPECT_TRUE(values_near(y, c.y, kRefAtol, kRefRtol));
    y.backward(c.upstream);
    ASSERT_EQ(leaves.size(), c.grads.size());
    for (size_t i = 0; i < leaves.size(); ++i) {
      SCOPED_TRACE("gradient of input " + std::to_string(i));
      ASSERT_TRUE(leaves[i].grad().defined());
      EXPECT_EQ(leaves[i].grad().shape(), leaves[i].shape());
      EXPECT_TRUE(values_near(leaves[i].grad(), c.grads[i], kRefAtol, kRefRtol));
    }
  }
}

TEST(Linalg, Float32AgreesWithFloat64) {
  test::reseed(41);
  const std::vector<Tensor> in64 = {test::uniform({3, 4, 5}), test::uniform({5, 6}),
                                    test::uniform({5}), test::uniform({3, 4, 6})};
  std::vector<Tensor> a, b;
  for (const Tensor& t : in64) {
    a.push_back(test::leaf(t));
    b.push_back(test::leaf(t.to(kFloat32)));
  }
  auto f = [](const std::vector<Tensor>& v) {
    return matmul(v[0], v[1]).sum() + linear(v[3], v[1], v[2]).sum() * 0.5;
  };
  Tensor ya = f(a), yb = f(b);
  EXPECT_EQ(yb.dtype(), kFloat32);
  // float32 carries about 7 digits; these sums add up to ~100 products.
  EXPECT_TRUE(values_near(yb, ya.to_vector<double>(), 1e-5, 1e-5));
  ya.backward();
  yb.backward();
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(b[i].grad().dtype(), kFloat32);
    EXPECT_TRUE(test::tensors_near(b[i].grad(), a[i].grad(), 1e-5, 1e-5));
  }
}

TEST(Linalg, MatmulDerivatives) {
  test::reseed(42);
  const std::vector<std::pair<Shape, Shape>> pairs = {{{1}, {1}},
                                                      {{5}, {5}},
                                                      {{3}, {3, 2}},
                                                      {{2, 3}, {3}},
                                                      {{1, 1}, {1, 1}},
                                                      {{3, 1}, {1, 4}},
                                                      {{2, 3}, {3, 5}},
                                                      {{1, 2, 3}, {4, 3, 2}},
                                                      {{2, 1, 3}, {2, 3, 2}},
                                                      {{3, 2, 3}, {3, 2}},
                                                      {{3}, {2, 3, 1}},
                                                      {{2, 1, 2, 3}, {1, 3, 3, 2}}};
  for (const auto& [sa, sb] : pairs) {
    SCOPED_TRACE(::testing::PrintToString(sa) + " @ " + ::testing::PrintToString(sb));
    Tensor a = test::leaf(test::uniform(sa));
    Tensor b = test::leaf(test::uniform(sb));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return matmul(v[0], v[1]); }, {a, b}));
  }
  // Transposed and strided operands, and an operand used twice.
  Tensor a = test::leaf(test::uniform({4, 3}));
  Tensor b = test::leaf(test::uniform({5, 4}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return matmul(v[0].t(), v[1].t()); }, {a, b}));
  EXPECT_TRUE(
      derivatives_ok([](const auto& v) { return matmul(v[1].slice(0, 0, 5, 2), v[0]); }, {a, b}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return matmul(v[0].t(), v[0]); }, {a}));
  Tensor batch = test::leaf(test::uniform({2, 5, 3}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return matmul(v[1], v[0].t()); }, {a, batch}));
}

TEST(Linalg, LinearDerivatives) {
  test::reseed(43);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{4}, {3, 4}}, {{1, 4}, {5, 4}}, {{3, 4}, {1, 4}}, {{2, 3, 4}, {5, 4}}, {{3, 1}, {2, 1}}};
  for (const auto& [sx, sw] : cases) {
    SCOPED_TRACE(::testing::PrintToString(sx) + " weight " + ::testing::PrintToString(sw));
    Tensor x = test::leaf(test::uniform(sx));
    Tensor w = test::leaf(test::uniform(sw));
    Tensor b = test::leaf(test::uniform({sw[0]}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return linear(v[0], v[1], v[2]); }, {x, w, b}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return linear(v[0], v[1]); }, {x, w}));
    // Only some inputs require grad.
    EXPECT_TRUE(
        derivatives_ok([&](const auto& v) { return linear(x.detach(), v[0], v[1]); }, {w, b}));
    EXPECT_TRUE(
        derivatives_ok([&](const auto& v) { return linear(v[0], w.detach(), b.detach()); }, {x}));
  }
  // A transposed weight (a non-contiguous view).
  Tensor x = test::leaf(test::uniform({2, 4}));
  Tensor wt = test::leaf(test::uniform({4, 3}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return linear(v[0], v[1].t()); }, {x, wt}));
}

TEST(Linalg, LayoutDoesNotChangeResults) {
  // Transposed, sliced and expanded operands against their contiguous copies.
  test::reseed(44);
  const Tensor a = test::uniform({7, 5}), b = test::uniform({6, 7});
  EXPECT_TRUE(test::tensors_near(matmul(a.t(), b.t()),
                                 matmul(a.t().contiguous(), b.t().contiguous()), 1e-15));
  const Tensor wide = test::uniform({5, 12});  // slice: [5, 4] with strides (12, 3)
  const Tensor rhs4 = test::uniform({4, 2});
  EXPECT_TRUE(test::tensors_near(matmul(wide.slice(1, 1, 12, 3), rhs4),
                                 matmul(wide.slice(1, 1, 12, 3).contiguous(), rhs4), 1e-15));
  // An expanded operand: every batch entry reads the same matrix, and its
  // gradient is summed over the batch.
  Tensor m = test::leaf(test::uniform({3, 4}));
  Tensor batch = test::uniform({2, 5, 3});
  Tensor z = matmul(batch, m.expand({2, 3, 4}));
  EXPECT_TRUE(test::tensors_near(z, matmul(batch, m.detach()), 1e-15));
  z.sum().backward();
  Tensor expected = matmul(batch.transpose(1, 2), ones({2, 5, 4}, kFloat64)).sum({0});
  EXPECT_TRUE(test::tensors_near(m.grad(), expected, 1e-14));
  // A batch of transposed matrices (strides (12, 1, 3)).
  Tensor bt = test::uniform({2, 4, 3}).transpose(1, 2);
  Tensor rhs = test::uniform({4, 2});
  EXPECT_TRUE(test::tensors_near(matmul(bt, rhs), matmul(bt.contiguous(), rhs), 1e-15));
  // A transposed matrix shared by every batch entry (passed with the transpose flag).
  Tensor w = test::uniform({4, 3});
  Tensor lhs = test::uniform({2, 5, 3});
  EXPECT_TRUE(test::tensors_near(matmul(lhs, w.t()), matmul(lhs, w.t().contiguous()), 1e-15));
}

TEST(Linalg, EmptyAndZeroInnerDims) {
  // K = 0: a sum over nothing is 0, and the gradients are empty.
  Tensor a = test::leaf(zeros({2, 0}, kFloat64));
  Tensor b = test::leaf(zeros({0, 3}, kFloat64));
  Tensor z = matmul(a, b);
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_TRUE(values_near(z, std::vector<double>(6, 0.0), 0));
  z.sum().backward();
  EXPECT_EQ(a.grad().shape(), (Shape{2, 0}));
  EXPECT_EQ(b.grad().shape(), (Shape{0, 3}));
  EXPECT_EQ(matmul(zeros({0}, kFloat64), zeros({0}, kFloat64)).item(), 0.0);
  // M = 0 and an empty batch.
  EXPECT_EQ(matmul(zeros({0, 3}, kFloat64), ones({3, 2}, kFloat64)).shape(), (Shape{0, 2}));
  EXPECT_EQ(matmul(zeros({0, 2, 3}, kFloat64), ones({3, 2}, kFloat64)).shape(), (Shape{0, 2, 2}));
  // linear with no rows: the weight's gradient is 0, the bias's too.
  Tensor x = test::leaf(zeros({0, 4}, kFloat64));
  Tensor w = test::leaf(ones({3, 4}, kFloat64));
  Tensor bias = test::leaf(ones({3}, kFloat64));
  Tensor y = linear(x, w, bias);
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  y.sum().backward();
  EXPECT_TRUE(values_near(w.grad(), std::vector<double>(12, 0.0), 0));
  EXPECT_TRUE(values_near(bias.grad(), {0, 0, 0}, 0));
  // linear with no input features: y = bias, and only the bias has a gradient.
  Tensor x0 = test::leaf(zeros({2, 0}, kFloat64));
  Tensor w0 = test::leaf(zeros({3, 0}, kFloat64));
  Tensor b0 = test::leaf(tensor({1, 2, 3}, kFloat64));
  Tensor y0 = linear(x0, w0, b0);
  EXPECT_TRUE(values_near(y0, {1, 2, 3, 1, 2, 3}, 0));
  y0.sum().backward();
  EXPECT_EQ(x0.grad().shape(), (Shape{2, 0}));
  EXPECT_EQ(w0.grad().shape(), (Shape{3, 0}));
  EXPECT_TRUE(values_near(b0.grad(), {2, 2, 2}, 0));
}

TEST(Linalg, BadInput) {
  const Tensor a = zeros({2, 3}, kFloat64);
  EXPECT_THROWS_WITH(matmul(a, zeros({4, 5}, kFloat64)), "matmul", "[2, 3]", "[4, 5]", "3 vs 4");
  EXPECT_THROWS_WITH(matmul(zeros({3}, kFloat64), zeros({4}, kFloat64)), "matmul", "[3]", "[4]");
  EXPECT_THROWS_WITH(matmul(zeros({3}, kFloat64), zeros({4, 2}, kFloat64)), "matmul", "3 vs 4");
  EXPECT_THROWS_WITH(matmul(a, zeros({2}, kFloat64)), "matmul", "3 vs 2");
  EXPECT_THROWS_WITH(matmul(zeros({2, 2, 3}, kFloat64), zeros({3, 3, 2}, kFloat64)), "matmul",
                     "[2]", "[3]", "broadcast");
  EXPECT_THROWS_WITH(matmul(scalar_tensor(1.0, kFloat64), zeros({2}, kFloat64)), "matmul",
                     "at least 1 dim", "[]");
  EXPECT_THROWS_WITH(matmul(zeros({2, 3}), zeros({3, 2}, kFloat64)), "matmul", "float32",
                     "float64");
  EXPECT_THROWS_WITH(matmul(zeros({2, 3}, kInt64), zeros({3, 2}, kInt64)), "matmul", "int64");
  EXPECT_THROWS_WITH(matmul(a, Tensor()), "matmul", "undefined");
  const Tensor w = zeros({3, 4}, kFloat64);
  EXPECT_THROWS_WITH(linear(zeros({2, 5}, kFloat64), w), "linear", "input has 5 features",
                     "weight expects 4", "[2, 5]", "[3, 4]");
  EXPECT_THROWS_WITH(linear(zeros({5}, kFloat64), w), "linear", "input has 5 features");
  EXPECT_THROWS_WITH(linear(zeros({2, 4}, kFloat64), zeros({4}, kFloat64)), "linear", "weight",
                     "[4]");
  EXPECT_THROWS_WITH(linear(zeros({2, 4}, kFloat64), w, zeros({4}, kFloat64)), "linear", "bias",
                     "[3]", "[4]");
  EXPECT_THROWS_WITH(linear(zeros({2, 4}, kFloat64), w, zeros({3})), "linear", "bias", "float32",
                     "float64");
  EXPECT_THROWS_WITH(linear(zeros({2, 4}), w), "linear", "float32", "float64");
  EXPECT_THROWS_WITH(linear(zeros({2, 4}, kInt64), zeros({3, 4}, kInt64)), "linear", "int64");
  EXPECT_THROWS_WITH(linear(scalar_tensor(1.0, kFloat64), w), "linear", "at least 1 dim");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(GemmRows, MatmulAndLinear) {
  const auto G = OpFamily::Gemm;
  // float32 products of up to ~1000 terms against float64: the tolerance covers rounding.
  const test::RowOptions o{
      .atol = 1e-4, .rtol = 1e-4, .cpu_vendor_ops = {"matmul"}, .cuda_vendor_ops = {"matmul"}};
  // Sizes that are not multiples of any tile: every CUDA kernel's tile choice; the last is
  // big enough for the 128-bit-load variants, with partial tiles in M and N and a K that
  // ends in half a slice.
  for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{
           {1, 1, 1}, {37, 19, 53}, {300, 70, 260}, {1032, 44, 1028}}) {
    const std::string s =
        " " + std::to_string(M) + "x" + std::to_string(K) + "x" + std::to_string(N);
    test::expect_rows(
        G, "matmul" + s, [](auto& in) { return matmul(in[0], in[1]); },
        {test::uniform({M, K}), test::uniform({K, N})}, o);
    test::expect_rows(
        G, "matmul of transposes" + s,
        [](auto& in) { return matmul(in[0].transpose(0, 1), in[1].transpose(0, 1)); },
        {test::uniform({K, M}), test::uniform({N, K})}, o);
    test::expect_rows(G, "linear" + s, [](auto& in) { return linear(in[0], in[1], in[2]); },
                      {test::uniform({M, K}), test::uniform({N, K}), test::uniform({N})},
                      {.atol = 1e-4,
                       .rtol = 1e-4,
                       .cpu_vendor_ops = {"linear", "linear_backward"},
                       .cuda_vendor_ops = {"linear", "linear_backward"}});
  }
  test::expect_rows(
      G, "batched, broadcast", [](auto& in) { return matmul(in[0], in[1]); },
      {test::uniform({3, 1, 9, 7}), test::uniform({4, 7, 5})}, o);
}

// The ReLU epilogue (FusedActivation::ReLU): gradient and JVP against finite differences.
// Random inputs put no output within the finite-difference step of ReLU's kink at 0.
TEST(Linalg, LinearReluEpilogueDerivatives) {
  test::reseed(44);
  for (const auto& [sx, sw] :
       std::vector<std::pair<Shape, Shape>>{{{3, 6}, {5, 6}}, {{2, 3, 4}, {7, 4}}, {{6}, {4, 6}}}) {
    SCOPED_TRACE(::testing::PrintToString(sx) + " weight " + ::testing::PrintToString(sw));
    const Tensor x = test::leaf(test::uniform(sx)), w = test::leaf(test::uniform(sw));
    const Tensor b = test::leaf(test::uniform({sw[0]}));
    const auto f = [](const std::vector<Tensor>& v) {
      return linear(v[0], v[1], v.size() > 2 ? v[2] : Tensor(), FusedActivation::ReLU);
    };
    // Some outputs are clipped and some pass, or the case checks half of the rule.
    const std::vector<double> y = f({x, w, b}).to_vector<double>();
    EXPECT_GT(std::count(y.begin(), y.end(), 0.0), 0);
    EXPECT_GT(std::count_if(y.begin(), y.end(), [](double v) { return v > 0.0; }), 0);
    EXPECT_TRUE(derivatives_ok(f, {x, w, b}));
    EXPECT_TRUE(derivatives_ok(f, {x, w}));
  }
}

TEST(GemmRows, LinearReluEpilogue) {
  // float32 sums of 70 terms against float64: the tolerance covers rounding.
  for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{{37, 19, 53}, {300, 70, 260}}) {
    test::expect_rows(OpFamily::Gemm, "linear with the ReLU epilogue " + std::to_string(M),
                      [](auto& in) { return linear(in[0], in[1], in[2], FusedActivation::ReLU); },
                      {test::uniform({M, K}), test::uniform({N, K}), test::uniform({N})},
                      {.atol = 1e-4,
                       .rtol = 1e-4,
                       .cpu_vendor_ops = {"linear", "linear_backward"},
                       .cuda_vendor_ops = {"linear", "linear_backward"}});
  }
}

// The fused op gives relu(linear(...)) bit for bit on every row and dtype, output and
// gradients (the epilogue applies ReLU before the one rounding, which commutes with it;
// backward runs relu's own rule on the same output), and keeps NaN where relu does.
TEST(GemmRows, ReluEpilogueEqualsSeparateReluBitwise) {
  for (const test::ImplRow& row : test::impl_rows())
    for (DType dtype : {kFloat32, kFloat64, kBFloat16, kFloat16}) {
      SCOPED_TRACE(row.name + " " + dtype_name(dtype));
      const test::EveryFamilyImpl setting(row.setting);
      test::reseed(22);
      const Tensor x0 = test::uniform({33, 24}), w0 = test::uniform({40, 24});
      const Tensor b0 = test::uniform({40}), r0 = test::uniform({33, 40});
      struct Out {
        Tensor y, dx, dw, db;
      };
      auto run = [&](bool fused) {
        const Tensor x = test::leaf(x0.to(dtype).to(row.device));
        const Tensor w = test::leaf(w0.to(dtype).to(row.device));
        const Tensor b = test::leaf(b0.to(dtype).to(row.device));
        const Tensor y = fused ? linear(x, w, b, FusedActivation::ReLU) : relu(linear(x, w, b));
        sum(mul(y, r0.to(dtype).to(row.device))).backward();
        return Out{y.detach(), x.grad(), w.grad(), b.grad()};
      };
      LaunchTrace trace;
      const Out fused = run(true);
      EXPECT_EQ(trace.count("relu"), 0);
      const Out separate = run(false);
      EXPECT_TRUE(values_near(fused.y, separate.y.to_vector<double>(), 0.0));
      EXPECT_TRUE(values_near(fused.dx, separate.dx.to_vector<double>(), 0.0));
      EXPECT_TRUE(values_near(fused.dw, separate.dw.to_vector<double>(), 0.0));
      EXPECT_TRUE(values_near(fused.db, separate.db.to_vector<double>(), 0.0));
      const std::vector<double> y = fused.y.to_vector<double>();
      EXPECT_GT(std::count(y.begin(), y.end(), 0.0), 0);  // the epilogue clipped something

      // NaN in row 5 of the input reaches that row's outputs, fused or not; NaN in bias 7
      // reaches column 7.
      std::vector<double> xv = x0.to_vector<double>(), bv = b0.to_vector<double>();
      xv[5 * 24 + 3] = std::numeric_limits<double>::quiet_NaN();
      bv[7] = std::numeric_limits<double>::quiet_NaN();
      const Tensor xd = tensor(xv, x0.shape(), kFloat64).to(dtype).to(row.device);
      const Tensor bd = tensor(bv, b0.shape(), kFloat64).to(dtype).to(row.device);
      const Tensor wd = w0.to(dtype).to(row.device);
      const std::vector<double> yf = linear(xd, wd, bd, FusedActivation::ReLU).to_vector<double>();
      const std::vector<double> ys = relu(linear(xd, wd, bd)).to_vector<double>();
      int nans = 0;
      for (size_t i = 0; i < yf.size(); ++i) {
        ASSERT_EQ(std::isnan(yf[i]), std::isnan(ys[i])) << "element " << i;
        nans += std::isnan(yf[i]) ? 1 : 0;
      }
      EXPECT_EQ(nans, 40 + 33 - 1);  // row 5 and column 7
    }
}

TEST(GemmRows, Tf32IsOffByDefault) {
  GPUNN_REQUIRE_GPU();
  EXPECT_FALSE(allow_tf32());
  // Strict FP32: cuBLAS agrees with the CPU to float32 rounding on a 256-deep product.
  Tensor a = test::uniform({64, 256}).to(kFloat32), b = test::uniform({256, 64}).to(kFloat32);
  set_impl(OpFamily::Gemm, Impl::Vendor);
  Tensor gpu = matmul(a.to(Device::cuda(0)), b.to(Device::cuda(0))).to(kCPU);
  set_impl(OpFamily::Gemm, Impl::Auto);
  EXPECT_TRUE(test::tensors_near(gpu, matmul(a, b), 1e-4, 1e-5));
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table gemm_bad_input() {
  Table t;
  t.err("shape", "matmul [2, 3] @ [4, 5]",
        [] {
          matmul(F({2, 3}), F({4, 5}));
        },
        {"matmul:", "[2, 3]", "[4, 5]"});
  t.err("shape", "matmul of vectors of different lengths", [] { matmul(F({3}), F({4})); },
        {"matmul:", "[3]", "[4]", "equal lengths"});
  t.err("shape", "matmul [3] @ [4, 2]", [] { matmul(F({3}), F({4, 2})); }, {"matmul:", "[4, 2]"});
  t.err("shape", "matmul [2, 3] @ [4]", [] { matmul(F({2, 3}), F({4})); }, {"matmul:", "[2, 3]"});
  t.err("shape", "matmul with batch dims that do not broadcast",
        [] {
          matmul(F({2, 2, 3}), F({3, 3, 4}));
        },
        {"matmul:", "[2, 2, 3]", "[3, 3, 4]"});
  t.err("rank", "matmul of a 0-D operand", [] { matmul(F({}), F({3})); },
        {"matmul:", "at least 1 dim", "[] float32"});
  t.err("dtype", "matmul float32 @ float64",
        [] {
          matmul(F({2, 2}), D({2, 2}));
        },
        {"matmul:", "float64", "float32", "different dtypes"});
  t.err("dtype", "matmul of int64",
        [] {
          matmul(L({2, 2}), L({2, 2}));
        },
        {"matmul:", "[2, 2] int64"});
  t.val("empty", "matmul [0, 3] @ [3, 4]", [] { return is(matmul(F({0, 3}), F({3, 4})), {0, 4}); });
  t.val("empty", "matmul [2, 0] @ [0, 4] is zeros", [] {
    return is(matmul(F({2, 0}), F({0, 4})), {2, 4}, std::vector<double>(8, 0.0));
  });
  t.val("empty", "matmul [0] @ [0] is 0", [] { return is(matmul(F({0}), F({0})), {}, {0}); });
  t.val("nonfinite", "matmul with NaN and inf", [] {
    return is(matmul(V({kNaN, 1, kInf, 1}, {2, 2}), V({1, 0, 0, 1}, {2, 2})), {2, 2},
              {kNaN, kNaN, kInf, kNaN});
  });

  t.err("shape", "linear with the wrong in_features",
        [] {
          linear(F({2, 5}), F({3, 4}));
        },
        {"linear:", "5 features", "[2, 5]", "[3, 4]"});
  t.err("rank", "linear with a 1-D weight",
        [] {
          linear(F({2, 4}), F({4}));
        },
        {"linear:", "weight", "[4] float32"});
  t.err("rank", "linear of a 0-D input",
        [] {
          linear(F({}), F({3, 1}));
        },
        {"linear:", "at least 1 dim", "[] float32"});
  t.err("shape", "linear with the wrong bias",
        [] {
          linear(F({2, 4}), F({3, 4}), F({4}));
        },
        {"linear:", "bias", "[3]", "[4] float32"});
  t.err("dtype", "linear float64 input, float32 weight",
        [] {
          linear(D({2, 4}), F({3, 4}));
        },
        {"linear:", "float32", "float64"});
  t.err("dtype", "linear with a float64 bias",
        [] {
          linear(F({2, 4}), F({3, 4}), D({3}));
        },
        {"linear:", "bias", "float64"});
  t.err("dtype", "linear of int64",
        [] {
          linear(L({2, 4}), F({3, 4}));
        },
        {"linear:", "[2, 4] int64"});
  t.val("empty", "linear of an empty batch", [] {
    return is(linear(F({0, 4}), F({3, 4}), F({3})), {0, 3});
  });
  t.val("empty", "linear with in_features 0 gives the bias", [] {
    return is(linear(F({2, 0}), F({3, 0}), V({1, 2, 3}, {3})), {2, 3}, {1, 2, 3, 1, 2, 3});
  });
  return t;
}

TEST(GemmBadInput, Table) { run_table(gemm_bad_input()); }

}  // namespace gpunn::bad_input
