// The profiler (gpunn/profiler.h): what it records for each launch and range, its table,
// its Chrome trace (parsed back as strict JSON), threads, and its start/stop rules.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/io/json.h"
#include "test_util.h"

namespace gpunn {
namespace {

using profiler::OpEvent;
using profiler::Profiler;

std::vector<const OpEvent*> named(const Profiler& p, const std::string& op) {
  std::vector<const OpEvent*> out;
  for (const OpEvent& e : p.ops())
    if (e.op == op) out.push_back(&e);
  return out;
}

TEST(Profiler, RecordsEachLaunchWithItsImplementationShapesAndBytes) {
  const test::EveryFamilyImpl custom(Impl::Custom);
  const Tensor x = ones({3, 4}), w = ones({4, 5});
  EXPECT_FALSE(profiler::active());
  relu(x);  // before: not recorded
  Profiler prof;
  EXPECT_TRUE(profiler::active());
  for (int i = 0; i < 3; ++i) relu(x);
  matmul(x, w);
  prof.stop();
  EXPECT_FALSE(profiler::active());
  relu(x);  // after: not recorded

  const auto relus = named(prof, "relu");
  ASSERT_EQ(relus.size(), 3u);
  for (const OpEvent* e : relus) {
    EXPECT_EQ(e->implementation, Implementation::Cpu);
    EXPECT_EQ(e->family, OpFamily::Activation);
    EXPECT_TRUE(e->device.is_cpu());
    EXPECT_EQ(e->dtype, "float32");
    EXPECT_EQ(e->shapes, std::vector<std::string>{"[3, 4]"});
    EXPECT_EQ(e->bytes, 3 * 4 * 4);  // the output; no workspace
    EXPECT_GE(e->host_us, 0.0);
    EXPECT_GE(e->start_us, 0.0);
    EXPECT_EQ(e->device_us, -1.0);  // no device time on the CPU
  }
  // In launch order, each after the previous one's start.
  EXPECT_LE(relus[0]->start_us, relus[1]->start_us);
  const auto mms = named(prof, "matmul");
  ASSERT_EQ(mms.size(), 1u);
  EXPECT_EQ(mms[0]->family, OpFamily::Gemm);
  EXPECT_EQ(mms[0]->shapes, (std::vector<std::string>{"[3, 4]", "[4, 5]"}));
}

TEST(Profiler, OneRecordsAtATime) {
  Profiler first;
  EXPECT_TRUE(test::throws_with([] { Profiler second; }, {"another profiler is recording"}));
  first.stop();
  first.stop();    // again: nothing
  Profiler third;  // the first stopped: allowed
  EXPECT_TRUE(third.running());
}

TEST(Profiler, RangesOfTheUserAndTheLibrary) {
  Generator g(1);
  nn::Linear lin(4, 2, true, TensorOptions(), &g);
  optim::SGD opt(lin.parameters(), {.lr = 0.1});
  Profiler prof;
  {
    const profiler::Range step("step");
    sum(lin(ones({2, 4}))).backward();
    opt.step();
  }
  prof.stop();
  std::vector<std::string> names;
  for (const profiler::RangeEvent& r : prof.ranges()) names.push_back(r.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"optimizer.step", "step"}));
  const auto& ranges = prof.ranges();
  const auto step = std::find_if(ranges.begin(), ranges.end(),
                                 [](const profiler::RangeEvent& r) { return r.name == "step"; });
  // Every launch of the step lies inside its range.
  for (const OpEvent& e : prof.ops()) {
    EXPECT_GE(e.start_us, step->start_us) << e.op;
    EXPECT_LE(e.start_us + e.host_us, step->start_us + step->duration_us + 1e-3) << e.op;
  }
  EXPECT_EQ(named(prof, "sgd_step_").size(), 2u) << "the update of each parameter is a launch";
}

TEST(Profiler, DataLoaderBatchesAreRanges) {
  data::TensorDataset ds(arange(0, 8, 1, kFloat32).reshape({8, 1}), arange(0, 8, 1, kInt64));
  data::DataLoader loader(ds, {.batch_size = 4, .prefetch = false});
  Profiler prof;
  int batches = 0;
  for (const data::Batch& b : loader) batches += b.data.defined() ? 1 : 0;
  prof.stop();
  EXPECT_EQ(batches, 2);
  int data_ranges = 0;
  for (const profiler::RangeEvent& r : prof.ranges()) data_ranges += r.name == "data";
  EXPECT_EQ(data_ranges, 3);  // two batches and the call that found the epoch's end
}

TEST(Profiler, LaunchesOnOtherThreadsCarryTheirThread) {
  const Tensor x = ones({8});
  Profiler prof;
  relu(x);
  std::thread other([&] { relu(x); });
  other.join();
  prof.stop();
  const auto relus = named(prof, "relu");
  ASSERT_EQ(relus.size(), 2u);
  EXPECT_NE(relus[0]->thread, relus[1]->thread);
}

TEST(Profiler, TableAggregatesPerOpAndImplementation) {
  const Tensor x = ones({16});
  Profiler prof;
  {
    const test::EveryFamilyImpl custom(Impl::Custom);
    for (int i = 0; i < 3; ++i) sigmoid(x);
  }
  {
    const profiler::Range r("phase");
    exp(x);
  }
  prof.stop();
  const std::string t = prof.table();
  std::istringstream lines(t);
  std::string line;
  bool sigmoid_row = false, exp_row = false, range_row = false;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string op, impl, device;
    int64_t calls = 0;
    words >> op >> impl >> device >> calls;
    if (op == "sigmoid" && impl == "cpu") sigmoid_row = calls == 3;
    if (op == "exp") exp_row = calls == 1;
    if (op == "phase") range_row = true;
  }
  EXPECT_TRUE(sigmoid_row) << t;
  EXPECT_TRUE(exp_row) << t;
  EXPECT_TRUE(range_row) << t;
  EXPECT_NE(t.find("total: 4 launches"), std::string::npos) << t;
  // Only CPU launches: no device columns.
  EXPECT_EQ(t.find("device ms"), std::string::npos) << t;
}

TEST(Profiler, ChromeTraceIsJsonWithEveryLaunchAndRange) {
  const Tensor x = ones({2, 3});
  Profiler prof;
  {
    const profiler::Range r("step \"one\"");  // a name that needs escaping
    relu(x);
    tanh(x);
  }
  prof.stop();
  const std::string path =
      (std::filesystem::temp_directory_path() / "gpunn_profiler_test_trace.json").string();
  prof.export_chrome_trace(path);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  const json::Value doc = json::parse(text.data(), text.size());
  const json::Value* events = doc.find("traceEvents");
  ASSERT_TRUE(events && events->is_array());
  std::vector<std::string> ops, ranges;
  for (const json::Value& e : events->array) {
    const json::Value* cat = e.find("cat");
    if (!cat) continue;
    const std::string name = e.find("name")->text;
    EXPECT_EQ(e.find("ph")->text, "X");
    ASSERT_TRUE(e.find("ts") && e.find("dur"));
    if (cat->text == "op") {
      ops.push_back(name);
      const json::Value* args = e.find("args");
      ASSERT_TRUE(args);
      EXPECT_EQ(args->find("implementation")->text.substr(0, 3), "cpu");
      ASSERT_EQ(args->find("shapes")->array.size(), 1u);
      EXPECT_EQ(args->find("shapes")->array[0].text, "[2, 3]");
    }
    if (cat->text == "range") ranges.push_back(name);
  }
  EXPECT_EQ(ops, (std::vector<std::string>{"relu", "tanh"}));
  EXPECT_EQ(ranges, std::vector<std::string>{"step \"one\""});
}

TEST(Profiler, ExportToAnUnwritablePathNamesIt) {
  Profiler prof;
  prof.stop();
  EXPECT_TRUE(test::throws_with([&] { prof.export_chrome_trace("/nonexistent-dir/trace.json"); },
                                {"/nonexistent-dir/trace.json"}));
}

}  // namespace
}  // namespace gpunn
