// Histogram calibration (histogram_observers.hpp): the |x| histogram with its
// doubling rebin, the percentile and MSE threshold rules, and the three observers'
// clip rule. (The entropy rule against NVIDIA's implementation: test_entropy_calibration.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/histogram_observers.hpp"
#include "tinytorch/perf/quantize.hpp"

namespace tinytorch {
namespace {

using Counts = std::vector<double>;

// ---- AbsHistogram ----------------------------------------------------------------------

TINYTORCH_CONCEPT(AbsHistogram, "the histogram of |x| that percentile, entropy and MSE calibration share",
                  "bins equal bins over [0, upper], w = upper / bins; |x| goes to bin min(floor(|x| / w), bins - 1); "
                  "the first non-zero batch sets upper = max|x|; a larger value doubles w (bin k <- old 2k + old "
                  "2k+1) until it fits");

TEST(AbsHistogram, CountsAbsoluteValuesIntoEqualBins) {
  // max |x| = 8 sets upper = 8; 8 bins of width 1. Bin ⌊|x|⌋: 0, 0.5 -> 0; −1.5 -> 1;
  // 3 -> 3; 7.9 -> 7; −8 (= upper, the right edge) -> the last bin, 7.
  AbsHistogram histogram(8);
  histogram.add(Tensor::from_values({0.0f, 0.5f, -1.5f, 7.9f, -8.0f, 3.0f}));
  EXPECT_EQ(histogram.upper(), 8.0);
  EXPECT_EQ(histogram.bin_width(), 1.0);
  EXPECT_EQ(histogram.counts(), (Counts{2, 1, 0, 1, 0, 0, 0, 2}));
  EXPECT_EQ(histogram.total(), 6.0);
}

TINYTORCH_TEST_FORMULA(AbsHistogram, ALargerValueDoublesTheWidthAndMergesPairs,
                       "while max|x| > upper: upper <- 2 * upper, new[k] = old[2k] + old[2k + 1]; "
                       "then |x| -> bin floor(|x| / w)");
TEST(AbsHistogram, ALargerValueDoublesTheWidthAndMergesPairs) {
  AbsHistogram histogram(8);
  histogram.add(Tensor::from_values({0.0f, 0.5f, -1.5f, 7.9f, -8.0f, 3.0f}));  // [2 1 0 1 0 0 0 2] over [0, 8]
  // 12 > 8: width 1 -> 2, upper 16; new bin k = old 2k + old 2k+1: [3 1 0 2 0 0 0 0]; then 12 -> bin 6.
  histogram.add(Tensor::from_values({12.0f}));
  EXPECT_EQ(histogram.upper(), 16.0);
  EXPECT_EQ(histogram.counts(), (Counts{3, 1, 0, 2, 0, 0, 1, 0}));
  // 100 needs three doublings (16 -> 32 -> 64 -> 128, width 16):
  //   [3 1 0 2 0 0 1 0] -> [4 2 1 0 0 0 0 0] -> [6 1 0 0 0 0 0 0] -> [7 0 0 0 0 0 0 0]; 100/16 = 6.25 -> bin 6.
  histogram.add(Tensor::from_values({-100.0f}));
  EXPECT_EQ(histogram.upper(), 128.0);
  EXPECT_EQ(histogram.bin_width(), 16.0);
  EXPECT_EQ(histogram.counts(), (Counts{7, 0, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(histogram.total(), 8.0);
  // A batch inside the range changes no width.
  histogram.add(Tensor::from_values({127.0f, 16.0f}));
  EXPECT_EQ(histogram.upper(), 128.0);
  EXPECT_EQ(histogram.counts(), (Counts{7, 1, 0, 0, 0, 0, 1, 1}));
}

TINYTORCH_TEST_FORMULA(AbsHistogram, OddBinCountMergesTheLastBinAlone,
                       "doubling with an odd bin count: new[k] = old[2k] + old[2k + 1], "
                       "a missing partner counts 0 (3 bins [1 1 1] -> [2 1 0])");
TEST(AbsHistogram, OddBinCountMergesTheLastBinAlone) {
  // 3 bins over [0, 3]: [1 1 1]. 5 > 3 -> upper 6, width 2: new[0] = old0 + old1 = 2,
  // new[1] = old2 (its partner would be bin 3, which does not exist) = 1, new[2] = 0; 5 -> bin 2.
  AbsHistogram histogram(3);
  histogram.add(Tensor::from_values({0.5f, 1.5f, 3.0f}));
  EXPECT_EQ(histogram.counts(), (Counts{1, 1, 1}));
  histogram.add(Tensor::from_values({5.0f}));
  EXPECT_EQ(histogram.upper(), 6.0);
  EXPECT_EQ(histogram.counts(), (Counts{2, 1, 1}));
}

TINYTORCH_TEST_FORMULA(AbsHistogram, OneBin,
                       "one bin holds every value; upper doubles until it covers max|x| (2 -> 4 for |x| = 3)");
TEST(AbsHistogram, OneBin) {
  AbsHistogram histogram(1);
  histogram.add(Tensor::from_values({-2.0f, 1.0f}));
  histogram.add(Tensor::from_values({3.0f}));  // 3 > 2: upper 4
  EXPECT_EQ(histogram.upper(), 4.0);
  EXPECT_EQ(histogram.counts(), (Counts{3}));
}

TINYTORCH_TEST_FORMULA(AbsHistogram, ZerosBeforeAnyRangeStayInBinZero,
                       "while only zeros were seen upper = 0 and they count in bin 0; "
                       "the first non-zero batch sets upper = its max|x| exactly (no doubling from 0)");
TEST(AbsHistogram, ZerosBeforeAnyRangeStayInBinZero) {
  // All zeros: upper stays 0 and every value is in bin 0. The first non-zero batch then
  // sets upper to exactly its max |x| (no doubling from 0), and the zeros stay in bin 0.
  AbsHistogram histogram(4);
  histogram.add(Tensor::zeros({3}));
  EXPECT_EQ(histogram.upper(), 0.0);
  EXPECT_EQ(histogram.counts(), (Counts{3, 0, 0, 0}));
  histogram.add(Tensor::from_values({-4.0f, 0.0f}));
  EXPECT_EQ(histogram.upper(), 4.0);
  EXPECT_EQ(histogram.counts(), (Counts{4, 0, 0, 1}));
}

TINYTORCH_TEST_FORMULA(AbsHistogram, MatchesDirectBinningOnOddShapes,
                       "one batch: upper = max|x|, each x counted in bin min(floor(|x| * bins / upper), bins - 1)");
TEST(AbsHistogram, MatchesDirectBinningOnOddShapes) {
  // Every element in bin min(⌊|x| · bins / upper⌋, bins − 1), upper = max |x|: counted
  // here one value at a time for shapes of 1, 3, 17·65 and 257·3 elements.
  Generator generator(15);
  for (const Shape& shape : {Shape{1}, Shape{3}, Shape{17, 65}, Shape{257, 3}}) {
    for (int64_t bins : {1, 3, 63, 65, 2048}) {
      const Tensor batch = Tensor::uniform(shape, -2.0f, 3.0f, generator);
      const std::vector<float> values = batch.to_vector();
      double upper = 0.0;
      for (float v : values) upper = std::max(upper, static_cast<double>(std::fabs(v)));
      Counts expected(static_cast<std::size_t>(bins), 0.0);
      for (float v : values) {
        const auto bin = static_cast<int64_t>(std::floor(std::fabs(v) * static_cast<double>(bins) / upper));
        expected[static_cast<std::size_t>(std::min(bin, bins - 1))] += 1.0;
      }
      AbsHistogram histogram(bins);
      histogram.add(batch);
      EXPECT_EQ(histogram.upper(), upper) << shape_str(shape) << " bins " << bins;
      EXPECT_EQ(histogram.counts(), expected) << shape_str(shape) << " bins " << bins;
      EXPECT_EQ(histogram.total(), static_cast<double>(batch.numel()));
    }
  }
}

TINYTORCH_TEST_FORMULA(AbsHistogram, NonContiguousBatchCountsLikeItsCopy,
                       "counts depend on the elements only: add(view) == add(view.contiguous())");
TEST(AbsHistogram, NonContiguousBatchCountsLikeItsCopy) {
  const Tensor batch = Tensor::uniform({5, 7}, -1.0f, 1.0f);
  AbsHistogram from_view(16), from_copy(16);
  from_view.add(batch.transpose());  // strides (1, 7): a view
  from_copy.add(batch.transpose().contiguous());
  EXPECT_EQ(from_view.counts(), from_copy.counts());
  EXPECT_EQ(from_view.upper(), from_copy.upper());
}

TINYTORCH_TEST_FORMULA(AbsHistogram, RejectsBadInput,
                       "bins >= 1 (ValueError); a NaN/Inf element -> ValueError naming \"element <i>\", "
                       "non-float32 -> DTypeError, and a rejected batch adds nothing");
TEST(AbsHistogram, RejectsBadInput) {
  EXPECT_THROW(AbsHistogram(0), ValueError);
  AbsHistogram histogram(4);
  EXPECT_THROW(histogram.add(Tensor::from_values({1.0f, NAN})), ValueError);
  EXPECT_THROW(histogram.add(Tensor::from_values({-INFINITY})), ValueError);
  EXPECT_THROW(histogram.add(Tensor::zeros({3}, DType::Int32)), DTypeError);
  EXPECT_EQ(histogram.total(), 0.0) << "a rejected batch must not be counted";
  try {
    histogram.add(Tensor::from_values({1.0f, 2.0f, NAN}));
    FAIL() << "NaN accepted";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("element 2"), std::string::npos) << error.what();
  }
}

// ---- percentile ----------------------------------------------------------------------------

TINYTORCH_CONCEPT(PercentileThreshold, "percentile calibration: clip where the cumulative |x| count reaches p percent",
                  "kept = the smallest k with sum_{i<k} counts[i] >= (p / 100) * sum counts; threshold T = kept * w");

TEST(PercentileThreshold, SmallestKeptReachingThePercentile) {
  // counts [10 20 30 40], total 100; cumulative after kept bins: 10, 30, 60, 100.
  const Counts counts = {10, 20, 30, 40};
  EXPECT_EQ(percentile_threshold_bins(counts, 10.0), 1);  // 10 ≥ 10
  EXPECT_EQ(percentile_threshold_bins(counts, 10.5), 2);  // 30 ≥ 10.5
  EXPECT_EQ(percentile_threshold_bins(counts, 30.0), 2);  // 30 ≥ 30: exactly reached
  EXPECT_EQ(percentile_threshold_bins(counts, 31.0), 3);
  EXPECT_EQ(percentile_threshold_bins(counts, 60.0), 3);
  EXPECT_EQ(percentile_threshold_bins(counts, 60.5), 4);
  EXPECT_EQ(percentile_threshold_bins(counts, 99.99), 4);
  EXPECT_EQ(percentile_threshold_bins(counts, 100.0), 4);
}

TINYTORCH_TEST_FORMULA(PercentileThreshold, EmptyBinsAtTheTopAreNotKept,
                       "the SMALLEST k with cumulative count >= p% of the total: empty bins after it are never kept");
TEST(PercentileThreshold, EmptyBinsAtTheTopAreNotKept) {
  // [5 0 0 5 0]: half the data is in bin 0; the rest needs bin 3, never the empty bin 4.
  const Counts counts = {5, 0, 0, 5, 0};
  EXPECT_EQ(percentile_threshold_bins(counts, 50.0), 1);
  EXPECT_EQ(percentile_threshold_bins(counts, 50.1), 4);
  EXPECT_EQ(percentile_threshold_bins(counts, 100.0), 4);
  EXPECT_EQ(percentile_threshold_bins({7}, 99.99), 1);
}

TINYTORCH_TEST_FORMULA(PercentileThreshold, DefaultClipsOneValueInTenThousandAndOne,
                       "p = 99.99: 0.9999 * 10001 = 9999.9999 <= 10000 = counts[0], so kept = 1; "
                       "p = 100 needs every bin: kept = 63");
TEST(PercentileThreshold, DefaultClipsOneValueInTenThousandAndOne) {
  // 10 000 values in bin 0 and one outlier in bin 62 of 63: 99.99% of 10 001 values is
  // 99.99 · 10 001 / 100 = 9 999.9999 ≤ 10 000, reached by bin 0 alone.
  Counts counts(63, 0.0);
  counts[0] = 10'000;
  counts[62] = 1;
  EXPECT_EQ(percentile_threshold_bins(counts, 99.99), 1);
  EXPECT_EQ(percentile_threshold_bins(counts, 100.0), 63);
}

TINYTORCH_TEST_FORMULA(PercentileThreshold, RejectsBadArguments,
                       "percentile in (0, 100], counts non-empty, finite and >= 0; anything else throws ValueError");
TEST(PercentileThreshold, RejectsBadArguments) {
  EXPECT_THROW(percentile_threshold_bins({1, 2}, 0.0), ValueError);
  EXPECT_THROW(percentile_threshold_bins({1, 2}, -5.0), ValueError);
  EXPECT_THROW(percentile_threshold_bins({1, 2}, 100.5), ValueError);
  EXPECT_THROW(percentile_threshold_bins({1, 2}, NAN), ValueError);
  EXPECT_THROW(percentile_threshold_bins({}, 50.0), ValueError);
  EXPECT_THROW(percentile_threshold_bins({1, -2}, 50.0), ValueError);
  EXPECT_THROW(PercentileObserver(0.0), ValueError);
  EXPECT_THROW(PercentileObserver(101.0), ValueError);
}

// ---- MSE -----------------------------------------------------------------------------------

// Σ_b counts[b] · (c_b − Q(c_b))² for one `kept`, written out on its own: the
// brute-force reference for mse_threshold_bins.
double squared_error(const Counts& counts, double bin_width, int64_t levels, int64_t kept) {
  const double step = static_cast<double>(kept) * bin_width / static_cast<double>(levels);
  double error = 0.0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    const double centre = (static_cast<double>(b) + 0.5) * bin_width;
    const double level = std::clamp(std::nearbyint(centre / step), 0.0, static_cast<double>(levels));
    error += counts[b] * (centre - level * step) * (centre - level * step);
  }
  return error;
}

TINYTORCH_CONCEPT(MSEThreshold,
                  "MSE calibration: the clip threshold that minimises the expected squared round-trip error",
                  "kept in [1, bins] minimising sum_b counts[b] * (c_b - Q(c_b))^2, c_b = (b + 0.5) * w, "
                  "Q(c) = s * min(round(c / s), levels), s = kept * w / levels; the smallest kept on ties");

TEST(MSEThreshold, HandComputedWithTwoLevels) {
  // counts [4 0 0 1], w = 1, levels = 1 (Q(c) ∈ {0, T}); centres 0.5 and 3.5.
  //   kept 1 (T=1): 0.5 -> round(0.5) = 0 (half to even): 4·0.25; 3.5 -> clamped to 1: (2.5)²  = 7.25
  //   kept 2 (T=2): 0.5/2 -> 0: 1;  3.5/2 = 1.75 -> 1 -> 2: (1.5)²                            = 3.25
  //   kept 3 (T=3): 1;  3.5/3 -> 1 -> 3: (0.5)²                                                 = 1.25
  //   kept 4 (T=4): 1;  3.5/4 -> 1 -> 4: (0.5)²                                                 = 1.25
  // Tie between 3 and 4: the smallest, 3.
  const Counts counts = {4, 0, 0, 1};
  EXPECT_DOUBLE_EQ(squared_error(counts, 1.0, 1, 1), 7.25);
  EXPECT_DOUBLE_EQ(squared_error(counts, 1.0, 1, 3), 1.25);
  EXPECT_EQ(mse_threshold_bins(counts, 1.0, 1), 3);
}

TINYTORCH_TEST_FORMULA(MSEThreshold, MatchesBruteForceOnSmallHistograms,
                       "error(kept) = sum_b counts[b] * (c_b - s * clamp(round(c_b / s), 0, levels))^2, "
                       "s = kept * w / levels: error(chosen) < error(k) for every smaller k and <= for every larger k");
TEST(MSEThreshold, MatchesBruteForceOnSmallHistograms) {
  // Deterministic pseudo-random histograms (sizes 1, 3, 17, 63, 65; a third of the bins
  // empty): the chosen kept has the smallest brute-force error, and no smaller kept ties it.
  Generator generator(1515);
  for (int64_t bins : {1, 3, 17, 63, 65}) {
    for (int64_t levels : {1, 7, 15, 127, 255}) {
      for (double bin_width : {1.0, 0.37}) {
        Counts counts(static_cast<std::size_t>(bins));
        for (double& count : counts) count = generator.below(3) == 0 ? 0.0 : static_cast<double>(generator.below(50));
        counts.back() += 1.0;  // the bin of the largest value is never empty
        const int64_t kept = mse_threshold_bins(counts, bin_width, levels);
        ASSERT_GE(kept, 1);
        ASSERT_LE(kept, bins);
        const double chosen = squared_error(counts, bin_width, levels, kept);
        for (int64_t other = 1; other <= bins; ++other) {
          const double error = squared_error(counts, bin_width, levels, other);
          if (other < kept) {
            EXPECT_GT(error, chosen) << "bins " << bins << " levels " << levels << ": kept " << other
                                     << " is as good as the chosen " << kept;
          } else {
            EXPECT_GE(error, chosen) << "bins " << bins << " levels " << levels << ": kept " << other
                                     << " beats the chosen " << kept;
          }
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(MSEThreshold, ClipsARareOutlierOnlyWhenTheBodyOutweighsIt,
                       "clipping the outlier costs (99.5 - T)^2, keeping it costs the body about N * (T / 127)^2 / "
                       "12: 1000 per bin -> kept >= 90; 10^6 per bin -> kept = 10 (error 13125.26 vs 489336.06 at "
                       "kept 100)");
TEST(MSEThreshold, ClipsARareOutlierOnlyWhenTheBodyOutweighsIt) {
  // Bins 0..9 hold the body, bin 99 one outlier (w = 1, 127 levels). Keeping the
  // outlier (T = 100) costs the body a coarse grid, ≈ (100/127)²/12 per value;
  // clipping it at T ≈ 10 costs it (99.5 − 10)² ≈ 8000 but gives the body a fine grid.
  //   1000 per bin: the grid costs ≈ 500 < 8000, so T stays near the outlier (the
  //     exact optimum, 92, clips the outlier by a few bins for a slightly finer grid);
  //   10⁶ per bin: the grid would cost ≈ 5·10⁵ (489 336 at kept 100) > 13 125 at
  //     kept 10, where the body ends: the outlier is clipped.
  Counts counts(100, 0.0);
  for (int b = 0; b < 10; ++b) counts[b] = 1000;
  counts[99] = 1;
  EXPECT_GE(mse_threshold_bins(counts, 1.0, 127), 90);
  for (int b = 0; b < 10; ++b) counts[b] = 1e6;
  EXPECT_EQ(mse_threshold_bins(counts, 1.0, 127), 10);
  EXPECT_NEAR(squared_error(counts, 1.0, 127, 10), 13125.26, 0.01);
  EXPECT_NEAR(squared_error(counts, 1.0, 127, 100), 489336.06, 0.01);
}

TINYTORCH_TEST_FORMULA(MSEThreshold, BinWidthScalesTheErrorNotTheChoice,
                       "every error scales by w^2, so the argmin kept does not depend on w > 0; w = 0: all errors 0, "
                       "smallest kept = 1");
TEST(MSEThreshold, BinWidthScalesTheErrorNotTheChoice) {
  const Counts counts = {0, 30, 12, 9, 4, 0, 2, 1, 0, 0, 1};
  const int64_t kept = mse_threshold_bins(counts, 1.0, 7);
  EXPECT_EQ(mse_threshold_bins(counts, 0.001, 7), kept);
  EXPECT_EQ(mse_threshold_bins(counts, 1024.0, 7), kept);
  // Width 0 (a histogram of zeros): every error is 0, the smallest kept wins.
  EXPECT_EQ(mse_threshold_bins(counts, 0.0, 7), 1);
}

TINYTORCH_TEST_FORMULA(MSEThreshold, RejectsBadArguments,
                       "levels >= 1, finite bin_width >= 0, counts non-empty and finite; "
                       "anything else throws ValueError");
TEST(MSEThreshold, RejectsBadArguments) {
  EXPECT_THROW(mse_threshold_bins({1, 2}, 1.0, 0), ValueError);
  EXPECT_THROW(mse_threshold_bins({1, 2}, -1.0, 127), ValueError);
  EXPECT_THROW(mse_threshold_bins({1, 2}, NAN, 127), ValueError);
  EXPECT_THROW(mse_threshold_bins({}, 1.0, 127), ValueError);
  EXPECT_THROW(mse_threshold_bins({1, NAN}, 1.0, 127), ValueError);
}

// ---- the observers -------------------------------------------------------------------------

using ObserverFactory = std::function<std::unique_ptr<Observer>()>;

struct NamedFactory {
  std::string name;
  ObserverFactory make;
};

std::vector<NamedFactory> histogram_observers(int64_t bins = 2048) {
  return {{"percentile", [bins] { return std::make_unique<PercentileObserver>(99.99, bins); }},
          {"entropy", [bins] { return std::make_unique<EntropyObserver>(bins, 128, std::min<int64_t>(128, bins)); }},
          {"mse", [bins] { return std::make_unique<MSEObserver>(bins); }}};
}

// T of any of the three (MSE's depends on the spec).
double threshold_of(const Observer& observer, const QuantSpec& spec) {
  if (const auto* p = dynamic_cast<const PercentileObserver*>(&observer)) return p->threshold();
  if (const auto* e = dynamic_cast<const EntropyObserver*>(&observer)) return e->threshold();
  return dynamic_cast<const MSEObserver&>(observer).threshold(spec);
}

const AbsHistogram& histogram_of(const Observer& observer) {
  if (const auto* p = dynamic_cast<const PercentileObserver*>(&observer)) return p->histogram();
  if (const auto* e = dynamic_cast<const EntropyObserver*>(&observer)) return e->histogram();
  return dynamic_cast<const MSEObserver&>(observer).histogram();
}

const QuantSpec kInt8Affine{};
const QuantSpec kInt8Symmetric{.dtype = QDType::Int8, .scheme = QScheme::Symmetric};
// A scale of ~0.01 rounded to float: half an ulp is ~5e-10.
constexpr double kFloatScaleRounding = 1e-9;

TINYTORCH_CONCEPT(HistogramObservers,
                  "the percentile, entropy and MSE observers: clip the range at a threshold T from the |x| histogram",
                  "T = kept * w, never above max|x| seen; range = [clamp(min_seen, -T, T), clamp(max_seen, -T, "
                  "T)] widened to contain 0, then choose_qparams (symmetric: a = T, scale = T / 127.5 for int8)");

TEST(HistogramObservers, NamesAndNoDataErrors) {
  const std::vector<std::string> names = {"percentile", "entropy", "mse"};
  const auto factories = histogram_observers();
  for (std::size_t i = 0; i < factories.size(); ++i) {
    const auto observer = factories[i].make();
    EXPECT_EQ(observer->name(), names[i]);
    EXPECT_THROW(observer->compute_qparams(kInt8Affine), ValueError) << names[i];
    EXPECT_THROW(threshold_of(*observer, kInt8Affine), ValueError) << names[i];
  }
}

TINYTORCH_TEST_FORMULA(HistogramObservers, OutliersAreClippedBelowTheMaxButMinMaxKeepsThem,
                       "min-max: scale = 20 / 127.5; each histogram observer: 3 < T < 17 and scale = T / 127.5; "
                       "MSE: N * (T / 127)^2 / 12 + (20 - T)^2 is least at T = 20 / (1 + N / (12 * 127^2)) ~ 14.9");
TEST(HistogramObservers, OutliersAreClippedBelowTheMaxButMinMaxKeepsThem) {
  // 65 535 samples of N(0, 1) and one value 20. Min-max: the range ends at 20.
  // Each histogram method clips: percentile 99.99 drops the top 7 values (T ≈ 4),
  // entropy cuts the lone far bin, and MSE trades the outlier's clipping error
  // (20 − T)² for a finer grid over N = 65 535 values: with a uniform rounding error,
  // N·(T/127)²/12 + (20 − T)² is least at T = 20 / (1 + N/(12·127²)) ≈ 14.9.
  Generator generator(2018);
  const Tensor body = Tensor::randn({257, 255}, 0.0f, 1.0f, generator);
  const Tensor outlier = Tensor::from_values({20.0f});
  std::vector<double> sorted_magnitudes;
  for (float v : body.to_vector()) sorted_magnitudes.push_back(std::fabs(v));
  sorted_magnitudes.push_back(20.0);
  std::sort(sorted_magnitudes.begin(), sorted_magnitudes.end());
  // The uniform-rounding model of MSE's optimum is approximate (bin centres, a finite grid).
  constexpr double kMseModelTolerance = 1.0;
  MinMaxObserver minmax;
  minmax.observe(body);
  minmax.observe(outlier);
  const float minmax_scale = minmax.compute_qparams(kInt8Symmetric).scale[0];
  EXPECT_FLOAT_EQ(minmax_scale, 20.0f / 127.5f);  // (4): a = max |x| = 20
  for (const auto& [name, make] : histogram_observers()) {
    auto observer = make();
    observer->observe(body);
    observer->observe(outlier);
    const double threshold = threshold_of(*observer, kInt8Symmetric);
    EXPECT_GT(threshold, 3.0) << name << " must keep the body of the distribution";
    EXPECT_LT(threshold, 17.0) << name << " must clip the outlier at 20";
    const float scale = observer->compute_qparams(kInt8Symmetric).scale[0];
    EXPECT_FLOAT_EQ(scale, static_cast<float>(threshold / 127.5)) << name << ": (4) with a = T";
    EXPECT_LT(scale, 0.85f * minmax_scale) << name;
    if (name == "percentile") {
      // 99.99% of 65 536 values = 65 529.45: T is the right edge of the bin holding
      // the 65 530th smallest |x|, so it lies in (that value, that value + w].
      const double w = histogram_of(*observer).bin_width();
      EXPECT_GT(threshold, sorted_magnitudes[65529]);
      EXPECT_LE(threshold, sorted_magnitudes[65529] + w);
    }
    if (name == "mse") {
      EXPECT_NEAR(threshold, 14.9, kMseModelTolerance);
    }
  }
}

// A 4-bin batch whose |x| fill one bin each: {±0.5, ±1.5, ±2.5, ±3.5} over [0, 3.5],
// w = 0.875 (0.5 -> bin 0, 1.5 -> 1, 2.5 -> 2, 3.5 = upper -> 3). Percentile 50:
// cumulative 1, 2 ≥ 2 -> kept 2, T = 1.75.
constexpr float kHalfT = 1.75f;

TINYTORCH_TEST_FORMULA(HistogramObservers, ClipToZeroTWhenNoNegativeWasSeen,
                       "no negative seen: range [0, T]; T = 1.75 -> int8 affine scale = T / 255, zero_point = -128; "
                       "uint8 zero_point = 0");
TEST(HistogramObservers, ClipToZeroTWhenNoNegativeWasSeen) {
  PercentileObserver observer(50.0, 4);
  observer.observe(Tensor::from_values({0.5f, 1.5f, 2.5f, 3.5f}));
  EXPECT_EQ(observer.histogram().counts(), (Counts{1, 1, 1, 1}));
  EXPECT_EQ(observer.threshold(), 1.75);
  // [clamp(0.5, ±1.75), clamp(3.5, ±1.75)] = [0.5, 1.75], widened to [0, 1.75]: s = 1.75/255, z = −128.
  const QParams affine = observer.compute_qparams(kInt8Affine);
  EXPECT_EQ(affine, choose_qparams(0.0f, kHalfT, kInt8Affine));
  EXPECT_FLOAT_EQ(affine.scale[0], 1.75f / 255.0f);
  EXPECT_EQ(affine.zero_point[0], -128);
  // uint8 affine: the whole [0, 255] grid on [0, T], z = 0.
  const QParams unsigned_params = observer.compute_qparams({.dtype = QDType::UInt8});
  EXPECT_FLOAT_EQ(unsigned_params.scale[0], 1.75f / 255.0f);
  EXPECT_EQ(unsigned_params.zero_point[0], 0);
}

TINYTORCH_TEST_FORMULA(HistogramObservers, ClipToMinusTTWhenNegativesWereSeen,
                       "negatives beyond -T seen: range [-T, T]; affine scale = 2T / 255, "
                       "symmetric scale = T / 127.5, zero_point = 0");
TEST(HistogramObservers, ClipToMinusTTWhenNegativesWereSeen) {
  PercentileObserver observer(50.0, 4);
  observer.observe(Tensor::from_values({-0.5f, 1.5f, -2.5f, 3.5f}));  // same |x|: same histogram, T = 1.75
  EXPECT_EQ(observer.threshold(), 1.75);
  // [clamp(−2.5, ±1.75), clamp(3.5, ±1.75)] = [−1.75, 1.75].
  EXPECT_EQ(observer.compute_qparams(kInt8Affine), choose_qparams(-kHalfT, kHalfT, kInt8Affine));
  EXPECT_FLOAT_EQ(observer.compute_qparams(kInt8Affine).scale[0], 3.5f / 255.0f);
  const QParams symmetric = observer.compute_qparams(kInt8Symmetric);
  EXPECT_FLOAT_EQ(symmetric.scale[0], 1.75f / 127.5f);
  EXPECT_EQ(symmetric.zero_point[0], 0);
}

TINYTORCH_TEST_FORMULA(HistogramObservers, AffineSpecIntersectsTheClipWithTheSeenRange,
                       "range = [clamp(min_seen, -T, T), clamp(max_seen, -T, T)]: min_seen = -0.3 -> [-0.3, T]; "
                       "max_seen = 0.3 -> [-T, 0.3]; symmetric still takes a = T");
TEST(HistogramObservers, AffineSpecIntersectsTheClipWithTheSeenRange) {
  // A small negative side: min_seen = −0.3 > −T, so the affine range starts at −0.3,
  // not −1.75 — no levels are spent on values never seen. Symmetric still takes a = T.
  // (The range is the seen [min, max] clamped to [−T, T].)
  PercentileObserver mostly_positive(50.0, 4);
  mostly_positive.observe(Tensor::from_values({-0.3f, 1.5f, 2.5f, 3.5f}));  // |x| bins 0, 1, 2, 3
  EXPECT_EQ(mostly_positive.threshold(), 1.75);
  EXPECT_EQ(mostly_positive.compute_qparams(kInt8Affine), choose_qparams(-0.3f, kHalfT, kInt8Affine));
  EXPECT_FLOAT_EQ(mostly_positive.compute_qparams(kInt8Symmetric).scale[0], 1.75f / 127.5f);
  // Mirror image: max_seen = 0.3 < T, the range is [−1.75, 0.3].
  PercentileObserver mostly_negative(50.0, 4);
  mostly_negative.observe(Tensor::from_values({0.3f, -1.5f, -2.5f, -3.5f}));
  EXPECT_EQ(mostly_negative.compute_qparams(kInt8Affine), choose_qparams(-kHalfT, 0.3f, kInt8Affine));
}

TINYTORCH_TEST_FORMULA(HistogramObservers, ThresholdNeverExceedsTheLargestValueSeen,
                       "T = min(kept * w, max|x| seen): percentile 100 keeps 4 bins of 0.5 = 2, "
                       "but max|x| = 1.5 -> T = 1.5");
TEST(HistogramObservers, ThresholdNeverExceedsTheLargestValueSeen) {
  // 4 bins: {1} sets upper 1; {1.5} doubles it to 2 (w = 0.5, 1.5 -> bin 3). Percentile
  // 100 keeps all 4 bins, 4 · 0.5 = 2 — but nothing above 1.5 was seen, so T = 1.5.
  PercentileObserver observer(100.0, 4);
  observer.observe(Tensor::from_values({1.0f}));
  observer.observe(Tensor::from_values({1.5f}));
  EXPECT_EQ(observer.histogram().upper(), 2.0);
  EXPECT_EQ(observer.threshold(), 1.5);
  EXPECT_FLOAT_EQ(observer.compute_qparams(kInt8Affine).scale[0], 1.5f / 255.0f);
}

TINYTORCH_TEST_FORMULA(HistogramObservers, MseLevelsFollowTheSpec,
                       "MSE levels: affine with no negative seen = qmax - qmin (int8/uint8 255, narrow 254, int4 15); "
                       "otherwise floor((qmax - qmin) / 2) (int8 127, int4 7); T = min(kept * w, max|x| seen)");
TEST(HistogramObservers, MseLevelsFollowTheSpec) {
  // ReLU-like data (no negatives): an affine spec spreads its whole grid over [0, T]
  // (255 steps for int8/uint8, 254 narrow, 15 int4); symmetric uses the positive
  // half (127, 7). With negatives, affine also gets only half: 127.
  Generator generator(7);
  const Tensor relu_like = Tensor::uniform({63, 65}, 0.0f, 1.0f, generator);
  const Tensor with_tail = Tensor::from_values({30.0f, 9.0f, 5.0f});
  MSEObserver positive(257);
  positive.observe(relu_like);
  positive.observe(with_tail);
  const AbsHistogram& histogram = positive.histogram();
  // kept · w, capped at the largest value seen (30).
  const auto expected_threshold = [&](int64_t levels) {
    return std::min(static_cast<double>(mse_threshold_bins(histogram.counts(), histogram.bin_width(), levels)) *
                        histogram.bin_width(),
                    30.0);
  };
  EXPECT_EQ(positive.threshold(kInt8Affine), expected_threshold(255));
  EXPECT_EQ(positive.threshold({.dtype = QDType::UInt8}), expected_threshold(255));
  EXPECT_EQ(positive.threshold({.dtype = QDType::Int8, .narrow_range = true}), expected_threshold(254));
  EXPECT_EQ(positive.threshold({.dtype = QDType::Int4}), expected_threshold(15));
  EXPECT_EQ(positive.threshold(kInt8Symmetric), expected_threshold(127));
  EXPECT_EQ(positive.threshold({.dtype = QDType::Int4, .scheme = QScheme::Symmetric}), expected_threshold(7));

  MSEObserver signed_data(257);
  signed_data.observe(relu_like);
  signed_data.observe(with_tail);
  signed_data.observe(Tensor::from_values({-0.5f}));  // |−0.5| lands in an existing bin's range
  const AbsHistogram& signed_histogram = signed_data.histogram();
  EXPECT_EQ(
      signed_data.threshold(kInt8Affine),
      std::min(static_cast<double>(mse_threshold_bins(signed_histogram.counts(), signed_histogram.bin_width(), 127)) *
                   signed_histogram.bin_width(),
               30.0));
}

TINYTORCH_TEST_FORMULA(HistogramObservers, PerChannelSpecIsRejected,
                       "histogram observers are per tensor only: a per-channel spec throws ValueError");
TEST(HistogramObservers, PerChannelSpecIsRejected) {
  for (const auto& [name, make] : histogram_observers(64)) {
    auto observer = make();
    observer->observe(Tensor::from_values({1.0f, -2.0f}));
    EXPECT_THROW(observer->compute_qparams({.per_channel = true, .axis = 0}), ValueError) << name;
  }
}

TINYTORCH_TEST_FORMULA(HistogramObservers, NonFiniteBatchIsRejectedAndLeavesTheStateAlone,
                       "a NaN/Inf batch throws ValueError naming \"batch <n>\"; batches_seen, "
                       "min/max and the histogram total stay as before");
TEST(HistogramObservers, NonFiniteBatchIsRejectedAndLeavesTheStateAlone) {
  for (const auto& [name, make] : histogram_observers(64)) {
    auto observer = make();
    observer->observe(Tensor::from_values({1.0f, -2.0f}));
    try {
      observer->observe(Tensor::from_values({3.0f, INFINITY}));
      ADD_FAILURE() << name << " accepted Inf";
    } catch (const ValueError& error) {
      EXPECT_NE(std::string(error.what()).find("batch 2"), std::string::npos) << name << ": " << error.what();
    }
    EXPECT_EQ(observer->batches_seen(), 1) << name;
    EXPECT_EQ(observer->max_seen(), 1.0f) << name;
    EXPECT_EQ(histogram_of(*observer).total(), 2.0) << name << ": the rejected batch reached the histogram";
  }
}

TINYTORCH_TEST_FORMULA(HistogramObservers, CloneCopiesTheHistogramAndThenGoesItsOwnWay,
                       "clone() copies name, batches_seen and histogram (same T); "
                       "observing the clone leaves the original unchanged");
TEST(HistogramObservers, CloneCopiesTheHistogramAndThenGoesItsOwnWay) {
  for (const auto& [name, make] : histogram_observers(64)) {
    auto original = make();
    original->observe(Tensor::from_values({0.25f, -1.0f, 2.0f}));
    auto copy = original->clone();
    EXPECT_EQ(copy->name(), name);
    EXPECT_EQ(copy->batches_seen(), 1);
    EXPECT_EQ(threshold_of(*copy, kInt8Affine), threshold_of(*original, kInt8Affine)) << name;
    copy->observe(Tensor::from_values({100.0f}));
    EXPECT_EQ(original->max_seen(), 2.0f) << name << ": observing the clone changed the original";
    EXPECT_LE(threshold_of(*original, kInt8Affine), 2.0) << name;
  }
}

TINYTORCH_TEST_FORMULA(HistogramObservers, ConstantBatchesGiveAValidScale,
                       "all zeros: T = 0, range [0, 0] -> scale = 1, zero_point = 0; "
                       "constant 2.5: T = 2.5 (MSE within one bin w = 2.5 / 2048) -> scale ~ 2.5 / 255, "
                       "zero_point = -128");
TEST(HistogramObservers, ConstantBatchesGiveAValidScale) {
  // All zeros: T = 0, the range [0, 0] -> s = 1, z = 0 (qparams.hpp's width-0 rule).
  // A constant 2.5: every value in the last bin, T = 2.5 (percentile, entropy) or
  // within one bin of it (MSE) -> s ≈ 2.5/255 and 2.5 survives the round trip.
  // (MSE's T can sit just below every value seen: [2.5, 2.5] clamped to [−T, T] is
  // [T, T], widened to [0, T].)
  for (const auto& [name, make] : histogram_observers()) {
    auto zeros = make();
    zeros->observe(Tensor::zeros({3, 17}));
    zeros->observe(Tensor::zeros({1}));
    const QParams zero_params = zeros->compute_qparams(kInt8Affine);
    EXPECT_EQ(zero_params.scale[0], 1.0f) << name;
    EXPECT_EQ(zero_params.zero_point[0], 0) << name;

    auto constant = make();
    const Tensor batch = Tensor::full({65}, 2.5f);
    constant->observe(batch);
    const QParams params = constant->compute_qparams(kInt8Affine);
    const double bin_width = 2.5 / 2048.0;
    EXPECT_TRUE(std::isfinite(params.scale[0]) && params.scale[0] > 0.0f) << name;
    EXPECT_NEAR(params.scale[0], 2.5 / 255.0, bin_width / 255.0 + kFloatScaleRounding) << name;
    EXPECT_EQ(params.zero_point[0], -128) << name;
    const std::vector<float> round_trip = dequantize(quantize(batch, params), params).to_vector();
    EXPECT_NEAR(round_trip[0], 2.5, bin_width + params.scale[0] / 2) << name;
  }
}

TINYTORCH_TEST_FORMULA(HistogramObservers, BatchesAccumulateIntoOneHistogram,
                       "histogram total = sum of batch sizes (1 + 3 + 17) * 5 = 105; batches_seen = 3");
TEST(HistogramObservers, BatchesAccumulateIntoOneHistogram) {
  for (const auto& [name, make] : histogram_observers(63)) {
    auto observer = make();
    for (int64_t rows : {1, 3, 17}) observer->observe(Tensor::uniform({rows, 5}, -1.0f, 1.0f));
    EXPECT_EQ(histogram_of(*observer).total(), (1 + 3 + 17) * 5.0) << name;
    EXPECT_EQ(observer->batches_seen(), 3) << name;
  }
}

}  // namespace
}  // namespace tinytorch
