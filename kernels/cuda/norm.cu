// CUDA batch norm and LRN (kernels/norm.h).
//
// Batch norm: one block per channel reduces over its N·inner values (double
// accumulators, cub::BlockReduce, two passes for the variance as on the CPU; the
// hand-written shuffles it replaced: kernels/cuda/variants.h), then
// a grid-stride pass writes the elements. LRN: one thread per
// output element, with the element formulas of kernels/norm_math.h.
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/cuda/variants.h"
#include "kernels/norm.h"
#include "kernels/norm_math.h"

namespace gpunn::kernels {
namespace {

using cuda_detail::grid_for;
using cuda_detail::kThreads;

#define GPUNN_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

using cuda_detail::Reducer;

template <Reducer R>
__device__ __forceinline__ double block_sum(double v) {
  return cuda_detail::block_sum<R, kThreads>(v);
}

// Element m of channel c (m over N·inner).
__device__ __forceinline__ int64_t channel_at(const NormShape& s, int64_t c, int64_t m) {
  return ((m / s.inner) * s.C + c) * s.inner + m % s.inner;
}

template <Reducer R, typename T>
__global__ void bn_stats_kernel(T* mean, T* invstd, T* var_unbiased, const T* __restrict__ x,
                                NormShape s, double eps) {
  const int64_t M = s.N * s.inner;
  for (int64_t c = blockIdx.x; c < s.C; c += gridDim.x) {
    double acc = 0.0;
    for (int64_t m = threadIdx.x; m < M; m += blockDim.x)
      acc += static_cast<double>(x[channel_at(s, c, m)]);
    const double mu = block_sum<R>(acc) / static_cast<double>(M);
    acc = 0.0;
    for (int64_t m = threadIdx.x; m < M; m += blockDim.x) {
      const double d = static_cast<double>(x[channel_at(s, c, m)]) - mu;
      acc += d * d;
    }
    const double sq = block_sum<R>(acc);
    if (threadIdx.x == 0) {
      mean[c] = static_cast<T>(mu);
      invstd[c] = static_cast<T>(1.0 / sqrt(sq / static_cast<double>(M) + eps));
      if (var_unbiased)
        var_unbiased[c] = static_cast<T>(M > 1 ? sq / static_cast<double>(M - 1) : 0.0);
    }
  }
}

template <typename T>
__global__ void bn_forward_kernel(T* y, const T* __restrict__ x, const T* mean, const T* invstd,
                                  const T* w, const T* b, NormShape s) {
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.inner) {
    const int64_t c = (e / s.inner) % s.C;
    using A = compute_t<T>;
    const A scale = static_cast<A>(invstd[c]) * (w ? static_cast<A>(w[c]) : A(1));
    y[e] = static_cast<T>((static_cast<A>(x[e]) - static_cast<A>(mean[c])) * scale +
                          (b ? static_cast<A>(b[c]) : A(0)));
  }
}

// Per channel: sums[2c] = Σ g, sums[2c+1] = Σ g·x̂, with g = dy (backward) or
// the tangent (JVP).
template <Reducer R, typename T>
__global__ void bn_channel_sums_kernel(double* sums, const T* __restrict__ g,
                                       const T* __restrict__ x, const T* mean, const T* invstd,
                                       NormShape s) {
  const int64_t M = s.N * s.inner;
  for (int64_t c = blockIdx.x; c < s.C; c += gridDim.x) {
    const double mu = static_cast<double>(mean[c]), r = static_cast<double>(invstd[c]);
    double a = 0.0, b = 0.0;
    for (int64_t m = threadIdx.x; m < M; m += blockDim.x) {
      const int64_t k = channel_at(s, c, m);
      const double v = static_cast<double>(g[k]);
      a += v;
      b += v * (static_cast<double>(x[k]) - mu) * r;
    }
    a = block_sum<R>(a);
    b = block_sum<R>(b);
    if (threadIdx.x == 0) {
      sums[2 * c] = a;
      sums[2 * c + 1] = b;
    }
  }
}

template <typename T>
__global__ void bn_backward_kernel(T* dx, T* dw, T* db, const T* __restrict__ dy,
                                   const T* __restrict__ x, const T* mean, const T* invstd,
                                   const T* w, const double* sums, NormShape s, bool training) {
  const double M = static_cast<double>(s.N * s.inner);
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.inner) {
    const int64_t c = (e / s.inner) % s.C;
    if (e == channel_at(s, c, 0)) {  // one writer per channel
      if (dw) dw[c] = static_cast<T>(sums[2 * c + 1]);
      if (db) db[c] = static_cast<T>(sums[2 * c]);
    }
    if (!dx) continue;
    const double r = static_cast<double>(invstd[c]);
    const double wr = (w ? static_cast<double>(w[c]) : 1.0) * r;
    const double g = static_cast<double>(dy[e]);
    if (training) {
      const double xhat = (static_cast<double>(x[e]) - static_cast<double>(mean[c])) * r;
      dx[e] = static_cast<T>(wr * (g - sums[2 * c] / M - xhat * sums[2 * c + 1] / M));
    } else {
      dx[e] = static_cast<T>(wr * g);
    }
  }
}

template <typename T>
__global__ void bn_jvp_kernel(T* t, const T* tx, const T* tw, const T* tb, const T* x,
                              const T* mean, const T* invstd, const T* w, const double* sums,
                              NormShape s, bool training) {
  const double M = static_cast<double>(s.N * s.inner);
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.inner) {
    const int64_t c = (e / s.inner) % s.C;
    const double r = static_cast<double>(invstd[c]);
    const double xhat = (static_cast<double>(x[e]) - static_cast<double>(mean[c])) * r;
    double v = 0.0;
    if (tx) {
      const double d = static_cast<double>(tx[e]);
      const double wc = w ? static_cast<double>(w[c]) : 1.0;
      v += wc * r * (training ? d - sums[2 * c] / M - xhat * sums[2 * c + 1] / M : d);
    }
    if (tw) v += static_cast<double>(tw[c]) * xhat;
    if (tb) v += static_cast<double>(tb[c]);
    t[e] = static_cast<T>(v);
  }
}

template <typename T>
__global__ void lrn_forward_kernel(T* y, T* scale, const T* x, NormShape s, int64_t size,
                                   double alpha, double beta, double k) {
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.inner) {
    math::lrn_forward_at(y, scale, x, s, size, alpha, beta, k, e / (s.C * s.inner),
                         (e / s.inner) % s.C, e % s.inner);
  }
}
template <typename T>
__global__ void lrn_backward_kernel(T* dx, const T* dy, const T* x, const T* scale, NormShape s,
                                    int64_t size, double alpha, double beta) {
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.inner) {
    math::lrn_backward_at(dx, dy, x, scale, s, size, alpha, beta, e / (s.C * s.inner),
                          (e / s.inner) % s.C, e % s.inner);
  }
}
template <typename T>
__global__ void lrn_jvp_kernel(T* t, const T* tx, const T* x, const T* scale, NormShape s,
                               int64_t size, double alpha, double beta) {
  GPUNN_GRID_STRIDE(e, s.N * s.C * s.inner) {
    math::lrn_jvp_at(t, tx, x, scale, s, size, alpha, beta, e / (s.C * s.inner),
                     (e / s.inner) % s.C, e % s.inner);
  }
}

unsigned channel_blocks(int64_t C) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(C, 65535)));
}

template <Reducer R, typename T>
void batch_norm_stats_launch(T* mean, T* invstd, T* var_unbiased, const T* x, NormShape s,
                             double eps, cudaStream_t stream) {
  if (s.C == 0) return;
  bn_stats_kernel<R>
      <<<channel_blocks(s.C), kThreads, 0, stream>>>(mean, invstd, var_unbiased, x, s, eps);
}

template <typename T>
void batch_norm_forward_launch(T* y, const T* x, const T* mean, const T* invstd, const T* w,
                               const T* b, NormShape s, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.inner;
  if (n > 0) bn_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, x, mean, invstd, w, b, s);
}

template <Reducer R, typename T>
void batch_norm_backward_launch(T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean,
                                const T* invstd, const T* w, NormShape s, bool training,
                                double* sums, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.inner;
  if (n == 0) return;
  bn_channel_sums_kernel<R>
      <<<channel_blocks(s.C), kThreads, 0, stream>>>(sums, dy, x, mean, invstd, s);
  bn_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(dx, dw, db, dy, x, mean, invstd, w, sums,
                                                           s, training);
}

template <typename T>
void batch_norm_jvp_launch(T* t, const T* tx, const T* tw, const T* tb, const T* x, const T* mean,
                           const T* invstd, const T* w, NormShape s, bool training, double* sums,
                           cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.inner;
  if (n == 0) return;
  if (tx) {
    bn_channel_sums_kernel<Reducer::kCub>
        <<<channel_blocks(s.C), kThreads, 0, stream>>>(sums, tx, x, mean, invstd, s);
  }
  bn_jvp_kernel<<<grid_for(n), kThreads, 0, stream>>>(t, tx, tw, tb, x, mean, invstd, w, sums, s,
                                                      training);
}

template <typename T>
void lrn_forward_launch(T* y, T* scale, const T* x, NormShape s, int64_t size, double alpha,
                        double beta, double k, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.inner;
  if (n > 0)
    lrn_forward_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, scale, x, s, size, alpha, beta, k);
}
template <typename T>
void lrn_backward_launch(T* dx, const T* dy, const T* x, const T* scale, NormShape s, int64_t size,
                         double alpha, double beta, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.inner;
  if (n > 0)
    lrn_backward_kernel<<<grid_for(n), kThreads, 0, stream>>>(dx, dy, x, scale, s, size, alpha,
                                                              beta);
}
template <typename T>
void lrn_jvp_launch(T* t, const T* tx, const T* x, const T* scale, NormShape s, int64_t size,
                    double alpha, double beta, cudaStream_t stream) {
  const int64_t n = s.N * s.C * s.inner;
  if (n > 0)
    lrn_jvp_kernel<<<grid_for(n), kThreads, 0, stream>>>(t, tx, x, scale, s, size, alpha, beta);
}

template <Reducer R, typename T>
void batch_norm_training_impl(const BatchNormTrainingArgs& a, const Context& ctx) {
  batch_norm_stats_launch<R>(static_cast<T*>(a.mean), static_cast<T*>(a.invstd),
                             static_cast<T*>(a.var_unbiased), static_cast<const T*>(a.x), a.s,
                             a.eps, ctx.stream);
  batch_norm_forward_launch(static_cast<T*>(a.y), static_cast<const T*>(a.x),
                            static_cast<const T*>(a.mean), static_cast<const T*>(a.invstd),
                            static_cast<const T*>(a.w), static_cast<const T*>(a.b), a.s,
                            ctx.stream);
}

template <Reducer R, typename T>
void batch_norm_backward_impl(const BatchNormBackwardArgs& a, const Context& ctx) {
  batch_norm_backward_launch<R>(static_cast<T*>(a.dx), static_cast<T*>(a.dw), static_cast<T*>(a.db),
                                static_cast<const T*>(a.dy), static_cast<const T*>(a.x),
                                static_cast<const T*>(a.mean), static_cast<const T*>(a.invstd),
                                static_cast<const T*>(a.w), a.s, a.training,
                                static_cast<double*>(ctx.workspace), ctx.stream);
}

}  // namespace

template <typename T>
void batch_norm_training_cuda(const BatchNormTrainingArgs& a, const Context& ctx) {
  batch_norm_training_impl<Reducer::kCub, T>(a, ctx);
}
template <typename T>
void handwritten::batch_norm_training_cuda(const BatchNormTrainingArgs& a, const Context& ctx) {
  batch_norm_training_impl<Reducer::kHandwritten, T>(a, ctx);
}

template <typename T>
void batch_norm_inference_cuda(const BatchNormInferenceArgs& a, const Context& ctx) {
  batch_norm_forward_launch(static_cast<T*>(a.y), static_cast<const T*>(a.x),
                            static_cast<const T*>(a.mean), static_cast<const T*>(a.invstd),
                            static_cast<const T*>(a.w), static_cast<const T*>(a.b), a.s,
                            ctx.stream);
}

size_t batch_norm_backward_cuda_workspace(const BatchNormBackwardArgs& a, const Context&) {
  return 2 * static_cast<size_t>(a.s.C) * sizeof(double);
}

template <typename T>
void batch_norm_backward_cuda(const BatchNormBackwardArgs& a, const Context& ctx) {
  batch_norm_backward_impl<Reducer::kCub, T>(a, ctx);
}
template <typename T>
void handwritten::batch_norm_backward_cuda(const BatchNormBackwardArgs& a, const Context& ctx) {
  batch_norm_backward_impl<Reducer::kHandwritten, T>(a, ctx);
}

size_t batch_norm_jvp_cuda_workspace(const BatchNormJvpArgs& a, const Context&) {
  return 2 * static_cast<size_t>(a.s.C) * sizeof(double);
}

template <typename T>
void batch_norm_jvp_cuda(const BatchNormJvpArgs& a, const Context& ctx) {
  batch_norm_jvp_launch(static_cast<T*>(a.t), static_cast<const T*>(a.tx),
                        static_cast<const T*>(a.tw), static_cast<const T*>(a.tb),
                        static_cast<const T*>(a.x), static_cast<const T*>(a.mean),
                        static_cast<const T*>(a.invstd), static_cast<const T*>(a.w), a.s,
                        a.training, static_cast<double*>(ctx.workspace), ctx.stream);
}

template <typename T>
void lrn_forward_cuda(const LrnArgs& a, const Context& ctx) {
  lrn_forward_launch(static_cast<T*>(a.y), static_cast<T*>(a.scale), static_cast<const T*>(a.x),
                     a.s, a.size, a.alpha, a.beta, a.k, ctx.stream);
}

bool lrn_backward_has_scale(const LrnBackwardArgs& a) { return a.scale != nullptr; }

template <typename T>
void lrn_backward_cuda(const LrnBackwardArgs& a, const Context& ctx) {
  lrn_backward_launch(static_cast<T*>(a.dx), static_cast<const T*>(a.dy),
                      static_cast<const T*>(a.x), static_cast<const T*>(a.scale), a.s, a.size,
                      a.alpha, a.beta, ctx.stream);
}

template <typename T>
void lrn_jvp_cuda(const LrnJvpArgs& a, const Context& ctx) {
  lrn_jvp_launch(static_cast<T*>(a.t), static_cast<const T*>(a.tx), static_cast<const T*>(a.x),
                 static_cast<const T*>(a.scale), a.s, a.size, a.alpha, a.beta, ctx.stream);
}

#define GPUNN_INSTANTIATE(T)                                                                 \
  template void batch_norm_training_cuda<T>(const BatchNormTrainingArgs&, const Context&);   \
  template void batch_norm_inference_cuda<T>(const BatchNormInferenceArgs&, const Context&); \
  template void batch_norm_backward_cuda<T>(const BatchNormBackwardArgs&, const Context&);   \
  template void batch_norm_jvp_cuda<T>(const BatchNormJvpArgs&, const Context&);             \
  template void lrn_forward_cuda<T>(const LrnArgs&, const Context&);                         \
  template void lrn_backward_cuda<T>(const LrnBackwardArgs&, const Context&);                \
  template void lrn_jvp_cuda<T>(const LrnJvpArgs&, const Context&);                          \
  template void handwritten::batch_norm_training_cuda<T>(const BatchNormTrainingArgs&,       \
                                                         const Context&);                    \
  template void handwritten::batch_norm_backward_cuda<T>(const BatchNormBackwardArgs&,       \
                                                         const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
GPUNN_INSTANTIATE(BFloat16)
GPUNN_INSTANTIATE(Half)
#undef GPUNN_INSTANTIATE

}  // namespace gpunn::kernels
