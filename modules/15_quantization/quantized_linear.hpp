// quantized_linear.hpp — Module 15: a Linear layer that stores int8 weights and multiplies in integers.
//
// QuantizedLinear(layer, config) keeps what inference needs and nothing else,
// as buffers (Module::named_buffers(); the names of quantized_model_io.hpp):
//
//   weight             int8 (N, K)   q_w, per channel (one scale per output neuron) by default
//   weight_scale       float32 (N or 1), weight_zero_point int32 (N or 1)
//   bias               static, once calibrated: int32 (N), q_b = round(b / (s_x · s_w)) (half to even)
//                      dynamic, or static before calibration: float32 (N), b itself
//   input_scale        float32 (1), input_zero_point int32 (1) — static mode, set by calibrate()
//
// forward(x), for x:(..., K) float32:
//   1. q_x = quantize(x) with the input parameters — fixed (static) or chosen
//      from this batch's min and max (dynamic);
//   2. acc = integer_matmul(q_x, z_x, q_w, z_w)            (integer_matmul.hpp (1))
//   3. static:  y[m, n] = s_x · s_w[n] · (acc[m, n] + q_b[n])   back to float32 for the next layer;
//      dynamic: y[m, n] = s_x · s_w[n] · acc[m, n] + b[n]       s_x changes every batch, so the
//               bias is added in float after (as PyTorch's dynamic Linear does) rather than
//               re-quantized for each batch — it keeps its full precision.
//
// Weights are int8 or int4 (int4 values held one per int8), quantized per
// tensor or per output channel (axis 0); activations are per tensor, uint8,
// int8 or int4. Other choices are a ValueError naming them.
//
// Memory: 4·N·K + 4·N bytes for the FP32 layer against N·K + 12·N (+8) for
// this one — about 4× smaller for any real layer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/module.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/quant_config.hpp"
#include "tinytorch/perf/quantize.hpp"

namespace tinytorch {

struct MemoryUsage {
  int64_t original_bytes = 0;   // the FP32 layer: weight + bias
  int64_t quantized_bytes = 0;  // every buffer of the quantized layer
  double ratio = 0.0;           // original / quantized
};

class QuantizedLinear : public Module {
 public:
  // Quantizes layer's weight (config.weights) at once; static mode then needs calibrate().
  explicit QuantizedLinear(const Linear& layer, const QuantConfig& config = {});

  // The parts of a layer read back from a file (quantized_model_io.hpp). Shapes
  // and dtypes are checked (ShapeError / DTypeError naming the tensor; ValueError
  // for parameters that disagree with the config or each other). The bias is the
  // "bias" buffer: at most one of the two is defined, none for a layer without bias.
  struct Parts {
    QuantConfig config;
    QuantizedTensor weight;     // int8 (N, K) with its parameters
    Tensor bias_int32;          // static and calibrated: (N) int32, or undefined
    Tensor bias_fp32;           // dynamic, or static not yet calibrated: (N) float32, or undefined
    bool calibrated = false;    // static: input_params below are set
    QParams input_params;       // static: per-tensor activation parameters
  };
  explicit QuantizedLinear(Parts parts);
  Parts parts() const;

  // ---- calibration (static mode) -----------------------------------------------------
  // Feeds every sample batch (float32 (..., K)) to a fresh observer made from
  // config.calibration, then fixes the input parameters and the int32 bias.
  // An empty list, a NaN/Inf value or a wrong last axis is an error, and so is
  // calibrating a dynamic layer (it has no fixed input parameters). Calling it
  // again re-calibrates: the input parameters and the int32 bias are replaced.
  void calibrate(const std::vector<Tensor>& sample_inputs);
  // The same, split: set the input parameters from an observer that has already
  // watched this layer's inputs (quantize_model streams batches through the model).
  // Per tensor, with config().activations' dtype (ValueError otherwise).
  void set_input_params(const QParams& input_params);
  bool is_calibrated() const { return calibrated_; }

  // x:(..., K) float32 -> (..., N) float32, multiply-adds in int32.
  // Static mode before calibration is a ValueError saying to calibrate first.
  Tensor forward(const Tensor& x) override;

  std::string name() const override { return "QuantizedLinear"; }
  std::string extra_repr() const override;  // "in_features=784, out_features=256, static, int8 symmetric per-channel"
  std::shared_ptr<Module> clone() const override;

  MemoryUsage memory_usage() const;
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  bool has_bias() const { return has_bias_; }
  const QuantConfig& config() const { return config_; }
  const QParams& weight_params() const { return weight_params_; }
  const QParams& input_params() const;  // ValueError when not calibrated
  Tensor weight_int8() const { return buffer("weight"); }
  // The weights as float32: s_w · (q_w − z_w) — what the layer really multiplies by.
  Tensor dequantized_weight() const;

 private:
  void quantize_bias();
  // Registers every buffer in the order of the table above.
  void register_buffers(Tensor weight_values, Tensor bias);

  QuantConfig config_;
  int64_t in_features_ = 0;
  int64_t out_features_ = 0;
  bool has_bias_ = false;
  QParams weight_params_;
  QParams input_params_;
  bool calibrated_ = false;
  Tensor bias_fp32_;  // kept for dynamic mode and for re-calibration
};

}  // namespace tinytorch
