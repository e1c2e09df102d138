// quantized_linear.cpp — Module 15: QuantizedLinear, y = x Wᵀ + b with int8 weights and int32 multiply-adds.
//
// The lesson, in the order forward() runs it (quantized_linear.hpp has the buffers):
//
//   x ≈ s_x (q_x − z_x)            the input, quantized per tensor          quantize()        (quantize.hpp)
//   W ≈ s_w[n] (q_w − z_w[n])       the weights, quantized once             quantize_tensor() (constructor)
//   acc = Σ_k (q_x − z_x)(q_w − z_w) exact, in int32                        integer_matmul()  (integer_matmul.hpp)
//   y = s_x · s_w[n] · (acc + q_b[n])   static:  q_b = round(b / (s_x s_w[n]))   requantize_static()
//   y = s_x · s_w[n] · acc + b[n]       dynamic: the float bias added after      requantize_dynamic()
//
// Why the bias is quantized at scale s_x·s_w[n]: that is the scale of acc, so
// q_b adds to the accumulator directly — one integer add, and the whole output
// gets its one float multiply at the end. The cost is the rounding of q_b, at
// most s_x·s_w[n]/2 per output. In dynamic mode s_x is new every batch, so
// instead of re-quantizing the bias each time it is added in float (exactly).
//
// Static vs dynamic input parameters: static fixes (s_x, z_x) once from
// calibration data (calibrate / set_input_params) — no work at run time, but an
// input outside the calibrated range clips. Dynamic measures each batch's
// min and max (a MinMaxObserver over the batch) — never clips, costs one pass.
#include "tinytorch/perf/quantized_linear.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "tinytorch/perf/integer_matmul.hpp"
#include "tinytorch/profiling/flops.hpp"

namespace tinytorch {

namespace {

// ---- checks ---------------------------------------------------------------------------

// x:(..., K) float32.
void check_input(const Tensor& x, int64_t in_features, const char* operation) {
  if (!x.defined()) throw ValueError(fmt::format("{}: the input is undefined", operation));
  if (x.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: input of dtype {} {}; expected float32", operation, dtype_name(x.dtype()),
                                 shape_str(x.shape())));
  }
  if (x.dim() == 0 || x.shape().back() != in_features) {
    throw ShapeError(fmt::format("{}: input is {} but the layer has in_features = {}; expected an input (..., {})",
                                 operation, shape_str(x.shape()), in_features, in_features));
  }
}

// One per-tensor (s, z) with a finite s > 0 and z inside the type's range.
void check_input_params(const QParams& params, const QuantSpec& activations, const char* operation) {
  if (params.per_channel() || params.scale.size() != 1 || params.zero_point.size() != 1) {
    throw ValueError(fmt::format("{}: input parameters {}; expected per-tensor parameters (one scale, one zero point)",
                                 operation, params.to_string()));
  }
  if (params.dtype != activations.dtype) {
    throw ValueError(fmt::format("{}: input parameters of type {} but the config quantizes activations to {}",
                                 operation, to_string(params.dtype), to_string(activations.dtype)));
  }
  const QuantRange range = params.range();
  if (!(params.scale[0] > 0.0f) || !std::isfinite(params.scale[0]) || params.zero_point[0] < range.min ||
      params.zero_point[0] > range.max) {
    throw ValueError(fmt::format("{}: input scale {} and zero point {}; expected a finite scale > 0 and a zero point "
                                 "in [{}, {}]",
                                 operation, params.scale[0], params.zero_point[0], range.min, range.max));
  }
}

// ---- the arithmetic ---------------------------------------------------------------------

// s_w[n] of a per-channel or per-tensor parameter set.
float weight_scale_of(const QParams& weight_params, int64_t n) {
  return weight_params.scale[weight_params.per_channel() ? static_cast<std::size_t>(n) : 0];
}

// integer_matmul takes one zero point per output row; a per-tensor z_w is repeated.
std::vector<int32_t> zero_point_per_row(const QParams& weight_params, int64_t rows) {
  if (weight_params.per_channel()) return weight_params.zero_point;
  return std::vector<int32_t>(static_cast<std::size_t>(rows), weight_params.zero_point[0]);
}

// Dynamic mode: (s_x, z_x) from this batch's own min and max — a MinMaxObserver
// that watches one batch is exactly that.
QParams batch_input_params(const Tensor& x, const QuantSpec& activations) {
  // BEGIN SOLUTION
  MinMaxObserver observer;
  observer.observe(x);
  return observer.compute_qparams(activations);
  // END SOLUTION
}

// acc:(M,N) int32 -> y:(M,N) float32,  y[m, n] = s_x · s_w[n] · (acc[m, n] + q_b[n]).
// q_b (int32 (N)) may be undefined: a layer without bias.
Tensor requantize_static(const Tensor& acc, float input_scale, const QParams& weight_params, const Tensor& bias_int32) {
  const int64_t M = acc.shape()[0];
  const int64_t N = acc.shape()[1];
  const int32_t* acc_values = acc.data<int32_t>();
  const int32_t* bias = bias_int32.defined() ? bias_int32.data<int32_t>() : nullptr;
  Tensor y = Tensor::empty({M, N});
  float* out = y.data<float>();
  // BEGIN SOLUTION
  for (int64_t n = 0; n < N; ++n) {
    const float output_scale = input_scale * weight_scale_of(weight_params, n);
    const int64_t bias_steps = bias != nullptr ? bias[n] : 0;
    for (int64_t m = 0; m < M; ++m) {
      // int64: acc and q_b are each int32, their sum may not be.
      out[m * N + n] = output_scale * static_cast<float>(int64_t{acc_values[m * N + n]} + bias_steps);
    }
  }
  // END SOLUTION
  return y;
}

// acc:(M,N) int32 -> y:(M,N) float32,  y[m, n] = s_x · s_w[n] · acc[m, n] + b[n].
// b (float32 (N)) may be undefined: a layer without bias.
Tensor requantize_dynamic(const Tensor& acc, float input_scale, const QParams& weight_params, const Tensor& bias_fp32) {
  const int64_t M = acc.shape()[0];
  const int64_t N = acc.shape()[1];
  const int32_t* acc_values = acc.data<int32_t>();
  const float* bias = bias_fp32.defined() ? bias_fp32.data<float>() : nullptr;
  Tensor y = Tensor::empty({M, N});
  float* out = y.data<float>();
  // BEGIN SOLUTION
  for (int64_t n = 0; n < N; ++n) {
    const float output_scale = input_scale * weight_scale_of(weight_params, n);
    const float bias_value = bias != nullptr ? bias[n] : 0.0f;
    for (int64_t m = 0; m < M; ++m) {
      out[m * N + n] = output_scale * static_cast<float>(acc_values[m * N + n]) + bias_value;
    }
  }
  // END SOLUTION
  return y;
}

// ---- the profiler's row ------------------------------------------------------------------

// Tells the profiler (flops.hpp) what one forward pass computes: the same
// multiply-adds and bias adds as the FP32 Linear. What the layer stores is its
// buffers, which the profiler counts by default. Run from the constructors (a
// function-local static: once, thread-safe), so it happens whenever a
// QuantizedLinear exists — a static initializer could be dropped by the linker.
void register_profiler_row() {
  static const bool registered = [] {
    register_layer_counter<QuantizedLinear>([](const QuantizedLinear& layer, const Shape& input_shape, const Shape&) {
      return count_linear(input_shape, layer.in_features(), layer.out_features(), layer.has_bias());
    });
    return true;
  }();
  (void)registered;
}

// ---- the parts of a layer read from a file --------------------------------------------------

void check_weight_parts(const QuantizedLinear::Parts& parts) {
  constexpr const char* operation = "QuantizedLinear(parts)";
  const Tensor& values = parts.weight.values;
  const QParams& params = parts.weight.params;
  if (!values.defined() || values.dtype() != DType::Int8) {
    throw DTypeError(fmt::format("{}: weight is {}; expected int8 (N, K)", operation,
                                 values.defined() ? std::string(dtype_name(values.dtype())) : "undefined"));
  }
  if (values.dim() != 2 || values.shape()[0] < 1 || values.shape()[1] < 1) {
    throw ShapeError(fmt::format("{}: weight is {}; expected (N, K) with N, K >= 1", operation,
                                 shape_str(values.shape())));
  }
  validate_quant_config(parts.config, operation);
  if (params.dtype != parts.config.weights.dtype || params.per_channel() != parts.config.weights.per_channel) {
    throw ValueError(fmt::format("{}: weight parameters {} disagree with the config's weights ({} {})", operation,
                                 params.to_string(), to_string(parts.config.weights.dtype),
                                 parts.config.weights.per_channel ? "per-channel" : "per-tensor"));
  }
  const int64_t channels = params.per_channel() ? values.shape()[0] : 1;
  if ((params.per_channel() && params.axis != 0) || params.channels() != channels ||
      static_cast<int64_t>(params.zero_point.size()) != channels) {
    throw ShapeError(fmt::format("{}: {} weight scales and {} zero points (axis {}) for a weight {}; expected {} of "
                                 "each",
                                 operation, params.scale.size(), params.zero_point.size(), params.axis,
                                 shape_str(values.shape()), channels));
  }
  const QuantRange range = params.range();
  for (int64_t c = 0; c < channels; ++c) {
    const float scale = params.scale[static_cast<std::size_t>(c)];
    const int32_t zero_point = params.zero_point[static_cast<std::size_t>(c)];
    if (!(scale > 0.0f) || !std::isfinite(scale) || zero_point < range.min || zero_point > range.max) {
      throw ValueError(fmt::format("{}: weight_scale {} / weight_zero_point {} of channel {}; expected a finite "
                                   "scale > 0 and a zero point in [{}, {}]",
                                   operation, scale, zero_point, c, range.min, range.max));
    }
  }
  const Tensor contiguous = values.contiguous();
  const int8_t* q = contiguous.data<int8_t>();
  for (int64_t i = 0; i < contiguous.numel(); ++i) {
    if (q[i] < range.min || q[i] > range.max) {
      throw ValueError(fmt::format("{}: weight element {} is {}; expected {} values in [{}, {}]", operation, i,
                                   int{q[i]}, to_string(params.dtype), range.min, range.max));
    }
  }
}

void check_bias_part(const Tensor& bias, DType dtype, int64_t out_features, const char* label) {
  if (!bias.defined()) return;
  if (bias.dtype() != dtype) {
    throw DTypeError(fmt::format("QuantizedLinear(parts): {} is {}; expected {}", label, dtype_name(bias.dtype()),
                                 dtype_name(dtype)));
  }
  if (bias.shape() != Shape{out_features}) {
    throw ShapeError(fmt::format("QuantizedLinear(parts): {} is {}; expected ({}) = (out_features)", label,
                                 shape_str(bias.shape()), out_features));
  }
}

void check_bias_and_input_parts(const QuantizedLinear::Parts& parts) {
  constexpr const char* operation = "QuantizedLinear(parts)";
  const int64_t out_features = parts.weight.values.shape()[0];
  const bool int32_bias_expected = parts.config.mode == QuantMode::Static && parts.calibrated;
  if (parts.config.mode == QuantMode::Dynamic && parts.calibrated) {
    throw ValueError(fmt::format("{}: a dynamic layer marked calibrated; dynamic mode has no fixed input parameters",
                                 operation));
  }
  if (int32_bias_expected ? parts.bias_fp32.defined() : parts.bias_int32.defined()) {
    throw ValueError(fmt::format("{}: {} bias given for a {} layer{}; expected {}", operation,
                                 int32_bias_expected ? "a float32" : "an int32", to_string(parts.config.mode),
                                 parts.calibrated ? " (calibrated)" : "",
                                 int32_bias_expected ? "an int32 bias q_b" : "a float32 bias"));
  }
  check_bias_part(parts.bias_int32, DType::Int32, out_features, "bias (int32)");
  check_bias_part(parts.bias_fp32, DType::Float32, out_features, "bias (float32)");
  if (parts.calibrated) check_input_params(parts.input_params, parts.config.activations, operation);
}

}  // namespace

// ---- construction -------------------------------------------------------------------------

QuantizedLinear::QuantizedLinear(const Linear& layer, const QuantConfig& config)
    : config_(config),
      in_features_(layer.in_features()),
      out_features_(layer.out_features()),
      has_bias_(layer.has_bias()) {
  validate_quant_config(config, "QuantizedLinear");
  register_profiler_row();
  // W ≈ s_w (q_w − z_w): the weights are known now, so their own min/max set the range.
  QuantizedTensor weight = quantize_tensor(layer.weight().detach(), config.weights);
  weight_params_ = weight.params;
  if (has_bias_) bias_fp32_ = layer.bias().detach().clone();  // a copy: the FP32 model stays independent
  register_buffers(std::move(weight.values), bias_fp32_);
  copy_mode_from(layer);
}

QuantizedLinear::QuantizedLinear(Parts parts) : config_(parts.config) {
  check_weight_parts(parts);
  check_bias_and_input_parts(parts);
  register_profiler_row();
  out_features_ = parts.weight.values.shape()[0];
  in_features_ = parts.weight.values.shape()[1];
  has_bias_ = parts.bias_int32.defined() || parts.bias_fp32.defined();
  weight_params_ = std::move(parts.weight.params);
  calibrated_ = parts.calibrated;
  if (calibrated_) input_params_ = std::move(parts.input_params);
  Tensor bias = parts.bias_int32.defined() ? parts.bias_int32 : parts.bias_fp32;
  if (parts.bias_fp32.defined()) {
    bias_fp32_ = parts.bias_fp32;
  } else if (parts.bias_int32.defined()) {
    // Only q_b was stored: keep b ≈ s_x · s_w[n] · q_b[n] for a later re-calibration.
    bias_fp32_ = Tensor::empty({out_features_});
    const Tensor stored_steps = parts.bias_int32.contiguous();
    const int32_t* steps = stored_steps.data<int32_t>();
    float* values = bias_fp32_.data<float>();
    for (int64_t n = 0; n < out_features_; ++n) {
      values[n] = input_params_.scale[0] * weight_scale_of(weight_params_, n) * static_cast<float>(steps[n]);
    }
  }
  register_buffers(std::move(parts.weight.values), std::move(bias));
}

void QuantizedLinear::register_buffers(Tensor weight_values, Tensor bias) {
  register_buffer("weight", std::move(weight_values));
  const int64_t channels = weight_params_.channels();
  register_buffer("weight_scale", Tensor::from_values(weight_params_.scale, {channels}));
  register_buffer("weight_zero_point", Tensor::from_int32(weight_params_.zero_point, {channels}));
  if (has_bias_) register_buffer("bias", std::move(bias));
  if (calibrated_) {
    register_buffer("input_scale", Tensor::from_values(input_params_.scale, {1}));
    register_buffer("input_zero_point", Tensor::from_int32(input_params_.zero_point, {1}));
  }
}

QuantizedLinear::Parts QuantizedLinear::parts() const {
  Parts parts;
  parts.config = config_;
  parts.weight = QuantizedTensor{buffer("weight"), weight_params_};
  if (has_bias_) {
    const Tensor& bias = buffer("bias");
    (bias.dtype() == DType::Int32 ? parts.bias_int32 : parts.bias_fp32) = bias;
  }
  parts.calibrated = calibrated_;
  if (calibrated_) parts.input_params = input_params_;
  return parts;
}

std::shared_ptr<Module> QuantizedLinear::clone() const {
  Parts copy = parts();
  copy.weight.values = copy.weight.values.clone();
  if (copy.bias_int32.defined()) copy.bias_int32 = copy.bias_int32.clone();
  if (copy.bias_fp32.defined()) copy.bias_fp32 = copy.bias_fp32.clone();
  auto layer = std::make_shared<QuantizedLinear>(std::move(copy));
  if (layer->calibrated_ && has_bias_) layer->bias_fp32_ = bias_fp32_.clone();  // the exact b, not the one rebuilt from q_b
  layer->copy_mode_from(*this);
  return layer;
}

// ---- calibration ------------------------------------------------------------------------------

void QuantizedLinear::calibrate(const std::vector<Tensor>& sample_inputs) {
  constexpr const char* operation = "QuantizedLinear::calibrate";
  if (config_.mode == QuantMode::Dynamic) {
    throw ValueError(fmt::format("{}: the layer is in dynamic mode, which chooses its input parameters from every "
                                 "batch; calibration is for static mode",
                                 operation));
  }
  if (sample_inputs.empty()) {
    throw ValueError(fmt::format("{}: no calibration data; expected at least one batch (..., {})", operation,
                                 in_features_));
  }
  std::unique_ptr<Observer> observer = make_observer(config_.calibration);
  for (const Tensor& batch : sample_inputs) {
    check_input(batch, in_features_, operation);
    check_finite(batch, operation);
    observer->observe(batch);
  }
  set_input_params(observer->compute_qparams(config_.activations));
}

void QuantizedLinear::set_input_params(const QParams& input_params) {
  constexpr const char* operation = "QuantizedLinear::set_input_params";
  if (config_.mode == QuantMode::Dynamic) {
    throw ValueError(fmt::format("{}: the layer is in dynamic mode; it has no fixed input parameters", operation));
  }
  check_input_params(input_params, config_.activations, operation);
  const bool first_time = !calibrated_;
  input_params_ = input_params;
  calibrated_ = true;
  Tensor scale = Tensor::from_values(input_params_.scale, {1});
  Tensor zero_point = Tensor::from_int32(input_params_.zero_point, {1});
  if (first_time) {
    register_buffer("input_scale", std::move(scale));
    register_buffer("input_zero_point", std::move(zero_point));
  } else {
    buffer("input_scale") = std::move(scale);
    buffer("input_zero_point") = std::move(zero_point);
  }
  quantize_bias();
}

// q_b[n] = round(b[n] / (s_x · s_w[n])), half to even, saturated to int32: the
// bias on the accumulator's scale (see the top of this file). Replaces the "bias" buffer.
void QuantizedLinear::quantize_bias() {
  if (!has_bias_) return;
  const float* bias = bias_fp32_.data<float>();
  Tensor bias_int32 = Tensor::empty({out_features_}, DType::Int32);
  int32_t* steps = bias_int32.data<int32_t>();
  // BEGIN SOLUTION
  constexpr double int32_low = std::numeric_limits<int32_t>::min();
  constexpr double int32_high = std::numeric_limits<int32_t>::max();
  for (int64_t n = 0; n < out_features_; ++n) {
    const float bias_scale = input_params_.scale[0] * weight_scale_of(weight_params_, n);  // the scale of acc
    const double rounded = std::nearbyint(static_cast<double>(bias[n]) / static_cast<double>(bias_scale));
    steps[n] = static_cast<int32_t>(std::clamp(rounded, int32_low, int32_high));
  }
  // END SOLUTION
  buffer("bias") = std::move(bias_int32);
}

const QParams& QuantizedLinear::input_params() const {
  if (!calibrated_) {
    throw ValueError(config_.mode == QuantMode::Dynamic
                         ? "QuantizedLinear::input_params: a dynamic layer chooses its input parameters from every "
                           "batch; it has none fixed"
                         : "QuantizedLinear::input_params: the layer is not calibrated; call calibrate(samples) "
                           "first (or quantize_model with calibration data)");
  }
  return input_params_;
}

// ---- inference --------------------------------------------------------------------------------

// x:(..., K) -> (..., N). The leading axes are flattened into M rows and restored.
Tensor QuantizedLinear::forward(const Tensor& x) {
  constexpr const char* operation = "QuantizedLinear::forward";
  check_input(x, in_features_, operation);
  if (config_.mode == QuantMode::Static && !calibrated_) {
    throw ValueError(fmt::format("{}: static mode needs fixed input parameters; calibrate the layer first "
                                 "(calibrate(samples), or quantize_model with calibration data)",
                                 operation));
  }
  check_finite(x, operation);
  const Tensor rows = ops::reshape(x.contiguous(), {-1, in_features_});  // (M, K)
  const bool dynamic = config_.mode == QuantMode::Dynamic;
  const QParams input = dynamic ? batch_input_params(rows, config_.activations) : input_params_;

  const Tensor q_x = quantize(rows, input);  // (M, K) uint8 / int8
  const Tensor acc = integer_matmul(q_x, input.zero_point[0], buffer("weight"),
                                    zero_point_per_row(weight_params_, out_features_));  // (M, N) int32
  const Tensor bias = has_bias_ ? buffer("bias") : Tensor();
  const Tensor y = dynamic ? requantize_dynamic(acc, input.scale[0], weight_params_, bias)
                           : requantize_static(acc, input.scale[0], weight_params_, bias);  // (M, N) float32
  Shape out_shape = x.shape();
  out_shape.back() = out_features_;
  return ops::reshape(y, out_shape);
}

Tensor QuantizedLinear::dequantized_weight() const { return dequantize(buffer("weight"), weight_params_); }

// ---- reporting ----------------------------------------------------------------------------------

std::string QuantizedLinear::extra_repr() const {
  std::string repr = fmt::format("in_features={}, out_features={}, {}, {} {} {}", in_features_, out_features_,
                                 to_string(config_.mode), to_string(weight_params_.dtype),
                                 to_string(weight_params_.scheme),
                                 weight_params_.per_channel() ? "per-channel" : "per-tensor");
  if (config_.mode == QuantMode::Static && !calibrated_) repr += ", not calibrated";
  return repr;
}

// FP32: 4 bytes per weight and bias; quantized: the bytes of every buffer.
MemoryUsage QuantizedLinear::memory_usage() const {
  MemoryUsage usage;
  usage.original_bytes = 4 * in_features_ * out_features_ + (has_bias_ ? 4 * out_features_ : 0);
  for (const Tensor& stored : buffers()) usage.quantized_bytes += static_cast<int64_t>(stored.nbytes());
  usage.ratio = static_cast<double>(usage.original_bytes) / static_cast<double>(usage.quantized_bytes);
  return usage;
}

}  // namespace tinytorch
