// bench/kernels, softmax family: softmax over the rows of [rows, 1000] (a classifier's
// logits), forward and backward, against the bandwidth ceiling.
#include "kernels/softmax.h"
#include "bench/kernels/harness.h"

namespace bench {

namespace k = gpunn::kernels;

void bench_softmax() {
  const int64_t rows = on_cuda() ? 16384 : 1024, C = 1000;
  const size_t n = static_cast<size_t>(rows * C);
  std::vector<float> hx = random_floats(n, 9), hdy = random_floats(n, 10);
  std::vector<float> y_ref(n), dx_ref(n);
  run_reference(k::softmax_forward,
                k::SoftmaxArgs{gpunn::kFloat32, rows, C, 1, false, hx.data(), y_ref.data()});
  run_reference(k::softmax_backward,
                k::SoftmaxBackwardArgs{gpunn::kFloat32, rows, C, 1, false, hdy.data(), y_ref.data(),
                                       dx_ref.data()});
  const Tensor x = upload(hx), y = zeros(n), dy = upload(hdy), yr = upload(y_ref), dx = zeros(n);
  const std::string shape = std::to_string(rows) + "x" + std::to_string(C);
  const double b = static_cast<double>(n) * sizeof(float);
  bandwidth_case(
      "softmax", "softmax fwd " + shape, 2 * b, y, y_ref,
      implementations(k::softmax_forward, k::SoftmaxArgs{gpunn::kFloat32, rows, C, 1, false,
                                                         x.data_ptr(), y.data_ptr()}));
  bandwidth_case(
      "softmax", "softmax bwd " + shape, 3 * b, dx, dx_ref,
      implementations(k::softmax_backward,
                      k::SoftmaxBackwardArgs{gpunn::kFloat32, rows, C, 1, false, dy.data_ptr(),
                                             yr.data_ptr(), dx.data_ptr()}));
}

}  // namespace bench
