// cuDNN pooling, softmax and activations (kernels/vendor/cudnn.h), through the
// legacy API: descriptors are cheap host objects, made per call.
#include <gpunn/error.h>

#include <cstdint>

#include "core/cuda/handles.h"
#include "kernels/vendor/cudnn.h"

namespace gpunn::kernels {
namespace {

int to_int(const char* op, int64_t v, const char* what) {
  GPUNN_CHECK(v >= 0 && v <= INT32_MAX, op, " (cuDNN): ", what, " ", v,
              " does not fit cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

// One descriptor of each kind, destroyed with the scope.
struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc(const char* op, bool float64, int64_t n, int64_t c, int64_t h, int64_t w) {
    GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
    GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        d, CUDNN_TENSOR_NCHW, float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT, to_int(op, n, "N"),
        to_int(op, c, "C"), to_int(op, h, "H"), to_int(op, w, "W")));
  }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};

struct PoolDesc {
  cudnnPoolingDescriptor_t d = nullptr;
  PoolDesc(bool max, const Pool2dShape& s) {
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

struct ActivationDesc {
  cudnnActivationDescriptor_t d = nullptr;
  explicit ActivationDesc(CudnnActivation f) {
    const cudnnActivationMode_t mode = f == CudnnActivation::Relu      ? CUDNN_ACTIVATION_RELU
                                       : f == CudnnActivation::Sigmoid ? CUDNN_ACTIVATION_SIGMOID
                                                                       : CUDNN_ACTIVATION_TANH;
    GPUNN_CUDNN_CHECK(cudnnCreateActivationDescriptor(&d));
    GPUNN_CUDNN_CHECK(cudnnSetActivationDescriptor(d, mode, CUDNN_PROPAGATE_NAN, 0.0));
  }
  ~ActivationDesc() { cudnnDestroyActivationDescriptor(d); }
  ActivationDesc(const ActivationDesc&) = delete;
  ActivationDesc& operator=(const ActivationDesc&) = delete;
};

// cuDNN's alpha = 1, beta = 0 (overwrite), typed like the data.
struct Scale {
  explicit Scale(bool float64) : f64(float64) {}
  const void* one() const { return f64 ? static_cast<const void*>(&d1) : &f1; }
  const void* zero() const { return f64 ? static_cast<const void*>(&d0) : &f0; }
  bool f64;
  double d1 = 1.0, d0 = 0.0;
  float f1 = 1.0f, f0 = 0.0f;
};

// n values as a [1, 1, rows, cols] tensor with both sides within cuDNN's int.
void split_flat(int64_t n, int64_t* rows, int64_t* cols) {
  constexpr int64_t kCols = 1 << 20;
  *cols = n < kCols ? n : kCols;
  *rows = *cols == 0 ? 0 : n / *cols;
}

}  // namespace

bool cudnn_pool2d_supported(const Pool2dShape& s) {
  if (s.N > INT32_MAX || s.C > INT32_MAX || s.H > INT32_MAX || s.W > INT32_MAX) return false;
  // cuDNN sizes its output by the floor rule; ceil_mode shapes differ.
  const int64_t p = (s.H + 2 * s.pad_h - s.kernel_h) / s.stride_h + 1;
  const int64_t q = (s.W + 2 * s.pad_w - s.kernel_w) / s.stride_w + 1;
  return p == s.P && q == s.Q;
}

void cudnn_pool2d_forward(cudnnHandle_t handle, bool max, const Pool2dShape& s, bool float64,
                          const void* x, void* y) {
  const char* op = max ? "max_pool2d" : "avg_pool2d";
  PoolDesc pool(max, s);
  TensorDesc xd(op, float64, s.N, s.C, s.H, s.W), yd(op, float64, s.N, s.C, s.P, s.Q);
  const Scale k(float64);
  GPUNN_CUDNN_CHECK(cudnnPoolingForward(handle, pool.d, k.one(), xd.d, x, k.zero(), yd.d, y));
}

void cudnn_pool2d_backward(cudnnHandle_t handle, bool max, const Pool2dShape& s, bool float64,
                           const void* x, const void* y, const void* dy, void* dx) {
  const char* op = max ? "max_pool2d_backward" : "avg_pool2d_backward";
  PoolDesc pool(max, s);
  TensorDesc xd(op, float64, s.N, s.C, s.H, s.W), yd(op, float64, s.N, s.C, s.P, s.Q);
  const Scale k(float64);
  GPUNN_CUDNN_CHECK(cudnnPoolingBackward(handle, pool.d, k.one(), yd.d, y, yd.d, dy, xd.d, x,
                                         k.zero(), xd.d, dx));
}

void cudnn_softmax_forward(cudnnHandle_t handle, bool log, int64_t outer, int64_t C, int64_t inner,
                           bool float64, const void* x, void* y) {
  const char* op = log ? "log_softmax" : "softmax";
  // Channel mode normalises over C at every (n, h, w).
  TensorDesc d(op, float64, outer, C, inner, 1);
  const Scale k(float64);
  GPUNN_CUDNN_CHECK(cudnnSoftmaxForward(handle, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                        CUDNN_SOFTMAX_MODE_CHANNEL, k.one(), d.d, x, k.zero(), d.d,
                                        y));
}

void cudnn_softmax_backward(cudnnHandle_t handle, bool log, int64_t outer, int64_t C, int64_t inner,
                            bool float64, const void* y, const void* dy, void* dx) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  TensorDesc d(op, float64, outer, C, inner, 1);
  const Scale k(float64);
  GPUNN_CUDNN_CHECK(cudnnSoftmaxBackward(handle, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                         CUDNN_SOFTMAX_MODE_CHANNEL, k.one(), d.d, y, d.d, dy,
                                         k.zero(), d.d, dx));
}

void cudnn_activation_forward(cudnnHandle_t handle, CudnnActivation f, int64_t n, bool float64,
                              const void* x, void* y) {
  int64_t rows = 0, cols = 0;
  split_flat(n, &rows, &cols);
  ActivationDesc act(f);
  const Scale k(float64);
  const char* op = "activation (cuDNN)";
  // Whole rows first, then the remainder as one more row.
  const size_t elem = float64 ? sizeof(double) : sizeof(float);
  if (rows > 0) {
    TensorDesc d(op, float64, 1, 1, rows, cols);
    GPUNN_CUDNN_CHECK(cudnnActivationForward(handle, act.d, k.one(), d.d, x, k.zero(), d.d, y));
  }
  const int64_t done = rows * cols, rest = n - done;
  if (rest > 0) {
    TensorDesc d(op, float64, 1, 1, 1, rest);
    GPUNN_CUDNN_CHECK(cudnnActivationForward(handle, act.d, k.one(), d.d,
                                             static_cast<const char*>(x) + done * elem, k.zero(),
                                             d.d, static_cast<char*>(y) + done * elem));
  }
}

void cudnn_activation_backward(cudnnHandle_t handle, CudnnActivation f, int64_t n, bool float64,
                               const void* y, const void* dy, void* dx) {
  int64_t rows = 0, cols = 0;
  split_flat(n, &rows, &cols);
  ActivationDesc act(f);
  const Scale k(float64);
  const char* op = "activation backward (cuDNN)";
  const size_t elem = float64 ? sizeof(double) : sizeof(float);
  auto run = [&](int64_t offset, int64_t r, int64_t c) {
    TensorDesc d(op, float64, 1, 1, r, c);
    const auto* yp = static_cast<const char*>(y) + offset * elem;
    const auto* dyp = static_cast<const char*>(dy) + offset * elem;
    auto* dxp = static_cast<char*>(dx) + offset * elem;
    // x is needed by the interface only; y stands in for it (see cudnn.h).
    GPUNN_CUDNN_CHECK(cudnnActivationBackward(handle, act.d, k.one(), d.d, yp, d.d, dyp, d.d, yp,
                                              k.zero(), d.d, dxp));
  };
  if (rows > 0) run(0, rows, cols);
  if (n - rows * cols > 0) run(rows * cols, 1, n - rows * cols);
}

}  // namespace gpunn::kernels
