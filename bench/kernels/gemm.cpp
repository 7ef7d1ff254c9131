// bench/kernels, gemm family: SGEMM C = A·B at square sizes (--sizes), the same products in
// bfloat16 ("bf16 gemm": our tensor-core kernel against cuBLAS, float32 sums, on the GPU),
// and AlexNet's fully connected layers at --fc-batch (the "fc" family: forward x·Wᵀ, input
// gradient dy·W, weight gradient dyᵀ·x). On the GPU each numbered variant of our float32
// kernel (kernels/cuda/gemm.cuh) is timed on its own next to the library's choice. Checked on
// 512 sampled entries of C against float64 dot products (of the bfloat16-rounded inputs).
#include <random>

#include "bench/kernels/harness.h"
#include "kernels/gemm.h"
#if GPUNN_WITH_CUDA
#include "kernels/cuda/gemm.cuh"
#endif

namespace bench {
namespace {

namespace k = gpunn::kernels;

struct GemmCase {
  std::string name;
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0;
  gpunn::DType dtype = gpunn::kFloat32;
};

// bfloat16 products are exact in float32 and summed there; the output's rounding (2^-8
// relative) dominates.
constexpr double kTolBf16 = 1e-2;

// Values rounded to `dtype` (exact in float).
std::vector<float> rounded(std::vector<float> v, gpunn::DType dtype) {
  if (dtype == gpunn::kFloat32) return v;
  return gpunn::tensor_from(v, {static_cast<int64_t>(v.size())}).to(dtype).to_vector<float>();
}

void gemm_case(const std::string& family, const GemmCase& g) {
  const int64_t M = g.M, N = g.N, K = g.K;
  // Row-major op(A) [M, K], op(B) [K, N]; stored transposed when ta / tb.
  const int64_t lda = g.ta ? M : K, ldb = g.tb ? K : N;
  const std::vector<float> a = rounded(random_floats(static_cast<size_t>(M * K), 1), g.dtype);
  const std::vector<float> b = rounded(random_floats(static_cast<size_t>(K * N), 2), g.dtype);
  const Tensor A = upload(a).to(g.dtype), B = upload(b).to(g.dtype);
  const Tensor C = zeros(static_cast<size_t>(M * N)).to(g.dtype);
  const double flops = 2.0 * M * N * K;

  // 512 sampled entries of C against float64 dot products.
  std::mt19937_64 rng(3);
  std::vector<std::pair<int64_t, int64_t>> at;
  std::vector<float> ref;
  for (int s = 0; s < 512; ++s) {
    const int64_t i = static_cast<int64_t>(rng() % M), j = static_cast<int64_t>(rng() % N);
    double acc = 0;
    for (int64_t kk = 0; kk < K; ++kk) {
      const double av = g.ta ? a[kk * lda + i] : a[i * lda + kk];
      const double bv = g.tb ? b[j * ldb + kk] : b[kk * ldb + j];
      acc += av * bv;
    }
    at.emplace_back(i, j);
    ref.push_back(static_cast<float>(acc));
  }
  auto sampled = [&] {
    const std::vector<float> c = download(C);
    std::vector<float> got;
    for (auto [i, j] : at) got.push_back(c[i * N + j]);
    return got;
  };
  auto run = [&](const Impl& impl) {
    Row r{family, g.name, impl.name};
    impl.run();
    check(r, sampled(), ref, g.dtype == gpunn::kFloat32 ? impl.tol : kTolBf16);
    // The reference loops are slow: time them once per case, and only up to a size.
    r.ms = time_ms(impl.run, impl.name == "reference" ? 1 : -1);
    r.flops = flops;
    report(r);
  };

  const k::GemmArgs args{.dtype = g.dtype,
                         .trans_a = g.ta,
                         .trans_b = g.tb,
                         .M = M,
                         .N = N,
                         .K = K,
                         .alpha = 1.0,
                         .A = A.data_ptr(),
                         .lda = lda,
                         .stride_a = 0,
                         .B = B.data_ptr(),
                         .ldb = ldb,
                         .stride_b = 0,
                         .beta = 0.0,
                         .C = C.data_ptr(),
                         .ldc = N,
                         .stride_c = 0,
                         .batch = 1};
  for (const Impl& impl : implementations(k::gemm, args, g.dtype == gpunn::kFloat32)) {
    if (impl.name == "reference" && flops > options().reference_max_gflop * 1e9) continue;
    run(impl);
#if GPUNN_WITH_CUDA
    if (impl.name != "custom" || g.dtype != gpunn::kFloat32) continue;
    // Each numbered variant on its own ("custom" is the library's choice among them).
    const auto* Ap = A.data<float>();
    const auto* Bp = B.data<float>();
    for (int v = 1; v <= k::kGemmCudaVariants; ++v) {
      if (!k::gemm_cuda_variant_applies<float>(v, Ap, lda, 0, Bp, ldb, 0)) continue;
      run({"custom-v" + std::to_string(v), kTolFp32,
           [&, v] {
             k::gemm_batched_cuda_variant<float>(
                 v, g.ta, g.tb, M, N, K, 1.0f, Ap, lda, 0, Bp, ldb, 0, 0.0f, C.data<float>(), N, 0,
                 1, static_cast<cudaStream_t>(gpunn::cuda::stream(options().device.index)));
           },
           nullptr});
    }
#endif
  }
}

}  // namespace

void bench_gemm() {
  for (int64_t n : options().sizes) {
    const std::string s = std::to_string(n);
    gemm_case("gemm", {"sgemm " + s + "x" + s + "x" + s, false, false, n, n, n});
  }
  // bfloat16: on the GPU our tensor-core kernel and cuBLAS; on the CPU the reference loops
  // and oneDNN (its bfloat16 matmul on CPUs with bfloat16 instructions, float32 copies
  // elsewhere; build_info() says which, and ONEDNN_MAX_CPU_ISA=AVX512_CORE times the copies).
  for (int64_t n : options().sizes) {
    const std::string s = std::to_string(n);
    gemm_case("gemm",
              {"bf16 gemm " + s + "x" + s + "x" + s, false, false, n, n, n, gpunn::kBFloat16});
    // The linear layer's layout (x·Wᵀ), both operands K-contiguous.
    gemm_case("gemm", {"bf16 gemm " + s + "x" + s + "x" + s + " B^T", false, true, n, n, n,
                       gpunn::kBFloat16});
  }
}

void bench_fc() {
  struct Fc {
    const char* name;
    int64_t in, out;
  };
  const int64_t batch = options().fc_batch;
  for (const Fc& fc : {Fc{"fc6", 9216, 4096}, Fc{"fc7", 4096, 4096}, Fc{"fc8", 4096, 1000}}) {
    const std::string n = fc.name;
    // y[B, out] = x[B, in] · W[out, in]ᵀ;  dx[B, in] = dy · W;  dW[out, in] = dyᵀ · x
    gemm_case("fc", {n + " forward", false, true, batch, fc.out, fc.in});
    gemm_case("fc", {n + " backward-data", false, false, batch, fc.in, fc.out});
    gemm_case("fc", {n + " backward-weights", true, false, fc.out, fc.in, batch});
  }
}

}  // namespace bench
