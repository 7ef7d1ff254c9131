// Reference softmax loops (kernels/softmax.h). The maximum is subtracted before
// exponentiating, so large logits do not overflow; sums accumulate in double.
#include "kernels/softmax.h"

#include <cmath>
#include <limits>

namespace gpunn::kernels {

template <typename T>
void softmax_forward_cpu(const SoftmaxArgs& a, const Context&) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.y);
  const int64_t outer = a.outer, C = a.C, inner = a.inner;
  const bool log = a.log;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* xs = x + o * C * inner + i;
      T* ys = y + o * C * inner + i;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < C; ++c) m = std::fmax(m, static_cast<double>(xs[c * inner]));
      double sum = 0.0;
      for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(xs[c * inner]) - m);
      const double log_sum = std::log(sum);
      for (int64_t c = 0; c < C; ++c) {
        const double z = static_cast<double>(xs[c * inner]) - m;
        ys[c * inner] = static_cast<T>(log ? z - log_sum : std::exp(z) / sum);
      }
    }
  }
}

template <typename T>
void softmax_backward_cpu(const SoftmaxBackwardArgs& a, const Context&) {
  const T* dy = static_cast<const T*>(a.dy);
  const T* y = static_cast<const T*>(a.y);
  T* dx = static_cast<T*>(a.dx);
  const int64_t outer = a.outer, C = a.C, inner = a.inner;
  const bool log = a.log;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * C * inner + i;
      double dot = 0.0;  // Σ dy*y (softmax) or Σ dy (log_softmax)
      for (int64_t c = 0; c < C; ++c) {
        const double g = static_cast<double>(dy[base + c * inner]);
        dot += log ? g : g * static_cast<double>(y[base + c * inner]);
      }
      for (int64_t c = 0; c < C; ++c) {
        const double g = static_cast<double>(dy[base + c * inner]);
        const double v = static_cast<double>(y[base + c * inner]);
        dx[base + c * inner] = static_cast<T>(log ? g - std::exp(v) * dot : v * (g - dot));
      }
    }
  }
}

template void softmax_forward_cpu<float>(const SoftmaxArgs&, const Context&);
template void softmax_forward_cpu<double>(const SoftmaxArgs&, const Context&);
template void softmax_backward_cpu<float>(const SoftmaxBackwardArgs&, const Context&);
template void softmax_backward_cpu<double>(const SoftmaxBackwardArgs&, const Context&);
template void softmax_forward_cpu<BFloat16>(const SoftmaxArgs&, const Context&);
template void softmax_forward_cpu<Half>(const SoftmaxArgs&, const Context&);
template void softmax_backward_cpu<BFloat16>(const SoftmaxBackwardArgs&, const Context&);
template void softmax_backward_cpu<Half>(const SoftmaxBackwardArgs&, const Context&);

}  // namespace gpunn::kernels
