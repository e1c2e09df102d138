// Per-group symmetric INT4 weights (int4_weights.hpp):
//
//   s[n, g] = fp16( max |W[n, k in g]| / 7 )   (zero group: s = 1)              (1)
//   q[n, k] = clamp( round_half_even(W / s), −7, 7 )                            (2)
//   Ŵ[n, k] = s · q                                                             (3)
//
// Every expected value below is computed by hand from (1)–(3) and the float16
// format (10 mantissa bits); the comment beside it shows the arithmetic. The
// fake-quantize tests check the straight-through gradient's VALUES, inside the
// grid and where the clamp of (2) acts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/half_precision.hpp"
#include "tinytorch/perf/int4_weights.hpp"

#include "expect_error.hpp"

using namespace tinytorch;

namespace {

// Runs `call`, expects an exception of type E whose message holds every fragment.
using tinytorch::testing::expect_error;

Tensor row(const std::vector<float>& values) { return Tensor::from_values(values, {1, static_cast<int64_t>(values.size())}); }

}  // namespace

TINYTORCH_CONCEPT(Int4Weights, "per-group symmetric INT4 weights, two per byte",
                  "s[n, g] = fp16(max_{k in g} |W[n, k]| / 7) (a zero group: s = 1); q = clamp(round_half_even(W / "
                  "s), -7, 7); W_hat = s * q; stored as nibble q + 8, the low nibble holding the even k");

TINYTORCH_TEST_FORMULA(Int4Weights, ScaleIsMaxOverSevenRoundedToFloat16,
                       "s = fp16(max|w| / 7): 1/7 -> 1170 / 8192 (float16 steps by 2^-13 in [1/8, 1/4)); q = round(w "
                       "/ s)");
TEST(Int4Weights, ScaleIsMaxOverSevenRoundedToFloat16) {
  // max |w| = 1 -> 1/7 = 0.142857…; in [2^-3, 2^-2) float16 steps by 2^-13:
  // 0.142857 · 8192 = 1170.29 -> 1170, s = 1170 / 8192 = 0.142822265625.
  const Int4GroupedWeights w = quantize_int4_grouped(row({1.0f, -0.5f, 0.25f}), 16);
  EXPECT_EQ(w.scale(0, 0), 1170.0f / 8192.0f);
  EXPECT_EQ(w.scales[0], float32_to_float16_bits(1170.0f / 8192.0f));
  // q = round(w / s): 1/s = 7.0017 -> 7; −0.5/s = −3.5009 -> −4; 0.25/s = 1.7504 -> 2.
  EXPECT_EQ(w.value(0, 0), 7);
  EXPECT_EQ(w.value(0, 1), -4);
  EXPECT_EQ(w.value(0, 2), 2);
}

TINYTORCH_TEST_FORMULA(Int4Weights, RoundsHalfToEven,
                       "s = 1: q = round_half_even(w): 2.5 -> 2, -3.5 -> -4, 0.5 -> 0, 1.5 -> 2, -6.5 -> -6");
TEST(Int4Weights, RoundsHalfToEven) {
  // max 7 -> s = fp16(1) = 1 exactly, so q = round(w): ties go to the even neighbour.
  const Int4GroupedWeights w = quantize_int4_grouped(row({7.0f, 2.5f, -3.5f, 0.5f, -0.5f, 1.5f, -6.5f}), 16);
  ASSERT_EQ(w.scale(0, 0), 1.0f);
  const std::vector<int32_t> expected = {7, 2, -4, 0, 0, 2, -6};
  for (int64_t k = 0; k < 7; ++k) EXPECT_EQ(w.value(0, k), expected[static_cast<std::size_t>(k)]) << "k = " << k;
}

TINYTORCH_TEST_FORMULA(Int4Weights, NibbleLayoutLowNibbleIsEvenK,
                       "byte j = (q[2j] + 8) | (q[2j + 1] + 8) << 4; an odd K leaves the last high nibble 0");
TEST(Int4Weights, NibbleLayoutLowNibbleIsEvenK) {
  // s = 1 (max 7): q = [3, −2, 7] -> nibbles q + 8 = [11, 6, 15]. Byte 0 = 11 | 6 << 4 = 0x6B;
  // K = 3 is odd, so byte 1 holds k = 2 in its low nibble and 0 above: 0x0F.
  const Int4GroupedWeights w = quantize_int4_grouped(row({3.0f, -2.0f, 7.0f}), 16);
  ASSERT_EQ(w.bytes_per_row(), 2);
  EXPECT_EQ(w.packed, (std::vector<uint8_t>{0x6B, 0x0F}));
}

TINYTORCH_TEST_FORMULA(Int4Weights, RowsStartOnAByteBoundary, "row n starts at byte n * ceil(K / 2)");
TEST(Int4Weights, RowsStartOnAByteBoundary) {
  // K = 3: each row takes 2 bytes; row 1 = [−7, 0, 1] with s = 1 -> nibbles [1, 8, 9] -> 0x81, 0x09.
  const Tensor weight = Tensor::from_values({3, -2, 7, -7, 0, 1}, {2, 3});
  const Int4GroupedWeights w = quantize_int4_grouped(weight, 16);
  EXPECT_EQ(w.packed, (std::vector<uint8_t>{0x6B, 0x0F, 0x81, 0x09}));
  EXPECT_EQ(w.value(1, 0), -7);
}

TINYTORCH_TEST_FORMULA(Int4Weights, ZeroGroupHasScaleOneAndZeroLevels,
                       "a group of zeros: s = 1 (float16 0x3C00), q = 0 (nibble 8, byte 0x88)");
TEST(Int4Weights, ZeroGroupHasScaleOneAndZeroLevels) {
  // Group 0 (k < 16) all zero: s = 1 (float16 0x3C00), q = 0 (nibbles 8 -> bytes 0x88).
  std::vector<float> values(32, 0.0f);
  values[20] = 7.0f;
  const Int4GroupedWeights w = quantize_int4_grouped(row(values), 16);
  EXPECT_EQ(w.scales[0], 0x3C00);
  for (int64_t j = 0; j < 8; ++j) EXPECT_EQ(w.packed[static_cast<std::size_t>(j)], 0x88) << "byte " << j;
  EXPECT_EQ(w.value(0, 20), 7);
}

TINYTORCH_TEST_FORMULA(Int4Weights, PartialLastGroupUsesItsOwnMaximum,
                       "group g covers k in [g * G, min((g + 1) * G, K)): the short last group's s = fp16(its own "
                       "max|W| / 7)");
TEST(Int4Weights, PartialLastGroupUsesItsOwnMaximum) {
  // K = 20, group 16: groups [0, 16) and [16, 20). Group 0: max 7 -> s = 1. Group 1:
  // max 0.5 -> 0.5/7 = 0.0714286, float16 step 2^-14 in [2^-4, 2^-3): 1170.29 -> 1170, s = 1170/16384.
  std::vector<float> values(20, 1.0f);
  values[0] = 7.0f;
  values[16] = 0.5f;
  values[17] = -0.25f;
  values[18] = 0.0f;
  values[19] = 0.125f;
  const Int4GroupedWeights w = quantize_int4_grouped(row(values), 16);
  ASSERT_EQ(w.groups_per_row(), 2);
  EXPECT_EQ(w.scale(0, 0), 1.0f);
  EXPECT_EQ(w.scale(0, 1), 1170.0f / 16384.0f);
  // 0.5·16384/1170 = 7.0017 -> 7; −0.25 -> −3.5009 -> −4; 0 -> 0; 0.125 -> 1.7504 -> 2.
  EXPECT_EQ(w.value(0, 16), 7);
  EXPECT_EQ(w.value(0, 17), -4);
  EXPECT_EQ(w.value(0, 18), 0);
  EXPECT_EQ(w.value(0, 19), 2);
}

TINYTORCH_TEST_FORMULA(Int4Weights, ClampActsWhenFloat16RoundsTheScaleDown,
                       "a scale rounded down by fp16 can give |W| / s > 7.5: q = clamp(round(W / s), -7, 7)");
TEST(Int4Weights, ClampActsWhenFloat16RoundsTheScaleDown) {
  // max 1e-6: 1e-6/7 = 1.4286e-7 is a float16 subnormal (step 2^-24 = 5.96e-8):
  // 2.397 steps -> 2, s = 2^-23 = 1.1921e-7, so 1e-6/s = 8.39 rounds to 8: clamped to 7.
  const Int4GroupedWeights w = quantize_int4_grouped(row({1e-6f, -1e-6f, 5e-7f}), 16);
  EXPECT_EQ(w.scale(0, 0), std::ldexp(1.0f, -23));
  EXPECT_EQ(w.value(0, 0), 7);
  EXPECT_EQ(w.value(0, 1), -7);
  EXPECT_EQ(w.value(0, 2), 4);  // 5e-7 / 2^-23 = 4.19 -> 4
}

TINYTORCH_TEST_FORMULA(Int4Weights, ScaleThatUnderflowsFloat16BecomesSmallestPositive,
                       "fp16(max|W| / 7) = 0 with max|W| > 0 -> s = 2^-24, the smallest positive float16");
TEST(Int4Weights, ScaleThatUnderflowsFloat16BecomesSmallestPositive) {
  // max 1e-8: 1e-8/7 = 1.4e-9 rounds to float16 0; s = 2^-24 instead (no division by 0),
  // and 1e-8 / 2^-24 = 0.168 -> q = 0.
  const Int4GroupedWeights w = quantize_int4_grouped(row({1e-8f}), 16);
  EXPECT_EQ(w.scale(0, 0), std::ldexp(1.0f, -24));
  EXPECT_EQ(w.value(0, 0), 0);
}

TINYTORCH_TEST_FORMULA(Int4Weights, BitsPerWeightForEachGroupSize,
                       "bytes = N * ceil(K / 2) + 2 * N * ceil(K / g); bits per weight = 8 * bytes / (N * K) = 4 + 16 "
                       "/ g");
TEST(Int4Weights, BitsPerWeightForEachGroupSize) {
  // K = 256, N = 3: 128 bytes of nibbles per row + 2 bytes per group:
  // bits = 8 (N·K/2 + 2·N·K/g) / (N·K) = 4 + 16/g.
  Generator generator(3);
  const Tensor weight = Tensor::randn({3, 256}, 0, 1, generator);
  for (const auto& [group, bits] : std::vector<std::pair<int64_t, double>>{{16, 5.0}, {32, 4.5}, {64, 4.25}, {128, 4.125}}) {
    const Int4GroupedWeights w = quantize_int4_grouped(weight, group);
    EXPECT_EQ(w.bytes(), 3 * 128 + 2 * 3 * (256 / group)) << "group " << group;
    EXPECT_DOUBLE_EQ(w.bits_per_weight(), bits) << "group " << group;
  }
}

TINYTORCH_TEST_FORMULA(Int4Weights, MnistFirstLayerSizes,
                       "784 x 256 at g = 32: 256 * 392 = 100,352 nibble bytes + 256 * 25 * 2 = 12,800 scale bytes = "
                       "113,152 = 14.09% of 4 * 784 * 256");
TEST(Int4Weights, MnistFirstLayerSizes) {
  // The header's figures for 784x256 at group 32: 256 · 392 = 100,352 bytes of nibbles,
  // 256 · 25 groups · 2 = 12,800 bytes of scales; 113,152 / 802,816 = 14.09 % of float32.
  Generator generator(5);
  const Int4GroupedWeights w = quantize_int4_grouped(Tensor::randn({256, 784}, 0, 0.05f, generator), 32);
  EXPECT_EQ(w.packed.size(), 100352u);
  EXPECT_EQ(w.scales.size() * 2, 12800u);
  EXPECT_EQ(w.bytes(), 113152);
  EXPECT_NEAR(static_cast<double>(w.bytes()) / (4.0 * 784 * 256), 0.1409, 5e-5);
}

TINYTORCH_TEST_FORMULA(Int4Weights, RoundTripErrorWithinHalfAStepForEveryGroupSize,
                       "W_hat = s * q exactly, and |W - W_hat| <= s / 2");
TEST(Int4Weights, RoundTripErrorWithinHalfAStepForEveryGroupSize) {
  // Unclamped (2) is round to nearest: |W − Ŵ| <= s/2 for every weight. Odd K = 301
  // leaves a short last group for every group size.
  Generator generator(11);
  const Tensor weight = Tensor::randn({5, 301}, 0, 1, generator);
  const std::vector<float> values = weight.to_vector();
  for (int64_t group : {16, 32, 64, 128}) {
    const Int4GroupedWeights w = quantize_int4_grouped(weight, group);
    const std::vector<float> restored = dequantize_int4_grouped(w).to_vector();
    for (int64_t n = 0; n < 5; ++n) {
      for (int64_t k = 0; k < 301; ++k) {
        const auto i = static_cast<std::size_t>(n * 301 + k);
        // (3): Ŵ = s · q exactly.
        ASSERT_EQ(restored[i], w.scale(n, k / group) * static_cast<float>(w.value(n, k)));
        ASSERT_LE(std::fabs(values[i] - restored[i]), w.scale(n, k / group) / 2) << "group " << group;
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Int4Weights, DequantizeRowsMatchesTheWholeMatrix,
                       "dequantize_int4_rows_ref(rows a .. b) = rows a .. b of dequantize_int4_grouped");
TEST(Int4Weights, DequantizeRowsMatchesTheWholeMatrix) {
  Generator generator(12);
  const Int4GroupedWeights w = quantize_int4_grouped(Tensor::randn({7, 45}, 0, 1, generator), 16);
  const std::vector<float> whole = dequantize_int4_grouped(w).to_vector();
  std::vector<float> rows(3 * 45);
  dequantize_int4_rows_ref(w, 2, 5, rows.data());  // rows 2, 3, 4
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i], whole[2 * 45 + i]);
}

TINYTORCH_TEST_FORMULA(Int4Weights, BadGroupSizesAreRefused,
                       "group_size must be a multiple of 16 and >= 16: else ValueError naming the operation and the "
                       "size");
TEST(Int4Weights, BadGroupSizesAreRefused) {
  for (int64_t group : {0, 8, 24, 33, -16}) {
    const std::string expected = "group_size " + std::to_string(group);
    expect_error<ValueError>([&] { check_int4_group_size(group, "test_op"); },
                             {"test_op", expected.c_str(), "multiple of 16"});
  }
  expect_error<ValueError>([] { quantize_int4_grouped(row({1.0f}), 48 + 1); }, {"quantize_int4_grouped", "49"});
  EXPECT_NO_THROW(check_int4_group_size(48, "test_op"));
}

TINYTORCH_TEST_FORMULA(Int4Weights, NonFiniteWeightsAreRefusedByName,
                       "a NaN or Inf weight -> ValueError naming the operation and weight[n, k]");
TEST(Int4Weights, NonFiniteWeightsAreRefusedByName) {
  const Tensor nan_weight = Tensor::from_values({1, 2, 3, 4, 5, std::nanf("")}, {2, 3});
  expect_error<ValueError>([&] { quantize_int4_grouped(nan_weight, 16); },
                           {"quantize_int4_grouped", "weight[1, 2]", "nan"});
  const Tensor inf_weight = Tensor::from_values({std::numeric_limits<float>::infinity(), 0}, {1, 2});
  expect_error<ValueError>([&] { fake_quantize_int4_grouped(inf_weight, 16); },
                           {"fake_quantize_int4_grouped", "weight[0, 0]", "inf"});
}

TINYTORCH_TEST_FORMULA(Int4Weights, ScaleOverflowingFloat16IsRefused,
                       "max|W| / 7 > 65504 (the largest float16) -> ValueError naming the group and the row");
TEST(Int4Weights, ScaleOverflowingFloat16IsRefused) {
  // 1e6 / 7 = 142857 > 65504, the largest float16.
  expect_error<ValueError>([] { quantize_int4_grouped(row({1e6f, 1.0f}), 16); },
                           {"group 0 of row 0", "overflows float16"});
}

TINYTORCH_TEST_FORMULA(Int4Weights, BadDtypesAndShapesAreRefused,
                       "the weight must be float32 (else DTypeError) and 2-D with at least one row (else ShapeError)");
TEST(Int4Weights, BadDtypesAndShapesAreRefused) {
  expect_error<DTypeError>([] { quantize_int4_grouped(Tensor::from_int32({1, 2}, {1, 2}), 16); },
                           {"quantize_int4_grouped", "int32", "expected float32"});
  expect_error<ShapeError>([] { quantize_int4_grouped(Tensor::from_values({1, 2, 3}), 16); },
                           {"quantize_int4_grouped", "(3,)", "2-D"});
  expect_error<ShapeError>([] { quantize_int4_grouped(Tensor::zeros({0, 4}), 16); }, {"(0, 4)"});
}

TINYTORCH_TEST_FORMULA(Int4Weights, AccessorsCheckTheirIndices,
                       "value(n, k) needs n < N and k < K, scale(n, g) needs g < groups_per_row: else IndexError");
TEST(Int4Weights, AccessorsCheckTheirIndices) {
  const Int4GroupedWeights w = quantize_int4_grouped(row({1.0f, 2.0f}), 16);
  expect_error<IndexError>([&] { (void)w.value(0, 2); }, {"value", "(0, 2)", "(1, 2)"});
  expect_error<IndexError>([&] { (void)w.value(-1, 0); }, {"value"});
  expect_error<IndexError>([&] { (void)w.scale(0, 1); }, {"scale", "(0, 1)"});
}

// ---- fake quantization (QAT) ---------------------------------------------------------------------

TINYTORCH_CONCEPT(FakeQuantizeInt4Grouped, "int4 grouped fake quantization, for quantization-aware training",
                  "forward: W_hat = s * clamp(round(W / s), -7, 7) with s recomputed from the current W; backward: "
                  "dL/dW = dL/dW_hat * 1[-7 <= round(W / s) <= 7]");

TINYTORCH_TEST_FORMULA(FakeQuantizeInt4Grouped, ForwardIsDequantizeOfQuantizeBitForBit,
                       "fake_quantize_int4_grouped(W) = dequantize_int4_grouped(quantize_int4_grouped(W)) bit for bit");
TEST(FakeQuantizeInt4Grouped, ForwardIsDequantizeOfQuantizeBitForBit) {
  Generator generator(21);
  const Tensor weight = Tensor::randn({9, 67}, 0, 0.1f, generator);
  for (int64_t group : {16, 32, 64}) {
    const std::vector<float> fake = fake_quantize_int4_grouped(weight, group).to_vector();
    const std::vector<float> reference = dequantize_int4_grouped(quantize_int4_grouped(weight, group)).to_vector();
    ASSERT_EQ(fake, reference) << "group " << group;
  }
}

TINYTORCH_TEST_FORMULA(FakeQuantizeInt4Grouped, StraightThroughGradientInsideTheGrid,
                       "inside the clamp the STE is the identity: dL/dW = upstream exactly");
TEST(FakeQuantizeInt4Grouped, StraightThroughGradientInsideTheGrid) {
  // L = Σ c ⊙ fq(W). Inside the clamp the STE is the identity: dL/dW = c exactly.
  Tensor weight = Tensor::from_values({0.7f, -0.31f, 0.05f, 0.0f, -0.7f, 0.2f}, {2, 3});
  weight.set_requires_grad();
  const Tensor upstream = Tensor::from_values({0.3f, -1.2f, 2.0f, 0.5f, -0.25f, 4.0f}, {2, 3});
  Tensor loss = sum(fake_quantize_int4_grouped(weight, 16) * upstream);
  loss.backward();
  EXPECT_EQ(weight.grad().to_vector(), upstream.to_vector());
}

TEST(FakeQuantizeInt4Grouped, GradientIsBlockedWhereTheClampActs) {
  // Row 0 is the subnormal-scale group of ClampActsWhenFloat16RoundsTheScaleDown:
  // round(w/s) = 8.39 -> 8 and −8 are outside [−7, 7] (gradient 0); 5e-7 -> 4 is inside.
  // Row 1 (max 7, s = 1) is inside everywhere.
  Tensor weight = Tensor::from_values({1e-6f, -1e-6f, 5e-7f, 7.0f, -3.0f, 0.5f}, {2, 3});
  weight.set_requires_grad();
  const Tensor upstream = Tensor::from_values({1.5f, -2.0f, 3.0f, 0.25f, -1.0f, 8.0f}, {2, 3});
  Tensor loss = sum(fake_quantize_int4_grouped(weight, 16) * upstream);
  loss.backward();
  EXPECT_EQ(weight.grad().to_vector(), (std::vector<float>{0.0f, 0.0f, 3.0f, 0.25f, -1.0f, 8.0f}));
}

TINYTORCH_TEST_FORMULA(FakeQuantizeInt4Grouped, RecordsNothingWithoutRequiresGrad,
                       "a FakeQuantizeInt4GroupedBackward node only when W requires grad");
TEST(FakeQuantizeInt4Grouped, RecordsNothingWithoutRequiresGrad) {
  const Tensor out = fake_quantize_int4_grouped(row({1.0f, 2.0f}), 16);
  EXPECT_EQ(grad_fn(out), nullptr);
  EXPECT_FALSE(out.requires_grad());
  Tensor weight = row({1.0f, 2.0f});
  weight.set_requires_grad();
  EXPECT_STREQ(grad_fn(fake_quantize_int4_grouped(weight, 16))->name(), "FakeQuantizeInt4GroupedBackward");
}
