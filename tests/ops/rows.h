// The shared harness of the per-family op tests (tests/ops/<family>_test.cpp): run a
// computation on every implementation row of a family this build and machine have,
// with outputs poisoned, against the float64 reference.
//
// Rows (docs/design.md, the seam): "cpu" (the reference loops), "cpu_vendor" (oneDNN,
// in builds with it), "cuda" (our kernels) and "cuda_vendor" (cuBLAS/cuDNN), the last
// two with a GPU. A row is selected by the device and the family's custom|vendor
// setting; the LaunchTrace then says what really ran:
//   - a custom row must run only our kernels for the family;
//   - a vendor row must run the vendor entry for each op the case names in
//     cpu_vendor_ops / cuda_vendor_ops (the ops the vendor supports for that case), so a
//     vendor row cannot pass by quietly running ours.
// Every tensor allocated while a row runs (outputs, gradients, workspaces) starts as
// NaN (gpunn/testing/poison.h), so an element a kernel forgets to write fails the
// comparison.
#pragma once

#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace gpunn::test {

struct ImplRow {
  std::string name;  // "cpu", "cpu_vendor", "cuda", "cuda_vendor"
  Device device;
  Impl setting;                   // what selects it (with the device)
  Implementation implementation;  // what the trace must show
};

// The rows this build and machine can run.
std::vector<ImplRow> impl_rows();

using RowFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct RowOptions {
  // float32 against the float64 reference: |got - want| <= atol + rtol·|want|.
  double atol = 1e-5;
  double rtol = 1e-5;
  bool backward = true;  // also compare the gradients of L = Σ f ⊙ r
  // Ops that must run on the vendor entry in the vendor rows (others may fall back).
  std::vector<std::string> cpu_vendor_ops{};
  std::vector<std::string> cuda_vendor_ops{};
};

// f on float32 copies of `values` on every row against f on `values` (float64, CPU,
// reference loops): the output and, with backward, each input's gradient.
void expect_rows(OpFamily family, const std::string& what, const RowFn& f,
                 const std::vector<Tensor>& values, const RowOptions& options = {});

// A tensor that goes with f's inputs: `t` on like's device, and in like's dtype when
// both are floating (weights, running statistics; int64 targets keep their dtype).
Tensor like(const Tensor& t, const Tensor& like);

}  // namespace gpunn::test
