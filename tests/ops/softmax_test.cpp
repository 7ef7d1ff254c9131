// softmax and log_softmax over one dim.
//
// Same parts as every op test file (see elementwise_test.cpp): hand-checked
// forward values in float32 and float64; values and gradients against fixed
// float64 references for every dim, negative dims included; gradient and JVP
// checks in double; edge cases (dims of size 1, 0-D, empty, large and infinite
// logits); bad input.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "ops/rows.h"
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

Tensor apply(bool log, const Tensor& x, int64_t dim) {
  return log ? log_softmax(x, dim) : softmax(x, dim);
}
std::string op_name(bool log) { return log ? "log_softmax" : "softmax"; }

class SoftmaxTyped : public ::testing::TestWithParam<DType> {};

TEST_P(SoftmaxTyped, HandChecked) {
  const DType dt = GetParam();
  const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
  const double ln2 = std::log(2.0), ln3 = std::log(3.0), ln6 = std::log(6.0);
  // e^x = {1, 2, 3}: softmax = {1, 2, 3} / 6.
  Tensor x = tensor({0, ln2, ln3}, dt);
  EXPECT_TRUE(values_near(softmax(x, 0), {1.0 / 6, 2.0 / 6, 3.0 / 6}, tol));
  EXPECT_TRUE(values_near(log_softmax(x, 0), {-ln6, ln2 - ln6, ln3 - ln6}, tol));
  // [[0, ln 3], [ln 3, 0]] over rows and over columns.
  Tensor m = tensor({0, ln3, ln3, 0}, {2, 2}, dt);
  EXPECT_TRUE(values_near(softmax(m, 1), {0.25, 0.75, 0.75, 0.25}, tol));
  EXPECT_TRUE(values_near(softmax(m, 0), {0.25, 0.75, 0.75, 0.25}, tol));
  EXPECT_TRUE(values_near(softmax(m, -1), {0.25, 0.75, 0.75, 0.25}, tol));
  EXPECT_TRUE(values_near(log_softmax(m, 1),
                          {std::log(0.25), std::log(0.75), std::log(0.75), std::log(0.25)}, tol));
  // Equal logits: uniform.
  EXPECT_TRUE(values_near(softmax(full({2, 4}, 7.0, dt), 1), std::vector<double>(8, 0.25), tol));
  for (bool log : {false, true}) {
    EXPECT_EQ(apply(log, m, 0).dtype(), dt);
    EXPECT_EQ(apply(log, m, 0).shape(), (Shape{2, 2}));
  }
}

TEST_P(SoftmaxTyped, LargeLogitsStayFinite) {
  const DType dt = GetParam();
  const double tol = dt == kFloat32 ? 1e-6 : 1e-15;
  // Values from PyTorch 1.13 (float64): softmax and log_softmax of {0, 1, 2};
  // adding 1000 changes neither, and e^1000 would overflow without the shift.
  const std::vector<double> sm = {0.09003057317038045, 0.2447284710547976, 0.6652409557748218};
  const std::vector<double> lsm = {-2.4076059644443806, -1.4076059644443804, -0.4076059644443804};
  Tensor big = test::leaf(tensor({1000, 1001, 1002}, dt));
  Tensor y = softmax(big, 0);
  EXPECT_TRUE(values_near(y, sm, tol, dt == kFloat32 ? 1e-6 : 1e-14));
  EXPECT_TRUE(values_near(log_softmax(big, 0), lsm, dt == kFloat32 ? 1e-4 : 1e-13));
  y.backward(tensor({1, 0, 0}, dt));
  for (double g : big.grad().to_vector<double>()) EXPECT_TRUE(std::isfinite(g));
  // Very negative logits underflow to probability 0, with a finite log.
  Tensor neg = tensor({-1000, 0}, dt);
  EXPECT_TRUE(values_near(softmax(neg, 0), {0, 1}, 0));
  EXPECT_TRUE(values_near(log_softmax(neg, 0), {-1000, 0}, 0));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, SoftmaxTyped, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& p) { return std::string(dtype_name(p.param)); });

// x [2, 3, 4] and upstream weights r for the reference cases.
const std::vector<double> kX = {0.3,  -1.2, 2.5,  0.0,   1.1, -0.7,  0.9,  3.2,
                                -2.0, 0.45, 1.6,  -0.15, 2.2, 0.8,   -0.4, 1.3,
                                -1.8, 0.6,  0.05, -0.9,  2.9, -0.25, 1.05, 0.35};
const std::vector<double> kR = {0.5, -1.0, 2.0, 1.5,  -0.25, 0.75, 1.2,   -0.6,
                                0.3, -1.7, 0.9, 0.1,  -0.8,  1.4,  0.65,  -0.35,
                                2.2, -1.1, 0.4, 0.85, -0.55, 1.75, -0.05, 0.95};

struct Reference {
  bool log;
  int64_t dim;
  std::vector<double> y, dx;
};

// Expected values from PyTorch 1.13 in float64:
//   y = torch.softmax(x, dim) (or log_softmax); (y * r).sum().backward() -> y, x.grad
const std::vector<Reference> kReferences = {
    {false,
     0,
     {0.13010847436299783,  0.11920292202211755, 0.9478464369215823,  0.2141650169574414,
      0.9478464369215823,   0.21416501695744145, 0.7005671424739729,  0.9836975006285591,
      0.007391541344281971, 0.6681877721681662,  0.6341355910108007,  0.37754066879814546,
      0.8698915256370021,   0.8807970779778823,  0.05215356307841774, 0.7858349830425586,
      0.052153563078417724, 0.7858349830425586,  0.29943285752602705, 0.01630249937144093,
      0.9926084586557181,   0.33181222783183395, 0.3658644089891993,  0.6224593312018546},
     {0.14713433704051027,   -0.25198460496841557, 0.06673531806446821,  0.3113519705677614,
      -0.12111224389477591,  0.31135197056776154,  0.16781825708786,     -0.023253255434243454,
      0.00623637049171208,   -0.7649094128612264,  0.22040726106297398,  -0.19975315537135535,
      -0.14713433704051024,  0.2519846049684158,   -0.06673531806446838, -0.3113519705677614,
      0.12111224389477591,   -0.3113519705677615,  -0.16781825708786002, 0.02325325543424339,
      -0.006236370491712055, 0.7649094128612264,   -0.22040726106297412, 0.1997531553713553}},
    {false,
     1,
     {0.3006795563444017,   0.12729608567590112, 0.6217103062794989,  0.03788849225036514,
      0.669174659005423,    0.20987576413072406, 0.12552114603922154, 0.9295005802550267,
      0.030145784650175325, 0.6628281501933748,  0.25276854768127954, 0.032610927494608276,
      0.3298078690082171,   0.46111242865867313, 0.14638230692038837, 0.6677599313208845,
      0.006040641831417448, 0.3775269259693326,  0.229573155683407,   0.07398990941816914,
      0.6641514891603654,   0.16136064537199427, 0.6240445373962046,  0.2582501592609463},
     {0.15271819892085386,  0.012309164605650652, 0.2352939244353062,   0.07568629903969455,
      -0.16200039203005273, 0.3875769687386525,   -0.05291189278259136, -0.0951748018368003,
      0.009282193109198875, -0.3998861333443032,  -0.1823820316527148,  0.019488502797105733,
      -0.0607373504642386,  0.4091640046173112,   0.07234571733756875,  -0.28347283739302415,
      0.01700948211609086,  -0.6088221612905975,  0.056067381147684725, 0.0573782056087236,
      0.043727868348147673, 0.19965815667328626,  -0.12841309848525345, 0.22609463178430061}},
    {false,
     2,
     {0.09100040667134894, 0.020304935314150334, 0.8212798986629193,  0.06741475935158148,
      0.09852023053270915, 0.016285284574391223, 0.08066154253746133, 0.8045329423554383,
      0.01800296666676704, 0.20862461970911783,  0.6588767947520602,  0.11449561887205503,
      0.5788912397095484,  0.14275282216476734,  0.04299632377015984, 0.23535961435552463,
      0.04797866136123854, 0.5288772466920064,   0.305135627193507,   0.11800846475324801,
      0.7823679554103757,  0.033526130881952255, 0.12301732032331406, 0.061088593384358056},
     {-0.11546834161410523,  -0.056221872527654405, 0.18981650616980827, -0.018126292028048746,
      0.014614688882069815,  0.018701076398301743,  0.12892473191373635, -0.1622404971941079,
      0.0008069341269326998, -0.40789820697576573,  0.4248584412093237,  -0.017767168360490755,
      -0.2792065995451997,   0.24520470900218197,   0.04160699625745319, -0.007605105714435436,
      0.11773246075277974,   -0.4475092334787653,   0.19951307339116992, 0.13026369933481563,
      -0.1801415136313786,   0.0693906540323377,    0.03318371902281134, 0.07756714057622961}},
    {true,
     0,
     {-2.039386758282961,    -2.1269280110429727,  -0.05356277621796309, -1.5410084538329922,
      -0.05356277621796309,  -1.541008453832992,   -0.35586506844219595, -0.016436847252909493,
      -4.907418994148687,    -0.40318604888545784, -0.4554924814633376,  -0.9740769841801067,
      -0.13938675828296063,  -0.1269280110429726,  -2.953562776217963,   -0.24100845383299216,
      -2.9535627762179635,   -0.24100845383299216, -1.2058650684421959,  -4.11643684725291,
      -0.007418994148686643, -1.103186048885458,   -1.0054924814633377,  -0.4740769841801067},
     {0.5390325423088994,  -1.047681168808847,  -0.5117930578421931,  1.2537102304989425,
      -2.098300551997086,  0.8249577559351046,  0.07909257204164327,  -0.8459243751571397,
      0.3018478853360705,  -1.7334093886084083, 0.3609847476408194,   -0.2964177022380527,
      -0.5390325423088994, 1.047681168808847,   0.511793057842193,    -1.2537102304989423,
      2.0983005519970854,  -0.8249577559351045, -0.07909257204164329, 0.8459243751571397,
      -0.3018478853360705, 1.7334093886084083,  -0.3609847476408194,  0.2964177022380526}},
    {true,
     1,
     {-1.201710178181468,   -2.061239522706133,  -0.47528104026744805, -3.2731078475550706,
      -0.40171017818146815, -1.561239522706133,  -2.075281040267448,   -0.07310784755507026,
      -3.5017101781814683,  -0.4112395227061331, -1.375281040267448,   -3.4231078475550705,
      -1.109245009201267,   -0.7741133857656325, -1.9215335391273354,  -0.40382655428966036,
      -5.109245009201267,   -0.9741133857656326, -1.4715335391273352,  -2.6038265542896606,
      -0.40924500920126705, -1.8241133857656324, -0.47153353912733525, -1.3538265542896604},
     {0.33462624401057905, -0.7517726329319928, -0.5490122557459457, 1.462111507749635,
      -0.6180460624529827, 1.159257740054912,   0.6853633012391914,  -1.5295005802550268,
      0.28341981844240355, -0.4074851071229191, -0.136351045493246,  0.06738907250539174,
      -1.0803366886569847, 0.4547195212497202,  0.5036176930796117,  -1.3182519004152824,
      2.1948654544432955,  -1.8739301982371317, 0.17042684431659302, 0.7427146313436547,
      -1.1145287657863108, 1.4192106769874118,  -0.6740445373962046, 0.5755372690716278}},
    {true,
     2,
     {-2.39689130355935,    -3.89689130355935,   -0.19689130355934986, -2.69689130355935,
      -2.3174933657740606,  -4.117493365774061,  -2.517493365774061,   -0.21749336577406053,
      -4.017218719846052,   -1.5672187198460517, -0.41721871984605163, -2.1672187198460517,
      -0.5466406606605838,  -1.946640660660584,  -3.1466406606605837,  -1.446640660660584,
      -3.0369989218923013,  -0.6369989218923013, -1.1869989218923012,  -2.1369989218923013,
      -0.24543011788661115, -3.395430117886611,  -2.095430117886611,   -2.7954301178866108},
     {0.2269987799859532,   -1.060914805942451,  -0.46383969598875785, 1.2977557219452556,
      -0.35837225358598007, 0.7320861869681696,  1.1112723032087926,   -1.484986236590982,
      0.3072011866667068,   -1.6165501521163528, 1.163550717900824,    0.145798247548822,
      -1.3210021157385934,  1.2715224600517092,  0.6113033086068561,   -0.5618236529199722,
      2.0872501458010895,   -2.3428615297262154, -0.3170687239047416,  0.5726801078298671,
      -2.1929727063617888,  1.6795951251479002,  -0.30833637267895947, 0.8217139538928481}},
};

TEST(Softmax, MatchesTorchReference) {
  const Tensor r = tensor(kR, {2, 3, 4}, kFloat64);
  for (const Reference& ref : kReferences) {
    // dim d and dim d - 3 name the same dim; PyTorch gives identical results.
    for (int64_t dim : {ref.dim, ref.dim - 3}) {
      SCOPED_TRACE(op_name(ref.log) + " dim " + std::to_string(dim));
      Tensor x = test::leaf(tensor(kX, {2, 3, 4}, kFloat64));
      Tensor y = apply(ref.log, x, dim);
      EXPECT_EQ(y.shape(), (Shape{2, 3, 4}));
      EXPECT_TRUE(values_near(y, ref.y, kRefAtol, kRefRtol));
      y.backward(r);
      EXPECT_TRUE(values_near(x.grad(), ref.dx, kRefAtol, kRefRtol));
    }
  }
}

TEST(Softmax, InfiniteLogits) {
  // Expected values from PyTorch 1.13 in float64, with r = {2, -1, 0.5}:
  // a -inf logit has probability 0 and passes dy straight through log_softmax.
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor r = tensor({2.0, -1.0, 0.5}, kFloat64);
  Tensor x = test::leaf(tensor({-inf, 0.0, 1.0}, kFloat64));
  Tensor y = softmax(x, 0);
  EXPECT_TRUE(values_near(y, {0.0, 0.26894142136999516, 0.7310585786300049}, kRefAtol, kRefRtol));
  y.backward(r);
  EXPECT_TRUE(
      values_near(x.grad(), {0.0, -0.29491789986222283, 0.29491789986222283}, kRefAtol, kRefRtol));
  Tensor x2 = test::leaf(tensor({-inf, 0.0, 1.0}, kFloat64));
  Tensor ly = log_softmax(x2, 0);
  EXPECT_TRUE(
      values_near(ly, {-inf, -1.3132616875182228, -0.31326168751822286}, kRefAtol, kRefRtol));
  ly.backward(r);
  EXPECT_TRUE(
      values_near(x2.grad(), {2.0, -1.4034121320549926, -0.5965878679450074}, kRefAtol, kRefRtol));
}

TEST(Softmax, Float32AgreesWithFloat64) {
  test::reseed(21);
  const Tensor x64 = test::uniform({4, 5, 3}, -5.0, 5.0);
  const Tensor r64 = test::uniform({4, 5, 3});
  for (bool log : {false, true}) {
    for (int64_t dim : {0, 1, -1}) {
      SCOPED_TRACE(op_name(log) + " dim " + std::to_string(dim));
      Tensor a = test::leaf(x64);
      Tensor b = test::leaf(x64.to(kFloat32));
      Tensor ya = apply(log, a, dim), yb = apply(log, b, dim);
      EXPECT_EQ(yb.dtype(), kFloat32);
      // float32 carries about 7 digits.
      EXPECT_TRUE(test::tensors_near(yb, ya, 1e-6, 1e-5));
      ya.backward(r64);
      yb.backward(r64.to(kFloat32));
      EXPECT_TRUE(test::tensors_near(b.grad(), a.grad(), 1e-6, 1e-5));
    }
  }
}

TEST(Softmax, Derivatives) {
  test::reseed(5);
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{2}, 0},       {{7}, -1},       {{3, 4}, 0},    {{3, 4}, 1}, {{3, 4}, -2},
      {{2, 3, 5}, 1}, {{2, 3, 5}, -1}, {{2, 1, 3}, 2}, {{1, 3}, 1}, {{3, 1, 2}, 0}};
  for (const auto& [shape, dim] : cases) {
    SCOPED_TRACE(::testing::PrintToString(shape) + " dim " + std::to_string(dim));
    Tensor x = test::leaf(test::uniform(shape, -2.0, 2.0));
    EXPECT_TRUE(derivatives_ok([d = dim](const auto& v) { return softmax(v[0], d); }, {x}));
    EXPECT_TRUE(derivatives_ok([d = dim](const auto& v) { return log_softmax(v[0], d); }, {x}));
  }
  // Composed, so the backward receives a non-trivial upstream gradient and the
  // JVP a non-trivial tangent.
  Tensor x = test::leaf(test::uniform({3, 4}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return softmax(v[0] * v[0], 1).log(); }, {x}));
  EXPECT_TRUE(derivatives_ok([](const auto& v) { return log_softmax(exp(v[0]), 0) * v[0]; }, {x}));
}

TEST(Softmax, DimOfSizeOne) {
  // Over a dim of size 1, softmax is 1 and log_softmax 0 whatever x is; both
  // gradients are exactly 0 (PyTorch 1.13 agrees).
  for (bool log : {false, true}) {
    SCOPED_TRACE(op_name(log));
    for (const auto& [shape, dim] : std::vector<std::pair<Shape, int64_t>>{
             {{3, 1}, 1}, {{3, 1}, -1}, {{1, 4}, 0}, {{2, 1, 3}, 1}, {{1}, 0}}) {
      SCOPED_TRACE(::testing::PrintToString(shape) + " dim " + std::to_string(dim));
      test::reseed(7);
      Tensor x = test::leaf(test::uniform(shape, -3.0, 3.0));
      Tensor y = apply(log, x, dim);
      EXPECT_EQ(y.shape(), shape);
      EXPECT_TRUE(values_near(y, std::vector<double>(x.numel(), log ? 0.0 : 1.0), 0));
      y.backward(test::uniform(shape));
      EXPECT_TRUE(values_near(x.grad(), std::vector<double>(x.numel(), 0.0), 0));
      testing::GradcheckOptions o;
      o.allow_zero_gradient = true;  // the true gradient is zero
      EXPECT_TRUE(derivatives_ok([log, d = dim](const auto& v) { return apply(log, v[0], d); },
                                 {test::leaf(x.detach())}, o));
    }
  }
}

TEST(Softmax, ZeroDimAndEmpty) {
  // A 0-D tensor is one class: dims 0 and -1 both name it (as in PyTorch).
  for (int64_t dim : {0, -1}) {
    Tensor s = test::leaf(scalar_tensor(3.0, kFloat64));
    Tensor y = softmax(s, dim);
    EXPECT_EQ(y.dim(), 0);
    EXPECT_DOUBLE_EQ(y.item(), 1.0);
    y.backward();
    EXPECT_DOUBLE_EQ(s.grad().item(), 0.0);
    EXPECT_DOUBLE_EQ(log_softmax(scalar_tensor(3.0, kFloat64), dim).item(), 0.0);
  }
  for (bool log : {false, true}) {
    SCOPED_TRACE(op_name(log));
    Tensor rows = test::leaf(zeros({0, 3}, kFloat64));
    Tensor y = apply(log, rows, 1);
    EXPECT_EQ(y.shape(), (Shape{0, 3}));
    y.sum().backward();
    EXPECT_EQ(rows.grad().shape(), (Shape{0, 3}));
    EXPECT_EQ(apply(log, zeros({3, 0}, kFloat64), 1).shape(), (Shape{3, 0}));
  }
}

TEST(Softmax, NonContiguousInput) {
  // x.t() is [3, 2] with strides (1, 3); the result must follow its logical layout.
  Tensor base = tensor({0.3, -1.2, 2.5, 0.0, 1.1, -0.7}, {2, 3}, kFloat64);
  Tensor xt = base.t();
  Tensor expected = softmax(xt.contiguous(), 1);
  EXPECT_TRUE(test::tensors_near(softmax(xt, 1), expected, 1e-15));
  EXPECT_TRUE(test::tensors_near(log_softmax(xt, 0), log_softmax(xt.contiguous(), 0), 1e-15));
  // Rows of a random input sum to 1.
  test::reseed(8);
  Tensor p = softmax(test::uniform({6, 9}, -10.0, 10.0), 1).sum({1});
  EXPECT_TRUE(values_near(p, std::vector<double>(6, 1.0), 1e-14));
  // The method forms are the same ops.
  EXPECT_TRUE(test::tensors_near(base.softmax(0), softmax(base, 0), 0));
  EXPECT_TRUE(test::tensors_near(base.log_softmax(-1), log_softmax(base, -1), 0));
}

TEST(Softmax, BadInput) {
  Tensor x = zeros({2, 3, 4});
  EXPECT_THROWS_WITH(softmax(x, 3), "softmax", "dim 3", "3 dims");
  EXPECT_THROWS_WITH(softmax(x, -4), "softmax", "dim -4", "3 dims");
  EXPECT_THROWS_WITH(log_softmax(x, 5), "log_softmax", "dim 5");
  EXPECT_THROWS_WITH(softmax(scalar_tensor(1.0), 1), "softmax", "dim 1");
  EXPECT_THROWS_WITH(softmax(zeros({2, 3}, kInt64), 1), "softmax", "int64", "[2, 3]");
  EXPECT_THROWS_WITH(log_softmax(zeros({2, 3}, kInt64), 1), "log_softmax", "int64");
  EXPECT_THROWS_WITH(softmax(Tensor(), 0), "softmax", "undefined");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(SoftmaxRows, OverRowsAndChannels) {
  const auto S = OpFamily::Softmax;
  // Rows ([N, C], the warp-per-row kernel), including C above one warp. oneDNN serves
  // softmax (not log_softmax, whose accuracy it does not reach: kernels/softmax.h).
  for (int64_t C : {3, 32, 100, 1000}) {
    const Tensor x = mul(test::uniform({17, C}), 5.0);
    const std::string c = " C " + std::to_string(C);
    test::expect_rows(S, "softmax" + c, [](auto& in) { return softmax(in[0], 1); }, {x},
                      {.cpu_vendor_ops = {"softmax", "softmax_backward"},
                       .cuda_vendor_ops = {"softmax", "softmax_backward"}});
    test::expect_rows(S, "log_softmax" + c, [](auto& in) { return log_softmax(in[0], -1); }, {x},
                      {.cuda_vendor_ops = {"log_softmax", "log_softmax_backward"}});
  }
  // Channels of an image batch (the strided kernel).
  const Tensor img = test::uniform({2, 5, 3, 4});
  test::expect_rows(S, "softmax over channels", [](auto& in) { return softmax(in[0], 1); }, {img},
                    {.cpu_vendor_ops = {"softmax"}, .cuda_vendor_ops = {"softmax"}});
  test::expect_rows(S, "log_softmax over channels", [](auto& in) { return log_softmax(in[0], 1); },
                    {img});
}

TEST(SoftmaxRows, NonFiniteRowsKeepTheReferenceOnOneDnn) {
  // oneDNN does not turn a row holding +inf into NaN; its entry refuses such input.
  const Tensor x = tensor({1.0, std::numeric_limits<double>::infinity(), 0.0}, kFloat32);
  set_impl(OpFamily::Softmax, Impl::Vendor);
  LaunchTrace trace;
  const Tensor y = softmax(x, 0);
  set_impl(OpFamily::Softmax, Impl::Auto);
  EXPECT_EQ(trace.count("softmax", Implementation::CpuVendor), 0);
  EXPECT_TRUE(std::isnan(y.to_vector<float>()[1]));
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table softmax_bad_input() {
  Table t;
  using Sm = Tensor (*)(const Tensor&, int64_t);
  const std::vector<std::pair<std::string, Sm>> sms = {
      {"softmax", [](const Tensor& x, int64_t d) { return softmax(x, d); }},
      {"log_softmax", [](const Tensor& x, int64_t d) { return log_softmax(x, d); }},
  };
  for (const auto& [name, f] : sms) {
    t.err("dim", name + " over dim 2 of a 2-D tensor",
          [f = f] {
            f(F({2, 3}), 2);
          },
          {name + ":", "dim 2", "out of range", "[2, 3]"});
    t.err("dim", name + " over dim -3 of a 2-D tensor",
          [f = f] {
            f(F({2, 3}), -3);
          },
          {name + ":", "dim -3", "[2, 3]"});
    t.err("dtype", name + " of int64", [f = f] { f(L({2, 3}), 1); }, {name + ":", "[2, 3] int64"});
    t.val("empty", name + " of [2, 0] over dim 1", [f = f] { return is(f(F({2, 0}), 1), {2, 0}); });
    t.val("empty", name + " of [0, 3] over dim 1", [f = f] { return is(f(F({0, 3}), 1), {0, 3}); });
  }
  // A NaN poisons its own row only; +inf gives NaN (inf - inf); -inf is a zero weight.
  t.val("nonfinite", "softmax with a NaN in one row", [] {
    return is(softmax(V({kNaN, 0, 0, 0}, {2, 2}), 1), {2, 2}, {kNaN, kNaN, 0.5, 0.5});
  });
  t.val("nonfinite", "softmax with -inf", [] {
    return is(softmax(V({-kInf, 0}, {2}), 0), {2}, {0, 1});
  });
  t.val("nonfinite", "softmax with +inf", [] {
    return is(softmax(V({kInf, 0}, {2}), 0), {2}, {kNaN, kNaN});
  });
  t.val("nonfinite", "softmax of an all -inf row", [] {
    return is(softmax(V({-kInf, -kInf}, {2}), 0), {2}, {kNaN, kNaN});
  });
  t.val("nonfinite", "log_softmax with -inf", [] {
    return is(log_softmax(V({-kInf, 0}, {2}), 0), {2}, {-kInf, 0});
  });
  return t;
}

TEST(SoftmaxBadInput, Table) { run_table(softmax_bad_input()); }

}  // namespace gpunn::bad_input
