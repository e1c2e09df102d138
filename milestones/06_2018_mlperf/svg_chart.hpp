// svg_chart.hpp — Milestone 06: a small SVG plotter for the report's three figures.
//
// One Chart is one plot: a title, two axes, and layers drawn in the order they
// are added — scatter points with labels, grouped bars, histogram bars, vertical
// and horizontal reference lines — plus a legend to the right of the plot area.
// to_svg() returns a self-contained SVG 1.1 document (no scripts, no external
// fonts or files), which browsers, GitHub and rsvg-convert all render.
//
// Data coordinates become pixels by the axis map
//
//   linear:  px = left + (v − min) / (max − min) · width                         (1)
//   log:     px = left + (log10 v − log10 min) / (log10 max − log10 min) · width  (2)
//
// (y grows downwards in SVG, so the y map runs from the bottom edge up).
// Ticks are "nice": steps of 1, 2 or 5 × 10^k on a linear axis, about five
// of them; on a log axis each decade, with 2 and 5 between when the axis
// spans few decades (and 1.5, 3, 7 within about one).
//
// Scatter labels are placed greedily: each label tries positions at growing
// distances around its point and takes the first that overlaps no other label,
// marker or the plot's edge (a thin leader line joins it to a far point); a
// label with no free place is left out, and the chart says how many were.
#pragma once
#include <string>
#include <vector>

namespace milestone06::svg {

// A qualitative palette (Tableau 10): distinguishable, colour-blind friendly enough.
const std::vector<std::string>& palette();

enum class Scale { Linear, Log };

struct Axis {
  std::string label;
  double min = 0.0;
  double max = 1.0;
  Scale scale = Scale::Linear;
  std::string tick_suffix;  // appended to every tick label, e.g. "%"
};

// The ticks of an axis (inside [min, max]), as values.
std::vector<double> axis_ticks(const Axis& axis);
// A tick's text: as many decimals as the tick step needs; on a log axis 1k, 10k, 1M for big values.
std::string tick_text(const Axis& axis, double value, const std::vector<double>& ticks);
// [lo, hi] widened by `padding` of its width on both sides and rounded outwards to a
// nice step, for a linear axis showing values in [lo, hi].
void fit_linear(Axis& axis, double lo, double hi, double padding = 0.08);

enum class Marker { Circle, Square, Diamond, Triangle };

struct ScatterPoint {
  double x = 0.0;
  double y = 0.0;
  std::string label;  // "" draws no label
};

struct Chart {
  Chart(int width, int height, std::string title);

  Axis x;
  Axis y;
  // When set, the x axis names categories: category i sits at x = i (a scatter point's x is
  // its category's index, ± a small offset to set series side by side); x.min/max are ignored.
  std::vector<std::string> x_categories;
  std::string subtitle;
  std::string note;  // small text under the plot (e.g. what a marker means)

  // Points of one series; `legend` names it ("" keeps it out of the legend).
  // Labels of earlier series are placed first, so add the important series first.
  void add_scatter(const std::vector<ScatterPoint>& points, const std::string& color, const std::string& legend,
                   Marker marker = Marker::Circle);
  // Histogram bars: bin i covers [lower + i·bin_width, lower + (i+1)·bin_width) with height counts[i].
  // On a log y axis an empty bin draws nothing.
  void add_histogram(double lower, double bin_width, const std::vector<double>& counts, const std::string& color,
                     const std::string& legend);
  // Grouped bars on a categorical x axis: values[s][g] is series s in group g
  // (NaN: no bar). The x axis becomes the group names; x.min/max are ignored.
  void add_grouped_bars(const std::vector<std::string>& groups, const std::vector<std::string>& series,
                        const std::vector<std::vector<double>>& values, const std::vector<std::string>& colors);
  // A labelled vertical line at x = value (the labels are stacked at the top so they do not overlap).
  void add_vertical_line(double value, const std::string& color, const std::string& label, bool dashed = false);
  // A labelled horizontal line at y = value: the label sits at the left end above the line, or
  // in the legend when `in_legend` (where bars would hide it).
  void add_horizontal_line(double value, const std::string& color, const std::string& label, bool dashed = true,
                           bool in_legend = false);

  std::string to_svg() const;

  // Layout, in pixels.
  int width;
  int height;
  std::string title;
  int legend_width = 190;

 private:
  struct Series {
    enum class Kind { Scatter, Histogram } kind = Kind::Scatter;
    std::vector<ScatterPoint> points;
    Marker marker = Marker::Circle;
    double lower = 0.0, bin_width = 0.0;
    std::vector<double> counts;
    std::string color, legend;
  };
  struct Line {
    bool vertical = true;
    double value = 0.0;
    std::string color, label;
    bool dashed = false;
    bool in_legend = false;
  };
  std::vector<Series> series_;
  std::vector<Line> lines_;
  std::vector<std::string> groups_, group_series_, group_colors_;
  std::vector<std::vector<double>> group_values_;
};

// Writes `text` to `path` (FileError if it cannot).
void write_text_file(const std::string& path, const std::string& text);

}  // namespace milestone06::svg
