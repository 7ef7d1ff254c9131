// relu, leaky_relu, sigmoid, tanh and GELU through oneDNN's eltwise primitive
// (kernels/activation.h), over n contiguous floats as a 1-D tensor.
//
// relu, sigmoid and tanh use the *_use_dst_for_bwd algorithms, whose backward
// reads y as gpunn's does; leaky_relu (relu with alpha = slope) and GELU read x. relu
// and leaky_relu run backward only (kernels/activation.h says why).
#include <bit>
#include <mutex>

#include "kernels/activation.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

using namespace onednn;
using dnnl::algorithm;
using dnnl::prop_kind;

struct Eltwise {
  std::mutex mutex;
  dnnl::eltwise_forward forward;
  dnnl::eltwise_backward backward;
  memory x, y, dx, dy;  // plain, bound to the caller's pointers per call
};

std::shared_ptr<Eltwise> eltwise_entry(algorithm alg, float alpha, int64_t n) {
  // alpha goes into the key by value: leaky_relu slopes differ by entry.
  const auto alpha_bits = static_cast<int64_t>(std::bit_cast<uint32_t>(alpha));
  return primitive_cache<Eltwise>().get(
      cache_key("eltwise", static_cast<int>(alg), alpha_bits, n), [&](Eltwise& e) {
        const memory::desc md = plain_desc({n}, tag::a);
        const dnnl::eltwise_forward::primitive_desc fwd(
            {prop_kind::forward_training, alg, md, alpha, 0.f}, cpu_engine());
        const dnnl::eltwise_backward::primitive_desc bwd({alg, md, md, alpha, 0.f}, cpu_engine(),
                                                         fwd);
        e.forward = dnnl::eltwise_forward(fwd);
        e.backward = dnnl::eltwise_backward(bwd);
        for (memory* m : {&e.x, &e.y, &e.dx, &e.dy})
          *m = memory(md, cpu_engine(), DNNL_MEMORY_NONE);
      });
}

void eltwise_forward(const char* op, algorithm alg, float alpha, float* y, const float* x,
                     int64_t n) {
  if (n == 0) return;
  translate_errors(op, [&] {
    const ThreadLimit threads(n, kElementsPerThread);
    auto e = eltwise_entry(alg, alpha, n);
    std::lock_guard lock(e->mutex);
    e->x.set_data_handle(const_cast<float*>(x));  // read only
    e->y.set_data_handle(y);
    e->forward.execute(cpu_stream(), {{DNNL_ARG_SRC, e->x}, {DNNL_ARG_DST, e->y}});
    cpu_stream().wait();
  });
}

// `saved` is y for the *_use_dst_for_bwd algorithms, x otherwise.
void eltwise_backward(const char* op, algorithm alg, float alpha, bool saved_is_y, float* dx,
                      const float* dy, const float* saved, int64_t n) {
  if (n == 0) return;
  translate_errors(op, [&] {
    const ThreadLimit threads(n, kElementsPerThread);
    auto e = eltwise_entry(alg, alpha, n);
    std::lock_guard lock(e->mutex);
    memory& m = saved_is_y ? e->y : e->x;
    m.set_data_handle(const_cast<float*>(saved));   // read only
    e->dy.set_data_handle(const_cast<float*>(dy));  // read only
    e->dx.set_data_handle(dx);
    e->backward.execute(cpu_stream(), {{saved_is_y ? DNNL_ARG_DST : DNNL_ARG_SRC, m},
                                       {DNNL_ARG_DIFF_DST, e->dy},
                                       {DNNL_ARG_DIFF_SRC, e->dx}});
    cpu_stream().wait();
  });
}

}  // namespace

bool activation_forward_onednn_supported(const ActivationArgs& a) {
  return a.dtype == DType::Float32 && a.f != Activation::Relu && a.f != Activation::LeakyRelu;
}

bool activation_backward_onednn_supported(const ActivationBackwardArgs& a) {
  return a.dtype == DType::Float32;
}

void activation_forward_onednn(const ActivationArgs& a, const Context&) {
  const auto* x = static_cast<const float*>(a.x);
  auto* y = static_cast<float*>(a.y);
  switch (a.f) {
    case Activation::Sigmoid:
      return eltwise_forward("sigmoid", algorithm::eltwise_logistic_use_dst_for_bwd, 0.f, y, x,
                             a.n);
    case Activation::Tanh:
      return eltwise_forward("tanh", algorithm::eltwise_tanh_use_dst_for_bwd, 0.f, y, x, a.n);
    case Activation::GeluErf:
      return eltwise_forward("gelu", algorithm::eltwise_gelu_erf, 0.f, y, x, a.n);
    case Activation::GeluTanh:
      return eltwise_forward("gelu", algorithm::eltwise_gelu_tanh, 0.f, y, x, a.n);
    case Activation::Relu:
    case Activation::LeakyRelu:
      break;
  }
  GPUNN_ASSERT(false, "activation_forward_onednn: not supported (see its supported())");
}

void activation_backward_onednn(const ActivationBackwardArgs& a, const Context&) {
  const auto* dy = static_cast<const float*>(a.dy);
  const auto* saved = static_cast<const float*>(a.saved);
  auto* dx = static_cast<float*>(a.dx);
  switch (a.f) {
    case Activation::Relu:
      return eltwise_backward("relu_backward", algorithm::eltwise_relu_use_dst_for_bwd, 0.f, true,
                              dx, dy, saved, a.n);
    case Activation::LeakyRelu:
      return eltwise_backward("leaky_relu_backward", algorithm::eltwise_relu,
                              static_cast<float>(a.slope), false, dx, dy, saved, a.n);
    case Activation::Sigmoid:
      return eltwise_backward("sigmoid_backward", algorithm::eltwise_logistic_use_dst_for_bwd, 0.f,
                              true, dx, dy, saved, a.n);
    case Activation::Tanh:
      return eltwise_backward("tanh_backward", algorithm::eltwise_tanh_use_dst_for_bwd, 0.f, true,
                              dx, dy, saved, a.n);
    case Activation::GeluErf:
      return eltwise_backward("gelu_backward", algorithm::eltwise_gelu_erf, 0.f, false, dx, dy,
                              saved, a.n);
    case Activation::GeluTanh:
      return eltwise_backward("gelu_backward", algorithm::eltwise_gelu_tanh, 0.f, false, dx, dy,
                              saved, a.n);
  }
}

}  // namespace gpunn::kernels
