// Convolution through cuDNN's legacy API (kernels/conv.h).
//
// A Plan holds everything cuDNN needs for one (device, shape, dtype, settings): the
// tensor, filter and convolution descriptors, and per pass the chosen algorithm, its
// math type (on that pass's own convolution descriptor, so nothing is changed per
// call) and its workspace size, chosen when the pass first runs. Plans are kept for the
// process, like the handles; a call after the first is one cache look-up.
//
// Choosing: cuDNN times its algorithms (cudnnFind*, allocating its own scratch) and
// the fastest that strict FP32 and determinism allow is kept; with
// settings.cudnn_benchmark off or in deterministic mode the heuristics (cudnnGet*_v7)
// decide instead, with no trial runs.
//
// Note [cuDNN and determinism]
// In deterministic mode the choice keeps only algorithms whose perf result says
// CUDNN_DETERMINISTIC (cuDNN's backward algorithms that sum with atomics, such as
// backward-data and backward-filter algorithm 0, say CUDNN_NON_DETERMINISTIC), and it
// is made from cuDNN's heuristics instead of timing, so every process picks the same
// algorithm for a shape; timing can rank two algorithms differently from run to run,
// and two deterministic algorithms still round differently.
#include <gpunn/half.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>

#include "kernels/conv.h"
#include "kernels/vendor/cudnn_common.h"

namespace gpunn::kernels {
namespace {

enum Pass : int { kForward = 0, kBackwardData = 1, kBackwardWeight = 2 };

// Everything that determines a plan: device, shape, dtype and the settings that change
// the choice.
using PlanKey = std::array<int64_t, 21>;

PlanKey plan_key(const Conv2dShape& s, DType dtype, const Context& ctx) {
  const bool measure = !ctx.settings.deterministic && ctx.settings.cudnn_benchmark;
  return {ctx.device,
          s.N,
          s.C,
          s.H,
          s.W,
          s.K,
          s.R,
          s.S,
          s.P,
          s.Q,
          s.stride_h,
          s.stride_w,
          s.pad_h,
          s.pad_w,
          s.dil_h,
          s.dil_w,
          s.groups,
          static_cast<int64_t>(dtype),
          ctx.settings.allow_tf32,
          ctx.settings.deterministic,
          measure};
}

// Float32 products on tensor cores are TF32: refused in strict mode. The 16-bit dtypes
// are what tensor cores take (products exact, sums in float32).
bool math_allowed(cudnnMathType_t math, DType dtype, bool tf32) {
  if (dtype != DType::Float32 || tf32) return true;
  return math != CUDNN_TENSOR_OP_MATH && math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

class Plan {
 public:
  Plan(const Conv2dShape& s, DType dtype, const Context& ctx);
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  struct Choice {
    int algo = 0;
    size_t workspace = 0;
  };
  // The pass's algorithm, chosen on first use (measuring runs then, on ctx's stream).
  const Choice& choice(Pass pass, const Context& ctx);

  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  std::array<cudnnConvolutionDescriptor_t, 3> conv{};  // one per pass, its math type set

 private:
  void choose(Pass pass, cudnnHandle_t handle);

  Conv2dShape s_;
  DType dtype_;
  bool tf32_, deterministic_, measure_;
  std::mutex mutex_;
  std::array<bool, 3> chosen_{};
  std::array<Choice, 3> choice_{};
};

Plan::Plan(const Conv2dShape& s, DType dtype, const Context& ctx)
    : s_(s),
      dtype_(dtype),
      tf32_(ctx.settings.allow_tf32),
      deterministic_(ctx.settings.deterministic),
      measure_(!ctx.settings.deterministic && ctx.settings.cudnn_benchmark) {
  using cudnn::to_int;
  const char* op = "conv2d";
  const cudnnDataType_t type = cudnn::data_type(dtype);
  GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
  GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
  GPUNN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&b));
  GPUNN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
  GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, type, to_int(op, s.N, "N"),
                                               to_int(op, s.C, "C"), to_int(op, s.H, "H"),
                                               to_int(op, s.W, "W")));
  GPUNN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, type, to_int(op, s.N, "N"),
                                               to_int(op, s.K, "K"), to_int(op, s.P, "P"),
                                               to_int(op, s.Q, "Q")));
  GPUNN_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, type, 1, to_int(op, s.K, "K"), 1, 1));
  GPUNN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NCHW, to_int(op, s.K, "K"),
                                               to_int(op, s.C / s.groups, "C/groups"),
                                               to_int(op, s.R, "R"), to_int(op, s.S, "S")));
  for (cudnnConvolutionDescriptor_t& c : conv) {
    GPUNN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c));
    // Cross-correlation, as every framework means by "convolution".
    GPUNN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        c, to_int(op, s.pad_h, "padding"), to_int(op, s.pad_w, "padding"),
        to_int(op, s.stride_h, "stride"), to_int(op, s.stride_w, "stride"),
        to_int(op, s.dil_h, "dilation"), to_int(op, s.dil_w, "dilation"), CUDNN_CROSS_CORRELATION,
        cudnn::compute_type(dtype)));
    GPUNN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(c, to_int(op, s.groups, "groups")));
  }
}

const Plan::Choice& Plan::choice(Pass pass, const Context& ctx) {
  std::lock_guard lock(mutex_);
  if (!chosen_[pass]) {
    choose(pass, ctx.cudnn);
    chosen_[pass] = true;
  }
  return choice_[pass];
}

Plan::~Plan() {
  for (cudnnConvolutionDescriptor_t c : conv) cudnnDestroyConvolutionDescriptor(c);
  cudnnDestroyFilterDescriptor(w);
  cudnnDestroyTensorDescriptor(b);
  cudnnDestroyTensorDescriptor(y);
  cudnnDestroyTensorDescriptor(x);
}

void Plan::choose(Pass pass, cudnnHandle_t handle) {
  constexpr int kMax = 16;
  int returned = 0;
  bool found = false;
  Choice best;
  cudnnMathType_t best_math = CUDNN_DEFAULT_MATH;
  auto pick = [&](const auto* results) {
    for (int i = 0; i < returned && !found; ++i) {
      if (results[i].status != CUDNN_STATUS_SUCCESS) continue;
      if (!math_allowed(results[i].mathType, dtype_, tf32_)) continue;
      if (deterministic_ && results[i].determinism != CUDNN_DETERMINISTIC) continue;
      best.algo = static_cast<int>(results[i].algo);
      best.workspace = results[i].memory;
      best_math = results[i].mathType;
      found = true;
    }
  };
  cudnnConvolutionDescriptor_t c = conv[pass];
  // Let the search consider tensor-op math only where it is allowed.
  GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(
      c, (dtype_ == DType::Float32 && !tf32_) ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  if (pass == kForward) {
    cudnnConvolutionFwdAlgoPerf_t r[kMax];
    if (measure_) {
      GPUNN_CUDNN_CHECK(
          cudnnFindConvolutionForwardAlgorithm(handle, x, w, c, y, kMax, &returned, r));
    } else {
      GPUNN_CUDNN_CHECK(
          cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, c, y, kMax, &returned, r));
    }
    pick(r);
  } else if (pass == kBackwardData) {
    cudnnConvolutionBwdDataAlgoPerf_t r[kMax];
    if (measure_) {
      GPUNN_CUDNN_CHECK(
          cudnnFindConvolutionBackwardDataAlgorithm(handle, w, y, c, x, kMax, &returned, r));
    } else {
      GPUNN_CUDNN_CHECK(
          cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, w, y, c, x, kMax, &returned, r));
    }
    pick(r);
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t r[kMax];
    if (measure_) {
      GPUNN_CUDNN_CHECK(
          cudnnFindConvolutionBackwardFilterAlgorithm(handle, x, y, c, w, kMax, &returned, r));
    } else {
      GPUNN_CUDNN_CHECK(
          cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, x, y, c, w, kMax, &returned, r));
    }
    pick(r);
  }
  GPUNN_CHECK(found, "conv2d (cuDNN): no ", deterministic_ ? "deterministic " : "",
              "algorithm for this shape", dtype_ == DType::Float64 ? " (float64)" : "",
              tf32_ ? "" : " in strict FP32",
              deterministic_ ? " (gpunn::set_deterministic(false), or the custom conv kernels "
                               "with GPUNN_IMPL_CONV=custom, which are deterministic)"
                             : "");
  GPUNN_CUDNN_CHECK(cudnnSetConvolutionMathType(c, best_math));
  choice_[pass] = best;
}

// The plan for these args, made on first use.
Plan& plan(const Conv2dShape& s, DType dtype, const Context& ctx) {
  static std::mutex mutex;
  // Never destroyed, like the handles the plans were made with.
  static auto* plans = new std::map<PlanKey, std::unique_ptr<Plan>>();
  const PlanKey key = plan_key(s, dtype, ctx);
  std::lock_guard lock(mutex);
  auto it = plans->find(key);
  if (it == plans->end()) it = plans->emplace(key, std::make_unique<Plan>(s, dtype, ctx)).first;
  return *it->second;
}

// cuDNN refuses empty tensors; our kernels write the zeros an empty batch gives dw.
bool fits(const Conv2dShape& s) {
  if (s.N == 0) return false;
  for (int64_t v : {s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.P, s.Q}) {
    if (!cudnn::fits_int(v)) return false;
  }
  return conv2d_output_size_is_standard(s);
}

void relu_in_place(const Conv2dForwardArgs& a, const Context& ctx) {
  const int64_t n = a.s.N * a.s.K * a.s.P * a.s.Q;
  switch (a.dtype) {
    case DType::Float32:
      return conv2d_relu_in_place_cuda(static_cast<float*>(a.y), n, ctx);
    case DType::Float64:
      return conv2d_relu_in_place_cuda(static_cast<double*>(a.y), n, ctx);
    case DType::BFloat16:
      return conv2d_relu_in_place_cuda(static_cast<BFloat16*>(a.y), n, ctx);
    case DType::Float16:
      return conv2d_relu_in_place_cuda(static_cast<Half*>(a.y), n, ctx);
    case DType::Int64:
      break;
  }
  GPUNN_ASSERT(false, "conv2d: no ReLU epilogue for ", dtype_name(a.dtype));
}

}  // namespace

bool conv2d_forward_cudnn_supported(const Conv2dForwardArgs& a) { return fits(a.s); }
bool conv2d_backward_data_cudnn_supported(const Conv2dBackwardDataArgs& a) { return fits(a.s); }
bool conv2d_backward_weight_cudnn_supported(const Conv2dBackwardWeightArgs& a) { return fits(a.s); }

size_t conv2d_forward_cudnn_workspace(const Conv2dForwardArgs& a, const Context& ctx) {
  return plan(a.s, a.dtype, ctx).choice(kForward, ctx).workspace;
}
size_t conv2d_backward_data_cudnn_workspace(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  return plan(a.s, a.dtype, ctx).choice(kBackwardData, ctx).workspace;
}
size_t conv2d_backward_weight_cudnn_workspace(const Conv2dBackwardWeightArgs& a,
                                              const Context& ctx) {
  return plan(a.s, a.dtype, ctx).choice(kBackwardWeight, ctx).workspace;
}

void conv2d_forward_cudnn(const Conv2dForwardArgs& a, const Context& ctx) {
  Plan& p = plan(a.s, a.dtype, ctx);
  const cudnn::Scale k(a.dtype);
  GPUNN_CUDNN_CHECK(
      cudnnConvolutionForward(ctx.cudnn, k.one(), p.x, a.x, p.w, a.w, p.conv[kForward],
                              static_cast<cudnnConvolutionFwdAlgo_t>(p.choice(kForward, ctx).algo),
                              ctx.workspace, ctx.workspace_bytes, k.zero(), p.y, a.y));
  // y += b (beta = 1)
  if (a.b) GPUNN_CUDNN_CHECK(cudnnAddTensor(ctx.cudnn, k.one(), p.b, a.b, k.one(), p.y, a.y));
  // Our NaN-keeping ReLU rather than cuDNN's fused activation (kernels/conv.h says why).
  if (a.relu) relu_in_place(a, ctx);
}

void conv2d_backward_data_cudnn(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  Plan& p = plan(a.s, a.dtype, ctx);
  const cudnn::Scale k(a.dtype);
  GPUNN_CUDNN_CHECK(cudnnConvolutionBackwardData(
      ctx.cudnn, k.one(), p.w, a.w, p.y, a.dy, p.conv[kBackwardData],
      static_cast<cudnnConvolutionBwdDataAlgo_t>(p.choice(kBackwardData, ctx).algo), ctx.workspace,
      ctx.workspace_bytes, k.zero(), p.x, a.dx));
}

void conv2d_backward_weight_cudnn(const Conv2dBackwardWeightArgs& a, const Context& ctx) {
  Plan& p = plan(a.s, a.dtype, ctx);
  const cudnn::Scale k(a.dtype);
  GPUNN_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      ctx.cudnn, k.one(), p.x, a.x, p.y, a.dy, p.conv[kBackwardWeight],
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.choice(kBackwardWeight, ctx).algo),
      ctx.workspace, ctx.workspace_bytes, k.zero(), p.w, a.dw));
  if (a.db)
    GPUNN_CUDNN_CHECK(
        cudnnConvolutionBackwardBias(ctx.cudnn, k.one(), p.y, a.dy, k.zero(), p.b, a.db));
}

}  // namespace gpunn::kernels
