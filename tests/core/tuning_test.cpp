// auto by measurement (gpunn/config.h: set_tuning, set_tuning_cache_file; core/dispatch.h's
// tuned(); core/tuning.h): which candidates are measured and how, the choice kept per key,
// the cache file's round trip and its corrupt forms, deterministic mode, and the real conv
// and GEMM tables measured on the CPU (our reference loops made contenders for the test).
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <unistd.h>

#include "core/dispatch.h"
#include "core/tuning.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "test_util.h"

namespace gpunn {
namespace {

// ---- a made-up op whose candidates sleep for set times ----

struct FakeArgs {
  DType dtype = DType::Float32;
  int size = 7;
};

// Slot 0: the vendor entry; 1..3: our variants.
std::array<int, 4> g_runs{};
std::array<int, 4> g_sleep_us{};
std::array<bool, 4> g_throws{};

void nap(int slot) {
  ++g_runs[slot];
  if (g_throws[slot])
    throw OutOfMemoryError("fake_op: out of memory (candidate " + std::to_string(slot) + ")");
  std::this_thread::sleep_for(std::chrono::microseconds(g_sleep_us[slot]));
}
void run_vendor(const FakeArgs&, const kernels::Context&) { nap(0); }
void run_ours(const FakeArgs&, const kernels::Context& ctx) {
  nap(ctx.variant == 0 ? 1 : ctx.variant);
}
// Variant 3 never computes these args; variant 2 is not deterministic.
bool usable(const FakeArgs&, const kernels::Settings& s, int v) {
  return v == 1 || (v == 2 && !s.deterministic);
}
std::string fake_key(const FakeArgs& a) { return "size" + std::to_string(a.size); }

// Entries and rows left out are empty on purpose, as in kernels/rows.cpp.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const kernels::OpTable<FakeArgs> fake_op{
    .name = "fake_op",
    .family = OpFamily::Elementwise,
    .f32 = {.cpu = {.run = run_ours, .variants = 3, .variant_usable = usable},
            .cpu_vendor = {.run = run_vendor}},
    .tuning_key = fake_key};
#pragma GCC diagnostic pop

Implementation run_fake(const FakeArgs& a = {}) {
  return launch(fake_op, kCPU, a, {}, {}).implementation;
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("gpunn_tuning_test_" + std::to_string(::getpid()) + "_" + name);
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every test starts from tuning on, no file, nothing kept, the CPU measured, and restores
// the process's settings after.
class Tuning : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_tuning_ = tuning();
    saved_file_ = tuning_cache_file();
    saved_deterministic_ = deterministic();
    set_tuning(true);
    set_tuning_cache_file("");
    set_deterministic(false);
    tuning_cache::testing::set_measure_on_cpu(true);
    g_runs = {};
    g_sleep_us = {5000, 5000, 200, 0};
    g_throws = {};
  }
  void TearDown() override {
    tuning_cache::testing::set_measure_on_cpu(false);
    set_impl(Impl::Auto);
    set_deterministic(saved_deterministic_);
    set_tuning_cache_file(saved_file_);
    set_tuning(saved_tuning_);
    for (const auto& f : files_) std::filesystem::remove(f);
  }
  std::filesystem::path file(const std::string& name) {
    files_.push_back(temp_file(name));
    std::filesystem::remove(files_.back());
    return files_.back();
  }

 private:
  bool saved_tuning_ = true, saved_deterministic_ = false;
  std::string saved_file_;
  std::vector<std::filesystem::path> files_;
};

TEST_F(Tuning, MeasuresEachCandidateOnceAndKeepsTheFastestPerKey) {
  profiler::Profiler prof;
  LaunchTrace trace;
  EXPECT_EQ(run_fake(), Implementation::Cpu);
  // The vendor and variants 1 and 2 (3 does not compute the args): one untimed run and up to
  // three timed ones each; the real run is the fastest's, variant 2.
  EXPECT_GE(g_runs[0], 2);
  EXPECT_GE(g_runs[1], 2);
  EXPECT_GE(g_runs[2], 5);  // 1 untimed + 3 timed + the real run
  EXPECT_EQ(g_runs[3], 0);
  ASSERT_EQ(trace.records().size(), 1u);  // trial runs are not traced
  EXPECT_EQ(trace.records()[0].variant, 2);
  EXPECT_EQ(implementation_name(trace.records()[0].implementation, trace.records()[0].variant),
            "cpu#2");

  const std::vector<TuningRecord> kept = tuning_records();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_NE(kept[0].key.find(std::string("|cpu|fake_op|float32|tf32=0 det=0|size7")),
            std::string::npos)
      << kept[0].key;
  EXPECT_EQ(kept[0].key.rfind(version(), 0), 0u) << kept[0].key;
  EXPECT_EQ(kept[0].implementation, Implementation::Cpu);
  EXPECT_EQ(kept[0].variant, 2);
  EXPECT_GT(kept[0].microseconds, 150);
  EXPECT_LT(kept[0].microseconds, 4000);

  // The same key again: no trial runs.
  const std::array<int, 4> before = g_runs;
  run_fake();
  EXPECT_EQ(g_runs[0], before[0]);
  EXPECT_EQ(g_runs[1], before[1]);
  EXPECT_EQ(g_runs[2], before[2] + 1);
  // Another key is measured on its own.
  run_fake({DType::Float32, 8});
  EXPECT_EQ(tuning_records().size(), 2u);
  prof.stop();
  int tuning_ranges = 0;
  for (const profiler::RangeEvent& r : prof.ranges()) tuning_ranges += r.name == "tuning";
  EXPECT_EQ(tuning_ranges, 2);
  EXPECT_EQ(prof.ops().size(), 3u);  // the three real runs
}

TEST_F(Tuning, ACandidateFourTimesSlowerThanTheBestGetsOneTimedRun) {
  g_sleep_us = {200, 5000, 5000, 0};
  EXPECT_EQ(run_fake(), Implementation::CpuVendor);
  EXPECT_EQ(g_runs[1], 2);  // untimed, then one timed run 25x the vendor's
  EXPECT_EQ(g_runs[2], 2);
  EXPECT_EQ(g_runs[0], 5);
}

TEST_F(Tuning, ACandidateThatFailsIsNotAContenderAndAllFailingIsTheError) {
  g_throws[2] = true;
  run_fake();  // the vendor or variant 1 (5000 us each), never the failing variant 2
  ASSERT_EQ(tuning_records().size(), 1u);
  EXPECT_NE(tuning_records()[0].variant, 2);
  clear_tuning_cache();
  g_throws = {true, true, true, true};
  EXPECT_THROWS_WITH(run_fake({DType::Float32, 9}), "fake_op: out of memory (candidate 0)");
  EXPECT_TRUE(tuning_records().empty());
}

TEST_F(Tuning, OffOrAFixedSettingTakesTheFixedOrder) {
  set_tuning(false);
  EXPECT_EQ(run_fake(), Implementation::CpuVendor);
  set_tuning(true);
  set_impl(OpFamily::Elementwise, Impl::Custom);
  EXPECT_EQ(run_fake(), Implementation::Cpu);
  set_impl(OpFamily::Elementwise, Impl::Vendor);
  EXPECT_EQ(run_fake(), Implementation::CpuVendor);
  EXPECT_EQ(g_runs[2], 0);
  EXPECT_TRUE(tuning_records().empty());
}

TEST_F(Tuning, DeterministicModeMeasuresOnlyWithAFileAndOnlyDeterministicCandidates) {
  set_deterministic(true);
  // No file: the fixed order, nothing measured.
  LaunchTrace trace;
  EXPECT_EQ(run_fake(), Implementation::CpuVendor);
  EXPECT_EQ(g_runs[1] + g_runs[2], 0);
  EXPECT_TRUE(tuning_records().empty());
  // With a file: measured, without variant 2 (not deterministic) although it is fastest.
  set_tuning_cache_file(file("det.txt").string());
  g_sleep_us = {5000, 200, 50, 0};
  EXPECT_EQ(run_fake(), Implementation::Cpu);
  EXPECT_EQ(g_runs[2], 0);
  ASSERT_EQ(tuning_records().size(), 1u);
  EXPECT_EQ(tuning_records()[0].variant, 1);
  EXPECT_NE(tuning_records()[0].key.find("det=1"), std::string::npos);
}

TEST_F(Tuning, TheFileKeepsChoicesAcrossRunsAndIsHonoured) {
  const std::filesystem::path path = file("cache.txt");
  set_tuning_cache_file(path.string());
  run_fake();
  const std::string text = read(path);
  EXPECT_EQ(text.rfind("gpunn tuning cache 1\n", 0), 0u) << text;
  EXPECT_NE(text.find("|fake_op|float32|tf32=0 det=0|size7\tcpu\t2\t"), std::string::npos) << text;

  // A new process, as far as the cache knows: read back, nothing measured.
  set_tuning_cache_file(path.string());
  g_runs = {};
  LaunchTrace trace;
  run_fake();
  EXPECT_EQ(g_runs, (std::array<int, 4>{0, 0, 1, 0}));
  EXPECT_EQ(trace.records().back().variant, 2);

  // The file's choice is what runs: edited to the vendor.
  std::string edited = text;
  edited.replace(edited.find("\tcpu\t2\t"), 7, "\tcpu_vendor\t0\t");
  std::ofstream(path) << edited;
  set_tuning_cache_file(path.string());
  g_runs = {};
  EXPECT_EQ(run_fake(), Implementation::CpuVendor);
  EXPECT_EQ(g_runs, (std::array<int, 4>{1, 0, 0, 0}));

  // A kept choice that no longer computes the call (variant 3) is measured again.
  edited.replace(edited.find("\tcpu_vendor\t0\t"), 14, "\tcpu\t3\t");
  std::ofstream(path) << edited;
  set_tuning_cache_file(path.string());
  g_runs = {};
  EXPECT_EQ(run_fake(), Implementation::Cpu);
  EXPECT_GE(g_runs[0], 2);
  EXPECT_EQ(g_runs[3], 0);
  EXPECT_NE(read(path).find("\tcpu\t2\t"), std::string::npos);
}

TEST_F(Tuning, ACorruptFileGetsAWarningNamingItAndIsMeasuredAgainAndReplaced) {
  const std::filesystem::path path = file("corrupt.txt");
  const std::string header = "gpunn tuning cache 1\n";
  for (const auto& [content, why] :
       {std::pair<std::string, std::string>{"not a cache\n", "does not start with"},
        {header + "k\tcpu\t2\t10\nkey only\n", "(line 3)"},
        {header + "k\tgpu\t0\t10\n", "(line 2)"},
        {header + "k\tcpu\tx\t10\n", "(line 2)"},
        {header + "k\tcpu_vendor\t4\t10\n", "(line 2)"},
        {header + "k\tcpu\t1\t-5\n", "(line 2)"},
        {std::string("\x7f"
                     "ELF\0\0",
                     6),
         "does not start with"}}) {
    std::ofstream(path, std::ios::binary) << content;
    set_tuning_cache_file(path.string());
    g_runs = {};
    ::testing::internal::CaptureStderr();
    run_fake();
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("gpunn: warning: the tuning cache " + path.string()), std::string::npos)
        << err;
    EXPECT_NE(err.find(why), std::string::npos) << err;
    EXPECT_NE(err.find("measured again"), std::string::npos) << err;
    EXPECT_GE(g_runs[0], 2) << "measured again";
    const std::string now = read(path);
    EXPECT_EQ(now.rfind(header, 0), 0u) << now;
    EXPECT_EQ(now.find("k\t"), std::string::npos) << "the corrupt file's lines are gone: " << now;
  }
}

TEST_F(Tuning, AnUnwritableFileWarnsOnceAndKeepsTheChoicesInMemory) {
  set_tuning_cache_file("/nonexistent-gpunn-dir/cache.txt");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_fake(), Implementation::Cpu);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("/nonexistent-gpunn-dir/cache.txt"), std::string::npos) << err;
  EXPECT_EQ(tuning_records().size(), 1u);
}

// ---- the real tables ----

TEST_F(Tuning, ConvolutionAndGemmAreMeasuredAndGiveTheFixedOrdersResults) {
  g_sleep_us = {};
  const Tensor x = randn({2, 3, 9, 9}), w = randn({4, 3, 3, 3}), b = randn({4});
  const Tensor a = randn({96, 80}), m = randn({80, 72});
  set_tuning(false);
  const Tensor y_fixed = conv2d(x, w, b, {.stride = 2, .padding = 1});
  const Tensor p_fixed = matmul(a, m);
  set_tuning(true);
  LaunchTrace trace;
  const Tensor y = conv2d(x, w, b, {.stride = 2, .padding = 1});
  const Tensor p = matmul(a, m);
  // The choice may be the reference loops (double sums) where the fixed order ran oneDNN
  // (float32 sums): float32 rounding apart.
  EXPECT_TRUE(test::tensors_near(y, y_fixed, 1e-5, 1e-5));
  EXPECT_TRUE(test::tensors_near(p, p_fixed, 1e-4, 1e-5));
  bool conv = false, gemm = false;
  for (const TuningRecord& r : tuning_records()) {
    conv = conv || r.key.find(
                       "|conv2d|float32|tf32=0 det=0|n2 c3 h9 w9 k4 r3 s3 p5 q5 u2 v2 "
                       "ph1 pw1 dh1 dw1 g1 bias") != std::string::npos;
    gemm = gemm || r.key.find("|matmul|float32|tf32=0 det=0|nn m96 n72 k80") != std::string::npos;
    EXPECT_GT(r.microseconds, 0) << r.key;
  }
  std::string keys, ran;
  for (const TuningRecord& r : tuning_records()) keys += r.key + "\n";
  for (const LaunchRecord& r : trace.records()) ran += r.op + " ";
  EXPECT_TRUE(conv) << keys;
  EXPECT_TRUE(gemm) << keys;
  EXPECT_EQ(trace.count("conv2d"), 1) << ran;
  EXPECT_EQ(trace.count("matmul"), 1) << ran;
}

TEST(TuningKeys, NameWhatChangesTheChoiceAndRefuseCallsThatAddToTheirOutput) {
  alignas(16) float buffer[8] = {};
  kernels::GemmArgs g{};
  g.dtype = DType::Float32;
  g.M = g.N = g.K = 64;
  g.lda = g.ldb = g.ldc = 64;
  g.batch = 1;
  g.alpha = 1;
  g.A = buffer;
  g.B = buffer + 1;
  g.C = buffer + 2;
  EXPECT_EQ(kernels::gemm_tuning_key(g),
            "nn m64 n64 k64 lda64 sa0 ldb64 sb0 ldc64 sc0 batch1 align16,4,8");
  g.beta = 1;
  EXPECT_EQ(kernels::gemm_tuning_key(g), "") << "trial runs would add to C";
  g.beta = 0;
  g.K = 63;
  EXPECT_EQ(kernels::gemm_tuning_key(g), "") << "under 64³ multiply-adds";

  kernels::Conv2dForwardArgs f{};
  f.s = {.N = 1, .C = 2, .H = 3, .W = 4, .K = 5, .R = 1, .S = 1, .P = 3, .Q = 4};
  const std::string plain = kernels::conv2d_tuning_key(f);
  EXPECT_EQ(plain, "n1 c2 h3 w4 k5 r1 s1 p3 q4 u1 v1 ph0 pw0 dh1 dw1 g1 nobias");
  f.relu = true;
  EXPECT_EQ(kernels::conv2d_tuning_key(f), plain + " relu");
  kernels::Conv2dBackwardWeightArgs bw{};
  bw.s = f.s;
  bw.db = buffer;
  EXPECT_EQ(kernels::conv2d_tuning_key(bw),
            "n1 c2 h3 w4 k5 r1 s1 p3 q4 u1 v1 ph0 pw0 dh1 dw1 g1 bias");
}

}  // namespace
}  // namespace gpunn
