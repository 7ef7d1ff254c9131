// The ops' side of autocast (gpunn/autocast.h). Private to libgpunn.
//
// An op of the "low" policy starts with
//     if (autocast_detail::active()) { AUTOCAST_LOW(a); AUTOCAST_LOW(b); }
// i.e. it replaces its floating inputs by autocast_detail::low(t); a "float32" op uses
// to_float32(t); a "promote" op casts its floating inputs to promoted(...). active() is one
// thread-local load, so ops pay nothing outside a scope.
#pragma once

#include <gpunn/autocast.h>
#include <gpunn/tensor.h>

#include <initializer_list>
#include <vector>

namespace gpunn::autocast_detail {

struct State {
  bool enabled = false;
  DType dtype = kBFloat16;
  int depth = 0;  // guards alive on this thread
};
State& state();

inline bool active() { return state().enabled; }

// t in the scope's 16-bit dtype when t is float32 (parameters through the cache);
// anything else unchanged.
Tensor low(const Tensor& t);
// t in float32 when t is a 16-bit float; anything else unchanged.
Tensor to_float32(const Tensor& t);
// The widest floating dtype among the defined floating tensors (float64 > float32 >
// 16-bit; two different 16-bit dtypes give float32); `fallback` when there are none.
DType promoted(std::initializer_list<const Tensor*> tensors, DType fallback);
DType promoted(const std::vector<Tensor>& tensors, DType fallback);
// t in `dtype` when t is floating and differs; anything else unchanged.
Tensor cast_floating(const Tensor& t, DType dtype);

}  // namespace gpunn::autocast_detail
