// The norm family: batch normalization and local response normalization over x viewed
// as [N, C, inner] (inner = H·W for images, 1 for [N, C] inputs), contiguous buffers.
// Sums accumulate in double.
//
// Batch norm, per channel over M = N·inner values:
//   training:   mean, invstd = 1/sqrt(var + eps) with the biased variance (and, when
//               var_unbiased is given, var·M/(M-1) for the running statistics), then
//               y = (x - mean[c])·invstd[c]·w[c] + b[c]   (w, b may be null: 1 and 0)
//   inference:  the same y from given statistics
//   backward:   with x̂ = (x - mean)·invstd,
//                 training: dx = w·invstd/M · (M·dy - Σdy - x̂·Σ(dy·x̂))
//                 eval:     dx = w·invstd·dy
//               dw[c] = Σ dy·x̂, db[c] = Σ dy; any of dx, dw, db may be null
//   jvp:        t = w·dx̂ + tw·x̂ + tb with dx̂ = invstd·(tx - mean(tx) - x̂·mean(x̂·tx))
//               (training) or invstd·tx (eval); tx, tw, tb may be null
// LRN across channels (AlexNet's), win(c) = [c - size/2, c + (size-1)/2] ∩ [0, C):
//   forward:    scale[c] = k + α/size · Σ_{c' ∈ win(c)} x[c']²,  y[c] = x[c]·scale[c]^-β
//   backward:   dx[j] = dy[j]·scale[j]^-β - (2αβ/size)·x[j]·Σ_{c: j ∈ win(c)}
//               dy[c]·x[c]·scale[c]^(-β-1); with dy := a tangent this is not the JVP (the
//               window sums run the other way):
//   jvp:        t[c] = tx[c]·scale[c]^-β - (2αβ/size)·x[c]·scale[c]^(-β-1)·
//               Σ_{c' ∈ win(c)} x[c']·tx[c']
// The element formulas of LRN live in kernels/norm_math.h.
#pragma once

#include <cstdint>

#include "kernels/base/table.h"

namespace gpunn::kernels {

struct NormShape {
  int64_t N = 0, C = 0, inner = 1;
};

struct BatchNormTrainingArgs {
  DType dtype;
  NormShape s;
  double eps;
  const void* x;
  const void* w;  // may be null
  const void* b;  // may be null
  void* y;
  void* mean;
  void* invstd;
  void* var_unbiased;  // may be null
};

struct BatchNormInferenceArgs {
  DType dtype;
  NormShape s;
  double eps;
  const void* x;
  const void* w;
  const void* b;
  const void* mean;    // the running statistics' mean
  const void* invstd;  // 1/sqrt(running_var + eps), computed by the caller
  const void* var;     // running_var
  void* y;
};

struct BatchNormBackwardArgs {
  DType dtype;
  NormShape s;
  bool training;  // the statistics were the batch's own
  const void* dy;
  const void* x;
  const void* mean;
  const void* invstd;
  const void* w;  // may be null
  void* dx;       // may be null
  void* dw;       // may be null
  void* db;       // may be null
};

struct BatchNormJvpArgs {
  DType dtype;
  NormShape s;
  bool training;
  const void* tx;  // may be null
  const void* tw;  // may be null
  const void* tb;  // may be null
  const void* x;
  const void* mean;
  const void* invstd;
  const void* w;
  void* t;
};

struct LrnArgs {
  DType dtype;
  NormShape s;
  int64_t size;
  double alpha, beta, k;
  const void* x;
  void* y;
  void* scale;        // written by our entries
  bool scale_needed;  // the caller uses it (the JVP); then oneDNN, which keeps none, refuses
};

struct LrnBackwardArgs {
  DType dtype;
  NormShape s;
  int64_t size;
  double alpha, beta, k;
  const void* dy;
  const void* x;
  const void* scale;  // null when the forward ran on oneDNN
  void* dx;
};

struct LrnJvpArgs {
  DType dtype;
  NormShape s;
  int64_t size;
  double alpha, beta;
  const void* tx;
  const void* x;
  const void* scale;
  void* t;
};

extern const OpTable<BatchNormTrainingArgs> batch_norm_training;
extern const OpTable<BatchNormInferenceArgs> batch_norm_inference;
extern const OpTable<BatchNormBackwardArgs> batch_norm_backward;
extern const OpTable<BatchNormJvpArgs> batch_norm_jvp;
extern const OpTable<LrnArgs> lrn_forward;
extern const OpTable<LrnBackwardArgs> lrn_backward;
extern const OpTable<LrnJvpArgs> lrn_jvp;

// ---- implementations (kernels/rows.cpp) ----
template <typename T>
void batch_norm_training_cpu(const BatchNormTrainingArgs& a, const Context& ctx);
template <typename T>
void batch_norm_inference_cpu(const BatchNormInferenceArgs& a, const Context& ctx);
template <typename T>
void batch_norm_backward_cpu(const BatchNormBackwardArgs& a, const Context& ctx);
template <typename T>
void batch_norm_jvp_cpu(const BatchNormJvpArgs& a, const Context& ctx);
// Without a saved scale (the forward ran on oneDNN) it is recomputed in the workspace.
template <typename T>
void lrn_backward_cpu(const LrnBackwardArgs& a, const Context& ctx);
size_t lrn_backward_cpu_workspace(const LrnBackwardArgs& a, const Context& ctx);
template <typename T>
void lrn_forward_cpu(const LrnArgs& a, const Context& ctx);
template <typename T>
void lrn_jvp_cpu(const LrnJvpArgs& a, const Context& ctx);

// oneDNN, float32, non-empty inputs. Its LRN window is centred on c; gpunn's is
// [c - size/2, c + (size-1)/2]: the same for odd sizes only. Its LRN forward keeps no
// scale, and its backward reads x and dy alone.
void batch_norm_training_onednn(const BatchNormTrainingArgs& a, const Context& ctx);
bool batch_norm_training_onednn_supported(const BatchNormTrainingArgs& a);
void batch_norm_inference_onednn(const BatchNormInferenceArgs& a, const Context& ctx);
bool batch_norm_inference_onednn_supported(const BatchNormInferenceArgs& a);
void batch_norm_backward_onednn(const BatchNormBackwardArgs& a, const Context& ctx);
bool batch_norm_backward_onednn_supported(const BatchNormBackwardArgs& a);
void lrn_forward_onednn(const LrnArgs& a, const Context& ctx);
bool lrn_forward_onednn_supported(const LrnArgs& a);
void lrn_backward_onednn(const LrnBackwardArgs& a, const Context& ctx);
bool lrn_backward_onednn_supported(const LrnBackwardArgs& a);

// Ours: one block per channel reduces (the backward and JVP keep two sums per channel in
// the workspace).
template <typename T>
void batch_norm_training_cuda(const BatchNormTrainingArgs& a, const Context& ctx);
template <typename T>
void batch_norm_inference_cuda(const BatchNormInferenceArgs& a, const Context& ctx);
template <typename T>
void batch_norm_backward_cuda(const BatchNormBackwardArgs& a, const Context& ctx);
size_t batch_norm_backward_cuda_workspace(const BatchNormBackwardArgs& a, const Context& ctx);
template <typename T>
void batch_norm_jvp_cuda(const BatchNormJvpArgs& a, const Context& ctx);
size_t batch_norm_jvp_cuda_workspace(const BatchNormJvpArgs& a, const Context& ctx);
template <typename T>
void lrn_forward_cuda(const LrnArgs& a, const Context& ctx);
// Our CUDA forward always writes the scale, so the backward needs it.
template <typename T>
void lrn_backward_cuda(const LrnBackwardArgs& a, const Context& ctx);
bool lrn_backward_has_scale(const LrnBackwardArgs& a);
template <typename T>
void lrn_jvp_cuda(const LrnJvpArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
