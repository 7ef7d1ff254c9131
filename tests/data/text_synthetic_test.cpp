// The spiral data set and character-level text.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"

namespace gpunn {
namespace {

// ---- spiral ---------------------------------------------------------------------------

TEST(Spiral, NoiselessPointsMatchTheFormula) {
  // Values from Python: r = i / (N - 1), theta = 4k + 4 i / (N - 1), (r sin, r cos).
  data::TensorDataset d = data::spiral(3, 5, /*seed=*/0, /*noise=*/0.0, kFloat64);
  EXPECT_EQ(d.data().shape(), (Shape{15, 2}));
  EXPECT_EQ(d.target().to_vector<int64_t>(),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2}));
  EXPECT_TRUE(
      test::values_near(d.get(1 * 5 + 2).data, {-0.13970774909946293, 0.480085143325183}, 1e-15));
  EXPECT_TRUE(
      test::values_near(d.get(2 * 5 + 4).data, {-0.5365729180004349, 0.8438539587324921}, 1e-15));
  EXPECT_TRUE(
      test::values_near(d.get(0 * 5 + 1).data, {0.21036774620197413, 0.13507557646703494}, 1e-15));
  EXPECT_TRUE(test::values_near(d.get(5).data, {0, 0}, 0));  // r = 0 starts every arm
}

TEST(Spiral, NoiseMovesTheAngleOnly) {
  const int64_t K = 3, N = 2000;
  data::TensorDataset d = data::spiral(K, N, 7, 0.2, kFloat64);
  EXPECT_EQ(d.data().dtype(), kFloat64);
  const std::vector<double> xy = d.data().to_vector<double>();
  double sum = 0, sum2 = 0;
  int64_t count = 0;
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t i = 1; i < N; ++i) {
      const size_t ix = static_cast<size_t>(k * N + i);
      const double r = static_cast<double>(i) / static_cast<double>(N - 1);
      EXPECT_NEAR(std::hypot(xy[2 * ix], xy[2 * ix + 1]), r, 1e-12);
      // The angle's deviation from 4k + 4r, wrapped to (-pi, pi].
      double dev = std::atan2(xy[2 * ix], xy[2 * ix + 1]) - (4.0 * k + 4.0 * r);
      dev = std::remainder(dev, 2 * M_PI);
      sum += dev;
      sum2 += dev * dev;
      ++count;
    }
  }
  const double mean = sum / count, sd = std::sqrt(sum2 / count - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.02);  // 5 standard errors of 0.2 / sqrt(6000)
  EXPECT_NEAR(sd, 0.2, 0.01);
  // Seeded: same seed, same points; another seed, other points.
  EXPECT_TRUE(test::tensors_near(data::spiral(K, N, 7, 0.2, kFloat64).data(), d.data(), 0));
  EXPECT_FALSE(test::tensors_near(data::spiral(K, N, 8, 0.2, kFloat64).data(), d.data(), 0));
  EXPECT_EQ(data::spiral(2, 3, 1).data().dtype(), kFloat32);
}

TEST(Spiral, BadArguments) {
  EXPECT_THROWS_WITH(data::spiral(0, 10, 1), "spiral", "0 classes");
  EXPECT_THROWS_WITH(data::spiral(3, 0, 1), "spiral", "0 points");
  EXPECT_THROWS_WITH(data::spiral(3, 10, 1, -1.0), "spiral", "noise");
  EXPECT_THROWS_WITH(data::spiral(3, 10, 1, 0.2, kInt64), "spiral", "int64");
  EXPECT_EQ(data::spiral(2, 1, 1).size(), 2);  // one point per arm, at the origin
}

// ---- two moons ------------------------------------------------------------------------

TEST(TwoMoons, NoiselessPointsLieOnTheTwoHalfCircles) {
  data::TensorDataset d = data::two_moons(5, /*seed=*/0, /*noise=*/0.0, kFloat64);
  EXPECT_EQ(d.data().shape(), (Shape{10, 2}));
  EXPECT_EQ(d.target().to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  // θ = π/4 (i = 1 of 5): (cos, sin) and (1 - cos, 1/2 - sin).
  const double c = std::sqrt(0.5);
  EXPECT_TRUE(test::values_near(d.get(1).data, {c, c}, 1e-15));
  EXPECT_TRUE(test::values_near(d.get(6).data, {1 - c, 0.5 - c}, 1e-15));
  EXPECT_TRUE(test::values_near(d.get(4).data, {-1, 0}, 1e-15));  // θ = π ends moon 0
  EXPECT_TRUE(test::values_near(d.get(5).data, {0, 0.5}, 0));     // θ = 0 starts moon 1
  EXPECT_TRUE(test::values_near(data::two_moons(1, 0, 0.0, kFloat64).data(), {1, 0, 0, 0.5}, 0));
}

TEST(TwoMoons, NoiseIsGaussianAroundTheCircles) {
  const int64_t N = 4000;
  data::TensorDataset d = data::two_moons(N, 3, 0.1, kFloat64);
  const data::TensorDataset clean = data::two_moons(N, 3, 0.0, kFloat64);
  const std::vector<double> e = (d.data() - clean.data()).to_vector<double>();
  double sum = 0, sum2 = 0;
  for (const double v : e) {
    sum += v;
    sum2 += v * v;
  }
  const double n = static_cast<double>(e.size()), mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 0.01);  // 5 standard errors of 0.1 / sqrt(16000)
  EXPECT_NEAR(std::sqrt(sum2 / n - mean * mean), 0.1, 0.005);
  EXPECT_TRUE(test::tensors_near(data::two_moons(N, 3, 0.1, kFloat64).data(), d.data(), 0));
  EXPECT_FALSE(test::tensors_near(data::two_moons(N, 4, 0.1, kFloat64).data(), d.data(), 0));
  EXPECT_EQ(data::two_moons(3, 1).data().dtype(), kFloat32);
}

TEST(TwoMoons, BadArguments) {
  EXPECT_THROWS_WITH(data::two_moons(0, 1), "two_moons", "got 0");
  EXPECT_THROWS_WITH(data::two_moons(10, 1, -0.5), "two_moons", "noise");
  EXPECT_THROWS_WITH(data::two_moons(10, 1, 0.1, kInt64), "two_moons", "int64");
}

// ---- text -----------------------------------------------------------------------------

TEST(CharVocab, EncodeDecode) {
  data::CharVocab v("hello world");
  EXPECT_EQ(v.size(), 8);
  EXPECT_EQ(v.chars(), " dehlorw");
  EXPECT_EQ(v.encode_ids("hello"), (std::vector<int64_t>{3, 2, 4, 4, 5}));
  Tensor t = v.encode("world");
  EXPECT_EQ(t.dtype(), kInt64);
  EXPECT_EQ(v.decode(t), "world");
  EXPECT_EQ(v.decode(v.encode_ids("hello world")), "hello world");
  EXPECT_TRUE(v.contains('w'));
  EXPECT_FALSE(v.contains('z'));
  EXPECT_THROWS_WITH(v.id('z'), "CharVocab", "'z'", "not in the vocabulary");
  EXPECT_THROWS_WITH(v.id('\n'), "byte 10");
  EXPECT_THROWS_WITH(v.character(8), "id 8");
  EXPECT_THROWS_WITH(v.decode(zeros({2})), "int64", "float32");
}

TEST(CharDataset, SequencesShiftedByOne) {
  data::CharDataset d("abcdefg", 3);  // stride 3: "abc"->"bcd", "def"->"efg"
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.vocab().decode(d.get(0).data), "abc");
  EXPECT_EQ(d.vocab().decode(d.get(0).target), "bcd");
  EXPECT_EQ(d.vocab().decode(d.get(1).data), "def");
  EXPECT_EQ(d.vocab().decode(d.get(1).target), "efg");
  data::CharDataset overlap("abcdefg", 3, 1);
  EXPECT_EQ(overlap.size(), 4);
  data::Batch b = overlap.get_batch({3, 0});
  EXPECT_EQ(b.data.shape(), (Shape{2, 3}));
  EXPECT_EQ(overlap.vocab().decode(b.data), "defabc");
  EXPECT_EQ(overlap.vocab().decode(b.target), "efgbcd");
  EXPECT_EQ(data::CharDataset("abc", 3).size(), 0);  // needs T + 1 characters
  EXPECT_EQ(data::CharDataset("abcd", 3).size(), 1);
  EXPECT_THROWS_WITH(overlap.get(4), "CharDataset::get", "index 4");
  EXPECT_THROWS_WITH(overlap.get_batch({9}), "index 9");
  EXPECT_THROWS_WITH(data::CharDataset("abc", 0), "seq_len");
  // A validation text encoded with the training vocabulary.
  data::CharDataset val("cabca", data::CharVocab("abcd"), 2);
  EXPECT_EQ(val.vocab().size(), 4);
  EXPECT_EQ(val.get(0).data.to_vector<int64_t>(), (std::vector<int64_t>{2, 0}));
  EXPECT_THROWS_WITH(data::CharDataset("cab!", data::CharVocab("abc"), 2), "'!'",
                     "not in the vocabulary");
}

TEST(CharDataset, ProperNamesThroughALoader) {
  const auto path = data::find_propernames();
  if (!path) GTEST_SKIP() << "Debian's miscfiles (/usr/share/dict/propernames) is not installed";
  const std::string text = data::read_text_file(*path);
  data::CharDataset d(text, 8);
  EXPECT_EQ(d.vocab().decode(d.ids()), text);  // encode/decode round trip of the whole file
  EXPECT_TRUE(d.vocab().contains('\n'));
  EXPECT_EQ(d.size(), (static_cast<int64_t>(text.size()) - 9) / 8 + 1);
  data::DataLoader loader(d, {.batch_size = 32, .shuffle = true, .seed = 3});
  int64_t n = 0;
  for (data::Batch& b : loader) {
    EXPECT_EQ(b.data.size(1), 8);
    // target is data shifted by one inside the text.
    const std::vector<int64_t> x = b.data.to_vector<int64_t>();
    const std::vector<int64_t> y = b.target.to_vector<int64_t>();
    for (int64_t r = 0; r < b.size(); ++r)
      for (int64_t t = 0; t + 1 < 8; ++t) EXPECT_EQ(y[r * 8 + t], x[r * 8 + t + 1]);
    n += b.size();
  }
  EXPECT_EQ(n, d.size());
}

}  // namespace
}  // namespace gpunn
