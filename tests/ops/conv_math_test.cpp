// The index arithmetic of the implicit-GEMM convolutions (kernels/conv_math.h), on the CPU:
//   1. every element each pass's A reads, for every (group, row, step) of every shape the
//      conv tests use, against direct enumeration of the convolution's formula;
//   2. the three GEMMs evaluated with these indices (as the CUDA kernel does, tile by tile
//      aside) give conv2d's output and both gradients, against the reference loops.
// The CUDA kernel that uses them is tested on a GPU (tests/cuda/conv_variants_test.cpp).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/conv_math.h"
#include "ops/conv_cases.h"
#include "test_util.h"

namespace gpunn {
namespace {

namespace cm = kernels::conv_math;
using kernels::Conv2dShape;

using ShapeCase = test::ConvCase;

// The shapes of tests/ops/conv_test.cpp and tests/vendor/onednn_test.cpp, and a few more:
// strides larger than the kernel, padding larger than the kernel, every dilation.
std::vector<ShapeCase> cases() {
  return {
      {{1, 1, 1, 1}, {1, 1, 1, 1}, {}},
      {{2, 3, 5, 5}, {4, 3, 3, 3}, {.padding = 1}},
      {{1, 3, 7, 5}, {2, 3, 3, 2}, {.stride = 2}},
      {{1, 4, 5, 4},
       {2, 2, 2, 3},
       {.stride = {2, 1}, .padding = {0, 1}, .dilation = {2, 1}, .groups = 2}},
      {{2, 3, 4, 4}, {3, 1, 3, 3}, {.padding = 1, .groups = 3}},
      {{2, 3, 3, 2}, {5, 3, 1, 1}, {.stride = 2}},
      {{1, 2, 3, 3}, {2, 2, 3, 3}, {}},
      {{1, 2, 5, 5}, {3, 2, 3, 3}, {.padding = 2, .dilation = 2}},
      {{1, 1, 2, 3}, {2, 1, 2, 2}, {.stride = 3, .padding = 3}},
      {{2, 3, 9, 8}, {4, 3, 3, 3}, {}},
      {{2, 3, 11, 11}, {6, 3, 5, 3}, {.stride = {2, 1}, .padding = {2, 1}}},
      {{1, 4, 10, 9}, {6, 2, 3, 3}, {.padding = 2, .dilation = 2, .groups = 2}},
      {{3, 3, 23, 23}, {8, 3, 11, 11}, {.stride = 4, .padding = 2}},
      {{2, 5, 10, 9}, {4, 5, 4, 2}, {.stride = 3}},
      {{1, 2, 9, 7}, {2, 2, 2, 2}, {.stride = 4, .padding = 1, .dilation = 3}},
  };
}

Conv2dShape shape_of(const ShapeCase& c) { return test::conv_shape(c); }
std::string name(const ShapeCase& c) { return test::conv_case_name(c); }

// The x element of image n, channel ch, at window position (p, q) and tap (r, t), or -1.
int64_t x_direct(const Conv2dShape& s, int64_t n, int64_t ch, int64_t p, int64_t q, int64_t r,
                 int64_t t) {
  const int64_t h = p * s.stride_h - s.pad_h + r * s.dil_h;
  const int64_t w = q * s.stride_w - s.pad_w + t * s.dil_w;
  if (h < 0 || h >= s.H || w < 0 || w >= s.W) return -1;
  return ((n * s.C + ch) * s.H + h) * s.W + w;
}

TEST(ConvMath, ForwardReadsWhatTheFormulaSays) {
  for (const ShapeCase& c : cases()) {
    SCOPED_TRACE(name(c));
    const Conv2dShape s = shape_of(c);
    const cm::GemmSize size = cm::fwd_size(s);
    const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
    ASSERT_EQ(size.M, s.N * s.P * s.Q);
    ASSERT_EQ(size.N, Kg);
    ASSERT_EQ(size.T, Cg * s.R * s.S);
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t n = 0; n < s.N; ++n)
        for (int64_t p = 0; p < s.P; ++p)
          for (int64_t q = 0; q < s.Q; ++q) {
            const int64_t m = (n * s.P + p) * s.Q + q;
            const cm::FwdRow row = cm::fwd_row(s, g, m);
            for (int64_t c2 = 0; c2 < Cg; ++c2)
              for (int64_t r = 0; r < s.R; ++r)
                for (int64_t t = 0; t < s.S; ++t) {
                  const int64_t step = (c2 * s.R + r) * s.S + t;
                  ASSERT_EQ(cm::fwd_x_index(s, row, cm::fwd_step(s, step)),
                            x_direct(s, n, g * Cg + c2, p, q, r, t))
                      << "g " << g << " m " << m << " t " << step;
                }
            for (int64_t k = 0; k < Kg; ++k)
              ASSERT_EQ(cm::fwd_y_index(s, row, g, k),
                        ((n * s.K + g * Kg + k) * s.P + p) * s.Q + q);
          }
  }
}

TEST(ConvMath, BackwardDataReadsWhatTheFormulaSays) {
  for (const ShapeCase& c : cases()) {
    SCOPED_TRACE(name(c));
    const Conv2dShape s = shape_of(c);
    const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t n = 0; n < s.N; ++n)
        for (int64_t h = 0; h < s.H; ++h)
          for (int64_t w = 0; w < s.W; ++w) {
            const int64_t m = (n * s.H + h) * s.W + w;
            const cm::BwdDataRow row = cm::bwd_data_row(s, g, m);
            for (int64_t k = 0; k < Kg; ++k)
              for (int64_t r = 0; r < s.R; ++r)
                for (int64_t t = 0; t < s.S; ++t) {
                  // The output position whose window reads x[n, ·, h, w] through tap (r, t),
                  // by enumeration: at most one.
                  int64_t want = -1;
                  for (int64_t p = 0; p < s.P; ++p)
                    for (int64_t q = 0; q < s.Q; ++q)
                      if (x_direct(s, n, 0, p, q, r, t) == (n * s.C * s.H + h) * s.W + w)
                        want = ((n * s.K + g * Kg + k) * s.P + p) * s.Q + q;
                  const int64_t step = (k * s.R + r) * s.S + t;
                  const cm::BwdDataStep st = cm::bwd_data_step(s, step);
                  ASSERT_EQ(cm::bwd_data_dy_index(s, row, st), want)
                      << "g " << g << " m " << m << " t " << step;
                  for (int64_t c2 = 0; c2 < Cg; ++c2)
                    ASSERT_EQ(cm::bwd_data_w_index(s, g, c2, st),
                              (((g * Kg + k) * Cg + c2) * s.R + r) * s.S + t);
                }
            for (int64_t c2 = 0; c2 < Cg; ++c2)
              ASSERT_EQ(cm::bwd_data_dx_index(s, row, g, c2),
                        ((n * s.C + g * Cg + c2) * s.H + h) * s.W + w);
          }
  }
}

TEST(ConvMath, BackwardWeightReadsWhatTheFormulaSays) {
  for (const ShapeCase& c : cases()) {
    SCOPED_TRACE(name(c));
    const Conv2dShape s = shape_of(c);
    const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t c2 = 0; c2 < Cg; ++c2)
        for (int64_t r = 0; r < s.R; ++r)
          for (int64_t t = 0; t < s.S; ++t) {
            const int64_t m = (c2 * s.R + r) * s.S + t;
            const cm::BwdWeightRow row = cm::bwd_weight_row(s, m);
            for (int64_t n = 0; n < s.N; ++n)
              for (int64_t p = 0; p < s.P; ++p)
                for (int64_t q = 0; q < s.Q; ++q) {
                  const int64_t step = (n * s.P + p) * s.Q + q;
                  const cm::BwdWeightStep st = cm::bwd_weight_step(s, step);
                  ASSERT_EQ(cm::bwd_weight_x_index(s, row, st, g),
                            x_direct(s, n, g * Cg + c2, p, q, r, t));
                  for (int64_t k = 0; k < Kg; ++k)
                    ASSERT_EQ(cm::bwd_weight_dy_index(s, st, g, k),
                              ((n * s.K + g * Kg + k) * s.P + p) * s.Q + q);
                }
            for (int64_t k = 0; k < Kg; ++k)
              ASSERT_EQ(cm::bwd_weight_dw_index(s, g, m, k),
                        (((g * Kg + k) * Cg + c2) * s.R + r) * s.S + t);
          }
  }
}

// The three passes as the kernels compute them, D = A·B per group with A and B read through
// the index functions, against conv2d and its gradients on the reference loops.
TEST(ConvMath, TheThreeGemmsAreTheConvolutionAndItsGradients) {
  test::reseed(7);
  for (const ShapeCase& c : cases()) {
    SCOPED_TRACE(name(c));
    const Conv2dShape s = shape_of(c);
    const Tensor x = test::leaf(test::uniform(c.x)), w = test::leaf(test::uniform(c.w));
    const Tensor y = conv2d(x, w, Tensor(), c.o);
    const Tensor dy = test::uniform(y.shape());
    y.backward(dy);
    const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>(),
                              dyv = dy.to_vector<double>();
    std::vector<double> out(y.numel()), dx(x.numel()), dw(w.numel());
    const int64_t Cg = s.C / s.groups;
    for (int64_t g = 0; g < s.groups; ++g) {
      const cm::GemmSize f = cm::fwd_size(s);
      for (int64_t m = 0; m < f.M; ++m) {
        const cm::FwdRow row = cm::fwd_row(s, g, m);
        for (int64_t k = 0; k < f.N; ++k) {
          double acc = 0.0;
          for (int64_t t = 0; t < f.T; ++t) {
            const int64_t i = cm::fwd_x_index(s, row, cm::fwd_step(s, t));
            if (i >= 0) acc += xv[i] * wv[cm::fwd_w_index(s, g, k, t)];
          }
          out[cm::fwd_y_index(s, row, g, k)] = acc;
        }
      }
      const cm::GemmSize d = cm::bwd_data_size(s);
      for (int64_t m = 0; m < d.M; ++m) {
        const cm::BwdDataRow row = cm::bwd_data_row(s, g, m);
        for (int64_t c2 = 0; c2 < d.N; ++c2) {
          double acc = 0.0;
          for (int64_t t = 0; t < d.T; ++t) {
            const cm::BwdDataStep st = cm::bwd_data_step(s, t);
            const int64_t i = cm::bwd_data_dy_index(s, row, st);
            if (i >= 0) acc += dyv[i] * wv[cm::bwd_data_w_index(s, g, c2, st)];
          }
          dx[cm::bwd_data_dx_index(s, row, g, c2)] = acc;
        }
      }
      const cm::GemmSize b = cm::bwd_weight_size(s);
      for (int64_t m = 0; m < b.M; ++m) {
        const cm::BwdWeightRow row = cm::bwd_weight_row(s, m);
        for (int64_t k = 0; k < b.N; ++k) {
          double acc = 0.0;
          for (int64_t t = 0; t < b.T; ++t) {
            const cm::BwdWeightStep st = cm::bwd_weight_step(s, t);
            const int64_t i = cm::bwd_weight_x_index(s, row, st, g);
            if (i >= 0) acc += xv[i] * dyv[cm::bwd_weight_dy_index(s, st, g, k)];
          }
          dw[cm::bwd_weight_dw_index(s, g, m, k)] = acc;
        }
      }
    }
    ASSERT_EQ(Cg * s.groups, s.C);
    EXPECT_TRUE(test::values_near(y, out, 1e-12, 1e-12)) << "forward";
    EXPECT_TRUE(test::values_near(x.grad(), dx, 1e-12, 1e-12)) << "backward data";
    EXPECT_TRUE(test::values_near(w.grad(), dw, 1e-12, 1e-12)) << "backward weight";
  }
}

}  // namespace
}  // namespace gpunn
