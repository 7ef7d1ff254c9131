// Reference loss loops (kernels/loss.h). Targets were validated by the caller.
#include "kernels/loss.h"

#include "kernels/loss_math.h"

namespace gpunn::kernels {

template <typename T>
void nll_forward_cpu(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                     int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing) {
  for (int64_t p = 0; p < N * inner; ++p)
    math::nll_forward_at(loss, wsum, logp, target, weight, C, inner, ignore_index, smoothing, p);
}

template <typename T>
void nll_backward_cpu(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                      int64_t C, int64_t inner, int64_t ignore_index, double smoothing) {
  for (int64_t e = 0; e < N * C * inner; ++e)
    math::nll_backward_at(dlogp, dloss, target, weight, C, inner, ignore_index, smoothing, e);
}

template <typename T>
void multi_margin_forward_cpu(T* loss, const T* x, const int64_t* target, const T* weight,
                              int64_t N, int64_t C, int p, double margin, double divisor) {
  for (int64_t n = 0; n < N; ++n)
    math::margin_forward_at(loss, x, target, weight, C, p, margin, divisor, n);
}

template <typename T>
void multi_margin_backward_cpu(T* dx, const T* dloss, const T* x, const int64_t* target,
                               const T* weight, int64_t N, int64_t C, int p, double margin,
                               double divisor) {
  for (int64_t n = 0; n < N; ++n)
    math::margin_backward_at(dx, dloss, x, target, weight, C, p, margin, divisor, n);
}

template <typename T>
void bce_logits_forward_cpu(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                            int64_t C) {
  for (int64_t i = 0; i < n; ++i) loss[i] = math::bce_logits_at(x, y, pos_weight, C, i);
}

template <typename T>
void bce_logits_backward_cpu(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pos_weight,
                             int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) math::bce_logits_backward_at(dx, dy, g, x, y, pos_weight, C, i);
}

#define GPUNN_INSTANTIATE(T)                                                                     \
  template void nll_forward_cpu<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, \
                                   int64_t, int64_t, double);                                    \
  template void nll_backward_cpu<T>(T*, const T*, const int64_t*, const T*, int64_t, int64_t,    \
                                    int64_t, int64_t, double);                                   \
  template void multi_margin_forward_cpu<T>(T*, const T*, const int64_t*, const T*, int64_t,     \
                                            int64_t, int, double, double);                       \
  template void multi_margin_backward_cpu<T>(T*, const T*, const T*, const int64_t*, const T*,   \
                                             int64_t, int64_t, int, double, double);
#define GPUNN_INSTANTIATE_BCE(T)                                                               \
  template void bce_logits_forward_cpu<T>(T*, const T*, const T*, const T*, int64_t, int64_t); \
  template void bce_logits_backward_cpu<T>(T*, T*, const T*, const T*, const T*, const T*,     \
                                           int64_t, int64_t);
GPUNN_INSTANTIATE_BCE(float)
GPUNN_INSTANTIATE_BCE(double)
#undef GPUNN_INSTANTIATE_BCE
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
