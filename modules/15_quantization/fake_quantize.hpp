// fake_quantize.hpp — Module 15: quantization-aware training (QAT) starts here.
//
// Post-training quantization rounds a trained model and hopes the accuracy
// survives. Quantization-aware training lets the model *see* the rounding while
// it trains, so gradient descent can move the weights to where rounding hurts
// least. The tool is fake quantization: quantize and immediately dequantize,
// staying in float32 (Jacob et al. 2018, §3; PyTorch's FakeQuantize):
//
//   x̂ = s · ( clamp( round(x / s) + z, q_min, q_max ) − z )                     (1)
//
// — exactly dequantize(quantize(x)) of quantize.hpp. The output is a float
// tensor that holds only values an int8 model can represent, so the rest of
// the network trains on what inference will really compute.
//
// The backward problem. round() is a staircase: flat between the steps, so its
// derivative is 0 almost everywhere (and undefined at the jumps). The true
// gradient of (1) is therefore 0 for every x, and training through it would
// never move anything. The straight-through estimator (STE, Bengio et al. 2013)
// pretends round is the identity on the way back:
//
//   dL/dx = dL/dx̂ · 1[ q_min ≤ round(x / s) + z ≤ q_max ]                      (2)
//
// Why passing the gradient straight through works: seen from far away the
// staircase *is* the line y = x — x̂ never differs from x by more than s/2 inside
// the range — so the identity is the derivative of the function the staircase
// approximates, and it points the weights in the direction that lowers the loss
// at the scale the optimizer moves them (many steps of size ≫ s, or accumulated
// small steps that eventually cross a rounding threshold).
//
// Why the mask: outside the range the clamp is a real flat line, not a tiny
// step. Raising an x that is already above the largest representable value
// changes nothing — x̂ stays s·(q_max − z) — so its true gradient 0 is also the
// honest one. Passing the gradient there would push values further out with no
// effect on the loss; the mask instead tells the network that clipped values
// are lost, which is how QAT learns ranges that fit the quantizer.
//
// Using it:
//   Tensor y = fake_quantize(x, params);   // differentiable: records FakeQuantizeBackward
//
//   FakeQuantize activation_fq(QuantSpec{});                     // MovingAverageMinMax observer
//   FakeQuantize weight_fq(QuantSpec{QDType::Int8, QScheme::Symmetric, true, true, 0});
//                                                                // per channel: PerChannelMinMax(axis 0)
//   Tensor h = activation_fq(x);  // training mode: observe x, then fake-quantize with the new params
//
// In training mode the module first shows the (detached) batch to its observer
// — the range follows the data as it trains — then applies (1) with the
// observer's current parameters. In eval mode it only applies (1), with the
// parameters it has. Two switches, as in PyTorch, let a training schedule freeze
// the range (enable_observer(false)) or train in float for a few epochs first
// (enable_fake_quant(false): forward returns the input unchanged).
#pragma once
#include <memory>
#include <string>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/qparams.hpp"

namespace tinytorch {

// (1) forward and (2) backward, per tensor or per channel along params.axis.
// x float32 of any shape (DTypeError otherwise); a NaN/±Inf element is a
// ValueError naming fake_quantize and the element. The params are checked as
// by quantize() (ValueError for a bad scale, ShapeError for a channel mismatch).
Tensor fake_quantize(const Tensor& x, const QParams& params);

class FakeQuantize : public Module {
 public:
  // The default observer follows the spec: PerChannelMinMaxObserver(spec.axis)
  // when spec.per_channel (weights), MovingAverageMinMaxObserver otherwise
  // (activations). Pass `observer` to choose another one.
  explicit FakeQuantize(const QuantSpec& spec = QuantSpec{}, std::unique_ptr<Observer> observer = nullptr);

  // Training mode and observer enabled: observer.observe(input.detach()).
  // Fake quant enabled: returns fake_quantize(input, qparams()); else input.
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "FakeQuantize"; }
  // "int8 affine per-tensor, observer=moving_average, observer_enabled=true, fake_quant_enabled=true"
  std::string extra_repr() const override;
  // A deep copy: the observer (with everything it has seen), the spec, the switches, the mode.
  std::shared_ptr<Module> clone() const override;

  void enable_observer(bool enabled = true) { observer_enabled_ = enabled; }
  void enable_fake_quant(bool enabled = true) { fake_quant_enabled_ = enabled; }
  bool observer_enabled() const { return observer_enabled_; }
  bool fake_quant_enabled() const { return fake_quant_enabled_; }

  // The parameters (1) uses now: the observer's compute_qparams(spec)
  // (ValueError "no calibration data" before the observer saw a batch).
  QParams qparams() const;
  const QuantSpec& spec() const { return spec_; }
  const Observer& observer() const { return *observer_; }

 private:
  QuantSpec spec_;
  std::unique_ptr<Observer> observer_;
  bool observer_enabled_ = true;
  bool fake_quant_enabled_ = true;
};

}  // namespace tinytorch
