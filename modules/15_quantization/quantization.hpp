// quantization.hpp — Module 15: INT8 quantization, everything in one include.
//
// Read the headers in this order (ABOUT.md tells the story):
//
//   qparams.hpp              scale and zero point: q = round(x/s) + z, x̂ = s(q − z)
//   quantize.hpp             quantize_int8 / dequantize_int8, and the general form
//   observer.hpp             calibration: min-max, moving average, per channel
//   histogram_observers.hpp  calibration: percentile, entropy (KL), MSE
//   quant_config.hpp         every choice in one struct, read from YAML
//   integer_matmul.hpp       Σ (q_x − z_x)(q_w − z_w) in int32
//   quantized_linear.hpp     QuantizedLinear: int8 weights, integer forward
//   quantize_model.hpp       quantize_model (static / dynamic), analyze_model_sizes
//   accuracy_validator.hpp   FP32 vs INT8 accuracy, per-layer SQNR
//   quantized_model_io.hpp   save / load quantized models (safetensors)
//
// and the Quantizer below: the same operations as static functions of one
// class, the API of the Python TinyTorch course.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/perf/accuracy_validator.hpp"
#include "tinytorch/perf/fake_quantize.hpp"
#include "tinytorch/perf/half_linear.hpp"
#include "tinytorch/perf/half_precision.hpp"
#include "tinytorch/perf/histogram_observers.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/int4_weights.hpp"
#include "tinytorch/perf/integer_matmul.hpp"
#include "tinytorch/perf/mixed_bit.hpp"
#include "tinytorch/perf/mixed_precision.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/qat.hpp"
#include "tinytorch/perf/qparams.hpp"
#include "tinytorch/perf/quant_config.hpp"
#include "tinytorch/perf/quantize.hpp"
#include "tinytorch/perf/quantize_model.hpp"
#include "tinytorch/perf/quantized_linear.hpp"
#include "tinytorch/perf/quantized_model_io.hpp"

namespace tinytorch {

struct ModelComparison {
  SizeReport sizes;
  ValidationReport accuracy;
  // Both reports, and one line: "quantized: 3.94x smaller, accuracy 89.77% -> 89.60% (-0.17 points)".
  std::string to_string() const;
};

class Quantizer {
 public:
  static Int8Quantized quantize_tensor(const Tensor& x) { return quantize_int8(x); }
  static Tensor dequantize_tensor(const Tensor& q, float scale, int32_t zero_point) {
    return dequantize_int8(q, scale, zero_point);
  }
  static QuantizationSummary quantize_model(Sequential& model, const std::vector<Tensor>& calibration_data,
                                            const QuantConfig& config = {}) {
    return tinytorch::quantize_model(model, calibration_data, config);
  }
  // analyze_model_sizes + validate_quantized_model (default sqnr_batches) on the same pair.
  static ModelComparison compare_models(Sequential& original, Sequential& quantized, DataLoader& loader);
};

}  // namespace tinytorch
