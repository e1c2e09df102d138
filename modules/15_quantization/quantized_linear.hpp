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
//   output_scale       float32 (1), output_zero_point int32 (1) — static, integer pipeline only (below)
//
// forward(x), for x:(..., K) float32:
//   1. q_x = quantize(x) with the input parameters — fixed (static) or chosen
//      from this batch's min and max (dynamic); quantize_kernels.hpp, one pass
//      that also notices NaN/Inf (a ValueError naming the element);
//   2. acc = Σ_k (q_x − z_x)(q_w − z_w), the int8 GEMM on weights packed once at
//      construction (gemm_u8s8s32.hpp (1)–(2));
//   3. static:  y[m, n] = s_x · s_w[n] · (acc[m, n] + q_b[n])   back to float32 for the next layer;
//      dynamic: y[m, n] = s_x · s_w[n] · acc[m, n] + b[n]       s_x changes every batch, so the
//               bias is added in float after (as PyTorch's dynamic Linear does) rather than
//               re-quantized for each batch — it keeps its full precision.
//      Step 3 is the GEMM's epilogue (requantize.hpp (4)), applied while each output
//      tile is still in registers; it is the same float arithmetic as integer_matmul.hpp's
//      reference followed by these formulas, so the output is identical to the bit.
//
// The integer pipeline (static mode, uint8 activations). Between two quantized
// layers a float is a detour: this layer would dequantize, the next quantize
// again. With output parameters (s_y, z_y) — the NEXT layer's input parameters —
// step 3 instead requantizes to uint8 on that grid, with integers only
// (requantize.hpp (5)–(7)):
//
//   q_y[m, n] = clamp( z_y + round(M[n] · (acc[m, n] + q_b[n])), q_lo, 255 ),   M[n] = s_x · s_w[n] / s_y
//
// q_lo = z_y when a ReLU between the two layers is fused into this clamp
// (ReLU(y) = max(y, 0), and the real 0 is q = z_y), else 0. The ReLU layer is
// then a FusedReLU (below), the identity on uint8. A QuantizedLinear given a
// uint8 input takes it as already quantized with ITS input parameters — so a
// producer's output parameters must equal its consumer's input parameters;
// fuse_integer_pipeline (quantize_model.hpp) sets them so. Only the last layer
// of such a chain returns float32. In short, for Linear–ReLU–Linear–ReLU–Linear:
//
//   float x -> [quantize, GEMM, requantize+ReLU] -> uint8 -> [GEMM, requantize+ReLU] -> uint8 -> [GEMM, dequantize] -> float
//
// Weights are int8 or int4 (int4 values held one per int8), quantized per
// tensor or per output channel (axis 0); activations are per tensor, uint8,
// int8 or int4 (int8/int4 are moved to uint8 by +128 for the GEMM, which changes
// nothing: (q + 128) − (z + 128) = q − z). Other choices are a ValueError naming them.
//
// Memory: 4·N·K + 4·N bytes for the FP32 layer against N·K + 12·N (+8, +8 with
// output parameters) for this one — about 4× smaller for any real layer. (In
// RAM the layer also holds the GEMM's packed copy of q_w, N·K bytes rounded up
// to whole 16-channel blocks: the price of packing once instead of every call.)
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/module.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"
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
    bool has_output_params = false;  // static, calibrated: uint8 output on output_params' grid
    QParams output_params;           // the next layer's input parameters (uint8, per tensor)
    bool fused_relu = false;         // with output parameters: the clamp starts at z_y (a ReLU)
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

  // ---- the integer pipeline (static mode) ---------------------------------------------
  // From now on forward() returns uint8 on `output_params`' grid (the next layer's input
  // parameters: per tensor, uint8), the ReLU fused into the clamp when `fuse_relu`.
  // Calling it again replaces them. ValueError for a dynamic or uncalibrated layer,
  // or for parameters that are not per-tensor uint8 with a finite scale > 0.
  void set_output_params(const QParams& output_params, bool fuse_relu);
  bool has_output_params() const { return has_output_params_; }
  const QParams& output_params() const;  // ValueError when there are none
  bool fused_relu() const { return has_output_params_ && fused_relu_; }

  // x:(..., K) float32 -> (..., N) float32 — or uint8 with output parameters —
  // multiply-adds in int32. x may also be uint8 (static, calibrated, uint8 activations):
  // values already quantized with this layer's input parameters, used as they are.
  // Static mode before calibration is a ValueError saying to calibrate first.
  Tensor forward(const Tensor& x) override;

  // The kernel path forward() runs (both the activation kernels and the GEMM): the
  // active one (gemm_u8s8s32.hpp: TINYTORCH_ISA, else the best the CPU has), or
  // `isa` — tests run every path this way. ValueError if the CPU lacks it.
  void set_kernel_isa(std::optional<KernelIsa> isa);

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
  // The GEMM's copy of q_w in its packed layout (gemm_u8s8s32.hpp (3)), made once.
  const PackedWeightsS8& packed_weight() const { return packed_weight_; }
  Tensor weight_int8() const { return buffer("weight"); }
  // The weights as float32: s_w · (q_w − z_w) — what the layer really multiplies by.
  Tensor dequantized_weight() const;

 private:
  void quantize_bias();
  // Registers every buffer in the order of the table above.
  void register_buffers(Tensor weight_values, Tensor bias);
  // Sets (first time: registers) the buffers output_scale and output_zero_point.
  void store_output_params();
  // The epilogue constants that depend on s_x (and s_y): recomputed whenever they change.
  void prepare_epilogue();

  QuantConfig config_;
  int64_t in_features_ = 0;
  int64_t out_features_ = 0;
  bool has_bias_ = false;
  QParams weight_params_;
  QParams input_params_;
  bool calibrated_ = false;
  Tensor bias_fp32_;  // kept for dynamic mode and for re-calibration
  bool has_output_params_ = false;
  QParams output_params_;
  bool fused_relu_ = false;

  // What forward() hands the kernels, prepared ahead of time:
  PackedWeightsS8 packed_weight_;                 // q_w packed once (constructors)
  std::vector<float> output_scale_;               // static: s_x · s_w[n] (float product), (N)
  std::vector<int32_t> requantize_multiplier_;    // pipeline: M[n] = s_x · s_w[n] / s_y as (M0, shift), (N)
  std::vector<int32_t> requantize_shift_;
  std::optional<KernelIsa> kernel_isa_;           // unset: the active path
};

// The ReLU between two QuantizedLinears of the integer pipeline (fuse_integer_pipeline
// puts it where the ReLU was). Its clamp already ran in the previous layer's epilogue
// (q_lo = z_y is ReLU on the uint8 grid), so on a uint8 input forward() is the
// identity — the same tensor, no copy, no work. On a float32 input it is a plain
// ReLU: the accuracy validator feeds every layer FP32 activations too. Its name() is
// "ReLU", so summaries and reports read as before; files store it as "FusedReLU".
class FusedReLU : public ReLU {
 public:
  FusedReLU();
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "fused: clamped in the previous layer's uint8 output"; }
  std::shared_ptr<Module> clone() const override;
};

}  // namespace tinytorch
