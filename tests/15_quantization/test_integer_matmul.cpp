// integer_matmul (integer_matmul.hpp), the tensor form of the integer GEMM, and
// its reference gemm_u8s8s32_ref (gemm_u8s8s32.hpp):
//   acc[m, n] = Σ_k (a[m, k] − z_a) · (w[n, k] − z_w[n])   in int32,
// checked bit for bit against a hand computation and an int64 triple loop on
// awkward shapes, at the extremes of every range, and in its int8-activation form.
// integer_matmul runs the dispatched kernel (the best path of this CPU, or
// TINYTORCH_ISA's); test_gemm_u8s8s32.cpp checks every path on its own.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"
#include "tinytorch/perf/integer_matmul.hpp"

namespace tinytorch {
namespace {

// The awkward shapes of STYLE.md: 1, small odd, one past / one short of 64, deep K.
const std::vector<int64_t> kRowCounts = {1, 3, 17, 63, 65};
const std::vector<int64_t> kDepths = {1, 3, 17, 63, 65, 257};
// The deepest K whose worst-case sum fits an int32: 2^15 · 255 · 255 = 2,130,739,200 < 2^31 − 1.
constexpr int64_t kMaxDepth = 32768;

Tensor uint8_tensor(const std::vector<int32_t>& values, const Shape& shape) {
  return Tensor::from_int32(values, shape).to(DType::UInt8);
}
Tensor int8_tensor(const std::vector<int32_t>& values, const Shape& shape) {
  return Tensor::from_int32(values, shape).to(DType::Int8);
}

// Uniform integers in [low, high].
std::vector<int32_t> random_ints(int64_t count, int32_t low, int32_t high, Generator& generator) {
  std::vector<int32_t> values(static_cast<std::size_t>(count));
  for (int32_t& v : values) v = low + static_cast<int32_t>(generator.below(static_cast<uint64_t>(high - low + 1)));
  return values;
}

// The formula itself in int64 (cannot overflow), from plain vectors of ints.
std::vector<int64_t> naive_acc(int64_t M, int64_t N, int64_t K, const std::vector<int32_t>& a, int32_t a_zero_point,
                               const std::vector<int32_t>& w, const std::vector<int32_t>& w_zero_point) {
  std::vector<int64_t> acc(static_cast<std::size_t>(M * N), 0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) {
        acc[static_cast<std::size_t>(m * N + n)] +=
            int64_t{a[static_cast<std::size_t>(m * K + k)] - a_zero_point} *
            int64_t{w[static_cast<std::size_t>(n * K + k)] - w_zero_point[static_cast<std::size_t>(n)]};
      }
  return acc;
}

void expect_equal_acc(const Tensor& acc, const std::vector<int64_t>& want, const std::string& where) {
  const std::vector<int32_t> got = acc.to_int32_vector();
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(int64_t{got[i]}, want[i]) << where << ", element " << i;
  }
}

TINYTORCH_CONCEPT(IntegerMatmul, "the integer matrix multiply at the heart of a quantized Linear",
                  "acc[m, n] = sum_k (a[m, k] - z_a) * (w[n, k] - z_w[n]) in int32, a:(M, K) uint8 or int8, w:(N, "
                  "K) int8 -> acc:(M, N) int32, K <= 32768");

TINYTORCH_TEST_FORMULA(IntegerMatmul, HandComputedTwoByTwo,
                       "a - z_a = [[3, 0], [-2, 5]], w - z_w = [[3, -4], [1, 8]]; acc[m, n] = sum_k (a - z_a)[m, "
                       "k] * (w - z_w)[n, k] = [[9, 3], [-26, 38]]");
TEST(IntegerMatmul, HandComputedTwoByTwo) {
  // a − z_a = [[5,2],[0,7]] − 2 = [[3,0],[−2,5]];  w − z_w = [[4,−3]−1, [−1,6]+2] = [[3,−4],[1,8]]
  // acc = [[3·3+0·(−4), 3·1+0·8], [−2·3+5·(−4), −2·1+5·8]] = [[9, 3], [−26, 38]]
  const Tensor a = uint8_tensor({5, 2, 0, 7}, {2, 2});
  const Tensor w = int8_tensor({4, -3, -1, 6}, {2, 2});
  const Tensor acc = integer_matmul(a, 2, w, {1, -2});
  EXPECT_EQ(acc.dtype(), DType::Int32);
  EXPECT_EQ(acc.shape(), (Shape{2, 2}));
  EXPECT_EQ(acc.to_int32_vector(), (std::vector<int32_t>{9, 3, -26, 38}));
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, RawPointerReferenceOnHandComputedCase,
                       "gemm_u8s8s32_ref on the same 2x2 case: acc[m, n] = sum_k (a[m, k] - z_a) * (w[n, "
                       "k] - z_w[n]) = [9, 3, -26, 38]");
TEST(IntegerMatmul, RawPointerReferenceOnHandComputedCase) {
  // The same case as above through the reference's pointer form: a:(2,2) w:(2,2) -> acc:(2,2).
  const uint8_t a[] = {5, 2, 0, 7};
  const int8_t w[] = {4, -3, -1, 6};
  const int32_t w_zero_point[] = {1, -2};
  int32_t acc[4] = {};
  gemm_u8s8s32_ref(2, 2, 2, a, 2, 2, w, 2, w_zero_point, acc, 2);
  EXPECT_EQ(std::vector<int32_t>(acc, acc + 4), (std::vector<int32_t>{9, 3, -26, 38}));
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, NonSquareHandComputedGemv,
                       "z_a = z_w = 0: acc[n] = sum_k a[k] * w[n, k] with a = [1, 2, 3]: rows [1,0,0] -> 1, "
                       "[0,1,-1] -> -1, [2,2,2] -> 12");
TEST(IntegerMatmul, NonSquareHandComputedGemv) {
  // M = 1, N = 3, K = 3, z_a = 0, z_w = 0: acc[n] = Σ_k a[k] w[n, k] with a = [1, 2, 3]
  //   w rows [1,0,0] -> 1;  [0,1,−1] -> 2 − 3 = −1;  [2,2,2] -> 2·6 = 12
  const Tensor a = uint8_tensor({1, 2, 3}, {1, 3});
  const Tensor w = int8_tensor({1, 0, 0, 0, 1, -1, 2, 2, 2}, {3, 3});
  EXPECT_EQ(integer_matmul(a, 0, w, {0, 0, 0}).to_int32_vector(), (std::vector<int32_t>{1, -1, 12}));
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, MatchesInt64FormulaOnOddShapes,
                       "acc[m, n] == sum_k (a[m, k] - z_a) * (w[n, k] - z_w[n]) computed in int64, bit for bit, "
                       "for M, N in {1, 3, 17, 63, 65}, K in {1, 3, 17, 63, 65, 257}");
TEST(IntegerMatmul, MatchesInt64FormulaOnOddShapes) {
  Generator generator(1501);
  for (int64_t M : kRowCounts) {
    for (int64_t N : kRowCounts) {
      for (int64_t K : kDepths) {
        const std::vector<int32_t> a = random_ints(M * K, 0, 255, generator);
        const std::vector<int32_t> w = random_ints(N * K, -128, 127, generator);
        const int32_t a_zero_point = random_ints(1, 0, 255, generator)[0];
        const std::vector<int32_t> w_zero_point = random_ints(N, -128, 127, generator);
        const Tensor acc = integer_matmul(uint8_tensor(a, {M, K}), a_zero_point, int8_tensor(w, {N, K}), w_zero_point);
        ASSERT_EQ(acc.shape(), (Shape{M, N}));
        expect_equal_acc(acc, naive_acc(M, N, K, a, a_zero_point, w, w_zero_point),
                         "M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) +
                             " z_a=" + std::to_string(a_zero_point));
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, ExtremeValuesAndZeroPointsAtTheEdges,
                       "K equal terms: acc = K * (a - z_a) * (w - z_w), with a, z_a in {0, 255} and w, z_w in {-128, "
                       "127} (products up to +-255 * 255 = +-65025)");
TEST(IntegerMatmul, ExtremeValuesAndZeroPointsAtTheEdges) {
  // Every combination of a ∈ {0, 255}, z_a ∈ {0, 255}, w ∈ {−128, 127}, z_w ∈ {−128, 127}:
  // products reach ±255·255 = ±65025, the largest an 8-bit pair can make.
  const int64_t K = 257;
  for (int32_t a_value : {0, 255}) {
    for (int32_t a_zero_point : {0, 255}) {
      for (int32_t w_value : {-128, 127}) {
        for (int32_t w_zero_point : {-128, 127}) {
          const std::vector<int32_t> a(K, a_value), w(K, w_value);
          const Tensor acc = integer_matmul(uint8_tensor(a, {1, K}), a_zero_point, int8_tensor(w, {1, K}), {w_zero_point});
          // K identical terms: acc = K · (a − z_a) · (w − z_w)
          const int64_t want = K * int64_t{a_value - a_zero_point} * int64_t{w_value - w_zero_point};
          EXPECT_EQ(int64_t{acc.to_int32_vector()[0]}, want)
              << "a=" << a_value << " z_a=" << a_zero_point << " w=" << w_value << " z_w=" << w_zero_point;
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, DeepestAllowedKDoesNotOverflowInt32,
                       "K = 2^15 terms of +-65025: acc = +-2^15 * 255 * 255 = +-2130739200, "
                       "inside int32 (2^31 - 1 = 2147483647)");
TEST(IntegerMatmul, DeepestAllowedKDoesNotOverflowInt32) {
  // K = 2^15 products of (0 − 255)·(−128 − 127) = 65025 each: 2,130,739,200, just below INT32_MAX;
  // and the negative twin (255 − 0)·(−128 − 127) = −65025 each: −2,130,739,200.
  const std::vector<int32_t> zeros(kMaxDepth, 0), full(kMaxDepth, 255), lowest(kMaxDepth, -128);
  const Tensor w = int8_tensor(lowest, {1, kMaxDepth});
  EXPECT_EQ(integer_matmul(uint8_tensor(zeros, {1, kMaxDepth}), 255, w, {127}).to_int32_vector()[0], 2130739200);
  EXPECT_EQ(integer_matmul(uint8_tensor(full, {1, kMaxDepth}), 0, w, {127}).to_int32_vector()[0], -2130739200);
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, KBeyondTheInt32LimitIsRejected,
                       "K > 32768 could overflow int32 (32769 * 65025 > 2^31 - 1): ValueError");
TEST(IntegerMatmul, KBeyondTheInt32LimitIsRejected) {
  const Tensor a = Tensor::zeros({1, kMaxDepth + 1}, DType::UInt8);
  const Tensor w = Tensor::zeros({1, kMaxDepth + 1}, DType::Int8);
  EXPECT_THROW(integer_matmul(a, 0, w, {0}), ValueError);
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, Int8ActivationsAgreeWithTheirUint8Shift,
                       "int8 a is run as a + 128 with z_a + 128: (a + 128) - (z_a + 128) = a - z_a, "
                       "so both give sum_k (a[m, k] - z_a) * (w[n, k] - z_w[n])");
TEST(IntegerMatmul, Int8ActivationsAgreeWithTheirUint8Shift) {
  // a_u8 = a_s8 + 128 and z_u8 = z_s8 + 128 leave every a − z unchanged, so the
  // two forms give the same accumulator — and both equal the formula on a_s8.
  Generator generator(1502);
  for (int64_t M : {1, 17, 65}) {
    for (int64_t K : {1, 63, 257}) {
      const int64_t N = 3;
      const std::vector<int32_t> a_signed = random_ints(M * K, -128, 127, generator);
      std::vector<int32_t> a_unsigned(a_signed);
      for (int32_t& v : a_unsigned) v += 128;
      const std::vector<int32_t> w = random_ints(N * K, -128, 127, generator);
      const std::vector<int32_t> w_zero_point = random_ints(N, -128, 127, generator);
      for (int32_t z_signed : {-128, -5, 0, 127}) {
        const Tensor w_tensor = int8_tensor(w, {N, K});
        const Tensor from_int8 = integer_matmul(int8_tensor(a_signed, {M, K}), z_signed, w_tensor, w_zero_point);
        const Tensor from_uint8 = integer_matmul(uint8_tensor(a_unsigned, {M, K}), z_signed + 128, w_tensor, w_zero_point);
        const std::string where = "M=" + std::to_string(M) + " K=" + std::to_string(K) + " z=" + std::to_string(z_signed);
        EXPECT_EQ(from_int8.to_int32_vector(), from_uint8.to_int32_vector()) << where;
        expect_equal_acc(from_int8, naive_acc(M, N, K, a_signed, z_signed, w, w_zero_point), where);
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, NonContiguousOperandsAreReadByValue,
                       "a transposed (non-contiguous) w gives the same acc as its contiguous copy, "
                       "and both the int64 formula");
TEST(IntegerMatmul, NonContiguousOperandsAreReadByValue) {
  // w given as the transposed view of a (K, N) tensor: the same values as its contiguous copy.
  Generator generator(1503);
  const int64_t M = 3, N = 5, K = 7;
  const std::vector<int32_t> a = random_ints(M * K, 0, 255, generator);
  const std::vector<int32_t> w_kn = random_ints(K * N, -128, 127, generator);
  const Tensor w_view = int8_tensor(w_kn, {K, N}).transpose(0, 1);  // (N, K), not contiguous
  ASSERT_FALSE(w_view.is_contiguous());
  const Tensor w_copy = w_view.contiguous();
  const std::vector<int32_t> zero_points = {0, 1, -1, 100, -100};
  EXPECT_EQ(integer_matmul(uint8_tensor(a, {M, K}), 7, w_view, zero_points).to_int32_vector(),
            integer_matmul(uint8_tensor(a, {M, K}), 7, w_copy, zero_points).to_int32_vector());
  expect_equal_acc(integer_matmul(uint8_tensor(a, {M, K}), 7, w_view, zero_points),
                   naive_acc(M, N, K, a, 7, w_copy.to_int32_vector(), zero_points), "transposed w");
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, ShapeErrorsNameBothShapes,
                       "a:(M, K), w:(N, K), N zero points: a K mismatch throws ShapeError naming both shapes; "
                       "a not 2-D or a zero-point count != N throws ShapeError");
TEST(IntegerMatmul, ShapeErrorsNameBothShapes) {
  const Tensor a = Tensor::zeros({2, 3}, DType::UInt8);
  try {
    integer_matmul(a, 0, Tensor::zeros({4, 5}, DType::Int8), {0, 0, 0, 0});
    FAIL() << "expected ShapeError for K = 3 against K = 5";
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4, 5)"), std::string::npos) << message;
  }
  EXPECT_THROW(integer_matmul(Tensor::zeros({3}, DType::UInt8), 0, Tensor::zeros({4, 3}, DType::Int8), {0, 0, 0, 0}),
               ShapeError);  // a must be 2-D
  EXPECT_THROW(integer_matmul(a, 0, Tensor::zeros({4, 3}, DType::Int8), {0, 0}), ShapeError);  // 2 zero points for N = 4
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, DTypeErrorsForFloatOrUnsignedOperands,
                       "a must be uint8 or int8 and w int8; float32, int32 or uint8 weights throw DTypeError");
TEST(IntegerMatmul, DTypeErrorsForFloatOrUnsignedOperands) {
  const Tensor w = Tensor::zeros({4, 3}, DType::Int8);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}), 0, w, {0, 0, 0, 0}), DTypeError);  // float32 a
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::Int32), 0, w, {0, 0, 0, 0}), DTypeError);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::UInt8), 0, Tensor::zeros({4, 3}, DType::UInt8), {0, 0, 0, 0}),
               DTypeError);  // weights must be int8
}

TINYTORCH_TEST_FORMULA(IntegerMatmul, ZeroPointsOutsideTheirTypeRangeAreRejected,
                       "z_a in [0, 255] for uint8 a, [-128, 127] for int8 a; every z_w[n] in [-128, 127]; "
                       "otherwise ValueError");
TEST(IntegerMatmul, ZeroPointsOutsideTheirTypeRangeAreRejected) {
  const Tensor w = Tensor::zeros({1, 3}, DType::Int8);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::UInt8), 256, w, {0}), ValueError);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::UInt8), -1, w, {0}), ValueError);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::Int8), 128, w, {0}), ValueError);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::UInt8), 0, w, {128}), ValueError);
  EXPECT_THROW(integer_matmul(Tensor::zeros({2, 3}, DType::UInt8), 0, w, {-129}), ValueError);
}

}  // namespace
}  // namespace tinytorch
