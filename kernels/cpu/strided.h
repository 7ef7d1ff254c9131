// Walking strided operands on the CPU. Private to kernels/cpu.
#pragma once

#include "kernels/base/strided.h"

namespace gpunn::kernels {

// The same walk over fewer dims: size-1 dims dropped, and each dim merged into
// the one before it where both operands step through the pair as through one
// dim (stride[d] == stride[d+1] · shape[d+1] for a and for b). Two contiguous
// operands become one dim of stride 1; a contiguous operand with a scalar
// (all strides 0) becomes one dim of strides 1 and 0.
inline StridedPair coalesce(const StridedPair& ix) {
  StridedPair out;
  for (int d = 0; d < ix.ndim; ++d) {
    if (ix.shape[d] == 1) continue;
    const int last = out.ndim - 1;
    if (last >= 0 && out.a[last] == ix.a[d] * ix.shape[d] && out.b[last] == ix.b[d] * ix.shape[d]) {
      out.shape[last] *= ix.shape[d];
      out.a[last] = ix.a[d];
      out.b[last] = ix.b[d];
      continue;
    }
    out.shape[out.ndim] = ix.shape[d];
    out.a[out.ndim] = ix.a[d];
    out.b[out.ndim] = ix.b[d];
    ++out.ndim;
  }
  return out;
}

// Calls f(i, offset_a, offset_b) for i = 0 .. n-1 in row-major order of
// ix.shape (n is its element count). The innermost dim of the coalesced walk is
// a plain loop, with the unit-stride and broadcast cases spelled out so that the
// compiler sees `offset = base + j` and can vectorise f; the outer dims keep the
// offsets up to date with one add per step.
template <typename F>
void for_each_strided(const StridedPair& ix_in, int64_t n, F&& f) {
  if (n <= 0) return;
  const StridedPair ix = coalesce(ix_in);
  if (ix.ndim == 0) {  // one element
    f(int64_t{0}, int64_t{0}, int64_t{0});
    return;
  }
  const int last = ix.ndim - 1;
  const int64_t len = ix.shape[last], sa = ix.a[last], sb = ix.b[last];
  int64_t index[kMaxDims] = {};
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < n; i += len) {
    if (sa == 1 && sb == 1) {
      for (int64_t j = 0; j < len; ++j) f(i + j, oa + j, ob + j);
    } else if (sa == 1 && sb == 0) {
      for (int64_t j = 0; j < len; ++j) f(i + j, oa + j, ob);
    } else if (sa == 0 && sb == 1) {
      for (int64_t j = 0; j < len; ++j) f(i + j, oa, ob + j);
    } else {
      for (int64_t j = 0; j < len; ++j) f(i + j, oa + j * sa, ob + j * sb);
    }
    for (int d = last - 1; d >= 0; --d) {
      if (++index[d] < ix.shape[d]) {
        oa += ix.a[d];
        ob += ix.b[d];
        break;
      }
      oa -= ix.a[d] * (ix.shape[d] - 1);
      ob -= ix.b[d] * (ix.shape[d] - 1);
      index[d] = 0;
    }
  }
}

}  // namespace gpunn::kernels
