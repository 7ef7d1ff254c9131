// relu, sigmoid and tanh through cuDNN (kernels/activation.h). n values are described
// as [1, 1, rows, 2^20] plus one row for the rest, so every side fits cuDNN's int.
#include "kernels/activation.h"
#include "kernels/vendor/cudnn_common.h"

namespace gpunn::kernels {
namespace {

cudnnActivationMode_t mode(Activation f) {
  switch (f) {
    case Activation::Relu:
      return CUDNN_ACTIVATION_RELU;
    case Activation::Sigmoid:
      return CUDNN_ACTIVATION_SIGMOID;
    case Activation::Tanh:
      return CUDNN_ACTIVATION_TANH;
    case Activation::LeakyRelu:
    case Activation::GeluErf:
    case Activation::GeluTanh:
      break;
  }
  GPUNN_ASSERT(false, "cuDNN has no such activation (see activation_*_cudnn_supported)");
}

struct ActivationDesc {
  cudnnActivationDescriptor_t d = nullptr;
  explicit ActivationDesc(Activation f) {
    GPUNN_CUDNN_CHECK(cudnnCreateActivationDescriptor(&d));
    GPUNN_CUDNN_CHECK(cudnnSetActivationDescriptor(d, mode(f), CUDNN_PROPAGATE_NAN, 0.0));
  }
  ~ActivationDesc() { cudnnDestroyActivationDescriptor(d); }
  ActivationDesc(const ActivationDesc&) = delete;
  ActivationDesc& operator=(const ActivationDesc&) = delete;
};

// Calls f(offset, rows, cols) for the whole rows of 2^20 values, then the remainder.
template <typename F>
void for_each_block(int64_t n, F&& f) {
  constexpr int64_t kCols = 1 << 20;
  const int64_t cols = n < kCols ? n : kCols;
  const int64_t rows = cols == 0 ? 0 : n / cols;
  if (rows > 0) f(int64_t{0}, rows, cols);
  if (n - rows * cols > 0) f(rows * cols, int64_t{1}, n - rows * cols);
}

}  // namespace

bool activation_forward_cudnn_supported(const ActivationArgs& a) {
  return a.n > 0 && (a.f == Activation::Sigmoid || a.f == Activation::Tanh);
}

bool activation_backward_cudnn_supported(const ActivationBackwardArgs& a) {
  return a.n > 0 &&
         (a.f == Activation::Relu || a.f == Activation::Sigmoid || a.f == Activation::Tanh);
}

void activation_forward_cudnn(const ActivationArgs& a, const Context& ctx) {
  const ActivationDesc act(a.f);
  const cudnn::Scale k(a.dtype);
  const size_t elem = dtype_size(a.dtype);
  for_each_block(a.n, [&](int64_t offset, int64_t rows, int64_t cols) {
    const cudnn::TensorDesc d("activation", a.dtype, 1, 1, rows, cols);
    GPUNN_CUDNN_CHECK(cudnnActivationForward(
        ctx.cudnn, act.d, k.one(), d.d, static_cast<const char*>(a.x) + offset * elem, k.zero(),
        d.d, static_cast<char*>(a.y) + offset * elem));
  });
}

void activation_backward_cudnn(const ActivationBackwardArgs& a, const Context& ctx) {
  const ActivationDesc act(a.f);
  const cudnn::Scale k(a.dtype);
  const size_t elem = dtype_size(a.dtype);
  for_each_block(a.n, [&](int64_t offset, int64_t rows, int64_t cols) {
    const cudnn::TensorDesc d("activation_backward", a.dtype, 1, 1, rows, cols);
    const auto* y = static_cast<const char*>(a.saved) + offset * elem;
    const auto* dy = static_cast<const char*>(a.dy) + offset * elem;
    auto* dx = static_cast<char*>(a.dx) + offset * elem;
    // x is needed by the interface only: for these three functions the derivative is a
    // function of y alone (relu: y > 0 exactly when x > 0), so y stands in for it.
    GPUNN_CUDNN_CHECK(cudnnActivationBackward(ctx.cudnn, act.d, k.one(), d.d, y, d.d, dy, d.d, y,
                                              k.zero(), d.d, dx));
  });
}

}  // namespace gpunn::kernels
