// Reference loss loops (kernels/loss.h). Targets were validated by the caller.
#include "kernels/loss.h"

#include "kernels/loss_math.h"

namespace gpunn::kernels {

namespace {

template <typename T>
void nll_forward_loops(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                       int64_t N, int64_t C, int64_t inner, int64_t ignore_index,
                       double smoothing) {
  for (int64_t p = 0; p < N * inner; ++p)
    math::nll_forward_at(loss, wsum, logp, target, weight, C, inner, ignore_index, smoothing, p);
}

template <typename T>
void nll_backward_loops(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                        int64_t C, int64_t inner, int64_t ignore_index, double smoothing) {
  for (int64_t e = 0; e < N * C * inner; ++e)
    math::nll_backward_at(dlogp, dloss, target, weight, C, inner, ignore_index, smoothing, e);
}

template <typename T>
void multi_margin_forward_loops(T* loss, const T* x, const int64_t* target, const T* weight,
                                int64_t N, int64_t C, int p, double margin, double divisor) {
  for (int64_t n = 0; n < N; ++n)
    math::margin_forward_at(loss, x, target, weight, C, p, margin, divisor, n);
}

template <typename T>
void multi_margin_backward_loops(T* dx, const T* dloss, const T* x, const int64_t* target,
                                 const T* weight, int64_t N, int64_t C, int p, double margin,
                                 double divisor) {
  for (int64_t n = 0; n < N; ++n)
    math::margin_backward_at(dx, dloss, x, target, weight, C, p, margin, divisor, n);
}

template <typename T>
void bce_logits_forward_loops(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                              int64_t C) {
  for (int64_t i = 0; i < n; ++i) loss[i] = math::bce_logits_at(x, y, pos_weight, C, i);
}

template <typename T>
void bce_logits_backward_loops(T* dx, T* dy, const T* g, const T* x, const T* y,
                               const T* pos_weight, int64_t n, int64_t C) {
  for (int64_t i = 0; i < n; ++i) math::bce_logits_backward_at(dx, dy, g, x, y, pos_weight, C, i);
}

}  // namespace

template <typename T>
void nll_forward_cpu(const NllArgs& a, const Context&) {
  nll_forward_loops(static_cast<T*>(a.loss), static_cast<T*>(a.wsum), static_cast<const T*>(a.logp),
                    a.target, static_cast<const T*>(a.weight), a.N, a.C, a.inner, a.ignore_index,
                    a.smoothing);
}

template <typename T>
void nll_backward_cpu(const NllBackwardArgs& a, const Context&) {
  nll_backward_loops(static_cast<T*>(a.dlogp), static_cast<const T*>(a.dloss), a.target,
                     static_cast<const T*>(a.weight), a.N, a.C, a.inner, a.ignore_index,
                     a.smoothing);
}

template <typename T>
void multi_margin_forward_cpu(const MultiMarginArgs& a, const Context&) {
  multi_margin_forward_loops(static_cast<T*>(a.loss), static_cast<const T*>(a.x), a.target,
                             static_cast<const T*>(a.weight), a.N, a.C, a.p, a.margin, a.divisor);
}

template <typename T>
void multi_margin_backward_cpu(const MultiMarginBackwardArgs& a, const Context&) {
  multi_margin_backward_loops(static_cast<T*>(a.dx), static_cast<const T*>(a.dloss),
                              static_cast<const T*>(a.x), a.target, static_cast<const T*>(a.weight),
                              a.N, a.C, a.p, a.margin, a.divisor);
}

template <typename T>
void bce_logits_forward_cpu(const BceLogitsArgs& a, const Context&) {
  bce_logits_forward_loops(static_cast<T*>(a.loss), static_cast<const T*>(a.x),
                           static_cast<const T*>(a.y), static_cast<const T*>(a.pos_weight), a.n,
                           a.C);
}

template <typename T>
void bce_logits_backward_cpu(const BceLogitsBackwardArgs& a, const Context&) {
  bce_logits_backward_loops(static_cast<T*>(a.dx), static_cast<T*>(a.dy),
                            static_cast<const T*>(a.g), static_cast<const T*>(a.x),
                            static_cast<const T*>(a.y), static_cast<const T*>(a.pos_weight), a.n,
                            a.C);
}

#define GPUNN_INSTANTIATE(T)                                                                  \
  template void nll_forward_cpu<T>(const NllArgs&, const Context&);                           \
  template void nll_backward_cpu<T>(const NllBackwardArgs&, const Context&);                  \
  template void multi_margin_forward_cpu<T>(const MultiMarginArgs&, const Context&);          \
  template void multi_margin_backward_cpu<T>(const MultiMarginBackwardArgs&, const Context&); \
  template void bce_logits_forward_cpu<T>(const BceLogitsArgs&, const Context&);              \
  template void bce_logits_backward_cpu<T>(const BceLogitsBackwardArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
