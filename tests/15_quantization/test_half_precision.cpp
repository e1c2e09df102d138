// FP16 / BF16 conversions (half_precision.hpp): the references against hand-computed bit
// patterns (1.0, the largest half, overflow, subnormals, ties to even, −0, NaN, Inf), every one
// of the 65536 patterns of each format round-tripped, RNE checked against the neighbouring
// representable values, and every SIMD path equal to the reference bit for bit over odd
// lengths. Paths the CPU lacks are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/half_precision.hpp"

namespace tinytorch {
namespace {

uint32_t bits_of(float value) { return std::bit_cast<uint32_t>(value); }
float float_from_bits(uint32_t bits) { return std::bit_cast<float>(bits); }

bool is_half_nan(uint16_t half) { return (half & 0x7C00) == 0x7C00 && (half & 0x03FF) != 0; }
bool is_bfloat16_nan(uint16_t bf16) { return (bf16 & 0x7F80) == 0x7F80 && (bf16 & 0x007F) != 0; }

// ---- float32 -> float16, hand-computed --------------------------------------------------------

TINYTORCH_CONCEPT(Float16Reference,
                  "float32 <-> IEEE float16 (1 sign bit, 5 exponent bits with bias 15, 10 mantissa bits)",
                  "value = (-1)^s * 1.m * 2^(e - 15), subnormal (-1)^s * 0.m * 2^-14; float32 -> float16 rounds to "
                  "nearest, ties to even; from 65520 up -> Inf; NaN stays a quiet NaN of the same sign");

TINYTORCH_TEST_FORMULA(Float16Reference, ExactValuesGiveTheirBitPatterns,
                       "bits = sign << 15 | (e + 15) << 10 | mantissa: 1 = 0x3C00, 65504 = 0x7BFF, 2^-14 = 0x0400, "
                       "2^-24 = 0x0001, -0 = 0x8000");
TEST(Float16Reference, ExactValuesGiveTheirBitPatterns) {
  // sign | 5-bit exponent (bias 15) | 10-bit mantissa
  EXPECT_EQ(float32_to_float16_bits(1.0f), 0x3C00);     // exponent 15, mantissa 0
  EXPECT_EQ(float32_to_float16_bits(-2.0f), 0xC000);    // sign, exponent 16
  EXPECT_EQ(float32_to_float16_bits(0.5f), 0x3800);     // exponent 14
  EXPECT_EQ(float32_to_float16_bits(65504.0f), 0x7BFF);  // the largest half: (2 − 2^-10) · 2^15
  EXPECT_EQ(float32_to_float16_bits(0x1p-14f), 0x0400);  // the smallest normal
  EXPECT_EQ(float32_to_float16_bits(0x1p-24f), 0x0001);  // the smallest subnormal
  EXPECT_EQ(float32_to_float16_bits(0x3FFp-24f), 0x03FF);  // the largest subnormal, 1023 · 2^-24
  EXPECT_EQ(float32_to_float16_bits(0.0f), 0x0000);
  EXPECT_EQ(float32_to_float16_bits(-0.0f), 0x8000);  // the sign of zero survives
}

TINYTORCH_TEST_FORMULA(Float16Reference, OverflowRoundsToInfinityFrom65520,
                       "65520 is the tie between 65504 (odd mantissa 0x3FF) and 2^16: RNE goes up to Inf 0x7C00; just "
                       "below 65520 -> 0x7BFF");
TEST(Float16Reference, OverflowRoundsToInfinityFrom65520) {
  // 65520 is halfway between 65504 (mantissa 0x3FF, odd) and 65536 (= Inf's slot): the tie goes up.
  EXPECT_EQ(float32_to_float16_bits(65520.0f), 0x7C00);
  EXPECT_EQ(float32_to_float16_bits(std::nextafter(65520.0f, 0.0f)), 0x7BFF);  // just below the tie
  EXPECT_EQ(float32_to_float16_bits(-1.0e6f), 0xFC00);
  EXPECT_EQ(float32_to_float16_bits(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(float32_to_float16_bits(-std::numeric_limits<float>::infinity()), 0xFC00);
}

TINYTORCH_TEST_FORMULA(Float16Reference, TiesRoundToEven,
                       "halfway between two float16 values -> the one with the even mantissa (step 2^-10 near 1, "
                       "2^-24 for subnormals); float32 subnormals -> +-0");
TEST(Float16Reference, TiesRoundToEven) {
  // Near 1 the half spacing is 2^-10. 1 + 2^-11 is halfway between 0x3C00 (even) and 0x3C01.
  EXPECT_EQ(float32_to_float16_bits(1.0f + 0x1p-11f), 0x3C00);
  // 1 + 3·2^-11 is halfway between 0x3C01 (odd) and 0x3C02 (even).
  EXPECT_EQ(float32_to_float16_bits(1.0f + 3 * 0x1p-11f), 0x3C02);
  // A hair above the tie rounds up.
  EXPECT_EQ(float32_to_float16_bits(1.0f + 0x1p-11f + 0x1p-23f), 0x3C01);
  // Subnormals: 2^-25 is halfway between 0 (even) and 2^-24; 3·2^-25 between 1·2^-24 and 2·2^-24.
  EXPECT_EQ(float32_to_float16_bits(0x1p-25f), 0x0000);
  EXPECT_EQ(float32_to_float16_bits(3 * 0x1p-25f), 0x0002);
  EXPECT_EQ(float32_to_float16_bits(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  // The largest subnormal + half a step (1023.5 · 2^-24) carries into the smallest normal 0x0400.
  EXPECT_EQ(float32_to_float16_bits(1023.5f * 0x1p-24f), 0x0400);
  // float32 subnormals are far below 2^-25: they become ±0.
  EXPECT_EQ(float32_to_float16_bits(float_from_bits(0x0000'0001)), 0x0000);
  EXPECT_EQ(float32_to_float16_bits(float_from_bits(0x8040'0000)), 0x8000);
}

TINYTORCH_TEST_FORMULA(Float16Reference, NanStaysAQuietNanOfTheSameSign,
                       "NaN -> sign | 0x7C00 | 0x0200 (quiet bit) | the top 10 payload bits, never Inf");
TEST(Float16Reference, NanStaysAQuietNanOfTheSameSign) {
  // Quiet NaN 0x7FC00000: top 10 payload bits 0x200 -> 0x7E00.
  EXPECT_EQ(float32_to_float16_bits(std::numeric_limits<float>::quiet_NaN()), 0x7E00);
  // A signalling NaN whose only payload bit is below the 10 that survive must not become Inf.
  EXPECT_EQ(float32_to_float16_bits(float_from_bits(0x7F80'0001)), 0x7E00);
  // Negative NaN with payload 0x7FE000 >> 13 = 0x3FF: sign, all ones.
  EXPECT_EQ(float32_to_float16_bits(float_from_bits(0xFFFF'E000)), 0xFFFF);
}

// ---- float16 -> float32, hand-computed --------------------------------------------------------

TINYTORCH_TEST_FORMULA(Float16Reference, HalfToFloatIsExact,
                       "float16 -> float32 is exact: (-1)^s * 1.m * 2^(e - 15); a signalling NaN gets the quiet bit "
                       "(0x7C01 -> 0x7FC02000)");
TEST(Float16Reference, HalfToFloatIsExact) {
  EXPECT_EQ(float16_bits_to_float32(0x3C00), 1.0f);
  EXPECT_EQ(float16_bits_to_float32(0x7BFF), 65504.0f);
  EXPECT_EQ(float16_bits_to_float32(0x0001), 0x1p-24f);
  EXPECT_EQ(float16_bits_to_float32(0x03FF), 1023 * 0x1p-24f);
  EXPECT_EQ(float16_bits_to_float32(0x3555), 0.333251953125f);  // (1 + 341/1024) / 4 = 1365/4096
  EXPECT_EQ(bits_of(float16_bits_to_float32(0x8000)), 0x8000'0000u);  // −0
  EXPECT_EQ(float16_bits_to_float32(0xFC00), -std::numeric_limits<float>::infinity());
  // Signalling NaN 0x7C01: payload 1 moves to bit 13, and the quiet bit 22 is set.
  EXPECT_EQ(bits_of(float16_bits_to_float32(0x7C01)), 0x7FC0'2000u);
}

// ---- bfloat16, hand-computed ------------------------------------------------------------------

TINYTORCH_CONCEPT(Bfloat16Reference,
                  "float32 <-> bfloat16 (the top 16 bits of a float32: 8 exponent bits, 7 mantissa bits)",
                  "bf16 = (bits + 0x7FFF + lsb) >> 16 with lsb = bit 16 (round to nearest, ties to even); NaN -> "
                  "(bits >> 16) | 0x0040; bf16 -> float32 = bits << 16");

TEST(Bfloat16Reference, TopSixteenBitsRoundedToNearestEven) {
  EXPECT_EQ(float32_to_bfloat16_bits(1.0f), 0x3F80);  // 0x3F800000 >> 16
  EXPECT_EQ(float32_to_bfloat16_bits(-2.0f), 0xC000);
  EXPECT_EQ(float32_to_bfloat16_bits(-0.0f), 0x8000);
  // Near 1 the bf16 spacing is 2^-7: 1 + 2^-8 is a tie between 0x3F80 (even) and 0x3F81.
  EXPECT_EQ(float32_to_bfloat16_bits(1.0f + 0x1p-8f), 0x3F80);
  EXPECT_EQ(float32_to_bfloat16_bits(1.0f + 3 * 0x1p-8f), 0x3F82);  // tie between 0x3F81 and 0x3F82 (even)
  EXPECT_EQ(float32_to_bfloat16_bits(1.0f + 0x1p-8f + 0x1p-23f), 0x3F81);  // above the tie
  // The same exponent as float32: 65520 and 1e30 are finite (no FP16-like overflow).
  EXPECT_EQ(float32_to_bfloat16_bits(65520.0f), 0x4780);  // 0x477FF000: dropped 0xF000 > 0x8000, rounds up
  // FLT_MAX 0x7F7FFFFF drops 0xFFFF > 0x8000: rounds up into Inf, as RNE must.
  EXPECT_EQ(float32_to_bfloat16_bits(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(float32_to_bfloat16_bits(-std::numeric_limits<float>::infinity()), 0xFF80);
  // float32 subnormals stay subnormal: 2^-130 = 0x00080000 -> 0x0008; 2^-149 rounds to 0.
  EXPECT_EQ(float32_to_bfloat16_bits(0x1p-130f), 0x0008);
  EXPECT_EQ(float32_to_bfloat16_bits(float_from_bits(0x0000'0001)), 0x0000);
  EXPECT_EQ(float32_to_bfloat16_bits(float_from_bits(0x0001'8000)), 0x0002);  // subnormal tie, 0x0001 odd -> 0x0002
}

TINYTORCH_TEST_FORMULA(Bfloat16Reference, NanNeverRoundsIntoInfinity,
                       "NaN is handled before the bias trick: (bits >> 16) | 0x0040, never Inf; bf16 -> float32 = "
                       "bits << 16");
TEST(Bfloat16Reference, NanNeverRoundsIntoInfinity) {
  // The bias trick alone: 0x7F80'0001 + 0x7FFF = 0x7F80'8000 -> 0x7F80 = Inf. The NaN rule keeps
  // it a NaN: top 16 bits with the quiet bit 0x0040.
  EXPECT_EQ(float32_to_bfloat16_bits(float_from_bits(0x7F80'0001)), 0x7FC0);
  EXPECT_EQ(float32_to_bfloat16_bits(float_from_bits(0xFFFF'FFFF)), 0xFFFF);  // no carry out either
  EXPECT_EQ(float32_to_bfloat16_bits(std::numeric_limits<float>::quiet_NaN()), 0x7FC0);
  EXPECT_EQ(bits_of(bfloat16_bits_to_float32(0x7F81)), 0x7F81'0000u);  // bf16 -> float32 is the plain shift
  EXPECT_EQ(bfloat16_bits_to_float32(0x3F80), 1.0f);
}

// ---- exhaustive: all 65536 patterns -----------------------------------------------------------

TINYTORCH_TEST_FORMULA(Float16Reference, EveryPatternConvertsToItsValueAndBack,
                       "for all 65536 h: f32(h) = (-1)^s * (1024 * [e > 0] + m) * 2^(max(e, 1) - 25) and f16(f32(h)) "
                       "= h (a signalling NaN comes back quiet)");
TEST(Float16Reference, EveryPatternConvertsToItsValueAndBack) {
  for (uint32_t pattern = 0; pattern <= 0xFFFF; ++pattern) {
    const auto half = static_cast<uint16_t>(pattern);
    const float value = float16_bits_to_float32(half);
    const int exponent = (half >> 10) & 0x1F;
    const int mantissa = half & 0x3FF;
    const double sign = (half & 0x8000) != 0 ? -1.0 : 1.0;
    if (exponent == 0x1F) {
      EXPECT_EQ(std::isnan(value), mantissa != 0) << std::hex << pattern;
    } else {
      // The value by definition: (implicit 1 unless subnormal).mantissa · 2^(max(exponent, 1) − 15).
      const double expected =
          sign * std::ldexp((exponent == 0 ? 0 : 1024) + mantissa, std::max(exponent, 1) - 15 - 10);
      ASSERT_EQ(static_cast<double>(value), expected) << std::hex << pattern;
      ASSERT_EQ(std::signbit(value), (half & 0x8000) != 0) << std::hex << pattern;
    }
    // Back to itself; the one normalisation: a signalling NaN comes back quiet (bit 9 set).
    const uint16_t expected_back = is_half_nan(half) ? static_cast<uint16_t>(half | 0x0200) : half;
    ASSERT_EQ(float32_to_float16_bits(value), expected_back) << std::hex << pattern;
  }
}

TINYTORCH_TEST_FORMULA(Bfloat16Reference, EveryPatternConvertsToItsValueAndBack,
                       "for all 65536 b: bits(f32(b)) = b << 16 and bf16(f32(b)) = b (a signalling NaN comes back "
                       "quiet)");
TEST(Bfloat16Reference, EveryPatternConvertsToItsValueAndBack) {
  for (uint32_t pattern = 0; pattern <= 0xFFFF; ++pattern) {
    const auto bf16 = static_cast<uint16_t>(pattern);
    const float value = bfloat16_bits_to_float32(bf16);
    ASSERT_EQ(bits_of(value), pattern << 16) << std::hex << pattern;  // the definition of bf16
    // Back to itself; a signalling NaN comes back quiet (bit 6 set).
    const uint16_t expected_back = is_bfloat16_nan(bf16) ? static_cast<uint16_t>(bf16 | 0x0040) : bf16;
    ASSERT_EQ(float32_to_bfloat16_bits(value), expected_back) << std::hex << pattern;
  }
}

TINYTORCH_TEST_FORMULA(Float16Reference, RandomFloatsRoundToTheNearestHalf,
                       "|f32(f16(x)) - x| <= the distance to either neighbouring float16; on a tie the mantissa is "
                       "even");
// RNE as a property: the chosen half is at least as close as both neighbours, and a tie picks
// the even mantissa. Checked on random finite floats within FP16's range (doubles are exact here).
TEST(Float16Reference, RandomFloatsRoundToTheNearestHalf) {
  std::mt19937 generator(15);
  std::uniform_int_distribution<uint32_t> any_bits(0, 0x477F'EFFFu);  // |x| from 0 to just below 65520
  for (int trial = 0; trial < 200000; ++trial) {
    const float x = float_from_bits(any_bits(generator));
    const uint16_t half = float32_to_float16_bits(x);
    const double error = std::abs(static_cast<double>(float16_bits_to_float32(half)) - x);
    for (int step : {-1, 1}) {
      const int neighbour = static_cast<int>(half & 0x7FFF) + step;
      if (neighbour < 0 || neighbour > 0x7BFF) continue;
      const double other = std::abs(static_cast<double>(float16_bits_to_float32(static_cast<uint16_t>(neighbour))) - x);
      ASSERT_LE(error, other) << std::hex << bits_of(x);
      if (error == other) {
        ASSERT_EQ(half & 1, 0) << "tie not to even at " << std::hex << bits_of(x);
      }
    }
  }
}

// ---- the SIMD paths equal the references -----------------------------------------------------

// The awkward lengths: below, at and above the 8- and 16-lane steps.
const std::vector<int64_t> kLengths = {1, 3, 7, 8, 9, 15, 16, 17, 63, 65, 257};
constexpr uint16_t kGuard = 0xA5A5;  // written after the output: a kernel must not touch it

// Random float32 patterns of every kind: normals of all sizes, float32 subnormals, FP16's
// subnormal and overflow ranges, exact FP16/BF16 ties, ±0, ±Inf, quiet and signalling NaN.
std::vector<float> mixed_floats(int64_t n, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<uint32_t> any_bits;
  std::uniform_int_distribution<int> kind(0, 9);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (float& value : values) {
    const uint32_t random = any_bits(generator);
    const uint32_t sign = random & 0x8000'0000u;
    switch (kind(generator)) {
      case 0: value = float_from_bits(sign | (random & 0x007F'FFFFu)); break;                 // float32 subnormal
      case 1: value = float_from_bits(sign | 0x7F80'0000u | (random & 0x003F'FFFFu) | 1u); break;  // signalling NaN
      case 2: value = float_from_bits(sign | 0x7FC0'0000u | (random & 0x003F'FFFFu)); break;      // quiet NaN
      case 3: value = float_from_bits(sign | 0x7F80'0000u); break;                                 // ±Inf
      case 4: value = float_from_bits(sign); break;                                                // ±0
      case 5: value = float_from_bits((random & 0xFFFF'0000u) | 0x8000u); break;  // BF16 tie (any exponent)
      case 6: value = float_from_bits(sign | (0x3300'0000u + (random & 0x05FF'FFFFu))); break;  // FP16 subnormal range
      case 7: value = float_from_bits(sign | (0x4700'0000u + (random & 0x00FF'FFFFu))); break;  // around 65504..
      default: value = float_from_bits(random); break;  // anything
    }
  }
  return values;
}

std::vector<uint16_t> mixed_halves(int64_t n, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<uint32_t> any_bits(0, 0xFFFF);
  std::vector<uint16_t> values(static_cast<std::size_t>(n));
  for (uint16_t& value : values) value = static_cast<uint16_t>(any_bits(generator));
  return values;
}

void expect_same_as_reference(Float32ToHalfKernel kernel, Float32ToHalfKernel reference, const char* name) {
  for (int64_t n : kLengths) {
    const std::vector<float> x = mixed_floats(n, static_cast<uint32_t>(n));
    std::vector<uint16_t> expected(static_cast<std::size_t>(n));
    std::vector<uint16_t> actual(static_cast<std::size_t>(n) + 1, 0);
    actual.back() = kGuard;
    reference(x.data(), n, expected.data());
    kernel(x.data(), n, actual.data());
    EXPECT_EQ(actual.back(), kGuard) << name << " wrote past n = " << n;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(actual[i], expected[i]) << name << " n=" << n << " i=" << i << " x bits=" << std::hex << bits_of(x[i]);
    }
  }
}

void expect_same_as_reference(HalfToFloat32Kernel kernel, HalfToFloat32Kernel reference, const char* name) {
  for (int64_t n : kLengths) {
    const std::vector<uint16_t> x = mixed_halves(n, static_cast<uint32_t>(n));
    std::vector<float> expected(static_cast<std::size_t>(n));
    std::vector<float> actual(static_cast<std::size_t>(n) + 1, 0.0f);
    actual.back() = float_from_bits(kGuard);
    reference(x.data(), n, expected.data());
    kernel(x.data(), n, actual.data());
    EXPECT_EQ(bits_of(actual.back()), kGuard) << name << " wrote past n = " << n;
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(bits_of(actual[i]), bits_of(expected[i])) << name << " n=" << n << " i=" << i;
    }
  }
}

// All 65536 inputs of a 16 -> 32 bit kernel at once (one call, so the SIMD body and tail both run).
void expect_all_patterns_same(HalfToFloat32Kernel kernel, HalfToFloat32Kernel reference, const char* name) {
  std::vector<uint16_t> patterns(65536);
  for (uint32_t i = 0; i < 65536; ++i) patterns[i] = static_cast<uint16_t>(i);
  std::vector<float> expected(65536), actual(65536);
  reference(patterns.data(), 65535, expected.data());  // 65535: not a multiple of 8 or 16
  kernel(patterns.data(), 65535, actual.data());
  for (uint32_t i = 0; i < 65535; ++i) ASSERT_EQ(bits_of(actual[i]), bits_of(expected[i])) << name << " " << std::hex << i;
}

TINYTORCH_CONCEPT(HalfPrecisionKernels,
                  "the SIMD conversion paths (F16C, AVX2, AVX-512 BF16) and which one is dispatched",
                  "every path gives the scalar reference's bits for every length (1 .. 257) and pattern and writes "
                  "nothing past n; scalar ISA -> \"ref\", avx2 -> \"f16c\" / \"avx2\", avx512vnni -> \"avx512bf16\" "
                  "where the CPU has it");

TEST(HalfPrecisionKernels, F16cMatchesTheReferenceBitForBit) {
  if (!half_f16c_supported()) GTEST_SKIP() << "no F16C/AVX2 on this CPU";
  expect_same_as_reference(float32_to_float16_f16c, float32_to_float16_ref, "f32->f16 f16c");
  expect_same_as_reference(float16_to_float32_f16c, float16_to_float32_ref, "f16->f32 f16c");
  expect_all_patterns_same(float16_to_float32_f16c, float16_to_float32_ref, "f16->f32 f16c");
}

TEST(HalfPrecisionKernels, Avx2Bfloat16MatchesTheReferenceBitForBit) {
  if (!half_f16c_supported()) GTEST_SKIP() << "no AVX2 on this CPU";
  expect_same_as_reference(float32_to_bfloat16_avx2, float32_to_bfloat16_ref, "f32->bf16 avx2");
  expect_same_as_reference(bfloat16_to_float32_avx2, bfloat16_to_float32_ref, "bf16->f32 avx2");
  expect_all_patterns_same(bfloat16_to_float32_avx2, bfloat16_to_float32_ref, "bf16->f32 avx2");
}

TEST(HalfPrecisionKernels, Avx512Bf16MatchesTheReferenceIncludingSubnormals) {
  if (!half_avx512bf16_supported()) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  expect_same_as_reference(float32_to_bfloat16_avx512bf16, float32_to_bfloat16_ref, "f32->bf16 avx512bf16");
  expect_same_as_reference(bfloat16_to_float32_avx512, bfloat16_to_float32_ref, "bf16->f32 avx512");
  expect_all_patterns_same(bfloat16_to_float32_avx512, bfloat16_to_float32_ref, "bf16->f32 avx512");
  // The case vcvtneps2bf16 alone gets wrong (it flushes subnormal inputs): 2^-130 -> 0x0008, not 0.
  const float subnormal = 0x1p-130f;
  uint16_t bf16 = 0;
  float32_to_bfloat16_avx512bf16(&subnormal, 1, &bf16);
  EXPECT_EQ(bf16, 0x0008);
}

TEST(HalfPrecisionKernels, DispatchedKernelsMatchTheReference) {
  const HalfKernels& kernels = half_kernels();
  expect_same_as_reference(kernels.to_float16, float32_to_float16_ref, kernels.float16_name);
  expect_same_as_reference(kernels.from_float16, float16_to_float32_ref, kernels.float16_name);
  expect_same_as_reference(kernels.to_bfloat16, float32_to_bfloat16_ref, kernels.bfloat16_name);
  expect_same_as_reference(kernels.from_bfloat16, bfloat16_to_float32_ref, kernels.bfloat16_name);
  // The rule of half_precision.hpp: a forced scalar path is scalar for these too; avx2 gives
  // F16C + the AVX2 bias trick; avx512vnni adds vcvtneps2bf16 where the CPU has it.
  const HalfKernels scalar = half_kernels_for(KernelIsa::Scalar);
  EXPECT_STREQ(scalar.float16_name, "ref");
  EXPECT_STREQ(scalar.bfloat16_name, "ref");
  if (half_f16c_supported()) {
    EXPECT_STREQ(half_kernels_for(KernelIsa::Avx2).float16_name, "f16c");
    EXPECT_STREQ(half_kernels_for(KernelIsa::Avx2).bfloat16_name, "avx2");
  }
  if (half_f16c_supported() && half_avx512bf16_supported()) {
    EXPECT_STREQ(half_kernels_for(KernelIsa::Avx512Vnni).bfloat16_name, "avx512bf16");
  }
}

// ---- tensors ----------------------------------------------------------------------------------

TINYTORCH_CONCEPT(HalfPrecisionTensors, "converting whole tensors to and from 16-bit floats",
                  "to_float16 / to_bfloat16 apply the reference to every element in logical order and keep the shape "
                  "(dtype Float16 / BFloat16); half_to_float32 widens exactly");

TEST(HalfPrecisionTensors, ConvertKeepingShapeAndValues) {
  const Tensor x = Tensor::from_values({1.0f, -2.0f, 0.5f, 65520.0f, 1.0f + 0x1p-8f, 0x1p-24f}, {2, 3});
  const Tensor half = to_float16(x);
  ASSERT_EQ(half.dtype(), DType::Float16);
  ASSERT_EQ(half.shape(), (Shape{2, 3}));
  // 1+2^-8 is exact in FP16 (10 mantissa bits): 0x3C00 + 2^-8/2^-10 = 0x3C04.
  const std::vector<uint16_t> expected_half = {0x3C00, 0xC000, 0x3800, 0x7C00, 0x3C04, 0x0001};
  for (std::size_t i = 0; i < expected_half.size(); ++i) EXPECT_EQ(half.data<uint16_t>()[i], expected_half[i]) << i;

  const Tensor bf16 = to_bfloat16(x);
  ASSERT_EQ(bf16.dtype(), DType::BFloat16);
  // 65520 = 0x477FF000 -> 0x4780 = 65536; 1+2^-8 is a tie -> 0x3F80; 2^-24 = 0x33800000 -> 0x3380.
  const std::vector<uint16_t> expected_bf16 = {0x3F80, 0xC000, 0x3F00, 0x4780, 0x3F80, 0x3380};
  for (std::size_t i = 0; i < expected_bf16.size(); ++i) EXPECT_EQ(bf16.data<uint16_t>()[i], expected_bf16[i]) << i;

  const Tensor back = half_to_float32(bf16);
  ASSERT_EQ(back.dtype(), DType::Float32);
  ASSERT_EQ(back.shape(), (Shape{2, 3}));
  EXPECT_EQ(back.data<float>()[3], 65536.0f);
  EXPECT_EQ(back.data<float>()[4], 1.0f);
  EXPECT_EQ(half_to_float32(half).data<float>()[4], 1.0f + 0x1p-8f);
}

TEST(HalfPrecisionTensors, NonContiguousInputIsReadInLogicalOrder) {
  // x:(2,3) transposed -> (3,2) view: logical order 1, 4, 2, 5, 3, 6.
  const Tensor x = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}).transpose(0, 1);
  const Tensor back = half_to_float32(to_float16(x));
  ASSERT_EQ(back.shape(), (Shape{3, 2}));
  const std::vector<float> expected = {1, 4, 2, 5, 3, 6};  // small integers are exact in FP16
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(back.data<float>()[i], expected[i]) << i;
}

TINYTORCH_TEST_FORMULA(HalfPrecisionTensors, WrongDtypeIsADTypeError,
                       "to_float16 / to_bfloat16 need float32, half_to_float32 needs float16 or bfloat16: else "
                       "DTypeError");
TEST(HalfPrecisionTensors, WrongDtypeIsADTypeError) {
  EXPECT_THROW(to_float16(Tensor::from_int32({1, 2}, {2})), DTypeError);
  EXPECT_THROW(to_bfloat16(Tensor::from_int32({1, 2}, {2})), DTypeError);
  EXPECT_THROW(half_to_float32(Tensor::from_values({1.0f, 2.0f})), DTypeError);
}

}  // namespace
}  // namespace tinytorch
