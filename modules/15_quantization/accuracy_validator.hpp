// accuracy_validator.hpp — Module 15: did quantization hurt, and where?
//
// Accuracy answers "how much"; the signal-to-quantization-noise ratio of each
// layer's output answers "where":
//
//   SQNR(y, ŷ) = 10 · log10( Σ y² / Σ (y − ŷ)² )   dB                            (1)
//
// y is the FP32 layer output, ŷ the quantized one. Each 6 dB is one bit: an
// ideal 8-bit quantizer of a full-range uniform signal gives about 48 dB; a
// layer below ~20 dB is losing information that later layers cannot recover.
// Two numbers per layer:
//
//   cumulative  ŷ from the quantized model run from the start: the error that
//               reaches this point through all earlier layers;
//   isolated    ŷ from this quantized layer fed the FP32 input: the error this
//               layer adds by itself. The lowest isolated SQNR is flagged as the
//               layer that hurts most — the first candidate to keep in FP32
//               (config skip_layers) or to calibrate differently.
//
// The integer pipeline (quantize_model.hpp) hands uint8 from layer to layer. A
// uint8 output is compared in real values: dequantized, x̂ = s_y·(q − z_y), with the
// output_params() of the QuantizedLinear that produced it (a FusedReLU passes the
// same uint8 tensor on, so its output is read with the same parameters). A
// QuantizedLinear whose clamp includes the next ReLU (fused_relu()) is compared
// with ReLU(y): the ReLU is part of what it computes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/data/dataloader.hpp"

namespace tinytorch {

// (1) over all elements; +infinity when ŷ == y exactly. ShapeError if the shapes
// differ; ValueError if y is all zeros (no signal to compare against).
double sqnr_db(const Tensor& reference, const Tensor& approximation);

struct LayerSQNR {
  std::string name;  // "0", "1", ...
  std::string kind;  // the quantized model's layer: "QuantizedLinear", "ReLU", ...
  double cumulative_db = 0.0;
  double isolated_db = 0.0;
  bool worst = false;  // the lowest isolated SQNR among layers that change their input
};

struct ValidationReport {
  int64_t examples = 0;
  double fp32_accuracy = 0.0;       // in [0, 1]
  double quantized_accuracy = 0.0;
  double accuracy_drop_points = 0.0;  // 100 · (fp32 − quantized): percentage points
  double prediction_agreement = 0.0;  // fraction of examples where both predict the same class
  std::vector<LayerSQNR> layers;
  std::string worst_layer;  // name of the flagged layer ("" if none)
  // The accuracies and a per-layer table, the flagged layer marked "<- hurts most".
  std::string to_string() const;
};

// Evaluates both models on every batch of `loader` (eval mode, no gradients)
// and measures per-layer SQNR on its first `sqnr_batches` batches (0: no layer
// table; negative: ValueError). The models must be Sequentials with the same
// number of layers (ValueError otherwise); their training modes are restored.
// A layer whose FP32 output is all zeros but whose quantized one is not gets −inf.
ValidationReport validate_quantized_model(Sequential& fp32_model, Sequential& quantized_model, DataLoader& loader,
                                          int64_t sqnr_batches = 4);

}  // namespace tinytorch
