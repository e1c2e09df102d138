// calibration_histogram.hpp — Milestone 06: what calibration sees, and where each method clips.
//
// Static quantization fixes each layer's input range from calibration data
// (observer.hpp). To show why the methods disagree, we take one layer's input —
// by default the input of Linear "2", the output of the first ReLU — over the same
// calibration batches quantize_model uses, and record:
//
//   a histogram of the values: `bins` equal bins over [0, max] (ReLU outputs are ≥ 0;
//   a negative value widens the range to [min, max]);
//
//   for each calibration method, the observer make_observer(CalibrationConfig{method})
//   fed the same batches, its activation parameters (s, z) = compute_qparams(uint8
//   affine, QuantConfig{}.activations), and the top of the range they represent:
//
//     T = s · (q_max − z)                                                        (1)
//
//   and the fraction of values the quantizer's clamp moves: q = round(x/s) + z
//   exceeds q_max exactly when x/s > q_max − z + ½, i.e.
//
//     clipped = #{ x > T + s/2 } / #values                                       (2)
//
// (values in (T, T + s/2] round to q_max like any other value; only the clamp is
// counted). Min-max clips nothing by construction; the histogram methods trade a
// few clipped outliers for a finer step s over the common values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/quant_config.hpp"

namespace milestone06 {

struct ClipThreshold {
  std::string method;  // to_string(CalibrationMethod): "minmax", "moving_average", ...
  double value = 0.0;  // T of (1)
  double scale = 0.0;  // s
  double clipped_fraction = 0.0;  // (2)
};

struct CalibrationHistogram {
  std::string layer;    // the Sequential index of the layer whose input this is: "2"
  double lower = 0.0;   // left edge of bin 0
  double bin_width = 0.0;
  std::vector<int64_t> counts;
  int64_t values = 0;        // Σ counts
  double zero_fraction = 0.0;  // exact zeros (the ReLU spike) / values
  std::vector<ClipThreshold> thresholds;  // one per calibration method, in enum order

  // {"layer": "2", "lower": 0, "bin_width": .., "counts": [...], "values": .., "zero_fraction": ..,
  //  "thresholds": {"minmax": {"value": .., "scale": .., "clipped_fraction": ..}, ...}}
  nlohmann::json to_json() const;
};

// The histogram and thresholds of the input of layer `layer_name` (a Sequential index
// naming a layer after the first; IndexError otherwise) over `calibration_batches`
// (ValueError if empty). The model runs in inference mode and is left unchanged.
CalibrationHistogram calibration_histogram(tinytorch::Sequential& fp32_model,
                                           const std::vector<tinytorch::Tensor>& calibration_batches,
                                           const std::string& layer_name = "2", int64_t bins = 120);

}  // namespace milestone06
