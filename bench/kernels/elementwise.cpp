// bench/kernels, elementwise family: a + b over n contiguous elements, against the
// bandwidth ceiling.
#include "kernels/elementwise.h"
#include "bench/kernels/harness.h"

namespace bench {

namespace k = gpunn::kernels;

void bench_elementwise() {
  const int64_t n = on_cuda() ? (int64_t{1} << 26) : (int64_t{1} << 22);
  const auto un = static_cast<size_t>(n);
  std::vector<float> ha = random_floats(un, 13), hb = random_floats(un, 14), add_ref(un);
  k::StridedPair ix;
  ix.ndim = 1;
  ix.shape[0] = n;
  ix.a[0] = ix.b[0] = 1;
  const gpunn::DType f32 = gpunn::kFloat32;
  run_reference(k::binary_forward,
                k::BinaryArgs{f32, k::BinaryOp::Add, ix, n, ha.data(), hb.data(), add_ref.data()});
  const Tensor a = upload(ha), b = upload(hb), out = zeros(un);
  const double e = static_cast<double>(n) * sizeof(float);
  bandwidth_case(
      "elementwise", "add n=" + std::to_string(n), 3 * e, out, add_ref,
      implementations(k::binary_forward, k::BinaryArgs{f32, k::BinaryOp::Add, ix, n, a.data_ptr(),
                                                       b.data_ptr(), out.data_ptr()}));
}

}  // namespace bench
