// The seam between core/ and kernels/: per op family and pass, an argument struct
// (pointers, shape, dtype, flags; declared in kernels/<family>.h) and an OpTable that
// holds, per dtype, one row of implementations:
//
//   cpu          the reference loops, the oracle for every other entry
//   cpu_vendor   a vendor library on the CPU (oneDNN)
//   cuda         our CUDA kernels
//   cuda_vendor  cuBLAS / cuDNN
//
// An empty entry means "no such implementation in this build". kernels/rows.cpp fills
// every table (the only place that knows which libraries are built in); core's launch()
// (core/dispatch.h) chooses an entry by device, the family's custom|vendor|auto setting
// and the entry's supported(args), gives it a workspace and runs it. Adding a dtype is
// adding a member to Row's owner below and a row per table, not editing op files.
#pragma once

#include <gpunn/config.h>
#include <gpunn/dtype.h>

#include <cstddef>
#include <string>

#include "kernels/base/context.h"

namespace gpunn::kernels {

// Library handles an entry needs in its Context (bit flags).
enum Library : unsigned { kNoLibrary = 0, kCublas = 1u << 0, kCudnn = 1u << 1 };

template <typename Args>
struct Kernel {
  void (*run)(const Args&, const Context&) = nullptr;
  // Whether this entry computes exactly what the reference does for these args
  // (shapes a library cannot describe, definitions that differ at the edges). Null:
  // every args that passed core's checks. CPU entries may read the data (non-finite
  // scans); they run only when this entry is the one wanted.
  bool (*supported)(const Args&) = nullptr;
  // Scratch bytes for these args (null: none). May need the context's handles.
  size_t (*workspace_bytes)(const Args&, const Context&) = nullptr;
  unsigned libraries = kNoLibrary;
  // Bytes this pass leaves for a later one (cuDNN calls it reserve space; oneDNN's max
  // pooling keeps its argmax there). launch() allocates them, hands them over in
  // Context::reserve and returns them, and the op saves them for its backward.
  size_t (*reserve_bytes)(const Args&) = nullptr;
  // Numbered kernels of this entry (1..variants) that auto may measure against each other
  // and the other implementation (core/dispatch.h, gpunn/config.h's set_tuning); the chosen
  // one runs with Context::variant set, workspace_bytes included. 0: no choice to offer.
  int variants = 0;
  // Whether variant v computes these args exactly under these settings (it exists for the
  // dtype and shape, stays within the precision setting, is deterministic when that is
  // asked). Called only for args supported() accepted. Null: every variant does.
  bool (*variant_usable)(const Args&, const Settings&, int v) = nullptr;

  explicit operator bool() const { return run != nullptr; }
  bool accepts(const Args& args) const { return run && (!supported || supported(args)); }
};

template <typename Args>
struct Row {
  Kernel<Args> cpu, cpu_vendor, cuda, cuda_vendor;
};

template <typename Args>
struct OpTable {
  const char* name;  // the op or pass, for messages: "softmax", "conv2d_backward_data"
  OpFamily family;
  Row<Args> f32, f64, i64, bf16, f16;
  // Tables whose calls auto measures: the call's key (shape, strides, flags, alignment;
  // never pointers), or "" for a call not worth measuring or whose trial runs would change
  // its result (an output that is added to). Null: auto takes the fixed order.
  std::string (*tuning_key)(const Args&) = nullptr;

  // The row for `dtype`. The switch has no default: -Wswitch names this place when a
  // DType is added, and each table then says what it has for it.
  const Row<Args>& row(DType dtype) const {
    switch (dtype) {
      case DType::Float32:
        return f32;
      case DType::Float64:
        return f64;
      case DType::Int64:
        return i64;
      case DType::BFloat16:
        return bf16;
      case DType::Float16:
        return f16;
    }
    return f32;
  }
};

}  // namespace gpunn::kernels
