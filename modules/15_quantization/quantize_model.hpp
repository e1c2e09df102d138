// quantize_model.hpp — Module 15: quantize a whole network in place.
//
// quantize_model(model, calibration_batches, config) replaces every Linear of a
// Sequential (except config.skip_layers) by a QuantizedLinear:
//
//   static:  1. every calibration batch runs through the FP32 model; before each
//               Linear, an observer (config.calibration.method) watches its input;
//            2. each Linear becomes a QuantizedLinear whose input parameters come
//               from its observer — fixed from then on;
//            3. the integer pipeline (fuse_integer_pipeline below): a QuantizedLinear
//               followed by another — directly or through a ReLU — gets the next one's
//               input parameters as its output parameters and hands it uint8, the
//               ReLU fused into its clamp (quantized_linear.hpp). The model then runs
//               float -> uint8 -> ... -> uint8 -> float: one quantize at the start,
//               one dequantize at the end, integers in between.
//   dynamic: each Linear becomes a QuantizedLinear that picks its input
//            parameters from every batch at run time; no calibration data needed
//            (and no pipeline: uint8 needs fixed parameters on both sides).
//
// Observing the FP32 model's activations (not the partly quantized model's) is
// what PyTorch's prepare/convert and TensorRT's calibrators do: every layer is
// calibrated on the same, undistorted signal.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/perf/quant_config.hpp"

namespace tinytorch {

struct QuantizationSummary {
  std::vector<std::string> quantized_layers;  // Sequential indices: "0", "2", "4"
  std::vector<std::string> skipped_layers;    // Linear layers left in FP32 by skip_layers
  int64_t calibration_batches = 0;            // batches observed (0 for dynamic)
  int64_t calibration_samples = 0;
  std::vector<std::string> uint8_outputs;     // integer pipeline: layers that hand uint8 to the next ("0", "2")
  double seconds = 0.0;
};

// How activations travel from one QuantizedLinear to the next in static mode.
enum class BetweenLayers {
  Uint8,    // the integer pipeline (the default): requantized in the GEMM's epilogue, ReLU fused
  Float32,  // dequantized after every layer and quantized again by the next (module 15's first version)
};

// Static mode needs at least one batch (ValueError otherwise); batches are
// float32 (B, in_features of the first Linear). Only the first
// config.calibration.max_batches are used (all when it is 0). Progress lines
// ("calibrating 12/32 batches", "layer 0: Linear(784 -> 256) -> QuantizedLinear ...")
// go to `log` (nullptr: silent). A skip_layers entry that names no Linear of the
// model is a ValueError listing the Linear layers there are, and so is a model
// with no Linear at all (one quantized already); either way the model is left unchanged.
// `between_layers` switches the integer pipeline off (it only matters in static mode).
QuantizationSummary quantize_model(Sequential& model, const std::vector<Tensor>& calibration_batches,
                                   const QuantConfig& config = {}, std::FILE* log = nullptr,
                                   BetweenLayers between_layers = BetweenLayers::Uint8);
// The same with batches drawn from a loader (the inputs of its first max_batches batches).
QuantizationSummary quantize_model(Sequential& model, DataLoader& calibration_loader, const QuantConfig& config = {},
                                   std::FILE* log = nullptr, BetweenLayers between_layers = BetweenLayers::Uint8);

// ---- the integer pipeline ----------------------------------------------------------------
// Links every QuantizedLinear i to the next QuantizedLinear j when j follows i directly
// or through one ReLU, and both are static, calibrated and take uint8 activations:
//   i.set_output_params(j.input_params(), /*fuse_relu=*/ a ReLU sits between), and that
//   ReLU becomes a FusedReLU (the identity on uint8; a ReLU on float).
// Anything else between them (Dropout, Sigmoid, a Linear kept in FP32) leaves float32
// there. Running it again re-links — needed after re-calibrating a layer, whose new
// input parameters its producer must then requantize to. A link is never undone (a layer
// keeps its output parameters): for float between layers, quantize the FP32 model again
// with BetweenLayers::Float32. Returns the producers' names.
std::vector<std::string> fuse_integer_pipeline(Sequential& model);

// ---- sizes -----------------------------------------------------------------------------
struct LayerSize {
  std::string name;  // "0", "2", ...
  std::string original_kind;
  std::string quantized_kind;
  int64_t original_bytes = 0;
  int64_t quantized_bytes = 0;
};

// A layer of the integer pipeline stores its output scale and zero point too (8 bytes).
struct SizeReport {
  std::vector<LayerSize> layers;  // layers that store something
  int64_t original_bytes = 0;     // Σ bytes of parameters and buffers
  int64_t quantized_bytes = 0;
  double compression_ratio = 0.0;  // original / quantized
  // A table: one row per layer, then the totals and the ratio.
  std::string to_string() const;
};

// Compares what two models with the same layer structure store (parameters +
// buffers, per top-level layer). ValueError if the layer counts differ.
SizeReport analyze_model_sizes(const Module& original, const Module& quantized);

}  // namespace tinytorch
