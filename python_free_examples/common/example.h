// What every gpunn example shares: the common command-line options, device
// choice, a progress bar, the closing JSON line and PNG output. A small library
// (gpunn_example_common) linked by each example; not part of libgpunn.
#pragma once

#include <gpunn/gpunn.h>

#include <CLI/CLI.hpp>

#include "cli_checks.h"  // tools/common: gpunn::cli::positive, non_negative
#include "precision.h"   // tools/common: --precision
#include "profile.h"     // tools/common: --profile

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gpunn::examples {

// --device, --seed, --smoke and --out, added to every example's parser.
struct CommonOptions {
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  uint64_t seed = 0;
  bool smoke = false;         // a few steps only: what CI runs
  std::string out_dir = ".";  // where PNG, CSV and checkpoint files go
  std::string profile;        // --profile FILE (tools/common/profile.h); empty: off
};
void add_common_options(CLI::App& app, CommonOptions& options);

// "auto": the first GPU when one is usable, else the CPU. Throws gpunn::Error
// for a device that is not usable.
Device resolve_device(const std::string& name);

// Creates --out's folder if needed and checks that files can be written there, at start-up:
// throws gpunn::Error with the reason ("--out /x: cannot write there: Permission denied") so
// that no run trains first and fails at its first save. Every example calls it first.
void prepare_output_dir(const CommonOptions& options);
// "device cuda:0, precision bf16, implementations auto, conv=custom": what runs where, the
// line every example prints at start-up.
std::string run_summary(Device device, const std::string& precision);

// out_dir/name, creating out_dir if needed.
std::string output_path(const CommonOptions& options, const std::string& name);

// Exit code of a smoke run whose data is not on this machine: CTest's
// SKIP_RETURN_CODE in python_free_examples/CMakeLists.txt.
inline constexpr int kSkipExitCode = 77;

// The Fashion-MNIST folder: `given` when not empty, else where
// data::find_fashion_mnist() finds it. When it is nowhere, prints how to
// install it (after "program: ") and returns nothing.
std::optional<std::string> fashion_mnist_dir(const std::string& given, const std::string& program);

// A progress bar with rate and ETA on a terminal ("\r"-updated, on stderr);
// plain lines at every 10% otherwise, so logs stay readable.
class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  // `done` items so far; `status` is shown after the bar (e.g. "loss 0.412").
  void update(int64_t done, const std::string& status = "");
  void finish(const std::string& status = "");
  double elapsed_seconds() const;

 private:
  std::string label_, unit_;
  int64_t total_;
  bool tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// The example's last output line: one JSON object of its metrics.
class JsonLine {
 public:
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, int64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, int64_t{value}); }
  JsonLine& add(const std::string& key, bool value);
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonLine& add(const std::string& key, const std::vector<double>& values);
  JsonLine& add(const std::string& key, const std::vector<std::string>& values);
  std::string str() const;  // {"k": v, ...} in insertion order, one line

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // key, JSON text
};
// A quoted, escaped JSON string; bytes that are not UTF-8 become U+FFFD (escaped).
std::string json_string(const std::string& s);
// The byte length of the UTF-8 sequence starting at s[i], or 0 where none starts (an
// invalid, overlong, surrogate or truncated sequence).
size_t utf8_sequence_length(const std::string& s, size_t i);
bool valid_utf8(const std::string& s);

// An 8-bit image, row-major, `channels` interleaved (1 gray, 3 RGB).
struct Image {
  int width = 0, height = 0, channels = 3;
  std::vector<uint8_t> pixels;
  Image() = default;
  Image(int w, int h, int c, uint8_t fill = 0)
      : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c, fill) {}
  uint8_t* at(int x, int y) { return &pixels[(static_cast<size_t>(y) * width + x) * channels]; }
};
// Writes a PNG; throws gpunn::Error naming the path on failure.
void write_png(const std::string& path, const Image& image);
// Reads a PNG, JPEG, BMP, GIF, TGA or PNM file as `channels` (1 gray, 3 RGB)
// 8-bit channels; throws gpunn::Error naming the path on failure.
Image read_image(const std::string& path, int channels = 3);
// A [H, W] or [1, H, W] tensor of values in [lo, hi] as a gray image (clamped).
Image gray_image(const Tensor& t, double lo, double hi);
// Each of `images` (N images of 28x28 values: [N, 784], [N, 28, 28] or [N, 1, 28, 28], any
// device and floating dtype) as a gray image of values in [lo, hi], upscaled by `scale`.
std::vector<Image> gray_tiles(const Tensor& images, double lo, double hi, int scale = 2);
// Images side by side (and wrapped after `columns`), with a gap in `background`.
Image contact_sheet(const std::vector<Image>& images, int columns, int gap = 4,
                    uint8_t background = 255);
// Nearest-neighbour upscaling by an integer factor.
Image upscale(const Image& image, int factor);

}  // namespace gpunn::examples
