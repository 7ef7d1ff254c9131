// Latent-space pictures (common/latent.h).
#include "common/latent.h"

#include <gpunn/data/readers.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace gpunn::examples {

Tensor interpolate_codes(const Tensor& a, const Tensor& b, int64_t steps, bool spherical) {
  GPUNN_CHECK(a.defined() && b.defined() && a.dim() == 1 && a.shape() == b.shape(),
              "interpolate_codes: expected two codes [D] of one shape, got ",
              a.defined() ? a.shape() : Shape{}, " and ", b.defined() ? b.shape() : Shape{});
  GPUNN_CHECK(steps >= 2, "interpolate_codes: steps must be at least 2, got ", steps);
  const std::vector<double> va = a.to(kCPU).to_vector<double>(),
                            vb = b.to(kCPU).to_vector<double>();
  const size_t d = va.size();
  double na = 0, nb = 0, dot = 0;
  for (size_t i = 0; i < d; ++i) na += va[i] * va[i], nb += vb[i] * vb[i], dot += va[i] * vb[i];
  na = std::sqrt(na), nb = std::sqrt(nb);
  const double cos_omega = na > 0 && nb > 0 ? std::clamp(dot / (na * nb), -1.0, 1.0) : 1.0;
  const double omega = std::acos(cos_omega);
  // Nearly parallel (or a zero code): the great circle is undefined; the line is the same path.
  const bool slerp = spherical && omega > 1e-6 && std::sin(omega) > 1e-6;
  std::vector<double> out(static_cast<size_t>(steps) * d);
  for (int64_t s = 0; s < steps; ++s) {
    const double t = static_cast<double>(s) / static_cast<double>(steps - 1);
    double* row = &out[static_cast<size_t>(s) * d];
    if (s == 0 || s == steps - 1) {
      std::copy_n((s == 0 ? va : vb).begin(), d, row);
      continue;
    }
    if (slerp) {
      // Unit directions along the arc, rescaled to the linearly interpolated norm.
      const double wa = std::sin((1 - t) * omega) / std::sin(omega),
                   wb = std::sin(t * omega) / std::sin(omega);
      const double norm = (1 - t) * na + t * nb;
      for (size_t i = 0; i < d; ++i) row[i] = norm * (wa * va[i] / na + wb * vb[i] / nb);
    } else {
      for (size_t i = 0; i < d; ++i) row[i] = va[i] + t * (vb[i] - va[i]);
    }
  }
  return tensor(out, {steps, static_cast<int64_t>(d)}, a.dtype()).to(a.device());
}

ClassMeans class_means(const Tensor& codes, const std::vector<int64_t>& labels, int64_t classes) {
  GPUNN_CHECK(
      codes.defined() && codes.dim() == 2 && codes.size(0) == static_cast<int64_t>(labels.size()),
      "class_means: expected codes [N, D] with one label per row, got codes ",
      codes.defined() ? codes.shape() : Shape{}, " and ", labels.size(), " labels");
  const int64_t n = codes.size(0), d = codes.size(1);
  const std::vector<double> v = codes.to(kCPU).to_vector<double>();
  std::vector<double> sums(static_cast<size_t>(classes * d), 0.0);
  ClassMeans m;
  m.counts.assign(static_cast<size_t>(classes), 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = labels[static_cast<size_t>(i)];
    GPUNN_CHECK(k >= 0 && k < classes, "class_means: label ", k, " of row ", i, " is not in [0, ",
                classes, ")");
    ++m.counts[static_cast<size_t>(k)];
    for (int64_t j = 0; j < d; ++j)
      sums[static_cast<size_t>(k * d + j)] += v[static_cast<size_t>(i * d + j)];
  }
  for (int64_t k = 0; k < classes; ++k)
    for (int64_t j = 0; j < d; ++j)
      if (m.counts[static_cast<size_t>(k)] > 0)
        sums[static_cast<size_t>(k * d + j)] /=
            static_cast<double>(m.counts[static_cast<size_t>(k)]);
  m.means = tensor(sums, {classes, d}, codes.dtype()).to(codes.device());
  return m;
}

const std::vector<LatentSum>& fashion_latent_sums() {
  // Fashion-MNIST labels: 0 T-shirt/top, 4 Coat, 2 Pullover, 5 Sandal, 7 Sneaker, 9 Ankle boot.
  static const std::vector<LatentSum> sums{{7, 5, 9}, {4, 2, 0}, {9, 7, 5}};
  return sums;
}

std::string describe(const LatentSum& s, const std::vector<std::string>& names) {
  auto name = [&](int64_t k) { return names.at(static_cast<size_t>(k)); };
  return name(s.a) + " - " + name(s.b) + " + " + name(s.c);
}

void write_rows(const std::string& png_path, const std::string& caption_path,
                const std::vector<PictureRow>& rows, double lo, double hi) {
  GPUNN_CHECK(!rows.empty(), "write_rows: no rows for ", png_path);
  std::vector<Image> strips;
  std::ofstream captions(caption_path);
  GPUNN_CHECK(captions.good(), "cannot write ", caption_path);
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::vector<Image> tiles = gray_tiles(rows[r].images, lo, hi);
    strips.push_back(contact_sheet(tiles, static_cast<int>(tiles.size()), 2, 255));
    captions << "row " << r + 1 << ": " << rows[r].caption << "\n";
  }
  write_png(png_path, contact_sheet(strips, 1, 6, 255));
  captions.close();
  GPUNN_CHECK(captions.good(), "cannot write ", caption_path);
}

}  // namespace gpunn::examples
