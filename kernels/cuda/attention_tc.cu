// Fused attention forward on tensor cores for bfloat16 and float16 (kernels/attention.h),
// in the shape of FlashAttention-2's forward (Dao, 2023).
//
// A block of 4 warps owns 64 query rows of one head, 16 per warp. Q's tile stays in shared
// memory; the block walks the key tiles of 64 rows, loading K and V (zero past the sequence
// and head-dim edges). Per tile each warp computes its 16 x 64 scores with mma.sync
// m16n8k16 (16-bit inputs, float32 sums), adds scale, mask, causal and edge masking in
// registers, raises its rows' running maxima (reduced over the 4 lanes that share a row),
// rescales its output accumulators and adds P·V, where P (rounded to T) goes from the score
// accumulators into the A operand of the next mma without leaving registers: the C
// fragment of two adjacent 8-key tiles is the A fragment of one 16-key step
// (kernels/cuda/mma.cuh gives the layouts). The running sums stay per lane until the end.
// Dropout and the fully-masked and NaN rules are those of the reference
// (kernels/attention_math.h); lse is saved for the backward.
//
// Backward (after D_i = do_i·o_i, one warp per row): the dq kernel owns 64 query rows and
// walks the key tiles (S = Q Kᵀ and dP = dO Vᵀ on tensor cores, dS = P ∘ (Z ∘ dP - D) in
// registers, dQ += dS K); the dk/dv kernel owns 64 keys and walks the query tiles (Sᵀ, dPᵀ,
// then dV += (P ∘ Z)ᵀ dO and dK += dSᵀ Q). P and dS are rounded to T before the products
// that take them (as in FlashAttention-2); no atomics, so the result is repeatable.
//
// Head dims up to 128: kD is 64 or 128, padded with zeros.
#include <cuda_runtime.h>
#include <gpunn/half.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "kernels/attention.h"
#include "kernels/attention_math.h"
#include "kernels/base/cuda_check.h"
#include "kernels/cuda/mma.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::mma_16816;
using cuda_detail::pack2;

constexpr int kTcThreads = 128;  // 4 warps
constexpr int kBr = 64;          // query rows per block (16 per warp)
constexpr int kBc = 64;          // keys per tile
constexpr int kPadTc = 8;        // row padding (16 bytes): fragment loads hit distinct banks
// attention_*_cuda_supported (kernels/cuda/attention.cu) bounds the grid for 64-row tiles.
static_assert(kBr == 64 && kBc == 64, "the grid bound in attention.cu assumes 64-row tiles");

// Rows [r0, r0 + n) of a [rows, dim] matrix into shared memory as 16-bit patterns, pitch
// kD + kPadTc, zero past `rows` and past `dim` (up to kD).
template <typename T, int kD>
__device__ __forceinline__ void load_tile_tc(uint16_t* dst, const T* src, int64_t r0, int n,
                                             int64_t rows, int dim) {
  for (int e = threadIdx.x; e < n * kD; e += kTcThreads) {
    const int r = e / kD, d = e % kD;
    dst[r * (kD + kPadTc) + d] = (r0 + r < rows && d < dim) ? src[(r0 + r) * dim + d].bits : 0;
  }
}

__device__ __forceinline__ uint32_t ld32(const uint16_t* p) {
  return *reinterpret_cast<const uint32_t*>(p);
}

// B fragment of a product whose B operand is a tile read down its columns (B[k][n] =
// tile[k0 + k][n0 + n], row pitch P): the two 16-bit values of each register come from
// adjacent rows.
template <int P>
__device__ __forceinline__ void column_fragment(const uint16_t* tile, int k0, int n, int g, int t,
                                                uint32_t* b0, uint32_t* b1) {
  const uint16_t* base = tile + (k0 + 2 * t) * P + n + g;
  *b0 = static_cast<uint32_t>(base[0]) | (static_cast<uint32_t>(base[P]) << 16);
  *b1 = static_cast<uint32_t>(base[8 * P]) | (static_cast<uint32_t>(base[9 * P]) << 16);
}

// acc (16 x kD) += X (16 x 64, the C fragments x of 8 tiles of 8 columns, rounded to T) ·
// tile (64 x kD, read down its columns).
template <typename T, int kD>
__device__ __forceinline__ void accumulate_product(float (&acc)[kD / 8][4], const float (&x)[8][4],
                                                   const uint16_t* tile, int g, int t) {
  constexpr int P = kD + kPadTc;
#pragma unroll
  for (int kk = 0; kk < 4; ++kk) {
    const uint32_t a[4] = {
        pack2<T>(x[2 * kk][0], x[2 * kk][1]), pack2<T>(x[2 * kk][2], x[2 * kk][3]),
        pack2<T>(x[2 * kk + 1][0], x[2 * kk + 1][1]), pack2<T>(x[2 * kk + 1][2], x[2 * kk + 1][3])};
#pragma unroll
    for (int n = 0; n < kD / 8; ++n) {
      uint32_t b0, b1;
      column_fragment<P>(tile, kk * 16, n * 8, g, t, &b0, &b1);
      mma_16816<T>(acc[n], a, b0, b1);
    }
  }
}

// x (16 x 64) = A rows [ar, ar + 16) of `a_tile` times the transpose of rows [0, 64) of
// `b_tile`, both [.][kD] with pitch kD + kPadTc (the head dim is the reduction).
template <typename T, int kD>
__device__ __forceinline__ void rows_times_rows(float (&x)[8][4], const uint16_t* a_tile, int ar,
                                                const uint16_t* b_tile, int g, int t) {
  constexpr int P = kD + kPadTc;
#pragma unroll
  for (int n = 0; n < 8; ++n) x[n][0] = x[n][1] = x[n][2] = x[n][3] = 0.f;
#pragma unroll
  for (int kk = 0; kk < kD / 16; ++kk) {
    const int c0 = kk * 16 + 2 * t;
    const uint32_t a[4] = {ld32(a_tile + (ar + g) * P + c0), ld32(a_tile + (ar + g + 8) * P + c0),
                           ld32(a_tile + (ar + g) * P + c0 + 8),
                           ld32(a_tile + (ar + g + 8) * P + c0 + 8)};
#pragma unroll
    for (int n = 0; n < 8; ++n) {
      const uint16_t* br = b_tile + (n * 8 + g) * P + c0;
      mma_16816<T>(x[n], a, ld32(br), ld32(br + 8));
    }
  }
}

template <typename T, int kD>
__global__ void __launch_bounds__(kTcThreads)
    attention_forward_tc_kernel(AttentionShape sh, const T* __restrict__ q, const T* __restrict__ k,
                                const T* __restrict__ v, T* __restrict__ o, float* __restrict__ lse,
                                int64_t row_tiles) {
  constexpr int P = kD + kPadTc;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  uint16_t* Qs = reinterpret_cast<uint16_t*>(smem_raw);  // [kBr][P]
  uint16_t* Ks = Qs + kBr * P;                           // [kBc][P]
  uint16_t* Vs = Ks + kBc * P;                           // [kBc][P]
  const int D = static_cast<int>(sh.D), Dv = static_cast<int>(sh.Dv);
  const int64_t bh = blockIdx.x / row_tiles;
  const int64_t i0 = (blockIdx.x % row_tiles) * kBr;
  const int64_t b = bh / sh.H, h = bh % sh.H;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int wr = warp * 16;                               // the warp's first row in the tile
  const int64_t row[2] = {i0 + wr + g, i0 + wr + g + 8};  // this lane's two query rows
  load_tile_tc<T, kD>(Qs, q + bh * sh.T * D, i0, kBr, sh.T, D);

  const float neg_inf = -INFINITY;
  const float scale = static_cast<float>(sh.scale);
  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - sh.dropout_p));
  const T* mask = static_cast<const T*>(sh.mask);

  float acc[kD / 8][4];
#pragma unroll
  for (int n = 0; n < kD / 8; ++n) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;
  float m[2] = {neg_inf, neg_inf}, l[2] = {0.f, 0.f};
  bool nan[2] = {false, false};

  const int64_t j_end = sh.causal && i0 + kBr < sh.S ? i0 + kBr : sh.S;
  for (int64_t j0 = 0; j0 < j_end; j0 += kBc) {
    __syncthreads();  // the previous tile is consumed (and Q is loaded)
    load_tile_tc<T, kD>(Ks, k + bh * sh.S * D, j0, kBc, sh.S, D);
    load_tile_tc<T, kD>(Vs, v + bh * sh.S * Dv, j0, kBc, sh.S, Dv);
    __syncthreads();

    // S = Q Kᵀ for the warp's 16 rows and the tile's 64 keys: 8 tiles of 8 keys.
    float s[8][4];
    rows_times_rows<T, kD>(s, Qs, wr, Ks, g, t);

    // Scale, mask, causal and edges; the tile's maximum of each of the lane's rows.
    float tile_max[2] = {neg_inf, neg_inf};
#pragma unroll
    for (int n = 0; n < 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e >> 1;
        const int64_t j = j0 + n * 8 + 2 * t + (e & 1);
        float x = neg_inf;
        if (row[r] < sh.T && j < sh.S && !(sh.causal && j > row[r])) {
          x = s[n][e] * scale;
          if (mask) x += static_cast<float>(mask[math::attention_mask_offset(sh, b, h, row[r], j)]);
        }
        nan[r] |= isnan(x);
        s[n][e] = x;
        tile_max[r] = fmaxf(tile_max[r], x);
      }
    }
    float alpha[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
      tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
      const float m_new = fmaxf(m[r], tile_max[r]);
      alpha[r] = m_new == neg_inf ? 1.f : __expf(m[r] - m_new);  // 0 while m is -inf
      m[r] = m_new;
      l[r] *= alpha[r];
    }
#pragma unroll
    for (int n = 0; n < kD / 8; ++n) {
      acc[n][0] *= alpha[0];
      acc[n][1] *= alpha[0];
      acc[n][2] *= alpha[1];
      acc[n][3] *= alpha[1];
    }
    // P = exp(s - m); the sums take P before dropout, the product P after it.
#pragma unroll
    for (int n = 0; n < 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e >> 1;
        float p = m[r] == neg_inf ? 0.f : __expf(s[n][e] - m[r]);
        l[r] += p;
        if (dropout && p != 0.f) {
          const int64_t j = j0 + n * 8 + 2 * t + (e & 1);
          p = math::attention_keep(sh.seed, sh.offset, bh, row[r], j, sh.T, sh.S, threshold)
                  ? p * keep_scale
                  : 0.f;
        }
        s[n][e] = p;
      }
    }
    // O += P V, 16 keys per step: P's C fragments of tiles 2kk and 2kk+1 are the A fragment.
    accumulate_product<T, kD>(acc, s, Vs, g, t);
  }

  // The row sums and NaN flags over the 4 lanes of each row, then the output.
  float inv[2], row_lse[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    int any_nan = nan[r] ? 1 : 0;
    any_nan |= __shfl_xor_sync(0xffffffffu, any_nan, 1);
    any_nan |= __shfl_xor_sync(0xffffffffu, any_nan, 2);
    nan[r] = any_nan != 0;
    const bool empty = m[r] == neg_inf;
    inv[r] = nan[r] ? NAN : (empty ? 0.f : 1.f / l[r]);
    row_lse[r] = nan[r] ? NAN : (empty ? neg_inf : m[r] + logf(l[r]));
  }
#pragma unroll
  for (int n = 0; n < kD / 8; ++n) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int r = e >> 1;
      const int d = n * 8 + 2 * t + (e & 1);
      if (row[r] < sh.T && d < Dv) o[(bh * sh.T + row[r]) * Dv + d] = T(acc[n][e] * inv[r]);
    }
  }
  if (t == 0) {
#pragma unroll
    for (int r = 0; r < 2; ++r)
      if (row[r] < sh.T) lse[bh * sh.T + row[r]] = row_lse[r];
  }
}

// D_i = do_i·o_i (0 for a fully masked row), one warp per row, into `delta`.
template <typename T>
__global__ void attention_delta_kernel(const T* __restrict__ o, const T* __restrict__ dout,
                                       const float* __restrict__ lse, float* __restrict__ delta,
                                       int64_t rows, int Dv) {
  const int lane = threadIdx.x % 32;
  for (int64_t r = blockIdx.x * int64_t{kTcThreads / 32} + threadIdx.x / 32; r < rows;
       r += int64_t{gridDim.x} * (kTcThreads / 32)) {
    float sum = 0.f;
    for (int d = lane; d < Dv; d += 32)
      sum += static_cast<float>(o[r * Dv + d]) * static_cast<float>(dout[r * Dv + d]);
#pragma unroll
    for (int w = 16; w > 0; w /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, w);
    if (lane == 0) delta[r] = lse[r] == -INFINITY ? 0.f : sum;
  }
}

// dq: a block owns 64 query rows (16 per warp) and walks the key tiles: S = Q Kᵀ and
// dP = dO Vᵀ on tensor cores, P = exp(scale·S + mask - lse), dS = P ∘ (Z ∘ dP - D) in
// registers, dQ += dS K (dS rounded to T).
template <typename T, int kD>
__global__ void __launch_bounds__(kTcThreads)
    attention_dq_tc_kernel(AttentionShape sh, const T* __restrict__ q, const T* __restrict__ k,
                           const T* __restrict__ v, const float* __restrict__ lse,
                           const float* __restrict__ delta, const T* __restrict__ dout,
                           T* __restrict__ dq, int64_t row_tiles) {
  constexpr int P = kD + kPadTc;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  uint16_t* Qs = reinterpret_cast<uint16_t*>(smem_raw);  // [64][P]
  uint16_t* dOs = Qs + kBr * P;                          // [64][P]
  uint16_t* Ks = dOs + kBr * P;                          // [64][P]
  uint16_t* Vs = Ks + kBc * P;                           // [64][P]
  const int D = static_cast<int>(sh.D), Dv = static_cast<int>(sh.Dv);
  const int64_t bh = blockIdx.x / row_tiles;
  const int64_t i0 = (blockIdx.x % row_tiles) * kBr;
  const int64_t b = bh / sh.H, h = bh % sh.H;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int wr = warp * 16;
  const int64_t row[2] = {i0 + wr + g, i0 + wr + g + 8};
  load_tile_tc<T, kD>(Qs, q + bh * sh.T * D, i0, kBr, sh.T, D);
  load_tile_tc<T, kD>(dOs, dout + bh * sh.T * Dv, i0, kBr, sh.T, Dv);
  float l_row[2], d_row[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l_row[r] = row[r] < sh.T ? lse[bh * sh.T + row[r]] : -INFINITY;
    d_row[r] = row[r] < sh.T ? delta[bh * sh.T + row[r]] : 0.f;
  }
  const float scale = static_cast<float>(sh.scale);
  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - sh.dropout_p));
  const T* mask = static_cast<const T*>(sh.mask);
  float acc[kD / 8][4];
#pragma unroll
  for (int n = 0; n < kD / 8; ++n) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;

  const int64_t j_end = sh.causal && i0 + kBr < sh.S ? i0 + kBr : sh.S;
  for (int64_t j0 = 0; j0 < j_end; j0 += kBc) {
    __syncthreads();
    load_tile_tc<T, kD>(Ks, k + bh * sh.S * D, j0, kBc, sh.S, D);
    load_tile_tc<T, kD>(Vs, v + bh * sh.S * Dv, j0, kBc, sh.S, Dv);
    __syncthreads();
    float s[8][4], dp[8][4];
    rows_times_rows<T, kD>(s, Qs, wr, Ks, g, t);
    rows_times_rows<T, kD>(dp, dOs, wr, Vs, g, t);
#pragma unroll
    for (int n = 0; n < 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e >> 1;
        const int64_t j = j0 + n * 8 + 2 * t + (e & 1);
        float ds = 0.f;
        if (row[r] < sh.T && j < sh.S && !(sh.causal && j > row[r]) && l_row[r] != -INFINITY) {
          float x = s[n][e] * scale;
          if (mask) x += static_cast<float>(mask[math::attention_mask_offset(sh, b, h, row[r], j)]);
          const float p = __expf(x - l_row[r]);
          float z = 1.f;
          if (dropout)
            z = math::attention_keep(sh.seed, sh.offset, bh, row[r], j, sh.T, sh.S, threshold)
                    ? keep_scale
                    : 0.f;
          ds = p * (z * dp[n][e] - d_row[r]);
        }
        s[n][e] = ds;
      }
    }
    accumulate_product<T, kD>(acc, s, Ks, g, t);
  }
#pragma unroll
  for (int n = 0; n < kD / 8; ++n) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int r = e >> 1;
      const int d = n * 8 + 2 * t + (e & 1);
      if (row[r] < sh.T && d < D) dq[(bh * sh.T + row[r]) * D + d] = T(scale * acc[n][e]);
    }
  }
}

// dk, dv: a block owns 64 keys (16 per warp) and walks the query tiles: Sᵀ = K Qᵀ and
// dPᵀ = V dOᵀ on tensor cores, then dV += (P ∘ Z)ᵀ dO and dK += dSᵀ Q.
template <typename T, int kD>
__global__ void __launch_bounds__(kTcThreads)
    attention_dkdv_tc_kernel(AttentionShape sh, const T* __restrict__ q, const T* __restrict__ k,
                             const T* __restrict__ v, const float* __restrict__ lse,
                             const float* __restrict__ delta, const T* __restrict__ dout,
                             T* __restrict__ dk, T* __restrict__ dv, int64_t key_tiles) {
  constexpr int P = kD + kPadTc;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  uint16_t* Ks = reinterpret_cast<uint16_t*>(smem_raw);  // [64][P]
  uint16_t* Vs = Ks + kBc * P;                           // [64][P]
  uint16_t* Qs = Vs + kBc * P;                           // [64][P]
  uint16_t* dOs = Qs + kBr * P;                          // [64][P]
  float* ls = reinterpret_cast<float*>(dOs + kBr * P);   // [64]
  float* dls = ls + kBr;                                 // [64]
  const int D = static_cast<int>(sh.D), Dv = static_cast<int>(sh.Dv);
  const int64_t bh = blockIdx.x / key_tiles;
  const int64_t j0 = (blockIdx.x % key_tiles) * kBc;
  const int64_t b = bh / sh.H, h = bh % sh.H;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
  const int wr = warp * 16;
  const int64_t key[2] = {j0 + wr + g, j0 + wr + g + 8};
  load_tile_tc<T, kD>(Ks, k + bh * sh.S * D, j0, kBc, sh.S, D);
  load_tile_tc<T, kD>(Vs, v + bh * sh.S * Dv, j0, kBc, sh.S, Dv);
  const float scale = static_cast<float>(sh.scale);
  const bool dropout = sh.dropout_p > 0.0;
  const float threshold = math::attention_keep_threshold(sh.dropout_p);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - sh.dropout_p));
  const T* mask = static_cast<const T*>(sh.mask);
  float adk[kD / 8][4], adv[kD / 8][4];
#pragma unroll
  for (int n = 0; n < kD / 8; ++n)
    adk[n][0] = adk[n][1] = adk[n][2] = adk[n][3] = adv[n][0] = adv[n][1] = adv[n][2] = adv[n][3] =
        0.f;
  // Causal: queries before the block's first key see none of its keys.
  const int64_t i_begin = sh.causal ? (j0 / kBr) * kBr : 0;
  for (int64_t i0 = i_begin; i0 < sh.T; i0 += kBr) {
    __syncthreads();
    load_tile_tc<T, kD>(Qs, q + bh * sh.T * D, i0, kBr, sh.T, D);
    load_tile_tc<T, kD>(dOs, dout + bh * sh.T * Dv, i0, kBr, sh.T, Dv);
    for (int e = threadIdx.x; e < kBr; e += kTcThreads) {
      const bool in = i0 + e < sh.T;
      ls[e] = in ? lse[bh * sh.T + i0 + e] : -INFINITY;
      dls[e] = in ? delta[bh * sh.T + i0 + e] : 0.f;
    }
    __syncthreads();
    float st[8][4], dpt[8][4];
    rows_times_rows<T, kD>(st, Ks, wr, Qs, g, t);
    rows_times_rows<T, kD>(dpt, Vs, wr, dOs, g, t);
#pragma unroll
    for (int n = 0; n < 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = e >> 1;
        const int c = n * 8 + 2 * t + (e & 1);  // the query within the tile
        const int64_t i = i0 + c;
        float pz = 0.f, ds = 0.f;
        if (key[r] < sh.S && i < sh.T && !(sh.causal && key[r] > i) && ls[c] != -INFINITY) {
          float x = st[n][e] * scale;
          if (mask) x += static_cast<float>(mask[math::attention_mask_offset(sh, b, h, i, key[r])]);
          const float p = __expf(x - ls[c]);
          float z = 1.f;
          if (dropout)
            z = math::attention_keep(sh.seed, sh.offset, bh, i, key[r], sh.T, sh.S, threshold)
                    ? keep_scale
                    : 0.f;
          pz = p * z;
          ds = p * (z * dpt[n][e] - dls[c]);
        }
        st[n][e] = pz;
        dpt[n][e] = ds;
      }
    }
    accumulate_product<T, kD>(adv, st, dOs, g, t);
    accumulate_product<T, kD>(adk, dpt, Qs, g, t);
  }
#pragma unroll
  for (int n = 0; n < kD / 8; ++n) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int r = e >> 1;
      const int d = n * 8 + 2 * t + (e & 1);
      if (key[r] >= sh.S) continue;
      if (d < D) dk[(bh * sh.S + key[r]) * D + d] = T(scale * adk[n][e]);
      if (d < Dv) dv[(bh * sh.S + key[r]) * Dv + d] = T(adv[n][e]);
    }
  }
}

}  // namespace

// Called by attention_forward_cuda (kernels/cuda/attention.cu) for the 16-bit types.
template <typename T>
void attention_forward_tc(const AttentionArgs& a, const Context& ctx) {
  const AttentionShape& sh = a.shape;
  const int64_t row_tiles = (sh.T + kBr - 1) / kBr;
  const unsigned blocks = static_cast<unsigned>(sh.B * sh.H * row_tiles);
  auto run = [&](auto kernel, int kd) {
    const size_t smem = sizeof(uint16_t) * (kBr + 2 * kBc) * (kd + kPadTc);
    if (smem > 48 * 1024)
      GPUNN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                            static_cast<int>(smem)));
    kernel<<<blocks, kTcThreads, smem, ctx.stream>>>(
        sh, static_cast<const T*>(a.q), static_cast<const T*>(a.k), static_cast<const T*>(a.v),
        static_cast<T*>(a.o), static_cast<float*>(a.lse), row_tiles);
  };
  if (std::max(sh.D, sh.Dv) <= 64) {
    run(attention_forward_tc_kernel<T, 64>, 64);
  } else {
    run(attention_forward_tc_kernel<T, 128>, 128);
  }
}

// Called by attention_backward_cuda for the 16-bit types; the workspace holds D (float,
// one per query row).
template <typename T>
void attention_backward_tc(const AttentionBackwardArgs& a, const Context& ctx) {
  const AttentionShape& sh = a.shape;
  auto* delta = static_cast<float*>(ctx.workspace);
  const int64_t rows = sh.B * sh.H * sh.T;
  const int64_t row_tiles = (sh.T + kBr - 1) / kBr, key_tiles = (sh.S + kBc - 1) / kBc;
  attention_delta_kernel<T>
      <<<static_cast<unsigned>(std::min<int64_t>((rows + 3) / 4, 132 * 32)), kTcThreads, 0,
         ctx.stream>>>(static_cast<const T*>(a.o), static_cast<const T*>(a.dout),
                       static_cast<const float*>(a.lse), delta, rows, static_cast<int>(sh.Dv));
  auto run = [&](auto dq_kernel, auto dkdv_kernel, int kd) {
    const size_t tiles = sizeof(uint16_t) * 4 * 64 * (kd + kPadTc);
    const size_t smem_dkdv = tiles + 2 * kBr * sizeof(float);
    for (auto [kernel, bytes] : {std::pair{reinterpret_cast<const void*>(dq_kernel), tiles},
                                 std::pair{reinterpret_cast<const void*>(dkdv_kernel), smem_dkdv}})
      if (bytes > 48 * 1024)
        GPUNN_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              static_cast<int>(bytes)));
    dq_kernel<<<static_cast<unsigned>(sh.B * sh.H * row_tiles), kTcThreads, tiles, ctx.stream>>>(
        sh, static_cast<const T*>(a.q), static_cast<const T*>(a.k), static_cast<const T*>(a.v),
        static_cast<const float*>(a.lse), delta, static_cast<const T*>(a.dout),
        static_cast<T*>(a.dq), row_tiles);
    dkdv_kernel<<<static_cast<unsigned>(sh.B * sh.H * key_tiles), kTcThreads, smem_dkdv,
                  ctx.stream>>>(sh, static_cast<const T*>(a.q), static_cast<const T*>(a.k),
                                static_cast<const T*>(a.v), static_cast<const float*>(a.lse), delta,
                                static_cast<const T*>(a.dout), static_cast<T*>(a.dk),
                                static_cast<T*>(a.dv), key_tiles);
  };
  if (std::max(sh.D, sh.Dv) <= 64) {
    run(attention_dq_tc_kernel<T, 64>, attention_dkdv_tc_kernel<T, 64>, 64);
  } else {
    run(attention_dq_tc_kernel<T, 128>, attention_dkdv_tc_kernel<T, 128>, 128);
  }
}

template void attention_forward_tc<BFloat16>(const AttentionArgs&, const Context&);
template void attention_forward_tc<Half>(const AttentionArgs&, const Context&);
template void attention_backward_tc<BFloat16>(const AttentionBackwardArgs&, const Context&);
template void attention_backward_tc<Half>(const AttentionBackwardArgs&, const Context&);

}  // namespace gpunn::kernels
