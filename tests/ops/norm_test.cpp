// The norm family: batch_norm and local_response_norm.
//
// Values and gradients against fixed float64 references, gradient and JVP
// checks in double over several shapes (size-1 and odd sizes included), edge
// cases and bad input.
#include <gpunn/gpunn.h>
#include <gpunn/testing/gradcheck.h>
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
using test::leaf;
using test::seq;
using test::values_near;
using test::weights_like;

constexpr double kAtol = 1e-12;
constexpr double kRtol = 1e-10;

// Reference values (float64), from the formulas in gpunn/ops/norm.h evaluated
// independently; inputs are seq(...) as in each test.
const std::vector<double> kBnTrainY = {
    -0.07136556869311964, 0.8404849057359022,    1.5940224962835698,   2.087259425073896,
    1.775254832518519,    1.126733093089228,     -0.6702567318318584,  -3.372500499502033,
    0.6737267343014742,   -0.46587150533406013,  -1.4855837779398364,  -2.2473968111051827,
    -1.2456790659898025,  -1.2086892478519755,   -0.11359211813542625, 1.8913960639855834,
    -1.0011353266875596,  -0.053858912415256026, 0.8561498582059395,   1.6057255671165755,
    1.2093102353396907,   1.774469844593031,     1.1034932377089965,   -0.7128060492642085,
    1.7598449780520562,   0.6525688143565245,    -0.486197032738639,   -1.5023259480211992,
    -0.24744248788838216, -1.254816789570712,    -1.1978406332967666,  -0.0842254745309912,
    -1.8432458340676527,  -0.9841252063413866,   -0.03636504345978779, 0.8717597626750251,
    -0.4744217476693778,  1.2306884605669965,    1.7732607120001345,   1.079860397720049,
    2.671154850636437,    1.7406560642454618,    0.6314000896304216,   -0.5064804807995648,
    1.645304939251083,    -0.2750113825913069,   -1.2635893118371528,  -1.1866294633917203};
const std::vector<double> kBnTrainDx = {
    1.5469044049259169,   1.321622469032194,   1.0392847268526688,   0.7270552768239354,
    4.313882165365598,    2.961113854900324,   1.2097618200344868,   -0.8133204933012645,
    -0.04538376326734318, -0.6273451787925963, -1.1422074751145117,  -1.5524801910423482,
    -4.88359119533613,    -5.161110989860504,  -3.9078199492387027,  -1.2970348126069362,
    -1.4697037168971214,  -1.416423866560956,  -1.2905860078604559,  -1.0839706453771742,
    -0.190127622679725,   1.3390590268281013,  2.5426139875008014,   3.37007410322955,
    2.14077868643853,     2.292192245489556,   2.3455625172585517,   2.30966393722765,
    6.482658877873402,    4.961209625138909,   4.441976894873161,    4.946724089630506,
    0.9911032182649763,   0.45445737212288095, -0.12334209170544672, -0.6964011396214185,
    -2.4159559292888955,  -3.2166268294768794, -4.092519534467089,   -5.007954548645007,
    -1.2713618746717472,  -1.4380608014222735, -1.5174107121358864,  -1.493947389967582,
    -0.605862841370172,   -1.9981404227376407, -2.1176838048122253,  -0.8613254715536706};
const std::vector<double> kBnTrainDw = {1.578494623935747, -0.6730648297682983, -1.018173174865534,
                                        -2.8645489483076916};
const std::vector<double> kBnTrainDb = {1.760311044596312, -0.6395138614160127, -2.5351718199937414,
                                        -2.43220251679739};
const std::vector<double> kBnTrainRm = {0.09146771367743328, 0.3027761146370233,
                                        0.23718734050098592, 0.13628935375651274};
const std::vector<double> kBnTrainRv = {0.9539318202041083, 0.9318121114657715, 0.9878368385164071,
                                        0.9279562678383015};
const std::vector<double> kBnEvalY = {
    0.4252657339030478,   1.1896181501182044,  1.2951176195470113,  1.859831079448047,
    2.3759552879738846,   1.683238646400496,   1.510734982794738,   1.1538652614311178,
    -0.10127836685027111, -0.2342895624032018, -1.1193046860194023, -2.0764114772306894,
    -1.4370839877883377,  -1.9187970527666633, -2.048425833236967};
const std::vector<double> kBnEvalDx = {
    1.144289094198971,   1.4076123474554143,  1.2578965570696508,  0.8825284039056049,
    0.8758235235426853,  0.5734429030813974,  0.2170039350689386,  -0.056661542709373056,
    -0.3733654494098513, -0.5478015635843856, -0.9632235015790702, -1.149356133071301,
    -1.0619834809162214, -1.4291030315794608, -1.3995072254775984};
const std::vector<double> kBnEvalDw = {2.9740993967163285, 3.581662014932244, 3.9886239349765282};
const std::vector<double> kBnEvalDb = {0.5540875919268877, -0.1145149222313705,
                                       -0.7770862549335669};
const std::vector<double> kLrn5Y = {
    0.0868289697586434,   0.3949222671580104,   0.6502419687624031,   0.8165450681616842,
    0.8707638806027606,   0.8067519806762159,   0.6346696700644527,   0.37708484251656776,
    0.07015954199359781,  -0.2442364073224666,  -0.5254524885537237,  -0.7374568491155665,
    -0.8513549041441714,  -0.8471896534667352,  -0.724854339803085,   -0.5050227723315186,
    -0.2208036553810281,  0.0903842595762488,   0.39062797829668966,  0.6421075346651839,
    0.809103101405367,    0.8645623127089199,   0.7987629062763776,   0.6231964036185774,
    0.36602074011072017,  0.063329679963251,    -0.24702282644164522, -0.5271254577831077,
    -0.7397105714705537,  -0.8523842125657249,  -0.8460315813521231,  -0.7226256741249151,
    -0.5033652446749579,  -0.21776864811723204, 0.09763472135030744,  0.4019243933799038,
    0.6534160343702055,   0.8168123881072783,   0.8707758188530837,   0.8063588465687723,
    0.63120929609224,     0.36974456937371025,  0.05899259108959349,  -0.25910581376742864,
    -0.5434304043037763,  -0.7539282999718967,  -0.8608411410597165,  -0.8501582678281603,
    -0.724932673459896,   -0.5025568672284566,  -0.21295666858720197, 0.103263870659068,
    0.4043424887655854,   0.6518382248951389,   0.8132459554091092,   0.8642823807309477,
    0.7941102733009787,   0.6149628311448854,   0.35544699645813127,  0.05180102619550881,
    -0.25810990037570264, -0.5363757150635948,  -0.7458022883942479,  -0.8543197492466373,
    -0.8434043757389968,  -0.7149866154000636,  -0.49066307447529295, -0.20396479468977596,
    0.10760770931551049,  0.40614098099402,     0.653843210998381,    0.8152595495673879,
    0.8648449498633328,   0.791955892979692,    0.6130917279714938,   0.3534351019821737,
    0.04669541386774093,  -0.26787493968641063, -0.5487964551466761,  -0.7551215653758909,
    -0.860771718465261,   -0.8501921084289911,  -0.7232450309475545,  -0.49698533270493017};
const std::vector<double> kLrn5Dx = {
    0.5776752582416727,   0.5541949686003709,  0.5009184219607286,    0.423958136415635,
    0.32872199074650255,  0.21908066949972702, 0.09708475507583202,   -0.03197696709227983,
    -0.15474182592024352, -0.2659017951570751, -0.3638172894869514,   -0.44769932119734673,
    -0.5123518482308381,  -0.5471538628372883, -0.5537190459602892,   -0.5317902069905167,
    -0.48234648413247433, -0.4073410212451161, -0.3100383618013037,   -0.19484830043267612,
    -0.06735943259438197, 0.0651190782782418,  0.19419579553259075,   0.31169987970295887,
    0.4109407942296087,   0.4871688837504336,  0.5369218157478217,    0.5580558542434852,
    0.5498814626185692,   0.5129517472203967,  0.45065909012575034,   0.3594966136793134,
    0.25575216384485455,  0.14279081929815182, 0.02213419180835284,   -0.10314807164493232,
    -0.22743586968298551, -0.334468934574882,  -0.4249936095119458,   -0.4966858885215935,
    -0.5464787590031905,  -0.5698586926915484, -0.5642136840828458,   -0.5128246723181462,
    -0.43244306495036683, -0.3307043327813451, -0.21483318332654402,  -0.09034492404216568,
    0.037025345029676485, 0.16766965876686446, 0.28402603045325764,   0.3804905347084114,
    0.4561053964820562,   0.5117693583158354,  0.5477384740132148,    0.5508530610771695,
    0.5256086089120511,   0.47384277281770526, 0.39845693972577834,   0.30275546379548596,
    0.1907687850197875,   0.06753119258520779, -0.061287215171210094, -0.18885135028119016,
    -0.30742200420613064, -0.409383541324239,  -0.48850885937028243,  -0.5406043811971778,
    -0.5633965112264074,  -0.5557730075339354, -0.518234885575884,    -0.4528022618968006,
    -0.3674820628797151,  -0.2534909039499998, -0.13195700056477222,  -0.008039166695180528,
    0.1155844512866092,   0.2354498799822461,  0.3481090331210089,    0.4355017649688561,
    0.5000687381703004,   0.5413359224765308,  0.5585151838197175,    0.5495160266167557};
const std::vector<double> kLrn4Y = {
    0.08802979543210299, 0.400593911467543,    0.6563969815364431,   0.8180348327316327,
    0.8668578611210863,  0.8016945440933035,   0.6329376617831647,   0.3784448128848179,
    0.07080075202663967, -0.2469075767915736,  -0.5296883779255177,  -0.7389730706998154,
    -0.8479724360474677, -0.8407521070774411,  -0.719619352624,      -0.5034568713257936,
    -0.2213791164104825, 0.0910144528061933,   0.3936472815019246,   0.6449486692875444,
    0.8081005398154929,  0.8591615609904557,   0.7924174728949273,   0.6197752409080474,
    0.3659438575956622,  0.06365717584466082,  -0.24897163060152397, -0.5305484069483001,
    -0.7409376533466695, -0.8489171838743701,  -0.8395131903257409,  -0.7164202147338039,
    -0.4987564683251389, -0.21578220130016215, 0.0968046112510684,   0.39886489011138376,
    0.648908517377175,   0.8115477403005514,   0.8657283827751993,   0.8020927017819528,
    0.6279288412488014,  0.3676865087621355,   0.05968704312423016,  -0.2629534158367756,
    -0.5500862857867993, -0.7579824270376371,  -0.8590899791195383,  -0.8449405316834617,
    -0.7213522220505205, -0.5028671776078782,  -0.21443587706468015, 0.10436908195024272,
    0.4083456223415329,  0.6550898763886734,   0.8120628460670685,   0.8587683537061455,
    0.7878166835399111,  0.6116842359436834,   0.35544877569398103,  0.05207727957274651,
    -0.2601524360080035, -0.5397899906815352,  -0.7468794898412847,  -0.8506855314370393,
    -0.8369184087281826, -0.7099250218626411,  -0.489288883918748,   -0.20455808586582977,
    0.10837411801247152, 0.4092464663154452,   0.6565559124374493,   0.8139859142602522,
    0.8585111003490514,  0.7854621757267419,   0.6075975622581807,   0.3501769164602416,
    0.04628254613199905, -0.2657263455107693,  -0.5449717490168188,  -0.7500671902859605,
    -0.8555260102172181, -0.8455317332778217,  -0.7194992950713048,  -0.4943270090070303};
const std::vector<double> kLrn4Dx = {
    0.5851705680909637,   0.5593857146461861,   0.5006622451939547,   0.418526505280669,
    0.3213426026069767,   0.21331799052216444,  0.09383865149881992,  -0.034361899507240744,
    -0.15666605021940289, -0.2668545673978041,  -0.36252974966918655, -0.44326529820384686,
    -0.5072919102992626,  -0.5479915242730123,  -0.5589925848330459,  -0.5378573813216194,
    -0.48649560543127746, -0.409474536586356,   -0.31160751907605805, -0.19660989180664062,
    -0.06818697245948394, 0.06750404131200641,  0.20107871807750474,  0.3216835874992859,
    0.4201499655051095,   0.4914623607146085,   0.5348154793177926,   0.5514399918766377,
    0.5423922583776623,   0.5075624741052663,   0.44814776283068897,  0.3563070865920602,
    0.25093812733415455,  0.1391001692360592,   0.023441137961407548, -0.09597803237105255,
    -0.2180094142331871,  -0.3265862943038803,  -0.422784718513645,   -0.5005495977277007,
    -0.5525787214643334,  -0.5728822582595062,  -0.5710970031236926,  -0.5190304549209237,
    -0.43436879813904544, -0.32768008052576564, -0.2092443920746765,  -0.085401610670171,
    0.039610786174673805, 0.1705058707515629,   0.28748604625736435,  0.38373533789474945,
    0.45724956079415247,  0.5091706704697081,   0.540293551056658,    0.547940087080714,
    0.5269397888564974,   0.4767460585940775,   0.4007001414948183,   0.3044215624269887,
    0.19341210948767165,  0.07179450553513322,  -0.05702442058607232, -0.18770378528665727,
    -0.31164208184043163, -0.4183609481161223,  -0.49870836703026894, -0.5476110872988793,
    -0.5647444235023166,  -0.552280088714067,   -0.5126907246885046,  -0.4477683600958806,
    -0.3641810046548164,  -0.2490122070738567,  -0.12547602144019152, -0.0025480533414741846,
    0.11549797875823818,  0.22804546300275005,  0.3371002760722999,   0.4247869181602943,
    0.4944970009471162,   0.5423065756555965,   0.5631425420536934,   0.55289688611414};
// ---- batch_norm ---------------------------------------------------------------------

TEST(BatchNorm, TrainingMatchesReferenceAndUpdatesRunningStats) {
  Tensor x = leaf(seq({3, 4, 2, 2}));
  Tensor w = leaf(add(mul(seq({4}, 0.9, 0.3, 1), 0.5), 1.0));
  Tensor b = leaf(seq({4}, 1.1, 0.7, 0.5));
  Tensor rm = seq({4}, 0.5, 0.2, 0.3);
  Tensor rv = add(pow(seq({4}, 0.6, 0.4, 0.2), 2.0), 1.0);
  Tensor y = batch_norm(x, rm, rv, w, b, {.training = true, .momentum = 0.1, .eps = 1e-5});
  EXPECT_TRUE(values_near(y, kBnTrainY, kAtol, kRtol));
  EXPECT_TRUE(values_near(rm, kBnTrainRm, kAtol, kRtol));
  EXPECT_TRUE(values_near(rv, kBnTrainRv, kAtol, kRtol));
  y.backward(weights_like(y));
  EXPECT_TRUE(values_near(x.grad(), kBnTrainDx, kAtol, kRtol));
  EXPECT_TRUE(values_near(w.grad(), kBnTrainDw, kAtol, kRtol));
  EXPECT_TRUE(values_near(b.grad(), kBnTrainDb, kAtol, kRtol));
  EXPECT_FALSE(rm.requires_grad());
}

TEST(BatchNorm, EvalUsesRunningStats) {
  Tensor x = leaf(seq({5, 3}));
  Tensor w = leaf(add(mul(seq({3}, 0.9, 0.3, 1), 0.5), 1.0));
  Tensor b = leaf(seq({3}, 1.1, 0.7, 0.5));
  Tensor rm = seq({3}, 0.5, 0.2, 0.3);
  Tensor rv = add(pow(seq({3}, 0.6, 0.4, 0.2), 2.0), 1.0);
  const std::vector<double> rm_before = rm.to_vector<double>();
  Tensor y = batch_norm(x, rm, rv, w, b, {.training = false});
  EXPECT_TRUE(values_near(y, kBnEvalY, kAtol, kRtol));
  EXPECT_EQ(rm.to_vector<double>(), rm_before);
  y.backward(weights_like(y));
  EXPECT_TRUE(values_near(x.grad(), kBnEvalDx, kAtol, kRtol));
  EXPECT_TRUE(values_near(w.grad(), kBnEvalDw, kAtol, kRtol));
  EXPECT_TRUE(values_near(b.grad(), kBnEvalDb, kAtol, kRtol));
}

TEST(BatchNorm, Float32AgreesWithFloat64) {
  Tensor x = seq({4, 3, 5});
  Tensor w = add(seq({3}, 0.9), 2.0), b = seq({3}, 1.1);
  Tensor y64 = batch_norm(x, Tensor(), Tensor(), w, b);
  Tensor y32 = batch_norm(x.to(kFloat32), Tensor(), Tensor(), w.to(kFloat32), b.to(kFloat32));
  EXPECT_EQ(y32.dtype(), kFloat32);
  EXPECT_TRUE(test::tensors_near(y32.to(kFloat64), y64, 1e-5));
}

TEST(BatchNorm, NormalizesEachChannel) {
  // Without affine parameters each channel comes out with mean 0 and variance ~1.
  Tensor y = batch_norm(seq({6, 2, 3}, 0.77, 0.2, 3.0), Tensor(), Tensor());
  Tensor m = mean(y, {0, 2}), v = mean(mul(y, y), {0, 2});
  EXPECT_TRUE(values_near(m, {0, 0}, 1e-14));
  EXPECT_TRUE(values_near(v, {1, 1}, 1e-4));  // eps = 1e-5 keeps it just under 1
}

TEST(BatchNorm, Derivatives) {
  for (const Shape& shape : std::vector<Shape>{{2, 1}, {3, 2}, {2, 3, 1, 3}, {1, 2, 5}}) {
    const int64_t C = shape[1];
    Tensor x = leaf(test::uniform(shape)), w = leaf(test::uniform({C}, 0.5, 1.5));
    Tensor b = leaf(test::uniform({C}));
    EXPECT_TRUE(derivatives_ok(
        [](const std::vector<Tensor>& in) {
          return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2]);
        },
        {x, w, b}))
        << "training, shape " << ::testing::PrintToString(shape);
    Tensor rm = test::uniform({C}), rv = test::uniform({C}, 0.5, 2.0);
    EXPECT_TRUE(derivatives_ok(
        [&](const std::vector<Tensor>& in) {
          return batch_norm(in[0], rm, rv, in[1], in[2], {.training = false});
        },
        {x, w, b}))
        << "eval, shape " << ::testing::PrintToString(shape);
  }
}

TEST(BatchNorm, BadInput) {
  Tensor x = zeros({4, 3});
  EXPECT_THROWS_WITH(batch_norm(zeros({4}), Tensor(), Tensor()), "batch_norm", "[N, C]", "[4]");
  EXPECT_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), zeros({4})), "batch_norm", "weight", "[3]");
  EXPECT_THROWS_WITH(batch_norm(x, zeros({3}), Tensor()), "batch_norm", "both");
  EXPECT_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), zeros({3}, kFloat64)), "batch_norm");
  EXPECT_THROWS_WITH(batch_norm(zeros({1, 3}), Tensor(), Tensor()), "batch_norm",
                     "more than 1 value per channel", "[1, 3]");
  EXPECT_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), {.eps = 0.0}),
                     "batch_norm", "eps");
  // One sample is fine in eval mode with running statistics.
  EXPECT_NO_THROW(
      batch_norm(zeros({1, 3}), zeros({3}), ones({3}), Tensor(), Tensor(), {.training = false}));
}

// ---- local_response_norm -----------------------------------------------------------------

TEST(LocalResponseNorm, MatchesReferenceOddAndEvenSize) {
  for (int64_t size : {5, 4}) {
    Tensor x = leaf(seq({2, 7, 2, 3}));
    Tensor y = local_response_norm(x, size, 0.1, 0.75, 2.0);
    EXPECT_TRUE(values_near(y, size == 5 ? kLrn5Y : kLrn4Y, kAtol, kRtol)) << "size " << size;
    y.backward(weights_like(y));
    EXPECT_TRUE(values_near(x.grad(), size == 5 ? kLrn5Dx : kLrn4Dx, kAtol, kRtol))
        << "size " << size;
  }
}

TEST(LocalResponseNorm, HandChecked) {
  // One channel, size 1: y = x / (k + α x²)^β.
  Tensor y = local_response_norm(tensor({2.0}, {1, 1, 1}, kFloat64), 1, 0.5, 1.0, 1.0);
  EXPECT_TRUE(values_near(y, {2.0 / 3.0}, 1e-15));
}

TEST(LocalResponseNorm, Derivatives) {
  for (const Shape& shape : std::vector<Shape>{{1, 1, 1}, {2, 5, 3}, {1, 4, 2, 2}}) {
    for (int64_t size : {1, 2, 3, 5}) {
      Tensor x = leaf(test::uniform(shape));
      EXPECT_TRUE(derivatives_ok(
          [&](const std::vector<Tensor>& in) {
            return local_response_norm(in[0], size, 0.3, 0.75, 1.5);
          },
          {x}))
          << "size " << size << ", shape " << ::testing::PrintToString(shape);
    }
  }
}

TEST(LocalResponseNorm, BadInput) {
  EXPECT_THROWS_WITH(local_response_norm(zeros({2, 3}), 5), "local_response_norm", "[2, 3]");
  EXPECT_THROWS_WITH(local_response_norm(zeros({1, 2, 3}), 0), "local_response_norm", "size");
  EXPECT_THROWS_WITH(local_response_norm(zeros({1, 2, 3}), 3, 1e-4, 0.75, 0.0),
                     "local_response_norm", "k");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(NormRows, BatchNorm) {
  const Tensor x = test::uniform({4, 3, 5, 2});
  const Tensor w = test::uniform({3}, 0.5, 1.5), b = test::uniform({3});
  using V = std::vector<std::string>;
  test::expect_rows(
      OpFamily::Norm, "batch_norm, batch statistics",
      [](auto& in) { return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2]); }, {x, w, b},
      {.atol = 1e-5, .rtol = 1e-4, .cpu_vendor_ops = V{"batch_norm", "batch_norm_backward"}});
  const Tensor rm = test::uniform({3}), rv = test::uniform({3}, 0.5, 2.0);
  for (bool training : {true, false}) {
    test::expect_rows(
        OpFamily::Norm, training ? "batch_norm, training with running stats" : "batch_norm, eval",
        [&](auto& in) {
          // Fresh running statistics per call: training updates them in place.
          return batch_norm(in[0], test::like(rm, in[0]).clone(), test::like(rv, in[0]).clone(),
                            in[1], in[2], {.training = training});
        },
        {x, w, b}, {.atol = 1e-5, .rtol = 1e-4, .cpu_vendor_ops = V{"batch_norm"}});
  }
}

TEST(NormRows, RunningStatisticsAgreeAcrossDevices) {
  for (const test::ImplRow& row : test::impl_rows()) {
    set_impl(OpFamily::Norm, row.setting);
    const Tensor x = test::uniform({4, 3, 5, 2});
    Tensor rm_ref = zeros({3}, kFloat64), rv_ref = ones({3}, kFloat64);
    batch_norm(x, rm_ref, rv_ref, Tensor(), Tensor(), {.training = true});
    Tensor rm = zeros({3}, TensorOptions(kFloat32).device(row.device));
    Tensor rv = ones({3}, TensorOptions(kFloat32).device(row.device));
    batch_norm(x.to(kFloat32).to(row.device), rm, rv, Tensor(), Tensor(), {.training = true});
    EXPECT_TRUE(test::tensors_near(rm.to(kCPU), rm_ref, 1e-6, 1e-5)) << row.name;
    EXPECT_TRUE(test::tensors_near(rv.to(kCPU), rv_ref, 1e-6, 1e-5)) << row.name;
  }
  set_impl(OpFamily::Norm, Impl::Auto);
}

TEST(NormRows, LocalResponseNorm) {
  // oneDNN's window matches gpunn's for odd sizes only.
  for (int64_t size : {2, 5}) {
    test::expect_rows(
        OpFamily::Norm, "lrn size " + std::to_string(size),
        [size](auto& in) { return local_response_norm(in[0], size, 0.1, 0.75, 2.0); },
        {test::uniform({2, 7, 3, 3})},
        {.cpu_vendor_ops = size % 2 ? std::vector<std::string>{"local_response_norm",
                                                               "local_response_norm_backward"}
                                    : std::vector<std::string>{}});
  }
}

// ---- layer norm ------------------------------------------------------------------------

// Values from PyTorch 1.13 in float64 (torch.nn.functional.layer_norm over the last two
// dims, eps 1e-5; the loss Σ y ⊙ 0.1·arange).
TEST(LayerNorm, MatchesPyTorch) {
  const Tensor x = tensor({0.0, 0.1, 0.2, 0.3, -0.8, -0.7, -0.6, -0.5, -1.6, -1.5, -1.4, -1.3,
                           1.5, 1.6, 1.7, 1.8, 0.7,  0.8,  0.9,  1.0,  -0.1, 0.0,  0.1,  0.2},
                          {2, 3, 4}, kFloat64)
                       .requires_grad_(true);
  const Tensor w =
      tensor({1.0, 0.8, 0.6, 0.4, 1.1, 0.9, 0.7, 0.5, 1.2, 1.0, 0.8, 0.6}, {3, 4}, kFloat64)
          .requires_grad_(true);
  const Tensor b = tensor({-0.1, -0.1, -0.1, -0.1, -0.1, -0.05, 0.0, 0.05, -0.1, 0.0, 0.1, 0.2},
                          {3, 4}, kFloat64)
                       .requires_grad_(true);
  const Tensor y = layer_norm(x, {3, 4}, w, b);
  EXPECT_TRUE(values_near(
      y, {0.8808299700332588,   0.8053815107999311,   0.6695742841799415,  0.47340829017328967,
          -0.34897991546998103, -0.11790361330999485, 0.05281392146332929, 0.16317268884999145,
          -1.8202248705198691,  -1.282623806966569,   -0.8053815107999311, -0.38849798201995506,
          0.8808299700332588,   0.8053815107999314,   0.6695742841799414,  0.47340829017328967,
          -0.34897991546998103, -0.11790361330999485, 0.05281392146332929, 0.16317268884999145,
          -1.8202248705198691,  -1.2826238069665692,  -0.805381510799931,  -0.38849798201995506},
      1e-12));
  (y * arange(24.0, TensorOptions(kFloat64)).reshape({2, 3, 4}) * 0.1).sum().backward();
  EXPECT_TRUE(values_near(
      x.grad(),
      {-0.2114187577092977,  -0.020694664138266455, 0.10967066204610271,   0.17967722084380977,
       -0.10752478683767128, -0.02242853619329871,  0.0023089470644117593, -0.03331233706453984,
       0.11708671880727917,  0.0965551265249931,    0.01566476685604476,   -0.12558436019956545,
       0.36066762538563957,  0.22153661906361632,   0.022046845354930067,  -0.23780169574041787,
       0.3872578630019117,   0.14249901375322915,   -0.16261860288211505,  -0.5280949869041218,
       0.5345656353915063,   0.18417894321616624,   -0.2265665163458368,   -0.6976707432945024},
      1e-11));
  EXPECT_TRUE(values_near(
      w.grad(),
      {1.1769959640399108, 1.5844176438998798, 2.0521980911465105, 2.5803373057798042,
       -0.4526907553999655, -0.16598661031332074, 0.18107630215998613, 0.5884979820199555,
       -4.013858031213028, -3.8478714208997076, -3.621526043199725, -3.3348218981130797},
      1e-11));
  EXPECT_TRUE(
      values_near(b.grad(), {1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.2, 3.4}, 1e-12));
}

TEST(LayerNorm, DerivativesModuleAndErrors) {
  test::reseed(51);
  const Tensor x = leaf(test::uniform({2, 3, 5})), w = leaf(test::uniform({5})),
               b = leaf(test::uniform({5}));
  using V = std::vector<Tensor>;
  EXPECT_TRUE(
      derivatives_ok([](const V& v) { return layer_norm(v[0], {5}, v[1], v[2]); }, {x, w, b}));
  EXPECT_TRUE(derivatives_ok([](const V& v) { return layer_norm(v[0], {3, 5}); }, {x}));
  EXPECT_TRUE(testing::gradgradcheck(
      [](const V& v) { return layer_norm(v[0], {5}, v[1], v[2]) * v[0]; }, {x, w, b}));
  nn::LayerNorm ln({5});
  EXPECT_EQ(ln.named_parameters().size(), 2u);
  EXPECT_TRUE(values_near(ln.weight, std::vector<double>(5, 1.0), 0));
  ln.to(kFloat64);
  const Tensor y = ln(x.detach());
  // Each row normalized: mean 0, biased variance 1/(1 + eps/σ²).
  EXPECT_TRUE(values_near(y.mean({2}), std::vector<double>(6, 0.0), 1e-12));
  nn::LayerNorm plain({3, 5}, 1e-6, /*elementwise_affine=*/false);
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_THROWS_WITH(layer_norm(x, {4}), "layer_norm", "[4]", "trailing dims", "[2, 3, 5]");
  EXPECT_THROWS_WITH(layer_norm(x, {5}, ones({4}, kFloat64)), "layer_norm", "weight", "[5]", "[4]");
  EXPECT_THROWS_WITH(layer_norm(x, {}), "layer_norm", "normalized_shape");
  EXPECT_THROWS_WITH(nn::LayerNorm({0}), "LayerNorm", "positive");
}

TEST(LayerNorm, CudaMatchesTheCpu) {
  GPUNN_REQUIRE_GPU();
  test::reseed(52);
  const Tensor x = test::uniform({4, 3, 6}), w = test::uniform({3, 6}), b = test::uniform({3, 6});
  const Tensor xc = x.clone().to(Device::cuda(0)).requires_grad_(true);
  const Tensor wc = w.clone().to(Device::cuda(0)).requires_grad_(true);
  const Tensor y = layer_norm(x, {3, 6}, w, b);
  const Tensor yc = layer_norm(xc, {3, 6}, wc, b.to(Device::cuda(0)));
  EXPECT_TRUE(test::tensors_near(yc.to(kCPU), y, 1e-12));
  const Tensor xg = x.clone().requires_grad_(true), wg = w.clone().requires_grad_(true);
  (layer_norm(xg, {3, 6}, wg, b) * x).sum().backward();
  (yc * x.to(Device::cuda(0))).sum().backward();
  EXPECT_TRUE(test::tensors_near(xc.grad().to(kCPU), xg.grad(), 1e-12));
  EXPECT_TRUE(test::tensors_near(wc.grad().to(kCPU), wg.grad(), 1e-12));
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table norm_bad_input() {
  Table t;
  const Tensor none;
  t.err("rank", "batch_norm of a 1-D input", [none] { batch_norm(F({4}), none, none); },
        {"batch_norm:", "[N, C]", "[4] float32"});
  t.err("shape", "batch_norm with running_mean of the wrong size",
        [] {
          batch_norm(R({4, 3}), F({2}), F({2}));
        },
        {"batch_norm:", "running_mean must be [3]", "[4, 3]", "[2] float32"});
  t.err("shape", "batch_norm with a weight of the wrong size",
        [none] {
          batch_norm(R({4, 3, 2}), none, none, F({4}));
        },
        {"batch_norm:", "weight must be [3]", "[4, 3, 2]"});
  t.err("shape", "batch_norm with a bias of the wrong size",
        [none] {
          batch_norm(R({4, 3}), none, none, F({3}), F({3, 1}));
        },
        {"batch_norm:", "bias must be [3]", "[3, 1] float32"});
  t.err("options", "batch_norm with running_mean but no running_var",
        [none] {
          batch_norm(R({4, 3}), F({3}), none);
        },
        {"batch_norm:", "running_mean and running_var"});
  t.err("size", "batch_norm with eps 0",
        [none] {
          batch_norm(R({4, 3}), none, none, none, none, {.eps = 0.0});
        },
        {"batch_norm:", "eps must be positive", "0"});
  t.err("size", "batch_norm with momentum 1.5",
        [none] {
          batch_norm(R({4, 3}), none, none, none, none, {.momentum = 1.5});
        },
        {"batch_norm:", "momentum", "1.5"});
  t.err("dtype", "batch_norm float64 input, float32 running stats",
        [] {
          batch_norm(D({4, 3}), F({3}), F({3}));
        },
        {"batch_norm:", "running_mean", "float32", "float64"});
  t.err("dtype", "batch_norm of int64",
        [none] {
          batch_norm(L({4, 3}), none, none);
        },
        {"batch_norm:", "[4, 3] int64"});
  t.err("empty", "batch_norm training on one value per channel",
        [none] {
          batch_norm(F({1, 3}), none, none);
        },
        {"batch_norm:", "more than 1 value per channel", "[1, 3]"});
  t.err("empty", "batch_norm training on an empty batch",
        [none] {
          batch_norm(F({0, 3}), none, none);
        },
        {"batch_norm:", "more than 1 value per channel", "[0, 3]"});
  t.val("empty", "batch_norm eval on an empty batch", [] {
    return is(
        batch_norm(F({0, 3}), F({3}), full({3}, 1.0), Tensor(), Tensor(), {.training = false}),
        {0, 3});
  });
  t.val("nonfinite", "batch_norm: a NaN poisons its channel only", [] {
    Tensor x = V({kNaN, 1, 0, 3}, {2, 2});
    return is(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), {.eps = 1e-12}), {2, 2},
              {kNaN, -1, kNaN, 1}, 1e-5);
  });

  t.err("rank", "local_response_norm of a 2-D input",
        [] {
          local_response_norm(F({2, 3}), 2);
        },
        {"local_response_norm:", "at least 3 dims", "[2, 3] float32"});
  t.err("size", "local_response_norm with size 0",
        [] {
          local_response_norm(F({1, 3, 2}), 0);
        },
        {"local_response_norm:", "size must be at least 1", "0"});
  t.err("size", "local_response_norm with k 0",
        [] {
          local_response_norm(F({1, 3, 2}), 2, 1e-4, 0.75, 0.0);
        },
        {"local_response_norm:", "k > 0"});
  t.err("size", "local_response_norm with a negative alpha",
        [] {
          local_response_norm(F({1, 3, 2}), 2, -1.0);
        },
        {"local_response_norm:", "alpha >= 0"});
  t.err("dtype", "local_response_norm of int64",
        [] {
          local_response_norm(L({1, 3, 2}), 2);
        },
        {"local_response_norm:", "[1, 3, 2] int64"});
  t.val("empty", "local_response_norm of an empty batch", [] {
    return is(local_response_norm(F({0, 3, 2}), 2), {0, 3, 2});
  });
  return t;
}

TEST(NormBadInput, Table) { run_table(norm_bad_input()); }

}  // namespace gpunn::bad_input
