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
// (kernels/attention_math.h); lse is saved for the backward, which runs on CUDA cores
// (kernels/cuda/attention.cu).
//
// Head dims up to 128: kD is 64 or 128, padded with zeros.
#include <cuda_runtime.h>
#include <gpunn/half.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

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
#pragma unroll
    for (int n = 0; n < 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < kD / 16; ++kk) {
      const int c0 = kk * 16 + 2 * t;
      const uint32_t a[4] = {ld32(Qs + (wr + g) * P + c0), ld32(Qs + (wr + g + 8) * P + c0),
                             ld32(Qs + (wr + g) * P + c0 + 8),
                             ld32(Qs + (wr + g + 8) * P + c0 + 8)};
#pragma unroll
      for (int n = 0; n < 8; ++n) {
        const uint16_t* kr = Ks + (n * 8 + g) * P + c0;
        mma_16816<T>(s[n], a, ld32(kr), ld32(kr + 8));
      }
    }

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
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) {
      const uint32_t a[4] = {pack2<T>(s[2 * kk][0], s[2 * kk][1]),
                             pack2<T>(s[2 * kk][2], s[2 * kk][3]),
                             pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                             pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3])};
      const uint16_t* v0 = Vs + (kk * 16 + 2 * t) * P;
#pragma unroll
      for (int n = 0; n < kD / 8; ++n) {
        const int d = n * 8 + g;
        const uint32_t b0 = static_cast<uint32_t>(v0[d]) | (static_cast<uint32_t>(v0[P + d]) << 16);
        const uint32_t b1 =
            static_cast<uint32_t>(v0[8 * P + d]) | (static_cast<uint32_t>(v0[9 * P + d]) << 16);
        mma_16816<T>(acc[n], a, b0, b1);
      }
    }
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

template void attention_forward_tc<BFloat16>(const AttentionArgs&, const Context&);
template void attention_forward_tc<Half>(const AttentionArgs&, const Context&);

}  // namespace gpunn::kernels
