// main.cpp — Milestone 06 (2018): one trained MLP, made smaller every way module 15 knows.
//
// Jacob et al., "Quantization and Training of Neural Networks for Efficient
// Integer-Arithmetic-Only Inference" (CVPR 2018) made 8-bit integer inference
// the way networks are deployed; MLPerf Inference (2019) measures it. This
// program takes the Fashion-MNIST MLP of milestone 03 (or trains it) and turns it
// into every form of runs.hpp — post-training INT8 (dynamic; static with five
// calibration methods, per tensor and per channel), QAT INT8, INT4 weight-only
// (post-training and QAT), a mixed INT4/INT8 model under a 6-bit budget, FP16 and
// BF16 weights — printing for each: test accuracy and its change from FP32, the
// saved file's bytes, and the latency at batch 1, 64 and 1024 with the speedup.
//
//   milestone_06_2018_mlperf                   the comparison (the model of milestone 03, or trained here): ~30 s
//   milestone_06_2018_mlperf --full            the long version (retrained model, more runs and timings)
//   milestone_06_2018_mlperf --json r.json --report out/   ... and the results as JSON, Markdown and SVG figures
//   milestone_06_2018_mlperf --report DIR      ... and a Markdown report with SVG figures (report.hpp)
//   milestone_06_2018_mlperf --config my.yaml  one extra run from a quantization config
//   milestone_06_2018_mlperf --quick --json r.json   the CTest check (1-epoch model, 2,000 test images)
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/io/model_io.hpp"
#include "tinytorch/perf/quantization.hpp"

#include "calibration_histogram.hpp"
#include "fp32_baseline.hpp"
#include "report.hpp"
#include "results.hpp"
#include "runs.hpp"
#include "training_precision.hpp"

using namespace tinytorch;
using namespace milestone06;

namespace {

constexpr int64_t kEvalBatchSize = 1000;
constexpr int64_t kCalibrationBatchSize = 64;
constexpr int64_t kProbeImages = 256;
// The mixed-bit assignment is chosen on the last training images (never on the test set).
constexpr int64_t kSelectionImages = 5000;
constexpr int64_t kQuickSelectionImages = 2000;

struct Options {
  std::string model_path = "models/03_1986_mlp.safetensors";
  std::string out_dir = "models/06_2018_mlperf";
  std::string data_dir;
  std::string json_path;
  std::string report_dir;
  int64_t epochs = 10;
  uint64_t seed = 42;
  bool quick = false;
  bool retrain = false;
  RunPlan plan;
};

std::vector<Tensor> first_batches(DataLoader& loader, int64_t count) {
  std::vector<Tensor> batches;
  for (const Batch& batch : loader) {
    if (static_cast<int64_t>(batches.size()) == count) break;
    batches.push_back(batch.inputs);
  }
  return batches;
}

int run(Options options) {
  blas_set_num_threads(1);
  set_gemm_threads(1);
  std::printf("TinyTorch milestone 06 — 2018: one MLP, quantized every way\n");
  std::printf("  BLAS: %s\n  CPU:  %s\n  INT8 GEMM: %s\n", blas_summary().c_str(), cpu_summary().c_str(),
              gemm_kernel_name(active_kernel_isa()));
  const Data data = load_data(options.data_dir, options.quick);
  Fp32Model fp32 = fp32_model(data, options.model_path, options.quick ? 1 : options.epochs, options.seed,
                              options.retrain || options.quick, /*save=*/!options.quick);
  fp32.model.eval();
  std::printf("  model: %s\n  test: %lld images%s\n", fp32.origin.c_str(), static_cast<long long>(data.test.size()),
              options.quick ? "  (--quick)" : "");

  std::filesystem::create_directories(options.out_dir);
  DataLoader test_loader(data.test, kEvalBatchSize);
  DataLoader calibration_loader(data.train, kCalibrationBatchSize, /*shuffle=*/true, options.seed);

  Baseline baseline;
  baseline.origin = fp32.origin;
  baseline.test_examples = data.test.size();
  baseline.bytes = save_model(fp32.model, options.out_dir + "/fp32.safetensors");
  baseline.accuracy = test_accuracy(fp32.model, test_loader);
  baseline.latency_us = measure_latencies(fp32.model, data.test.features(), options.plan);

  RunContext context;
  context.fp32 = &fp32.model;
  context.data = &data;
  context.calibration_loader = &calibration_loader;
  context.test_loader = &test_loader;
  context.calibration_batches = first_batches(calibration_loader, options.plan.calibration_batches);
  context.plan = options.plan;
  context.seed = options.seed;
  context.out_dir = options.out_dir;
  context.probe = data.test.features().slice_rows(0, std::min<int64_t>(kProbeImages, data.test.size()));

  // Sensitivity of each layer to INT4 and INT8, measured on held-out training images.
  const int64_t selection = std::min(options.quick ? kQuickSelectionImages : kSelectionImages, data.train.size());
  const TensorDataset selection_set = data.train.slice(data.train.size() - selection, data.train.size());
  DataLoader selection_loader(selection_set, kEvalBatchSize);
  std::printf("\nsensitivity of each layer (chosen on the last %lld training images):\n",
              static_cast<long long>(selection));
  MixedBitOptions mixed_options;
  mixed_options.int8.calibration.max_batches = options.plan.calibration_batches;
  const SensitivityReport sensitivity =
      analyze_sensitivity(fp32.model, context.calibration_batches, selection_loader, mixed_options, stdout);
  std::printf("%s", sensitivity.to_string().c_str());
  context.sensitivity = &sensitivity;

  // What calibration sees at one layer's input, and where each method clips it (figure 3 of the report).
  const CalibrationHistogram histogram = calibration_histogram(fp32.model, context.calibration_batches);
  std::printf("\nclip thresholds of layer %s's input (%lld values, %.1f%% exactly 0):",
              histogram.layer.c_str(), static_cast<long long>(histogram.values), 100.0 * histogram.zero_fraction);
  for (const ClipThreshold& threshold : histogram.thresholds) {
    std::printf(" %s %.3f (clips %.4f%%)", threshold.method.c_str(), threshold.value,
                100.0 * threshold.clipped_fraction);
  }
  std::printf("\n");

  std::vector<RunResult> results;
  const std::vector<RunSpec> runs = every_run(options.plan);
  std::printf("\n");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::printf("[%2zu/%zu] %-33s", i + 1, runs.size(), runs[i].name.c_str());
    std::fflush(stdout);
    results.push_back(evaluate_run(runs[i], context, baseline.accuracy, baseline.bytes, baseline.latency_us));
    std::printf(" %6.2f%%  (%.1f s)\n", 100.0 * results.back().accuracy, results.back().seconds);
  }
  print_table(baseline, results);

  // Mixed-precision training: the same recipe and seed in FP32, BF16 and FP16.
  const std::vector<PrecisionRun> training =
      compare_training_precisions(data, options.quick ? 1 : options.epochs, options.seed, test_loader);
  print_training_precisions(training);

  std::vector<Goal> goals = check_goals(results, options.quick);
  goals.push_back(training_precision_goal(training, options.quick));
  // The JSON is the one source of the report: the table's rows plus the histogram, sensitivity and goals.
  nlohmann::json report = to_json(baseline, results, options.quick, options.seed);
  report["calibration_histogram"] = histogram.to_json();
  report["training_precision"] = training_precisions_json(training);
  report["host"] = {{"cpu", cpu_summary()}, {"blas", blas_summary()}, {"int8_gemm", gemm_kernel_name(active_kernel_isa())}};
  report["sensitivity"] = nlohmann::json::parse(sensitivity.to_json());
  report["goals"] = nlohmann::json::array();
  for (const Goal& goal : goals) {
    report["goals"].push_back({{"text", goal.text}, {"measured", goal.measured}, {"met", goal.met}});
  }
  if (!options.json_path.empty()) {
    write_json(options.json_path, report);
    std::printf("results written to %s\n", options.json_path.c_str());
  }
  if (!options.report_dir.empty()) {
    write_report(options.report_dir, report);
    std::printf("report written to %s/report.md\n", options.report_dir.c_str());
  }
  print_goals(goals);
  const bool all_met = std::all_of(goals.begin(), goals.end(), [](const Goal& goal) { return goal.met; });
  return all_met ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"Milestone 06 (2018): the Fashion-MNIST MLP quantized every way — accuracy, size and speed vs FP32"};
  app.add_option("--model", options.model_path, "the FP32 model (trained and saved here if missing)");
  app.add_option("--out", options.out_dir, "folder for the FP32 and quantized model files");
  app.add_option("--config", options.plan.extra_config_path, "one more run, from a quantization config (YAML)");
  app.add_option("--data", options.data_dir, "folder with the Fashion-MNIST .gz files");
  app.add_option("--json", options.json_path, "write the results as JSON to this file");
  app.add_option("--report", options.report_dir, "write report.md and SVG figures of the results to this folder");
  app.add_option("--epochs", options.epochs, "training epochs when the model is trained here")
      ->check(CLI::PositiveNumber);
  app.add_option("--calibration-batches", options.plan.calibration_batches,
                 "batches of 64 training images that static calibration observes")
      ->check(CLI::PositiveNumber);
  app.add_option("--latency-runs", options.plan.latency_runs, "timed forward passes per batch size")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "seed for training and for the calibration sample");
  app.add_flag("--retrain", options.retrain, "train a fresh model even if the milestone-03 file exists");
  app.add_flag("--full", options.plan.full,
               "the long version: retrain the FP32 model here, add INT4 at group 64, QAT INT4 at group 128 and a "
               "5-bit mixed model, and time 200 forward passes per batch size");
  app.add_flag("--quick", options.quick,
               "1 epoch on 10,000 images, 2,000 test images, few timings; exit 1 if a goal is missed (the CTest check)");
  CLI11_PARSE(app, argc, argv);
  if (options.quick && options.plan.full) {
    std::fprintf(stderr, "milestone 06_2018_mlperf: --quick and --full exclude each other; choose one\n");
    return 2;
  }
  if (options.quick) options.plan.latency_runs = std::min(options.plan.latency_runs, 5);
  if (options.plan.full) {
    options.retrain = true;
    options.plan.latency_runs = std::max(options.plan.latency_runs, 200);
  }
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "milestone 06_2018_mlperf: %s\n", error.what());
    return 2;
  }
}
