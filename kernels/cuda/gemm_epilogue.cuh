// The GEMM epilogue of kernels/gemm.h in our CUDA kernels: a per-column bias and ReLU
// applied to alpha · Σ + beta · C in the compute type, before the one rounding to C's
// dtype. Private to kernels/cuda.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

template <typename Bias>  // the bias's element type (the operands')
struct GemmEpilogue {
  const Bias* bias = nullptr;  // [N], the same for every batch; null: none
  bool relu = false;           // max(v, 0), NaN kept

#ifdef __CUDACC__
  template <typename F>
  __device__ __forceinline__ F operator()(F v, int64_t n) const {
    if (bias) v += static_cast<F>(bias[n]);
    if (relu && v < F(0)) v = F(0);  // NaN is not < 0: it stays
    return v;
  }
#endif
};

}  // namespace gpunn::kernels
