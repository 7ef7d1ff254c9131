// Max and average pooling through cuDNN (kernels/pool.h).
#include "kernels/pool.h"
#include "kernels/vendor/cudnn_common.h"

namespace gpunn::kernels {
namespace {

struct PoolDesc {
  cudnnPoolingDescriptor_t d = nullptr;
  PoolDesc(bool max, const Pool2dShape& s) {
    using cudnn::to_int;
    const cudnnPoolingMode_t mode = max ? CUDNN_POOLING_MAX_DETERMINISTIC
                                    : s.count_include_pad
                                        ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                        : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    const char* op = max ? "max_pool2d" : "avg_pool2d";
    GPUNN_CUDNN_CHECK(cudnnCreatePoolingDescriptor(&d));
    GPUNN_CUDNN_CHECK(cudnnSetPooling2dDescriptor(
        d, mode, CUDNN_PROPAGATE_NAN, to_int(op, s.kernel_h, "kernel"),
        to_int(op, s.kernel_w, "kernel"), to_int(op, s.pad_h, "padding"),
        to_int(op, s.pad_w, "padding"), to_int(op, s.stride_h, "stride"),
        to_int(op, s.stride_w, "stride")));
  }
  ~PoolDesc() { cudnnDestroyPoolingDescriptor(d); }
  PoolDesc(const PoolDesc&) = delete;
  PoolDesc& operator=(const PoolDesc&) = delete;
};

// Whether cuDNN's pooling computes exactly s: 32-bit sides, and its output size rule is
// the floor rule, so shapes from ceil_mode windows stay on our kernels.
bool describable(const Pool2dShape& s) {
  for (int64_t v : {s.N, s.C, s.H, s.W}) {
    if (!cudnn::fits_int(v)) return false;
  }
  const int64_t p = (s.H + 2 * s.pad_h - s.kernel_h) / s.stride_h + 1;
  const int64_t q = (s.W + 2 * s.pad_w - s.kernel_w) / s.stride_w + 1;
  return p == s.P && q == s.Q;
}

int64_t input_elements(const Pool2dShape& s) { return s.N * s.C * s.H * s.W; }

void forward(bool max, DType dtype, const Pool2dShape& s, const void* x, void* y,
             const Context& ctx) {
  const char* op = max ? "max_pool2d" : "avg_pool2d";
  const PoolDesc pool(max, s);
  const cudnn::TensorDesc xd(op, dtype, s.N, s.C, s.H, s.W), yd(op, dtype, s.N, s.C, s.P, s.Q);
  const cudnn::Scale k(dtype);
  GPUNN_CUDNN_CHECK(cudnnPoolingForward(ctx.cudnn, pool.d, k.one(), xd.d, x, k.zero(), yd.d, y));
}

// dx from dy; max pooling finds the window maxima again from x and y.
void backward(bool max, DType dtype, const Pool2dShape& s, const void* x, const void* y,
              const void* dy, void* dx, const Context& ctx) {
  const char* op = max ? "max_pool2d_backward" : "avg_pool2d_backward";
  const PoolDesc pool(max, s);
  const cudnn::TensorDesc xd(op, dtype, s.N, s.C, s.H, s.W), yd(op, dtype, s.N, s.C, s.P, s.Q);
  const cudnn::Scale k(dtype);
  GPUNN_CUDNN_CHECK(cudnnPoolingBackward(ctx.cudnn, pool.d, k.one(), yd.d, y, yd.d, dy, xd.d, x,
                                         k.zero(), xd.d, dx));
}

}  // namespace

bool max_pool2d_forward_cudnn_supported(const MaxPool2dArgs& a) {
  return !a.indices_needed && describable(a.s);
}
void max_pool2d_forward_cudnn(const MaxPool2dArgs& a, const Context& ctx) {
  forward(true, a.dtype, a.s, a.x, a.y, ctx);
}

bool max_pool2d_backward_cudnn_supported(const MaxPool2dBackwardArgs& a) {
  return a.x != nullptr && a.y != nullptr && describable(a.s);
}
void max_pool2d_backward_cudnn(const MaxPool2dBackwardArgs& a, const Context& ctx) {
  backward(true, a.dtype, a.s, a.x, a.y, a.dy, a.dx, ctx);
}

bool avg_pool2d_forward_cudnn_supported(const AvgPool2dArgs& a) { return describable(a.s); }
void avg_pool2d_forward_cudnn(const AvgPool2dArgs& a, const Context& ctx) {
  forward(false, a.dtype, a.s, a.x, a.y, ctx);
}

bool avg_pool2d_backward_cudnn_supported(const AvgPool2dBackwardArgs& a) {
  return input_elements(a.s) > 0 && describable(a.s);
}
void avg_pool2d_backward_cudnn(const AvgPool2dBackwardArgs& a, const Context& ctx) {
  // Average pooling's backward reads neither x nor y: dx and dy stand in for them.
  backward(false, a.dtype, a.s, a.dx, a.dy, a.dy, a.dx, ctx);
}

}  // namespace gpunn::kernels
