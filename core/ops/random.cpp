// The random family's ops: rand, randn, randint, randperm (gpunn/tensor.h) and inverted dropout
// (gpunn/ops/dropout.h). Draws come from a Generator's Philox stream (kernels/random.h),
// so the CPU and a GPU give the same numbers for the same generator state.
//
// dropout: y = x · m with m_i = 1/(1-p) with probability 1-p, else 0. The product is an
// ordinary mul, so dx = dy · m and the tangent t · m follow from mul's rules.
#include <gpunn/generator.h>
#include <gpunn/ops/dropout.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/tensor.h>

#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/random.h"

namespace gpunn {
namespace {

Generator& pick(Generator* generator) { return generator ? *generator : default_generator(); }

// Fills t (contiguous) with n draws from the generator's next n Philox blocks.
void draw(const char* op, Tensor& t, Generator* generator, kernels::Distribution dist, double a,
          double b, int64_t low = 0, int64_t high = 0) {
  const Generator::State at = pick(generator).reserve(static_cast<uint64_t>(t.numel()));
  const kernels::RandomArgs args{.dtype = t.dtype(),
                                 .dist = dist,
                                 .n = t.numel(),
                                 .seed = at.seed,
                                 .offset = at.offset,
                                 .a = a,
                                 .b = b,
                                 .low = low,
                                 .high = high,
                                 .out = t.data_ptr()};
  launch(kernels::random_numbers, t.device(), args, {}, {&t}, op);
}

}  // namespace

Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  Tensor t = empty(shape, options.requires_grad(false));
  check_floating("rand", t, "the requested dtype");
  draw("rand", t, generator, kernels::Distribution::Uniform, 0.0, 1.0);
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  Tensor t = empty(shape, options.requires_grad(false));
  check_floating("randn", t, "the requested dtype");
  draw("randn", t, generator, kernels::Distribution::Normal, 0.0, 1.0);
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options,
               Generator* generator) {
  GPUNN_CHECK(high > low, "randint: expected low < high, got low ", low, ", high ", high);
  GPUNN_CHECK(!options.requires_grad(), "randint: integer tensors cannot require grad");
  Tensor t = empty(shape, TensorOptions(kInt64).device(options.device()));
  draw("randint", t, generator, kernels::Distribution::Uniform, 0.0, 0.0, low, high);
  return options.dtype() == kInt64 ? t : t.to(options.dtype());
}

Tensor randperm(int64_t n, TensorOptions options, Generator* generator) {
  GPUNN_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  GPUNN_CHECK(!options.requires_grad(), "randperm: a permutation cannot require grad");
  Tensor t = empty({n}, TensorOptions(kInt64).device(options.device()));
  const Generator::State at = pick(generator).reserve(static_cast<uint64_t>(n));
  const kernels::RandpermArgs args{
      .dtype = kInt64, .n = n, .seed = at.seed, .offset = at.offset, .out = t.data<int64_t>()};
  launch(kernels::randperm, t.device(), args, {}, {&t}, "randperm");
  return options.dtype() == kInt64 ? t : t.to(options.dtype());
}

Tensor rand_like(const Tensor& t, Generator* generator) {
  return rand(t.shape(), t.options(), generator);
}
Tensor randn_like(const Tensor& t, Generator* generator) {
  return randn(t.shape(), t.options(), generator);
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  check_floating("dropout", x, "input");
  GPUNN_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, zeros_like(x));
  Tensor mask = empty_as(x, x.shape());
  draw("dropout", mask, generator, kernels::Distribution::Bernoulli, 1.0 - p, 1.0 / (1.0 - p));
  return mul(x, mask);
}

}  // namespace gpunn
