// Implicit-GEMM convolution on the GPU, SIMT, for float32 (strict FP32) and float64: the
// three passes as GEMMs whose operands are gathered from x, w and dy while the tiles are
// loaded, with no im2col buffer (kernels/conv_math.h has the GEMM of each pass and its
// index arithmetic). Variant 2 of kernels/cuda/conv.cuh.
//
// One kernel serves the three passes through a Problem (Fwd, BwdData, BwdWeight below) that
// says how a thread's row of A is set up, how an element of A and of B is read for a step t
// of the sum, and where a result goes. A block computes a 128 x 64 tile of D with 256
// threads, each 8 x 4 results in registers, over slices of 8 steps staged in shared memory;
// the next slice is read from global memory into registers while the current one is
// multiplied. The table of steps (one entry per t) is built in the workspace first.
//
// Forward adds the bias and applies the ReLU epilogue in the store. Backward weight sums
// over every output pixel, which is long when N·P·Q is large and K·C·R·S small: the sum is
// split into ranges (split-K) whose partial sums go to the workspace, then are added in a
// fixed order (deterministic).
#include <algorithm>
#include <type_traits>

#include "kernels/conv.h"
#include "kernels/conv_math.h"
#include "kernels/cuda/conv.cuh"
#include "kernels/cuda/launch.cuh"

namespace gpunn::kernels {
namespace {

namespace cm = conv_math;
using cuda_detail::grid_for;
using cuda_detail::kThreads;

constexpr int kBM = 128, kBN = 64, kBK = 8, kIgThreads = 256;
static_assert(kIgThreads == 2 * kBM && kIgThreads == 4 * kBN, "load assignment");
static_assert(kBM == 16 * 8 && kBN == 16 * 4, "each thread computes 8 x 4");

// ---- the three problems ----------------------------------------------------------------
// Pointers are advanced to group g's channels and filters (the conv_math functions are
// called with g = 0).

template <typename T>
struct Fwd {
  using Row = cm::FwdRow;
  using Step = cm::FwdStep;
  Conv2dShape s;
  const T* x;
  const T* w;
  const T* b;  // may be null
  T* y;
  bool relu;

  __device__ Fwd group(int64_t g) const {
    Fwd p = *this;
    const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
    p.x += g * Cg * s.H * s.W;
    p.w += g * Kg * Cg * s.R * s.S;
    if (p.b) p.b += g * Kg;
    p.y += g * Kg * s.P * s.Q;
    return p;
  }
  __device__ static Step step(const Conv2dShape& s, int64_t t) { return cm::fwd_step(s, t); }
  __device__ Row row(int64_t m) const { return cm::fwd_row(s, 0, m); }
  __device__ T a(const Row& r, const Step& st) const {
    const int64_t i = cm::fwd_x_index(s, r, st);
    return i < 0 ? T(0) : x[i];
  }
  __device__ T bval(int64_t k, const Step&, int64_t t) const {
    return w[cm::fwd_w_index(s, 0, k, t)];
  }
  __device__ void store(const Row& r, int64_t, int64_t k, T v, int) const {
    if (b) v += b[k];
    if (relu && v < T(0)) v = T(0);  // NaN is not < 0: it stays
    y[cm::fwd_y_index(s, r, 0, k)] = v;
  }
};

template <typename T>
struct BwdData {
  using Row = cm::BwdDataRow;
  using Step = cm::BwdDataStep;
  Conv2dShape s;
  const T* dy;
  const T* w;
  T* dx;

  __device__ BwdData group(int64_t g) const {
    BwdData p = *this;
    const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
    p.dy += g * Kg * s.P * s.Q;
    p.w += g * Kg * Cg * s.R * s.S;
    p.dx += g * Cg * s.H * s.W;
    return p;
  }
  __device__ static Step step(const Conv2dShape& s, int64_t t) { return cm::bwd_data_step(s, t); }
  __device__ Row row(int64_t m) const { return cm::bwd_data_row(s, 0, m); }
  __device__ T a(const Row& r, const Step& st) const {
    const int64_t i = cm::bwd_data_dy_index(s, r, st);
    return i < 0 ? T(0) : dy[i];
  }
  __device__ T bval(int64_t c, const Step& st, int64_t) const {
    return w[cm::bwd_data_w_index(s, 0, c, st)];
  }
  __device__ void store(const Row& r, int64_t, int64_t c, T v, int) const {
    dx[cm::bwd_data_dx_index(s, r, 0, c)] = v;
  }
};

template <typename T>
struct BwdWeight {
  using Row = cm::BwdWeightRow;
  using Step = cm::BwdWeightStep;
  Conv2dShape s;
  const T* x;
  const T* dy;
  T* dw;       // written directly when the sum is not split
  T* partial;  // else [splits][K·Cg·R·S]
  int64_t group_offset;

  __device__ BwdWeight group(int64_t g) const {
    BwdWeight p = *this;
    const int64_t Cg = s.C / s.groups, Kg = s.K / s.groups;
    p.x += g * Cg * s.H * s.W;
    p.dy += g * Kg * s.P * s.Q;
    p.group_offset = g * Kg * Cg * s.R * s.S;
    return p;
  }
  __device__ static Step step(const Conv2dShape& s, int64_t t) { return cm::bwd_weight_step(s, t); }
  __device__ Row row(int64_t m) const { return cm::bwd_weight_row(s, m); }
  __device__ T a(const Row& r, const Step& st) const {
    const int64_t i = cm::bwd_weight_x_index(s, r, st, 0);
    return i < 0 ? T(0) : x[i];
  }
  __device__ T bval(int64_t k, const Step& st, int64_t) const {
    return dy[cm::bwd_weight_dy_index(s, st, 0, k)];
  }
  __device__ void store(const Row&, int64_t m, int64_t k, T v, int split) const {
    const int64_t i = group_offset + cm::bwd_weight_dw_index(s, 0, m, k);
    if (partial) {
      partial[split * s.K * (s.C / s.groups) * s.R * s.S + i] = v;
    } else {
      dw[i] = v;
    }
  }
};

// ---- the kernels ------------------------------------------------------------------------

template <typename P>
__global__ void build_steps_kernel(typename P::Step* __restrict__ steps, Conv2dShape s,
                                   int64_t total) {
  for (int64_t t = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; t < total;
       t += int64_t{gridDim.x} * blockDim.x)
    steps[t] = P::step(s, t);
}

// D = A · B for one 128 x 64 tile of one group and one range of the sum
// (blockIdx.z = group · splits + split).
template <typename T, typename P>
__global__ void __launch_bounds__(kIgThreads)
    implicit_gemm_kernel(P problem, const typename P::Step* __restrict__ steps, cm::GemmSize size,
                         int64_t chunk, int splits) {
  __shared__ __align__(16) T As[kBK][kBM];
  __shared__ __align__(16) T Bs[kBK][kBN];
  const int tid = threadIdx.x;
  const int64_t g = blockIdx.z / splits;
  const int split = static_cast<int>(blockIdx.z % splits);
  const P p = problem.group(g);
  const int64_t m0 = int64_t{blockIdx.x} * kBM, n0 = int64_t{blockIdx.y} * kBN;
  const int64_t t_begin = split * chunk;
  const int64_t t_end = t_begin + chunk < size.T ? t_begin + chunk : size.T;

  // Loads: A column am, rows ak + 2i; B column bn, rows bk + 4i.
  const int am = tid % kBM, ak = tid / kBM;
  const int bn = tid % kBN, bk = tid / kBN;
  const bool a_ok = m0 + am < size.M, b_ok = n0 + bn < size.N;
  const typename P::Row row = p.row(a_ok ? m0 + am : 0);
  const int64_t col = n0 + bn;
  T ra[4], rb[2];
  auto load = [&](int64_t t0) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int64_t t = t0 + ak + 2 * i;
      ra[i] = a_ok && t < t_end ? p.a(row, steps[t]) : T(0);
    }
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int64_t t = t0 + bk + 4 * i;
      rb[i] = b_ok && t < t_end ? p.bval(col, steps[t], t) : T(0);
    }
  };

  // Results: rows tm·4 + {0..3} and 64 + tm·4 + {0..3}, columns tn·4 + {0..3}.
  const int tm = tid % 16, tn = tid / 16;
  T acc[8][4];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) acc[i][j] = T(0);

  if (t_begin < t_end) load(t_begin);
  for (int64_t t0 = t_begin; t0 < t_end; t0 += kBK) {
    __syncthreads();  // the previous slice is no longer read
#pragma unroll
    for (int i = 0; i < 4; ++i) As[ak + 2 * i][am] = ra[i];
#pragma unroll
    for (int i = 0; i < 2; ++i) Bs[bk + 4 * i][bn] = rb[i];
    __syncthreads();
    if (t0 + kBK < t_end) load(t0 + kBK);  // the next slice, while this one is multiplied
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      T a[8], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        a[i] = As[kk][tm * 4 + i];
        a[4 + i] = As[kk][64 + tm * 4 + i];
        b[i] = Bs[kk][tn * 4 + i];
      }
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
    }
  }

#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t m = m0 + (i < 4 ? tm * 4 + i : 64 + tm * 4 + (i - 4));
    if (m >= size.M) continue;
    const typename P::Row out_row = p.row(m);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tn * 4 + j;
      if (n < size.N) p.store(out_row, m, n, acc[i][j], split);
    }
  }
}

// dw[i] = Σ_z partial[z][i] in order z = 0, 1, ...: the same sum on every run.
template <typename T>
__global__ void sum_partials_kernel(T* __restrict__ dw, const T* __restrict__ partial, int splits,
                                    int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    T acc = T(0);
    for (int z = 0; z < splits; ++z) acc += partial[z * n + i];
    dw[i] = acc;
  }
}

// ---- launches -----------------------------------------------------------------------------

constexpr size_t kAlign = 256;
size_t aligned(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

template <typename P>
size_t steps_bytes(int64_t total) {
  return aligned(static_cast<size_t>(total) * sizeof(typename P::Step));
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks along x (rows) and y (columns) for one group; CUDA allows 65535 along y.
bool grid_fits(const cm::GemmSize& size, int64_t groups, int splits) {
  return ceil_div(size.M, kBM) <= INT32_MAX && ceil_div(size.N, kBN) <= 65535 &&
         groups * splits <= 65535;
}

template <typename T, typename P>
void run(const P& problem, const Conv2dShape& s, const cm::GemmSize& size, int splits,
         void* workspace, cudaStream_t stream) {
  auto* steps = static_cast<typename P::Step*>(workspace);
  build_steps_kernel<P><<<grid_for(size.T), kThreads, 0, stream>>>(steps, s, size.T);
  const int64_t chunk = ceil_div(ceil_div(size.T, splits), kBK) * kBK;
  const dim3 grid(static_cast<unsigned>(ceil_div(size.M, kBM)),
                  static_cast<unsigned>(ceil_div(size.N, kBN)),
                  static_cast<unsigned>(s.groups * splits));
  implicit_gemm_kernel<T, P><<<grid, kIgThreads, 0, stream>>>(problem, steps, size, chunk, splits);
}

// How many ranges the weight gradient's sum is split into: enough blocks to fill the GPU
// (about 4 per SM of an H100) when the tiles alone are few, each range at least 16 slices.
int weight_splits(const cm::GemmSize& size, int64_t groups) {
  const int64_t tiles = ceil_div(size.M, kBM) * ceil_div(size.N, kBN) * groups;
  const int64_t wanted = ceil_div(4 * 132, tiles);
  const int64_t most = std::max<int64_t>(1, size.T / (16 * kBK));
  return static_cast<int>(std::clamp<int64_t>(wanted, 1, std::min<int64_t>(most, 64)));
}

}  // namespace

template <typename T>
bool conv2d_implicit_applies(const Conv2dShape& s) {
  if constexpr (!std::is_same_v<T, float> && !std::is_same_v<T, double>) {
    return false;
  } else {
    const int64_t groups = s.groups;
    return grid_fits(cm::fwd_size(s), groups, 1) && grid_fits(cm::bwd_data_size(s), groups, 1) &&
           grid_fits(cm::bwd_weight_size(s), groups, 64);
  }
}

size_t conv2d_forward_implicit_workspace(const Conv2dShape& s) {
  return steps_bytes<Fwd<float>>(cm::fwd_size(s).T);
}
size_t conv2d_backward_data_implicit_workspace(const Conv2dShape& s) {
  return steps_bytes<BwdData<float>>(cm::bwd_data_size(s).T);
}
size_t conv2d_backward_weight_implicit_workspace(const Conv2dShape& s, size_t element_bytes) {
  const cm::GemmSize size = cm::bwd_weight_size(s);
  const int splits = weight_splits(size, s.groups);
  const size_t partials =
      splits > 1 ? static_cast<size_t>(splits) * s.K * size.M * element_bytes : 0;
  return steps_bytes<BwdWeight<float>>(size.T) + aligned(partials);
}

template <typename T>
void conv2d_forward_implicit_cuda(const Conv2dForwardArgs& a, const Context& ctx) {
  const cm::GemmSize size = cm::fwd_size(a.s);
  if (size.M == 0 || size.N == 0) return;
  const Fwd<T> problem{a.s,
                       static_cast<const T*>(a.x),
                       static_cast<const T*>(a.w),
                       static_cast<const T*>(a.b),
                       static_cast<T*>(a.y),
                       a.relu};
  run<T>(problem, a.s, size, 1, ctx.workspace, ctx.stream);
}

template <typename T>
void conv2d_backward_data_implicit_cuda(const Conv2dBackwardDataArgs& a, const Context& ctx) {
  const cm::GemmSize size = cm::bwd_data_size(a.s);
  if (size.M == 0 || size.N == 0) return;
  const BwdData<T> problem{a.s, static_cast<const T*>(a.dy), static_cast<const T*>(a.w),
                           static_cast<T*>(a.dx)};
  run<T>(problem, a.s, size, 1, ctx.workspace, ctx.stream);
}

template <typename T>
void conv2d_backward_weight_implicit_cuda(const Conv2dBackwardWeightArgs& a, const Context& ctx) {
  const cm::GemmSize size = cm::bwd_weight_size(a.s);
  if (size.M == 0 || size.N == 0) return;
  const int64_t total = a.s.K * size.M;  // every group's dw
  if (size.T == 0) {                     // no pixels: the gradient is zero
    cudaMemsetAsync(a.dw, 0, static_cast<size_t>(total) * sizeof(T), ctx.stream);
    return;
  }
  const int splits = weight_splits(size, a.s.groups);
  T* partial = splits > 1 ? reinterpret_cast<T*>(static_cast<char*>(ctx.workspace) +
                                                 steps_bytes<BwdWeight<T>>(size.T))
                          : nullptr;
  const BwdWeight<T> problem{
      a.s, static_cast<const T*>(a.x), static_cast<const T*>(a.dy), static_cast<T*>(a.dw), partial,
      0};
  run<T>(problem, a.s, size, splits, ctx.workspace, ctx.stream);
  if (partial)
    sum_partials_kernel<T><<<grid_for(total), kThreads, 0, ctx.stream>>>(static_cast<T*>(a.dw),
                                                                         partial, splits, total);
}

#define GPUNN_INSTANTIATE(T)                                                               \
  template bool conv2d_implicit_applies<T>(const Conv2dShape&);                            \
  template void conv2d_forward_implicit_cuda<T>(const Conv2dForwardArgs&, const Context&); \
  template void conv2d_backward_data_implicit_cuda<T>(const Conv2dBackwardDataArgs&,       \
                                                      const Context&);                     \
  template void conv2d_backward_weight_implicit_cuda<T>(const Conv2dBackwardWeightArgs&,   \
                                                        const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE
template bool conv2d_implicit_applies<BFloat16>(const Conv2dShape&);
template bool conv2d_implicit_applies<Half>(const Conv2dShape&);

}  // namespace gpunn::kernels
