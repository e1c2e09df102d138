// Latency statistics (4) of profiler.hpp. Only the arithmetic of the statistics
// and the shape of the measurement are tested — never how fast anything is.
#include <gtest/gtest.h>

#include <vector>

#include "concepts.hpp"
#include "mlp.hpp"
#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {
namespace {

TINYTORCH_CONCEPT(Latency, "latency statistics of repeated forward passes",
                  "sorted times t_(1) <= ... <= t_(n): min, max, mean; "
                  "median = middle value (mean of the two middle ones for even n); "
                  "p90 = t_(ceil(0.9 n)) (nearest rank); samples/s = batch * 1e6 / median_us");

TINYTORCH_TEST_FORMULA(Latency, StatisticsOfAnOddNumberOfRuns,
                       "sorted 1 2 3 4 5: median = the 3rd = 3, p90 = t_(ceil(4.5)) = t_5 = 5, "
                       "mean = 15 / 5 = 3; samples/s = 8 * 1e6 / 3");
TEST(Latency, StatisticsOfAnOddNumberOfRuns) {
  // Sorted: 1 2 3 4 5. Median: the 3rd; p90: the ceil(0.9·5) = 5th; mean 15/5.
  const LatencyStats s = summarize_latency({5, 1, 4, 2, 3}, 8);
  EXPECT_EQ(s.runs, 5);
  EXPECT_EQ(s.batch_size, 8);
  EXPECT_DOUBLE_EQ(s.min_us, 1);
  EXPECT_DOUBLE_EQ(s.median_us, 3);
  EXPECT_DOUBLE_EQ(s.p90_us, 5);
  EXPECT_DOUBLE_EQ(s.max_us, 5);
  EXPECT_DOUBLE_EQ(s.mean_us, 3);
  EXPECT_DOUBLE_EQ(s.samples_per_second(), 8 * 1e6 / 3);  // batch / median
}

TINYTORCH_TEST_FORMULA(Latency, StatisticsOfAnEvenNumberOfRuns,
                       "10..100: median = (50 + 60) / 2 = 55, p90 = t_(ceil(9)) = 90, mean 55, min 10, max 100");
TEST(Latency, StatisticsOfAnEvenNumberOfRuns) {
  // 10..100 in steps of 10, shuffled. Median: (50 + 60) / 2; p90: the 9th = 90; mean 55.
  const LatencyStats s = summarize_latency({70, 10, 100, 40, 20, 90, 30, 60, 80, 50}, 1);
  EXPECT_DOUBLE_EQ(s.median_us, 55);
  EXPECT_DOUBLE_EQ(s.p90_us, 90);
  EXPECT_DOUBLE_EQ(s.mean_us, 55);
  EXPECT_DOUBLE_EQ(s.min_us, 10);
  EXPECT_DOUBLE_EQ(s.max_us, 100);
}

TINYTORCH_TEST_FORMULA(Latency, P90IsTheNearestRankOf17Runs,
                       "1..17: p90 = t_(ceil(0.9 * 17)) = t_(ceil(15.3)) = t_16 = 16; median = t_9 = 9");
TEST(Latency, P90IsTheNearestRankOf17Runs) {
  // 1..17: ceil(0.9·17) = ceil(15.3) = 16 -> p90 = 16; median = the 9th = 9.
  std::vector<double> times;
  for (int i = 17; i >= 1; --i) times.push_back(i);
  const LatencyStats s = summarize_latency(times, 1);
  EXPECT_DOUBLE_EQ(s.p90_us, 16);
  EXPECT_DOUBLE_EQ(s.median_us, 9);
}

TINYTORCH_TEST_FORMULA(Latency, OneRunIsEveryStatistic, "n = 1: min = median = p90 = max = the one time (42)");
TEST(Latency, OneRunIsEveryStatistic) {
  const LatencyStats s = summarize_latency({42}, 1);
  EXPECT_DOUBLE_EQ(s.min_us, 42);
  EXPECT_DOUBLE_EQ(s.median_us, 42);
  EXPECT_DOUBLE_EQ(s.p90_us, 42);
  EXPECT_DOUBLE_EQ(s.max_us, 42);
}

TINYTORCH_TEST_FORMULA(Latency, NoRunsIsAValueError, "the statistics need n >= 1 times, else ValueError");
TEST(Latency, NoRunsIsAValueError) { EXPECT_THROW(summarize_latency({}, 1), ValueError); }

TINYTORCH_TEST_FORMULA(Latency, TimeForwardReturnsOneTimePerTimedRun,
                       "time_forward: warmup_runs untimed calls, "
                       "then one time >= 0 per timed run (7 times for 7 runs)");
TEST(Latency, TimeForwardReturnsOneTimePerTimedRun) {
  Linear layer(17, 3);
  const std::vector<double> times = time_forward(layer, Tensor::ones({5, 17}), {.warmup_runs = 2, .timed_runs = 7});
  ASSERT_EQ(times.size(), 7u);
  for (double t : times) EXPECT_GE(t, 0.0);
}

TINYTORCH_TEST_FORMULA(Latency, MeasureLatencyIsOrderedAndDoesNotTouchGradients,
                       "min <= median <= p90 <= max; runs = timed_runs = 5, batch_size = 3; "
                       "inference leaves every parameter's grad undefined");
TEST(Latency, MeasureLatencyIsOrderedAndDoesNotTouchGradients) {
  Sequential mlp = test::milestone_mlp();
  const LatencyStats s = measure_latency(mlp, {784}, 3, {.warmup_runs = 1, .timed_runs = 5});
  EXPECT_EQ(s.runs, 5);
  EXPECT_EQ(s.batch_size, 3);
  EXPECT_LE(s.min_us, s.median_us);
  EXPECT_LE(s.median_us, s.p90_us);
  EXPECT_LE(s.p90_us, s.max_us);
  for (const Tensor& p : mlp.parameters()) EXPECT_FALSE(p.grad().defined());
}

TINYTORCH_TEST_FORMULA(Latency, BadOptionsAreValueErrors,
                       "batch_size >= 1, timed_runs >= 1, every profiled batch size >= 1, else ValueError");
TEST(Latency, BadOptionsAreValueErrors) {
  Sequential mlp = test::milestone_mlp();
  EXPECT_THROW(measure_latency(mlp, {784}, 0), ValueError);
  EXPECT_THROW(measure_latency(mlp, {784}, 1, {.warmup_runs = 0, .timed_runs = 0}), ValueError);
  EXPECT_THROW(Profiler({.batch_sizes = {1, -4}}), ValueError);
}

TINYTORCH_TEST_FORMULA(Latency, ProfilerTimesEveryLayerAndEveryBatchSize,
                       "one LatencyStats per batch size in order (1, 3), each with timed_runs runs; "
                       "every layer row has median > 0");
TEST(Latency, ProfilerTimesEveryLayerAndEveryBatchSize) {
  Sequential mlp = test::milestone_mlp();
  const ModelProfile profile =
      Profiler({.batch_sizes = {1, 3}, .layer_batch_size = 2, .warmup_runs = 1, .timed_runs = 3}).profile(mlp, {784});
  ASSERT_EQ(profile.latency.size(), 2u);
  EXPECT_EQ(profile.latency[0].batch_size, 1);
  EXPECT_EQ(profile.latency[1].batch_size, 3);
  EXPECT_EQ(profile.latency[1].runs, 3);
  for (const LayerProfile& row : profile.layers) EXPECT_GT(row.median_us, 0.0) << "layer " << row.path;
}

}  // namespace
}  // namespace tinytorch
