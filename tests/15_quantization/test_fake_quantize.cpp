// fake_quantize and the FakeQuantize module (fake_quantize.hpp): the forward is
// dequantize(quantize(x)) bit for bit; the backward is the masked straight-
// through estimator (2) — checked on hand-made values, against the derivative
// of the clipped identity by finite differences, and inside a small graph; the
// module observes in training mode only.
//
// Note: the true derivative of round() is 0 almost everywhere, so fake_quantize
// itself is NOT gradchecked (a finite difference would return 0, or a spike at a
// rounding threshold). The STE is checked against its own formula instead.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/gradcheck.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/fake_quantize.hpp"
#include "tinytorch/perf/quantize.hpp"

using namespace tinytorch;

namespace {

// Max relative error (gradcheck.hpp (4)) of a correct backward of a piecewise-linear function.
constexpr double kGradTolerance = 1e-3;

QParams per_tensor(QDType dtype, float scale, int32_t zero_point) {
  QParams p;
  p.dtype = dtype;
  p.scale = {scale};
  p.zero_point = {zero_point};
  return p;
}

// The same float32 bit patterns (stricter than ==, which equates 0 and −0).
void expect_bitwise_equal(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.shape(), expected.shape());
  const std::vector<float> a = actual.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(a[i]), std::bit_cast<uint32_t>(e[i])) << "element " << i << ": " << a[i]
                                                                              << " vs " << e[i];
  }
}

void expect_values_equal(const Tensor& t, const std::vector<float>& expected, const char* formula) {
  const std::vector<float> actual = t.to_vector();
  ASSERT_EQ(actual.size(), expected.size()) << formula;
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_EQ(actual[i], expected[i]) << formula << " [" << i << "]";
}

// int4, s = 0.5, z = 0: q ∈ [−8, 7], so x̂ ∈ [−4, 3.5]. Hand-made points, one per case of (2):
//   x      x/s    round   inside?   x̂
//  −5.0   −10     −10     no       −4      (below the range)
//  −4.25  −8.5    −8      yes      −4      (tie: half to even lands inside)
//  −4.0   −8      −8      yes      −4      (the lowest representable value)
//   0.3    0.6     1      yes       0.5
//   3.5    7       7      yes       3.5    (the highest representable value)
//   3.75   7.5     8      no        3.5    (tie: half to even lands outside)
//   3.76   7.52    8      no        3.5
//  10      20     20      no        3.5    (far above)
const std::vector<float> kHandX = {-5.0f, -4.25f, -4.0f, 0.3f, 3.5f, 3.75f, 3.76f, 10.0f};
const std::vector<float> kHandXHat = {-4.0f, -4.0f, -4.0f, 0.5f, 3.5f, 3.5f, 3.5f, 3.5f};
const std::vector<float> kHandInside = {0, 1, 1, 1, 1, 0, 0, 0};

}  // namespace

// ---- forward -------------------------------------------------------------------------

TINYTORCH_CONCEPT(FakeQuantizeForward, "fake quantization: quantize and dequantize at once, staying in float32",
                  "x_hat = s * (clamp(round(x / s) + z, q_min, q_max) - z) = dequantize(quantize(x)), round half to "
                  "even");

TEST(FakeQuantizeForward, EqualsDequantizeOfQuantizePerTensor) {
  // Range [−2, 3] chosen for data in [−3, 5): part of the data lies outside, so clamping is exercised too.
  Generator generator(15);
  const Tensor x = Tensor::uniform({3, 17}, -3.0f, 5.0f, generator);
  for (QDType dtype : {QDType::Int8, QDType::UInt8, QDType::Int4}) {
    for (QScheme scheme : {QScheme::Affine, QScheme::Symmetric}) {
      const QParams params = choose_qparams(-2.0f, 3.0f, QuantSpec{dtype, scheme, false, false, 0});
      SCOPED_TRACE(params.to_string());
      expect_bitwise_equal(fake_quantize(x, params), dequantize(quantize(x, params), params));
    }
  }
}

TEST(FakeQuantizeForward, EqualsDequantizeOfQuantizePerChannel) {
  // Each channel's range covers only part of its data: channel c gets [−(c+1)/2, (c+1)/2].
  Generator generator(16);
  for (int64_t axis : {0, 1, 2}) {
    const Tensor x = Tensor::uniform({5, 3, 17}, -2.0f, 2.0f, generator);
    const int64_t channels = x.size(axis);
    std::vector<float> mins, maxs;
    for (int64_t c = 0; c < channels; ++c) {
      mins.push_back(-0.5f * static_cast<float>(c + 1));
      maxs.push_back(0.5f * static_cast<float>(c + 1));
    }
    const QParams params =
        choose_qparams_per_channel(mins, maxs, QuantSpec{QDType::Int8, QScheme::Affine, false, true, axis});
    SCOPED_TRACE(params.to_string());
    expect_bitwise_equal(fake_quantize(x, params), dequantize(quantize(x, params), params));
  }
}

TINYTORCH_TEST_FORMULA(FakeQuantizeForward, HandComputedValues,
                       "int4, s = 0.5, z = 0: x_hat = 0.5 * clamp(round_half_even(x / 0.5), -8, 7), so x_hat in [-4, "
                       "3.5]");
TEST(FakeQuantizeForward, HandComputedValues) {
  // The x̂ column of the table above kHandX.
  const Tensor x = Tensor::from_values(kHandX);
  expect_values_equal(fake_quantize(x, per_tensor(QDType::Int4, 0.5f, 0)), kHandXHat, "x̂ = s·clamp(round(x/s))");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeForward, RecordsANodeOnlyWhenTheInputRequiresGrad,
                       "a FakeQuantizeBackward node is recorded only when x requires grad and grad mode is on");
TEST(FakeQuantizeForward, RecordsANodeOnlyWhenTheInputRequiresGrad) {
  const QParams params = per_tensor(QDType::Int8, 0.1f, 0);
  const Tensor constant = Tensor::from_values({0.3f, -0.2f});
  EXPECT_EQ(grad_fn(fake_quantize(constant, params)), nullptr);
  const Tensor leaf = Tensor::from_values({0.3f, -0.2f}).set_requires_grad();
  const Tensor y = fake_quantize(leaf, params);
  ASSERT_NE(grad_fn(y), nullptr);
  EXPECT_EQ(std::string(grad_fn(y)->name()), "FakeQuantizeBackward");
  NoGradGuard no_grad;
  EXPECT_EQ(grad_fn(fake_quantize(leaf, params)), nullptr);
}

// ---- backward: the straight-through estimator ------------------------------------------

TINYTORCH_CONCEPT(FakeQuantizeBackward,
                  "the straight-through estimator (STE): the gradient used for fake quantization",
                  "dL/dx = dL/dx_hat * 1[q_min <= round(x / s) + z <= q_max] (round treated as the identity inside "
                  "the range, 0 where the clamp acts)");

TEST(FakeQuantizeBackward, PassesTheGradientInsideTheRangeAndBlocksItOutside) {
  // L = Σ g_k x̂_k with g = 1..8: dL/dx = g · inside (the table above kHandX), exactly.
  Tensor x = Tensor::from_values(kHandX).set_requires_grad();
  const Tensor upstream = Tensor::from_values({1, 2, 3, 4, 5, 6, 7, 8});
  sum(fake_quantize(x, per_tensor(QDType::Int4, 0.5f, 0)) * upstream).backward();
  expect_values_equal(x.grad(), {0, 2, 3, 4, 5, 0, 0, 0}, "dx = g · 1[q_min ≤ round(x/s)+z ≤ q_max]");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeBackward, TheMaskFollowsTheZeroPoint,
                       "uint8, s = 0.1, z = 200: dx = 1[0 <= round(x / 0.1) + 200 <= 255], i.e. x in [-20.05, 5.55]");
TEST(FakeQuantizeBackward, TheMaskFollowsTheZeroPoint) {
  // uint8, s = 0.1, z = 200: q ∈ [0, 255] ⇔ round(x/0.1) ∈ [−200, 55] ⇔ x ∈ [−20.05, 5.55] (half to even at the ends).
  //   x = −20.1 -> −201 out;  −19.9 -> −199 in;  5.5 -> 55 in;  5.6 -> 56 out.
  Tensor x = Tensor::from_values({-20.1f, -19.9f, 5.5f, 5.6f}).set_requires_grad();
  sum(fake_quantize(x, per_tensor(QDType::UInt8, 0.1f, 200))).backward();
  expect_values_equal(x.grad(), {0, 1, 1, 0}, "dx = 1[0 ≤ round(x/0.1) + 200 ≤ 255]");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeBackward, PerChannelMasksUseEachChannelsRange,
                       "channel c along the axis: dx = 1[q_min <= round(x / s[c]) + z[c] <= q_max]");
TEST(FakeQuantizeBackward, PerChannelMasksUseEachChannelsRange) {
  // int8 (q ∈ [−128, 127]), z = 0. Axis 0 of (2,3): row 0 has s = 1 (x ∈ [−128, 127]), row 1 s = 0.1 (x ∈ [−12.8, 12.7]).
  //   row 0: 100 in, 130 out, −129 out;   row 1: 1 in, 13 -> 130 out, −12.8 -> −128 in.
  QParams rows = per_tensor(QDType::Int8, 1.0f, 0);
  rows.axis = 0;
  rows.scale = {1.0f, 0.1f};
  rows.zero_point = {0, 0};
  Tensor x = Tensor::from_values({100, 130, -129, 1, 13, -12.8f}, {2, 3}).set_requires_grad();
  sum(fake_quantize(x, rows)).backward();
  expect_values_equal(x.grad(), {1, 0, 0, 1, 0, 1}, "per-row mask");

  // Axis 1 of (2,2): column 0 s = 1, column 1 s = 0.1. x = [[50, 50], [−200, −5]] -> [[in, out], [out, in]].
  QParams columns = rows;
  columns.axis = 1;
  Tensor y = Tensor::from_values({50, 50, -200, -5}, {2, 2}).set_requires_grad();
  sum(fake_quantize(y, columns)).backward();
  expect_values_equal(y.grad(), {1, 0, 0, 1}, "per-column mask");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeBackward, MatchesTheDerivativeOfTheClippedIdentity,
                       "STE gradient = g * d clip(x, lo, hi)/dx with lo = s * (q_min - z), hi = s * (q_max - z)");
TEST(FakeQuantizeBackward, MatchesTheDerivativeOfTheClippedIdentity) {
  // The STE says: differentiate fake_quantize as if it were clip(x, lo, hi), the
  // identity clipped to the representable range lo = s(q_min − z), hi = s(q_max − z).
  // That surrogate is differentiable away from lo and hi, so gradcheck (finite
  // differences, module 05) can vouch for its derivative; the STE gradient must
  // then equal the surrogate's backward exactly, element by element.
  // int8, s = 0.05, z = 10: lo = 0.05·(−138) = −6.9, hi = 0.05·117 = 5.85. The data [−9, 8) has
  // points on both sides; none within 0.05 of lo or hi, where (2) and the clip differ by half a step.
  const float scale = 0.05f;
  const QParams params = per_tensor(QDType::Int8, scale, 10);
  const float lo = scale * (-128 - 10), hi = scale * (127 - 10);
  Generator generator(17);
  Tensor x = Tensor::uniform({63}, -9.0f, 8.0f, generator);
  float* values = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::abs(values[i] - lo) < scale || std::abs(values[i] - hi) < scale) values[i] += 3 * scale;
  }
  x.set_requires_grad();
  // clip(x, lo, hi) = lo + relu(x − lo) − relu(x − hi): built from differentiable ops.
  const auto clipped_identity = [lo, hi](const std::vector<Tensor>& in) {
    return relu(in[0] - lo) - relu(in[0] - hi) + lo;
  };
  EXPECT_LT(gradcheck(clipped_identity, {x}).worst(), kGradTolerance);

  // The same random upstream gradient through both.
  const Tensor upstream = Tensor::uniform({63}, -1.0f, 1.0f, generator);
  sum(clipped_identity({x}) * upstream).backward();
  const std::vector<float> surrogate_grad = x.grad().to_vector();  // a copy: zero_grad clears in place
  x.zero_grad();
  sum(fake_quantize(x, params) * upstream).backward();
  // == rather than bit patterns: outside the range one side gives +0, the other g·0 = −0.
  expect_values_equal(x.grad(), surrogate_grad, "STE gradient = d clip(x, lo, hi)/dx · g");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeBackward, TheTrueDerivativeIsZeroWhichIsWhyTheSTEIsNeeded,
                       "inside one rounding step (f(x + h) - f(x - h)) / 2h = 0; the STE gives 1 there");
TEST(FakeQuantizeBackward, TheTrueDerivativeIsZeroWhichIsWhyTheSTEIsNeeded) {
  // A central difference with h = s/100 at the middle of a rounding step: x ± h
  // round to the same q, so (f(x+h) − f(x−h)) / 2h = 0 — what gradcheck would
  // "expect" of the quantizer, and why it is not gradchecked. The STE gives 1 there.
  const float scale = 0.1f, h = scale / 100;
  const QParams params = per_tensor(QDType::Int8, scale, 0);
  const Tensor mid_step = Tensor::from_values({-1.0f, 0.3f, 2.0f});
  const std::vector<float> above = fake_quantize(Tensor::from_values({-1.0f + h, 0.3f + h, 2.0f + h}), params).to_vector();
  const std::vector<float> below = fake_quantize(Tensor::from_values({-1.0f - h, 0.3f - h, 2.0f - h}), params).to_vector();
  for (std::size_t i = 0; i < above.size(); ++i) EXPECT_EQ((above[i] - below[i]) / (2 * h), 0.0f) << i;
  Tensor x = mid_step.detach().set_requires_grad();
  sum(fake_quantize(x, params)).backward();
  expect_values_equal(x.grad(), {1, 1, 1}, "STE: dx = g inside the range");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeBackward, ChainsInAGraph,
                       "L = sum fq(x) * w: dL/dw = x_hat, dL/dx = w * 1[inside the range]");
TEST(FakeQuantizeBackward, ChainsInAGraph) {
  // L = Σ fake_quantize(x) · w with the hand-made x (int4, s = 0.5): dL/dw = x̂, dL/dx = w · inside.
  Tensor x = Tensor::from_values(kHandX).set_requires_grad();
  Tensor w = Tensor::from_values({1, -2, 3, -4, 5, -6, 7, -8}).set_requires_grad();
  sum(fake_quantize(x, per_tensor(QDType::Int4, 0.5f, 0)) * w).backward();
  expect_values_equal(w.grad(), kHandXHat, "dL/dw = x̂");
  expect_values_equal(x.grad(), {0, -2, 3, -4, 5, 0, 0, 0}, "dL/dx = w · inside");
}

// ---- errors --------------------------------------------------------------------------

TINYTORCH_CONCEPT(FakeQuantizeErrors, "what fake_quantize refuses",
                  "a NaN or Inf element -> ValueError naming fake_quantize and the element; scale <= 0 -> ValueError; "
                  "channel count != size(axis) -> ShapeError; a non-float32 input -> DTypeError");

TEST(FakeQuantizeErrors, NaNAndInfAreValueErrorsNamingTheOperation) {
  const QParams params = per_tensor(QDType::Int8, 0.1f, 0);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    try {
      fake_quantize(Tensor::from_values({0.0f, bad, 1.0f}), params);
      ADD_FAILURE() << "expected ValueError for " << bad;
    } catch (const ValueError& error) {
      EXPECT_NE(std::string(error.what()).find("fake_quantize"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("element 1"), std::string::npos) << error.what();
    }
  }
}

TEST(FakeQuantizeErrors, BadParamsAndDtypes) {
  const Tensor x = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_THROW(fake_quantize(x, per_tensor(QDType::Int8, 0.0f, 0)), ValueError);  // scale must be > 0
  QParams three_channels = per_tensor(QDType::Int8, 1.0f, 0);
  three_channels.axis = 0;  // size(0) is 2
  three_channels.scale = {1, 1, 1};
  three_channels.zero_point = {0, 0, 0};
  EXPECT_THROW(fake_quantize(x, three_channels), ShapeError);
  EXPECT_THROW(fake_quantize(Tensor::from_int32({1, 2}, {2}), per_tensor(QDType::Int8, 1.0f, 0)), DTypeError);
}

// ---- the module ----------------------------------------------------------------------

TINYTORCH_CONCEPT(FakeQuantizeModule,
                  "the FakeQuantize module: observe the batch in training mode, then fake-quantize it",
                  "training with observer on: observer.observe(x), then y = fake_quantize(x, observer's params); "
                  "moving average: first batch sets lo, hi, then lo <- (1 - c) * lo + c * min(batch), c = 0.01; eval "
                  "or observer off: range frozen; fake quant off: y = x");

TEST(FakeQuantizeModule, ObservesInTrainingModeThenFakeQuantizes) {
  Generator generator(18);
  const Tensor first = Tensor::uniform({4, 17}, -1.0f, 2.0f, generator);
  const Tensor second = Tensor::uniform({4, 17}, -3.0f, 1.0f, generator);
  FakeQuantize fq;  // activations: int8 affine per tensor, moving-average observer
  EXPECT_EQ(fq.name(), "FakeQuantize");
  EXPECT_EQ(fq.observer().name(), "moving_average");
  // The reference: the same observer shown the same batches, and (1) with its params after each.
  MovingAverageMinMaxObserver reference;
  for (const Tensor& batch : {first, second}) {
    const Tensor y = fq(batch);
    reference.observe(batch);
    const QParams expected = reference.compute_qparams(QuantSpec{});
    EXPECT_EQ(fq.qparams(), expected);
    expect_bitwise_equal(y, fake_quantize(batch, expected));
  }
  EXPECT_EQ(fq.observer().batches_seen(), 2);
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, EvalModeAndDisabledObserverFreezeTheRange,
                       "eval mode or enable_observer(false): y = fake_quantize(x, frozen params), batches_seen "
                       "unchanged");
TEST(FakeQuantizeModule, EvalModeAndDisabledObserverFreezeTheRange) {
  FakeQuantize fq;
  fq(Tensor::from_values({-1.0f, 1.0f}));
  const QParams frozen = fq.qparams();
  // A batch far outside [−1, 1]: in eval mode it is clamped to the frozen range, not observed.
  const Tensor wide = Tensor::from_values({-10.0f, 0.5f, 10.0f});
  fq.eval();
  expect_bitwise_equal(fq(wide), fake_quantize(wide, frozen));
  EXPECT_EQ(fq.observer().batches_seen(), 1);
  // Training mode with the observer switched off: same.
  fq.train();
  fq.enable_observer(false);
  expect_bitwise_equal(fq(wide), fake_quantize(wide, frozen));
  EXPECT_EQ(fq.observer().batches_seen(), 1);
  EXPECT_EQ(fq.qparams(), frozen);
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, DisabledFakeQuantReturnsTheInputButStillObserves,
                       "enable_fake_quant(false): y = x bit for bit, and the observer still counts the batch");
TEST(FakeQuantizeModule, DisabledFakeQuantReturnsTheInputButStillObserves) {
  FakeQuantize fq;
  fq.enable_fake_quant(false);
  const Tensor x = Tensor::from_values({0.123f, -0.456f, 0.789f});
  expect_bitwise_equal(fq(x), x);
  EXPECT_EQ(fq.observer().batches_seen(), 1);
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, EvalBeforeCalibrationIsAValueError,
                       "eval mode before any batch was observed: no range yet -> ValueError");
TEST(FakeQuantizeModule, EvalBeforeCalibrationIsAValueError) {
  FakeQuantize fq;
  fq.eval();
  EXPECT_THROW(fq(Tensor::from_values({1.0f})), ValueError);
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, PerChannelWeightsUseThePerChannelObserver,
                       "per-channel spec: PerChannelMinMax(axis 0) observer, params = quantize_tensor(W, "
                       "spec).params; every weight is inside its row's range, so dL/dW = 1");
TEST(FakeQuantizeModule, PerChannelWeightsUseThePerChannelObserver) {
  // Weights (out = 3, in = 17), symmetric narrow int8 per output row: after one observation
  // the params are exactly quantize_tensor's min-max choice for the same tensor.
  const QuantSpec weight_spec{QDType::Int8, QScheme::Symmetric, true, true, 0};
  FakeQuantize fq(weight_spec);
  EXPECT_EQ(fq.observer().name(), "per_channel_minmax");
  Generator generator(19);
  const Tensor weight = Tensor::uniform({3, 17}, -0.5f, 0.5f, generator).set_requires_grad();
  const Tensor y = fq(weight);
  const QParams expected = quantize_tensor(weight.detach(), weight_spec).params;
  EXPECT_EQ(fq.qparams(), expected);
  expect_bitwise_equal(y, fake_quantize(weight.detach(), expected));
  // The data's own range: nothing is clipped, so the STE passes every gradient.
  sum(y).backward();
  expect_values_equal(weight.grad(), std::vector<float>(51, 1.0f), "dw = 1 (all inside the observed range)");
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, NaNInputIsAValueErrorInBothModes,
                       "a NaN: training -> the observer throws ValueError (batch not counted); eval -> fake_quantize "
                       "throws ValueError");
TEST(FakeQuantizeModule, NaNInputIsAValueErrorInBothModes) {
  const Tensor bad = Tensor::from_values({0.0f, std::numeric_limits<float>::quiet_NaN()});
  FakeQuantize fq;
  EXPECT_THROW(fq(bad), ValueError);  // training: the observer rejects the batch
  EXPECT_EQ(fq.observer().batches_seen(), 0);
  fq(Tensor::from_values({-1.0f, 1.0f}));
  fq.eval();
  EXPECT_THROW(fq(bad), ValueError);  // eval: fake_quantize rejects it
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, CloneIsIndependent,
                       "a clone copies params, mode, switches and observer state; observing through it leaves the "
                       "original unchanged");
TEST(FakeQuantizeModule, CloneIsIndependent) {
  FakeQuantize fq;
  fq(Tensor::from_values({-1.0f, 1.0f}));
  fq.enable_fake_quant(false);
  fq.eval();
  const std::shared_ptr<Module> copy = fq.clone();
  auto& cloned = dynamic_cast<FakeQuantize&>(*copy);
  EXPECT_EQ(cloned.qparams(), fq.qparams());
  EXPECT_FALSE(cloned.is_training());
  EXPECT_FALSE(cloned.fake_quant_enabled());
  EXPECT_TRUE(cloned.observer_enabled());
  // Observing through the clone leaves the original's observer untouched.
  cloned.train();
  cloned(Tensor::from_values({-50.0f, 50.0f}));
  EXPECT_EQ(cloned.observer().batches_seen(), 2);
  EXPECT_EQ(fq.observer().batches_seen(), 1);
  EXPECT_NE(cloned.qparams(), fq.qparams());
}

TINYTORCH_TEST_FORMULA(FakeQuantizeModule, SummaryNamesTheSpecAndObserver,
                       "extra_repr = \"<dtype> <scheme> per-channel(axis a), observer=<name>, observer_enabled=<b>, "
                       "fake_quant_enabled=<b>\"");
TEST(FakeQuantizeModule, SummaryNamesTheSpecAndObserver) {
  const FakeQuantize fq(QuantSpec{QDType::Int8, QScheme::Symmetric, false, true, 0});
  EXPECT_EQ(fq.extra_repr(),
            "int8 symmetric per-channel(axis 0), observer=per_channel_minmax, observer_enabled=true, "
            "fake_quant_enabled=true");
}
