// Validation tools: a seeded train/validation split, and bootstrap confidence
// intervals for a metric such as test accuracy.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::data {

struct SplitIndices {
  std::vector<int64_t> train;
  std::vector<int64_t> val;
};

// A random partition of 0..n-1: round(n * val_fraction) indices for validation,
// the rest for training, each in increasing order. Depends only on (n,
// val_fraction, seed). 0 <= val_fraction <= 1.
SplitIndices train_val_split(int64_t n, double val_fraction, uint64_t seed);
// The same split applied to a dataset: copies of its rows.
std::pair<TensorDataset, TensorDataset> train_val_split(const TensorDataset& dataset,
                                                        double val_fraction, uint64_t seed);

// A percentile bootstrap interval (Efron & Tibshirani, "An Introduction to the
// Bootstrap", ch. 13): the metric on the full sample, and the (1-c)/2 and
// (1+c)/2 quantiles of the metric over `resamples` samples of n indices drawn
// with replacement.
struct ConfidenceInterval {
  double estimate = 0;
  double lower = 0;
  double upper = 0;
  double confidence = 0;
  int64_t resamples = 0;
};

// The metric is the mean of `values` (per-example scores, e.g. 1 for a correct
// prediction and 0 otherwise: the interval of the accuracy).
ConfidenceInterval bootstrap_ci(const std::vector<double>& values, int64_t resamples = 1000,
                                double confidence = 0.95, uint64_t seed = 0);
// `values` as a 1-D tensor of any dtype (e.g. eq(argmax(logits), target)).
ConfidenceInterval bootstrap_ci(const Tensor& values, int64_t resamples = 1000,
                                double confidence = 0.95, uint64_t seed = 0);
// Any metric of a sample of n examples, given the sample's indices (with repeats).
using SampleMetric = std::function<double(const std::vector<int64_t>& indices)>;
ConfidenceInterval bootstrap_ci(int64_t n, const SampleMetric& metric, int64_t resamples = 1000,
                                double confidence = 0.95, uint64_t seed = 0);

// One bootstrap resample of n examples, for bagging (Breiman, "Bagging Predictors", 1996):
// n indices drawn with replacement (in draw order), and the examples never drawn (the
// out-of-bag ones, about n/e of them, increasing), on which a member trained on the
// resample can be tested. Depends only on (n, seed, member).
struct BootstrapSample {
  std::vector<int64_t> indices;
  std::vector<int64_t> out_of_bag;
};
BootstrapSample bootstrap_sample(int64_t n, uint64_t seed, int64_t member = 0);

}  // namespace gpunn::data

GPUNN_API_END
