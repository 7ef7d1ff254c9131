// gpunn_example_common (example.h).
#include "common/example.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

namespace gpunn::examples {

void add_common_options(CLI::App& app, CommonOptions& o) {
  app.add_option("--device", o.device, "auto (a GPU when usable, else the CPU), cpu, cuda, cuda:N")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed for initialization, shuffling and sampling")
      ->capture_default_str();
  app.add_flag("--smoke", o.smoke, "run a few steps only (what CI runs)");
  app.add_option("--out", o.out_dir, "folder for the PNG, CSV and checkpoint files")
      ->capture_default_str();
  cli::add_profile_option(app, o.profile);
}

Device resolve_device(const std::string& name) {
  if (name == "auto") return cuda::is_available() ? Device::cuda(0) : kCPU;
  const Device d = Device::parse(name);
  if (d.is_cuda()) {
    GPUNN_CHECK(d.index < cuda::device_count(), "--device ", name, ": no such usable GPU (",
                cuda::device_count(), " found); use --device cpu");
  }
  return d;
}

std::string run_summary(Device device, const std::string& precision) {
  // The families' implementation setting: the common one, then the exceptions.
  std::map<Impl, int> count;
  for (int f = 0; f < static_cast<int>(OpFamily::kCount); ++f)
    ++count[get_impl(static_cast<OpFamily>(f))];
  Impl common = Impl::Auto;
  for (const auto& [impl, n] : count)
    if (n > count[common]) common = impl;
  const auto name = [](Impl i) {
    return i == Impl::Auto ? "auto" : i == Impl::Custom ? "custom" : "vendor";
  };
  std::string impls = name(common);
  for (int f = 0; f < static_cast<int>(OpFamily::kCount); ++f) {
    const auto family = static_cast<OpFamily>(f);
    if (get_impl(family) != common)
      impls += std::string(", ") + op_family_name(family) + "=" + name(get_impl(family));
  }
  return "device " + device.str() + ", precision " + precision + ", implementations " + impls;
}

void prepare_output_dir(const CommonOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  GPUNN_CHECK(!ec, "--out ", o.out_dir, ": cannot create the folder: ", ec.message());
  // Writable? A probe file, created and removed.
  const std::string probe =
      (std::filesystem::path(o.out_dir) / (".gpunn-write-probe-" + std::to_string(::getpid())))
          .string();
  errno = 0;
  FILE* f = std::fopen(probe.c_str(), "wb");
  GPUNN_CHECK(f != nullptr, "--out ", o.out_dir, ": cannot write there: ", std::strerror(errno));
  std::fclose(f);
  std::remove(probe.c_str());
}

std::string output_path(const CommonOptions& o, const std::string& name) {
  std::filesystem::create_directories(o.out_dir);
  return (std::filesystem::path(o.out_dir) / name).string();
}

std::optional<std::string> fashion_mnist_dir(const std::string& given, const std::string& program) {
  if (!given.empty()) return given;
  const std::optional<std::string> found = data::find_fashion_mnist();
  if (!found) {
    std::cerr << program
              << ": Fashion-MNIST not found; install Debian's dataset-fashion-mnist, set "
                 "GPUNN_FASHION_MNIST_DIR or pass --data DIR\n";
  }
  return found;
}

// ---- Progress -------------------------------------------------------------------------------

namespace {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  std::ostringstream os;
  if (t >= 3600) os << t / 3600 << "h";
  os << std::setw(t >= 3600 ? 2 : 1) << std::setfill('0') << (t / 60) % 60 << ":" << std::setw(2)
     << t % 60;
  return os.str();
}

}  // namespace

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(std::max<int64_t>(total, 1)),
      tty_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t done, const std::string& status) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
  const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  std::ostringstream line;
  line << label_ << " " << std::setw(3) << static_cast<int>(frac * 100) << "% ";
  if (tty_) {
    constexpr int kWidth = 28;
    const int filled = static_cast<int>(frac * kWidth);
    line << "[" << std::string(static_cast<size_t>(filled), '#')
         << std::string(static_cast<size_t>(kWidth - filled), '.') << "] ";
  }
  line << done << "/" << total_ << " " << std::fixed << std::setprecision(1) << rate << " " << unit_
       << "/s, ETA " << format_duration(eta);
  if (!status.empty()) line << ", " << status;
  if (tty_) {
    // Redraw at most ten times a second, and always at the end.
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    std::cerr << "\r\033[K" << line.str() << std::flush;
  } else {
    const int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_) return;
    last_decile_ = decile;
    std::cerr << line.str() << "\n";
  }
}

void Progress::finish(const std::string& status) {
  last_decile_ = -1;
  last_draw_ = {};
  update(total_, status);
  if (tty_) std::cerr << "\n";
}

// ---- JSON ------------------------------------------------------------------------------------

size_t utf8_sequence_length(const std::string& s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  return n;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string json_string(const std::string& s) {
  std::ostringstream os;
  os << '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Whole UTF-8 sequences pass; a byte that starts none becomes U+FFFD, so the line is
      // always valid JSON (and UTF-8), whatever bytes a model sampled.
      const size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        os << "\\ufffd";
      } else {
        os << s.substr(i, n);
        i += n - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        os << "\\\"";
        break;
      case '\\':
        os << "\\\\";
        break;
      case '\n':
        os << "\\n";
        break;
      case '\t':
        os << "\\t";
        break;
      default:
        if (c < 0x20) {
          os << "\\u" << std::hex << std::setw(4) << std::setfill('0') << static_cast<int>(c)
             << std::dec;
        } else {
          os << c;
        }
    }
  }
  os << '"';
  return os.str();
}

namespace {
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN or infinity
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}
}  // namespace

JsonLine& JsonLine::add(const std::string& key, double value) {
  fields_.emplace_back(key, json_number(value));
  return *this;
}
JsonLine& JsonLine::add(const std::string& key, int64_t value) {
  fields_.emplace_back(key, std::to_string(value));
  return *this;
}
JsonLine& JsonLine::add(const std::string& key, bool value) {
  fields_.emplace_back(key, value ? "true" : "false");
  return *this;
}
JsonLine& JsonLine::add(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, json_string(value));
  return *this;
}
JsonLine& JsonLine::add(const std::string& key, const std::vector<double>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + json_number(values[i]);
  fields_.emplace_back(key, s + "]");
  return *this;
}
JsonLine& JsonLine::add(const std::string& key, const std::vector<std::string>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + json_string(values[i]);
  fields_.emplace_back(key, s + "]");
  return *this;
}
std::string JsonLine::str() const {
  std::string s = "{";
  for (size_t i = 0; i < fields_.size(); ++i)
    s += (i ? ", " : "") + json_string(fields_[i].first) + ": " + fields_[i].second;
  return s + "}";
}

// ---- images ----------------------------------------------------------------------------------

void write_png(const std::string& path, const Image& im) {
  GPUNN_CHECK(
      im.width > 0 && im.height > 0 && (im.channels == 1 || im.channels == 3 || im.channels == 4),
      "write_png: bad image ", im.width, "x", im.height, "x", im.channels, " for ", path);
  GPUNN_CHECK(im.pixels.size() == static_cast<size_t>(im.width) * im.height * im.channels,
              "write_png: pixel buffer size does not match ", im.width, "x", im.height, "x",
              im.channels, " for ", path);
  errno = 0;
  const int ok = stbi_write_png(path.c_str(), im.width, im.height, im.channels, im.pixels.data(),
                                im.width * im.channels);
  GPUNN_CHECK(ok != 0, "write_png: cannot write ", path, ": ",
              errno != 0 ? std::strerror(errno) : "the PNG encoder failed");
}

std::vector<Image> gray_tiles(const Tensor& images, double lo, double hi, int scale) {
  GPUNN_CHECK(images.defined() && images.dim() >= 1 && images.numel() == images.size(0) * 784,
              "gray_tiles: expected N images of 28x28 values, got ",
              images.defined() ? images.shape() : Shape{});
  const Tensor host = images.detach().to(kCPU).to(kFloat32).reshape({images.size(0), 28, 28});
  std::vector<Image> tiles;
  for (int64_t i = 0; i < host.size(0); ++i)
    tiles.push_back(upscale(gray_image(host[i], lo, hi), scale));
  return tiles;
}

Image gray_image(const Tensor& t_in, double lo, double hi) {
  const Tensor t = t_in.dim() == 3 ? t_in.squeeze(0) : t_in;
  GPUNN_CHECK(t.dim() == 2, "gray_image: expected [H, W] or [1, H, W], got ", t_in.shape());
  const int h = static_cast<int>(t.shape()[0]), w = static_cast<int>(t.shape()[1]);
  const std::vector<double> v = t.to_vector<double>();
  Image im(w, h, 1);
  for (size_t i = 0; i < v.size(); ++i) {
    const double u = std::clamp((v[i] - lo) / (hi - lo), 0.0, 1.0);
    im.pixels[i] = static_cast<uint8_t>(std::lround(u * 255.0));
  }
  return im;
}

Image contact_sheet(const std::vector<Image>& images, int columns, int gap, uint8_t background) {
  GPUNN_CHECK(!images.empty() && columns >= 1, "contact_sheet: nothing to lay out");
  int cw = 0, ch = 0, channels = 1;
  for (const Image& im : images) {
    cw = std::max(cw, im.width);
    ch = std::max(ch, im.height);
    channels = std::max(channels, im.channels);
  }
  const int n = static_cast<int>(images.size());
  const int cols = std::min(columns, n), rows = (n + cols - 1) / cols;
  Image sheet(cols * cw + (cols + 1) * gap, rows * ch + (rows + 1) * gap, channels, background);
  for (int i = 0; i < n; ++i) {
    const Image& im = images[static_cast<size_t>(i)];
    const int x0 = gap + (i % cols) * (cw + gap), y0 = gap + (i / cols) * (ch + gap);
    for (int y = 0; y < im.height; ++y)
      for (int x = 0; x < im.width; ++x)
        for (int c = 0; c < channels; ++c) {
          const int src_c = im.channels == 1 ? 0 : std::min(c, im.channels - 1);
          sheet.at(x0 + x, y0 + y)[c] =
              im.pixels[(static_cast<size_t>(y) * im.width + x) * im.channels + src_c];
        }
  }
  return sheet;
}

Image upscale(const Image& im, int f) {
  GPUNN_CHECK(f >= 1, "upscale: factor must be at least 1, got ", f);
  Image out(im.width * f, im.height * f, im.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < im.channels; ++c)
        out.at(x, y)[c] =
            im.pixels[(static_cast<size_t>(y / f) * im.width + x / f) * im.channels + c];
  return out;
}

}  // namespace gpunn::examples
