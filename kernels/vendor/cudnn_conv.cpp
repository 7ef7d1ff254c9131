// Convolution through cuDNN's legacy API (kernels/vendor/cudnn.h).
#include <gpunn/config.h>
#include <gpunn/error.h>

#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "core/cuda/handles.h"
#include "kernels/vendor/cudnn.h"

namespace gpunn::kernels {
namespace {

// What determines an algorithm choice: the device, the shape, the types, the
// TF32, determinism and measuring settings (set_cudnn_benchmark), the pass.
using ChoiceKey = std::tuple<int, std::vector<int64_t>, bool, bool, bool, bool, int>;

std::mutex& cache_mutex() {
  static std::mutex m;
  return m;
}

template <typename V>
std::map<ChoiceKey, V>& cache() {
  static auto* c = new std::map<ChoiceKey, V>();  // never destroyed, like the handles
  return *c;
}

std::vector<int64_t> shape_key(const Conv2dShape& s) {
  return {s.N, s.C,        s.H,        s.W,     s.K,     s.R,     s.S,     s.P,
          s.Q, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dil_h, s.dil_w, s.groups};
}

int to_int(int64_t v, const char* what) {
  GPUNN_CHECK(v >= 0 && v <= INT32_MAX, "conv2d (cuDNN): ", what, " ", v,
              " does not fit cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

// Float32 products on tensor cores are TF32: refused in strict mode.
bool math_allowed(cudnnMathType_t math, bool float64, bool tf32) {
  if (float64 || tf32) return true;
  return math != CUDNN_TENSOR_OP_MATH && math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

}  // namespace

CudnnConv::CudnnConv(cudnnHandle_t handle, const Conv2dShape& s, bool float64, bool tf32,
                     bool deterministic)
    : handle_(handle),
      s_(s),
      float64_(float64),
      tf32_(tf32),
      deterministic_(deterministic),
      type_(float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT) {
  GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_));
  GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y_));
  GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&b_));
  GPUNN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_));
  GPUNN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv_));
  GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_, CUDNN_TENSOR_NCHW, type_, to_int(s.N, "N"),
                                               to_int(s.C, "C"), to_int(s.H, "H"),
                                               to_int(s.W, "W")));
  GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_, CUDNN_TENSOR_NCHW, type_, to_int(s.N, "N"),
                                               to_int(s.K, "K"), to_int(s.P, "P"),
                                               to_int(s.Q, "Q")));
  GPUNN_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(b_, CUDNN_TENSOR_NCHW, type_, 1, to_int(s.K, "K"), 1, 1));
  GPUNN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_, type_, CUDNN_TENSOR_NCHW, to_int(s.K, "K"),
                                               to_int(s.C / s.groups, "C/groups"), to_int(s.R, "R"),
                                               to_int(s.S, "S")));
  // Cross-correlation, as every framework means by "convolution".
  GPUNN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
      conv_, to_int(s.pad_h, "padding"), to_int(s.pad_w, "padding"), to_int(s.stride_h, "stride"),
      to_int(s.stride_w, "stride"), to_int(s.dil_h, "dilation"), to_int(s.dil_w, "dilation"),
      CUDNN_CROSS_CORRELATION, type_));
  GPUNN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv_, to_int(s.groups, "groups")));
}

CudnnConv::~CudnnConv() {
  cudnnDestroyConvolutionDescriptor(conv_);
  cudnnDestroyFilterDescriptor(w_);
  cudnnDestroyTensorDescriptor(b_);
  cudnnDestroyTensorDescriptor(y_);
  cudnnDestroyTensorDescriptor(x_);
}

const CudnnConv::Choice& CudnnConv::choose(Pass pass) {
  const int p = static_cast<int>(pass);
  if (choice_[p]) return *choice_[p];
  int device = 0;
  cudaGetDevice(&device);
  const bool measure = !deterministic_ && cudnn_benchmark();
  const ChoiceKey key{device, shape_key(s_), float64_, tf32_, deterministic_, measure, p};
  std::lock_guard<std::mutex> lock(cache_mutex());
  auto& c = cache<Choice>();
  auto it = c.find(key);
  if (it == c.end()) {
    // Measure once for this shape: cuDNN times its algorithms (allocating its
    // own scratch) and returns them fastest first. Deterministic mode and
    // set_cudnn_benchmark(false) ask the heuristics instead; deterministic mode
    // also skips non-deterministic algorithms (Note [cuDNN and determinism] in
    // cudnn.h).
    Choice best;
    bool found = false;
    constexpr int kMax = 16;
    int returned = 0;
    auto pick = [&](const auto* results) {
      for (int i = 0; i < returned && !found; ++i) {
        if (results[i].status != CUDNN_STATUS_SUCCESS) continue;
        if (!math_allowed(results[i].mathType, float64_, tf32_)) continue;
        if (deterministic_ && results[i].determinism != CUDNN_DETERMINISTIC) continue;
        best.algo = static_cast<int>(results[i].algo);
        best.math = results[i].mathType;
        best.workspace = results[i].memory;
        found = true;
      }
    };
    // Let the search consider tensor-op math only where it is allowed.
    GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(
        conv_, (!float64_ && !tf32_) ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
    if (pass == Pass::Forward) {
      cudnnConvolutionFwdAlgoPerf_t r[kMax];
      if (!measure) {
        GPUNN_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle_, x_, w_, conv_, y_, kMax,
                                                                 &returned, r));
      } else {
        GPUNN_CUDNN_CHECK(
            cudnnFindConvolutionForwardAlgorithm(handle_, x_, w_, conv_, y_, kMax, &returned, r));
      }
      pick(r);
    } else if (pass == Pass::BackwardData) {
      cudnnConvolutionBwdDataAlgoPerf_t r[kMax];
      if (!measure) {
        GPUNN_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle_, w_, y_, conv_, x_,
                                                                      kMax, &returned, r));
      } else {
        GPUNN_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle_, w_, y_, conv_, x_,
                                                                    kMax, &returned, r));
      }
      pick(r);
    } else {
      cudnnConvolutionBwdFilterAlgoPerf_t r[kMax];
      if (!measure) {
        GPUNN_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle_, x_, y_, conv_, w_,
                                                                        kMax, &returned, r));
      } else {
        GPUNN_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(handle_, x_, y_, conv_, w_,
                                                                      kMax, &returned, r));
      }
      pick(r);
    }
    GPUNN_CHECK(found, "conv2d (cuDNN): no ", deterministic_ ? "deterministic " : "",
                "algorithm for this shape", float64_ ? " (float64)" : "",
                tf32_ ? "" : " in strict FP32",
                deterministic_ ? " (gpunn::set_deterministic(false), or the custom conv kernels "
                                 "with GPUNN_IMPL_CONV=custom, which are deterministic)"
                               : "");
    it = c.emplace(key, best).first;
  }
  choice_[p] = &it->second;
  return it->second;
}

size_t CudnnConv::workspace_bytes(Pass pass) { return choose(pass).workspace; }

void CudnnConv::forward(void* y, const void* x, const void* w, const void* b, void* workspace,
                        size_t workspace_bytes) {
  const Choice& c = choose(Pass::Forward);
  GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, c.math));
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  const void* alpha = float64_ ? static_cast<const void*>(&one) : &onef;
  const void* beta0 = float64_ ? static_cast<const void*>(&zero) : &zerof;
  const void* beta1 = alpha;
  GPUNN_CUDNN_CHECK(cudnnConvolutionForward(handle_, alpha, x_, x, w_, w, conv_,
                                            static_cast<cudnnConvolutionFwdAlgo_t>(c.algo),
                                            workspace, workspace_bytes, beta0, y_, y));
  if (b) GPUNN_CUDNN_CHECK(cudnnAddTensor(handle_, alpha, b_, b, beta1, y_, y));
}

void CudnnConv::backward_data(void* dx, const void* dy, const void* w, void* workspace,
                              size_t workspace_bytes) {
  const Choice& c = choose(Pass::BackwardData);
  GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, c.math));
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  GPUNN_CUDNN_CHECK(cudnnConvolutionBackwardData(
      handle_, float64_ ? static_cast<const void*>(&one) : &onef, w_, w, y_, dy, conv_,
      static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), workspace, workspace_bytes,
      float64_ ? static_cast<const void*>(&zero) : &zerof, x_, dx));
}

void CudnnConv::backward_weight(void* dw, const void* dy, const void* x, void* workspace,
                                size_t workspace_bytes) {
  const Choice& c = choose(Pass::BackwardWeight);
  GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(conv_, c.math));
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  GPUNN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      handle_, float64_ ? static_cast<const void*>(&one) : &onef, x_, x, y_, dy, conv_,
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), workspace, workspace_bytes,
      float64_ ? static_cast<const void*>(&zero) : &zerof, w_, dw));
}

}  // namespace gpunn::kernels
