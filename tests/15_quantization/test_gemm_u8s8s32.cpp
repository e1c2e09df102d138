// test_gemm_u8s8s32.cpp — the INT8 GEMM (gemm_u8s8s32.hpp): every path against the reference, bit for bit.
//
// The specification is gemm_u8s8s32_ref, (1) of the header, followed by the
// reference epilogues of requantize.hpp. Each path (scalar, avx2, avx512vnni) is
// forced through GemmOptions::isa and must give exactly the same int32, float32
// and 8-bit outputs (ASSERT_EQ; floats compared as bit patterns) on:
//   * the awkward shapes of STYLE 4 — M, N in {1, 3, 17, 63, 65, 257}, K in
//     {1, 3, 5, 17, 63, 65, 257, 784} (K not a multiple of 4 or 64, partial tiles, GEMV);
//   * random values and extreme ones (a in {0, 255}, w in {−128, 127});
//   * zero points at the edges (z_a 0 / 255, affine z_w −128 / 127 / random per channel);
//   * every epilogue, 1 and several threads, the deepest K.
// A path the CPU lacks is skipped (GTEST_SKIP), so one machine with AVX-512 VNNI runs them all.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"
#include "tinytorch/perf/requantize.hpp"

namespace tinytorch {
namespace {

// ---- the awkward shapes (STYLE 4), used by every test below --------------------------------------
const std::vector<int64_t> kDepths = {1, 3, 5, 17, 63, 65, 257, 784};
struct RowsColumns {
  int64_t M, N;
};
// Every size of {1, 3, 17, 63, 65, 257} appears as M and as N; partial tiles in both.
const std::vector<RowsColumns> kShapes = {{1, 1},   {1, 257},  {3, 17},   {17, 3},
                                          {63, 65}, {65, 63},  {257, 17}, {17, 65}};
// The deepest K (2^15) whose worst case fits an int32.
constexpr int64_t kMaxDepth = 32768;

enum class Values { Random, Extremes };
enum class ZeroPoints { None, ActivationHighest, AffineRandom, AffineLowest, AffineHighest };
constexpr ZeroPoints kAllZeroPoints[] = {ZeroPoints::None, ZeroPoints::ActivationHighest, ZeroPoints::AffineRandom,
                                         ZeroPoints::AffineLowest, ZeroPoints::AffineHighest};

int32_t random_int(int32_t low, int32_t high, Generator& generator) {
  return low + static_cast<int32_t>(generator.below(static_cast<uint64_t>(high - low + 1)));
}

// One GEMM problem, row-major, with what the failure messages must name.
struct Case {
  int64_t M = 0, N = 0, K = 0;
  std::vector<uint8_t> a;  // (M, K)
  std::vector<int8_t> w;   // (N, K)
  int32_t a_zero_point = 0;
  std::vector<int32_t> w_zero_point;  // (N)

  std::string name() const {
    std::string text = "M×N×K = " + std::to_string(M) + "×" + std::to_string(N) + "×" + std::to_string(K) +
                       ", z_a = " + std::to_string(a_zero_point) + ", z_w[0] = " + std::to_string(w_zero_point[0]);
    if (N > 1) text += ", z_w[N-1] = " + std::to_string(w_zero_point.back());
    return text;
  }
};

Case make_case(int64_t M, int64_t N, int64_t K, Values values, ZeroPoints zero_points, Generator& generator) {
  Case c;
  c.M = M;
  c.N = N;
  c.K = K;
  c.a.resize(static_cast<std::size_t>(M * K));
  c.w.resize(static_cast<std::size_t>(N * K));
  for (uint8_t& v : c.a) {
    v = static_cast<uint8_t>(values == Values::Random ? random_int(0, 255, generator) : 255 * random_int(0, 1, generator));
  }
  for (int8_t& v : c.w) {
    v = static_cast<int8_t>(values == Values::Random ? random_int(-128, 127, generator)
                                                     : (random_int(0, 1, generator) != 0 ? 127 : -128));
  }
  c.a_zero_point = zero_points == ZeroPoints::ActivationHighest || zero_points == ZeroPoints::AffineHighest ? 255
                   : zero_points == ZeroPoints::AffineRandom ? random_int(0, 255, generator)
                                                              : 0;
  c.w_zero_point.assign(static_cast<std::size_t>(N), 0);
  for (int32_t& z : c.w_zero_point) {
    if (zero_points == ZeroPoints::AffineRandom) z = random_int(-128, 127, generator);
    if (zero_points == ZeroPoints::AffineLowest) z = -128;
    if (zero_points == ZeroPoints::AffineHighest) z = 127;
  }
  return c;
}

std::vector<int32_t> reference_acc(const Case& c) {
  std::vector<int32_t> acc(static_cast<std::size_t>(c.M * c.N));
  gemm_u8s8s32_ref(c.M, c.N, c.K, c.a.data(), c.K, c.a_zero_point, c.w.data(), c.K, c.w_zero_point.data(), acc.data(),
                   c.N);
  return acc;
}

PackedWeightsS8 pack(const Case& c) { return pack_weights_s8(c.N, c.K, c.w.data(), c.K, c.w_zero_point.data()); }

// The epilogue arrays of one case. The 8-bit grid is chosen from the observed range
// of acc + bias (STYLE 4), so the outputs use all 256 levels; some channels get a
// multiplier ≥ 1 (a left shift) and one gets M = 0.
struct EpilogueArrays {
  std::vector<float> scale, bias_f32;
  std::vector<int32_t> bias_s32, multiplier, shift;
  int32_t zero_point_u8 = 0;
};

EpilogueArrays make_epilogue(const std::vector<int32_t>& acc, int64_t N, Generator& generator) {
  EpilogueArrays e;
  for (int64_t n = 0; n < N; ++n) {
    e.scale.push_back(generator.uniform(1e-4f, 1e-2f));
    e.bias_f32.push_back(generator.uniform(-1.0f, 1.0f));
    e.bias_s32.push_back(random_int(-(1 << 16), 1 << 16, generator));
  }
  int64_t low = std::numeric_limits<int64_t>::max(), high = std::numeric_limits<int64_t>::min();
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const int64_t value = int64_t{acc[i]} + e.bias_s32[i % static_cast<std::size_t>(N)];
    low = std::min(low, value);
    high = std::max(high, value);
  }
  const double base = 255.0 / static_cast<double>(std::max<int64_t>(high - low, 1));
  e.zero_point_u8 = static_cast<int32_t>(std::clamp(std::lround(-static_cast<double>(low) * base), 0L, 255L));
  for (int64_t n = 0; n < N; ++n) {
    double real = base * generator.uniform(0.9f, 1.1f);
    if (n % 7 == 5) real = 1.5 + base;  // M ≥ 1: the saturating left shift
    if (n == 3) real = 0.0;             // M = 0
    const FixedPointMultiplier m = quantize_multiplier(real);
    e.multiplier.push_back(m.multiplier);
    e.shift.push_back(m.shift);
  }
  return e;
}

TINYTORCH_CONCEPT(GemmPath,
                  "each INT8 GEMM path (scalar, avx2, avx512vnni) computes exactly the reference, bit for bit",
                  "acc[m, n] = sum_k (a[m, k] - z_a) * (w[n, k] - z_w[n]) in int32 (gemm_u8s8s32_ref), "
                  "then the reference epilogue: float y = scale[n] * float(acc + bias[n]), "
                  "or 8-bit y = clamp(z_y + fixed_point(acc + bias[n]), min, max)");

class GemmPath : public ::testing::TestWithParam<KernelIsa> {
 protected:
  void SetUp() override {
    if (!kernel_isa_supported(GetParam())) {
      GTEST_SKIP() << "this CPU (or build) lacks " << kernel_isa_name(GetParam());
    }
  }
  GemmOptions path(int threads = 1) const {
    GemmOptions options;
    options.isa = GetParam();
    options.threads = threads;
    return options;
  }
  std::string where(const Case& c) const { return std::string(kernel_isa_name(GetParam())) + ", " + c.name(); }
};

template <typename T>
void assert_same(const std::vector<T>& got, const std::vector<T>& want, int64_t N, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << where << ", output (" << static_cast<int64_t>(i) / N << ", "
                               << static_cast<int64_t>(i) % N << ")";
  }
}

// Floats are compared as bit patterns: "equal to the bit" includes the sign of zero.
void assert_same_bits(const std::vector<float>& got, const std::vector<float>& want, int64_t N,
                      const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
        << where << ", output (" << static_cast<int64_t>(i) / N << ", " << static_cast<int64_t>(i) % N
        << "): " << got[i] << " vs " << want[i];
  }
}

// ---- int32 output ---------------------------------------------------------------------------------

TINYTORCH_TEST_FORMULA(GemmPath, Int32EqualsReferenceOnAwkwardShapesValuesAndZeroPoints,
                       "every output == gemm_u8s8s32_ref: acc[m, n] = sum_k (a[m, k] - z_a) * (w[n, k] - z_w[n]), "
                       "for M, N in {1, 3, 17, 63, 65, 257}, K in {1, 3, 5, 17, 63, 65, 257, 784}, "
                       "random and extreme values");
TEST_P(GemmPath, Int32EqualsReferenceOnAwkwardShapesValuesAndZeroPoints) {
  Generator generator(1511);
  int round = 0;
  for (const RowsColumns& shape : kShapes) {
    for (int64_t K : kDepths) {
      for (Values values : {Values::Random, Values::Extremes}) {
        // cycle through the zero-point cases so every shape meets several of them
        const ZeroPoints zero_points = kAllZeroPoints[round++ % 5];
        const Case c = make_case(shape.M, shape.N, K, values, zero_points, generator);
        std::vector<int32_t> got(static_cast<std::size_t>(c.M * c.N), -1);
        gemm_u8s8s32(c.M, c.a.data(), c.K, c.a_zero_point, pack(c), got.data(), c.N, path());
        assert_same(got, reference_acc(c), c.N, where(c));
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(GemmPath, HandComputedTwoByTwo,
                       "a - z_a = [[3, 0], [-2, 5]], w - z_w = [[3, -4], [1, 8]]: acc = [[9, 3], [-26, 38]]");
TEST_P(GemmPath, HandComputedTwoByTwo) {
  // a − z_a = [[5,2],[0,7]] − 2 = [[3,0],[−2,5]];  w − z_w = [[4,−3]−1, [−1,6]+2] = [[3,−4],[1,8]]
  // acc = [[3·3+0·(−4), 3·1+0·8], [−2·3+5·(−4), −2·1+5·8]] = [[9, 3], [−26, 38]]
  const uint8_t a[] = {5, 2, 0, 7};
  const int8_t w[] = {4, -3, -1, 6};
  const int32_t w_zero_point[] = {1, -2};
  std::vector<int32_t> acc(4);
  gemm_u8s8s32(2, a, 2, 2, pack_weights_s8(2, 2, w, 2, w_zero_point), acc.data(), 2, path());
  EXPECT_EQ(acc, (std::vector<int32_t>{9, 3, -26, 38}));
}

TINYTORCH_TEST_FORMULA(GemmPath, DeepestKReachesTheInt32BoundExactly,
                       "K = 2^15 terms of (a - z_a)(w - z_w) = +-255 * 255: acc = +-2130739200; "
                       "the four terms of the expansion wrap in int32 but their sum is exact");
TEST_P(GemmPath, DeepestKReachesTheInt32BoundExactly) {
  // K = 2^15 terms of (a − z_a)(w − z_w) = (0 − 255)(127 − (−128)) = −65025 each: −2,130,739,200,
  // and (255 − 0)(127 − (−128)) = +65025 each: +2,130,739,200 — the four terms of (2) each
  // overflow on their way, their wrapping sum does not. N = 17: a partial second block.
  const int64_t N = 17;
  const std::vector<int8_t> w(static_cast<std::size_t>(N * kMaxDepth), 127);
  const std::vector<int32_t> w_zero_point(N, -128);
  const PackedWeightsS8 packed = pack_weights_s8(N, kMaxDepth, w.data(), kMaxDepth, w_zero_point.data());
  for (uint8_t a_value : {uint8_t{0}, uint8_t{255}}) {
    const std::vector<uint8_t> a(kMaxDepth, a_value);
    const int32_t a_zero_point = 255 - a_value;
    std::vector<int32_t> acc(N);
    gemm_u8s8s32(1, a.data(), kMaxDepth, a_zero_point, packed, acc.data(), N, path());
    const int32_t want = a_value == 0 ? -2130739200 : 2130739200;
    for (int64_t n = 0; n < N; ++n) ASSERT_EQ(acc[n], want) << kernel_isa_name(GetParam()) << " a=" << int{a_value};
  }
}

TINYTORCH_TEST_FORMULA(GemmPath, RowStridesAreHonouredAndPaddingColumnsUntouched,
                       "a read with row stride lda = K + 5, c written with ldc = N + 3: c[m * ldc + n] = acc[m, "
                       "n] for n < N, columns n >= N keep their value");
TEST_P(GemmPath, RowStridesAreHonouredAndPaddingColumnsUntouched) {
  // a with row stride K + 5, output with row stride N + 3: the 3 extra columns keep their sentinel.
  Generator generator(1512);
  const Case c = make_case(17, 65, 63, Values::Random, ZeroPoints::AffineRandom, generator);
  const int64_t lda = c.K + 5, ldc = c.N + 3;
  std::vector<uint8_t> a_strided(static_cast<std::size_t>(c.M * lda), 99);
  for (int64_t m = 0; m < c.M; ++m) std::copy_n(&c.a[m * c.K], c.K, &a_strided[m * lda]);
  std::vector<int32_t> c_strided(static_cast<std::size_t>(c.M * ldc), -7);
  gemm_u8s8s32(c.M, a_strided.data(), lda, c.a_zero_point, pack(c), c_strided.data(), ldc, path());
  const std::vector<int32_t> want = reference_acc(c);
  for (int64_t m = 0; m < c.M; ++m) {
    for (int64_t n = 0; n < ldc; ++n) {
      ASSERT_EQ(c_strided[m * ldc + n], n < c.N ? want[m * c.N + n] : -7) << where(c) << " at (" << m << ", " << n << ")";
    }
  }
}

// ---- float32 output ---------------------------------------------------------------------------------

TINYTORCH_TEST_FORMULA(GemmPath, Float32EpiloguesEqualTheReferenceToTheBit,
                       "int32 bias: y = scale[n] * float(acc + bias_s32[n]); float bias: y = scale[n] * float(acc) + "
                       "bias_f32[n]; none: y = scale[n] * float(acc); the same float bits as "
                       "dequantize_s32_to_f32_ref");
TEST_P(GemmPath, Float32EpiloguesEqualTheReferenceToTheBit) {
  // static (int32 bias), dynamic (float bias after the multiply) and no bias: each equal to
  // dequantize_s32_to_f32_ref of the reference accumulator — QuantizedLinear's formulas.
  Generator generator(1513);
  int round = 0;
  for (const RowsColumns& shape : kShapes) {
    for (int64_t K : {1, 5, 65, 784}) {
      const Case c = make_case(shape.M, shape.N, K, Values::Random, kAllZeroPoints[round++ % 5], generator);
      const std::vector<int32_t> acc = reference_acc(c);
      const EpilogueArrays arrays = make_epilogue(acc, c.N, generator);
      const PackedWeightsS8 packed = pack(c);
      const DequantizeEpilogue epilogues[] = {{arrays.scale, arrays.bias_s32, {}},
                                              {arrays.scale, {}, arrays.bias_f32},
                                              {arrays.scale, {}, {}}};
      const char* names[] = {"static int32 bias", "dynamic float bias", "no bias"};
      for (int e = 0; e < 3; ++e) {
        std::vector<float> want(acc.size()), got(acc.size());
        dequantize_s32_to_f32_ref(c.M, c.N, acc.data(), c.N, epilogues[e], want.data(), c.N);
        gemm_u8s8f32(c.M, c.a.data(), c.K, c.a_zero_point, packed, epilogues[e], got.data(), c.N, path());
        assert_same_bits(got, want, c.N, where(c) + ", " + names[e]);
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(GemmPath, Float32MatchesQuantizedLinearFormulaWrittenOut,
                       "y[m, n] = (s_x * s_w[n]) * float(int64(acc[m, n]) + q_b[n]), "
                       "the scale product in float (QuantizedLinear)");
TEST_P(GemmPath, Float32MatchesQuantizedLinearFormulaWrittenOut) {
  // QuantizedLinear's requantize_static: y = (s_x · s_w[n]) · float(int64(acc) + q_b[n]), the
  // scale product in float. Written out here, independent of requantize.cpp.
  Generator generator(1514);
  const Case c = make_case(3, 17, 65, Values::Random, ZeroPoints::None, generator);
  const std::vector<int32_t> acc = reference_acc(c);
  const float input_scale = 0.0123f;
  std::vector<float> scale, weight_scale;
  std::vector<int32_t> bias;
  for (int64_t n = 0; n < c.N; ++n) {
    weight_scale.push_back(generator.uniform(1e-3f, 1e-1f));
    scale.push_back(input_scale * weight_scale.back());
    bias.push_back(random_int(-5000, 5000, generator));
  }
  std::vector<float> got(acc.size());
  gemm_u8s8f32(c.M, c.a.data(), c.K, c.a_zero_point, pack(c), {scale, bias, {}}, got.data(), c.N, path());
  for (int64_t m = 0; m < c.M; ++m) {
    for (int64_t n = 0; n < c.N; ++n) {
      const float output_scale = input_scale * weight_scale[n];
      const float want = output_scale * static_cast<float>(int64_t{acc[m * c.N + n]} + bias[n]);
      ASSERT_EQ(std::bit_cast<uint32_t>(got[m * c.N + n]), std::bit_cast<uint32_t>(want)) << where(c);
    }
  }
}

TINYTORCH_TEST_FORMULA(GemmPath, BiasNearInt32LimitIsAddedInInt64,
                       "bias near +-2^31: acc + bias is added in int64 (float output) or saturated to int32 (8-bit "
                       "output), exactly as the reference does");
TEST_P(GemmPath, BiasNearInt32LimitIsAddedInInt64) {
  // acc + q_b would wrap in int32 lanes; the kernel must notice and add in int64 (float) or
  // saturate (8-bit) exactly like the reference.
  Generator generator(1515);
  const Case c = make_case(7, 33, 17, Values::Random, ZeroPoints::AffineRandom, generator);
  const std::vector<int32_t> acc = reference_acc(c);
  EpilogueArrays arrays = make_epilogue(acc, c.N, generator);
  for (int64_t n = 0; n < c.N; ++n) arrays.bias_s32[n] = n % 2 == 0 ? INT32_MAX - 3 : INT32_MIN + 3;
  const PackedWeightsS8 packed = pack(c);

  const DequantizeEpilogue dequantize{arrays.scale, arrays.bias_s32, {}};
  std::vector<float> want_f(acc.size()), got_f(acc.size());
  dequantize_s32_to_f32_ref(c.M, c.N, acc.data(), c.N, dequantize, want_f.data(), c.N);
  gemm_u8s8f32(c.M, c.a.data(), c.K, c.a_zero_point, packed, dequantize, got_f.data(), c.N, path());
  assert_same_bits(got_f, want_f, c.N, where(c) + ", float32 with bias near ±2^31");

  const RequantizeEpilogue requantize{arrays.multiplier, arrays.shift, arrays.bias_s32, 128, 0, 255};
  std::vector<uint8_t> want_q(acc.size()), got_q(acc.size());
  requantize_s32_to_u8_ref(c.M, c.N, acc.data(), c.N, requantize, want_q.data(), c.N);
  gemm_u8s8u8(c.M, c.a.data(), c.K, c.a_zero_point, packed, requantize, got_q.data(), c.N, path());
  assert_same(got_q, want_q, c.N, where(c) + ", uint8 with bias near ±2^31");
}

// ---- 8-bit output ----------------------------------------------------------------------------------

TINYTORCH_TEST_FORMULA(GemmPath, Uint8AndInt8RequantizationEqualTheReference,
                       "y = clamp(z_y + multiply_by_fixed_point(sat32(acc + bias[n]), {M0[n], shift[n]}), output_min, "
                       "output_max), uint8 and int8, with and without bias and fused ReLU (output_min = z_y)");
TEST_P(GemmPath, Uint8AndInt8RequantizationEqualTheReference) {
  // Fixed-point requantization (requantize.hpp (5)–(7)) with and without bias, plain and
  // with a fused ReLU (output_min = output zero point), to uint8 and to int8.
  Generator generator(1516);
  int round = 0;
  for (const RowsColumns& shape : kShapes) {
    for (int64_t K : {3, 17, 257, 784}) {
      const Case c = make_case(shape.M, shape.N, K, Values::Random, kAllZeroPoints[round++ % 5], generator);
      const std::vector<int32_t> acc = reference_acc(c);
      const EpilogueArrays arrays = make_epilogue(acc, c.N, generator);
      const PackedWeightsS8 packed = pack(c);
      const int32_t z = arrays.zero_point_u8;
      for (bool relu : {false, true}) {
        for (bool with_bias : {true, false}) {
          const std::span<const int32_t> bias = with_bias ? std::span<const int32_t>(arrays.bias_s32) : std::span<const int32_t>();
          const std::string what = where(c) + ", z_y = " + std::to_string(z) + (relu ? ", ReLU" : "") +
                                   (with_bias ? ", bias" : ", no bias");
          const RequantizeEpilogue to_u8{arrays.multiplier, arrays.shift, bias, z, relu ? z : 0, 255};
          std::vector<uint8_t> want_u8(acc.size()), got_u8(acc.size());
          requantize_s32_to_u8_ref(c.M, c.N, acc.data(), c.N, to_u8, want_u8.data(), c.N);
          gemm_u8s8u8(c.M, c.a.data(), c.K, c.a_zero_point, packed, to_u8, got_u8.data(), c.N, path());
          assert_same(got_u8, want_u8, c.N, what + ", uint8");

          const RequantizeEpilogue to_s8{arrays.multiplier, arrays.shift, bias, z - 128, relu ? z - 128 : -128, 127};
          std::vector<int8_t> want_s8(acc.size()), got_s8(acc.size());
          requantize_s32_to_s8_ref(c.M, c.N, acc.data(), c.N, to_s8, want_s8.data(), c.N);
          gemm_u8s8s8(c.M, c.a.data(), c.K, c.a_zero_point, packed, to_s8, got_s8.data(), c.N, path());
          assert_same(got_s8, want_s8, c.N, what + ", int8");
        }
      }
    }
  }
}

// ---- threads ---------------------------------------------------------------------------------------

TINYTORCH_TEST_FORMULA(GemmPath, SeveralThreadsGiveTheSameBitsAsOne,
                       "output columns are split over threads in blocks of 64; each output is computed by the same "
                       "instructions in the same order, so 2 or 3 threads give exactly the 1-thread result");
TEST_P(GemmPath, SeveralThreadsGiveTheSameBitsAsOne) {
  // N = 257: five 64-column units, split 3 + 2 over 2 threads, 2 + 2 + 1 over 3.
  Generator generator(1517);
  const Case c = make_case(65, 257, 65, Values::Random, ZeroPoints::AffineRandom, generator);
  const PackedWeightsS8 packed = pack(c);
  const EpilogueArrays arrays = make_epilogue(reference_acc(c), c.N, generator);
  std::vector<int32_t> one(static_cast<std::size_t>(c.M * c.N));
  gemm_u8s8s32(c.M, c.a.data(), c.K, c.a_zero_point, packed, one.data(), c.N, path(1));
  std::vector<uint8_t> one_u8(one.size());
  const RequantizeEpilogue requantize{arrays.multiplier, arrays.shift, arrays.bias_s32, arrays.zero_point_u8, 0, 255};
  gemm_u8s8u8(c.M, c.a.data(), c.K, c.a_zero_point, packed, requantize, one_u8.data(), c.N, path(1));
  for (int threads : {2, 3}) {
    std::vector<int32_t> several(one.size());
    gemm_u8s8s32(c.M, c.a.data(), c.K, c.a_zero_point, packed, several.data(), c.N, path(threads));
    assert_same(several, one, c.N, where(c) + ", " + std::to_string(threads) + " threads, int32");
    std::vector<uint8_t> several_u8(one.size());
    gemm_u8s8u8(c.M, c.a.data(), c.K, c.a_zero_point, packed, requantize, several_u8.data(), c.N, path(threads));
    assert_same(several_u8, one_u8, c.N, where(c) + ", " + std::to_string(threads) + " threads, uint8");
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPath, GemmPath,
                         ::testing::Values(KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512Vnni),
                         [](const ::testing::TestParamInfo<KernelIsa>& info) {
                           return std::string(kernel_isa_name(info.param));
                         });

// ---- the reference in stages, and the packed layout ----------------------------------------------------

TINYTORCH_CONCEPT(GemmReference, "the reference INT8 GEMM in stages: the four-term zero-point expansion",
                  "sum_k (a - z_a)(w - z_w[n]) = sum_k a * w - z_a * sum_k w[n, k] - z_w[n] * sum_k a[m, "
                  "k] + K * z_a * z_w[n] (wrapping int32, exact for K <= 32768)");

TEST(GemmReference, FourTermExpansionEqualsTheDirectFormula) {
  // (2): Σ a·w (the reference with zero points 0) + the correction of zero_point_correction_ref,
  // from the row sums of a and w, equals (1) computed directly.
  Generator generator(1518);
  for (int64_t K : {1, 5, 63, 257}) {
    const Case c = make_case(17, 3, K, Values::Random, ZeroPoints::AffineRandom, generator);
    std::vector<int32_t> staged(static_cast<std::size_t>(c.M * c.N));
    const std::vector<int32_t> zeros(static_cast<std::size_t>(c.N), 0);
    gemm_u8s8s32_ref(c.M, c.N, c.K, c.a.data(), c.K, 0, c.w.data(), c.K, zeros.data(), staged.data(), c.N);
    std::vector<int32_t> a_sums(static_cast<std::size_t>(c.M)), w_sums(static_cast<std::size_t>(c.N));
    row_sums_u8_ref(c.M, c.K, c.a.data(), c.K, a_sums.data());
    row_sums_s8_ref(c.N, c.K, c.w.data(), c.K, w_sums.data());
    zero_point_correction_ref(c.M, c.N, c.K, c.a_zero_point, a_sums.data(), c.w_zero_point.data(), w_sums.data(),
                              staged.data(), c.N);
    assert_same(staged, reference_acc(c), c.N, c.name());
  }
}

TINYTORCH_TEST_FORMULA(GemmReference, RowSumsHandComputed,
                       "row sums: sum_k a[m, k] ([1, 2, 3] -> 6, [255, 255, 0] -> 510), sum_k w[n, k] ([-128, 127, "
                       "1] -> 0, [-1, -2, -3] -> -6)");
TEST(GemmReference, RowSumsHandComputed) {
  // a rows [1, 2, 3] -> 6 and [255, 255, 0] -> 510; w rows [−128, 127, 1] -> 0 and [−1, −2, −3] -> −6
  const uint8_t a[] = {1, 2, 3, 255, 255, 0};
  const int8_t w[] = {-128, 127, 1, -1, -2, -3};
  int32_t a_sums[2], w_sums[2];
  row_sums_u8_ref(2, 3, a, 3, a_sums);
  row_sums_s8_ref(2, 3, w, 3, w_sums);
  EXPECT_EQ(a_sums[0], 6);
  EXPECT_EQ(a_sums[1], 510);
  EXPECT_EQ(w_sums[0], 0);
  EXPECT_EQ(w_sums[1], -6);
}

TINYTORCH_CONCEPT(PackedWeights,
                  "packing int8 weights in the layout the VNNI kernel reads: 4 consecutive k of 16 channels per 64 "
                  "bytes",
                  "K_padded = K rounded up to 4, N_padded = N rounded up to 16; offset(n, "
                  "k) = (n / 16) * (K_padded * 16) + (k / 4) * 64 + (n % 16) * 4 + k % 4; padding bytes are 0; "
                  "row_sums[n] = sum_k w[n, k]");

TEST(PackedWeights, LayoutFollowsEquationThree) {
  // N = 17, K = 5: K_padded = 8, N_padded = 32. w[16, 4] lives at
  //   (16/16)·(8·16) + (4/4)·64 + (16%16)·4 + 4%4 = 128 + 64 = 192.
  Generator generator(1519);
  const Case c = make_case(1, 17, 5, Values::Random, ZeroPoints::AffineRandom, generator);
  const PackedWeightsS8 packed = pack(c);
  EXPECT_EQ(packed.n(), 17);
  EXPECT_EQ(packed.k(), 5);
  EXPECT_EQ(packed.k_padded(), 8);
  EXPECT_EQ(packed.n_padded(), 32);
  EXPECT_EQ(packed.data()[192], c.w[16 * 5 + 4]);
  // w[1, 2] at 0 + 0 + 1·4 + 2 = 6
  EXPECT_EQ(packed.data()[6], c.w[1 * 5 + 2]);
  // padding: k = 5..7 of channel 0 (offsets 64 + 1..3) and every byte of channel 17 are 0
  EXPECT_EQ(packed.data()[64 + 1], 0);
  EXPECT_EQ(packed.data()[64 + 3], 0);
  for (int64_t g = 0; g < 2; ++g)
    for (int64_t b = 0; b < 4; ++b) EXPECT_EQ(packed.data()[128 + g * 64 + 1 * 4 + b], 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(packed.data()) % 64, 0u);
}

TINYTORCH_TEST_FORMULA(PackedWeights, ReadsBackEveryWeightWithSumsAndZeroPoints,
                       "at(n, k) == w[n, k]; row_sums()[n] == sum_k w[n, k]; zero_points()[n] == z_w[n]; "
                       "has_zero_points() == (some z_w[n] != 0); at() outside (N, K) throws IndexError");
TEST(PackedWeights, ReadsBackEveryWeightWithSumsAndZeroPoints) {
  Generator generator(1520);
  for (const RowsColumns& shape : kShapes) {
    for (int64_t K : {1, 3, 65}) {
      const Case c = make_case(1, shape.N, K, Values::Random, ZeroPoints::AffineRandom, generator);
      const PackedWeightsS8 packed = pack(c);
      std::vector<int32_t> sums(static_cast<std::size_t>(c.N));
      row_sums_s8_ref(c.N, c.K, c.w.data(), c.K, sums.data());
      for (int64_t n = 0; n < c.N; ++n) {
        for (int64_t k = 0; k < c.K; ++k) ASSERT_EQ(packed.at(n, k), c.w[n * c.K + k]) << c.name() << " (" << n << ", " << k << ")";
        ASSERT_EQ(packed.row_sums()[n], sums[n]) << c.name();
        ASSERT_EQ(packed.zero_points()[n], c.w_zero_point[n]) << c.name();
      }
      const bool any = std::any_of(c.w_zero_point.begin(), c.w_zero_point.end(), [](int32_t z) { return z != 0; });
      EXPECT_EQ(packed.has_zero_points(), any) << c.name();
    }
  }
  const PackedWeightsS8 symmetric = pack_weights_s8(Tensor::zeros({3, 4}, DType::Int8));
  EXPECT_FALSE(symmetric.has_zero_points());
  EXPECT_THROW(symmetric.at(3, 0), IndexError);
  EXPECT_THROW(symmetric.at(0, 4), IndexError);
}

TINYTORCH_TEST_FORMULA(PackedWeights, CopiesShareTheBytes,
                       "a copy shares the packed bytes (same data() pointer); one zero point given is repeated over "
                       "all N channels");
TEST(PackedWeights, CopiesShareTheBytes) {
  const PackedWeightsS8 packed = pack_weights_s8(Tensor::zeros({3, 4}, DType::Int8), {5});
  const PackedWeightsS8 copy = packed;  // NOLINT: the copy is the point
  EXPECT_EQ(copy.data(), packed.data());
  EXPECT_EQ(copy.zero_points()[2], 5);  // one zero point is repeated over N
}

// ---- dispatch ------------------------------------------------------------------------------------------

CpuFeatures cpu_with(bool avx2, bool avx512vnni) {
  CpuFeatures cpu;
  cpu.avx2 = cpu.fma = avx2;
  cpu.avx512f = cpu.avx512bw = cpu.avx512dq = cpu.avx512vl = cpu.avx512vnni = avx512vnni;
  return cpu;
}

TINYTORCH_CONCEPT(GemmDispatch, "choosing the GEMM path from TINYTORCH_ISA and what the CPU supports",
                  "no request: the best supported path (avx512vnni > avx2 > scalar); "
                  "a supported request (any case) is used; an unsupported or unknown request warns (naming it and the "
                  "path used) and keeps the best supported path");

TEST(GemmDispatch, BestSupportedPathWithoutARequest) {
  EXPECT_EQ(choose_kernel_isa(nullptr, cpu_with(true, true)).isa, KernelIsa::Avx512Vnni);
  EXPECT_EQ(choose_kernel_isa("", cpu_with(true, false)).isa, KernelIsa::Avx2);
  EXPECT_EQ(choose_kernel_isa(nullptr, cpu_with(false, false)).isa, KernelIsa::Scalar);
  EXPECT_TRUE(choose_kernel_isa(nullptr, cpu_with(true, true)).warning.empty());
}

TEST(GemmDispatch, RequestNarrowsToASupportedPath) {
  const KernelIsaChoice scalar = choose_kernel_isa("scalar", cpu_with(true, true));
  EXPECT_EQ(scalar.isa, KernelIsa::Scalar);
  EXPECT_TRUE(scalar.warning.empty());
  EXPECT_EQ(choose_kernel_isa("AVX2", cpu_with(true, true)).isa, KernelIsa::Avx2);  // any case
}

TINYTORCH_TEST_FORMULA(GemmDispatch, RequestForAPathTheCpuLacksWarnsAndKeepsTheBest,
                       "request avx512vnni on an avx2 CPU -> avx2 with a warning naming \"avx512vnni\" and \"using "
                       "avx2\"; avx2 on a CPU without it -> scalar");
TEST(GemmDispatch, RequestForAPathTheCpuLacksWarnsAndKeepsTheBest) {
  const KernelIsaChoice choice = choose_kernel_isa("avx512vnni", cpu_with(true, false));
  EXPECT_EQ(choice.isa, KernelIsa::Avx2);
  EXPECT_NE(choice.warning.find("avx512vnni"), std::string::npos) << choice.warning;
  EXPECT_NE(choice.warning.find("using avx2"), std::string::npos) << choice.warning;
  EXPECT_EQ(choose_kernel_isa("avx2", cpu_with(false, false)).isa, KernelIsa::Scalar);
}

TINYTORCH_TEST_FORMULA(GemmDispatch, UnknownRequestWarnsAndKeepsTheBest,
                       "an unknown name keeps the best path, warning with the name and \"scalar, avx2 or avx512vnni\"");
TEST(GemmDispatch, UnknownRequestWarnsAndKeepsTheBest) {
  const KernelIsaChoice choice = choose_kernel_isa("sse9", cpu_with(true, true));
  EXPECT_EQ(choice.isa, KernelIsa::Avx512Vnni);
  EXPECT_NE(choice.warning.find("sse9"), std::string::npos) << choice.warning;
  EXPECT_NE(choice.warning.find("scalar, avx2 or avx512vnni"), std::string::npos) << choice.warning;
}

TINYTORCH_TEST_FORMULA(GemmDispatch, ActivePathIsSupportedAndNamed,
                       "active_kernel_isa() is supported; kernel names read \"gemm_u8s8s32_<tile>_<isa>\"");
TEST(GemmDispatch, ActivePathIsSupportedAndNamed) {
  EXPECT_TRUE(kernel_isa_supported(KernelIsa::Scalar));
  EXPECT_TRUE(kernel_isa_supported(active_kernel_isa()));
  EXPECT_EQ(std::string(gemm_kernel_name()), gemm_kernel_name(active_kernel_isa()));
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    const std::string name = gemm_kernel_name(isa);
    EXPECT_EQ(name.rfind("gemm_u8s8s32_", 0), 0u) << name;
    EXPECT_EQ(name.substr(name.size() - std::string(kernel_isa_name(isa)).size()), kernel_isa_name(isa)) << name;
  }
}

TINYTORCH_TEST_FORMULA(GemmDispatch, ForcingAPathTheCpuLacksIsAValueError,
                       "GemmOptions::isa naming a path this CPU lacks throws ValueError (no silent fallback)");
TEST(GemmDispatch, ForcingAPathTheCpuLacksIsAValueError) {
  for (KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    if (kernel_isa_supported(isa)) continue;
    const PackedWeightsS8 packed = pack_weights_s8(Tensor::zeros({2, 2}, DType::Int8));
    const uint8_t a[2] = {1, 2};
    int32_t c[2];
    GemmOptions options;
    options.isa = isa;
    EXPECT_THROW(gemm_u8s8s32(1, a, 2, 0, packed, c, 2, options), ValueError) << kernel_isa_name(isa);
  }
  if (kernel_isa_supported(KernelIsa::Avx512Vnni)) GTEST_SKIP() << "this CPU supports every path";
}

TINYTORCH_CONCEPT(GemmThreads, "the number of threads one GEMM call may use",
                  "set_gemm_threads(n) needs 1 <= n <= 256 (ValueError otherwise, setting unchanged); "
                  "gemm_threads() returns it");

TEST(GemmThreads, SettingIsCheckedAndRead) {
  const int before = gemm_threads();
  set_gemm_threads(2);
  EXPECT_EQ(gemm_threads(), 2);
  set_gemm_threads(before);
  EXPECT_THROW(set_gemm_threads(0), ValueError);
  EXPECT_THROW(set_gemm_threads(257), ValueError);
  EXPECT_EQ(gemm_threads(), before);
}

// ---- errors and tensor forms ------------------------------------------------------------------------------

TINYTORCH_CONCEPT(GemmErrors, "bad GEMM arguments are rejected before any work, naming the problem",
                  "z_w outside [-128, 127], N or K < 1, K > 32768, ldw < K -> ValueError; "
                  "float weights -> DTypeError; zero-point count != N -> ShapeError; z_a outside [0, "
                  "255] -> ValueError; lda < K, ldc < N, an epilogue span of the wrong length -> ShapeError; "
                  "M = 0 is an empty product");

TEST(GemmErrors, PackingRejectsBadSizesAndZeroPoints) {
  const std::vector<int8_t> w(8, 0);
  const int32_t out_of_range[] = {0, 128};
  EXPECT_THROW(pack_weights_s8(2, 4, w.data(), 4, out_of_range), ValueError);
  EXPECT_THROW(pack_weights_s8(0, 4, w.data(), 4, nullptr), ValueError);
  EXPECT_THROW(pack_weights_s8(2, 4, w.data(), 3, nullptr), ValueError);  // row stride < K
  EXPECT_THROW(pack_weights_s8(1, kMaxDepth + 1, w.data(), kMaxDepth + 1, nullptr), ValueError);
  EXPECT_THROW(pack_weights_s8(Tensor::zeros({2, 4})), DTypeError);                        // float32 weights
  EXPECT_THROW(pack_weights_s8(Tensor::zeros({2, 4}, DType::Int8), {1, 2, 3}), ShapeError);  // 3 zero points, N = 2
}

TINYTORCH_TEST_FORMULA(GemmErrors, CallsRejectBadArgumentsNamingThem,
                       "z_a outside [0, 255], empty packing, both biases, multiplier neither 0 nor in [2^30, 2^31), "
                       "shift outside [-31, 31], [output_min, output_max] outside the type -> ValueError; lda < K, "
                       "ldc < N, \"scale holds 3 values; expected N = 4\" -> ShapeError; M = 0 is fine");
TEST(GemmErrors, CallsRejectBadArgumentsNamingThem) {
  const PackedWeightsS8 packed = pack_weights_s8(Tensor::zeros({4, 3}, DType::Int8));
  const std::vector<uint8_t> a(6, 1);
  std::vector<int32_t> c(8);
  EXPECT_THROW(gemm_u8s8s32(2, a.data(), 3, 256, packed, c.data(), 4), ValueError);  // z_a outside [0, 255]
  EXPECT_THROW(gemm_u8s8s32(2, a.data(), 2, 0, packed, c.data(), 4), ShapeError);    // lda < K
  EXPECT_THROW(gemm_u8s8s32(2, a.data(), 3, 0, packed, c.data(), 3), ShapeError);    // ldc < N
  EXPECT_THROW(gemm_u8s8s32(2, a.data(), 3, 0, PackedWeightsS8(), c.data(), 4), ValueError);
  std::vector<float> y(8);
  const std::vector<float> three_scales(3, 1.0f), scales(4, 1.0f), float_bias(4, 0.0f);
  const std::vector<int32_t> int_bias(4, 0);
  try {
    gemm_u8s8f32(2, a.data(), 3, 0, packed, {three_scales, {}, {}}, y.data(), 4);
    FAIL() << "expected ShapeError for 3 scales, N = 4";
  } catch (const ShapeError& error) {
    EXPECT_NE(std::string(error.what()).find("scale holds 3 values; expected N = 4"), std::string::npos) << error.what();
  }
  EXPECT_THROW(gemm_u8s8f32(2, a.data(), 3, 0, packed, {scales, int_bias, float_bias}, y.data(), 4), ValueError);
  std::vector<uint8_t> q(8);
  const std::vector<int32_t> multiplier(4, 1 << 30), shift(4, 0), bad_multiplier(4, 5), bad_shift(4, 40);
  EXPECT_THROW(gemm_u8s8u8(2, a.data(), 3, 0, packed, {bad_multiplier, shift, {}, 0, 0, 255}, q.data(), 4), ValueError);
  EXPECT_THROW(gemm_u8s8u8(2, a.data(), 3, 0, packed, {multiplier, bad_shift, {}, 0, 0, 255}, q.data(), 4), ValueError);
  EXPECT_THROW(gemm_u8s8u8(2, a.data(), 3, 0, packed, {multiplier, shift, {}, 0, -1, 255}, q.data(), 4), ValueError);
  EXPECT_THROW(gemm_u8s8u8(2, a.data(), 3, 0, packed, {multiplier, shift, {}, 0, 200, 100}, q.data(), 4), ValueError);
  std::vector<int8_t> s(8);
  EXPECT_THROW(gemm_u8s8s8(2, a.data(), 3, 0, packed, {multiplier, shift, {}, 0, 0, 255}, s.data(), 4), ValueError);
  // M = 0 is an empty product, not an error
  EXPECT_NO_THROW(gemm_u8s8s32(0, a.data(), 3, 0, packed, c.data(), 4));
}

TINYTORCH_CONCEPT(GemmTensorForms,
                  "the tensor forms of the GEMM: int8 or uint8 activations in, int32/float32/8-bit tensors out",
                  "an int8 a runs as a + 128 with z_a + 128 (same a - z_a); outputs equal the reference epilogues on "
                  "acc[m, n] = sum_k (a[m, k] - z_a) * (w[n, k] - z_w[n]); a K mismatch is a ShapeError naming both "
                  "shapes");

TEST(GemmTensorForms, Int8ActivationsEqualTheirUint8Shift) {
  // a_u8 = a_s8 + 128 with z_u8 = z_s8 + 128 gives the same a − z, hence the same output.
  Generator generator(1521);
  const Case c = make_case(5, 17, 33, Values::Random, ZeroPoints::AffineRandom, generator);
  const PackedWeightsS8 packed = pack(c);
  std::vector<int32_t> a_u8(c.a.begin(), c.a.end()), a_s8;
  for (int32_t v : a_u8) a_s8.push_back(v - 128);
  const Tensor from_u8 = gemm_u8s8s32(Tensor::from_int32(a_u8, {c.M, c.K}).to(DType::UInt8), c.a_zero_point, packed);
  const Tensor from_s8 = gemm_u8s8s32(Tensor::from_int32(a_s8, {c.M, c.K}).to(DType::Int8), c.a_zero_point - 128, packed);
  EXPECT_EQ(from_u8.shape(), (Shape{c.M, c.N}));
  EXPECT_EQ(from_u8.to_int32_vector(), reference_acc(c));
  EXPECT_EQ(from_s8.to_int32_vector(), reference_acc(c));
}

TINYTORCH_TEST_FORMULA(GemmTensorForms, EpilogueFormsGiveTheReferenceOutputs,
                       "gemm_u8s8f32 -> float32 = dequantize_s32_to_f32_ref(acc); "
                       "gemm_u8s8u8 / gemm_u8s8s8 -> uint8 / int8 = requantize_s32_to_u8_ref / _s8_ref(acc), "
                       "bit for bit");
TEST(GemmTensorForms, EpilogueFormsGiveTheReferenceOutputs) {
  Generator generator(1522);
  const Case c = make_case(3, 20, 9, Values::Random, ZeroPoints::None, generator);
  const PackedWeightsS8 packed = pack(c);
  const std::vector<int32_t> acc = reference_acc(c);
  const EpilogueArrays arrays = make_epilogue(acc, c.N, generator);
  const Tensor a = Tensor::from_int32(std::vector<int32_t>(c.a.begin(), c.a.end()), {c.M, c.K}).to(DType::UInt8);

  const DequantizeEpilogue dequantize{arrays.scale, arrays.bias_s32, {}};
  std::vector<float> want_f(acc.size());
  dequantize_s32_to_f32_ref(c.M, c.N, acc.data(), c.N, dequantize, want_f.data(), c.N);
  const Tensor y = gemm_u8s8f32(a, c.a_zero_point, packed, dequantize);
  EXPECT_EQ(y.dtype(), DType::Float32);
  assert_same_bits(std::vector<float>(y.data<float>(), y.data<float>() + y.numel()), want_f, c.N, "gemm_u8s8f32 tensor");

  const RequantizeEpilogue to_u8{arrays.multiplier, arrays.shift, arrays.bias_s32, arrays.zero_point_u8, 0, 255};
  std::vector<uint8_t> want_u8(acc.size());
  requantize_s32_to_u8_ref(c.M, c.N, acc.data(), c.N, to_u8, want_u8.data(), c.N);
  const Tensor q = gemm_u8s8u8(a, c.a_zero_point, packed, to_u8);
  EXPECT_EQ(q.dtype(), DType::UInt8);
  assert_same(std::vector<uint8_t>(q.data<uint8_t>(), q.data<uint8_t>() + q.numel()), want_u8, c.N, "gemm_u8s8u8 tensor");

  const RequantizeEpilogue to_s8{arrays.multiplier, arrays.shift, arrays.bias_s32, arrays.zero_point_u8 - 128, -128, 127};
  std::vector<int8_t> want_s8(acc.size());
  requantize_s32_to_s8_ref(c.M, c.N, acc.data(), c.N, to_s8, want_s8.data(), c.N);
  const Tensor s = gemm_u8s8s8(a, c.a_zero_point, packed, to_s8);
  EXPECT_EQ(s.dtype(), DType::Int8);
  assert_same(std::vector<int8_t>(s.data<int8_t>(), s.data<int8_t>() + s.numel()), want_s8, c.N, "gemm_u8s8s8 tensor");
}

TINYTORCH_TEST_FORMULA(GemmTensorForms, ShapeAndDTypeErrorsNameTheShapes,
                       "a:(M, K) against packed (N, K): a K mismatch -> ShapeError naming (2, 3) and (4, 5); "
                       "float32 a -> DTypeError; int8 a with z_a outside [-128, 127] -> ValueError");
TEST(GemmTensorForms, ShapeAndDTypeErrorsNameTheShapes) {
  const PackedWeightsS8 packed = pack_weights_s8(Tensor::zeros({4, 5}, DType::Int8));
  try {
    gemm_u8s8s32(Tensor::zeros({2, 3}, DType::UInt8), 0, packed);
    FAIL() << "expected ShapeError for K = 3 against K = 5";
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4, 5)"), std::string::npos) << message;
  }
  EXPECT_THROW(gemm_u8s8s32(Tensor::zeros({2, 5}), 0, packed), DTypeError);
  EXPECT_THROW(gemm_u8s8s32(Tensor::zeros({2, 5}, DType::Int8), 128, packed), ValueError);
}

}  // namespace
}  // namespace tinytorch
