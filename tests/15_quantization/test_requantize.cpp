// test_requantize.cpp — the epilogues of the integer GEMM (requantize.hpp):
//   (6) quantize_multiplier: M = (M0 / 2^31) · 2^(−shift), M0 in [2^30, 2^31)
//   (7) fixed_point(x) = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, M0), shift)
//   (5) y = clamp(z_y + fixed_point(acc + q_b), q_min, q_max);  (4) y = scale · float(acc + q_b)
// Expected values are hand computations (each one's arithmetic in its comment),
// gemmlowp's definitions (fixedpoint.h), and exact integer rounding over many
// random values, which measures how far the two roundings of (7) stray from one.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/requantize.hpp"

namespace tinytorch {
namespace {

constexpr int32_t kQ30 = int32_t{1} << 30;  // 0.5 in Q31
// (6) keeps 31 significant bits: |M − fixed_point_value| ≤ M · 2^−31 (half a unit of M0 ≥ 2^30).
const double kMultiplierRelativeError = std::ldexp(1.0, -31);

// ---- (6) the multiplier ---------------------------------------------------------------------------

TINYTORCH_CONCEPT(QuantizeMultiplier,
                  "writing a real multiplier M as a 31-bit integer M0 and a shift, for integer-only requantization",
                  "M = frac * 2^exp with frac in [0.5, 1): M0 = round(frac * 2^31) in [2^30, 2^31), shift = -exp, "
                  "so M = (M0 / 2^31) * 2^(-shift)");

TEST(QuantizeMultiplier, HandComputedPairs) {
  // 0.5 = 0.5·2^0 -> M0 = 0.5·2^31 = 2^30, shift 0;  0.25 = 0.5·2^−1 -> 2^30, shift 1
  EXPECT_EQ(quantize_multiplier(0.5).multiplier, kQ30);
  EXPECT_EQ(quantize_multiplier(0.5).shift, 0);
  EXPECT_EQ(quantize_multiplier(0.25).multiplier, kQ30);
  EXPECT_EQ(quantize_multiplier(0.25).shift, 1);
  // 0.75 = 0.75·2^0 -> 0.75·2^31 = 1,610,612,736
  EXPECT_EQ(quantize_multiplier(0.75).multiplier, 1610612736);
  EXPECT_EQ(quantize_multiplier(0.75).shift, 0);
  // 1/3 = (2/3)·2^−1 -> round(2/3 · 2^31) = round(1,431,655,765.33) = 1,431,655,765, shift 1
  EXPECT_EQ(quantize_multiplier(1.0 / 3.0).multiplier, 1431655765);
  EXPECT_EQ(quantize_multiplier(1.0 / 3.0).shift, 1);
  // 0.002 = 0.512·2^−8 -> round(0.512·2^31) = round(1,099,511,627.776) = 1,099,511,628, shift 8
  EXPECT_EQ(quantize_multiplier(0.002).multiplier, 1099511628);
  EXPECT_EQ(quantize_multiplier(0.002).shift, 8);
  // M ≥ 1: 1.0 = 0.5·2^1 -> 2^30, shift −1 (a left shift);  3.5 = 0.875·2^2 -> 1,879,048,192, shift −2
  EXPECT_EQ(quantize_multiplier(1.0).multiplier, kQ30);
  EXPECT_EQ(quantize_multiplier(1.0).shift, -1);
  EXPECT_EQ(quantize_multiplier(3.5).multiplier, 1879048192);
  EXPECT_EQ(quantize_multiplier(3.5).shift, -2);
}

TINYTORCH_TEST_FORMULA(QuantizeMultiplier, RoundingUpToOneRenormalises,
                       "M0 = round(frac * 2^31) = 2^31 does not fit an int32: renormalise to M0 = 2^30, "
                       "shift - 1 (here 1.0 exactly)");
TEST(QuantizeMultiplier, RoundingUpToOneRenormalises) {
  // 1 − 2^−33 = (1 − 2^−33)·2^0: M0 = round(2^31 − 0.25) = 2^31, not an int32 -> 2^30 with shift −1,
  // i.e. exactly 1.0.
  const FixedPointMultiplier m = quantize_multiplier(1.0 - std::ldexp(1.0, -33));
  EXPECT_EQ(m.multiplier, kQ30);
  EXPECT_EQ(m.shift, -1);
  EXPECT_EQ(fixed_point_value(m), 1.0);
}

TINYTORCH_TEST_FORMULA(QuantizeMultiplier, ZeroAndTinyMultipliersGiveZero,
                       "M = 0 or M < 2^-32 (shift would exceed 31): M0 = 0, shift = 0, "
                       "since |x * M| < 1/2 rounds to 0 for every int32 x");
TEST(QuantizeMultiplier, ZeroAndTinyMultipliersGiveZero) {
  // M = 0, and M < 2^−32 (shift would exceed 31): |x·M| < 1/2 for every int32 x, so 0 is exact.
  EXPECT_EQ(quantize_multiplier(0.0).multiplier, 0);
  EXPECT_EQ(quantize_multiplier(1e-10).multiplier, 0);
  EXPECT_EQ(quantize_multiplier(1e-10).shift, 0);
  EXPECT_EQ(multiply_by_fixed_point(std::numeric_limits<int32_t>::max(), quantize_multiplier(1e-10)), 0);
}

TINYTORCH_TEST_FORMULA(QuantizeMultiplier, RejectsNegativeNonFiniteAndHuge,
                       "M must be finite and in [0, 2^31): negative, NaN, Inf or >= 2^31 throws ValueError");
TEST(QuantizeMultiplier, RejectsNegativeNonFiniteAndHuge) {
  EXPECT_THROW(quantize_multiplier(-0.5), ValueError);
  EXPECT_THROW(quantize_multiplier(std::nan("")), ValueError);
  EXPECT_THROW(quantize_multiplier(INFINITY), ValueError);
  EXPECT_THROW(quantize_multiplier(2147483648.0), ValueError);
}

TINYTORCH_TEST_FORMULA(QuantizeMultiplier, KeepsThirtyOneSignificantBits,
                       "M0 >= 2^30 and |M0 * 2^(-31 - shift) - M| <= M * 2^-31 (half a unit of M0)");
TEST(QuantizeMultiplier, KeepsThirtyOneSignificantBits) {
  Generator generator(1531);
  for (int i = 0; i < 10000; ++i) {
    const double real = std::ldexp(1.0 + generator.uniform(), static_cast<int>(generator.below(50)) - 31);  // [2^−31, 2^19)
    const FixedPointMultiplier m = quantize_multiplier(real);
    ASSERT_GE(m.multiplier, kQ30) << real;
    ASSERT_LE(std::abs(fixed_point_value(m) - real), real * kMultiplierRelativeError) << real;
  }
}

// ---- (7) gemmlowp's two roundings ---------------------------------------------------------------------

TINYTORCH_CONCEPT(FixedPointArithmetic, "gemmlowp's fixed-point multiply: x * M with two integer roundings",
                  "fixed_point(x) = rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, M0), shift); "
                  "high_mul(a, b) = round(a * b / 2^31), halves up; divide_by_pot(v, s) = round(v / 2^s), "
                  "halves away from 0");

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, DoublingHighMulHandCases,
                       "saturating_rounding_doubling_high_mul(a, b) = round(a * b / 2^31), halves up (-0.5 -> 0, "
                       "1.5 -> 2, -1.5 -> -1); (-2^31, -2^31) saturates to 2^31 - 1");
TEST(FixedPointArithmetic, DoublingHighMulHandCases) {
  // round(a·b / 2^31), halves up (gemmlowp: (a·b ± 2^30) / 2^31 truncated):
  EXPECT_EQ(saturating_rounding_doubling_high_mul(kQ30, kQ30), 1 << 29);  // 0.5 · 0.5 = 0.25 in Q31
  EXPECT_EQ(saturating_rounding_doubling_high_mul(1, kQ30), 1);           // 0.5 -> 1
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-1, kQ30), 0);          // −0.5 -> 0 (half up)
  EXPECT_EQ(saturating_rounding_doubling_high_mul(3, kQ30), 2);           // 1.5 -> 2
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-3, kQ30), -1);         // −1.5 -> −1
  EXPECT_EQ(saturating_rounding_doubling_high_mul(12345, 1099511628), 6321);  // 6320.64 -> 6321
  // (−1)·(−1) = +1 does not exist in Q31: the one saturating pair
  const int32_t lowest = std::numeric_limits<int32_t>::min();
  EXPECT_EQ(saturating_rounding_doubling_high_mul(lowest, lowest), std::numeric_limits<int32_t>::max());
}

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, RoundingDivideByPowerOfTwoHandCases,
                       "rounding_divide_by_pot(x, e) = round(x / 2^e), halves away from zero (2.5 -> 3, -2.5 -> -3, "
                       "-1.5 -> -2); e outside [0, 31] throws ValueError");
TEST(FixedPointArithmetic, RoundingDivideByPowerOfTwoHandCases) {
  // round(x / 2^e), halves away from zero
  EXPECT_EQ(rounding_divide_by_pot(5, 1), 3);    // 2.5
  EXPECT_EQ(rounding_divide_by_pot(-5, 1), -3);  // −2.5
  EXPECT_EQ(rounding_divide_by_pot(4, 1), 2);
  EXPECT_EQ(rounding_divide_by_pot(-4, 1), -2);
  EXPECT_EQ(rounding_divide_by_pot(7, 2), 2);    // 1.75
  EXPECT_EQ(rounding_divide_by_pot(-7, 2), -2);
  EXPECT_EQ(rounding_divide_by_pot(6, 2), 2);    // 1.5
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2);  // −1.5
  EXPECT_EQ(rounding_divide_by_pot(5, 2), 1);    // 1.25
  EXPECT_EQ(rounding_divide_by_pot(6321, 8), 25);  // 24.69
  EXPECT_EQ(rounding_divide_by_pot(-123, 0), -123);
  EXPECT_EQ(rounding_divide_by_pot(std::numeric_limits<int32_t>::max(), 31), 1);   // 0.99999
  EXPECT_EQ(rounding_divide_by_pot(std::numeric_limits<int32_t>::min(), 31), -1);  // −1
  EXPECT_EQ(rounding_divide_by_pot(kQ30, 31), 1);    // 0.5
  EXPECT_EQ(rounding_divide_by_pot(-kQ30, 31), -1);  // −0.5
  EXPECT_THROW(rounding_divide_by_pot(1, 32), ValueError);
  EXPECT_THROW(rounding_divide_by_pot(1, -1), ValueError);
}

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, WorkedExampleOfTheModuleText,
                       "M = 0.002 -> (M0 = 1099511628, shift 8); x = 12345: round(12345 * M0 / 2^31) = 6321, "
                       "round(6321 / 2^8) = 25 = round(12345 * 0.002); M = 3.5: 1000 * 4 * 0.875 = 3500");
TEST(FixedPointArithmetic, WorkedExampleOfTheModuleText) {
  // ABOUT.md §7: M = 0.002 -> (1,099,511,628, 8); x = 12345: 6320.64 -> 6321; 6321 / 256 = 24.69 -> 25,
  // equal to round(12345 · 0.002) = round(24.69) = 25.
  EXPECT_EQ(multiply_by_fixed_point(12345, quantize_multiplier(0.002)), 25);
  EXPECT_EQ(multiply_by_fixed_point(-12345, quantize_multiplier(0.002)), -25);
  // M = 3.5 (shift −2): 1000 · 4 = 4000, · 0.875 = 3500 exactly
  EXPECT_EQ(multiply_by_fixed_point(1000, quantize_multiplier(3.5)), 3500);
}

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, DoubleRoundingHandCase,
                       "M = 0.25 = (2^30, shift 1): x = 1: 0.5 -> 1, 1 / 2 -> 1 (one rounding would give 0); "
                       "x = 5: 2.5 -> 3, 3 / 2 -> 2; x = 3: 1.5 -> 2, 2 / 2 = 1; x = -1: -0.5 -> 0");
TEST(FixedPointArithmetic, DoubleRoundingHandCase) {
  // M = 0.25 = (2^30, 1), x = 1: the first rounding takes 0.5 to 1, the second 1/2 = 0.5 to 1 —
  // but 1 · 0.25 = 0.25 rounds to 0. x = 5: 2.5 -> 3, 3/2 = 1.5 -> 2, against round(1.25) = 1.
  // x = 3: 1.5 -> 2, 2/2 = 1 = round(0.75): no deviation.
  const FixedPointMultiplier quarter{kQ30, 1};
  EXPECT_EQ(multiply_by_fixed_point(1, quarter), 1);
  EXPECT_EQ(multiply_by_fixed_point(5, quarter), 2);
  EXPECT_EQ(multiply_by_fixed_point(3, quarter), 1);
  EXPECT_EQ(multiply_by_fixed_point(-1, quarter), 0);  // −0.5 -> 0 (half up), 0 = round(−0.25)
}

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, LeftShiftSaturates,
                       "shift < 0: x * 2^(-shift) saturates to int32 first: 2^30 * 4 -> 2^31 - 1, "
                       "* 0.875 -> 1879048191; -2^30 * 4 -> -2^31, * 0.875 = -1879048192");
TEST(FixedPointArithmetic, LeftShiftSaturates) {
  // M = 3.5: x = 2^30 · 4 overflows int32 and saturates to 2^31 − 1; · 0.875 -> 1,879,048,191.1 -> 1,879,048,191
  EXPECT_EQ(multiply_by_fixed_point(kQ30, quantize_multiplier(3.5)), 1879048191);
  EXPECT_EQ(multiply_by_fixed_point(-kQ30, quantize_multiplier(3.5)), -1879048192);  // −2^31 · 0.875
}

// round(t / 2^(31+s)) with ties away from zero, exactly (t = x·M0 needs 62 bits).
int64_t exact_rounded(__int128 t, int32_t s) {
  const __int128 d = static_cast<__int128>(1) << (31 + s);
  const __int128 magnitude = t < 0 ? -t : t;
  const __int128 q = (magnitude + d / 2) / d;
  return static_cast<int64_t>(t < 0 ? -q : q);
}

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, DeviatesFromOneRoundingOnlyNearTies,
                       "|fixed_point(x) - round(x * M0 / 2^(31 + s))| <= 1, and != 0 only when |2 x M0 - j * 2^(31 + "
                       "s)| <= 2^31 for an odd j (s >= 1), or on a negative exact tie (s = 0, then +1)");
TEST(FixedPointArithmetic, DeviatesFromOneRoundingOnlyNearTies) {
  // (7) rounds twice. For shift s ≥ 1 the first rounding moves x·M0/2^31 by at most 1/2, i.e.
  // the final quotient by at most 2^(−s−1), so (7) can differ from the single rounding of
  // x·M0 / 2^(31+s) only when that exact value lies within 2^(−s−1) of a half-integer —
  // in integers: |2·x·M0 − j·2^(31+s)| ≤ 2^31 for an odd j — and then by exactly 1.
  // For s ≤ 0 there is one rounding, halves up: it differs only on exact negative ties, by +1.
  Generator generator(1532);
  int64_t deviations = 0, ties_checked = 0;
  const int samples = 200000;
  for (int i = 0; i < samples; ++i) {
    const int32_t shift = static_cast<int32_t>(generator.below(32));
    const int32_t multiplier = kQ30 + static_cast<int32_t>(generator.below(uint64_t{1} << 30));
    int32_t x = static_cast<int32_t>(static_cast<uint32_t>(generator.next_u64()));
    if (i % 2 == 0) x >>= generator.below(31);  // small values too
    const FixedPointMultiplier m{multiplier, shift};
    const __int128 t = static_cast<__int128>(x) * multiplier;
    const int64_t got = multiply_by_fixed_point(x, m);
    const int64_t want = exact_rounded(t, shift);
    const int64_t difference = got - want;
    ASSERT_LE(std::abs(difference), 1) << "x=" << x << " M0=" << multiplier << " shift=" << shift;
    if (difference == 0) continue;
    ++deviations;
    if (shift == 0) {
      // a negative exact tie: t/2^31 = k + 1/2
      ASSERT_TRUE(t < 0 && (-t) % (static_cast<__int128>(1) << 31) == (static_cast<__int128>(1) << 30))
          << "x=" << x << " M0=" << multiplier;
      ASSERT_EQ(difference, 1);
    } else {
      const __int128 d = static_cast<__int128>(1) << (31 + shift);
      __int128 r = (2 * t) % (2 * d);
      if (r < 0) r += 2 * d;
      const __int128 distance = r > d ? r - d : d - r;  // to the nearest odd multiple of d
      ASSERT_LE(distance, static_cast<__int128>(1) << 31) << "x=" << x << " M0=" << multiplier << " shift=" << shift;
      ++ties_checked;
    }
  }
  // The window holds a fraction 2^−s of all values, so deviations are common for tiny shifts
  // (s = 1: x ≡ 1 mod 4 in DoubleRoundingHandCase) and rare for a layer's usual s ≈ 8–16.
  // Measured with this seed: about 1.6% of the samples over s = 0..31 deviate, every one by 1.
  RecordProperty("deviations_of_200000", static_cast<int>(deviations));
  EXPECT_GT(ties_checked, 0) << "no sample fell in the window: the test would not test the claim";
}

TINYTORCH_TEST_FORMULA(FixedPointArithmetic, WithinOneOfDoublePrecisionRounding,
                       "|multiply_by_fixed_point(x, quantize_multiplier(M)) - round(x * M)| <= 1 for M in [2^-24, 1)");
TEST(FixedPointArithmetic, WithinOneOfDoublePrecisionRounding) {
  // Against the real multiplier itself (not its 31-bit M0): round(x · M) in double, ties away.
  // The error of M0 adds at most |x·M|·2^−31 < 1/2 here, so the result is still within 1.
  Generator generator(1533);
  int max_deviation = 0;
  for (int i = 0; i < 100000; ++i) {
    const double real = std::ldexp(0.5 + 0.5 * generator.uniform(), -static_cast<int>(generator.below(24)));
    const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(generator.next_u64())) >> generator.below(31);
    const double exact = std::round(static_cast<double>(x) * real);
    const int64_t got = multiply_by_fixed_point(x, quantize_multiplier(real));
    const int deviation = static_cast<int>(std::abs(static_cast<double>(got) - exact));
    max_deviation = std::max(max_deviation, deviation);
    ASSERT_LE(deviation, 1) << "x=" << x << " M=" << real;
  }
  RecordProperty("max_deviation", max_deviation);
}

// ---- one output and the matrix references ---------------------------------------------------------------

TINYTORCH_CONCEPT(Requantize, "requantizing an int32 accumulator to a uint8/int8 output with integers only",
                  "y = clamp(z_y + fixed_point(sat32(acc + q_b[n]), M0[n], shift[n]), output_min, output_max), "
                  "M[n] = s_a * s_w[n] / s_y; a fused ReLU is output_min = z_y");

TINYTORCH_TEST_FORMULA(Requantize, OneOutputHandCases,
                       "y = clamp(z_y + round((acc + bias) * M), q_min, q_max): (100 + 0) * 0.5 + 128 = 178; "
                       "(121) * 0.5 = 60.5 -> 61 -> 189; -150 + 128 -> clamp 0 (ReLU: 128); "
                       "acc + bias beyond int32 saturates first");
TEST(Requantize, OneOutputHandCases) {
  const FixedPointMultiplier half = quantize_multiplier(0.5);
  // (100 + 0)·0.5 + 128 = 178
  EXPECT_EQ(requantize_one(100, 0, half, 128, 0, 255), 178);
  // (100 + 21)·0.5 = 60.5 -> 61 (away from zero); + 128 = 189
  EXPECT_EQ(requantize_one(100, 21, half, 128, 0, 255), 189);
  // (−300)·0.5 + 128 = −22 -> clamped to 0; with a fused ReLU (q_min = z_y = 128) -> 128
  EXPECT_EQ(requantize_one(-300, 0, half, 128, 0, 255), 0);
  EXPECT_EQ(requantize_one(-300, 0, half, 128, 128, 255), 128);
  // int8: (−300)·0.5 + 0 = −150 -> −128
  EXPECT_EQ(requantize_one(-300, 0, half, 0, -128, 127), -128);
  // acc + bias beyond int32 saturates before the multiply: (2^31 − 1)·0.5 -> 2^30 -> clamp 255
  EXPECT_EQ(requantize_one(std::numeric_limits<int32_t>::max(), 10, half, 0, 0, 255), 255);
}

TINYTORCH_CONCEPT(Dequantize, "dequantizing an int32 accumulator to float32, in QuantizedLinear's operation order",
                  "int32 bias: y = scale * float(int64(acc) + bias_s32); float bias: y = scale * float(acc) + "
                  "bias_f32 (multiply, then add: no FMA); no bias: y = scale * float(acc)");

TEST(Dequantize, OneOutputHandCasesAndOperationOrder) {
  const int32_t bias_steps = 1;
  const float bias_value = 0.25f;
  // 0.5 · float(3 + 1) = 2;  0.5 · 3 + 0.25 = 1.75;  0.5 · 3 = 1.5
  EXPECT_EQ(dequantize_one(3, 0.5f, &bias_steps, nullptr), 2.0f);
  EXPECT_EQ(dequantize_one(3, 0.5f, nullptr, &bias_value), 1.75f);
  EXPECT_EQ(dequantize_one(3, 0.5f, nullptr, nullptr), 1.5f);
  // the int32 sum happens in int64: (2^31 − 1) + 2^31 − 1 = 2^32 − 2, then rounds to float 2^32
  const int32_t big = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(dequantize_one(big, 1.0f, &big, nullptr), 4294967296.0f);
  // QuantizedLinear's order, written out: scale · float(acc) + bias, two roundings (no FMA)
  const float scale = 0.1f, bias = 0.3f;
  const int32_t acc = 7;
  EXPECT_EQ(std::bit_cast<uint32_t>(dequantize_one(acc, scale, nullptr, &bias)),
            std::bit_cast<uint32_t>(scale * static_cast<float>(acc) + bias));
}

TINYTORCH_TEST_FORMULA(Requantize, MatrixReferencesApplyEveryChannel,
                       "per column n: y[m, n] = clamp(z_y + fixed_point(acc[m, n] + bias[n], M[n]), min, "
                       "max) with M = 0.5, 0.25, 1, z_y = 10 -> [60, 36, 109, 7, 13, 9] (-3.5 -> -3, "
                       "halves up at shift 0); int8 z_y = -100: the same - 110; float: scale[n] * (acc + bias[n])");
TEST(Requantize, MatrixReferencesApplyEveryChannel) {
  // acc:(2, 3), multipliers 0.5, 0.25, 1.0 per channel, bias [0, 4, −1], z_y = 10
  const std::vector<int32_t> acc = {100, 100, 100, -7, 8, 0};
  std::vector<int32_t> multiplier, shift;
  for (double real : {0.5, 0.25, 1.0}) {
    multiplier.push_back(quantize_multiplier(real).multiplier);
    shift.push_back(quantize_multiplier(real).shift);
  }
  const std::vector<int32_t> bias = {0, 4, -1};
  const RequantizeEpilogue epilogue{multiplier, shift, bias, 10, 0, 255};
  std::vector<uint8_t> y(6);
  requantize_s32_to_u8_ref(2, 3, acc.data(), 3, epilogue, y.data(), 3);
  // row 0: 100·0.5 = 50 -> 60;  104·0.25 = 26 -> 36;  99·1 -> 109
  // row 1: −7·0.5 = −3.5, a tie: M = 0.5 has shift 0, so the only rounding is (7)'s first,
  //        halves up -> −3 -> 7;  12·0.25 = 3 -> 13;  −1 -> 9
  EXPECT_EQ(y, (std::vector<uint8_t>{60, 36, 109, 7, 13, 9}));
  std::vector<int8_t> s(6);
  const RequantizeEpilogue signed_epilogue{multiplier, shift, bias, -100, -128, 127};
  requantize_s32_to_s8_ref(2, 3, acc.data(), 3, signed_epilogue, s.data(), 3);
  // the same minus 110: 50 − 100 = −50, −74, −1, −103, −97, −101
  EXPECT_EQ(s, (std::vector<int8_t>{-50, -74, -1, -103, -97, -101}));
  std::vector<float> f(6);
  const std::vector<float> scale = {1.0f, 0.5f, 2.0f};
  dequantize_s32_to_f32_ref(2, 3, acc.data(), 3, {scale, bias, {}}, f.data(), 3);
  // 100, 104·0.5 = 52, 99·2 = 198;  −7, 12·0.5 = 6, −1·2 = −2
  EXPECT_EQ(f, (std::vector<float>{100.0f, 52.0f, 198.0f, -7.0f, 6.0f, -2.0f}));
}

TINYTORCH_TEST_FORMULA(Requantize, EpilogueChecksNameTheProblem,
                       "a span not of N values -> ShapeError \"multiplier holds 3 values; expected N = 2\"; "
                       "M0 neither 0 nor in [2^30, 2^31), zero point or [output_min, output_max] outside the type, "
                       "both biases -> ValueError; no scales -> ShapeError");
TEST(Requantize, EpilogueChecksNameTheProblem) {
  const std::vector<int32_t> acc(4, 0), multiplier(2, kQ30), shift(2, 0);
  std::vector<uint8_t> y(4);
  try {
    requantize_s32_to_u8_ref(2, 2, acc.data(), 2, {std::vector<int32_t>(3, kQ30), shift, {}, 0, 0, 255}, y.data(), 2);
    FAIL() << "expected ShapeError for 3 multipliers, N = 2";
  } catch (const ShapeError& error) {
    EXPECT_NE(std::string(error.what()).find("multiplier holds 3 values; expected N = 2"), std::string::npos)
        << error.what();
  }
  const std::vector<int32_t> bad_multiplier = {kQ30, kQ30 - 1};  // below 2^30: not (6)'s form
  EXPECT_THROW(requantize_s32_to_u8_ref(2, 2, acc.data(), 2, {bad_multiplier, shift, {}, 0, 0, 255}, y.data(), 2),
               ValueError);
  EXPECT_THROW(requantize_s32_to_u8_ref(2, 2, acc.data(), 2, {multiplier, shift, {}, 300, 0, 255}, y.data(), 2),
               ValueError);  // zero point outside uint8
  std::vector<int8_t> s(4);
  EXPECT_THROW(requantize_s32_to_s8_ref(2, 2, acc.data(), 2, {multiplier, shift, {}, 0, -129, 127}, s.data(), 2),
               ValueError);
  std::vector<float> f(4);
  const std::vector<float> scale(2, 1.0f), float_bias(2, 0.0f);
  const std::vector<int32_t> int_bias(2, 0);
  EXPECT_THROW(dequantize_s32_to_f32_ref(2, 2, acc.data(), 2, {scale, int_bias, float_bias}, f.data(), 2), ValueError);
  EXPECT_THROW(dequantize_s32_to_f32_ref(2, 2, acc.data(), 2, {{}, {}, {}}, f.data(), 2), ShapeError);
}

}  // namespace
}  // namespace tinytorch
