// Convolution cases for the tests that call kernels directly (tests/ops/conv_math_test.cpp,
// tests/cuda/conv_variants_test.cpp): the shapes of a conv2d call and the kernels' form.
#pragma once

#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <string>

#include "kernels/conv.h"

namespace gpunn::test {

struct ConvCase {
  Shape x, w;  // [N, C, H, W], [K, C/groups, R, S]
  Conv2dFuncOptions o;
};

// The kernels' shape of conv2d(x, w) with these options.
inline kernels::Conv2dShape conv_shape(const ConvCase& c) {
  kernels::Conv2dShape s;
  s.N = c.x[0], s.C = c.x[1], s.H = c.x[2], s.W = c.x[3];
  s.K = c.w[0], s.R = c.w[2], s.S = c.w[3];
  s.stride_h = c.o.stride.h, s.stride_w = c.o.stride.w;
  s.pad_h = c.o.padding.h, s.pad_w = c.o.padding.w;
  s.dil_h = c.o.dilation.h, s.dil_w = c.o.dilation.w;
  s.groups = c.o.groups;
  s.P = (s.H + 2 * s.pad_h - s.dil_h * (s.R - 1) - 1) / s.stride_h + 1;
  s.Q = (s.W + 2 * s.pad_w - s.dil_w * (s.S - 1) - 1) / s.stride_w + 1;
  return s;
}

// "[2, 3, 9, 8] * [4, 3, 3, 3] stride 1,1 pad 0,0 dil 1,1 groups 1", for SCOPED_TRACE.
inline std::string conv_case_name(const ConvCase& c) {
  auto pair = [](Int2 v) { return std::to_string(v.h) + "," + std::to_string(v.w); };
  return ::testing::PrintToString(c.x) + " * " + ::testing::PrintToString(c.w) + " stride " +
         pair(c.o.stride) + " pad " + pair(c.o.padding) + " dil " + pair(c.o.dilation) +
         " groups " + std::to_string(c.o.groups);
}

}  // namespace gpunn::test
