// Run-time configuration (gpunn/config.h): the implementation chosen per op
// family, read once from the environment and changeable from code.
#include <gpunn/config.h>
#include <gpunn/error.h>
#include <gpunn/version.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "core/environment.h"

namespace gpunn {
namespace {

constexpr int kFamilies = static_cast<int>(OpFamily::kCount);

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Settings start from GPUNN_IMPL and GPUNN_IMPL_<FAMILY>. A malformed value is a
// user mistake we cannot report by exception during static initialisation, so
// the first call that reads the settings throws instead.
struct ImplSettings {
  std::array<std::atomic<int>, kFamilies> impl;
  std::string error;

  ImplSettings() {
    env::warn_about_typos();
    Impl all = Impl::Auto;
    if (const char* env = std::getenv("GPUNN_IMPL")) all = parse_or_record(env, "GPUNN_IMPL");
    for (int f = 0; f < kFamilies; ++f) {
      Impl value = all;
      const std::string name = "GPUNN_IMPL_" + upper(op_family_name(static_cast<OpFamily>(f)));
      if (const char* env = std::getenv(name.c_str())) value = parse_or_record(env, name);
      impl[f].store(static_cast<int>(value));
    }
  }

  Impl parse_or_record(const char* text, const std::string& variable) {
    try {
      return parse_impl(text);
    } catch (const Error& e) {
      error = variable + ": " + e.what();
      return Impl::Auto;
    }
  }
};

ImplSettings& settings() {
  static ImplSettings s;
  GPUNN_CHECK(s.error.empty(), "environment: ", s.error);
  return s;
}

int family_index(OpFamily family) {
  const int f = static_cast<int>(family);
  GPUNN_CHECK(f >= 0 && f < kFamilies, "set_impl: unknown op family ", f);
  return f;
}

}  // namespace

const char* op_family_name(OpFamily family) {
  switch (family) {
    case OpFamily::Elementwise:
      return "elementwise";
    case OpFamily::Activation:
      return "activation";
    case OpFamily::Reduce:
      return "reduce";
    case OpFamily::Gemm:
      return "gemm";
    case OpFamily::Softmax:
      return "softmax";
    case OpFamily::Conv:
      return "conv";
    case OpFamily::Pool:
      return "pool";
    case OpFamily::Loss:
      return "loss";
    case OpFamily::Random:
      return "random";
    case OpFamily::Index:
      return "index";
    case OpFamily::Copy:
      return "copy";
    case OpFamily::Norm:
      return "norm";
    case OpFamily::Rnn:
      return "rnn";
    case OpFamily::Optim:
      return "optim";
    case OpFamily::Attention:
      return "attention";
    case OpFamily::kCount:
      break;
  }
  return "unknown";
}

const char* impl_name(Impl impl) {
  switch (impl) {
    case Impl::Auto:
      return "auto";
    case Impl::Custom:
      return "custom";
    case Impl::Vendor:
      return "vendor";
  }
  return "unknown";
}

Impl parse_impl(const std::string& text) {
  if (text == "auto") return Impl::Auto;
  if (text == "custom") return Impl::Custom;
  if (text == "vendor") return Impl::Vendor;
  detail::throw_error("parse_impl: expected \"auto\", \"custom\" or \"vendor\", got \"", text,
                      "\"");
}

void set_impl(OpFamily family, Impl impl) {
  settings().impl[family_index(family)].store(static_cast<int>(impl));
}

void set_impl(Impl impl) {
  for (auto& f : settings().impl) f.store(static_cast<int>(impl));
}

Impl get_impl(OpFamily family) {
  return static_cast<Impl>(settings().impl[family_index(family)].load());
}

const char* version() { return GPUNN_VERSION_STRING; }

namespace {
std::atomic<bool>& tf32_flag() {
  static std::atomic<bool> flag{env::flag("GPUNN_ALLOW_TF32", false)};
  return flag;
}
}  // namespace

void set_allow_tf32(bool allow) { tf32_flag().store(allow); }
bool allow_tf32() { return tf32_flag().load(); }

namespace {
std::atomic<bool>& deterministic_flag() {
  static std::atomic<bool> flag{env::flag("GPUNN_DETERMINISTIC", false)};
  return flag;
}
}  // namespace

void set_deterministic(bool deterministic) { deterministic_flag().store(deterministic); }
bool deterministic() { return deterministic_flag().load(); }

namespace {
std::atomic<bool>& cudnn_benchmark_flag() {
  static std::atomic<bool> flag{env::flag("GPUNN_CUDNN_BENCHMARK", true)};
  return flag;
}
}  // namespace

void set_cudnn_benchmark(bool measure) { cudnn_benchmark_flag().store(measure); }
bool cudnn_benchmark() { return cudnn_benchmark_flag().load(); }

}  // namespace gpunn
