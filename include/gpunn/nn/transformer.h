// Attention layers: multi-head attention, a pre-norm Transformer block and learned
// positional embeddings. Sequences are batch-first: [N, T, E].
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/nn/layers.h>
#include <gpunn/nn/module.h>
#include <gpunn/ops/activation.h>

#include <cstdint>
#include <memory>
#include <string>

GPUNN_API_BEGIN

namespace gpunn::nn {

// Multi-head attention (Vaswani et al., 2017) over scaled_dot_product_attention:
//   q, k, v = x_q W_qᵀ + b_q, x_k W_kᵀ + b_k, x_v W_vᵀ + b_v, split into H heads of E/H,
//   out = concat_h(attention(q_h, k_h, v_h)) W_oᵀ + b_o.
// Parameters as PyTorch names them, so state dicts move between the two:
// in_proj_weight [3E, E] (W_q, W_k, W_v stacked), in_proj_bias [3E], out_proj.weight [E, E],
// out_proj.bias [E]. in_proj_weight starts Xavier-uniform, the biases at 0, out_proj as a
// Linear. `dropout` drops attention probabilities in training mode.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, double dropout = 0.0, bool bias = true,
                     TensorOptions options = {}, Generator* generator = nullptr);
  // query [N, T, E], key and value [N, S, E] → [N, T, E]. `mask` is added to the scores and
  // broadcasts to [N, H, T, S] ([T, S] for a pattern, [N, 1, 1, S] for key padding, -inf
  // where a query must not look); `causal`: query i sees keys j <= i.
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const Tensor& mask = Tensor(), bool causal = false);
  // Self-attention without a mask.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  int64_t embed_dim, num_heads;
  double dropout;
  Generator* generator;  // dropout's; nullptr: the default generator
  Tensor in_proj_weight, in_proj_bias;
  std::shared_ptr<Linear> out_proj;
};

struct TransformerBlockOptions {
  int64_t dim = 0;         // E
  int64_t num_heads = 1;   // E must be a multiple
  int64_t mlp_hidden = 0;  // 0: 4·E
  double dropout = 0.0;    // on the attention probabilities and on both residual branches
  bool causal = false;     // what forward(x) uses
  GeluApproximation gelu = GeluApproximation::None;
  double eps = 1e-5;  // the layer norms'
};

// A pre-norm Transformer block (as in GPT-2):
//   x = x + dropout(attn(ln1(x)))
//   x = x + dropout(fc2(gelu(fc1(ln2(x)))))
// Submodules ln1, attn, ln2, fc1, fc2.
class TransformerBlock : public Module {
 public:
  explicit TransformerBlock(const TransformerBlockOptions& options,
                            TensorOptions tensor_options = {}, Generator* generator = nullptr);
  // x [N, T, E]; mask as MultiheadAttention's; self-attention, causal as options say.
  Tensor forward(const Tensor& x, const Tensor& mask);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

  TransformerBlockOptions options;
  Generator* generator;
  std::shared_ptr<LayerNorm> ln1, ln2;
  std::shared_ptr<MultiheadAttention> attn;
  std::shared_ptr<Linear> fc1, fc2;
};

// Learned positional embeddings: x [N, T, E] + weight[0:T], weight [max_len, E] from
// N(0, 0.02²). T beyond max_len is an error naming both.
class PositionalEmbedding : public Module {
 public:
  PositionalEmbedding(int64_t max_len, int64_t dim, TensorOptions options = {},
                      Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  int64_t max_len, dim;
  Tensor weight;
};

}  // namespace gpunn::nn

GPUNN_API_END
