// The CPU vendor entries of the 16-bit dtypes for the GEMM and the convolutions
// (Note [oneDNN's bfloat16 primitives] in onednn_common.h). bfloat16 on a CPU with
// bfloat16 instructions runs oneDNN's bfloat16 primitive on the operands as they are.
// Otherwise (float16, or a CPU without them, or a shape oneDNN has no bfloat16 primitive
// for) the operands are widened to float32 (exact) in the workspace, oneDNN's float32
// primitive runs, and the results are rounded once into the 16-bit outputs. Either way
// products are summed in float32, as on the GPU, at oneDNN's speed rather than the
// reference loops'.
#include <gpunn/half.h>

#include <cstddef>
#include <initializer_list>

#include <type_traits>

#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

template <typename T>
void widen(float* out, const void* in, int64_t n) {
  const T* p = static_cast<const T*>(in);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(p[i]);
}

template <typename T>
void narrow(void* out, const float* in, int64_t n) {
  T* p = static_cast<T*>(out);
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(in[i]);
}

constexpr size_t kAlign = 64;
size_t aligned_bytes(int64_t floats) {
  return (static_cast<size_t>(floats) * sizeof(float) + kAlign - 1) / kAlign * kAlign;
}
size_t total_bytes(std::initializer_list<int64_t> counts) {
  size_t total = 0;
  for (int64_t c : counts) total += aligned_bytes(c);
  return total;
}

// Float32 buffers carved one after another out of the workspace.
class Carve {
 public:
  explicit Carve(void* workspace) : next_(static_cast<char*>(workspace)) {}
  float* take(int64_t floats) {
    float* p = reinterpret_cast<float*>(next_);
    next_ += aligned_bytes(floats);
    return p;
  }

 private:
  char* next_;
};

// Whether T's entries run oneDNN's own primitives (bfloat16 on a CPU with bfloat16
// instructions); the convolutions also ask whether oneDNN has one for the shape.
template <typename T>
bool native() {
  return std::is_same_v<T, BFloat16> && onednn::native_bf16();
}

struct ConvCounts {
  int64_t x, w, y;
};
ConvCounts conv_counts(const Conv2dShape& s) {
  return {s.N * s.C * s.H * s.W, s.K * (s.C / s.groups) * s.R * s.S, s.N * s.K * s.P * s.Q};
}

// The elements a GEMM operand spans: `rows` rows of `cols` with row stride ld, `batch`
// times `stride` apart (stride 0: one matrix for all).
int64_t span(int64_t rows, int64_t cols, int64_t ld, int64_t stride, int64_t batch) {
  if (rows == 0 || cols == 0 || batch == 0) return 0;
  return (stride == 0 ? 0 : (batch - 1) * stride) + (rows - 1) * ld + cols;
}

struct GemmSpans {
  int64_t a, b, c;
};
GemmSpans gemm_spans(const GemmArgs& g) {
  return {span(g.trans_a ? g.K : g.M, g.trans_a ? g.M : g.K, g.lda, g.stride_a, g.batch),
          span(g.trans_b ? g.N : g.K, g.trans_b ? g.K : g.N, g.ldb, g.stride_b, g.batch),
          span(g.M, g.N, g.ldc, g.stride_c, g.batch)};
}

}  // namespace

// ---- conv2d ----

bool conv2d_forward_onednn_16bit_supported(const Conv2dForwardArgs& a) {
  Conv2dForwardArgs f = a;
  f.dtype = DType::Float32;
  return conv2d_forward_onednn_supported(f);
}
template <typename T>
size_t conv2d_forward_onednn_16bit_workspace(const Conv2dForwardArgs& a, const Context&) {
  if (native<T>() && conv2d_forward_onednn_native(a)) return 0;
  const ConvCounts n = conv_counts(a.s);
  return total_bytes({n.x, n.w, a.b ? a.s.K : 0, n.y});
}
template <typename T>
void conv2d_forward_onednn_16bit(const Conv2dForwardArgs& a, const Context& ctx) {
  if (native<T>() && conv2d_forward_onednn_native(a)) return conv2d_forward_onednn(a, ctx);
  const ConvCounts n = conv_counts(a.s);
  Carve carve(ctx.workspace);
  float* x = carve.take(n.x);
  float* w = carve.take(n.w);
  float* b = carve.take(a.b ? a.s.K : 0);
  float* y = carve.take(n.y);
  widen<T>(x, a.x, n.x);
  widen<T>(w, a.w, n.w);
  if (a.b) widen<T>(b, a.b, a.s.K);
  conv2d_forward_onednn({DType::Float32, a.s, x, w, a.b ? b : nullptr, y, a.relu}, ctx);
  narrow<T>(a.y, y, n.y);
}

bool conv2d_backward_data_onednn_16bit_supported(const Conv2dBackwardDataArgs& a) {
  Conv2dBackwardDataArgs f = a;
  f.dtype = DType::Float32;
  return conv2d_backward_data_onednn_supported(f);
}
template <typename T>
size_t conv2d_backward_data_onednn_16bit_workspace(const Conv2dBackwardDataArgs& a,
                                                   const Context&) {
  if (native<T>() && conv2d_backward_data_onednn_native(a)) return 0;
  const ConvCounts n = conv_counts(a.s);
  return total_bytes({n.y, n.w, n.x});
}
template <typename T>
void conv2d_backward_data_onednn_16bit(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  if (native<T>() && conv2d_backward_data_onednn_native(a))
    return conv2d_backward_data_onednn(a, ctx);
  const ConvCounts n = conv_counts(a.s);
  Carve carve(ctx.workspace);
  float* dy = carve.take(n.y);
  float* w = carve.take(n.w);
  float* dx = carve.take(n.x);
  widen<T>(dy, a.dy, n.y);
  widen<T>(w, a.w, n.w);
  conv2d_backward_data_onednn({DType::Float32, a.s, dy, w, dx}, ctx);
  narrow<T>(a.dx, dx, n.x);
}

bool conv2d_backward_weight_onednn_16bit_supported(const Conv2dBackwardWeightArgs& a) {
  Conv2dBackwardWeightArgs f = a;
  f.dtype = DType::Float32;
  return conv2d_backward_weight_onednn_supported(f);
}
template <typename T>
size_t conv2d_backward_weight_onednn_16bit_workspace(const Conv2dBackwardWeightArgs& a,
                                                     const Context&) {
  if (native<T>() && conv2d_backward_weight_onednn_native(a)) return 0;
  const ConvCounts n = conv_counts(a.s);
  return total_bytes({n.y, n.x, n.w, a.db ? a.s.K : 0});
}
template <typename T>
void conv2d_backward_weight_onednn_16bit(const Conv2dBackwardWeightArgs& a, const Context& ctx) {
  if (native<T>() && conv2d_backward_weight_onednn_native(a))
    return conv2d_backward_weight_onednn(a, ctx);
  const ConvCounts n = conv_counts(a.s);
  Carve carve(ctx.workspace);
  float* dy = carve.take(n.y);
  float* x = carve.take(n.x);
  float* dw = carve.take(n.w);
  float* db = carve.take(a.db ? a.s.K : 0);
  widen<T>(dy, a.dy, n.y);
  widen<T>(x, a.x, n.x);
  conv2d_backward_weight_onednn({DType::Float32, a.s, dy, x, dw, a.db ? db : nullptr}, ctx);
  narrow<T>(a.dw, dw, n.w);
  if (a.db) narrow<T>(a.db, db, a.s.K);
}

// ---- gemm ----

template <typename T>
size_t gemm_onednn_16bit_workspace(const GemmArgs& a, const Context&) {
  if (native<T>()) return 0;
  const GemmSpans n = gemm_spans(a);
  return total_bytes({n.a, n.b, n.c});
}
template <typename T>
void gemm_onednn_16bit(const GemmArgs& a, const Context& ctx) {
  if (native<T>()) return gemm_onednn_bf16(a, ctx);
  const GemmSpans n = gemm_spans(a);
  Carve carve(ctx.workspace);
  float* A = carve.take(n.a);
  float* B = carve.take(n.b);
  float* C = carve.take(n.c);
  widen<T>(A, a.A, n.a);
  widen<T>(B, a.B, n.b);
  if (a.beta != 0.0) widen<T>(C, a.C, n.c);  // beta = 0 never reads C (it may hold NaN)
  GemmArgs f = a;
  f.dtype = DType::Float32;
  f.A = A;
  f.B = B;
  f.C = C;
  gemm_onednn(f, ctx);
  // Rows between the ones C covers (ldc > N) hold whatever C held: copied back unchanged.
  if (a.beta == 0.0) {
    for (int64_t z = 0; z < a.batch; ++z)
      for (int64_t m = 0; m < a.M; ++m) {
        const int64_t at = z * a.stride_c + m * a.ldc;
        narrow<T>(static_cast<T*>(a.C) + at, C + at, a.N);
      }
  } else {
    narrow<T>(a.C, C, n.c);
  }
}

#define GPUNN_INSTANTIATE(T)                                                                    \
  template void conv2d_forward_onednn_16bit<T>(const Conv2dForwardArgs&, const Context&);       \
  template size_t conv2d_forward_onednn_16bit_workspace<T>(const Conv2dForwardArgs&,            \
                                                           const Context&);                     \
  template void conv2d_backward_data_onednn_16bit<T>(const Conv2dBackwardDataArgs&,             \
                                                     const Context&);                           \
  template size_t conv2d_backward_data_onednn_16bit_workspace<T>(const Conv2dBackwardDataArgs&, \
                                                                 const Context&);               \
  template void conv2d_backward_weight_onednn_16bit<T>(const Conv2dBackwardWeightArgs&,         \
                                                       const Context&);                         \
  template size_t conv2d_backward_weight_onednn_16bit_workspace<T>(                             \
      const Conv2dBackwardWeightArgs&, const Context&);                                         \
  template void gemm_onednn_16bit<T>(const GemmArgs&, const Context&);                          \
  template size_t gemm_onednn_16bit_workspace<T>(const GemmArgs&, const Context&);
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
