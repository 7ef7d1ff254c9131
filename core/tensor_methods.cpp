// Tensor's math methods: each forwards to the free function of the same name.
#include <gpunn/ops.h>
#include <gpunn/tensor.h>

namespace gpunn {

Tensor Tensor::add(const Tensor& other) const { return gpunn::add(*this, other); }
Tensor Tensor::sub(const Tensor& other) const { return gpunn::sub(*this, other); }
Tensor Tensor::mul(const Tensor& other) const { return gpunn::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return gpunn::div(*this, other); }
Tensor Tensor::neg() const { return gpunn::neg(*this); }
Tensor Tensor::exp() const { return gpunn::exp(*this); }
Tensor Tensor::log() const { return gpunn::log(*this); }
Tensor Tensor::sqrt() const { return gpunn::sqrt(*this); }
Tensor Tensor::abs() const { return gpunn::abs(*this); }
Tensor Tensor::sin() const { return gpunn::sin(*this); }
Tensor Tensor::cos() const { return gpunn::cos(*this); }
Tensor Tensor::pow(double exponent) const { return gpunn::pow(*this, exponent); }
Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const {
  return gpunn::clamp(*this, min, max);
}
Tensor Tensor::relu() const { return gpunn::relu(*this); }
Tensor Tensor::sigmoid() const { return gpunn::sigmoid(*this); }
Tensor Tensor::tanh() const { return gpunn::tanh(*this); }
Tensor Tensor::sum() const { return gpunn::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const {
  return gpunn::sum(*this, dims, keepdim);
}
Tensor Tensor::mean() const { return gpunn::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const {
  return gpunn::mean(*this, dims, keepdim);
}
Tensor Tensor::max() const { return gpunn::max(*this); }
Tensor Tensor::argmax() const { return gpunn::argmax(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const {
  return gpunn::argmax(*this, dim, keepdim);
}
Tensor Tensor::matmul(const Tensor& other) const { return gpunn::matmul(*this, other); }
Tensor Tensor::softmax(int64_t dim) const { return gpunn::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return gpunn::log_softmax(*this, dim); }

}  // namespace gpunn
