// The spiral data set (gpunn/data/synthetic.h).
#include <gpunn/data/synthetic.h>
#include <gpunn/generator.h>

#include <cmath>

namespace gpunn::data {

TensorDataset spiral(int64_t classes, int64_t points_per_class, uint64_t seed, double noise,
                     DType dtype) {
  GPUNN_CHECK(classes >= 1 && points_per_class >= 1, "spiral: expected at least one class and ",
              "one point per class, got ", classes, " classes of ", points_per_class, " points");
  GPUNN_CHECK(is_floating(dtype), "spiral: dtype must be floating-point, got ", dtype);
  GPUNN_CHECK(std::isfinite(noise) && noise >= 0, "spiral: noise must be finite and >= 0, got ",
              noise);
  const int64_t K = classes;
  const int64_t N = points_per_class;
  GPUNN_CHECK(K <= (int64_t{1} << 40) / N, "spiral: ", K, " x ", N, " points is too many");
  Generator generator(seed);
  const std::vector<double> z = randn({K * N}, kFloat64, &generator).to_vector<double>();
  std::vector<double> xy(static_cast<size_t>(2 * K * N));
  std::vector<int64_t> target(static_cast<size_t>(K * N));
  // linspace(a, b, N): a + (b - a) i / (N - 1); a single point sits at a.
  const double step = N > 1 ? 1.0 / static_cast<double>(N - 1) : 0.0;
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t i = 0; i < N; ++i) {
      const int64_t ix = k * N + i;
      const double r = static_cast<double>(i) * step;
      const double theta = 4.0 * static_cast<double>(k) + 4.0 * static_cast<double>(i) * step +
                           noise * z[static_cast<size_t>(ix)];
      xy[static_cast<size_t>(2 * ix)] = r * std::sin(theta);
      xy[static_cast<size_t>(2 * ix + 1)] = r * std::cos(theta);
      target[static_cast<size_t>(ix)] = k;
    }
  }
  return TensorDataset(tensor(xy, {K * N, 2}, dtype), tensor_from(target, {K * N}));
}

}  // namespace gpunn::data
