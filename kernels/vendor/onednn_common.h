// What every oneDNN kernel file shares: the CPU engine and stream, a cache of
// primitives keyed by op and shape, layout bridges between gpunn's plain
// buffers and the blocked layouts oneDNN prefers, and error translation.
//
// A kernel file follows one pattern (see onednn_conv.cpp):
//   1. key = cache_key("conv2d_forward", sizes...);
//   2. auto e = primitive_cache<ConvForward>().get(key, [&](ConvForward& n) { build n });
//   3. std::lock_guard lock(e->mutex); bind pointers; execute; wait.
// Entry structs are default-constructible and hold a `std::mutex mutex`.
// Adding a primitive is one Entry struct and one call (onednn_norm.cpp shows
// optional arguments: scale, shift, a workspace).
// Everything here runs inside translate_errors(op, ...), which turns
// dnnl::error into gpunn errors naming the op.
#pragma once

#include <gpunn/dtype.h>
#include <gpunn/error.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <utility>

namespace gpunn::kernels::onednn {

using dnnl::memory;
using tag = dnnl::memory::format_tag;

dnnl::engine& cpu_engine();
// OpenMP's thread count at start-up: every core unless OMP_NUM_THREADS says less.
int max_threads();
// One stream per calling thread (a stream is not meant to be shared).
dnnl::stream& cpu_stream();

// A plain descriptor: dims in gpunn's row-major order with format `t`, float32 unless
// told otherwise.
inline memory::desc plain_desc(const memory::dims& dims, tag t,
                               memory::data_type dt = memory::data_type::f32) {
  return memory::desc(dims, dt, t);
}

// oneDNN's name for float32 and bfloat16 (the dtypes its primitives run here).
inline memory::data_type data_type_of(DType dtype) {
  return dtype == DType::BFloat16 ? memory::data_type::bf16 : memory::data_type::f32;
}

// Note [oneDNN's bfloat16 primitives]
// On CPUs with bfloat16 instructions (avx512_bf16 or AMX; oneDNN's avx512_core_bf16 ISA
// and above) the GEMM and convolution entries of bfloat16 run oneDNN's own bfloat16
// primitives: 16-bit operands read as they are, products summed in float32, each output
// rounded once to nearest even (vcvtneps2bf16), which is what the reference loops compute,
// summed in another order. Elsewhere they widen the operands to float32 and run the
// float32 primitives (kernels/vendor/onednn_16bit.cpp), which is slower but exact in the
// same sense. float16 always widens: oneDNN 2.6 has float16 primitives only for
// avx512_fp16 CPUs, and none of our CI machines has one to test them on.
// ONEDNN_MAX_CPU_ISA=AVX512_CORE (oneDNN's own variable) turns the native path off.
bool native_bf16();

// The cache key: the op's name and the sizes that determine its primitive.
template <typename... Ints>
std::string cache_key(const char* op, Ints... sizes) {
  std::string key(op);
  ((key += ':', key += std::to_string(static_cast<int64_t>(sizes))), ...);
  return key;
}

// Primitives keyed by cache_key(). An entry is built once (the expensive part:
// oneDNN picks an implementation and may JIT-compile it) and then reused; its
// mutex serialises the calls that use its buffers. When more than kMaxEntries
// shapes have been seen the cache starts over (entries in use stay alive
// through their shared_ptr).
template <typename Entry>
class PrimitiveCache {
 public:
  static constexpr size_t kMaxEntries = 256;

  std::shared_ptr<Entry> get(const std::string& key, const std::function<void(Entry&)>& build) {
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(key);
      if (it != entries_.end()) return it->second;
    }
    auto entry = std::make_shared<Entry>();
    build(*entry);
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    return entries_.emplace(key, std::move(entry)).first->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
};

template <typename Entry>
PrimitiveCache<Entry>& primitive_cache() {
  static PrimitiveCache<Entry> cache;
  return cache;
}

// One argument of a primitive. gpunn's buffer is plain (`user`); the primitive
// may want another layout (`inner`, e.g. nChw16c). When they differ the bridge
// owns a buffer in the inner layout and a reorder each way, so a call costs one
// reorder per argument; when they match, the user's pointer is used directly.
class LayoutBridge {
 public:
  LayoutBridge() = default;
  LayoutBridge(const memory::desc& user, const memory::desc& inner);

  // The argument to pass for an input: the user's data, reordered when needed.
  memory& input(const void* data);
  // The argument to pass for an output; call finish_output after the primitive.
  memory& output(void* data);
  void finish_output();

 private:
  memory user_;   // plain, on the caller's pointer
  memory inner_;  // the primitive's layout, owned (empty when it equals user_)
  dnnl::reorder to_inner_, to_user_;
  bool reorder_ = false;
};

// Note [threads for small work]
// oneDNN runs its parallel regions on OpenMP with every core by default. A
// parallel region costs a wake-up and a barrier; on a busy machine (other
// processes on the cores) a barrier can wait a whole scheduler slice for the
// thread that was preempted, and a training step runs dozens of regions. So
// work too small to gain from a second thread runs on the calling thread
// alone. ThreadLimit sets OpenMP's thread count for the calling thread while it
// lives; it must cover both the creation of a primitive (jitted kernels fix
// their thread split then) and its execution, which the shape-keyed cache
// keeps consistent because the limit is a function of the shape.
//
// Note [oneDNN and determinism]
// oneDNN (2.6, Debian's) has no deterministic attribute (it arrived in 3.4);
// its CPU primitives are run-to-run reproducible for a fixed environment,
// thread count included, and their sums (convolution weight gradients, batch
// norm statistics, GEMM) are split by thread. The thread count here is a
// function of the shape and of OpenMP's count at start-up, so it is fixed for a
// process; with gpunn::deterministic() ThreadLimit also turns off OpenMP's
// dynamic adjustment (OMP_DYNAMIC=true lets it give fewer threads under load).
// Results may differ between machines or OMP_NUM_THREADS settings; the
// reference loops (GPUNN_IMPL=custom) do not depend on either.
class ThreadLimit {
 public:
  // `work`: the op's size in its own unit (multiply-adds, or elements moved);
  // `per_thread`: how much work justifies one more thread.
  ThreadLimit(int64_t work, int64_t per_thread);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int previous_;
  bool previous_dynamic_;
};
// Thresholds, measured on a 2-core AVX-512 Xeon (bench/cpu_bench.cpp).
constexpr int64_t kElementsPerThread = int64_t{1} << 16;  // eltwise, pooling, softmax
constexpr int64_t kMacsPerThread = int64_t{1} << 22;      // GEMM, convolution

// Runs f, turning oneDNN's exceptions into gpunn errors naming `op`.
void translate_errors(const char* op, const std::function<void()>& f);

// True when p[0, n) holds no NaN or infinity. oneDNN lets NaN lose a max-pooling
// window and does not turn a softmax row holding NaN or +inf into NaN, where gpunn's
// reference (and PyTorch) do, so those entries' supported() refuse such inputs. The
// scan runs only when the oneDNN entry is the one wanted (kernels/base/table.h). Null:
// no values (a meta tensor, whose estimate assumes the finite values of training).
inline bool all_finite(const float* p, int64_t n) {
  if (p == nullptr) return true;
  bool bad = false;
  // v - v is 0 for finite v and NaN otherwise; no early exit, so this vectorizes.
  for (int64_t i = 0; i < n; ++i) bad |= (p[i] - p[i]) != 0.0f;
  return !bad;
}

}  // namespace gpunn::kernels::onednn
