// quantized_model_io.cpp — Module 15: a quantized Sequential <-> one safetensors file (see quantized_model_io.hpp).
//
// Saving asks each layer for what it stores — tensors named "<index>.<part>" —
// and for the settings needed to rebuild it — one JSON entry per layer:
// (the weight-only layers' scale count is not written: it follows from in and group_size)
//
//   QuantizedLinear  int8 q_w (N, K), s_w and z_w (N per channel, 1 per tensor),
//                    the bias (int32 q_b once static and calibrated, else float32 b),
//                    s_x and z_x (static, calibrated), s_y and z_y (integer pipeline)
//                    {"type":"QuantizedLinear","in":K,"out":N,"bias":true,"mode":"static","calibrated":true,
//                     "weights":{"dtype":"int8","scheme":"symmetric","narrow_range":true,"axis":0},
//                     "activations":{"dtype":"uint8","scheme":"affine","narrow_range":false},
//                     "uint8_output":true,"fused_relu":true}          (the last two: version 2 only)
//   Linear           float32 W (N, K) and b (N)          {"type":"Linear","in":K,"out":N,"bias":true}
//   ReLU, Sigmoid, Tanh, GELU: nothing                   {"type":"ReLU"}
//   FusedReLU: nothing (version 2)                       {"type":"FusedReLU"}
//   Softmax, Dropout: nothing                            {"type":"Softmax","axis":-1}, {"type":"Dropout","p":0.5}
//   Int4Linear (version 3)  U8 nibbles (N, ceil(K/2)), F16 scales (N, ceil(K/g)), F32 bias (N)
//                    {"type":"Int4Linear","in":K,"out":N,"bias":true,"group_size":32}
//   HalfLinear (version 3)  F16 or BF16 W (N, K), F32 bias (N)
//                    {"type":"HalfLinear","in":K,"out":N,"bias":true,"format":"bfloat16"}
//
// Version: 3 when the model holds a weight-only layer (Int4Linear, HalfLinear),
// else 2 when it uses the integer pipeline (a FusedReLU, or a layer with output
// parameters), else 1 — each older format unchanged, so older readers still read
// what they can. This reader reads all three.
//
// Size: an int8 weight is 1 byte against 4, and the per-channel extras (s_w, z_w,
// q_b: 12 bytes per output neuron) are small beside N·K, so the file is about a
// quarter of the FP32 one; an int4 weight is half a byte plus 2 bytes of scale per
// group (4 + 16/g bits), a 16-bit float weight 2 bytes. The JSON is written
// compactly for the same reason.
//
// Loading trusts nothing: the container is checked by load_safetensors; then the
// format and version, the config (parse_quant_config), the "layers" JSON (every
// key present with the right type), every tensor a layer needs (present, dtype,
// shape from the layer entry — for Int4Linear the scale count ceil(K/g) comes from
// the entry's group_size), that no tensor is left over, and finally the values
// (QuantizedLinear(Parts): scales > 0 and finite, zero points and weights in range;
// Int4Linear(Parts) and HalfLinear(weight16, bias) check theirs). Each failure names
// the file, the layer index and the tensor.
#include "tinytorch/perf/quantized_model_io.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <typeinfo>
#include <utility>
#include <vector>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/dropout.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/io/safetensors.hpp"
#include "tinytorch/perf/half_linear.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/int4_weights.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

namespace tinytorch {

namespace {

using Json = nlohmann::ordered_json;  // keys stay in the order written: "type" first

constexpr const char* kFormat = "tinytorch.quantized";
// Version 1: the first format. Version 2: + the integer pipeline (output parameters, FusedReLU).
// Version 3: + the weight-only layers (Int4Linear, HalfLinear).
constexpr int kFirstVersion = 1;
constexpr int kPipelineVersion = 2;
constexpr int kWeightOnlyVersion = 3;
const std::vector<std::string> kLayerTypes = {"Linear",  "QuantizedLinear", "Int4Linear", "HalfLinear", "ReLU",
                                              "FusedReLU", "Sigmoid",       "Tanh",       "GELU",       "Softmax",
                                              "Dropout"};

template <typename Layer>
const Layer* as_exactly(const Module& module) {
  // The exact type: a subclass of Linear could compute something else and must not be saved as a Linear.
  return typeid(module) == typeid(Layer) ? static_cast<const Layer*>(&module) : nullptr;
}

// ---- saving ---------------------------------------------------------------------------------

// What one layer puts in the file.
struct SavedLayer {
  Json entry;
  NamedTensors tensors;
};

SavedLayer save_quantized_linear(const QuantizedLinear& layer, const std::string& prefix, int version) {
  const QuantizedLinear::Parts parts = layer.parts();
  SavedLayer saved;
  // BEGIN SOLUTION
  const QParams& weight = parts.weight.params;
  const int64_t channels = weight.channels();  // N per channel, 1 per tensor
  saved.tensors = {{prefix + "weight", parts.weight.values},
                   {prefix + "weight_scale", Tensor::from_values(weight.scale, {channels})},
                   {prefix + "weight_zero_point", Tensor::from_int32(weight.zero_point, {channels})}};
  // Static and calibrated: q_b, already on the accumulator's scale s_x·s_w (int32).
  // Dynamic or not yet calibrated: b itself (float32).
  const Tensor& bias = parts.bias_int32.defined() ? parts.bias_int32 : parts.bias_fp32;
  if (bias.defined()) saved.tensors.emplace_back(prefix + "bias", bias);
  if (parts.calibrated) {
    saved.tensors.emplace_back(prefix + "input_scale", Tensor::from_values(parts.input_params.scale, {1}));
    saved.tensors.emplace_back(prefix + "input_zero_point", Tensor::from_int32(parts.input_params.zero_point, {1}));
  }
  const QuantSpec& activations = parts.config.activations;
  saved.entry = {{"type", "QuantizedLinear"},
                 {"in", layer.in_features()},
                 {"out", layer.out_features()},
                 {"bias", bias.defined()},
                 {"mode", to_string(parts.config.mode)},
                 {"calibrated", parts.calibrated},
                 {"weights",
                  {{"dtype", to_string(weight.dtype)},
                   {"scheme", to_string(weight.scheme)},
                   {"narrow_range", weight.narrow_range},
                   {"axis", weight.axis}}},
                 {"activations",
                  {{"dtype", to_string(activations.dtype)},
                   {"scheme", to_string(activations.scheme)},
                   {"narrow_range", activations.narrow_range}}}};
  // Version 2: the integer pipeline's output grid (s_y, z_y) and whether a ReLU is fused into its clamp.
  if (version >= kPipelineVersion) {
    saved.entry["uint8_output"] = parts.has_output_params;
    saved.entry["fused_relu"] = parts.has_output_params && parts.fused_relu;
    if (parts.has_output_params) {
      saved.tensors.emplace_back(prefix + "output_scale", Tensor::from_values(parts.output_params.scale, {1}));
      saved.tensors.emplace_back(prefix + "output_zero_point", Tensor::from_int32(parts.output_params.zero_point, {1}));
    }
  }
  // END SOLUTION
  return saved;
}

SavedLayer save_linear(const Linear& layer, const std::string& prefix) {
  SavedLayer saved;
  saved.tensors = {{prefix + "weight", layer.weight()}};
  if (layer.has_bias()) saved.tensors.emplace_back(prefix + "bias", layer.bias());
  saved.entry = {
      {"type", "Linear"}, {"in", layer.in_features()}, {"out", layer.out_features()}, {"bias", layer.has_bias()}};
  return saved;
}

// Int4Linear: the nibbles as stored (U8, two per byte), the float16 scale bits (F16), b (F32).
SavedLayer save_int4_linear(const Int4Linear& layer, const std::string& prefix) {
  const Int4Linear::Parts parts = layer.parts();
  const Int4GroupedWeights& weights = parts.weight;
  SavedLayer saved;
  Tensor packed = Tensor::empty({weights.out_features, weights.bytes_per_row()}, DType::UInt8);
  std::memcpy(packed.data<uint8_t>(), weights.packed.data(), weights.packed.size());
  Tensor scales = Tensor::empty({weights.out_features, weights.groups_per_row()}, DType::Float16);
  std::memcpy(scales.data<uint16_t>(), weights.scales.data(), weights.scales.size() * sizeof(uint16_t));
  saved.tensors = {{prefix + "weight", packed}, {prefix + "weight_scale", scales}};
  if (parts.bias.defined()) saved.tensors.emplace_back(prefix + "bias", parts.bias);
  saved.entry = {{"type", "Int4Linear"},
                 {"in", weights.in_features},
                 {"out", weights.out_features},
                 {"bias", parts.bias.defined()},
                 {"group_size", weights.group_size}};
  return saved;
}

// HalfLinear: W as its 16-bit floats (F16 or BF16), b (F32).
SavedLayer save_half_linear(const HalfLinear& layer, const std::string& prefix) {
  SavedLayer saved;
  saved.tensors = {{prefix + "weight", layer.weight16()}};
  if (layer.has_bias()) saved.tensors.emplace_back(prefix + "bias", layer.bias());
  saved.entry = {{"type", "HalfLinear"},
                 {"in", layer.in_features()},
                 {"out", layer.out_features()},
                 {"bias", layer.has_bias()},
                 {"format", std::string(dtype_name(layer.format()))}};
  return saved;
}

SavedLayer save_layer(const Module& layer, std::size_t index, int version) {
  const std::string prefix = std::to_string(index) + ".";
  if (const auto* quantized = as_exactly<QuantizedLinear>(layer)) {
    return save_quantized_linear(*quantized, prefix, version);
  }
  if (const auto* int4 = as_exactly<Int4Linear>(layer)) return save_int4_linear(*int4, prefix);
  if (const auto* half = as_exactly<HalfLinear>(layer)) return save_half_linear(*half, prefix);
  if (const auto* linear = as_exactly<Linear>(layer)) return save_linear(*linear, prefix);
  // Layers without tensors: the entry is all there is.
  if (const auto* softmax = as_exactly<Softmax>(layer)) {
    return SavedLayer{Json{{"type", "Softmax"}, {"axis", softmax->axis()}}, {}};
  }
  if (const auto* dropout = as_exactly<Dropout>(layer)) {
    return SavedLayer{Json{{"type", "Dropout"}, {"p", dropout->p()}}, {}};
  }
  if (as_exactly<FusedReLU>(layer)) return SavedLayer{Json{{"type", "FusedReLU"}}, {}};  // its name() is "ReLU"
  if (as_exactly<ReLU>(layer) || as_exactly<Sigmoid>(layer) || as_exactly<Tanh>(layer) || as_exactly<GELU>(layer)) {
    return SavedLayer{Json{{"type", layer.name()}}, {}};
  }
  throw ValueError(fmt::format("save_quantized_model: layer {} is a {}; expected one of {}", index, layer.name(),
                               fmt::join(kLayerTypes, ", ")));
}

// The version a model needs: 3 if it holds a weight-only layer, else 2 if it uses the
// integer pipeline, else the first format.
int version_for(const Sequential& model) {
  int version = kFirstVersion;
  for (std::size_t index = 0; index < model.size(); ++index) {
    const Module& layer = *model.at(index);
    const auto* quantized = as_exactly<QuantizedLinear>(layer);
    if (as_exactly<Int4Linear>(layer) != nullptr || as_exactly<HalfLinear>(layer) != nullptr) {
      return kWeightOnlyVersion;
    }
    if (as_exactly<FusedReLU>(layer) != nullptr || (quantized != nullptr && quantized->has_output_params())) {
      version = kPipelineVersion;
    }
  }
  return version;
}

void create_parent_directory(const std::string& path) {
  const std::filesystem::path file(path);
  if (!file.has_parent_path()) return;
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  if (error) {
    throw FileError("save_quantized_model: cannot create the folder " + file.parent_path().string() + " for " + path +
                    ": " + error.message());
  }
}

// ---- loading ----------------------------------------------------------------------------------

// Re-throws a tinytorch error from `build` with `where` in front, keeping its kind.
template <typename Build>
auto with_context(const std::string& where, Build&& build) -> decltype(build()) {
  try {
    return build();
  } catch (const ShapeError& error) {
    throw ShapeError(where + ": " + error.what());
  } catch (const DTypeError& error) {
    throw DTypeError(where + ": " + error.what());
  } catch (const IndexError& error) {
    throw IndexError(where + ": " + error.what());
  } catch (const ValueError& error) {
    throw ValueError(where + ": " + error.what());
  }
}

// One entry of "layers" being read: its keys, and the tensors "<index>.<part>" it claims.
class LayerReader {
 public:
  LayerReader(const SafetensorsFile& file, const std::string& path, std::size_t index, const Json& entry,
              std::set<std::string>& claimed)
      : file_(file), path_(path), index_(index), entry_(entry), claimed_(claimed) {}

  // "load_quantized_model: model.safetensors: layer 2 (QuantizedLinear)"
  std::string where() const { return fmt::format("load_quantized_model: {}: layer {} ({})", path_, index_, type_); }
  [[noreturn]] void fail(const std::string& problem) const { throw ValueError(where() + ": " + problem); }

  void set_type(std::string type) { type_ = std::move(type); }

  // The entry holds exactly these keys ("type" included).
  void expect_keys(const std::vector<std::string>& keys) const { expect_keys_of(entry_, "the entry", keys); }
  void expect_keys_of(const Json& object, const std::string& what, const std::vector<std::string>& keys) const {
    for (const std::string& key : keys) {
      if (!object.contains(key))
        fail(fmt::format("{} has no '{}'; expected the keys {}", what, key, fmt::join(keys, ", ")));
    }
    for (const auto& item : object.items()) {
      if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
        fail(fmt::format("{} has an unknown key '{}'; expected the keys {}", what, item.key(), fmt::join(keys, ", ")));
      }
    }
  }

  int64_t integer(const Json& object, const char* key) const {
    const Json& value = object.at(key);
    if (!value.is_number_integer()) fail(fmt::format("'{}' is {}; expected an integer", key, value.dump()));
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
      fail(fmt::format("'{}' is {}; expected a 64-bit integer", key, value.dump()));
    }
    return value.get<int64_t>();
  }
  int64_t size(const Json& object, const char* key) const {
    const int64_t value = integer(object, key);
    if (value < 1) fail(fmt::format("'{}' is {}; expected a size >= 1", key, value));
    return value;
  }
  bool boolean(const Json& object, const char* key) const {
    const Json& value = object.at(key);
    if (!value.is_boolean()) fail(fmt::format("'{}' is {}; expected true or false", key, value.dump()));
    return value.get<bool>();
  }
  double number(const Json& object, const char* key) const {
    const Json& value = object.at(key);
    if (!value.is_number()) fail(fmt::format("'{}' is {}; expected a number", key, value.dump()));
    return value.get<double>();
  }
  std::string text(const Json& object, const char* key) const {
    const Json& value = object.at(key);
    if (!value.is_string()) fail(fmt::format("'{}' is {}; expected a string", key, value.dump()));
    return value.get<std::string>();
  }
  const Json& object(const Json& parent, const char* key) const {
    const Json& value = parent.at(key);
    if (!value.is_object()) fail(fmt::format("'{}' is {}; expected an object", key, value.dump()));
    return value;
  }
  // A name parsed by `parse` (parse_qdtype, ...), its ValueError given the layer and `label` ("weights.dtype").
  template <typename Parse>
  auto named(const Json& object, const char* key, const std::string& label, Parse parse) const {
    const std::string name = text(object, key);
    return with_context(where() + ": '" + label + "'", [&] { return parse(name); });
  }

  // The tensor "<index>.<part>", which must be `dtype` of `shape`.
  Tensor tensor(const std::string& part, DType dtype, const Shape& shape) const {
    const std::string name = std::to_string(index_) + "." + part;
    const std::string expected = fmt::format("{} {}", safetensors_dtype_code(dtype), shape_str(shape));
    if (!file_.contains(name)) fail(fmt::format("the file has no tensor '{}'; expected {}", name, expected));
    const Tensor& stored = file_.at(name);
    if (stored.dtype() != dtype) {
      throw DTypeError(fmt::format("{}: tensor '{}' is {} {}; expected {}", where(), name,
                                   safetensors_dtype_code(stored.dtype()), shape_str(stored.shape()), expected));
    }
    if (stored.shape() != shape) {
      throw ShapeError(fmt::format("{}: tensor '{}' is {} {}; expected {} (from the layer entry)", where(), name,
                                   safetensors_dtype_code(stored.dtype()), shape_str(stored.shape()), expected));
    }
    claimed_.insert(name);
    return stored;
  }

  const Json& entry() const { return entry_; }

 private:
  const SafetensorsFile& file_;
  const std::string& path_;
  std::size_t index_;
  const Json& entry_;
  std::set<std::string>& claimed_;
  std::string type_ = "?";
};

// `section` is "weights" or "activations".
QuantSpec read_spec(const LayerReader& reader, const Json& spec, const std::string& section, bool per_channel) {
  QuantSpec result;
  result.dtype = reader.named(spec, "dtype", section + ".dtype", parse_qdtype);
  result.scheme = reader.named(spec, "scheme", section + ".scheme", parse_qscheme);
  result.narrow_range = reader.boolean(spec, "narrow_range");
  result.per_channel = per_channel;
  result.axis = 0;
  return result;
}

std::shared_ptr<Module> load_quantized_linear(const LayerReader& reader, const QuantConfig& file_config, int version) {
  const Json& entry = reader.entry();
  std::vector<std::string> keys = {"type", "in", "out", "bias", "mode", "calibrated", "weights", "activations"};
  if (version >= kPipelineVersion) keys.insert(keys.end(), {"uint8_output", "fused_relu"});
  reader.expect_keys(keys);
  // read (and checked) here, in the file's order; used by the solution below
  [[maybe_unused]] const int64_t in = reader.size(entry, "in");
  [[maybe_unused]] const int64_t out = reader.size(entry, "out");
  [[maybe_unused]] const bool has_bias = reader.boolean(entry, "bias");
  const bool calibrated = reader.boolean(entry, "calibrated");
  const Json& weights = reader.object(entry, "weights");
  const Json& activations = reader.object(entry, "activations");
  reader.expect_keys_of(weights, "'weights'", {"dtype", "scheme", "narrow_range", "axis"});
  reader.expect_keys_of(activations, "'activations'", {"dtype", "scheme", "narrow_range"});
  const int64_t axis = reader.integer(weights, "axis");
  if (axis != -1 && axis != 0) {
    reader.fail(fmt::format("weights axis is {}; expected 0 (per channel) or -1 (per tensor)", axis));
  }

  // The layer's config: the file's, with this layer's mode and specs.
  QuantizedLinear::Parts parts;
  parts.config = file_config;
  parts.config.mode = reader.named(entry, "mode", "mode", parse_quant_mode);
  parts.config.weights = read_spec(reader, weights, "weights", /*per_channel=*/axis == 0);
  parts.config.activations = read_spec(reader, activations, "activations", /*per_channel=*/false);
  validate_quant_config(parts.config, reader.where());
  if (parts.config.mode == QuantMode::Dynamic && calibrated) {
    reader.fail("a dynamic layer marked calibrated; dynamic layers choose their input parameters per batch");
  }

  // BEGIN SOLUTION
  const int64_t channels = axis == 0 ? out : 1;
  QParams& weight = parts.weight.params;
  weight.dtype = parts.config.weights.dtype;
  weight.scheme = parts.config.weights.scheme;
  weight.narrow_range = parts.config.weights.narrow_range;
  weight.axis = axis;
  parts.weight.values = reader.tensor("weight", storage_dtype(weight.dtype), {out, in});
  weight.scale = reader.tensor("weight_scale", DType::Float32, {channels}).to_vector();
  weight.zero_point = reader.tensor("weight_zero_point", DType::Int32, {channels}).to_int32_vector();
  // The bias is q_b (int32) exactly when the layer is static and calibrated.
  if (has_bias) {
    const bool quantized_bias = parts.config.mode == QuantMode::Static && calibrated;
    (quantized_bias ? parts.bias_int32 : parts.bias_fp32) =
        reader.tensor("bias", quantized_bias ? DType::Int32 : DType::Float32, {out});
  }
  parts.calibrated = calibrated;
  if (calibrated) {
    QParams& input = parts.input_params;
    input.dtype = parts.config.activations.dtype;
    input.scheme = parts.config.activations.scheme;
    input.narrow_range = parts.config.activations.narrow_range;
    input.axis = -1;
    input.scale = reader.tensor("input_scale", DType::Float32, {1}).to_vector();
    input.zero_point = reader.tensor("input_zero_point", DType::Int32, {1}).to_int32_vector();
  }
  if (version >= kPipelineVersion) {
    parts.has_output_params = reader.boolean(entry, "uint8_output");
    parts.fused_relu = reader.boolean(entry, "fused_relu");
    if (parts.fused_relu && !parts.has_output_params) reader.fail("'fused_relu' is true but 'uint8_output' is false");
    if (parts.has_output_params) {
      // The next layer's input grid: uint8 with the activations' scheme (QuantizedLinear(Parts) checks the rest).
      QParams& output = parts.output_params;
      output.dtype = QDType::UInt8;
      output.scheme = parts.config.activations.scheme;
      output.narrow_range = parts.config.activations.narrow_range;
      output.axis = -1;
      output.scale = reader.tensor("output_scale", DType::Float32, {1}).to_vector();
      output.zero_point = reader.tensor("output_zero_point", DType::Int32, {1}).to_int32_vector();
    }
  }
  // END SOLUTION
  // QuantizedLinear(Parts) checks the values: scales finite and > 0, zero points and weights in range.
  return with_context(reader.where(), [&] { return std::make_shared<QuantizedLinear>(std::move(parts)); });
}

std::shared_ptr<Module> load_linear(const LayerReader& reader) {
  const Json& entry = reader.entry();
  reader.expect_keys({"type", "in", "out", "bias"});
  const int64_t in = reader.size(entry, "in");
  const int64_t out = reader.size(entry, "out");
  Tensor weight = reader.tensor("weight", DType::Float32, {out, in});
  Tensor bias = reader.boolean(entry, "bias") ? reader.tensor("bias", DType::Float32, {out}) : Tensor();
  return std::make_shared<Linear>(std::move(weight), std::move(bias));
}

// A layer type that a format version introduced, found in an older file.
void check_version(const LayerReader& reader, const std::string& type, int needed, int version) {
  if (version < needed) {
    reader.fail(fmt::format("{} layers belong to format version {}; this file says version {}", type, needed, version));
  }
}

std::shared_ptr<Module> load_int4_linear(const LayerReader& reader) {
  const Json& entry = reader.entry();
  reader.expect_keys({"type", "in", "out", "bias", "group_size"});
  Int4Linear::Parts parts;
  Int4GroupedWeights& weights = parts.weight;
  weights.in_features = reader.size(entry, "in");
  weights.out_features = reader.size(entry, "out");
  weights.group_size = reader.integer(entry, "group_size");
  // The group size fixes how many scales a row has: check it before reading them.
  with_context(reader.where(), [&] { check_int4_group_size(weights.group_size, "'group_size'"); });
  // BEGIN SOLUTION
  const Tensor packed = reader.tensor("weight", DType::UInt8, {weights.out_features, weights.bytes_per_row()});
  const Tensor scales = reader.tensor("weight_scale", DType::Float16, {weights.out_features, weights.groups_per_row()});
  weights.packed.assign(packed.data<uint8_t>(), packed.data<uint8_t>() + packed.numel());
  weights.scales.assign(scales.data<uint16_t>(), scales.data<uint16_t>() + scales.numel());
  if (reader.boolean(entry, "bias")) parts.bias = reader.tensor("bias", DType::Float32, {weights.out_features});
  // END SOLUTION
  // Int4Linear(Parts) checks the values: nibbles in [1, 15] (q in [−7, 7]), scales finite and > 0.
  return with_context(reader.where(), [&] { return std::make_shared<Int4Linear>(std::move(parts)); });
}

std::shared_ptr<Module> load_half_linear(const LayerReader& reader) {
  const Json& entry = reader.entry();
  reader.expect_keys({"type", "in", "out", "bias", "format"});
  const int64_t in = reader.size(entry, "in");
  const int64_t out = reader.size(entry, "out");
  const std::string format = reader.text(entry, "format");
  if (format != dtype_name(DType::Float16) && format != dtype_name(DType::BFloat16)) {
    reader.fail(fmt::format("'format' is \"{}\"; expected \"float16\" or \"bfloat16\"", format));
  }
  const DType weight_dtype = format == dtype_name(DType::Float16) ? DType::Float16 : DType::BFloat16;
  Tensor weight = reader.tensor("weight", weight_dtype, {out, in});
  Tensor bias = reader.boolean(entry, "bias") ? reader.tensor("bias", DType::Float32, {out}) : Tensor();
  return with_context(reader.where(), [&] { return std::make_shared<HalfLinear>(std::move(weight), std::move(bias)); });
}

std::shared_ptr<Module> load_layer(LayerReader& reader, const QuantConfig& file_config, int version) {
  const Json& entry = reader.entry();
  if (!entry.is_object()) reader.fail(fmt::format("the entry is {}; expected an object with a \"type\"", entry.dump()));
  if (!entry.contains("type")) reader.fail("the entry has no \"type\"");
  const std::string type = reader.text(entry, "type");
  reader.set_type(type);
  if (type == "QuantizedLinear") return load_quantized_linear(reader, file_config, version);
  if (type == "Linear") return load_linear(reader);
  if (type == "Int4Linear" || type == "HalfLinear") {
    check_version(reader, type, kWeightOnlyVersion, version);
    return type == "Int4Linear" ? load_int4_linear(reader) : load_half_linear(reader);
  }
  if (type == "Softmax") {
    reader.expect_keys({"type", "axis"});
    return std::make_shared<Softmax>(reader.integer(entry, "axis"));
  }
  if (type == "Dropout") {
    reader.expect_keys({"type", "p"});
    const auto p = static_cast<float>(reader.number(entry, "p"));
    return with_context(reader.where(), [&] { return std::make_shared<Dropout>(p); });
  }
  reader.expect_keys({"type"});
  if (type == "ReLU") return std::make_shared<ReLU>();
  if (type == "FusedReLU") {
    check_version(reader, type, kPipelineVersion, version);
    return std::make_shared<FusedReLU>();
  }
  if (type == "Sigmoid") return std::make_shared<Sigmoid>();
  if (type == "Tanh") return std::make_shared<Tanh>();
  if (type == "GELU") return std::make_shared<GELU>();
  reader.fail(fmt::format("unknown layer type '{}'; expected one of {}", type, fmt::join(kLayerTypes, ", ")));
}

// A metadata entry that must be there.
const std::string& metadata_value(const SafetensorsFile& file, const std::string& path, const std::string& key) {
  const auto it = file.metadata.find(key);
  if (it == file.metadata.end()) {
    throw ValueError(
        fmt::format("load_quantized_model: {} has no \"{}\" in its metadata; expected a file written by "
                    "save_quantized_model",
                    path, key));
  }
  return it->second;
}

// Checks the format name and returns the version (1, 2 or 3).
int check_format(const SafetensorsFile& file, const std::string& path) {
  const auto format = file.metadata.find("format");
  if (format == file.metadata.end() || format->second != kFormat) {
    throw ValueError(
        fmt::format("load_quantized_model: {} has format '{}'; expected '{}' (a file written by "
                    "save_quantized_model; an FP32 model from save_model loads with load_model)",
                    path, format == file.metadata.end() ? "(none)" : format->second, kFormat));
  }
  const std::string& version = metadata_value(file, path, "version");
  if (version == std::to_string(kFirstVersion)) return kFirstVersion;
  if (version == std::to_string(kPipelineVersion)) return kPipelineVersion;
  if (version == std::to_string(kWeightOnlyVersion)) return kWeightOnlyVersion;
  throw ValueError(fmt::format("load_quantized_model: {} has format version '{}'; this reader knows versions {}, {} "
                               "and {}",
                               path, version, kFirstVersion, kPipelineVersion, kWeightOnlyVersion));
}

Json parse_layers(const SafetensorsFile& file, const std::string& path) {
  const std::string& text = metadata_value(file, path, "layers");
  Json layers;
  try {
    layers = Json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    throw ValueError(
        fmt::format("load_quantized_model: {}: the \"layers\" metadata is not valid JSON: {}", path, error.what()));
  }
  if (!layers.is_array()) {
    throw ValueError(
        fmt::format("load_quantized_model: {}: the \"layers\" metadata is a JSON {}; expected a list of "
                    "layer entries",
                    path, layers.type_name()));
  }
  return layers;
}

}  // namespace

// ---- the two functions --------------------------------------------------------------------------

int64_t save_quantized_model(const Sequential& model, const std::string& path, const QuantConfig& config) {
  const std::string config_yaml = to_yaml(config);  // also checks the config
  const int version = version_for(model);
  Json layers = Json::array();
  NamedTensors tensors;
  for (std::size_t index = 0; index < model.size(); ++index) {
    SavedLayer saved = save_layer(*model.at(index), index, version);
    layers.push_back(std::move(saved.entry));
    for (auto& named : saved.tensors) tensors.push_back(std::move(named));
  }
  create_parent_directory(path);
  save_safetensors(path, tensors,
                   {{"format", kFormat},
                    {"version", std::to_string(version)},
                    {"layers", layers.dump()},
                    {"config", config_yaml}});
  std::error_code error;
  const auto bytes = std::filesystem::file_size(path, error);
  if (error) throw FileError("save_quantized_model: wrote " + path + " but cannot read its size: " + error.message());
  return static_cast<int64_t>(bytes);
}

LoadedQuantizedModel load_quantized_model(const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);  // the container: FileError if broken
  const int version = check_format(file, path);
  LoadedQuantizedModel loaded;
  loaded.config = parse_quant_config(metadata_value(file, path, "config"), path + " (metadata \"config\")");
  const Json layers = parse_layers(file, path);

  std::set<std::string> claimed;  // tensor names some layer has read
  std::vector<std::shared_ptr<Module>> modules;
  for (std::size_t index = 0; index < layers.size(); ++index) {
    LayerReader reader(file, path, index, layers[index], claimed);
    modules.push_back(load_layer(reader, loaded.config, version));
  }
  for (const auto& [name, stored] : file.tensors) {
    if (claimed.count(name) == 0) {
      throw ValueError(
          fmt::format("load_quantized_model: {} holds a tensor '{}' {} that no layer uses; expected "
                      "exactly the tensors of the {} layers in its \"layers\" list",
                      path, name, shape_str(stored.shape()), layers.size()));
    }
  }
  loaded.model = std::make_shared<Sequential>(std::move(modules));
  loaded.model->eval();  // a quantized model is for inference: Dropout off
  return loaded;
}

}  // namespace tinytorch
