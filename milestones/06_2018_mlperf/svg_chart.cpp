// svg_chart.cpp — Milestone 06: the SVG plotter (see svg_chart.hpp for the axis maps (1), (2)).
#include "svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numbers>
#include <string_view>

#include "tinytorch/core/error.hpp"

namespace milestone06::svg {

namespace {

constexpr double kTickFontSize = 11.0;
constexpr double kLabelFontSize = 11.0;
// Average advance of a DejaVu Sans / Helvetica character, as a fraction of the font
// size: enough to keep estimated text boxes from overlapping without measuring glyphs.
constexpr double kCharWidth = 0.6;
constexpr double kMarkerRadius = 4.5;
constexpr const char* kFont = "DejaVu Sans, Helvetica, Arial, sans-serif";
constexpr const char* kGridColor = "#e6e6e6";
constexpr const char* kAxisColor = "#444444";
constexpr const char* kTextColor = "#222222";
constexpr const char* kMutedColor = "#666666";

struct Box {
  double left, top, right, bottom;
  bool overlaps(const Box& other, double gap = 1.0) const {
    return left < other.right + gap && other.left < right + gap && top < other.bottom + gap &&
           other.top < bottom + gap;
  }
  bool inside(const Box& other) const {
    return left >= other.left && right <= other.right && top >= other.top && bottom <= other.bottom;
  }
};

double text_width(const std::string& text, double font_size) {
  // UTF-8 continuation bytes do not advance: count code points.
  const auto code_points = std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; });
  return kCharWidth * font_size * static_cast<double>(code_points);
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string text_element(double x, double y, const std::string& text, double font_size, const std::string& anchor,
                         const std::string& color, const std::string& extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(font_size) + "\" text-anchor=\"" +
         anchor + "\" fill=\"" + color + "\"" + extra + ">" + escape(text) + "</text>\n";
}

// Nice linear step: 1, 2 or 5 × 10^k, near range / target.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  const double factor = normalized < 1.5 ? 1.0 : normalized < 3.0 ? 2.0 : normalized < 7.0 ? 5.0 : 10.0;
  return factor * magnitude;
}

// The pixel map of one axis: (1) or (2) from [min, max] onto [from, to].
struct AxisMap {
  const Axis& axis;
  double from, to;
  double operator()(double value) const {
    if (axis.scale == Scale::Log) {
      const double lo = std::log10(axis.min), hi = std::log10(axis.max);
      return from + (std::log10(value) - lo) / (hi - lo) * (to - from);
    }
    return from + (value - axis.min) / (axis.max - axis.min) * (to - from);
  }
};

void check_axis(const Axis& axis, const char* which) {
  const bool ordered = std::isfinite(axis.min) && std::isfinite(axis.max) && axis.min < axis.max;
  if (!ordered || (axis.scale == Scale::Log && axis.min <= 0.0)) {
    throw tinytorch::ValueError(std::string("svg chart: the ") + which + " axis \"" + axis.label + "\" has range [" +
                                std::to_string(axis.min) + ", " + std::to_string(axis.max) +
                                "]; expected min < max, both finite (and min > 0 on a log axis)");
  }
}

std::string marker_element(Marker marker, double x, double y, const std::string& color) {
  const double r = kMarkerRadius;
  // A white rim and slight transparency keep coinciding markers distinguishable.
  const std::string style = " fill=\"" + color + "\" fill-opacity=\"0.85\" stroke=\"white\" stroke-width=\"1\"";
  switch (marker) {
    case Marker::Circle:
      return "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"" + num(r) + "\"" + style + "/>\n";
    case Marker::Square:
      return "<rect x=\"" + num(x - r) + "\" y=\"" + num(y - r) + "\" width=\"" + num(2 * r) + "\" height=\"" +
             num(2 * r) + "\"" + style + "/>\n";
    case Marker::Diamond:
    case Marker::Triangle: {
      const double s = r * 1.3;
      const std::string points =
          marker == Marker::Diamond
              ? num(x) + "," + num(y - s) + " " + num(x + s) + "," + num(y) + " " + num(x) + "," + num(y + s) + " " +
                    num(x - s) + "," + num(y)
              : num(x) + "," + num(y - s) + " " + num(x + s) + "," + num(y + 0.8 * s) + " " + num(x - s) + "," +
                    num(y + 0.8 * s);
      return "<polygon points=\"" + points + "\"" + style + "/>\n";
    }
  }
  return "";
}

// A label box for a point at (x, y) placed `distance` px away in direction `degrees`
// (0 = right, 90 = up): left-, right- or centre-aligned to face away from the point.
Box label_box(double x, double y, double distance, double degrees, double width, double height) {
  const double radians = degrees * std::numbers::pi / 180.0;
  const double ax = x + distance * std::cos(radians), ay = y - distance * std::sin(radians);
  const double c = std::cos(radians), s = std::sin(radians);
  const double left = c > 0.3 ? ax : c < -0.3 ? ax - width : ax - width / 2;
  const double top = s > 0.3 ? ay - height : s < -0.3 ? ay : ay - height / 2;
  return {left, top, left + width, top + height};
}

}  // namespace

const std::vector<std::string>& palette() {
  static const std::vector<std::string> colors = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return colors;
}

std::vector<double> axis_ticks(const Axis& axis) {
  std::vector<double> ticks;
  if (axis.scale == Scale::Linear) {
    const double step = nice_step(axis.max - axis.min, 5);
    for (double tick = std::ceil(axis.min / step - 1e-9) * step; tick <= axis.max + step * 1e-9; tick += step) {
      ticks.push_back(std::abs(tick) < step * 1e-9 ? 0.0 : tick);
    }
    return ticks;
  }
  // Log: every decade; with 2 and 5 between when the axis spans ≤ 2.5 decades, also 1.5, 3, 7 when ≤ 1.2.
  const double decades = std::log10(axis.max / axis.min);
  const std::vector<double> multipliers = decades <= 1.2   ? std::vector<double>{1, 1.5, 2, 3, 5, 7}
                                          : decades <= 2.5 ? std::vector<double>{1, 2, 5}
                                                           : std::vector<double>{1};
  for (int exponent = static_cast<int>(std::floor(std::log10(axis.min)));
       exponent <= static_cast<int>(std::ceil(std::log10(axis.max))); ++exponent) {
    for (double multiplier : multipliers) {
      const double tick = multiplier * std::pow(10.0, exponent);
      if (tick >= axis.min * (1 - 1e-9) && tick <= axis.max * (1 + 1e-9)) ticks.push_back(tick);
    }
  }
  return ticks;
}

std::string tick_text(const Axis& axis, double value, const std::vector<double>& ticks) {
  char text[32];
  if (axis.scale == Scale::Log) {
    if (value >= 1e6) {
      std::snprintf(text, sizeof text, "%gM", value / 1e6);
    } else if (value >= 1e3) {
      std::snprintf(text, sizeof text, "%gk", value / 1e3);
    } else {
      std::snprintf(text, sizeof text, "%g", value);
    }
  } else {
    const double step = ticks.size() >= 2 ? ticks[1] - ticks[0] : std::max(std::abs(value), 1.0);
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
  }
  return text + axis.tick_suffix;
}

void fit_linear(Axis& axis, double lo, double hi, double padding) {
  if (!(std::isfinite(lo) && std::isfinite(hi)) || lo > hi) {
    throw tinytorch::ValueError("svg chart: fit_linear(\"" + axis.label + "\") needs finite lo <= hi, got [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  if (hi - lo < 1e-12) {  // one value: show a small window around it
    const double half = std::max(std::abs(lo) * 0.05, 1e-3);
    lo -= half;
    hi += half;
  }
  const double pad = padding * (hi - lo);
  const double step = nice_step(hi - lo + 2 * pad, 5);
  axis.scale = Scale::Linear;
  axis.min = std::floor((lo - pad) / step) * step;
  axis.max = std::ceil((hi + pad) / step) * step;
}

Chart::Chart(int width, int height, std::string title) : width(width), height(height), title(std::move(title)) {}

void Chart::add_scatter(const std::vector<ScatterPoint>& points, const std::string& color, const std::string& legend,
                        Marker marker) {
  Series series;
  series.points = points;
  series.marker = marker;
  series.color = color;
  series.legend = legend;
  series_.push_back(std::move(series));
}

void Chart::add_histogram(double lower, double bin_width, const std::vector<double>& counts, const std::string& color,
                          const std::string& legend) {
  Series series;
  series.kind = Series::Kind::Histogram;
  series.lower = lower;
  series.bin_width = bin_width;
  series.counts = counts;
  series.color = color;
  series.legend = legend;
  series_.push_back(std::move(series));
}

void Chart::add_grouped_bars(const std::vector<std::string>& groups, const std::vector<std::string>& series,
                             const std::vector<std::vector<double>>& values, const std::vector<std::string>& colors) {
  if (values.size() != series.size() || colors.size() < series.size()) {
    throw tinytorch::ValueError("svg chart: add_grouped_bars got " + std::to_string(series.size()) + " series, " +
                                std::to_string(values.size()) + " value rows and " + std::to_string(colors.size()) +
                                " colours; expected one row and one colour per series");
  }
  for (const auto& row : values) {
    if (row.size() != groups.size()) {
      throw tinytorch::ValueError("svg chart: add_grouped_bars: a value row has " + std::to_string(row.size()) +
                                  " entries for " + std::to_string(groups.size()) + " groups");
    }
  }
  groups_ = groups;
  group_series_ = series;
  group_values_ = values;
  group_colors_ = colors;
}

void Chart::add_vertical_line(double value, const std::string& color, const std::string& label, bool dashed) {
  lines_.push_back({true, value, color, label, dashed, false});
}

void Chart::add_horizontal_line(double value, const std::string& color, const std::string& label, bool dashed,
                                bool in_legend) {
  lines_.push_back({false, value, color, label, dashed, in_legend});
}

std::string Chart::to_svg() const {
  const bool categorical = !groups_.empty();
  Axis x_axis = x;
  if (!x_categories.empty()) {
    x_axis.scale = Scale::Linear;
    x_axis.min = -0.5;
    x_axis.max = static_cast<double>(x_categories.size()) - 0.5;
  }
  if (!categorical) check_axis(x_axis, "x");
  check_axis(y, "y");
  const bool has_legend =
      !group_series_.empty() ||
      std::any_of(series_.begin(), series_.end(), [](const Series& s) { return !s.legend.empty(); }) ||
      std::any_of(lines_.begin(), lines_.end(), [](const Line& line) { return line.in_legend; });
  // The plot area.
  const double left = 72, top = subtitle.empty() ? 44 : 62;
  const double right = width - (has_legend ? legend_width : 24);
  const double bottom = height - (note.empty() ? 52 : 70);
  const Box plot{left, top, right, bottom};
  const AxisMap map_x{x_axis, left, right};
  const AxisMap map_y{y, bottom, top};

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" font-family=\"" + kFont + "\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<defs><clipPath id=\"plot-area\"><rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" +
         num(right - left) + "\" height=\"" + num(bottom - top) + "\"/></clipPath></defs>\n";
  svg += text_element(left, 24, title, 16, "start", kTextColor, " font-weight=\"bold\"");
  if (!subtitle.empty()) svg += text_element(left, 43, subtitle, 12, "start", kMutedColor);

  // Grid and tick labels.
  const std::vector<double> y_ticks = axis_ticks(y);
  for (double tick : y_ticks) {
    const double py = map_y(tick);
    svg += "<line x1=\"" + num(left) + "\" y1=\"" + num(py) + "\" x2=\"" + num(right) + "\" y2=\"" + num(py) +
           "\" stroke=\"" + kGridColor + "\"/>\n";
    svg += text_element(left - 6, py + 4, tick_text(y, tick, y_ticks), kTickFontSize, "end", kMutedColor);
  }
  if (categorical) {
    const double group_width = (right - left) / static_cast<double>(groups_.size());
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      svg += text_element(left + (g + 0.5) * group_width, bottom + 17, groups_[g], 12, "middle", kTextColor);
    }
  } else if (!x_categories.empty()) {
    for (std::size_t i = 0; i < x_categories.size(); ++i) {
      svg += text_element(map_x(static_cast<double>(i)), bottom + 17, x_categories[i], 12, "middle", kTextColor);
    }
  } else {
    const std::vector<double> x_ticks = axis_ticks(x);
    for (double tick : x_ticks) {
      const double px = map_x(tick);
      svg += "<line x1=\"" + num(px) + "\" y1=\"" + num(top) + "\" x2=\"" + num(px) + "\" y2=\"" + num(bottom) +
             "\" stroke=\"" + kGridColor + "\"/>\n";
      svg += text_element(px, bottom + 16, tick_text(x, tick, x_ticks), kTickFontSize, "middle", kMutedColor);
    }
  }
  svg += text_element((left + right) / 2, bottom + 38, x.label, 13, "middle", kTextColor);
  svg += "<text transform=\"translate(18," + num((top + bottom) / 2) + ") rotate(-90)\" font-size=\"13\" " +
         "text-anchor=\"middle\" fill=\"" + kTextColor + "\">" + escape(y.label) + "</text>\n";

  // Data, clipped to the plot area.
  svg += "<g clip-path=\"url(#plot-area)\">\n";
  const double base_value = y.scale == Scale::Log ? y.min : std::clamp(0.0, y.min, y.max);
  const double base = map_y(base_value);
  if (categorical) {
    const double group_width = (right - left) / static_cast<double>(groups_.size());
    const double bar_width = 0.8 * group_width / static_cast<double>(group_series_.size());
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      for (std::size_t s = 0; s < group_series_.size(); ++s) {
        const double value = group_values_[s][g];
        if (!std::isfinite(value) || (y.scale == Scale::Log && value <= 0)) continue;
        const double x0 = left + (g + 0.1) * group_width + s * bar_width;
        const double py = map_y(value);
        svg += "<rect x=\"" + num(x0 + 0.5) + "\" y=\"" + num(std::min(py, base)) + "\" width=\"" +
               num(bar_width - 1) + "\" height=\"" + num(std::abs(base - py)) + "\" fill=\"" + group_colors_[s] +
               "\"><title>" + escape(group_series_[s] + ", " + groups_[g]) + ": " + num(value) + "</title></rect>\n";
      }
    }
  }
  for (const Series& series : series_) {
    if (series.kind != Series::Kind::Histogram) continue;
    for (std::size_t i = 0; i < series.counts.size(); ++i) {
      const double count = series.counts[i];
      if (!(count > 0) || (y.scale == Scale::Log && count < y.min)) continue;
      const double x0 = map_x(series.lower + i * series.bin_width);
      const double x1 = map_x(series.lower + (i + 1) * series.bin_width);
      const double py = map_y(count);
      svg += "<rect x=\"" + num(x0) + "\" y=\"" + num(py) + "\" width=\"" + num(std::max(x1 - x0, 0.5)) +
             "\" height=\"" + num(base - py) + "\" fill=\"" + series.color + "\"/>\n";
    }
  }
  for (const Line& line : lines_) {
    const std::string dash = line.dashed ? " stroke-dasharray=\"6,4\"" : "";
    if (line.vertical) {
      const double px = map_x(line.value);
      svg += "<line x1=\"" + num(px) + "\" y1=\"" + num(top) + "\" x2=\"" + num(px) + "\" y2=\"" + num(bottom) +
             "\" stroke=\"" + line.color + "\" stroke-width=\"2\"" + dash + "/>\n";
    } else {
      const double py = map_y(line.value);
      svg += "<line x1=\"" + num(left) + "\" y1=\"" + num(py) + "\" x2=\"" + num(right) + "\" y2=\"" + num(py) +
             "\" stroke=\"" + line.color + "\" stroke-width=\"1.5\"" + dash + "/>\n";
    }
  }
  // Markers (after bars and lines, so they stay visible).
  std::vector<Box> taken;  // what a label must not cover
  for (const Series& series : series_) {
    if (series.kind != Series::Kind::Scatter) continue;
    for (const ScatterPoint& point : series.points) {
      const double px = map_x(point.x), py = map_y(point.y);
      svg += marker_element(series.marker, px, py, series.color);
      taken.push_back({px - kMarkerRadius, py - kMarkerRadius, px + kMarkerRadius, py + kMarkerRadius});
    }
  }
  svg += "</g>\n";

  // Line labels: vertical lines stack theirs in rows at the top, each beside its line.
  std::vector<Box> line_labels;
  for (const Line& line : lines_) {
    if (line.label.empty() || line.in_legend) continue;
    const double label_height = kLabelFontSize + 5;
    const double label_width = text_width(line.label, kLabelFontSize) + 6;
    Box box{};
    if (line.vertical) {
      const double px = map_x(line.value);
      const bool fits_right = px + 4 + label_width <= right;
      const double box_left = fits_right ? px + 3 : px - 3 - label_width;
      for (int row = 0;; ++row) {
        box = {box_left, top + 3 + row * (label_height + 2), box_left + label_width,
               top + 3 + row * (label_height + 2) + label_height};
        const bool free = std::none_of(line_labels.begin(), line_labels.end(),
                                       [&](const Box& other) { return box.overlaps(other, 2.0); });
        if (free || box.bottom > bottom) break;
      }
    } else {
      const double py = map_y(line.value);
      box = {left + 4, py - 3 - label_height, left + 4 + label_width, py - 3};
    }
    line_labels.push_back(box);
    taken.push_back(box);
    svg += "<rect x=\"" + num(box.left) + "\" y=\"" + num(box.top) + "\" width=\"" + num(box.right - box.left) +
           "\" height=\"" + num(box.bottom - box.top) + "\" fill=\"white\" fill-opacity=\"0.85\" rx=\"2\"/>\n";
    svg += text_element(box.left + 3, box.bottom - 4.5, line.label, kLabelFontSize, "start", line.color,
                         " font-weight=\"bold\"");
  }

  // Scatter labels, placed greedily (see svg_chart.hpp).
  static constexpr double kDistances[] = {7, 16, 28, 42, 58, 76, 96, 120, 150, 185};
  static constexpr double kAngles[] = {0, 180, 25, -25, 155, -155, 50, -50, 130, -130, 90, -90};
  int omitted = 0;
  for (const Series& series : series_) {
    if (series.kind != Series::Kind::Scatter) continue;
    for (const ScatterPoint& point : series.points) {
      if (point.label.empty()) continue;
      const double px = map_x(point.x), py = map_y(point.y);
      const double label_width = text_width(point.label, kLabelFontSize) + 2, label_height = kLabelFontSize + 2;
      bool placed = false;
      for (double distance : kDistances) {
        for (double angle : kAngles) {
          const Box box = label_box(px, py, distance, angle, label_width, label_height);
          const bool free = box.inside(plot) && std::none_of(taken.begin(), taken.end(), [&](const Box& other) {
                              return box.overlaps(other);
                            });
          if (!free) continue;
          if (distance > 16) {  // a leader line to the nearest point of the box
            const double lx = std::clamp(px, box.left, box.right), ly = std::clamp(py, box.top, box.bottom);
            svg += "<line x1=\"" + num(px) + "\" y1=\"" + num(py) + "\" x2=\"" + num(lx) + "\" y2=\"" + num(ly) +
                   "\" stroke=\"#9a9a9a\" stroke-width=\"0.8\"/>\n";
          }
          svg += text_element(box.left + 1, box.bottom - 3, point.label, kLabelFontSize, "start", kTextColor);
          taken.push_back(box);
          placed = true;
          break;
        }
        if (placed) break;
      }
      if (!placed) ++omitted;
    }
  }

  // Frame, legend, note.
  svg += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(right - left) + "\" height=\"" +
         num(bottom - top) + "\" fill=\"none\" stroke=\"" + kAxisColor + "\"/>\n";
  if (has_legend) {
    double ly = top + 8;
    const double lx = right + 16;
    auto entry = [&](const std::string& swatch, const std::string& text) {
      svg += swatch;
      svg += text_element(lx + 16, ly + 4, text, kLabelFontSize, "start", kTextColor);
      ly += 19;
    };
    for (const Series& series : series_) {
      if (series.legend.empty()) continue;
      const std::string swatch = series.kind == Series::Kind::Scatter
                                     ? marker_element(series.marker, lx + 5, ly, series.color)
                                     : "<rect x=\"" + num(lx) + "\" y=\"" + num(ly - 5) +
                                           "\" width=\"10\" height=\"10\" fill=\"" + series.color + "\"/>\n";
      entry(swatch, series.legend);
    }
    for (std::size_t s = 0; s < group_series_.size(); ++s) {
      entry("<rect x=\"" + num(lx) + "\" y=\"" + num(ly - 5) + "\" width=\"10\" height=\"10\" fill=\"" +
                group_colors_[s] + "\"/>\n",
            group_series_[s]);
    }
    for (const Line& line : lines_) {
      if (!line.in_legend) continue;
      entry("<line x1=\"" + num(lx - 2) + "\" y1=\"" + num(ly) + "\" x2=\"" + num(lx + 12) + "\" y2=\"" + num(ly) +
                "\" stroke=\"" + line.color + "\" stroke-width=\"1.5\"" + (line.dashed ? " stroke-dasharray=\"4,2\"" : "") +
                "/>\n",
            line.label);
    }
  }
  std::string footer = note;
  if (omitted > 0) {
    footer += (footer.empty() ? "" : "  ") + std::to_string(omitted) + " crowded label" + (omitted == 1 ? "" : "s") +
              " left out (see the table).";
  }
  if (!footer.empty()) svg += text_element(left, height - 12, footer, 11, "start", kMutedColor);
  svg += "</svg>\n";
  return svg;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw tinytorch::FileError("milestone 06 report: cannot write " + path);
}

}  // namespace milestone06::svg
