// test_mixed_bit.cpp — sensitivity analysis and the mixed-bit assignment (mixed_bit.hpp):
// effective bits per weight computed by hand, the exhaustive choice on hand-made reports
// (budget edge, ties, impossible budgets), the greedy path on 18 layers against brute
// force, a deliberately sensitive layer coming out worst, the built model against the
// lowered layers built by hand, and the JSON read back.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <typeinfo>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/perf/accuracy_validator.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/mixed_bit.hpp"
#include "tinytorch/perf/quantize_model.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

using namespace tinytorch;
using Json = nlohmann::json;

namespace {

// Doubles computed the same way twice, or from exact sums: equal up to rounding of a few operations.
constexpr double kBitsTolerance = 1e-12;
constexpr double kLossTolerance = 1e-9;  // percentage points

#define EXPECT_MESSAGE_HAS(message, text) \
  EXPECT_NE((message).find(text), std::string::npos) << "message: " << (message) << "\nexpected to contain: " << (text)

// ---- hand-made reports -------------------------------------------------------------------------

// A layer row with bits 8 / 4 (round numbers, so averages are exact) and the given accuracies and SQNRs.
LayerSensitivity row(const std::string& name, int64_t weights, double int8_accuracy, double int4_accuracy,
                     double int8_sqnr_db = 40.0, double int4_sqnr_db = 20.0) {
  LayerSensitivity layer;
  layer.name = name;
  layer.in_features = weights;
  layer.out_features = 1;
  layer.weights = weights;
  layer.int8_bits = 8.0;
  layer.int4_bits = 4.0;
  layer.int8_accuracy = int8_accuracy;
  layer.int4_accuracy = int4_accuracy;
  layer.int8_sqnr_db = int8_sqnr_db;
  layer.int4_sqnr_db = int4_sqnr_db;
  return layer;
}

// FP32 accuracy 0.90; losses in points (int8 / int4): A 0 / 1, B 0 / 5, C 0.1 / 10;
// weights 600, 300, 100 (Σ 1000, so an average is Σ n·b / 1000).
SensitivityReport three_layer_report() {
  SensitivityReport report;
  report.fp32_accuracy = 0.90;
  report.examples = 1000;
  report.layers = {row("A", 600, 0.90, 0.89), row("B", 300, 0.90, 0.85), row("C", 100, 0.899, 0.80)};
  return report;
}

std::string assign_error(const SensitivityReport& report, double budget) {
  try {
    assign_mixed_bits(report, budget);
  } catch (const ValueError& error) {
    return error.what();
  }
  ADD_FAILURE() << "assign_mixed_bits(budget " << budget << ") did not throw ValueError";
  return "";
}

// ---- effective bits ---------------------------------------------------------------------------------

TINYTORCH_CONCEPT(MixedBitSensitivity, "sensitivity analysis: lower one layer at a time to int4 or int8 and measure",
                  "for each layer l and b in {4, 8}: only l lowered; accuracy and output SQNR = 10 * log10(sum y^2 / "
                  "sum (y - y_hat)^2) against the FP32 logits; bits int4 = 4 + 16 * ceil(K/g) / K, int8 per-channel = "
                  "8 + 64 / K");

TINYTORCH_TEST_FORMULA(MixedBitSensitivity, EffectiveBitsCountWhatEachFormStores,
                       "int4: 4 + 16 * ceil(K/g) / K bits per weight; int8 per channel: 8 + 64 / K (a float32 scale "
                       "and an int32 zero point per row); per tensor: 8 + 64 / (N*K)");
// A 784 -> 256 -> 10 model evaluated on 8 random examples: only the bits are checked here.
TEST(MixedBitSensitivity, EffectiveBitsCountWhatEachFormStores) {
  Generator generator(1);
  Sequential model(Linear(784, 256, true, generator), ReLU(), Linear(256, 10, true, generator));
  const Tensor images = Tensor::uniform({8, 784}, 0.0f, 1.0f, generator);
  DataLoader loader(TensorDataset(images, Tensor::from_int32({0, 1, 2, 3, 4, 5, 6, 7}, {8})), 8);
  const SensitivityReport report = analyze_sensitivity(model, {images}, loader);
  ASSERT_EQ(report.layers.size(), 2u);

  const LayerSensitivity& first = report.layers[0];
  EXPECT_EQ(first.name, "0");
  EXPECT_EQ(first.weights, 784 * 256);
  // int4 g32: 784 = 24·32 + 16, so a row has ceil(784/32) = 25 scales of 16 bits:
  //   8·(256·392 + 2·256·25) / (256·784) = 4 + 16·25/784 = 4.5102 (4.5 only when 32 divides K).
  EXPECT_NEAR(first.int4_bits, 4.0 + 16.0 * 25.0 / 784.0, kBitsTolerance);
  // int8 per channel: 1 byte per weight + a float32 scale and an int32 zero point per row:
  //   8·(784 + 4 + 4)/784 = 8 + 64/784 = 8.0816.
  EXPECT_NEAR(first.int8_bits, 8.0 + 64.0 / 784.0, kBitsTolerance);

  const LayerSensitivity& last = report.layers[1];
  EXPECT_EQ(last.name, "2");
  EXPECT_EQ(last.weights, 2560);
  EXPECT_NEAR(last.int4_bits, 4.5, kBitsTolerance);  // 256 = 8 groups of 32: 4 + 16/32
  EXPECT_NEAR(last.int8_bits, 8.25, kBitsTolerance);  // 8 + 64/256

  // Group 128: ceil(784/128) = 7 scales per row -> 4 + 16·7/784 = 4.1429.
  // Per-tensor int8: one scale and zero point for the whole layer -> 8 + 64/(256·784).
  MixedBitOptions options;
  options.int4_group_size = 128;
  options.int8.weights.per_channel = false;
  const SensitivityReport coarse = analyze_sensitivity(model, {images}, loader, options);
  EXPECT_NEAR(coarse.layers[0].int4_bits, 4.0 + 16.0 * 7.0 / 784.0, kBitsTolerance);
  EXPECT_NEAR(coarse.layers[0].int8_bits, 8.0 + 64.0 / (256.0 * 784.0), kBitsTolerance);
  EXPECT_NEAR(coarse.layers[1].int4_bits, 4.0 + 16.0 * 2.0 / 256.0, kBitsTolerance);  // 256 = 2 groups of 128
}

// ---- the assignment (exhaustive, L ≤ 16) ---------------------------------------------------------------

TINYTORCH_CONCEPT(MixedBitAssignment, "choosing 4 or 8 bits per layer under an average-bits budget",
                  "avg_bits = sum_l n_l * bits_l / sum_l n_l <= budget; minimize the predicted loss sum_l 100 * "
                  "(fp32_acc - acc_l(b_l)); ties: higher predicted SQNR = -10 * log10(sum_l 10^(-SQNR_l / 10)), then "
                  "fewer bits; exhaustive for L <= 16, greedy beyond");

// Budget 6: Σ n·b ≤ 6000. Without A at int4 the least is 8·600 + 4·400 = 6400 (too much), so A
// is int4; then B and C at int8 cost 2400 + 2400 + 800 = 5600 and lose only C's 0.1 + A's 1.0.
TEST(MixedBitAssignment, ExhaustiveSearchPicksLeastPredictedLoss) {
  const MixedBitAssignment assignment = assign_mixed_bits(three_layer_report(), 6.0);
  EXPECT_EQ(assignment.layer_names, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(assignment.bits, (std::vector<int>{4, 8, 8}));
  EXPECT_NEAR(assignment.average_bits, 5.6, kBitsTolerance);
  EXPECT_NEAR(assignment.predicted_loss_points, 1.0 + 0.1, kLossTolerance);
  EXPECT_EQ(assignment.budget_bits, 6.0);
  EXPECT_EQ(assignment.to_string(), "A:int4 B:int8 C:int8 — 5.60 bits/weight (budget 6.00)");

  // A generous budget keeps everything int8 (loss 0.1, C's int8 loss), none at all needed.
  const MixedBitAssignment wide = assign_mixed_bits(three_layer_report(), 8.0);
  EXPECT_EQ(wide.bits, (std::vector<int>{8, 8, 8}));
  EXPECT_NEAR(wide.predicted_loss_points, 0.1, kLossTolerance);
}

TINYTORCH_TEST_FORMULA(MixedBitAssignment, BudgetIsInclusive,
                       "avg_bits <= budget: an average equal to the budget is allowed");
// 5.6 is exactly the average of {A:4, B:8, C:8} (5600 / 1000): allowed. Just below it the
// cheapest feasible choices are {4,4,8} (4400, loss 1 + 5 + 0.1 = 6.1) and {4,8,4}
// (5200, loss 1 + 0 + 10 = 11): the first wins.
TEST(MixedBitAssignment, BudgetIsInclusive) {
  const MixedBitAssignment at_budget = assign_mixed_bits(three_layer_report(), 5.6);
  EXPECT_EQ(at_budget.bits, (std::vector<int>{4, 8, 8}));
  const MixedBitAssignment below = assign_mixed_bits(three_layer_report(), 5.6 - 1e-6);
  EXPECT_EQ(below.bits, (std::vector<int>{4, 4, 8}));
  EXPECT_NEAR(below.average_bits, 4.4, kBitsTolerance);
  EXPECT_NEAR(below.predicted_loss_points, 6.1, kLossTolerance);
  // All int4: 4.0 exactly, the smallest budget that works.
  const MixedBitAssignment all_int4 = assign_mixed_bits(three_layer_report(), 4.0);
  EXPECT_EQ(all_int4.bits, (std::vector<int>{4, 4, 4}));
  EXPECT_NEAR(all_int4.predicted_loss_points, 16.0, kLossTolerance);
}

TINYTORCH_TEST_FORMULA(MixedBitAssignment, EqualLossTieGoesToHigherSqnr,
                       "equal predicted loss: the higher SQNR = -10 * log10(sum_l 10^(-SQNR_l / 10)) wins");
// Two layers of 100 weights; budget 6 = one of them int4. Both lose 0.5 points at int4,
// so the predicted output SQNR (3) decides: lowering Y (int4 30 dB) leaves noise
// 10^-3 + 10^-4, lowering X (20 dB) 10^-2 + 10^-4 — Y goes to int4.
TEST(MixedBitAssignment, EqualLossTieGoesToHigherSqnr) {
  SensitivityReport report;
  report.fp32_accuracy = 0.9;
  report.layers = {row("X", 100, 0.9, 0.895, 40.0, 20.0), row("Y", 100, 0.9, 0.895, 40.0, 30.0)};
  const MixedBitAssignment assignment = assign_mixed_bits(report, 6.0);
  EXPECT_EQ(assignment.bits, (std::vector<int>{8, 4}));
  EXPECT_NEAR(assignment.predicted_loss_points, 0.5, kLossTolerance);
}

TINYTORCH_TEST_FORMULA(MixedBitAssignment, FullTieGoesToFewerBits,
                       "equal predicted loss and SQNR: the fewer average bits win");
// Equal loss and equal SQNR: fewer bits wins. Layer P scores the same at int4 as at int8
// (accuracy and SQNR), so even a budget of 8 lowers it; Q loses at int4 and stays int8.
TEST(MixedBitAssignment, FullTieGoesToFewerBits) {
  SensitivityReport report;
  report.fp32_accuracy = 0.9;
  report.layers = {row("P", 100, 0.9, 0.9, 35.0, 35.0), row("Q", 100, 0.9, 0.8, 40.0, 20.0)};
  const MixedBitAssignment assignment = assign_mixed_bits(report, 8.0);
  EXPECT_EQ(assignment.bits, (std::vector<int>{4, 8}));
  EXPECT_NEAR(assignment.average_bits, 6.0, kBitsTolerance);
  EXPECT_NEAR(assignment.predicted_loss_points, 0.0, kLossTolerance);
}

TINYTORCH_TEST_FORMULA(MixedBitAssignment, ImpossibleOrInvalidBudgetIsValueError,
                       "budget < the all-int4 average -> ValueError naming the smallest achievable average; a budget "
                       "not finite and > 0, or no layers -> ValueError");
TEST(MixedBitAssignment, ImpossibleOrInvalidBudgetIsValueError) {
  // All int4 averages 4.0: a budget below it cannot be met, and the message says the least there is.
  const std::string message = assign_error(three_layer_report(), 3.9);
  EXPECT_MESSAGE_HAS(message, "assign_mixed_bits: budget 3.9000 bits per weight cannot be met");
  EXPECT_MESSAGE_HAS(message, "smallest achievable average is 4.0000");
  for (const double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    EXPECT_MESSAGE_HAS(assign_error(three_layer_report(), bad), "expected a finite number > 0");
  }
  EXPECT_MESSAGE_HAS(assign_error(SensitivityReport{}, 6.0), "has no layers");
}

// ---- the greedy path (L > 16) ----------------------------------------------------------------------

// The best assignment by trying all 2^L choices: the least predicted loss within the budget.
double brute_force_least_loss(const SensitivityReport& report, double budget, std::vector<int>& best_bits) {
  const std::size_t layers = report.layers.size();
  double best = std::numeric_limits<double>::infinity();
  for (uint32_t mask = 0; mask < (uint32_t{1} << layers); ++mask) {
    double bits = 0.0, weights = 0.0, loss = 0.0;
    for (std::size_t l = 0; l < layers; ++l) {
      const LayerSensitivity& layer = report.layers[l];
      const bool int4 = ((mask >> l) & 1u) != 0;
      bits += static_cast<double>(layer.weights) * (int4 ? layer.int4_bits : layer.int8_bits);
      weights += static_cast<double>(layer.weights);
      loss += 100.0 * (report.fp32_accuracy - (int4 ? layer.int4_accuracy : layer.int8_accuracy));
    }
    if (bits / weights <= budget && loss < best) {
      best = loss;
      best_bits.assign(layers, 8);
      for (std::size_t l = 0; l < layers; ++l) best_bits[l] = ((mask >> l) & 1u) != 0 ? 4 : 8;
    }
  }
  return best;
}

TINYTORCH_TEST_FORMULA(MixedBitAssignment, GreedyMatchesBruteForceOnEqualSizedLayers,
                       "L > 16: greedy lowers first the smallest isolated loss per bit saved; on equal-sized layers = "
                       "brute force over 2^L: the 7 smallest losses (2.8 points), avg = 8 - 3.5 * 7 / 18");
// 18 layers of equal size: every lowering saves the same bits, so the best choice under a
// budget is to lower the layers with the smallest int4 losses — exactly what the greedy
// order does; it must match brute force over all 2^18 choices. Budget 6.65 bits (int4 at
// 4.5, int8 at 8): lowering k layers averages 8 − 3.5·k/18 ≤ 6.65 from k = 7 on.
TEST(MixedBitAssignment, GreedyMatchesBruteForceOnEqualSizedLayers) {
  SensitivityReport report;
  report.fp32_accuracy = 0.9;
  // int4 loss of layer l: (l·7 mod 18 + 1) / 10 points — the values 0.1 … 1.8, each once, scrambled.
  for (int l = 0; l < 18; ++l) {
    const double int4_loss_points = static_cast<double>((l * 7) % 18 + 1) / 10.0;
    LayerSensitivity layer = row(std::to_string(l), 256, 0.9, 0.9 - int4_loss_points / 100.0);
    layer.int4_bits = 4.5;
    report.layers.push_back(layer);
  }
  const double budget = 6.65;
  const MixedBitAssignment greedy = assign_mixed_bits(report, budget);
  std::vector<int> brute_bits;
  const double brute_loss = brute_force_least_loss(report, budget, brute_bits);
  EXPECT_EQ(greedy.bits, brute_bits);
  EXPECT_NEAR(greedy.predicted_loss_points, brute_loss, kLossTolerance);
  // By hand: the 7 smallest losses 0.1 … 0.7 points sum to 2.8; average 8 − 3.5·7/18.
  EXPECT_NEAR(greedy.predicted_loss_points, 2.8, kLossTolerance);
  EXPECT_NEAR(greedy.average_bits, 8.0 - 3.5 * 7.0 / 18.0, kBitsTolerance);
  int lowered = 0;
  for (int bits : greedy.bits) lowered += bits == 4 ? 1 : 0;
  EXPECT_EQ(lowered, 7);
}

TINYTORCH_TEST_FORMULA(MixedBitAssignment, GreedyLowersLayersThatGainFromInt4,
                       "a layer whose int4 loss is < 0 is lowered for free even when every choice fits the budget");
// Beyond the budget, greedy still lowers a layer that int4 makes more accurate (Δ < 0: free).
TEST(MixedBitAssignment, GreedyLowersLayersThatGainFromInt4) {
  SensitivityReport report;
  report.fp32_accuracy = 0.9;
  for (int l = 0; l < 17; ++l) report.layers.push_back(row(std::to_string(l), 100, 0.9, 0.89));
  report.layers[5].int4_accuracy = 0.901;  // int4 beats int8 by 0.1 points on layer 5
  const MixedBitAssignment assignment = assign_mixed_bits(report, 8.0);  // every choice fits
  for (int l = 0; l < 17; ++l) EXPECT_EQ(assignment.bits[static_cast<std::size_t>(l)], l == 5 ? 4 : 8) << "layer " << l;
  EXPECT_NEAR(assignment.predicted_loss_points, -0.1, kLossTolerance);
}

// ---- sensitivity on a real (tiny) model --------------------------------------------------------------

// 64 -> 32 -> 32 -> 5, labels = the FP32 model's own predictions (FP32 accuracy 1 by construction).
// Layer 2 is made sensitive: in every row, weight k = 0 is a huge outlier (60, against weights of
// about 0.2) that multiplies an input that is always 0 (ReLU of a layer-0 row with zero weights and
// bias −1). The outlier adds nothing to the FP32 output but sets its row's int8 scale and its group's
// int4 scale 300× too large: the rest of the group rounds to 0 in int4, to a few levels in int8.
struct SensitiveModel {
  std::shared_ptr<Sequential> model;
  Tensor inputs, labels;
};

SensitiveModel sensitive_model(int64_t examples) {
  Generator generator(17);
  Tensor w0 = Tensor::randn({32, 64}, 0.0f, 0.2f, generator);
  Tensor b0 = Tensor::randn({32}, 0.0f, 0.1f, generator);
  for (int64_t k = 0; k < 64; ++k) w0.data<float>()[k] = 0.0f;  // row 0: always ReLU(−1) = 0
  b0.data<float>()[0] = -1.0f;
  Tensor w2 = Tensor::randn({32, 32}, 0.0f, 0.2f, generator);
  for (int64_t n = 0; n < 32; ++n) w2.data<float>()[n * 32] = 60.0f;
  Tensor w4 = Tensor::randn({5, 32}, 0.0f, 0.2f, generator);
  SensitiveModel result;
  result.model = std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(w0, b0), std::make_shared<ReLU>(),
      std::make_shared<Linear>(w2, Tensor::randn({32}, 0.0f, 0.1f, generator)), std::make_shared<ReLU>(),
      std::make_shared<Linear>(w4, Tensor::randn({5}, 0.0f, 0.1f, generator))});
  result.model->eval();
  result.inputs = Tensor::randn({examples, 64}, 0.0f, 1.0f, generator);
  NoGradGuard no_grad;
  result.labels = argmax(result.model->forward(result.inputs), -1);
  return result;
}

TINYTORCH_TEST_FORMULA(MixedBitSensitivity, DeliberatelySensitiveLayerComesOutWorst,
                       "an outlier weight (60 against ~0.2) on an always-zero input inflates its row's and group's "
                       "scale: that layer's SQNR is >= 10 dB below the others' in both forms, and its int4 accuracy "
                       "lower");
TEST(MixedBitSensitivity, DeliberatelySensitiveLayerComesOutWorst) {
  const SensitiveModel tiny = sensitive_model(512);
  DataLoader loader(TensorDataset(tiny.inputs, tiny.labels), 100);  // 512 = 5 full batches + 12
  const std::vector<Tensor> calibration = {tiny.inputs.slice_rows(0, 128), tiny.inputs.slice_rows(128, 256)};
  const SensitivityReport report = analyze_sensitivity(*tiny.model, calibration, loader);

  EXPECT_EQ(report.examples, 512);
  EXPECT_EQ(report.fp32_accuracy, 1.0);  // labels are its own predictions
  ASSERT_EQ(report.layers.size(), 3u);
  const LayerSensitivity& sensitive = report.layers[1];
  EXPECT_EQ(sensitive.name, "2");
  for (const std::size_t other : {std::size_t{0}, std::size_t{2}}) {
    SCOPED_TRACE("layer " + report.layers[other].name);
    // At least 10 dB (10×) more noise, and lower accuracy, in both forms.
    EXPECT_LT(sensitive.int4_sqnr_db, report.layers[other].int4_sqnr_db - 10.0);
    EXPECT_LT(sensitive.int8_sqnr_db, report.layers[other].int8_sqnr_db - 10.0);
    EXPECT_LT(sensitive.int4_accuracy, report.layers[other].int4_accuracy);
  }
  std::printf("%s", report.to_string().c_str());
}

TINYTORCH_TEST_FORMULA(MixedBitSensitivity, NumbersMatchTheLoweredModelsBuiltByHand,
                       "row l = accuracy and sqnr_db(fp32 logits, logits) of the model with only layer l lowered "
                       "(Int4Linear g32, or quantize_model skipping the other Linears)");
// The report's numbers are those of the models built by hand: only layer l lowered (int4:
// Int4Linear; int8: quantize_model with the other Linears skipped), the accuracy counted and
// the SQNR of all logits by sqnr_db.
TEST(MixedBitSensitivity, NumbersMatchTheLoweredModelsBuiltByHand) {
  const SensitiveModel tiny = sensitive_model(64);
  DataLoader loader(TensorDataset(tiny.inputs, tiny.labels), 64);
  const std::vector<Tensor> calibration = {tiny.inputs};
  const Tensor before = tiny.model->forward(tiny.inputs);
  const SensitivityReport report = analyze_sensitivity(*tiny.model, calibration, loader);
  // The FP32 model is left as it was.
  EXPECT_EQ(tiny.model->forward(tiny.inputs).to_vector(), before.to_vector());
  ASSERT_EQ(tiny.model->at(2)->name(), "Linear");

  NoGradGuard no_grad;
  const std::vector<int32_t> labels = tiny.labels.to_int32_vector();
  const auto accuracy_of = [&](const Tensor& logits) {
    const std::vector<int32_t> predicted = argmax(logits, -1).to_int32_vector();
    int correct = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i] ? 1 : 0;
    return static_cast<double>(correct) / static_cast<double>(labels.size());
  };
  const std::vector<std::string> names = {"0", "2", "4"};
  for (std::size_t l = 0; l < names.size(); ++l) {
    SCOPED_TRACE("layer " + names[l]);
    const std::size_t index = 2 * l;
    auto int4_model = std::dynamic_pointer_cast<Sequential>(tiny.model->clone());
    int4_model->set(index, std::make_shared<Int4Linear>(dynamic_cast<const Linear&>(*tiny.model->at(index)), 32));
    const Tensor int4_logits = int4_model->forward(tiny.inputs);
    EXPECT_EQ(report.layers[l].int4_sqnr_db, sqnr_db(before, int4_logits));
    EXPECT_EQ(report.layers[l].int4_accuracy, accuracy_of(int4_logits));

    auto int8_model = std::dynamic_pointer_cast<Sequential>(tiny.model->clone());
    QuantConfig config;
    for (const std::string& other : names) {
      if (other != names[l]) config.skip_layers.push_back(other);
    }
    quantize_model(*int8_model, calibration, config);
    const Tensor int8_logits = int8_model->forward(tiny.inputs);
    EXPECT_EQ(report.layers[l].int8_sqnr_db, sqnr_db(before, int8_logits));
    EXPECT_EQ(report.layers[l].int8_accuracy, accuracy_of(int8_logits));
  }
}

TINYTORCH_TEST_FORMULA(MixedBitSensitivity, BadArgumentsAreErrors,
                       "no calibration batches, a group_size not a multiple of 16, or no Linear -> ValueError");
TEST(MixedBitSensitivity, BadArgumentsAreErrors) {
  const SensitiveModel tiny = sensitive_model(16);
  DataLoader loader(TensorDataset(tiny.inputs, tiny.labels), 16);
  EXPECT_THROW(analyze_sensitivity(*tiny.model, {}, loader), ValueError);  // no calibration batches
  MixedBitOptions options;
  options.int4_group_size = 24;  // not a multiple of 16
  EXPECT_THROW(analyze_sensitivity(*tiny.model, {tiny.inputs}, loader, options), ValueError);
  Sequential no_linear{ReLU()};
  EXPECT_THROW(analyze_sensitivity(no_linear, {tiny.inputs}, loader), ValueError);
}

// ---- the mixed model ------------------------------------------------------------------------------------

MixedBitAssignment assignment_of(std::vector<std::string> names, std::vector<int> bits) {
  MixedBitAssignment assignment;
  assignment.layer_names = std::move(names);
  assignment.bits = std::move(bits);
  return assignment;
}

void expect_bit_identical(const Tensor& actual, const Tensor& expected) {
  const std::vector<float> a = actual.to_vector(), e = expected.to_vector();
  ASSERT_EQ(a.size(), e.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(e[i])) << "output " << i << ": " << a[i]
                                                                            << " vs " << e[i];
  }
}

TINYTORCH_CONCEPT(MixedBitModel, "building the mixed-bit model from an assignment",
                  "each named layer -> Int4Linear (4 bits, group g) or a static QuantizedLinear calibrated on the "
                  "FP32 activations (8 bits); two int8 layers meeting through a ReLU are linked by the integer "
                  "pipeline; other layers copied unchanged");

// {0: int4, 2: int8, 4: int8}: layer 0 an Int4Linear, layers 2 and 4 static QuantizedLinears
// calibrated on the FP32 activations and linked by the integer pipeline (2 hands uint8 to 4,
// ReLU 3 fused). The same model built by hand gives the same bits.
TEST(MixedBitModel, LayersAreLoweredAsAssignedAndComputeTheSame) {
  const SensitiveModel tiny = sensitive_model(40);
  const std::vector<Tensor> calibration = {tiny.inputs.slice_rows(0, 32)};
  auto mixed = build_mixed_bit_model(*tiny.model, assignment_of({"0", "2", "4"}, {4, 8, 8}), calibration);
  ASSERT_EQ(mixed->size(), 5u);
  EXPECT_FALSE(mixed->is_training());
  const auto* int4 = dynamic_cast<const Int4Linear*>(mixed->at(0).get());
  ASSERT_NE(int4, nullptr);
  EXPECT_EQ(int4->group_size(), 32);
  const auto* middle = dynamic_cast<const QuantizedLinear*>(mixed->at(2).get());
  const auto* last = dynamic_cast<const QuantizedLinear*>(mixed->at(4).get());
  ASSERT_NE(middle, nullptr);
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(middle->has_output_params());  // int8 meets int8: uint8 between them
  EXPECT_TRUE(middle->fused_relu());
  EXPECT_NE(dynamic_cast<const FusedReLU*>(mixed->at(3).get()), nullptr);
  EXPECT_FALSE(last->has_output_params());
  EXPECT_EQ(tiny.model->at(0)->name(), "Linear");  // the FP32 model is not changed

  // By hand: Int4Linear(layer 0); QuantizedLinears calibrated on the FP32 model's inputs to them.
  NoGradGuard no_grad;
  const auto& fp32 = *tiny.model;
  const Tensor h1 = fp32.at(1)->forward(fp32.at(0)->forward(calibration[0]));  // input of layer 2
  const Tensor h3 = fp32.at(3)->forward(fp32.at(2)->forward(h1));               // input of layer 4
  auto q2 = std::make_shared<QuantizedLinear>(dynamic_cast<const Linear&>(*fp32.at(2)));
  auto q4 = std::make_shared<QuantizedLinear>(dynamic_cast<const Linear&>(*fp32.at(4)));
  q2->calibrate({h1});
  q4->calibrate({h3});
  Sequential by_hand(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Int4Linear>(dynamic_cast<const Linear&>(*fp32.at(0)), 32), std::make_shared<ReLU>(), q2,
      std::make_shared<ReLU>(), q4});
  EXPECT_EQ(fuse_integer_pipeline(by_hand), (std::vector<std::string>{"2"}));
  expect_bit_identical(mixed->forward(tiny.inputs), by_hand.forward(tiny.inputs));
}

TINYTORCH_TEST_FORMULA(MixedBitModel, Int4BetweenInt8LayersBreaksThePipeline,
                       "an Int4Linear between int8 layers leaves float32 on both sides (no output params); all-int4 "
                       "needs no calibration; a Linear not named stays FP32");
// {0: int8, 2: int4, 4: int8}: the Int4Linear in the middle leaves float32 on both sides, so
// nothing is linked; an all-int4 assignment needs no calibration data at all.
TEST(MixedBitModel, Int4BetweenInt8LayersBreaksThePipeline) {
  const SensitiveModel tiny = sensitive_model(8);
  auto mixed = build_mixed_bit_model(*tiny.model, assignment_of({"0", "2", "4"}, {8, 4, 8}), {tiny.inputs});
  EXPECT_EQ(mixed->at(0)->name(), "QuantizedLinear");
  EXPECT_EQ(mixed->at(2)->name(), "Int4Linear");
  EXPECT_EQ(mixed->at(4)->name(), "QuantizedLinear");
  EXPECT_FALSE(dynamic_cast<const QuantizedLinear&>(*mixed->at(0)).has_output_params());
  EXPECT_EQ(typeid(*mixed->at(1)), typeid(ReLU));

  MixedBitOptions options;
  options.int4_group_size = 16;
  auto all_int4 = build_mixed_bit_model(*tiny.model, assignment_of({"0", "2", "4"}, {4, 4, 4}), {}, options);
  for (std::size_t i : {0u, 2u, 4u}) {
    EXPECT_EQ(dynamic_cast<const Int4Linear&>(*all_int4->at(i)).group_size(), 16);
  }
  // A Linear the assignment does not name stays FP32.
  auto partial = build_mixed_bit_model(*tiny.model, assignment_of({"2"}, {4}), {});
  EXPECT_EQ(partial->at(0)->name(), "Linear");
  EXPECT_EQ(partial->at(2)->name(), "Int4Linear");
}

TINYTORCH_TEST_FORMULA(MixedBitModel, BadAssignmentIsValueError,
                       "a name that is no Linear, a repeated name, bits other than 4 or 8, names and bits of "
                       "different lengths, or int8 without calibration batches -> ValueError");
TEST(MixedBitModel, BadAssignmentIsValueError) {
  const SensitiveModel tiny = sensitive_model(8);
  const auto message = [&](const MixedBitAssignment& assignment, const std::vector<Tensor>& calibration) {
    try {
      build_mixed_bit_model(*tiny.model, assignment, calibration);
    } catch (const ValueError& error) {
      return std::string(error.what());
    }
    ADD_FAILURE() << "expected ValueError";
    return std::string();
  };
  EXPECT_MESSAGE_HAS(message(assignment_of({"1"}, {4}), {tiny.inputs}),
                     "names layer \"1\", which is not a Linear of the model; the Linear layers are [\"0\", \"2\", \"4\"]");
  EXPECT_MESSAGE_HAS(message(assignment_of({"0", "0"}, {4, 8}), {tiny.inputs}), "names layer \"0\" twice");
  EXPECT_MESSAGE_HAS(message(assignment_of({"0"}, {6}), {tiny.inputs}), "assigned 6 bits; expected 4 or 8");
  EXPECT_MESSAGE_HAS(message(assignment_of({"0", "2"}, {4}), {tiny.inputs}), "2 layer names and 1 bit widths");
  EXPECT_MESSAGE_HAS(message(assignment_of({"0"}, {8}), {}), "got no calibration batches");
}

// ---- JSON --------------------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(MixedBitJson, "the sensitivity report and the assignment as JSON and as a table",
                  "parse(to_json()) gives back every number exactly, an infinite SQNR as null; table: change = 100 * "
                  "(acc - fp32_acc) points with sign and 2 decimals, SQNR \"x.x dB\"");

TEST(MixedBitJson, ReportAndAssignmentParseBackWithTheSameNumbers) {
  SensitivityReport report = three_layer_report();
  report.options.int4_group_size = 64;
  report.layers[0].int8_bits = 8.0 + 64.0 / 784.0;  // not a short decimal: must survive the text exactly
  report.layers[1].int8_sqnr_db = std::numeric_limits<double>::infinity();  // an exact output
  const Json parsed = Json::parse(report.to_json());
  EXPECT_EQ(parsed["fp32_accuracy"].get<double>(), 0.90);
  EXPECT_EQ(parsed["examples"].get<int64_t>(), 1000);
  EXPECT_EQ(parsed["int4_group_size"].get<int64_t>(), 64);
  ASSERT_EQ(parsed["layers"].size(), 3u);
  for (std::size_t l = 0; l < 3; ++l) {
    const LayerSensitivity& layer = report.layers[l];
    const Json& entry = parsed["layers"][l];
    SCOPED_TRACE(layer.name);
    EXPECT_EQ(entry["name"].get<std::string>(), layer.name);
    EXPECT_EQ(entry["weights"].get<int64_t>(), layer.weights);
    EXPECT_EQ(entry["in_features"].get<int64_t>(), layer.in_features);
    EXPECT_EQ(entry["out_features"].get<int64_t>(), layer.out_features);
    EXPECT_EQ(entry["int8"]["bits"].get<double>(), layer.int8_bits);
    EXPECT_EQ(entry["int8"]["accuracy"].get<double>(), layer.int8_accuracy);
    EXPECT_EQ(entry["int4"]["bits"].get<double>(), layer.int4_bits);
    EXPECT_EQ(entry["int4"]["accuracy"].get<double>(), layer.int4_accuracy);
    EXPECT_EQ(entry["int4"]["sqnr_db"].get<double>(), layer.int4_sqnr_db);
  }
  EXPECT_EQ(parsed["layers"][0]["int8"]["sqnr_db"].get<double>(), 40.0);
  EXPECT_TRUE(parsed["layers"][1]["int8"]["sqnr_db"].is_null());  // JSON has no infinity

  const MixedBitAssignment assignment = assign_mixed_bits(report, 6.0);
  const Json chosen = Json::parse(assignment.to_json());
  EXPECT_EQ(chosen["budget_bits"].get<double>(), 6.0);
  EXPECT_EQ(chosen["average_bits"].get<double>(), assignment.average_bits);
  EXPECT_EQ(chosen["predicted_loss_points"].get<double>(), assignment.predicted_loss_points);
  ASSERT_EQ(chosen["layers"].size(), 3u);
  for (std::size_t l = 0; l < 3; ++l) {
    EXPECT_EQ(chosen["layers"][l]["name"].get<std::string>(), assignment.layer_names[l]);
    EXPECT_EQ(chosen["layers"][l]["bits"].get<int>(), assignment.bits[l]);
  }
}

// The table: a header line, one row per layer with its bits, change in points and SQNR.
TEST(MixedBitJson, TableHasOneRowPerLayer) {
  SensitivityReport report = three_layer_report();
  const std::string table = report.to_string();
  EXPECT_MESSAGE_HAS(table, "sensitivity on 1000 examples: FP32 accuracy 90.00%");
  EXPECT_MESSAGE_HAS(table, "int4 group 32");
  // Layer C: int8 0.899 -> -0.10 points, int4 0.80 -> -10.00 points; SQNRs 40 and 20 dB.
  EXPECT_MESSAGE_HAS(table, "-0.10   40.0 dB");
  EXPECT_MESSAGE_HAS(table, "-10.00   20.0 dB");
  EXPECT_MESSAGE_HAS(table, "+0.00");  // A and B keep their accuracy at int8
}

}  // namespace
