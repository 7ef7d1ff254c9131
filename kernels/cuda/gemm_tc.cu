// Our tensor-core GEMM for bfloat16 and float16 (kernels/cuda/gemm_tc.cuh).
//
// Each block of 256 threads computes a 128 x 128 tile of C; its 8 warps form a 2 x 4 grid
// of 64 x 32 warp tiles, each held as 4 x 4 accumulator fragments of mma.sync m16n8k16
// (16-bit inputs, float32 sums: 64 floats per thread). The K loop stages 32-wide slices of
// op(A) and op(B) in shared memory with cp.async (16-byte copies, zero-filled past the
// matrix edges), two stages deep, so the next slice streams in while the tensor cores
// work on the current one. Each operand keeps the orientation it has in global memory
// (K-contiguous, or M/N-contiguous when transposed), so every copy is a 16-byte chunk
// whatever the flags; ldmatrix (with .trans for the M/N-contiguous ones) then hands the
// warps their fragments in the layout mma expects. Rows are padded by 8 elements (16
// bytes), which puts the 8 rows of each ldmatrix phase in distinct banks.
//
// Operands the kernel cannot copy in 16-byte chunks (unaligned bases, odd leading
// dimensions, a contiguous dimension that is not a multiple of 8), and GPUs older than
// sm_80, take a plain tiled kernel that also sums in float32; gemm_tc_applies says which
// path runs for the operands.
//
// References: PTX ISA, "Warp-level matrix multiply-accumulate instructions" (the m16n8k16
// fragment layouts) and "ldmatrix"; CUTLASS's documentation of its multistage mainloop.
#include <gpunn/half.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/gemm_tc.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/mma.cuh"

namespace gpunn::kernels {
namespace {

using cuda_detail::ldmatrix_x4;
using cuda_detail::ldmatrix_x4_trans;
using cuda_detail::mma_16816;
using cuda_detail::smem_address;

constexpr int kBM = 128, kBN = 128, kBK = 32, kPad = 8, kTcThreads = 256;
// One operand's slice in shared memory: [128][32 + 8] when K-contiguous, [32][128 + 8]
// when M/N-contiguous; room for the larger.
constexpr int kTileElems = std::max(kBM * (kBK + kPad), kBK*(kBM + kPad));

// 16 bytes from global to shared memory, or 16 zero bytes when !valid (src is then not read).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_address(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most one group (the newest) is still in flight.
__device__ __forceinline__ void cp_async_wait_one() { asm volatile("cp.async.wait_group 1;\n" ::); }

// Copies one 32-wide K slice of an operand with `rows` rows (M for A, N for B) starting at
// row0 into shared memory. kMn: the operand is stored M/N-contiguous (element (r, k) at
// g[k·ld + r]), else K-contiguous (g[r·ld + k]). 512 chunks of 8 elements, 2 per thread.
template <bool kMn, typename T>
__device__ __forceinline__ void load_slice(uint16_t* tile, const T* g, int64_t ld, int64_t row0,
                                           int64_t rows, int64_t k0, int64_t K) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int c = threadIdx.x + i * kTcThreads;
    int r, k;
    uint16_t* dst;
    if constexpr (kMn) {
      k = c / 16;
      r = (c % 16) * 8;
      dst = tile + k * (kBM + kPad) + r;
    } else {
      r = c / 4;
      k = (c % 4) * 8;
      dst = tile + r * (kBK + kPad) + k;
    }
    const bool valid = row0 + r < rows && k0 + k < K;
    const T* src = g;
    if (valid) src = kMn ? g + (k0 + k) * ld + row0 + r : g + (row0 + r) * ld + k0 + k;
    cp_async16(dst, src, valid);
  }
}

template <typename T, typename Out, bool kMnA, bool kMnB>
__global__ void __launch_bounds__(kTcThreads, 1)
    gemm_tc_kernel(int64_t M, int64_t N, int64_t K, float alpha, const T* __restrict__ A,
                   int64_t lda, int64_t stride_a, const T* __restrict__ B, int64_t ldb,
                   int64_t stride_b, float beta, Out* __restrict__ C, int64_t ldc, int64_t stride_c,
                   int64_t batch, GemmEpilogue<T> ep) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  // cp.async and bfloat16 mma need sm_80; gemm_tc_batched_cuda never launches this there.
  __trap();
#else
  __shared__ alignas(16) uint16_t smem[2][2][kTileElems];  // [stage][A, B]
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int wm = warp / 4, wn = warp % 4;  // this warp's 64 x 32 tile
  const int q = lane / 8, r8 = lane % 8;   // ldmatrix: which 8x8 matrix, which of its rows
  const int64_t n0 = int64_t{blockIdx.x} * kBN;
  const int64_t k_slices = (K + kBK - 1) / kBK;
  const int64_t m_tiles = (M + kBM - 1) / kBM;

  // Batch entries along the grid's z and M tiles along y, each strided by the grid's size
  // (y holds at most 65535 blocks).
  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z)
    for (int64_t mt = blockIdx.y; mt < m_tiles; mt += gridDim.y) {
      const int64_t m0 = mt * kBM;
      const T* a = A + z * stride_a;
      const T* b = B + z * stride_b;
      Out* c = C + z * stride_c;
      float acc[4][4][4] = {};

      if (k_slices > 0) {  // K = 0: no slices to fetch (C = beta·C)
        load_slice<kMnA>(smem[0][0], a, lda, m0, M, 0, K);
        load_slice<kMnB>(smem[0][1], b, ldb, n0, N, 0, K);
        cp_async_commit();
      }
      for (int64_t s = 0; s < k_slices; ++s) {
        const int stage = static_cast<int>(s % 2);
        if (s + 1 < k_slices) {
          load_slice<kMnA>(smem[stage ^ 1][0], a, lda, m0, M, (s + 1) * kBK, K);
          load_slice<kMnB>(smem[stage ^ 1][1], b, ldb, n0, N, (s + 1) * kBK, K);
        }
        cp_async_commit();  // possibly empty, so that "all but the newest" means slice s
        cp_async_wait_one();
        __syncthreads();
        const uint16_t* as = smem[stage][0];
        const uint16_t* bs = smem[stage][1];
#pragma unroll
        for (int ks = 0; ks < kBK; ks += 16) {
          uint32_t af[4][4], bf[2][4];
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const int mb = wm * 64 + i * 16;
            if constexpr (kMnA) {
              ldmatrix_x4_trans(af[i],
                                as + (ks + r8 + (q / 2) * 8) * (kBM + kPad) + mb + (q % 2) * 8);
            } else {
              ldmatrix_x4(af[i], as + (mb + r8 + (q % 2) * 8) * (kBK + kPad) + ks + (q / 2) * 8);
            }
          }
#pragma unroll
          for (int j = 0; j < 2; ++j) {
            const int nb = wn * 32 + j * 16;
            if constexpr (kMnB) {
              ldmatrix_x4_trans(bf[j],
                                bs + (ks + r8 + (q % 2) * 8) * (kBN + kPad) + nb + (q / 2) * 8);
            } else {
              ldmatrix_x4(bf[j], bs + (nb + r8 + (q / 2) * 8) * (kBK + kPad) + ks + (q % 2) * 8);
            }
          }
#pragma unroll
          for (int i = 0; i < 4; ++i)
#pragma unroll
            for (int j = 0; j < 4; ++j)
              mma_16816<T>(acc[i][j], af[i], bf[j / 2][(j % 2) * 2], bf[j / 2][(j % 2) * 2 + 1]);
        }
        __syncthreads();  // the next iteration's copies overwrite this stage
      }

      // Accumulator (i, j) element e: row lane/4 (+8 for e >= 2), column (lane%4)·2 + e%2.
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int64_t m = m0 + wm * 64 + i * 16 + lane / 4 + (e / 2) * 8;
            const int64_t n = n0 + wn * 32 + j * 8 + (lane % 4) * 2 + e % 2;
            if (m >= M || n >= N) continue;
            Out* out = c + m * ldc + n;
            // beta = 0 ignores C's old contents, NaN included (BLAS semantics).
            const float v =
                alpha * acc[i][j][e] + (beta == 0.0f ? 0.0f : beta * static_cast<float>(*out));
            *out = static_cast<Out>(ep(v, n));
          }
    }
#endif
}

// The fallback: 32 x 32 tiles, one output per thread of a 32 x 8 block (4 rows each),
// any layout, sums in float32.
constexpr int kFbTile = 32;

template <typename T, typename Out>
__global__ void gemm_fallback_kernel(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                                     float alpha, const T* __restrict__ A, int64_t lda,
                                     int64_t stride_a, const T* __restrict__ B, int64_t ldb,
                                     int64_t stride_b, float beta, Out* __restrict__ C, int64_t ldc,
                                     int64_t stride_c, int64_t batch, GemmEpilogue<T> ep) {
  __shared__ float As[kFbTile][kFbTile + 1];
  __shared__ float Bs[kFbTile][kFbTile + 1];
  const int tx = threadIdx.x % kFbTile, ty = threadIdx.x / kFbTile;  // ty in [0, 8)
  const int64_t n0 = int64_t{blockIdx.x} * kFbTile;
  const int64_t m_tiles = (M + kFbTile - 1) / kFbTile;
  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z)
    for (int64_t mt = blockIdx.y; mt < m_tiles; mt += gridDim.y) {
      const int64_t m0 = mt * kFbTile;
      const T* a = A + z * stride_a;
      const T* b = B + z * stride_b;
      Out* c = C + z * stride_c;
      float acc[4] = {};
      for (int64_t k0 = 0; k0 < K; k0 += kFbTile) {
        for (int rr = ty; rr < kFbTile; rr += 8) {
          const int64_t m = m0 + rr, k = k0 + tx;  // As[m][k]
          As[rr][tx] =
              m < M && k < K ? static_cast<float>(trans_a ? a[k * lda + m] : a[m * lda + k]) : 0.0f;
          const int64_t kb = k0 + rr, n = n0 + tx;  // Bs[k][n]
          Bs[rr][tx] = kb < K && n < N
                           ? static_cast<float>(trans_b ? b[n * ldb + kb] : b[kb * ldb + n])
                           : 0.0f;
        }
        __syncthreads();
#pragma unroll 8
        for (int kk = 0; kk < kFbTile; ++kk) {
          const float bv = Bs[kk][tx];
#pragma unroll
          for (int i = 0; i < 4; ++i) acc[i] += As[ty + 8 * i][kk] * bv;
        }
        __syncthreads();
      }
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t m = m0 + ty + 8 * i, n = n0 + tx;
        if (m >= M || n >= N) continue;
        Out* out = c + m * ldc + n;
        const float v = alpha * acc[i] + (beta == 0.0f ? 0.0f : beta * static_cast<float>(*out));
        *out = static_cast<Out>(ep(v, n));
      }
    }
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Whether the tensor-core kernel can run on the current device: the device has the sm_80
// instructions it uses (cp.async, bfloat16 mma), and the code the device would run was
// compiled for sm_80 or later (a build for an older architecture, JIT-compiled from its PTX,
// holds only the kernel's trap). Asked once per device.
bool tensor_cores_here() {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return false;
  static std::atomic<int> known[64];  // 0 unknown, 1 yes, 2 no
  if (device < 0 || device >= 64) return false;
  if (known[device] == 0) {
    int major = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    cudaFuncAttributes attr{};
    const bool compiled =
        cudaFuncGetAttributes(&attr, gemm_tc_kernel<BFloat16, BFloat16, false, false>) ==
            cudaSuccess &&
        attr.ptxVersion >= 80;
    known[device] = major >= 8 && compiled ? 1 : 2;
  }
  return known[device] == 1;
}

template <typename T, typename Out, bool kMnA, bool kMnB>
void launch_tc(int64_t M, int64_t N, int64_t K, float alpha, const T* A, int64_t lda,
               int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b, float beta, Out* C,
               int64_t ldc, int64_t stride_c, int64_t batch, GemmEpilogue<T> ep,
               cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((N + kBN - 1) / kBN),
                  static_cast<unsigned>(std::min<int64_t>((M + kBM - 1) / kBM, 65535)),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  gemm_tc_kernel<T, Out, kMnA, kMnB><<<grid, kTcThreads, 0, stream>>>(
      M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c, batch, ep);
}

}  // namespace

template <typename T>
bool gemm_tc_applies(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, const T* A,
                     int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b) {
  return aligned16(A) && aligned16(B) && lda % 8 == 0 && ldb % 8 == 0 && stride_a % 8 == 0 &&
         stride_b % 8 == 0 && (trans_a ? M : K) % 8 == 0 && (trans_b ? K : N) % 8 == 0;
}

template <typename T, typename Out>
void gemm_tc_batched_cuda(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                          const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                          int64_t stride_b, float beta, Out* C, int64_t ldc, int64_t stride_c,
                          int64_t batch, cudaStream_t stream, GemmEpilogue<T> ep) {
  if (M == 0 || N == 0 || batch == 0) return;
  if (!gemm_tc_applies(trans_a, trans_b, M, N, K, A, lda, stride_a, B, ldb, stride_b) ||
      !tensor_cores_here()) {
    const dim3 grid(static_cast<unsigned>((N + kFbTile - 1) / kFbTile),
                    static_cast<unsigned>(std::min<int64_t>((M + kFbTile - 1) / kFbTile, 65535)),
                    static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
    gemm_fallback_kernel<T, Out>
        <<<grid, kFbTile * 8, 0, stream>>>(trans_a, trans_b, M, N, K, alpha, A, lda, stride_a, B,
                                           ldb, stride_b, beta, C, ldc, stride_c, batch, ep);
    return;
  }
  // op(A) is M-contiguous when transposed; op(B) is N-contiguous when not.
  const auto run = [&](auto mn_a, auto mn_b) {
    launch_tc<T, Out, decltype(mn_a)::value, decltype(mn_b)::value>(
        M, N, K, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c, batch, ep,
        stream);
  };
  using Yes = std::true_type;
  using No = std::false_type;
  if (trans_a) {
    trans_b ? run(Yes{}, No{}) : run(Yes{}, Yes{});
  } else {
    trans_b ? run(No{}, No{}) : run(No{}, Yes{});
  }
}

#define GPUNN_INSTANTIATE(T, Out)                                                                  \
  template void gemm_tc_batched_cuda<T, Out>(                                                      \
      bool, bool, int64_t, int64_t, int64_t, float, const T*, int64_t, int64_t, const T*, int64_t, \
      int64_t, float, Out*, int64_t, int64_t, int64_t, cudaStream_t, GemmEpilogue<T>);
GPUNN_INSTANTIATE(BFloat16, BFloat16)
GPUNN_INSTANTIATE(BFloat16, float)
GPUNN_INSTANTIATE(Half, Half)
GPUNN_INSTANTIATE(Half, float)
#undef GPUNN_INSTANTIATE
template bool gemm_tc_applies<BFloat16>(bool, bool, int64_t, int64_t, int64_t, const BFloat16*,
                                        int64_t, int64_t, const BFloat16*, int64_t, int64_t);
template bool gemm_tc_applies<Half>(bool, bool, int64_t, int64_t, int64_t, const Half*, int64_t,
                                    int64_t, const Half*, int64_t, int64_t);

}  // namespace gpunn::kernels
