// Parameters (1) and bytes by dtype (2) of profiler.hpp.
#include <gtest/gtest.h>

#include <vector>

#include "concepts.hpp"
#include "mlp.hpp"
#include "tinytorch/core/dropout.hpp"
#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {
namespace {

// Hand count: 784·256 + 256 + 256·128 + 128 + 128·10 + 10
//           = 200,704 + 256 + 32,768 + 128 + 1,280 + 10 = 235,146.
constexpr int64_t kMlpParameters = 235146;

TINYTORCH_CONCEPT(ParameterCount, "counting a model's parameters and their bytes",
                  "parameters = sum of numel over the stored tensors; "
                  "bytes = sum of numel * dtype_size, grouped by dtype; Linear(in, out): in * out + out");

TINYTORCH_TEST_FORMULA(ParameterCount, MilestoneMlpHas235146Parameters,
                       "784*256 + 256 + 256*128 + 128 + 128*10 + 10 = 235146 = mlp.num_parameters()");
TEST(ParameterCount, MilestoneMlpHas235146Parameters) {
  Sequential mlp = test::milestone_mlp();
  const ModelProfile profile = Profiler({.batch_sizes = {}, .measure_time = false}).profile(mlp, {784});
  EXPECT_EQ(profile.parameters, kMlpParameters);
  // Module::num_parameters() counts the same tensors another way.
  EXPECT_EQ(profile.parameters, mlp.num_parameters());
}

TINYTORCH_TEST_FORMULA(ParameterCount, MilestoneMlpStores4BytesPerParameterAllFloat32,
                       "only float32: 4 * 235146 = 940584 bytes");
TEST(ParameterCount, MilestoneMlpStores4BytesPerParameterAllFloat32) {
  Sequential mlp = test::milestone_mlp();
  const ModelProfile profile = Profiler({.batch_sizes = {}, .measure_time = false}).profile(mlp, {784});
  ASSERT_EQ(profile.parameter_bytes.size(), 1u) << "only float32 before quantization";
  EXPECT_EQ(profile.parameter_bytes.at(DType::Float32), 4 * kMlpParameters);  // 940,584
  EXPECT_EQ(total_bytes(profile.parameter_bytes), 940584);
}

TINYTORCH_TEST_FORMULA(ParameterCount, PerLayerRowsOfTheMlp,
                       "rows named 0..4 by position: in * out + out per Linear (200960, 32896, 1290), "
                       "0 per ReLU (which stores nothing)");
TEST(ParameterCount, PerLayerRowsOfTheMlp) {
  Sequential mlp = test::milestone_mlp();
  const std::vector<LayerProfile> rows = profile_layers(mlp, {1, 784});
  ASSERT_EQ(rows.size(), 5u);
  // in·out + out for each Linear, 0 for each ReLU.
  const std::vector<int64_t> expected = {784 * 256 + 256, 0, 256 * 128 + 128, 0, 128 * 10 + 10};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].path, std::to_string(i)) << "Sequential children are named by position";
    EXPECT_EQ(rows[i].parameters, expected[i]) << "layer " << i << " (" << rows[i].kind << ")";
  }
  EXPECT_EQ(rows[0].kind, "Linear");
  EXPECT_EQ(rows[1].kind, "ReLU");
  EXPECT_TRUE(rows[1].parameter_bytes.empty()) << "a ReLU stores nothing";
}

TINYTORCH_TEST_FORMULA(ParameterCount, OddShapesWithAndWithoutBias,
                       "Linear(17, 63): 17 * 63 + 63 = 1134; Linear(63, 1, no bias): 63, 63 * 4 bytes");
TEST(ParameterCount, OddShapesWithAndWithoutBias) {
  // 17·63 + 63 = 1,134 and 63·1 (no bias) = 63.
  Linear with_bias(17, 63);
  Linear without_bias(63, 1, /*bias=*/false);
  EXPECT_EQ(count_parameters(stored_tensors(with_bias)), 17 * 63 + 63);
  EXPECT_EQ(count_parameters(stored_tensors(without_bias)), 63);
  EXPECT_EQ(count_bytes(stored_tensors(without_bias)).at(DType::Float32), 63 * 4);
}

TINYTORCH_TEST_FORMULA(ParameterCount, BytesAreGroupedByDtype,
                       "5 float32 * 4 = 20, 7 int8 * 1 = 7, 3 int32 * 4 = 12: total 39 bytes, 15 parameters");
TEST(ParameterCount, BytesAreGroupedByDtype) {
  // 5 float32 (20 bytes) + 7 int8 (7 bytes) + 3 int32 (12 bytes): sizes 4, 1, 4.
  const std::vector<Tensor> tensors = {Tensor::zeros({5}), Tensor::zeros({7}, DType::Int8),
                                       Tensor::zeros({3}, DType::Int32)};
  const DTypeBytes bytes = count_bytes(tensors);
  EXPECT_EQ(bytes.at(DType::Float32), 20);
  EXPECT_EQ(bytes.at(DType::Int8), 7);
  EXPECT_EQ(bytes.at(DType::Int32), 12);
  EXPECT_EQ(total_bytes(bytes), 39);
  EXPECT_EQ(count_parameters(tensors), 15);
}

TINYTORCH_TEST_FORMULA(ParameterCount, NestedSequentialsAreOpenedWithDottedPaths,
                       "nested Sequentials are opened, rows named by dotted path: 0.0, 0.1, 1; "
                       "parameters (3*4 + 4) + (4*2 + 2)");
TEST(ParameterCount, NestedSequentialsAreOpenedWithDottedPaths) {
  // Sequential(Sequential(Linear(3,4), ReLU()), Linear(4,2)): rows 0.0, 0.1, 1.
  auto inner = std::make_shared<Sequential>(Linear(3, 4), ReLU());
  Sequential outer(std::vector<std::shared_ptr<Module>>{inner, std::make_shared<Linear>(4, 2)});
  const std::vector<LayerProfile> rows = profile_layers(outer, {1, 3});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].path, "0.0");
  EXPECT_EQ(rows[1].path, "0.1");
  EXPECT_EQ(rows[2].path, "1");
  EXPECT_EQ(rows[0].parameters + rows[2].parameters, (3 * 4 + 4) + (4 * 2 + 2));
}

TINYTORCH_TEST_FORMULA(ParameterCount, ProfilingRestoresTrainingModeAndDoesNotRecordAGraph,
                       "profiling runs in eval mode under NoGradGuard, then restores train mode; "
                       "no grad is created; Dropout in eval is the identity: ops 0");
TEST(ParameterCount, ProfilingRestoresTrainingModeAndDoesNotRecordAGraph) {
  Sequential model(Linear(3, 4), Dropout(0.5f), Linear(4, 2));
  model.train();
  const std::vector<LayerProfile> rows = profile_layers(model, {2, 3});
  EXPECT_TRUE(model.is_training()) << "the profiler runs in eval mode and restores the mode afterwards";
  for (const Tensor& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
  EXPECT_EQ(rows[1].ops, OpCounts{}) << "Dropout in eval mode is the identity: no arithmetic";
}

}  // namespace
}  // namespace tinytorch
