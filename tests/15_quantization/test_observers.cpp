// Observers (observer.hpp): what each one sees and the range it hands to
// choose_qparams — min-max, moving-average min-max, per-channel min-max — and the
// rules every observer (the histogram ones too) keeps: NaN/Inf batches are
// rejected naming the batch, no parameters before data, constant data gives a
// usable scale.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/histogram_observers.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/quantize.hpp"

namespace tinytorch {
namespace {

const QuantSpec kInt8Affine{};
const QuantSpec kInt8Symmetric{.dtype = QDType::Int8, .scheme = QScheme::Symmetric};

// The moving average runs in float: a few ulps of its value.
constexpr float kFloatAverageTolerance = 1e-6f;
// A scale of ~0.008 rounded to float: half an ulp is ~5e-10.
constexpr double kFloatScaleRounding = 1e-9;

// ---- min-max --------------------------------------------------------------------------------

TINYTORCH_CONCEPT(MinMaxObserver,
                  "calibration by min-max: the clip range is the smallest and largest value of all batches",
                  "lo = min over all batches, hi = max over all batches; then affine scale = (hi - lo) / 255, "
                  "zero_point = -128 - round(lo / scale), or symmetric scale = max(|lo|, "
                  "|hi|) / 127.5 (range widened to contain 0)");

TEST(MinMaxObserver, RangeIsTheMinAndMaxOverAllBatches) {
  MinMaxObserver observer;
  observer.observe(Tensor::from_values({-1.0f, 0.5f, 2.0f}));
  observer.observe(Tensor::from_values({-3.0f, 1.0f}, {2, 1}));
  EXPECT_EQ(observer.batches_seen(), 2);
  EXPECT_EQ(observer.min_seen(), -3.0f);
  EXPECT_EQ(observer.max_seen(), 2.0f);
  // (3) on [−3, 2]: s = 5/255, z = −128 − round(−3 / (5/255)) = −128 + 153 = 25.
  const QParams affine = observer.compute_qparams(kInt8Affine);
  EXPECT_EQ(affine.scale, std::vector<float>{static_cast<float>(5.0 / 255.0)});
  EXPECT_EQ(affine.zero_point, std::vector<int32_t>{25});
  EXPECT_EQ(affine.axis, -1);
  // (4): a = max(3, 2) = 3, s = 3/127.5, z = 0.
  const QParams symmetric = observer.compute_qparams(kInt8Symmetric);
  EXPECT_FLOAT_EQ(symmetric.scale[0], 3.0f / 127.5f);
  EXPECT_EQ(symmetric.zero_point[0], 0);
  EXPECT_EQ(observer.name(), "minmax");
}

TINYTORCH_TEST_FORMULA(MinMaxObserver, PositiveDataStartsTheRangeAtZero,
                       "[lo, hi] with lo > 0 widens to [0, hi]: scale = hi / 255, zero_point = -128 - round(0) = -128");
TEST(MinMaxObserver, PositiveDataStartsTheRangeAtZero) {
  // ReLU outputs in [0.5, 2.55]: widened to [0, 2.55] -> s = 0.01, z = −128 (0 is exact).
  MinMaxObserver observer;
  observer.observe(Tensor::from_values({0.5f, 2.55f, 1.0f}));
  const QParams params = observer.compute_qparams(kInt8Affine);
  EXPECT_FLOAT_EQ(params.scale[0], 0.01f);
  EXPECT_EQ(params.zero_point[0], -128);
}

TINYTORCH_TEST_FORMULA(MinMaxObserver, OneOutlierSetsTheWholeRange,
                       "hi = max over all values, outlier included: hi = 20 -> scale = (20 - lo) / 255 > 20 / 255");
TEST(MinMaxObserver, OneOutlierSetsTheWholeRange) {
  // The flaw the histogram observers fix: 4 095 values in [−1, 1) and one 20 -> s = 21/255.
  MinMaxObserver observer;
  observer.observe(Tensor::uniform({63, 65}, -1.0f, 1.0f));
  observer.observe(Tensor::from_values({20.0f}));
  EXPECT_EQ(observer.max_seen(), 20.0f);
  EXPECT_GT(observer.compute_qparams(kInt8Affine).scale[0], 20.0f / 255.0f);
}

TINYTORCH_TEST_FORMULA(MinMaxObserver, OddShapesAndViews,
                       "the range depends only on the elements, not the layout: min/max of a transposed view = "
                       "min/max of the tensor");
TEST(MinMaxObserver, OddShapesAndViews) {
  // A (17, 3) tensor seen through its transpose: same elements, same range.
  std::vector<float> values(51);
  for (int i = 0; i < 51; ++i) values[static_cast<std::size_t>(i)] = static_cast<float>(i % 7) - 2.5f;  // −2.5 .. 3.5
  const Tensor batch = Tensor::from_values(values, {17, 3});
  MinMaxObserver observer;
  observer.observe(batch.transpose());
  EXPECT_EQ(observer.min_seen(), -2.5f);
  EXPECT_EQ(observer.max_seen(), 3.5f);
}

// ---- moving average ---------------------------------------------------------------------------

TINYTORCH_CONCEPT(MovingAverageObserver, "calibration by a moving average of each batch's min and max",
                  "first batch: lo = min(batch), hi = max(batch); then lo <- (1 - c) * lo + c * min(batch), "
                  "hi <- (1 - c) * hi + c * max(batch), momentum c in (0, 1], default 0.01");

TEST(MovingAverageObserver, FirstBatchSetsThenAverages) {
  // c = 0.5: batch 1 [−2, 4] sets (lo, hi); batch 2 [0, 2]: lo = ½·(−2) + ½·0 = −1, hi = ½·4 + ½·2 = 3.
  MovingAverageMinMaxObserver observer(0.5f);
  observer.observe(Tensor::from_values({-2.0f, 4.0f, 1.0f}));
  EXPECT_EQ(observer.average_min(), -2.0f);
  EXPECT_EQ(observer.average_max(), 4.0f);
  observer.observe(Tensor::from_values({0.0f, 2.0f}));
  EXPECT_EQ(observer.average_min(), -1.0f);
  EXPECT_EQ(observer.average_max(), 3.0f);
  // The observed extremes are still tracked exactly.
  EXPECT_EQ(observer.min_seen(), -2.0f);
  EXPECT_EQ(observer.max_seen(), 4.0f);
  // (3) on [−1, 3]: s = 4/255, z = −128 − round(−1/(4/255)) = −128 − round(−63.75) = −64.
  const QParams params = observer.compute_qparams(kInt8Affine);
  EXPECT_FLOAT_EQ(params.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(params.zero_point[0], -64);
  EXPECT_EQ(observer.name(), "moving_average");
}

TINYTORCH_TEST_FORMULA(MovingAverageObserver, OneOddBatchMovesTheRangeByMomentum,
                       "hi <- (1 - c) * hi + c * max(batch) with c = 0.01: 0.99 * 1 + 0.01 * 100 = 1.99 (min-max "
                       "would jump to 100)");
TEST(MovingAverageObserver, OneOddBatchMovesTheRangeByMomentum) {
  // Ten batches of [−1, 1], then one with max 100: min-max jumps to 100, the
  // default c = 0.01 moves hi to 0.99·1 + 0.01·100 = 1.99.
  MovingAverageMinMaxObserver average;
  MinMaxObserver minmax;
  EXPECT_EQ(average.momentum(), 0.01f);
  const Tensor usual = Tensor::from_values({-1.0f, 0.25f, 1.0f});
  const Tensor odd = Tensor::from_values({-1.0f, 100.0f});
  for (int i = 0; i < 10; ++i) {
    average.observe(usual);
    minmax.observe(usual);
  }
  average.observe(odd);
  minmax.observe(odd);
  EXPECT_EQ(minmax.max_seen(), 100.0f);
  EXPECT_NEAR(average.average_max(), 1.99f, kFloatAverageTolerance);
  EXPECT_NEAR(average.average_min(), -1.0f, kFloatAverageTolerance);
}

TINYTORCH_TEST_FORMULA(MovingAverageObserver, MomentumOneFollowsTheLastBatch,
                       "c = 1: lo <- 0 * lo + 1 * min(batch) = min of the last batch, same for hi");
TEST(MovingAverageObserver, MomentumOneFollowsTheLastBatch) {
  MovingAverageMinMaxObserver observer(1.0f);
  observer.observe(Tensor::from_values({-5.0f, 5.0f}));
  observer.observe(Tensor::from_values({-0.5f, 3.0f}));
  EXPECT_EQ(observer.average_min(), -0.5f);
  EXPECT_EQ(observer.average_max(), 3.0f);
}

TINYTORCH_TEST_FORMULA(MovingAverageObserver, RejectsMomentumOutsideZeroOne,
                       "momentum c must lie in (0, 1]: 0, negative, > 1 or NaN throws ValueError");
TEST(MovingAverageObserver, RejectsMomentumOutsideZeroOne) {
  EXPECT_THROW(MovingAverageMinMaxObserver(0.0f), ValueError);
  EXPECT_THROW(MovingAverageMinMaxObserver(-0.1f), ValueError);
  EXPECT_THROW(MovingAverageMinMaxObserver(1.5f), ValueError);
  EXPECT_THROW(MovingAverageMinMaxObserver(NAN), ValueError);
}

// ---- per channel ------------------------------------------------------------------------------

TINYTORCH_CONCEPT(PerChannelObserver, "per-channel min-max calibration: one range per index along the channel axis",
                  "lo[c] = min of x over every element with index c along axis, hi[c] = max; "
                  "then per channel symmetric scale[c] = max(|lo[c]|, |hi[c]|) / 127.5 or affine scale[c] = (hi[c] - "
                  "lo[c]) / 255 (range widened to contain 0)");

TEST(PerChannelObserver, OneRangePerRowOfAWeight) {
  // w:(3, 4), axis 0: row ranges [−1, 2], [0, 0.5], [−4, −1].
  PerChannelMinMaxObserver observer(0);
  observer.observe(Tensor::from_values({-1, 2, 0, 1,        //
                                        0, 0.5f, 0.25f, 0,  //
                                        -4, -1, -2, -3},
                                       {3, 4}));
  EXPECT_EQ(observer.channel_min(), (std::vector<float>{-1.0f, 0.0f, -4.0f}));
  EXPECT_EQ(observer.channel_max(), (std::vector<float>{2.0f, 0.5f, -1.0f}));
  // Symmetric per channel: a = 2, 0.5, 4 -> s = a / 127.5, z = 0.
  const QParams params = observer.compute_qparams({.scheme = QScheme::Symmetric, .per_channel = true, .axis = 0});
  ASSERT_EQ(params.channels(), 3);
  EXPECT_EQ(params.axis, 0);
  EXPECT_FLOAT_EQ(params.scale[0], 2.0f / 127.5f);
  EXPECT_FLOAT_EQ(params.scale[1], 0.5f / 127.5f);
  EXPECT_FLOAT_EQ(params.scale[2], 4.0f / 127.5f);
  EXPECT_EQ(params.zero_point, (std::vector<int32_t>{0, 0, 0}));
  // Affine: row 2's range [−4, −1] widens to [−4, 0]: s = 4/255, z = 127 (0 at the top).
  const QParams affine = observer.compute_qparams({.per_channel = true, .axis = 0});
  EXPECT_FLOAT_EQ(affine.scale[2], 4.0f / 255.0f);
  EXPECT_EQ(affine.zero_point[2], 127);
  EXPECT_EQ(observer.name(), "per_channel_minmax");
}

TINYTORCH_TEST_FORMULA(PerChannelObserver, ColumnsAndInnerAxesOfOddShapes,
                       "channel c along axis 1 holds every x[b, c, k]: x[b, c, k] = 100c + 10b + k -> [100c, "
                       "100c + 14]; (17, 3) ramp i*3 + j -> column j spans [j, 48 + j]");
TEST(PerChannelObserver, ColumnsAndInnerAxesOfOddShapes) {
  // x:(2, 3, 5) along axis 1: channel c holds x[b, c, k] for all b, k. With
  // x[b, c, k] = 100·c + 10·b + k the range of channel c is [100c, 100c + 14].
  std::vector<float> values;
  for (int b = 0; b < 2; ++b)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 5; ++k) values.push_back(static_cast<float>(100 * c + 10 * b + k));
  PerChannelMinMaxObserver observer(1);
  observer.observe(Tensor::from_values(values, {2, 3, 5}));
  EXPECT_EQ(observer.channel_min(), (std::vector<float>{0.0f, 100.0f, 200.0f}));
  EXPECT_EQ(observer.channel_max(), (std::vector<float>{14.0f, 114.0f, 214.0f}));
  // (17, 3) along axis 1: column j of value i·3 + j, i < 17 -> [j, 48 + j].
  std::vector<float> ramp(51);
  for (int i = 0; i < 51; ++i) ramp[static_cast<std::size_t>(i)] = static_cast<float>(i);
  PerChannelMinMaxObserver columns(1);
  columns.observe(Tensor::from_values(ramp, {17, 3}));
  EXPECT_EQ(columns.channel_min(), (std::vector<float>{0.0f, 1.0f, 2.0f}));
  EXPECT_EQ(columns.channel_max(), (std::vector<float>{48.0f, 49.0f, 50.0f}));
}

TINYTORCH_TEST_FORMULA(PerChannelObserver, BatchesMergePerChannel,
                       "across batches: lo[c] = min(lo[c], min of batch channel c), hi[c] = max(hi[c], "
                       "max of batch channel c)");
TEST(PerChannelObserver, BatchesMergePerChannel) {
  PerChannelMinMaxObserver observer(0);
  observer.observe(Tensor::from_values({1, 2, -3, 0}, {2, 2}));   // rows [1, 2], [−3, 0]
  observer.observe(Tensor::from_values({5, 0, -1, -1}, {2, 2}));  // rows [0, 5], [−1, −1]
  EXPECT_EQ(observer.channel_min(), (std::vector<float>{0.0f, -3.0f}));
  EXPECT_EQ(observer.channel_max(), (std::vector<float>{5.0f, 0.0f}));
  EXPECT_EQ(observer.min_seen(), -3.0f);
  EXPECT_EQ(observer.max_seen(), 5.0f);
}

TINYTORCH_TEST_FORMULA(PerChannelObserver, RejectsMismatchedBatchesAndSpecs,
                       "a batch without the axis or with a different channel count throws ShapeError; "
                       "a per-tensor spec or another axis, or axis < 0, throws ValueError; "
                       "per-tensor observers refuse a per-channel spec (ValueError)");
TEST(PerChannelObserver, RejectsMismatchedBatchesAndSpecs) {
  PerChannelMinMaxObserver observer(1);
  EXPECT_THROW(observer.observe(Tensor::from_values({1, 2, 3})), ShapeError);  // 1-D: no axis 1
  observer.observe(Tensor::zeros({2, 3}));
  EXPECT_THROW(observer.observe(Tensor::zeros({2, 4})), ShapeError);                     // 4 channels after 3
  EXPECT_THROW(observer.compute_qparams(kInt8Affine), ValueError);                       // per-tensor spec
  EXPECT_THROW(observer.compute_qparams({.per_channel = true, .axis = 0}), ValueError);  // other axis
  EXPECT_THROW(PerChannelMinMaxObserver(-1), ValueError);
  // Per-tensor observers refuse a per-channel spec.
  MinMaxObserver minmax;
  minmax.observe(Tensor::ones({2, 2}));
  EXPECT_THROW(minmax.compute_qparams({.per_channel = true, .axis = 0}), ValueError);
}

// ---- rules every observer keeps -----------------------------------------------------------------

struct NamedFactory {
  std::string name;
  std::function<std::unique_ptr<Observer>()> make;
  QuantSpec spec;  // a spec this observer accepts
};

std::vector<NamedFactory> all_observers() {
  const QuantSpec per_channel{.per_channel = true, .axis = 0};
  return {{"minmax", [] { return std::make_unique<MinMaxObserver>(); }, kInt8Affine},
          {"moving_average", [] { return std::make_unique<MovingAverageMinMaxObserver>(); }, kInt8Affine},
          {"per_channel_minmax", [] { return std::make_unique<PerChannelMinMaxObserver>(0); }, per_channel},
          {"percentile", [] { return std::make_unique<PercentileObserver>(); }, kInt8Affine},
          {"entropy", [] { return std::make_unique<EntropyObserver>(); }, kInt8Affine},
          {"mse", [] { return std::make_unique<MSEObserver>(); }, kInt8Affine}};
}

TINYTORCH_CONCEPT(ObserverRules,
                  "rules every observer keeps (min-max, moving average, per channel, percentile, entropy, MSE)",
                  "no batch yet -> ValueError \"no calibration data\"; a NaN/Inf batch -> ValueError naming \"batch "
                  "<n>\" and \"element <i>\", nothing kept; empty -> Error, non-float32 -> DTypeError; "
                  "constant data gets a finite scale > 0");

TEST(ObserverRules, NoCalibrationDataIsAValueError) {
  for (const auto& [name, make, spec] : all_observers()) {
    const auto observer = make();
    EXPECT_EQ(observer->name(), name);
    EXPECT_EQ(observer->batches_seen(), 0);
    try {
      observer->compute_qparams(spec);
      ADD_FAILURE() << name << ": compute_qparams before any batch did not throw";
    } catch (const ValueError& error) {
      EXPECT_NE(std::string(error.what()).find("no calibration data"), std::string::npos)
          << name << ": " << error.what();
    }
    EXPECT_THROW(observer->min_seen(), ValueError) << name;
    EXPECT_THROW(observer->max_seen(), ValueError) << name;
  }
}

TINYTORCH_TEST_FORMULA(ObserverRules, NanOrInfBatchIsRejectedNamingTheBatch,
                       "observe() checks the whole batch first: NaN/Inf -> ValueError \"calibration batch <n> ...: "
                       "element <i> is ...\", and batches_seen, the range and the qparams stay as before");
TEST(ObserverRules, NanOrInfBatchIsRejectedNamingTheBatch) {
  for (const auto& [name, make, spec] : all_observers()) {
    for (float bad : {NAN, INFINITY, -INFINITY}) {
      auto observer = make();
      observer->observe(Tensor::from_values({1.0f, -1.0f, 0.5f}, {1, 3}));
      const QParams before = observer->compute_qparams(spec);
      try {
        observer->observe(Tensor::from_values({0.0f, 2.0f, bad}, {1, 3}));
        ADD_FAILURE() << name << " accepted " << bad;
      } catch (const ValueError& error) {
        // "<operation>: calibration batch 2 of shape (1, 3): element 2 is nan; expected finite values ..."
        const std::string message = error.what();
        EXPECT_NE(message.find("batch 2"), std::string::npos) << name << ": " << message;
        EXPECT_NE(message.find("element 2"), std::string::npos) << name << ": " << message;
      }
      // Nothing of the rejected batch was kept.
      EXPECT_EQ(observer->batches_seen(), 1) << name;
      EXPECT_EQ(observer->max_seen(), 1.0f) << name;
      EXPECT_EQ(observer->compute_qparams(spec), before) << name;
    }
  }
}

TINYTORCH_TEST_FORMULA(ObserverRules, RejectsEmptyAndNonFloatBatches,
                       "an empty batch throws ShapeError, a non-float32 batch DTypeError, and neither counts as seen");
TEST(ObserverRules, RejectsEmptyAndNonFloatBatches) {
  for (const auto& [name, make, spec] : all_observers()) {
    auto observer = make();
    EXPECT_THROW(observer->observe(Tensor::zeros({0, 3})), Error) << name;  // empty
    EXPECT_THROW(observer->observe(Tensor::zeros({2, 3}, DType::Int32)), DTypeError) << name;
    EXPECT_EQ(observer->batches_seen(), 0) << name;
  }
}

TINYTORCH_TEST_FORMULA(ObserverRules, ConstantBatchesGiveAValidScale,
                       "all zeros: width 0 -> scale = 1, zero_point = 0; constant -2: range [-2, "
                       "0] -> scale = 2 / 255, zero_point = 127 (within one of 2048 histogram bins for the histogram "
                       "observers)");
TEST(ObserverRules, ConstantBatchesGiveAValidScale) {
  // Zeros: the range [0, 0] has width 0 -> s = 1 and z = 0 (qparams.hpp), so every
  // value still round-trips exactly. A constant −2: the range [−2, 0] -> s = 2/255,
  // z = 127, and −2 round-trips within s/2 (within one histogram bin of 2048 more
  // for the MSE observer, whose threshold is a bin edge at or below the max).
  for (const auto& [name, make, spec] : all_observers()) {
    auto zeros = make();
    const Tensor zero_batch = Tensor::zeros({1, 17});
    zeros->observe(zero_batch);
    const QParams zero_params = zeros->compute_qparams(spec);
    for (float scale : zero_params.scale) EXPECT_EQ(scale, 1.0f) << name;
    for (int32_t zero_point : zero_params.zero_point) EXPECT_EQ(zero_point, 0) << name;
    EXPECT_EQ(dequantize(quantize(zero_batch, zero_params), zero_params).to_vector(), zero_batch.to_vector()) << name;

    auto constant = make();
    const Tensor batch = Tensor::full({1, 3}, -2.0f);
    constant->observe(batch);
    constant->observe(batch);
    const QParams params = constant->compute_qparams(spec);
    const double histogram_bin = 2.0 / 2048.0;
    for (float scale : params.scale) {
      EXPECT_TRUE(std::isfinite(scale) && scale > 0.0f) << name;
      EXPECT_NEAR(scale, 2.0 / 255.0, histogram_bin / 255.0 + kFloatScaleRounding) << name;
    }
    for (int32_t zero_point : params.zero_point) EXPECT_EQ(zero_point, 127) << name;
    for (float value : dequantize(quantize(batch, params), params).to_vector()) {
      EXPECT_NEAR(value, -2.0f, histogram_bin + params.scale[0] / 2) << name;
    }
  }
}

TINYTORCH_TEST_FORMULA(ObserverRules, CloneKeepsWhatWasSeen,
                       "clone() copies the state: same name, batches_seen and qparams; "
                       "observing the clone leaves the original unchanged");
TEST(ObserverRules, CloneKeepsWhatWasSeen) {
  for (const auto& [name, make, spec] : all_observers()) {
    auto original = make();
    original->observe(Tensor::from_values({-1.0f, 3.0f, 0.5f, 2.0f}, {2, 2}));
    const auto copy = original->clone();
    EXPECT_EQ(copy->name(), name);
    EXPECT_EQ(copy->batches_seen(), 1) << name;
    EXPECT_EQ(copy->compute_qparams(spec), original->compute_qparams(spec)) << name;
    copy->observe(Tensor::from_values({-50.0f, 50.0f, 0.0f, 0.0f}, {2, 2}));
    EXPECT_EQ(original->max_seen(), 3.0f) << name << ": observing the clone changed the original";
  }
}

}  // namespace
}  // namespace tinytorch
