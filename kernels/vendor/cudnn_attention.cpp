// scaled_dot_product_attention through cuDNN's fused flash attention (kernels/attention.h),
// described with cuDNN's graph API through the cudnn-frontend headers
// (tools/fetch_cudnn_frontend.sh; built with GPUNN_WITH_CUDNN_FRONTEND).
//
// What cuDNN computes here is what the family defines: its softmax statistics ("Stats",
// [B, H, T, 1] float32) are the natural-log lse of the scaled scores, the same numbers our
// kernels save, so a forward and a backward may come from different implementations. The
// entries take bfloat16 and float16 without a mask or dropout (causal allowed): cuDNN's
// dropout draws its own Philox stream, which could not be rebuilt as the family's keep
// rule, and what it gives a fully masked row is not the family's zeros; those calls run
// our kernels.
//
// In deterministic mode the backward runs our kernel (no atomics): cuDNN's deterministic
// backward on sm_90 keeps a workspace of about two bytes per score (gigabytes at long T).
//
// A graph is built once per shape and kept (cuDNN picks and compiles its engine then, which
// costs far more than one call; a short call never earns it back, so calls with fewer than
// kMinScores scores take our kernel). Where cuDNN has no engine for a shape (an older GPU,
// an older cuDNN), the entry says so once on stderr and runs our tensor-core kernel: a call
// the table gave to this entry never fails for want of an engine.
#define CUDNN_FRONTEND_SKIP_JSON_LIB  // no serialisation of graphs: a smaller, faster build
#include <cudnn_frontend.h>

#include <gpunn/error.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "kernels/attention.h"
#include "kernels/base/cuda_check.h"
#include "kernels/base/handles.h"

namespace gpunn::kernels {
namespace {

namespace fe = cudnn_frontend;

// B·H·T·S below which our kernel serves (see the file comment).
constexpr int64_t kMinScores = int64_t{1} << 20;
// Graphs kept; past it the cache starts over (a run whose shapes keep changing).
constexpr size_t kMaxPlans = 64;

enum Uid : int64_t { kQ = 1, kK, kV, kO, kStats, kDO, kDQ, kDK, kDV };

// One handle per device (kernels/base/handles.h), so the device names the handle a graph
// is built with and executed with.
struct PlanKey {
  int device;
  DType dtype;
  int64_t B, H, T, S, D, Dv;
  bool causal;
  uint32_t scale_bits;  // the float32 scale cuDNN is given
  bool backward;

  auto tie() const {
    return std::tie(device, dtype, B, H, T, S, D, Dv, causal, scale_bits, backward);
  }
  bool operator<(const PlanKey& o) const { return tie() < o.tie(); }
};

struct Plan {
  std::shared_ptr<fe::graph::Graph> graph;  // null: cuDNN has no engine for the key
  int64_t workspace = 0;
  // cuDNN's execution plans are not safe to execute from two threads at once.
  std::unique_ptr<std::mutex> mutex = std::make_unique<std::mutex>();
};

std::atomic<int64_t> fallbacks{0};

float scale_of(const AttentionShape& s) { return static_cast<float>(s.scale); }

PlanKey key_of(DType dtype, const AttentionShape& s, const Context& ctx, bool backward) {
  const float scale = scale_of(s);
  uint32_t bits = 0;
  std::memcpy(&bits, &scale, sizeof bits);
  return {ctx.device, dtype, s.B, s.H, s.T, s.S, s.D, s.Dv, s.causal, bits, backward};
}

std::string describe(const PlanKey& k) {
  return gpunn::detail::concat(
      k.backward ? "scaled_dot_product_attention_backward" : "scaled_dot_product_attention", " (",
      dtype_name(k.dtype), ", q [", k.B, ", ", k.H, ", ", k.T, ", ", k.D, "], k [", k.B, ", ", k.H,
      ", ", k.S, ", ", k.D, "], v [", k.B, ", ", k.H, ", ", k.S, ", ", k.Dv, "]",
      k.causal ? ", causal" : "", ")");
}

// A contiguous [d0, d1, d2, d3] tensor of the graph.
std::shared_ptr<fe::graph::Tensor_attributes> tensor(fe::graph::Graph& g, const char* name,
                                                     int64_t uid, int64_t d0, int64_t d1,
                                                     int64_t d2, int64_t d3) {
  return g.tensor(fe::graph::Tensor_attributes()
                      .set_name(name)
                      .set_uid(uid)
                      .set_dim({d0, d1, d2, d3})
                      .set_stride({d1 * d2 * d3, d2 * d3, d3, 1}));
}

void set_output(const std::shared_ptr<fe::graph::Tensor_attributes>& t, int64_t uid, int64_t d0,
                int64_t d1, int64_t d2, int64_t d3) {
  t->set_output(true)
      .set_uid(uid)
      .set_dim({d0, d1, d2, d3})
      .set_stride({d1 * d2 * d3, d2 * d3, d3, 1});
}

// The graph for `k` with cuDNN's attention implementation `impl` (the frontend's choice
// when AUTO), built for the current device; an empty plan and cuDNN's reason in `why` where
// cuDNN refuses it (the frontend reports some refusals as exceptions).
Plan build(const PlanKey& k, cudnnHandle_t handle, fe::AttentionImplementation_t impl,
           std::string& why) try {
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(k.dtype == DType::BFloat16 ? fe::DataType_t::BFLOAT16 : fe::DataType_t::HALF)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  float scale = 0;
  std::memcpy(&scale, &k.scale_bits, sizeof scale);
  const auto q = tensor(*g, "q", kQ, k.B, k.H, k.T, k.D);
  const auto kk = tensor(*g, "k", kK, k.B, k.H, k.S, k.D);
  const auto v = tensor(*g, "v", kV, k.B, k.H, k.S, k.Dv);
  if (!k.backward) {
    auto options = fe::graph::SDPA_attributes()
                       .set_name("gpunn_attention")
                       .set_generate_stats(true)
                       .set_attn_scale(scale)
                       .set_causal_mask(k.causal)
                       .set_implementation(impl);
    const auto [o, stats] = g->sdpa(q, kk, v, options);
    set_output(o, kO, k.B, k.H, k.T, k.Dv);
    set_output(stats, kStats, k.B, k.H, k.T, 1);
    stats->set_data_type(fe::DataType_t::FLOAT);
  } else {
    const auto o = tensor(*g, "o", kO, k.B, k.H, k.T, k.Dv);
    const auto dout = tensor(*g, "do", kDO, k.B, k.H, k.T, k.Dv);
    const auto stats = tensor(*g, "stats", kStats, k.B, k.H, k.T, 1);
    stats->set_data_type(fe::DataType_t::FLOAT);
    auto options = fe::graph::SDPA_backward_attributes()
                       .set_name("gpunn_attention_backward")
                       .set_attn_scale(scale)
                       .set_causal_mask(k.causal);
    const auto [dq, dk, dv] = g->sdpa_backward(q, kk, v, o, dout, stats, options);
    set_output(dq, kDQ, k.B, k.H, k.T, k.D);
    set_output(dk, kDK, k.B, k.H, k.S, k.D);
    set_output(dv, kDV, k.B, k.H, k.S, k.Dv);
  }
  fe::error_t built = g->build(handle, {fe::HeurMode_t::A});
  if (built.is_bad()) {
    why = built.get_message();
    return {};
  }
  Plan p;
  fe::error_t ws = g->get_workspace_size(p.workspace);
  if (ws.is_bad()) {
    why = ws.get_message();
    return {};
  }
  p.graph = std::move(g);
  return p;
} catch (const std::exception& e) {
  why = e.what();
  return {};
}

// The plan for `k`, built on first use and kept.
std::shared_ptr<const Plan> plan_for(const PlanKey& k, cudnnHandle_t handle) {
  static std::mutex mutex;
  static std::map<PlanKey, std::shared_ptr<const Plan>> plans;
  std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = plans.find(k); it != plans.end()) return it->second;
  if (plans.size() >= kMaxPlans) plans.clear();  // callers hold their plans' references
  std::string why;
  std::shared_ptr<const Plan> plan;
  {
    const DeviceGuard on(k.device);  // the frontend reads the architecture from it
    plan = std::make_shared<const Plan>(build(k, handle, fe::AttentionImplementation_t::AUTO, why));
    // For a forward the frontend may pick cuDNN's unified engine, which not every shape
    // has; the composite one is the other.
    if (!plan->graph && !k.backward) {
      std::string composite_why;
      plan = std::make_shared<const Plan>(
          build(k, handle, fe::AttentionImplementation_t::COMPOSITE, composite_why));
      if (!plan->graph) why += "; composite: " + composite_why;
    }
  }
  if (!plan->graph)
    std::cerr << "gpunn: warning: cuDNN " << cudnn_version()
              << " has no fused attention engine for " << describe(k) << " (" << why
              << "); gpunn's own kernel runs it\n";
  plans.emplace(k, plan);
  return plan;
}

bool aligned(const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// What cuDNN's fused flash attention computes as the family defines it.
bool shape_supported(DType dtype, const AttentionShape& s) {
  const auto head = [](int64_t d) { return d >= 8 && d <= 128 && d % 8 == 0; };
  return (dtype == DType::BFloat16 || dtype == DType::Float16) && s.mask == nullptr &&
         s.dropout_p == 0.0 && head(s.D) && head(s.Dv) && s.T >= 1 && s.S >= 1 &&
         s.B * s.H * s.T * s.S >= kMinScores;
}

void run(const Plan& plan, std::unordered_map<int64_t, void*>& pack, const Context& ctx,
         const PlanKey& k) {
  if (ctx.workspace_bytes < static_cast<size_t>(plan.workspace))
    throw InternalError(gpunn::detail::concat(
        "gpunn internal error: ", describe(k), ": cuDNN asks for ", plan.workspace,
        " workspace bytes, the call has ", ctx.workspace_bytes));
  std::lock_guard<std::mutex> lock(*plan.mutex);
  fe::error_t e = plan.graph->execute(ctx.cudnn, pack, ctx.workspace);
  if (e.is_bad())
    throw Error(
        gpunn::detail::concat(describe(k), ": cuDNN's fused attention failed: ", e.get_message()));
}

}  // namespace

bool attention_forward_cudnn_supported(const AttentionArgs& a) {
  return shape_supported(a.dtype, a.shape) && aligned(a.q) && aligned(a.k) && aligned(a.v) &&
         aligned(a.o);
}

bool attention_backward_cudnn_supported(const AttentionBackwardArgs& a) {
  return shape_supported(a.dtype, a.shape) && aligned(a.q) && aligned(a.k) && aligned(a.v) &&
         aligned(a.o) && aligned(a.dout) && aligned(a.dq) && aligned(a.dk) && aligned(a.dv);
}

size_t attention_forward_cudnn_workspace(const AttentionArgs& a, const Context& ctx) {
  const auto plan = plan_for(key_of(a.dtype, a.shape, ctx, false), ctx.cudnn);
  return plan->graph ? static_cast<size_t>(plan->workspace) : 0;
}

size_t attention_backward_cudnn_workspace(const AttentionBackwardArgs& a, const Context& ctx) {
  if (!ctx.settings.deterministic) {
    const auto plan = plan_for(key_of(a.dtype, a.shape, ctx, true), ctx.cudnn);
    if (plan->graph) return static_cast<size_t>(plan->workspace);
  }
  return a.dtype == DType::BFloat16 ? attention_backward_cuda_workspace<BFloat16>(a, ctx)
                                    : attention_backward_cuda_workspace<Half>(a, ctx);
}

void attention_forward_cudnn(const AttentionArgs& a, const Context& ctx) {
  const PlanKey k = key_of(a.dtype, a.shape, ctx, false);
  const auto plan = plan_for(k, ctx.cudnn);
  if (!plan->graph) {
    fallbacks.fetch_add(1, std::memory_order_relaxed);
    if (a.dtype == DType::BFloat16)
      attention_forward_tc<BFloat16>(a, ctx);
    else
      attention_forward_tc<Half>(a, ctx);
    return;
  }
  std::unordered_map<int64_t, void*> pack{{kQ, const_cast<void*>(a.q)},
                                          {kK, const_cast<void*>(a.k)},
                                          {kV, const_cast<void*>(a.v)},
                                          {kO, a.o},
                                          {kStats, a.lse}};
  run(*plan, pack, ctx, k);
}

void attention_backward_cudnn(const AttentionBackwardArgs& a, const Context& ctx) {
  const PlanKey k = key_of(a.dtype, a.shape, ctx, true);
  const auto plan = ctx.settings.deterministic ? nullptr : plan_for(k, ctx.cudnn);
  if (!plan || !plan->graph) {
    if (plan) fallbacks.fetch_add(1, std::memory_order_relaxed);
    if (a.dtype == DType::BFloat16)
      attention_backward_tc<BFloat16>(a, ctx);
    else
      attention_backward_tc<Half>(a, ctx);
    return;
  }
  std::unordered_map<int64_t, void*> pack{{kQ, const_cast<void*>(a.q)},
                                          {kK, const_cast<void*>(a.k)},
                                          {kV, const_cast<void*>(a.v)},
                                          {kO, const_cast<void*>(a.o)},
                                          {kDO, const_cast<void*>(a.dout)},
                                          {kStats, const_cast<void*>(a.lse)},
                                          {kDQ, a.dq},
                                          {kDK, a.dk},
                                          {kDV, a.dv}};
  run(*plan, pack, ctx, k);
}

int64_t attention_cudnn_fallbacks() { return fallbacks.load(std::memory_order_relaxed); }

}  // namespace gpunn::kernels
