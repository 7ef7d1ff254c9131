// Weight initializers (gpunn/nn/init.h): draw a fresh tensor with the random
// factories, then copy it into the target with recording off.
#include <gpunn/autograd.h>
#include <gpunn/nn/init.h>

#include <cmath>

namespace gpunn::nn::init {
namespace {

void check_target(const char* op, const Tensor& t) {
  GPUNN_CHECK(t.defined(), op, ": the tensor is undefined");
  GPUNN_CHECK(t.is_floating_point(), op, ": expected a floating-point tensor, got ", t.shape(), " ",
              t.dtype());
}

Tensor fill_from(const Tensor& t, const Tensor& values) {
  NoGradGuard no_grad;
  Tensor target = t;
  target.copy_(values);
  return t;
}

double fan_for(const char* op, const Tensor& t, FanMode mode) {
  GPUNN_CHECK(t.defined() && t.dim() >= 2, op, ": fan in and fan out are defined for weights with ",
              "at least 2 dims (e.g. [out, in] or [out, in, kH, kW]), got ",
              t.defined() ? t.shape() : Shape{});
  const Fans f = calculate_fan_in_and_fan_out(t);
  const int64_t fan = mode == FanMode::FanIn ? f.fan_in : f.fan_out;
  GPUNN_CHECK(fan > 0, op, ": ", mode == FanMode::FanIn ? "fan_in" : "fan_out",
              " is 0 for a weight of shape ", t.shape());
  return static_cast<double>(fan);
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU:
      GPUNN_CHECK(std::isfinite(param), "calculate_gain: leaky_relu slope must be finite, got ",
                  param);
      return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::SELU:
      return 0.75;
  }
  GPUNN_ASSERT(false, "unknown nonlinearity");
}

Fans calculate_fan_in_and_fan_out(const Tensor& weight) {
  GPUNN_CHECK(
      weight.defined() && weight.dim() >= 2,
      "calculate_fan_in_and_fan_out: fans are defined for tensors with at least 2 dims, got ",
      weight.defined() ? weight.shape() : Shape{});
  int64_t receptive = 1;
  for (int64_t d = 2; d < weight.dim(); ++d) receptive *= weight.size(d);
  return {weight.size(1) * receptive, weight.size(0) * receptive};
}

Tensor normal_(const Tensor& t, double mean, double std, Generator* generator) {
  check_target("normal_", t);
  GPUNN_CHECK(std >= 0 && std::isfinite(std) && std::isfinite(mean),
              "normal_: need a finite mean and std >= 0, got mean ", mean, ", std ", std);
  NoGradGuard no_grad;
  return fill_from(t, randn(t.shape(), t.options(), generator) * std + mean);
}

Tensor uniform_(const Tensor& t, double a, double b, Generator* generator) {
  check_target("uniform_", t);
  GPUNN_CHECK(std::isfinite(a) && std::isfinite(b) && a <= b,
              "uniform_: need finite bounds a <= b, got [", a, ", ", b, ")");
  NoGradGuard no_grad;
  return fill_from(t, rand(t.shape(), t.options(), generator) * (b - a) + a);
}

Tensor constant_(const Tensor& t, double value) {
  check_target("constant_", t);
  NoGradGuard no_grad;
  Tensor target = t;
  target.fill_(value);
  return t;
}

Tensor zeros_(const Tensor& t) { return constant_(t, 0.0); }
Tensor ones_(const Tensor& t) { return constant_(t, 1.0); }

Tensor xavier_uniform_(const Tensor& t, double gain, Generator* generator) {
  check_target("xavier_uniform_", t);
  const double fans = fan_for("xavier_uniform_", t, FanMode::FanIn) +
                      fan_for("xavier_uniform_", t, FanMode::FanOut);
  const double r = gain * std::sqrt(6.0 / fans);
  return uniform_(t, -r, r, generator);
}

Tensor xavier_normal_(const Tensor& t, double gain, Generator* generator) {
  check_target("xavier_normal_", t);
  const double fans =
      fan_for("xavier_normal_", t, FanMode::FanIn) + fan_for("xavier_normal_", t, FanMode::FanOut);
  return normal_(t, 0.0, gain * std::sqrt(2.0 / fans), generator);
}

Tensor kaiming_uniform_(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity,
                        Generator* generator) {
  check_target("kaiming_uniform_", t);
  const double std =
      calculate_gain(nonlinearity, a) / std::sqrt(fan_for("kaiming_uniform_", t, mode));
  const double r = std::sqrt(3.0) * std;
  return uniform_(t, -r, r, generator);
}

Tensor kaiming_normal_(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity,
                       Generator* generator) {
  check_target("kaiming_normal_", t);
  const double std =
      calculate_gain(nonlinearity, a) / std::sqrt(fan_for("kaiming_normal_", t, mode));
  return normal_(t, 0.0, std, generator);
}

}  // namespace gpunn::nn::init
