// Printing tensors the way PyTorch users read them:
//   tensor([[ 1.0000, -2.5000],
//           [ 3.0000,  4.0000]], dtype=float64, grad_fn=<mul_backward>)
// Floats use 4 decimals, or scientific notation when the magnitudes call for
// it; tensors over 1000 elements show 3 entries at each end of every dim.
#include <gpunn/tensor.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/tensor_impl.h"

namespace gpunn {
namespace {

constexpr int64_t kSummarizeAbove = 1000;
constexpr int64_t kEdgeItems = 3;

struct Format {
  bool integer = false;
  bool scientific = false;
  int width = 1;
};

std::string format_value(double v, const Format& f) {
  char buf[64];
  if (f.integer) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else if (std::isnan(v)) {
    std::snprintf(buf, sizeof buf, "nan");
  } else if (std::isinf(v)) {
    std::snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
  } else if (f.scientific) {
    std::snprintf(buf, sizeof buf, "%.4e", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", v);
  }
  return buf;
}

// Indices kept along a dim of `size` when summarizing.
std::vector<int64_t> kept_indices(int64_t size, bool summarize) {
  std::vector<int64_t> out;
  if (!summarize || size <= 2 * kEdgeItems) {
    for (int64_t i = 0; i < size; ++i) out.push_back(i);
  } else {
    for (int64_t i = 0; i < kEdgeItems; ++i) out.push_back(i);
    out.push_back(-1);  // the "..." marker
    for (int64_t i = size - kEdgeItems; i < size; ++i) out.push_back(i);
  }
  return out;
}

void print_dims(std::ostream& os, const std::vector<double>& values, const Shape& shape,
                const Shape& strides, int64_t dim, int64_t offset, const Format& f, bool summarize,
                int indent) {
  const int64_t n = static_cast<int64_t>(shape.size());
  os << '[';
  const std::vector<int64_t> keep = kept_indices(shape[dim], summarize);
  for (size_t k = 0; k < keep.size(); ++k) {
    if (k > 0) {
      os << ',';
      if (dim == n - 1) {
        os << ' ';
      } else {
        os << std::string(static_cast<size_t>(n - dim - 1), '\n')
           << std::string(static_cast<size_t>(indent + 1), ' ');
      }
    }
    if (keep[k] < 0) {
      os << "...";
      continue;
    }
    const int64_t at = offset + keep[k] * strides[dim];
    if (dim == n - 1) {
      std::string s = format_value(values[static_cast<size_t>(at)], f);
      os << std::string(static_cast<size_t>(std::max<int>(0, f.width - static_cast<int>(s.size()))),
                        ' ')
         << s;
    } else {
      print_dims(os, values, shape, strides, dim + 1, at, f, summarize, indent + 1);
    }
  }
  os << ']';
}

}  // namespace

std::string Tensor::str() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "tensor(undefined)";
  if (t.device().is_meta()) {  // no values: the shape, dtype and history
    os << "tensor(..., size=";
    detail::append(os, t.shape());
    if (t.dtype() != kFloat32) os << ", dtype=" << dtype_name(t.dtype());
    os << ", device=meta";
    if (!t.grad_fn_name().empty()) os << ", grad_fn=<" << t.grad_fn_name() << '>';
    return os << ')';
  }
  const std::vector<double> values = t.to_vector<double>();
  Format f;
  f.integer = t.dtype() == kInt64;
  if (!f.integer) {
    double max_abs = 0.0, min_abs = INFINITY;
    for (double v : values) {
      if (!std::isfinite(v) || v == 0.0) continue;
      max_abs = std::max(max_abs, std::abs(v));
      min_abs = std::min(min_abs, std::abs(v));
    }
    f.scientific = max_abs >= 1e8 || (min_abs < 1e-4 && max_abs > 0.0);
  }
  for (double v : values) f.width = std::max(f.width, static_cast<int>(format_value(v, f).size()));

  os << "tensor(";
  if (t.dim() == 0) {
    os << format_value(values[0], f);
  } else if (t.numel() == 0) {
    os << "[], size=";
    detail::append(os, t.shape());
  } else {
    const bool summarize = t.numel() > kSummarizeAbove;
    print_dims(os, values, t.shape(), contiguous_strides(t.shape()), 0, 0, f, summarize, 7);
  }
  if (t.dtype() != kFloat32) os << ", dtype=" << dtype_name(t.dtype());
  if (!t.device().is_cpu()) os << ", device=" << t.device().str();
  if (!t.grad_fn_name().empty()) {
    os << ", grad_fn=<" << t.grad_fn_name() << '>';
  } else if (t.requires_grad()) {
    os << ", requires_grad=true";
  }
  return os << ')';
}

}  // namespace gpunn
