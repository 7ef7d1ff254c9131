// bench/kernels, softmax family: softmax over the rows of [rows, 1000] (a classifier's
// logits), forward and backward, against the bandwidth ceiling. On the GPU also
// "custom-handwritten": the warp shuffles that cub::WarpReduce replaced.
#include "kernels/softmax.h"
#include "bench/kernels/harness.h"
#if GPUNN_WITH_CUDA
#include "kernels/cuda/variants.h"
#endif

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
  const k::SoftmaxArgs fwd{gpunn::kFloat32, rows, C, 1, false, x.data_ptr(), y.data_ptr()};
  const k::SoftmaxBackwardArgs bwd{gpunn::kFloat32, rows,         C, 1, false, dy.data_ptr(),
                                   yr.data_ptr(),   dx.data_ptr()};
  std::vector<Impl> fwd_impls = implementations(k::softmax_forward, fwd);
  std::vector<Impl> bwd_impls = implementations(k::softmax_backward, bwd);
#if GPUNN_WITH_CUDA
  add_variant(fwd_impls, "custom-handwritten", &k::handwritten::softmax_forward_cuda<float>, fwd);
  add_variant(bwd_impls, "custom-handwritten", &k::handwritten::softmax_backward_cuda<float>, bwd);
#endif
  bandwidth_case("softmax", "softmax fwd " + shape, 2 * b, y, y_ref, fwd_impls);
  bandwidth_case("softmax", "softmax bwd " + shape, 3 * b, dx, dx_ref, bwd_impls);
}

}  // namespace bench
