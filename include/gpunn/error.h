// Errors gpunn raises.
//
// Four kinds (docs/adding-an-op.md):
//   gpunn::Error            a user mistake: the message names the op, the shapes and
//                           what was expected, e.g.
//                           "conv2d: input has 3 channels, weight expects 4
//                            (input [8, 3, 32, 32], weight [16, 4, 3, 3])";
//   gpunn::OutOfMemoryError an allocation that could not be served;
//   gpunn::InternalError    a bug in gpunn itself (GPUNN_ASSERT), with file:line;
//   CUDA/cuBLAS/cuDNN       (with the CUDA backend) the failing statement, file:line,
//                           device and error string.
// Anomaly mode (gpunn/autograd.h) adds gpunn::AnomalyError: the first op whose
// output, or backward node whose gradient, holds NaN or Inf.
// All derive from gpunn::Error, which derives from std::runtime_error.
#pragma once

#include <gpunn/export.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

class OutOfMemoryError : public Error {
 public:
  explicit OutOfMemoryError(const std::string& what) : Error(what) {}
};

class InternalError : public Error {
 public:
  explicit InternalError(const std::string& what) : Error(what) {}
};

class AnomalyError : public Error {
 public:
  explicit AnomalyError(const std::string& what) : Error(what) {}
};

namespace detail {

// Shapes print as [2, 3, 4] in messages.
inline void append(std::ostream& os, const std::vector<int64_t>& shape) {
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
}
template <typename T>
void append(std::ostream& os, const T& value) {
  os << value;
}

template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (append(os, args), ...);
  return os.str();
}

template <typename... Args>
[[noreturn]] void throw_error(const Args&... args) {
  throw Error(concat(args...));
}

template <typename... Args>
[[noreturn]] void throw_internal(const char* file, int line, const char* cond,
                                 const Args&... args) {
  throw InternalError(concat("gpunn internal error at ", file, ":", line, ": ", cond, " failed. ",
                             args..., " (this is a bug in gpunn; please report it)"));
}

}  // namespace detail
}  // namespace gpunn

// A user-facing check. The message parts are streamed together; start with the
// op's name: GPUNN_CHECK(x.dim() == 4, "conv2d: expected a 4-D input, got ", x.shape()).
#define GPUNN_CHECK(cond, ...)                              \
  do {                                                      \
    if (!(cond)) ::gpunn::detail::throw_error(__VA_ARGS__); \
  } while (0)

// An internal invariant; failing it is a bug in gpunn, never a user error.
#define GPUNN_ASSERT(cond, ...)                                                              \
  do {                                                                                       \
    if (!(cond))                                                                             \
      ::gpunn::detail::throw_internal(__FILE__, __LINE__, #cond __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)

GPUNN_API_END
