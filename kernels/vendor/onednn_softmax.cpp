// softmax through oneDNN (kernels/softmax.h): the [outer, C, inner]
// buffer is a 3-D tensor with the softmax on axis 1.
#include <mutex>

#include "kernels/softmax.h"
#include "kernels/vendor/onednn_common.h"

namespace gpunn::kernels {
namespace {

using namespace onednn;
using dnnl::algorithm;
using dnnl::prop_kind;

struct Softmax {
  std::mutex mutex;
  dnnl::softmax_v2_forward forward;
  dnnl::softmax_v2_backward backward;
  memory x, y, dx, dy;  // plain, bound to the caller's pointers per call
};

std::shared_ptr<Softmax> softmax_entry(int64_t outer, int64_t C, int64_t inner) {
  const auto build = [&](Softmax& e) {
    const memory::desc md = plain_desc({outer, C, inner}, tag::abc);
    const algorithm alg = algorithm::softmax_accurate;
    const dnnl::softmax_v2_forward::primitive_desc fwd(
        {prop_kind::forward_training, alg, md, md, 1}, cpu_engine());
    const dnnl::softmax_v2_backward::primitive_desc bwd({alg, md, md, md, 1}, cpu_engine(), fwd);
    e.forward = dnnl::softmax_v2_forward(fwd);
    e.backward = dnnl::softmax_v2_backward(bwd);
    for (memory* m : {&e.x, &e.y, &e.dx, &e.dy}) *m = memory(md, cpu_engine(), DNNL_MEMORY_NONE);
  };
  return primitive_cache<Softmax>().get(cache_key("softmax", outer, C, inner), build);
}

}  // namespace

bool softmax_forward_onednn_supported(const SoftmaxArgs& a) {
  return !a.log && a.dtype == DType::Float32 &&
         all_finite(static_cast<const float*>(a.x), a.outer * a.C * a.inner);
}

bool softmax_backward_onednn_supported(const SoftmaxBackwardArgs& a) {
  return !a.log && a.dtype == DType::Float32 && a.outer * a.C * a.inner > 0;
}

void softmax_forward_onednn(const SoftmaxArgs& a, const Context&) {
  translate_errors("softmax", [&] {
    const ThreadLimit threads(a.outer * a.C * a.inner, kElementsPerThread);
    auto e = softmax_entry(a.outer, a.C, a.inner);
    std::lock_guard lock(e->mutex);
    e->x.set_data_handle(const_cast<void*>(a.x));  // read only
    e->y.set_data_handle(a.y);
    e->forward.execute(cpu_stream(), {{DNNL_ARG_SRC, e->x}, {DNNL_ARG_DST, e->y}});
    cpu_stream().wait();
  });
}

void softmax_backward_onednn(const SoftmaxBackwardArgs& a, const Context&) {
  translate_errors("softmax_backward", [&] {
    const ThreadLimit threads(a.outer * a.C * a.inner, kElementsPerThread);
    auto e = softmax_entry(a.outer, a.C, a.inner);
    std::lock_guard lock(e->mutex);
    e->y.set_data_handle(const_cast<void*>(a.y));    // read only
    e->dy.set_data_handle(const_cast<void*>(a.dy));  // read only
    e->dx.set_data_handle(a.dx);
    e->backward.execute(
        cpu_stream(),
        {{DNNL_ARG_DST, e->y}, {DNNL_ARG_DIFF_DST, e->dy}, {DNNL_ARG_DIFF_SRC, e->dx}});
    cpu_stream().wait();
  });
}

}  // namespace gpunn::kernels
