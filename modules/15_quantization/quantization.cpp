// quantization.cpp — Module 15: the Quantizer's comparison of an FP32 model with its quantized twin (see quantization.hpp).
//
// Size and accuracy are the two sides of the trade: compare_models puts the
// SizeReport (bytes stored, per layer) beside the ValidationReport (accuracy,
// per-layer SQNR) so both are read together.
#include "tinytorch/perf/quantization.hpp"

#include <fmt/format.h>

namespace tinytorch {

ModelComparison Quantizer::compare_models(Sequential& original, Sequential& quantized, DataLoader& loader) {
  ModelComparison comparison;
  comparison.sizes = analyze_model_sizes(original, quantized);
  comparison.accuracy = validate_quantized_model(original, quantized, loader);
  return comparison;
}

std::string ModelComparison::to_string() const {
  return sizes.to_string() + "\n" + accuracy.to_string() + "\n" +
         fmt::format("quantized: {:.2f}x smaller, accuracy {:.2f}% -> {:.2f}% ({:+.2f} points)\n",
                     sizes.compression_ratio, 100.0 * accuracy.fp32_accuracy, 100.0 * accuracy.quantized_accuracy,
                     100.0 * (accuracy.quantized_accuracy - accuracy.fp32_accuracy));
}

}  // namespace tinytorch
