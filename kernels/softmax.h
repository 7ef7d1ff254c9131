// Softmax over the middle dim of [outer, C, inner] (the softmax dim is C).
#pragma once

#include <cstdint>

namespace gpunn::kernels {

// y = softmax(x) or, with log, log_softmax(x).
template <typename T>
void softmax_forward_cpu(T* y, const T* x, int64_t outer, int64_t C, int64_t inner, bool log);

// softmax:      dx = y * (dy - Σ_c dy*y)
// log_softmax:  dx = dy - e^y * Σ_c dy
template <typename T>
void softmax_backward_cpu(T* dx, const T* dy, const T* y, int64_t outer, int64_t C, int64_t inner,
                          bool log);

}  // namespace gpunn::kernels
