// quantize_model (quantize_model.hpp): which layers are replaced, what calibration
// needs and what the observers saw (the FP32 activations), how close the result
// stays to FP32, and the size report against the byte formula.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/dropout.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/data/synthetic.hpp"
#include "tinytorch/perf/accuracy_validator.hpp"
#include "tinytorch/perf/quantize_model.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

namespace tinytorch {
namespace {

// An int8 model (8-bit weights, 8-bit inputs per layer) of this small MLP keeps
// its logits about 36 dB above the quantization noise (measured: 35.7 static,
// 35.8 dynamic); 30 dB leaves a margin and is still 1000x less noise than signal.
constexpr double kMinLogitSQNR = 30.0;

// 20 -> 32 -> 32 -> 5, He-initialised from `seed`.
Sequential small_mlp(uint64_t seed) {
  Generator generator(seed);
  return Sequential(Linear(20, 32, true, generator), ReLU(), Linear(32, 32, true, generator), ReLU(),
                    Linear(32, 5, true, generator));
}

std::vector<Tensor> random_batches(int64_t count, int64_t batch, int64_t width, uint64_t seed) {
  Generator generator(seed);
  std::vector<Tensor> batches;
  for (int64_t i = 0; i < count; ++i) batches.push_back(Tensor::randn({batch, width}, 0, 1, generator));
  return batches;
}

QuantConfig dynamic_config() {
  QuantConfig config;
  config.mode = QuantMode::Dynamic;
  return config;
}

std::shared_ptr<QuantizedLinear> quantized_at(const Sequential& model, std::size_t index) {
  return std::dynamic_pointer_cast<QuantizedLinear>(model[index]);
}

// The same model with its own copies of every parameter.
std::shared_ptr<Sequential> copy_of(const Sequential& model) {
  return std::dynamic_pointer_cast<Sequential>(model.clone());
}

TINYTORCH_CONCEPT(QuantizeModel,
                  "quantizing a whole Sequential in place: every Linear not in skip_layers becomes a QuantizedLinear",
                  "static: a Linear's input params = choose_qparams(min, max) of its FP32 input (eval mode) over the "
                  "first max_batches calibration batches; dynamic: chosen from each batch at run time; integer "
                  "pipeline: a ReLU between two QuantizedLinears becomes a FusedReLU and the first hands uint8 to the "
                  "second");

TINYTORCH_TEST_FORMULA(QuantizeModel, EveryLinearIsReplacedAndOtherLayersKept,
                       "Linear -> calibrated QuantizedLinear; BetweenLayers::Float32: every other layer is the same "
                       "object; Uint8: Linear-ReLU-Linear -> the ReLU becomes a FusedReLU (still named \"ReLU\") and "
                       "the producers are listed in uint8_outputs; calibration_samples = batches * batch_size");
TEST(QuantizeModel, EveryLinearIsReplacedAndOtherLayersKept) {
  // With the integer pipeline off (BetweenLayers::Float32) nothing but the Linears changes: the ReLUs
  // are the same objects. With it on (the default) each ReLU between two QuantizedLinears is fused
  // into the clamp of the layer before it and replaced by a FusedReLU, still named "ReLU".
  for (const BetweenLayers between_layers : {BetweenLayers::Float32, BetweenLayers::Uint8}) {
    Sequential model = small_mlp(1531);
    const std::shared_ptr<Module> relu = model[1];
    const std::vector<Tensor> batches = random_batches(4, 16, 20, 1532);
    const QuantizationSummary summary = quantize_model(model, batches, QuantConfig{}, nullptr, between_layers);
    for (std::size_t i : {0u, 2u, 4u}) {
      ASSERT_NE(quantized_at(model, i), nullptr) << "layer " << i << " is " << model[i]->name();
      EXPECT_TRUE(quantized_at(model, i)->is_calibrated()) << i;
    }
    if (between_layers == BetweenLayers::Float32) {
      EXPECT_EQ(model[1], relu) << "a ReLU has nothing to quantize";
      EXPECT_TRUE(summary.uint8_outputs.empty());
    } else {
      EXPECT_NE(std::dynamic_pointer_cast<FusedReLU>(model[1]), nullptr) << model[1]->name();
      EXPECT_NE(std::dynamic_pointer_cast<FusedReLU>(model[3]), nullptr) << model[3]->name();
      EXPECT_EQ(model[1]->name(), "ReLU");
      EXPECT_EQ(summary.uint8_outputs, (std::vector<std::string>{"0", "2"}));
    }
    EXPECT_EQ(summary.quantized_layers, (std::vector<std::string>{"0", "2", "4"}));
    EXPECT_TRUE(summary.skipped_layers.empty());
    EXPECT_EQ(summary.calibration_batches, 4);
    EXPECT_EQ(summary.calibration_samples, 4 * 16);
    EXPECT_GE(summary.seconds, 0.0);
  }
}

TINYTORCH_TEST_FORMULA(QuantizeModel, SkipLayersAreLeftInFP32,
                       "a Linear named in config.skip_layers stays the same object; it is listed in skipped_layers, "
                       "not quantized_layers");
TEST(QuantizeModel, SkipLayersAreLeftInFP32) {
  Sequential model = small_mlp(1533);
  const std::shared_ptr<Module> last = model[4];
  QuantConfig config;
  config.skip_layers = {"4"};
  const QuantizationSummary summary = quantize_model(model, random_batches(2, 8, 20, 1534), config);
  EXPECT_EQ(model[4], last) << "the skipped Linear is the same object, untouched";
  EXPECT_NE(quantized_at(model, 0), nullptr);
  EXPECT_NE(quantized_at(model, 2), nullptr);
  EXPECT_EQ(summary.quantized_layers, (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(summary.skipped_layers, (std::vector<std::string>{"4"}));
}

TINYTORCH_TEST_FORMULA(QuantizeModel, SkipNameThatIsNoLinearIsRejectedListingTheLinears,
                       "a skip_layers entry that names no Linear -> ValueError quoting the entry and listing the "
                       "Linears [\"0\", \"2\", \"4\"]; nothing is replaced");
TEST(QuantizeModel, SkipNameThatIsNoLinearIsRejectedListingTheLinears) {
  for (const std::string bad : {"1", "7", "fc1"}) {
    Sequential model = small_mlp(1535);
    const std::shared_ptr<Module> first = model[0];
    QuantConfig config;
    config.skip_layers = {"0", bad};
    try {
      quantize_model(model, random_batches(1, 4, 20, 1536), config);
      FAIL() << "expected ValueError for skip_layers entry " << bad;
    } catch (const ValueError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("\"" + bad + "\""), std::string::npos) << message;
      EXPECT_NE(message.find("[\"0\", \"2\", \"4\"]"), std::string::npos) << message;
    }
    EXPECT_EQ(model[0], first) << "nothing is replaced when the config is rejected";
  }
}

TINYTORCH_TEST_FORMULA(QuantizeModel, StaticNeedsCalibrationDataDynamicDoesNot,
                       "static with no calibration batch -> ValueError, model unchanged; dynamic needs none "
                       "(calibration_batches = 0) and runs at once");
TEST(QuantizeModel, StaticNeedsCalibrationDataDynamicDoesNot) {
  Sequential fixed = small_mlp(1537);
  EXPECT_THROW(quantize_model(fixed, std::vector<Tensor>{}), ValueError);
  EXPECT_EQ(std::dynamic_pointer_cast<Linear>(fixed[0]) != nullptr, true) << "the model is left as it was";

  Sequential dynamic = small_mlp(1537);
  const QuantizationSummary summary = quantize_model(dynamic, std::vector<Tensor>{}, dynamic_config());
  EXPECT_EQ(summary.calibration_batches, 0);
  EXPECT_EQ(summary.quantized_layers.size(), 3u);
  ASSERT_NE(quantized_at(dynamic, 0), nullptr);
  EXPECT_EQ(quantized_at(dynamic, 0)->config().mode, QuantMode::Dynamic);
  EXPECT_EQ(dynamic(Tensor::zeros({2, 20})).shape(), (Shape{2, 5})) << "runs without calibration";
}

TINYTORCH_TEST_FORMULA(QuantizeModel, OutputsStayCloseToFP32,
                       "SQNR = 10 * log10(sum y^2 / sum (y - y_hat)^2) of the logits on held-out inputs > 30 dB, "
                       "static and dynamic");
TEST(QuantizeModel, OutputsStayCloseToFP32) {
  for (const QuantConfig& config : {QuantConfig{}, dynamic_config()}) {
    Sequential model = small_mlp(1538);
    const std::shared_ptr<Sequential> fp32 = copy_of(model);
    // 512 calibration samples: enough that held-out activations seldom leave the calibrated range
    // (with 128, the last layer's input clipped and the logits fell to ~28 dB).
    quantize_model(model, random_batches(8, 64, 20, 1539), config);
    const Tensor x = random_batches(1, 64, 20, 1540)[0];  // held-out inputs from the same distribution
    const double sqnr = sqnr_db((*fp32)(x), model(x));
    EXPECT_GT(sqnr, kMinLogitSQNR) << to_string(config.mode);
  }
}

TINYTORCH_TEST_FORMULA(QuantizeModel, ObserversSeeTheFP32Activations,
                       "input params of layer j = choose_qparams(min(0, min h), max(0, max h)) with h = the FP32 "
                       "layers before j (eval mode: Dropout = identity) on every calibration batch; the training mode "
                       "is restored");
TEST(QuantizeModel, ObserversSeeTheFP32Activations) {
  // Layer 2's input parameters must be min-max of relu(L0(x)) computed with the FP32 layer 0
  // over every calibration batch — not of the already-quantized layer 0's output. A Dropout in
  // train mode between them checks that calibration runs in eval mode (Dropout = identity).
  Generator generator(1541);
  Sequential model(Linear(20, 32, true, generator), ReLU(), Dropout(0.5f, generator), Linear(32, 5, true, generator));
  model.train();
  const std::shared_ptr<Sequential> fp32 = copy_of(model);
  const std::vector<Tensor> batches = random_batches(3, 16, 20, 1542);
  quantize_model(model, batches);
  EXPECT_TRUE(model.is_training()) << "the model's mode is restored";

  // Min-max over all batches, starting from 0: (3) of qparams.hpp widens the range to contain 0 anyway.
  float lo = 0, hi = 0, x_lo = 0, x_hi = 0;
  for (const Tensor& batch : batches) {
    for (float v : batch.to_vector()) x_lo = std::min(x_lo, v), x_hi = std::max(x_hi, v);
    const Tensor hidden = (*fp32)[1]->forward((*fp32)[0]->forward(batch));  // FP32 Linear, ReLU
    for (float v : hidden.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const QuantSpec activations = QuantConfig{}.activations;
  EXPECT_EQ(quantized_at(model, 3)->input_params(), choose_qparams(lo, hi, activations));
  EXPECT_EQ(quantized_at(model, 0)->input_params(), choose_qparams(x_lo, x_hi, activations));
}

TINYTORCH_TEST_FORMULA(QuantizeModel, OnlyTheFirstMaxBatchesAreUsed,
                       "only batches 0 .. max_batches - 1 are observed: calibration_samples = max_batches * "
                       "batch_size, params = choose_qparams(min, max) of those batches");
TEST(QuantizeModel, OnlyTheFirstMaxBatchesAreUsed) {
  // Batch 3 holds a 100 that would widen layer 0's input range; max_batches = 2 must ignore it.
  std::vector<Tensor> batches = random_batches(2, 8, 20, 1543);
  Tensor outlier = Tensor::zeros({8, 20});
  outlier.data<float>()[0] = 100.0f;
  batches.push_back(outlier);
  QuantConfig config;
  config.calibration.max_batches = 2;
  Sequential model = small_mlp(1544);
  const QuantizationSummary summary = quantize_model(model, batches, config);
  EXPECT_EQ(summary.calibration_batches, 2);
  EXPECT_EQ(summary.calibration_samples, 16);
  float lo = 0, hi = 0;
  for (std::size_t b = 0; b < 2; ++b)
    for (float v : batches[b].to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_EQ(quantized_at(model, 0)->input_params(), choose_qparams(lo, hi, config.activations));
}

TINYTORCH_TEST_FORMULA(QuantizeModel, LoaderGivesTheSameCalibrationAsItsBatches,
                       "calibrating on a DataLoader = calibrating on the tensors of its first max_batches batches");
TEST(QuantizeModel, LoaderGivesTheSameCalibrationAsItsBatches) {
  const TensorDataset data = make_blobs(100, 5, 20, 1.0f, 1545);
  DataLoader loader(data, 16);
  QuantConfig config;
  config.calibration.max_batches = 3;
  Sequential from_loader = small_mlp(1546);
  const QuantizationSummary summary = quantize_model(from_loader, loader, config);
  EXPECT_EQ(summary.calibration_batches, 3);
  EXPECT_EQ(summary.calibration_samples, 48);
  // The same three batches (rows 0..47, no shuffle) passed as tensors.
  Sequential from_tensors = small_mlp(1546);
  quantize_model(from_tensors, {data.features().slice_rows(0, 16), data.features().slice_rows(16, 32),
                                data.features().slice_rows(32, 48)}, config);
  for (std::size_t i : {0u, 2u, 4u}) {
    EXPECT_EQ(quantized_at(from_loader, i)->input_params(), quantized_at(from_tensors, i)->input_params()) << i;
  }
}

TINYTORCH_TEST_FORMULA(QuantizeModel, ProgressLinesGoToTheLog,
                       "log lines \"calibrating b/B batches\" and \"layer i: Linear(in -> out) -> QuantizedLinear\"");
TEST(QuantizeModel, ProgressLinesGoToTheLog) {
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  Sequential model = small_mlp(1547);
  quantize_model(model, random_batches(4, 8, 20, 1548), QuantConfig{}, log);
  std::rewind(log);
  std::string text;
  for (int c = std::fgetc(log); c != EOF; c = std::fgetc(log)) text += static_cast<char>(c);
  std::fclose(log);
  EXPECT_NE(text.find("calibrating 4/4 batches"), std::string::npos) << text;
  EXPECT_NE(text.find("layer 0: Linear(20 -> 32) -> QuantizedLinear"), std::string::npos) << text;
  EXPECT_NE(text.find("layer 4: Linear(32 -> 5) -> QuantizedLinear"), std::string::npos) << text;
}

TINYTORCH_TEST_FORMULA(QuantizeModel, BadModelsAndBatchesAreRejected,
                       "no Linear (or already quantized) -> ValueError; batch width != in_features -> ShapeError; "
                       "non-float32 batch -> DTypeError; a NaN in a batch -> ValueError");
TEST(QuantizeModel, BadModelsAndBatchesAreRejected) {
  Sequential activations_only{ReLU(), Tanh()};
  EXPECT_THROW(quantize_model(activations_only, random_batches(1, 2, 20, 1549)), ValueError);
  Sequential model = small_mlp(1550);
  EXPECT_THROW(quantize_model(model, random_batches(1, 2, 19, 1551)), ShapeError);  // width 19, not 20
  EXPECT_THROW(quantize_model(model, {Tensor::zeros({2, 20}, DType::Int32)}), DTypeError);
  Tensor with_nan = Tensor::zeros({2, 20});
  with_nan.data<float>()[3] = std::nanf("");
  EXPECT_THROW(quantize_model(model, {with_nan}), ValueError);
  quantize_model(model, random_batches(1, 2, 20, 1552));
  EXPECT_THROW(quantize_model(model, random_batches(1, 2, 20, 1552)), ValueError) << "already quantized";
}

// ---- sizes ---------------------------------------------------------------------------

TINYTORCH_CONCEPT(AnalyzeModelSizes, "what the FP32 and the quantized model store, layer by layer",
                  "FP32 Linear: 4 * (N*K + N) bytes; static per-channel QuantizedLinear: N*K + 12*N + 8 bytes (+8 "
                  "when it hands uint8 to the next layer); parameter-free layers get no row; ratio = original / "
                  "quantized");

TEST(AnalyzeModelSizes, MilestoneMLPMatchesTheByteFormula) {
  // FP32 784-256-128-10: 4 · (784·256 + 256 + 256·128 + 128 + 128·10 + 10) = 4 · 235,146 = 940,584 bytes.
  // Static per-channel, each Linear N·K + 12·N + 8 (int8 W; float scale, int32 zero point and bias per
  // output; input scale + zero point), + 8 for the output scale and zero point of the two layers that
  // hand uint8 to the next (the integer pipeline):
  //   784·256 + 12·256 + 16 = 203,792    256·128 + 12·128 + 16 = 34,320    128·10 + 12·10 + 8 = 1,408
  //   total 239,520, ratio 940,584 / 239,520.
  Generator generator(1553);
  Sequential model(Linear(784, 256, true, generator), ReLU(), Linear(256, 128, true, generator), ReLU(),
                   Linear(128, 10, true, generator));
  const std::shared_ptr<Sequential> fp32 = copy_of(model);
  quantize_model(model, random_batches(1, 8, 784, 1554));
  const SizeReport report = analyze_model_sizes(*fp32, model);
  EXPECT_EQ(report.original_bytes, 940584);
  EXPECT_EQ(report.quantized_bytes, 239520);
  EXPECT_DOUBLE_EQ(report.compression_ratio, 940584.0 / 239520.0);
  ASSERT_EQ(report.layers.size(), 3u) << "ReLUs store nothing and get no row";
  const std::vector<std::string> names = {"0", "2", "4"};
  const std::vector<int64_t> original = {4 * (784 * 256 + 256), 4 * (256 * 128 + 128), 4 * (128 * 10 + 10)};
  const std::vector<int64_t> quantized = {203792, 34320, 1408};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(report.layers[i].name, names[i]);
    EXPECT_EQ(report.layers[i].original_kind, "Linear");
    EXPECT_EQ(report.layers[i].quantized_kind, "QuantizedLinear");
    EXPECT_EQ(report.layers[i].original_bytes, original[i]);
    EXPECT_EQ(report.layers[i].quantized_bytes, quantized[i]);
  }
  const std::string table = report.to_string();
  EXPECT_NE(table.find("803,840"), std::string::npos) << table;
  EXPECT_NE(table.find("203,792"), std::string::npos) << table;
  EXPECT_NE(table.find("3.93x"), std::string::npos) << table;  // 940,584 / 239,520 = 3.927
}

TINYTORCH_TEST_FORMULA(AnalyzeModelSizes, SkippedLayerKeepsItsFP32Bytes,
                       "a skipped Linear keeps its 4 * (N*K + N) bytes, and the layer before it returns float32 (no "
                       "+8 for output params)");
TEST(AnalyzeModelSizes, SkippedLayerKeepsItsFP32Bytes) {
  // As above with layer 4 kept in FP32: layer 0 hands uint8 to layer 2 (203,792), layer 2 returns float32
  // to the FP32 Linear (34,312), which keeps its 4·(128·10 + 10) = 5,160: 243,264 bytes.
  Generator generator(1555);
  Sequential model(Linear(784, 256, true, generator), ReLU(), Linear(256, 128, true, generator), ReLU(),
                   Linear(128, 10, true, generator));
  const std::shared_ptr<Sequential> fp32 = copy_of(model);
  QuantConfig config;
  config.skip_layers = {"4"};
  quantize_model(model, random_batches(1, 4, 784, 1556), config);
  const SizeReport report = analyze_model_sizes(*fp32, model);
  EXPECT_EQ(report.quantized_bytes, 243264);
  EXPECT_EQ(report.layers[2].quantized_kind, "Linear");
  EXPECT_EQ(report.layers[2].quantized_bytes, report.layers[2].original_bytes);
}

TINYTORCH_TEST_FORMULA(AnalyzeModelSizes, DifferentLayerCountsAreRejected,
                       "models with different numbers of top-level layers -> ValueError");
TEST(AnalyzeModelSizes, DifferentLayerCountsAreRejected) {
  const Sequential three = small_mlp(1557);
  const Sequential two(Linear(20, 5), ReLU());
  EXPECT_THROW(analyze_model_sizes(three, two), ValueError);
}

}  // namespace
}  // namespace tinytorch
