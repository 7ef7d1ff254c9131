// GEMM through oneDNN (kernels/gemm.h): float32 through dnnl_sgemm (row-major, the BLAS
// argument order of kernels/gemm.h), bfloat16 through the matmul primitive (Note
// [oneDNN's bfloat16 primitives]); both JIT-compiled for the CPU they run on (oneDNN
// detects AVX-512 etc. itself) and threaded with OpenMP.
#include <dnnl.h>
#include <gpunn/half.h>

#include <bit>
#include <mutex>

#include "kernels/gemm.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

using onednn::memory;

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // C = beta C; oneDNN rejects the leading dimensions of empty operands
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  const onednn::ThreadLimit threads(M * N * K, onednn::kMacsPerThread);
  // dnnl_sgemm with beta = 0 never reads C (kernels/gemm.h asks for that: C may
  // hold NaN from an uninitialized buffer).
  const dnnl_status_t status = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha,
                                          A, lda, B, ldb, beta, C, ldc);
  if (status == dnnl_out_of_memory)
    throw OutOfMemoryError(detail::concat("gemm: oneDNN could not allocate memory for a ", M, "x",
                                          N, "x", K, " product"));
  GPUNN_ASSERT(status == dnnl_success, "gemm: dnnl_sgemm failed with status ",
               static_cast<int>(status), " for M=", M, " N=", N, " K=", K, " lda=", lda,
               " ldb=", ldb, " ldc=", ldc);
}

// ---- bfloat16: the matmul primitive ----
//
// One primitive per (transposes, sizes, leading dimensions, alpha, beta), run once per
// batch entry with the operands' pointers. The operands are described by strides, so the
// transposes and leading dimensions need no copies: op(A) is M x K with strides
// (lda, 1), or (1, lda) when A is stored transposed. alpha is the output scale and beta a
// sum post-op, so oneDNN computes alpha · Σ a·b + beta · C in float32 and rounds the
// result to bfloat16 once; without the post-op (beta = 0) it never reads C.
struct Bf16Matmul {
  std::mutex mutex;
  dnnl::matmul prim;
  memory a, b, c;  // descriptors bound to the caller's pointers per call
};

memory::dims strides_of(bool trans, int64_t ld) {
  return trans ? memory::dims{1, ld} : memory::dims{ld, 1};
}

// C = beta · C, rounded once, for the products without terms (K = 0).
void scale_c(const GemmArgs& g) {
  for (int64_t z = 0; z < g.batch; ++z)
    for (int64_t m = 0; m < g.M; ++m) {
      BFloat16* row = static_cast<BFloat16*>(g.C) + z * g.stride_c + m * g.ldc;
      for (int64_t n = 0; n < g.N; ++n)
        row[n] = g.beta == 0.0 ? BFloat16(0.0f)
                               : BFloat16(static_cast<float>(g.beta) * static_cast<float>(row[n]));
    }
}

}  // namespace

void gemm_onednn_bf16(const GemmArgs& g, const Context&) {
  if (g.M == 0 || g.N == 0 || g.batch == 0) return;
  if (g.K == 0) return scale_c(g);
  const auto alpha = static_cast<float>(g.alpha), beta = static_cast<float>(g.beta);
  onednn::translate_errors("gemm", [&] {
    const onednn::ThreadLimit threads(g.M * g.N * g.K, onednn::kMacsPerThread);
    const std::string key =
        onednn::cache_key("gemm_bf16", g.trans_a, g.trans_b, g.M, g.N, g.K, g.lda, g.ldb, g.ldc,
                          std::bit_cast<uint32_t>(alpha), std::bit_cast<uint32_t>(beta));
    auto e = onednn::primitive_cache<Bf16Matmul>().get(key, [&](Bf16Matmul& n) {
      const auto bf16 = memory::data_type::bf16;
      const memory::desc a({g.M, g.K}, bf16, strides_of(g.trans_a, g.lda));
      const memory::desc b({g.K, g.N}, bf16, strides_of(g.trans_b, g.ldb));
      const memory::desc c({g.M, g.N}, bf16, memory::dims{g.ldc, 1});
      dnnl::primitive_attr attr;
      if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
      if (beta != 0.0f) {
        dnnl::post_ops ops;
        ops.append_sum(beta);
        attr.set_post_ops(ops);
      }
      const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), attr,
                                            onednn::cpu_engine());
      n.prim = dnnl::matmul(pd);
      n.a = memory(a, onednn::cpu_engine(), DNNL_MEMORY_NONE);
      n.b = memory(b, onednn::cpu_engine(), DNNL_MEMORY_NONE);
      n.c = memory(c, onednn::cpu_engine(), DNNL_MEMORY_NONE);
    });
    std::lock_guard lock(e->mutex);
    const auto* A = static_cast<const BFloat16*>(g.A);
    const auto* B = static_cast<const BFloat16*>(g.B);
    auto* C = static_cast<BFloat16*>(g.C);
    for (int64_t z = 0; z < g.batch; ++z) {
      // oneDNN takes non-const handles; A and B are only read.
      e->a.set_data_handle(const_cast<BFloat16*>(A + z * g.stride_a));
      e->b.set_data_handle(const_cast<BFloat16*>(B + z * g.stride_b));
      e->c.set_data_handle(C + z * g.stride_c);
      e->prim.execute(onednn::cpu_stream(),
                      {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}});
    }
    onednn::cpu_stream().wait();
  });
}

void gemm_onednn(const GemmArgs& a, const Context&) {
  const auto* A = static_cast<const float*>(a.A);
  const auto* B = static_cast<const float*>(a.B);
  auto* C = static_cast<float*>(a.C);
  for (int64_t b = 0; b < a.batch; ++b) {
    sgemm(a.trans_a, a.trans_b, a.M, a.N, a.K, static_cast<float>(a.alpha), A + b * a.stride_a,
          a.lda, B + b * a.stride_b, a.ldb, static_cast<float>(a.beta), C + b * a.stride_c, a.ldc);
  }
}

}  // namespace gpunn::kernels
