// quant_config.hpp — Module 15: every choice of a quantization, in one struct and one YAML file.
//
//   # configs/static_per_channel_entropy.yaml
//   mode: static                 # static | dynamic
//   weights:
//     dtype: int8                # int8 | uint8 | int4
//     scheme: symmetric          # symmetric | affine
//     granularity: per_channel   # per_channel | per_tensor
//     narrow_range: true         # int8 weights in [-127, 127]
//   activations:
//     dtype: uint8
//     scheme: affine
//   calibration:
//     method: entropy            # minmax | moving_average | percentile | entropy | mse
//     percentile: 99.99          # percentile only
//     momentum: 0.01             # moving_average only
//     bins: 2048                 # histogram methods
//     max_batches: 32            # calibration batches used by quantize_model (0: all given)
//   skip_layers: ["4"]           # Sequential indices left in FP32 (e.g. the last layer)
//
// Every key is optional (the defaults are the values above, except method:
// minmax and skip_layers: []). A key that is not listed here is a ValueError
// naming the key, the file and the keys allowed at that level — a typo such as
// "granulairty" must not silently fall back to a default.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/qparams.hpp"

namespace tinytorch {

// Static: each layer's input (scale, zero point) is fixed once by calibration.
// Dynamic: computed from each batch's own min and max at run time (no
// calibration; weights are quantized ahead of time either way).
enum class QuantMode { Static, Dynamic };
enum class CalibrationMethod { MinMax, MovingAverage, Percentile, Entropy, MSE };

std::string to_string(QuantMode mode);
std::string to_string(CalibrationMethod method);
QuantMode parse_quant_mode(const std::string& name);
CalibrationMethod parse_calibration_method(const std::string& name);

struct CalibrationConfig {
  CalibrationMethod method = CalibrationMethod::MinMax;
  double percentile = 99.99;
  float momentum = 0.01f;
  int64_t bins = 2048;
  int64_t max_batches = 32;
  friend bool operator==(const CalibrationConfig&, const CalibrationConfig&) = default;
};

struct QuantConfig {
  QuantMode mode = QuantMode::Static;
  QuantSpec weights{QDType::Int8, QScheme::Symmetric, /*narrow_range=*/true, /*per_channel=*/true, /*axis=*/0};
  QuantSpec activations{QDType::UInt8, QScheme::Affine, /*narrow_range=*/false, /*per_channel=*/false, 0};
  CalibrationConfig calibration;
  std::vector<std::string> skip_layers;

  // "static, weights int8 symmetric per-channel, activations uint8 affine, calibration entropy"
  std::string describe() const;
  // A short name for tables: "static/per-channel/entropy", "dynamic/per-tensor".
  std::string short_name() const;
  friend bool operator==(const QuantConfig&, const QuantConfig&) = default;
};

// ValueError "<operation>: ..." naming the field when `config` asks for what the
// quantized layers cannot run (uint8 weights, per-channel activations) or holds a
// value out of range (percentile outside (0, 100], bins < 1, ...).
// parse_quant_config, to_yaml and load_quantized_model check every config with it.
void validate_quant_config(const QuantConfig& config, const std::string& operation);

// A fresh observer for activations, as `config` says (ValueError for values out of range).
std::unique_ptr<Observer> make_observer(const CalibrationConfig& config);

// YAML text -> config. `source` names the text in errors (a path, "<string>").
QuantConfig parse_quant_config(const std::string& yaml_text, const std::string& source = "<string>");
// Reads a file (FileError if it cannot be read; ValueError for bad contents).
QuantConfig load_quant_config(const std::string& path);
// The config as YAML that parse_quant_config reads back to an equal config.
std::string to_yaml(const QuantConfig& config);

}  // namespace tinytorch
