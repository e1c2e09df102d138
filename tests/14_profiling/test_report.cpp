// The table (format_profile) and the JSON (profile_to_json) of report.hpp hold
// the numbers of the ModelProfile they are given.
#include <gtest/gtest.h>

#include <string>

#include "concepts.hpp"
#include "mlp.hpp"
#include "tinytorch/profiling/report.hpp"

namespace tinytorch {
namespace {

ModelProfile mlp_profile() {
  Sequential mlp = test::milestone_mlp();
  return Profiler({.batch_sizes = {1, 64}, .layer_batch_size = 4, .warmup_runs = 1, .timed_runs = 3}).profile(mlp, {784});
}

TINYTORCH_CONCEPT(Report, "the profile as a table and as JSON",
                  "the table and the JSON hold the ModelProfile's own numbers: 784-256-128-10 MLP parameters "
                  "235146, 940584 float32 bytes, 234752 multiply-adds, FLOPs 2 * 234752 + 394 = 469898; "
                  "integers grouped by thousands");

TINYTORCH_TEST_FORMULA(Report, WithThousandsGroupsDigitsByThree,
                       "digits grouped by three from the right with commas: 999 -> 999, 1000 -> 1,000, "
                       "1234567 -> 1,234,567, -45678 -> -45,678");
TEST(Report, WithThousandsGroupsDigitsByThree) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(235146), "235,146");
  EXPECT_EQ(with_thousands(1234567), "1,234,567");
  EXPECT_EQ(with_thousands(-45678), "-45,678");
}

TINYTORCH_TEST_FORMULA(Report, JsonHoldsTheMlpFigures,
                       "parameters 235146, float32 bytes 4 * 235146 = 940584, multiply_adds 234752, "
                       "matmul_flops 2 * 234752, bias_adds 394, activations 384; "
                       "layer 0 parameters 784*256 + 256 = 200960; memory peak 2 * 64 * 256 * 4");
TEST(Report, JsonHoldsTheMlpFigures) {
  const nlohmann::json j = profile_to_json(mlp_profile());
  EXPECT_EQ(j["model"], "Sequential");
  EXPECT_EQ(j["sample_shape"], nlohmann::json::array({784}));
  EXPECT_EQ(j["parameters"], 235146);
  EXPECT_EQ(j["parameter_bytes"]["float32"], 940584);  // 235,146 · 4
  EXPECT_EQ(j["ops_per_sample"]["multiply_adds"], 234752);
  EXPECT_EQ(j["ops_per_sample"]["matmul_flops"], 2 * 234752);
  EXPECT_EQ(j["ops_per_sample"]["bias_adds"], 394);
  EXPECT_EQ(j["ops_per_sample"]["flops"], 2 * 234752 + 394);
  EXPECT_EQ(j["ops_per_sample"]["activations"], 384);
  ASSERT_EQ(j["layers"].size(), 5u);
  EXPECT_EQ(j["layers"][0]["kind"], "Linear");
  EXPECT_EQ(j["layers"][0]["parameters"], 200960);  // 784·256 + 256
  EXPECT_EQ(j["layers"][0]["output_shape"], nlohmann::json::array({1, 256}));
  EXPECT_EQ(j["layers"][2]["ops"]["multiply_adds"], 256 * 128);
  ASSERT_EQ(j["latency"].size(), 2u);
  EXPECT_EQ(j["latency"][1]["batch_size"], 64);
  EXPECT_EQ(j["latency"][1]["runs"], 3);
  EXPECT_EQ(j["memory"][1]["peak_forward_bytes"], 2 * 64 * 256 * 4);
  EXPECT_EQ(j["timing"]["layer_batch_size"], 4);
  EXPECT_NE(j["environment"]["blas"].get<std::string>().find("OpenBLAS"), std::string::npos);
}

TINYTORCH_TEST_FORMULA(Report, TableShowsEveryLayerAndTheTotals,
                       "the table shows 235,146 parameters, 940,584 bytes, 234,752 multiply-adds, "
                       "469,504 and 469,898 FLOPs, each layer's shapes (784,)->(256,) ... (128,)->(10,) and the "
                       "OpenBLAS core");
TEST(Report, TableShowsEveryLayerAndTheTotals) {
  const std::string table = format_profile(mlp_profile());
  for (const char* expected : {"235,146", "940,584", "234,752", "469,504", "469,898", "(784,)->(256,)", "(128,)->(10,)",
                               "200,960", "float32 940,584 bytes", "OpenBLAS core"}) {
    EXPECT_NE(table.find(expected), std::string::npos) << "missing \"" << expected << "\" in:\n" << table;
  }
}

TINYTORCH_TEST_FORMULA(Report, UncountedLayersAreMarkedInTheTable,
                       "an uncounted layer makes the totals a lower bound (the table says so) and the JSON row "
                       "has counted = false");
TEST(Report, UncountedLayersAreMarkedInTheTable) {
  ModelProfile profile = mlp_profile();
  profile.layers[1].counted = false;
  profile.uncounted_layers = 1;
  const std::string table = format_profile(profile);
  EXPECT_NE(table.find("lower bound"), std::string::npos) << table;
  EXPECT_EQ(profile_to_json(profile)["layers"][1]["counted"], false);
}

}  // namespace
}  // namespace tinytorch
