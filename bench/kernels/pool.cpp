// bench/kernels, pool family: AlexNet's first max-pool, [N, 64, 55, 55] -> [N, 64, 27, 27],
// 3x3 stride 2, at --conv-batch, forward and backward against the bandwidth ceiling.
// Each backward reads what its own forward left (our indices, oneDNN's reserve, cuDNN's
// x and y: kernels/pool.h), so forward and backward alternate per implementation.
#include "kernels/pool.h"
#include "bench/kernels/harness.h"

namespace bench {

namespace k = gpunn::kernels;

void bench_pool() {
  k::Pool2dShape s;
  s.N = options().conv_batch, s.C = 64, s.H = s.W = 55, s.P = s.Q = 27;
  s.kernel_h = s.kernel_w = 3;
  s.stride_h = s.stride_w = 2;
  const size_t nx = static_cast<size_t>(s.N * s.C * s.H * s.W);
  const size_t ny = static_cast<size_t>(s.N * s.C * s.P * s.Q);
  std::vector<float> hx = random_floats(nx, 11), hdy = random_floats(ny, 12);
  std::vector<float> y_ref(ny), dx_ref(nx);
  std::vector<int64_t> idx_ref(ny);
  const gpunn::DType f32 = gpunn::kFloat32;
  run_reference(k::max_pool2d_forward,
                k::MaxPool2dArgs{f32, s, hx.data(), y_ref.data(), idx_ref.data(), true});
  run_reference(k::max_pool2d_backward,
                k::MaxPool2dBackwardArgs{f32, s, hdy.data(), dx_ref.data(), idx_ref.data(), nullptr,
                                         nullptr, nullptr});
  const Tensor x = upload(hx), y = zeros(ny), dy = upload(hdy), dx = zeros(nx);
  const Tensor idx = gpunn::empty({static_cast<int64_t>(ny)},
                                  gpunn::TensorOptions(gpunn::kInt64).device(options().device));
  const std::string name = "maxpool 3x3/2 " + std::to_string(s.N) + "x64x55x55";
  const double bx = static_cast<double>(nx) * sizeof(float);
  const double by = static_cast<double>(ny) * sizeof(float);
  const std::vector<Impl> forwards = implementations(
      k::max_pool2d_forward,
      k::MaxPool2dArgs{f32, s, x.data_ptr(), y.data_ptr(), idx.data<int64_t>(), false});
  for (const Impl& fwd : forwards) {
    // forward reads x, writes y and the indices; backward reads dy and the indices and
    // writes dx.
    bandwidth_case("pool", name + " fwd", bx + 3 * by, y, y_ref, {fwd});
    const bool vendor = fwd.name == "vendor";
    const Tensor& reserve = fwd.prepared->reserve;
    const k::MaxPool2dBackwardArgs args{f32,
                                        s,
                                        dy.data_ptr(),
                                        dx.data_ptr(),
                                        vendor ? nullptr : idx.data<int64_t>(),
                                        vendor && reserve.defined() ? reserve.data_ptr() : nullptr,
                                        vendor && !reserve.defined() ? x.data_ptr() : nullptr,
                                        vendor && !reserve.defined() ? y.data_ptr() : nullptr};
    std::vector<Impl> backwards;
    for (Impl& b : implementations(k::max_pool2d_backward, args)) {
      if (b.name == fwd.name) backwards.push_back(std::move(b));
    }
    bandwidth_case("pool", name + " bwd", 3 * by + bx, dx, dx_ref, backwards);
  }
}

}  // namespace bench
