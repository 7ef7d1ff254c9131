// Autocast scopes and casts (gpunn/autocast.h, core/autocast.h).
#include "core/autocast.h"

#include <gpunn/autograd.h>
#include <gpunn/error.h>

#include <unordered_map>

#include "core/autograd/checkpoint.h"
#include "core/tensor_impl.h"

namespace gpunn {
namespace autocast_detail {
namespace {

// Casts of parameters made in the current outermost scope, by source tensor. The storage
// version guards against a parameter changed in place inside the scope.
struct CachedCast {
  std::weak_ptr<Storage> source;
  uint64_t version;
  DType dtype;
  Tensor cast;
};

std::unordered_map<const TensorImpl*, CachedCast>& cache() {
  thread_local std::unordered_map<const TensorImpl*, CachedCast> c;
  return c;
}

}  // namespace

State& state() {
  thread_local State s;
  return s;
}

Tensor cast_floating(const Tensor& t, DType dtype) {
  if (!t.defined() || !t.is_floating_point() || t.dtype() == dtype) return t;
  return t.to(dtype);
}

Tensor low(const Tensor& t) {
  if (!t.defined() || t.dtype() != kFloat32) return t;
  const DType dtype = state().dtype;
  // Parameters (leaves that require grad) are cast once per scope, while recording: the
  // cast's graph node then serves every use, and the gradient reaches the parameter once.
  // A checkpoint's recompute casts afresh: a cast made before it has its graph node outside
  // the checkpoint (Note [recomputing] in core/autograd/checkpoint.h).
  if (!(t.requires_grad() && t.is_leaf() && is_grad_enabled()) || autograd::is_recomputing()) {
    return t.to(dtype);
  }
  const TensorImpl* key = t.impl();
  auto it = cache().find(key);
  const uint64_t version = t.impl()->storage->version();
  if (it != cache().end() && !it->second.source.expired() &&
      it->second.source.lock() == t.impl()->storage && it->second.version == version &&
      it->second.dtype == dtype) {
    return it->second.cast;
  }
  Tensor cast = t.to(dtype);
  cache()[key] = {t.impl()->storage, version, dtype, cast};
  return cast;
}

Tensor to_float32(const Tensor& t) {
  if (!t.defined() || !is_reduced_float(t.dtype())) return t;
  return t.to(kFloat32);
}

namespace {

template <typename Range>
DType promoted_over(const Range& tensors, DType fallback) {
  bool any = false, f64 = false, f32 = false, bf16 = false, f16 = false;
  for (const Tensor* t : tensors) {
    if (t == nullptr || !t->defined() || !t->is_floating_point()) continue;
    any = true;
    f64 |= t->dtype() == kFloat64;
    f32 |= t->dtype() == kFloat32;
    bf16 |= t->dtype() == kBFloat16;
    f16 |= t->dtype() == kFloat16;
  }
  if (!any) return fallback;
  if (f64) return kFloat64;
  if (f32 || (bf16 && f16)) return kFloat32;
  return bf16 ? kBFloat16 : kFloat16;
}

}  // namespace

DType promoted(std::initializer_list<const Tensor*> tensors, DType fallback) {
  return promoted_over(tensors, fallback);
}

DType promoted(const std::vector<Tensor>& tensors, DType fallback) {
  std::vector<const Tensor*> pointers;
  for (const Tensor& t : tensors) pointers.push_back(&t);
  return promoted_over(pointers, fallback);
}

}  // namespace autocast_detail

namespace autocast {

Guard::Guard(DType dtype, bool enabled) {
  GPUNN_CHECK(!enabled || is_reduced_float(dtype),
              "autocast::Guard: the dtype must be bfloat16 or float16, got ", dtype_name(dtype));
  autocast_detail::State& s = autocast_detail::state();
  was_enabled_ = s.enabled;
  previous_ = s.dtype;
  s.enabled = enabled;
  if (enabled) s.dtype = dtype;
  ++s.depth;
}

Guard::~Guard() {
  autocast_detail::State& s = autocast_detail::state();
  s.enabled = was_enabled_;
  s.dtype = previous_;
  if (--s.depth == 0) autocast_detail::cache().clear();
}

bool is_enabled() { return autocast_detail::state().enabled; }
DType dtype() { return autocast_detail::state().dtype; }
void clear_cache() { autocast_detail::cache().clear(); }

}  // namespace autocast
}  // namespace gpunn
