// accuracy_validator.cpp — Module 15: FP32 vs quantized accuracy, and the SQNR of every layer (see accuracy_validator.hpp).
//
//   SQNR = 10 · log10( Σ y² / Σ (y − ŷ)² )  dB                                         (1)
//
// The sums run over every element of every measured batch (not an average of
// per-batch dB values: a batch with little signal must not count as much as one
// with a lot). Walking the two Sequentials layer by layer gives both numbers of
// a layer from the same batch:
//
//   h = FP32 input of layer i,  h_q = the quantized model's input of layer i
//   y = fp32[i](h)   cumulative: ŷ = quantized[i](h_q)   isolated: ŷ = quantized[i](h)
//
// In the integer pipeline h_q and ŷ may be uint8; ŷ is then read as real values
// through the parameters of the QuantizedLinear that made the integers (real_values).
#include "tinytorch/perf/accuracy_validator.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/inference_scope.hpp"
#include "tinytorch/core/metrics.hpp"
#include "tinytorch/perf/quantize.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

namespace tinytorch {

namespace {

void check_comparable(const Tensor& reference, const Tensor& approximation, const char* operation) {
  if (!reference.defined() || !approximation.defined()) {
    throw ValueError(fmt::format("{}: a tensor is undefined", operation));
  }
  if (reference.dtype() != DType::Float32 || approximation.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: tensors of dtype {} and {}; expected float32", operation,
                                 dtype_name(reference.dtype()), dtype_name(approximation.dtype())));
  }
  if (reference.shape() != approximation.shape()) {
    throw ShapeError(fmt::format("{}: reference is {}, approximation is {}; expected the same shape", operation,
                                 shape_str(reference.shape()), shape_str(approximation.shape())));
  }
  check_finite(reference, operation);
  check_finite(approximation, operation);
}

// The two sums of (1), accumulated over batches.
struct SquaredSums {
  double signal = 0.0;  // Σ y²
  double noise = 0.0;   // Σ (y − ŷ)²

  void add(const Tensor& reference, const Tensor& approximation, const char* operation) {
    check_comparable(reference, approximation, operation);
    const Tensor y = reference.contiguous();
    const Tensor y_hat = approximation.contiguous();
    // BEGIN SOLUTION
    const float* y_values = y.data<float>();
    const float* y_hat_values = y_hat.data<float>();
    for (int64_t i = 0; i < y.numel(); ++i) {
      const double value = y_values[i];
      const double error = value - static_cast<double>(y_hat_values[i]);
      signal += value * value;
      noise += error * error;
    }
    // END SOLUTION
  }

  // (1); +inf when there is no noise at all, −inf when there is noise but no signal.
  double db() const {
    if (noise == 0.0) return std::numeric_limits<double>::infinity();
    // BEGIN SOLUTION
    return 10.0 * std::log10(signal / noise);
    // END SOLUTION
  }
};

// "38.2 dB", "inf"
std::string db_str(double db) {
  if (std::isinf(db)) return db > 0 ? "inf" : "-inf";
  return fmt::format("{:.1f} dB", db);
}

}  // namespace

double sqnr_db(const Tensor& reference, const Tensor& approximation) {
  SquaredSums sums;
  sums.add(reference, approximation, "sqnr_db");
  if (sums.signal == 0.0) {
    throw ValueError(fmt::format("sqnr_db: the reference {} is all zeros; the SQNR needs a signal to compare the "
                                 "error against",
                                 shape_str(reference.shape())));
  }
  return sums.db();
}

namespace {

// Examples on which the two models predict the same class (argmax of the logits).
int64_t count_agreement(const Tensor& fp32_logits, const Tensor& quantized_logits) {
  const std::vector<int32_t> fp32_classes = argmax(fp32_logits, -1).to_int32_vector();
  const std::vector<int32_t> quantized_classes = argmax(quantized_logits, -1).to_int32_vector();
  int64_t agree = 0;
  for (std::size_t i = 0; i < fp32_classes.size(); ++i) agree += fp32_classes[i] == quantized_classes[i] ? 1 : 0;
  return agree;
}

// The worst layer: the lowest isolated SQNR among the layers whose quantized
// version changes its output at all (a ReLU, or a Linear kept in FP32, adds no noise).
void flag_worst_layer(ValidationReport& report, const std::vector<SquaredSums>& isolated) {
  int64_t worst = -1;
  for (std::size_t i = 0; i < report.layers.size(); ++i) {
    if (isolated[i].noise == 0.0) continue;
    if (worst < 0 || report.layers[i].isolated_db < report.layers[static_cast<std::size_t>(worst)].isolated_db) {
      worst = static_cast<int64_t>(i);
    }
  }
  if (worst >= 0) {
    report.layers[static_cast<std::size_t>(worst)].worst = true;
    report.worst_layer = report.layers[static_cast<std::size_t>(worst)].name;
  }
}

// The grid of the uint8 tensor `layer` outputs when its input was on `input_grid`:
// a QuantizedLinear of the integer pipeline requantizes to its output parameters; any
// other QuantizedLinear returns float32 (no grid); another layer given uint8 (a
// FusedReLU) passes the same integers on.
const QParams* output_grid(const Module& layer, const QParams* input_grid) {
  if (const auto* quantized = dynamic_cast<const QuantizedLinear*>(&layer)) {
    return quantized->has_output_params() ? &quantized->output_params() : nullptr;
  }
  return input_grid;
}

// What quantized layer `layer` should reproduce of the FP32 layer's output y: y itself, or
// ReLU(y) for a QuantizedLinear with a ReLU fused into its clamp — the ReLU is then part of
// what it computes (and the FusedReLU after it is the identity on both sides).
Tensor reference_for(const Module& layer, const Tensor& fp32_output) {
  const auto* quantized = dynamic_cast<const QuantizedLinear*>(&layer);
  return quantized != nullptr && quantized->fused_relu() ? relu(fp32_output) : fp32_output;
}

// A layer output as float32 real values: itself, or a uint8 output dequantized on its grid.
Tensor real_values(const Tensor& output, const QParams* grid, std::size_t layer_index) {
  if (output.dtype() != DType::UInt8) return output;
  if (grid == nullptr) {
    throw ValueError(fmt::format("validate_quantized_model: layer {} of the quantized model returned uint8 {} but no "
                                 "QuantizedLinear before it says on which grid; expected float32, or uint8 from the "
                                 "integer pipeline",
                                 layer_index, shape_str(output.shape())));
  }
  return dequantize(output, *grid);
}

}  // namespace

ValidationReport validate_quantized_model(Sequential& fp32_model, Sequential& quantized_model, DataLoader& loader,
                                          int64_t sqnr_batches) {
  if (fp32_model.size() != quantized_model.size()) {
    throw ValueError(fmt::format("validate_quantized_model: the FP32 model has {} layers and the quantized one {}; "
                                 "expected the same layers, one for one",
                                 fp32_model.size(), quantized_model.size()));
  }
  if (sqnr_batches < 0) {
    throw ValueError(fmt::format("validate_quantized_model: sqnr_batches = {}; expected >= 0", sqnr_batches));
  }
  const InferenceScope fp32_inference(fp32_model);
  const InferenceScope quantized_inference(quantized_model);
  const std::size_t layer_count = fp32_model.size();
  std::vector<SquaredSums> cumulative(layer_count), isolated(layer_count);
  ValidationReport report;
  int64_t fp32_correct = 0, quantized_correct = 0, agreeing = 0, batch_index = 0;

  for (const Batch& batch : loader) {
    Tensor fp32_logits, quantized_logits;
    if (batch_index < sqnr_batches) {
      // Layer by layer: the logits come out of the same walk.
      Tensor fp32_input = batch.inputs, quantized_input = batch.inputs;
      const QParams* quantized_grid = nullptr;  // the grid of quantized_input when it is uint8
      for (std::size_t i = 0; i < layer_count; ++i) {
        Module& layer = *quantized_model[i];
        const Tensor fp32_output = fp32_model[i]->forward(fp32_input);
        const Tensor quantized_output = layer.forward(quantized_input);
        quantized_grid = quantized_output.dtype() == DType::UInt8 ? output_grid(layer, quantized_grid) : nullptr;
        const Tensor reference = reference_for(layer, fp32_output);
        cumulative[i].add(reference, real_values(quantized_output, quantized_grid, i),
                          "validate_quantized_model (cumulative)");
        // Fed the FP32 (float32) input, the layer starts from no grid.
        isolated[i].add(reference, real_values(layer.forward(fp32_input), output_grid(layer, nullptr), i),
                        "validate_quantized_model (isolated)");
        fp32_input = fp32_output;
        quantized_input = quantized_output;
      }
      fp32_logits = fp32_input;
      quantized_logits = real_values(quantized_input, quantized_grid, layer_count - 1);
    } else {
      fp32_logits = fp32_model(batch.inputs);
      quantized_logits = quantized_model(batch.inputs);
    }
    fp32_correct += count_correct(fp32_logits, batch.labels);
    quantized_correct += count_correct(quantized_logits, batch.labels);
    agreeing += count_agreement(fp32_logits, quantized_logits);
    report.examples += batch.size();
    ++batch_index;
  }
  if (report.examples == 0) throw ValueError("validate_quantized_model: the loader gave no examples");

  const double examples = static_cast<double>(report.examples);
  report.fp32_accuracy = static_cast<double>(fp32_correct) / examples;
  report.quantized_accuracy = static_cast<double>(quantized_correct) / examples;
  report.accuracy_drop_points = 100.0 * (report.fp32_accuracy - report.quantized_accuracy);
  report.prediction_agreement = static_cast<double>(agreeing) / examples;
  if (sqnr_batches > 0) {
    const auto names = fp32_model.named_children();
    for (std::size_t i = 0; i < layer_count; ++i) {
      report.layers.push_back({names[i].first, quantized_model[i]->name(), cumulative[i].db(), isolated[i].db(), false});
    }
    flag_worst_layer(report, isolated);
  }
  return report;
}

std::string ValidationReport::to_string() const {
  std::string out = fmt::format("validation on {} examples\n", examples);
  out += fmt::format("  FP32 accuracy        {:6.2f}%\n", 100.0 * fp32_accuracy);
  // quantized − FP32, not −drop: an unchanged accuracy prints "+0.00", never "-0.00".
  out += fmt::format("  quantized accuracy   {:6.2f}%  ({:+.2f} points)\n", 100.0 * quantized_accuracy,
                     100.0 * (quantized_accuracy - fp32_accuracy));
  out += fmt::format("  predictions agree    {:6.2f}%\n", 100.0 * prediction_agreement);
  if (layers.empty()) return out;
  out += fmt::format("  {:<6} {:<16} {:>16} {:>14}\n", "layer", "kind", "cumulative SQNR", "isolated SQNR");
  for (const LayerSQNR& layer : layers) {
    out += fmt::format("  {:<6} {:<16} {:>16} {:>14}{}\n", layer.name, layer.kind, db_str(layer.cumulative_db),
                       db_str(layer.isolated_db), layer.worst ? "  <- hurts most" : "");
  }
  return out;
}

}  // namespace tinytorch
