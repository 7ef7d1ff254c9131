// Weight initializers, in place, with gradient recording off (so they work on
// leaf parameters that require grad). Random ones draw from `generator`, or the
// default generator (gpunn::manual_seed) when null, so a seed fixes the result.
//
// Fans of a weight with dims >= 2 (Linear [out, in], Conv2d [out, in, kH, kW]):
//   receptive = product of dims 2..; fan_in = size(1) · receptive;
//   fan_out = size(0) · receptive. 0-D and 1-D tensors have no fans: the
//   fan-based initializers throw gpunn::Error for them.
//
//   normal_:          N(mean, std²); the default std = 0.01 is the "small random
//                     numbers, never all zero" rule for breaking symmetry
//   uniform_:         U(a, b)
//   xavier_uniform_:  U(−r, r), r = gain · √(6 / (fan_in + fan_out))
//   xavier_normal_:   N(0, σ²), σ = gain · √(2 / (fan_in + fan_out))
//                     (Glorot & Bengio, AISTATS 2010)
//   kaiming_uniform_: U(−r, r), r = √3 · gain / √fan     (He et al., ICCV 2015)
//   kaiming_normal_:  N(0, σ²), σ = gain / √fan
//                     fan = fan_in (FanMode::FanIn, preserves forward variance)
//                     or fan_out (FanMode::FanOut, backward); gain from
//                     calculate_gain(nonlinearity, a), a = leaky_relu's slope
//   zeros_, ones_, constant_
//
// calculate_gain: linear, conv, sigmoid → 1; tanh → 5/3; relu → √2;
//   leaky_relu(a) → √(2 / (1 + a²)); selu → 3/4 (PyTorch's values).
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn::nn::init {

enum class Nonlinearity { Linear, Conv, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };
enum class FanMode { FanIn, FanOut };

double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);

struct Fans {
  int64_t fan_in;
  int64_t fan_out;
};
Fans calculate_fan_in_and_fan_out(const Tensor& weight);

// Each returns its argument (a handle to the same storage).
Tensor normal_(const Tensor& t, double mean = 0.0, double std = 0.01,
               Generator* generator = nullptr);
Tensor uniform_(const Tensor& t, double a = 0.0, double b = 1.0, Generator* generator = nullptr);
Tensor constant_(const Tensor& t, double value);
Tensor zeros_(const Tensor& t);
Tensor ones_(const Tensor& t);
Tensor xavier_uniform_(const Tensor& t, double gain = 1.0, Generator* generator = nullptr);
Tensor xavier_normal_(const Tensor& t, double gain = 1.0, Generator* generator = nullptr);
// Defaults as in PyTorch: a = 0 with leaky_relu, i.e. the ReLU gain √2.
Tensor kaiming_uniform_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                        Generator* generator = nullptr);
Tensor kaiming_normal_(const Tensor& t, double a = 0.0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                       Generator* generator = nullptr);

}  // namespace gpunn::nn::init

GPUNN_API_END
