// An activation fused into an op's epilogue: conv2d(x, w, b, {.activation =
// FusedActivation::ReLU}) and linear(x, w, b, FusedActivation::ReLU) give relu(conv2d(x, w,
// b)) and relu(linear(x, w, b)), the same values (ReLU applied to the sum in the compute
// type before the one rounding, which equals rounding first: rounding is monotone and keeps
// 0 and NaN), without a separate pass over the output and without keeping the
// pre-activation tensor for backward (ReLU's derivative is read from the output). NaN stays
// NaN, as in gpunn's relu. nn::Sequential uses them for a Conv2d or a Linear followed by a
// ReLU.
#pragma once

#include <gpunn/export.h>

GPUNN_API_BEGIN

namespace gpunn {

enum class FusedActivation { None, ReLU };

}  // namespace gpunn

GPUNN_API_END
