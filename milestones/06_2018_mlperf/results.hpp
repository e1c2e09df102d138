// results.hpp — Milestone 06: the comparison table, its JSON, and the goals checked on it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runs.hpp"
#include "training_precision.hpp"

namespace milestone06 {

struct Baseline {
  double accuracy = 0.0;
  int64_t bytes = 0;
  std::map<int64_t, double> latency_us;
  std::string origin;
  int64_t test_examples = 0;
};

// One row per run: accuracy, change (points), file bytes, size (% of FP32),
// compression (FP32 / this), then latency and speedup vs FP32 per batch size.
void print_table(const Baseline& fp32, const std::vector<RunResult>& results);

// {"fp32": {"accuracy", "bytes", "latency_us": {"1": .., "64": .., "1024": ..}, "model"},
//  "runs": [{"name", "family", "accuracy", "change_points", "bytes", "size_ratio", "compression",
//            "latency_us": {...}, "speedup": {...}, "worst_layer", ..., "layers": [...]}, ...], ...}
nlohmann::json to_json(const Baseline& fp32, const std::vector<RunResult>& results, bool quick, uint64_t seed);
void write_json(const std::string& path, const nlohmann::json& report);

struct Goal {
  std::string text;  // "best static per-channel INT8 within 0.5 points of FP32"
  std::string measured;
  bool met = false;
};

// Issue 4's and 6's goals (with the `--quick` allowance when quick) on these results.
std::vector<Goal> check_goals(const std::vector<RunResult>& results, bool quick);
// Issue 6: BF16 mixed-precision training within 0.5 points of FP32 training (1.0 when quick).
Goal training_precision_goal(const std::vector<PrecisionRun>& runs, bool quick);
void print_goals(const std::vector<Goal>& goals);

}  // namespace milestone06
