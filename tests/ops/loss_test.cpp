// The loss family: nll_loss, cross_entropy, multiclass_hinge_loss, multi_margin_loss,
// mse_loss, binary_cross_entropy_with_logits, gaussian_kl_divergence, L1/L2 penalties.
//
// Same parts as every op test file (see elementwise_test.cpp): hand-checked
// forward values in float32 and float64; values and gradients against fixed
// float64 references for every option (weights, ignore_index, label smoothing,
// p, margin, the three reductions, the [C] and [N, C, d1] forms); gradient and
// JVP checks in double; edge cases (all targets ignored, empty batches); bad
// input.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/rows.h"
#include "ops/seq.h"
#include "reliability/bad_input.h"
#include "test_util.h"

namespace gpunn {
namespace {

using test::derivatives_ok;
using test::values_near;

// Tolerances against the float64 references: the references and gpunn round
// differently (vectorized exp, summation order), so not bit-exact.
constexpr double kRefAtol = 1e-12;
constexpr double kRefRtol = 1e-10;

// int64 class indices (a plain tensor_from({1, 0}, ...) is ambiguous between
// its int64 and float32 overloads).
Tensor targets(const std::vector<int64_t>& values, const Shape& shape) {
  return tensor_from(values, shape);
}
// A 0-D target, for the one-sample [C] form.
Tensor scalar_target(int64_t y) { return targets({y}, {}); }

class LossTyped : public ::testing::TestWithParam<DType> {};

TEST_P(LossTyped, HandChecked) {
  const DType dt = GetParam();
  const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
  // nll: -logp at the targets.
  Tensor logp = tensor({-1, -2, -3, -4}, {2, 2}, dt);
  Tensor t2 = targets({1, 0}, {2});
  EXPECT_TRUE(values_near(nll_loss(logp, t2), {2.5}, tol));
  EXPECT_TRUE(values_near(nll_loss(logp, t2, {.reduction = Reduction::Sum}), {5}, tol));
  EXPECT_TRUE(values_near(nll_loss(logp, t2, {.reduction = Reduction::None}), {2, 3}, tol));
  // Weighted mean divides by the weights of the targets: (0.5·2 + 2·3) / 2.5.
  EXPECT_TRUE(values_near(nll_loss(logp, t2, {.weight = tensor({2, 0.5}, dt)}), {2.8}, tol));
  // cross_entropy: logits {0, ln 3} give probabilities {1/4, 3/4}.
  Tensor logits = tensor({0, std::log(3.0), 0, std::log(3.0)}, {2, 2}, dt);
  EXPECT_TRUE(values_near(cross_entropy(logits, t2, {.reduction = Reduction::None}),
                          {-std::log(0.75), -std::log(0.25)}, tol));
  // hinge: scores {1, 2, 3}; target 2 has every margin met (2 - 3 + 1 = 0 is
  // no loss), target 0 gives (2 - 1 + 1) + (3 - 1 + 1) = 5.
  Tensor scores = tensor({1, 2, 3, 1, 2, 3}, {2, 3}, dt);
  Tensor t20 = targets({2, 0}, {2});
  EXPECT_TRUE(values_near(multiclass_hinge_loss(scores, t20, 1.0, Reduction::None), {0, 5}, tol));
  EXPECT_TRUE(values_near(multiclass_hinge_loss(scores, t20), {2.5}, tol));
  // PyTorch's multi_margin_loss divides by C = 3; p = 2 squares each term.
  EXPECT_TRUE(values_near(multi_margin_loss(scores, t20), {5.0 / 6}, tol));
  EXPECT_TRUE(values_near(multi_margin_loss(scores, t20, {.p = 2}), {13.0 / 6}, tol));
  // mse: {0, 4, 4}.
  Tensor a = tensor({1, 2, 3}, dt), b = tensor({1, 0, 5}, dt);
  EXPECT_TRUE(values_near(mse_loss(a, b), {8.0 / 3}, tol));
  EXPECT_TRUE(values_near(mse_loss(a, b, Reduction::Sum), {8}, tol));
  EXPECT_TRUE(values_near(mse_loss(a, b, Reduction::None), {0, 4, 4}, tol));
  for (const Tensor& l :
       {nll_loss(logp, t2), cross_entropy(logits, t2), multiclass_hinge_loss(scores, t20),
        multi_margin_loss(scores, t20), mse_loss(a, b)}) {
    EXPECT_EQ(l.dtype(), dt);
    EXPECT_EQ(l.dim(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LossTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// Inputs of the reference cases (shapes given per case).
const std::vector<double> kLogp34 = {-1.2, -0.4, -2.3, -0.9,  -0.05, -3.1,
                                     -1.7, -0.6, -2.2, -0.35, -1.45, -0.8};
const std::vector<double> kLogits43 = {0.3, -1.2, 2.5,  0.0,  1.1, -0.7,
                                       0.9, 3.2,  -2.0, 0.45, 1.6, -0.15};
const std::vector<double> kSpatial = {0.2, -0.5, 1.3,  0.7, -1.1, 0.4,
                                      0.9, -0.3, -0.6, 1.8, 0.05, -0.75};
// No hinge term of these scores sits on its kink for margins 1, 0.6 and 0.7.
const std::vector<double> kScores43 = {0.3, -0.2, 1.75, 0.6,  1.1, -0.4,
                                       0.9, 2.4,  -1.3, 0.45, 1.6, 0.95};
const std::vector<double> kOne = {0.4, -0.3, 1.2};

struct LossCase {
  std::string name;
  std::function<Tensor(const Tensor&)> f;
  const std::vector<double>& x;
  Shape shape;
  Tensor upstream;  // undefined: backward() of the scalar loss
  std::vector<double> y, dx;
};

// Expected values from PyTorch 1.13 in float64: y = F.<loss>(x, target, ...);
// y.backward(upstream) -> y, x.grad. multiclass_hinge_loss is not a PyTorch
// loss: its reference is F.multi_margin_loss(x, target, margin=...) * C (the
// same sum of hinge terms without the division by C), values and gradients.
TEST(Loss, MatchesTorchReference) {
  const Tensor t4 = targets({0, 2, 1, 2}, {4});
  const Tensor w3 = tensor({0.3, 1.2, 0.7}, kFloat64);
  const Tensor w4 = tensor({0.2, 1.0, 0.5, 2.0}, kFloat64);
  const std::vector<LossCase> cases = {
      {"nll mean",
       [&](const Tensor& x) { return nll_loss(x, targets({1, 0, 3}, {3})); },
       kLogp34,
       {3, 4},
       Tensor(),
       {0.4166666666666667},
       {0.0, -0.3333333333333333, 0.0, 0.0, -0.3333333333333333, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        -0.3333333333333333}},
      {"nll sum",
       [&](const Tensor& x) {
         return nll_loss(x, targets({1, 0, 3}, {3}), {.reduction = Reduction::Sum});
       },
       kLogp34,
       {3, 4},
       Tensor(),
       {1.25},
       {0.0, -1.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0}},
      {"nll none",
       [&](const Tensor& x) {
         return nll_loss(x, targets({1, 0, 3}, {3}), {.reduction = Reduction::None});
       },
       kLogp34,
       {3, 4},
       tensor({0.5, -1.0, 2.0}, {3}, kFloat64),
       {0.4, 0.05, 0.8},
       {0.0, -0.5, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.0}},
      {"nll weighted mean",
       [&](const Tensor& x) { return nll_loss(x, targets({1, 0, 3}, {3}), {.weight = w4}); },
       kLogp34,
       {3, 4},
       Tensor(),
       {0.628125},
       {0.0, -0.3125, 0.0, 0.0, -0.0625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.625}},
      {"nll weighted sum",
       [&](const Tensor& x) {
         return nll_loss(x, targets({1, 0, 3}, {3}), {.weight = w4, .reduction = Reduction::Sum});
       },
       kLogp34,
       {3, 4},
       Tensor(),
       {2.0100000000000002},
       {0.0, -1.0, 0.0, 0.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.0}},
      {"nll weighted none",
       [&](const Tensor& x) {
         return nll_loss(x, targets({1, 0, 3}, {3}), {.weight = w4, .reduction = Reduction::None});
       },
       kLogp34,
       {3, 4},
       tensor({0.5, -1.0, 2.0}, {3}, kFloat64),
       {0.4, 0.010000000000000002, 1.6},
       {0.0, -0.5, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -4.0}},
      {"nll ignore -100 mean",
       [&](const Tensor& x) { return nll_loss(x, targets({1, -100, 3}, {3})); },
       kLogp34,
       {3, 4},
       Tensor(),
       {0.6000000000000001},
       {0.0, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5}},
      {"nll ignore 0 weighted mean",
       [&](const Tensor& x) {
         return nll_loss(x, targets({1, 0, 3}, {3}), {.weight = w4, .ignore_index = 0});
       },
       kLogp34,
       {3, 4},
       Tensor(),
       {0.6666666666666666},
       {0.0, -0.3333333333333333, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        -0.6666666666666666}},
      {"nll spatial weighted mean",
       [&](const Tensor& x) { return nll_loss(x, targets({0, 2, 1, 1}, {2, 2}), {.weight = w3}); },
       kSpatial,
       {2, 3, 2},
       Tensor(),
       {-0.523529411764706},
       {-0.08823529411764708, 0.0, 0.0, 0.0, 0.0, -0.20588235294117652, 0.0, 0.0,
        -0.3529411764705883, -0.3529411764705883, 0.0, 0.0}},
      {"nll spatial none",
       [&](const Tensor& x) {
         return nll_loss(x, targets({0, 2, 1, -100}, {2, 2}), {.reduction = Reduction::None});
       },
       kSpatial,
       {2, 3, 2},
       tensor({0.5, -1.0, 2.0, 1.5}, {2, 2}, kFloat64),
       {-0.2, -0.4, 0.6, 0.0},
       {-0.5, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0}},
      {"nll 1-D",
       [&](const Tensor& x) { return nll_loss(x, scalar_target(2)); },
       kOne,
       {3},
       Tensor(),
       {-1.2},
       {0.0, 0.0, -1.0}},
      {"nll 1-D weighted sum",
       [&](const Tensor& x) {
         return nll_loss(x, scalar_target(2), {.weight = w3, .reduction = Reduction::Sum});
       },
       kOne,
       {3},
       Tensor(),
       {-0.84},
       {0.0, 0.0, -0.7}},
      {"ce mean",
       [&](const Tensor& x) { return cross_entropy(x, t4); },
       kLogits43,
       {4, 3},
       Tensor(),
       {1.6952348678073192},
       {-0.22560533806859384, 0.005443184823521463, 0.22016215324507235, 0.05554628145289121,
        0.1668702514973417, -0.2224165329502329, 0.022667090212090093, -0.02391430650486842,
        0.0012472162927782678, 0.05311233451514988, 0.16773899828281746, -0.22085133279796737}},
      {"ce sum",
       [&](const Tensor& x) { return cross_entropy(x, t4, {.reduction = Reduction::Sum}); },
       kLogits43,
       {4, 3},
       Tensor(),
       {6.780939471229277},
       {-0.9024213522743754, 0.021772739294085852, 0.8806486129802894, 0.22218512581156483,
        0.6674810059893668, -0.8896661318009316, 0.09066836084836037, -0.09565722601947368,
        0.004988865171113071, 0.2124493380605995, 0.6709559931312699, -0.8834053311918695}},
      {"ce none",
       [&](const Tensor& x) { return cross_entropy(x, t4, {.reduction = Reduction::None}); },
       kLogits43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {2.327096582800486, 2.204244344559238, 0.10054681570132279, 2.1490517281682298},
       {-0.4512106761371877, 0.010886369647042926, 0.4403243064901447, -0.22218512581156483,
        -0.6674810059893668, 0.8896661318009316, 0.18133672169672074, -0.19131445203894737,
        0.009977730342226142, 0.31867400709089927, 1.0064339896969048, -1.325107996787804}},
      {"ce weighted mean",
       [&](const Tensor& x) { return cross_entropy(x, t4, {.weight = w3}); },
       kLogits43,
       {4, 3},
       Tensor(),
       {1.3331353119279177},
       {-0.09335393299390092, 0.0022523523407675023, 0.09110158065313341, 0.05363089243727428,
        0.16111610489398512, -0.21474699733125938, 0.0375179424200112, -0.03958230042185119,
        0.002064358001839892, 0.05128087470428265, 0.1619548948937548, -0.2132357695980375}},
      {"ce weighted sum",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.weight = w3, .reduction = Reduction::Sum});
       },
       kLogits43,
       {4, 3},
       Tensor(),
       {3.866092404590961},
       {-0.2707264056823126, 0.006531821788225756, 0.2641945838940868, 0.15552958806809536,
        0.4672367041925567, -0.622766292260652, 0.10880203301803244, -0.11478867122336842,
        0.005986638205335685, 0.14871453664241965, 0.4696691951918889, -0.6183837318343086}},
      {"ce weighted none",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.weight = w3, .reduction = Reduction::None});
       },
       kLogits43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {0.6981289748401458, 1.5429710411914666, 0.12065617884158734, 1.5043362097177608},
       {-0.1353632028411563, 0.003265910894112878, 0.1320972919470434, -0.15552958806809536,
        -0.4672367041925567, 0.622766292260652, 0.21760406603606489, -0.22957734244673683,
        0.01197327641067137, 0.22307180496362944, 0.7045037927878333, -0.9275755977514628}},
      {"ce ignore -100 mean",
       [&](const Tensor& x) { return cross_entropy(x, targets({0, -100, 1, 2}, {4})); },
       kLogits43,
       {4, 3},
       Tensor(),
       {1.5255650422233462},
       {-0.30080711742479177, 0.007257579764695284, 0.29354953766009645, 0.0, 0.0, 0.0,
        0.030222786949453455, -0.031885742006491226, 0.0016629550570376904, 0.07081644602019983,
        0.22365199771042327, -0.29446844373062314}},
      {"ce ignore 2 weighted mean",
       [&](const Tensor& x) { return cross_entropy(x, t4, {.weight = w3, .ignore_index = 2}); },
       kLogits43,
       {4, 3},
       Tensor(),
       {0.5458567691211554},
       {-0.18048427045487506, 0.0043545478588171704, 0.17612972259605786, 0.0, 0.0, 0.0,
        0.07253468867868829, -0.07652578081557894, 0.003991092136890456, 0.0, 0.0, 0.0}},
      {"ce smoothing mean",
       [&](const Tensor& x) { return cross_entropy(x, t4, {.label_smoothing = 0.1}); },
       kLogits43,
       {4, 3},
       Tensor(),
       {1.7114848678073193},
       {-0.20893867140192718, -0.00289014850981187, 0.21182881991173902, 0.047212948119557875,
        0.15853691816400836, -0.20574986628356623, 0.01433375687875676, -0.007247639838201758,
        -0.007086117040555066, 0.04477900118181655, 0.15940566494948413, -0.2041846661313007}},
      {"ce smoothing sum",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.label_smoothing = 0.1, .reduction = Reduction::Sum});
       },
       kLogits43,
       {4, 3},
       Tensor(),
       {6.845939471229277},
       {-0.8357546856077087, -0.01156059403924748, 0.8473152796469561, 0.1888517924782315,
        0.6341476726560334, -0.8229994651342649, 0.05733502751502704, -0.028990559352807033,
        -0.028344468162220263, 0.1791160047272662, 0.6376226597979365, -0.8167386645252028}},
      {"ce smoothing none",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.label_smoothing = 0.1, .reduction = Reduction::None});
       },
       kLogits43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {2.3037632494671527, 2.1209110112259046, 0.3505468157013228, 2.0707183948348966},
       {-0.41787734280385436, -0.00578029701962374, 0.42365763982347804, -0.1888517924782315,
        -0.6341476726560334, 0.8229994651342649, 0.11467005503005408, -0.057981118705614065,
        -0.056688936324440525, 0.26867400709089934, 0.956433989696905, -1.2251079967878042}},
      {"ce smoothing weighted mean",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.weight = w3, .label_smoothing = 0.25});
       },
       kLogits43,
       {4, 3},
       Tensor(),
       {1.4268074275293983},
       {-0.07246737431449539, -0.03141705682353388, 0.10388443113802928, 0.0456486657873075,
        0.12855139514108097, -0.1742000609283885, 0.02524967502955992, -0.006998389030263147,
        -0.01825128599929684, 0.04327067165273264, 0.12940017073608603, -0.17267084238881872}},
      {"ce smoothing weighted sum",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.weight = w3, .label_smoothing = 0.25, .reduction =
             Reduction::Sum});
       },
       kLogits43,
       {4, 3},
       Tensor(),
       {4.137741539835254},
       {-0.21015538551203658, -0.09110946478824827, 0.3012648503002848, 0.13238113078319175,
        0.37279904590913476, -0.5051801766923264, 0.07322405758572373, -0.020295328187763115,
        -0.05292872939796083, 0.12548494779292463, 0.37526049513464943, -0.5007454429275742}},
      {"ce smoothing weighted none",
       [&](const Tensor& x) {
         return cross_entropy(x, t4, {.weight = w3, .label_smoothing = 0.25, .reduction =
             Reduction::None});
       },
       kLogits43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {0.9718977713101984, 1.3638397440627934, 0.46975905034309967, 1.3322449741191627},
       {-0.10507769275601829, -0.04555473239412414, 0.1506324251501424, -0.13238113078319175,
        -0.37279904590913476, 0.5051801766923264, 0.14644811517144746, -0.04059065637552623,
        -0.10585745879592166, 0.188227421689387, 0.5628907427019743, -0.7511181643913613}},
      {"ce smoothing weighted ignore mean",
       [&](const Tensor& x) {
         return cross_entropy(x, targets({0, -100, 1, 2}, {4}), {.weight = w3, .label_smoothing =
             0.25});
       },
       kLogits43,
       {4, 3},
       Tensor(),
       {1.260864452623846},
       {-0.09552517523274391, -0.04141339308556739, 0.1369385683183113, 0.0, 0.0, 0.0,
        0.033283662538965336, -0.009225149176256015, -0.024058513362709467, 0.05703861263314757,
        0.17057295233393158, -0.22761156496707918}},
      {"ce smoothing ignore none",
       [&](const Tensor& x) {
         return cross_entropy(x, targets({0, -100, 1, 2}, {4}), {.label_smoothing = 0.1, .reduction
             = Reduction::None});
       },
       kLogits43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {2.3037632494671527, 0.0, 0.3505468157013228, 2.0707183948348966},
       {-0.41787734280385436, -0.00578029701962374, 0.42365763982347804, 0.0, 0.0, 0.0,
        0.11467005503005408, -0.057981118705614065, -0.056688936324440525, 0.26867400709089934,
        0.956433989696905, -1.2251079967878042}},
      {"ce spatial weighted smoothing mean",
       [&](const Tensor& x) {
         return cross_entropy(x, targets({0, 2, 1, 1}, {2, 2}), {.weight = w3, .label_smoothing =
             0.1});
       },
       kSpatial,
       {2, 3, 2},
       Tensor(),
       {1.1071951232380965},
       {-0.05874117422956955, 0.02757081282452738, 0.059168962144868595, 0.0895386661227168,
        -0.00042778791529903806, -0.11710947894724416, 0.2025761934568869, 0.03165925940676539,
        -0.2835546410406808, -0.0468587262825109, 0.08097844758379386, 0.015199466875745476}},
      {"ce spatial none",
       [&](const Tensor& x) {
         return cross_entropy(x, targets({0, 2, 1, 1}, {2, 2}), {.reduction = Reduction::None});
       },
       kSpatial,
       {2, 3, 2},
       tensor({0.5, -1.0, 2.0, 1.5}, {2, 2}, kFloat64),
       {1.4531811737163334, 1.013935808163665, 2.0011055922027823, 0.18276986816583857},
       {-0.3830873675444706, -0.14749871602378162, 0.3512249581930386, -0.4897129831524697,
        0.03186240935143193, 0.6372116991762513, 1.2117209093989862, 0.15300192743454058,
        -1.7296285194306031, -0.2505602636191954, 0.5179076100316169, 0.09755833618465484}},
      {"ce 1-D",
       [&](const Tensor& x) { return cross_entropy(x, scalar_target(1)); },
       kOne,
       {3},
       Tensor(),
       {2.0142950728206315},
       {0.2686636448077704, -0.866585582325426, 0.5979219375176557}},
      {"ce 1-D weighted smoothing",
       [&](const Tensor& x) {
         return cross_entropy(x, scalar_target(1), {.weight = w3, .label_smoothing = 0.2});
       },
       kOne,
       {3},
       Tensor(),
       {1.7876276782679157},
       {0.23110091687827714, -0.7436289259223374, 0.5125280090440603}},
      {"hinge mean",
       [&](const Tensor& x) { return multiclass_hinge_loss(x, t4); },
       kScores43,
       {4, 3},
       Tensor(),
       {2.4000000000000004},
       {-0.5, 0.25, 0.25, 0.25, 0.25, -0.5, 0.0, 0.0, 0.0, 0.25, 0.25, -0.5}},
      {"hinge sum",
       [&](const Tensor& x) { return multiclass_hinge_loss(x, t4, 1.0, Reduction::Sum); },
       kScores43,
       {4, 3},
       Tensor(),
       {9.600000000000001},
       {-2.0, 1.0, 1.0, 1.0, 1.0, -2.0, 0.0, 0.0, 0.0, 1.0, 1.0, -2.0}},
      {"hinge none",
       [&](const Tensor& x) { return multiclass_hinge_loss(x, t4, 1.0, Reduction::None); },
       kScores43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {2.95, 4.5, 0.0, 2.1500000000000004},
       {-1.0, 0.5, 0.5, -1.0, -1.0, 2.0, 0.0, 0.0, 0.0, 1.5, 1.5, -3.0}},
      {"hinge margin 0.6 mean",
       [&](const Tensor& x) { return multiclass_hinge_loss(x, t4, 0.6); },
       kScores43,
       {4, 3},
       Tensor(),
       {1.8000000000000003},
       {-0.5, 0.25, 0.25, 0.25, 0.25, -0.5, 0.0, 0.0, 0.0, 0.25, 0.25, -0.5}},
      {"hinge 1-D",
       [&](const Tensor& x) { return multiclass_hinge_loss(x, scalar_target(0)); },
       kOne,
       {3},
       Tensor(),
       {2.0999999999999996},
       {-2.0, 1.0, 1.0}},
      {"mm p1 mean",
       [&](const Tensor& x) { return multi_margin_loss(x, t4); },
       kScores43,
       {4, 3},
       Tensor(),
       {0.8},
       {-0.16666666666666666, 0.08333333333333333, 0.08333333333333333, 0.08333333333333333,
        0.08333333333333333, -0.16666666666666666, 0.0, 0.0, 0.0, 0.08333333333333333,
        0.08333333333333333, -0.16666666666666666}},
      {"mm p1 sum",
       [&](const Tensor& x) { return multi_margin_loss(x, t4, {.reduction = Reduction::Sum}); },
       kScores43,
       {4, 3},
       Tensor(),
       {3.2},
       {-0.6666666666666666, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333,
        0.3333333333333333, -0.6666666666666666, 0.0, 0.0, 0.0, 0.3333333333333333,
        0.3333333333333333, -0.6666666666666666}},
      {"mm p1 none",
       [&](const Tensor& x) { return multi_margin_loss(x, t4, {.reduction = Reduction::None}); },
       kScores43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {0.9833333333333334, 1.5, 0.0, 0.7166666666666668},
       {-0.3333333333333333, 0.16666666666666666, 0.16666666666666666, -0.3333333333333333,
        -0.3333333333333333, 0.6666666666666666, 0.0, 0.0, 0.0, 0.5, 0.5, -1.0}},
      {"mm p2 mean",
       [&](const Tensor& x) { return multi_margin_loss(x, t4, {.p = 2}); },
       kScores43,
       {4, 3},
       Tensor(),
       {1.6229166666666668},
       {-0.49166666666666664, 0.08333333333333331, 0.4083333333333333, 0.3333333333333333,
        0.41666666666666663, -0.75, 0.0, 0.0, 0.0, 0.08333333333333333, 0.275,
        -0.35833333333333334}},
      {"mm p2 margin 0.7 none",
       [&](const Tensor& x) {
         return multi_margin_loss(x, t4, {.p = 2, .margin = 0.7, .reduction = Reduction::None});
       },
       kScores43,
       {4, 3},
       tensor({0.5, -1.0, 2.0, 1.5}, {4}, kFloat64),
       {1.5541666666666665, 2.576666666666667, 0.0, 0.6208333333333335},
       {-0.7833333333333332, 0.06666666666666665, 0.7166666666666666, -1.1333333333333333,
        -1.4666666666666668, 2.6, 0.0, 0.0, 0.0, 0.2, 1.35, -1.5500000000000003}},
      {"mm p1 weighted mean",
       [&](const Tensor& x) { return multi_margin_loss(x, t4, {.weight = w3}); },
       kScores43,
       {4, 3},
       Tensor(),
       {0.46166666666666667},
       {-0.049999999999999996, 0.024999999999999998, 0.024999999999999998, 0.05833333333333333,
        0.05833333333333333, -0.11666666666666665, 0.0, 0.0, 0.0, 0.05833333333333333,
        0.05833333333333333, -0.11666666666666665}},
      {"mm p2 weighted sum",
       [&](const Tensor& x) {
         return multi_margin_loss(x, t4, {.p = 2, .weight = w3, .reduction = Reduction::Sum});
       },
       kScores43,
       {4, 3},
       Tensor(),
       {3.7105},
       {-0.59, 0.09999999999999998, 0.49, 0.9333333333333332, 1.1666666666666665,
        -2.0999999999999996, 0.0, 0.0, 0.0, 0.2333333333333333, 0.77, -1.0033333333333334}},
      {"mm 1-D",
       [&](const Tensor& x) { return multi_margin_loss(x, scalar_target(0)); },
       kOne,
       {3},
       Tensor(),
       {0.6999999999999998},
       {-0.6666666666666666, 0.3333333333333333, 0.3333333333333333}},
  };
  for (const LossCase& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor x = test::leaf(tensor(c.x, c.shape, kFloat64));
    Tensor y = c.f(x);
    EXPECT_EQ(y.dtype(), kFloat64);
    if (c.upstream.defined()) {
      EXPECT_EQ(y.shape(), c.upstream.shape());
    } else {
      EXPECT_EQ(y.dim(), 0);
    }
    EXPECT_TRUE(values_near(y, c.y, kRefAtol, kRefRtol));
    y.backward(c.upstream);
    ASSERT_TRUE(x.grad().defined());
    EXPECT_EQ(x.grad().shape(), c.shape);
    EXPECT_TRUE(values_near(x.grad(), c.dx, kRefAtol, kRefRtol));
  }
}

// Expected values from PyTorch 1.13 in float64: F.mse_loss(a, b, reduction)
// and the gradients of both operands.
TEST(Loss, MseMatchesTorchReference) {
  struct Case {
    Reduction reduction;
    Tensor upstream;
    std::vector<double> y, da, db;
  };
  const std::vector<Case> cases = {
      {Reduction::Mean,
       Tensor(),
       {1.0841666666666667},
       {-0.06666666666666667, -0.06666666666666665, 0.16666666666666666, -0.5, 0.45,
        -0.4833333333333333},
       {0.06666666666666667, 0.06666666666666665, -0.16666666666666666, 0.5, -0.45,
        0.4833333333333333}},
      {Reduction::Sum,
       Tensor(),
       {6.505},
       {-0.4, -0.3999999999999999, 1.0, -3.0, 2.7, -2.9},
       {0.4, 0.3999999999999999, -1.0, 3.0, -2.7, 2.9}},
      {Reduction::None,
       tensor({0.4, -0.2, 1.1, 0.7, -1.3, 0.25}, {2, 3}, kFloat64),
       {0.04000000000000001, 0.03999999999999998, 0.25, 2.25, 1.8225000000000002, 2.1025},
       {-0.16000000000000003, 0.07999999999999999, 1.1, -2.0999999999999996, -3.5100000000000002,
        -0.725},
       {0.16000000000000003, -0.07999999999999999, -1.1, 2.0999999999999996, 3.5100000000000002,
        0.725}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.reduction));
    Tensor a = test::leaf(tensor({0.3, -1.2, 2.5, 0.0, 1.1, -0.7}, {2, 3}, kFloat64));
    Tensor b = test::leaf(tensor({0.5, -1.0, 2.0, 1.5, -0.25, 0.75}, {2, 3}, kFloat64));
    Tensor y = mse_loss(a, b, c.reduction);
    EXPECT_TRUE(values_near(y, c.y, kRefAtol, kRefRtol));
    y.backward(c.upstream);
    EXPECT_TRUE(values_near(a.grad(), c.da, kRefAtol, kRefRtol));
    EXPECT_TRUE(values_near(b.grad(), c.db, kRefAtol, kRefRtol));
  }
}

TEST(Loss, CrossEntropyGradientIsSoftmaxMinusOneHot) {
  // d mean_n(-log softmax(x)[n, y_n]) / dx = (softmax(x) - onehot(y)) / N,
  // computed here by hand from the logits.
  test::reseed(31);
  const int64_t N = 5, C = 4;
  const Tensor logits = test::uniform({N, C}, -3.0, 3.0);
  const std::vector<int64_t> y = {3, 0, 2, 2, 1};
  Tensor x = test::leaf(logits);
  cross_entropy(x, targets(y, {N})).backward();
  const std::vector<double> v = logits.to_vector<double>();
  std::vector<double> expected(N * C);
  for (int64_t n = 0; n < N; ++n) {
    double total = 0;
    for (int64_t c = 0; c < C; ++c) total += std::exp(v[n * C + c]);
    for (int64_t c = 0; c < C; ++c) {
      const double p = std::exp(v[n * C + c]) / total;
      expected[n * C + c] = (p - (c == y[n] ? 1.0 : 0.0)) / N;
    }
  }
  EXPECT_TRUE(values_near(x.grad(), expected, 1e-15, 1e-12));
}

TEST(Loss, Float32AgreesWithFloat64) {
  test::reseed(32);
  const Tensor x64 = test::uniform({6, 5}, -3.0, 3.0);
  const Tensor other64 = test::uniform({6, 5}, -3.0, 3.0);
  const Tensor t = targets({4, 0, 2, 1, 3, 2}, {6});
  const Tensor w64 = test::uniform({5}, 0.5, 2.0);
  // Each loss as f(x, dtype): x converted, weights in the same dtype.
  using LossFn = std::function<Tensor(const Tensor&, DType)>;
  const std::vector<std::pair<std::string, LossFn>> fns = {
      {"nll_loss",
       [&](const Tensor& x, DType dt) {
         return nll_loss(log_softmax(x, 1), t, {.weight = w64.to(dt)});
       }},
      {"cross_entropy",
       [&](const Tensor& x, DType dt) {
         return cross_entropy(x, t, {.weight = w64.to(dt), .label_smoothing = 0.1});
       }},
      {"multiclass_hinge_loss",
       [&](const Tensor& x, DType) { return multiclass_hinge_loss(x, t); }},
      {"multi_margin_loss",
       [&](const Tensor& x, DType) { return multi_margin_loss(x, t, {.p = 2}); }},
      {"mse_loss", [&](const Tensor& x, DType dt) { return mse_loss(x, other64.to(dt)); }}};
  for (const auto& [name, f] : fns) {
    SCOPED_TRACE(name);
    Tensor a = test::leaf(x64);
    Tensor b = test::leaf(x64.to(kFloat32));
    Tensor la = f(a, kFloat64), lb = f(b, kFloat32);
    EXPECT_EQ(lb.dtype(), kFloat32);
    // float32 carries about 7 digits.
    EXPECT_TRUE(values_near(lb, la.to_vector<double>(), 1e-6, 1e-5));
    la.backward();
    lb.backward();
    EXPECT_TRUE(test::tensors_near(b.grad(), a.grad(), 1e-6, 1e-5));
  }
}

TEST(Loss, Derivatives) {
  test::reseed(33);
  // [N, C] with N = 1 and odd sizes, the [C] form and the [N, C, d1, d2] form.
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{1, 3}, {1}}, {{5, 4}, {5}}, {{3, 7}, {3}}, {{4}, {}}, {{2, 3, 2, 3}, {2, 2, 3}}};
  for (const auto& [xs, ts] : shapes) {
    SCOPED_TRACE(::testing::PrintToString(xs));
    const int64_t C = xs.size() == 1 ? xs[0] : xs[1];
    Tensor x = test::leaf(test::uniform(xs, -2.0, 2.0));
    Tensor t = randint(0, C, ts, kInt64, &test::rng());
    Tensor w = test::uniform({C}, 0.5, 2.0);
    EXPECT_TRUE(derivatives_ok([&](const auto& v) { return cross_entropy(v[0], t); }, {x}));
    EXPECT_TRUE(derivatives_ok(
        [&](const auto& v) {
          return cross_entropy(v[0], t, {.weight = w, .label_smoothing = 0.2});
        },
        {x}));
    EXPECT_TRUE(derivatives_ok(
        [&](const auto& v) {
          return cross_entropy(v[0], t, {.label_smoothing = 0.3, .reduction = Reduction::None});
        },
        {x}));
    EXPECT_TRUE(derivatives_ok(
        [&](const auto& v) {
          return nll_loss(v[0], t, {.weight = w, .reduction = Reduction::Sum});
        },
        {x}));
    if (xs.size() <= 2) {  // the margin losses take [N, C] and [C] only
      EXPECT_TRUE(
          derivatives_ok([&](const auto& v) { return multiclass_hinge_loss(v[0] * 2.0, t); }, {x}));
      EXPECT_TRUE(derivatives_ok(
          [&](const auto& v) { return multiclass_hinge_loss(v[0], t, 0.5, Reduction::None); },
          {x}));
      EXPECT_TRUE(derivatives_ok(
          [&](const auto& v) { return multi_margin_loss(v[0], t, {.p = 2, .weight = w}); }, {x}));
      EXPECT_TRUE(derivatives_ok(
          [&](const auto& v) {
            return multi_margin_loss(v[0], t, {.margin = 2.0, .reduction = Reduction::Sum});
          },
          {x}));
    }
    Tensor other = test::leaf(test::uniform(xs));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return mse_loss(v[0], v[1]); }, {x, other}));
    EXPECT_TRUE(derivatives_ok([](const auto& v) { return mse_loss(v[0], v[1], Reduction::None); },
                               {x, other}));
  }
  // Some targets ignored: their rows get no gradient, the rest is checked.
  Tensor x = test::leaf(test::uniform({4, 3}));
  const Tensor t = targets({2, -100, 0, -100}, {4});
  EXPECT_TRUE(derivatives_ok([&](const auto& v) { return cross_entropy(v[0], t); }, {x}));
  EXPECT_TRUE(derivatives_ok(
      [&](const auto& v) { return cross_entropy(v[0], t, {.label_smoothing = 0.1}); }, {x}));
}

TEST(Loss, HingeIsMultiMarginTimesClasses) {
  // Without weights and with p = 1 the two margin losses differ by the factor C.
  test::reseed(34);
  for (int64_t C : {1, 2, 5}) {
    SCOPED_TRACE(C);
    Tensor x = test::uniform({4, C}, -2.0, 2.0);
    Tensor t = randint(0, C, {4}, kInt64, &test::rng());
    for (double margin : {1.0, 0.3}) {
      Tensor h = multiclass_hinge_loss(x, t, margin, Reduction::None);
      Tensor m = multi_margin_loss(x, t, {.margin = margin, .reduction = Reduction::None});
      EXPECT_TRUE(test::tensors_near(h, m * static_cast<double>(C), 1e-15, 1e-14));
    }
  }
  // With one class there is no j != y: the loss is 0.
  EXPECT_TRUE(
      values_near(multiclass_hinge_loss(ones({3, 1}, kFloat64), targets({0, 0, 0}, {3})), {0}, 0));
}

TEST(Loss, AllTargetsIgnored) {
  // PyTorch 1.13: the mean over zero counted targets is 0/0 = NaN, the sum is 0,
  // and the gradient is 0 (not NaN), with and without label smoothing.
  const Tensor t = targets({-100, -100}, {2});
  const Tensor x0 = tensor({0.1, 0.2, 0.3, -0.4, 0.5, -0.6}, {2, 3}, kFloat64);
  for (double eps : {0.0, 0.1}) {
    SCOPED_TRACE(eps);
    Tensor x = test::leaf(x0);
    Tensor l = cross_entropy(x, t, {.label_smoothing = eps});
    EXPECT_TRUE(std::isnan(l.item()));
    l.backward();
    EXPECT_TRUE(values_near(x.grad(), std::vector<double>(6, 0.0), 0));
    EXPECT_EQ(cross_entropy(x0, t, {.label_smoothing = eps, .reduction = Reduction::Sum}).item(),
              0.0);
    EXPECT_TRUE(values_near(
        cross_entropy(x0, t, {.label_smoothing = eps, .reduction = Reduction::None}), {0, 0}, 0));
  }
  Tensor lp = test::leaf(x0);
  Tensor l = nll_loss(lp, t);
  EXPECT_TRUE(std::isnan(l.item()));
  l.backward();
  EXPECT_TRUE(values_near(lp.grad(), std::vector<double>(6, 0.0), 0));
  EXPECT_EQ(nll_loss(x0, t, {.reduction = Reduction::Sum}).item(), 0.0);
  // Weighted, smoothed and reduced by Mean, as in PyTorch: NaN, gradient 0.
  Tensor xw = test::leaf(x0);
  Tensor lw =
      cross_entropy(xw, t, {.weight = tensor({0.5, 1, 2}, kFloat64), .label_smoothing = 0.2});
  EXPECT_TRUE(std::isnan(lw.item()));
  lw.backward();
  EXPECT_TRUE(values_near(xw.grad(), std::vector<double>(6, 0.0), 0));
  // A custom ignore_index that is a valid class.
  EXPECT_TRUE(std::isnan(nll_loss(x0, targets({1, 1}, {2}), {.ignore_index = 1}).item()));
}

TEST(Loss, InfiniteLogProbs) {
  // nll_loss reads only the target's log-probability, so -inf elsewhere (the
  // log of a probability 0) does not leak in; cross_entropy likewise without
  // label smoothing, while smoothing averages over every class and gives inf
  // (PyTorch 1.13 agrees on both).
  const double inf = std::numeric_limits<double>::infinity();
  Tensor lp = test::leaf(tensor({-inf, -0.5, -2.0, -inf}, {2, 2}, kFloat64));
  Tensor l = nll_loss(lp, targets({1, 0}, {2}));
  EXPECT_DOUBLE_EQ(l.item(), 1.25);
  l.backward();
  EXPECT_TRUE(values_near(lp.grad(), {0, -0.5, -0.5, 0}, 0));
  Tensor logits = test::leaf(tensor({-inf, 0.0, 0.0}, {1, 3}, kFloat64));
  Tensor ce = cross_entropy(logits, targets({1}, {1}));
  EXPECT_DOUBLE_EQ(ce.item(), std::log(2.0));
  ce.backward();
  EXPECT_TRUE(values_near(logits.grad(), {0, -0.5, 0.5}, 1e-15));
  EXPECT_EQ(cross_entropy(logits.detach(), targets({1}, {1}), {.label_smoothing = 0.1}).item(),
            inf);
}

TEST(Loss, EmptyBatch) {
  // N = 0: Mean is 0/0 = NaN (as in PyTorch), Sum is 0, None is empty.
  const Tensor x = zeros({0, 3}, kFloat64);
  const Tensor t = targets({}, {0});
  EXPECT_TRUE(std::isnan(cross_entropy(x, t).item()));
  EXPECT_EQ(cross_entropy(x, t, {.reduction = Reduction::Sum}).item(), 0.0);
  EXPECT_EQ(cross_entropy(x, t, {.reduction = Reduction::None}).shape(), (Shape{0}));
  EXPECT_TRUE(std::isnan(nll_loss(x, t).item()));
  EXPECT_EQ(multiclass_hinge_loss(x, t, 1.0, Reduction::Sum).item(), 0.0);
  EXPECT_EQ(multi_margin_loss(x, t, {.reduction = Reduction::None}).shape(), (Shape{0}));
  EXPECT_TRUE(std::isnan(mse_loss(x, x).item()));
}

TEST(Loss, NonContiguousInputs) {
  // Transposed logits and a strided target give the same loss and gradient as
  // their contiguous copies.
  test::reseed(35);
  const Tensor base = test::uniform({3, 4});
  const Tensor t = targets({0, 9, 2, 9, 1, 9, 2, 9}, {8}).slice(0, 0, 8, 2);  // {0, 2, 1, 2}
  Tensor a = test::leaf(base);
  Tensor b = test::leaf(base.t().contiguous());
  Tensor la = cross_entropy(a.t(), t, {.label_smoothing = 0.1});
  Tensor lb = cross_entropy(b, t.contiguous(), {.label_smoothing = 0.1});
  EXPECT_TRUE(test::tensors_near(la, lb, 1e-15));
  la.backward();
  lb.backward();
  EXPECT_TRUE(test::tensors_near(a.grad().t(), b.grad(), 1e-15));
  Tensor ha = test::leaf(base), hb = test::leaf(base.t().contiguous());
  Tensor ma = multi_margin_loss(ha.t(), t, {.p = 2}), mb = multi_margin_loss(hb, t, {.p = 2});
  EXPECT_TRUE(test::tensors_near(ma, mb, 1e-15));
  ma.backward();
  mb.backward();
  EXPECT_TRUE(test::tensors_near(ha.grad().t(), hb.grad(), 1e-15));
}

TEST(GaussianKl, HandChecked) {
  // Sample 0: mu (0, 0), variances (1, 2): ½[(0 + 1 - 1 - 0) + (0 + 2 - 1 - ln 2)] = ½(1 - ln 2).
  // Sample 1: mu (1, -2), variances (½, 1): ½[(1 + ½ - 1 + ln 2) + (4 + 1 - 1 - 0)] = ½(4.5 + ln
  // 2).
  const double ln2 = std::log(2.0);
  for (DType dt : {kFloat64, kFloat32}) {
    const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
    const Tensor mu = tensor({0, 0, 1, -2}, {2, 2}, dt);
    const Tensor logvar = tensor({0, ln2, -ln2, 0}, {2, 2}, dt);
    EXPECT_TRUE(values_near(gaussian_kl_divergence(mu, logvar, Reduction::None),
                            {0.5 * (1 - ln2), 0.5 * (4.5 + ln2)}, tol));
    EXPECT_TRUE(values_near(gaussian_kl_divergence(mu, logvar), {1.375}, tol));
    EXPECT_TRUE(values_near(gaussian_kl_divergence(mu, logvar, Reduction::Sum), {2.75}, tol));
    EXPECT_EQ(gaussian_kl_divergence(mu, logvar).dim(), 0);
    EXPECT_EQ(gaussian_kl_divergence(mu, logvar).dtype(), dt);
    // The [D] form is one sample.
    EXPECT_TRUE(values_near(gaussian_kl_divergence(tensor({1, -2}, dt), tensor({-ln2, 0}, dt)),
                            {0.5 * (4.5 + ln2)}, tol));
    // Zero exactly at the standard normal.
    EXPECT_TRUE(values_near(gaussian_kl_divergence(zeros({3, 4}, dt), zeros({3, 4}, dt)), {0}, 0));
  }
  // Gradients of the sum: dmu = mu, dlogvar = ½(e^logvar - 1).
  Tensor mu = test::leaf(tensor({0, 0, 1, -2}, {2, 2}, kFloat64));
  Tensor logvar = test::leaf(tensor({0, ln2, -ln2, 0}, {2, 2}, kFloat64));
  gaussian_kl_divergence(mu, logvar, Reduction::Sum).backward();
  EXPECT_TRUE(values_near(mu.grad(), {0, 0, 1, -2}, 1e-15));
  EXPECT_TRUE(values_near(logvar.grad(), {0, 0.5, -0.25, 0}, 1e-15));
}

TEST(GaussianKl, Derivatives) {
  test::reseed(35);
  for (const Shape& shape : {Shape{3, 4}, Shape{1, 2}, Shape{5}}) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    Tensor mu = test::leaf(test::uniform(shape, -2.0, 2.0));
    Tensor logvar = test::leaf(test::uniform(shape, -2.0, 1.0));
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      EXPECT_TRUE(derivatives_ok(
          [r](const auto& v) { return gaussian_kl_divergence(v[0], v[1], r); }, {mu, logvar}));
    }
  }
}

TEST(GaussianKl, BadInput) {
  const Tensor a = zeros({2, 3}, kFloat64);
  EXPECT_THROWS_WITH(gaussian_kl_divergence(a, zeros({2, 4}, kFloat64)), "gaussian_kl_divergence",
                     "[2, 3]", "[2, 4]", "same shape");
  EXPECT_THROWS_WITH(gaussian_kl_divergence(zeros({2, 3, 1}, kFloat64), zeros({2, 3, 1}, kFloat64)),
                     "gaussian_kl_divergence", "[N, D]", "[2, 3, 1]");
  EXPECT_THROWS_WITH(gaussian_kl_divergence(a, zeros({2, 3}, kFloat32)), "gaussian_kl_divergence",
                     "float64", "float32");
  EXPECT_THROWS_WITH(gaussian_kl_divergence(zeros({2, 3}, kInt64), a), "gaussian_kl_divergence",
                     "int64");
  EXPECT_THROWS_WITH(gaussian_kl_divergence(a, Tensor()), "gaussian_kl_divergence", "logvar",
                     "undefined");
}

TEST(Loss, BadInput) {
  const Tensor x = zeros({4, 3}, kFloat64);
  const Tensor t = targets({0, 1, 2, 1}, {4});
  // Targets out of range name the op and the value.
  EXPECT_THROWS_WITH(cross_entropy(x, targets({0, 5, 2, 1}, {4})), "cross_entropy", "target 5",
                     "3 classes");
  EXPECT_THROWS_WITH(cross_entropy(x, targets({0, 1, -1, 1}, {4})), "cross_entropy", "target -1",
                     "3 classes");
  EXPECT_THROWS_WITH(nll_loss(x, targets({3, 1, 2, 1}, {4})), "nll_loss", "target 3");
  // -100 is only ignored when it is the ignore_index.
  EXPECT_THROWS_WITH(nll_loss(x, targets({0, -100, 2, 1}, {4}), {.ignore_index = 1}), "nll_loss",
                     "target -100");
  EXPECT_THROWS_WITH(multiclass_hinge_loss(x, targets({0, 3, 2, 1}, {4})), "multiclass_hinge_loss",
                     "target 3");
  EXPECT_THROWS_WITH(multi_margin_loss(x, targets({0, -1, 2, 1}, {4})), "multi_margin_loss",
                     "target -1");
  EXPECT_THROWS_WITH(cross_entropy(tensor({0, 0, 0}, kFloat64), scalar_target(3)), "cross_entropy",
                     "target 3");
  // dtypes.
  EXPECT_THROWS_WITH(cross_entropy(zeros({4, 3}, kInt64), t), "cross_entropy", "int64");
  EXPECT_THROWS_WITH(nll_loss(zeros({4, 3}, kInt64), t), "nll_loss", "int64");
  EXPECT_THROWS_WITH(cross_entropy(x, zeros({4}, kFloat32)), "cross_entropy", "target", "int64",
                     "float32");
  EXPECT_THROWS_WITH(multiclass_hinge_loss(x, zeros({4}, kFloat64)), "multiclass_hinge_loss",
                     "target", "float64");
  EXPECT_THROWS_WITH(cross_entropy(zeros({4, 3}, kFloat32), t, {.weight = ones({3}, kFloat64)}),
                     "cross_entropy", "float32", "float64");
  EXPECT_THROWS_WITH(nll_loss(x, t, {.weight = ones({3}, kFloat32)}), "nll_loss", "float32",
                     "float64");
  EXPECT_THROWS_WITH(mse_loss(zeros({2, 3}, kFloat32), zeros({2, 3}, kFloat64)), "mse_loss",
                     "float32", "float64");
  EXPECT_THROWS_WITH(mse_loss(zeros({2}, kInt64), zeros({2}, kInt64)), "mse_loss", "int64");
  EXPECT_THROWS_WITH(cross_entropy(Tensor(), t), "cross_entropy", "undefined");
  // Shapes.
  EXPECT_THROWS_WITH(cross_entropy(x, targets({0, 1, 2}, {3})), "cross_entropy", "[3]", "[4, 3]",
                     "[4]");
  EXPECT_THROWS_WITH(nll_loss(zeros({2, 3, 5}, kFloat64), targets({0, 1}, {2})), "nll_loss", "[2]",
                     "[2, 3, 5]", "[2, 5]");
  EXPECT_THROWS_WITH(cross_entropy(tensor({0, 0, 0}, kFloat64), targets({1}, {1})), "cross_entropy",
                     "0-D", "[1] int64");
  EXPECT_THROWS_WITH(cross_entropy(scalar_tensor(0.0, kFloat64), scalar_target(0)), "cross_entropy",
                     "[]");
  EXPECT_THROWS_WITH(multiclass_hinge_loss(zeros({2, 3, 5}, kFloat64), targets({0, 1}, {2})),
                     "multiclass_hinge_loss", "[2, 3, 5]");
  EXPECT_THROWS_WITH(cross_entropy(zeros({4, 0}, kFloat64), t), "cross_entropy", "no classes");
  EXPECT_THROWS_WITH(cross_entropy(x, t, {.weight = ones({2}, kFloat64)}), "cross_entropy",
                     "weight", "[3]", "[2] float64");
  EXPECT_THROWS_WITH(multi_margin_loss(x, t, {.weight = ones({3, 1}, kFloat64)}),
                     "multi_margin_loss", "weight", "[3, 1]");
  EXPECT_THROWS_WITH(mse_loss(zeros({2, 3}, kFloat64), zeros({3}, kFloat64)), "mse_loss", "[2, 3]",
                     "[3]");
  // Options.
  EXPECT_THROWS_WITH(cross_entropy(x, t, {.label_smoothing = 1.5}), "cross_entropy",
                     "label_smoothing", "1.5");
  EXPECT_THROWS_WITH(cross_entropy(x, t, {.label_smoothing = -0.1}), "cross_entropy",
                     "label_smoothing");
  EXPECT_THROWS_WITH(multi_margin_loss(x, t, {.p = 3}), "multi_margin_loss", "p", "3");
}

// ---- binary_cross_entropy_with_logits and penalties, against references from seq() ----

namespace bce {
using test::leaf;
using test::seq;
using test::weights_like;
constexpr double kAtol = 1e-12;
constexpr double kRtol = 1e-10;

const std::vector<double> kBceLoss = {2.3604438300430233};
const std::vector<double> kBceDx = {
    0.006733030704799595, 0.005720864583973473, -0.004586808674054588, -0.0033800997235199776,
    -0.06101323643627299, -0.07271867708573511, -0.020040117379974808, 0.07508466134015272,
    0.1599783468849553,   0.11825470763262795,  0.06965578023926011,   -0.13535419686167918};
const std::vector<double> kBceDy = {
    -0.054664585280659074, -0.2776612743666808, -0.3116916281336781,  -0.06067688547457093,
    0.1813381797635568,    0.4983962933017037,  0.23036547259287754,  0.0034628115865569242,
    -0.5560337088864793,   -0.4717996791057956, -0.12878527419824304, 0.842905354706101};
const std::vector<double> kBceExtreme = {800.0, 800.0, 0.6931471805599453};

// ---- binary_cross_entropy_with_logits and penalties ------------------------------------------

TEST(BceWithLogits, MatchesReferenceWithWeights) {
  Tensor x = leaf(seq({4, 3}, 0.9, 0.1, 4.0));
  Tensor y = leaf(add(mul(seq({4, 3}, 0.53, 0.3, 1.0), 0.5), 0.5));
  Tensor pw = tensor({0.5, 2.0, 3.0}, kFloat64);
  Tensor wt = tensor({1.0, 0.5, 2.0, 1.5}, {4, 1}, kFloat64);
  Tensor l = binary_cross_entropy_with_logits(x, y, {.weight = wt, .pos_weight = pw});
  EXPECT_TRUE(values_near(l, kBceLoss, kAtol, kRtol));
  l.backward();
  EXPECT_TRUE(values_near(x.grad(), kBceDx, kAtol, kRtol));
  EXPECT_TRUE(values_near(y.grad(), kBceDy, kAtol, kRtol));
}

TEST(BceWithLogits, StableForHugeLogits) {
  Tensor l = binary_cross_entropy_with_logits(tensor({-800.0, 800.0, 0.0}, kFloat64),
                                              tensor({1.0, 0.0, 0.5}, kFloat64),
                                              {.reduction = Reduction::None});
  EXPECT_TRUE(values_near(l, kBceExtreme, 1e-12));
  Tensor l32 = binary_cross_entropy_with_logits(tensor({-800.0, 800.0}), tensor({1.0, 0.0}));
  EXPECT_TRUE(std::isfinite(l32.item()));
}

TEST(BceWithLogits, Derivatives) {
  for (const Shape& shape : std::vector<Shape>{{1}, {3, 2}, {2, 1, 3}}) {
    Tensor x = leaf(test::uniform(shape, -3, 3)), y = leaf(test::uniform(shape, 0, 1));
    Tensor pw = test::uniform({shape.back()}, 0.5, 2.0);
    EXPECT_TRUE(derivatives_ok(
        [&](const std::vector<Tensor>& in) {
          return binary_cross_entropy_with_logits(in[0], in[1], {.pos_weight = pw});
        },
        {x, y}))
        << ::testing::PrintToString(shape);
  }
}

TEST(BceWithLogits, BadInput) {
  EXPECT_THROWS_WITH(binary_cross_entropy_with_logits(zeros({2, 3}), zeros({3})),
                     "binary_cross_entropy_with_logits", "[2, 3]", "[3]");
  EXPECT_THROWS_WITH(
      binary_cross_entropy_with_logits(zeros({2, 3}), zeros({2, 3}), {.pos_weight = zeros({2})}),
      "pos_weight", "[3]");
}

TEST(Penalties, ValuesAndGradients) {
  Tensor a = leaf(tensor({1.0, -2.0}, kFloat64)), b = leaf(tensor({3.0}, kFloat64));
  Tensor l1 = l1_penalty({a, b}), l2 = l2_penalty({a, b});
  EXPECT_DOUBLE_EQ(l1.item(), 6.0);
  EXPECT_DOUBLE_EQ(l2.item(), 14.0);
  add(l1, l2).backward();
  EXPECT_TRUE(values_near(a.grad(), {1.0 + 2.0, -1.0 - 4.0}, 0));
  EXPECT_TRUE(values_near(b.grad(), {1.0 + 6.0}, 0));
  EXPECT_THROWS_WITH(l2_penalty({}), "l2_penalty");
}

}  // namespace bce

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(LossRows, EveryLoss) {
  const auto L = OpFamily::Loss;
  const Tensor logits = mul(test::uniform({9, 5}), 3.0);
  const Tensor target = tensor_from(std::vector<int64_t>{0, 4, 2, 2, 1, 3, 0, 4, 1}, {9});
  const Tensor w = tensor({1.0, 2.0, 0.5, 1.5, 1.0});
  test::expect_rows(L, "cross_entropy",
                    [&](auto& in) { return cross_entropy(in[0], test::like(target, in[0])); },
                    {logits});
  test::expect_rows(L, "cross_entropy, weights and smoothing",
                    [&](auto& in) {
                      return cross_entropy(
                          in[0], test::like(target, in[0]),
                          {.weight = test::like(w, in[0]), .label_smoothing = 0.1});
                    },
                    {logits});
  test::expect_rows(
      L, "hinge", [&](auto& in) { return multiclass_hinge_loss(in[0], test::like(target, in[0])); },
      {logits});
  test::expect_rows(
      L, "multi_margin p=2",
      [&](auto& in) { return multi_margin_loss(in[0], test::like(target, in[0]), {.p = 2}); },
      {logits});
  test::expect_rows(L, "mse", [](auto& in) { return mse_loss(in[0], in[1]); },
                    {test::uniform({4, 3}), test::uniform({4, 3})});
  test::expect_rows(L, "bce with logits",
                    [](auto& in) { return binary_cross_entropy_with_logits(in[0], in[1]); },
                    {test::uniform({4, 3}, -4, 4), test::uniform({4, 3}, 0, 1)});
}

TEST(LossRows, BadClassIndexOnEveryDevice) {
  for (const test::ImplRow& row : test::impl_rows()) {
    const Tensor bad = tensor_from(std::vector<int64_t>{0, 7}, {2}).to(row.device);
    EXPECT_THROWS_WITH(cross_entropy(zeros({2, 5}, row.device), bad), "cross_entropy", "target 7");
  }
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table loss_bad_input() {
  Table t;
  t.err("index", "cross_entropy with target == C",
        [] {
          cross_entropy(R({2, 3}), I({0, 3}));
        },
        {"cross_entropy:", "target 3", "position 1", "3 classes", "[2]"});
  t.err("index", "cross_entropy with a negative target",
        [] {
          cross_entropy(R({2, 3}), I({-1, 0}));
        },
        {"cross_entropy:", "target -1", "3 classes"});
  t.err("index", "cross_entropy with -100 under another ignore_index",
        [] {
          cross_entropy(R({2, 3}), I({-100, 0}), {.ignore_index = 7});
        },
        {"cross_entropy:", "target -100"});
  t.err("index", "cross_entropy spatial target out of range",
        [] {
          cross_entropy(R({1, 3, 2}), tensor_from(std::vector<int64_t>{0, 4}, {1, 2}));
        },
        {"cross_entropy:", "target 4", "[1, 2]"});
  t.err("dtype", "cross_entropy with float targets",
        [] {
          cross_entropy(R({2, 3}), F({2}));
        },
        {"cross_entropy:", "target", "int64", "[2] float32"});
  t.err("dtype", "cross_entropy of int64 logits",
        [] {
          cross_entropy(L({2, 3}), I({0, 1}));
        },
        {"cross_entropy:", "[2, 3] int64"});
  t.err("shape", "cross_entropy with a target of the wrong length",
        [] {
          cross_entropy(R({2, 3}), I({0, 1, 2}));
        },
        {"cross_entropy:", "target has shape [3]", "[2, 3]", "[2]"});
  t.err("shape", "cross_entropy of [C] with a 1-D target", [] { cross_entropy(R({3}), I({0})); },
        {"cross_entropy:", "[3] float32", "0-D", "[1] int64"});
  t.err("rank", "cross_entropy of 0-D logits", [] { cross_entropy(F({}), L({})); },
        {"cross_entropy:", "[] float32"});
  t.err("shape", "cross_entropy with a class weight of the wrong size",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.weight = F({4})});
        },
        {"cross_entropy:", "weight must be [3]", "[4] float32"});
  t.err("dtype", "cross_entropy with a float64 class weight",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.weight = D({3})});
        },
        {"cross_entropy:", "weight", "float64", "float32"});
  t.err("size", "cross_entropy with label_smoothing 1.5",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.label_smoothing = 1.5});
        },
        {"cross_entropy:", "label_smoothing", "1.5"});
  t.err("nonfinite", "cross_entropy with label_smoothing NaN",
        [] {
          cross_entropy(R({2, 3}), I({0, 1}), {.label_smoothing = kNaN});
        },
        {"cross_entropy:", "label_smoothing"});
  t.err("empty", "cross_entropy with no classes",
        [] {
          cross_entropy(F({2, 0}), I({0, 0}));
        },
        {"cross_entropy:", "[2, 0] float32", "no classes"});
  t.val("empty", "cross_entropy of an empty batch (mean) is NaN", [] {
    return is(cross_entropy(F({0, 3}), L({0})), {}, {kNaN});
  });
  t.val("empty", "cross_entropy of an empty batch (sum) is 0", [] {
    return is(cross_entropy(F({0, 3}), L({0}), {.reduction = Reduction::Sum}), {}, {0});
  });
  t.val("empty", "cross_entropy of an empty batch (none) is empty", [] {
    return is(cross_entropy(F({0, 3}), L({0}), {.reduction = Reduction::None}), {0});
  });
  t.val("index", "cross_entropy with every target ignored is NaN", [] {
    return is(cross_entropy(R({2, 3}), I({-100, -100})), {}, {kNaN});
  });
  t.val("index", "cross_entropy ignores ignore_index", [] {
    return is(cross_entropy(F({2, 3}), I({1, -100})), {}, {std::log(3.0)});
  });
  t.val("nonfinite", "cross_entropy with -inf on another class is finite", [] {
    return is(cross_entropy(V({0, -kInf}, {1, 2}), I({0})), {}, {0});
  });
  t.val("nonfinite", "cross_entropy with -inf on the target class is inf", [] {
    return is(cross_entropy(V({-kInf, 0}, {1, 2}), I({0})), {}, {kInf});
  });
  t.val("nonfinite", "cross_entropy with a NaN logit is NaN", [] {
    return is(cross_entropy(V({kNaN, 0, 1, 2}, {2, 2}), I({1, 0}), {.reduction = Reduction::None}),
              {2}, {kNaN, 1 + std::log1p(std::exp(-1.0))}, 1e-5);
  });
  t.val("nonfinite", "cross_entropy with +inf logits is NaN", [] {
    return is(cross_entropy(V({kInf, 0}, {1, 2}), I({0})), {}, {kNaN});
  });
  t.val("nonfinite", "cross_entropy of large logits stays finite", [] {
    return is(cross_entropy(V({1e4, -1e4}, {1, 2}), I({1})), {}, {2e4}, 1e-2);
  });

  t.err("index", "nll_loss with target == C",
        [] {
          nll_loss(R({2, 3}), I({3, 0}));
        },
        {"nll_loss:", "target 3", "3 classes"});
  t.err("index", "nll_loss with a negative target",
        [] {
          nll_loss(R({2, 3}), I({0, -2}));
        },
        {"nll_loss:", "target -2", "position 1"});
  t.err("dtype", "nll_loss with float targets",
        [] {
          nll_loss(R({2, 3}), F({2}));
        },
        {"nll_loss:", "target", "[2] float32"});
  t.err("shape", "nll_loss with the wrong target shape",
        [] {
          nll_loss(R({2, 3, 4}), L({2, 3}));
        },
        {"nll_loss:", "target has shape [2, 3]", "[2, 3, 4]", "[2, 4]"});
  t.err("shape", "nll_loss with a class weight of the wrong size",
        [] {
          nll_loss(R({2, 3}), I({0, 1}), {.weight = F({2})});
        },
        {"nll_loss:", "weight must be [3]", "[2] float32"});
  t.val("empty", "nll_loss of an empty batch is NaN", [] {
    return is(nll_loss(F({0, 3}), L({0})), {}, {kNaN});
  });
  t.val("nonfinite", "nll_loss of -inf is inf", [] {
    return is(nll_loss(V({-kInf, 0}, {1, 2}), I({0})), {}, {kInf});
  });

  t.err("index", "multiclass_hinge_loss with target == C",
        [] {
          multiclass_hinge_loss(R({2, 3}), I({3, 0}));
        },
        {"multiclass_hinge_loss:", "target 3", "3 classes"});
  t.err("index", "multiclass_hinge_loss with target -100 (no ignore_index)",
        [] {
          multiclass_hinge_loss(R({2, 3}), I({-100, 0}));
        },
        {"multiclass_hinge_loss:", "target -100"});
  t.err("rank", "multiclass_hinge_loss of a 3-D input",
        [] {
          multiclass_hinge_loss(R({2, 3, 4}), L({2, 4}));
        },
        {"multiclass_hinge_loss:", "[N, C]", "[2, 3, 4] float32"});
  t.err("nonfinite", "multiclass_hinge_loss with an infinite margin",
        [] {
          multiclass_hinge_loss(R({2, 3}), I({0, 1}), kInf);
        },
        {"multiclass_hinge_loss:", "margin must be finite", "inf"});
  t.err("dtype", "multiclass_hinge_loss with float targets",
        [] {
          multiclass_hinge_loss(R({2, 3}), F({2}));
        },
        {"multiclass_hinge_loss:", "[2] float32"});
  t.val("empty", "multiclass_hinge_loss of an empty batch is NaN", [] {
    return is(multiclass_hinge_loss(F({0, 3}), L({0})), {}, {kNaN});
  });
  // A hinge term that is NaN counts as 0 (ops/loss.h), as in PyTorch: a NaN on
  // another class drops its term, a NaN on the target class drops them all.
  t.val("nonfinite", "multiclass_hinge_loss: a NaN term counts as 0", [] {
    return is(multiclass_hinge_loss(V({kNaN, 0, 0}, {1, 3}), I({1})), {}, {1});
  });
  t.val("nonfinite", "multi_margin_loss: NaN on the target class gives 0", [] {
    return is(multi_margin_loss(V({0, kNaN, 0}, {1, 3}), I({1})), {}, {0});
  });
  t.val("nonfinite", "multi_margin_loss with an inf score is inf", [] {
    return is(multi_margin_loss(V({kInf, 0, 0}, {1, 3}), I({1})), {}, {kInf});
  });

  t.err("index", "multi_margin_loss with target == C",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 3}));
        },
        {"multi_margin_loss:", "target 3", "3 classes"});
  t.err("size", "multi_margin_loss with p = 3",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 1}), {.p = 3});
        },
        {"multi_margin_loss:", "p must be 1 or 2", "3"});
  t.err("nonfinite", "multi_margin_loss with a NaN margin",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 1}), {.margin = kNaN});
        },
        {"multi_margin_loss:", "margin must be finite"});
  t.err("shape", "multi_margin_loss with a class weight of the wrong size",
        [] {
          multi_margin_loss(R({2, 3}), I({0, 1}), {.weight = F({3, 1})});
        },
        {"multi_margin_loss:", "weight must be [3]", "[3, 1] float32"});
  t.err("shape", "multi_margin_loss with the wrong target length",
        [] {
          multi_margin_loss(R({2, 3}), I({0}));
        },
        {"multi_margin_loss:", "target has shape [1]", "[2, 3]"});
  t.err("rank", "multi_margin_loss of a 0-D input", [] { multi_margin_loss(F({}), L({})); },
        {"multi_margin_loss:", "[] float32"});
  t.val("empty", "multi_margin_loss of an empty batch is NaN", [] {
    return is(multi_margin_loss(F({0, 3}), L({0})), {}, {kNaN});
  });

  t.err("shape", "mse_loss of different shapes",
        [] {
          mse_loss(F({2, 3}), F({3, 2}));
        },
        {"mse_loss:", "[2, 3]", "[3, 2]"});
  t.err("shape", "mse_loss does not broadcast",
        [] {
          mse_loss(F({2, 3}), F({1, 3}));
        },
        {"mse_loss:", "[2, 3]", "[1, 3]"});
  t.err("dtype", "mse_loss float32 and float64", [] { mse_loss(F({2}), D({2})); },
        {"mse_loss:", "float64", "float32"});
  t.err("dtype", "mse_loss with an int64 target", [] { mse_loss(F({2}), L({2})); },
        {"mse_loss:", "target", "[2] int64"});
  t.val("empty", "mse_loss of empty tensors (mean) is NaN",
        [] { return is(mse_loss(F({0}), F({0})), {}, {kNaN}); });
  t.val("empty", "mse_loss of empty tensors (sum) is 0",
        [] { return is(mse_loss(F({0}), F({0}), Reduction::Sum), {}, {0}); });
  t.val("nonfinite", "mse_loss with inf and NaN", [] {
    return is(mse_loss(V({kInf, kNaN}, {2}), F({2}), Reduction::None), {2}, {kInf, kNaN});
  });

  const std::string bce = "binary_cross_entropy_with_logits:";
  t.err("shape", "bce_with_logits of different shapes",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 1}));
        },
        {bce, "[4, 2]", "[4, 1]"});
  t.err("dtype", "bce_with_logits with int64 targets",
        [] { binary_cross_entropy_with_logits(F({4}), L({4})); }, {bce, "target", "[4] int64"});
  t.err("dtype", "bce_with_logits float32 and float64",
        [] { binary_cross_entropy_with_logits(F({4}), D({4})); }, {bce, "float64", "float32"});
  t.err("shape", "bce_with_logits with pos_weight of the wrong size",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 2}), {.pos_weight = F({3})});
        },
        {bce, "pos_weight must be [2]", "[4, 2]", "[3] float32"});
  t.err("shape", "bce_with_logits with a weight that does not broadcast",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 2}), {.weight = F({3})});
        },
        {bce, "[3]", "[4, 2]"});
  t.err("shape", "bce_with_logits with a weight larger than the input",
        [] {
          binary_cross_entropy_with_logits(F({2}), F({2}), {.weight = F({3, 2})});
        },
        {bce, "weight", "[3, 2]", "[2]"});
  t.err("dtype", "bce_with_logits with a float64 pos_weight",
        [] {
          binary_cross_entropy_with_logits(F({4, 2}), F({4, 2}), {.pos_weight = D({2})});
        },
        {bce, "pos_weight", "float64"});
  t.val("empty", "bce_with_logits of empty tensors (mean) is NaN", [] {
    return is(binary_cross_entropy_with_logits(F({0, 2}), F({0, 2})), {}, {kNaN});
  });
  t.val("nonfinite", "bce_with_logits is finite for logits of +-1000", [] {
    return is(binary_cross_entropy_with_logits(V({1000, -1000}, {2}), V({1, 0}, {2}),
                                               {.reduction = Reduction::None}),
              {2}, {0, 0});
  });
  t.val("nonfinite", "bce_with_logits of wrong-side logits +-1000 is 1000", [] {
    return is(binary_cross_entropy_with_logits(V({1000, -1000}, {2}), V({0, 1}, {2}),
                                               {.reduction = Reduction::None}),
              {2}, {1000, 1000}, 1e-3);
  });
  t.val("nonfinite", "bce_with_logits of NaN is NaN", [] {
    return is(binary_cross_entropy_with_logits(V({kNaN}, {1}), V({1}, {1})), {}, {kNaN});
  });

  t.err("empty", "l1_penalty of no parameters", [] { l1_penalty({}); },
        {"l1_penalty:", "at least one parameter"});
  t.err("undefined", "l2_penalty of an undefined parameter",
        [] {
          l2_penalty({F({2}), Tensor()});
        },
        {"l2_penalty:", "parameter 1", "undefined"});
  t.err("dtype", "l2_penalty of int64", [] { l2_penalty({L({2})}); }, {"l2_penalty:", "[2] int64"});
  t.err("dtype", "l1_penalty of float32 and float64",
        [] {
          l1_penalty({F({2}), D({3})});
        },
        {"l1_penalty:", "[3] float64", "float32"});
  t.val("empty", "l2_penalty of an empty parameter is 0",
        [] { return is(l2_penalty({F({0})}), {}, {0}); });
  return t;
}

TEST(LossBadInput, Table) { run_table(loss_bad_input()); }

}  // namespace gpunn::bad_input
