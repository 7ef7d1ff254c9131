// One output element of the LRN kernels (kernels/norm.h), shared by the CPU loops and
// the CUDA kernels. Positions are (n, c, i) in the [N, C, inner] view.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/base/host_device.h"
#include "kernels/norm.h"

namespace gpunn::kernels::math {

GPUNN_HOST_DEVICE inline int64_t norm_at(const NormShape& s, int64_t n, int64_t c, int64_t i) {
  return (n * s.C + c) * s.inner + i;
}
GPUNN_HOST_DEVICE inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }
GPUNN_HOST_DEVICE inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// ---- LRN: win(c) = [c - size/2, c + (size-1)/2] ∩ [0, C) ----------------------------

template <typename T>
GPUNN_HOST_DEVICE inline void lrn_forward_at(T* y, T* scale, const T* x, const NormShape& s,
                                             int64_t size, double alpha, double beta, double k,
                                             int64_t n, int64_t c, int64_t i) {
  double sq = 0.0;
  for (int64_t j = imax(0, c - size / 2); j <= imin(s.C - 1, c + (size - 1) / 2); ++j) {
    const double v = static_cast<double>(x[norm_at(s, n, j, i)]);
    sq += v * v;
  }
  const double sc = k + alpha / static_cast<double>(size) * sq;
  const int64_t idx = norm_at(s, n, c, i);
  scale[idx] = static_cast<T>(sc);
  y[idx] = static_cast<T>(static_cast<double>(x[idx]) * std::pow(sc, -beta));
}

// dx[j] = dy[j]·scale[j]^-β - (2αβ/size)·x[j]·Σ_{c: j ∈ win(c)} dy[c]·x[c]·scale[c]^(-β-1),
// where j ∈ win(c) ⇔ c ∈ [j - (size-1)/2, j + size/2].
template <typename T>
GPUNN_HOST_DEVICE inline void lrn_backward_at(T* dx, const T* dy, const T* x, const T* scale,
                                              const NormShape& s, int64_t size, double alpha,
                                              double beta, int64_t n, int64_t j, int64_t i) {
  double acc = 0.0;
  for (int64_t c = imax(0, j - (size - 1) / 2); c <= imin(s.C - 1, j + size / 2); ++c) {
    const int64_t idx = norm_at(s, n, c, i);
    acc += static_cast<double>(dy[idx]) * static_cast<double>(x[idx]) *
           std::pow(static_cast<double>(scale[idx]), -beta - 1.0);
  }
  const int64_t idx = norm_at(s, n, j, i);
  const double coef = 2.0 * alpha * beta / static_cast<double>(size);
  dx[idx] = static_cast<T>(static_cast<double>(dy[idx]) *
                               std::pow(static_cast<double>(scale[idx]), -beta) -
                           coef * static_cast<double>(x[idx]) * acc);
}

template <typename T>
GPUNN_HOST_DEVICE inline void lrn_jvp_at(T* t, const T* tx, const T* x, const T* scale,
                                         const NormShape& s, int64_t size, double alpha,
                                         double beta, int64_t n, int64_t c, int64_t i) {
  double acc = 0.0;
  for (int64_t j = imax(0, c - size / 2); j <= imin(s.C - 1, c + (size - 1) / 2); ++j) {
    const int64_t idx = norm_at(s, n, j, i);
    acc += static_cast<double>(x[idx]) * static_cast<double>(tx[idx]);
  }
  const int64_t idx = norm_at(s, n, c, i);
  const double sc = static_cast<double>(scale[idx]);
  const double coef = 2.0 * alpha * beta / static_cast<double>(size);
  t[idx] = static_cast<T>(static_cast<double>(tx[idx]) * std::pow(sc, -beta) -
                          coef * static_cast<double>(x[idx]) * std::pow(sc, -beta - 1.0) * acc);
}

}  // namespace gpunn::kernels::math
