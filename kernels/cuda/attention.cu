// Fused attention on CUDA cores (kernels/attention.h), in the shape of FlashAttention-2
// (Dao, 2023): the T×S scores are never stored.
//
// Forward: a block of kRows threads owns kRows query rows of one head (one row per
// thread, its q row in shared memory, padded so the threads' reads fall in different
// banks). It walks the key tiles of kCols rows, loading K and V into shared memory (every
// thread reads the same key at a time: a broadcast); per tile each thread takes its
// kCols scores, raises its running maximum, rescales its accumulator and adds the tile's
// p·v (an online softmax). The end divides by the running sum and saves
// lse = m + log(l).
//
// Backward, two kernels and no atomics (bitwise repeatable):
//   dq:     rows as in the forward; per key p = exp(s - lse), dp = z·do·v,
//           ds = p (dp - D_i); dq_i += ds k_j. It also writes D_i = do_i·o_i to the
//           workspace for the second kernel.
//   dk dv:  a block owns kRows keys (one per thread, k and v rows in shared memory) and
//           walks the query tiles (q, do, lse, D in shared memory, broadcast):
//           dv_j += p z do_i, dk_j += ds q_i.
// Causal blocks skip the tiles past the diagonal. Arithmetic in compute_t<T> (float for
// the 16-bit types), tiles converted once as they are loaded.
//
// Per-thread accumulators live in registers sized by kD, 64 or 128, the smaller that holds
// both head dims (loops over them run to kD, guarded by the real dim, so indices stay
// static); loops over keys are not unrolled (a thread's scores of a tile sit in shared
// memory), which keeps each kernel small.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/attention.h"
#include "kernels/attention_math.h"
#include "kernels/base/cuda_check.h"

namespace gpunn::kernels {
namespace {

constexpr int kRows = 64;  // threads per block: query rows (forward, dq) or keys (dk dv)
constexpr int kCols = 32;  // keys (forward, dq) or queries (dk dv) per shared-memory tile

template <typename T>
using Lse = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename A>
__device__ __forceinline__ A neg_inf() {
  return -static_cast<A>(INFINITY);
}

// Copies rows [r0, r0 + n) of a [rows, dim] matrix into shared memory with row pitch
// `pitch`, as A, zero past `rows`. All kRows threads take part.
template <typename T, typename A>
__device__ __forceinline__ void load_tile(A* dst, const T* src, int64_t r0, int n, int64_t rows,
                                          int dim, int pitch) {
  for (int e = threadIdx.x; e < n * dim; e += kRows) {
    const int r = e / dim, d = e % dim;
    dst[r * pitch + d] = (r0 + r < rows) ? static_cast<A>(src[(r0 + r) * dim + d]) : A(0);
  }
}

template <typename A>
__device__ __forceinline__ A dot(const A* a, const A* b, int n) {
  A s = 0;
  for (int d = 0; d < n; ++d) s += a[d] * b[d];
  return s;
}

// The score s_ij before the causal test: scale·q·k + mask.
template <typename T, typename A>
__device__ __forceinline__ A score(const AttentionShape& sh, const A* qrow, const A* krow,
                                   int64_t b, int64_t h, int64_t i, int64_t j) {
  A s = static_cast<A>(sh.scale) * dot(qrow, krow, static_cast<int>(sh.D));
  if (sh.mask)
    s +=
        static_cast<A>(static_cast<const T*>(sh.mask)[math::attention_mask_offset(sh, b, h, i, j)]);
  return s;
}

template <typename T, int kD>
__global__ void __launch_bounds__(kRows)
    attention_forward_kernel(AttentionShape sh, const T* __restrict__ q, const T* __restrict__ k,
                             const T* __restrict__ v, T* __restrict__ o, Lse<T>* __restrict__ lse,
                             int64_t row_tiles) {
  using A = compute_t<T>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int D = static_cast<int>(sh.D), Dv = static_cast<int>(sh.Dv);
  A* qs = reinterpret_cast<A*>(smem_raw);  // [kRows][D + 1]
  A* ks = qs + kRows * (D + 1);            // [kCols][D]
  A* vs = ks + kCols * D;                  // [kCols][Dv]
  const int64_t bh = blockIdx.x / row_tiles;
  const int64_t i0 = (blockIdx.x % row_tiles) * kRows;
  const int64_t b = bh / sh.H, h = bh % sh.H;
  const int tid = threadIdx.x;
  A* sc = vs + kCols * Dv + tid * (kCols + 1);  // this thread's scores of the tile
  const int64_t i = i0 + tid;
  const bool live = i < sh.T;
  load_tile(qs, q + bh * sh.T * D, i0, kRows, sh.T, D, D + 1);

  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const A keep_scale = static_cast<A>(1.0 / (1.0 - sh.dropout_p));
  A acc[kD];
#pragma unroll
  for (int d = 0; d < kD; ++d) acc[d] = 0;
  A m = neg_inf<A>(), l = 0;
  bool nan = false;
  const int64_t j_end = sh.causal && i0 + kRows < sh.S ? i0 + kRows : sh.S;
  for (int64_t j0 = 0; j0 < j_end; j0 += kCols) {
    __syncthreads();  // the previous tile is consumed (and q is loaded)
    load_tile(ks, k + bh * sh.S * D, j0, kCols, sh.S, D, D);
    load_tile(vs, v + bh * sh.S * Dv, j0, kCols, sh.S, Dv, Dv);
    __syncthreads();
    if (!live) continue;
    A tile_max = neg_inf<A>();
#pragma unroll 1
    for (int c = 0; c < kCols; ++c) {
      const int64_t j = j0 + c;
      A s = neg_inf<A>();
      if (j < sh.S && !(sh.causal && j > i))
        s = score<T>(sh, qs + tid * (D + 1), ks + c * D, b, h, i, j);
      nan |= isnan(s);
      sc[c] = s;
      tile_max = fmax(tile_max, s);
    }
    const A m_new = fmax(m, tile_max);
    if (m_new == neg_inf<A>()) continue;  // every score so far is -inf: nothing to add
    const A alpha = exp(m - m_new);       // 0 while m is -inf
    l *= alpha;
#pragma unroll
    for (int d = 0; d < kD; ++d) acc[d] *= alpha;
#pragma unroll 1
    for (int c = 0; c < kCols; ++c) {
      A p = exp(sc[c] - m_new);
      l += p;
      if (dropout &&
          !math::attention_keep(sh.seed, sh.offset, bh, i, j0 + c, sh.T, sh.S, threshold))
        p = 0;
      p *= dropout ? keep_scale : A(1);
      const A* vr = vs + c * Dv;
#pragma unroll
      for (int d = 0; d < kD; ++d)
        if (d < Dv) acc[d] += p * vr[d];
    }
    m = m_new;
  }
  if (!live) return;
  T* orow = o + (bh * sh.T + i) * Dv;
  const bool empty = m == neg_inf<A>();
  const A inv_l = empty ? A(0) : A(1) / l;
#pragma unroll
  for (int d = 0; d < kD; ++d)
    if (d < Dv) orow[d] = static_cast<T>(nan ? static_cast<A>(NAN) : acc[d] * inv_l);
  lse[bh * sh.T + i] =
      static_cast<Lse<T>>(nan ? static_cast<A>(NAN) : (empty ? neg_inf<A>() : m + log(l)));
}

template <typename T, int kD>
__global__ void __launch_bounds__(kRows)
    attention_dq_kernel(AttentionShape sh, const T* __restrict__ q, const T* __restrict__ k,
                        const T* __restrict__ v, const T* __restrict__ o,
                        const Lse<T>* __restrict__ lse, const T* __restrict__ dout,
                        T* __restrict__ dq, Lse<T>* __restrict__ delta, int64_t row_tiles) {
  using A = compute_t<T>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int D = static_cast<int>(sh.D), Dv = static_cast<int>(sh.Dv);
  A* qs = reinterpret_cast<A*>(smem_raw);  // [kRows][D + 1]
  A* dos = qs + kRows * (D + 1);           // [kRows][Dv + 1]
  A* ks = dos + kRows * (Dv + 1);          // [kCols][D]
  A* vs = ks + kCols * D;                  // [kCols][Dv]
  const int64_t bh = blockIdx.x / row_tiles;
  const int64_t i0 = (blockIdx.x % row_tiles) * kRows;
  const int64_t b = bh / sh.H, h = bh % sh.H;
  const int tid = threadIdx.x;
  const int64_t i = i0 + tid;
  load_tile(qs, q + bh * sh.T * D, i0, kRows, sh.T, D, D + 1);
  load_tile(dos, dout + bh * sh.T * Dv, i0, kRows, sh.T, Dv, Dv + 1);

  __syncthreads();  // dos is loaded
  A l_i = 0, D_i = 0;
  bool live = i < sh.T;
  if (live) {
    l_i = static_cast<A>(lse[bh * sh.T + i]);
    const T* orow = o + (bh * sh.T + i) * Dv;
    for (int d = 0; d < Dv; ++d) D_i += dos[tid * (Dv + 1) + d] * static_cast<A>(orow[d]);
    if (l_i == neg_inf<A>()) D_i = 0;  // fully masked: no gradient
    delta[bh * sh.T + i] = static_cast<Lse<T>>(D_i);
    live = l_i != neg_inf<A>();
  }

  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const A keep_scale = static_cast<A>(1.0 / (1.0 - sh.dropout_p));
  A acc[kD];
#pragma unroll
  for (int d = 0; d < kD; ++d) acc[d] = 0;
  const int64_t j_end = sh.causal && i0 + kRows < sh.S ? i0 + kRows : sh.S;
  for (int64_t j0 = 0; j0 < j_end; j0 += kCols) {
    __syncthreads();
    load_tile(ks, k + bh * sh.S * D, j0, kCols, sh.S, D, D);
    load_tile(vs, v + bh * sh.S * Dv, j0, kCols, sh.S, Dv, Dv);
    __syncthreads();
    if (!live) continue;
#pragma unroll 1
    for (int c = 0; c < kCols; ++c) {
      const int64_t j = j0 + c;
      if (j >= sh.S || (sh.causal && j > i)) continue;
      const A p = exp(score<T>(sh, qs + tid * (D + 1), ks + c * D, b, h, i, j) - l_i);
      A z = 1;
      if (dropout)
        z = math::attention_keep(sh.seed, sh.offset, bh, i, j, sh.T, sh.S, threshold) ? keep_scale
                                                                                      : A(0);
      const A dp = z * dot(dos + tid * (Dv + 1), vs + c * Dv, Dv);
      const A ds = p * (dp - D_i);
      const A* kr = ks + c * D;
#pragma unroll
      for (int d = 0; d < kD; ++d)
        if (d < D) acc[d] += ds * kr[d];
    }
  }
  if (i >= sh.T) return;
  T* out = dq + (bh * sh.T + i) * D;
  const A scale = static_cast<A>(sh.scale);
#pragma unroll
  for (int d = 0; d < kD; ++d)
    if (d < D) out[d] = static_cast<T>(scale * acc[d]);
}

template <typename T, int kD>
__global__ void __launch_bounds__(kRows)
    attention_dkdv_kernel(AttentionShape sh, const T* __restrict__ q, const T* __restrict__ k,
                          const T* __restrict__ v, const Lse<T>* __restrict__ lse,
                          const Lse<T>* __restrict__ delta, const T* __restrict__ dout,
                          T* __restrict__ dk, T* __restrict__ dv, int64_t key_tiles) {
  using A = compute_t<T>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int D = static_cast<int>(sh.D), Dv = static_cast<int>(sh.Dv);
  A* ks = reinterpret_cast<A*>(smem_raw);  // [kRows][D + 1]
  A* vs = ks + kRows * (D + 1);            // [kRows][Dv + 1]
  A* qs = vs + kRows * (Dv + 1);           // [kCols][D]
  A* dos = qs + kCols * D;                 // [kCols][Dv]
  A* ls = dos + kCols * Dv;                // [kCols]
  A* deltas = ls + kCols;                  // [kCols]
  const int64_t bh = blockIdx.x / key_tiles;
  const int64_t j0 = (blockIdx.x % key_tiles) * kRows;
  const int64_t b = bh / sh.H, h = bh % sh.H;
  const int tid = threadIdx.x;
  const int64_t j = j0 + tid;
  const bool live = j < sh.S;
  load_tile(ks, k + bh * sh.S * D, j0, kRows, sh.S, D, D + 1);
  load_tile(vs, v + bh * sh.S * Dv, j0, kRows, sh.S, Dv, Dv + 1);

  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const A keep_scale = static_cast<A>(1.0 / (1.0 - sh.dropout_p));
  A adk[kD], adv[kD];
#pragma unroll
  for (int d = 0; d < kD; ++d) adk[d] = adv[d] = 0;
  // Causal: queries before this block's first key see none of its keys.
  const int64_t i_begin = sh.causal ? (j0 / kCols) * kCols : 0;
  for (int64_t i0 = i_begin; i0 < sh.T; i0 += kCols) {
    __syncthreads();
    load_tile(qs, q + bh * sh.T * D, i0, kCols, sh.T, D, D);
    load_tile(dos, dout + bh * sh.T * Dv, i0, kCols, sh.T, Dv, Dv);
    if (tid < kCols) {
      const bool in = i0 + tid < sh.T;
      ls[tid] = in ? static_cast<A>(lse[bh * sh.T + i0 + tid]) : neg_inf<A>();
      deltas[tid] = in ? static_cast<A>(delta[bh * sh.T + i0 + tid]) : A(0);
    }
    __syncthreads();
    if (!live) continue;
#pragma unroll 1
    for (int c = 0; c < kCols; ++c) {
      const int64_t i = i0 + c;
      if (i >= sh.T || ls[c] == neg_inf<A>() || (sh.causal && j > i)) continue;
      const A p = exp(score<T>(sh, qs + c * D, ks + tid * (D + 1), b, h, i, j) - ls[c]);
      A z = 1;
      if (dropout)
        z = math::attention_keep(sh.seed, sh.offset, bh, i, j, sh.T, sh.S, threshold) ? keep_scale
                                                                                      : A(0);
      const A* dor = dos + c * Dv;
      const A dp = z * dot(dor, vs + tid * (Dv + 1), Dv);
      const A ds = p * (dp - deltas[c]);
      const A pz = p * z;
      const A* qr = qs + c * D;
#pragma unroll
      for (int d = 0; d < kD; ++d) {
        if (d < Dv) adv[d] += pz * dor[d];
        if (d < D) adk[d] += ds * qr[d];
      }
    }
  }
  if (!live) return;
  const A scale = static_cast<A>(sh.scale);
  T* dkr = dk + (bh * sh.S + j) * D;
  T* dvr = dv + (bh * sh.S + j) * Dv;
#pragma unroll
  for (int d = 0; d < kD; ++d) {
    if (d < D) dkr[d] = static_cast<T>(scale * adk[d]);
    if (d < Dv) dvr[d] = static_cast<T>(adv[d]);
  }
}

int head_dim_bound(const AttentionShape& s) { return static_cast<int>(std::max(s.D, s.Dv)); }

bool shape_supported(DType dtype, const AttentionShape& s) {
  const int64_t limit = dtype == DType::Float64 ? 64 : 128;
  const int64_t tiles = std::max((s.T + kRows - 1) / kRows, (s.S + kRows - 1) / kRows);
  return s.D >= 1 && s.Dv >= 1 && s.D <= limit && s.Dv <= limit && s.T >= 1 && s.S >= 1 &&
         s.B * s.H * tiles <= (int64_t{1} << 31) - 1;
}

// Raises a kernel's dynamic shared-memory limit once (above 48 KiB needs the opt-in).
template <typename Kernel>
void allow_smem(Kernel kernel, size_t bytes) {
  if (bytes > 48 * 1024)
    GPUNN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          static_cast<int>(bytes)));
}

// Calls f with the kD that fits the head dims (float64 takes head dims up to 64 only:
// its 128-wide accumulators would not fit in registers).
template <typename T, typename F>
void with_head_dim(const AttentionShape& s, F&& f) {
  if (std::is_same_v<T, double> || head_dim_bound(s) <= 64) {
    f(std::integral_constant<int, 64>{});
  } else {
    if constexpr (!std::is_same_v<T, double>) f(std::integral_constant<int, 128>{});
  }
}

}  // namespace

bool attention_forward_cuda_supported(const AttentionArgs& a) {
  return shape_supported(a.dtype, a.shape);
}
bool attention_backward_cuda_supported(const AttentionBackwardArgs& a) {
  return shape_supported(a.dtype, a.shape);
}

template <typename T>
void attention_forward_cuda(const AttentionArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  const AttentionShape& sh = a.shape;
  const int64_t row_tiles = (sh.T + kRows - 1) / kRows;
  const size_t smem =
      sizeof(A) * (kRows * (sh.D + 1) + kCols * sh.D + kCols * sh.Dv + kRows * (kCols + 1));
  with_head_dim<T>(sh, [&](auto kd) {
    auto kernel = attention_forward_kernel<T, decltype(kd)::value>;
    allow_smem(kernel, smem);
    kernel<<<static_cast<unsigned>(sh.B * sh.H * row_tiles), kRows, smem, ctx.stream>>>(
        sh, static_cast<const T*>(a.q), static_cast<const T*>(a.k), static_cast<const T*>(a.v),
        static_cast<T*>(a.o), static_cast<Lse<T>*>(a.lse), row_tiles);
  });
}

template <typename T>
size_t attention_backward_cuda_workspace(const AttentionBackwardArgs& a, const Context&) {
  return sizeof(Lse<T>) * static_cast<size_t>(a.shape.B * a.shape.H * a.shape.T);
}

template <typename T>
void attention_backward_cuda(const AttentionBackwardArgs& a, const Context& ctx) {
  using A = compute_t<T>;
  const AttentionShape& sh = a.shape;
  auto* delta = static_cast<Lse<T>*>(ctx.workspace);
  const int64_t row_tiles = (sh.T + kRows - 1) / kRows;
  const int64_t key_tiles = (sh.S + kRows - 1) / kRows;
  const size_t smem_dq =
      sizeof(A) * (kRows * (sh.D + 1) + kRows * (sh.Dv + 1) + kCols * sh.D + kCols * sh.Dv);
  const size_t smem_dkdv = sizeof(A) * (kRows * (sh.D + 1) + kRows * (sh.Dv + 1) + kCols * sh.D +
                                        kCols * sh.Dv + 2 * kCols);
  with_head_dim<T>(sh, [&](auto kd) {
    constexpr int kD = decltype(kd)::value;
    auto dq_kernel = attention_dq_kernel<T, kD>;
    allow_smem(dq_kernel, smem_dq);
    dq_kernel<<<static_cast<unsigned>(sh.B * sh.H * row_tiles), kRows, smem_dq, ctx.stream>>>(
        sh, static_cast<const T*>(a.q), static_cast<const T*>(a.k), static_cast<const T*>(a.v),
        static_cast<const T*>(a.o), static_cast<const Lse<T>*>(a.lse),
        static_cast<const T*>(a.dout), static_cast<T*>(a.dq), delta, row_tiles);
    auto dkdv_kernel = attention_dkdv_kernel<T, kD>;
    allow_smem(dkdv_kernel, smem_dkdv);
    dkdv_kernel<<<static_cast<unsigned>(sh.B * sh.H * key_tiles), kRows, smem_dkdv, ctx.stream>>>(
        sh, static_cast<const T*>(a.q), static_cast<const T*>(a.k), static_cast<const T*>(a.v),
        static_cast<const Lse<T>*>(a.lse), delta, static_cast<const T*>(a.dout),
        static_cast<T*>(a.dk), static_cast<T*>(a.dv), key_tiles);
  });
}

// float32 and float64; the 16-bit rows hold the tensor-core kernels (attention_tc.cu),
// which take the same workspace (one float per query row).
#define GPUNN_ATTENTION_CUDA(T)                                                  \
  template void attention_forward_cuda<T>(const AttentionArgs&, const Context&); \
  template void attention_backward_cuda<T>(const AttentionBackwardArgs&, const Context&);
GPUNN_ATTENTION_CUDA(float)
GPUNN_ATTENTION_CUDA(double)
template size_t attention_backward_cuda_workspace<float>(const AttentionBackwardArgs&,
                                                         const Context&);
template size_t attention_backward_cuda_workspace<double>(const AttentionBackwardArgs&,
                                                          const Context&);
template size_t attention_backward_cuda_workspace<BFloat16>(const AttentionBackwardArgs&,
                                                            const Context&);
template size_t attention_backward_cuda_workspace<Half>(const AttentionBackwardArgs&,
                                                        const Context&);
#undef GPUNN_ATTENTION_CUDA

}  // namespace gpunn::kernels
