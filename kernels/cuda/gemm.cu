// Our CUDA GEMM (kernels/gemm.h; the typed form in kernels/cuda/gemm.cuh).
//
// Each block computes a BM x BN tile of C; each of its (BM/TM)·(BN/TN) threads
// a TM x TN sub-tile held in registers (register blocking). The K loop stages
// BK-wide slices of op(A) and op(B) in shared memory, stored K-major so that
// the inner product reads both fragments as consecutive words; loads go through
// one index function per operand, which covers all four transpose cases, and
// bounds checks make any M, N, K work. Batches run along the grid's z.
//
// Three variants (gemm_batched_cuda_variant; bench/ times them against cuBLAS):
//   1  the straightforward register-blocked kernel above, any T, any layout;
//   2  float only, for operands whose rows start on 16-byte boundaries and
//      sizes below 2^31: the same 128x128x8 tiling with 128-bit global loads,
//      two shared-memory stages (the next K slice is fetched into registers
//      while the current one is multiplied, so one barrier per slice
//      suffices), and a thread layout that makes the shared-memory fragment
//      reads conflict-free; one block per SM;
//   3  the same kernel fitted into 128 registers so that two blocks share an
//      SM. Same summation order as 2, so the same bits.
// gemm_batched_cuda picks 3 where it applies and the product is large.
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/gemm_tc.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/gemm.h"

#include <cstdint>
#include <type_traits>

namespace gpunn::kernels {
namespace {

// kEp: the epilogue (bias, ReLU) is compiled in; without it the kernel is exactly the plain
// product, whose register budget the epilogue would otherwise raise.
template <typename T, int BM, int BN, int BK, int TM, int TN, bool kEp>
__global__ void __launch_bounds__((BM / TM) * (BN / TN))
    gemm_kernel(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                const T* __restrict__ A, int64_t lda, int64_t stride_a, const T* __restrict__ B,
                int64_t ldb, int64_t stride_b, T beta, T* __restrict__ C, int64_t ldc,
                int64_t stride_c, int64_t batch, GemmEpilogue<T> ep) {
  constexpr int kThreads = (BM / TM) * (BN / TN);
  __shared__ T As[BK][BM];
  __shared__ T Bs[BK][BN];
  const int tid = threadIdx.x;
  const int tx = tid % (BN / TN), ty = tid / (BN / TN);
  const int64_t m0 = int64_t{blockIdx.y} * BM, n0 = int64_t{blockIdx.x} * BN;

  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {
    const T* a = A + z * stride_a;
    const T* b = B + z * stride_b;
    T* c = C + z * stride_c;
    T acc[TM][TN] = {};
    for (int64_t k0 = 0; k0 < K; k0 += BK) {
      // op(A)[m][k] and op(B)[k][n] for this slice, zero outside the matrices.
      for (int i = tid; i < BM * BK; i += kThreads) {
        const int mm = i / BK, kk = i % BK;
        const int64_t m = m0 + mm, k = k0 + kk;
        T v = T(0);
        if (m < M && k < K) v = trans_a ? a[k * lda + m] : a[m * lda + k];
        As[kk][mm] = v;
      }
      for (int i = tid; i < BK * BN; i += kThreads) {
        const int kk = i / BN, nn = i % BN;
        const int64_t k = k0 + kk, n = n0 + nn;
        T v = T(0);
        if (k < K && n < N) v = trans_b ? b[n * ldb + k] : b[k * ldb + n];
        Bs[kk][nn] = v;
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < BK; ++kk) {
        T af[TM], bf[TN];
#pragma unroll
        for (int i = 0; i < TM; ++i) af[i] = As[kk][ty * TM + i];
#pragma unroll
        for (int j = 0; j < TN; ++j) bf[j] = Bs[kk][tx * TN + j];
#pragma unroll
        for (int i = 0; i < TM; ++i)
#pragma unroll
          for (int j = 0; j < TN; ++j) acc[i][j] += af[i] * bf[j];
      }
      __syncthreads();
    }
    if constexpr (kEp) {
      // Column by column, so that one bias value is live at a time.
#pragma unroll
      for (int j = 0; j < TN; ++j) {
        const int64_t n = n0 + tx * TN + j;
        if (n >= N) continue;
#pragma unroll
        for (int i = 0; i < TM; ++i) {
          const int64_t m = m0 + ty * TM + i;
          if (m >= M) continue;
          T* out = c + m * ldc + n;
          *out = ep(beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out, n);
        }
      }
    } else {
#pragma unroll
      for (int i = 0; i < TM; ++i) {
        const int64_t m = m0 + ty * TM + i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
          const int64_t n = n0 + tx * TN + j;
          if (n >= N) continue;
          T* out = c + m * ldc + n;
          // beta = 0 ignores C's old contents, NaN included (BLAS semantics).
          *out = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
        }
      }
    }
  }
}

template <typename T, int BM, int BN, int BK, int TM, int TN>
void launch_gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                 int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, T beta,
                 T* C, int64_t ldc, int64_t stride_c, int64_t batch, GemmEpilogue<T> ep,
                 cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((N + BN - 1) / BN),
                  static_cast<unsigned>((M + BM - 1) / BM),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  auto go = [&](auto kernel) {
    kernel<<<grid, (BM / TM) * (BN / TN), 0, stream>>>(trans_a, trans_b, M, N, K, alpha, A, lda,
                                                       stride_a, B, ldb, stride_b, beta, C, ldc,
                                                       stride_c, batch, ep);
  };
  if (ep.bias || ep.relu) {
    go(gemm_kernel<T, BM, BN, BK, TM, TN, true>);
  } else {
    go(gemm_kernel<T, BM, BN, BK, TM, TN, false>);
  }
}

// ---- Variants 2 and 3: 128-bit loads, two shared-memory stages ---------------
// 256 threads as a 16 x 16 grid; thread (ty, tx) owns rows {ty*4 + i, 64 + ty*4 + i}
// and columns {tx*4 + j, 64 + tx*4 + j} (i, j < 4) of the 128 x 128 tile, so a
// warp's float4 fragment reads cover consecutive shared-memory words. The next
// K slice is fetched into registers while the current one is multiplied, so
// one barrier per slice suffices. The transpose flags are template
// parameters, so each kernel carries only its own load path, and every thread
// walks its operand rows with a pointer advanced by a fixed step per slice,
// with the bounds compared against values fixed before the loop. Sizes and
// leading dimensions are 32-bit inside the kernel (larger products take
// variant 1); element offsets are 64-bit.
//
// MinBlocks is the number of blocks an SM must hold: 1 for variant 2, which
// leaves the compiler all the registers it wants (8 warps per SM), 2 for
// variant 3, which must fit in 128 registers per thread (16 warps per SM, to
// hide shared-memory and FMA latency; it compiles without spilling). Both sum
// in the same order, so they give the same bits.
constexpr int kVecTile = 128, kVecK = 8, kVecThreads = 256;

// 16-byte loads need the row (ld), batch stride and base to be multiples of 4 floats.
inline bool vec_aligned(const void* p, int64_t ld, int64_t stride) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0 && stride % 4 == 0;
}

// Four consecutive floats of a row starting at column c (row length `len`),
// zero past the end: one 128-bit load when all four are inside.
__device__ __forceinline__ float4 load4(const float* row, int c, int len) {
  if (c + 3 < len) return *reinterpret_cast<const float4*>(row + c);
  float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
  if (c < len) v.x = row[c];
  if (c + 1 < len) v.y = row[c + 1];
  if (c + 2 < len) v.z = row[c + 2];
  return v;
}

template <bool TA, bool TB, int MinBlocks, bool kEp>
__global__ void __launch_bounds__(kVecThreads, MinBlocks)
    gemm_vec_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                    int64_t stride_a, const float* __restrict__ B, int ldb, int64_t stride_b,
                    float beta, float* __restrict__ C, int ldc, int64_t stride_c, int batch,
                    bool c_vec, GemmEpilogue<float> ep) {
  __shared__ __align__(16) float As[2][kVecK][kVecTile];
  __shared__ __align__(16) float Bs[2][kVecK][kVecTile];
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const int m0 = blockIdx.y * kVecTile, n0 = blockIdx.x * kVecTile;
  // The four values of a slice this thread fetches, as in variant 2: `r` is the
  // stored row within the slice or tile, `c` the first of four columns.
  const int a_r = TA ? tid / 32 : tid / 2, a_c = TA ? (tid % 32) * 4 : (tid % 2) * 4;
  const int b_r = TB ? tid / 2 : tid / 32, b_c = TB ? (tid % 2) * 4 : (tid % 32) * 4;
  // Stored row index that must stay below its bound for every slice (m or n
  // of a row along k), or the column bound fixed for the whole loop.
  const bool a_row_ok = TA || m0 + a_r < M;
  const bool b_row_ok = !TB || n0 + b_r < N;
  const int64_t a_step = TA ? int64_t{kVecK} * lda : kVecK;
  const int64_t b_step = TB ? kVecK : int64_t{kVecK} * ldb;

  for (int z = blockIdx.z; z < batch; z += gridDim.z) {
    // Row starts of this thread's first slice; the column (along k when not
    // transposed, along m or n when transposed) is added by load4.
    const float* pa = A + z * stride_a + int64_t{TA ? a_r : m0 + a_r} * lda;
    const float* pb = B + z * stride_b + int64_t{TB ? n0 + b_r : b_r} * ldb;
    float* c = C + z * stride_c;

    auto fetch = [&](int k0, float4& va, float4& vb) {
      const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
      if (TA) {
        va = k0 + a_r < K ? load4(pa, m0 + a_c, M) : zero;
      } else {
        va = a_row_ok ? load4(pa, k0 + a_c, K) : zero;
      }
      if (TB) {
        vb = b_row_ok ? load4(pb, k0 + b_c, K) : zero;
      } else {
        vb = k0 + b_r < K ? load4(pb, n0 + b_c, N) : zero;
      }
    };
    // load4 takes the column from the row start, so for the operands stored
    // along k the pointer stays at the row start and k0 moves the column; for
    // the others the pointer moves one slice of rows per step.
    auto advance = [&] {
      if (TA) pa += a_step;
      if (!TB) pb += b_step;
    };
    auto stash = [&](int st, float4 va, float4 vb) {
      if (TA) {
        *reinterpret_cast<float4*>(&As[st][a_r][a_c]) = va;
      } else {
        As[st][a_c + 0][a_r] = va.x;
        As[st][a_c + 1][a_r] = va.y;
        As[st][a_c + 2][a_r] = va.z;
        As[st][a_c + 3][a_r] = va.w;
      }
      if (TB) {
        Bs[st][b_c + 0][b_r] = vb.x;
        Bs[st][b_c + 1][b_r] = vb.y;
        Bs[st][b_c + 2][b_r] = vb.z;
        Bs[st][b_c + 3][b_r] = vb.w;
      } else {
        *reinterpret_cast<float4*>(&Bs[st][b_r][b_c]) = vb;
      }
    };

    float acc[8][8] = {};
    {
      float4 va, vb;
      fetch(0, va, vb);
      stash(0, va, vb);
    }
    __syncthreads();
    int st = 0;
    for (int k0 = 0; k0 < K; k0 += kVecK) {
      const bool more = k0 + kVecK < K;
      float4 next_a, next_b;
      if (more) {  // in flight while this slice is multiplied
        advance();
        fetch(k0 + kVecK, next_a, next_b);
      }
#pragma unroll
      for (int kk = 0; kk < kVecK; ++kk) {
        const float4 a_lo = *reinterpret_cast<const float4*>(&As[st][kk][ty * 4]);
        const float4 a_hi = *reinterpret_cast<const float4*>(&As[st][kk][64 + ty * 4]);
        const float4 b_lo = *reinterpret_cast<const float4*>(&Bs[st][kk][tx * 4]);
        const float4 b_hi = *reinterpret_cast<const float4*>(&Bs[st][kk][64 + tx * 4]);
        const float af[8] = {a_lo.x, a_lo.y, a_lo.z, a_lo.w, a_hi.x, a_hi.y, a_hi.z, a_hi.w};
        const float bf[8] = {b_lo.x, b_lo.y, b_lo.z, b_lo.w, b_hi.x, b_hi.y, b_hi.z, b_hi.w};
#pragma unroll
        for (int i = 0; i < 8; ++i)
#pragma unroll
          for (int j = 0; j < 8; ++j) acc[i][j] += af[i] * bf[j];
      }
      if (more) stash(st ^ 1, next_a, next_b);
      __syncthreads();
      st ^= 1;
    }

#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const int m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
      if (m >= M) continue;
      float* crow = c + int64_t{m} * ldc;
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int n = n0 + h * 64 + tx * 4;
        const float* r = &acc[i][h * 4];
        if (c_vec && n + 3 < N) {
          float4 out = make_float4(alpha * r[0], alpha * r[1], alpha * r[2], alpha * r[3]);
          if (beta != 0.f) {  // beta = 0 ignores C's old contents, NaN included
            const float4 old = *reinterpret_cast<const float4*>(crow + n);
            out.x += beta * old.x;
            out.y += beta * old.y;
            out.z += beta * old.z;
            out.w += beta * old.w;
          }
          if constexpr (kEp) {
            out.x = ep(out.x, n);
            out.y = ep(out.y, n + 1);
            out.z = ep(out.z, n + 2);
            out.w = ep(out.w, n + 3);
          }
          *reinterpret_cast<float4*>(crow + n) = out;
        } else {
          for (int j = 0; j < 4 && n + j < N; ++j) {
            float* o = crow + n + j;
            const float v = beta == 0.f ? alpha * r[j] : alpha * r[j] + beta * *o;
            if constexpr (kEp) {
              *o = ep(v, n + j);
            } else {
              *o = v;
            }
          }
        }
      }
    }
  }
}

template <int MinBlocks>
void launch_gemm_vec(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb,
                     int64_t stride_b, float beta, float* C, int64_t ldc, int64_t stride_c,
                     int64_t batch, GemmEpilogue<float> ep, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((N + kVecTile - 1) / kVecTile),
                  static_cast<unsigned>((M + kVecTile - 1) / kVecTile),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  const bool c_vec = vec_aligned(C, ldc, stride_c);
  auto go = [&](auto kernel) {
    kernel<<<grid, kVecThreads, 0, stream>>>(
        static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
        static_cast<int>(lda), stride_a, B, static_cast<int>(ldb), stride_b, beta, C,
        static_cast<int>(ldc), stride_c, static_cast<int>(batch), c_vec, ep);
  };
  auto pick = [&](auto ep_on) {
    constexpr bool kEp = decltype(ep_on)::value;
    if (!trans_a && !trans_b) go(gemm_vec_kernel<false, false, MinBlocks, kEp>);
    if (!trans_a && trans_b) go(gemm_vec_kernel<false, true, MinBlocks, kEp>);
    if (trans_a && !trans_b) go(gemm_vec_kernel<true, false, MinBlocks, kEp>);
    if (trans_a && trans_b) go(gemm_vec_kernel<true, true, MinBlocks, kEp>);
  };
  if (ep.bias || ep.relu) {
    pick(std::true_type{});
  } else {
    pick(std::false_type{});
  }
}

// Sizes and leading dimensions that fit the kernels' 32-bit registers.
bool vec_fits(int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc,
              int64_t batch) {
  constexpr int64_t kMax = 2147483647 - 2 * kVecTile;
  return M <= kMax && N <= kMax && K <= kMax && lda <= kMax && ldb <= kMax && ldc <= kMax &&
         batch <= kMax;
}

template <typename T>
bool vec_applies(const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                 int64_t stride_b) {
  if constexpr (std::is_same_v<T, float>) {
    return vec_aligned(A, lda, stride_a) && vec_aligned(B, ldb, stride_b);
  } else {
    return false;
  }
}

}  // namespace

template <typename T>
bool gemm_cuda_variant_applies(int variant, const T* A, int64_t lda, int64_t stride_a, const T* B,
                               int64_t ldb, int64_t stride_b) {
  if (variant == 1) return true;
  if (variant == 2 || variant == 3) return vec_applies(A, lda, stride_a, B, ldb, stride_b);
  return false;
}

template <typename T>
void gemm_batched_cuda_variant(int variant, bool trans_a, bool trans_b, int64_t M, int64_t N,
                               int64_t K, T alpha, const T* A, int64_t lda, int64_t stride_a,
                               const T* B, int64_t ldb, int64_t stride_b, T beta, T* C, int64_t ldc,
                               int64_t stride_c, int64_t batch, cudaStream_t stream,
                               GemmEpilogue<T> ep) {
  if (M == 0 || N == 0 || batch == 0) return;
  if (variant == 2 || variant == 3) {
    if constexpr (std::is_same_v<T, float>) {
      if (vec_applies(A, lda, stride_a, B, ldb, stride_b) &&
          vec_fits(M, N, K, lda, ldb, ldc, batch)) {
        (variant == 2 ? launch_gemm_vec<1> : launch_gemm_vec<2>)(trans_a, trans_b, M, N, K, alpha,
                                                                 A, lda, stride_a, B, ldb, stride_b,
                                                                 beta, C, ldc, stride_c, batch, ep,
                                                                 stream);
        return;
      }
    }
  }
  // Variant 1 (and the fallback for operands variant 2 cannot load).
  if (M * N >= int64_t{128} * 128 * 64) {
    // Big products: 128x128 tiles, 8x8 per thread (256 threads).
    launch_gemm<T, 128, 128, 8, 8, 8>(trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B, ldb,
                                      stride_b, beta, C, ldc, stride_c, batch, ep, stream);
  } else {
    // Small ones (the launch-bound case): 32x32 tiles, 2x2 per thread, more blocks.
    launch_gemm<T, 32, 32, 16, 2, 2>(trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B, ldb,
                                     stride_b, beta, C, ldc, stride_c, batch, ep, stream);
  }
}

template <typename T>
void gemm_batched_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                       const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                       int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c, int64_t batch,
                       cudaStream_t stream, GemmEpilogue<T> ep) {
  // Variants 2 and 3 need enough 128x128 tiles to fill the machine; small
  // products keep variant 1's 32x32 tiles.
  const bool big = M * N * batch >= int64_t{128} * 128 * 64;
  gemm_batched_cuda_variant<T>(big ? 3 : 1, trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B,
                               ldb, stride_b, beta, C, ldc, stride_c, batch, stream, ep);
}

// The 16-bit dtypes run on the tensor cores (kernels/cuda/gemm_tc.cu).
template <typename T>
void gemm_cuda(const GemmArgs& a, const Context& ctx) {
  const GemmEpilogue<T> ep{static_cast<const T*>(a.bias), a.relu};
  if constexpr (sizeof(T) == 2) {
    gemm_tc_batched_cuda<T, T>(a.trans_a, a.trans_b, a.M, a.N, a.K, static_cast<float>(a.alpha),
                               static_cast<const T*>(a.A), a.lda, a.stride_a,
                               static_cast<const T*>(a.B), a.ldb, a.stride_b,
                               static_cast<float>(a.beta), static_cast<T*>(a.C), a.ldc, a.stride_c,
                               a.batch, ctx.stream, ep);
  } else if (ctx.variant != 0) {  // the variant auto measured and chose
    gemm_batched_cuda_variant<T>(ctx.variant, a.trans_a, a.trans_b, a.M, a.N, a.K,
                                 static_cast<T>(a.alpha), static_cast<const T*>(a.A), a.lda,
                                 a.stride_a, static_cast<const T*>(a.B), a.ldb, a.stride_b,
                                 static_cast<T>(a.beta), static_cast<T*>(a.C), a.ldc, a.stride_c,
                                 a.batch, ctx.stream, ep);
  } else {
    gemm_batched_cuda<T>(a.trans_a, a.trans_b, a.M, a.N, a.K, static_cast<T>(a.alpha),
                         static_cast<const T*>(a.A), a.lda, a.stride_a, static_cast<const T*>(a.B),
                         a.ldb, a.stride_b, static_cast<T>(a.beta), static_cast<T*>(a.C), a.ldc,
                         a.stride_c, a.batch, ctx.stream, ep);
  }
}

bool gemm_cuda_f64_variant_usable(const GemmArgs& a, const Settings&, int) {
  return kGemmEpilogueProven || !(a.bias || a.relu);
}

bool gemm_cuda_16bit_variant_usable(const GemmArgs& a, const Settings&, int) {
  return kGemmTensorCoreProven && (kGemmEpilogueProven || !(a.bias || a.relu));
}

// ---- the epilogue for cuBLAS (kernels/gemm.h: gemm_cuda_emulated) ----

namespace {

// f(C[z, m, n], bias) over the whole of C, one thread per element.
template <typename T, typename F>
__global__ void each_output_kernel(T* C, const T* bias, int64_t M, int64_t N, int64_t ldc,
                                   int64_t stride_c, int64_t batch, F f) {
  const int64_t total = batch * M * N;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t n = i % N, m = (i / N) % M, z = i / (N * M);
    f(C[z * stride_c + m * ldc + n], bias, n);
  }
}

struct FillBias {
  template <typename T>
  __device__ void operator()(T& c, const T* bias, int64_t n) const {
    c = bias[n];
  }
};
struct Relu {
  template <typename T>
  __device__ void operator()(T& c, const T*, int64_t) const {
    if (static_cast<float>(c) < 0.0f) c = T(0.0f);  // NaN is not < 0: it stays
  }
};

template <typename F>
void each_output(const GemmArgs& a, const Context& ctx, F f) {
  const int64_t total = a.batch * a.M * a.N;
  if (total == 0) return;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((total + 255) / 256, 65535));
  auto go = [&](auto tag) {
    using T = decltype(tag);
    each_output_kernel<<<blocks, 256, 0, ctx.stream>>>(static_cast<T*>(a.C),
                                                       static_cast<const T*>(a.bias), a.M, a.N,
                                                       a.ldc, a.stride_c, a.batch, f);
  };
  switch (a.dtype) {
    case DType::Float32:
      return go(float{});
    case DType::Float64:
      return go(double{});
    case DType::BFloat16:
      return go(BFloat16{});
    case DType::Float16:
      return go(Half{});
    case DType::Int64:
      return;
  }
}

}  // namespace

void gemm_bias_fill_cuda(const GemmArgs& a, const Context& ctx) {
  if (a.bias) each_output(a, ctx, FillBias{});
}

void gemm_relu_cuda(const GemmArgs& a, const Context& ctx) {
  if (a.relu) each_output(a, ctx, Relu{});
}

static_assert(kGemmCudaF32Variants == kGemmCudaVariants);

bool gemm_cuda_f32_variant_usable(const GemmArgs& a, const Settings&, int variant) {
  // Every variant is deterministic and strict float32; 2 and 3 need 16-byte aligned rows
  // of A and B and sizes within their 32-bit index math. Only what a GPU has run
  // (gemm.cuh).
  if ((a.bias || a.relu) && !kGemmEpilogueProven) return false;
  if (variant == 2 && !kGemmVariant2Proven) return false;
  const auto* A = static_cast<const float*>(a.A);
  const auto* B = static_cast<const float*>(a.B);
  if (variant == 1) return true;
  return (variant == 2 || variant == 3) &&
         vec_applies(A, a.lda, a.stride_a, B, a.ldb, a.stride_b) &&
         vec_fits(a.M, a.N, a.K, a.lda, a.ldb, a.ldc, a.batch);
}

#define GPUNN_INSTANTIATE(T)                                                                       \
  template void gemm_batched_cuda<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t,  \
                                     int64_t, const T*, int64_t, int64_t, T, T*, int64_t, int64_t, \
                                     int64_t, cudaStream_t, GemmEpilogue<T>);                      \
  template void gemm_batched_cuda_variant<T>(                                                      \
      int, bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*,         \
      int64_t, int64_t, T, T*, int64_t, int64_t, int64_t, cudaStream_t, GemmEpilogue<T>);          \
  template bool gemm_cuda_variant_applies<T>(int, const T*, int64_t, int64_t, const T*, int64_t,   \
                                             int64_t);                                             \
  template void gemm_cuda<T>(const GemmArgs&, const Context&);
GPUNN_INSTANTIATE(float)
GPUNN_INSTANTIATE(double)
#undef GPUNN_INSTANTIATE
template void gemm_cuda<BFloat16>(const GemmArgs&, const Context&);
template void gemm_cuda<Half>(const GemmArgs&, const Context&);

}  // namespace gpunn::kernels
