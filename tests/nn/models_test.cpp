// Ready-made models: output shapes, layer shapes and parameter counts from
// nn::summary, and bad arguments.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

TEST(Models, AlexNetShapesAndParameterCount) {
  auto net = models::alexnet();
  const nn::ModelSummary s = nn::summary(*net, {2, 3, 224, 224});
  // 23,296 + 307,392 + 663,936 + 884,992 + 590,080 (convolutions)
  // + 37,752,832 + 16,781,312 + 4,097,000 (fully connected).
  EXPECT_EQ(s.total_parameters, 61100840);
  EXPECT_EQ(net->num_parameters(), 61100840);
  ASSERT_FALSE(s.layers.empty());
  EXPECT_EQ(s.layers.back().output_shape, (Shape{2, 1000}));
  // The feature stack ends at [2, 256, 6, 6] (the last max-pool, layer 12).
  EXPECT_EQ(s.layers[12].type, "MaxPool2d");
  EXPECT_EQ(s.layers[12].output_shape, (Shape{2, 256, 6, 6}));
  EXPECT_EQ(s.layers[0].output_shape, (Shape{2, 64, 55, 55}));
  EXPECT_EQ(s.layers[2].output_shape, (Shape{2, 64, 27, 27}));
  EXPECT_EQ(s.layers[5].output_shape, (Shape{2, 192, 13, 13}));
  EXPECT_EQ(s.layers[14].type, "Dropout");
  EXPECT_EQ(s.layers[15].output_shape, (Shape{2, 4096}));
}

TEST(Models, FashionCnnShapes) {
  auto net = models::fashion_cnn();
  const nn::ModelSummary s = nn::summary(*net, {3, 1, 28, 28});
  ASSERT_EQ(s.layers.size(), 10u);
  const std::vector<Shape> expected = {
      {3, 32, 28, 28}, {3, 32, 28, 28}, {3, 32, 14, 14}, {3, 64, 14, 14}, {3, 64, 14, 14},
      {3, 64, 7, 7},   {3, 3136},       {3, 128},        {3, 128},        {3, 10}};
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(s.layers[i].output_shape, expected[i]) << "layer " << i;
  EXPECT_EQ(s.total_parameters, 832 + 51264 + 401536 + 1290);
  // The forward pass itself (not only the summary's) gives logits per image.
  Tensor y = (*net)(zeros({5, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{5, 10}));
}

TEST(Models, FashionMlpShapes) {
  auto net = models::fashion_mlp(7);
  const nn::ModelSummary s = nn::summary(*net, {4, 1, 28, 28});
  EXPECT_EQ(s.layers.back().output_shape, (Shape{4, 7}));
  EXPECT_EQ(s.total_parameters, 784 * 256 + 256 + 256 * 128 + 128 + 128 * 7 + 7);
  EXPECT_EQ(models::fashion_mlp()->num_parameters(), 235146);
}

TEST(Models, LeNet5ShapesAndParameterCount) {
  auto net = models::lenet5();
  const nn::ModelSummary s = nn::summary(*net, {2, 1, 28, 28});
  ASSERT_EQ(s.layers.size(), 12u);
  EXPECT_EQ(s.layers[2].output_shape, (Shape{2, 6, 14, 14}));
  EXPECT_EQ(s.layers[3].output_shape, (Shape{2, 16, 10, 10}));
  EXPECT_EQ(s.layers[5].output_shape, (Shape{2, 16, 5, 5}));
  EXPECT_EQ(s.layers[6].output_shape, (Shape{2, 400}));
  EXPECT_EQ(s.layers.back().output_shape, (Shape{2, 10}));
  // 156 + 2,416 (convolutions) + 48,120 + 10,164 + 850 (fully connected).
  EXPECT_EQ(s.total_parameters, 61706);
  EXPECT_EQ(net->num_parameters(), 61706);
  EXPECT_EQ(models::lenet5(5)->num_parameters(), 61706 - 850 + 84 * 5 + 5);
  Tensor y = (*net)(zeros({3, 1, 28, 28}));
  EXPECT_EQ(y.shape(), (Shape{3, 10}));
}

TEST(Models, SpiralMlpShapesAndParameterCount) {
  auto net = models::spiral_mlp();
  EXPECT_EQ(net->num_parameters(), 2 * 100 + 100 + 100 * 3 + 3);
  EXPECT_EQ((*net)(zeros({300, 2})).shape(), (Shape{300, 3}));
  EXPECT_EQ(models::spiral_mlp(7, 4)->num_parameters(), 2 * 7 + 7 + 7 * 4 + 4);
}

TEST(Models, BadArguments) {
  EXPECT_TRUE(test::throws_with([] { (void)models::lenet5(0); }, {"models::lenet5"}));
  EXPECT_TRUE(
      test::throws_with([] { (void)models::spiral_mlp(0); }, {"models::spiral_mlp", "hidden"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::alexnet(0); }, {"models::alexnet"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::alexnet(1000, 1.0); }, {"dropout"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::fashion_cnn(-1); }, {"num_classes"}));
  EXPECT_TRUE(test::throws_with([] { (void)models::fashion_mlp(0); }, {"fashion_mlp"}));
}

}  // namespace
}  // namespace gpunn
