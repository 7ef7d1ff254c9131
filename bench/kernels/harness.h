// The shared harness of bench/kernels (llm.c's dev/cuda shape): each family file
// builds its cases, the harness runs every implementation of the family's table that
// this build and device have, checks each against a reference before timing it, and
// reports one row per (case, implementation).
//
// Implementations are named as in the results: on the CPU "reference" (the loops in
// kernels/cpu/) and "vendor" (oneDNN); on the GPU "custom" (our kernels/cuda/) and
// "vendor" (cuBLAS/cuDNN in strict FP32), plus "vendor-tf32" where TensorFloat-32
// changes the result. Entries run with a Context the harness builds like core's
// launch() does: the device's stream, the library handles the entry asks for, its
// workspace, the settings.
#pragma once

#include <gpunn/gpunn.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/base/table.h"
#include "kernels/conv.h"

namespace bench {

using gpunn::Device;
using gpunn::Tensor;

struct Options {
  Device device = gpunn::kCPU;
  int iters = 10, warmup = 2;
  // The CPU reference loops run GEMMs at 0.1-2 GFLOP/s: larger products skip them
  // (the check is against float64 dot products, which do not need them).
  double reference_max_gflop = 2.5;
  std::vector<int64_t> sizes;        // gemm
  int64_t fc_batch = 128;            // fc
  int64_t conv_batch = 4;            // conv, pool
  std::vector<int64_t> conv_layers;  // conv: AlexNet's layers 1..5
};
const Options& options();
bool on_cuda();
[[noreturn]] void fail(const std::string& what);

// ---- data ----
std::vector<float> random_floats(size_t n, uint64_t seed);
// Host values to the benchmark's device, and back.
Tensor upload(const std::vector<float>& v);
Tensor zeros(size_t n);
std::vector<float> download(const Tensor& t);

// ---- implementations ----
namespace detail {
struct Prepared;
}

struct Impl {
  std::string name;  // "reference", "vendor", "custom", "vendor-tf32", ...
  double tol;        // largest relative error that passes
  std::function<void()> run;
  std::shared_ptr<detail::Prepared> prepared;  // its context, workspace and reserve
};

// Strict float32 results agree with the reference to rounding (products of up to
// ~37,000 terms here); TF32 keeps 10 mantissa bits, about 1e-3 per product.
constexpr double kTolFp32 = 1e-4;
constexpr double kTolTf32 = 1e-2;

namespace detail {
struct Prepared {
  gpunn::kernels::Context ctx;
  Tensor workspace, reserve;
};
// The context for an entry on the benchmark's device, before its workspace.
std::shared_ptr<Prepared> context(unsigned libraries, bool tf32);
void attach(Prepared& p, size_t workspace_bytes, size_t reserve_bytes);
}  // namespace detail

// One callable per implementation of `table`'s row for args.dtype that this build has on the
// benchmark's device and that accepts `args` (with_tf32: a "vendor-tf32" twin of the
// vendor entry). The args are copied; their pointers must stay valid.
template <typename Args>
std::vector<Impl> implementations(const gpunn::kernels::OpTable<Args>& table, const Args& args,
                                  bool with_tf32 = false) {
  const gpunn::kernels::Row<Args>& row = table.row(args.dtype);
  std::vector<Impl> out;
  auto add = [&](const char* name, const gpunn::kernels::Kernel<Args>& k, bool tf32, double tol) {
    if (!k.accepts(args)) return;
    auto prepared = detail::context(k.libraries, tf32);
    detail::attach(*prepared, k.workspace_bytes ? k.workspace_bytes(args, prepared->ctx) : 0,
                   k.reserve_bytes ? k.reserve_bytes(args) : 0);
    out.push_back({name, tol, [k, args, prepared] { k.run(args, prepared->ctx); }, prepared});
  };
  if (!on_cuda()) {
    add("reference", row.cpu, false, kTolFp32);
    add("vendor", row.cpu_vendor, false, kTolFp32);
  } else {
    add("custom", row.cuda, false, kTolFp32);
    add("vendor", row.cuda_vendor, false, kTolFp32);
    if (with_tf32) add("vendor-tf32", row.cuda_vendor, true, kTolTf32);
  }
  return out;
}

// One more CUDA implementation under `name` (a hand-written kernel that a table entry
// replaced, kernels/cuda/variants.h), run with a context like the table's entries get
// and `workspace_bytes` of scratch. Nothing on the CPU.
template <typename Args>
void add_variant(std::vector<Impl>& impls, const char* name,
                 void (*run)(const Args&, const gpunn::kernels::Context&), const Args& args,
                 size_t workspace_bytes = 0) {
  if (!on_cuda()) return;
  auto prepared = detail::context(gpunn::kernels::kNoLibrary, false);
  detail::attach(*prepared, workspace_bytes, 0);
  impls.push_back({name, kTolFp32, [run, args, prepared] { run(args, prepared->ctx); }, prepared});
}

// Runs the reference loops of `table` on host buffers (args point to host memory).
template <typename Args>
void run_reference(const gpunn::kernels::OpTable<Args>& table, const Args& args) {
  const gpunn::kernels::Kernel<Args>& k = table.row(args.dtype).cpu;
  std::vector<double> workspace;
  gpunn::kernels::Context ctx;
  if (k.workspace_bytes) {
    workspace.resize(k.workspace_bytes(args, ctx) / sizeof(double) + 1);
    ctx.workspace = workspace.data();
  }
  k.run(args, ctx);
}

// ---- timing and results ----
// Median milliseconds of `fn` on the benchmark's device (iters <= 0: the options').
double time_ms(const std::function<void()>& fn, int iters = -1);

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
// Fills the error fields of r from `got` against `ref`; tol bounds the relative error.
void check(Row& r, const std::vector<float>& got, const std::vector<float>& ref, double tol);
void report(Row r);

// The bandwidth ceiling: a large device-to-device copy (read + write bytes / time).
double bandwidth_ceiling_gbs();

// One bandwidth-bound case: each implementation computes `out` (compared with ref in
// full), then is timed.
void bandwidth_case(const std::string& family, const std::string& name, double bytes,
                    const Tensor& out, const std::vector<float>& ref,
                    const std::vector<Impl>& impls);

// ---- shared cases ----
// AlexNet's five convolutions on 224x224 images at batch N: name and shape.
std::vector<std::pair<std::string, gpunn::kernels::Conv2dShape>> alexnet_conv_shapes(int64_t N);

// ---- the families (one file each) ----
void bench_gemm();
void bench_fc();
void bench_conv();
void bench_conv_layout();  // cuDNN's 16-bit convolutions, NCHW against NHWC (GPU only)
void bench_softmax();
void bench_pool();
void bench_activation();
void bench_elementwise();
void bench_reduce();
void bench_random();

}  // namespace bench
