// 2-D max and average pooling through oneDNN (kernels/pool.h), on
// gpunn's NCHW buffers directly.
//
// Right padding: oneDNN's output size is (H + pad_l + pad_r - k) / stride + 1,
// rounded down. gpunn's ceil_mode adds a last window that may reach past the
// right padding, so pad_r = max(pad, (P - 1) stride + k - H - pad) gives the
// same P in both modes. Max pooling ignores padding either way; average
// pooling's divisor is why avg_pool2d_onednn_supported() exists.
//
// Layout: on plain NCHW buffers oneDNN 2.7 runs pooling with its JIT kernels only on some
// CPUs; elsewhere (a 2-core AVX2 EPYC, for one) it falls back to "simple_nchw", scalar
// loops that took 3-5x PyTorch's time and lost even to our reference loops
// (bench/results/cpu-time-2026-12-08-avx2/NOTES.md). So where the plain primitive is not
// JIT-compiled, the entry builds it on the blocked layout oneDNN's JIT pooling reads
// (nChw16c with AVX-512, else nChw8c) and LayoutBridges reorder each argument; the max
// pooling workspace is then in that layout too, which the backward of the same entry
// reads. Either way the results are the reference's: max pooling picks an input, average
// pooling sums the same window (ONEDNN_MAX_CPU_ISA=AVX2 takes the blocked path on any
// x86 CPU; a CTest entry runs the pooling tests so).
#include <algorithm>
#include <mutex>
#include <string>

#include "kernels/pool.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

using namespace onednn;
using dnnl::algorithm;
using dnnl::prop_kind;

int64_t pad_right(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
  return std::max(pad, (out - 1) * stride + k - in - pad);
}

// The dtypes pooled here.
bool dtype_supported(DType dtype) {
  return dtype == DType::Float32 || (dtype == DType::BFloat16 && native_bf16());
}

// No NaN or infinity among x's n values (a bfloat16's exponent bits all set means one).
bool finite(DType dtype, const void* x, int64_t n) {
  if (x == nullptr) return true;  // a meta tensor: no values (all_finite)
  if (dtype == DType::Float32) return all_finite(static_cast<const float*>(x), n);
  const auto* p = static_cast<const BFloat16*>(x);
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, p + i, sizeof bits);
    bad |= (bits & 0x7f80u) == 0x7f80u;
  }
  return !bad;
}

dnnl::pooling_v2_forward::primitive_desc pool_forward_pd(const Pool2dShape& s, algorithm alg,
                                                         prop_kind prop, DType dtype, tag layout) {
  const memory::desc x = plain_desc({s.N, s.C, s.H, s.W}, layout, data_type_of(dtype));
  const memory::desc y = plain_desc({s.N, s.C, s.P, s.Q}, layout, data_type_of(dtype));
  const dnnl::pooling_v2_forward::desc desc(prop, alg, x, y, {s.stride_h, s.stride_w},
                                            {s.kernel_h, s.kernel_w}, {0, 0}, {s.pad_h, s.pad_w},
                                            {pad_right(s.H, s.P, s.kernel_h, s.stride_h, s.pad_h),
                                             pad_right(s.W, s.Q, s.kernel_w, s.stride_w, s.pad_w)});
  return {desc, cpu_engine()};
}

struct Pool {
  std::mutex mutex;
  dnnl::pooling_v2_forward forward;
  dnnl::pooling_v2_backward backward;
  LayoutBridge x, y, dx, dy;  // gpunn's NCHW buffers and the primitives' layout
  memory workspace;           // the primitives' layout, bound to the caller's reserve
};

bool jit_compiled(const dnnl::pooling_v2_forward::primitive_desc& pd) {
  return std::string(pd.impl_info_str()).find("jit") != std::string::npos;
}

// The blocked layout oneDNN's JIT pooling reads on this CPU.
tag blocked_layout() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512 ? tag::nChw16c : tag::nChw8c;
}

algorithm avg_algorithm(const Pool2dShape& s) {
  return s.count_include_pad ? algorithm::pooling_avg_include_padding
                             : algorithm::pooling_avg_exclude_padding;
}

// One entry per (algorithm, shape) holds both directions: the max backward must
// read the workspace in the format its own forward wrote.
std::shared_ptr<Pool> pool_entry(const Pool2dShape& s, algorithm alg, DType dtype) {
  const std::string key =
      cache_key("pool2d", static_cast<int>(alg), s.N, s.C, s.H, s.W, s.P, s.Q, s.kernel_h,
                s.kernel_w, s.stride_h, s.stride_w, s.pad_h, s.pad_w, static_cast<int>(dtype));
  return primitive_cache<Pool>().get(key, [&](Pool& e) {
    auto fwd = pool_forward_pd(s, alg, prop_kind::forward_training, dtype, tag::nchw);
    if (!jit_compiled(fwd)) {
      auto blocked = pool_forward_pd(s, alg, prop_kind::forward_training, dtype, blocked_layout());
      if (jit_compiled(blocked)) fwd = blocked;
    }
    const dnnl::pooling_v2_backward::desc bwd_desc(
        alg, fwd.src_desc(), fwd.dst_desc(), {s.stride_h, s.stride_w}, {s.kernel_h, s.kernel_w},
        {0, 0}, {s.pad_h, s.pad_w},
        {pad_right(s.H, s.P, s.kernel_h, s.stride_h, s.pad_h),
         pad_right(s.W, s.Q, s.kernel_w, s.stride_w, s.pad_w)});
    const dnnl::pooling_v2_backward::primitive_desc bwd(bwd_desc, cpu_engine(), fwd);
    e.forward = dnnl::pooling_v2_forward(fwd);
    e.backward = dnnl::pooling_v2_backward(bwd);
    const memory::desc x = plain_desc({s.N, s.C, s.H, s.W}, tag::nchw, data_type_of(dtype));
    const memory::desc y = plain_desc({s.N, s.C, s.P, s.Q}, tag::nchw, data_type_of(dtype));
    e.x = LayoutBridge(x, fwd.src_desc());
    e.y = LayoutBridge(y, fwd.dst_desc());
    e.dx = LayoutBridge(x, bwd.diff_src_desc());
    e.dy = LayoutBridge(y, bwd.diff_dst_desc());
    e.workspace = memory(fwd.workspace_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  });
}

bool avg_pool2d_shape_matches(const Pool2dShape& s) {
  if (!s.count_include_pad) return true;
  return (s.P - 1) * s.stride_h + s.kernel_h <= s.H + 2 * s.pad_h &&
         (s.Q - 1) * s.stride_w + s.kernel_w <= s.W + 2 * s.pad_w;
}

void avg_forward(void* y, const void* x, const Pool2dShape& s, DType dtype) {
  translate_errors("avg_pool2d", [&] {
    const ThreadLimit threads(s.N * s.C * s.H * s.W, kElementsPerThread);
    auto e = pool_entry(s, avg_algorithm(s), dtype);
    std::lock_guard lock(e->mutex);
    memory& in = e->x.input(x);
    memory& out = e->y.output(y);
    e->forward.execute(cpu_stream(), {{DNNL_ARG_SRC, in}, {DNNL_ARG_DST, out}});
    e->y.finish_output();
    cpu_stream().wait();
  });
}

void avg_backward(void* dx, const void* dy, const Pool2dShape& s, DType dtype) {
  translate_errors("avg_pool2d_backward", [&] {
    const ThreadLimit threads(s.N * s.C * s.H * s.W, kElementsPerThread);
    auto e = pool_entry(s, avg_algorithm(s), dtype);
    std::lock_guard lock(e->mutex);
    memory& in = e->dy.input(dy);
    memory& out = e->dx.output(dx);
    e->backward.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, in}, {DNNL_ARG_DIFF_SRC, out}});
    e->dx.finish_output();
    cpu_stream().wait();
  });
}

size_t max_workspace_bytes(const Pool2dShape& s, DType dtype) {
  size_t bytes = 0;
  translate_errors("max_pool2d", [&] {
    const ThreadLimit threads(s.N * s.C * s.H * s.W, kElementsPerThread);
    bytes = pool_entry(s, algorithm::pooling_max, dtype)->workspace.get_desc().get_size();
  });
  return bytes;
}

void max_forward(void* y, void* workspace, const void* x, const Pool2dShape& s, DType dtype) {
  translate_errors("max_pool2d", [&] {
    const ThreadLimit threads(s.N * s.C * s.H * s.W, kElementsPerThread);
    auto e = pool_entry(s, algorithm::pooling_max, dtype);
    std::lock_guard lock(e->mutex);
    memory& in = e->x.input(x);
    memory& out = e->y.output(y);
    e->workspace.set_data_handle(workspace);
    e->forward.execute(
        cpu_stream(),
        {{DNNL_ARG_SRC, in}, {DNNL_ARG_DST, out}, {DNNL_ARG_WORKSPACE, e->workspace}});
    e->y.finish_output();
    cpu_stream().wait();
  });
}

void max_backward(void* dx, const void* dy, const void* workspace, const Pool2dShape& s,
                  DType dtype) {
  translate_errors("max_pool2d_backward", [&] {
    const ThreadLimit threads(s.N * s.C * s.H * s.W, kElementsPerThread);
    auto e = pool_entry(s, algorithm::pooling_max, dtype);
    std::lock_guard lock(e->mutex);
    memory& in = e->dy.input(dy);
    memory& out = e->dx.output(dx);
    e->workspace.set_data_handle(const_cast<void*>(workspace));  // read only
    e->backward.execute(
        cpu_stream(),
        {{DNNL_ARG_DIFF_DST, in}, {DNNL_ARG_DIFF_SRC, out}, {DNNL_ARG_WORKSPACE, e->workspace}});
    e->dx.finish_output();
    cpu_stream().wait();
  });
}

}  // namespace

bool max_pool2d_forward_onednn_supported(const MaxPool2dArgs& a) {
  const Pool2dShape& s = a.s;
  return dtype_supported(a.dtype) && !a.indices_needed &&
         finite(a.dtype, a.x, s.N * s.C * s.H * s.W);
}
size_t max_pool2d_forward_onednn_reserve(const MaxPool2dArgs& a) {
  return max_workspace_bytes(a.s, a.dtype);
}
void max_pool2d_forward_onednn(const MaxPool2dArgs& a, const Context& ctx) {
  max_forward(a.y, ctx.reserve, a.x, a.s, a.dtype);
}

bool max_pool2d_backward_onednn_supported(const MaxPool2dBackwardArgs& a) {
  return dtype_supported(a.dtype) && a.reserve != nullptr;
}
void max_pool2d_backward_onednn(const MaxPool2dBackwardArgs& a, const Context&) {
  max_backward(a.dx, a.dy, a.reserve, a.s, a.dtype);
}

bool avg_pool2d_forward_onednn_supported(const AvgPool2dArgs& a) {
  return dtype_supported(a.dtype) && avg_pool2d_shape_matches(a.s);
}
void avg_pool2d_forward_onednn(const AvgPool2dArgs& a, const Context&) {
  avg_forward(a.y, a.x, a.s, a.dtype);
}

bool avg_pool2d_backward_onednn_supported(const AvgPool2dBackwardArgs& a) {
  const Pool2dShape& s = a.s;
  return dtype_supported(a.dtype) && s.N * s.C * s.H * s.W > 0 && avg_pool2d_shape_matches(a.s);
}
void avg_pool2d_backward_onednn(const AvgPool2dBackwardArgs& a, const Context&) {
  avg_backward(a.dx, a.dy, a.s, a.dtype);
}

}  // namespace gpunn::kernels
