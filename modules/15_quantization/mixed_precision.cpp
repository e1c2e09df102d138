// mixed_precision.cpp — Module 15: 16-bit compute copies, float32 master weights,
// dynamic loss scaling (see mixed_precision.hpp).
//
//   cast      forward  y = half(x)        = float32(to_16(x)), RNE       (half_precision.hpp)
//             backward dL/dx = half(dL/dy)  the gradient of a 16-bit tensor is 16-bit too
//   linear    y16 = half( half(x) · half(W)ᵀ + b )                      products summed in float32
//   scaler    backward from S·L; then g := g / S in float32, or skip the step and
//             S := max(S·backoff, min_scale) when some g is Inf/NaN; S := S·growth after
//             growth_interval clean steps in a row
//
// The conversions themselves are half_precision.cpp's (to_float16 / to_bfloat16 /
// half_to_float32, on the fastest kernels of this CPU); this file only wires them
// into the autograd graph and the layers.
#include "tinytorch/perf/mixed_precision.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/half_precision.hpp"

namespace tinytorch {

namespace {

bool is_half_format(DType format) { return format == DType::Float16 || format == DType::BFloat16; }

void check_half_format(DType format, const char* operation) {
  if (!is_half_format(format)) {
    throw ValueError(fmt::format("{}: format is {}; expected float16 or bfloat16", operation, dtype_name(format)));
  }
}

// float32 -> float32 holding the nearest value of `format` (no graph): the 16-bit
// tensor of half_precision.hpp, widened back exactly.
Tensor round_to_format(const Tensor& float32, DType format) {
  // BEGIN SOLUTION
  const Tensor half = format == DType::Float16 ? to_float16(float32) : to_bfloat16(float32);
  return half_to_float32(half);
  // END SOLUTION
}

// The gradient of a cast is the identity — up to the rounding: a 16-bit tensor's
// gradient is a 16-bit tensor, so it is rounded to the format too (in FP16 this is
// where a tiny gradient underflows to 0 and a huge one overflows to Inf).
struct CastToHalfPrecisionBackward : Node {
  DType format = DType::BFloat16;
  const char* name() const override { return "CastToHalfPrecisionBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {round_to_format(g, format)};
    // END SOLUTION
  }
};

// "(256, 784)" or "undefined", for messages.
std::string describe(const Tensor& t) { return t.defined() ? shape_str(t.shape()) : std::string("undefined"); }

}  // namespace

Tensor cast_to_half_precision(const Tensor& x, DType format) {
  check_half_format(format, "cast_to_half_precision");
  if (!x.defined()) throw ValueError("cast_to_half_precision: the tensor is undefined");
  if (x.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("cast_to_half_precision: input of dtype {} with shape {}; expected float32",
                                 dtype_name(x.dtype()), shape_str(x.shape())));
  }
  Tensor out = round_to_format(x, format);
  // BEGIN SOLUTION
  if (auto node = record<CastToHalfPrecisionBackward>(out, x)) node->format = format;
  // END SOLUTION
  return out;
}

// ---- MixedPrecisionLinear ------------------------------------------------------------------------

MixedPrecisionLinear::MixedPrecisionLinear(const Linear& master, DType format)
    : format_(format), in_features_(master.in_features()), out_features_(master.out_features()) {
  check_half_format(format, "MixedPrecisionLinear");
  // The SAME tensors (handles sharing storage, gradient and requires_grad): the optimizer
  // that updates this layer updates the master, and the other way round.
  // register_parameter switches requires_grad on; a frozen master stays frozen.
  const Tensor weight = master.weight();
  const bool weight_trains = weight.requires_grad();
  register_parameter("weight", weight).set_requires_grad(weight_trains);
  if (master.has_bias()) {
    const Tensor bias = master.bias();
    const bool bias_trains = bias.requires_grad();
    register_parameter("bias", bias).set_requires_grad(bias_trains);
  }
  copy_mode_from(master);
}

// The master tensors (handles): the weight, and the bias or an undefined tensor.
std::pair<Tensor, Tensor> MixedPrecisionLinear::masters() const {
  const std::vector<Tensor> own = parameters();  // registration order: weight, then bias if any
  return {own[0], own.size() > 1 ? own[1] : Tensor()};
}

// input:(..., K) -> (..., N), as Linear::forward, on rounded copies.
Tensor MixedPrecisionLinear::forward(const Tensor& input) {
  if (!input.defined() || input.dim() == 0 || input.shape().back() != in_features_) {
    throw ShapeError(fmt::format("MixedPrecisionLinear::forward: input is {} but the layer has in_features = {}; "
                                 "expected an input (..., {})",
                                 describe(input), in_features_, in_features_));
  }
  const auto [weight, bias] = masters();
  const Tensor rows = input.dim() == 2 ? input : reshape(input, {-1, in_features_});  // x:(B,K)
  Tensor out;
  // BEGIN SOLUTION
  // The compute copies, made fresh from the masters every call (W changes every step).
  const Tensor input16 = cast_to_half_precision(rows, format_);     // x16:(B,K)
  const Tensor weight16 = cast_to_half_precision(weight, format_);  // W16:(N,K)
  // x16 · W16ᵀ + b summed in float32 by sgemm (as a 16-bit unit accumulates), then rounded.
  out = cast_to_half_precision(linear(input16, weight16, bias), format_);  // y16:(B,N)
  // END SOLUTION
  if (input.dim() == 2) return out;
  Shape out_shape = input.shape();
  out_shape.back() = out_features_;
  return reshape(out, out_shape);
}

std::string MixedPrecisionLinear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, compute {}, master float32", in_features_, out_features_,
                     dtype_name(format_));
}

std::shared_ptr<Module> MixedPrecisionLinear::clone() const {
  // A deep copy of the masters (Linear::clone keeps requires_grad), wrapped again.
  const auto master_copy = std::static_pointer_cast<Linear>(master_linear()->clone());
  auto copy = std::make_shared<MixedPrecisionLinear>(*master_copy, format_);
  copy->copy_mode_from(*this);
  return copy;
}

std::shared_ptr<Linear> MixedPrecisionLinear::master_linear() const {
  auto [weight, bias] = masters();
  const bool weight_trains = weight.requires_grad();
  const bool bias_trains = bias.defined() && bias.requires_grad();
  auto linear_layer = std::make_shared<Linear>(weight, bias);  // shares, does not copy
  // The Linear constructor switched requires_grad on for the shared tensors: put it back.
  weight.set_requires_grad(weight_trains);
  if (bias.defined()) bias.set_requires_grad(bias_trains);
  linear_layer->train(is_training());
  return linear_layer;
}

// ---- converting a model ---------------------------------------------------------------------------

namespace {

// Replaces, in `model` and in any Sequential nested in it, every layer `convert`
// returns a replacement for. Returns the number of layers `convert` recognised.
template <typename Convert>
int64_t replace_layers(Sequential& model, const Convert& convert) {
  int64_t recognised = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const std::shared_ptr<Module>& layer = model[i];
    if (auto nested = std::dynamic_pointer_cast<Sequential>(layer)) {
      recognised += replace_layers(*nested, convert);
      continue;
    }
    auto [is_recognised, replacement] = convert(layer);
    if (is_recognised) ++recognised;
    if (replacement) model.set(i, std::move(replacement));
  }
  return recognised;
}

}  // namespace

void prepare_mixed_precision(Sequential& model, DType format) {
  check_half_format(format, "prepare_mixed_precision");
  const int64_t linear_layers = replace_layers(model, [format](const std::shared_ptr<Module>& layer) {
    std::pair<bool, std::shared_ptr<Module>> result{false, nullptr};
    if (auto linear_layer = std::dynamic_pointer_cast<Linear>(layer)) {
      result = {true, std::make_shared<MixedPrecisionLinear>(*linear_layer, format)};
    } else if (auto mixed = std::dynamic_pointer_cast<MixedPrecisionLinear>(layer)) {
      // Prepared already: keep it, or switch it to the new format on the same masters.
      result = {true, mixed->format() == format ? nullptr
                                                : std::make_shared<MixedPrecisionLinear>(*mixed->master_linear(), format)};
    }
    return result;
  });
  if (linear_layers == 0) {
    throw ValueError("prepare_mixed_precision: the model has no Linear layer; nothing would compute in " +
                     std::string(dtype_name(format)));
  }
}

void restore_full_precision(Sequential& model) {
  replace_layers(model, [](const std::shared_ptr<Module>& layer) {
    std::pair<bool, std::shared_ptr<Module>> result{false, nullptr};
    if (auto mixed = std::dynamic_pointer_cast<MixedPrecisionLinear>(layer)) result = {true, mixed->master_linear()};
    return result;
  });
}

// ---- dynamic loss scaling -------------------------------------------------------------------------

namespace {

void check_scaler_options(const LossScalerOptions& options) {
  const auto positive_finite = [](float value) { return std::isfinite(value) && value > 0.0f; };
  if (!positive_finite(options.min_scale)) {
    throw ValueError(fmt::format("DynamicLossScaler: min_scale = {}; expected a finite value > 0", options.min_scale));
  }
  if (!positive_finite(options.initial_scale) || options.initial_scale < options.min_scale) {
    throw ValueError(fmt::format("DynamicLossScaler: initial_scale = {}; expected a finite value >= min_scale = {}",
                                 options.initial_scale, options.min_scale));
  }
  if (!std::isfinite(options.growth_factor) || options.growth_factor <= 1.0f) {
    throw ValueError(
        fmt::format("DynamicLossScaler: growth_factor = {}; expected a finite value > 1", options.growth_factor));
  }
  if (!(options.backoff_factor > 0.0f && options.backoff_factor < 1.0f)) {
    throw ValueError(
        fmt::format("DynamicLossScaler: backoff_factor = {}; expected a value in (0, 1)", options.backoff_factor));
  }
  if (options.growth_interval < 1) {
    throw ValueError(
        fmt::format("DynamicLossScaler: growth_interval = {}; expected >= 1", options.growth_interval));
  }
}

// One pass over a gradient: g := g / S element by element (a true division: exact for
// the usual powers of 2, correctly rounded for any other S), and whether some g was Inf
// or NaN — its exponent bits all ones, tested as integers so the loop vectorises.
// Returns true when every element was finite.
[[maybe_unused]] bool unscale_in_place(Tensor grad, float scale) {
  constexpr uint32_t kExponentBits = 0x7F80'0000u;
  Tensor values = grad.is_contiguous() ? grad : grad.contiguous();
  float* data = values.data<float>();
  const int64_t count = values.numel();
  uint32_t non_finite = 0;
  // BEGIN SOLUTION
  for (int64_t i = 0; i < count; ++i) {
    non_finite |= static_cast<uint32_t>((std::bit_cast<uint32_t>(data[i]) & kExponentBits) == kExponentBits);
    data[i] /= scale;
  }
  // END SOLUTION
  if (!grad.is_contiguous()) grad.copy_(values);
  return non_finite == 0;
}

}  // namespace

DynamicLossScaler::DynamicLossScaler(std::vector<Tensor> parameters, LossScalerOptions options)
    : parameters_(std::move(parameters)), options_(options), scale_(options.initial_scale) {
  check_scaler_options(options_);
  if (parameters_.empty()) throw ValueError("DynamicLossScaler: no parameters; expected the model's parameters()");
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].defined() || parameters_[i].dtype() != DType::Float32) {
      throw ValueError(fmt::format("DynamicLossScaler: parameter {} is {}; expected a defined float32 tensor (the "
                                   "float32 master weights)",
                                   i, parameters_[i].defined() ? std::string(dtype_name(parameters_[i].dtype()))
                                                               : std::string("undefined")));
    }
  }
}

Tensor DynamicLossScaler::scale_loss(const Tensor& loss) {
  if (!loss.defined()) throw ValueError("DynamicLossScaler::scale_loss: the loss is undefined");
  // BEGIN SOLUTION
  return loss * scale_;  // differentiable: every gradient below it is S times larger
  // END SOLUTION
}

bool DynamicLossScaler::before_step() {
  ++steps_;
  // BEGIN SOLUTION
  // Unscale every gradient back to dL/dW (in float32), noting any Inf/NaN on the way.
  // On an overflow the divided gradients are simply dropped with the step.
  bool overflow = false;
  for (const Tensor& parameter : parameters_) {
    const Tensor grad = parameter.grad();
    if (grad.defined() && !unscale_in_place(grad, scale_)) overflow = true;
  }
  if (overflow) {
    // S was too large for this batch: drop the step, and try a smaller S next time.
    ++skipped_steps_;
    good_steps_in_a_row_ = 0;
    scale_ = std::max(scale_ * options_.backoff_factor, options_.min_scale);
    return false;
  }
  // A long run without overflow: S may be needlessly small, so probe a larger one.
  if (++good_steps_in_a_row_ == options_.growth_interval) {
    good_steps_in_a_row_ = 0;
    const float grown = scale_ * options_.growth_factor;
    if (std::isfinite(grown)) {  // S itself must stay a float (never reached in practice)
      scale_ = grown;
      ++scale_increases_;
    }
  }
  return true;
  // END SOLUTION
}

}  // namespace tinytorch
