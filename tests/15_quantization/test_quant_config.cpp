// test_quant_config.cpp — QuantConfig: the documented defaults, the names of modes and
// methods, YAML files read into the values they say (every file of configs/), to_yaml
// round trips, make_observer building the observer a method names with its settings,
// and every way a config can be wrong giving a ValueError that names the source, the
// line, the key, the value and what was expected.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/histogram_observers.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/quant_config.hpp"

using namespace tinytorch;
namespace fs = std::filesystem;

namespace {

const std::string kConfigDir = TINYTORCH_SOURCE_DIR "/modules/15_quantization/configs";

#define EXPECT_MESSAGE_HAS(message, text) \
  EXPECT_NE((message).find(text), std::string::npos) << "message: " << (message) << "\nexpected to contain: " << (text)

// The message of the ValueError that parsing `yaml` throws ("" if it parses).
std::string parse_error(const std::string& yaml, const std::string& source = "test.yaml") {
  try {
    parse_quant_config(yaml, source);
  } catch (const ValueError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

// ---- defaults and names -----------------------------------------------------------------

TINYTORCH_CONCEPT(QuantConfigDefaults, "the default quantization config, as quant_config.hpp documents it",
                  "mode static; weights int8 symmetric narrow per-channel (axis 0); "
                  "activations uint8 affine per-tensor; calibration minmax, percentile 99.99, momentum 0.01, "
                  "bins 2048, max_batches 32; skip_layers []; every key is optional");

// The values quant_config.hpp documents as defaults.
TEST(QuantConfigDefaults, MatchTheHeader) {
  const QuantConfig config;
  EXPECT_EQ(config.mode, QuantMode::Static);
  EXPECT_EQ(config.weights, (QuantSpec{QDType::Int8, QScheme::Symmetric, true, true, 0}));
  EXPECT_EQ(config.activations, (QuantSpec{QDType::UInt8, QScheme::Affine, false, false, 0}));
  EXPECT_EQ(config.calibration.method, CalibrationMethod::MinMax);
  EXPECT_EQ(config.calibration.percentile, 99.99);
  EXPECT_EQ(config.calibration.momentum, 0.01f);
  EXPECT_EQ(config.calibration.bins, 2048);
  EXPECT_EQ(config.calibration.max_batches, 32);
  EXPECT_TRUE(config.skip_layers.empty());
}

// "Every key is optional": no text, only comments, or an empty map all give the defaults.
TEST(QuantConfigDefaults, EmptyTextGivesDefaults) {
  EXPECT_EQ(parse_quant_config(""), QuantConfig{});
  EXPECT_EQ(parse_quant_config("# nothing set\n"), QuantConfig{});
  EXPECT_EQ(parse_quant_config("{}"), QuantConfig{});
  EXPECT_EQ(parse_quant_config("weights: {}\ncalibration: {}\n"), QuantConfig{});
}

TINYTORCH_CONCEPT(QuantConfigNames,
                  "the names of quantization modes and calibration methods, and a config's description",
                  "modes: static | dynamic; methods: minmax | moving_average | percentile | entropy | mse "
                  "(case-sensitive); parse(to_string(x)) == x; an unknown name throws ValueError listing the valid "
                  "ones");

TEST(QuantConfigNames, RoundTripEveryModeAndMethod) {
  const std::map<QuantMode, std::string> modes = {{QuantMode::Static, "static"}, {QuantMode::Dynamic, "dynamic"}};
  for (const auto& [mode, name] : modes) {
    EXPECT_EQ(to_string(mode), name);
    EXPECT_EQ(parse_quant_mode(name), mode);
  }
  const std::map<CalibrationMethod, std::string> methods = {{CalibrationMethod::MinMax, "minmax"},
                                                            {CalibrationMethod::MovingAverage, "moving_average"},
                                                            {CalibrationMethod::Percentile, "percentile"},
                                                            {CalibrationMethod::Entropy, "entropy"},
                                                            {CalibrationMethod::MSE, "mse"}};
  for (const auto& [method, name] : methods) {
    EXPECT_EQ(to_string(method), name);
    EXPECT_EQ(parse_calibration_method(name), method);
  }
}

TEST(QuantConfigNames, UnknownNameListsTheValidOnes) {
  try {
    parse_calibration_method("kl");
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    const std::string message = error.what();
    EXPECT_MESSAGE_HAS(message, "'kl'");
    EXPECT_MESSAGE_HAS(message, "minmax, moving_average, percentile, entropy, mse");
  }
  try {
    parse_quant_mode("Static");  // names are case-sensitive
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_MESSAGE_HAS(std::string(error.what()), "static, dynamic");
  }
}

TINYTORCH_TEST_FORMULA(QuantConfigNames, DescribeAndShortName,
                       "describe() = \"<mode>, weights <dtype> <scheme> <granularity>, "
                       "activations <dtype> <scheme>\" + static: \", calibration <method>[ <percentile>]\" | dynamic: "
                       "\" from each batch\", then \", FP32 layers <list>\" if any; "
                       "short_name() = \"<mode>/<granularity>\" + static: \"/<method>\"");
// The exact texts of quant_config.hpp's examples.
TEST(QuantConfigNames, DescribeAndShortName) {
  QuantConfig config;
  config.calibration.method = CalibrationMethod::Entropy;
  EXPECT_EQ(config.describe(),
            "static, weights int8 symmetric per-channel, activations uint8 affine, calibration entropy");
  EXPECT_EQ(config.short_name(), "static/per-channel/entropy");

  config.calibration.method = CalibrationMethod::Percentile;
  config.skip_layers = {"4"};
  EXPECT_EQ(config.describe(),
            "static, weights int8 symmetric per-channel, activations uint8 affine, calibration percentile 99.99, "
            "FP32 layers 4");

  QuantConfig dynamic;
  dynamic.mode = QuantMode::Dynamic;
  dynamic.weights.per_channel = false;
  EXPECT_EQ(dynamic.describe(), "dynamic, weights int8 symmetric per-tensor, activations uint8 affine from each batch");
  EXPECT_EQ(dynamic.short_name(), "dynamic/per-tensor");
}

// ---- reading -------------------------------------------------------------------------------

TINYTORCH_CONCEPT(QuantConfigParse, "reading a quantization config from YAML text",
                  "each key sets its field (weights/activations: dtype, scheme, granularity, narrow_range; "
                  "calibration: method, percentile, momentum, bins, max_batches; skip_layers as text); "
                  "a key left out keeps its default");

// Every key of the layout in quant_config.hpp, none at its default.
TEST(QuantConfigParse, ReadsEveryKey) {
  const QuantConfig config = parse_quant_config(R"(
mode: dynamic
weights:
  dtype: int4
  scheme: affine
  granularity: per_tensor
  narrow_range: false
activations:
  dtype: int8
  scheme: symmetric
  granularity: per_tensor
  narrow_range: true
calibration:
  method: percentile
  percentile: 99.9
  momentum: 0.25
  bins: 512
  max_batches: 0
skip_layers: ["0", "4"]
)");
  EXPECT_EQ(config.mode, QuantMode::Dynamic);
  EXPECT_EQ(config.weights, (QuantSpec{QDType::Int4, QScheme::Affine, false, false, 0}));
  EXPECT_EQ(config.activations, (QuantSpec{QDType::Int8, QScheme::Symmetric, true, false, 0}));
  EXPECT_EQ(config.calibration.method, CalibrationMethod::Percentile);
  EXPECT_EQ(config.calibration.percentile, 99.9);  // the nearest double to 99.9, as the literal
  EXPECT_EQ(config.calibration.momentum, 0.25f);
  EXPECT_EQ(config.calibration.bins, 512);
  EXPECT_EQ(config.calibration.max_batches, 0);
  EXPECT_EQ(config.skip_layers, (std::vector<std::string>{"0", "4"}));
}

// A key left out keeps its default; unquoted layer indices are read as their text.
TEST(QuantConfigParse, MissingKeysKeepDefaults) {
  const QuantConfig config = parse_quant_config("calibration:\n  method: mse\nskip_layers: [4]\n");
  QuantConfig expected;
  expected.calibration.method = CalibrationMethod::MSE;
  expected.skip_layers = {"4"};
  EXPECT_EQ(config, expected);
}

TINYTORCH_CONCEPT(QuantConfigFiles, "the ready-made config files in modules/15_quantization/configs/",
                  "<mode>_<granularity>_<method>.yaml holds that mode, weight granularity and method, "
                  "with int8 symmetric narrow weights and uint8 affine activations; "
                  "parse(to_yaml(load(file))) == load(file)");

// What each ready config in configs/ promises in its name.
TEST(QuantConfigFiles, EveryShippedConfigParses) {
  struct Expected {
    QuantMode mode;
    bool weights_per_channel;
    CalibrationMethod method;
  };
  const std::map<std::string, Expected> expected = {
      {"static_per_channel_minmax.yaml", {QuantMode::Static, true, CalibrationMethod::MinMax}},
      {"static_per_channel_entropy.yaml", {QuantMode::Static, true, CalibrationMethod::Entropy}},
      {"static_per_channel_percentile.yaml", {QuantMode::Static, true, CalibrationMethod::Percentile}},
      {"static_per_channel_mse.yaml", {QuantMode::Static, true, CalibrationMethod::MSE}},
      {"static_per_tensor_minmax.yaml", {QuantMode::Static, false, CalibrationMethod::MinMax}},
      {"dynamic_per_channel.yaml", {QuantMode::Dynamic, true, CalibrationMethod::MinMax}},
  };
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(kConfigDir)) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string file = entry.path().filename().string();
    SCOPED_TRACE(file);
    found.insert(file);
    const QuantConfig config = load_quant_config(entry.path().string());
    // Every file parses, and what it parses to survives to_yaml.
    EXPECT_EQ(parse_quant_config(to_yaml(config)), config);
    const auto it = expected.find(file);
    if (it == expected.end()) continue;  // a new file: parsing it is the check
    EXPECT_EQ(config.mode, it->second.mode);
    EXPECT_EQ(config.weights.per_channel, it->second.weights_per_channel);
    EXPECT_EQ(config.calibration.method, it->second.method);
    // All ship the default int8 symmetric narrow weights and uint8 affine per-tensor activations.
    EXPECT_EQ(config.weights.dtype, QDType::Int8);
    EXPECT_EQ(config.weights.scheme, QScheme::Symmetric);
    EXPECT_TRUE(config.weights.narrow_range);
    EXPECT_EQ(config.activations, QuantConfig{}.activations);
  }
  for (const auto& [file, _] : expected) EXPECT_TRUE(found.count(file)) << kConfigDir << "/" << file << " is missing";
}

// The per-channel min-max file states every default explicitly.
TINYTORCH_TEST_FORMULA(QuantConfigFiles, DefaultFileEqualsDefaultConfig,
                       "static_per_channel_minmax.yaml states every default: load(it) == QuantConfig{}");
TEST(QuantConfigFiles, DefaultFileEqualsDefaultConfig) {
  EXPECT_EQ(load_quant_config(kConfigDir + "/static_per_channel_minmax.yaml"), QuantConfig{});
}

// ---- writing -------------------------------------------------------------------------------

TINYTORCH_CONCEPT(QuantConfigYaml, "writing a config as YAML that reads back to the same config",
                  "parse_quant_config(to_yaml(c)) == c bit for bit (shortest round-trip numbers, layer names quoted); "
                  "a config validate_quant_config rejects cannot be written (ValueError)");

// parse(to_yaml(c)) == c, with values whose decimal forms are long (the shortest
// round-trip text must be exact) and layer names YAML would otherwise misread.
TEST(QuantConfigYaml, RoundTripIsExact) {
  QuantConfig config;
  config.mode = QuantMode::Dynamic;
  config.weights = {QDType::Int4, QScheme::Affine, false, false, 0};
  config.activations = {QDType::Int8, QScheme::Symmetric, true, false, 0};
  config.calibration = {CalibrationMethod::MovingAverage, 99.123456789012345, 0.3f, 3, 7};
  config.skip_layers = {"4", "true", "a: b", "#x", "\"quoted\"", "-1", "with space"};
  const std::string yaml = to_yaml(config);
  const QuantConfig back = parse_quant_config(yaml, "<to_yaml>");
  EXPECT_EQ(back, config) << yaml;
  EXPECT_EQ(back.calibration.percentile, 99.123456789012345);  // bit-exact double
  EXPECT_EQ(back.calibration.momentum, 0.3f);                  // bit-exact float
}

TEST(QuantConfigYaml, RoundTripEveryMethodAndDefault) {
  for (const CalibrationMethod method :
       {CalibrationMethod::MinMax, CalibrationMethod::MovingAverage, CalibrationMethod::Percentile,
        CalibrationMethod::Entropy, CalibrationMethod::MSE}) {
    QuantConfig config;
    config.calibration.method = method;
    EXPECT_EQ(parse_quant_config(to_yaml(config)), config) << to_yaml(config);
  }
}

TINYTORCH_TEST_FORMULA(QuantConfigYaml, DefaultText,
                       "to_yaml(QuantConfig{}) writes every key in the header's order with its default value, "
                       "shortest numbers");
// The default config as to_yaml writes it: every key, shortest numbers.
TEST(QuantConfigYaml, DefaultText) {
  EXPECT_EQ(to_yaml(QuantConfig{}),
            "mode: static\n"
            "weights:\n  dtype: int8\n  scheme: symmetric\n  granularity: per_channel\n  narrow_range: true\n"
            "activations:\n  dtype: uint8\n  scheme: affine\n  granularity: per_tensor\n  narrow_range: false\n"
            "calibration:\n  method: minmax\n  percentile: 99.99\n  momentum: 0.01\n  bins: 2048\n  max_batches: 32\n"
            "skip_layers: []\n");
}

TINYTORCH_TEST_FORMULA(QuantConfigYaml, RefusesUnsupportedConfig,
                       "per-channel activations or a weight axis other than 0 (the YAML has no axis key) throw "
                       "ValueError");
// A config the reader would reject cannot be written either.
TEST(QuantConfigYaml, RefusesUnsupportedConfig) {
  QuantConfig config;
  config.activations.per_channel = true;
  EXPECT_THROW(to_yaml(config), ValueError);
  config = QuantConfig{};
  config.weights.axis = 1;  // the YAML layout has no axis key: channels are axis 0
  EXPECT_THROW(to_yaml(config), ValueError);
}

// ---- observers -------------------------------------------------------------------------------

TINYTORCH_CONCEPT(QuantConfigObserver,
                  "make_observer: the calibration method of a config builds its observer with the config's settings",
                  "minmax -> MinMaxObserver; moving_average -> momentum; percentile -> percentile and bins; entropy, "
                  "mse -> bins; a setting out of range throws ValueError naming make_observer and the setting");

// Each method builds its observer with the config's settings.
TEST(QuantConfigObserver, MakeObserverPassesSettings) {
  CalibrationConfig calibration;
  calibration.bins = 300;
  calibration.momentum = 0.2f;
  calibration.percentile = 99.5;

  calibration.method = CalibrationMethod::MinMax;
  EXPECT_EQ(make_observer(calibration)->name(), "minmax");

  calibration.method = CalibrationMethod::MovingAverage;
  auto moving = make_observer(calibration);
  ASSERT_EQ(moving->name(), "moving_average");
  EXPECT_EQ(dynamic_cast<MovingAverageMinMaxObserver&>(*moving).momentum(), 0.2f);

  calibration.method = CalibrationMethod::Percentile;
  auto percentile = make_observer(calibration);
  ASSERT_EQ(percentile->name(), "percentile");
  EXPECT_EQ(dynamic_cast<PercentileObserver&>(*percentile).histogram().bins(), 300);

  calibration.method = CalibrationMethod::Entropy;
  auto entropy = make_observer(calibration);
  ASSERT_EQ(entropy->name(), "entropy");
  EXPECT_EQ(dynamic_cast<EntropyObserver&>(*entropy).histogram().bins(), 300);

  calibration.method = CalibrationMethod::MSE;
  auto mse = make_observer(calibration);
  ASSERT_EQ(mse->name(), "mse");
  EXPECT_EQ(dynamic_cast<MSEObserver&>(*mse).histogram().bins(), 300);
}

TINYTORCH_TEST_FORMULA(QuantConfigObserver, PercentileReachesTheObserver,
                       "|x| = 1..1000 in 1000 bins, percentile 50: T = the edge where 500 values are reached ~ 500 "
                       "(within one bin)");
// The percentile reaches the observer: |x| = 1..1000 (one each), the 50th percentile
// is the edge where half the count (500 values) is reached: T ≈ 500 within one bin.
TEST(QuantConfigObserver, PercentileReachesTheObserver) {
  CalibrationConfig calibration;
  calibration.method = CalibrationMethod::Percentile;
  calibration.percentile = 50.0;
  calibration.bins = 1000;
  auto observer = make_observer(calibration);
  observer->observe(Tensor::arange(1.0f, 1001.0f));
  const auto& percentile = dynamic_cast<PercentileObserver&>(*observer);
  const double bin_width = percentile.histogram().bin_width();
  EXPECT_NEAR(percentile.threshold(), 500.0, bin_width + 1.0);
}

TINYTORCH_TEST_FORMULA(QuantConfigObserver, MakeObserverRejectsBadSettings,
                       "percentile outside (0, 100], bins < 1, momentum outside (0, "
                       "1]: ValueError \"make_observer: ... percentile is 150\"");
TEST(QuantConfigObserver, MakeObserverRejectsBadSettings) {
  CalibrationConfig calibration;
  calibration.method = CalibrationMethod::Percentile;
  calibration.percentile = 150.0;
  try {
    make_observer(calibration);
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    const std::string message = error.what();
    EXPECT_MESSAGE_HAS(message, "make_observer");
    EXPECT_MESSAGE_HAS(message, "percentile is 150");
  }
  calibration = CalibrationConfig{};
  calibration.bins = 0;
  EXPECT_THROW(make_observer(calibration), ValueError);
  calibration = CalibrationConfig{};
  calibration.momentum = 0.0f;
  EXPECT_THROW(make_observer(calibration), ValueError);
}

// ---- errors ----------------------------------------------------------------------------------

struct BadConfig {
  const char* what;  // the concept, for the test name
  std::string yaml;
  std::vector<std::string> message_has;  // the key, the value, what was expected, the line
};

void PrintTo(const BadConfig& c, std::ostream* out) { *out << c.what; }

TINYTORCH_CONCEPT(QuantConfigErrors, "every way a YAML config can be wrong gives a ValueError a user can act on",
                  "ValueError \"parse_quant_config: <source> line <n>: ...\" naming the key, "
                  "the value and what was expected (unknown keys list the keys allowed at that level)");

class QuantConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(QuantConfigErrors, NamesSourceKeyValueAndExpectation) {
  const BadConfig& bad = GetParam();
  const std::string message = parse_error(bad.yaml, "my_config.yaml");
  ASSERT_FALSE(message.empty()) << "parsed without error:\n" << bad.yaml;
  EXPECT_MESSAGE_HAS(message, "parse_quant_config: my_config.yaml");
  for (const std::string& part : bad.message_has) EXPECT_MESSAGE_HAS(message, part);
}

INSTANTIATE_TEST_SUITE_P(
    QuantConfig, QuantConfigErrors,
    ::testing::Values(
        // misspelt keys at each level: the key, where, and the keys allowed there
        BadConfig{"UnknownTopKey",
                  "mdoe: static\n",
                  {"line 1", "unknown key 'mdoe'", "mode, weights, activations, calibration, skip_layers"}},
        BadConfig{"UnknownWeightsKey",
                  "mode: static\nweights:\n  granulairty: per_tensor\n",
                  {"line 3", "unknown key 'granulairty' in weights", "dtype, scheme, granularity, narrow_range"}},
        BadConfig{"UnknownCalibrationKey",
                  "calibration:\n  bin: 10\n",
                  {"line 2", "'bin' in calibration", "method, percentile, momentum, bins, max_batches"}},
        BadConfig{"DuplicateKey", "mode: static\nmode: dynamic\n", {"line 2", "'mode' appears twice"}},
        // values out of their range or set
        BadConfig{"PercentileAbove100",
                  "calibration:\n  percentile: 150\n",
                  {"line 2", "calibration.percentile is 150", "(0, 100]"}},
        BadConfig{"PercentileZero", "calibration:\n  percentile: 0\n", {"calibration.percentile is 0", "(0, 100]"}},
        BadConfig{"BinsZero", "calibration:\n  bins: 0\n", {"line 2", "calibration.bins is 0", "[1, 1048576]"}},
        BadConfig{"BinsHuge", "calibration:\n  bins: 99999999999\n", {"calibration.bins is 99999999999"}},
        BadConfig{"EntropyNeedsBins",
                  "calibration:\n  method: entropy\n  bins: 64\n",
                  {"line 3", "calibration.bins is 64 with method entropy", "bins >= 128"}},
        BadConfig{"MomentumZero", "calibration:\n  momentum: 0\n", {"calibration.momentum is 0", "(0, 1]"}},
        BadConfig{"MomentumAboveOne", "calibration:\n  momentum: 1.5\n", {"calibration.momentum is 1.5", "(0, 1]"}},
        BadConfig{"NegativeMaxBatches", "calibration:\n  max_batches: -1\n", {"calibration.max_batches is -1", ">= 0"}},
        BadConfig{"GranularityPerRow",
                  "weights:\n  granularity: per_row\n",
                  {"line 2", "weights.granularity is 'per_row'", "per_channel or per_tensor"}},
        BadConfig{
            "DTypeInt16", "weights:\n  dtype: int16\n", {"line 2", "weights.dtype is 'int16'", "int8, uint8 or int4"}},
        BadConfig{"SchemeUnknown",
                  "activations:\n  scheme: logarithmic\n",
                  {"activations.scheme is 'logarithmic'", "affine or symmetric"}},
        BadConfig{"ModeUnknown", "mode: fast\n", {"line 1", "mode is 'fast'", "static, dynamic"}},
        BadConfig{"MethodUnknown",
                  "calibration:\n  method: kl\n",
                  {"calibration.method is 'kl'", "minmax, moving_average, percentile, entropy, mse"}},
        // combinations the quantized layers cannot run
        BadConfig{"SymmetricUInt8Weights",
                  "weights:\n  dtype: uint8\n  scheme: symmetric\n",
                  {"line 2", "weights.dtype is uint8", "int8 or int4"}},
        BadConfig{"PerChannelActivations",
                  "activations:\n  granularity: per_channel\n",
                  {"line 2", "per-channel activations are not supported", "use per_tensor"}},
        // wrong types
        BadConfig{"BinsNotInteger", "calibration:\n  bins: 2048.5\n", {"calibration.bins is '2048.5'", "an integer"}},
        BadConfig{"BinsText", "calibration:\n  bins: many\n", {"calibration.bins is 'many'", "an integer"}},
        BadConfig{"QuotedNumber", "calibration:\n  bins: \"2048\"\n", {"calibration.bins is the string \"2048\""}},
        BadConfig{
            "PercentileText", "calibration:\n  percentile: high\n", {"calibration.percentile is 'high'", "a number"}},
        BadConfig{"NarrowRangeNotBool",
                  "weights:\n  narrow_range: maybe\n",
                  {"weights.narrow_range is 'maybe'", "true or false"}},
        BadConfig{"SectionNotMap", "weights: int8\n", {"weights is 'int8'", "expected a map"}},
        BadConfig{"SectionEmpty", "mode: static\ncalibration:\n", {"line 2", "calibration is empty", "expected a map"}},
        BadConfig{"ValueIsList", "mode: [static]\n", {"mode is a list", "static or dynamic"}},
        BadConfig{"RootNotMap", "- static\n", {"the config is a list", "expected a map"}},
        BadConfig{"SkipLayersNotList", "skip_layers: 4\n", {"skip_layers is not a list"}},
        BadConfig{"SkipLayersTwice", "skip_layers: [\"4\", \"4\"]\n", {"line 1", "names layer '4' twice"}},
        BadConfig{"SkipLayersNested", "skip_layers: [[4]]\n", {"an entry of skip_layers is a list"}},
        // syntax
        BadConfig{"YamlSyntax", "mode: static\nskip_layers: [\"4\"\ncalibration:\n", {"line ", "YAML syntax error"}},
        BadConfig{"TwoDocuments", "mode: static\n---\nmode: dynamic\n", {"2 YAML documents"}}),
    [](const ::testing::TestParamInfo<BadConfig>& info) { return std::string(info.param.what); });

TINYTORCH_CONCEPT(QuantConfigErrorsLine, "config errors point at the line and the operation",
                  "a YAML syntax error names \"<source> line <n>\" where the parser stopped; "
                  "deep nesting is a ValueError, not a crash; validate_quant_config names the operation: "
                  "\"<operation>: weights.dtype is uint8\"");

// The syntax error points at the line yaml-cpp stopped on: the unclosed "{" of line 2
// is noticed where the next block key starts (line 3).
TEST(QuantConfigErrorsLine, SyntaxErrorLine) {
  const std::string message = parse_error("mode: static\nweights: {dtype: int8\nactivations: {}\n", "x.yaml");
  EXPECT_MESSAGE_HAS(message, "x.yaml line 3");
}

// Nesting deep enough to exhaust a recursive parser's stack is an error, not a crash.
TEST(QuantConfigErrorsLine, DeepNestingIsAnError) {
  EXPECT_THROW(parse_quant_config("mode: " + std::string(100000, '['), "deep.yaml"), ValueError);
}

// The same checks, for configs built in code.
TEST(QuantConfigErrorsLine, ValidateNamesTheOperation) {
  QuantConfig config;
  EXPECT_NO_THROW(validate_quant_config(config, "test"));
  config.weights.dtype = QDType::UInt8;
  try {
    validate_quant_config(config, "QuantizedLinear");
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_MESSAGE_HAS(std::string(error.what()), "QuantizedLinear: weights.dtype is uint8");
  }
}

// ---- files -----------------------------------------------------------------------------------

TINYTORCH_CONCEPT(QuantConfigLoad, "loading a config file from disk",
                  "a missing or unreadable path (or a directory) throws FileError naming the path; "
                  "bad contents throw ValueError naming \"<path> line <n>\" and the key");

class QuantConfigLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinytorch_qc_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(QuantConfigLoad, MissingFileIsFileError) {
  const std::string path = (dir_ / "absent.yaml").string();
  try {
    load_quant_config(path);
    FAIL() << "expected FileError";
  } catch (const FileError& error) {
    EXPECT_MESSAGE_HAS(std::string(error.what()), path);
  }
}

TEST_F(QuantConfigLoad, DirectoryIsFileError) { EXPECT_THROW(load_quant_config(dir_.string()), FileError); }

// Errors in a file's contents name the file (the `source` of parse_quant_config).
TEST_F(QuantConfigLoad, ContentErrorNamesThePath) {
  const std::string path = (dir_ / "typo.yaml").string();
  std::ofstream(path) << "mode: static\ncalibration:\n  methd: entropy\n";
  try {
    load_quant_config(path);
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    const std::string message = error.what();
    EXPECT_MESSAGE_HAS(message, path + " line 3");
    EXPECT_MESSAGE_HAS(message, "'methd'");
  }
}
