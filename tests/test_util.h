// Helpers shared by gpunn's tests: value comparison, gradient checks and
// error-message assertions.
#pragma once

#include <gpunn/gpunn.h>
#include <gpunn/testing/gradcheck.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

namespace gpunn::test {

// A fixed-seed generator per test, so every test sees the same numbers alone or
// in any order.
inline Generator& rng() {
  static thread_local Generator g;
  return g;
}
inline void reseed(uint64_t seed) { rng().manual_seed(seed); }

// Uniform in [lo, hi), float64 unless said otherwise.
inline Tensor uniform(const Shape& shape, double lo = -1.0, double hi = 1.0,
                      TensorOptions options = kFloat64) {
  NoGradGuard no_grad;
  return add(mul(rand(shape, options, &rng()), hi - lo), lo);
}

// Like uniform, but every element at least `gap` away from zero: for ops with
// a kink or a pole at 0 (relu, abs, log, div).
inline Tensor away_from_zero(const Shape& shape, double gap = 0.1, double hi = 1.0) {
  std::vector<double> v = uniform(shape, gap, hi).to_vector<double>();
  const std::vector<double> coin = rand(shape, kFloat64, &rng()).to_vector<double>();
  for (size_t i = 0; i < v.size(); ++i)
    if (coin[i] < 0.5) v[i] = -v[i];
  return tensor(v, shape, kFloat64);
}

inline Tensor leaf(Tensor t) { return t.detach().requires_grad_(true); }

// |actual - expected| <= atol + rtol·|expected| elementwise; shapes must match.
inline ::testing::AssertionResult values_near(const Tensor& actual,
                                              const std::vector<double>& expected, double atol,
                                              double rtol = 0.0) {
  const std::vector<double> a = actual.to_vector<double>();
  if (a.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "got " << a.size() << " values, expected " << expected.size();
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const double tol = atol + rtol * std::abs(expected[i]);
    const bool same = a[i] == expected[i] || (std::isnan(a[i]) && std::isnan(expected[i]));
    if (!same && !(std::abs(a[i] - expected[i]) <= tol)) {
      return ::testing::AssertionFailure() << "element " << i << ": got " << a[i] << ", expected "
                                           << expected[i] << " (tolerance " << tol << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult tensors_near(const Tensor& actual, const Tensor& expected,
                                               double atol, double rtol = 0.0) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure()
           << "shape " << ::testing::PrintToString(actual.shape()) << " vs expected "
           << ::testing::PrintToString(expected.shape());
  }
  return values_near(actual, expected.to_vector<double>(), atol, rtol);
}

// Sets every op family's implementation (custom, vendor) while alive, then auto again.
class EveryFamilyImpl {
 public:
  explicit EveryFamilyImpl(Impl impl) { set_impl(impl); }
  ~EveryFamilyImpl() { set_impl(Impl::Auto); }
  EveryFamilyImpl(const EveryFamilyImpl&) = delete;
  EveryFamilyImpl& operator=(const EveryFamilyImpl&) = delete;
};

inline ::testing::AssertionResult gradcheck_ok(const testing::TensorFn& f,
                                               const std::vector<Tensor>& inputs,
                                               const testing::GradcheckOptions& o = {}) {
  const testing::GradcheckResult r = testing::gradcheck(f, inputs, o);
  if (r.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.message;
}

inline ::testing::AssertionResult jvpcheck_ok(const testing::TensorFn& f,
                                              const std::vector<Tensor>& inputs,
                                              const testing::GradcheckOptions& o = {}) {
  const testing::GradcheckResult r = testing::jvpcheck(f, inputs, o);
  if (r.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.message;
}

// Both checks: reverse mode against finite differences, forward mode against
// finite differences and against reverse mode.
inline ::testing::AssertionResult derivatives_ok(const testing::TensorFn& f,
                                                 const std::vector<Tensor>& inputs,
                                                 const testing::GradcheckOptions& o = {}) {
  ::testing::AssertionResult g = gradcheck_ok(f, inputs, o);
  if (!g) return g;
  return jvpcheck_ok(f, inputs, o);
}

// Runs `fn`, expecting gpunn::Error whose message contains every fragment.
template <typename F>
::testing::AssertionResult throws_with(F&& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const std::string& f : fragments) {
      if (msg.find(f) == std::string::npos) {
        return ::testing::AssertionFailure() << "message \"" << msg << "\" lacks \"" << f << "\"";
      }
    }
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-gpunn exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace gpunn::test

// Skips a test without a usable GPU; with GPUNN_STRICT_GPU=1 (runs on a GPU
// machine) a missing GPU fails it instead.
#define GPUNN_REQUIRE_GPU()                                                               \
  do {                                                                                    \
    if (!::gpunn::cuda::is_available()) {                                                 \
      const char* strict_ = std::getenv("GPUNN_STRICT_GPU");                              \
      if (strict_ && std::string(strict_) == "1") FAIL() << "GPUNN_STRICT_GPU=1: no GPU"; \
      GTEST_SKIP() << "no usable CUDA device";                                            \
    }                                                                                     \
  } while (0)

#define EXPECT_THROWS_WITH(stmt, ...) \
  EXPECT_TRUE(::gpunn::test::throws_with([&] { (void)(stmt); }, {__VA_ARGS__}))
