// mixed_precision.hpp — Module 15: training with 16-bit compute and float32 master weights.
//
// Mixed-precision training (Micikevicius et al. 2018, "Mixed Precision Training")
// runs the expensive parts — the matrix products of forward and backward — on
// 16-bit copies, and keeps what must not lose bits in float32:
//
//   master weights  W (float32)         the optimizer updates these. An update
//                   lr·g is often < 2^-8 of W: added to a BF16 weight it would
//                   round away entirely, so the sum W + Δ must be float32.
//   compute copies  W16 = half(W)       made for every forward pass
//   activations     x16 = half(x)       each layer's input, rounded
//   products        y = x16 · W16ᵀ      summed in float32 (as tensor cores and
//                                       AVX-512 BF16 dot products do), then rounded: y16 = half(y)
//   gradients       g16 = half(g)       every gradient that flows back through a
//                                       cast is rounded to the same format; the
//                                       weight gradient reaches W unchanged otherwise
//
// Here the 16-bit values are held in float32 tensors (each one exactly a value
// of the format: cast_to_half_precision below), so the whole autograd graph
// works unchanged and measures exactly the effect of the lost bits.
//
// FP16's problem: its smallest subnormal is 2^-24 ≈ 6e-8, and many gradients are
// smaller — they underflow to 0 and training stalls. Loss scaling multiplies the
// loss by S before backward (every gradient is then S times larger, out of the
// underflow zone) and divides the float32 weight gradients by S before the step.
// Dynamic loss scaling picks S: start high (2^16); when a gradient overflows
// (Inf/NaN in any weight gradient) skip the step and halve S; after
// `growth_interval` steps in a row without overflow, double S. BF16 has float32's
// exponent range, so it needs no scaling.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tinytorch/core/dtype.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/module.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/core/trainer.hpp"

namespace tinytorch {

// float32 x -> float32 holding round_to_nearest_even(x) in `format` (DType::Float16 or
// DType::BFloat16; ValueError otherwise): to_float16 then back, one operation.
// Differentiable: the backward pass rounds the incoming gradient to the same format
// (a 16-bit tensor's gradient is a 16-bit tensor). FP16 overflow gives ±Inf, as the
// hardware does — that is what the loss scaler watches for.
Tensor cast_to_half_precision(const Tensor& x, DType format);

// A Linear that computes in 16 bits: forward(x) = half( half(x) · half(W)ᵀ + b ), every
// half() a cast_to_half_precision. It SHARES the weight and bias Tensors of the Linear it
// was made from (the float32 master weights): parameters() returns them, so an optimizer
// built on the model updates the masters, and the compute copies are made fresh each call.
class MixedPrecisionLinear : public Module {
 public:
  MixedPrecisionLinear(const Linear& master, DType format);
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "MixedPrecisionLinear"; }
  std::string extra_repr() const override;  // "in_features=784, out_features=256, compute bfloat16, master float32"
  std::shared_ptr<Module> clone() const override;
  DType format() const { return format_; }
  // A plain Linear around the same master tensors (for saving, or quantizing afterwards).
  std::shared_ptr<Linear> master_linear() const;

 private:
  std::pair<Tensor, Tensor> masters() const;  // (weight, bias or undefined): the shared float32 tensors

  DType format_;
  int64_t in_features_ = 0;
  int64_t out_features_ = 0;
};

// Every Linear of `model` becomes a MixedPrecisionLinear on the same tensors (so an
// optimizer made before or after sees the same parameters). ValueError for a bad format.
void prepare_mixed_precision(Sequential& model, DType format);
// Undoes it: every MixedPrecisionLinear becomes its master_linear().
void restore_full_precision(Sequential& model);

struct LossScalerOptions {
  float initial_scale = 65536.0f;  // 2^16
  float growth_factor = 2.0f;
  float backoff_factor = 0.5f;
  int64_t growth_interval = 1000;  // overflow-free steps before S doubles
  float min_scale = 1.0f;          // S never goes below this
};

// Dynamic loss scaling as a Trainer hook (trainer.hpp): scale_loss() multiplies the
// loss by S; before_step() divides every parameter gradient by S in float32, and
// returns false (skip this step) when any of them holds Inf or NaN, updating S by
// the rules above. Statistics for the report.
class DynamicLossScaler : public TrainStepHooks {
 public:
  explicit DynamicLossScaler(std::vector<Tensor> parameters, LossScalerOptions options = {});
  Tensor scale_loss(const Tensor& loss) override;
  bool before_step() override;
  float scale() const { return scale_; }
  int64_t steps() const { return steps_; }                  // before_step() calls
  int64_t skipped_steps() const { return skipped_steps_; }  // overflows
  int64_t scale_increases() const { return scale_increases_; }

 private:
  std::vector<Tensor> parameters_;
  LossScalerOptions options_;
  float scale_;
  int64_t good_steps_in_a_row_ = 0;
  int64_t steps_ = 0;
  int64_t skipped_steps_ = 0;
  int64_t scale_increases_ = 0;
};

}  // namespace tinytorch
