// report.hpp — Milestone 06: the results as a Markdown page with its SVG figures.
//
// write_report(DIR, results) reads everything from `results`, the object that
// main.cpp writes with --json (results.hpp to_json() plus the keys main adds:
// "calibration_histogram", "sensitivity", "goals"), so the page, the JSON and the
// printed table show the same numbers. It writes:
//
//   DIR/report.md                 goals, the full table, figures with captions, per-layer
//                                 SQNR, calibration thresholds, sensitivity and the mixed-bit choice
//   DIR/accuracy_vs_size.svg      every run: test accuracy against file size (% of FP32, log axis)
//   DIR/int8_accuracy.svg         the INT8 runs side by side: calibration method × weight granularity
//   DIR/layer_sqnr.svg            isolated SQNR of each Linear layer, for one run of each kind
//   DIR/activation_histogram.svg  the calibration histogram of one layer's input (log counts)
//                                 with each calibration method's clip threshold
//
// A key the results lack (no histogram, no sensitivity) leaves its figure or section out.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace milestone06 {

void write_report(const std::string& dir, const nlohmann::json& results);

}  // namespace milestone06
