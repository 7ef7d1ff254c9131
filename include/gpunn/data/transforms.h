// Preprocessing: normalization fitted on the training set, random crops and
// flips for image batches [N, C, H, W], and bilinear resizing.
#pragma once

#include <gpunn/export.h>
#include <gpunn/generator.h>
#include <gpunn/tensor.h>

GPUNN_API_BEGIN

namespace gpunn::data {

// y = (x - mean) / std, with mean and std broadcast over the examples. Fitted on
// the training set only and then applied unchanged to validation and test data,
// so no statistics leak from them. Statistics are computed in double.
class Normalize {
 public:
  Normalize() = default;
  // mean and std have the shape of one example's broadcast pattern, e.g. [C, 1, 1]
  // for images [N, C, H, W]; mean must be finite and std positive and finite.
  Normalize(Tensor mean, Tensor std);

  // Per-channel mean and (population) standard deviation over every dim but
  // dim 1 of x [N, C, ...] (for x [N, F]: per feature). A channel whose std is
  // below 1e-12 (constant) gets std 1.
  static Normalize fit_per_channel(const Tensor& x);
  // Per-channel mean subtraction only (std 1).
  static Normalize fit_channel_mean(const Tensor& x);
  // Mean subtraction of the mean example ([...], over dim 0 only; std 1): the
  // "mean image" of CS231n.
  static Normalize fit_mean_example(const Tensor& x);

  // x [N, ...] float32 or float64; returns a new tensor of x's dtype.
  Tensor operator()(const Tensor& x) const;
  // Undoes operator(); y has the shapes operator() accepts.
  Tensor inverse(const Tensor& y) const;

  const Tensor& mean() const { return mean_; }  // float64
  const Tensor& std() const { return std_; }    // float64

 private:
  // Fitted, x float on the CPU, and [N] followed by a shape the statistics broadcast to.
  void check_input(const char* op, const Tensor& x) const;
  Tensor mean_;
  Tensor std_;
};

// Each image of x [N, C, H, W] (float32/float64) shifted by a random offset in
// [-padding, padding] in each direction, the uncovered border filled with 0: a
// random H x W crop of the image padded with `padding` zeros on every side.
Tensor random_crop(const Tensor& x, int64_t padding, Generator& generator);
// Each image of x [N, C, H, W] mirrored left-right with probability p.
Tensor random_horizontal_flip(const Tensor& x, Generator& generator, double p = 0.5);

// Bilinear resizing of images x [..., H, W] (float32/float64, any device, at
// least 2 dims) to [..., height, width], with PyTorch's align_corners=false
// convention (F.interpolate(x, size, mode="bilinear")): output pixel o of n_out
// samples the input at s = max(0, (o + ½)·n_in/n_out - ½), between input pixels
// i = floor(s) and min(i + 1, n_in - 1) with weights 1 - (s - i) and s - i;
// rows and columns alike. Shrinking uses the same two taps (no antialiasing).
// Computed as two matrix products with the interpolation matrices, so it runs
// where x is and is differentiable in both autograd modes.
Tensor resize_bilinear(const Tensor& x, int64_t height, int64_t width);

}  // namespace gpunn::data

GPUNN_API_END
