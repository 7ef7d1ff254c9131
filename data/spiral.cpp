// The synthetic data sets: spiral and two moons (gpunn/data/synthetic.h).
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

TensorDataset two_moons(int64_t points_per_moon, uint64_t seed, double noise, DType dtype) {
  GPUNN_CHECK(points_per_moon >= 1, "two_moons: expected at least one point per moon, got ",
              points_per_moon);
  GPUNN_CHECK(points_per_moon <= (int64_t{1} << 40), "two_moons: ", points_per_moon,
              " points per moon is too many");
  GPUNN_CHECK(is_floating(dtype), "two_moons: dtype must be floating-point, got ", dtype);
  GPUNN_CHECK(std::isfinite(noise) && noise >= 0, "two_moons: noise must be finite and >= 0, got ",
              noise);
  const int64_t N = points_per_moon;
  Generator generator(seed);
  const std::vector<double> z = randn({4 * N}, kFloat64, &generator).to_vector<double>();
  std::vector<double> xy(static_cast<size_t>(4 * N));
  std::vector<int64_t> target(static_cast<size_t>(2 * N));
  const double pi = 3.14159265358979323846;
  const double step = N > 1 ? pi / static_cast<double>(N - 1) : 0.0;
  for (int64_t i = 0; i < N; ++i) {
    const double theta = static_cast<double>(i) * step;
    const auto a = static_cast<size_t>(2 * i), b = static_cast<size_t>(2 * (N + i));
    xy[a] = std::cos(theta) + noise * z[a];
    xy[a + 1] = std::sin(theta) + noise * z[a + 1];
    xy[b] = 1.0 - std::cos(theta) + noise * z[b];
    xy[b + 1] = 0.5 - std::sin(theta) + noise * z[b + 1];
    target[static_cast<size_t>(N + i)] = 1;
  }
  return TensorDataset(tensor(xy, {2 * N, 2}, dtype), tensor_from(target, {2 * N}));
}

}  // namespace gpunn::data
