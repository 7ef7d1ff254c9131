// The copy family: strided copies with conversion, and fill. Operands are walked through
// a StridedPair (kernels/base/strided.h): a is the destination, b the source.
//
//   copy:  dst[i] = convert(src[i]) over ix.shape; float to int64 truncates toward zero,
//          and values int64 cannot hold (NaN, ±inf, beyond ±2^63) give INT64_MIN, as
//          x86 conversion does, instead of undefined behaviour
//   fill:  dst = value over the strided region ix.a (ix.b unused)
#pragma once

#include <cstdint>

#include "kernels/base/strided.h"
#include "kernels/base/table.h"

namespace gpunn::kernels {

struct CopyArgs {
  DType dtype;      // the destination's; the table row
  DType src_dtype;  // any dtype
  StridedPair ix;
  int64_t n;
  const void* src;
  void* dst;
};

struct FillArgs {
  DType dtype;
  StridedPair ix;
  int64_t n;
  double value;  // converted to dtype
  void* dst;
};

extern const OpTable<CopyArgs> copy;
extern const OpTable<FillArgs> fill;

// ---- implementations (kernels/rows.cpp) ----
template <typename To>
void copy_cpu(const CopyArgs& a, const Context& ctx);
template <typename T>
void fill_cpu(const FillArgs& a, const Context& ctx);

template <typename To>
void copy_cuda(const CopyArgs& a, const Context& ctx);
template <typename T>
void fill_cuda(const FillArgs& a, const Context& ctx);

}  // namespace gpunn::kernels
