// runs.hpp — Milestone 06: every way of making the FP32 MLP smaller, and what each one costs.
//
// A run takes a copy of the FP32 model and turns it into one form:
//
//   dynamic INT8      × {per-tensor, per-channel}         activations quantized per batch
//   static INT8       × {minmax, moving_average, percentile, entropy, mse} × {per-tensor, per-channel}
//   QAT INT8          prepare_qat, a short fine-tune, convert (static per-channel)
//   INT4 weight-only  per-group symmetric (post-training), and QAT INT4
//   mixed-bit         INT4/INT8 per layer under an average-bits budget (sensitivity analysis)
//   FP16 / BF16       weight-only 16-bit floats
//
// and measures it the same way: test accuracy (and the validator's per-layer SQNR),
// the bytes of its saved file (which must load back to bit-identical outputs) and
// the latency of one forward pass at batch 1, 64 and 1024.
#pragma once
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/core/dtype.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/perf/quantization.hpp"

#include "fp32_baseline.hpp"

namespace milestone06 {

enum class RunKind { Dynamic, Static, Qat, Int4, MixedBit, Half };

// The fine-tuning of a QAT run: Adam with cosine decay from `learning_rate`, batch 64.
// Measured on the milestone-03 model (issue 6 notes): a fully trained model loses
// accuracy at Adam 1e-4 even without quantization, so INT8 QAT (whose rounding is
// already harmless) only nudges it at 1e-5 for one epoch; INT4 (whose rounding costs
// accuracy) needs the larger steps of 1e-4 — 1/10 of the training rate — for two.
struct QatRecipe {
  int64_t epochs = 1;
  float learning_rate = 1e-5f;
};
constexpr QatRecipe kQatInt8Recipe{1, 1e-5f};
constexpr QatRecipe kQatInt4Recipe{2, 1e-4f};

struct RunSpec {
  std::string name;  // the table's label: "static/per-channel/entropy", "qat int8", "int4 g32", ...
  RunKind kind = RunKind::Static;
  tinytorch::QuantConfig config;                            // Dynamic, Static
  tinytorch::QatConfig qat;                                 // Qat
  QatRecipe recipe;                                         // Qat
  int64_t group_size = 32;                                  // Int4
  double budget_bits = 6.0;                                 // MixedBit
  tinytorch::DType half_format = tinytorch::DType::BFloat16;  // Half
};

struct RunPlan {
  int64_t calibration_batches = 32;
  std::vector<int64_t> latency_batch_sizes = {1, 64, 1024};
  int latency_runs = 50;  // timed forward passes per batch size (median reported)
  // --full: also INT4 at group 64, QAT INT4 at group 128 and a 5-bit mixed model.
  bool full = false;
  std::string extra_config_path;  // one more static/dynamic run from a YAML config
};

std::vector<RunSpec> every_run(const RunPlan& plan);

// What every run needs, made once.
struct RunContext {
  tinytorch::Sequential* fp32 = nullptr;
  const Data* data = nullptr;
  tinytorch::DataLoader* calibration_loader = nullptr;  // shuffled training batches of 64
  tinytorch::DataLoader* test_loader = nullptr;
  std::vector<tinytorch::Tensor> calibration_batches;   // the first plan.calibration_batches of the loader
  const tinytorch::SensitivityReport* sensitivity = nullptr;  // for MixedBit runs
  RunPlan plan;
  uint64_t seed = 42;
  std::string out_dir;
  tinytorch::Tensor probe;  // test images for the reload check
};

struct RunResult {
  std::string name;
  std::string family;  // "dynamic", "static", "qat", "int4", "mixed", "half"
  std::string detail;  // e.g. the mixed-bit assignment
  double average_bits = 0.0;  // mixed-bit runs: bits per weight of the assignment (mixed_bit.hpp (1))
  double accuracy = 0.0;
  double change_points = 0.0;  // 100 · (accuracy − FP32 accuracy)
  int64_t bytes = 0;
  double size_ratio = 0.0;  // bytes / FP32 bytes
  std::map<int64_t, double> latency_us;  // median per batch size
  std::map<int64_t, double> speedup;     // FP32 latency / this latency
  std::vector<tinytorch::LayerSQNR> layers;
  std::string worst_layer;
  double worst_layer_sqnr_db = 0.0;
  std::string validation_report;
  bool reload_identical = false;
  double seconds = 0.0;
  bool static_per_channel_int8() const { return family == "static" && name.find("per-channel") != std::string::npos; }
};

// Median latency of model.forward on the first `batch_size` of `images`, for each of
// plan.latency_batch_sizes (eval mode, no graph; OpenBLAS and the INT8 GEMM on one thread).
std::map<int64_t, double> measure_latencies(tinytorch::Module& model, const tinytorch::Tensor& images,
                                            const RunPlan& plan);

// Builds the run's model, evaluates, saves, reloads and times it.
RunResult evaluate_run(const RunSpec& spec, RunContext& context, double fp32_accuracy, int64_t fp32_bytes,
                       const std::map<int64_t, double>& fp32_latency);

}  // namespace milestone06
