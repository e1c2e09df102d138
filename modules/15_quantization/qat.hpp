// qat.hpp — Module 15: quantization-aware training — prepare, fine-tune, convert.
//
// Post-training quantization rounds a finished model. Quantization-aware
// training (QAT; Jacob et al. 2018 §3, PyTorch's prepare_qat/convert) lets the
// model train a little longer while it sees the rounding (fake_quantize.hpp):
//
//   1. prepare_qat(model, config): every Linear becomes a QATLinear — the same
//      float32 weight and bias (trained as before), plus fake quantization of
//      what convert() will quantize:
//        int8 static:      y = fq_x(x) · fq_w(W)ᵀ + b
//                          fq_w: per-channel symmetric int8, parameters taken from
//                                the CURRENT weight at every call (what convert's
//                                QuantizedLinear computes from the final weight);
//                          fq_x: the input, uint8 affine, a moving-average min-max
//                                observer (a FakeQuantize module) that follows the
//                                activations while training;
//        int4 weight-only: y = x · fq4(W)ᵀ + b,  fq4 = fake_quantize_int4_grouped;
//   2. fine-tune with any optimizer at a low learning rate (≈ 1/10 of the original),
//      a few epochs: the straight-through estimator moves the weights to where the
//      rounding hurts least;
//   3. convert(model): every QATLinear becomes the layer post-training quantization
//      makes — a static QuantizedLinear whose input parameters are fq_x's (no new
//      calibration) and whose weights are quantized exactly as fq_w rounded them
//      (then fuse_integer_pipeline, as quantize_model does), or an Int4Linear.
//      The result runs on the integer kernels and saves like any quantized model.
//
// In eval mode a QATLinear's output equals the converted layer's up to float
// rounding: both compute s_x·s_w·Σ(q_x−z_x)·q_w + b, one in float, one in int32.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/module.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/perf/fake_quantize.hpp"
#include "tinytorch/perf/quant_config.hpp"
#include "tinytorch/perf/quantize_model.hpp"

namespace tinytorch {

// What each Linear becomes at convert().
enum class QatTarget { Int8Static, Int4WeightOnly };
std::string to_string(QatTarget target);  // "int8_static", "int4_weight_only"

struct QatConfig {
  QatTarget target = QatTarget::Int8Static;
  // Int8Static: the weights' and activations' specs (mode must be static; the
  // calibration block is unused: fq_x's moving-average observer is the calibration).
  QuantConfig int8;
  float activation_momentum = 0.01f;  // fq_x's moving average: r ← (1 − m)·r + m·batch
  // Int4WeightOnly: the group size (int4_weights.hpp: a multiple of 16).
  int64_t int4_group_size = 32;
  // Sequential indices left as float32 Linear.
  std::vector<std::string> skip_layers;
  std::string describe() const;  // "QAT int8 static, weights int8 symmetric per-channel, ..."
};

class QATLinear : public Module {
 public:
  // Shares layer's weight and bias tensors (registered here as parameters "weight", "bias").
  QATLinear(const Linear& layer, const QatConfig& config);
  // x:(..., K) float32 -> (..., N) float32. Training mode: fq_x observes x first.
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "QATLinear"; }
  std::string extra_repr() const override;  // "in_features=784, out_features=256, int8 static (weights per-channel, input observed)"
  std::shared_ptr<Module> clone() const override;

  const QatConfig& config() const { return config_; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  // A Linear around the same tensors (the float32 weights as trained).
  std::shared_ptr<Linear> float_linear() const;
  // Int8Static: fq_x (a child module "input_fake_quant"); ValueError for the int4 target.
  FakeQuantize& input_fake_quant();
  // The fake-quantized weight fq_w(W) / fq4(W) as used in forward (no graph).
  Tensor fake_quantized_weight() const;
  // The converted layer: QuantizedLinear (Int8Static: ValueError "no activations
  // observed yet" before fq_x saw a batch) or Int4Linear.
  std::shared_ptr<Module> to_quantized() const;

 private:
  QatConfig config_;
  int64_t in_features_ = 0;
  int64_t out_features_ = 0;
};

struct QatSummary {
  std::vector<std::string> prepared_layers;  // "0", "2", "4"
  std::vector<std::string> skipped_layers;
};

// Replaces every Linear (except config.skip_layers) of model by a QATLinear on the same
// tensors; the model's optimizer can be made before or after. ValueError for a
// config that cannot be converted (dynamic mode, a skip_layers entry naming no Linear,
// a bad group size), leaving the model unchanged. Progress lines to `log`.
QatSummary prepare_qat(Sequential& model, const QatConfig& config, std::FILE* log = nullptr);

// Replaces every QATLinear by its to_quantized() layer (eval mode afterwards), then for
// the int8 target links the integer pipeline (quantize_model.hpp). ValueError when the
// model has no QATLinear. Returns the same summary type as quantize_model.
QuantizationSummary convert(Sequential& model, std::FILE* log = nullptr);

}  // namespace tinytorch
