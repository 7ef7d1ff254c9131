// Attention layers (gpunn/nn/transformer.h).
#include <gpunn/autograd.h>
#include <gpunn/nn/init.h>
#include <gpunn/nn/transformer.h>
#include <gpunn/ops.h>

#include <sstream>

namespace gpunn::nn {

// ---- MultiheadAttention ---------------------------------------------------------------------

MultiheadAttention::MultiheadAttention(int64_t e, int64_t h, double p, bool with_bias,
                                       TensorOptions options, Generator* gen)
    : Module("MultiheadAttention"), embed_dim(e), num_heads(h), dropout(p), generator(gen) {
  GPUNN_CHECK(e >= 1 && h >= 1 && e % h == 0,
              "MultiheadAttention: embed_dim must be a positive multiple of num_heads, got "
              "embed_dim ",
              e, " and num_heads ", h);
  GPUNN_CHECK(p >= 0.0 && p < 1.0, "MultiheadAttention: dropout must be in [0, 1), got ", p);
  const TensorOptions to = options.requires_grad(false);
  in_proj_weight =
      register_parameter("in_proj_weight", init::xavier_uniform_(empty({3 * e, e}, to), 1.0, gen));
  in_proj_bias = register_parameter("in_proj_bias", with_bias ? zeros({3 * e}, to) : Tensor());
  out_proj = register_module("out_proj", std::make_shared<Linear>(e, e, with_bias, options, gen));
  if (with_bias) {
    gpunn::NoGradGuard no_grad;
    out_proj->bias.zero_();
  }
}

Tensor MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const Tensor& mask, bool causal) {
  const char* op = "MultiheadAttention";
  GPUNN_CHECK(query.defined() && key.defined() && value.defined(), op,
              ": query, key and value must be defined tensors");
  for (const Tensor* t : {&query, &key, &value})
    GPUNN_CHECK(t->defined() && t->dim() == 3 && t->shape()[2] == embed_dim, op,
                ": expected query [N, T, ", embed_dim, "] and key, value [N, S, ", embed_dim,
                "], got query ", query.shape(), ", key ", key.shape(), ", value ", value.shape());
  GPUNN_CHECK(key.shape() == value.shape() && key.shape()[0] == query.shape()[0], op, ": key ",
              key.shape(), " and value ", value.shape(),
              " must have one shape, with the query's batch ", query.shape()[0]);
  const int64_t E = embed_dim, H = num_heads, Dh = E / H;
  const int64_t N = query.shape()[0], T = query.shape()[1], S = key.shape()[1];
  auto bias_part = [&](int64_t i) {
    return in_proj_bias.defined() ? narrow(in_proj_bias, 0, i * E, E) : Tensor();
  };
  // [N, L, E] → [N, H, L, Dh]
  auto heads = [&](const Tensor& x, int64_t L) { return x.reshape({N, L, H, Dh}).transpose(1, 2); };
  Tensor q, k, v;
  if (query.is_same(key) && key.is_same(value)) {  // self-attention: one GEMM for q, k, v
    const Tensor qkv = linear(query, in_proj_weight, in_proj_bias);  // [N, T, 3E]
    q = heads(narrow(qkv, 2, 0, E), T);
    k = heads(narrow(qkv, 2, E, E), T);
    v = heads(narrow(qkv, 2, 2 * E, E), T);
  } else {
    q = heads(linear(query, narrow(in_proj_weight, 0, 0, E), bias_part(0)), T);
    k = heads(linear(key, narrow(in_proj_weight, 0, E, E), bias_part(1)), S);
    v = heads(linear(value, narrow(in_proj_weight, 0, 2 * E, E), bias_part(2)), S);
  }
  const Tensor o = scaled_dot_product_attention(q, k, v,
                                                {.mask = mask,
                                                 .causal = causal,
                                                 .dropout_p = is_training() ? dropout : 0.0,
                                                 .generator = generator});
  return (*out_proj)(o.transpose(1, 2).reshape({N, T, E}));
}

Tensor MultiheadAttention::forward(const Tensor& x) { return forward(x, x, x); }

std::string MultiheadAttention::extra_repr() const {
  std::ostringstream os;
  os << "embed_dim=" << embed_dim << ", num_heads=" << num_heads;
  if (dropout > 0.0) os << ", dropout=" << dropout;
  return os.str();
}

// ---- TransformerBlock -----------------------------------------------------------------------

TransformerBlock::TransformerBlock(const TransformerBlockOptions& o, TensorOptions to,
                                   Generator* gen)
    : Module("TransformerBlock"), options(o), generator(gen) {
  GPUNN_CHECK(o.dim >= 1, "TransformerBlock: dim must be positive, got ", o.dim);
  GPUNN_CHECK(o.mlp_hidden >= 0, "TransformerBlock: mlp_hidden must be >= 0, got ", o.mlp_hidden);
  if (options.mlp_hidden == 0) options.mlp_hidden = 4 * o.dim;
  ln1 = register_module("ln1", std::make_shared<LayerNorm>(Shape{o.dim}, o.eps, true, to));
  attn = register_module(
      "attn", std::make_shared<MultiheadAttention>(o.dim, o.num_heads, o.dropout, true, to, gen));
  ln2 = register_module("ln2", std::make_shared<LayerNorm>(Shape{o.dim}, o.eps, true, to));
  fc1 = register_module("fc1", std::make_shared<Linear>(o.dim, options.mlp_hidden, true, to, gen));
  fc2 = register_module("fc2", std::make_shared<Linear>(options.mlp_hidden, o.dim, true, to, gen));
}

Tensor TransformerBlock::forward(const Tensor& x, const Tensor& mask) {
  const double p = is_training() ? options.dropout : 0.0;
  const Tensor h = ln1->forward(x);
  Tensor y =
      add(x, gpunn::dropout(attn->forward(h, h, h, mask, options.causal), p, p > 0.0, generator));
  const Tensor m = fc2->forward(gelu(fc1->forward(ln2->forward(y)), options.gelu));
  return add(y, gpunn::dropout(m, p, p > 0.0, generator));
}

Tensor TransformerBlock::forward(const Tensor& x) { return forward(x, Tensor()); }

std::string TransformerBlock::extra_repr() const {
  std::ostringstream os;
  os << "dim=" << options.dim << ", num_heads=" << options.num_heads
     << ", mlp_hidden=" << options.mlp_hidden;
  if (options.dropout > 0.0) os << ", dropout=" << options.dropout;
  if (options.causal) os << ", causal";
  return os.str();
}

// ---- PositionalEmbedding --------------------------------------------------------------------

PositionalEmbedding::PositionalEmbedding(int64_t len, int64_t d, TensorOptions options,
                                         Generator* gen)
    : Module("PositionalEmbedding"), max_len(len), dim(d) {
  GPUNN_CHECK(len >= 1 && d >= 1, "PositionalEmbedding: expected max_len and dim >= 1, got ", len,
              " and ", d);
  weight = register_parameter(
      "weight", init::normal_(empty({len, d}, options.requires_grad(false)), 0.0, 0.02, gen));
}

Tensor PositionalEmbedding::forward(const Tensor& x) {
  GPUNN_CHECK(x.defined(), "PositionalEmbedding: the input is an undefined tensor");
  GPUNN_CHECK(x.dim() == 3 && x.shape()[2] == dim, "PositionalEmbedding: expected [N, T, ", dim,
              "], got ", x.shape());
  const int64_t T = x.shape()[1];
  GPUNN_CHECK(T <= max_len, "PositionalEmbedding: a sequence of ", T,
              " positions is longer than max_len ", max_len);
  return add(x, narrow(weight, 0, 0, T));
}

std::string PositionalEmbedding::extra_repr() const {
  return std::to_string(max_len) + ", " + std::to_string(dim);
}

}  // namespace gpunn::nn
