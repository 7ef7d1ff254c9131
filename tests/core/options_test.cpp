// Every public options struct is an aggregate that takes C++20 designated initializers,
// with a default for every member (so leaving members out draws no
// -Wmissing-field-initializers, which this build treats as an error in CI): the
// README's `optim::AdamW opt(params, {.lr = 1e-3})` style works for each. A struct that
// gains a constructor, a base class or a member without a default fails here.
#include <gpunn/gpunn.h>
#include <gpunn/testing/gradcheck.h>
#include <gtest/gtest.h>

#include <type_traits>

namespace gpunn {
namespace {

static_assert(std::is_aggregate_v<data::DataLoaderOptions>);
static_assert(std::is_aggregate_v<nn::Conv2dOptions>);
static_assert(std::is_aggregate_v<nn::ConvTranspose2dOptions>);
static_assert(std::is_aggregate_v<nn::BatchNormOptions>);
static_assert(std::is_aggregate_v<nn::RnnOptions>);
static_assert(std::is_aggregate_v<Conv2dFuncOptions>);
static_assert(std::is_aggregate_v<ConvTranspose2dFuncOptions>);
static_assert(std::is_aggregate_v<NllLossOptions>);
static_assert(std::is_aggregate_v<CrossEntropyOptions>);
static_assert(std::is_aggregate_v<MultiMarginLossOptions>);
static_assert(std::is_aggregate_v<BceWithLogitsOptions>);
static_assert(std::is_aggregate_v<BatchNormFuncOptions>);
static_assert(std::is_aggregate_v<Pool2dOptions>);
static_assert(std::is_aggregate_v<optim::SGDOptions>);
static_assert(std::is_aggregate_v<optim::AdamOptions>);
static_assert(std::is_aggregate_v<optim::AdamWOptions>);
static_assert(std::is_aggregate_v<optim::RMSpropOptions>);
static_assert(std::is_aggregate_v<optim::OneCycleOptions>);
static_assert(std::is_aggregate_v<testing::GradcheckOptions>);
static_assert(std::is_aggregate_v<SgdStep>);
static_assert(std::is_aggregate_v<AdamStep>);
static_assert(std::is_aggregate_v<RmspropStep>);

TEST(Options, DesignatedInitializersSetOneMemberAndKeepTheOtherDefaults) {
  const data::DataLoaderOptions loader{.batch_size = 64, .shuffle = true};
  EXPECT_EQ(loader.batch_size, 64);
  EXPECT_TRUE(loader.prefetch);
  const nn::Conv2dOptions conv{.in_channels = 3, .out_channels = 8, .kernel_size = 3};
  EXPECT_EQ(conv.kernel_size.h, 3);
  EXPECT_EQ(conv.stride.w, 1);
  EXPECT_EQ((nn::ConvTranspose2dOptions{.output_padding = 1}).output_padding.w, 1);
  EXPECT_EQ((nn::BatchNormOptions{.momentum = 0.2}).eps, 1e-5);
  EXPECT_EQ((nn::RnnOptions{.hidden_size = 5}).num_layers, 1);
  EXPECT_EQ((Conv2dFuncOptions{.padding = 2}).groups, 1);
  EXPECT_EQ((ConvTranspose2dFuncOptions{.stride = 2}).stride.h, 2);
  EXPECT_EQ((NllLossOptions{.ignore_index = 3}).reduction, Reduction::Mean);
  EXPECT_EQ((CrossEntropyOptions{.label_smoothing = 0.1}).ignore_index, -100);
  EXPECT_EQ((MultiMarginLossOptions{.p = 2}).margin, 1.0);
  EXPECT_FALSE((BceWithLogitsOptions{.reduction = Reduction::Sum}).weight.defined());
  EXPECT_TRUE((BatchNormFuncOptions{.eps = 1e-3}).training);
  EXPECT_EQ((Pool2dOptions{.kernel_size = 2}).stride.h, 0);
  EXPECT_EQ((optim::SGDOptions{.momentum = 0.9}).lr, 0.01);
  EXPECT_EQ((optim::AdamOptions{.lr = 3e-4}).weight_decay, 0.0);
  EXPECT_EQ((optim::RMSpropOptions{.centered = true}).alpha, 0.99);
  EXPECT_EQ((optim::OneCycleOptions{.total_steps = 50}).pct_start, 0.3);
  EXPECT_EQ((testing::GradcheckOptions{.eps = 1e-7}).seed, 1234u);
  EXPECT_EQ((SgdStep{.lr = 0.5}).momentum, 0.0);
  EXPECT_EQ((AdamStep{.step = 3}).beta2, 0.999);
  EXPECT_EQ((RmspropStep{.alpha = 0.9}).eps, 1e-8);
}

// AdamW's own defaults survive designated initializers: weight decay 1e-2, decoupled.
TEST(Options, AdamWTakesDesignatedInitializers) {
  const optim::AdamWOptions o{.lr = 1e-3};
  EXPECT_EQ(o.weight_decay, 1e-2);
  Tensor w = zeros({2}).requires_grad_(true);
  optim::AdamW opt({w}, {.lr = 1e-3, .amsgrad = true});
  EXPECT_STREQ(opt.name(), "adamw");
  EXPECT_EQ(opt.options().weight_decay, 1e-2);
  EXPECT_TRUE(opt.options().amsgrad);
}

}  // namespace
}  // namespace gpunn
