// report.cpp — Milestone 06: report.md and its three figures, from the results JSON (see report.hpp).
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/profiling/report.hpp"

#include "svg_chart.hpp"

using nlohmann::json;
using tinytorch::with_thousands;

namespace milestone06 {

namespace {

constexpr const char* kAccuracyFigure = "accuracy_vs_size.svg";
constexpr const char* kInt8Figure = "int8_accuracy.svg";
constexpr const char* kSqnrFigure = "layer_sqnr.svg";
constexpr const char* kHistogramFigure = "activation_histogram.svg";
// Issue 4's accuracy goal, drawn as a reference line on figure 1.
constexpr double kGoalDropPoints = 0.5;
// accuracy_validator.hpp: "a layer below ~20 dB is losing information that later layers cannot recover".
constexpr double kLowSqnrDb = 20.0;

// ---- names and colours shared by the figures --------------------------------------------------

// One colour per calibration method, the same in figure 2 (its static per-channel runs)
// and figure 3 (its threshold line).
const std::map<std::string, std::string>& method_colors() {
  static const std::map<std::string, std::string> colors = {{"minmax", "#4e79a7"},
                                                            {"moving_average", "#76b7b2"},
                                                            {"percentile", "#f28e2b"},
                                                            {"entropy", "#e15759"},
                                                            {"mse", "#59a14f"}};
  return colors;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The histogram's thresholds in the order of CalibrationMethod (JSON sorts keys as text), unknown names last.
std::vector<std::pair<std::string, json>> ordered_thresholds(const json& histogram) {
  static const std::vector<std::string> order = {"minmax", "moving_average", "percentile", "entropy", "mse"};
  std::vector<std::pair<std::string, json>> thresholds;
  for (const auto& [method, threshold] : histogram.at("thresholds").items()) thresholds.emplace_back(method, threshold);
  auto rank = [](const std::string& method) { return std::find(order.begin(), order.end(), method) - order.begin(); };
  std::stable_sort(thresholds.begin(), thresholds.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  return thresholds;
}

// The calibration method of a static run's name "static/per-channel/entropy" ("" for other runs).
std::string method_of(const json& run) {
  const std::string name = run.at("name");
  if (run.at("family") != "static") return "";
  const auto slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(slash + 1);
}

// A short label for a point of figure 1 (its family is in the legend): "entropy", "int4 g32", "bf16".
std::string point_label(const json& run) {
  const std::string name = run.at("name"), family = run.at("family");
  if (family == "static") return method_of(run) == "moving_average" ? "moving avg" : method_of(run);
  if (family == "dynamic") return contains(name, "per-channel") ? "dyn. per-channel" : "dyn. per-tensor";
  if (family == "mixed") return fmt::format("mixed ({:.2f} bits)", run.value("average_bits", 0.0));
  if (family == "half") return contains(name, "bfloat16") ? "bf16" : contains(name, "float16") ? "fp16" : name;
  std::string label = name.substr(0, name.find(" ("));  // "qat int8 (static/per-channel)" -> "qat int8"
  if (const auto at = label.find("weight-only "); at != std::string::npos) label.erase(at, 12);
  if (label.rfind("qat", 0) == 0) label.replace(0, 3, "QAT");
  return label;
}

// A legend name for figure 2: the run's name, shortened where it says the obvious.
std::string legend_name(const json& run) {
  std::string name = run.at("name");
  const bool ptq = run.at("family") == "static" || run.at("family") == "dynamic";
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {ptq ? "/" : "\n", " "}, {"weight-only ", ""}, {" (static/per-channel)", ""}, {"qat", "QAT"}}) {
    for (auto at = name.find(from); at != std::string::npos; at = name.find(from, at + to.size())) {
      name.replace(at, from.size(), to);
    }
  }
  return name;
}

std::string percent_text(double fraction) {
  if (fraction == 0.0) return "0%";
  return fmt::format("{:.2g}%", 100.0 * fraction);
}

// 943000 -> "943,000", as the printed table writes file bytes.
// "layer 2 · 256→128" when the sensitivity report knows the layer's shape.
std::string layer_title(const json& results, const std::string& layer) {
  if (results.contains("sensitivity")) {
    for (const json& row : results.at("sensitivity").at("layers")) {
      if (row.at("name") == layer && row.contains("in_features")) {
        return fmt::format("layer {} · Linear {}→{}", layer, row.at("in_features").get<int64_t>(),
                           row.at("out_features").get<int64_t>());
      }
    }
  }
  return "layer " + layer;
}

// The Linear layers of a run (the ReLUs pass values on unchanged: their isolated SQNR is exact).
std::vector<json> linear_layers(const json& run) {
  std::vector<json> layers;
  for (const json& layer : run.at("layers")) {
    if (contains(layer.at("kind").get<std::string>(), "Linear")) layers.push_back(layer);
  }
  return layers;
}

// ---- figure 1: accuracy vs size -----------------------------------------------------------------

struct Family {
  std::string legend, color;
  svg::Marker marker;
  bool (*holds)(const json& run);
};

std::string accuracy_vs_size_svg(const json& results) {
  const json& fp32 = results.at("fp32");
  const double fp32_accuracy = 100.0 * fp32.at("accuracy").get<double>();
  // In label-placement order: the few distinct forms first, the crowded INT8 cluster last.
  const std::vector<Family> families = {
      {"mixed INT4/INT8", "#59a14f", svg::Marker::Square, [](const json& r) { return r.at("family") == "mixed"; }},
      {"FP16 / BF16 weights", "#9c755f", svg::Marker::Circle, [](const json& r) { return r.at("family") == "half"; }},
      {"INT4 weight-only", "#b07aa1", svg::Marker::Diamond, [](const json& r) { return r.at("family") == "int4"; }},
      {"QAT (INT8, INT4)", "#e15759", svg::Marker::Triangle, [](const json& r) { return r.at("family") == "qat"; }},
      {"dynamic INT8", "#f28e2b", svg::Marker::Circle, [](const json& r) { return r.at("family") == "dynamic"; }},
      {"static INT8, per-channel", "#4e79a7", svg::Marker::Circle,
       [](const json& r) { return r.at("family") == "static" && contains(r.at("name"), "per-channel"); }},
      {"static INT8, per-tensor", "#76b7b2", svg::Marker::Square,
       [](const json& r) { return r.at("family") == "static" && !contains(r.at("name"), "per-channel"); }},
  };

  svg::Chart chart(920, 560, "Test accuracy vs model file size");
  chart.subtitle = fmt::format("Every run of the milestone; FP32 = {:.2f}% at {} bytes. Up and left is better.",
                               fp32_accuracy, with_thousands(fp32.at("bytes").get<int64_t>()));
  chart.x.label = "file size, % of the FP32 file (log scale)";
  chart.x.scale = svg::Scale::Log;
  chart.x.tick_suffix = "%";
  chart.y.label = "test accuracy (%)";

  double min_size = 100.0, min_accuracy = fp32_accuracy - kGoalDropPoints, max_accuracy = fp32_accuracy;
  chart.add_scatter({{100.0, fp32_accuracy, ""}}, "#222222", "FP32", svg::Marker::Diamond);
  for (const Family& family : families) {
    std::vector<svg::ScatterPoint> points;
    for (const json& run : results.at("runs")) {
      if (!family.holds(run)) continue;
      const double size = 100.0 * run.at("size_ratio").get<double>(), accuracy = 100.0 * run.at("accuracy").get<double>();
      // The post-training INT8 runs crowd one spot (about a quarter of FP32): figure 1b names them.
      const bool crowded = run.at("family") == "static" || run.at("family") == "dynamic";
      points.push_back({size, accuracy, crowded ? "" : point_label(run)});
      min_size = std::min(min_size, size);
      min_accuracy = std::min(min_accuracy, accuracy);
      max_accuracy = std::max(max_accuracy, accuracy);
    }
    if (!points.empty()) chart.add_scatter(points, family.color, family.legend, family.marker);
  }
  chart.x.min = min_size / 1.25;
  chart.x.max = 100.0 * 1.25;
  svg::fit_linear(chart.y, min_accuracy, max_accuracy, 0.12);
  chart.add_horizontal_line(fp32_accuracy, "#555555", fmt::format("FP32 {:.2f}%", fp32_accuracy));
  chart.add_horizontal_line(fp32_accuracy - kGoalDropPoints, "#aaaaaa",
                            fmt::format("FP32 − {:.1f} points (the INT8 goal)", kGoalDropPoints));
  chart.note = "The post-training INT8 runs (near 26%) are compared one by one in figure 1b.";
  return chart.to_svg();
}

// ---- figure 1b: the INT8 runs side by side ------------------------------------------------------------

// The category of a post-training or QAT INT8 run on figure 1b's x axis ("" for other runs).
std::string int8_category(const json& run) {
  const std::string family = run.at("family"), name = run.at("name");
  if (family == "dynamic") return "dynamic";
  if (family == "static") return method_of(run) == "moving_average" ? "moving avg" : method_of(run);
  if (family == "qat" && contains(name, "int8")) return "QAT int8";
  return "";
}

std::string int8_accuracy_svg(const json& results) {
  const double fp32_accuracy = 100.0 * results.at("fp32").at("accuracy").get<double>();
  constexpr double kOffset = 0.13;  // per-tensor left of the category, per-channel right
  svg::Chart chart(920, 460, "INT8 runs: accuracy by calibration method");
  chart.subtitle = "Every INT8 run (all about a quarter of the FP32 file): per-tensor vs per-channel weight scales.";
  chart.y.label = "test accuracy (%)";
  chart.x.label = "activation calibration (dynamic: per batch at run time; QAT: learned while fine-tuning)";
  std::vector<svg::ScatterPoint> per_tensor, per_channel, qat;
  double lo = fp32_accuracy, hi = fp32_accuracy;
  for (const json& run : results.at("runs")) {
    const std::string category = int8_category(run);
    if (category.empty()) continue;
    const auto at = std::find(chart.x_categories.begin(), chart.x_categories.end(), category);
    const auto index = static_cast<double>(at - chart.x_categories.begin());
    if (at == chart.x_categories.end()) chart.x_categories.push_back(category);
    const double accuracy = 100.0 * run.at("accuracy").get<double>();
    lo = std::min(lo, accuracy);
    hi = std::max(hi, accuracy);
    const std::string label = fmt::format("{:.2f}", accuracy);
    if (run.at("family") == "qat") {
      qat.push_back({index, accuracy, label});
    } else if (contains(run.at("name"), "per-channel")) {
      per_channel.push_back({index + kOffset, accuracy, label});
    } else {
      per_tensor.push_back({index - kOffset, accuracy, label});
    }
  }
  if (chart.x_categories.empty()) return "";
  svg::fit_linear(chart.y, lo, hi, 0.15);
  chart.add_scatter(per_channel, "#4e79a7", "per-channel weights", svg::Marker::Circle);
  chart.add_scatter(per_tensor, "#76b7b2", "per-tensor weights", svg::Marker::Square);
  chart.add_scatter(qat, "#e15759", "QAT (per-channel)", svg::Marker::Triangle);
  chart.add_horizontal_line(fp32_accuracy, "#555555", fmt::format("FP32 {:.2f}%", fp32_accuracy), true,
                            /*in_legend=*/true);
  chart.note = fmt::format("On {} test images one image is {:.2g} points: differences of a few hundredths are noise.",
                           results.at("test_examples").get<int64_t>(),
                           100.0 / static_cast<double>(results.at("test_examples").get<int64_t>()));
  return chart.to_svg();
}

// ---- figure 2: per-layer SQNR ---------------------------------------------------------------------

// One run of each kind (the runs with these names that exist), in legend order, with its colour.
std::vector<std::pair<std::string, std::string>> sqnr_runs() {
  const auto& method = method_colors();
  return {{"dynamic/per-channel", "#edc948"},
          {"static/per-tensor/minmax", "#a0cbe8"},
          {"static/per-channel/minmax", method.at("minmax")},
          {"static/per-channel/percentile", method.at("percentile")},
          {"static/per-channel/entropy", method.at("entropy")},
          {"static/per-channel/mse", method.at("mse")},
          {"qat int8 (static/per-channel)", "#b07aa1"},
          {"int4 weight-only g32", "#9c755f"},
          {"qat int4 weight-only g32", "#ff9da7"},
          {"mixed int4/int8 (<= 6 bits)", "#8cd17d"},
          {"float16 weights", "#bab0ac"},
          {"bfloat16 weights", "#79706e"}};
}

const json* find_run(const json& results, const std::string& name) {
  for (const json& run : results.at("runs")) {
    if (run.at("name") == name) return &run;
  }
  return nullptr;
}

std::string layer_sqnr_svg(const json& results) {
  std::vector<const json*> runs;
  std::vector<std::string> series, colors;
  for (const auto& [name, color] : sqnr_runs()) {
    const json* run = find_run(results, name);
    if (run == nullptr || linear_layers(*run).empty()) continue;
    runs.push_back(run);
    series.push_back(legend_name(*run));
    colors.push_back(color);
  }
  if (runs.empty()) return "";
  std::vector<std::string> layer_names, groups;
  for (const json& layer : linear_layers(*runs.front())) {
    layer_names.push_back(layer.at("name"));
    groups.push_back(layer_title(results, layer_names.back()));
  }
  std::vector<std::vector<double>> values;
  double max_db = kLowSqnrDb;
  for (const json* run : runs) {
    std::vector<double> row(layer_names.size(), std::numeric_limits<double>::quiet_NaN());
    for (const json& layer : linear_layers(*run)) {
      const auto at = std::find(layer_names.begin(), layer_names.end(), layer.at("name").get<std::string>());
      if (at == layer_names.end() || layer.at("exact").get<bool>()) continue;
      row[static_cast<std::size_t>(at - layer_names.begin())] = layer.at("isolated_sqnr_db").get<double>();
      max_db = std::max(max_db, row[static_cast<std::size_t>(at - layer_names.begin())]);
    }
    values.push_back(row);
  }
  svg::Chart chart(980, 500, "Per-layer SQNR: how much noise each quantized layer adds");
  chart.subtitle = "Isolated SQNR of each Linear layer (fed the FP32 input), 10·log10(Σy² / Σ(y−ŷ)²). Higher is better.";
  chart.legend_width = 230;
  chart.y.label = "isolated SQNR (dB)";
  svg::fit_linear(chart.y, 0.0, max_db, 0.05);
  chart.y.min = 0.0;
  chart.x.label = "layer (Sequential index)";
  chart.add_grouped_bars(groups, series, values, colors);
  chart.add_horizontal_line(kLowSqnrDb, "#c03030", "20 dB: information is lost", true, /*in_legend=*/true);
  chart.note = "Each bit of precision is worth about 6 dB; a 16-bit float keeps 11 (FP16) or 8 (BF16) bits of mantissa.";
  return chart.to_svg();
}

// ---- figure 3: activation histogram with clip thresholds ------------------------------------------

std::string histogram_svg(const json& histogram) {
  const std::vector<double> counts = histogram.at("counts").get<std::vector<double>>();
  const double lower = histogram.value("lower", 0.0), bin_width = histogram.at("bin_width");
  const double upper = lower + bin_width * static_cast<double>(counts.size());
  const double max_count = counts.empty() ? 1.0 : *std::max_element(counts.begin(), counts.end());

  svg::Chart chart(920, 520, "Where each calibration method clips (input of layer " +
                                 histogram.at("layer").get<std::string>() + ")");
  chart.subtitle = fmt::format("{} activations after the first ReLU, over the calibration batches; {} are exactly 0.",
                               with_thousands(histogram.value("values", int64_t{0})),
                               percent_text(histogram.value("zero_fraction", 0.0)));
  chart.x.label = "activation value";
  svg::fit_linear(chart.x, lower, upper, 0.02);
  if (lower == 0.0) chart.x.min = 0.0;
  chart.y.label = "values per bin (log scale)";
  chart.y.scale = svg::Scale::Log;
  chart.y.min = 0.5;
  chart.y.max = std::pow(10.0, std::ceil(std::log10(std::max(max_count, 1.0) * 1.5)));
  chart.add_histogram(lower, bin_width, counts, "#9fb7cf", "");
  for (const auto& [method, threshold] : ordered_thresholds(histogram)) {
    const auto color = method_colors().find(method);
    chart.add_vertical_line(threshold.at("value").get<double>(),
                            color == method_colors().end() ? "#333333" : color->second,
                            fmt::format("{}: T = {:.2f}, clips {}", method, threshold.at("value").get<double>(),
                                        percent_text(threshold.at("clipped_fraction").get<double>())));
  }
  chart.note = fmt::format("{} bins of width {:.3f}. T = s·(255 − z), the largest value the uint8 input can hold.",
                           counts.size(), bin_width);
  return chart.to_svg();
}

// ---- report.md --------------------------------------------------------------------------------------

std::string goals_section(const json& results) {
  if (!results.contains("goals")) return "";
  std::string md = "## Goals\n\n| goal | measured | |\n|---|---|---|\n";
  for (const json& goal : results.at("goals")) {
    md += fmt::format("| {} | {} | {} |\n", goal.at("text").get<std::string>(), goal.at("measured").get<std::string>(),
                      goal.at("met").get<bool>() ? "met" : "**NOT met**");
  }
  return md + "\n";
}

// The batch sizes of a {"1": .., "64": .., "1024": ..} object in numeric order (JSON keeps keys sorted as text).
std::vector<std::string> batch_keys(const json& by_batch) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : by_batch.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
  return keys;
}

// The printed table (results.cpp print_table), row for row, in Markdown.
std::string results_table(const json& results) {
  const json& fp32 = results.at("fp32");
  std::string header = "| run | accuracy | change | file bytes | size | ratio |";
  std::string rule = "|---|--:|--:|--:|--:|--:|";
  const std::vector<std::string> batches = batch_keys(fp32.at("latency_us"));
  for (const std::string& batch : batches) {
    header += fmt::format(" b{} µs | speed |", batch);
    rule += "--:|--:|";
  }
  std::string md = header + " reload |\n" + rule + "---|\n";
  md += fmt::format("| fp32 | {:.2f}% | | {} | 100.0% | 1.0x |", 100.0 * fp32.at("accuracy").get<double>(),
                    with_thousands(fp32.at("bytes").get<int64_t>()));
  for (const std::string& batch : batches) md += fmt::format(" {:.1f} | |", fp32.at("latency_us").at(batch).get<double>());
  md += " |\n";
  for (const json& run : results.at("runs")) {
    const double change = run.at("change_points").get<double>();
    md += fmt::format("| {} | {:.2f}% | {:+.2f} | {} | {:.1f}% | {:.1f}x |", run.at("name").get<std::string>(),
                      100.0 * run.at("accuracy").get<double>(), change == 0.0 ? 0.0 : change,
                      with_thousands(run.at("bytes").get<int64_t>()), 100.0 * run.at("size_ratio").get<double>(),
                      run.at("compression").get<double>());
    for (const std::string& batch : batches) {
      md += fmt::format(" {:.1f} | {:.2f}x |", run.at("latency_us").at(batch).get<double>(),
                        run.at("speedup").at(batch).get<double>());
    }
    md += run.at("reload_identical").get<bool>() ? " identical |\n" : " **DIFFERS** |\n";
  }
  return md + fmt::format(
                  "\nchange: percentage points vs FP32 on {} test images; size: file bytes / FP32 file bytes, ratio "
                  "its inverse; bN µs: median latency of one forward pass at batch N on one thread, speed: FP32 "
                  "latency / this latency; reload: the model loaded from its file gives bit-identical outputs.\n\n",
                  results.at("test_examples").get<int64_t>());
}

std::string sqnr_table(const json& results) {
  std::vector<std::string> layer_names;
  for (const json& run : results.at("runs")) {
    for (const json& layer : linear_layers(run)) {
      if (std::find(layer_names.begin(), layer_names.end(), layer.at("name")) == layer_names.end()) {
        layer_names.push_back(layer.at("name"));
      }
    }
  }
  if (layer_names.empty()) return "";
  std::string md = "| run |";
  std::string rule = "|---|";
  for (const std::string& name : layer_names) {
    md += " " + layer_title(results, name) + " |";
    rule += "--:|";
  }
  md += " worst layer |\n" + rule + "---|\n";
  for (const json& run : results.at("runs")) {
    md += "| " + run.at("name").get<std::string>() + " |";
    for (const std::string& name : layer_names) {
      std::string cell = " – |";
      for (const json& layer : linear_layers(run)) {
        if (layer.at("name") != name) continue;
        cell = layer.at("exact").get<bool>()
                   ? " exact |"
                   : fmt::format(" {:.1f} / {:.1f} |", layer.at("isolated_sqnr_db").get<double>(),
                                 layer.at("cumulative_sqnr_db").get<double>());
      }
      md += cell;
    }
    md += " " + run.value("worst_layer", std::string()) + " |\n";
  }
  return md + "\nEach cell: isolated / cumulative SQNR in dB (accuracy_validator.hpp (1)). Isolated: the layer fed the "
              "FP32 input — the noise it adds by itself. Cumulative: the quantized model run from the start — the "
              "noise that reaches this layer's output.\n\n";
}

std::string calibration_table(const json& results, const json& histogram) {
  std::string md = "| method | threshold T | step s | values clipped | static per-tensor | static per-channel |\n"
                   "|---|--:|--:|--:|--:|--:|\n";
  for (const auto& [method, threshold] : ordered_thresholds(histogram)) {
    auto accuracy = [&](const std::string& granularity) {
      const json* run = find_run(results, "static/" + granularity + "/" + method);
      return run == nullptr ? std::string("–") : fmt::format("{:.2f}%", 100.0 * run->at("accuracy").get<double>());
    };
    md += fmt::format("| {} | {:.3f} | {:.4f} | {} | {} | {} |\n", method, threshold.at("value").get<double>(),
                      threshold.value("scale", 0.0), percent_text(threshold.at("clipped_fraction").get<double>()),
                      accuracy("per-tensor"), accuracy("per-channel"));
  }
  return md + "\nThe last two columns are the test accuracy of the static INT8 runs calibrated with that method "
              "(every layer's input gets its own threshold; this table shows layer " +
         histogram.at("layer").get<std::string>() + "'s).\n\n";
}

std::string sensitivity_section(const json& results) {
  if (!results.contains("sensitivity")) return "";
  const json& report = results.at("sensitivity");
  const double fp32_accuracy = report.at("fp32_accuracy");
  std::string md = fmt::format(
      "## Mixed-bit: which layers can take 4 bits\n\n"
      "Each layer alone lowered to INT8 or INT4 (g{}), every other layer FP32, measured on {} held-out training "
      "images (FP32: {:.2f}%). Change: percentage points; SQNR: of the model's logits.\n\n"
      "| layer | weights | INT8 bits | INT8 change | INT8 SQNR | INT4 bits | INT4 change | INT4 SQNR |\n"
      "|---|--:|--:|--:|--:|--:|--:|--:|\n",
      report.value("int4_group_size", int64_t{32}), report.value("examples", int64_t{0}), 100.0 * fp32_accuracy);
  for (const json& layer : report.at("layers")) {
    auto cells = [&](const char* form) {
      const json& measured = layer.at(form);
      return fmt::format("{:.2f} | {:+.2f} | {:.1f} dB", measured.at("bits").get<double>(),
                         100.0 * (measured.at("accuracy").get<double>() - fp32_accuracy),
                         measured.at("sqnr_db").get<double>());
    };
    md += fmt::format("| {} | {} | {} | {} |\n", layer_title(results, layer.at("name")),
                      with_thousands(layer.at("weights").get<int64_t>()), cells("int8"), cells("int4"));
  }
  for (const json& run : results.at("runs")) {
    if (run.at("family") != "mixed") continue;
    md += fmt::format("\n**{}**: {} — measured {:.2f}% ({:+.2f} points vs FP32 on the test set).\n",
                      run.at("name").get<std::string>(), run.at("detail").get<std::string>(),
                      100.0 * run.at("accuracy").get<double>(), run.at("change_points").get<double>());
  }
  return md + "\n";
}

std::string details_section(const json& results) {
  std::string md;
  for (const json& run : results.at("runs")) {
    const std::string detail = run.value("detail", std::string());
    if (!detail.empty() && run.at("family") != "mixed") md += "- **" + run.at("name").get<std::string>() + "**: " + detail + "\n";
  }
  return md.empty() ? "" : "## Run details\n\n" + md + "\n";
}

// Mixed-precision training: the same recipe and seed in FP32, BF16 and FP16.
std::string training_precision_section(const json& results) {
  if (!results.contains("training_precision")) return "";
  std::string md = "## Training in 16 bits: mixed precision\n\n"
                   "The same MLP trained from the same seed with the same recipe, its Linear layers computing on "
                   "BF16 or FP16 copies of their inputs and weights while Adam updates float32 master weights (FP16 "
                   "with dynamic loss scaling). Accuracy is that of the float32 masters on the test set. The 16-bit "
                   "values are simulated in float32 tensors, so the time per epoch shows the cost of the casts, not "
                   "a hardware speedup.\n\n"
                   "| training | accuracy | change | s/epoch | loss scaling |\n|---|--:|--:|--:|---|\n";
  for (const json& run : results.at("training_precision")) {
    std::string scaling = "—";
    if (run.contains("loss_scaler")) {
      const json& scaler = run.at("loss_scaler");
      scaling = fmt::format("final scale 2^{}, {} of {} steps skipped (overflow), {} increases",
                            static_cast<int>(std::lround(std::log2(scaler.at("final_scale").get<double>()))),
                            scaler.at("skipped_steps").get<int64_t>(), scaler.at("steps").get<int64_t>(),
                            scaler.at("scale_increases").get<int64_t>());
    }
    md += fmt::format("| {} | {:.2f}% | {:+.2f} | {:.2f} | {} |\n", run.at("precision").get<std::string>(),
                      100.0 * run.at("accuracy").get<double>(), run.at("change_points").get<double>(),
                      run.at("seconds_per_epoch").get<double>(), scaling);
  }
  return md + "\n";
}

std::string report_markdown(const json& results, bool has_int8_figure, bool has_sqnr_figure) {
  const json& fp32 = results.at("fp32");
  std::string md =
      "<!-- GENERATED by milestone_06_2018_mlperf --report from its own results. DO NOT EDIT: run the milestone "
      "again. -->\n# Milestone 06 — one MLP, quantized every way\n\n";
  md += fmt::format("FP32 model: {} · test images: {} · seed {}{} · written by `milestone_06_2018_mlperf --report`.\n\n",
                    fp32.at("model").get<std::string>(), results.at("test_examples").get<int64_t>(),
                    results.value("seed", uint64_t{0}), results.value("quick", false) ? " · **--quick** run" : "");
  if (results.contains("host")) {
    const json& host = results.at("host");
    md += fmt::format("Measured on: {} · {} · INT8 GEMM {}. Latencies are medians on one thread.\n\n",
                      host.value("cpu", std::string("?")), host.value("blas", std::string("?")),
                      host.value("int8_gemm", std::string("?")));
  }
  md += goals_section(results);
  md += fmt::format("## Accuracy and size\n\n![Test accuracy vs file size]({})\n\n", kAccuracyFigure);
  md += "*Figure 1.* Every run's test accuracy against its file size (log axis, % of the FP32 file). Look for the "
        "points up and to the left, and at the distance of each from the FP32 line (dashed; the lower line is "
        "the INT8 goal, 0.5 points below): the INT8 runs sit at about a quarter of the FP32 size, INT4 and the "
        "mixed model further left, FP16/BF16 at half. Compare INT4 after training (QAT) and the mixed model with "
        "post-training INT4 at the same size.\n\n";
  if (has_int8_figure) {
    md += fmt::format("![INT8 accuracy by calibration method]({})\n\n", kInt8Figure);
    md += "*Figure 1b.* The INT8 runs of figure 1, which share one spot there, side by side: each calibration "
          "method with per-tensor (■) and per-channel (●) weight scales, dynamic quantization and QAT. Look at the "
          "spread against the FP32 line rather than the order (one test image is worth 100/N points, so small gaps "
          "are noise), and at per-tensor vs per-channel within each method.\n\n";
  }
  md += "## Every run\n\n" + results_table(results);
  md += "## Where the error comes from: per-layer SQNR\n\n";
  if (has_sqnr_figure) {
    md += fmt::format("![Per-layer SQNR]({})\n\n", kSqnrFigure);
    md += "*Figure 2.* The noise each Linear layer adds by itself, for one run of each kind. Look for the lowest bars: "
          "they mark the layer and the form that lose the most (the 4-bit forms below the 8-bit ones, the 16-bit "
          "floats far above); among the INT8 runs, compare the calibration methods layer by layer. The bar of a layer the mixed model kept in INT8 stands with "
          "the INT8 runs. The QAT runs are compared with the original FP32 model, whose weights fine-tuning "
          "changed, so their SQNR counts that change as noise too: it is low although their accuracy is not.\n\n";
  }
  md += sqnr_table(results);
  if (results.contains("calibration_histogram")) {
    const json& histogram = results.at("calibration_histogram");
    md += "## Calibration: where each method clips\n\n";
    md += fmt::format("![Activation histogram with clip thresholds]({})\n\n", kHistogramFigure);
    md += fmt::format(
        "*Figure 3.* The values entering layer {} (after the first ReLU) over the calibration batches, counts on a "
        "log axis; the tall first bar is the ReLU's exact zeros ({} of all values). Each line is the largest value a "
        "method's uint8 range can hold: above it, values are clipped. Look at how far the lines sit from the "
        "tail: min-max reaches the single largest value and clips nothing, so its step s is the coarsest; the "
        "histogram methods clip a tiny fraction of outliers for a finer step over the bulk of the values.\n\n",
        histogram.at("layer").get<std::string>(), percent_text(histogram.value("zero_fraction", 0.0)));
    md += calibration_table(results, histogram);
  }
  md += sensitivity_section(results);
  md += training_precision_section(results);
  md += details_section(results);
  return md;
}

}  // namespace

void write_report(const std::string& dir, const json& results) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw tinytorch::FileError("milestone 06 report: cannot create the folder " + dir + ": " + error.message());
  svg::write_text_file(dir + "/" + kAccuracyFigure, accuracy_vs_size_svg(results));
  const std::string int8 = int8_accuracy_svg(results);
  if (!int8.empty()) svg::write_text_file(dir + "/" + kInt8Figure, int8);
  const std::string sqnr = layer_sqnr_svg(results);
  if (!sqnr.empty()) svg::write_text_file(dir + "/" + kSqnrFigure, sqnr);
  if (results.contains("calibration_histogram")) {
    svg::write_text_file(dir + "/" + kHistogramFigure, histogram_svg(results.at("calibration_histogram")));
  }
  svg::write_text_file(dir + "/report.md", report_markdown(results, !int8.empty(), !sqnr.empty()));
}

}  // namespace milestone06
