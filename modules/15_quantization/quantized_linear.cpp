// quantized_linear.cpp — Module 15: QuantizedLinear, y = x Wᵀ + b with int8 weights and int32 multiply-adds.
//
// The lesson, in the order forward() runs it (quantized_linear.hpp has the buffers):
//
//   x ≈ s_x (q_x − z_x)              the input, quantized per tensor         quantize_input()  (quantize_kernels.hpp)
//   W ≈ s_w[n] (q_w − z_w[n])        the weights, quantized once, packed     the constructors  (pack_weights_s8)
//   acc = Σ_k (q_x − z_x)(q_w − z_w)  exact, in int32                         gemm_u8s8*        (gemm_u8s8s32.hpp)
//   y = s_x · s_w[n] · (acc + q_b[n])   static:  q_b = round(b / (s_x s_w[n]))    dequantize epilogue
//   y = s_x · s_w[n] · acc + b[n]       dynamic: the float bias added after       (requantize.hpp (4))
//   q_y = clamp(z_y + round(M[n] · (acc + q_b[n])), q_lo, 255)   integer pipeline: requantize epilogue
//                                                                                  (requantize.hpp (5)–(7))
//
// Why the bias is quantized at scale s_x·s_w[n]: that is the scale of acc, so
// q_b adds to the accumulator directly — one integer add, and the whole output
// gets its one float multiply at the end. The cost is the rounding of q_b, at
// most s_x·s_w[n]/2 per output. In dynamic mode s_x is new every batch, so
// instead of re-quantizing the bias each time it is added in float (exactly).
//
// Static vs dynamic input parameters: static fixes (s_x, z_x) once from
// calibration data (calibrate / set_input_params) — no work at run time, but an
// input outside the calibrated range clips. Dynamic measures each batch's min
// and max (the min/max kernel: what a MinMaxObserver of that one batch computes)
// — never clips, costs one pass.
//
// Speed: whatever does not depend on the input is done ahead of time — the
// weights packed at construction, the per-channel scales s_x·s_w[n] and the
// multipliers M[n] whenever s_x or s_y change (prepare_epilogue) — and q_x lives
// in a per-thread scratch buffer, so a forward pass allocates only its output.
//
// Versions: v1 (issue 4) quantize() + integer_matmul() + a float loop: three passes
// and three tensors per call. v2 the SIMD activation kernels, the packed GEMM with
// its epilogue fused, and the uint8 integer pipeline.
#include "tinytorch/perf/quantized_linear.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "tinytorch/perf/quantize_kernels.hpp"
#include "tinytorch/perf/requantize.hpp"
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

// The input of forward(): x:(..., K) float32, or uint8 already quantized with the layer's
// input parameters — which only a calibrated static layer with uint8 activations has.
void check_forward_input(const Tensor& x, int64_t in_features, bool uint8_accepted, const char* operation) {
  if (!x.defined() || x.dtype() != DType::UInt8) {
    check_input(x, in_features, operation);
    return;
  }
  if (!uint8_accepted) {
    throw DTypeError(fmt::format("{}: input of dtype uint8 {}; a uint8 input is taken as already quantized with the "
                                 "layer's input parameters, which only a calibrated static layer with uint8 "
                                 "activations has; expected float32",
                                 operation, shape_str(x.shape())));
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

// Per-thread scratch space, reused by every forward() on that thread: a forward pass
// allocates nothing but its output (thread_local: layers may run on several threads at once).
template <typename T>
T* scratch_space(std::vector<T>& buffer, int64_t count) {
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(static_cast<std::size_t>(count));
  return buffer.data();
}
thread_local std::vector<uint8_t> quantized_input_scratch;  // q_x:(M, K)
thread_local std::vector<float> dynamic_scale_scratch;      // s_x · s_w[n]:(N), dynamic mode

// q_x as the GEMM takes it — uint8 — with the zero point and scale that give it meaning.
struct QuantizedInput {
  const uint8_t* values = nullptr;  // (M, K)
  int32_t zero_point = 0;           // in the uint8 domain (int8/int4 activations: z + 128)
  float scale = 1.0f;
};

// Step 1 for a float32 input (`count` values of x): the parameters — fixed (static), or
// from this batch's min and max (dynamic, static_params == nullptr) — then q_x in the
// per-thread scratch. A NaN or ±Inf noticed by either kernel becomes check_finite's
// ValueError naming the element; no separate pass looks for them.
QuantizedInput quantize_input(const Tensor& x, const float* values, int64_t count, const QParams* static_params,
                              const QuantSpec& activations, const QuantizeKernels& kernels, const char* operation) {
  QParams batch_params;
  if (static_params == nullptr) {
    // BEGIN SOLUTION
    // Dynamic: (s_x, z_x) = choose_qparams (3)/(4) of the batch's own min and max — what a
    // MinMaxObserver that watched this one batch would give.
    const FloatRange range = kernels.minmax(values, count);
    if (!range.all_finite) check_finite(x, operation);
    batch_params = choose_qparams(range.min, range.max, activations);
    // END SOLUTION
  }
  const QParams& params = static_params != nullptr ? *static_params : batch_params;
  const Uint8QuantParams grid = uint8_quant_params(params);
  uint8_t* q_x = scratch_space(quantized_input_scratch, count);
  if (!kernels.quantize(values, count, grid, q_x)) check_finite(x, operation);  // throws, naming the element
  return QuantizedInput{q_x, grid.zero_point, params.scale[0]};
}

// A buffer's values as the span an epilogue takes (empty for an undefined tensor: no bias).
template <typename T>
std::span<const T> values_of(const Tensor& tensor) {
  if (!tensor.defined()) return {};
  return {tensor.data<T>(), static_cast<std::size_t>(tensor.numel())};
}

// ---- the profiler's rows ------------------------------------------------------------------

// Tells the profiler (flops.hpp) what one forward pass computes: the same
// multiply-adds and bias adds as the FP32 Linear; a FusedReLU's ReLU is one
// evaluation per output element, as any ReLU's (it runs in the previous layer's
// clamp, but it runs). What the layers store is their buffers, which the profiler
// counts by default. Run from the constructors (a function-local static: once,
// thread-safe), so it happens whenever such a layer exists — a static initializer
// could be dropped by the linker.
void register_profiler_rows() {
  static const bool registered = [] {
    register_layer_counter<QuantizedLinear>([](const QuantizedLinear& layer, const Shape& input_shape, const Shape&) {
      return count_linear(input_shape, layer.in_features(), layer.out_features(), layer.has_bias());
    });
    register_layer_counter<FusedReLU>(
        [](const FusedReLU&, const Shape&, const Shape& output_shape) { return count_activation(output_shape); });
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

// Output parameters: per-tensor uint8 (the next layer's input parameters), for a calibrated static
// layer with uint8 activations (the pipeline hands uint8 on; its s_x sets the multipliers).
void check_output_params(const QParams& output_params, const QuantConfig& config, bool calibrated,
                         const char* operation) {
  if (config.mode != QuantMode::Static || !calibrated) {
    throw ValueError(fmt::format("{}: output parameters for a {}{} layer; the integer pipeline needs a calibrated "
                                 "static layer (its input scale sets the requantization multipliers)",
                                 operation, calibrated ? "" : "not calibrated ", to_string(config.mode)));
  }
  if (config.activations.dtype != QDType::UInt8 || output_params.dtype != QDType::UInt8) {
    throw ValueError(fmt::format("{}: output parameters {} for a layer with {} activations; the integer pipeline "
                                 "passes uint8 between layers",
                                 operation, output_params.to_string(), to_string(config.activations.dtype)));
  }
  check_input_params(output_params, QuantSpec{QDType::UInt8, output_params.scheme, output_params.narrow_range},
                     operation);
}


}  // namespace

// ---- construction -------------------------------------------------------------------------

QuantizedLinear::QuantizedLinear(const Linear& layer, const QuantConfig& config)
    : config_(config),
      in_features_(layer.in_features()),
      out_features_(layer.out_features()),
      has_bias_(layer.has_bias()) {
  validate_quant_config(config, "QuantizedLinear");
  register_profiler_rows();
  // W ≈ s_w (q_w − z_w): the weights are known now, so their own min/max set the range.
  QuantizedTensor weight = quantize_tensor(layer.weight().detach(), config.weights);
  weight_params_ = weight.params;
  packed_weight_ = pack_weights_s8(weight.values, weight_params_.zero_point);  // once, for every forward
  if (has_bias_) bias_fp32_ = layer.bias().detach().clone();  // a copy: the FP32 model stays independent
  register_buffers(std::move(weight.values), bias_fp32_);
  copy_mode_from(layer);
}

QuantizedLinear::QuantizedLinear(Parts parts) : config_(parts.config) {
  check_weight_parts(parts);
  check_bias_and_input_parts(parts);
  if (parts.has_output_params) {
    check_output_params(parts.output_params, parts.config, parts.calibrated, "QuantizedLinear(parts)");
  }
  register_profiler_rows();
  out_features_ = parts.weight.values.shape()[0];
  in_features_ = parts.weight.values.shape()[1];
  has_bias_ = parts.bias_int32.defined() || parts.bias_fp32.defined();
  weight_params_ = std::move(parts.weight.params);
  calibrated_ = parts.calibrated;
  if (calibrated_) input_params_ = std::move(parts.input_params);
  has_output_params_ = parts.has_output_params;
  if (has_output_params_) {
    output_params_ = std::move(parts.output_params);
    fused_relu_ = parts.fused_relu;
  }
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
  packed_weight_ = pack_weights_s8(parts.weight.values, weight_params_.zero_point);  // once, like the other constructor
  register_buffers(std::move(parts.weight.values), std::move(bias));
  prepare_epilogue();
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
  if (has_output_params_) {
    register_buffer("output_scale", Tensor::from_values(output_params_.scale, {1}));
    register_buffer("output_zero_point", Tensor::from_int32(output_params_.zero_point, {1}));
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
  parts.has_output_params = has_output_params_;
  if (has_output_params_) {
    parts.output_params = output_params_;
    parts.fused_relu = fused_relu_;
  }
  return parts;
}

std::shared_ptr<Module> QuantizedLinear::clone() const {
  Parts copy = parts();
  copy.weight.values = copy.weight.values.clone();
  if (copy.bias_int32.defined()) copy.bias_int32 = copy.bias_int32.clone();
  if (copy.bias_fp32.defined()) copy.bias_fp32 = copy.bias_fp32.clone();
  auto layer = std::make_shared<QuantizedLinear>(std::move(copy));
  if (layer->calibrated_ && has_bias_) layer->bias_fp32_ = bias_fp32_.clone();  // the exact b, not the one rebuilt from q_b
  layer->kernel_isa_ = kernel_isa_;
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
  prepare_epilogue();  // s_x changed: so did s_x·s_w[n] and M[n]
}

// q_b[n] = round(b[n] / (s_x · s_w[n])), half to even, saturated to int32: the
// bias on the accumulator's scale (see the top of this file). Replaces the "bias" buffer.
void QuantizedLinear::quantize_bias() {
  if (!has_bias_) return;
  // BEGIN SOLUTION
  const float* bias = bias_fp32_.data<float>();
  Tensor bias_int32 = Tensor::empty({out_features_}, DType::Int32);
  int32_t* steps = bias_int32.data<int32_t>();
  constexpr double int32_low = std::numeric_limits<int32_t>::min();
  constexpr double int32_high = std::numeric_limits<int32_t>::max();
  for (int64_t n = 0; n < out_features_; ++n) {
    const float bias_scale = input_params_.scale[0] * weight_scale_of(weight_params_, n);  // the scale of acc
    const double rounded = std::nearbyint(static_cast<double>(bias[n]) / static_cast<double>(bias_scale));
    steps[n] = static_cast<int32_t>(std::clamp(rounded, int32_low, int32_high));
  }
  buffer("bias") = std::move(bias_int32);
  // END SOLUTION
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

// ---- the integer pipeline -----------------------------------------------------------------------

void QuantizedLinear::set_output_params(const QParams& output_params, bool fuse_relu) {
  check_output_params(output_params, config_, calibrated_, "QuantizedLinear::set_output_params");
  output_params_ = output_params;
  fused_relu_ = fuse_relu;
  store_output_params();
  prepare_epilogue();  // the multipliers M[n] depend on s_y
}

void QuantizedLinear::store_output_params() {
  Tensor scale = Tensor::from_values(output_params_.scale, {1});
  Tensor zero_point = Tensor::from_int32(output_params_.zero_point, {1});
  if (has_output_params_) {
    buffer("output_scale") = std::move(scale);
    buffer("output_zero_point") = std::move(zero_point);
  } else {
    register_buffer("output_scale", std::move(scale));
    register_buffer("output_zero_point", std::move(zero_point));
    has_output_params_ = true;
  }
}

const QParams& QuantizedLinear::output_params() const {
  if (!has_output_params_) {
    throw ValueError("QuantizedLinear::output_params: the layer returns float32 and has no output parameters; only "
                     "a layer of the integer pipeline (set_output_params, fuse_integer_pipeline) returns uint8");
  }
  return output_params_;
}

// The per-channel constants of the epilogues, from s_x, s_w[n] (and s_y) — computed here,
// once, instead of in every forward pass. Static mode only: dynamic mode's s_x is per batch.
void QuantizedLinear::prepare_epilogue() {
  output_scale_.clear();
  requantize_multiplier_.clear();
  requantize_shift_.clear();
  if (!calibrated_) return;
  // BEGIN SOLUTION
  const float input_scale = input_params_.scale[0];
  for (int64_t n = 0; n < out_features_; ++n) {
    // (4): the float product s_x · s_w[n], the scale of acc.
    output_scale_.push_back(input_scale * weight_scale_of(weight_params_, n));
    if (has_output_params_) {
      // (5)–(6): M[n] = s_x · s_w[n] / s_y, as a 31-bit fixed-point multiplier and a shift.
      const FixedPointMultiplier multiplier = quantize_multiplier(
          static_cast<double>(input_scale) * weight_scale_of(weight_params_, n) / output_params_.scale[0]);
      requantize_multiplier_.push_back(multiplier.multiplier);
      requantize_shift_.push_back(multiplier.shift);
    }
  }
  // END SOLUTION
}

// ---- inference --------------------------------------------------------------------------------

void QuantizedLinear::set_kernel_isa(std::optional<KernelIsa> isa) {
  if (isa.has_value() && !kernel_isa_supported(*isa)) {
    throw ValueError(fmt::format("QuantizedLinear::set_kernel_isa: path {} was asked for, but this CPU (or build) "
                                 "does not support it; check kernel_isa_supported() first",
                                 kernel_isa_name(*isa)));
  }
  kernel_isa_ = isa;
}

// x:(..., K) -> (..., N). The leading axes are M rows of K values, row-major, and the
// output (..., N) is M rows of N: the kernels work on the flat arrays directly.
Tensor QuantizedLinear::forward(const Tensor& x) {
  constexpr const char* operation = "QuantizedLinear::forward";
  const bool is_static = config_.mode == QuantMode::Static;
  check_forward_input(x, in_features_, is_static && calibrated_ && config_.activations.dtype == QDType::UInt8,
                      operation);
  if (is_static && !calibrated_) {
    throw ValueError(fmt::format("{}: static mode needs fixed input parameters; calibrate the layer first "
                                 "(calibrate(samples), or quantize_model with calibration data)",
                                 operation));
  }
  const Tensor input = x.contiguous();
  const int64_t rows = input.numel() / in_features_;  // M
  Shape out_shape = x.shape();
  out_shape.back() = out_features_;
  Tensor y = Tensor::empty(out_shape, has_output_params_ ? DType::UInt8 : DType::Float32);  // (M, N)
  if (rows == 0) return y;
  GemmOptions options;
  options.isa = kernel_isa_;
  const QuantizeKernels& kernels = kernel_isa_.has_value() ? quantize_kernels_for(*kernel_isa_) : quantize_kernels();

  // 1. q_x:(M, K) uint8 — the input itself if it is uint8 already (the integer pipeline).
  const QuantizedInput q_x =
      input.dtype() == DType::UInt8
          ? QuantizedInput{input.data<uint8_t>(), input_params_.zero_point[0], input_params_.scale[0]}
          : quantize_input(x, input.data<float>(), input.numel(), is_static ? &input_params_ : nullptr,
                           config_.activations, kernels, operation);
  const Tensor bias = has_bias_ ? buffer("bias") : Tensor();

  // 2 + 3. acc = Σ (q_x − z_x)(q_w − z_w) and its epilogue, in one GEMM call.
  if (has_output_params_) {  // integer pipeline: uint8 on the next layer's grid
    RequantizeEpilogue epilogue;
    epilogue.multiplier = requantize_multiplier_;
    epilogue.shift = requantize_shift_;
    epilogue.bias_s32 = values_of<int32_t>(bias);
    epilogue.output_zero_point = output_params_.zero_point[0];
    epilogue.output_min = fused_relu_ ? output_params_.zero_point[0] : output_params_.range().min;  // the fused ReLU
    epilogue.output_max = output_params_.range().max;
    gemm_u8s8u8(rows, q_x.values, in_features_, q_x.zero_point, packed_weight_, epilogue, y.data<uint8_t>(),
                out_features_, options);
  } else if (is_static) {  // y = s_x·s_w[n] · (acc + q_b[n])
    const DequantizeEpilogue epilogue{output_scale_, values_of<int32_t>(bias), {}};
    gemm_u8s8f32(rows, q_x.values, in_features_, q_x.zero_point, packed_weight_, epilogue, y.data<float>(),
                 out_features_, options);
  } else {  // dynamic: y = s_x·s_w[n] · acc + b[n], with this batch's s_x
    float* scale = scratch_space(dynamic_scale_scratch, out_features_);
    // BEGIN SOLUTION
    for (int64_t n = 0; n < out_features_; ++n) scale[n] = q_x.scale * weight_scale_of(weight_params_, n);
    // END SOLUTION
    const DequantizeEpilogue epilogue{{scale, static_cast<std::size_t>(out_features_)}, {}, values_of<float>(bias)};
    gemm_u8s8f32(rows, q_x.values, in_features_, q_x.zero_point, packed_weight_, epilogue, y.data<float>(),
                 out_features_, options);
  }
  return y;
}

Tensor QuantizedLinear::dequantized_weight() const { return dequantize(buffer("weight"), weight_params_); }

// ---- reporting ----------------------------------------------------------------------------------

std::string QuantizedLinear::extra_repr() const {
  std::string repr = fmt::format("in_features={}, out_features={}, {}, {} {} {}", in_features_, out_features_,
                                 to_string(config_.mode), to_string(weight_params_.dtype),
                                 to_string(weight_params_.scheme),
                                 weight_params_.per_channel() ? "per-channel" : "per-tensor");
  if (config_.mode == QuantMode::Static && !calibrated_) repr += ", not calibrated";
  if (has_output_params_) repr += fused_relu_ ? ", uint8 output (ReLU fused)" : ", uint8 output";
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

// ---- FusedReLU ------------------------------------------------------------------------------------

FusedReLU::FusedReLU() { register_profiler_rows(); }

Tensor FusedReLU::forward(const Tensor& input) {
  // uint8: the previous layer's epilogue clamped at z_y already — max(q, z_y) is ReLU on its grid.
  if (input.defined() && input.dtype() == DType::UInt8) return input;
  return ReLU::forward(input);
}

std::shared_ptr<Module> FusedReLU::clone() const {
  auto copy = std::make_shared<FusedReLU>();
  copy->copy_mode_from(*this);
  return copy;
}

}  // namespace tinytorch
