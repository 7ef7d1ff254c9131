// Inverted dropout (gpunn/ops/dropout.h): y = x · m with m_i = 1/(1-p) with
// probability 1-p, else 0, drawn from a Philox generator. The product is an
// ordinary mul, so dx = dy · m and the tangent t · m follow from mul's rules.
#include <gpunn/ops/dropout.h>
#include <gpunn/ops/elementwise.h>

#include "core/dispatch.h"
#include "core/ops/common.h"
#include "kernels/random.h"
#if GPUNN_WITH_CUDA
#include "core/cuda/context.h"
#include "core/cuda/cuda_check.h"
#include "kernels/cuda/random.cuh"
#endif

namespace gpunn {

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  check_floating("dropout", x, "input");
  GPUNN_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return mul(x, zeros_like(x));
  Generator& g = generator ? *generator : default_generator();
  Tensor mask = empty_as(x, x.shape());
  const Generator::State at = g.reserve(static_cast<uint64_t>(x.numel()));
  dispatch_floating(x.dtype(), "dropout", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch("dropout", OpFamily::Dropout, x.device(), {}, {&mask},
           {.cpu =
                [&] {
                  kernels::bernoulli_mask_cpu(mask.data<T>(), mask.numel(), at.seed, at.offset,
                                              1.0 - p, 1.0 / (1.0 - p));
                },
            GPUNN_IF_CUDA(.cuda = [&] {
              kernels::bernoulli_mask_cuda(mask.data<T>(), mask.numel(), at.seed, at.offset,
                                           1.0 - p, 1.0 / (1.0 - p),
                                           cuda::stream(x.device().index));
              GPUNN_CUDA_CHECK_LAUNCH("dropout");
            })});
  });
  return mul(x, mask);
}

}  // namespace gpunn
