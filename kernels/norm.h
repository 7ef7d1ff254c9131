// Normalization and recurrent-cell kernels over contiguous buffers.
//
// Batch norm works on x viewed as [N, C, inner] (inner = H·W for images, 1 for
// [N, C] inputs); statistics are per channel over M = N·inner values. LRN works
// across channels of the same [N, C, inner] view. The LSTM cell reads the gate
// pre-activations [N, 4H] in the order input, forget, cell, output.
#pragma once

#include <cstdint>

namespace gpunn::kernels {

struct NormShape {
  int64_t N = 0, C = 0, inner = 1;
};

// mean[c] and invstd[c] = 1/sqrt(var[c] + eps) with the biased variance; if
// var_unbiased is non-null it receives var·M/(M-1) (for running statistics).
template <typename T>
void batch_norm_stats_cpu(T* mean, T* invstd, T* var_unbiased, const T* x, NormShape s, double eps);

// y = (x - mean[c]) · invstd[c] · w[c] + b[c]; w and b may be null (1 and 0).
template <typename T>
void batch_norm_forward_cpu(T* y, const T* x, const T* mean, const T* invstd, const T* w,
                            const T* b, NormShape s);

// With x̂ = (x - mean)·invstd and M = N·inner:
//   training:  dx = w·invstd/M · (M·dy - Σdy - x̂·Σ(dy·x̂))   (statistics depend on x)
//   eval:      dx = w·invstd·dy                               (statistics are constants)
//   dw[c] = Σ dy·x̂,  db[c] = Σ dy.
// Any of dx, dw, db may be null (not wanted).
template <typename T>
void batch_norm_backward_cpu(T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean,
                             const T* invstd, const T* w, NormShape s, bool training);

// Forward-mode tangent: t = w·dx̂ + tw·x̂ + tb with
//   training:  dx̂ = invstd·(tx - mean(tx) - x̂·mean(x̂·tx)),   eval: dx̂ = invstd·tx.
// tx, tw, tb may be null (zero tangents).
template <typename T>
void batch_norm_jvp_cpu(T* t, const T* tx, const T* tw, const T* tb, const T* x, const T* mean,
                        const T* invstd, const T* w, NormShape s, bool training);

// Local response normalization across channels (AlexNet's):
//   scale[c] = k + α/size · Σ_{c' ∈ win(c)} x[c']²,   win(c) = [c - size/2, c + (size-1)/2] ∩ [0,
//   C) y[c] = x[c] · scale[c]^-β
template <typename T>
void lrn_forward_cpu(T* y, T* scale, const T* x, NormShape s, int64_t size, double alpha,
                     double beta, double k);
// dx[j] = dy[j]·scale[j]^-β - (2αβ/size)·x[j]·Σ_{c: j ∈ win(c)} dy[c]·x[c]·scale[c]^(-β-1).
// Called with dy := tangent it does not give the JVP (the window sums run the
// other way); lrn_jvp_cpu does.
template <typename T>
void lrn_backward_cpu(T* dx, const T* dy, const T* x, const T* scale, NormShape s, int64_t size,
                      double alpha, double beta);
// t[c] = tx[c]·scale[c]^-β - (2αβ/size)·x[c]·scale[c]^(-β-1)·Σ_{c' ∈ win(c)} x[c']·tx[c'].
template <typename T>
void lrn_jvp_cpu(T* t, const T* tx, const T* x, const T* scale, NormShape s, int64_t size,
                 double alpha, double beta);

// LSTM cell. gates [N, 4H] pre-activations (i, f, g, o), c_prev [N, H];
// out [N, 2H] holds h = o·tanh(c) in columns [0, H) and c = f·c_prev + i·g in [H, 2H),
// with i, f, o = σ(gates) and g = tanh(gates).
template <typename T>
void lstm_cell_forward_cpu(T* out, const T* gates, const T* c_prev, int64_t N, int64_t H);
// dout [N, 2H] (dh, dc) → dgates [N, 4H] and dc_prev [N, H] (either may be null).
template <typename T>
void lstm_cell_backward_cpu(T* dgates, T* dc_prev, const T* dout, const T* gates, const T* c_prev,
                            int64_t N, int64_t H);
// Tangent of out from tangents of gates and c_prev (either may be null).
template <typename T>
void lstm_cell_jvp_cpu(T* tout, const T* tgates, const T* tc_prev, const T* gates, const T* c_prev,
                       int64_t N, int64_t H);

}  // namespace gpunn::kernels
