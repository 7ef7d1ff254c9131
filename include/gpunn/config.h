// Run-time configuration: which implementation each op family uses, and what
// this build of gpunn contains.
//
// Every op family has a `custom` implementation (gpunn's own: the reference loops
// on the CPU, our kernels on CUDA) and may have a `vendor` one (oneDNN on the
// CPU for float32, docs/cpu.md; cuDNN/cuBLAS on CUDA). `auto` (the default)
// picks the vendor one where it exists, except where gpunn has contenders of its own
// (convolution and GEMM on CUDA): there it measures them (set_tuning, below). A family set to
// `vendor` whose op has no vendor implementation (float64 on the CPU, for one) uses the custom one.
// Environment: GPUNN_IMPL=custom|vendor|auto sets every family at start-up;
// GPUNN_IMPL_<FAMILY> (e.g. GPUNN_IMPL_CONV=custom) sets one and wins over GPUNN_IMPL.
#pragma once

#include <gpunn/export.h>

#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

// One name per family everywhere: this value, core/ops/<family>.cpp,
// kernels/<family>.h and kernels/{cpu,cuda,vendor}/, tests/ops/<family>_test.cpp and
// bench/kernels/<family>.
enum class OpFamily : int {
  Elementwise,  // unary and binary math
  Activation,   // relu, leaky_relu, sigmoid, tanh
  Reduce,       // sum, mean, max, argmax
  Gemm,         // matmul, linear
  Softmax,      // softmax, log_softmax
  Conv,         // conv2d, conv_transpose2d
  Pool,         // max and average pooling
  Loss,         // nll, cross entropy, margin losses, binary cross entropy
  Random,       // rand, randn, randint, dropout
  Index,        // gather, scatter, embedding
  Copy,         // copies, conversions, fill
  Norm,         // batch norm, local response norm
  Rnn,          // the LSTM cell
  Optim,        // fused parameter updates (SGD, Adam, RMSprop)
  Attention,    // scaled dot-product attention
  kCount
};

enum class Impl : int { Auto, Custom, Vendor };

const char* op_family_name(OpFamily family);  // "conv", "gemm", ...
const char* impl_name(Impl impl);             // "auto", "custom", "vendor"
Impl parse_impl(const std::string& text);     // throws gpunn::Error on anything else

void set_impl(OpFamily family, Impl impl);
void set_impl(Impl impl);  // every family
Impl get_impl(OpFamily family);

// The four implementations an op may have for a dtype (docs/design.md, the seam):
// gpunn's reference loops, a vendor library on the CPU (oneDNN), our CUDA kernels,
// cuBLAS/cuDNN. `custom` means Cpu or Cuda, `vendor` CpuVendor or CudaVendor.
enum class Implementation : int { Cpu, CpuVendor, Cuda, CudaVendor };
const char* implementation_name(Implementation impl);  // "cpu", "cpu_vendor", "cuda", "cuda_vendor"
// With our numbered kernel when auto chose one: "cuda#2"; variant 0 gives the name alone.
std::string implementation_name(Implementation impl, int variant);

// Which implementation each op ran, recorded on this thread while a LaunchTrace is
// alive (the innermost one when nested). For tests that must know a vendor path
// really ran, and for a user asking why a layer is slow:
//   LaunchTrace trace;  y = conv2d(x, w);
//   for (const auto& r : trace.records()) std::cout << r.op << " " <<
//   implementation_name(r.implementation);
// Costs one thread-local load per op while no trace is alive.
struct LaunchRecord {
  std::string op;  // "conv2d", "conv2d_backward_weight", ...
  OpFamily family;
  Implementation implementation;
  int variant = 0;  // which of our numbered kernels auto chose (set_tuning); 0: the default
};

class LaunchTrace {
 public:
  LaunchTrace();
  ~LaunchTrace();
  LaunchTrace(const LaunchTrace&) = delete;
  LaunchTrace& operator=(const LaunchTrace&) = delete;

  const std::vector<LaunchRecord>& records() const { return records_; }
  // How many records name `op` and, when given, ran on `impl`.
  int count(const std::string& op) const;
  int count(const std::string& op, Implementation impl) const;
  void clear() { records_.clear(); }

  // Called by the dispatcher (core/dispatch.h).
  void add(const char* op, OpFamily family, Implementation impl, int variant = 0);

 private:
  std::vector<LaunchRecord> records_;
  LaunchTrace* outer_;
};

// TensorFloat-32 on the GPU (cuBLAS and cuDNN tensor cores with 10-bit
// mantissas for float32 products). Off by default: float32 means strict FP32.
// GPUNN_ALLOW_TF32=1 in the environment turns it on at start-up.
void set_allow_tf32(bool allow);
bool allow_tf32();

// Determinism (docs/reproducibility.md). When on, every op either gives
// bitwise identical results for identical inputs, seeds and settings on the
// same machine and build, or raises gpunn::Error naming the op instead of
// running a non-deterministic kernel:
//   CPU: the reference loops are single-threaded and always deterministic;
//        oneDNN is run-to-run deterministic for a fixed thread count, which
//        gpunn derives from the op's shape; deterministic mode also stops
//        OpenMP from changing that count with the machine's load (OMP_DYNAMIC).
//   CUDA: cuDNN convolution keeps only algorithms cuDNN reports as
//        deterministic and chooses by heuristic instead of by timing;
//        embedding's backward runs an atomic-free kernel; every other custom
//        kernel is deterministic in both modes; cuBLAS is deterministic on
//        gpunn's single stream per device.
// Off by default. GPUNN_DETERMINISTIC=1 in the environment turns it on at start-up.
void set_deterministic(bool deterministic);
bool deterministic();

// How cuDNN convolution algorithms are chosen, once per shape: measured (on,
// the default: cuDNN runs each candidate and the fastest is kept) or taken
// from cuDNN's heuristics (off: no trial runs). Deterministic mode always
// uses the heuristics. GPUNN_CUDNN_BENCHMARK=0 in the environment turns
// measuring off at start-up. cuDNN's trial runs read scratch buffers that
// cuDNN allocates and does not initialize, which compute-sanitizer's initcheck
// reports, so tools/gpu_check.sh runs initcheck with measuring off.
void set_cudnn_benchmark(bool measure);
bool cudnn_benchmark();

// How `auto` chooses where an op has several contenders: today the convolution passes
// and GEMM on CUDA, whose candidates are cuDNN/cuBLAS (with their own algorithm choice,
// set_cudnn_benchmark) and each of our numbered kernels that computes the call under the
// current settings and has run on a GPU (kernels/cuda/conv.cuh, gemm.cuh). With tuning on (the
// default), the first call of each key (op, dtype, device, settings and the call's shape, strides
// and alignment) runs every candidate once untimed and up to three times timed (CUDA events; one
// timed run when it is already 4x slower than the best) on the call's own buffers, keeps the
// fastest, and every later call of that key runs it. Calls whose trial runs would change their
// result (a GEMM that adds to its output, beta != 0) are not measured. With tuning off, or for a
// family set to custom or vendor, the fixed order of set_impl applies. On the CPU our entries are
// the reference loops, never a contender: auto takes oneDNN where it exists.
//
// Deterministic mode restricts the candidates to deterministic ones, and since a choice
// made by timing could differ between two runs, it measures only when a cache file is
// set (the first run's measurements are then every later run's choices); without one it
// takes the fixed order.
//
// GPUNN_TUNING=0 turns measuring off at start-up.
void set_tuning(bool measure);
bool tuning();

// A file that keeps the measured choices across runs (off by default; GPUNN_TUNING_CACHE
// at start-up): read before the first measurement, rewritten atomically after each new one.
// Its keys name the GPU and the gpunn version, so a file moved to another machine or kept
// across an upgrade only misses. An unreadable or corrupt file gets one warning on stderr
// naming it and the line, is ignored (everything is measured again) and is replaced at the
// next measurement. "" turns it off. Setting it also forgets the choices made so far in
// this process.
void set_tuning_cache_file(const std::string& path);
std::string tuning_cache_file();

// The choices made or loaded in this process.
struct TuningRecord {
  std::string key;
  Implementation implementation;
  int variant = 0;           // our numbered kernel; 0 for the vendor's entry
  double microseconds = -1;  // its measured time
};
std::vector<TuningRecord> tuning_records();
// Forgets the choices in memory (the file, if any, is read again before the next one).
void clear_tuning_cache();

// The version string, e.g. "0.1.0".
const char* version();

// What this build contains, one "key: value" per line: version, compiler, C++
// standard, oneDNN, CUDA and cuDNN (compiled in or not, and their versions).
std::string build_info();

// True when this build has the CPU vendor path (oneDNN; GPUNN_WITH_ONEDNN).
bool cpu_vendor_available();

namespace cuda {
// True when gpunn was built with CUDA and a CUDA device is usable. Any failure
// of the CUDA runtime (no driver, no device) counts as "not available".
bool is_available();
int device_count();
}  // namespace cuda

}  // namespace gpunn

GPUNN_API_END
