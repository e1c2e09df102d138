// Operation counts (1)–(5) of flops.hpp, per layer and per model.
#include <gtest/gtest.h>

#include <vector>

#include "concepts.hpp"
#include "mlp.hpp"
#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {
namespace {

// Hand counts for the 784-256-128-10 MLP, per sample:
constexpr int64_t kMlpMultiplyAdds = 784 * 256 + 256 * 128 + 128 * 10;  // 234,752
constexpr int64_t kMlpBiasAdds = 256 + 128 + 10;                        // 394
constexpr int64_t kMlpActivations = 256 + 128;                          // two ReLUs: 384

TINYTORCH_CONCEPT(FlopCount, "counting the arithmetic of one forward pass, layer by layer",
                  "Linear with R rows, K inputs, N outputs: multiply_adds = R K N, "
                  "bias_adds = R N (0 without bias); element-wise layer: activations = numel(output); "
                  "FLOPs = 2 multiply_adds + bias_adds");

TINYTORCH_TEST_FORMULA(FlopCount, MilestoneMlpDoes2x234752MatmulFlopsPerSample,
                       "per sample: multiply_adds = 784*256 + 256*128 + 128*10 = 234752, "
                       "matmul FLOPs = 2 * 234752 = 469504, bias_adds = 256 + 128 + 10 = 394, FLOPs = 469898, "
                       "activations = 256 + 128 = 384");
TEST(FlopCount, MilestoneMlpDoes2x234752MatmulFlopsPerSample) {
  static_assert(kMlpMultiplyAdds == 234752);
  Sequential mlp = test::milestone_mlp();
  const ModelProfile profile = Profiler({.batch_sizes = {}, .measure_time = false}).profile(mlp, {784});
  EXPECT_EQ(profile.ops_per_sample.multiply_adds, 234752);
  EXPECT_EQ(profile.ops_per_sample.matmul_flops(), 2 * 234752);  // 469,504
  EXPECT_EQ(profile.ops_per_sample.bias_adds, kMlpBiasAdds);
  EXPECT_EQ(profile.ops_per_sample.flops(), 2 * 234752 + kMlpBiasAdds);  // 469,898
  EXPECT_EQ(profile.ops_per_sample.activations, kMlpActivations);
  EXPECT_EQ(profile.uncounted_layers, 0);
}

TINYTORCH_TEST_FORMULA(FlopCount, MlpRowsCountEachLayerOnItsOwn,
                       "one row per layer: Linear (K*N, N, 0), ReLU (0, 0, N): (784*256, 256, 0), (0, 0, 256), "
                       "(256*128, 128, 0), (0, 0, 128), (128*10, 10, 0); "
                       "ReLU output (1, 256) float32 = 256 * 4 bytes");
TEST(FlopCount, MlpRowsCountEachLayerOnItsOwn) {
  Sequential mlp = test::milestone_mlp();
  const std::vector<LayerProfile> rows = profile_layers(mlp, {1, 784});
  ASSERT_EQ(rows.size(), 5u);
  // (multiply_adds, bias_adds, activations) per row, from K·N, N, N.
  const std::vector<OpCounts> expected = {
      {784 * 256, 256, 0}, {0, 0, 256}, {256 * 128, 128, 0}, {0, 0, 128}, {128 * 10, 10, 0}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_TRUE(rows[i].counted) << "layer " << i;
    EXPECT_EQ(rows[i].ops, expected[i]) << "layer " << i << " (" << rows[i].kind << ")";
  }
  EXPECT_EQ(rows[0].input_shape, (Shape{1, 784}));
  EXPECT_EQ(rows[0].output_shape, (Shape{1, 256}));
  EXPECT_EQ(rows[4].output_shape, (Shape{1, 10}));
  EXPECT_EQ(rows[1].output_bytes, 256 * 4) << "the ReLU hands on one float32 (256) activation";
}

TINYTORCH_TEST_FORMULA(FlopCount, CountsScaleWithTheBatch,
                       "every rule is linear in the rows R: batch 63 = 63 * (234752, 394, 384)");
TEST(FlopCount, CountsScaleWithTheBatch) {
  // Every rule is linear in the number of rows R: batch 63 = 63 × batch 1.
  Sequential mlp = test::milestone_mlp();
  const OpCounts batch63 = total_ops(profile_layers(mlp, {63, 784}));
  EXPECT_EQ(batch63.multiply_adds, 63 * kMlpMultiplyAdds);
  EXPECT_EQ(batch63.bias_adds, 63 * kMlpBiasAdds);
  EXPECT_EQ(batch63.activations, 63 * kMlpActivations);
}

TINYTORCH_TEST_FORMULA(FlopCount, LinearRuleOnOddShapes,
                       "x (3, 17) through Linear(17, 65): R K N = 3 * 17 * 65 = 3315, R N = 3 * 65 = 195, "
                       "FLOPs = 2 * 3315 + 195; without bias 63 * 1 = 63 multiply-adds, 0 bias adds");
TEST(FlopCount, LinearRuleOnOddShapes) {
  // x:(3,17) through Linear(17, 65): R = 3 -> 3·17·65 = 3,315 multiply-adds, 3·65 = 195 bias adds.
  const OpCounts ops = count_linear({3, 17}, 17, 65, true);
  EXPECT_EQ(ops.multiply_adds, 3315);
  EXPECT_EQ(ops.bias_adds, 195);
  EXPECT_EQ(ops.activations, 0);
  EXPECT_EQ(ops.flops(), 2 * 3315 + 195);
  // Without bias: no bias adds.
  EXPECT_EQ(count_linear({1, 63}, 63, 1, false), (OpCounts{63, 0, 0}));
}

TINYTORCH_TEST_FORMULA(FlopCount, LinearRuleCountsEveryLeadingAxisAsRows,
                       "R = numel(x) / K: x (2, 5, 17) -> R = 10; "
                       "Linear(17, 3): 10 * 17 * 3 = 510, bias 10 * 3 = 30; output (2, 5, 3)");
TEST(FlopCount, LinearRuleCountsEveryLeadingAxisAsRows) {
  // x:(2,5,17) -> R = 2·5 = 10 rows; Linear(17, 3): 10·17·3 = 510, bias 10·3 = 30.
  EXPECT_EQ(count_linear({2, 5, 17}, 17, 3, true), (OpCounts{510, 30, 0}));
  // And the profiler finds the same when it runs such an input through the layer.
  Linear layer(17, 3);
  const std::vector<LayerProfile> rows = profile_layers(layer, {2, 5, 17});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].ops, (OpCounts{510, 30, 0}));
  EXPECT_EQ(rows[0].output_shape, (Shape{2, 5, 3}));
}

TINYTORCH_TEST_FORMULA(FlopCount, LinearRuleRejectsAMismatchedInput,
                       "the last axis of x must be K, and x needs an axis: else ShapeError");
TEST(FlopCount, LinearRuleRejectsAMismatchedInput) {
  EXPECT_THROW(count_linear({4, 16}, 17, 3, true), ShapeError);
  EXPECT_THROW(count_linear({}, 17, 3, true), ShapeError);
}

TINYTORCH_TEST_FORMULA(FlopCount, ActivationLayersCountOneEvaluationPerElement,
                       "activations = numel(output): (3, 7) -> 21 for ReLU, Sigmoid, Tanh, GELU; "
                       "softmax (2, 5) -> 10");
TEST(FlopCount, ActivationLayersCountOneEvaluationPerElement) {
  // (3, 7) -> 21 for each element-wise layer, (2, 5) softmax -> 10.
  for (std::shared_ptr<Module> layer : std::vector<std::shared_ptr<Module>>{
           std::make_shared<ReLU>(), std::make_shared<Sigmoid>(), std::make_shared<Tanh>(), std::make_shared<GELU>()}) {
    const std::vector<LayerProfile> rows = profile_layers(*layer, {3, 7});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].ops, (OpCounts{0, 0, 21})) << layer->name();
  }
  Softmax softmax;
  EXPECT_EQ(profile_layers(softmax, {2, 5})[0].ops, (OpCounts{0, 0, 10}));
}

}  // namespace
}  // namespace tinytorch
