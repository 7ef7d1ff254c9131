// Kernel benchmarks, per op family: gpunn's CPU reference loops, our kernels
// and the vendor library, each checked against a reference first (the largest
// error is reported; a check over its tolerance fails the run) and then timed.
//
//   kernel_bench [--device cpu|cuda] [--families gemm,fc,conv,softmax,pool,elementwise]
//                [--sizes 256,512,...] [--max-size N] [--fc-batch N] [--conv-batch N]
//                [--conv-layers 1,2,3,4,5] [--reference-max-gflop 2.5] [--iters N]
//                [--warmup N] [--json FILE]
//
// Families and what "ours" and "vendor" are on each device:
//   gemm         SGEMM C = A·B, square sizes (--sizes, capped by --max-size)
//   fc           AlexNet's fully connected layers at batch 128: forward
//                (x·Wᵀ), input gradient (dy·W) and weight gradient (dyᵀ·x)
//   conv         AlexNet's five convolutions at --conv-batch: forward,
//                backward-data, backward-weights
//   softmax, pool, elementwise: achieved bandwidth against the ceiling (a
//                device-to-device cudaMemcpy on the GPU, memcpy on the CPU)
// On the CPU, "reference" is gpunn's loops (kernels/cpu/) and "vendor" oneDNN;
// on the GPU, "custom" is our CUDA kernel (kernels/cuda/), "vendor" cuBLAS or
// cuDNN with strict FP32 and "vendor-tf32" the same with TensorFloat-32.
// GEMMs are checked on 512 sampled entries against a float64 dot product (on
// the CPU, the reference loops run only GEMMs up to --reference-max-gflop),
// everything else against the reference loops in full (convolutions at batch 2).
// Times are medians of --iters runs after --warmup (CUDA events on the GPU).
#include <gpunn/gpunn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/pool.h"
#include "kernels/softmax.h"
#if GPUNN_WITH_ONEDNN
#include "kernels/vendor/onednn.h"
#endif
#if GPUNN_WITH_CUDA
#include <cuda_runtime.h>

#include "core/cuda/context.h"
#include "core/cuda/handles.h"
#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/conv.cuh"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/gemm.cuh"
#include "kernels/cuda/pool.cuh"
#include "kernels/cuda/softmax.cuh"
#if GPUNN_WITH_CUDNN
#include "kernels/vendor/cudnn.h"
#endif
#endif

namespace {

using namespace gpunn;
namespace k = gpunn::kernels;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "kernel_bench: " << what << "\n";
  std::exit(2);
}

#if GPUNN_WITH_CUDA
void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(std::string(what) + ": " + cudaGetErrorString(e));
}
cudaStream_t gpu_stream() { return cuda::stream(0); }
#endif

// ---- buffers on either device ------------------------------------------------------------------

bool g_cuda = false;

// n floats (or bytes, for raw buffers) on the benchmark's device.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t bytes) : bytes_(bytes) {
#if GPUNN_WITH_CUDA
    if (g_cuda) {
      cuda_check(cudaMalloc(&p_, std::max<size_t>(bytes, 1)), "cudaMalloc");
      return;
    }
#endif
    host_.resize((bytes + sizeof(double) - 1) / sizeof(double) + 1);
    p_ = host_.data();
  }
  ~Buffer() {
#if GPUNN_WITH_CUDA
    if (g_cuda && p_) cudaFree(p_);
#endif
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  static std::unique_ptr<Buffer> floats(const std::vector<float>& v) {
    auto b = std::make_unique<Buffer>(v.size() * sizeof(float));
    b->upload(v);
    return b;
  }
  static std::unique_ptr<Buffer> zeros(size_t n) { return floats(std::vector<float>(n, 0.0f)); }

  float* f() { return static_cast<float*>(p_); }
  void* raw() { return p_; }
  size_t bytes() const { return bytes_; }

  void upload(const std::vector<float>& v) {
#if GPUNN_WITH_CUDA
    if (g_cuda) {
      cuda_check(cudaMemcpy(p_, v.data(), v.size() * sizeof(float), cudaMemcpyHostToDevice),
                 "cudaMemcpy");
      return;
    }
#endif
    std::memcpy(p_, v.data(), v.size() * sizeof(float));
  }
  std::vector<float> download(size_t n) const {
    std::vector<float> v(n);
#if GPUNN_WITH_CUDA
    if (g_cuda) {
      cuda_check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
      cuda_check(cudaMemcpy(v.data(), p_, n * sizeof(float), cudaMemcpyDeviceToHost), "cudaMemcpy");
      return v;
    }
#endif
    std::memcpy(v.data(), p_, n * sizeof(float));
    return v;
  }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
  std::vector<double> host_;
};

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// ---- timing and results ------------------------------------------------------------------------

struct Settings {
  int iters = 10, warmup = 2;
  // The CPU reference loops run GEMMs at 0.1-2 GFLOP/s: larger products skip
  // them (the check is against float64 dot products, which do not need them).
  double reference_max_gflop = 2.5;
};
Settings g_settings;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median milliseconds of `fn` on the benchmark's device. `iters` < 0: the settings'.
double time_ms(const std::function<void()>& fn, int iters = -1) {
  const int n = iters > 0 ? iters : g_settings.iters;
  std::vector<double> ms;
  for (int i = 0; i < g_settings.warmup; ++i) fn();
#if GPUNN_WITH_CUDA
  if (g_cuda) {
    cudaEvent_t a, b;
    cuda_check(cudaEventCreate(&a), "cudaEventCreate");
    cuda_check(cudaEventCreate(&b), "cudaEventCreate");
    for (int i = 0; i < n; ++i) {
      cuda_check(cudaEventRecord(a, gpu_stream()), "cudaEventRecord");
      fn();
      cuda_check(cudaEventRecord(b, gpu_stream()), "cudaEventRecord");
      cuda_check(cudaEventSynchronize(b), "cudaEventSynchronize");
      float t = 0;
      cuda_check(cudaEventElapsedTime(&t, a, b), "cudaEventElapsedTime");
      ms.push_back(t);
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    cuda_check(cudaGetLastError(), "a benchmarked kernel");
    return median(ms);
  }
#endif
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return median(ms);
}

struct Row {
  std::string family, name, impl;
  double max_abs_err = NAN;  // against the reference (NaN: the reference itself)
  double rel_err = NAN;      // max_abs_err / max |reference|
  bool ok = true;
  double ms = NAN;
  double flops = 0;  // counted FLOPs (0: a bandwidth-bound kernel)
  double bytes = 0;  // bytes moved (read + written, at least once)
  double ceiling_gbs = NAN;
};
std::vector<Row> g_rows;
bool g_failed = false;

void report(Row r) {
  const double gflops = r.flops > 0 ? r.flops / (r.ms * 1e6) : NAN;
  const double gbs = r.bytes > 0 ? r.bytes / (r.ms * 1e6) : NAN;
  std::printf("%-12s %-34s %-12s %10.3f", r.family.c_str(), r.name.c_str(), r.impl.c_str(), r.ms);
  if (r.flops > 0)
    std::printf(" %10.1f GFLOP/s", gflops);
  else
    std::printf(" %10.1f GB/s     ", gbs);
  if (std::isfinite(r.ceiling_gbs) && r.bytes > 0)
    std::printf(" %5.1f%% of %.0f GB/s", 100.0 * gbs / r.ceiling_gbs, r.ceiling_gbs);
  if (std::isfinite(r.max_abs_err))
    std::printf("  err %.2e (rel %.1e)%s", r.max_abs_err, r.rel_err, r.ok ? "" : "  FAILED");
  std::printf("\n");
  std::fflush(stdout);
  if (!r.ok) g_failed = true;
  g_rows.push_back(std::move(r));
}

// Fills the error fields of r from `got` against `ref`; tol bounds the relative error.
void check(Row& r, const std::vector<float>& got, const std::vector<float>& ref, double tol) {
  double err = 0, scale = 0;
  bool finite = true;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) finite = false;
    err = std::max(err, std::fabs(static_cast<double>(got[i]) - ref[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
  }
  r.max_abs_err = finite ? err : INFINITY;
  r.rel_err = scale > 0 ? r.max_abs_err / scale : r.max_abs_err;
  r.ok = finite && r.rel_err <= tol;
}

// Strict float32 results agree with the reference to rounding (products of up
// to ~37,000 terms here); TF32 keeps 10 mantissa bits, about 1e-3 per product.
constexpr double kTolFp32 = 1e-4;
constexpr double kTolTf32 = 1e-2;

// ---- GEMM
// ----------------------------------------------------------------------------------------

struct GemmCase {
  std::string name;
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0;
};

void bench_gemm_case(const std::string& family, const GemmCase& g) {
  const int64_t M = g.M, N = g.N, K = g.K;
  // Row-major op(A) [M, K], op(B) [K, N]; stored transposed when ta / tb.
  const int64_t lda = g.ta ? M : K, ldb = g.tb ? K : N;
  const std::vector<float> a = random_floats(static_cast<size_t>(M * K), 1);
  const std::vector<float> b = random_floats(static_cast<size_t>(K * N), 2);
  auto A = Buffer::floats(a), B = Buffer::floats(b);
  auto C = Buffer::zeros(static_cast<size_t>(M * N));
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
    const std::vector<float> c = C->download(static_cast<size_t>(M * N));
    std::vector<float> got;
    for (auto [i, j] : at) got.push_back(c[i * N + j]);
    return got;
  };
  auto run = [&](const std::string& impl, double tol, const std::function<void()>& fn,
                 int iters = -1) {
    Row r{family, g.name, impl};
    fn();
    check(r, sampled(), ref, tol);
    r.ms = time_ms(fn, iters);
    r.flops = flops;
    report(r);
  };

  if (!g_cuda) {
    // The reference loops are slow: time them once per case, and only up to a size.
    if (flops <= g_settings.reference_max_gflop * 1e9)
      run(
          "reference", kTolFp32,
          [&] {
            k::gemm_cpu<float>(g.ta, g.tb, M, N, K, 1.0f, A->f(), lda, B->f(), ldb, 0.0f, C->f(),
                               N);
          },
          1);
#if GPUNN_WITH_ONEDNN
    run("vendor", kTolFp32, [&] {
      k::gemm_onednn(g.ta, g.tb, M, N, K, 1.0f, A->f(), lda, B->f(), ldb, 0.0f, C->f(), N);
    });
#endif
    return;
  }
#if GPUNN_WITH_CUDA
  run("custom", kTolFp32, [&] {
    k::gemm_batched_cuda<float>(g.ta, g.tb, M, N, K, 1.0f, A->f(), lda, 0, B->f(), ldb, 0, 0.0f,
                                C->f(), N, 0, 1, gpu_stream());
  });
  // Each numbered variant on its own ("custom" above is the library's choice among them).
  for (int v = 1; v <= k::kGemmCudaVariants; ++v) {
    if (!k::gemm_cuda_variant_applies<float>(v, A->f(), lda, 0, B->f(), ldb, 0)) continue;
    run("custom-v" + std::to_string(v), kTolFp32, [&] {
      k::gemm_batched_cuda_variant<float>(v, g.ta, g.tb, M, N, K, 1.0f, A->f(), lda, 0, B->f(), ldb,
                                          0, 0.0f, C->f(), N, 0, 1, gpu_stream());
    });
  }
  for (bool tf32 : {false, true}) {
    run(tf32 ? "vendor-tf32" : "vendor", tf32 ? kTolTf32 : kTolFp32, [&] {
      k::gemm_batched_cublas<float>(cuda::cublas_handle(0), tf32, g.ta, g.tb, M, N, K, 1.0f, A->f(),
                                    lda, 0, B->f(), ldb, 0, 0.0f, C->f(), N, 0, 1);
    });
  }
#endif
}

void bench_gemm(const std::vector<int64_t>& sizes) {
  for (int64_t n : sizes) {
    const std::string s = std::to_string(n);
    bench_gemm_case("gemm", {"sgemm " + s + "x" + s + "x" + s, false, false, n, n, n});
  }
}

void bench_fc(int64_t batch) {
  struct Fc {
    const char* name;
    int64_t in, out;
  };
  for (const Fc& fc : {Fc{"fc6", 9216, 4096}, Fc{"fc7", 4096, 4096}, Fc{"fc8", 4096, 1000}}) {
    const std::string n = fc.name;
    // y[B, out] = x[B, in] · W[out, in]ᵀ;  dx[B, in] = dy · W;  dW[out, in] = dyᵀ · x
    bench_gemm_case("fc", {n + " forward", false, true, batch, fc.out, fc.in});
    bench_gemm_case("fc", {n + " backward-data", false, false, batch, fc.in, fc.out});
    bench_gemm_case("fc", {n + " backward-weights", true, false, fc.out, fc.in, batch});
  }
}

// ---- convolution
// ---------------------------------------------------------------------------------

k::Conv2dShape conv_shape(int64_t N, int64_t C, int64_t H, int64_t K, int64_t R, int64_t stride,
                          int64_t pad) {
  k::Conv2dShape s;
  s.N = N, s.C = C, s.H = H, s.W = H, s.K = K, s.R = R, s.S = R;
  s.stride_h = s.stride_w = stride;
  s.pad_h = s.pad_w = pad;
  s.P = (H + 2 * pad - R) / stride + 1;
  s.Q = s.P;
  return s;
}

// AlexNet's five convolutions on 224x224 images.
std::vector<std::pair<std::string, k::Conv2dShape>> alexnet_convs(int64_t N) {
  return {{"conv1 3->64 11x11/4", conv_shape(N, 3, 224, 64, 11, 4, 2)},
          {"conv2 64->192 5x5", conv_shape(N, 64, 27, 192, 5, 1, 2)},
          {"conv3 192->384 3x3", conv_shape(N, 192, 13, 384, 3, 1, 1)},
          {"conv4 384->256 3x3", conv_shape(N, 384, 13, 256, 3, 1, 1)},
          {"conv5 256->256 3x3", conv_shape(N, 256, 13, 256, 3, 1, 1)}};
}

enum class ConvPass { Forward, BackwardData, BackwardWeights };
const char* pass_name(ConvPass p) {
  return p == ConvPass::Forward ? "fwd" : p == ConvPass::BackwardData ? "bwd-data" : "bwd-weights";
}

// The implementations of one pass on `s` over the given buffers.
struct ConvImpl {
  std::string name;
  double tol;
  std::function<void()> run;
};

std::vector<ConvImpl> conv_impls(const k::Conv2dShape& s, ConvPass pass, Buffer* x, Buffer* w,
                                 Buffer* y,
                                 [[maybe_unused]] std::vector<std::unique_ptr<Buffer>>& keep) {
  std::vector<ConvImpl> out;
  if (!g_cuda) {
    out.push_back({"reference", kTolFp32, [x, w, y, s, pass] {
                     if (pass == ConvPass::Forward)
                       k::conv2d_forward_cpu<float>(y->f(), x->f(), w->f(), nullptr, s);
                     else if (pass == ConvPass::BackwardData)
                       k::conv2d_backward_data_cpu<float>(x->f(), y->f(), w->f(), s);
                     else
                       k::conv2d_backward_weight_cpu<float>(w->f(), y->f(), x->f(), s);
                   }});
#if GPUNN_WITH_ONEDNN
    out.push_back({"vendor", kTolFp32, [x, w, y, s, pass] {
                     if (pass == ConvPass::Forward)
                       k::conv2d_forward_onednn(y->f(), x->f(), w->f(), nullptr, s);
                     else if (pass == ConvPass::BackwardData)
                       k::conv2d_backward_data_onednn(x->f(), y->f(), w->f(), s);
                     else
                       k::conv2d_backward_weight_onednn(w->f(), nullptr, y->f(), x->f(), s);
                   }});
#endif
    return out;
  }
#if GPUNN_WITH_CUDA
  keep.push_back(std::make_unique<Buffer>(k::conv2d_col_elements(s) * sizeof(float)));
  Buffer* col = keep.back().get();
  out.push_back(
      {"custom", kTolFp32, [x, w, y, s, pass, col] {
         if (pass == ConvPass::Forward)
           k::conv2d_forward_cuda<float>(y->f(), x->f(), w->f(), nullptr, s, col->f(),
                                         gpu_stream());
         else if (pass == ConvPass::BackwardData)
           k::conv2d_backward_data_cuda<float>(x->f(), y->f(), w->f(), s, col->f(), gpu_stream());
         else
           k::conv2d_backward_weight_cuda<float>(w->f(), y->f(), x->f(), s, col->f(), gpu_stream());
       }});
#if GPUNN_WITH_CUDNN
  for (bool tf32 : {false, true}) {
    auto conv =
        std::make_shared<k::CudnnConv>(cuda::cudnn_handle(0), s, false, tf32, deterministic());
    const auto p = pass == ConvPass::Forward        ? k::CudnnConv::Pass::Forward
                   : pass == ConvPass::BackwardData ? k::CudnnConv::Pass::BackwardData
                                                    : k::CudnnConv::Pass::BackwardWeight;
    const size_t ws_bytes = conv->workspace_bytes(p);
    keep.push_back(std::make_unique<Buffer>(ws_bytes));
    Buffer* ws = keep.back().get();
    out.push_back({tf32 ? "vendor-tf32" : "vendor", tf32 ? kTolTf32 : kTolFp32,
                   [x, w, y, conv, pass, ws, ws_bytes] {
                     if (pass == ConvPass::Forward)
                       conv->forward(y->raw(), x->raw(), w->raw(), nullptr, ws->raw(), ws_bytes);
                     else if (pass == ConvPass::BackwardData)
                       conv->backward_data(x->raw(), y->raw(), w->raw(), ws->raw(), ws_bytes);
                     else
                       conv->backward_weight(w->raw(), y->raw(), x->raw(), ws->raw(), ws_bytes);
                   }});
  }
#endif
#endif
  return out;
}

void bench_conv(int64_t batch, const std::vector<int64_t>& layers) {
  const auto convs = alexnet_convs(batch);
  for (int64_t layer : layers) {
    if (layer < 1 || layer > 5) fail("--conv-layers: " + std::to_string(layer) + " is not in 1..5");
    const auto& [name, timed] = convs[static_cast<size_t>(layer - 1)];
    for (ConvPass pass : {ConvPass::Forward, ConvPass::BackwardData, ConvPass::BackwardWeights}) {
      // Check at batch 2 against the reference loops (on the host), then time at `batch`.
      k::Conv2dShape cs = timed;
      cs.N = 2;
      const size_t nx = static_cast<size_t>(cs.N * cs.C * cs.H * cs.W);
      const size_t nw = static_cast<size_t>(cs.K * cs.C * cs.R * cs.S);
      const size_t ny = static_cast<size_t>(cs.N * cs.K * cs.P * cs.Q);
      const std::vector<float> hx = random_floats(nx, 4), hw = random_floats(nw, 5),
                               hy = random_floats(ny, 6);
      std::vector<float> ref = pass == ConvPass::Forward        ? std::vector<float>(ny)
                               : pass == ConvPass::BackwardData ? std::vector<float>(nx)
                                                                : std::vector<float>(nw);
      if (pass == ConvPass::Forward)
        k::conv2d_forward_cpu<float>(ref.data(), hx.data(), hw.data(), nullptr, cs);
      else if (pass == ConvPass::BackwardData)
        k::conv2d_backward_data_cpu<float>(ref.data(), hy.data(), hw.data(), cs);
      else
        k::conv2d_backward_weight_cpu<float>(ref.data(), hy.data(), hx.data(), cs);
      std::vector<std::unique_ptr<Buffer>> keep_small;
      auto x = Buffer::floats(hx), w = Buffer::floats(hw), y = Buffer::floats(hy);
      Buffer* out_buf = pass == ConvPass::Forward        ? y.get()
                        : pass == ConvPass::BackwardData ? x.get()
                                                         : w.get();
      std::vector<Row> rows;
      for (const ConvImpl& impl : conv_impls(cs, pass, x.get(), w.get(), y.get(), keep_small)) {
        Row r{"conv", name + " " + pass_name(pass), impl.name};
        impl.run();
        check(r, out_buf->download(ref.size()), ref, impl.tol);
        rows.push_back(r);
      }
      // Time at the full batch.
      const k::Conv2dShape& s = timed;
      const double flops = 2.0 * s.N * s.K * s.P * s.Q * s.C * s.R * s.S;
      auto X = Buffer::floats(random_floats(static_cast<size_t>(s.N * s.C * s.H * s.W), 7));
      auto W = Buffer::floats(hw);
      auto Y = Buffer::floats(random_floats(static_cast<size_t>(s.N * s.K * s.P * s.Q), 8));
      std::vector<std::unique_ptr<Buffer>> keep;
      const std::vector<ConvImpl> impls = conv_impls(s, pass, X.get(), W.get(), Y.get(), keep);
      for (size_t i = 0; i < impls.size(); ++i) {
        Row r = rows[i];
        // The reference loops are slow: time them once.
        r.ms = time_ms(impls[i].run, impls[i].name == "reference" ? 1 : -1);
        r.flops = flops;
        report(r);
      }
    }
  }
}

// ---- bandwidth-bound kernels
// ---------------------------------------------------------------------

// The bandwidth ceiling: a plain copy of a large buffer (read + write bytes / time).
double measure_copy_gbs() {
  const size_t bytes = g_cuda ? (size_t{1} << 30) : (size_t{64} << 20);
  Buffer a(bytes), b(bytes);
#if GPUNN_WITH_CUDA
  if (g_cuda) {
    cuda_check(cudaMemsetAsync(a.raw(), 0, bytes, gpu_stream()), "cudaMemset");
    const double ms = time_ms([&] {
      cuda_check(cudaMemcpyAsync(b.raw(), a.raw(), bytes, cudaMemcpyDeviceToDevice, gpu_stream()),
                 "cudaMemcpyAsync");
    });
    return 2.0 * static_cast<double>(bytes) / (ms * 1e6);
  }
#endif
  std::memset(a.raw(), 1, bytes);
  std::memset(b.raw(), 0, bytes);
  const double ms = time_ms([&] { std::memcpy(b.raw(), a.raw(), bytes); });
  return 2.0 * static_cast<double>(bytes) / (ms * 1e6);
}

double g_ceiling = NAN;

using Impls = std::vector<std::pair<std::string, std::function<void()>>>;
// Out of line: GCC 12 reports a false -Warray-bounds when this is inlined.
[[gnu::noinline]] void add(Impls& impls, const char* name, std::function<void()> fn) {
  impls.emplace_back(name, std::move(fn));
}

// Runs one bandwidth-bound case: `impls` compute `out` (n_out floats) from
// the inputs; ref is the expected result.
void bandwidth_case(const std::string& family, const std::string& name, double bytes, Buffer& out,
                    const std::vector<float>& ref, const Impls& impls) {
  for (const auto& [impl, fn] : impls) {
    Row r{family, name, impl};
    fn();
    check(r, out.download(ref.size()), ref, kTolFp32);
    r.ms = time_ms(fn);
    r.bytes = bytes;
    r.ceiling_gbs = g_ceiling;
    report(r);
  }
}

void bench_softmax(int64_t rows, int64_t C) {
  const size_t n = static_cast<size_t>(rows * C);
  const std::vector<float> hx = random_floats(n, 9), hdy = random_floats(n, 10);
  std::vector<float> y_ref(n), dx_ref(n);
  k::softmax_forward_cpu<float>(y_ref.data(), hx.data(), rows, C, 1, false);
  k::softmax_backward_cpu<float>(dx_ref.data(), hdy.data(), y_ref.data(), rows, C, 1, false);
  auto x = Buffer::floats(hx), y = Buffer::zeros(n), dy = Buffer::floats(hdy),
       yr = Buffer::floats(y_ref), dx = Buffer::zeros(n);
  const std::string shape = std::to_string(rows) + "x" + std::to_string(C);
  const double b = static_cast<double>(n) * sizeof(float);
  Impls fwd, bwd;
  if (!g_cuda) {
    add(fwd, "reference",
        [&] { k::softmax_forward_cpu<float>(y->f(), x->f(), rows, C, 1, false); });
    add(bwd, "reference",
        [&] { k::softmax_backward_cpu<float>(dx->f(), dy->f(), yr->f(), rows, C, 1, false); });
#if GPUNN_WITH_ONEDNN
    add(fwd, "vendor", [&] { k::softmax_forward_onednn(y->f(), x->f(), rows, C, 1); });
    add(bwd, "vendor", [&] { k::softmax_backward_onednn(dx->f(), dy->f(), yr->f(), rows, C, 1); });
#endif
  }
#if GPUNN_WITH_CUDA
  else {
    add(fwd, "custom",
        [&] { k::softmax_forward_cuda<float>(y->f(), x->f(), rows, C, 1, false, gpu_stream()); });
    add(bwd, "custom", [&] {
      k::softmax_backward_cuda<float>(dx->f(), dy->f(), yr->f(), rows, C, 1, false, gpu_stream());
    });
#if GPUNN_WITH_CUDNN
    add(fwd, "vendor", [&] {
      k::cudnn_softmax_forward(cuda::cudnn_handle(0), false, rows, C, 1, false, x->f(), y->f());
    });
    add(bwd, "vendor", [&] {
      k::cudnn_softmax_backward(cuda::cudnn_handle(0), false, rows, C, 1, false, yr->f(), dy->f(),
                                dx->f());
    });
#endif
  }
#endif
  bandwidth_case("softmax", "softmax fwd " + shape, 2 * b, *y, y_ref, fwd);
  bandwidth_case("softmax", "softmax bwd " + shape, 3 * b, *dx, dx_ref, bwd);
}

void bench_pool(int64_t batch) {
  // AlexNet's first max-pool: [N, 64, 55, 55] -> [N, 64, 27, 27], 3x3 stride 2.
  k::Pool2dShape s;
  s.N = batch, s.C = 64, s.H = s.W = 55, s.P = s.Q = 27;
  s.kernel_h = s.kernel_w = 3;
  s.stride_h = s.stride_w = 2;
  const size_t nx = static_cast<size_t>(s.N * s.C * s.H * s.W);
  const size_t ny = static_cast<size_t>(s.N * s.C * s.P * s.Q);
  const std::vector<float> hx = random_floats(nx, 11), hdy = random_floats(ny, 12);
  std::vector<float> y_ref(ny), dx_ref(nx);
  std::vector<int64_t> idx_ref(ny);
  k::max_pool2d_forward_cpu<float>(y_ref.data(), idx_ref.data(), hx.data(), s);
  k::max_pool2d_backward_cpu<float>(dx_ref.data(), hdy.data(), idx_ref.data(), s);
  auto x = Buffer::floats(hx), y = Buffer::zeros(ny), dy = Buffer::floats(hdy),
       dx = Buffer::zeros(nx);
  Buffer idx(ny * sizeof(int64_t));
  const std::string name = "maxpool 3x3/2 " + std::to_string(batch) + "x64x55x55";
  Impls fwd, bwd;
  [[maybe_unused]] std::unique_ptr<Buffer> ws;
  auto* ip = static_cast<int64_t*>(idx.raw());
  if (!g_cuda) {
    add(fwd, "reference", [&] { k::max_pool2d_forward_cpu<float>(y->f(), ip, x->f(), s); });
    add(bwd, "reference", [&] { k::max_pool2d_backward_cpu<float>(dx->f(), dy->f(), ip, s); });
#if GPUNN_WITH_ONEDNN
    ws = std::make_unique<Buffer>(k::max_pool2d_workspace_bytes_onednn(s));
    add(fwd, "vendor", [&] { k::max_pool2d_forward_onednn(y->f(), ws->raw(), x->f(), s); });
    add(bwd, "vendor", [&] { k::max_pool2d_backward_onednn(dx->f(), dy->f(), ws->raw(), s); });
#endif
  }
#if GPUNN_WITH_CUDA
  else {
    add(fwd, "custom",
        [&] { k::max_pool2d_forward_cuda<float>(y->f(), ip, x->f(), s, gpu_stream()); });
    add(bwd, "custom",
        [&] { k::max_pool2d_backward_cuda<float>(dx->f(), dy->f(), ip, s, gpu_stream()); });
#if GPUNN_WITH_CUDNN
    // cuDNN keeps no indices: its backward finds the maxima again from x and y.
    add(fwd, "vendor",
        [&] { k::cudnn_pool2d_forward(cuda::cudnn_handle(0), true, s, false, x->f(), y->f()); });
    add(bwd, "vendor", [&] {
      k::cudnn_pool2d_backward(cuda::cudnn_handle(0), true, s, false, x->f(), y->f(), dy->f(),
                               dx->f());
    });
#endif
  }
#endif
  const double bx = static_cast<double>(nx) * sizeof(float);
  const double by = static_cast<double>(ny) * sizeof(float);
  // forward reads x, writes y and the indices; backward reads dy and the
  // indices and writes dx. Each backward implementation reads the indices its
  // own forward wrote, so forward and backward alternate per implementation.
  for (size_t i = 0; i < fwd.size(); ++i) {
    bandwidth_case("pool", name + " fwd", bx + 3 * by, *y, y_ref, {fwd[i]});
    bandwidth_case("pool", name + " bwd", 3 * by + bx, *dx, dx_ref, {bwd[i]});
  }
}

void bench_elementwise(int64_t n) {
  const std::vector<float> ha = random_floats(static_cast<size_t>(n), 13),
                           hb = random_floats(static_cast<size_t>(n), 14);
  std::vector<float> relu_ref(n), relu_bwd_ref(n), add_ref(n);
  k::relu_forward_cpu<float>(relu_ref.data(), ha.data(), n);
  k::relu_backward_cpu<float>(relu_bwd_ref.data(), hb.data(), relu_ref.data(), n);
  k::StridedPair ix;
  ix.ndim = 1;
  ix.shape[0] = n;
  ix.a[0] = ix.b[0] = 1;
  k::binary_forward_cpu<float>(k::BinaryOp::Add, add_ref.data(), ha.data(), hb.data(), ix, n);
  auto a = Buffer::floats(ha), b = Buffer::floats(hb), yr = Buffer::floats(relu_ref),
       out = Buffer::zeros(static_cast<size_t>(n));
  const double e = static_cast<double>(n) * sizeof(float);
  const std::string sz = " n=" + std::to_string(n);
  Impls relu_f, relu_b, add_f;
  if (!g_cuda) {
    add(relu_f, "reference", [&] { k::relu_forward_cpu<float>(out->f(), a->f(), n); });
    add(relu_b, "reference", [&] { k::relu_backward_cpu<float>(out->f(), b->f(), yr->f(), n); });
    add(add_f, "reference",
        [&] { k::binary_forward_cpu<float>(k::BinaryOp::Add, out->f(), a->f(), b->f(), ix, n); });
#if GPUNN_WITH_ONEDNN
    add(relu_b, "vendor", [&] { k::relu_backward_onednn(out->f(), b->f(), yr->f(), n); });
#endif
  }
#if GPUNN_WITH_CUDA
  else {
    add(relu_f, "custom", [&] { k::relu_forward_cuda<float>(out->f(), a->f(), n, gpu_stream()); });
    add(relu_b, "custom",
        [&] { k::relu_backward_cuda<float>(out->f(), b->f(), yr->f(), n, gpu_stream()); });
    add(add_f, "custom", [&] {
      k::binary_forward_cuda<float>(k::BinaryOp::Add, out->f(), a->f(), b->f(), ix, n,
                                    gpu_stream());
    });
  }
#endif
  bandwidth_case("elementwise", "relu fwd" + sz, 2 * e, *out, relu_ref, relu_f);
  bandwidth_case("elementwise", "relu bwd" + sz, 3 * e, *out, relu_bwd_ref, relu_b);
  bandwidth_case("elementwise", "add" + sz, 3 * e, *out, add_ref, add_f);
}

// ---- JSON --------------------------------------------------------------------------------------

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void write_json(const std::string& path, const std::string& device_name, double ceiling) {
  std::ofstream f(path);
  if (!f) fail("cannot write " + path);
  f << "{\n  \"tool\": \"kernel_bench\",\n  \"device\": \"" << (g_cuda ? "cuda:0" : "cpu")
    << "\",\n  \"device_name\": \"" << device_name << "\",\n  \"iters\": " << g_settings.iters
    << ",\n  \"warmup\": " << g_settings.warmup
    << ",\n  \"bandwidth_ceiling_gbs\": " << num(ceiling) << ",\n  \"rows\": [";
  for (size_t i = 0; i < g_rows.size(); ++i) {
    const Row& r = g_rows[i];
    f << (i ? ",\n" : "\n") << "    {\"family\": \"" << r.family << "\", \"name\": \"" << r.name
      << "\", \"impl\": \"" << r.impl << "\", \"ms\": " << num(r.ms)
      << ", \"gflops\": " << num(r.flops > 0 ? r.flops / (r.ms * 1e6) : NAN)
      << ", \"tflops\": " << num(r.flops > 0 ? r.flops / (r.ms * 1e9) : NAN)
      << ", \"gbs\": " << num(r.bytes > 0 ? r.bytes / (r.ms * 1e6) : NAN)
      << ", \"max_abs_err\": " << num(r.max_abs_err) << ", \"rel_err\": " << num(r.rel_err)
      << ", \"ok\": " << (r.ok ? "true" : "false") << "}";
  }
  f << "\n  ],\n  \"ok\": " << (g_failed ? "false" : "true") << "\n}\n";
}

std::vector<int64_t> parse_list(const std::string& text, const char* what) {
  std::vector<int64_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stoll(item, &used));
      if (used != item.size() || out.back() < 1) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      fail(std::string(what) + ": \"" + item + "\" is not a positive integer");
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string device = "cpu", families = "gemm,fc,conv,softmax,pool,elementwise", json;
  std::string sizes_text = "256,512,1024,2048,4096,8192", conv_layers = "1,2,3,4,5";
  int64_t max_size = 0, conv_batch = 0, fc_batch = 128;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + " needs a value");
      return argv[++i];
    };
    auto int_value = [&]() -> int64_t {
      const std::string v = value();
      return parse_list(v, arg.c_str()).at(0);
    };
    if (arg == "--device") {
      device = value();
    } else if (arg == "--families") {
      families = value();
    } else if (arg == "--sizes") {
      sizes_text = value();
    } else if (arg == "--max-size") {
      max_size = int_value();
    } else if (arg == "--conv-layers") {
      conv_layers = value();
    } else if (arg == "--conv-batch") {
      conv_batch = int_value();
    } else if (arg == "--fc-batch") {
      fc_batch = int_value();
    } else if (arg == "--iters") {
      g_settings.iters = static_cast<int>(int_value());
    } else if (arg == "--warmup") {
      const std::string v = value();
      g_settings.warmup = v == "0" ? 0 : static_cast<int>(parse_list(v, "--warmup").at(0));
    } else if (arg == "--reference-max-gflop") {
      g_settings.reference_max_gflop = static_cast<double>(int_value());
    } else if (arg == "--json") {
      json = value();
    } else {
      std::cerr << "usage: kernel_bench [--device cpu|cuda] [--families "
                   "gemm,fc,conv,softmax,pool,elementwise] [--sizes 256,...] [--max-size N] "
                   "[--conv-layers 1,...,5] [--conv-batch N] [--fc-batch N] "
                   "[--reference-max-gflop N] [--iters N] [--warmup "
                   "N] [--json FILE]\n";
      return 2;
    }
  }
  if (device == "cuda" || device == "cuda:0") {
    if (!cuda::is_available()) fail("--device cuda: no usable CUDA device in this build");
    g_cuda = true;
  } else if (device != "cpu") {
    fail("--device must be cpu or cuda, got \"" + device + "\"");
  }
  // The CPU defaults end in a few minutes on a small machine.
  if (max_size == 0) max_size = g_cuda ? 8192 : 1024;
  if (conv_batch == 0) conv_batch = g_cuda ? 128 : 4;
  std::vector<int64_t> sizes;
  for (int64_t s : parse_list(sizes_text, "--sizes"))
    if (s <= max_size) sizes.push_back(s);

  std::string device_name = "cpu";
#if GPUNN_WITH_CUDA
  if (g_cuda) device_name = cuda::device_properties(0).name;
#endif
  if (!g_cuda) {
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
      if (line.rfind("model name", 0) == 0) {
        device_name = line.substr(line.find(':') + 2);
        break;
      }
  }
  g_ceiling = measure_copy_gbs();
  std::printf("kernel_bench on %s (%s): medians of %d after %d warm-up; copy bandwidth %.1f GB/s\n",
              g_cuda ? "cuda:0" : "cpu", device_name.c_str(), g_settings.iters, g_settings.warmup,
              g_ceiling);
  std::printf("%-12s %-34s %-12s %10s\n", "family", "case", "impl", "ms");
  try {
    std::stringstream list(families);
    for (std::string fam; std::getline(list, fam, ',');) {
      if (fam == "gemm")
        bench_gemm(sizes);
      else if (fam == "fc")
        bench_fc(fc_batch);
      else if (fam == "conv")
        bench_conv(conv_batch, parse_list(conv_layers, "--conv-layers"));
      else if (fam == "softmax")
        bench_softmax(g_cuda ? 16384 : 1024, 1000);
      else if (fam == "pool")
        bench_pool(conv_batch);
      else if (fam == "elementwise")
        bench_elementwise(g_cuda ? (int64_t{1} << 26) : (int64_t{1} << 22));
      else
        fail("unknown family \"" + fam + "\" (gemm, fc, conv, softmax, pool, elementwise)");
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (!json.empty()) write_json(json, device_name, g_ceiling);
  if (g_failed) {
    std::cerr << "kernel_bench: some results were off the reference (FAILED above)\n";
    return 1;
  }
  return 0;
}
