// bench/kernels, activation family: relu forward and backward over n elements, against
// the bandwidth ceiling.
#include "kernels/activation.h"
#include "bench/kernels/harness.h"

namespace bench {

namespace k = gpunn::kernels;

void bench_activation() {
  const int64_t n = on_cuda() ? (int64_t{1} << 26) : (int64_t{1} << 22);
  const auto un = static_cast<size_t>(n);
  std::vector<float> ha = random_floats(un, 13), hb = random_floats(un, 14);
  std::vector<float> relu_ref(un), relu_bwd_ref(un);
  const gpunn::DType f32 = gpunn::kFloat32;
  const auto relu = k::Activation::Relu;
  run_reference(k::activation_forward,
                k::ActivationArgs{f32, relu, n, 0.0, ha.data(), relu_ref.data()});
  run_reference(k::activation_backward,
                k::ActivationBackwardArgs{f32, relu, n, 0.0, hb.data(), relu_ref.data(),
                                          relu_bwd_ref.data()});
  const Tensor a = upload(ha), b = upload(hb), yr = upload(relu_ref), out = zeros(un);
  const double e = static_cast<double>(n) * sizeof(float);
  const std::string sz = " n=" + std::to_string(n);
  bandwidth_case(
      "activation", "relu fwd" + sz, 2 * e, out, relu_ref,
      implementations(k::activation_forward,
                      k::ActivationArgs{f32, relu, n, 0.0, a.data_ptr(), out.data_ptr()}));
  bandwidth_case("activation", "relu bwd" + sz, 3 * e, out, relu_bwd_ref,
                 implementations(k::activation_backward,
                                 k::ActivationBackwardArgs{f32, relu, n, 0.0, b.data_ptr(),
                                                           yr.data_ptr(), out.data_ptr()}));
}

}  // namespace bench
