// gpunn_example_common: plots (plot.h).
#include "common/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace gpunn::examples {

namespace {

// ---- the 5x7 font ---------------------------------------------------------------------------

// Each glyph is seven rows, top first; bit 4 of a row is its leftmost pixel.
constexpr char kGlyphChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .,-+%:/()_=";
constexpr uint8_t kGlyphs[][7] = {
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E},  // 0
    {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 1
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F},  // 2
    {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},  // 3
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02},  // 4
    {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},  // 5
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E},  // 6
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},  // 7
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E},  // 8
    {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},  // 9
    {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // A
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E},  // B
    {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},  // C
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C},  // D
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},  // E
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10},  // F
    {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},  // G
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11},  // H
    {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // I
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C},  // J
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},  // K
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F},  // L
    {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},  // M
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11},  // N
    {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // O
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10},  // P
    {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},  // Q
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11},  // R
    {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},  // S
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04},  // T
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // U
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04},  // V
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},  // W
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11},  // X
    {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},  // Y
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F},  // Z
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // space
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C},  // .
    {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08},  // ,
    {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},  // -
    {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},  // +
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},  // %
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00},  // :
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},  // /
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02},  // (
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},  // )
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},  // _
    {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},  // =
};
static_assert(sizeof(kGlyphs) / sizeof(kGlyphs[0]) == sizeof(kGlyphChars) - 1);
constexpr uint8_t kUnknownGlyph[7] = {0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F};

const uint8_t* glyph(char c) {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (size_t i = 0; i + 1 < sizeof(kGlyphChars); ++i)
    if (kGlyphChars[i] == c) return kGlyphs[i];
  return kUnknownGlyph;
}

// ---- drawing --------------------------------------------------------------------------------

void put(Image& im, int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= im.width || y >= im.height) return;
  uint8_t* p = im.at(x, y);
  for (int k = 0; k < 3; ++k) p[k] = c[static_cast<size_t>(k)];
}

void fill_rect(Image& im, int x0, int y0, int w, int h, Rgb c) {
  for (int y = y0; y < y0 + h; ++y)
    for (int x = x0; x < x0 + w; ++x) put(im, x, y, c);
}

// A line `thickness` pixels wide (Bresenham, each step a small square).
void draw_line(Image& im, int x0, int y0, int x1, int y1, Rgb c, int thickness = 1) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy;
  const int lo = -(thickness - 1) / 2;
  while (true) {
    fill_rect(im, x0 + lo, y0 + lo, thickness, thickness, c);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

// Tick positions: multiples of a step of 1, 2 or 5 times a power of ten, about
// `target` of them across [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target, bool integer, double* step_out) {
  const double raw = (hi - lo) / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double frac = raw / mag;
  double step = (frac < 1.5 ? 1.0 : frac < 3.5 ? 2.0 : frac < 7.5 ? 5.0 : 10.0) * mag;
  if (integer) step = std::max(step, 1.0);
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  *step_out = step;
  return ticks;
}

std::string tick_label(double v, double step) {
  const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// The data range of one coordinate over all series, or the user's range.
void axis_range(const std::vector<Series>& series, bool x_axis, double user_lo, double user_hi,
                double* lo, double* hi) {
  if (user_lo < user_hi) {
    *lo = user_lo;
    *hi = user_hi;
    return;
  }
  *lo = std::numeric_limits<double>::infinity();
  *hi = -*lo;
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double v = x_axis ? s.x[i] : s.y[i];
      *lo = std::min(*lo, v);
      *hi = std::max(*hi, v);
    }
  if (!(*lo <= *hi)) *lo = 0, *hi = 1;  // no finite point
  if (*hi - *lo < 1e-12 * std::max(1.0, std::abs(*hi))) *lo -= 0.5, *hi += 0.5;
  if (!x_axis) {  // a little air above and below the data
    const double pad = 0.05 * (*hi - *lo);
    *lo -= pad;
    *hi += pad;
  }
}

const Rgb kBlack{0, 0, 0}, kGrid{225, 225, 225}, kGray{90, 90, 90};

}  // namespace

const std::vector<Rgb>& plot_palette() {
  static const std::vector<Rgb> p = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},
                                     {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};
  return p;
}

int text_width(const std::string& text, int scale) {
  return static_cast<int>(text.size()) * 6 * scale;
}

int draw_text(Image& im, int x, int y, const std::string& text, Rgb color, int scale) {
  GPUNN_CHECK(im.channels == 3 && scale >= 1, "draw_text: needs an RGB image and scale >= 1");
  int cx = x;
  for (char c : text) {
    const uint8_t* g = glyph(c);
    for (int row = 0; row < 7; ++row)
      for (int col = 0; col < 5; ++col)
        if (g[row] & (0x10 >> col))
          fill_rect(im, cx + col * scale, y + row * scale, scale, scale, color);
    cx += 6 * scale;
  }
  return cx - x;
}

Image line_plot(const std::vector<Series>& series, const PlotOptions& o) {
  GPUNN_CHECK(o.width >= 200 && o.height >= 150, "line_plot: image ", o.width, "x", o.height,
              " is too small (at least 200x150)");
  for (const Series& s : series)
    GPUNN_CHECK(s.x.size() == s.y.size(), "line_plot: series \"", s.label, "\" has ", s.x.size(),
                " x values but ", s.y.size(), " y values");
  Image im(o.width, o.height, 3, 255);
  constexpr int kScale = 2;  // text
  constexpr int kCharH = 7 * kScale;
  const int left = 16 + kCharH + 6 * 6 * kScale, right = 32;
  const int top = 16 + (o.title.empty() ? 0 : kCharH + 10);
  const int bottom = 16 + kCharH + 8 + (o.x_label.empty() ? 0 : kCharH + 8);
  const int pw = o.width - left - right, ph = o.height - top - bottom;

  double xlo, xhi, ylo, yhi;
  axis_range(series, true, o.x_lo, o.x_hi, &xlo, &xhi);
  axis_range(series, false, o.y_lo, o.y_hi, &ylo, &yhi);
  auto px = [&](double x) {
    return left + static_cast<int>(std::lround((x - xlo) / (xhi - xlo) * (pw - 1)));
  };
  auto py = [&](double y) {
    return top + ph - 1 - static_cast<int>(std::lround((y - ylo) / (yhi - ylo) * (ph - 1)));
  };

  // Grid, ticks and tick labels.
  double xstep, ystep;
  for (double t : nice_ticks(xlo, xhi, 6, o.x_integer, &xstep)) {
    const int x = px(t);
    draw_line(im, x, top, x, top + ph - 1, kGrid);
    draw_line(im, x, top + ph, x, top + ph + 4, kBlack);
    const std::string s = tick_label(t, xstep);
    draw_text(im, x - text_width(s, kScale) / 2, top + ph + 8, s, kBlack, kScale);
  }
  for (double t : nice_ticks(ylo, yhi, 5, false, &ystep)) {
    const int y = py(t);
    draw_line(im, left, y, left + pw - 1, y, kGrid);
    draw_line(im, left - 5, y, left - 1, y, kBlack);
    const std::string s = tick_label(t, ystep);
    draw_text(im, left - 8 - text_width(s, kScale), y - kCharH / 2, s, kBlack, kScale);
  }
  draw_line(im, left - 1, top, left - 1, top + ph, kBlack);
  draw_line(im, left - 1, top + ph, left + pw - 1, top + ph, kBlack);

  // The series: lines between consecutive finite points, a square on each.
  for (const Series& s : series) {
    bool have_prev = false;
    int x0 = 0, y0 = 0;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        have_prev = false;
        continue;
      }
      const int x = px(s.x[i]), y = py(s.y[i]);
      if (have_prev) draw_line(im, x0, y0, x, y, s.color, 2);
      fill_rect(im, x - 3, y - 3, 7, 7, s.color);
      x0 = x, y0 = y, have_prev = true;
    }
  }

  // Titles.
  if (!o.title.empty())
    draw_text(im, left + (pw - text_width(o.title, kScale)) / 2, 12, o.title, kBlack, kScale);
  if (!o.x_label.empty())
    draw_text(im, left + (pw - text_width(o.x_label, kScale)) / 2, o.height - 8 - kCharH, o.x_label,
              kGray, kScale);
  if (!o.y_label.empty()) {  // vertical, one character per line, centred on the axis
    const int n = static_cast<int>(o.y_label.size());
    int y = top + (ph - n * (kCharH + 2)) / 2;
    for (char c : o.y_label) {
      draw_text(im, 8, y, std::string(1, c), kGray, kScale);
      y += kCharH + 2;
    }
  }

  // Legend: a framed box in the corner of the plot area where the fewest
  // points of the lines (sampled along each segment) fall.
  int legend_w = 0;
  for (const Series& s : series) legend_w = std::max(legend_w, text_width(s.label, kScale));
  if (!series.empty()) {
    const int row_h = kCharH + 8, box_w = legend_w + 44;
    const int box_h = row_h * static_cast<int>(series.size()) + 8;
    const int xs[2] = {left + pw - box_w - 8, left + 8}, ys[2] = {top + 8, top + ph - box_h - 8};
    int bx = xs[0], by = ys[0], fewest = std::numeric_limits<int>::max();
    for (int cy : ys)
      for (int cx : xs) {
        int hits = 0;
        for (const Series& s : series)
          for (size_t i = 0; i + 1 < s.x.size(); ++i) {
            if (!std::isfinite(s.x[i] + s.y[i] + s.x[i + 1] + s.y[i + 1])) continue;
            for (int k = 0; k <= 32; ++k) {
              const double t = k / 32.0;
              const int x = px(s.x[i] + t * (s.x[i + 1] - s.x[i]));
              const int y = py(s.y[i] + t * (s.y[i + 1] - s.y[i]));
              hits += x >= cx - 4 && x < cx + box_w + 4 && y >= cy - 4 && y < cy + box_h + 4;
            }
          }
        if (hits < fewest) fewest = hits, bx = cx, by = cy;
      }
    fill_rect(im, bx, by, box_w, box_h, {255, 255, 255});
    draw_line(im, bx, by, bx + box_w - 1, by, kGray);
    draw_line(im, bx, by + box_h - 1, bx + box_w - 1, by + box_h - 1, kGray);
    draw_line(im, bx, by, bx, by + box_h - 1, kGray);
    draw_line(im, bx + box_w - 1, by, bx + box_w - 1, by + box_h - 1, kGray);
    for (size_t i = 0; i < series.size(); ++i) {
      const int y = by + 8 + static_cast<int>(i) * row_h;
      fill_rect(im, bx + 8, y + kCharH / 2 - 2, 24, 5, series[i].color);
      draw_text(im, bx + 38, y, series[i].label, kBlack, kScale);
    }
  }
  return im;
}

Image matrix_heatmap(const std::vector<std::vector<int64_t>>& m,
                     const std::vector<std::string>& labels, const std::string& title) {
  const int n = static_cast<int>(m.size());
  GPUNN_CHECK(n >= 1 && labels.size() == m.size(), "matrix_heatmap: ", n, " rows but ",
              labels.size(), " labels");
  for (const auto& row : m)
    GPUNN_CHECK(static_cast<int>(row.size()) == n, "matrix_heatmap: expected a square ", n, "x", n,
                " matrix, got a row of ", row.size());
  constexpr int kCell = 56, kCharH = 7;
  int label_w = 0;
  for (const auto& l : labels) label_w = std::max(label_w, text_width(l, 2));
  const int left = 16 + label_w + 8, top = 16 + 2 * kCharH + 10 + 2 * kCharH + 8;
  Image im(left + n * kCell + 16, top + n * kCell + 16 + 2 * kCharH + 8, 3, 255);
  draw_text(im, left + (n * kCell - text_width(title, 2)) / 2, 12, title, kBlack, 2);
  for (int i = 0; i < n; ++i) {
    int64_t row_total = 0;
    for (int64_t v : m[static_cast<size_t>(i)]) row_total += v;
    draw_text(im, left - 8 - text_width(labels[static_cast<size_t>(i)], 2),
              top + i * kCell + (kCell - 2 * kCharH) / 2, labels[static_cast<size_t>(i)], kBlack,
              2);
    const std::string col = std::to_string(i);
    draw_text(im, left + i * kCell + (kCell - text_width(col, 2)) / 2, top - 2 * kCharH - 6, col,
              kBlack, 2);
    for (int j = 0; j < n; ++j) {
      const int64_t v = m[static_cast<size_t>(i)][static_cast<size_t>(j)];
      const double share =
          row_total > 0 ? static_cast<double>(v) / static_cast<double>(row_total) : 0.0;
      // White to a strong blue; the text turns white on dark cells.
      const Rgb c{static_cast<uint8_t>(255 - share * (255 - 8)),
                  static_cast<uint8_t>(255 - share * (255 - 48)),
                  static_cast<uint8_t>(255 - share * (255 - 107))};
      fill_rect(im, left + j * kCell, top + i * kCell, kCell - 1, kCell - 1, c);
      const std::string s = std::to_string(v);
      const int scale = text_width(s, 2) <= kCell - 6 ? 2 : 1;
      draw_text(im, left + j * kCell + (kCell - text_width(s, scale)) / 2,
                top + i * kCell + (kCell - kCharH * scale) / 2, s,
                share > 0.5 ? Rgb{255, 255, 255} : kBlack, scale);
    }
  }
  const std::string xl = "predicted class (columns), true class (rows)";
  draw_text(im, left + (n * kCell - text_width(xl, 2)) / 2, top + n * kCell + 10, xl, kGray, 2);
  return im;
}

}  // namespace gpunn::examples
