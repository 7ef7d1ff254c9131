// Matrix products.
#pragma once

#include <gpunn/export.h>
#include <gpunn/ops/fused.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn {

// Matrix product with PyTorch's rules:
//   [K] @ [K] -> []   (dot product)
//   [M, K] @ [K, N] -> [M, N]
//   [K] @ [..., K, N] -> [..., N]   and   [..., M, K] @ [K] -> [..., M]
//   [..., M, K] @ [..., K, N] -> [..., M, N], batch dims broadcast.
// dA = dC @ Bᵀ, dB = Aᵀ @ dC (summed over broadcast batch dims).
Tensor matmul(const Tensor& a, const Tensor& b);

// y = x Wᵀ + b, with x [..., in], weight [out, in], bias [out] (optional); the bias is
// added in the GEMM's epilogue. dx = dy W, dW = dyᵀ x, db = Σ dy over every dim but the last.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
// relu(linear(x, weight, bias)) with the ReLU in the same epilogue (gpunn/ops/fused.h).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias,
              FusedActivation activation);

}  // namespace gpunn

GPUNN_API_END
