// training_precision.cpp — Milestone 06: FP32 vs BF16 vs FP16 mixed-precision training (see training_precision.hpp).
#include "training_precision.hpp"

#include <cmath>
#include <cstdio>
#include <optional>

#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/mixed_precision.hpp"

using namespace tinytorch;

namespace milestone06 {

namespace {

PrecisionRun train_in(const std::string& precision, const Data& data, int64_t epochs, uint64_t seed,
                      DataLoader& test_loader) {
  manual_seed(seed);  // the same initial weights for every precision
  Sequential model = make_mlp();
  if (precision != "fp32") {
    prepare_mixed_precision(model, precision == "fp16" ? DType::Float16 : DType::BFloat16);
  }
  std::optional<DynamicLossScaler> loss_scaler;  // FP16 gradients underflow without it
  if (precision == "fp16") loss_scaler.emplace(model.parameters());

  std::printf("\ntraining in %s%s\n", precision.c_str(),
              precision == "fp32"   ? ""
              : precision == "bf16" ? ": bfloat16 compute copies, float32 master weights"
                                    : ": float16 compute copies, float32 master weights, dynamic loss scaling");
  PrecisionRun run;
  run.precision = precision;
  run.seconds_per_epoch = train(model, data.train, epochs, seed, loss_scaler ? &*loss_scaler : nullptr);
  if (precision != "fp32") restore_full_precision(model);
  run.accuracy = test_accuracy(model, test_loader);
  if (loss_scaler) {
    run.loss_scaling = true;
    run.final_scale = loss_scaler->scale();
    run.steps = loss_scaler->steps();
    run.skipped_steps = loss_scaler->skipped_steps();
    run.scale_increases = loss_scaler->scale_increases();
  }
  return run;
}

}  // namespace

std::vector<PrecisionRun> compare_training_precisions(const Data& data, int64_t epochs, uint64_t seed,
                                                      DataLoader& test_loader) {
  std::vector<PrecisionRun> runs;
  for (const char* precision : {"fp32", "bf16", "fp16"}) {
    runs.push_back(train_in(precision, data, epochs, seed, test_loader));
  }
  return runs;
}

void print_training_precisions(const std::vector<PrecisionRun>& runs) {
  std::printf("\n%-10s %9s %8s %10s  %s\n", "training", "accuracy", "change", "s/epoch", "loss scaling");
  const double fp32_accuracy = runs.front().accuracy;
  for (const PrecisionRun& run : runs) {
    std::string scaling = "-";
    if (run.loss_scaling) {
      char text[128];
      std::snprintf(text, sizeof text, "final scale 2^%d, %lld of %lld steps skipped (overflow), %lld increases",
                    static_cast<int>(std::lround(std::log2(run.final_scale))), static_cast<long long>(run.skipped_steps),
                    static_cast<long long>(run.steps), static_cast<long long>(run.scale_increases));
      scaling = text;
    }
    const double change = 100.0 * (run.accuracy - fp32_accuracy);
    std::printf("%-10s %8.2f%% %+8.2f %10.2f  %s\n", run.precision.c_str(), 100.0 * run.accuracy,
                change == 0.0 ? 0.0 : change, run.seconds_per_epoch, scaling.c_str());
  }
  std::printf("(the same seed and recipe for each; accuracy of the float32 master weights on the test set. The\n"
              " 16-bit values are simulated in float32 tensors, so s/epoch measures the casts' cost, not a speedup)\n");
}

nlohmann::json training_precisions_json(const std::vector<PrecisionRun>& runs) {
  nlohmann::json list = nlohmann::json::array();
  for (const PrecisionRun& run : runs) {
    nlohmann::json entry = {{"precision", run.precision},
                            {"accuracy", run.accuracy},
                            {"change_points", 100.0 * (run.accuracy - runs.front().accuracy)},
                            {"seconds_per_epoch", run.seconds_per_epoch}};
    if (run.loss_scaling) {
      entry["loss_scaler"] = {{"final_scale", run.final_scale},
                              {"steps", run.steps},
                              {"skipped_steps", run.skipped_steps},
                              {"scale_increases", run.scale_increases}};
    }
    list.push_back(entry);
  }
  return list;
}

}  // namespace milestone06
