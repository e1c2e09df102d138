// fake_quantize.cpp — Module 15: fake quantization and its straight-through
// gradient (see fake_quantize.hpp):
//
//   forward   x̂ = dequantize(quantize(x))                                       (1)
//   backward  dL/dx = dL/dx̂ · 1[ q_min ≤ round(x / s) + z ≤ q_max ]              (2)
//
// The forward is the quantize/dequantize pair of quantize.cpp, called as is;
// this file adds only the mask of (2) and the autograd node that applies it.
#include "tinytorch/perf/fake_quantize.hpp"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/quantize.hpp"

namespace tinytorch {

namespace {

// (2): the STE passes g where x was representable and blocks it where the clamp cut x off.
struct FakeQuantizeBackward : Node {
  Tensor inside_range;  // 1 where q_min ≤ round(x/s) + z ≤ q_max, else 0; the shape of x
  const char* name() const override { return "FakeQuantizeBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::mul(g, inside_range)};
    // END SOLUTION
  }
};

// The indicator of (2) for every element of x (float32, finite; params already
// checked by quantize()).
[[maybe_unused]] Tensor inside_range_mask(const Tensor& x, const QParams& params) {
  Tensor mask = Tensor::empty(x.shape());
  const Tensor input = x.contiguous();
  // BEGIN SOLUTION
  const QuantRange range = params.range();
  const float* values = input.data<float>();
  float* inside = mask.data<float>();
  for_each_channel_run(input.shape(), params.axis, [&](int64_t channel, int64_t begin, int64_t end) {
    const float scale = params.scale[static_cast<std::size_t>(channel)];
    const auto zero_point = static_cast<float>(params.zero_point[static_cast<std::size_t>(channel)]);
    for (int64_t i = begin; i < end; ++i) {
      // The same float operations as quantize(), so the mask agrees with the q it
      // produced: inside the range, q is this value itself; outside, it was clamped.
      const float unclamped = std::nearbyint(values[i] / scale) + zero_point;
      inside[i] = (unclamped >= static_cast<float>(range.min) && unclamped <= static_cast<float>(range.max)) ? 1.0f : 0.0f;
    }
  });
  // END SOLUTION
  return mask;
}

}  // namespace

Tensor fake_quantize(const Tensor& x, const QParams& params) {
  if (!x.defined()) throw ValueError("fake_quantize: the tensor is undefined");
  if (x.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("fake_quantize: input of dtype {}; expected float32", dtype_name(x.dtype())));
  }
  check_finite(x, "fake_quantize");
  // BEGIN SOLUTION
  Tensor out = dequantize(quantize(x, params), params);  // (1)
  if (auto node = record<FakeQuantizeBackward>(out, x)) node->inside_range = inside_range_mask(x, params);
  return out;
  // END SOLUTION
}

// ---- the module -------------------------------------------------------------------------

namespace {

std::unique_ptr<Observer> default_observer(const QuantSpec& spec) {
  if (spec.per_channel) return std::make_unique<PerChannelMinMaxObserver>(spec.axis);
  return std::make_unique<MovingAverageMinMaxObserver>();
}

}  // namespace

FakeQuantize::FakeQuantize(const QuantSpec& spec, std::unique_ptr<Observer> observer)
    : spec_(spec), observer_(observer ? std::move(observer) : default_observer(spec)) {}

Tensor FakeQuantize::forward(const Tensor& input) {
  // BEGIN SOLUTION
  // The observer watches the values, not the graph: detach so observing records nothing.
  if (is_training() && observer_enabled_) observer_->observe(input.detach());
  if (!fake_quant_enabled_) return input;
  return fake_quantize(input, qparams());
  // END SOLUTION
}

QParams FakeQuantize::qparams() const { return observer_->compute_qparams(spec_); }

std::string FakeQuantize::extra_repr() const {
  const std::string granularity = spec_.per_channel ? fmt::format("per-channel(axis {})", spec_.axis) : "per-tensor";
  return fmt::format("{} {} {}, observer={}, observer_enabled={}, fake_quant_enabled={}", to_string(spec_.dtype),
                     to_string(spec_.scheme), granularity, observer_->name(), observer_enabled_, fake_quant_enabled_);
}

std::shared_ptr<Module> FakeQuantize::clone() const {
  auto copy = std::make_shared<FakeQuantize>(spec_, observer_->clone());
  copy->observer_enabled_ = observer_enabled_;
  copy->fake_quant_enabled_ = fake_quant_enabled_;
  copy->copy_mode_from(*this);
  return copy;
}

}  // namespace tinytorch
