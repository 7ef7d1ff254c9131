// Normalization, image augmentation and resizing (gpunn/data/transforms.h).
#include <gpunn/autograd.h>
#include <gpunn/data/transforms.h>
#include <gpunn/ops.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "data/random_util.h"

namespace gpunn::data {
namespace {

void check_floating_cpu(const char* op, const Tensor& x) {
  GPUNN_CHECK(x.defined() && is_floating(x.dtype()), op, ": expected a floating-point tensor, got ",
              x.defined() ? dtype_name(x.dtype()) : "an undefined tensor");
  GPUNN_CHECK(x.device().is_cpu(), op, ": expected a CPU tensor, got one on ", x.device().str());
}

void check_images(const char* op, const Tensor& x) {
  check_floating_cpu(op, x);
  GPUNN_CHECK(x.dim() == 4, op, ": expected images [N, C, H, W], got ", x.shape());
}

// Mean and population variance per channel c of x viewed as [outer, C, inner].
Normalize fit_channels(const Tensor& x, bool with_std, const char* op) {
  check_floating_cpu(op, x);
  GPUNN_CHECK(x.dim() >= 2 && x.size(0) >= 1, op,
              ": expected examples [N, C, ...] with N >= 1, got ", x.shape());
  GPUNN_CHECK(x.numel() > 0, op, ": the examples ", x.shape(),
              " hold no values, so there are no statistics to fit");
  const Tensor xd = x.to(kCPU).to(kFloat64).contiguous();
  const int64_t N = xd.size(0);
  const int64_t C = xd.size(1);
  const int64_t inner = xd.numel() / (N * C);
  const double* p = xd.data<double>();
  std::vector<double> mean(static_cast<size_t>(C), 0.0);
  std::vector<double> var(static_cast<size_t>(C), 0.0);
  const double count = static_cast<double>(N * inner);
  for (int64_t c = 0; c < C; ++c) {
    double s = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < inner; ++i) s += p[(n * C + c) * inner + i];
    const double m = s / count;
    double ss = 0;  // two passes: no cancellation from E[x^2] - E[x]^2
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < inner; ++i) {
        const double d = p[(n * C + c) * inner + i] - m;
        ss += d * d;
      }
    mean[static_cast<size_t>(c)] = m;
    var[static_cast<size_t>(c)] = ss / count;
  }
  Shape shape(static_cast<size_t>(x.dim() - 1), 1);
  shape[0] = C;
  std::vector<double> sd(static_cast<size_t>(C), 1.0);
  if (with_std) {
    for (int64_t c = 0; c < C; ++c) {
      const double s = std::sqrt(var[static_cast<size_t>(c)]);
      sd[static_cast<size_t>(c)] = s < 1e-12 ? 1.0 : s;
    }
  }
  return Normalize(tensor(mean, shape, kFloat64), tensor(sd, shape, kFloat64));
}

}  // namespace

Normalize::Normalize(Tensor mean, Tensor std) {
  GPUNN_CHECK(mean.defined() && std.defined() && mean.shape() == std.shape(),
              "Normalize: mean and std must be tensors of the same shape, got ",
              mean.defined() ? mean.shape() : Shape{}, " and ",
              std.defined() ? std.shape() : Shape{});
  mean_ = mean.detach().to(kFloat64).contiguous();
  std_ = std.detach().to(kFloat64).contiguous();
  for (double s : std_.to_vector<double>()) {
    GPUNN_CHECK(s > 0 && std::isfinite(s), "Normalize: std must be positive and finite, got ", s);
  }
  for (double m : mean_.to_vector<double>()) {
    GPUNN_CHECK(std::isfinite(m), "Normalize: mean must be finite, got ", m);
  }
}

void Normalize::check_input(const char* op, const Tensor& x) const {
  GPUNN_CHECK(mean_.defined(), op, ": not fitted (construct it with statistics or fit_*)");
  check_floating_cpu(op, x);
  GPUNN_CHECK(x.dim() == mean_.dim() + 1 &&
                  std::equal(mean_.shape().begin(), mean_.shape().end(), x.shape().begin() + 1,
                             [](int64_t m, int64_t s) { return m == 1 || m == s; }),
              op, ": input ", x.shape(), " does not match statistics of shape ", mean_.shape(),
              " (expected [N] followed by a shape they broadcast to)");
}

Normalize Normalize::fit_per_channel(const Tensor& x) {
  return fit_channels(x, true, "Normalize::fit_per_channel");
}

Normalize Normalize::fit_channel_mean(const Tensor& x) {
  return fit_channels(x, false, "Normalize::fit_channel_mean");
}

Normalize Normalize::fit_mean_example(const Tensor& x) {
  check_floating_cpu("Normalize::fit_mean_example", x);
  GPUNN_CHECK(x.dim() >= 1 && x.size(0) >= 1,
              "Normalize::fit_mean_example: expected examples [N, ...] with N >= 1, got ",
              x.shape());
  const Tensor m = gpunn::mean(x.to(kFloat64), {0});
  return Normalize(m, ones(m.shape(), kFloat64));
}

Tensor Normalize::operator()(const Tensor& x) const {
  check_input("Normalize", x);
  NoGradGuard no_grad;
  return (x - mean_.to(x.dtype())) / std_.to(x.dtype());
}

Tensor Normalize::inverse(const Tensor& y) const {
  check_input("Normalize::inverse", y);
  NoGradGuard no_grad;
  return y * std_.to(y.dtype()) + mean_.to(y.dtype());
}

Tensor random_crop(const Tensor& x, int64_t padding, Generator& generator) {
  check_images("random_crop", x);
  GPUNN_CHECK(padding >= 0, "random_crop: padding must be non-negative, got ", padding);
  const Tensor c = x.contiguous();
  Tensor y = zeros(c.shape(), TensorOptions(c.dtype()));
  const int64_t N = c.size(0), C = c.size(1), H = c.size(2), W = c.size(3);
  const uint64_t key = detail::draw_key(generator);
  const size_t item = dtype_size(c.dtype());
  const auto* src = static_cast<const char*>(c.data_ptr());
  auto* dst = static_cast<char*>(y.data_ptr());
  const auto range = static_cast<uint64_t>(2 * padding + 1);
  for (int64_t n = 0; n < N; ++n) {
    // Output pixel (h, w) is input pixel (h + dy, w + dx); 0 where that is outside.
    const int64_t dy = static_cast<int64_t>(detail::uniform_index(key, 2 * n, range)) - padding;
    const int64_t dx = static_cast<int64_t>(detail::uniform_index(key, 2 * n + 1, range)) - padding;
    const int64_t w0 = std::max<int64_t>(0, -dx);
    const int64_t w1 = std::min<int64_t>(W, W - dx);
    if (w1 <= w0) continue;
    for (int64_t ch = 0; ch < C; ++ch) {
      const int64_t plane = (n * C + ch) * H * W;
      for (int64_t h = std::max<int64_t>(0, -dy); h < std::min<int64_t>(H, H - dy); ++h) {
        std::memcpy(dst + (plane + h * W + w0) * item,
                    src + (plane + (h + dy) * W + w0 + dx) * item,
                    static_cast<size_t>(w1 - w0) * item);
      }
    }
  }
  return y;
}

Tensor random_horizontal_flip(const Tensor& x, Generator& generator, double p) {
  check_images("random_horizontal_flip", x);
  GPUNN_CHECK(p >= 0 && p <= 1, "random_horizontal_flip: p must be in [0, 1], got ", p);
  Tensor y = x.contiguous().clone();
  const int64_t N = y.size(0), C = y.size(1), H = y.size(2), W = y.size(3);
  const uint64_t key = detail::draw_key(generator);
  const size_t item = dtype_size(y.dtype());
  auto* d = static_cast<char*>(y.data_ptr());
  char tmp[8];
  for (int64_t n = 0; n < N; ++n) {
    if (!(detail::uniform_double(key, static_cast<uint64_t>(n)) < p)) continue;
    for (int64_t r = 0; r < C * H; ++r) {
      char* row = d + ((n * C * H) + r) * W * static_cast<int64_t>(item);
      for (int64_t a = 0, b = W - 1; a < b; ++a, --b) {
        std::memcpy(tmp, row + a * item, item);
        std::memcpy(row + a * item, row + b * item, item);
        std::memcpy(row + b * item, tmp, item);
      }
    }
  }
  return y;
}

namespace {

// The [n_out, n_in] matrix of align_corners=false linear interpolation: row o
// holds the two weights with which output sample o mixes its input neighbours.
Tensor interpolation_matrix(int64_t n_in, int64_t n_out, TensorOptions options) {
  std::vector<double> m(static_cast<size_t>(n_out * n_in), 0.0);
  const double scale = static_cast<double>(n_in) / static_cast<double>(n_out);
  for (int64_t o = 0; o < n_out; ++o) {
    const double src = std::max(0.0, (static_cast<double>(o) + 0.5) * scale - 0.5);
    const int64_t i0 = std::min(static_cast<int64_t>(src), n_in - 1);
    const int64_t i1 = std::min(i0 + 1, n_in - 1);
    const double w1 = src - static_cast<double>(i0);
    m[static_cast<size_t>(o * n_in + i0)] += 1.0 - w1;
    m[static_cast<size_t>(o * n_in + i1)] += w1;
  }
  return tensor(m, {n_out, n_in}, options);
}

}  // namespace

Tensor resize_bilinear(const Tensor& x, int64_t height, int64_t width) {
  const char* op = "resize_bilinear";
  GPUNN_CHECK(x.defined() && is_floating(x.dtype()), op, ": expected a floating-point tensor, got ",
              x.defined() ? dtype_name(x.dtype()) : "an undefined tensor");
  GPUNN_CHECK(x.dim() >= 2, op, ": expected images [..., H, W], got ", x.shape());
  const int64_t H = x.size(-2), W = x.size(-1);
  GPUNN_CHECK(H >= 1 && W >= 1, op, ": input ", x.shape(), " has an empty image plane");
  GPUNN_CHECK(height >= 1 && width >= 1, op, ": the output size must be positive, got ", height,
              " x ", width, " for input ", x.shape());
  const TensorOptions options = TensorOptions(x.dtype()).device(x.device());
  // Columns first, as one [rows, W] x [W, width] product over every row of
  // every image; then rows, one [height, H] x [H, width] product per image.
  const Tensor cols = matmul(x.reshape({-1, W}), interpolation_matrix(W, width, options).t());
  Shape out = x.shape();
  out[out.size() - 1] = width;
  const Tensor planes = cols.reshape({-1, H, width});
  const Tensor rows = matmul(interpolation_matrix(H, height, options), planes);
  out[out.size() - 2] = height;
  return rows.reshape(out);
}

}  // namespace gpunn::data
