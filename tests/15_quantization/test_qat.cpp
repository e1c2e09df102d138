// Quantization-aware training (qat.hpp): prepare_qat swaps every Linear for a QATLinear on
// the SAME tensors (an optimizer step moves both); the QATLinear computes the fake-quantized
// layer y = fq_x(x)·fq_w(W)ᵀ + b, checked on a hand-made layer whose scales are powers of two
// (every value exact); its gradients are the straight-through estimate, masked where fq_x
// clamped; convert() builds the layers post-training quantization builds, whose weights equal
// the fake-quantized weights bit for bit and whose outputs match the QAT model's within bounds
// derived from where the two computations round differently; bad configs change nothing; a
// converted model saves and reloads bit-identically; and on Fashion-MNIST QAT fine-tuning
// recovers accuracy that post-training INT4 loses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/adam.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/metrics.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/sgd.hpp"
#include "tinytorch/core/trainer.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/data/fashion_mnist.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/int4_weights.hpp"
#include "tinytorch/perf/qat.hpp"
#include "tinytorch/perf/quantize_model.hpp"
#include "tinytorch/perf/quantized_linear.hpp"
#include "tinytorch/perf/quantized_model_io.hpp"

namespace tinytorch {
namespace {

// The unit roundoff of float32: one rounding changes a value by at most |v|·2⁻²⁴.
constexpr double kUnitRoundoff = 1.0 / 16777216.0;
// A float sum of K products in any order is within (K + 2)·u·Σ|terms| of the exact sum
// (Higham, "Accuracy and Stability of Numerical Algorithms", (3.5); +2 for the bias add and
// the final scale multiply).
double float_sum_bound(int64_t terms, double magnitude) {
  return static_cast<double>(terms + 2) * kUnitRoundoff * magnitude;
}

void expect_bitwise_equal(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  const std::vector<float> a = actual.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(e[i]))
        << what << " element " << i << ": " << a[i] << " vs " << e[i];
  }
}

template <typename Layer>
std::shared_ptr<Layer> layer_at(const Sequential& model, std::size_t index) {
  auto layer = std::dynamic_pointer_cast<Layer>(model[index]);
  EXPECT_NE(layer, nullptr) << "layer " << index << " is " << model[index]->name();
  return layer;
}

template <typename Fn>
std::string error_message(Fn&& fn) {
  try {
    fn();
  } catch (const ValueError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a ValueError";
  return "";
}

QatConfig int8_config() { return QatConfig{}; }

QatConfig int4_config(int64_t group_size) {
  QatConfig config;
  config.target = QatTarget::Int4WeightOnly;
  config.int4_group_size = group_size;
  return config;
}

// 23 -> 65 -> 17 -> 7 with ReLUs: odd sizes, K = 65 leaves a partial int4 group and an odd nibble.
Sequential odd_mlp(uint64_t seed) {
  Generator generator(seed);
  return Sequential(Linear(23, 65, true, generator), ReLU(), Linear(65, 17, true, generator), ReLU(),
                    Linear(17, 7, true, generator));
}

Tensor random_batch(int64_t rows, int64_t width, uint64_t seed) {
  Generator generator(seed);
  return Tensor::randn({rows, width}, 0.0f, 1.0f, generator);
}

// A few training-mode forward passes: fq_x's observers see the batches (no optimizer).
void observe(Sequential& model, int64_t batches, int64_t width, uint64_t seed) {
  const ModeGuard training(model, true);
  const NoGradGuard no_grad;
  for (int64_t b = 0; b < batches; ++b) model.forward(random_batch(32, width, seed + static_cast<uint64_t>(b)));
}

// ---- the hand-made layer -----------------------------------------------------------------------
// W (2x3), every row's max |W| a power of two times 127, so s_w = max|W| / 127 is exact:
//   row 0: max 1.984375 = 127/64  -> s_w = 1/64:   q = 127, −32, round(19.2) = 19
//   row 1: max 0.9921875 = 127/128 -> s_w = 1/128: q = 32, −127, round(12.8) = 13
const std::vector<float> kHandW = {1.984375f, -0.5f, 0.3f, 0.25f, -0.9921875f, 0.1f};
const std::vector<float> kHandWHat = {127.0f / 64, -32.0f / 64, 19.0f / 64, 32.0f / 128, -127.0f / 128, 13.0f / 128};
const std::vector<float> kHandBias = {0.5f, -0.25f};
// fq_x observes x_obs = [−1, 2.984375, 0.5]: uint8 affine, s_x = (2.984375 + 1)/255 = 1/64, z_x = 64,
// so x̂ ∈ [−64/64, 191/64] = [−1, 2.984375].
const std::vector<float> kHandObserved = {-1.0f, 2.984375f, 0.5f};
// The eval input and its fake quantization (q = clamp(round(64·x) + 64, 0, 255)):
//   0.3 -> round(19.2) = 19 -> 19/64      −0.2 -> −13 -> −13/64     1.0 -> 64 -> 1
//   5.0 -> 384 clamped to 255 -> 191/64   −2.0 -> −64 clamped to 0 -> −1      0.01 -> round(0.64) = 1 -> 1/64
const std::vector<float> kHandX = {0.3f, -0.2f, 1.0f, 5.0f, -2.0f, 0.01f};
const std::vector<float> kHandXHat = {19.0f / 64, -13.0f / 64, 1.0f, 191.0f / 64, -1.0f, 1.0f / 64};
const std::vector<float> kHandXInside = {1, 1, 1, 0, 0, 1};  // the two clamped elements

// The hand-made QATLinear, its fq_x having seen x_obs once; in eval mode.
std::shared_ptr<QATLinear> hand_layer() {
  Linear linear(Tensor::from_values(kHandW, {2, 3}), Tensor::from_values(kHandBias, {2}));
  auto layer = std::make_shared<QATLinear>(linear, int8_config());
  layer->train();
  layer->forward(Tensor::from_values(kHandObserved, {1, 3}));
  layer->eval();
  return layer;
}

}  // namespace

// ---- the config ---------------------------------------------------------------------------------

TINYTORCH_CONCEPT(QatConfig, "naming and describing a QAT configuration",
                  "to_string(target) = \"int8_static\" / \"int4_weight_only\"; describe() = \"QAT int8 static, "
                  "weights <spec>, activations <spec> (moving average, momentum m), skip_layers [...]\" or \"QAT int4 "
                  "weight-only, symmetric, group G\"");

TEST(QatConfig, NamesAndDescription) {
  EXPECT_EQ(to_string(QatTarget::Int8Static), "int8_static");
  EXPECT_EQ(to_string(QatTarget::Int4WeightOnly), "int4_weight_only");
  QatConfig config;
  config.skip_layers = {"4"};
  EXPECT_EQ(config.describe(),
            "QAT int8 static, weights int8 symmetric per-channel, activations uint8 affine (moving average, "
            "momentum 0.01), skip_layers [\"4\"]");
  EXPECT_EQ(int4_config(64).describe(), "QAT int4 weight-only, symmetric, group 64");
}

// ---- QATLinear: forward --------------------------------------------------------------------------

TINYTORCH_CONCEPT(QATLinear, "a Linear that trains while seeing the rounding (fake quantization)",
                  "int8: y = fq_x(x) * fq_w(W)^T + b, fq_w per-channel symmetric int8 from the current W, fq_x uint8 "
                  "affine from a moving-average observer; int4: y = x * fq4(W)^T + b; backward: straight-through "
                  "estimator");

TINYTORCH_TEST_FORMULA(QATLinear, EvalForwardIsTheHandComputedFakeQuantizedLinear,
                       "s_x = (max - min) / 255, z_x = -round(min / s_x); y[m, n] = sum_k x_hat[m, k] * W_hat[n, k] + "
                       "b[n] (exact here: powers of two); eval mode does not observe");
TEST(QATLinear, EvalForwardIsTheHandComputedFakeQuantizedLinear) {
  auto layer = hand_layer();
  // fq_x's parameters after one batch: the batch's min and max (s_x = 1/64, z_x = 64, above).
  const QParams input_params = layer->input_fake_quant().qparams();
  EXPECT_EQ(input_params.scale[0], 1.0f / 64);
  EXPECT_EQ(input_params.zero_point[0], 64);
  expect_bitwise_equal(layer->fake_quantized_weight(), Tensor::from_values(kHandWHat, {2, 3}), "fq_w(W)");

  const Tensor y = layer->forward(Tensor::from_values(kHandX, {2, 3}));
  // y[m, n] = Σ_k x̂[m, k]·Ŵ[n, k] + b[n]: every term a multiple of 2⁻¹³ below 8, so float is exact.
  ASSERT_EQ(y.shape(), (Shape{2, 2}));
  const std::vector<float> actual = y.to_vector();
  for (int m = 0; m < 2; ++m) {
    for (int n = 0; n < 2; ++n) {
      double expected = kHandBias[n];
      for (int k = 0; k < 3; ++k) expected += double{kHandXHat[m * 3 + k]} * kHandWHat[n * 3 + k];
      EXPECT_EQ(actual[m * 2 + n], static_cast<float>(expected)) << "y = fq_x(x)·fq_w(W)ᵀ + b at [" << m << ", " << n << "]";
    }
  }
  // Eval mode does not observe: the range is still the one of x_obs.
  EXPECT_EQ(layer->input_fake_quant().observer().batches_seen(), 1);
}

TINYTORCH_TEST_FORMULA(QATLinear, TrainingModeFollowsTheInputWithAMovingAverage,
                       "first batch sets lo, hi; then lo <- (1 - m) * lo + m * min(batch), hi likewise; s_x = (hi - "
                       "lo) / 255, z_x = -round(lo / s_x)");
TEST(QATLinear, TrainingModeFollowsTheInputWithAMovingAverage) {
  Linear linear(Tensor::from_values(kHandW, {2, 3}), Tensor::from_values(kHandBias, {2}));
  QatConfig config;
  config.activation_momentum = 0.25f;
  QATLinear layer(linear, config);
  layer.train();
  layer.forward(Tensor::from_values({-1.0f, 3.0f, 0.0f}, {1, 3}));  // first batch: lo = −1, hi = 3
  layer.forward(Tensor::from_values({-5.0f, 7.0f, 1.0f}, {1, 3}));  // lo = 0.75·(−1) + 0.25·(−5) = −2, hi = 4
  const QParams params = layer.input_fake_quant().qparams();
  EXPECT_FLOAT_EQ(params.scale[0], 6.0f / 255);  // (hi − lo) / 255
  EXPECT_EQ(params.zero_point[0], 85);           // −round(−2 / (6/255)) = round(85) = 85
}

TINYTORCH_TEST_FORMULA(QATLinear, LeadingAxesAndShapeErrors,
                       "x:(..., K) -> (..., N) with the values of the 2-D rows; wrong last axis -> ShapeError; "
                       "non-float32 -> DTypeError");
TEST(QATLinear, LeadingAxesAndShapeErrors) {
  auto layer = hand_layer();
  // (2, 1, 3) -> (2, 1, 2), the same values as the (2, 3) input.
  const Tensor y3 = layer->forward(Tensor::from_values(kHandX, {2, 1, 3}));
  const Tensor y2 = layer->forward(Tensor::from_values(kHandX, {2, 3}));
  EXPECT_EQ(y3.shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(y3.to_vector(), y2.to_vector());
  EXPECT_THROW(layer->forward(Tensor::zeros({2, 4})), ShapeError);
  EXPECT_THROW(layer->forward(Tensor::zeros({2, 3}, DType::Int32)), DTypeError);
}

TINYTORCH_TEST_FORMULA(QATLinear, EvalOrConvertBeforeObservingIsAnError,
                       "int8: eval forward or to_quantized() before fq_x saw a batch -> ValueError; "
                       "input_fake_quant() of an int4 layer -> ValueError");
TEST(QATLinear, EvalOrConvertBeforeObservingIsAnError) {
  Linear linear(Tensor::from_values(kHandW, {2, 3}), Tensor::from_values(kHandBias, {2}));
  QATLinear layer(linear, int8_config());
  layer.eval();
  EXPECT_NE(error_message([&] { layer.forward(Tensor::zeros({1, 3})); }).find("has not observed any batch"),
            std::string::npos);
  EXPECT_NE(error_message([&] { layer.to_quantized(); }).find("no activations observed yet"), std::string::npos);
  // The int4 target has no input quantizer to ask for.
  QATLinear int4_layer(linear, int4_config(32));
  EXPECT_NE(error_message([&] { int4_layer.input_fake_quant(); }).find("only int8_static"), std::string::npos);
}

// ---- QATLinear: backward --------------------------------------------------------------------------

TINYTORCH_TEST_FORMULA(QATLinear, GradientsAreTheStraightThroughEstimateMaskedWhereTheInputWasClamped,
                       "dL/db[n] = sum_m G[m, n]; dL/dW = G^T * x_hat; dL/dx = (G * W_hat) * 1[x inside fq_x's range]");
TEST(QATLinear, GradientsAreTheStraightThroughEstimateMaskedWhereTheInputWasClamped) {
  auto layer = hand_layer();
  Tensor x = Tensor::from_values(kHandX, {2, 3});
  x.set_requires_grad();
  // L = Σ G ⊙ y, so dL/dy = G.
  const std::vector<float> G = {1.0f, 2.0f, -1.0f, 0.5f};
  const Tensor loss = sum(layer->forward(x) * Tensor::from_values(G, {2, 2}));
  loss.backward();
  const auto params = layer->named_parameters();
  const std::vector<float> weight_grad = params[0].second.grad().to_vector();
  const std::vector<float> bias_grad = params[1].second.grad().to_vector();
  const std::vector<float> input_grad = x.grad().to_vector();
  for (int n = 0; n < 2; ++n) {
    // dL/db[n] = Σ_m G[m, n].
    EXPECT_EQ(bias_grad[n], G[n] + G[2 + n]) << "dL/db = Σ_m G[m, n]";
    for (int k = 0; k < 3; ++k) {
      // STE through fq_w (every weight inside [−127, 127]: mask 1): dL/dW[n, k] = Σ_m G[m, n]·x̂[m, k].
      const double expected = double{G[n]} * kHandXHat[k] + double{G[2 + n]} * kHandXHat[3 + k];
      EXPECT_EQ(weight_grad[n * 3 + k], static_cast<float>(expected)) << "dL/dW = Gᵀ·x̂ at [" << n << ", " << k << "]";
    }
  }
  for (int m = 0; m < 2; ++m) {
    for (int k = 0; k < 3; ++k) {
      // STE through fq_x: dL/dx[m, k] = Σ_n G[m, n]·Ŵ[n, k] where x was inside the range, 0 where clamped.
      const double passed = double{G[m * 2]} * kHandWHat[k] + double{G[m * 2 + 1]} * kHandWHat[3 + k];
      EXPECT_EQ(input_grad[m * 3 + k], static_cast<float>(passed * kHandXInside[m * 3 + k]))
          << "dL/dx = (G·Ŵ)·1[inside] at [" << m << ", " << k << "]";
    }
  }
  EXPECT_EQ(input_grad[3], 0.0f) << "x = 5.0 was clamped to the top of fq_x's range: no gradient";
}

TINYTORCH_TEST_FORMULA(QATLinear, Int4GradientIsTheStraightThroughEstimate,
                       "int4, G = 1: dL/dW[n, k] = sum_m x[m, k]; dL/dx[m, k] = sum_n W_hat[n, k] (within float-sum "
                       "rounding)");
TEST(QATLinear, Int4GradientIsTheStraightThroughEstimate) {
  // Int4: y = x·fq4(W)ᵀ + b, x not quantized. dL/dW = Gᵀ·x (every |W/s| <= 7 by the choice of s).
  Generator generator(5);
  Linear linear(17, 3, true, generator);
  QATLinear layer(linear, int4_config(16));
  Tensor x = Tensor::randn({4, 17}, 0.0f, 1.0f, generator);
  x.set_requires_grad();
  sum(layer.forward(x)).backward();  // G = 1
  const std::vector<float> weight_grad = linear.weight().grad().to_vector();
  const std::vector<float> input_grad = x.grad().to_vector();
  const std::vector<float> inputs = x.to_vector();
  const std::vector<float> weight_hat = layer.fake_quantized_weight().to_vector();
  for (int n = 0; n < 3; ++n) {
    for (int k = 0; k < 17; ++k) {
      double expected = 0.0, magnitude = 0.0;
      for (int m = 0; m < 4; ++m) expected += inputs[m * 17 + k], magnitude += std::abs(inputs[m * 17 + k]);
      EXPECT_NEAR(weight_grad[n * 17 + k], expected, float_sum_bound(4, magnitude)) << "dL/dW = Σ_m x[m, k]";
    }
  }
  for (int m = 0; m < 4; ++m) {
    for (int k = 0; k < 17; ++k) {
      double expected = 0.0, magnitude = 0.0;
      for (int n = 0; n < 3; ++n) expected += weight_hat[n * 17 + k], magnitude += std::abs(weight_hat[n * 17 + k]);
      EXPECT_NEAR(input_grad[m * 17 + k], expected, float_sum_bound(3, magnitude)) << "dL/dx = Σ_n Ŵ[n, k]";
    }
  }
}

// ---- prepare_qat --------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(PrepareQat, "prepare_qat: every Linear becomes a QATLinear on the same tensors",
                  "a QATLinear shares W and b, so an optimizer made before or after moves both; skip_layers stay "
                  "Linear; a config that cannot be converted -> ValueError, model unchanged");

TINYTORCH_TEST_FORMULA(PrepareQat, SharesTheTensorsSoAnOptimizerStepMovesBothLayers,
                       "SGD: W <- W - lr * dL/dW, seen through the original Linear (the same storage)");
TEST(PrepareQat, SharesTheTensorsSoAnOptimizerStepMovesBothLayers) {
  Sequential model = odd_mlp(3);
  const auto original_first = layer_at<Linear>(model, 0);
  SGD optimizer(model.parameters(), 0.5f);  // made BEFORE prepare_qat, on the float model's tensors
  const QatSummary summary = prepare_qat(model, int8_config());
  EXPECT_EQ(summary.prepared_layers, (std::vector<std::string>{"0", "2", "4"}));
  EXPECT_TRUE(summary.skipped_layers.empty());
  const auto qat_first = layer_at<QATLinear>(model, 0);
  ASSERT_NE(qat_first, nullptr);
  EXPECT_EQ(qat_first->in_features(), 23);
  EXPECT_EQ(qat_first->out_features(), 65);
  // The same storage: parameters() of the prepared model are the optimizer's tensors.
  const std::vector<Tensor> parameters = model.parameters();
  ASSERT_EQ(parameters.size(), optimizer.parameters().size());
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    EXPECT_EQ(parameters[i].data<float>(), optimizer.parameters()[i].data<float>()) << "parameter " << i;
  }

  const std::vector<float> before = original_first->weight().to_vector();
  model.train();
  sum(model.forward(random_batch(8, 23, 11))).backward();
  const std::vector<float> grad = qat_first->float_linear()->weight().grad().to_vector();
  optimizer.step();
  // SGD: W ← W − 0.5·dL/dW, seen through the original Linear (the gradient reached it via the STE).
  const std::vector<float> after = original_first->weight().to_vector();
  int64_t moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(after[i], before[i] - 0.5f * grad[i]) << "W ← W − lr·dL/dW at " << i;
    moved += after[i] != before[i];
  }
  EXPECT_GT(moved, 0);
  EXPECT_EQ(qat_first->float_linear()->weight().to_vector(), after);
}

TINYTORCH_TEST_FORMULA(PrepareQat, SkipLayersStayFloat32,
                       "skip_layers stay Linear; after convert the layer before a float Linear returns float32 (no "
                       "uint8 output)");
TEST(PrepareQat, SkipLayersStayFloat32) {
  Sequential model = odd_mlp(4);
  QatConfig config;
  config.skip_layers = {"4"};
  const QatSummary summary = prepare_qat(model, config);
  EXPECT_EQ(summary.prepared_layers, (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(summary.skipped_layers, (std::vector<std::string>{"4"}));
  EXPECT_EQ(model[4]->name(), "Linear");
  observe(model, 2, 23, 40);
  const QuantizationSummary converted = convert(model);
  EXPECT_EQ(converted.quantized_layers, (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(converted.skipped_layers, (std::vector<std::string>{"4"}));
  EXPECT_EQ(converted.uint8_outputs, (std::vector<std::string>{"0"}));  // 2 feeds a float Linear
  EXPECT_EQ(model[4]->name(), "Linear");
}

TINYTORCH_TEST_FORMULA(PrepareQat, BadConfigsLeaveTheModelUnchanged,
                       "dynamic mode, a skip_layers entry naming no Linear, group_size not a multiple of 16, momentum "
                       "0, or no Linear left -> ValueError naming the problem; model.summary() unchanged");
TEST(PrepareQat, BadConfigsLeaveTheModelUnchanged) {
  Sequential model = odd_mlp(5);
  const std::string before = model.summary();
  QatConfig dynamic;
  dynamic.int8.mode = QuantMode::Dynamic;
  EXPECT_NE(error_message([&] { prepare_qat(model, dynamic); }).find("prepare_qat: int8 config in dynamic mode"),
            std::string::npos);
  QatConfig unknown_skip;
  unknown_skip.skip_layers = {"1"};  // a ReLU
  EXPECT_NE(error_message([&] { prepare_qat(model, unknown_skip); })
                .find("skip_layers names \"1\", which is not a Linear layer of the model; the Linear layers are "
                      "[\"0\", \"2\", \"4\"]"),
            std::string::npos);
  EXPECT_NE(error_message([&] { prepare_qat(model, int4_config(24)); }).find("prepare_qat: group_size 24"),
            std::string::npos);
  QatConfig no_momentum;
  no_momentum.activation_momentum = 0.0f;
  EXPECT_NE(error_message([&] { prepare_qat(model, no_momentum); }).find("activation_momentum 0"),
            std::string::npos);
  EXPECT_EQ(model.summary(), before);
  // A prepared model has no Linear left to prepare.
  prepare_qat(model, int8_config());
  EXPECT_NE(error_message([&] { prepare_qat(model, int8_config()); }).find("no Linear layer"), std::string::npos);
}

// ---- convert ----------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(QatConvert, "convert: each QATLinear becomes the layer post-training quantization builds",
                  "int8: QuantizedLinear with fq_x's input params and weights quantized as fq_w rounded them (s_w * "
                  "(q_w - z_w) = fq_w(W)), integer pipeline linked; int4: Int4Linear with W_hat = fq4(W)");

TINYTORCH_TEST_FORMULA(QatConvert, QuantizedWeightsEqualTheFakeQuantizedWeightsBitForBit,
                       "the QuantizedLinear's s_w * (q_w - z_w) = fq_w(W) bit for bit, per-channel and per-tensor");
TEST(QatConvert, QuantizedWeightsEqualTheFakeQuantizedWeightsBitForBit) {
  // After training steps (the weights moved), per-channel and per-tensor int8, odd shapes.
  for (bool per_channel : {true, false}) {
    Sequential model = odd_mlp(6);
    QatConfig config;
    config.int8.weights.per_channel = per_channel;
    prepare_qat(model, config);
    Adam optimizer(model.parameters(), 1e-2f);
    model.train();
    for (int step = 0; step < 3; ++step) {
      optimizer.zero_grad();
      sum(model.forward(random_batch(16, 23, 60 + static_cast<uint64_t>(step)))).backward();
      optimizer.step();
    }
    std::vector<Tensor> fake_quantized;
    for (std::size_t i : {0u, 2u, 4u}) fake_quantized.push_back(layer_at<QATLinear>(model, i)->fake_quantized_weight());
    convert(model);
    int index = 0;
    for (std::size_t i : {0u, 2u, 4u}) {
      const auto quantized = layer_at<QuantizedLinear>(model, i);
      ASSERT_NE(quantized, nullptr);
      EXPECT_EQ(quantized->weight_params().per_channel(), per_channel);
      // s_w·(q_w − z_w) of quantize_tensor(W) = fq_w(W): the same min/max, choose_qparams, quantize().
      expect_bitwise_equal(quantized->dequantized_weight(), fake_quantized[static_cast<std::size_t>(index++)],
                           "layer " + std::to_string(i) + (per_channel ? " per-channel" : " per-tensor"));
    }
  }
}

TINYTORCH_TEST_FORMULA(QatConvert, ALayerMatchesTheQatLayerWithinHalfABiasStepAndFloatRounding,
                       "|y_int - y_qat| <= s_x * s_w[n] / 2 + 2 * (K + 2) * u * sum_k |x_hat * w_hat| (u = 2^-24); "
                       "input params = fq_x's");
TEST(QatConvert, ALayerMatchesTheQatLayerWithinHalfABiasStepAndFloatRounding) {
  Generator generator(7);
  Linear linear(63, 17, true, generator);
  QATLinear layer(linear, int8_config());
  layer.train();
  for (uint64_t b = 0; b < 4; ++b) layer.forward(random_batch(8, 63, 70 + b));
  layer.eval();
  const Tensor x = random_batch(5, 63, 80);
  const std::vector<float> qat = layer.forward(x).to_vector();
  const auto converted = std::dynamic_pointer_cast<QuantizedLinear>(layer.to_quantized());
  ASSERT_NE(converted, nullptr);
  EXPECT_EQ(converted->input_params(), layer.input_fake_quant().qparams());  // fq_x's grid, no new calibration
  converted->eval();
  const std::vector<float> integer = converted->forward(x).to_vector();
  // The integer layer sums (q_x − z_x)·q_w exactly and adds q_b = round(b / (s_x s_w[n])): it differs
  // from the float sum of x̂·ŵ by at most half a bias step s_x·s_w[n]/2 plus the float sum's rounding.
  const QParams& weight_params = converted->weight_params();
  const float input_scale = converted->input_params().scale[0];
  const std::vector<float> x_hat = layer.input_fake_quant().forward(x).to_vector();
  const std::vector<float> w_hat = layer.fake_quantized_weight().to_vector();
  const std::vector<float> bias = linear.bias().to_vector();
  for (int m = 0; m < 5; ++m) {
    for (int n = 0; n < 17; ++n) {
      double magnitude = std::abs(bias[n]);
      for (int k = 0; k < 63; ++k) magnitude += std::abs(double{x_hat[m * 63 + k]} * w_hat[n * 63 + k]);
      const double bound = double{input_scale} * weight_params.scale[n] / 2 + 2 * float_sum_bound(63, magnitude);
      EXPECT_NEAR(integer[m * 17 + n], qat[m * 17 + n], bound) << "at [" << m << ", " << n << "]";
    }
  }
}

TINYTORCH_TEST_FORMULA(QatConvert, AnMlpMatchesTheQatModelWithinOneHiddenStep,
                       "|dy[m, n]| <= s_h * sum_k |W2_hat[n, k]| + s_h * s_w2[n] / 2 + float rounding (a hidden value "
                       "off by at most one step s_h in the uint8 pipeline)");
TEST(QatConvert, AnMlpMatchesTheQatModelWithinOneHiddenStep) {
  // Linear–ReLU–Linear. The converted model hands uint8 from layer 0 to layer 2 (the integer
  // pipeline), requantized with a fixed-point multiplier instead of float rounding; a hidden value
  // near a rounding tie can land one step s_h away. Layer 0's own error (half a bias step + float
  // rounding) is checked to stay below a quarter step, so no hidden value is off by more than one, and
  //   |Δy[m, n]| <= s_h·Σ_k |Ŵ2[n, k]| + s_h·s_w2[n]/2 + float rounding.
  Generator generator(8);
  Sequential model(Linear(31, 33, true, generator), ReLU(), Linear(33, 9, true, generator));
  prepare_qat(model, int8_config());
  observe(model, 6, 31, 90);
  model.eval();
  const Tensor x = random_batch(40, 31, 99);
  const std::vector<float> qat = model.forward(x).to_vector();
  const auto first = layer_at<QATLinear>(model, 0);
  const auto second = layer_at<QATLinear>(model, 2);
  const float hidden_scale = second->input_fake_quant().qparams().scale[0];
  const float input_scale = first->input_fake_quant().qparams().scale[0];
  const QParams w1_params = std::dynamic_pointer_cast<QuantizedLinear>(first->to_quantized())->weight_params();
  const QParams w2_params = std::dynamic_pointer_cast<QuantizedLinear>(second->to_quantized())->weight_params();
  const std::vector<float> w2_hat = second->fake_quantized_weight().to_vector();
  const std::vector<float> b2 = second->float_linear()->bias().to_vector();
  for (int n = 0; n < 33; ++n) {
    ASSERT_LT(double{input_scale} * w1_params.scale[n] / 2, hidden_scale / 4)
        << "precondition: layer 0's half bias step is well below one hidden step";
  }

  const QuantizationSummary summary = convert(model);
  EXPECT_EQ(summary.quantized_layers, (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(summary.uint8_outputs, (std::vector<std::string>{"0"}));
  EXPECT_EQ(summary.calibration_batches, 6);  // what fq_x watched stands in for calibration
  EXPECT_TRUE(layer_at<QuantizedLinear>(model, 0)->fused_relu());
  EXPECT_FALSE(model.is_training());
  const std::vector<float> integer = model.forward(x).to_vector();
  for (int n = 0; n < 9; ++n) {
    double weight_mass = 0.0;
    for (int k = 0; k < 33; ++k) weight_mass += std::abs(w2_hat[n * 33 + k]);
    // x̂2 = s_h·(q − z_h) with 0 <= q − z_h <= 255: Σ|x̂2·ŵ2| <= 255·s_h·Σ|ŵ2|.
    const double magnitude = 255.0 * hidden_scale * weight_mass + std::abs(b2[n]);
    const double bound = double{hidden_scale} * weight_mass + double{hidden_scale} * w2_params.scale[n] / 2 +
                         2 * float_sum_bound(33, magnitude);
    for (int m = 0; m < 40; ++m) {
      EXPECT_NEAR(integer[m * 9 + n], qat[m * 9 + n], bound) << "at [" << m << ", " << n << "]";
    }
  }
}

TINYTORCH_TEST_FORMULA(QatConvert, Int4ModelBecomesInt4LinearsWithTheFakeQuantizedWeights,
                       "Int4Linear W_hat = fq4(W) = fake_quantize_int4_grouped(W) bit for bit; outputs equal up to "
                       "the order of float sums");
TEST(QatConvert, Int4ModelBecomesInt4LinearsWithTheFakeQuantizedWeights) {
  for (int64_t group_size : {16, 32}) {
    Sequential model = odd_mlp(9);
    prepare_qat(model, int4_config(group_size));
    model.eval();
    const Tensor x = random_batch(6, 23, 100);
    const std::vector<float> qat = model.forward(x).to_vector();
    std::vector<Tensor> fake_quantized, float_weights;
    for (std::size_t i : {0u, 2u, 4u}) {
      const auto layer = layer_at<QATLinear>(model, i);
      fake_quantized.push_back(layer->fake_quantized_weight());
      float_weights.push_back(layer->float_linear()->weight().detach());
    }
    EXPECT_EQ(convert(model).uint8_outputs, std::vector<std::string>{});  // weight-only: float between layers
    int index = 0;
    for (std::size_t i : {0u, 2u, 4u}) {
      const auto int4 = layer_at<Int4Linear>(model, i);
      ASSERT_NE(int4, nullptr);
      EXPECT_EQ(int4->group_size(), group_size);
      const auto j = static_cast<std::size_t>(index++);
      // int4_weights.hpp (1)–(3) in both: the grid QAT trained on is the one the kernel multiplies by.
      expect_bitwise_equal(int4->dequantized_weight(), fake_quantized[j], "Int4Linear vs fq4, layer " + std::to_string(i));
      expect_bitwise_equal(int4->dequantized_weight(), fake_quantize_int4_grouped(float_weights[j], group_size),
                           "Int4Linear vs fake_quantize_int4_grouped, layer " + std::to_string(i));
    }
    // Same weights, same float input: only the order of the float sums differs. Relative bound:
    // the ReLU MLP's outputs are ~1, three layers of ~65 terms each, so 3·(65 + 2)·u·Σ|terms|.
    const std::vector<float> converted = model.forward(x).to_vector();
    for (std::size_t i = 0; i < qat.size(); ++i) {
      EXPECT_NEAR(converted[i], qat[i], float_sum_bound(3 * 65, 1e3)) << "output " << i;
    }
  }
}

TINYTORCH_TEST_FORMULA(QatConvert, WithoutAQatLinearIsAnError,
                       "no QATLinear -> ValueError \"convert: the model has no QATLinear layer\"; int8 never observed "
                       "-> ValueError \"no activations observed yet\"; the model unchanged");
TEST(QatConvert, WithoutAQatLinearIsAnError) {
  Sequential model = odd_mlp(10);
  const std::string before = model.summary();
  EXPECT_NE(error_message([&] { convert(model); }).find("convert: the model has no QATLinear layer"),
            std::string::npos);
  EXPECT_EQ(model.summary(), before);
  // A prepared but never trained int8 model: convert has no input range, and changes nothing.
  prepare_qat(model, int8_config());
  const std::string prepared = model.summary();
  EXPECT_NE(error_message([&] { convert(model); }).find("no activations observed yet"), std::string::npos);
  EXPECT_EQ(model.summary(), prepared);
}

TINYTORCH_TEST_FORMULA(QatConvert, ACloneConvertsToTheSameLayers,
                       "a clone (new storage, same observer state) converts to a model with the same outputs");
TEST(QatConvert, ACloneConvertsToTheSameLayers) {
  Sequential model = odd_mlp(11);
  prepare_qat(model, int8_config());
  observe(model, 3, 23, 110);
  auto copy = std::dynamic_pointer_cast<Sequential>(model.clone());
  ASSERT_NE(copy, nullptr);
  // New storage, same values; the observer's state came along.
  EXPECT_NE(copy->parameters()[0].data<float>(), model.parameters()[0].data<float>());
  EXPECT_EQ(layer_at<QATLinear>(*copy, 2)->input_fake_quant().qparams(),
            layer_at<QATLinear>(model, 2)->input_fake_quant().qparams());
  convert(model);
  convert(*copy);
  const Tensor x = random_batch(7, 23, 111);
  EXPECT_EQ(copy->forward(x).to_vector(), model.forward(x).to_vector());
}

TINYTORCH_TEST_FORMULA(QatConvert, ConvertedModelsSaveAndReloadBitIdentical,
                       "load(save(convert(m))) gives bit-identical outputs, int8 and int4");
TEST(QatConvert, ConvertedModelsSaveAndReloadBitIdentical) {
  const std::string directory = "/tmp/tinytorch_test_qat_" + std::to_string(::getpid());
  std::filesystem::create_directories(directory);
  const Tensor x = random_batch(9, 23, 120);
  for (const QatConfig& config : {int8_config(), int4_config(32)}) {
    Sequential model = odd_mlp(12);
    prepare_qat(model, config);
    observe(model, 2, 23, 121);
    convert(model);
    const std::string path = directory + "/" + to_string(config.target) + ".safetensors";
    save_quantized_model(model, path, config.int8);
    const LoadedQuantizedModel loaded = load_quantized_model(path);
    EXPECT_EQ(loaded.model->forward(x).to_vector(), model.forward(x).to_vector()) << to_string(config.target);
    EXPECT_EQ(loaded.model->at(0)->name(), model[0]->name());
  }
  std::filesystem::remove_all(directory);
}

// ---- does it pay off? ------------------------------------------------------------------------------

namespace {

double test_accuracy(Module& model, const TensorDataset& data) {
  const NoGradGuard no_grad;
  const ModeGuard eval(model, false);
  DataLoader loader(data, 1000);
  double correct = 0.0;
  for (const Batch& batch : loader) {
    correct += accuracy(model.forward(batch.inputs), batch.labels) * static_cast<double>(batch.labels.numel());
  }
  return correct / static_cast<double>(data.size());
}

void fit(Sequential& model, const TensorDataset& data, float learning_rate, uint64_t seed) {
  Adam optimizer(model.parameters(), learning_rate);
  TrainerOptions options;
  options.log = nullptr;
  options.progress_bar = false;
  Trainer trainer(model, optimizer, {}, options);
  DataLoader loader(data, 64, /*shuffle=*/true, seed);
  trainer.fit(loader, 1);
}

}  // namespace

TINYTORCH_CONCEPT(QatFashionMnist, "whether QAT pays off on Fashion-MNIST",
                  "after one extra epoch at lr 1e-4: accuracy(QAT, converted to INT4 g128) >= accuracy(fine-tuned in "
                  "float, then rounded to INT4) and >= post-training INT4");

TEST(QatFashionMnist, Int4FineTuningBeatsFineTuningInFloatThenRounding) {
  // A 784-64-10 MLP trained one epoch on 12,000 images, then fine-tuned one more epoch at lr 1e-4
  // (1/10 of the training rate) two ways: in float32 and then rounded to INT4 (post-training, groups
  // of 128, the coarsest grid), or with QAT and then converted. Both saw the same extra epoch, so the
  // difference is QAT's alone: the weights learned where the INT4 grid puts them. Measured on 2,000
  // test images: FP32 80.65 %, post-training INT4 80.05 %, FP32 fine-tuned 82.60 %, then INT4 82.00 %,
  // QAT INT4 82.30 % (figures in the failure message). With six other seeds QAT INT4 was ahead of
  // fine-tune-then-round by 0.0 to +1.55 points (mean +0.5), never behind. A broken STE (no gradient
  // reaching W) would leave QAT at the post-training figure, 2 points below.
  const TensorDataset train = load_fashion_mnist("", "train", PixelScale::UnitRange).slice(0, 12000);
  const TensorDataset test = load_fashion_mnist("", "test", PixelScale::UnitRange).slice(0, 2000);
  manual_seed(13);
  Sequential model(Linear(784, 64), ReLU(), Linear(64, 10));
  fit(model, train, 1e-3f, 13);
  const double fp32 = test_accuracy(model, test);
  const auto round_to_int4 = [](Sequential& float_model) {
    for (std::size_t i : {0u, 2u}) float_model.set(i, std::make_shared<Int4Linear>(*layer_at<Linear>(float_model, i), 128));
  };

  auto post_training = std::dynamic_pointer_cast<Sequential>(model.clone());
  round_to_int4(*post_training);
  const double ptq = test_accuracy(*post_training, test);

  auto fine_tuned = std::dynamic_pointer_cast<Sequential>(model.clone());
  fit(*fine_tuned, train, 1e-4f, 14);
  const double fine_tuned_fp32 = test_accuracy(*fine_tuned, test);
  round_to_int4(*fine_tuned);
  const double fine_tuned_ptq = test_accuracy(*fine_tuned, test);

  prepare_qat(model, int4_config(128));
  fit(model, train, 1e-4f, 14);
  convert(model);
  const double qat = test_accuracy(model, test);
  const std::string figures = "fp32 " + std::to_string(fp32) + ", post-training int4 " + std::to_string(ptq) +
                              ", fp32 fine-tuned " + std::to_string(fine_tuned_fp32) + ", then int4 " +
                              std::to_string(fine_tuned_ptq) + ", QAT int4 " + std::to_string(qat);
  EXPECT_GE(qat, fine_tuned_ptq) << figures;
  EXPECT_GE(qat, ptq) << figures;
}

}  // namespace tinytorch
