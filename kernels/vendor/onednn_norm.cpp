// Batch normalization and LRN across channels through oneDNN
// (kernels/norm.h), on gpunn's contiguous [N, C, inner] buffers.
//
// Batch norm: the data is a 2-D [N, C] tensor when inner is 1 and a 4-D
// [N, C, inner, 1] one otherwise. oneDNN reports the biased variance; gpunn's
// invstd and unbiased variance are derived from it per channel in double. The
// backward receives gpunn's saved invstd, not a variance, so it passes
// variance = 1/invstd² with epsilon 0: oneDNN then divides by
// sqrt(variance + 0) = 1/invstd, the same statistics the forward used.
//
// LRN: the data is [N, C, inner, 1]. gpunn's window is [c - size/2,
// c + (size-1)/2]; oneDNN's is centred, which is the same set for odd sizes
// only, so lrn_onednn_supported() admits odd sizes (kernels/norm.h).
#include <bit>
#include <cmath>
#include <mutex>
#include <vector>

#include "kernels/norm.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

using namespace onednn;
using dnnl::algorithm;
using dnnl::normalization_flags;
using dnnl::prop_kind;

uint32_t float_bits(double v) { return std::bit_cast<uint32_t>(static_cast<float>(v)); }

memory::desc norm_data_desc(const NormShape& s) {
  if (s.inner == 1) return plain_desc({s.N, s.C}, tag::nc);
  return plain_desc({s.N, s.C, s.inner, 1}, tag::nchw);
}

normalization_flags bn_flags(bool global_stats, bool scale, bool shift) {
  normalization_flags f = normalization_flags::none;
  if (global_stats) f = f | normalization_flags::use_global_stats;
  if (scale) f = f | normalization_flags::use_scale;
  if (shift) f = f | normalization_flags::use_shift;
  return f;
}

// ---- batch norm forward ---------------------------------------------------------------

struct BnForward {
  std::mutex mutex;
  dnnl::batch_normalization_forward forward;
  memory x, y, mean, var, scale, shift;  // plain, bound to the caller's pointers per call
};

// training: batch statistics are computed and written out; otherwise they are read.
std::shared_ptr<BnForward> bn_forward_entry(const NormShape& s, bool training, bool scale,
                                            bool shift, double eps) {
  const std::string key =
      cache_key("batch_norm_forward", s.N, s.C, s.inner, training, scale, shift, float_bits(eps));
  return primitive_cache<BnForward>().get(key, [&](BnForward& e) {
    const memory::desc data = norm_data_desc(s);
    const dnnl::batch_normalization_forward::desc desc(
        training ? prop_kind::forward_training : prop_kind::forward_inference, data,
        static_cast<float>(eps), bn_flags(!training, scale, shift));
    const dnnl::batch_normalization_forward::primitive_desc pd(desc, cpu_engine());
    e.forward = dnnl::batch_normalization_forward(pd);
    const memory::desc vec = plain_desc({s.C}, tag::a);
    e.x = memory(data, cpu_engine(), DNNL_MEMORY_NONE);
    e.y = memory(data, cpu_engine(), DNNL_MEMORY_NONE);
    for (memory* m : {&e.mean, &e.var, &e.scale, &e.shift})
      *m = memory(vec, cpu_engine(), DNNL_MEMORY_NONE);
  });
}

void run_bn_forward(BnForward& e, float* y, const float* x, float* mean, float* var, const float* w,
                    const float* b) {
  e.x.set_data_handle(const_cast<float*>(x));  // read only
  e.y.set_data_handle(y);
  e.mean.set_data_handle(mean);  // read only in inference
  e.var.set_data_handle(var);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e.x},
                                       {DNNL_ARG_DST, e.y},
                                       {DNNL_ARG_MEAN, e.mean},
                                       {DNNL_ARG_VARIANCE, e.var}};
  if (w) {
    e.scale.set_data_handle(const_cast<float*>(w));  // read only
    args.emplace(DNNL_ARG_SCALE, e.scale);
  }
  if (b) {
    e.shift.set_data_handle(const_cast<float*>(b));  // read only
    args.emplace(DNNL_ARG_SHIFT, e.shift);
  }
  e.forward.execute(cpu_stream(), args);
  cpu_stream().wait();
}

// ---- batch norm backward --------------------------------------------------------------

struct BnBackward {
  std::mutex mutex;
  dnnl::batch_normalization_backward backward;
  memory x, dy, dx, mean, var, scale, shift, dscale, dshift;
};

// Computes dx always; with `param_grads` also diff_scale and diff_shift,
// both together (use_scale and use_shift; the caller passes a scale of ones
// when w is null). A primitive with use_shift wants the shift among its
// arguments even though the backward never reads it: the caller passes zeros.
// `scale`: the scale is an input (w given, or param_grads).
std::shared_ptr<BnBackward> bn_backward_entry(const NormShape& s, bool training, bool scale,
                                              bool param_grads) {
  const std::string key =
      cache_key("batch_norm_backward", s.N, s.C, s.inner, training, scale, param_grads);
  return primitive_cache<BnBackward>().get(key, [&](BnBackward& e) {
    const memory::desc data = norm_data_desc(s);
    const normalization_flags flags = bn_flags(!training, scale, param_grads);
    // epsilon 0: the variance passed in is 1/invstd² (the file comment says why).
    const dnnl::batch_normalization_forward::primitive_desc hint(
        {prop_kind::forward_training, data, 0.0f, flags}, cpu_engine());
    const prop_kind prop = param_grads ? prop_kind::backward : prop_kind::backward_data;
    const dnnl::batch_normalization_backward::primitive_desc pd({prop, data, data, 0.0f, flags},
                                                                cpu_engine(), hint);
    e.backward = dnnl::batch_normalization_backward(pd);
    const memory::desc vec = plain_desc({s.C}, tag::a);
    for (memory* m : {&e.x, &e.dy, &e.dx}) *m = memory(data, cpu_engine(), DNNL_MEMORY_NONE);
    for (memory* m : {&e.mean, &e.var, &e.scale, &e.shift, &e.dscale, &e.dshift})
      *m = memory(vec, cpu_engine(), DNNL_MEMORY_NONE);
  });
}

// ---- LRN --------------------------------------------------------------------------------

struct Lrn {
  std::mutex mutex;
  dnnl::lrn_forward inference;  // gpunn's forward: no workspace kept
  dnnl::lrn_forward training;   // rerun by backward when its implementation needs a workspace
  dnnl::lrn_backward backward;
  memory x, y, dx, dy;
  memory scratch_y, workspace;  // owned; empty when the backward needs no workspace
};

std::shared_ptr<Lrn> lrn_entry(const NormShape& s, int64_t size, double alpha, double beta,
                               double k) {
  const std::string key =
      cache_key("lrn", s.N, s.C, s.inner, size, float_bits(alpha), float_bits(beta), float_bits(k));
  return primitive_cache<Lrn>().get(key, [&](Lrn& e) {
    const memory::desc data = plain_desc({s.N, s.C, s.inner, 1}, tag::nchw);
    const auto a = static_cast<float>(alpha), b = static_cast<float>(beta),
               kk = static_cast<float>(k);
    const algorithm alg = algorithm::lrn_across_channels;
    const dnnl::lrn_forward::primitive_desc inf(
        {prop_kind::forward_inference, alg, data, size, a, b, kk}, cpu_engine());
    const dnnl::lrn_forward::primitive_desc train(
        {prop_kind::forward_training, alg, data, size, a, b, kk}, cpu_engine());
    const dnnl::lrn_backward::primitive_desc bwd({alg, data, data, size, a, b, kk}, cpu_engine(),
                                                 train);
    e.inference = dnnl::lrn_forward(inf);
    e.training = dnnl::lrn_forward(train);
    e.backward = dnnl::lrn_backward(bwd);
    for (memory* m : {&e.x, &e.y, &e.dx, &e.dy}) *m = memory(data, cpu_engine(), DNNL_MEMORY_NONE);
    if (bwd.workspace_desc().get_size() > 0) {
      e.scratch_y = memory(train.dst_desc(), cpu_engine());
      e.workspace = memory(train.workspace_desc(), cpu_engine());
    }
  });
}

void bn_training(float* y, float* mean, float* invstd, float* var_unbiased, const float* x,
                 const float* w, const float* b, NormShape s, double eps) {
  translate_errors("batch_norm", [&] {
    const ThreadLimit threads(s.N * s.C * s.inner, kElementsPerThread);
    std::vector<float> var(static_cast<size_t>(s.C));
    {
      auto e = bn_forward_entry(s, /*training=*/true, w != nullptr, b != nullptr, eps);
      std::lock_guard lock(e->mutex);
      run_bn_forward(*e, y, x, mean, var.data(), w, b);
    }
    const double M = static_cast<double>(s.N * s.inner);
    for (int64_t c = 0; c < s.C; ++c) {
      const double v = static_cast<double>(var[static_cast<size_t>(c)]);
      invstd[c] = static_cast<float>(1.0 / std::sqrt(v + eps));
      if (var_unbiased) var_unbiased[c] = static_cast<float>(M > 1 ? v * M / (M - 1) : 0.0);
    }
  });
}

void bn_inference(float* y, const float* x, const float* mean, const float* var, const float* w,
                  const float* b, NormShape s, double eps) {
  translate_errors("batch_norm", [&] {
    const ThreadLimit threads(s.N * s.C * s.inner, kElementsPerThread);
    auto e = bn_forward_entry(s, /*training=*/false, w != nullptr, b != nullptr, eps);
    std::lock_guard lock(e->mutex);
    run_bn_forward(*e, y, x, const_cast<float*>(mean), const_cast<float*>(var), w, b);
  });
}

void bn_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                 const float* mean, const float* invstd, const float* w, NormShape s,
                 bool training) {
  translate_errors("batch_norm_backward", [&] {
    const ThreadLimit threads(s.N * s.C * s.inner, kElementsPerThread);
    const bool param_grads = dw != nullptr || db != nullptr;
    const bool scale = w != nullptr || param_grads;
    const auto C = static_cast<size_t>(s.C);
    // oneDNN wants the variance; gpunn saved invstd (the file comment says why this is exact).
    std::vector<float> var(C), ones, zeros, dw_scratch, db_scratch, dx_scratch;
    for (size_t c = 0; c < C; ++c) {
      const double r = static_cast<double>(invstd[c]);
      var[c] = static_cast<float>(1.0 / (r * r));
    }
    if (scale && !w) {
      ones.assign(C, 1.0f);
      w = ones.data();
    }
    if (param_grads && !dw) {
      dw_scratch.resize(C);
      dw = dw_scratch.data();
    }
    if (param_grads && !db) {
      db_scratch.resize(C);
      db = db_scratch.data();
    }
    if (!dx) {  // only parameter gradients wanted; oneDNN computes dx regardless
      dx_scratch.resize(static_cast<size_t>(s.N * s.C * s.inner));
      dx = dx_scratch.data();
    }
    auto e = bn_backward_entry(s, training, scale, param_grads);
    std::lock_guard lock(e->mutex);
    e->x.set_data_handle(const_cast<float*>(x));    // read only
    e->dy.set_data_handle(const_cast<float*>(dy));  // read only
    e->dx.set_data_handle(dx);
    e->mean.set_data_handle(const_cast<float*>(mean));  // read only
    e->var.set_data_handle(var.data());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e->x},
                                         {DNNL_ARG_DIFF_DST, e->dy},
                                         {DNNL_ARG_DIFF_SRC, e->dx},
                                         {DNNL_ARG_MEAN, e->mean},
                                         {DNNL_ARG_VARIANCE, e->var}};
    if (scale) {
      e->scale.set_data_handle(const_cast<float*>(w));  // read only
      args.emplace(DNNL_ARG_SCALE, e->scale);
    }
    if (param_grads) {
      zeros.assign(C, 0.0f);
      e->shift.set_data_handle(zeros.data());
      e->dscale.set_data_handle(dw);
      e->dshift.set_data_handle(db);
      args.emplace(DNNL_ARG_SHIFT, e->shift);
      args.emplace(DNNL_ARG_DIFF_SCALE, e->dscale);
      args.emplace(DNNL_ARG_DIFF_SHIFT, e->dshift);
    }
    e->backward.execute(cpu_stream(), args);
    cpu_stream().wait();
  });
}

void lrn_forward_pass(float* y, const float* x, NormShape s, int64_t size, double alpha,
                      double beta, double k) {
  translate_errors("local_response_norm", [&] {
    const ThreadLimit threads(s.N * s.C * s.inner * size, kElementsPerThread);
    auto e = lrn_entry(s, size, alpha, beta, k);
    std::lock_guard lock(e->mutex);
    e->x.set_data_handle(const_cast<float*>(x));  // read only
    e->y.set_data_handle(y);
    e->inference.execute(cpu_stream(), {{DNNL_ARG_SRC, e->x}, {DNNL_ARG_DST, e->y}});
    cpu_stream().wait();
  });
}

void lrn_backward_pass(float* dx, const float* dy, const float* x, NormShape s, int64_t size,
                       double alpha, double beta, double k) {
  translate_errors("local_response_norm_backward", [&] {
    const ThreadLimit threads(s.N * s.C * s.inner * size, kElementsPerThread);
    auto e = lrn_entry(s, size, alpha, beta, k);
    std::lock_guard lock(e->mutex);
    e->x.set_data_handle(const_cast<float*>(x));    // read only
    e->dy.set_data_handle(const_cast<float*>(dy));  // read only
    e->dx.set_data_handle(dx);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, e->x}, {DNNL_ARG_DIFF_DST, e->dy}, {DNNL_ARG_DIFF_SRC, e->dx}};
    if (e->workspace) {
      // The forward's workspace was not kept (gpunn's forward runs inference); recompute it.
      e->training.execute(
          cpu_stream(),
          {{DNNL_ARG_SRC, e->x}, {DNNL_ARG_DST, e->scratch_y}, {DNNL_ARG_WORKSPACE, e->workspace}});
      args.emplace(DNNL_ARG_WORKSPACE, e->workspace);
    }
    e->backward.execute(cpu_stream(), args);
    cpu_stream().wait();
  });
}

}  // namespace

namespace {
int64_t elements(const NormShape& s) { return s.N * s.C * s.inner; }
}  // namespace

bool batch_norm_training_onednn_supported(const BatchNormTrainingArgs& a) {
  return a.dtype == DType::Float32 && elements(a.s) > 0;
}
void batch_norm_training_onednn(const BatchNormTrainingArgs& a, const Context&) {
  bn_training(static_cast<float*>(a.y), static_cast<float*>(a.mean), static_cast<float*>(a.invstd),
              static_cast<float*>(a.var_unbiased), static_cast<const float*>(a.x),
              static_cast<const float*>(a.w), static_cast<const float*>(a.b), a.s, a.eps);
}

bool batch_norm_inference_onednn_supported(const BatchNormInferenceArgs& a) {
  return a.dtype == DType::Float32 && elements(a.s) > 0;
}
void batch_norm_inference_onednn(const BatchNormInferenceArgs& a, const Context&) {
  bn_inference(static_cast<float*>(a.y), static_cast<const float*>(a.x),
               static_cast<const float*>(a.mean), static_cast<const float*>(a.var),
               static_cast<const float*>(a.w), static_cast<const float*>(a.b), a.s, a.eps);
}

bool batch_norm_backward_onednn_supported(const BatchNormBackwardArgs& a) {
  return a.dtype == DType::Float32 && elements(a.s) > 0;
}
void batch_norm_backward_onednn(const BatchNormBackwardArgs& a, const Context&) {
  bn_backward(static_cast<float*>(a.dx), static_cast<float*>(a.dw), static_cast<float*>(a.db),
              static_cast<const float*>(a.dy), static_cast<const float*>(a.x),
              static_cast<const float*>(a.mean), static_cast<const float*>(a.invstd),
              static_cast<const float*>(a.w), a.s, a.training);
}

bool lrn_forward_onednn_supported(const LrnArgs& a) {
  return a.dtype == DType::Float32 && !a.scale_needed && elements(a.s) > 0 && a.size % 2 == 1;
}
void lrn_forward_onednn(const LrnArgs& a, const Context&) {
  lrn_forward_pass(static_cast<float*>(a.y), static_cast<const float*>(a.x), a.s, a.size, a.alpha,
                   a.beta, a.k);
}

bool lrn_backward_onednn_supported(const LrnBackwardArgs& a) {
  return a.dtype == DType::Float32 && elements(a.s) > 0 && a.size % 2 == 1;
}
void lrn_backward_onednn(const LrnBackwardArgs& a, const Context&) {
  lrn_backward_pass(static_cast<float*>(a.dx), static_cast<const float*>(a.dy),
                    static_cast<const float*>(a.x), a.s, a.size, a.alpha, a.beta, a.k);
}

}  // namespace gpunn::kernels
