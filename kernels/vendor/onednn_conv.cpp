// 2-D convolution through oneDNN (kernels/conv.h): forward,
// backward-data and backward-weights (with the bias gradient in the same pass).
//
// Each primitive is created with format `any`, so oneDNN picks its fastest
// layout (blocked, e.g. nChw16c / OIhw16i16o on AVX-512); the LayoutBridges
// reorder gpunn's NCHW buffers in and out. Backward primitives need the forward
// primitive descriptor as a hint, so each entry builds one.
//
// bfloat16 (Note [oneDNN's bfloat16 primitives]) uses the same primitives with bf16
// descriptors for every argument, the bias and the bias gradient included: oneDNN sums in
// float32 and rounds each output once.
//
// Sizes: oneDNN counts dilation from 0 (gpunn's dil - 1) and takes the right
// padding separately; with padding_r = pad its output-size formula
// (H + 2 pad - ((R - 1) dil + 1)) / stride + 1 rounds down like gpunn's.
#include <mutex>

#include "kernels/conv.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

using namespace onednn;
using dnnl::algorithm;
using dnnl::prop_kind;

struct ConvDescs {
  memory::desc x, w, b, y;  // gpunn's plain layouts
  memory::desc x_any, w_any, b_any, y_any;
  memory::dims stride, dilation, pad_l, pad_r;
};

ConvDescs conv_descs(const Conv2dShape& s, memory::data_type dt) {
  ConvDescs d;
  const memory::dims x_dims{s.N, s.C, s.H, s.W}, y_dims{s.N, s.K, s.P, s.Q};
  memory::dims w_dims{s.K, s.C / s.groups, s.R, s.S};
  tag w_tag = tag::oihw;
  if (s.groups > 1) {
    w_dims = {s.groups, s.K / s.groups, s.C / s.groups, s.R, s.S};
    w_tag = tag::goihw;
  }
  d.x = plain_desc(x_dims, tag::nchw, dt);
  d.y = plain_desc(y_dims, tag::nchw, dt);
  d.w = plain_desc(w_dims, w_tag, dt);
  d.b = plain_desc({s.K}, tag::a, dt);
  d.x_any = plain_desc(x_dims, tag::any, dt);
  d.y_any = plain_desc(y_dims, tag::any, dt);
  d.w_any = plain_desc(w_dims, tag::any, dt);
  d.b_any = plain_desc({s.K}, tag::any, dt);
  d.stride = {s.stride_h, s.stride_w};
  d.dilation = {s.dil_h - 1, s.dil_w - 1};
  d.pad_l = {s.pad_h, s.pad_w};
  d.pad_r = {s.pad_h, s.pad_w};
  return d;
}

dnnl::convolution_forward::primitive_desc forward_pd(const ConvDescs& d, bool with_bias,
                                                     prop_kind prop) {
  const auto desc = with_bias ? dnnl::convolution_forward::desc(
                                    prop, algorithm::convolution_direct, d.x_any, d.w_any, d.b_any,
                                    d.y_any, d.stride, d.dilation, d.pad_l, d.pad_r)
                              : dnnl::convolution_forward::desc(prop, algorithm::convolution_direct,
                                                                d.x_any, d.w_any, d.y_any, d.stride,
                                                                d.dilation, d.pad_l, d.pad_r);
  return {desc, cpu_engine()};
}

// Each entry's `ok` is false when oneDNN has no implementation for the shape and dtype
// (only possible for bfloat16; the float32 primitives cover every standard-size shape).
struct ConvForward {
  std::mutex mutex;
  bool ok = true;
  dnnl::convolution_forward prim;
  LayoutBridge x, w, b, y;
};

struct ConvBackwardData {
  std::mutex mutex;
  bool ok = true;
  dnnl::convolution_backward_data prim;
  LayoutBridge dy, w, dx;
};

struct ConvBackwardWeight {
  std::mutex mutex;
  bool ok = true;
  dnnl::convolution_backward_weights prim;
  LayoutBridge dy, x, dw, db;
};

// Multiply-adds of one pass (forward, backward-data and backward-weights alike).
int64_t conv_macs(const Conv2dShape& s) {
  return s.N * s.K * s.P * s.Q * (s.C / s.groups) * s.R * s.S;
}

std::string shape_key(const char* op, const Conv2dShape& s, bool flag, DType dtype) {
  return cache_key(op, s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.P, s.Q, s.stride_h, s.stride_w, s.pad_h,
                   s.pad_w, s.dil_h, s.dil_w, s.groups, flag, static_cast<int>(dtype));
}

// Builds an entry, leaving ok = false when oneDNN has no implementation.
template <typename Entry, typename Build>
void build_or_mark(Entry& n, Build build) {
  try {
    build();
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented) throw;
    n.ok = false;
  }
}

std::shared_ptr<ConvForward> forward_entry(const Conv2dShape& s, bool with_bias, DType dtype) {
  return primitive_cache<ConvForward>().get(
      shape_key("conv2d_forward", s, with_bias, dtype), [&](ConvForward& n) {
        build_or_mark(n, [&] {
          const ConvDescs d = conv_descs(s, data_type_of(dtype));
          // forward_training: the same kernels as inference for convolution, and the
          // layouts then match the backward primitives' hints.
          const auto pd = forward_pd(d, with_bias, prop_kind::forward_training);
          n.prim = dnnl::convolution_forward(pd);
          n.x = LayoutBridge(d.x, pd.src_desc());
          n.w = LayoutBridge(d.w, pd.weights_desc());
          if (with_bias) n.b = LayoutBridge(d.b, pd.bias_desc());
          n.y = LayoutBridge(d.y, pd.dst_desc());
        });
      });
}

std::shared_ptr<ConvBackwardData> backward_data_entry(const Conv2dShape& s, DType dtype) {
  return primitive_cache<ConvBackwardData>().get(
      shape_key("conv2d_backward_data", s, false, dtype), [&](ConvBackwardData& n) {
        build_or_mark(n, [&] {
          const ConvDescs d = conv_descs(s, data_type_of(dtype));
          const auto hint = forward_pd(d, false, prop_kind::forward_training);
          const dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, d.x_any,
                                                           d.w_any, d.y_any, d.stride, d.dilation,
                                                           d.pad_l, d.pad_r);
          const dnnl::convolution_backward_data::primitive_desc pd(desc, cpu_engine(), hint);
          n.prim = dnnl::convolution_backward_data(pd);
          n.dy = LayoutBridge(d.y, pd.diff_dst_desc());
          n.w = LayoutBridge(d.w, pd.weights_desc());
          n.dx = LayoutBridge(d.x, pd.diff_src_desc());
        });
      });
}

std::shared_ptr<ConvBackwardWeight> backward_weight_entry(const Conv2dShape& s, bool with_bias,
                                                          DType dtype) {
  return primitive_cache<ConvBackwardWeight>().get(
      shape_key("conv2d_backward_weight", s, with_bias, dtype), [&](ConvBackwardWeight& n) {
        build_or_mark(n, [&] {
          const ConvDescs d = conv_descs(s, data_type_of(dtype));
          const auto hint = forward_pd(d, with_bias, prop_kind::forward_training);
          const auto desc = with_bias
                                ? dnnl::convolution_backward_weights::desc(
                                      algorithm::convolution_direct, d.x_any, d.w_any, d.b_any,
                                      d.y_any, d.stride, d.dilation, d.pad_l, d.pad_r)
                                : dnnl::convolution_backward_weights::desc(
                                      algorithm::convolution_direct, d.x_any, d.w_any, d.y_any,
                                      d.stride, d.dilation, d.pad_l, d.pad_r);
          const dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu_engine(), hint);
          n.prim = dnnl::convolution_backward_weights(pd);
          n.dy = LayoutBridge(d.y, pd.diff_dst_desc());
          n.x = LayoutBridge(d.x, pd.src_desc());
          n.dw = LayoutBridge(d.w, pd.diff_weights_desc());
          if (with_bias) n.db = LayoutBridge(d.b, pd.diff_bias_desc());
        });
      });
}

// An entry that exists for these args must have been built with ok (the 16-bit entries
// ask the *_native functions first).
template <typename Entry>
void require_ok(const Entry& e, const char* op) {
  GPUNN_ASSERT(e.ok, op, ": oneDNN has no implementation for this shape and dtype");
}

void forward_pass(const Conv2dForwardArgs& a) {
  translate_errors("conv2d", [&] {
    const ThreadLimit threads(conv_macs(a.s), kMacsPerThread);
    const bool with_bias = a.b != nullptr;
    auto e = forward_entry(a.s, with_bias, a.dtype);
    require_ok(*e, "conv2d");
    std::lock_guard lock(e->mutex);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e->x.input(a.x)},
                                         {DNNL_ARG_WEIGHTS, e->w.input(a.w)},
                                         {DNNL_ARG_DST, e->y.output(a.y)}};
    if (with_bias) args.emplace(DNNL_ARG_BIAS, e->b.input(a.b));
    e->prim.execute(cpu_stream(), args);
    e->y.finish_output();
    cpu_stream().wait();
  });
}

void backward_data_pass(const Conv2dBackwardDataArgs& a) {
  translate_errors("conv2d_backward_data", [&] {
    const ThreadLimit threads(conv_macs(a.s), kMacsPerThread);
    auto e = backward_data_entry(a.s, a.dtype);
    require_ok(*e, "conv2d_backward_data");
    std::lock_guard lock(e->mutex);
    e->prim.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, e->dy.input(a.dy)},
                                   {DNNL_ARG_WEIGHTS, e->w.input(a.w)},
                                   {DNNL_ARG_DIFF_SRC, e->dx.output(a.dx)}});
    e->dx.finish_output();
    cpu_stream().wait();
  });
}

void backward_weight_pass(const Conv2dBackwardWeightArgs& a) {
  translate_errors("conv2d_backward_weight", [&] {
    const ThreadLimit threads(conv_macs(a.s), kMacsPerThread);
    const bool with_bias = a.db != nullptr;
    auto e = backward_weight_entry(a.s, with_bias, a.dtype);
    require_ok(*e, "conv2d_backward_weight");
    std::lock_guard lock(e->mutex);
    std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, e->dy.input(a.dy)},
                                         {DNNL_ARG_SRC, e->x.input(a.x)},
                                         {DNNL_ARG_DIFF_WEIGHTS, e->dw.output(a.dw)}};
    if (with_bias) args.emplace(DNNL_ARG_DIFF_BIAS, e->db.output(a.db));
    e->prim.execute(cpu_stream(), args);
    e->dw.finish_output();
    if (with_bias) e->db.finish_output();
    cpu_stream().wait();
  });
}

}  // namespace

bool conv2d_forward_onednn_supported(const Conv2dForwardArgs& a) {
  return a.dtype == DType::Float32 && conv2d_output_size_is_standard(a.s);
}
bool conv2d_backward_data_onednn_supported(const Conv2dBackwardDataArgs& a) {
  return a.dtype == DType::Float32 && conv2d_output_size_is_standard(a.s);
}
// With N = 0 the gradient is zero; the reference writes those zeros.
bool conv2d_backward_weight_onednn_supported(const Conv2dBackwardWeightArgs& a) {
  return a.dtype == DType::Float32 && a.s.N > 0 && conv2d_output_size_is_standard(a.s);
}

void conv2d_forward_onednn(const Conv2dForwardArgs& a, const Context&) {
  forward_pass(a);
  // Our NaN-keeping ReLU rather than oneDNN's post-op (kernels/conv.h says why).
  if (a.relu) conv2d_relu_in_place_cpu(a.dtype, a.y, a.s.N * a.s.K * a.s.P * a.s.Q);
}
void conv2d_backward_data_onednn(const Conv2dBackwardDataArgs& a, const Context&) {
  backward_data_pass(a);
}
void conv2d_backward_weight_onednn(const Conv2dBackwardWeightArgs& a, const Context&) {
  backward_weight_pass(a);
}

// Building the primitive is the only way to learn whether oneDNN has one; it is cached, so
// the call that follows reuses it. The thread limit is the one the call will run under.
bool conv2d_forward_onednn_native(const Conv2dForwardArgs& a) {
  if (a.dtype != DType::BFloat16 || !native_bf16()) return false;
  bool ok = false;
  translate_errors("conv2d", [&] {
    const ThreadLimit threads(conv_macs(a.s), kMacsPerThread);
    ok = forward_entry(a.s, a.b != nullptr, a.dtype)->ok;
  });
  return ok;
}
bool conv2d_backward_data_onednn_native(const Conv2dBackwardDataArgs& a) {
  if (a.dtype != DType::BFloat16 || !native_bf16()) return false;
  bool ok = false;
  translate_errors("conv2d_backward_data", [&] {
    const ThreadLimit threads(conv_macs(a.s), kMacsPerThread);
    ok = backward_data_entry(a.s, a.dtype)->ok;
  });
  return ok;
}
bool conv2d_backward_weight_onednn_native(const Conv2dBackwardWeightArgs& a) {
  if (a.dtype != DType::BFloat16 || !native_bf16()) return false;
  bool ok = false;
  translate_errors("conv2d_backward_weight", [&] {
    const ThreadLimit threads(conv_macs(a.s), kMacsPerThread);
    ok = backward_weight_entry(a.s, a.db != nullptr, a.dtype)->ok;
  });
  return ok;
}

}  // namespace gpunn::kernels
