// filters: the lecture's table of 3×3 image filters, applied with conv2d to a
// real picture.
//
// The picture: --image, else Grace Hopper's portrait that Debian's
// python-matplotlib-data package ships, else the first Fashion-MNIST test image
// upscaled 8× (bilinear, then smoothed). It is turned to gray (Rec. 601 luma) in [0, 1] and
// shrunk (averaging f×f blocks) until its longest side is at most --max-side.
//
// All seven kernels run as one convolution: x [1, 1, H, W] with weight
// [7, 1, 3, 3] and padding 1 gives y [1, 7, H, W]. Smoothing and sharpening
// results are shown clamped to [0, 1]; edge responses are signed, so they are
// shown as |y| scaled so that the 99.5th percentile is white.
//
// The same convolution runs on the CPU (the reference loops and the default
// path, oneDNN where built) and on the GPU when one is usable; the JSON line
// reports the largest differences. Exits non-zero if the identity kernel does
// not give back the picture or the devices disagree by more than 1e-4.
#include "common/example.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace gpunn;
namespace ex = gpunn::examples;

enum class Display { Clamp, Magnitude };

struct Filter {
  const char* name;
  Display display;
  std::array<double, 9> k;  // row-major 3×3
};

// The kernels of the lecture's table (the usual image-processing table).
const std::vector<Filter>& filter_table() {
  static const std::vector<Filter> table = {
      {"identity", Display::Clamp, {0, 0, 0, 0, 1, 0, 0, 0, 0}},
      {"edge_diagonal", Display::Magnitude, {1, 0, -1, 0, 0, 0, -1, 0, 1}},
      {"edge_4_neighbour", Display::Magnitude, {0, 1, 0, 1, -4, 1, 0, 1, 0}},
      {"edge_8_neighbour", Display::Magnitude, {-1, -1, -1, -1, 8, -1, -1, -1, -1}},
      {"sharpen", Display::Clamp, {0, -1, 0, -1, 5, -1, 0, -1, 0}},
      {"box_blur",
       Display::Clamp,
       {1 / 9., 1 / 9., 1 / 9., 1 / 9., 1 / 9., 1 / 9., 1 / 9., 1 / 9., 1 / 9.}},
      {"gaussian_blur",
       Display::Clamp,
       {1 / 16., 2 / 16., 1 / 16., 2 / 16., 4 / 16., 2 / 16., 1 / 16., 2 / 16., 1 / 16.}},
  };
  return table;
}

// ---- the picture ------------------------------------------------------------------------------

constexpr const char* kGraceHopper = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg";

// Gray values in [0, 1] as [H, W] float32.
Tensor to_gray(const ex::Image& im) {
  std::vector<float> v(static_cast<size_t>(im.width) * im.height);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint8_t* p = &im.pixels[i * static_cast<size_t>(im.channels)];
    v[i] =
        im.channels == 1 ? p[0] / 255.0f : (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255.0f;
  }
  return tensor_from(v, {im.height, im.width});
}

// Bilinear resize of [H, W] by an integer factor (pixel centres aligned).
Tensor upscale_bilinear(const Tensor& g, int f) {
  const int64_t h = g.size(0), w = g.size(1);
  const std::vector<float> src = g.to_vector<float>();
  std::vector<float> out(static_cast<size_t>(h * f * w * f));
  auto at = [&](int64_t y, int64_t x) {
    return src[static_cast<size_t>(std::clamp<int64_t>(y, 0, h - 1) * w +
                                   std::clamp<int64_t>(x, 0, w - 1))];
  };
  for (int64_t y = 0; y < h * f; ++y)
    for (int64_t x = 0; x < w * f; ++x) {
      const double sy = (y + 0.5) / f - 0.5, sx = (x + 0.5) / f - 0.5;
      const auto y0 = static_cast<int64_t>(std::floor(sy)),
                 x0 = static_cast<int64_t>(std::floor(sx));
      const double ty = sy - y0, tx = sx - x0;
      out[static_cast<size_t>(y * w * f + x)] =
          static_cast<float>((1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) +
                             ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1)));
    }
  return tensor_from(out, {h * f, w * f});
}

// Averages f×f blocks so that the longest side is at most max_side.
Tensor shrink(const Tensor& g, int64_t max_side) {
  const int64_t f = (std::max(g.size(0), g.size(1)) + max_side - 1) / max_side;
  if (f <= 1) return g;
  return avg_pool2d(g.unsqueeze(0), {.kernel_size = f, .stride = f}).squeeze(0);
}

struct Picture {
  Tensor gray;  // [H, W] in [0, 1]
  std::string source;
};

// A picture with edges in every direction, for machines without one: a
// bright disc, a dark square and stripes on a horizontal ramp.
Picture test_pattern(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const double y = (i + 0.5) / n, x = (j + 0.5) / n;
      double g = 0.2 + 0.5 * x;
      if ((x - 0.35) * (x - 0.35) + (y - 0.4) * (y - 0.4) < 0.04) g = 0.95;
      if (x > 0.6 && x < 0.85 && y > 0.55 && y < 0.8) g = 0.05;
      if (y > 0.85 && static_cast<int64_t>(x * 16) % 2 == 0) g = 1.0 - g;
      v[static_cast<size_t>(i * n + j)] = static_cast<float>(g);
    }
  }
  return {tensor_from(v, {n, n}), "a test pattern"};
}

Picture load_picture(const std::string& path) {
  if (!path.empty()) return {to_gray(ex::read_image(path)), path};
  if (std::filesystem::exists(kGraceHopper))
    return {to_gray(ex::read_image(kGraceHopper)), kGraceHopper};
  const std::optional<std::string> dir = data::find_fashion_mnist();
  if (!dir) {
    std::cerr << "filters: no picture found (pass --image FILE, or install Debian's "
                 "python-matplotlib-data or dataset-fashion-mnist); using a test pattern\n";
    return test_pattern(256);
  }
  const data::TensorDataset test = data::load_fashion_mnist(*dir, data::Split::Test);
  // Bilinear interpolation is piecewise linear: the Laplacian kernels would show
  // its kinks as a grid. A box filter as wide as the factor smooths them away.
  const Tensor up = upscale_bilinear(test.data()[0][0], 8).unsqueeze(0);
  const Tensor smooth =
      avg_pool2d(up, {.kernel_size = 7, .stride = 1, .padding = 3, .count_include_pad = false});
  return {smooth.squeeze(0), *dir + " (test image 0, upscaled 8x)"};
}

// ---- display ----------------------------------------------------------------------------------

ex::Image display(const Tensor& y, Display how) {
  if (how == Display::Clamp) return ex::gray_image(y, 0.0, 1.0);
  std::vector<double> mag = abs(y).to_vector<double>();
  const size_t k = std::min(mag.size() - 1, static_cast<size_t>(0.995 * mag.size()));
  std::nth_element(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(k), mag.end());
  return ex::gray_image(abs(y), 0.0, std::max(mag[k], 1e-6));
}

double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(a - b)).item(); }

int run(int argc, char** argv) {
  CLI::App app{
      "filters: the lecture's 3x3 filters (identity, three edge detectors, sharpen, box "
      "and Gaussian blur) applied with conv2d to a picture, on the CPU and the GPU"};
  ex::CommonOptions common;
  std::string image_path;
  int64_t max_side = 256;
  ex::add_common_options(app, common);
  app.add_option("--image", image_path,
                 "picture to filter (PNG, JPEG, ...); default: Grace Hopper's portrait from "
                 "python-matplotlib-data, else a Fashion-MNIST image");
  app.add_option("--max-side", max_side,
                 "shrink the picture until its longest side is at most this")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{8}, int64_t{8192}));
  CLI11_PARSE(app, argc, argv);
  if (common.smoke) max_side = std::min<int64_t>(max_side, 64);

  ex::prepare_output_dir(common);
  const Device device = ex::resolve_device(common.device);
  std::cout << "filters: " << ex::run_summary(device, "fp32") << "\n";
  cli::ProfileRun profile(common.profile);  // --profile: the filtering
  profile.start();
  const Picture pic = load_picture(image_path);
  const Tensor gray = shrink(pic.gray, max_side);
  const Tensor x = gray.reshape({1, 1, gray.size(0), gray.size(1)});
  const std::vector<Filter>& filters = filter_table();
  std::vector<double> k;
  for (const Filter& f : filters) k.insert(k.end(), f.k.begin(), f.k.end());
  const Tensor w = tensor(k, {static_cast<int64_t>(filters.size()), 1, 3, 3});
  std::cerr << "filters: " << pic.source << ", gray " << x.size(3) << "x" << x.size(2) << "\n";

  // The CPU: the default path (oneDNN where built), and the reference loops.
  const Tensor y = conv2d(x, w, Tensor(), {.padding = 1});
  set_impl(OpFamily::Conv, Impl::Custom);
  const Tensor y_ref = conv2d(x, w, Tensor(), {.padding = 1});
  set_impl(OpFamily::Conv, Impl::Auto);
  const double diff_ref = max_abs_diff(y, y_ref);

  // The GPU, when there is one.
  double diff_gpu = NAN;
  std::string note;
  if (device.is_cuda()) {
    try {
      const Tensor y_gpu = conv2d(x.to(device), w.to(device), Tensor(), {.padding = 1}).to(kCPU);
      diff_gpu = max_abs_diff(y, y_gpu);
    } catch (const Error& e) {
      if (common.device != "auto") throw;  // the user asked for the GPU: fail, saying why
      note = std::string("conv2d on ") + device.str() + " failed: " + e.what();
    }
  } else {
    note = common.device == "cpu" ? "--device cpu: ran on the CPU only"
                                  : "no usable GPU: ran on the CPU only";
  }
  if (!note.empty()) std::cerr << "  " << note << "\n";

  std::vector<ex::Image> tiles = {ex::gray_image(x[0], 0.0, 1.0)};
  ex::write_png(ex::output_path(common, "filters_input.png"), tiles[0]);
  std::vector<std::string> names;
  for (size_t i = 0; i < filters.size(); ++i) {
    tiles.push_back(display(y[0][static_cast<int64_t>(i)], filters[i].display));
    const std::string path =
        ex::output_path(common, std::string("filter_") + filters[i].name + ".png");
    ex::write_png(path, tiles.back());
    names.emplace_back(filters[i].name);
    std::cerr << "  " << filters[i].name << " -> " << path << "\n";
  }
  const std::string sheet = ex::output_path(common, "filters_sheet.png");
  ex::write_png(sheet, ex::contact_sheet(tiles, 4, 4));
  std::cerr << "  contact sheet (input, then the filters in order) -> " << sheet << "\n";

  const double identity_err = max_abs_diff(y[0][0], x[0][0]);
  profile.finish();
  ex::JsonLine json;
  json.add("image", pic.source)
      .add("height", x.size(2))
      .add("width", x.size(3))
      .add("filters", names)
      .add("identity_max_abs_err", identity_err)
      .add("max_abs_diff_cpu_reference", diff_ref)
      .add("max_abs_diff_cpu_gpu", diff_gpu)
      .add("device", device.str());
  if (!note.empty()) json.add("note", note);
  std::cout << json.str() << std::endl;

  if (!(identity_err <= 1e-6) || !(diff_ref <= 1e-5) ||
      (std::isfinite(diff_gpu) && diff_gpu > 1e-4)) {
    std::cerr << "filters: results disagree (identity " << identity_err << ", CPU reference "
              << diff_ref << ", GPU " << diff_gpu << ")\n";
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const gpunn::Error& e) {
    std::cerr << "filters: " << e.what() << "\n";
    return 1;
  }
}
