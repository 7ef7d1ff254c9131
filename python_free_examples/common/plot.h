// Small plotting helpers for the examples' PNGs: line plots with axes, ticks
// and a legend, a heatmap for confusion matrices, and text drawn with a
// built-in 5x7 bitmap font (digits, letters shown upper-case, and . , - + % :
// / ( ) _ = and space; any other character draws as a hollow box).
#pragma once

#include "common/example.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace gpunn::examples {

using Rgb = std::array<uint8_t, 3>;

// Colours for series, in order: blue, orange, green, red, purple, brown.
const std::vector<Rgb>& plot_palette();

// Draws `text` with its top-left corner at (x, y) into an RGB image, each font
// pixel a scale x scale square; pixels outside the image are skipped. Returns
// the width drawn (6·scale per character).
int draw_text(Image& image, int x, int y, const std::string& text, Rgb color, int scale = 1);
int text_width(const std::string& text, int scale = 1);

struct Series {
  std::string label;
  std::vector<double> x, y;  // same length; non-finite points are skipped
  Rgb color{0, 0, 0};
};

struct PlotOptions {
  int width = 560, height = 400;
  std::string title, x_label, y_label;
  // Axis ranges; when lo >= hi (the default) the range fits the data.
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  bool x_integer = false;  // x ticks on whole numbers only (e.g. epochs)
};

// Lines through each series' points (with a marker on each point), on axes
// with "nice" ticks (1, 2 or 5 times a power of ten) and light grid lines, and
// a legend of colour swatches and labels in the corner of the plot area that
// the lines cross least. RGB.
Image line_plot(const std::vector<Series>& series, const PlotOptions& options);

// A square matrix (e.g. a confusion matrix, rows = true class) as a grid of
// cells shaded from white to blue by each value's share of its row, with the
// value printed in the cell; row labels on the left, column indices on top.
Image matrix_heatmap(const std::vector<std::vector<int64_t>>& matrix,
                     const std::vector<std::string>& labels, const std::string& title);

}  // namespace gpunn::examples
