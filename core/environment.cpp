// gpunn's environment variables (core/environment.h).
#include "core/environment.h"

#include <gpunn/config.h>
#include <gpunn/error.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <mutex>

extern char** environ;

namespace gpunn::env {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Levenshtein distance, stopping early above `limit`.
size_t edits(const std::string& a, const std::string& b, size_t limit) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > limit) return limit + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Variables of gpunn's build, test and benchmark scripts: gpunn's, but not the library's.
const char* const kScriptNames[] = {
    "GPUNN_BUILD_DIR",        "GPUNN_CMAKE_ARGS",         "GPUNN_JOBS",
    "GPUNN_STRICT_GPU",       "GPUNN_CHECK_BUDGET_S",     "GPUNN_CI_FUZZ_SECONDS",
    "GPUNN_BENCH_BUILD_DIR",  "GPUNN_BENCH_JOBS",         "GPUNN_FUZZ_BUILD_DIR",
    "GPUNN_GPU_BUILD_DIR",    "GPUNN_SANITIZE_BUILD_DIR", "GPUNN_SANITIZE_ONEDNN",
    "GPUNN_TEST_ENV_SETTINGS"};

}  // namespace

bool parse_flag(const std::string& text, bool* value) {
  const std::string t = lower(text);
  if (t == "1" || t == "true" || t == "yes" || t == "on") {
    *value = true;
    return true;
  }
  if (t == "0" || t == "false" || t == "no" || t == "off") {
    *value = false;
    return true;
  }
  return false;
}

bool flag(const char* name, bool fallback) {
  warn_about_typos();
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  bool value = fallback;
  GPUNN_CHECK(parse_flag(v, &value), "environment: ", name, "=", v,
              " is not a switch (expected 1, true, yes or on; 0, false, no or off)");
  return value;
}

std::optional<int64_t> parse_bytes(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 18) return std::nullopt;
  const int64_t number = std::stoll(text.substr(0, i));
  std::string unit = text.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else {
    const std::string letters = "kmgt";
    const size_t at = letters.find(unit[0]);
    const std::string rest = unit.substr(1);
    if (at == std::string::npos || !(rest.empty() || rest == "b" || rest == "ib"))
      return std::nullopt;
    shift = 10 * static_cast<int>(at + 1);
  }
  if (shift > 0 && number > (int64_t{1} << (62 - shift))) return std::nullopt;  // overflow
  return number << shift;
}

int64_t memory_limit_bytes() {
  warn_about_typos();
  const char* v = std::getenv("GPUNN_MEMORY_LIMIT");
  if (v == nullptr || *v == '\0') return 0;
  const std::optional<int64_t> bytes = parse_bytes(v);
  GPUNN_CHECK(bytes.has_value(), "environment: GPUNN_MEMORY_LIMIT=", v,
              " is not a size (expected bytes, or a number with K, M, G or T, e.g. 512M or 2GiB)");
  return *bytes;
}

const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"GPUNN_IMPL",           "GPUNN_ALLOW_TF32",
                                  "GPUNN_DETERMINISTIC",  "GPUNN_CUDNN_BENCHMARK",
                                  "GPUNN_TUNING",         "GPUNN_TUNING_CACHE",
                                  "GPUNN_MEMORY_LIMIT",   "GPUNN_CUDA_NO_CACHE",
                                  "GPUNN_DETECT_ANOMALY", "GPUNN_FASHION_MNIST_DIR"};
    for (int f = 0; f < static_cast<int>(OpFamily::kCount); ++f) {
      std::string family = op_family_name(static_cast<OpFamily>(f));
      for (char& c : family) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      n.push_back("GPUNN_IMPL_" + family);
    }
    return n;
  }();
  return names;
}

std::string typo_of(const std::string& name) {
  if (name.rfind("GPUNN_", 0) != 0) return "";
  for (const char* s : kScriptNames)
    if (name == s) return "";
  std::string best;
  size_t best_edits = 3;
  for (const std::string& known : known_names()) {
    if (name == known) return "";
    const size_t e = edits(name, known, 2);
    if (e < best_edits) {
      best_edits = e;
      best = known;
    }
  }
  return best;
}

void warn_about_typos() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      const std::string meant = typo_of(name);
      if (!meant.empty())
        std::cerr << "gpunn: warning: the environment variable " << name
                  << " is not one gpunn reads; did you mean " << meant << "?\n";
    }
  });
}

}  // namespace gpunn::env
