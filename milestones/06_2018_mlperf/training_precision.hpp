// training_precision.hpp — Milestone 06: train the same MLP in FP32, BF16 and FP16 mixed precision.
//
// Mixed-precision training (module 15, mixed_precision.hpp; Micikevicius et al. 2018)
// computes every Linear on 16-bit copies of its input and weights while Adam updates
// float32 master weights; FP16 adds dynamic loss scaling against gradient underflow.
// Each run starts from the same seed and follows milestone 03's recipe, so the only
// difference between them is the precision of the arithmetic. Accuracy is measured
// on the float32 masters afterwards (restore_full_precision), the model one would save.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinytorch/data/dataloader.hpp"

#include "fp32_baseline.hpp"

namespace milestone06 {

struct PrecisionRun {
  std::string precision;  // "fp32", "bf16", "fp16"
  double accuracy = 0.0;  // test accuracy of the float32 masters
  double seconds_per_epoch = 0.0;
  bool loss_scaling = false;  // fp16: the DynamicLossScaler's record below
  double final_scale = 0.0;
  int64_t steps = 0, skipped_steps = 0, scale_increases = 0;
};

// Trains make_mlp() `epochs` epochs from `seed` in each precision; progress on stdout.
std::vector<PrecisionRun> compare_training_precisions(const Data& data, int64_t epochs, uint64_t seed,
                                                      tinytorch::DataLoader& test_loader);
void print_training_precisions(const std::vector<PrecisionRun>& runs);
nlohmann::json training_precisions_json(const std::vector<PrecisionRun>& runs);

}  // namespace milestone06
