// The bad-input table's rows and runner, shared by tests/reliability/bad_input_test.cpp
// (every public API on the CPU) and tests/cuda/bad_device_test.cpp (mismatched
// devices and the GPU kernels on empty and non-finite inputs).
//
// A row is one call and one expectation:
//   - an error row expects gpunn::Error (never InternalError, which would be a
//     bug in gpunn) whose message holds every listed fragment: the op's name
//     and the offending shapes or values;
//   - a value row asserts the documented result (an empty result of the right
//     shape, NaN propagated, a finite loss where the formula is stable).
#pragma once

#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

namespace gpunn::bad_input {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

using Check = std::function<::testing::AssertionResult()>;

struct Row {
  std::string category;
  std::string name;
  std::function<void()> call;          // error rows: the bad call
  std::vector<std::string> fragments;  // error rows: the message must hold each
  Check check;                         // value rows: the documented result
};

class Table {
 public:
  // The call must raise gpunn::Error whose message holds every fragment.
  void err(const std::string& category, const std::string& name, std::function<void()> call,
           std::vector<std::string> fragments) {
    rows_.push_back({category, name, std::move(call), std::move(fragments), nullptr});
  }
  // The call must succeed and return an AssertionResult that holds.
  void val(const std::string& category, const std::string& name, Check check) {
    rows_.push_back({category, name, nullptr, {}, std::move(check)});
  }
  const std::vector<Row>& rows() const { return rows_; }

 private:
  std::vector<Row> rows_;
};

inline ::testing::AssertionResult run_row(const Row& row) {
  if (row.check) {
    try {
      return row.check();
    } catch (const std::exception& e) {
      return ::testing::AssertionFailure() << "threw: " << e.what();
    }
  }
  try {
    row.call();
  } catch (const InternalError& e) {
    return ::testing::AssertionFailure() << "raised an InternalError (a gpunn bug): " << e.what();
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const std::string& f : row.fragments) {
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

inline void run_table(const Table& table) {
  ASSERT_FALSE(table.rows().empty());
  for (const Row& row : table.rows()) {
    const ::testing::AssertionResult r = run_row(row);
    EXPECT_TRUE(r) << "[" << row.category << "] " << row.name;
  }
}

// ---- inputs (CPU; .to(device) moves them)
// -----------------------------------------------------------------------------

inline Tensor F(const Shape& shape) { return zeros(shape, kFloat32); }
inline Tensor D(const Shape& shape) { return zeros(shape, kFloat64); }
inline Tensor L(const Shape& shape) { return zeros(shape, kInt64); }
inline Tensor R(const Shape& shape) { return test::uniform(shape, -1.0, 1.0, kFloat32); }
inline Tensor V(const std::vector<double>& values, const Shape& shape, DType dtype = kFloat32) {
  return tensor(values, shape, dtype);
}
inline Tensor I(const std::vector<int64_t>& values) {
  return tensor_from(values, {static_cast<int64_t>(values.size())});
}

// The broadcasting elementwise binary ops, by name, for tables that try each.
using BinaryOp = Tensor (*)(const Tensor&, const Tensor&);
inline std::vector<std::pair<std::string, BinaryOp>> elementwise_binary_ops() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); }},
      {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
      {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }},
  };
}

// The result has `shape` and, when given, these values (NaN matches NaN, ±Inf itself).
inline ::testing::AssertionResult is(const Tensor& t, const Shape& shape,
                                     const std::vector<double>& values = {}, double atol = 1e-6) {
  if (!t.defined()) return ::testing::AssertionFailure() << "undefined result";
  if (t.shape() != shape) {
    return ::testing::AssertionFailure() << "shape " << ::testing::PrintToString(t.shape())
                                         << ", expected " << ::testing::PrintToString(shape);
  }
  if (values.empty()) return ::testing::AssertionSuccess();
  return test::values_near(t.to(kCPU), values, atol);
}

// Each op family's rows, defined in tests/ops/<family>_test.cpp next to the family's
// other tests; the layers', state dicts', optimizers' and data's rows are in
// tests/reliability/bad_input_test.cpp, which counts the whole table.
Table elementwise_bad_input();
Table activation_bad_input();
Table reduce_bad_input();
Table shape_bad_input();
Table gemm_bad_input();
Table softmax_bad_input();
Table conv_bad_input();
Table pool_bad_input();
Table loss_bad_input();
Table random_bad_input();
Table index_bad_input();
Table norm_bad_input();
Table rnn_bad_input();
Table attention_bad_input();

}  // namespace gpunn::bad_input
