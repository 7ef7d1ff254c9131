// Train/validation split and bootstrap confidence intervals.
#include <gpunn/data/loader.h>
#include <gpunn/data/validation.h>

#include <algorithm>
#include <cmath>

#include "data/random_util.h"

namespace gpunn::data {

SplitIndices train_val_split(int64_t n, double val_fraction, uint64_t seed) {
  GPUNN_CHECK(n >= 0, "train_val_split: n must be non-negative, got ", n);
  GPUNN_CHECK(val_fraction >= 0 && val_fraction <= 1, "train_val_split: val_fraction must be in ",
              "[0, 1], got ", val_fraction);
  const auto n_val = static_cast<int64_t>(std::llround(static_cast<double>(n) * val_fraction));
  std::vector<int64_t> order = shuffled_indices(
      n, detail::derive_key(seed, detail::Stream::Split, static_cast<uint64_t>(n)));
  SplitIndices s;
  s.val.assign(order.begin(), order.begin() + n_val);
  s.train.assign(order.begin() + n_val, order.end());
  std::sort(s.val.begin(), s.val.end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

std::pair<TensorDataset, TensorDataset> train_val_split(const TensorDataset& dataset,
                                                        double val_fraction, uint64_t seed) {
  const SplitIndices s = train_val_split(dataset.size(), val_fraction, seed);
  return {dataset.subset(s.train), dataset.subset(s.val)};
}

namespace {

void check_bootstrap(int64_t n, int64_t resamples, double confidence) {
  GPUNN_CHECK(n >= 1, "bootstrap_ci: needs at least one example, got ", n);
  GPUNN_CHECK(resamples >= 1, "bootstrap_ci: resamples must be at least 1, got ", resamples);
  GPUNN_CHECK(confidence > 0 && confidence < 1, "bootstrap_ci: confidence must be in (0, 1), got ",
              confidence);
}

// The q-quantile of sorted values, interpolating linearly between order statistics.
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

ConfidenceInterval interval(double estimate, std::vector<double> stats, double confidence) {
  std::sort(stats.begin(), stats.end());
  const double alpha = 1.0 - confidence;
  return {estimate, quantile(stats, alpha / 2), quantile(stats, 1 - alpha / 2), confidence,
          static_cast<int64_t>(stats.size())};
}

// Resample r, draw i: the index of the i-th example of resample r.
int64_t draw(uint64_t key, int64_t r, int64_t i, int64_t n) {
  return static_cast<int64_t>(detail::uniform_index(
      key, static_cast<uint64_t>(r) * static_cast<uint64_t>(n) + static_cast<uint64_t>(i),
      static_cast<uint64_t>(n)));
}

}  // namespace

ConfidenceInterval bootstrap_ci(const std::vector<double>& values, int64_t resamples,
                                double confidence, uint64_t seed) {
  const auto n = static_cast<int64_t>(values.size());
  check_bootstrap(n, resamples, confidence);
  const uint64_t key = detail::derive_key(seed, detail::Stream::Bootstrap);
  double total = 0;
  for (double v : values) total += v;
  std::vector<double> stats(static_cast<size_t>(resamples));
  for (int64_t r = 0; r < resamples; ++r) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += values[static_cast<size_t>(draw(key, r, i, n))];
    stats[static_cast<size_t>(r)] = s / static_cast<double>(n);
  }
  return interval(total / static_cast<double>(n), std::move(stats), confidence);
}

ConfidenceInterval bootstrap_ci(const Tensor& values, int64_t resamples, double confidence,
                                uint64_t seed) {
  GPUNN_CHECK(values.defined() && values.dim() == 1,
              "bootstrap_ci: expected per-example values as a 1-D tensor, got ",
              values.defined() ? values.shape() : Shape{});
  return bootstrap_ci(values.to_vector<double>(), resamples, confidence, seed);
}

BootstrapSample bootstrap_sample(int64_t n, uint64_t seed, int64_t member) {
  GPUNN_CHECK(n >= 1, "bootstrap_sample: needs at least one example, got n = ", n);
  GPUNN_CHECK(member >= 0, "bootstrap_sample: member must be non-negative, got ", member);
  // Member m's draws are resample m of the Bootstrap stream keyed by the seed and n + 1
  // (bootstrap_ci's intervals use key n: the two never share draws).
  const uint64_t key =
      detail::derive_key(seed, detail::Stream::Bootstrap, static_cast<uint64_t>(n), 1);
  BootstrapSample s;
  s.indices.resize(static_cast<size_t>(n));
  std::vector<char> drawn(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = draw(key, member, i, n);
    s.indices[static_cast<size_t>(i)] = j;
    drawn[static_cast<size_t>(j)] = 1;
  }
  for (int64_t i = 0; i < n; ++i)
    if (!drawn[static_cast<size_t>(i)]) s.out_of_bag.push_back(i);
  return s;
}

ConfidenceInterval bootstrap_ci(int64_t n, const SampleMetric& metric, int64_t resamples,
                                double confidence, uint64_t seed) {
  check_bootstrap(n, resamples, confidence);
  GPUNN_CHECK(static_cast<bool>(metric), "bootstrap_ci: the metric is empty");
  const uint64_t key = detail::derive_key(seed, detail::Stream::Bootstrap);
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) indices[static_cast<size_t>(i)] = i;
  const double estimate = metric(indices);
  std::vector<double> stats(static_cast<size_t>(resamples));
  for (int64_t r = 0; r < resamples; ++r) {
    for (int64_t i = 0; i < n; ++i) indices[static_cast<size_t>(i)] = draw(key, r, i, n);
    stats[static_cast<size_t>(r)] = metric(indices);
  }
  return interval(estimate, std::move(stats), confidence);
}

}  // namespace gpunn::data
