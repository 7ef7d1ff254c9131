// The CPU vendor path: oneDNN behind the signatures of the reference loops in
// kernels/cpu/ (float32 only; float64 stays on the reference loops). Declared
// in builds with GPUNN_WITH_ONEDNN; core/ops/*.cpp put these in the
// `cpu_vendor` slot of each op's KernelTable.
//
// Every buffer is contiguous and in the layout the reference kernels use
// (NCHW, row-major). Primitives are created once per shape and cached
// (kernels/vendor/onednn_common.h); oneDNN runs its own threads (OpenMP, one per
// core). Failures inside oneDNN raise gpunn::InternalError (gpunn::
// OutOfMemoryError when it could not allocate) naming the op.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/conv.h"
#include "kernels/norm.h"
#include "kernels/pool.h"

namespace gpunn::kernels {

// ---- convolution (kernels/conv.h for the formulas) -----------------------------------------
void conv2d_forward_onednn(float* y, const float* x, const float* w, const float* b,
                           const Conv2dShape& s);
void conv2d_backward_data_onednn(float* dx, const float* dy, const float* w, const Conv2dShape& s);
// dw and, when db is not null, db in the same pass.
void conv2d_backward_weight_onednn(float* dw, float* db, const float* dy, const float* x,
                                   const Conv2dShape& s);

// ---- pooling (kernels/pool.h) ---------------------------------------------------------------
// True when oneDNN's pooling computes exactly what the reference does for `s`.
// Average pooling with count_include_pad whose last window (ceil_mode) reaches
// past the right padding divides by the clipped window in gpunn and by the whole
// window in oneDNN; those shapes stay on the reference loops.
bool avg_pool2d_onednn_supported(const Pool2dShape& s);
void avg_pool2d_forward_onednn(float* y, const float* x, const Pool2dShape& s);
void avg_pool2d_backward_onednn(float* dx, const float* dy, const Pool2dShape& s);

// Max pooling records the argmax in oneDNN's own workspace format (not gpunn's
// h * W + w indices); backward reads the workspace written by the forward.
size_t max_pool2d_workspace_bytes_onednn(const Pool2dShape& s);
void max_pool2d_forward_onednn(float* y, void* workspace, const float* x, const Pool2dShape& s);
void max_pool2d_backward_onednn(float* dx, const float* dy, const void* workspace,
                                const Pool2dShape& s);

// ---- softmax over the middle dim of [outer, C, inner] (kernels/softmax.h) -----------------
// softmax only: oneDNN's log_softmax is off by up to ~1e-6 absolute (it even
// returns small positive log-probabilities for a dominant class), so
// log_softmax keeps the reference loops.
void softmax_forward_onednn(float* y, const float* x, int64_t outer, int64_t C, int64_t inner);
void softmax_backward_onednn(float* dx, const float* dy, const float* y, int64_t outer, int64_t C,
                             int64_t inner);

// ---- activations over n contiguous elements (kernels/activation.h) ------------------------
// relu and leaky_relu have backward only: oneDNN's forward turns NaN into 0,
// where gpunn's keeps it (core/ops/activation.cpp uses its own loop).
void relu_backward_onednn(float* dx, const float* dy, const float* y, int64_t n);
void leaky_relu_backward_onednn(float* dx, const float* dy, const float* x, int64_t n,
                                double slope);
void sigmoid_forward_onednn(float* y, const float* x, int64_t n);
void sigmoid_backward_onednn(float* dx, const float* dy, const float* y, int64_t n);
void tanh_forward_onednn(float* y, const float* x, int64_t n);
void tanh_backward_onednn(float* dx, const float* dy, const float* y, int64_t n);

// ---- batch norm and LRN across channels (kernels/norm.h) ------------------------------------
// Training with batch statistics: y, mean, invstd = 1/sqrt(var + eps) with the
// biased variance, and, when not null, the unbiased variance. w, b may be null.
void batch_norm_forward_training_onednn(float* y, float* mean, float* invstd, float* var_unbiased,
                                        const float* x, const float* w, const float* b, NormShape s,
                                        double eps);
// Given statistics (mean and variance, e.g. the running ones).
void batch_norm_forward_inference_onednn(float* y, const float* x, const float* mean,
                                         const float* var, const float* w, const float* b,
                                         NormShape s, double eps);
// batch_norm_backward_cpu's contract: any of dx, dw, db may be null; `training`
// means the statistics were the batch's own.
void batch_norm_backward_onednn(float* dx, float* dw, float* db, const float* dy, const float* x,
                                const float* mean, const float* invstd, const float* w, NormShape s,
                                bool training);
// oneDNN's LRN window is centred on c; gpunn's is [c - size/2, c + (size-1)/2].
// They are the same for odd sizes only; even sizes stay on the reference loops.
bool lrn_onednn_supported(int64_t size);
// y only: oneDNN does not expose the scale k + α/size·Σx² that the reference keeps.
void lrn_forward_onednn(float* y, const float* x, NormShape s, int64_t size, double alpha,
                        double beta, double k);
// From x and dy alone (no saved scale).
void lrn_backward_onednn(float* dx, const float* dy, const float* x, NormShape s, int64_t size,
                         double alpha, double beta, double k);

// ---- GEMM (kernels/gemm.h) ------------------------------------------------------------------
void gemm_onednn(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc);
void gemm_batched_onednn(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                         const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                         int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
                         int64_t batch);

// "oneDNN 2.6.3 (cpu runtime: OpenMP, 2 threads, ISA: ...)" for build_info().
const char* onednn_description();

}  // namespace gpunn::kernels
