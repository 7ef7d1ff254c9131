// layer_chart: a grouped horizontal bar chart as PNG, for per-layer times of
// several frameworks or implementations side by side (bench/compare.py).
//
//   layer_chart OUT.png "TITLE" "UNIT" < table.tsv
//
// table.tsv: a header line "label<TAB>series 1<TAB>series 2..." then one line
// per row, "label<TAB>value<TAB>value..." ("-" or empty for a missing value).
// Each row gets one bar per series, with its value printed after the bar.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/example.h"
#include "common/plot.h"

namespace ex = gpunn::examples;

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, '\t');) out.push_back(cell);
  return out;
}

void fill_rect(ex::Image& img, int x0, int y0, int w, int h, ex::Rgb c) {
  for (int y = std::max(0, y0); y < std::min(img.height, y0 + h); ++y)
    for (int x = std::max(0, x0); x < std::min(img.width, x0 + w); ++x) {
      uint8_t* p = img.at(x, y);
      p[0] = c[0], p[1] = c[1], p[2] = c[2];
    }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: layer_chart OUT.png TITLE UNIT < table.tsv\n";
    return 2;
  }
  std::string line;
  if (!std::getline(std::cin, line)) {
    std::cerr << "layer_chart: empty input (expected a header line)\n";
    return 2;
  }
  const std::vector<std::string> header = split_tabs(line);
  if (header.size() < 2) {
    std::cerr << "layer_chart: the header needs a label column and at least one series\n";
    return 2;
  }
  const size_t n_series = header.size() - 1;
  std::vector<std::string> labels;
  std::vector<std::vector<double>> values;
  double vmax = 0;
  for (int row = 2; std::getline(std::cin, line); ++row) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split_tabs(line);
    if (cells.size() > header.size()) {
      std::cerr << "layer_chart: line " << row << " has " << cells.size() << " cells, expected "
                << header.size() << "\n";
      return 2;
    }
    labels.push_back(cells[0]);
    std::vector<double> v(n_series, NAN);
    for (size_t i = 1; i < cells.size(); ++i) {
      if (cells[i].empty() || cells[i] == "-") continue;
      try {
        v[i - 1] = std::stod(cells[i]);
      } catch (const std::exception&) {
        std::cerr << "layer_chart: line " << row << ": \"" << cells[i] << "\" is not a number\n";
        return 2;
      }
      if (std::isfinite(v[i - 1])) vmax = std::max(vmax, v[i - 1]);
    }
    values.push_back(v);
  }
  if (labels.empty() || vmax <= 0) {
    std::cerr << "layer_chart: no positive values to draw\n";
    return 2;
  }

  const int bar_h = 10, gap = 8, label_w = 6 * 24 + 10, bar_w = 520, top = 50;
  const int group_h = static_cast<int>(n_series) * bar_h + gap;
  const int width = label_w + bar_w + 90;
  const int height = top + static_cast<int>(labels.size()) * group_h + 20;
  ex::Image img(width, height, 3, 255);
  const auto& palette = ex::plot_palette();
  const ex::Rgb black{0, 0, 0}, gray{110, 110, 110};
  ex::draw_text(img, 10, 8, argv[2], black, 2);
  // Legend.
  int lx = 10;
  for (size_t s = 0; s < n_series; ++s) {
    fill_rect(img, lx, 30, 10, 8, palette[s % palette.size()]);
    lx += 14 + ex::draw_text(img, lx + 14, 31, header[s + 1], black) + 12;
  }
  ex::draw_text(img, width - 10 - ex::text_width(argv[3]), 31, argv[3], gray);
  for (size_t r = 0; r < labels.size(); ++r) {
    const int y0 = top + static_cast<int>(r) * group_h;
    ex::draw_text(img, 10, y0 + (group_h - gap) / 2 - 4, labels[r].substr(0, 24), black);
    for (size_t s = 0; s < n_series; ++s) {
      const double v = values[r][s];
      const int y = y0 + static_cast<int>(s) * bar_h;
      if (!std::isfinite(v)) {
        ex::draw_text(img, label_w, y + 1, "-", gray);
        continue;
      }
      const int w = std::max(1, static_cast<int>(std::lround(v / vmax * bar_w)));
      fill_rect(img, label_w, y, w, bar_h - 2, palette[s % palette.size()]);
      char buf[32];
      std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : v >= 1 ? "%.2f" : "%.3f", v);
      ex::draw_text(img, label_w + w + 4, y + 1, buf, gray);
    }
  }
  fill_rect(img, label_w - 1, top - 4, 1, height - top - 12, gray);
  try {
    ex::write_png(argv[1], img);
  } catch (const std::exception& e) {
    std::cerr << "layer_chart: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
