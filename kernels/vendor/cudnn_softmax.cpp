// softmax and log_softmax through cuDNN (kernels/softmax.h): channel mode normalises
// over C at every position of an [outer, C, inner, 1] tensor.
#include "kernels/softmax.h"
#include "kernels/vendor/cudnn_common.h"

namespace gpunn::kernels {
namespace {

bool fits(int64_t outer, int64_t C, int64_t inner) {
  return cudnn::fits_int(outer) && cudnn::fits_int(C) && cudnn::fits_int(inner);
}

cudnnSoftmaxAlgorithm_t algorithm(bool log) {
  return log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE;
}

}  // namespace

bool softmax_forward_cudnn_supported(const SoftmaxArgs& a) { return fits(a.outer, a.C, a.inner); }

bool softmax_backward_cudnn_supported(const SoftmaxBackwardArgs& a) {
  return a.outer * a.C * a.inner > 0 && fits(a.outer, a.C, a.inner);
}

void softmax_forward_cudnn(const SoftmaxArgs& a, const Context& ctx) {
  const char* op = a.log ? "log_softmax" : "softmax";
  const cudnn::TensorDesc d(op, a.dtype, a.outer, a.C, a.inner, 1);
  const cudnn::Scale k(a.dtype);
  GPUNN_CUDNN_CHECK(cudnnSoftmaxForward(ctx.cudnn, algorithm(a.log), CUDNN_SOFTMAX_MODE_CHANNEL,
                                        k.one(), d.d, a.x, k.zero(), d.d, a.y));
}

void softmax_backward_cudnn(const SoftmaxBackwardArgs& a, const Context& ctx) {
  const char* op = a.log ? "log_softmax_backward" : "softmax_backward";
  const cudnn::TensorDesc d(op, a.dtype, a.outer, a.C, a.inner, 1);
  const cudnn::Scale k(a.dtype);
  GPUNN_CUDNN_CHECK(cudnnSoftmaxBackward(ctx.cudnn, algorithm(a.log), CUDNN_SOFTMAX_MODE_CHANNEL,
                                         k.one(), d.d, a.y, d.d, a.dy, k.zero(), d.d, a.dx));
}

}  // namespace gpunn::kernels
