// The activation kernels (quantize_kernels.hpp): every path — ref, avx2, avx512 — gives
// the bytes of quantize() (quantize.hpp (1)) exactly, over odd lengths, ties, both
// clamping ends and zero points at the edges of the range; min/max equals a plain
// recount to the bit; NaN and ±Inf anywhere are reported. SIMD paths the CPU lacks are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/quantize.hpp"
#include "tinytorch/perf/quantize_kernels.hpp"

namespace tinytorch {
namespace {

// The awkward lengths (STYLE 4): below, at and above the 8/16/32-lane steps, and a 784·3 batch.
const std::vector<int64_t> kLengths = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 257, 784 * 3};

struct Path {
  KernelIsa isa;
  const char* name;
};
const std::vector<Path> kPaths = {{KernelIsa::Scalar, "ref"}, {KernelIsa::Avx2, "avx2"}, {KernelIsa::Avx512Vnni, "avx512"}};

TINYTORCH_CONCEPT(ActivationKernels,
                  "the activation kernels (ref, avx2, avx512): float32 -> uint8 quantization and min/max, "
                  "equal to quantize() bit for bit",
                  "q[i] = clamp(round_half_even(x[i] / s) + z, q_min, q_max) with a true division and the clamp in "
                  "float; min/max = the exact min_i x[i], max_i x[i] (+0 for zero); "
                  "NaN/Inf anywhere -> all_finite = false");

class ActivationKernels : public ::testing::TestWithParam<Path> {
 protected:
  void SetUp() override {
    if (!kernel_isa_supported(GetParam().isa)) GTEST_SKIP() << GetParam().name << " is not supported by this CPU";
    kernels_ = quantize_kernels_for(GetParam().isa);
  }
  QuantizeKernels kernels_;
};

QParams per_tensor(QDType dtype, float scale, int32_t zero_point, bool narrow = false) {
  QParams params;
  params.dtype = dtype;
  params.narrow_range = narrow;
  params.scale = {scale};
  params.zero_point = {zero_point};
  return params;
}

// quantize() of the existing scalar code, as uint8 bytes (int8/int4 shifted by +128, like the GEMM's input).
std::vector<uint8_t> expected_bytes(const std::vector<float>& x, const QParams& params) {
  const Tensor q = quantize(Tensor::from_values(x), params);
  std::vector<uint8_t> bytes;
  const int32_t shift = params.dtype == QDType::UInt8 ? 0 : 128;
  for (int32_t value : q.to_int32_vector()) bytes.push_back(static_cast<uint8_t>(value + shift));
  return bytes;
}

// The kernel on x, read from a buffer one float past a 64-byte boundary (unaligned loads),
// writing one byte past one (unaligned stores), with guard bytes after the output.
std::vector<uint8_t> run_quantize(const QuantizeKernels& kernels, const std::vector<float>& x, const QParams& params,
                                  bool& all_finite) {
  constexpr uint8_t kGuard = 0xA5;
  std::vector<float> input = {0.0f};
  input.insert(input.end(), x.begin(), x.end());
  std::vector<uint8_t> output(x.size() + 1 + 16, kGuard);
  all_finite = kernels.quantize(input.data() + 1, static_cast<int64_t>(x.size()), uint8_quant_params(params),
                                output.data() + 1);
  for (std::size_t i = x.size() + 1; i < output.size(); ++i) EXPECT_EQ(output[i], kGuard) << "wrote past the end";
  return std::vector<uint8_t>(output.begin() + 1, output.begin() + 1 + static_cast<long>(x.size()));
}

std::vector<float> randn(int64_t n, float std, uint64_t seed) {
  Generator generator(seed);
  return Tensor::randn({n}, 0.0f, std, generator).to_vector();
}

TINYTORCH_TEST_FORMULA(ActivationKernels, MatchesQuantizeBitForBitOverOddLengths,
                       "every byte == quantize(x, params) (int8/int4 shifted by +128): q = clamp(round_half_even(x / "
                       "s) + z, q_min, q_max)");
TEST_P(ActivationKernels, MatchesQuantizeBitForBitOverOddLengths) {
  // Values N(0, 3) against grids that clip some of them: uint8 affine with z in the middle and at
  // both edges, uint8 narrow, int8 symmetric, int4 — the bytes must equal quantize()'s.
  const std::vector<std::pair<std::string, QParams>> grids = {
      {"uint8 z=128", per_tensor(QDType::UInt8, 0.05f, 128)},
      {"uint8 z=0", per_tensor(QDType::UInt8, 0.037f, 0)},
      {"uint8 z=255", per_tensor(QDType::UInt8, 0.02f, 255)},
      {"uint8 narrow z=1", per_tensor(QDType::UInt8, 0.031f, 1, true)},
      {"int8 z=0", per_tensor(QDType::Int8, 0.013f, 0)},
      {"int8 narrow z=-127", per_tensor(QDType::Int8, 0.07f, -127, true)},
      {"int4 z=3", per_tensor(QDType::Int4, 0.4f, 3)},
  };
  uint64_t seed = 1600;
  for (int64_t n : kLengths) {
    const std::vector<float> x = randn(n, 3.0f, ++seed);
    for (const auto& [name, params] : grids) {
      bool all_finite = false;
      const std::vector<uint8_t> got = run_quantize(kernels_, x, params, all_finite);
      EXPECT_TRUE(all_finite) << name << ", n=" << n;
      const std::vector<uint8_t> want = expected_bytes(x, params);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(got[static_cast<std::size_t>(i)], want[static_cast<std::size_t>(i)])
            << GetParam().name << ", " << name << ", n=" << n << ", element " << i << " x=" << x[static_cast<std::size_t>(i)]
            << ": q = clamp(round_half_even(x / s) + z, q_min, q_max)";
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, TiesRoundHalfToEven,
                       "s = 0.25, z = 100, x / s = k + 0.5 rounds to the even neighbour: 0.5 -> 0, 1.5 -> 2, "
                       "2.5 -> 2, 3.5 -> 4 (and negatives alike); q = that + 100");
TEST_P(ActivationKernels, TiesRoundHalfToEven) {
  // s = 0.25 (a power of two: x / s is exact), x = (k + 0.5)·s, z = 100:
  //   x/s = k + 0.5 rounds to the even neighbour: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4,
  //   −0.5 -> −0, −1.5 -> −2, −2.5 -> −2, −3.5 -> −4;  q = that + 100.
  const std::vector<float> halves = {0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f, -3.5f};
  const std::vector<int32_t> rounded = {0, 2, 2, 4, 0, -2, -2, -4};
  for (int64_t n : kLengths) {
    std::vector<float> x;
    std::vector<uint8_t> want;
    for (int64_t i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(i) % halves.size();
      x.push_back(halves[j] * 0.25f);
      want.push_back(static_cast<uint8_t>(rounded[j] + 100));
    }
    bool all_finite = false;
    const std::vector<uint8_t> got = run_quantize(kernels_, x, per_tensor(QDType::UInt8, 0.25f, 100), all_finite);
    ASSERT_EQ(got, want) << GetParam().name << ", n=" << n;
    ASSERT_EQ(got, expected_bytes(x, per_tensor(QDType::UInt8, 0.25f, 100))) << "quantize() agrees";
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, DividesByTheScaleRatherThanMultiplyingByItsInverse,
                       "q uses round(x / s), one rounding, not round(x * (1 / s)), "
                       "two: on the x where they differ (s = 0.1) the kernel must give quantize()'s division answer");
TEST_P(ActivationKernels, DividesByTheScaleRatherThanMultiplyingByItsInverse) {
  // x · (1/s) rounds twice (1/s, then the product) and x / s once, so near a half-integer the two
  // can round to different integers. Collect such x for s = 0.1 (1/s is inexact in float) — the
  // kernel must give the division's answer, as quantize() does.
  const float scale = 0.1f;
  const float inverse = 1.0f / scale;
  std::vector<float> x;
  for (int k = -1000; k <= 1000 && x.size() < 64; ++k) {
    const float middle = (static_cast<float>(k) + 0.5f) * scale;
    float candidate = std::nextafter(middle, -1e9f);  // the float below the middle, the middle, three above
    for (int step = 0; step < 5; ++step, candidate = std::nextafter(candidate, 1e9f)) {
      if (std::nearbyint(candidate / scale) != std::nearbyint(candidate * inverse)) x.push_back(candidate);
    }
  }
  ASSERT_GE(x.size(), 8u) << "no x found where x/s and x·(1/s) round apart; choose another scale";
  const QParams grid = per_tensor(QDType::UInt8, scale, 128);
  bool all_finite = false;
  const std::vector<uint8_t> got = run_quantize(kernels_, x, grid, all_finite);
  const std::vector<uint8_t> want = expected_bytes(x, grid);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << GetParam().name << ": x=" << x[i] << ", x/s=" << x[i] / scale
                               << ", x·(1/s)=" << x[i] * inverse;
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, ClampsAtBothEndsEvenWhenTheDivisionOverflows,
                       "s = 0.1, z = 10: -5 -> -50 + 10 -> 0, 30 -> 310 -> 255; "
                       "+-3e38 / 1e-3 = +-Inf still clamps to 255 / 0 (and is finite input); narrow [1, 255]: -5 -> 1");
TEST_P(ActivationKernels, ClampsAtBothEndsEvenWhenTheDivisionOverflows) {
  // s = 0.1, z = 10, uint8: x = −5 -> round(−50) + 10 = −40 -> 0;  x = 30 -> 310 -> 255;
  // x = ±3e38 with s = 1e-3: x / s overflows to ±Inf in float, still clamped to 0 / 255;
  // narrow uint8 [1, 255]: x = −5 -> 1.
  const QParams grid = per_tensor(QDType::UInt8, 0.1f, 10);
  const QParams tiny = per_tensor(QDType::UInt8, 1e-3f, 10);
  const QParams narrow = per_tensor(QDType::UInt8, 0.1f, 10, true);
  for (int64_t n : kLengths) {
    bool all_finite = false;
    const auto every = [n](float value) { return std::vector<float>(static_cast<std::size_t>(n), value); };
    const auto bytes = [n](int value) { return std::vector<uint8_t>(static_cast<std::size_t>(n), static_cast<uint8_t>(value)); };
    EXPECT_EQ(run_quantize(kernels_, every(-5.0f), grid, all_finite), bytes(0)) << n;
    EXPECT_EQ(run_quantize(kernels_, every(30.0f), grid, all_finite), bytes(255)) << n;
    EXPECT_EQ(run_quantize(kernels_, every(3e38f), tiny, all_finite), bytes(255)) << n;
    EXPECT_TRUE(all_finite) << "3e38 is finite, even if 3e38 / 1e-3 is not";
    EXPECT_EQ(run_quantize(kernels_, every(-3e38f), tiny, all_finite), bytes(0)) << n;
    EXPECT_EQ(run_quantize(kernels_, every(-5.0f), narrow, all_finite), bytes(1)) << n;
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, ZeroPointsAtTheEdgesKeepRealZeroExact,
                       "x = +0 or -0: round(0 / s) + z = z, for z in {0, 1, 127, 254, 255}");
TEST_P(ActivationKernels, ZeroPointsAtTheEdgesKeepRealZeroExact) {
  // q = z for x = 0 (and −0): 0/s = 0, + z = z — for z = 0 and z = 255 as well as in between.
  for (int32_t zero_point : {0, 1, 127, 254, 255}) {
    for (int64_t n : kLengths) {
      std::vector<float> x(static_cast<std::size_t>(n), 0.0f);
      for (std::size_t i = 1; i < x.size(); i += 2) x[i] = -0.0f;
      bool all_finite = false;
      const std::vector<uint8_t> got = run_quantize(kernels_, x, per_tensor(QDType::UInt8, 0.5f, zero_point), all_finite);
      EXPECT_EQ(got, std::vector<uint8_t>(x.size(), static_cast<uint8_t>(zero_point))) << "z=" << zero_point << ", n=" << n;
    }
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, NaNOrInfAnywhereIsReported,
                       "one NaN (quiet or signaling) or +-Inf at the first, middle or last index: quantize returns "
                       "false and minmax gives all_finite = false");
TEST_P(ActivationKernels, NaNOrInfAnywhereIsReported) {
  const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::signaling_NaN()};
  for (int64_t n : kLengths) {
    const std::vector<float> clean = randn(n, 1.0f, 1700 + static_cast<uint64_t>(n));
    for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
      for (float bad : bad_values) {
        std::vector<float> x = clean;
        x[static_cast<std::size_t>(at)] = bad;
        bool all_finite = true;
        run_quantize(kernels_, x, per_tensor(QDType::UInt8, 0.05f, 128), all_finite);
        EXPECT_FALSE(all_finite) << GetParam().name << ": " << bad << " at " << at << " of " << n;
        EXPECT_FALSE(kernels_.minmax(x.data(), n).all_finite) << GetParam().name << ": " << bad << " at " << at << " of " << n;
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, MinMaxIsTheRangeToTheBit,
                       "minmax(x) == std::minmax_element(x), compared as float bits, with the extreme at any index");
TEST_P(ActivationKernels, MinMaxIsTheRangeToTheBit) {
  // A plain recount (std::minmax_element) of N(0, 2) values, the extremes placed at the first,
  // middle and last index in turn (so every lane and the tail get to hold them).
  for (int64_t n : kLengths) {
    std::vector<float> x = randn(n, 2.0f, 1800 + static_cast<uint64_t>(n));
    for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
      std::vector<float> y = x;
      y[static_cast<std::size_t>(at)] = (at % 2 == 0) ? 100.0f : -100.0f;
      const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
      const FloatRange range = kernels_.minmax(y.data(), n);
      EXPECT_TRUE(range.all_finite);
      ASSERT_EQ(std::bit_cast<uint32_t>(range.min), std::bit_cast<uint32_t>(*lo)) << GetParam().name << ", n=" << n;
      ASSERT_EQ(std::bit_cast<uint32_t>(range.max), std::bit_cast<uint32_t>(*hi)) << GetParam().name << ", n=" << n;
    }
  }
}

TINYTORCH_TEST_FORMULA(ActivationKernels, MinMaxOfSignedZerosIsPositiveZero,
                       "a mix of -0 and +0: min and max are +0 (bit pattern 0), never -0");
TEST_P(ActivationKernels, MinMaxOfSignedZerosIsPositiveZero) {
  // −0 and +0 compare equal; whichever one a comparison keeps, the result is +0 (the header's promise).
  for (int64_t n : kLengths) {
    std::vector<float> x(static_cast<std::size_t>(n), -0.0f);
    for (std::size_t i = 0; i < x.size(); i += 3) x[i] = 0.0f;
    const FloatRange range = kernels_.minmax(x.data(), n);
    EXPECT_EQ(std::bit_cast<uint32_t>(range.min), 0u) << n;
    EXPECT_EQ(std::bit_cast<uint32_t>(range.max), 0u) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPath, ActivationKernels, ::testing::ValuesIn(kPaths),
                         [](const ::testing::TestParamInfo<Path>& info) { return std::string(info.param.name); });

TINYTORCH_CONCEPT(QuantizeKernelsDispatch, "the activation kernels follow the path the GEMM runs on",
                  "active GEMM path avx512vnni -> \"avx512\" kernels, avx2 -> \"avx2\", scalar -> \"ref\"; "
                  "quantize_kernels() == quantize_kernels_for(active_kernel_isa())");

TEST(QuantizeKernelsDispatch, FollowsTheGemmPath) {
  // quantize_kernels() is the set of the path the GEMM runs on: avx512vnni -> avx512, avx2 -> avx2, scalar -> ref.
  const KernelIsa isa = active_kernel_isa();
  const std::string expected = isa == KernelIsa::Avx512Vnni ? "avx512" : isa == KernelIsa::Avx2 ? "avx2" : "ref";
  EXPECT_EQ(std::string(quantize_kernels().name), expected);
  EXPECT_EQ(quantize_kernels().quantize, quantize_kernels_for(isa).quantize);
}

TINYTORCH_CONCEPT(QuantizeKernelsParams, "moving int8/int4 quantization parameters onto the uint8 grid the GEMM takes",
                  "int8 / int4: z + 128, q_min + 128, q_max + 128, same scale ((q + 128) - (z + 128) = q - z); "
                  "uint8 unchanged");

TEST(QuantizeKernelsParams, Int8AndInt4MoveToUint8ByPlus128) {
  // (q + 128) − (z + 128) = q − z: the zero point and the range shift, the scale stays.
  const Uint8QuantParams int8 = uint8_quant_params(per_tensor(QDType::Int8, 0.5f, -3));
  EXPECT_EQ(int8.scale, 0.5f);
  EXPECT_EQ(int8.zero_point, 125);
  EXPECT_EQ(int8.q_min, 0);
  EXPECT_EQ(int8.q_max, 255);
  const Uint8QuantParams int4_narrow = uint8_quant_params(per_tensor(QDType::Int4, 1.0f, 0, true));
  EXPECT_EQ(int4_narrow.zero_point, 128);
  EXPECT_EQ(int4_narrow.q_min, 121);  // −7 + 128
  EXPECT_EQ(int4_narrow.q_max, 135);  // 7 + 128
  const Uint8QuantParams uint8 = uint8_quant_params(per_tensor(QDType::UInt8, 2.0f, 17, true));
  EXPECT_EQ(uint8.zero_point, 17);
  EXPECT_EQ(uint8.q_min, 1);
  EXPECT_EQ(uint8.q_max, 255);
}

}  // namespace
}  // namespace tinytorch
