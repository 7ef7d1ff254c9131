// Scaled dot-product attention (Vaswani et al., 2017), the op under nn::MultiheadAttention.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/tensor.h>

#include <optional>

GPUNN_API_BEGIN

namespace gpunn {

struct AttentionOptions {
  // Added to the scores: a floating tensor broadcastable to [B, H, T, S] (right-aligned, as
  // [T, S], [B, 1, 1, S] for key padding, ...), -inf where a query must not see a key. It
  // gets no gradient (a mask that requires grad is an error: pass mask.detach()).
  Tensor mask{};
  // Query i sees keys j <= i only (aligned at the top-left, as PyTorch's is_causal).
  bool causal = false;
  // Each probability is dropped with this probability and the kept ones scaled by
  // 1/(1 - p), whenever p > 0 (the modules pass 0 in evaluation). In [0, 1).
  double dropout_p = 0.0;
  // The scores' factor; 1/sqrt(D) when unset.
  std::optional<double> scale{};
  // Where dropout draws from (the default generator when null).
  Generator* generator = nullptr;
};

// softmax(scale · q kᵀ + mask) v over the last two dims, for q [B, H, T, D],
// k [B, H, S, D], v [B, H, S, Dv] (or the 3-D [B, T, D] forms); returns [B, H, T, Dv].
//
//   - A query row whose scores are all -inf (every key masked) gives zeros and passes no
//     gradient (the composed softmax would give NaN).
//   - Dropout's mask is reproducible: element (b, h, i, j) is kept when the float32 draw
//     gpunn::rand({B, H, T, S}) makes at that position, from the generator's state before
//     the call, is below float(1 - p); the call advances the generator by B·H·T·S.
//   - float32, float64, bfloat16 and float16 (sums in float32 for the 16-bit types); under
//     autocast it runs in the scope's 16-bit dtype.
//   - On CUDA our fused kernels (the scores never stored, memory linear in T; the 16-bit
//     types on tensor cores) run head dims up to 128 (64 in float64); larger ones take the
//     composed product (matmul, softmax, matmul). The vendor implementation is cuDNN's
//     fused flash attention (builds with the cudnn-frontend headers): bfloat16/float16
//     without mask or dropout, head dims 8..128 in steps of 8, B·H·T·S ≥ 2^20; `auto` and
//     `vendor` take it there, our kernels everywhere else. On the CPU float32 and the
//     16-bit types take the composed product too (faster there) unless the attention
//     family is set to custom; float64 runs the fused reference loops.
// Gradients reach q, k and v, in reverse mode (twice differentiable) and forward mode.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

}  // namespace gpunn

GPUNN_API_END
