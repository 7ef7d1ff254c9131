// gpunn's environment variables (core/environment.h): switch words, the typo check, and a
// bad value refused by name. The start-up reads themselves are CTests with ENVIRONMENT set
// (tests/CMakeLists.txt: the words yes/on/off, a typo's warning, a refused value).
#include "core/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "test_util.h"

namespace gpunn {
namespace {

TEST(Environment, SwitchWords) {
  bool v = false;
  for (const char* yes : {"1", "true", "TRUE", "yes", "Yes", "on", "ON"}) {
    v = false;
    EXPECT_TRUE(env::parse_flag(yes, &v)) << yes;
    EXPECT_TRUE(v) << yes;
  }
  for (const char* no : {"0", "false", "False", "no", "NO", "off", "Off"}) {
    v = true;
    EXPECT_TRUE(env::parse_flag(no, &v)) << no;
    EXPECT_FALSE(v) << no;
  }
  for (const char* bad : {"", "2", "maybe", "yes please", "enable"}) {
    v = true;
    EXPECT_FALSE(env::parse_flag(bad, &v)) << bad;
    EXPECT_TRUE(v) << "unchanged on a bad word";
  }
}

TEST(Environment, FlagReadsAndRefuses) {
  const char* name = "GPUNN_TEST_ONLY_SWITCH";
  ::unsetenv(name);
  EXPECT_TRUE(env::flag(name, true));
  EXPECT_FALSE(env::flag(name, false));
  ::setenv(name, "", 1);
  EXPECT_TRUE(env::flag(name, true));
  ::setenv(name, "on", 1);
  EXPECT_TRUE(env::flag(name, false));
  ::setenv(name, "maybe", 1);
  EXPECT_THROWS_WITH(env::flag(name, false), "GPUNN_TEST_ONLY_SWITCH=maybe", "not a switch",
                     "yes or on", "no or off");
  ::unsetenv(name);
}

TEST(Environment, TyposOfKnownNames) {
  EXPECT_EQ(env::typo_of("GPUNN_DETERMINSTIC"), "GPUNN_DETERMINISTIC");
  EXPECT_EQ(env::typo_of("GPUNN_ALLOW_TF23"), "GPUNN_ALLOW_TF32");
  EXPECT_EQ(env::typo_of("GPUNN_IMPL_CNV"), "GPUNN_IMPL_CONV");
  EXPECT_EQ(env::typo_of("GPUNN_DETECT_ANOMLY"), "GPUNN_DETECT_ANOMALY");
  EXPECT_EQ(env::typo_of("GPUNN_TUNNING_CACHE"), "GPUNN_TUNING_CACHE");
  // Known names, the scripts' names, far-off names and other prefixes are no typos.
  for (const char* fine : {"GPUNN_DETERMINISTIC", "GPUNN_IMPL_GEMM", "GPUNN_FASHION_MNIST_DIR",
                           "GPUNN_TUNING", "GPUNN_JOBS", "GPUNN_BUILD_DIR", "GPUNN_STRICT_GPU",
                           "GPUNN_SOMETHING_ELSE_ENTIRELY", "PATH", "GPU_DETERMINISTIC"})
    EXPECT_EQ(env::typo_of(fine), "") << fine;
  // Every family has its GPUNN_IMPL_<FAMILY>.
  EXPECT_EQ(env::known_names().size(), 10 + static_cast<size_t>(OpFamily::kCount));
}

TEST(Environment, SizesForTheMemoryLimit) {
  EXPECT_EQ(env::parse_bytes("0"), 0);
  EXPECT_EQ(env::parse_bytes("1048576"), int64_t{1} << 20);
  EXPECT_EQ(env::parse_bytes("512M"), int64_t{512} << 20);
  EXPECT_EQ(env::parse_bytes("2GiB"), int64_t{2} << 30);
  EXPECT_EQ(env::parse_bytes("3gb"), int64_t{3} << 30);
  EXPECT_EQ(env::parse_bytes("64k"), int64_t{64} << 10);
  EXPECT_EQ(env::parse_bytes("1T"), int64_t{1} << 40);
  EXPECT_EQ(env::parse_bytes("10B"), 10);
  for (const char* bad :
       {"", "M", "1.5G", "-1", "12X", "1GG", "1 G", "99999999999999999999", "9999999999T"})
    EXPECT_FALSE(env::parse_bytes(bad).has_value()) << bad;
  ::setenv("GPUNN_MEMORY_LIMIT", "lots", 1);
  EXPECT_THROWS_WITH(env::memory_limit_bytes(), "GPUNN_MEMORY_LIMIT=lots", "is not a size", "512M");
  ::setenv("GPUNN_MEMORY_LIMIT", "256M", 1);
  EXPECT_EQ(env::memory_limit_bytes(), int64_t{256} << 20);
  ::unsetenv("GPUNN_MEMORY_LIMIT");
  EXPECT_EQ(env::memory_limit_bytes(), 0);
}

}  // namespace
}  // namespace gpunn
