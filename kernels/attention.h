// The attention family: scaled dot-product attention over contiguous
// q [B, H, T, D], k [B, H, S, D], v [B, H, S, Dv] (gpunn/ops/attention.h).
//
// For query row i of head (b, h), with the scores
//     s_ij = scale · q_i·k_j + mask(b, h, i, j)     (-inf where causal and j > i)
//     lse_i = log Σ_j exp(s_ij),   p_ij = exp(s_ij - lse_i),
//     z_ij = keep_ij / (1 - dropout_p)              (1 without dropout)
//   forward:   o_i = Σ_j p_ij z_ij v_j, and lse_i saved for the backward
//   backward:  dv_j = Σ_i p_ij z_ij do_i
//              dp_ij = z_ij do_i·v_j,  D_i = Σ_j p_ij dp_ij = do_i·o_i
//              ds_ij = p_ij (dp_ij - D_i)
//              dq_i = scale Σ_j ds_ij k_j,  dk_j = scale Σ_i ds_ij q_i
//
// A row whose scores are all -inf (fully masked) has lse = -inf, o = 0 and no gradient.
// A NaN score makes its row's output NaN. keep_ij is Philox's float draw for element
// ((b·H + h)·T + i)·S + j (kernels/attention_math.h), the same number gpunn::rand gives
// that element under the same generator state, so the mask can be rebuilt outside.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct AttentionShape {
  int64_t B, H, T, S, D, Dv;
  double scale;
  bool causal;
  // Additive mask in `dtype`, or null; mask_stride: elements per step in b, h, i, j
  // (0 where the mask broadcasts).
  const void* mask;
  int64_t mask_stride[4];
  double dropout_p;  // in [0, 1)
  uint64_t seed, offset;
};

struct AttentionArgs {
  DType dtype;
  AttentionShape shape;
  const void* q;
  const void* k;
  const void* v;
  void* o;    // [B, H, T, Dv]
  void* lse;  // [B, H, T]: double for float64, float otherwise
};

struct AttentionBackwardArgs {
  DType dtype;
  AttentionShape shape;
  const void* q;
  const void* k;
  const void* v;
  const void* o;
  const void* lse;
  const void* dout;  // [B, H, T, Dv]
  void* dq;
  void* dk;
  void* dv;
};

extern const OpTable<AttentionArgs> attention_forward;
extern const OpTable<AttentionBackwardArgs> attention_backward;

// ---- implementations (kernels/rows.cpp puts them in the tables) ----
// Reference loops (kernels/cpu/attention.cpp); every sum in double. A term whose
// probability is 0 (masked, causal, dropped) is skipped, so non-finite values in keys or
// values that a row cannot see do not reach it; the CUDA kernels multiply them by 0 (NaN
// for an infinite value), as library attention kernels do.
template <typename T>
void attention_forward_cpu(const AttentionArgs& a, const Context& ctx);
template <typename T>
void attention_backward_cpu(const AttentionBackwardArgs& a, const Context& ctx);

// Our fused kernels (kernels/cuda/attention.cu, and attention_tc.cu for the 16-bit
// types): tiles of K and V in shared memory, an
// online softmax, the T×S scores never stored (bfloat16 and float16 on tensor cores); the backward
// recomputes them from lse (one pass over key tiles for dq, one over query tiles for dk and dv, no
// atomics, so it is deterministic). Head dims up to 128 (64 for float64).
template <typename T>
void attention_forward_cuda(const AttentionArgs& a, const Context& ctx);
template <typename T>
void attention_backward_cuda(const AttentionBackwardArgs& a, const Context& ctx);
// The 16-bit rows: tensor cores (kernels/cuda/attention_tc.cu); the entries above serve
// float32 and float64 (the workspace and supported() are shared).
template <typename T>
void attention_forward_tc(const AttentionArgs& a, const Context& ctx);
template <typename T>
void attention_backward_tc(const AttentionBackwardArgs& a, const Context& ctx);
template <typename T>
size_t attention_backward_cuda_workspace(const AttentionBackwardArgs& a, const Context& ctx);
bool attention_forward_cuda_supported(const AttentionArgs& a);
bool attention_backward_cuda_supported(const AttentionBackwardArgs& a);

// cuDNN's fused flash attention (kernels/vendor/cudnn_attention.cpp; builds with
// GPUNN_WITH_CUDNN_FRONTEND): bfloat16 and float16, no mask, no dropout, head dims 8..128 in
// steps of 8, 16-byte aligned tensors, and B·H·T·S ≥ 2^20 (a graph is built per shape). The
// lse it saves is ours, so either pass may come from either implementation. Where cuDNN
// has no engine for a shape, the entry warns once and runs attention_*_tc.
bool attention_forward_cudnn_supported(const AttentionArgs& a);
bool attention_backward_cudnn_supported(const AttentionBackwardArgs& a);
size_t attention_forward_cudnn_workspace(const AttentionArgs& a, const Context& ctx);
size_t attention_backward_cudnn_workspace(const AttentionBackwardArgs& a, const Context& ctx);
void attention_forward_cudnn(const AttentionArgs& a, const Context& ctx);
void attention_backward_cudnn(const AttentionBackwardArgs& a, const Context& ctx);
// Calls the cuDNN entries handed to our kernels for want of an engine, in this process.
int64_t attention_cudnn_fallbacks();

}  // namespace gpunn::kernels
