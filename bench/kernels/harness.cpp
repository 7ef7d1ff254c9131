// The shared harness of bench/kernels (harness.h).
#include "bench/kernels/harness.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>

#if GPUNN_WITH_CUDA
#include <cuda_runtime.h>

#include "kernels/base/handles.h"
#endif

namespace bench {

Options& mutable_options() {
  static Options o;
  return o;
}
const Options& options() { return mutable_options(); }
bool on_cuda() { return options().device.is_cuda(); }

void fail(const std::string& what) {
  std::cerr << "kernel_bench: " << what << "\n";
  std::exit(2);
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

Tensor upload(const std::vector<float>& v) {
  return gpunn::tensor_from(v, {static_cast<int64_t>(v.size())}).to(options().device);
}

Tensor zeros(size_t n) {
  return gpunn::zeros({static_cast<int64_t>(n)},
                      gpunn::TensorOptions(gpunn::kFloat32).device(options().device));
}

std::vector<float> download(const Tensor& t) {
  const Tensor h = t.to(gpunn::kCPU).to(gpunn::kFloat32);  // 16-bit results widen exactly
  const float* p = h.data<float>();
  return std::vector<float>(p, p + h.numel());
}

namespace detail {

std::shared_ptr<Prepared> context(unsigned libraries, bool tf32) {
  auto p = std::make_shared<Prepared>();
  p->ctx.settings.allow_tf32 = tf32;
  p->ctx.settings.deterministic = gpunn::deterministic();
  p->ctx.settings.cudnn_benchmark = gpunn::cudnn_benchmark();
  if (!on_cuda()) return p;
#if GPUNN_WITH_CUDA
  const int device = options().device.index;
  p->ctx.device = device;
  p->ctx.stream = static_cast<CUstream_st*>(gpunn::cuda::stream(device));
  if (libraries & gpunn::kernels::kCublas)
    p->ctx.cublas = gpunn::kernels::cublas_handle(device, p->ctx.stream);
  if (libraries & gpunn::kernels::kCudnn)
    p->ctx.cudnn = gpunn::kernels::cudnn_handle(device, p->ctx.stream);
#else
  (void)libraries;
#endif
  return p;
}

void attach(Prepared& p, size_t workspace_bytes, size_t reserve_bytes) {
  auto bytes = [](size_t n) {
    return gpunn::empty({static_cast<int64_t>((n + 7) / 8)},
                        gpunn::TensorOptions(gpunn::kInt64).device(options().device));
  };
  if (workspace_bytes > 0) {
    p.workspace = bytes(workspace_bytes);
    p.ctx.workspace = p.workspace.data_ptr();
    p.ctx.workspace_bytes = workspace_bytes;
  }
  if (reserve_bytes > 0) {
    p.reserve = bytes(reserve_bytes);
    p.ctx.reserve = p.reserve.data_ptr();
    p.ctx.reserve_bytes = reserve_bytes;
  }
}

}  // namespace detail

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool g_failed = false;
std::vector<Row> g_rows;

}  // namespace

double time_ms(const std::function<void()>& fn, int iters) {
  const int n = iters > 0 ? iters : options().iters;
  for (int i = 0; i < options().warmup; ++i) fn();
  gpunn::cuda::Timer timer(options().device);
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    timer.start();
    fn();
    ms.push_back(timer.stop_ms());
  }
  if (on_cuda()) gpunn::cuda::synchronize(options().device.index);
  return median(ms);
}

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

const std::vector<Row>& rows() { return g_rows; }
bool failed() { return g_failed; }

double bandwidth_ceiling_gbs() {
  static const double gbs = [] {
    // 1 GiB on the GPU (cudaMemcpyAsync), 64 MiB on the CPU (memcpy).
    const size_t bytes = on_cuda() ? (size_t{1} << 30) : (size_t{64} << 20);
    const Tensor a = zeros(bytes / sizeof(float)), b = zeros(bytes / sizeof(float));
    std::function<void()> copy = [&] { std::memcpy(b.data_ptr(), a.data_ptr(), bytes); };
#if GPUNN_WITH_CUDA
    if (on_cuda()) {
      copy = [&] {
        const cudaError_t e =
            cudaMemcpyAsync(b.data_ptr(), a.data_ptr(), bytes, cudaMemcpyDeviceToDevice,
                            static_cast<cudaStream_t>(gpunn::cuda::stream(options().device.index)));
        if (e != cudaSuccess) fail(std::string("cudaMemcpyAsync: ") + cudaGetErrorString(e));
      };
    }
#endif
    const double ms = time_ms(copy);
    return 2.0 * static_cast<double>(bytes) / (ms * 1e6);
  }();
  return gbs;
}

void bandwidth_case(const std::string& family, const std::string& name, double bytes,
                    const Tensor& out, const std::vector<float>& ref,
                    const std::vector<Impl>& impls) {
  for (const Impl& impl : impls) {
    Row r{family, name, impl.name};
    impl.run();
    check(r, download(out), ref, impl.tol);
    r.ms = time_ms(impl.run);
    r.bytes = bytes;
    r.ceiling_gbs = bandwidth_ceiling_gbs();
    report(r);
  }
}

}  // namespace bench
