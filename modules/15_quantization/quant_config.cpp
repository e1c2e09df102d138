// quant_config.cpp — Module 15: QuantConfig from and to YAML (see quant_config.hpp for the layout).
//
// A config file is small, but it decides what every later number means, so the
// reader is strict: a misspelt key, a value of the wrong type, a number out of
// its range or a combination the quantized layers cannot run is a ValueError
// that names the file, the line, the key, the value and what was expected —
// never a silent default. Reading goes
//
//   YAML text -> syntax (yaml-cpp) -> each section's keys checked against its
//   allowed list -> each value converted and range-checked -> the combinations
//   checked (find_config_problem) -> QuantConfig
//
// and to_yaml writes every key explicitly, numbers in their shortest exact
// decimal form, so parse_quant_config(to_yaml(c)) == c bit for bit.
#include "tinytorch/perf/quant_config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/histogram_observers.hpp"

namespace tinytorch {

namespace {

// ---- the allowed values -------------------------------------------------------------------

constexpr std::pair<QuantMode, const char*> kModeNames[] = {{QuantMode::Static, "static"},
                                                            {QuantMode::Dynamic, "dynamic"}};
constexpr std::pair<CalibrationMethod, const char*> kMethodNames[] = {
    {CalibrationMethod::MinMax, "minmax"},
    {CalibrationMethod::MovingAverage, "moving_average"},
    {CalibrationMethod::Percentile, "percentile"},
    {CalibrationMethod::Entropy, "entropy"},
    {CalibrationMethod::MSE, "mse"}};

// A histogram of more bins than this is a typo, not a calibration (and would
// allocate gigabytes before anything else could complain).
constexpr int64_t kMaxBins = int64_t{1} << 20;
// Entropy calibration compares P with a 128-level quantized Q (histogram_observers.hpp),
// starting at bin 128: it needs at least that many bins.
constexpr int64_t kEntropyMinBins = 128;

// "static, dynamic" — the names of a table, for messages.
template <typename Table>
std::string joined_names(const Table& table) {
  std::string out;
  for (const auto& [value, name] : table) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

std::string granularity_name(bool per_channel) { return per_channel ? "per_channel" : "per_tensor"; }

// ---- problems a config can have, whatever it was read from --------------------------------

// What is wrong and with which key ("calibration.bins"), so the YAML reader can
// point at the line and make_observer / to_yaml can name the field.
struct Problem {
  std::string key;
  std::string message;
};

std::optional<Problem> find_calibration_problem(const CalibrationConfig& calibration) {
  if (!(calibration.percentile > 0.0 && calibration.percentile <= 100.0)) {
    return Problem{"calibration.percentile",
                   fmt::format("calibration.percentile is {}; expected a percentage in (0, 100], e.g. 99.99",
                               calibration.percentile)};
  }
  if (!(calibration.momentum > 0.0f && calibration.momentum <= 1.0f)) {
    return Problem{"calibration.momentum",
                   fmt::format("calibration.momentum is {}; expected the weight of the newest batch, in (0, 1]",
                               calibration.momentum)};
  }
  if (calibration.bins < 1 || calibration.bins > kMaxBins) {
    return Problem{"calibration.bins", fmt::format("calibration.bins is {}; expected a histogram size in [1, {}]",
                                                   calibration.bins, kMaxBins)};
  }
  if (calibration.method == CalibrationMethod::Entropy && calibration.bins < kEntropyMinBins) {
    return Problem{"calibration.bins",
                   fmt::format("calibration.bins is {} with method entropy; the KL search compares against {} "
                               "quantized levels and needs bins >= {} (TensorRT uses 2048)",
                               calibration.bins, kEntropyMinBins, kEntropyMinBins)};
  }
  if (calibration.max_batches < 0) {
    return Problem{"calibration.max_batches",
                   fmt::format("calibration.max_batches is {}; expected a count >= 0 (0: every batch given)",
                               calibration.max_batches)};
  }
  return std::nullopt;
}

// The combinations QuantizedLinear cannot run, with the reason.
std::optional<Problem> find_config_problem(const QuantConfig& config) {
  if (storage_dtype(config.weights.dtype) != DType::Int8) {
    return Problem{"weights.dtype",
                   fmt::format("weights.dtype is {}; integer_matmul multiplies signed int8 weights, so weights "
                               "must be int8 or int4 (uint8 is for activations)",
                               to_string(config.weights.dtype))};
  }
  if (config.activations.per_channel) {
    return Problem{"activations.granularity",
                   "activations.granularity is per_channel; per-channel activations are not supported: "
                   "y = s_x·s_w·Σ_k (q_x − z_x)(q_w − z_w) needs one input scale s_x outside the sum over k "
                   "(integer_matmul.hpp (1)); use per_tensor"};
  }
  // Not expressible in the YAML layout: a Linear weight (out, in) has its channels on axis 0.
  if (config.weights.axis != 0 || config.activations.axis != 0) {
    return Problem{"weights.granularity",
                   fmt::format("weights.axis is {} and activations.axis {}; expected 0 (a Linear weight (out, in) "
                               "has one channel per output neuron along axis 0)",
                               config.weights.axis, config.activations.axis)};
  }
  if (auto problem = find_calibration_problem(config.calibration)) return problem;
  std::set<std::string> seen;
  for (const std::string& layer : config.skip_layers) {
    if (layer.empty()) return Problem{"skip_layers", "skip_layers holds an empty name; expected Sequential indices"};
    if (!seen.insert(layer).second) {
      return Problem{"skip_layers", fmt::format("skip_layers names layer '{}' twice", layer)};
    }
  }
  return std::nullopt;
}

// ---- reading YAML ---------------------------------------------------------------------------

// One YAML document being read: knows the source name for messages and checks
// each section's keys and each value's type.
class ConfigReader {
 public:
  explicit ConfigReader(std::string source) : source_(std::move(source)) {}

  // "parse_quant_config: configs/a.yaml line 7: <problem>"
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& problem) const {
    const std::string where = mark.is_null() ? source_ : fmt::format("{} line {}", source_, mark.line + 1);
    throw ValueError("parse_quant_config: " + where + ": " + problem);
  }

  // `section` must be a map whose keys are each in `allowed`, at most once.
  void check_keys(const YAML::Node& section, const std::string& path, const YAML::Mark& mark,
                  const std::vector<std::string>& allowed) const {
    const std::string allowed_list = fmt::format("{}", fmt::join(allowed, ", "));
    if (!section.IsMap()) {
      fail(mark, fmt::format("{} is {}; expected a map with the keys {}", path, describe_node(section), allowed_list));
    }
    std::set<std::string> seen;
    for (const auto& entry : section) {
      const YAML::Node& key = entry.first;
      if (!key.IsScalar()) fail(key.Mark(), fmt::format("a key of {} is not a plain name", path));
      const std::string name = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        fail(key.Mark(), fmt::format("unknown key '{}' in {}; allowed keys: {}", name, path, allowed_list));
      }
      if (!seen.insert(name).second) fail(key.Mark(), fmt::format("key '{}' appears twice in {}", name, path));
    }
  }

  // A text value: a scalar (quoted or not).
  std::string text(const YAML::Node& value, const std::string& key, const std::string& expected) const {
    if (!value.IsScalar())
      fail(value.Mark(), fmt::format("{} is {}; expected {}", key, describe_node(value), expected));
    return value.Scalar();
  }

  // `parse(name)` with its ValueError re-thrown with the file, line and key.
  template <typename Parse>
  auto named_value(const YAML::Node& value, const std::string& key, const std::string& expected, Parse parse) const {
    const std::string name = text(value, key, expected);
    try {
      return parse(name);
    } catch (const ValueError& error) {
      fail(value.Mark(), fmt::format("{} is '{}': {}", key, name, error.what()));
    }
  }

  bool boolean(const YAML::Node& value, const std::string& key) const {
    const std::string raw = plain_scalar(value, key, "true or false");
    bool result = false;
    if (!YAML::convert<bool>::decode(value, result)) {
      fail(value.Mark(), fmt::format("{} is '{}'; expected true or false", key, raw));
    }
    return result;
  }

  int64_t integer(const YAML::Node& value, const std::string& key) const {
    const std::string raw = plain_scalar(value, key, "an integer");
    int64_t result = 0;
    const auto [end, error] = std::from_chars(raw.data(), raw.data() + raw.size(), result);
    if (error != std::errc() || end != raw.data() + raw.size()) {
      fail(value.Mark(), fmt::format("{} is '{}'; expected an integer", key, raw));
    }
    return result;
  }

  // A float or double, read with from_chars: the nearest value of T to the
  // decimal text, which is what makes to_yaml's shortest forms round-trip.
  template <typename T>
  T number(const YAML::Node& value, const std::string& key) const {
    std::string raw = plain_scalar(value, key, "a number");
    const std::size_t start = (!raw.empty() && raw[0] == '+') ? 1 : 0;  // YAML allows "+0.5"
    T result = 0;
    const auto [end, error] = std::from_chars(raw.data() + start, raw.data() + raw.size(), result);
    if (error != std::errc() || end != raw.data() + raw.size()) {
      fail(value.Mark(), fmt::format("{} is '{}'; expected a number", key, raw));
    }
    return result;
  }

 private:
  // A number or boolean must be written plainly: "2048" in quotes is a string in YAML.
  std::string plain_scalar(const YAML::Node& value, const std::string& key, const std::string& expected) const {
    const std::string raw = text(value, key, expected);
    if (value.Tag() == "!")
      fail(value.Mark(), fmt::format("{} is the string \"{}\"; expected {} (no quotes)", key, raw, expected));
    return raw;
  }

  static std::string describe_node(const YAML::Node& node) {
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return "empty";
      case YAML::NodeType::Scalar:
        return "'" + node.Scalar() + "'";
      case YAML::NodeType::Sequence:
        return "a list";
      case YAML::NodeType::Map:
        return "a map";
      default:
        return "undefined";
    }
  }

  std::string source_;
};

// The node of a dotted key ("calibration.bins") in the document, if it is there.
// Where `key` of the map `section` is written (an empty value has no useful mark of its own).
YAML::Mark key_mark(const YAML::Node& section, const std::string& key) {
  for (const auto& entry : section) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.first.Mark();
  }
  return YAML::Mark::null_mark();
}

// (Node::reset, not operator=: assigning a yaml-cpp Node writes through to the tree.)
YAML::Node find_node(const YAML::Node& root, const std::string& dotted_key) {
  YAML::Node node = root;
  std::stringstream parts(dotted_key);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (!node.IsMap()) return YAML::Node();
    const YAML::Node& section = node;
    const YAML::Node child = section[part];
    if (!child) return YAML::Node();
    node.reset(child);
  }
  return node;
}

void read_spec(const ConfigReader& reader, const YAML::Node& section, const std::string& path, QuantSpec& spec) {
  if (const YAML::Node value = section["dtype"]) {
    spec.dtype = reader.named_value(value, path + ".dtype", "int8, uint8 or int4", parse_qdtype);
  }
  if (const YAML::Node value = section["scheme"]) {
    spec.scheme = reader.named_value(value, path + ".scheme", "symmetric or affine", parse_qscheme);
  }
  if (const YAML::Node value = section["granularity"]) {
    const std::string key = path + ".granularity";
    const std::string name = reader.text(value, key, "per_channel or per_tensor");
    if (name != "per_channel" && name != "per_tensor") {
      reader.fail(value.Mark(), fmt::format("{} is '{}'; expected per_channel or per_tensor", key, name));
    }
    spec.per_channel = name == "per_channel";
  }
  if (const YAML::Node value = section["narrow_range"])
    spec.narrow_range = reader.boolean(value, path + ".narrow_range");
}

void read_calibration(const ConfigReader& reader, const YAML::Node& section, CalibrationConfig& calibration) {
  if (const YAML::Node value = section["method"]) {
    calibration.method =
        reader.named_value(value, "calibration.method", joined_names(kMethodNames), parse_calibration_method);
  }
  if (const YAML::Node value = section["percentile"]) {
    calibration.percentile = reader.number<double>(value, "calibration.percentile");
  }
  if (const YAML::Node value = section["momentum"]) {
    calibration.momentum = reader.number<float>(value, "calibration.momentum");
  }
  if (const YAML::Node value = section["bins"]) calibration.bins = reader.integer(value, "calibration.bins");
  if (const YAML::Node value = section["max_batches"]) {
    calibration.max_batches = reader.integer(value, "calibration.max_batches");
  }
}

void read_skip_layers(const ConfigReader& reader, const YAML::Node& value, std::vector<std::string>& skip_layers) {
  if (!value.IsSequence()) {
    reader.fail(value.Mark(), "skip_layers is not a list; expected a list of Sequential indices, e.g. [\"4\"]");
  }
  for (const YAML::Node& item : value) {
    skip_layers.push_back(reader.text(item, "an entry of skip_layers", "a layer index such as \"4\""));
  }
}

const std::vector<std::string> kTopKeys = {"mode", "weights", "activations", "calibration", "skip_layers"};
const std::vector<std::string> kSpecKeys = {"dtype", "scheme", "granularity", "narrow_range"};
const std::vector<std::string> kCalibrationKeys = {"method", "percentile", "momentum", "bins", "max_batches"};

// ---- writing YAML -----------------------------------------------------------------------------

// The shortest decimal text that reads back as exactly `value` (0.01f -> "0.01").
template <typename T>
std::string shortest(T value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string spec_yaml(const char* section, const QuantSpec& spec) {
  return fmt::format("{}:\n  dtype: {}\n  scheme: {}\n  granularity: {}\n  narrow_range: {}\n", section,
                     to_string(spec.dtype), to_string(spec.scheme), granularity_name(spec.per_channel),
                     spec.narrow_range ? "true" : "false");
}

}  // namespace

// ---- names ----------------------------------------------------------------------------------------

std::string to_string(QuantMode mode) {
  for (const auto& [value, name] : kModeNames) {
    if (value == mode) return name;
  }
  return "?";
}

std::string to_string(CalibrationMethod method) {
  for (const auto& [value, name] : kMethodNames) {
    if (value == method) return name;
  }
  return "?";
}

QuantMode parse_quant_mode(const std::string& name) {
  for (const auto& [value, known] : kModeNames) {
    if (name == known) return value;
  }
  throw ValueError("parse_quant_mode: unknown mode '" + name + "'; expected one of " + joined_names(kModeNames));
}

CalibrationMethod parse_calibration_method(const std::string& name) {
  for (const auto& [value, known] : kMethodNames) {
    if (name == known) return value;
  }
  throw ValueError("parse_calibration_method: unknown calibration method '" + name + "'; expected one of " +
                   joined_names(kMethodNames));
}

// ---- descriptions -----------------------------------------------------------------------------------

std::string QuantConfig::describe() const {
  const auto spec_words = [](const QuantSpec& spec) { return to_string(spec.dtype) + " " + to_string(spec.scheme); };
  std::string out = fmt::format("{}, weights {} {}", to_string(mode), spec_words(weights),
                                weights.per_channel ? "per-channel" : "per-tensor");
  if (mode == QuantMode::Dynamic) {
    out += ", activations " + spec_words(activations) + " from each batch";
  } else {
    out += ", activations " + spec_words(activations) + ", calibration " + to_string(calibration.method);
    if (calibration.method == CalibrationMethod::Percentile) out += " " + shortest(calibration.percentile);
    if (calibration.method == CalibrationMethod::MovingAverage) out += " momentum " + shortest(calibration.momentum);
  }
  if (!skip_layers.empty()) out += fmt::format(", FP32 layers {}", fmt::join(skip_layers, ", "));
  return out;
}

std::string QuantConfig::short_name() const {
  std::string out = to_string(mode);
  out += weights.per_channel ? "/per-channel" : "/per-tensor";
  if (mode == QuantMode::Static) out += fmt::format("/{}", to_string(calibration.method));
  return out;
}

void validate_quant_config(const QuantConfig& config, const std::string& operation) {
  if (auto problem = find_config_problem(config)) throw ValueError(operation + ": " + problem->message);
}

// ---- observers ----------------------------------------------------------------------------------------

std::unique_ptr<Observer> make_observer(const CalibrationConfig& config) {
  if (auto problem = find_calibration_problem(config)) throw ValueError("make_observer: " + problem->message);
  // BEGIN SOLUTION
  // Each calibration method is one observer class (observer.hpp, histogram_observers.hpp).
  switch (config.method) {
    case CalibrationMethod::MinMax:
      return std::make_unique<MinMaxObserver>();
    case CalibrationMethod::MovingAverage:
      return std::make_unique<MovingAverageMinMaxObserver>(config.momentum);
    case CalibrationMethod::Percentile:
      return std::make_unique<PercentileObserver>(config.percentile, config.bins);
    case CalibrationMethod::Entropy:
      return std::make_unique<EntropyObserver>(config.bins);
    case CalibrationMethod::MSE:
      return std::make_unique<MSEObserver>(config.bins);
  }
  // END SOLUTION
  throw ValueError(fmt::format("make_observer: unknown calibration method {}", static_cast<int>(config.method)));
}

// ---- YAML -----------------------------------------------------------------------------------------------

QuantConfig parse_quant_config(const std::string& yaml_text, const std::string& source) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& error) {  // syntax errors, and nesting too deep to parse
    throw ValueError(fmt::format("parse_quant_config: {} line {}, column {}: YAML syntax error: {}", source,
                                 error.mark.line + 1, error.mark.column + 1, error.msg));
  }
  const ConfigReader reader(source);
  QuantConfig config;
  if (documents.size() > 1) {
    reader.fail(YAML::Mark::null_mark(),
                fmt::format("{} YAML documents (separated by ---); expected one config", documents.size()));
  }
  if (documents.empty() || documents[0].IsNull()) return config;  // an empty file: every default
  const YAML::Node& root = documents[0];
  reader.check_keys(root, "the config", root.Mark(), kTopKeys);

  if (const YAML::Node value = root["mode"]) {
    config.mode = reader.named_value(value, "mode", "static or dynamic", parse_quant_mode);
  }
  if (const YAML::Node section = root["weights"]) {
    reader.check_keys(section, "weights", key_mark(root, "weights"), kSpecKeys);
    read_spec(reader, section, "weights", config.weights);
  }
  if (const YAML::Node section = root["activations"]) {
    reader.check_keys(section, "activations", key_mark(root, "activations"), kSpecKeys);
    read_spec(reader, section, "activations", config.activations);
  }
  if (const YAML::Node section = root["calibration"]) {
    reader.check_keys(section, "calibration", key_mark(root, "calibration"), kCalibrationKeys);
    read_calibration(reader, section, config.calibration);
  }
  if (const YAML::Node value = root["skip_layers"]) read_skip_layers(reader, value, config.skip_layers);

  if (auto problem = find_config_problem(config)) {
    // Point at the offending key when the file has it, else at the file.
    const YAML::Node node = find_node(root, problem->key);
    reader.fail(node ? node.Mark() : YAML::Mark::null_mark(), problem->message);
  }
  return config;
}

QuantConfig load_quant_config(const std::string& path) {
  // (An ifstream "opens" a directory and then reads nothing: that must not look like an empty config.)
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw FileError("load_quant_config: " + path + " is a directory; expected a YAML file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw FileError("load_quant_config: cannot open " + path + " for reading");
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw FileError("load_quant_config: cannot read " + path);
  return parse_quant_config(text.str(), path);
}

std::string to_yaml(const QuantConfig& config) {
  validate_quant_config(config, "to_yaml");  // what parse_quant_config would reject is not written
  std::string out = "mode: " + to_string(config.mode) + "\n";
  out += spec_yaml("weights", config.weights);
  out += spec_yaml("activations", config.activations);
  const CalibrationConfig& calibration = config.calibration;
  out += fmt::format("calibration:\n  method: {}\n  percentile: {}\n  momentum: {}\n  bins: {}\n  max_batches: {}\n",
                     to_string(calibration.method), shortest(calibration.percentile), shortest(calibration.momentum),
                     calibration.bins, calibration.max_batches);
  // Layer names are quoted (yaml-cpp escapes them) so that "4" stays the string "4".
  YAML::Emitter skip_layers;
  skip_layers << YAML::Flow << YAML::BeginSeq;
  for (const std::string& layer : config.skip_layers) skip_layers << YAML::DoubleQuoted << layer;
  skip_layers << YAML::EndSeq;
  out += std::string("skip_layers: ") + skip_layers.c_str() + "\n";
  return out;
}

}  // namespace tinytorch
