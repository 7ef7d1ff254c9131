// The layers of gpunn::nn: each wraps one op of gpunn/ops with its parameters.
//
// Parameters start from the usual defaults: Linear and Conv2d weights and biases
// uniform in ±1/sqrt(fan_in), embeddings N(0, 1), batch norm weight 1 and bias 0.
// Constructors take an optional TensorOptions (dtype; device once CUDA lands)
// and Generator* for the initial values (default: the global generator, so
// gpunn::manual_seed makes models reproducible). nn/init.h re-initializes.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/nn/module.h>
#include <gpunn/ops/activation.h>
#include <gpunn/ops/conv.h>
#include <gpunn/ops/pool.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::nn {

// y = x·Wᵀ + b;  x [..., in], W [out, in], b [out].
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, TensorOptions options = {},
         Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  // forward with an activation in the GEMM's epilogue (gpunn/ops/fused.h); nn::Sequential
  // calls it for this layer followed by an nn::ReLU.
  Tensor forward(const Tensor& x, FusedActivation activation);
  std::string extra_repr() const override;
  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined without one
};

struct Conv2dOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  Int2 kernel_size = 1;
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};
// NCHW convolution; weight [out, in/groups, kh, kw], bias [out].
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& options, TensorOptions tensor_options = {},
                  Generator* generator = nullptr);
  Conv2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride = 1,
         Int2 padding = 0);
  Tensor forward(const Tensor& x) override;
  // forward with an activation in the convolution's epilogue (gpunn/ops/fused.h);
  // nn::Sequential calls it for this layer followed by an nn::ReLU.
  Tensor forward(const Tensor& x, FusedActivation activation);
  std::string extra_repr() const override;
  Conv2dOptions options;
  Tensor weight, bias;
};

struct ConvTranspose2dOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  Int2 kernel_size = 1;
  Int2 stride = 1;
  Int2 padding = 0;
  Int2 output_padding = 0;
  Int2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};
// NCHW transposed convolution (gpunn::conv_transpose2d); weight [in, out/groups, kh, kw],
// bias [out], both uniform in ±1/sqrt(out/groups · kh · kw) (the fan-in of the weight's
// layout, as for Conv2d).
class ConvTranspose2d : public Module {
 public:
  explicit ConvTranspose2d(const ConvTranspose2dOptions& options, TensorOptions tensor_options = {},
                           Generator* generator = nullptr);
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride = 1,
                  Int2 padding = 0, Int2 output_padding = 0);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  ConvTranspose2dOptions options;
  Tensor weight, bias;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Pool2dOptions options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Pool2dOptions options;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Pool2dOptions options);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Pool2dOptions options;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double negative_slope;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

// gelu(x, approximate) (ops/activation.h).
class GELU : public Module {
 public:
  explicit GELU(GeluApproximation approximate = GeluApproximation::None);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  GeluApproximation approximate;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  int64_t dim;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  int64_t dim;
};

// Zeroes each element with probability p in training mode and scales the rest
// by 1/(1-p); the identity in eval mode.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* generator = nullptr);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double p;
  Generator* generator;  // nullptr: the global generator
};

// Flattens dims [start_dim, end_dim] into one: [N, C, H, W] -> [N, C·H·W] by default.
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  int64_t start_dim, end_dim;
};

// Rows of weight [num_embeddings, dim] picked by int64 indices.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim,
            std::optional<int64_t> padding_idx = std::nullopt, TensorOptions options = {},
            Generator* generator = nullptr);
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;
  Tensor weight;
};

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;               // learnable weight and bias
  bool track_running_stats = true;  // keep running mean/var (used in eval mode)
};
// Batch normalization over [N, C] or [N, C, L] (BatchNorm1d) and [N, C, H, W]
// (BatchNorm2d); buffers running_mean, running_var and num_batches_tracked.
// layer_norm over the last dims (ops/norm.h); "weight" (ones) and "bias" (zeros) of
// normalized_shape unless elementwise_affine is false.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true,
                     TensorOptions tensor_options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Shape normalized_shape;
  double eps;
  Tensor weight, bias;
};

class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  int64_t num_features;
  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  BatchNorm(const char* type_name, int64_t num_features, const BatchNormOptions& options,
            TensorOptions tensor_options, std::initializer_list<int64_t> input_dims);

 private:
  std::vector<int64_t> input_dims_;
};
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, const BatchNormOptions& options = {},
                       TensorOptions tensor_options = {});
};
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, const BatchNormOptions& options = {},
                       TensorOptions tensor_options = {});
};

// AlexNet's local response normalization across channels (ops/norm.h).
class LocalResponseNorm : public Module {
 public:
  explicit LocalResponseNorm(int64_t size, double alpha = 1e-4, double beta = 0.75, double k = 1.0);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  int64_t size;
  double alpha, beta, k;
};

}  // namespace gpunn::nn

GPUNN_API_END
