// The gemm family: matrix products on row-major matrices, in the BLAS manner,
//   C[M, N] = alpha · op(A) · op(B) + beta · C,  op(X) = Xᵀ when trans_x,
// repeated `batch` times with each operand advanced by its own stride (0 broadcasts one
// matrix). A is M x K (K x M when trans_a) with row stride lda; B is K x N (N x K when
// trans_b) with row stride ldb; C has row stride ldc. beta = 0 ignores C's old contents
// (NaN included). An epilogue may add a per-column bias and apply ReLU (GemmArgs).
#pragma once

#include <cstdint>
#include <string>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct GemmArgs {
  DType dtype;
  bool trans_a, trans_b;
  int64_t M, N, K;
  double alpha;
  const void* A;
  int64_t lda, stride_a;
  const void* B;
  int64_t ldb, stride_b;
  double beta;
  void* C;
  int64_t ldc, stride_c;
  int64_t batch;
  // The epilogue: C[m, n] = relu?(alpha · Σ + beta · C[m, n] + bias[n]), computed in the
  // compute type and rounded once (bias [N] in the operands' dtype, the same for every
  // batch; relu keeps NaN). Entries whose library cannot fuse them add the bias by
  // writing it into C and running with beta = 1, then apply ReLU in a pass over C, which
  // gives the same values; they refuse a bias with beta != 0.
  const void* bias = nullptr;
  bool relu = false;
};

extern const OpTable<GemmArgs> gemm;

// auto's key of a call (kernels/base/table.h's tuning_key): flags, sizes, strides and the
// operands' 16-byte alignment (which our vectorized kernels need); "" when beta != 0 (trial
// runs would add to C) and for products under 64³ multiply-adds, where the choice hardly
// matters and measuring would cost more than it saves.
std::string gemm_tuning_key(const GemmArgs& a);

// The epilogue for entries whose library cannot fuse it (GemmArgs): whether they compute
// these args (no bias with beta != 0), writing the bias into every row of C before the
// product (then run with beta = 1) and ReLU over C after it.
constexpr bool gemm_epilogue_emulable(const GemmArgs& a) { return !a.bias || a.beta == 0; }
void gemm_bias_fill_cpu(const GemmArgs& a);
void gemm_relu_cpu(const GemmArgs& a);
// The same on the device's stream (kernels/cuda/gemm.cu), for cuBLAS.
void gemm_bias_fill_cuda(const GemmArgs& a, const Context& ctx);
void gemm_relu_cuda(const GemmArgs& a, const Context& ctx);

// The args such an entry runs: no bias or ReLU, and beta = 1 where C holds the bias.
constexpr GemmArgs gemm_without_epilogue(GemmArgs a) {
  if (a.bias) a.beta = 1.0;
  a.bias = nullptr;
  a.relu = false;
  return a;
}
// An entry `Run` of a library without the epilogue, given it: on the CPU and on CUDA.
template <void (*Run)(const GemmArgs&, const Context&)>
void gemm_cpu_emulated(const GemmArgs& a, const Context& ctx) {
  gemm_bias_fill_cpu(a);
  Run(gemm_without_epilogue(a), ctx);
  gemm_relu_cpu(a);
}
template <void (*Run)(const GemmArgs&, const Context&)>
void gemm_cuda_emulated(const GemmArgs& a, const Context& ctx) {
  gemm_bias_fill_cuda(a, ctx);
  Run(gemm_without_epilogue(a), ctx);
  gemm_relu_cuda(a, ctx);
}
// Its supported() and workspace_bytes(), asked about the args it runs.
template <bool (*Supported)(const GemmArgs&) = nullptr>
bool gemm_emulated_supported(const GemmArgs& a) {
  return gemm_epilogue_emulable(a) && (Supported == nullptr || Supported(gemm_without_epilogue(a)));
}
template <size_t (*Workspace)(const GemmArgs&, const Context&)>
size_t gemm_emulated_workspace(const GemmArgs& a, const Context& ctx) {
  return Workspace(gemm_without_epilogue(a), ctx);
}

// ---- implementations (kernels/rows.cpp) ----
// Reference: one output row at a time, accumulated in double.
template <typename T>
void gemm_cpu(const GemmArgs& a, const Context& ctx);
// oneDNN's dnnl_sgemm, float32.
void gemm_onednn(const GemmArgs& a, const Context& ctx);
// bfloat16 and float16 (kernels/vendor/onednn_16bit.cpp): oneDNN's bfloat16 matmul where
// the CPU has bfloat16 instructions, otherwise widened to float32 in the workspace,
// dnnl_sgemm, rounded once.
template <typename T>
void gemm_onednn_16bit(const GemmArgs& a, const Context& ctx);
template <typename T>
size_t gemm_onednn_16bit_workspace(const GemmArgs& a, const Context& ctx);
// oneDNN's bfloat16 matmul (kernels/vendor/onednn_gemm.cpp): float32 sums, C rounded once.
void gemm_onednn_bf16(const GemmArgs& a, const Context& ctx);
// Our tiled kernels (kernels/cuda/gemm.cu; kernels/cuda/gemm.cuh has the typed form
// that other CUDA kernels call, and the variants' numbers).
// float32 has three (kernels/cuda/gemm.cuh); the variant auto chose runs
// (Context::variant), else the one that suits the shape.
template <typename T>
void gemm_cuda(const GemmArgs& a, const Context& ctx);
inline constexpr int kGemmCudaF32Variants = 3;
bool gemm_cuda_f32_variant_usable(const GemmArgs& a, const Settings& settings, int variant);
// The 16-bit dtypes have one kernel of ours (the tensor-core GEMM), offered to auto as
// variant 1 once a GPU has run it (kernels/cuda/gemm.cuh).
bool gemm_cuda_16bit_variant_usable(const GemmArgs& a, const Settings& settings, int variant);
// float64 has one (variant 1's tiles), offered with the epilogue once a GPU has run it.
bool gemm_cuda_f64_variant_usable(const GemmArgs& a, const Settings& settings, int variant);
// cuBLAS; float32 strict unless settings.allow_tf32. Sizes within cuBLAS's int.
void gemm_cublas(const GemmArgs& a, const Context& ctx);
bool gemm_cublas_supported(const GemmArgs& a);

}  // namespace gpunn::kernels
