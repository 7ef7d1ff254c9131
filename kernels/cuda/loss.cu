// CUDA losses (kernels/cuda/loss.cuh): the CPU reference's formulas
// (kernels/loss.h), one thread per sample position for the forward passes and
// per output element for the backward passes, so no atomics are needed and
// results do not depend on scheduling.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/loss.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

template <typename T>
__global__ void nll_forward_kernel(T* loss, T* wsum, const T* logp, const int64_t* target,
                                   const T* weight, int64_t N, int64_t C, int64_t inner,
                                   int64_t ignore_index, double smoothing) {
  GPUNN_GRID_STRIDE(p, N * inner) {
    const int64_t n = p / inner, i = p % inner;
    const int64_t y = target[p];
    if (y == ignore_index) {
      loss[p] = T(0);
      wsum[p] = T(0);
      continue;
    }
    const T w = weight ? weight[y] : T(1);
    const T* lp = logp + n * C * inner + i;
    if (smoothing == 0.0) {
      loss[p] = -w * lp[y * inner];  // only the target's entry: others may be -inf
    } else {
      double all = 0.0;
      for (int64_t c = 0; c < C; ++c)
        all += (weight ? static_cast<double>(weight[c]) : 1.0) * static_cast<double>(lp[c * inner]);
      loss[p] = static_cast<T>(-(1.0 - smoothing) * static_cast<double>(w) *
                                   static_cast<double>(lp[y * inner]) -
                               smoothing / static_cast<double>(C) * all);
    }
    wsum[p] = w;
  }
}

template <typename T>
__global__ void nll_backward_kernel(T* dlogp, const T* dloss, const int64_t* target,
                                    const T* weight, int64_t N, int64_t C, int64_t inner,
                                    int64_t ignore_index, double smoothing) {
  GPUNN_GRID_STRIDE(e, N * C * inner) {
    const int64_t i = e % inner, c = (e / inner) % C, n = e / (C * inner);
    const int64_t y = target[n * inner + i];
    if (y == ignore_index) {  // exactly 0, never 0 · inf
      dlogp[e] = T(0);
      continue;
    }
    const double g = static_cast<double>(dloss[n * inner + i]);
    const double wy = weight ? static_cast<double>(weight[y]) : 1.0;
    const double wc = weight ? static_cast<double>(weight[c]) : 1.0;
    const double target_part = c == y ? (1.0 - smoothing) * wy : 0.0;
    dlogp[e] = static_cast<T>(-(target_part + smoothing / static_cast<double>(C) * wc) * g);
  }
}

template <typename T>
__global__ void margin_forward_kernel(T* loss, const T* x, const int64_t* target, const T* weight,
                                      int64_t N, int64_t C, int p, double margin, double divisor) {
  GPUNN_GRID_STRIDE(n, N) {
    const T* xn = x + n * C;
    const int64_t y = target[n];
    const double w = weight ? static_cast<double>(weight[y]) : 1.0;
    double acc = 0.0;
    for (int64_t j = 0; j < C; ++j) {
      if (j == y) continue;
      const double z = margin - static_cast<double>(xn[y]) + static_cast<double>(xn[j]);
      if (z > 0) acc += w * (p == 1 ? z : z * z);
    }
    loss[n] = static_cast<T>(acc / divisor);
  }
}

template <typename T>
__global__ void margin_backward_kernel(T* dx, const T* dloss, const T* x, const int64_t* target,
                                       const T* weight, int64_t N, int64_t C, int p, double margin,
                                       double divisor) {
  GPUNN_GRID_STRIDE(n, N) {
    const T* xn = x + n * C;
    T* dxn = dx + n * C;
    const int64_t y = target[n];
    const double w = weight ? static_cast<double>(weight[y]) : 1.0;
    const double g = static_cast<double>(dloss[n]) * w / divisor;
    double total = 0.0;
    for (int64_t j = 0; j < C; ++j) {
      if (j == y) continue;
      const double z = margin - static_cast<double>(xn[y]) + static_cast<double>(xn[j]);
      const double d = z > 0 ? g * (p == 1 ? 1.0 : 2.0 * z) : 0.0;
      dxn[j] = static_cast<T>(d);
      total += d;
    }
    dxn[y] = static_cast<T>(-total);
  }
}

template <typename T>
__device__ T softplus(T z) {
  return (z > T(0) ? z : T(0)) + log1p(exp(-fabs(z)));
}
template <typename T>
__device__ T sigmoid(T z) {
  if (z >= T(0)) return T(1) / (T(1) + exp(-z));
  const T e = exp(z);
  return e / (T(1) + e);
}

template <typename T>
__global__ void bce_forward_kernel(T* loss, const T* x, const T* y, const T* pw, int64_t n,
                                   int64_t C) {
  GPUNN_GRID_STRIDE(i, n) {
    const T w = pw ? pw[i % C] : T(1);
    loss[i] = (T(1) - y[i]) * x[i] + (T(1) + (w - T(1)) * y[i]) * softplus(-x[i]);
  }
}

template <typename T>
__global__ void bce_backward_kernel(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pw,
                                    int64_t n, int64_t C) {
  GPUNN_GRID_STRIDE(i, n) {
    const T w = pw ? pw[i % C] : T(1);
    if (dx) dx[i] = g[i] * ((T(1) - y[i]) - (T(1) + (w - T(1)) * y[i]) * sigmoid(-x[i]));
    if (dy) dy[i] = g[i] * (-x[i] + (w - T(1)) * softplus(-x[i]));
  }
}

}  // namespace

template <typename T>
void nll_forward_cuda(T* loss, T* wsum, const T* logp, const int64_t* target, const T* weight,
                      int64_t N, int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                      cudaStream_t s) {
  const int64_t n = N * inner;
  if (n == 0) return;
  nll_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(loss, wsum, logp, target, weight, N, C, inner,
                                                      ignore_index, smoothing);
}

template <typename T>
void nll_backward_cuda(T* dlogp, const T* dloss, const int64_t* target, const T* weight, int64_t N,
                       int64_t C, int64_t inner, int64_t ignore_index, double smoothing,
                       cudaStream_t s) {
  const int64_t n = N * C * inner;
  if (n == 0) return;
  nll_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(dlogp, dloss, target, weight, N, C, inner,
                                                       ignore_index, smoothing);
}

template <typename T>
void multi_margin_forward_cuda(T* loss, const T* x, const int64_t* target, const T* weight,
                               int64_t N, int64_t C, int p, double margin, double divisor,
                               cudaStream_t s) {
  if (N == 0) return;
  margin_forward_kernel<<<grid_for(N), kThreads, 0, s>>>(loss, x, target, weight, N, C, p, margin,
                                                         divisor);
}

template <typename T>
void multi_margin_backward_cuda(T* dx, const T* dloss, const T* x, const int64_t* target,
                                const T* weight, int64_t N, int64_t C, int p, double margin,
                                double divisor, cudaStream_t s) {
  if (N == 0) return;
  margin_backward_kernel<<<grid_for(N), kThreads, 0, s>>>(dx, dloss, x, target, weight, N, C, p,
                                                          margin, divisor);
}

template <typename T>
void bce_logits_forward_cuda(T* loss, const T* x, const T* y, const T* pos_weight, int64_t n,
                             int64_t C, cudaStream_t s) {
  if (n == 0) return;
  bce_forward_kernel<<<grid_for(n), kThreads, 0, s>>>(loss, x, y, pos_weight, n, C);
}

template <typename T>
void bce_logits_backward_cuda(T* dx, T* dy, const T* g, const T* x, const T* y, const T* pos_weight,
                              int64_t n, int64_t C, cudaStream_t s) {
  if (n == 0) return;
  bce_backward_kernel<<<grid_for(n), kThreads, 0, s>>>(dx, dy, g, x, y, pos_weight, n, C);
}

#define GPUNN_INSTANTIATE(T)                                                                      \
  template void nll_forward_cuda<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, \
                                    int64_t, int64_t, double, cudaStream_t);                      \
  template void nll_backward_cuda<T>(T*, const T*, const int64_t*, const T*, int64_t, int64_t,    \
                                     int64_t, int64_t, double, cudaStream_t);                     \
  template void multi_margin_forward_cuda<T>(T*, const T*, const int64_t*, const T*, int64_t,     \
                                             int64_t, int, double, double, cudaStream_t);         \
  template void multi_margin_backward_cuda<T>(T*, const T*, const T*, const int64_t*, const T*,   \
                                              int64_t, int64_t, int, double, double,              \
                                              cudaStream_t);                                      \
  template void bce_logits_forward_cuda<T>(T*, const T*, const T*, const T*, int64_t, int64_t,    \
                                           cudaStream_t);                                         \
  template void bce_logits_backward_cuda<T>(T*, T*, const T*, const T*, const T*, const T*,       \
                                            int64_t, int64_t, cudaStream_t);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
