// Our CUDA convolution's algorithms, numbered, for the variant tests and benchmarks
// (tests/cuda/conv_variants_test.cpp, bench/kernels/conv.cpp). Private to kernels/cuda.
//
//   1  im2col + our GEMM (kernels/cuda/conv.cu): every dtype; what the conv rows run
//   2  implicit GEMM, SIMT (kernels/cuda/conv_implicit.cu): float32 and float64, no
//      column buffer, bias and ReLU in the forward's epilogue, split-K weight gradient
//
// The rows' cuda entries run the variant auto measured and chose (Context::variant;
// gpunn/config.h's set_tuning), and variant 1 otherwise (`custom`, tuning off). Variant 2
// joins auto's candidates once a GPU has proven it (kConvImplicitProven, below), and may
// become `custom`'s default once measured against variant 1 and cuDNN (tools/gpu_check.sh
// runs both).
#pragma once

#include <cstddef>

#include "kernels/conv.h"

namespace gpunn::kernels {

inline constexpr int kConvCudaVariants = 2;

// Whether `auto` may choose variant 2. It has not run on a GPU yet: until
// CudaConvVariants.EveryVariantEveryPassAgainstTheReference has passed there
// (tools/gpu_check.sh, with the compute-sanitizer shard "internal"), auto measures cuDNN
// against variant 1 only, so no training on main computes with an unproven kernel.
// kernel_bench and the variant tests call it directly all the same.
inline constexpr bool kConvImplicitProven = false;

// Whether `variant` runs these args (falls back to 1 where not).
template <typename T>
bool conv2d_cuda_variant_applies(int variant, const Conv2dShape& s);

template <typename T>
void conv2d_forward_cuda_variant(int variant, const Conv2dForwardArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_data_cuda_variant(int variant, const Conv2dBackwardDataArgs& a,
                                       const Context& ctx);
template <typename T>
void conv2d_backward_weight_cuda_variant(int variant, const Conv2dBackwardWeightArgs& a,
                                         const Context& ctx);
size_t conv2d_forward_cuda_variant_workspace(int variant, const Conv2dForwardArgs& a);
size_t conv2d_backward_data_cuda_variant_workspace(int variant, const Conv2dBackwardDataArgs& a);
size_t conv2d_backward_weight_cuda_variant_workspace(int variant,
                                                     const Conv2dBackwardWeightArgs& a);

// ---- variant 2 (kernels/cuda/conv_implicit.cu) ----
template <typename T>
bool conv2d_implicit_applies(const Conv2dShape& s);
template <typename T>
void conv2d_forward_implicit_cuda(const Conv2dForwardArgs& a, const Context& ctx);
template <typename T>
void conv2d_backward_data_implicit_cuda(const Conv2dBackwardDataArgs& a, const Context& ctx);
// The bias gradient (a.db) is not part of it; the caller adds it.
template <typename T>
void conv2d_backward_weight_implicit_cuda(const Conv2dBackwardWeightArgs& a, const Context& ctx);
size_t conv2d_forward_implicit_workspace(const Conv2dShape& s);
size_t conv2d_backward_data_implicit_workspace(const Conv2dShape& s);
size_t conv2d_backward_weight_implicit_workspace(const Conv2dShape& s, size_t element_bytes);

}  // namespace gpunn::kernels
