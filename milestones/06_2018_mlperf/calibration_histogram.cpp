// calibration_histogram.cpp — Milestone 06: one layer's input histogram and each method's clip
// threshold (see calibration_histogram.hpp for (1) and (2)).
#include "calibration_histogram.hpp"

#include <algorithm>
#include <cmath>

#include "tinytorch/core/error.hpp"
#include "tinytorch/core/inference_scope.hpp"

using namespace tinytorch;

namespace milestone06 {

namespace {

constexpr CalibrationMethod kMethods[] = {CalibrationMethod::MinMax, CalibrationMethod::MovingAverage,
                                          CalibrationMethod::Percentile, CalibrationMethod::Entropy,
                                          CalibrationMethod::MSE};

// The index of layer `layer_name` in `model`: a decimal Sequential position in [1, size).
std::size_t layer_index(const Sequential& model, const std::string& layer_name) {
  std::size_t index = 0;
  const bool digits = !layer_name.empty() && std::all_of(layer_name.begin(), layer_name.end(),
                                                         [](char c) { return c >= '0' && c <= '9'; });
  if (digits && layer_name.size() < 6) index = std::stoul(layer_name);
  if (!digits || index == 0 || index >= model.size()) {
    throw IndexError("calibration_histogram: layer \"" + layer_name + "\" is not a layer after the first of a " +
                     std::to_string(model.size()) + "-layer Sequential; expected an index in [1, " +
                     std::to_string(model.size()) + ")");
  }
  return index;
}

// The input of layer `index` for each batch: layers 0 .. index−1 applied in order.
std::vector<Tensor> layer_inputs(Sequential& model, const std::vector<Tensor>& batches, std::size_t index) {
  const InferenceScope inference(model);
  std::vector<Tensor> inputs;
  for (const Tensor& batch : batches) {
    Tensor activation = batch;
    for (std::size_t i = 0; i < index; ++i) activation = model.at(i)->forward(activation);
    inputs.push_back(activation);
  }
  return inputs;
}

// T of (1) and the clipped fraction (2) for one calibration method.
ClipThreshold clip_threshold(CalibrationMethod method, const std::vector<Tensor>& inputs,
                             const std::vector<std::vector<float>>& values, int64_t total) {
  std::unique_ptr<Observer> observer = make_observer(CalibrationConfig{method});
  for (const Tensor& input : inputs) observer->observe(input);
  const QParams params = observer->compute_qparams(QuantConfig{}.activations);
  const double scale = params.scale.at(0);
  const double threshold = scale * (params.range().max - params.zero_point.at(0));
  const double clamp_edge = threshold + scale / 2;
  int64_t clipped = 0;
  for (const auto& batch : values) {
    clipped += std::count_if(batch.begin(), batch.end(), [&](float v) { return v > clamp_edge; });
  }
  return {to_string(method), threshold, scale, static_cast<double>(clipped) / static_cast<double>(total)};
}

}  // namespace

CalibrationHistogram calibration_histogram(Sequential& fp32_model, const std::vector<Tensor>& calibration_batches,
                                           const std::string& layer_name, int64_t bins) {
  if (calibration_batches.empty()) {
    throw ValueError("calibration_histogram: no calibration batches; expected the batches quantize_model calibrates on");
  }
  if (bins < 1) throw ValueError("calibration_histogram: bins is " + std::to_string(bins) + "; expected >= 1");
  const std::vector<Tensor> inputs = layer_inputs(fp32_model, calibration_batches, layer_index(fp32_model, layer_name));

  std::vector<std::vector<float>> values;
  float lo = 0.0f, hi = 0.0f;  // the range always contains 0 (ReLU outputs start there)
  int64_t total = 0, zeros = 0;
  for (const Tensor& input : inputs) {
    values.push_back(input.to_vector());
    const auto [min_it, max_it] = std::minmax_element(values.back().begin(), values.back().end());
    lo = std::min(lo, *min_it);
    hi = std::max(hi, *max_it);
    total += static_cast<int64_t>(values.back().size());
    zeros += std::count(values.back().begin(), values.back().end(), 0.0f);
  }

  CalibrationHistogram histogram;
  histogram.layer = layer_name;
  histogram.lower = lo;
  histogram.bin_width = hi > lo ? (static_cast<double>(hi) - lo) / static_cast<double>(bins) : 1.0;
  histogram.counts.assign(static_cast<std::size_t>(bins), 0);
  for (const auto& batch : values) {
    for (float v : batch) {
      // bin i holds [lower + i·w, lower + (i+1)·w); the maximum goes into the last bin.
      const auto bin = static_cast<int64_t>((static_cast<double>(v) - histogram.lower) / histogram.bin_width);
      ++histogram.counts[static_cast<std::size_t>(std::clamp<int64_t>(bin, 0, bins - 1))];
    }
  }
  histogram.values = total;
  histogram.zero_fraction = static_cast<double>(zeros) / static_cast<double>(total);
  for (CalibrationMethod method : kMethods) histogram.thresholds.push_back(clip_threshold(method, inputs, values, total));
  return histogram;
}

nlohmann::json CalibrationHistogram::to_json() const {
  nlohmann::json by_method = nlohmann::json::object();
  for (const ClipThreshold& threshold : thresholds) {
    by_method[threshold.method] = {
        {"value", threshold.value}, {"scale", threshold.scale}, {"clipped_fraction", threshold.clipped_fraction}};
  }
  return {{"layer", layer},   {"lower", lower},          {"bin_width", bin_width},  {"counts", counts},
          {"values", values}, {"zero_fraction", zero_fraction}, {"thresholds", by_method}};
}

}  // namespace milestone06
