// mixed_bit.hpp — Module 15: which layers can take 4 bits? Sensitivity analysis and a bit budget.
//
// Layers differ in how much rounding they tolerate: the first layer of an MLP
// holds most of the weights and usually averages its errors away over 784
// inputs; the last one decides the class from few weights. Measuring beats
// guessing (HAWQ, Dong et al. 2019, ranks layers by Hessian traces; the
// measurement here is the direct version):
//
//   for each quantizable layer l and each b in {4, 8}:
//     lower ONLY layer l to b bits (int4: Int4Linear per group; int8: a static
//     QuantizedLinear calibrated on the calibration batches), every other layer FP32;
//     record the accuracy on the evaluation set and the SQNR of the model's
//     output (accuracy_validator.hpp (1), logits vs the FP32 logits).
//
// Average bits per weight of an assignment b_l (n_l = weights of layer l,
// counting what each form really stores: 4 + 16/g for int4, 8 + 32·(scales and
// zero points per channel)/K for int8, the bias left out of both — see LayerSensitivity):
//
//   avg_bits = Σ_l n_l · bits_l / Σ_l n_l                                            (1)
//
// The assignment: among all 2^L choices (L ≤ 16; greedy beyond — lower first
// the layer with the smallest isolated loss per bit saved) with avg_bits ≤ budget,
// pick the one whose predicted loss Σ_l (fp32_acc − acc_l(b_l)) is smallest (ties:
// higher output SQNR, then fewer bits). Isolated losses add up only roughly, so the
// chosen model is then built and MEASURED — the report prints both.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/perf/quant_config.hpp"

namespace tinytorch {

struct MixedBitOptions {
  int64_t int4_group_size = 32;  // int4_weights.hpp
  QuantConfig int8;              // the int8 layers: static (default per-channel minmax)
};

struct LayerSensitivity {
  std::string name;                // Sequential index: "0", "2", "4"
  int64_t in_features = 0, out_features = 0;
  int64_t weights = 0;             // n_l
  double int8_bits = 0.0;          // effective bits per weight of each form
  double int4_bits = 0.0;
  double int8_accuracy = 0.0;      // in [0, 1], only this layer lowered
  double int8_sqnr_db = 0.0;       // model output SQNR
  double int4_accuracy = 0.0;
  double int4_sqnr_db = 0.0;
};

struct SensitivityReport {
  double fp32_accuracy = 0.0;
  int64_t examples = 0;
  MixedBitOptions options;
  std::vector<LayerSensitivity> layers;
  // One row per layer: weights, then accuracy change (points) and SQNR for int8 and int4.
  std::string to_string() const;
  // {"fp32_accuracy": ..., "examples": ..., "int4_group_size": 32, "int8_config": "static/per-channel/minmax",
  //  "layers": [{"name": "0", "in_features": 784, "out_features": 256, "weights": 200704,
  //              "int8": {"bits": .., "accuracy": .., "sqnr_db": ..}, "int4": {...}}, ...]}
  // An infinite SQNR (the output did not change at all) is null: JSON has no infinity.
  std::string to_json() const;
};

// fp32_model: a Sequential of Linear and parameter-free layers (it is not changed).
// calibration_batches: float32 inputs for the int8 layers (ValueError if empty).
// eval_loader: accuracy and SQNR over all its batches. Progress lines to `log`.
SensitivityReport analyze_sensitivity(const Sequential& fp32_model, const std::vector<Tensor>& calibration_batches,
                                      DataLoader& eval_loader, const MixedBitOptions& options = {},
                                      std::FILE* log = nullptr);

struct MixedBitAssignment {
  std::vector<std::string> layer_names;
  std::vector<int> bits;              // 4 or 8 per layer, same order
  double average_bits = 0.0;          // (1)
  double predicted_loss_points = 0.0; // Σ isolated losses, percentage points
  double budget_bits = 0.0;
  std::string to_string() const;      // "0:int4 2:int8 4:int8 — 4.91 bits/weight (budget 6.00)"
  std::string to_json() const;
};

// The assignment above. ValueError when even all-int4 exceeds the budget (naming
// the smallest achievable average) or for a budget that is not finite and > 0.
MixedBitAssignment assign_mixed_bits(const SensitivityReport& report, double budget_bits);

// A copy of fp32_model with each named layer lowered as assigned: Int4Linear or a
// static QuantizedLinear (calibrated on calibration_batches, integer pipeline linked
// where two int8 layers meet). Every other layer is copied unchanged.
std::shared_ptr<Sequential> build_mixed_bit_model(const Sequential& fp32_model,
                                                  const MixedBitAssignment& assignment,
                                                  const std::vector<Tensor>& calibration_batches,
                                                  const MixedBitOptions& options = {});

}  // namespace tinytorch
