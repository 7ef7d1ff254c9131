// Preprocessing (normalization, random crop and flip, bilinear resize) and
// validation tools (train/validation split, bootstrap confidence intervals).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "test_util.h"

namespace gpunn {
namespace {

// ---- Normalize ------------------------------------------------------------------------

TEST(Normalize, PerChannelHandChecked) {
  // x [2, 2, 1, 2]: channel 0 holds 1, 3, 5, 7 (mean 4, std sqrt(5)); channel 1
  // holds 2, 2, 2, 2 (constant: std 1).
  Tensor x = tensor({1, 3, 2, 2, 5, 7, 2, 2}, {2, 2, 1, 2}, kFloat32);
  data::Normalize norm = data::Normalize::fit_per_channel(x);
  EXPECT_EQ(norm.mean().shape(), (Shape{2, 1, 1}));
  EXPECT_TRUE(test::values_near(norm.mean(), {4, 2}, 1e-15));
  EXPECT_TRUE(test::values_near(norm.std(), {std::sqrt(5.0), 1}, 1e-15));
  Tensor y = norm(x);
  EXPECT_EQ(y.dtype(), kFloat32);
  const double s = std::sqrt(5.0);
  EXPECT_TRUE(test::values_near(y, {-3 / s, -1 / s, 0, 0, 1 / s, 3 / s, 0, 0}, 1e-6));
  EXPECT_TRUE(test::tensors_near(norm.inverse(y), x, 1e-6));
  // Applied to other data with the training statistics, not its own.
  Tensor other = tensor({4, 4, 3, 3}, {1, 2, 1, 2}, kFloat64);
  EXPECT_TRUE(test::values_near(norm(other), {0, 0, 1, 1}, 1e-15));
}

TEST(Normalize, MeanSubtractionVariants) {
  Tensor x = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, kFloat64);  // 3 examples of 2 features
  data::Normalize features = data::Normalize::fit_per_channel(x);
  EXPECT_TRUE(test::values_near(features.mean(), {3, 4}, 1e-15));
  Tensor y = features(x);
  EXPECT_TRUE(test::values_near(mean(y, {0}), {0, 0}, 1e-15));
  EXPECT_TRUE(test::values_near(mean(y * y, {0}), {1, 1}, 1e-15));  // unit variance

  data::Normalize centre = data::Normalize::fit_channel_mean(x);
  EXPECT_TRUE(test::values_near(centre(x), {-2, -2, 0, 0, 2, 2}, 1e-15));

  Tensor img = tensor({1, 2, 3, 4, 3, 4, 5, 6}, {2, 1, 2, 2}, kFloat64);
  data::Normalize mean_image = data::Normalize::fit_mean_example(img);
  EXPECT_EQ(mean_image.mean().shape(), (Shape{1, 2, 2}));
  EXPECT_TRUE(test::values_near(mean_image.mean(), {2, 3, 4, 5}, 1e-15));
  EXPECT_TRUE(test::values_near(mean_image(img), {-1, -1, -1, -1, 1, 1, 1, 1}, 1e-15));
}

TEST(Normalize, BadInput) {
  EXPECT_THROWS_WITH(data::Normalize()(zeros({2, 2})), "Normalize", "not fitted");
  data::Normalize n = data::Normalize::fit_per_channel(ones({4, 3, 2, 2}));
  EXPECT_THROWS_WITH(n(zeros({4, 2, 2, 2})), "Normalize", "[4, 2, 2, 2]", "[3, 1, 1]");
  EXPECT_THROWS_WITH(n(zeros({4, 3, 2, 2}, kInt64)), "Normalize", "int64");
  EXPECT_THROWS_WITH(data::Normalize::fit_per_channel(zeros({0, 3})), "N >= 1");
  EXPECT_THROWS_WITH(data::Normalize(zeros({2}), zeros({2})), "std must be positive");
  EXPECT_THROWS_WITH(data::Normalize(zeros({2}), ones({3})), "same shape");
}

// ---- bilinear resize -------------------------------------------------------------------

// Each case: an input image, the output size and the expected output, computed
// with PyTorch 1.13's F.interpolate(x, size, mode="bilinear", align_corners=False)
// in float64.
struct ResizeCase {
  Shape in;
  std::vector<double> x;
  int64_t height, width;
  std::vector<double> y;
};

std::vector<ResizeCase> torch_resize_cases() {
  std::vector<double> ramp;  // i^1.5 for i = 0..34
  for (int i = 0; i < 35; ++i) ramp.push_back(std::pow(i, 1.5));
  return {
      // Up by 2.5 rows and 4/3 columns.
      {{2, 3}, {1, 2, 4, 8, 16, 32}, 5, 4, {1.0,    1.625, 2.75,   4.0,    1.7,  2.7625, 4.675,
                                            6.8,    4.5,   7.3125, 12.375, 18.0, 7.3,    11.8625,
                                            20.075, 29.2,  8.0,    13.0,   22.0, 32.0}},
      // Down, 5 x 7 to 3 x 2: still two taps per direction.
      {{5, 7},
       ramp,
       3,
       2,
       {8.878258770283413, 20.356047513655188, 59.57106264483344, 81.20619303749137,
        140.4603146774202, 168.5154665035233}},
      // Up by 8/3 in both directions, with negative values.
      {{3, 3},
       {0.5, -1, 2, 3, 0.25, -2, 1, 1.5, -0.5},
       8,
       8,
       {0.5,           0.40625,       -0.15625,      -0.71875,      -0.4375,       0.6875,
        1.8125,        2.0,           0.65625,       0.5576171875,  -0.0341796875, -0.6259765625,
        -0.4208984375, 0.5810546875,  1.5830078125,  1.75,          1.59375,       1.4658203125,
        0.6982421875,  -0.0693359375, -0.3212890625, -0.0576171875, 0.2060546875,  0.25,
        2.53125,       2.3740234375,  1.4306640625,  0.4873046875,  -0.2216796875, -0.6962890625,
        -1.1708984375, -1.25,         2.625,         2.4912109375,  1.6884765625,  0.8857421875,
        0.0712890625,  -0.7548828125, -1.5810546875, -1.71875,      1.875,         1.8173828125,
        1.4716796875,  1.1259765625,  0.5576171875,  -0.2333984375, -1.0244140625, -1.15625,
        1.125,         1.1435546875,  1.2548828125,  1.3662109375,  1.0439453125,  0.2880859375,
        -0.4677734375, -0.59375,      1.0,           1.03125,       1.21875,       1.40625,
        1.125,         0.375,         -0.375,        -0.5}},
  };
}

TEST(ResizeBilinear, MatchesTorchInterpolate) {
  for (const ResizeCase& c : torch_resize_cases()) {
    SCOPED_TRACE(::testing::PrintToString(c.in));
    for (DType dt : {kFloat64, kFloat32}) {
      // float32: the weights and the two-term sums round to float.
      const double tol = dt == kFloat64 ? 1e-12 : 2e-5;
      const Tensor x = tensor(c.x, {1, 1, c.in[0], c.in[1]}, dt);
      const Tensor y = data::resize_bilinear(x, c.height, c.width);
      EXPECT_EQ(y.shape(), (Shape{1, 1, c.height, c.width}));
      EXPECT_EQ(y.dtype(), dt);
      EXPECT_TRUE(test::values_near(y, c.y, tol, dt == kFloat64 ? 0.0 : 1e-6));
    }
  }
}

TEST(ResizeBilinear, PlanesIndependentAndShapes) {
  test::reseed(40);
  // [2, 3, 5, 7]: every plane is resized alone, as a [5, 7] input would be.
  const Tensor x = test::uniform({2, 3, 5, 7});
  const Tensor y = data::resize_bilinear(x, 9, 4);
  ASSERT_EQ(y.shape(), (Shape{2, 3, 9, 4}));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      EXPECT_TRUE(
          test::tensors_near(y[n][c], data::resize_bilinear(x[n][c].contiguous(), 9, 4), 1e-15));
  // The same size is the identity; a constant image stays constant.
  EXPECT_TRUE(test::tensors_near(data::resize_bilinear(x, 5, 7), x, 1e-15));
  const Tensor k = data::resize_bilinear(full({1, 4, 4}, 0.3), 28, 3);
  EXPECT_TRUE(test::tensors_near(k, full({1, 28, 3}, 0.3), 1e-7));
  // A 1 x 1 image is replicated to any size.
  EXPECT_TRUE(test::tensors_near(data::resize_bilinear(full({1, 1}, 2.5, kFloat64), 3, 2),
                                 full({3, 2}, 2.5, kFloat64), 0.0));
  const Tensor img = test::uniform({1, 1, 28, 28}, 0.0, 1.0, kFloat32);
  const Tensor big = data::resize_bilinear(img, 224, 224);
  ASSERT_EQ(big.shape(), (Shape{1, 1, 224, 224}));
  // 28 to 224 (what the alexnet example does to Fashion-MNIST): output 8i + 4
  // samples the input at i + 1/16 in each direction, 15/16 of pixel i and 1/16
  // of pixel i + 1.
  for (int64_t i = 1; i < 27; ++i) {
    const double a = img[0][0][i][i].item(), b = img[0][0][i][i + 1].item();
    const double c = img[0][0][i + 1][i].item(), d = img[0][0][i + 1][i + 1].item();
    const double want = (15.0 * 15 * a + 15.0 * b + 15.0 * c + d) / 256;  // at (i + 1/16)²
    EXPECT_NEAR(big[0][0][8 * i + 4][8 * i + 4].item(), want, 1e-6);
  }
  // Empty batches resize to empty batches.
  EXPECT_EQ(data::resize_bilinear(zeros({0, 3, 4, 4}), 2, 2).shape(), (Shape{0, 3, 2, 2}));
}

TEST(ResizeBilinear, Derivatives) {
  test::reseed(41);
  const Tensor x = test::leaf(test::uniform({2, 1, 3, 4}));
  EXPECT_TRUE(
      test::derivatives_ok([](const auto& v) { return data::resize_bilinear(v[0], 5, 2); }, {x}));
  EXPECT_TRUE(
      test::derivatives_ok([](const auto& v) { return data::resize_bilinear(v[0], 2, 7); }, {x}));
}

TEST(ResizeBilinear, BadInput) {
  EXPECT_THROWS_WITH(data::resize_bilinear(zeros({4}), 2, 2), "resize_bilinear", "[4]",
                     "[..., H, W]");
  EXPECT_THROWS_WITH(data::resize_bilinear(zeros({2, 2}, kInt64), 2, 2), "resize_bilinear",
                     "int64");
  EXPECT_THROWS_WITH(data::resize_bilinear(zeros({1, 3, 0, 4}), 2, 2), "resize_bilinear",
                     "[1, 3, 0, 4]", "empty");
  EXPECT_THROWS_WITH(data::resize_bilinear(zeros({1, 3, 4, 4}), 0, 2), "resize_bilinear",
                     "positive", "0 x 2");
  EXPECT_THROWS_WITH(data::resize_bilinear(Tensor(), 2, 2), "resize_bilinear", "undefined");
}

// ---- random crop and flip -----------------------------------------------------------

// N images [C=2, H=5, W=6] whose pixels are all distinct and non-zero.
Tensor distinct_images(int64_t n) {
  return arange(1, static_cast<double>(n * 2 * 5 * 6 + 1), 1, kFloat64).reshape({n, 2, 5, 6});
}

// The shift (dy, dx) with y[h, w] = x[h + dy, w + dx] (0 outside) for image n,
// or nullopt if no shift in [-p, p] explains y.
std::optional<std::pair<int, int>> find_shift(const Tensor& x, const Tensor& y, int64_t n, int p) {
  const Tensor xi = x[n], yi = y[n];
  for (int dy = -p; dy <= p; ++dy) {
    for (int dx = -p; dx <= p; ++dx) {
      bool ok = true;
      for (int64_t c = 0; c < 2 && ok; ++c)
        for (int64_t h = 0; h < 5 && ok; ++h)
          for (int64_t w = 0; w < 6 && ok; ++w) {
            const int64_t sh = h + dy, sw = w + dx;
            const double want = sh >= 0 && sh < 5 && sw >= 0 && sw < 6 ? xi[c][sh][sw].item() : 0.0;
            ok = yi[c][h][w].item() == want;
          }
      if (ok) return std::make_pair(dy, dx);
    }
  }
  return std::nullopt;
}

TEST(RandomCrop, EveryImageIsAShiftWithinThePadding) {
  Tensor x = distinct_images(40);
  Generator g(11);
  Tensor y = data::random_crop(x, 2, g);
  EXPECT_EQ(y.shape(), x.shape());
  std::set<std::pair<int, int>> shifts;
  for (int64_t n = 0; n < 40; ++n) {
    const auto s = find_shift(x, y, n, 2);
    ASSERT_TRUE(s.has_value()) << "image " << n << " is not a shifted copy";
    shifts.insert(*s);
  }
  EXPECT_GT(shifts.size(), 10u);  // 25 possible shifts; 40 draws hit many of them
  // Padding 0 is the identity; the same generator state gives the same crops.
  Generator g0(1);
  EXPECT_TRUE(test::tensors_near(data::random_crop(x, 0, g0), x, 0));
  Generator a(5), b(5);
  EXPECT_TRUE(test::tensors_near(data::random_crop(x, 3, a), data::random_crop(x, 3, b), 0));
  // A padding larger than the image can shift it out entirely: zeros, no crash.
  Generator big(2);
  EXPECT_EQ(data::random_crop(x, 50, big).shape(), x.shape());
  EXPECT_THROWS_WITH(data::random_crop(zeros({2, 3}), 1, g), "random_crop", "[N, C, H, W]");
  EXPECT_THROWS_WITH(data::random_crop(x, -1, g), "random_crop", "padding");
}

TEST(RandomFlip, FlipsAboutHalfAndOnlyMirrors) {
  Tensor x = distinct_images(200).to(kFloat32);
  Generator g(3);
  Tensor y = data::random_horizontal_flip(x, g);
  int flipped = 0;
  for (int64_t n = 0; n < 200; ++n) {
    const std::vector<float> a = x[n].to_vector<float>();
    const std::vector<float> b = y[n].to_vector<float>();
    bool same = a == b, mirrored = true;
    for (int64_t r = 0; r < 10; ++r)
      for (int64_t w = 0; w < 6; ++w) mirrored &= b[r * 6 + w] == a[r * 6 + (5 - w)];
    EXPECT_TRUE(same != mirrored) << "image " << n;
    flipped += mirrored;
  }
  EXPECT_NEAR(flipped, 100, 35);  // binomial(200, 0.5): sd 7
  Generator g1(3);
  EXPECT_TRUE(test::tensors_near(data::random_horizontal_flip(x, g1, 0.0), x, 0));
  Generator g2(3);
  Tensor all = data::random_horizontal_flip(x, g2, 1.0);
  EXPECT_EQ(all[7][1][4][0].item(), x[7][1][4][5].item());
  EXPECT_THROWS_WITH(data::random_horizontal_flip(x, g, 1.5), "random_horizontal_flip", "p");
}

// ---- train/validation split -------------------------------------------------------------

TEST(TrainValSplit, PartitionDeterministicAndSized) {
  const data::SplitIndices s = data::train_val_split(100, 0.2, 9);
  EXPECT_EQ(s.val.size(), 20u);
  EXPECT_EQ(s.train.size(), 80u);
  std::set<int64_t> all(s.train.begin(), s.train.end());
  all.insert(s.val.begin(), s.val.end());
  EXPECT_EQ(all.size(), 100u);  // disjoint and complete
  EXPECT_TRUE(std::is_sorted(s.val.begin(), s.val.end()));
  EXPECT_EQ(data::train_val_split(100, 0.2, 9).val, s.val);
  EXPECT_NE(data::train_val_split(100, 0.2, 10).val, s.val);
  EXPECT_NE(s.val,
            (std::vector<int64_t>{80, 81, 82, 83, 84, 85, 86, 87, 88, 89,
                                  90, 91, 92, 93, 94, 95, 96, 97, 98, 99}));  // not just the tail
  EXPECT_EQ(data::train_val_split(10, 0.0, 1).val.size(), 0u);
  EXPECT_EQ(data::train_val_split(10, 1.0, 1).train.size(), 0u);
  EXPECT_THROWS_WITH(data::train_val_split(10, 1.5, 1), "train_val_split", "val_fraction");

  data::TensorDataset d(arange(10).reshape({10, 1}), arange(10, kInt64));
  auto [train, val] = data::train_val_split(d, 0.3, 4);
  EXPECT_EQ(train.size(), 7);
  EXPECT_EQ(val.size(), 3);
  const data::SplitIndices idx = data::train_val_split(10, 0.3, 4);
  EXPECT_EQ(val.target().to_vector<int64_t>(), idx.val);
  EXPECT_TRUE(test::values_near(val.data(),
                                {static_cast<double>(idx.val[0]), static_cast<double>(idx.val[1]),
                                 static_cast<double>(idx.val[2])},
                                0));
}

// ---- bootstrap ----------------------------------------------------------------------------

TEST(Bootstrap, AccuracyIntervalMatchesTheNormalApproximation) {
  // 10000 predictions, 85% correct: the 95% interval is about
  // 0.85 +- 1.96 sqrt(0.85 * 0.15 / 10000) = 0.85 +- 0.0070.
  std::vector<double> correct(10000, 0.0);
  for (size_t i = 0; i < correct.size(); ++i) correct[i] = i % 20 < 17 ? 1.0 : 0.0;
  const data::ConfidenceInterval ci = data::bootstrap_ci(correct, 2000, 0.95, 1);
  EXPECT_DOUBLE_EQ(ci.estimate, 0.85);
  EXPECT_EQ(ci.resamples, 2000);
  EXPECT_EQ(ci.confidence, 0.95);
  EXPECT_LT(ci.lower, ci.estimate);
  EXPECT_GT(ci.upper, ci.estimate);
  const double half = 1.96 * std::sqrt(0.85 * 0.15 / 10000);
  // Bootstrap quantiles from 2000 resamples scatter by a few percent of the width.
  EXPECT_NEAR(ci.upper - ci.lower, 2 * half, 0.15 * 2 * half);
  EXPECT_NEAR((ci.upper + ci.lower) / 2, 0.85, 0.15 * half);
  // Seeded, and the tensor and metric-function forms agree with it exactly.
  const data::ConfidenceInterval again = data::bootstrap_ci(correct, 2000, 0.95, 1);
  EXPECT_EQ(again.lower, ci.lower);
  EXPECT_EQ(again.upper, ci.upper);
  const data::ConfidenceInterval t = data::bootstrap_ci(tensor(correct), 2000, 0.95, 1);
  EXPECT_EQ(t.lower, ci.lower);
  const data::ConfidenceInterval m = data::bootstrap_ci(
      10000,
      [&](const std::vector<int64_t>& idx) {
        double s = 0;
        for (int64_t i : idx) s += correct[static_cast<size_t>(i)];
        return s / static_cast<double>(idx.size());
      },
      2000, 0.95, 1);
  EXPECT_NEAR(m.lower, ci.lower, 1e-12);
  EXPECT_NEAR(m.upper, ci.upper, 1e-12);
  EXPECT_DOUBLE_EQ(m.estimate, 0.85);
  // A wider confidence gives a wider interval.
  const data::ConfidenceInterval w = data::bootstrap_ci(correct, 2000, 0.99, 1);
  EXPECT_GT(w.upper - w.lower, ci.upper - ci.lower);
}

TEST(Bootstrap, DegenerateAndBadInput) {
  const data::ConfidenceInterval ci = data::bootstrap_ci(std::vector<double>(50, 1.0), 100);
  EXPECT_EQ(ci.estimate, 1.0);
  EXPECT_EQ(ci.lower, 1.0);
  EXPECT_EQ(ci.upper, 1.0);
  EXPECT_THROWS_WITH(data::bootstrap_ci(std::vector<double>{}), "bootstrap_ci", "at least one");
  EXPECT_THROWS_WITH(data::bootstrap_ci(std::vector<double>{1}, 0), "resamples");
  EXPECT_THROWS_WITH(data::bootstrap_ci(std::vector<double>{1}, 10, 1.0), "confidence");
  EXPECT_THROWS_WITH(data::bootstrap_ci(zeros({2, 2})), "1-D");
}

TEST(Bootstrap, ASampleForBaggingAndItsOutOfBagExamples) {
  const int64_t n = 10000;
  const data::BootstrapSample a = data::bootstrap_sample(n, 7, 0);
  ASSERT_EQ(a.indices.size(), static_cast<size_t>(n));
  std::vector<int> count(n, 0);
  for (int64_t i : a.indices) {
    ASSERT_TRUE(i >= 0 && i < n);
    ++count[static_cast<size_t>(i)];
  }
  // Out of bag: exactly the examples never drawn, increasing; about n/e of them.
  std::vector<int64_t> never;
  for (int64_t i = 0; i < n; ++i)
    if (count[static_cast<size_t>(i)] == 0) never.push_back(i);
  EXPECT_EQ(a.out_of_bag, never);
  EXPECT_NEAR(static_cast<double>(a.out_of_bag.size()) / n, std::exp(-1.0), 0.015);
  // The same (n, seed, member) gives the same sample; another member another one.
  EXPECT_EQ(data::bootstrap_sample(n, 7, 0).indices, a.indices);
  EXPECT_NE(data::bootstrap_sample(n, 7, 1).indices, a.indices);
  EXPECT_NE(data::bootstrap_sample(n, 8, 0).indices, a.indices);
  EXPECT_THROWS_WITH(data::bootstrap_sample(0, 1), "bootstrap_sample", "at least one");
  EXPECT_THROWS_WITH(data::bootstrap_sample(5, 1, -1), "bootstrap_sample", "member");
}

}  // namespace
}  // namespace gpunn
