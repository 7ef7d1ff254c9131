// oneDNN's engine and stream, layout bridges and error translation
// (kernels/vendor/onednn_common.h), plus onednn_description().
#include "kernels/vendor/onednn_common.h"

#include <gpunn/config.h>
#include <omp.h>

#include <algorithm>
#include <sstream>

#include "kernels/vendor/onednn.h"

namespace gpunn::kernels {
namespace onednn {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

// The thread count OpenMP chose at start-up (every core unless OMP_NUM_THREADS
// says otherwise), read before any ThreadLimit lowers it.
int max_threads() {
  static const int n = omp_get_max_threads();
  return n;
}

LayoutBridge::LayoutBridge(const memory::desc& user, const memory::desc& inner)
    : user_(user, cpu_engine(), DNNL_MEMORY_NONE), reorder_(user != inner) {
  if (reorder_) {
    inner_ = memory(inner, cpu_engine());
    to_inner_ = dnnl::reorder(user_, inner_);
    to_user_ = dnnl::reorder(inner_, user_);
  }
}

memory& LayoutBridge::input(const void* data) {
  // oneDNN takes a non-const handle for every argument; inputs are only read.
  user_.set_data_handle(const_cast<void*>(data));
  if (!reorder_) return user_;
  to_inner_.execute(cpu_stream(), user_, inner_);
  return inner_;
}

memory& LayoutBridge::output(void* data) {
  user_.set_data_handle(data);
  return reorder_ ? inner_ : user_;
}

void LayoutBridge::finish_output() {
  if (reorder_) to_user_.execute(cpu_stream(), inner_, user_);
}

bool native_bf16() {
  // The ISA values are bit sets, each containing the ones below it.
  static const bool yes = [] {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    return (isa & bf16) == bf16;
  }();
  return yes;
}

ThreadLimit::ThreadLimit(int64_t work, int64_t per_thread)
    : previous_(omp_get_max_threads()), previous_dynamic_(omp_get_dynamic() != 0) {
  const int64_t useful = std::max<int64_t>(1, work / std::max<int64_t>(per_thread, 1));
  omp_set_num_threads(static_cast<int>(std::min<int64_t>(useful, max_threads())));
  // Note [oneDNN and determinism]: with OMP_DYNAMIC the runtime may hand a
  // parallel region fewer threads under load, and oneDNN's sums split by thread.
  if (gpunn::deterministic() && previous_dynamic_) omp_set_dynamic(0);
}

ThreadLimit::~ThreadLimit() {
  omp_set_num_threads(previous_);
  if (previous_dynamic_) omp_set_dynamic(1);
}

void translate_errors(const char* op, const std::function<void()>& f) {
  try {
    f();
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_out_of_memory)
      throw OutOfMemoryError(detail::concat(op, ": oneDNN could not allocate memory: ", e.what()));
    throw InternalError(detail::concat("gpunn internal error: ", op, ": oneDNN failed: ", e.what(),
                                       " (status ", static_cast<int>(e.status),
                                       "; this is a bug in gpunn; please report it)"));
  }
}

}  // namespace onednn

bool onednn_native_bf16() { return onednn::native_bf16(); }

const char* onednn_description() {
  static const std::string text = [] {
    const dnnl_version_t* v = dnnl_version();
    std::ostringstream os;
    os << "oneDNN " << v->major << "." << v->minor << "." << v->patch << " (OpenMP, "
       << onednn::max_threads() << " threads)";
    return os.str();
  }();
  return text.c_str();
}

}  // namespace gpunn::kernels
