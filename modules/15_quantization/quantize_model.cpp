// quantize_model.cpp — Module 15: quantize a whole Sequential in place (see quantize_model.hpp).
//
// Post-training quantization of a network is four steps:
//
//   1. find:       the Linear layers, minus config.skip_layers;
//   2. calibrate:  (static only) stream the calibration batches through the FP32
//                  model, layer by layer; just before each Linear to quantize, an
//                  observer watches the activation that Linear receives;
//   3. convert:    replace each Linear by a QuantizedLinear (weights quantized
//                  from their own range); in static mode fix its input (s_x, z_x)
//                  from its observer;
//   4. link:       (static only) the integer pipeline — each QuantizedLinear whose
//                  output goes (maybe through a ReLU) straight into another gets
//                  that one's input (s, z), which came from its observer, as its
//                  output parameters: uint8 flows between them, the ReLU fused.
//
// All observing happens before any layer is replaced, so every observer sees the
// activations of the FP32 model — the signal the quantized layer should reproduce.
#include "tinytorch/perf/quantize_model.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <typeinfo>
#include <utility>

#include <fmt/format.h>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/inference_scope.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/perf/layer_selection.hpp"
#include "tinytorch/perf/quantize.hpp"
#include "tinytorch/perf/quantized_linear.hpp"
#include "tinytorch/profiling/profiler.hpp"
#include "tinytorch/profiling/report.hpp"

namespace tinytorch {

namespace {

using LinearLayer = IndexedLayer<Linear>;

// A layer of the integer pipeline: static, calibrated, uint8 activations (both ends of a link).
std::shared_ptr<QuantizedLinear> pipeline_layer(const std::shared_ptr<Module>& module) {
  auto layer = std::dynamic_pointer_cast<QuantizedLinear>(module);
  const bool takes_uint8 = layer != nullptr && layer->config().mode == QuantMode::Static && layer->is_calibrated() &&
                           layer->config().activations.dtype == QDType::UInt8;
  return takes_uint8 ? layer : nullptr;
}

// A ReLU — a plain one, or one fused already (a second run of fuse_integer_pipeline).
[[maybe_unused]] bool is_relu(const Module& module) { return typeid(module) == typeid(ReLU) || typeid(module) == typeid(FusedReLU); }

// A calibration batch: float32 (..., in_features of the first Linear), finite.
void check_batch(const Tensor& batch, std::size_t index, int64_t in_features) {
  const std::string operation = fmt::format("quantize_model: calibration batch {}", index);
  if (!batch.defined() || batch.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{} is {}; expected float32", operation,
                                 batch.defined() ? std::string(dtype_name(batch.dtype())) : "undefined"));
  }
  if (batch.dim() == 0 || batch.shape().back() != in_features) {
    throw ShapeError(fmt::format("{} is {}; expected (B, {}) (the in_features of the first Linear)", operation,
                                 shape_str(batch.shape()), in_features));
  }
  check_finite(batch, operation.c_str());
}

// Step 2: one observer per Linear to quantize (null elsewhere), fed the FP32
// activations that reach it. Returns the observers by layer index.
std::vector<std::unique_ptr<Observer>> calibrate(Sequential& model, const std::vector<LinearLayer>& targets,
                                                 const std::vector<Tensor>& batches, const QuantConfig& config,
                                                 std::FILE* log) {
  std::vector<std::unique_ptr<Observer>> observers(model.size());
  for (const LinearLayer& target : targets) observers[target.index] = make_observer(config.calibration);
  const InferenceScope inference(model);
  const std::size_t progress_step = std::max<std::size_t>(1, batches.size() / 4);
  for (std::size_t b = 0; b < batches.size(); ++b) {
    // BEGIN SOLUTION
    Tensor activation = batches[b];
    for (std::size_t i = 0; i < model.size(); ++i) {
      if (observers[i]) observers[i]->observe(activation);  // the input of Linear i, from the FP32 model
      activation = model[i]->forward(activation);
    }
    // END SOLUTION
    if (log != nullptr && ((b + 1) % progress_step == 0 || b + 1 == batches.size())) {
      fmt::print(log, "calibrating {}/{} batches\n", b + 1, batches.size());
    }
  }
  return observers;
}

}  // namespace

std::vector<std::string> fuse_integer_pipeline(Sequential& model) {
  std::vector<std::string> linked;
  const auto names = model.named_children();
  for (std::size_t i = 0; i < model.size(); ++i) {
    const std::shared_ptr<QuantizedLinear> producer = pipeline_layer(model[i]);
    if (!producer) continue;
    // BEGIN SOLUTION
    const bool relu_between = i + 2 < model.size() && is_relu(*model[i + 1]);
    const std::size_t next = relu_between ? i + 2 : i + 1;
    const std::shared_ptr<QuantizedLinear> consumer = next < model.size() ? pipeline_layer(model[next]) : nullptr;
    if (!consumer) continue;
    // The consumer takes uint8 as quantized with its input parameters: the producer requantizes to exactly those.
    producer->set_output_params(consumer->input_params(), relu_between);
    if (relu_between && typeid(*model[i + 1]) == typeid(ReLU)) {
      auto fused = std::make_shared<FusedReLU>();
      fused->train(model[i + 1]->is_training());
      model.set(i + 1, fused);
    }
    // END SOLUTION
    linked.push_back(names[i].first);
  }
  return linked;
}

QuantizationSummary quantize_model(Sequential& model, const std::vector<Tensor>& calibration_batches,
                                   const QuantConfig& config, std::FILE* log, BetweenLayers between_layers) {
  const auto start = std::chrono::steady_clock::now();
  // 1. find
  const std::vector<LinearLayer> linears = find_layers<Linear>(model);
  if (linears.empty()) {
    throw ValueError("quantize_model: the model has no Linear layer to quantize (is it quantized already?)");
  }
  check_skip_layers(config.skip_layers, model, "quantize_model");
  QuantizationSummary summary;
  std::vector<LinearLayer> targets;
  for (const LinearLayer& linear : linears) {
    if (is_skipped(config.skip_layers, linear.name)) {
      summary.skipped_layers.push_back(linear.name);
    } else {
      targets.push_back(linear);
    }
  }

  // 2. calibrate (static only)
  std::vector<std::unique_ptr<Observer>> observers;
  if (config.mode == QuantMode::Static) {
    if (calibration_batches.empty()) {
      throw ValueError("quantize_model: static mode needs calibration data to fix each layer's input scale and "
                       "zero point; got no batches (pass some, or use mode: dynamic)");
    }
    if (config.calibration.max_batches < 0) {
      throw ValueError(fmt::format("quantize_model: calibration.max_batches = {}; expected >= 0 (0: all batches)",
                                   config.calibration.max_batches));
    }
    const std::size_t limit = static_cast<std::size_t>(config.calibration.max_batches);
    const std::size_t used = limit == 0 ? calibration_batches.size() : std::min(limit, calibration_batches.size());
    const std::vector<Tensor> batches(calibration_batches.begin(), calibration_batches.begin() + used);
    for (std::size_t b = 0; b < batches.size(); ++b) {
      check_batch(batches[b], b, linears.front().layer->in_features());
      summary.calibration_samples += batches[b].numel() / linears.front().layer->in_features();
    }
    summary.calibration_batches = static_cast<int64_t>(batches.size());
    observers = calibrate(model, targets, batches, config, log);
  }

  // 3. convert
  for (const LinearLayer& target : targets) {
    auto quantized = std::make_shared<QuantizedLinear>(*target.layer, config);
    if (config.mode == QuantMode::Static) {
      quantized->set_input_params(observers[target.index]->compute_qparams(config.activations));
    }
    model.set(target.index, quantized);
    summary.quantized_layers.push_back(target.name);
    if (log != nullptr) {
      fmt::print(log, "layer {}: Linear({} -> {}) -> QuantizedLinear, weights {}, input {}\n", target.name,
                 target.layer->in_features(), target.layer->out_features(), quantized->weight_params().to_string(),
                 config.mode == QuantMode::Static ? quantized->input_params().to_string() : "per batch (dynamic)");
    }
  }
  if (log != nullptr) {
    for (const std::string& name : summary.skipped_layers) fmt::print(log, "layer {}: Linear kept in FP32 (skip_layers)\n", name);
  }

  // 4. link (static only)
  if (config.mode == QuantMode::Static && between_layers == BetweenLayers::Uint8) {
    summary.uint8_outputs = fuse_integer_pipeline(model);
    if (log != nullptr) {
      for (const auto& [name, layer] : model.named_children()) {
        const auto& linked = summary.uint8_outputs;
        if (std::find(linked.begin(), linked.end(), name) == linked.end()) continue;
        const auto& producer = static_cast<const QuantizedLinear&>(*layer);
        fmt::print(log, "layer {}: uint8 output, requantized to the next QuantizedLinear's input{}\n", name,
                   producer.fused_relu() ? ", ReLU fused" : "");
      }
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

QuantizationSummary quantize_model(Sequential& model, DataLoader& calibration_loader, const QuantConfig& config,
                                   std::FILE* log, BetweenLayers between_layers) {
  std::vector<Tensor> batches;
  if (config.mode == QuantMode::Static) {
    const int64_t limit = config.calibration.max_batches;
    for (const Batch& batch : calibration_loader) {
      if (limit > 0 && static_cast<int64_t>(batches.size()) >= limit) break;
      batches.push_back(batch.inputs);
    }
  }
  return quantize_model(model, batches, config, log, between_layers);
}

// ---- sizes ---------------------------------------------------------------------------------

namespace {

// What a module stores, as the profiler counts it: the bytes of its parameters
// and buffers (children included), or what its LayerCounter says it stores.
int64_t stored_bytes(const Module& module) { return total_bytes(count_bytes(stored_tensors(module))); }

double ratio_of(int64_t original_bytes, int64_t quantized_bytes) {
  return quantized_bytes > 0 ? static_cast<double>(original_bytes) / static_cast<double>(quantized_bytes) : 0.0;
}

}  // namespace

SizeReport analyze_model_sizes(const Module& original, const Module& quantized) {
  const auto original_layers = original.named_children();
  const auto quantized_layers = quantized.named_children();
  if (original_layers.size() != quantized_layers.size()) {
    throw ValueError(fmt::format("analyze_model_sizes: the original model has {} layers and the quantized one {}; "
                                 "expected the same layer structure",
                                 original_layers.size(), quantized_layers.size()));
  }
  SizeReport report;
  for (std::size_t i = 0; i < original_layers.size(); ++i) {
    LayerSize row;
    row.name = original_layers[i].first;
    row.original_kind = original_layers[i].second->name();
    row.quantized_kind = quantized_layers[i].second->name();
    row.original_bytes = stored_bytes(*original_layers[i].second);
    row.quantized_bytes = stored_bytes(*quantized_layers[i].second);
    if (row.original_bytes > 0 || row.quantized_bytes > 0) report.layers.push_back(std::move(row));
  }
  report.original_bytes = stored_bytes(original);
  report.quantized_bytes = stored_bytes(quantized);
  report.compression_ratio = ratio_of(report.original_bytes, report.quantized_bytes);
  return report;
}

std::string SizeReport::to_string() const {
  std::string out = fmt::format("{:<6} {:<12} {:<16} {:>14} {:>16} {:>7}\n", "layer", "original", "quantized",
                                "original bytes", "quantized bytes", "ratio");
  for (const LayerSize& layer : layers) {
    out += fmt::format("{:<6} {:<12} {:<16} {:>14} {:>16} {:>6.2f}x\n", layer.name, layer.original_kind,
                       layer.quantized_kind, with_thousands(layer.original_bytes),
                       with_thousands(layer.quantized_bytes), ratio_of(layer.original_bytes, layer.quantized_bytes));
  }
  out += fmt::format("{:<6} {:<12} {:<16} {:>14} {:>16} {:>6.2f}x\n", "total", "", "", with_thousands(original_bytes),
                     with_thousands(quantized_bytes), compression_ratio);
  return out;
}

}  // namespace tinytorch
