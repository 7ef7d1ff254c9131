// bench/kernels, family "conv-layout": cuDNN's bfloat16 and float16 convolutions on
// AlexNet's layers (--conv-layers, at --conv-batch) with the tensors in NCHW against NHWC
// (channels last), forward, backward-data and backward-weights: the measurement that
// decides whether gpunn needs a channels-last memory format. For each format, cuDNN's
// fastest algorithm for the call (cudnnFind*AlgorithmEx on the call's own buffers, tensor
// cores allowed, float32 accumulation) is timed; the NHWC result, permuted back to NCHW, is
// checked against the NCHW one. Rows: impl "cudnn-nchw" and "cudnn-nhwc". GPU builds with
// cuDNN only; elsewhere the family says so and does nothing.
#include "bench/kernels/harness.h"
#include "kernels/conv.h"

#if GPUNN_WITH_CUDNN
#include <cudnn.h>

#include "kernels/base/handles.h"
#endif

#include <cstdio>
#include <string>
#include <vector>

namespace bench {

#if GPUNN_WITH_CUDNN
namespace {

namespace k = gpunn::kernels;
using gpunn::DType;

enum class Pass { Forward, BackwardData, BackwardWeights };
const char* pass_name(Pass p) {
  return p == Pass::Forward ? "fwd" : p == Pass::BackwardData ? "bwd-data" : "bwd-weights";
}

// Descriptors of one convolution in one format, released at scope end.
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  Descriptors(const k::Conv2dShape& s, cudnnDataType_t type, cudnnTensorFormat_t format) {
    GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    GPUNN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    GPUNN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    auto i = [](int64_t v) { return static_cast<int>(v); };
    GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, format, type, i(s.N), i(s.C), i(s.H), i(s.W)));
    GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, format, type, i(s.N), i(s.K), i(s.P), i(s.Q)));
    GPUNN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, type, format, i(s.K), i(s.C), i(s.R), i(s.S)));
    GPUNN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, i(s.pad_h), i(s.pad_w), i(s.stride_h),
                                                      i(s.stride_w), i(s.dil_h), i(s.dil_w),
                                                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, CUDNN_TENSOR_OP_MATH));
  }
  ~Descriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

// NCHW <-> NHWC (and KCRS <-> KRSC) copies on the device.
Tensor to_nhwc(const Tensor& t) { return t.permute({0, 2, 3, 1}).contiguous(); }
Tensor to_nchw(const Tensor& t, const gpunn::Shape& nchw) {
  return t.reshape({nchw[0], nchw[2], nchw[3], nchw[1]}).permute({0, 3, 1, 2}).contiguous();
}

std::vector<float> host_floats(const Tensor& t) {
  return t.to(gpunn::kCPU).to(gpunn::kFloat32).to_vector<float>();
}

// The first of cuDNN's results (ordered fastest first) that ran, or a failure naming the pass.
template <typename Perf>
auto fastest_algo(const Perf* perf, int returned, const char* pass) {
  for (int i = 0; i < returned; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS) return perf[i].algo;
  fail(std::string("conv-layout: cuDNN has no ") + pass + " algorithm for this case");
}

struct Result {
  double ms = NAN;
  std::vector<float> out;  // in NCHW
};

// One pass in one format: cuDNN's fastest algorithm for these buffers, timed.
Result run_pass(Pass pass, const k::Conv2dShape& s, DType dtype, bool nhwc, const Tensor& x_nchw,
                const Tensor& w_nchw, const Tensor& dy_nchw) {
  const cudnnDataType_t type = dtype == gpunn::kBFloat16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_HALF;
  const cudnnTensorFormat_t format = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  const Descriptors d(s, type, format);
  const Tensor x = nhwc ? to_nhwc(x_nchw) : x_nchw, w = nhwc ? to_nhwc(w_nchw) : w_nchw;
  const Tensor dy = nhwc ? to_nhwc(dy_nchw) : dy_nchw;
  const gpunn::TensorOptions opts = gpunn::TensorOptions(dtype).device(options().device);
  Tensor out = gpunn::empty(pass == Pass::Forward        ? dy.shape()
                            : pass == Pass::BackwardData ? x.shape()
                                                         : w.shape(),
                            opts);
  const size_t ws_bytes = size_t{512} << 20;
  const Tensor ws = gpunn::empty({static_cast<int64_t>(ws_bytes / 8)},
                                 gpunn::TensorOptions(gpunn::kInt64).device(options().device));
  const int device = options().device.index;
  cudnnHandle_t h = k::cudnn_handle(device, static_cast<CUstream_st*>(gpunn::cuda::stream(device)));
  const float one = 1.0f, zero = 0.0f;
  constexpr int kAsk = 16;
  int returned = 0;
  std::function<void()> run;
  if (pass == Pass::Forward) {
    cudnnConvolutionFwdAlgoPerf_t perf[kAsk];
    GPUNN_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(
        h, d.x, x.data_ptr(), d.w, w.data_ptr(), d.conv, d.y, out.data_ptr(), kAsk, &returned, perf,
        ws.data_ptr(), ws_bytes));
    const cudnnConvolutionFwdAlgo_t algo = fastest_algo(perf, returned, "forward");
    run = [=, &d, &x, &w, &out, &ws] {
      GPUNN_CUDNN_CHECK(cudnnConvolutionForward(h, &one, d.x, x.data_ptr(), d.w, w.data_ptr(),
                                                d.conv, algo, ws.data_ptr(), ws_bytes, &zero, d.y,
                                                out.data_ptr()));
    };
  } else if (pass == Pass::BackwardData) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kAsk];
    GPUNN_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(
        h, d.w, w.data_ptr(), d.y, dy.data_ptr(), d.conv, d.x, out.data_ptr(), kAsk, &returned,
        perf, ws.data_ptr(), ws_bytes));
    const cudnnConvolutionBwdDataAlgo_t algo = fastest_algo(perf, returned, "backward-data");
    run = [=, &d, &w, &dy, &out, &ws] {
      GPUNN_CUDNN_CHECK(cudnnConvolutionBackwardData(h, &one, d.w, w.data_ptr(), d.y, dy.data_ptr(),
                                                     d.conv, algo, ws.data_ptr(), ws_bytes, &zero,
                                                     d.x, out.data_ptr()));
    };
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kAsk];
    GPUNN_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
        h, d.x, x.data_ptr(), d.y, dy.data_ptr(), d.conv, d.w, out.data_ptr(), kAsk, &returned,
        perf, ws.data_ptr(), ws_bytes));
    const cudnnConvolutionBwdFilterAlgo_t algo = fastest_algo(perf, returned, "backward-filter");
    run = [=, &d, &x, &dy, &out, &ws] {
      GPUNN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &one, d.x, x.data_ptr(), d.y,
                                                       dy.data_ptr(), d.conv, algo, ws.data_ptr(),
                                                       ws_bytes, &zero, d.w, out.data_ptr()));
    };
  }
  Result r;
  run();
  const gpunn::Shape nchw = pass == Pass::Forward        ? dy_nchw.shape()
                            : pass == Pass::BackwardData ? x_nchw.shape()
                                                         : w_nchw.shape();
  r.out = host_floats(nhwc ? to_nchw(out, nchw) : out);
  r.ms = time_ms(run);
  return r;
}

}  // namespace

void bench_conv_layout() {
  if (!on_cuda()) {
    std::printf("conv-layout: a GPU family (cuDNN's NCHW against NHWC); nothing on the CPU\n");
    return;
  }
  const auto convs = alexnet_conv_shapes(options().conv_batch);
  for (int64_t layer : options().conv_layers) {
    if (layer < 1 || layer > 5) fail("--conv-layers: " + std::to_string(layer) + " is not in 1..5");
    const auto& [name, s] = convs[static_cast<size_t>(layer - 1)];
    for (DType dtype : {gpunn::kBFloat16, gpunn::kFloat16}) {
      // Values in [-1, 1], exact in both 16-bit types after the conversion.
      auto make = [&](int64_t n, uint64_t seed, const gpunn::Shape& shape) {
        return upload(random_floats(static_cast<size_t>(n), seed)).reshape(shape).to(dtype);
      };
      const Tensor x = make(s.N * s.C * s.H * s.W, 11, {s.N, s.C, s.H, s.W});
      const Tensor w = make(s.K * s.C * s.R * s.S, 12, {s.K, s.C, s.R, s.S});
      const Tensor dy = make(s.N * s.K * s.P * s.Q, 13, {s.N, s.K, s.P, s.Q});
      const double flops = 2.0 * s.N * s.K * s.P * s.Q * s.C * s.R * s.S;
      // float32 sums rounded once to 16 bits, in two summation orders: a few ulps of the
      // output apart, relative to the largest output.
      const double tol = dtype == gpunn::kBFloat16 ? 3e-2 : 4e-3;
      for (Pass pass : {Pass::Forward, Pass::BackwardData, Pass::BackwardWeights}) {
        const std::string what =
            std::string(gpunn::dtype_name(dtype)) + " " + name + " " + pass_name(pass);
        const Result nchw = run_pass(pass, s, dtype, false, x, w, dy);
        const Result nhwc = run_pass(pass, s, dtype, true, x, w, dy);
        Row a{"conv-layout", what, "cudnn-nchw"};
        a.ms = nchw.ms;
        a.flops = flops;
        report(a);
        Row b{"conv-layout", what, "cudnn-nhwc"};
        check(b, nhwc.out, nchw.out, tol);
        b.ms = nhwc.ms;
        b.flops = flops;
        report(b);
        std::printf("conv-layout  %-34s NHWC takes %.2fx NCHW's time\n", what.c_str(),
                    nhwc.ms / nchw.ms);
      }
    }
  }
}

#else

void bench_conv_layout() {
  std::printf("conv-layout: needs a build with cuDNN (GPUNN_WITH_CUDNN); nothing measured\n");
}

#endif

}  // namespace bench
