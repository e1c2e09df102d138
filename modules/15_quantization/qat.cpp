// qat.cpp — Module 15: quantization-aware training — prepare, fine-tune, convert (see qat.hpp).
//
// A QATLinear computes, in float32 and differentiably,
//
//   int8 static:       y = fq_x(x) · fq_w(W)ᵀ + b                                          (1)
//   int4 weight-only:  y = x · fq4(W)ᵀ + b                                                 (2)
//
//   fq_w(W)  = s_w[n] · clamp(round(W[n, k] / s_w[n]), −127, 127),  s_w[n] = max_k |W[n, k]| / 127
//              (config.int8.weights: choose_qparams_per_channel of the row's min and max)
//   fq_x(x)  = s_x · (clamp(round(x / s_x) + z_x, 0, 255) − z_x),   (s_x, z_x) from a moving
//              average of the batches' min and max (momentum config.activation_momentum)
//   fq4(W)   = int4_weights.hpp (1)–(3), one float16 scale per group of inputs
//
// and the backward pass is the straight-through estimator of fake_quantize.hpp:
// dL/dW = dL/dŴ · 1[inside the clamp], dL/dx = dL/dx̂ · 1[inside the clamp]. The scales
// themselves are treated as constants (no gradient flows into max |W|): they are
// recomputed from W at every call, so they follow the weights anyway.
//
// Why the converted model computes what the QAT model computed. convert() hands the
// final W to QuantizedLinear, which quantizes it with quantize_tensor — the same
// per-row min/max and the same choose_qparams_per_channel as fq_w, then the same
// quantize(); so q_w, s_w and therefore Ŵ are identical to the bit. The input
// parameters are fq_x's own (set_input_params), and quantize() and the activation
// kernels round identically (quantize_kernels.hpp), so q_x is identical too. What is
// left is arithmetic: (1) sums float products, the QuantizedLinear sums integers
// exactly, scales once and adds the bias rounded to its grid s_x·s_w[n]
// (quantized_linear.hpp), and between layers the integer pipeline requantizes with a
// fixed-point multiplier instead of float rounding. Those differ by float rounding,
// half a bias step, and — rarely, at a rounding tie — one step of a hidden activation.
#include "tinytorch/perf/qat.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/int4_weights.hpp"
#include "tinytorch/perf/layer_selection.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

namespace tinytorch {

std::string to_string(QatTarget target) {
  switch (target) {
    case QatTarget::Int8Static: return "int8_static";
    case QatTarget::Int4WeightOnly: return "int4_weight_only";
  }
  return "unknown";
}

std::string QatConfig::describe() const {
  std::string text;
  if (target == QatTarget::Int8Static) {
    const QuantSpec& w = int8.weights;
    const QuantSpec& a = int8.activations;
    text = fmt::format("QAT int8 static, weights {} {} {}, activations {} {} (moving average, momentum {})",
                       to_string(w.dtype), to_string(w.scheme), w.per_channel ? "per-channel" : "per-tensor",
                       to_string(a.dtype), to_string(a.scheme), activation_momentum);
  } else {
    text = fmt::format("QAT int4 weight-only, symmetric, group {}", int4_group_size);
  }
  if (!skip_layers.empty()) text += fmt::format(", skip_layers [\"{}\"]", fmt::join(skip_layers, "\", \""));
  return text;
}

namespace {

// What convert() will need must hold before anything is prepared: a static int8 config
// the quantized layers accept, a momentum in (0, 1], or a valid int4 group size.
void check_qat_config(const QatConfig& config, const std::string& operation) {
  if (config.target == QatTarget::Int4WeightOnly) {
    check_int4_group_size(config.int4_group_size, operation);
    return;
  }
  if (config.int8.mode != QuantMode::Static) {
    throw ValueError(fmt::format("{}: int8 config in {} mode; QAT fixes the input parameters while training "
                                 "(fq_x), which is static quantization; expected mode static",
                                 operation, to_string(config.int8.mode)));
  }
  validate_quant_config(config.int8, operation);
  if (!(config.activation_momentum > 0.0f && config.activation_momentum <= 1.0f)) {
    throw ValueError(fmt::format("{}: activation_momentum {}; expected a value in (0, 1]", operation,
                                 config.activation_momentum));
  }
}

// fq_w's parameters, from the weight as it is now: its per-row (or whole-tensor) min
// and max through choose_qparams(_per_channel) — what quantize_tensor computes when
// QuantizedLinear quantizes the final weight. A fresh observer each call: the weights
// move every step, and their quantizer must follow them, not an average of the past.
[[maybe_unused]] QParams weight_qparams(const Tensor& weight, const QuantSpec& spec) {
  std::unique_ptr<Observer> observer;
  if (spec.per_channel) {
    observer = std::make_unique<PerChannelMinMaxObserver>(spec.axis);
  } else {
    observer = std::make_unique<MinMaxObserver>();
  }
  observer->observe(weight.detach());
  return observer->compute_qparams(spec);
}

// The layer's own "bias" parameter, or an undefined tensor for a layer without one.
Tensor bias_of(const Module& layer) {
  for (const auto& [name, tensor] : layer.named_parameters()) {
    if (name == "bias") return tensor;
  }
  return Tensor();
}

// fq_w(W) of (1) or fq4(W) of (2), recorded in the graph when W requires a gradient.
Tensor fake_quantize_weight(const Tensor& weight, const QatConfig& config) {
  // BEGIN SOLUTION
  if (config.target == QatTarget::Int4WeightOnly) return fake_quantize_int4_grouped(weight, config.int4_group_size);
  return fake_quantize(weight, weight_qparams(weight, config.int8.weights));
  // END SOLUTION
}

}  // namespace

// ---- QATLinear ------------------------------------------------------------------------------

QATLinear::QATLinear(const Linear& layer, const QatConfig& config)
    : config_(config), in_features_(layer.in_features()), out_features_(layer.out_features()) {
  check_qat_config(config, "QATLinear");
  // The same tensors, not copies: an optimizer made for the float model trains this layer.
  // register_parameter switches requires_grad on; a frozen layer stays frozen.
  const Tensor weight = layer.weight();
  const bool weight_trained = weight.requires_grad();
  register_parameter("weight", weight).set_requires_grad(weight_trained);
  if (layer.has_bias()) {
    const Tensor bias = layer.bias();
    const bool bias_trained = bias.requires_grad();
    register_parameter("bias", bias).set_requires_grad(bias_trained);
  }
  if (config.target == QatTarget::Int8Static) {
    register_module("input_fake_quant",
                    std::make_shared<FakeQuantize>(config.int8.activations,
                                                   std::make_unique<MovingAverageMinMaxObserver>(
                                                       config.activation_momentum)));
  }
  train(layer.is_training());
}

Tensor QATLinear::forward(const Tensor& input) {
  if (!input.defined() || input.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("QATLinear::forward: input is {}; expected float32 (..., {})",
                                 input.defined() ? std::string(dtype_name(input.dtype())) : "undefined",
                                 in_features_));
  }
  if (input.dim() == 0 || input.shape().back() != in_features_) {
    throw ShapeError(fmt::format("QATLinear::forward: input is {} but the layer has in_features = {}; expected an "
                                 "input (..., {})",
                                 shape_str(input.shape()), in_features_, in_features_));
  }
  if (config_.target == QatTarget::Int8Static && !is_training() &&
      input_fake_quant().observer().batches_seen() == 0) {
    throw ValueError("QATLinear::forward: eval mode, but the input fake quantizer has not observed any batch yet; "
                     "run at least one forward pass in training mode first (it sets s_x and z_x)");
  }
  const Tensor rows = input.dim() == 2 ? input : reshape(input, {-1, in_features_});  // x:(B, K)
  Tensor output;
  // BEGIN SOLUTION
  // (1) / (2): x̂ = fq_x(x) (training mode: observed first), Ŵ = fq(W), y = x̂ Ŵᵀ + b.
  const Tensor seen_input = config_.target == QatTarget::Int8Static ? input_fake_quant()(rows) : rows;
  const Tensor seen_weight = fake_quantize_weight(parameter("weight"), config_);
  output = linear(seen_input, seen_weight, bias_of(*this));  // (B, K) · (N, K)ᵀ -> (B, N)
  // END SOLUTION
  if (input.dim() == 2) return output;
  Shape out_shape = input.shape();
  out_shape.back() = out_features_;
  return reshape(output, out_shape);
}

std::string QATLinear::extra_repr() const {
  const std::string features = fmt::format("in_features={}, out_features={}", in_features_, out_features_);
  if (config_.target == QatTarget::Int4WeightOnly) {
    return fmt::format("{}, int4 weight-only (group {})", features, config_.int4_group_size);
  }
  return fmt::format("{}, int8 static (weights {}, input observed)", features,
                     config_.int8.weights.per_channel ? "per-channel" : "per-tensor");
}

std::shared_ptr<Module> QATLinear::clone() const {
  const std::shared_ptr<Linear> float_copy = std::static_pointer_cast<Linear>(float_linear()->clone());
  auto copy = std::make_shared<QATLinear>(*float_copy, config_);
  // The observer keeps what it has seen: a cloned QAT model converts to the same layers.
  if (config_.target == QatTarget::Int8Static) {
    copy->child_modules().front() = child_modules().front()->clone();
  }
  copy->train(is_training());
  return copy;
}

std::shared_ptr<Linear> QATLinear::float_linear() const {
  Tensor weight = parameter("weight");
  Tensor bias = bias_of(*this);
  // Linear(W, b) switches requires_grad on (on the shared handles); keep each tensor's own setting.
  const bool weight_trained = weight.requires_grad();
  const bool bias_trained = bias.defined() && bias.requires_grad();
  auto layer = std::make_shared<Linear>(weight, bias);
  weight.set_requires_grad(weight_trained);
  if (bias.defined()) bias.set_requires_grad(bias_trained);
  layer->train(is_training());
  return layer;
}

FakeQuantize& QATLinear::input_fake_quant() {
  if (config_.target != QatTarget::Int8Static) {
    throw ValueError(fmt::format("QATLinear::input_fake_quant: the layer's target is {}; only int8_static "
                                 "quantizes its input (weight-only layers keep float32 activations)",
                                 to_string(config_.target)));
  }
  return static_cast<FakeQuantize&>(*child_modules().front());
}

Tensor QATLinear::fake_quantized_weight() const {
  NoGradGuard no_grad;
  return fake_quantize_weight(parameter("weight"), config_);
}

std::shared_ptr<Module> QATLinear::to_quantized() const {
  const std::shared_ptr<Linear> trained = float_linear();
  if (config_.target == QatTarget::Int4WeightOnly) {
    // BEGIN SOLUTION
    auto layer = std::make_shared<Int4Linear>(*trained, config_.int4_group_size);
    layer->train(is_training());
    return layer;
    // END SOLUTION
  }
  const auto& input_quantizer = static_cast<const FakeQuantize&>(*child_modules().front());
  if (input_quantizer.observer().batches_seen() == 0) {
    throw ValueError(fmt::format("QATLinear::to_quantized: no activations observed yet for the layer ({} -> {}); "
                                 "the input parameters come from fq_x's observer — train (or run a training-mode "
                                 "forward pass) before converting",
                                 in_features_, out_features_));
  }
  // BEGIN SOLUTION
  // The weights are quantized from W as fq_w did; the input grid is the one training saw.
  auto layer = std::make_shared<QuantizedLinear>(*trained, config_.int8);
  layer->set_input_params(input_quantizer.qparams());
  return layer;
  // END SOLUTION
}

// ---- prepare_qat / convert --------------------------------------------------------------------

QatSummary prepare_qat(Sequential& model, const QatConfig& config, std::FILE* log) {
  // Every check runs before the first layer is replaced: an error leaves the model as it was.
  check_qat_config(config, "prepare_qat");
  const auto linears = find_layers<Linear>(model);
  if (linears.empty()) {
    throw ValueError("prepare_qat: the model has no Linear layer to prepare (is it prepared or quantized already?)");
  }
  check_skip_layers(config.skip_layers, model, "prepare_qat");
  QatSummary summary;
  for (const auto& linear : linears) {
    if (is_skipped(config.skip_layers, linear.name)) {
      summary.skipped_layers.push_back(linear.name);
      if (log != nullptr) fmt::print(log, "layer {}: Linear kept in FP32 (skip_layers)\n", linear.name);
      continue;
    }
    auto prepared = std::make_shared<QATLinear>(*linear.layer, config);
    model.set(linear.index, prepared);
    summary.prepared_layers.push_back(linear.name);
    if (log != nullptr) {
      fmt::print(log, "layer {}: Linear({} -> {}) -> QATLinear, {}\n", linear.name, prepared->in_features(),
                 prepared->out_features(), prepared->extra_repr());
    }
  }
  return summary;
}

QuantizationSummary convert(Sequential& model, std::FILE* log) {
  const auto start = std::chrono::steady_clock::now();
  const auto prepared = find_layers<QATLinear>(model);
  if (prepared.empty()) {
    throw ValueError("convert: the model has no QATLinear layer; call prepare_qat(model, config) and fine-tune "
                     "before convert");
  }
  // Build every converted layer first (to_quantized may throw), then swap them in.
  std::vector<std::shared_ptr<Module>> converted;
  for (const auto& layer : prepared) converted.push_back(layer.layer->to_quantized());

  QuantizationSummary summary;
  bool any_int8 = false;
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    const QATLinear& qat = *prepared[i].layer;
    model.set(prepared[i].index, converted[i]);
    summary.quantized_layers.push_back(prepared[i].name);
    if (qat.config().target == QatTarget::Int8Static) {
      any_int8 = true;
      // The input observer stands in for calibration: it watched every training batch.
      const Observer& observer = static_cast<const FakeQuantize&>(*qat.named_children().front().second).observer();
      summary.calibration_batches = std::max(summary.calibration_batches, observer.batches_seen());
    }
    if (log != nullptr) {
      fmt::print(log, "layer {}: QATLinear({} -> {}) -> {}({})\n", prepared[i].name, qat.in_features(),
                 qat.out_features(), converted[i]->name(), converted[i]->extra_repr());
    }
  }
  for (const auto& linear : find_layers<Linear>(model)) summary.skipped_layers.push_back(linear.name);
  model.eval();
  if (any_int8) {
    summary.uint8_outputs = fuse_integer_pipeline(model);
    if (log != nullptr) {
      for (const std::string& name : summary.uint8_outputs) {
        fmt::print(log, "layer {}: uint8 output, requantized to the next QuantizedLinear's input\n", name);
      }
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace tinytorch
