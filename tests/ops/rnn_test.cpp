// The rnn family: lstm_cell. Values and gradients against fixed float64 references,
// gradient and JVP checks in double, bad input, and every implementation row.
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
using test::leaf;
using test::seq;
using test::values_near;
using test::weights_like;

constexpr double kAtol = 1e-12;
constexpr double kRtol = 1e-10;

// Reference values (float64), from the formulas in gpunn/ops/rnn.h evaluated
// independently; inputs are seq(...) as in each test.
const std::vector<double> kLstmH = {0.14180109641995087, 0.1002434060834216,   0.0336182429843349,
                                    0.29317912721559297, 0.049505636470379755, -0.1192651367230296};
const std::vector<double> kLstmC = {0.8571918252262472,  0.9215044235394333, 0.2898795086112212,
                                    0.40671639197473175, 0.0826564041098932, -0.30791557893959715};
const std::vector<double> kLstmDgFromH = {
    0.018496445977310868,  0.0016493491454103316, -0.007438757805597962, 0.005394117054303397,
    0.006551282505516672,  0.0133838532355548,    0.02958966635821612,   0.047138308384712745,
    0.05510469578569866,   0.11286137356148912,   0.0841381684433843,    0.02653285821340306,
    0.05672409016773042,   0.0562493324665551,    0.031142050295019912,  0.06403099330715314,
    -0.011620015065718761, -0.016246365393274034, 0.005596102742936354,  0.005366832504103085,
    0.006170412895521843,  0.05423110505274225,   0.011987720752070514,  -0.029255581690536166};
const std::vector<double> kLstmDcFromH = {0.09275786905998944, 0.055356797053944515,
                                          0.08119015333906296, 0.2661664463413366,
                                          0.2581175123984314,  0.12262151328121251};
const std::vector<double> kLstmDgFromC = {0.08760922985920434,
                                          0.01266333428411146,
                                          -0.033898090266751155,
                                          0.025549472665052295,
                                          0.05029928356155878,
                                          0.060989627159842255,
                                          0.14015275608157732,
                                          0.36191740137267636,
                                          0.25110966113989797,
                                          0.0,
                                          0.0,
                                          0.0,
                                          0.04383041796566177,
                                          0.04717213446829503,
                                          0.0427904986259468,
                                          0.04947642511515501,
                                          -0.009744842990441082,
                                          -0.022323195468883228,
                                          0.0043240803241869005,
                                          0.004500763537112104,
                                          0.008478409161440955,
                                          0.0,
                                          0.0,
                                          0.0};
const std::vector<double> kLstmDcFromC = {0.4393517263638162,  0.4250171214157436,
                                          0.36997993732068946, 0.2056654687114296,
                                          0.21646397334084333, 0.16848716272256234};
// ---- lstm_cell ---------------------------------------------------------------------------

TEST(LstmCell, MatchesReference) {
  Tensor g = leaf(seq({2, 12}, 0.41, 0.2, 2.0));
  Tensor c = leaf(seq({2, 3}, 0.7, 0.5, 1.0));
  LstmState s = lstm_cell(g, c);
  EXPECT_EQ(s.h.shape(), (Shape{2, 3}));
  EXPECT_TRUE(values_near(s.h, kLstmH, kAtol, kRtol));
  EXPECT_TRUE(values_near(s.c, kLstmC, kAtol, kRtol));
  s.h.backward(weights_like(s.h));
  EXPECT_TRUE(values_near(g.grad(), kLstmDgFromH, kAtol, kRtol));
  EXPECT_TRUE(values_near(c.grad(), kLstmDcFromH, kAtol, kRtol));

  Tensor g2 = leaf(g.detach()), c2 = leaf(c.detach());
  LstmState s2 = lstm_cell(g2, c2);
  s2.c.backward(mul(weights_like(s2.c), 0.5));
  EXPECT_TRUE(values_near(g2.grad(), kLstmDgFromC, kAtol, kRtol));
  EXPECT_TRUE(values_near(c2.grad(), kLstmDcFromC, kAtol, kRtol));
}

TEST(LstmCell, Derivatives) {
  for (auto [N, H] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {2, 3}, {3, 2}}) {
    Tensor g = leaf(test::uniform({N, 4 * H}, -2, 2)), c = leaf(test::uniform({N, H}));
    // h and c together, so that both outputs' rules are checked.
    EXPECT_TRUE(derivatives_ok(
        [](const std::vector<Tensor>& in) {
          LstmState s = lstm_cell(in[0], in[1]);
          return add(s.h, mul(s.c, 0.7));
        },
        {g, c}))
        << "N " << N << ", H " << H;
  }
}

TEST(LstmCell, BadInput) {
  EXPECT_THROWS_WITH(lstm_cell(zeros({2, 8}), zeros({2, 3})), "lstm_cell", "[2, 12]", "[2, 8]");
  EXPECT_THROWS_WITH(lstm_cell(zeros({2, 12}), zeros({3})), "lstm_cell", "c_prev");
  EXPECT_THROWS_WITH(lstm_cell(zeros({2, 12}), zeros({2, 3}, kFloat64)), "lstm_cell");
}

// ---- every implementation row (tests/ops/rows.h) -------------------------------------------

TEST(RnnRows, LstmCell) {
  test::expect_rows(OpFamily::Rnn, "lstm_cell",
                    [](auto& in) {
                      LstmState s = lstm_cell(in[0], in[1]);
                      return add(s.h, mul(s.c, 0.5));
                    },
                    {test::uniform({5, 12}, -2, 2), test::uniform({5, 3})});
}

}  // namespace
}  // namespace gpunn

// ---- bad input: this family's rows of the bad-input table (tests/reliability/bad_input.h) ----

namespace gpunn::bad_input {

Table rnn_bad_input() {
  Table t;
  t.err("shape", "lstm_cell with gates of the wrong width",
        [] {
          lstm_cell(F({2, 12}), F({2, 4}));
        },
        {"lstm_cell:", "[2, 16]", "[2, 4]", "[2, 12] float32"});
  t.err("shape", "lstm_cell with a batch mismatch",
        [] {
          lstm_cell(F({3, 16}), F({2, 4}));
        },
        {"lstm_cell:", "[2, 16]", "[3, 16] float32"});
  t.err("rank", "lstm_cell with a 1-D c_prev",
        [] {
          lstm_cell(F({1, 16}), F({4}));
        },
        {"lstm_cell:", "c_prev [N, H]", "[4] float32"});
  t.err("dtype", "lstm_cell float32 gates, float64 c_prev",
        [] {
          lstm_cell(F({2, 16}), D({2, 4}));
        },
        {"lstm_cell:", "float64", "float32", "different dtypes"});
  t.err("dtype", "lstm_cell of int64",
        [] {
          lstm_cell(L({2, 16}), L({2, 4}));
        },
        {"lstm_cell:", "[2, 16] int64"});
  t.val("empty", "lstm_cell of an empty batch", [] {
    const LstmState s = lstm_cell(F({0, 16}), F({0, 4}));
    ::testing::AssertionResult a = is(s.h, {0, 4});
    return a ? is(s.c, {0, 4}) : a;
  });
  return t;
}

TEST(RnnBadInput, Table) { run_table(rnn_bad_input()); }

}  // namespace gpunn::bad_input
