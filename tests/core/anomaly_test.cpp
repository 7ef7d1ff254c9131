// Anomaly mode (gpunn/autograd.h): the first op whose output, or backward node
// whose gradient, holds NaN or Inf raises AnomalyError naming it; off, nothing
// is scanned.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "core/autograd/anomaly.h"
#include "test_util.h"

namespace gpunn {
namespace {

// EXPECT that `text` contains `fragment`, showing the whole text when not.
#define EXPECT_CONTAINS(text, fragment) \
  EXPECT_NE((text).find(fragment), std::string::npos) << "in: " << (text)

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The message of the AnomalyError f throws ("" and a failure when it throws none).
template <typename F>
std::string anomaly_message(F&& f) {
  try {
    f();
  } catch (const AnomalyError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no AnomalyError was thrown";
  return "";
}

TEST(Anomaly, OffByDefault) {
  if (std::getenv("GPUNN_DETECT_ANOMALY") != nullptr) GTEST_SKIP() << "GPUNN_DETECT_ANOMALY is set";
  EXPECT_FALSE(autograd::is_anomaly_enabled());
}

TEST(Anomaly, GuardRestoresTheSetting) {
  const bool before = autograd::is_anomaly_enabled();
  {
    autograd::DetectAnomalyGuard on;
    EXPECT_TRUE(autograd::is_anomaly_enabled());
    {
      autograd::DetectAnomalyGuard off(false);
      EXPECT_FALSE(autograd::is_anomaly_enabled());
    }
    EXPECT_TRUE(autograd::is_anomaly_enabled());
  }
  EXPECT_EQ(autograd::is_anomaly_enabled(), before);
}

TEST(Anomaly, LogOfANegativeIsNamedInForward) {
  autograd::DetectAnomalyGuard on;
  const Tensor x = tensor({1.0, -2.0}, {2}, kFloat32);
  const std::string msg = anomaly_message([&] { log(x); });
  EXPECT_CONTAINS(msg, "anomaly: log produced NaN in its output [2] float32");
  EXPECT_CONTAINS(msg, "(inputs: [2] float32)");
}

TEST(Anomaly, InfIsNamedAsInf) {
  autograd::DetectAnomalyGuard on;
  const Tensor x = tensor({0.0, 1.0}, {2});
  const std::string msg = anomaly_message([&] { div(ones({2}), x); });
  EXPECT_CONTAINS(msg, "anomaly: div produced Inf in its output [2] float32");
  EXPECT_CONTAINS(msg, "inputs: [2] float32, [2] float32");
}

TEST(Anomaly, AnomalyErrorIsAGpunnError) {
  autograd::DetectAnomalyGuard on;
  EXPECT_THROW(log(tensor({-1.0}, {1})), Error);
}

TEST(Anomaly, OpsWithoutGradAreCheckedToo) {
  autograd::DetectAnomalyGuard on;
  NoGradGuard no_grad;
  const Tensor x = tensor({4.0, -1.0}, {2});
  const std::string msg = anomaly_message([&] { sqrt(x); });
  EXPECT_CONTAINS(msg, "anomaly: sqrt produced NaN");
}

// A NaN the user put in a leaf is reported by the first op that outputs it;
// views pass values on unchanged and are not checked.
TEST(Anomaly, NaNInALeafIsReportedAtTheFirstOpThatOutputsIt) {
  autograd::DetectAnomalyGuard on;
  const Tensor x = test::leaf(tensor({1.0, kNaN, 3.0, 4.0}, {2, 2}));
  const Tensor v = x.reshape({4});  // a view: no check
  const std::string msg = anomaly_message([&] { relu(v); });
  EXPECT_CONTAINS(msg, "anomaly: relu produced NaN in its output [4] float32");
}

TEST(Anomaly, FactoryOpsAreOpsToo) {
  autograd::DetectAnomalyGuard on;
  const std::string msg = anomaly_message([&] { full({2}, kNaN); });
  EXPECT_CONTAINS(msg, "anomaly: fill_ produced NaN in its output [2] float32 (inputs: none)");
}

TEST(Anomaly, MultiOutputOpsNameTheOutput) {
  autograd::DetectAnomalyGuard on;
  const Tensor x = tensor({1.0, kInf}, {1, 2});
  const std::string msg = anomaly_message([&] { max(x, 1); });
  EXPECT_CONTAINS(msg, "anomaly: max produced Inf in its output 0 [1, 1] float32");
}

TEST(Anomaly, BackwardNamesTheNodeAndTheForwardOp) {
  autograd::DetectAnomalyGuard on;
  // sqrt(0) = 0 is finite; its derivative 1 / (2 sqrt(0)) is Inf.
  const Tensor x = test::leaf(tensor({0.0, 4.0}, {2}));
  Tensor y = sum(sqrt(x));
  const std::string msg = anomaly_message([&] { y.backward(); });
  EXPECT_CONTAINS(msg, ("anomaly: backward node sqrt_backward returned Inf in the gradient "
                        "[2] float32 for input 0 of sqrt"));
  EXPECT_CONTAINS(msg, "recorded by sqrt on inputs [2] float32");
  EXPECT_FALSE(x.grad().defined()) << "the sweep stopped before the leaf";
}

// A layer whose backward overflows at 0, for the scope in backward messages.
class SqrtLayer : public nn::Module {
 public:
  SqrtLayer() : Module("SqrtLayer") {}
  Tensor forward(const Tensor& x) override { return sqrt(x); }
};

TEST(Anomaly, BackwardNamesTheModuleThatRecordedTheNode) {
  autograd::DetectAnomalyGuard on;
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<SqrtLayer>();
  const Tensor x = test::leaf(tensor({0.0, 1.0}, {2}));
  Tensor y = sum((*net)(x));
  const std::string msg = anomaly_message([&] { y.backward(); });
  EXPECT_CONTAINS(msg, "backward node sqrt_backward returned Inf");
  EXPECT_CONTAINS(msg, "recorded by sqrt on inputs [2] float32 in Sequential/SqrtLayer");
}

TEST(Anomaly, ForwardNamesTheModule) {
  autograd::DetectAnomalyGuard on;
  manual_seed(3);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Linear>(2, 2);
  const Tensor x = tensor({kNaN, 1.0}, {1, 2}, kFloat32);
  const std::string msg = anomaly_message([&] { (*net)(x); });
  EXPECT_CONTAINS(msg, "in Sequential/Linear");
  EXPECT_CONTAINS(msg, "produced NaN");
}

TEST(Anomaly, FiniteTrainingStepPassesAndScans) {
  autograd::DetectAnomalyGuard on;
  manual_seed(5);
  nn::Linear layer(4, 3);
  const uint64_t before = autograd::anomaly::scan_count();
  Tensor loss = cross_entropy(layer(randn({8, 4})), randint(0, 3, {8}));
  loss.backward();
  EXPECT_TRUE(std::isfinite(loss.item()));
  EXPECT_GT(autograd::anomaly::scan_count(), before + 4) << "forward ops and backward nodes";
}

TEST(Anomaly, OffScansNothing) {
  autograd::DetectAnomalyGuard off(false);
  manual_seed(5);
  nn::Linear layer(4, 3);
  const uint64_t before = autograd::anomaly::scan_count();
  const Tensor x = tensor({-1.0, 0.0, 1.0, 2.0}, {1, 4}, kFloat32);
  Tensor y = sum(log(layer(x)));  // NaN and no error: the mode is off
  y.backward();
  EXPECT_TRUE(std::isnan(y.item()));
  EXPECT_EQ(autograd::anomaly::scan_count(), before);
}

}  // namespace
}  // namespace gpunn
