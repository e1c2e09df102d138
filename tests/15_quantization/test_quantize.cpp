// quantize / dequantize: (1) and (2) of quantize.hpp against hand-computed
// values, the s/2 round-trip bound, clamping, exact zero and the int8 limits.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/quantize.hpp"

using namespace tinytorch;

namespace {

QParams per_tensor(QDType dtype, float scale, int32_t zero_point, bool narrow = false) {
  QParams p;
  p.dtype = dtype;
  p.narrow_range = narrow;
  p.scale = {scale};
  p.zero_point = {zero_point};
  return p;
}

std::vector<QuantSpec> every_per_tensor_spec() {
  std::vector<QuantSpec> specs;
  for (QDType dtype : {QDType::Int8, QDType::UInt8, QDType::Int4}) {
    for (QScheme scheme : {QScheme::Affine, QScheme::Symmetric}) {
      for (bool narrow : {false, true}) specs.push_back(QuantSpec{dtype, scheme, narrow, false, 0});
    }
  }
  return specs;
}

}  // namespace

TINYTORCH_CONCEPT(QuantizeInt8, "the first quantizer: int8, affine, one scale and zero point for the whole tensor",
                  "scale = (max - min) / 255 over [min(min, 0), max(max, 0)]; "
                  "zero_point = clamp(-128 - round(min / scale), -128, 127); q = clamp(round(x / scale) + zero_point, "
                  "-128, 127); x_hat = scale * (q - zero_point)");

TEST(QuantizeInt8, HandComputedValues) {
  // Range [−1, 3]: s = 4/255, z = −64 (test_qparams). q = round(x·255/4) − 64:
  //   −1 -> round(−63.75) − 64 = −128;  0 -> −64;  0.5 -> round(31.875) − 64 = −32;  3 -> round(191.25) − 64 = 127.
  const Int8Quantized q = quantize_int8(Tensor::from_values({-1.0f, 0.0f, 0.5f, 3.0f}));
  EXPECT_EQ(q.values.dtype(), DType::Int8);
  EXPECT_FLOAT_EQ(q.scale, 4.0f / 255.0f);
  EXPECT_EQ(q.zero_point, -64);
  EXPECT_EQ(q.values.to_int32_vector(), (std::vector<int32_t>{-128, -64, -32, 127}));
  // x̂ = s(q − z): −64·4/255, 0, 32·4/255, 191·4/255.
  const std::vector<float> back = dequantize_int8(q.values, q.scale, q.zero_point).to_vector();
  EXPECT_FLOAT_EQ(back[0], -64.0f * 4.0f / 255.0f);
  EXPECT_EQ(back[1], 0.0f);
  EXPECT_FLOAT_EQ(back[2], 32.0f * 4.0f / 255.0f);
  EXPECT_FLOAT_EQ(back[3], 191.0f * 4.0f / 255.0f);
}

TINYTORCH_TEST_FORMULA(QuantizeInt8, TheExtremesMapToTheInt8Limits,
                       "q(min) = round(min / scale) + zero_point = -128 and q(max) = 127: the range fills [-128, 127]");
TEST(QuantizeInt8, TheExtremesMapToTheInt8Limits) {
  // The minimum of a range is q_min and its maximum q_max (up to one rounding step).
  Generator generator(3);
  const Tensor x = Tensor::uniform({257}, -3.0f, 5.0f, generator);
  const Int8Quantized q = quantize_int8(x);
  const std::vector<int32_t> values = q.values.to_int32_vector();
  EXPECT_EQ(*std::min_element(values.begin(), values.end()), -128);
  EXPECT_EQ(*std::max_element(values.begin(), values.end()), 127);
}

TINYTORCH_CONCEPT(Quantize,
                  "quantizing a float tensor to integers and back with given (or chosen) scale and zero point",
                  "q = clamp(round(x / scale) + zero_point, qmin, qmax), round = half to even; "
                  "x_hat = scale * (q - zero_point)");

TINYTORCH_TEST_FORMULA(Quantize, RoundsHalfToEven,
                       "round() is round-half-to-even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -1.5 -> -2, -2.5 -> -2");
TEST(Quantize, RoundsHalfToEven) {
  // s = 1, z = 0: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, −0.5 -> 0, −1.5 -> −2, −2.5 -> −2.
  const Tensor q = quantize(Tensor::from_values({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f}),
                            per_tensor(QDType::Int8, 1.0f, 0));
  EXPECT_EQ(q.to_int32_vector(), (std::vector<int32_t>{0, 2, 2, 0, -2, -2}));
}

TINYTORCH_TEST_FORMULA(Quantize, ClampsOutsideTheRange,
                       "q = clamp(round(x / scale) + zero_point, qmin, qmax): int8 [-128, 127] (narrow [-127, 127]), "
                       "uint8 [0, 255], int4 [-8, 7]");
TEST(Quantize, ClampsOutsideTheRange) {
  // s = 0.1: 100 -> 1000 steps -> 127; −100 -> −128 (−127 in narrow range); 1e30 does not overflow.
  const Tensor x = Tensor::from_values({100.0f, -100.0f, 1e30f, -1e30f});
  EXPECT_EQ(quantize(x, per_tensor(QDType::Int8, 0.1f, 0)).to_int32_vector(),
            (std::vector<int32_t>{127, -128, 127, -128}));
  EXPECT_EQ(quantize(x, per_tensor(QDType::Int8, 0.1f, 0, true)).to_int32_vector(),
            (std::vector<int32_t>{127, -127, 127, -127}));
  EXPECT_EQ(quantize(x, per_tensor(QDType::UInt8, 0.1f, 128)).to_int32_vector(),
            (std::vector<int32_t>{255, 0, 255, 0}));
  EXPECT_EQ(quantize(x, per_tensor(QDType::Int4, 0.1f, 0)).to_int32_vector(),
            (std::vector<int32_t>{7, -8, 7, -8}));
}

TINYTORCH_TEST_FORMULA(Quantize, RoundTripErrorIsAtMostHalfAScaleInsideTheRange,
                       "for x inside [min, max]: |x - x_hat| <= scale / 2 (one rounding); "
                       "symmetric full range: <= scale, since a = 127.5 * scale but q <= 127");
TEST(Quantize, RoundTripErrorIsAtMostHalfAScaleInsideTheRange) {
  // Inside [min, max] only rounding errs: |x − x̂| ≤ s/2 (plus float rounding of s·(q − z)).
  Generator generator(15);
  for (const QuantSpec& spec : every_per_tensor_spec()) {
    for (int64_t n : {1, 3, 17, 63, 65, 257}) {
      const Tensor x = Tensor::uniform({n}, -2.5f, 1.5f, generator);
      const QuantizedTensor q = quantize_tensor(x, spec);
      const float scale = q.params.scale[0];
      const std::vector<float> original = x.to_vector();
      const std::vector<float> back = q.dequantize().to_vector();
      // symmetric full-range types lose the top half-step to clamping: a = 127.5·s but q ≤ 127
      const bool top_clamped = spec.scheme == QScheme::Symmetric && !spec.narrow_range;
      const float bound = (top_clamped ? 1.0f : 0.5f) * scale * (1.0f + 1e-5f) + 1e-6f;
      for (std::size_t i = 0; i < original.size(); ++i) {
        ASSERT_LE(std::fabs(original[i] - back[i]), bound)
            << to_string(spec.dtype) << " " << to_string(spec.scheme) << " narrow=" << spec.narrow_range
            << " n=" << n << " x=" << original[i];
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Quantize, RealZeroIsExactlyRepresentable,
                       "the range is widened to contain 0, so x = 0 -> q = zero_point -> x_hat = scale * 0 = 0 "
                       "exactly");
TEST(Quantize, RealZeroIsExactlyRepresentable) {
  Generator generator(7);
  for (const QuantSpec& spec : every_per_tensor_spec()) {
    for (float lo : {-3.7f, -0.01f, 0.2f}) {
      Tensor x = Tensor::uniform({64}, lo, lo + 5.3f, generator);
      x.data<float>()[17] = 0.0f;
      const QuantizedTensor q = quantize_tensor(x, spec);
      EXPECT_EQ(q.values.to_int32_vector()[17], q.params.zero_point[0]);
      EXPECT_EQ(q.dequantize().to_vector()[17], 0.0f) << to_string(spec.dtype) << " " << to_string(spec.scheme);
    }
  }
}

TINYTORCH_TEST_FORMULA(Quantize, PerChannelScalesFollowEachRow,
                       "per channel along axis 0, symmetric narrow int8: scale[r] = max|row r| / 127; "
                       "q[r][j] = clamp(round(w[r][j] / scale[r]), -127, 127)");
TEST(Quantize, PerChannelScalesFollowEachRow) {
  // Rows of very different size: per channel (axis 0), symmetric narrow int8,
  // each row gets s_r = max|row| / 127, so its largest element is ±127.
  // Row 0 is chosen so its scale is exactly 2^-12 (max = 127/4096).
  const Tensor w = Tensor::from_values({127.0f / 4096, -12.0f / 4096, 2.5f / 4096,  //
                                        10.0f, -4.0f, 2.0f,                          //
                                        -1.0f, 0.25f, 0.1f},
                                       {3, 3});
  const QuantizedTensor q = quantize_tensor(w, QuantSpec{QDType::Int8, QScheme::Symmetric, true, true, 0});
  ASSERT_EQ(q.params.channels(), 3);
  EXPECT_EQ(q.params.scale[0], 1.0f / 4096);
  EXPECT_FLOAT_EQ(q.params.scale[1], 10.0f / 127.0f);
  EXPECT_FLOAT_EQ(q.params.scale[2], 1.0f / 127.0f);
  // row 0: 127, −12, 2.5 -> 2 (half to even)
  // row 1: 127, −4·12.7 = −50.8 -> −51, 25.4 -> 25;  row 2: −127, 31.75 -> 32, 12.7 -> 13
  EXPECT_EQ(q.values.to_int32_vector(), (std::vector<int32_t>{127, -12, 2, 127, -51, 25, -127, 32, 13}));
  // A per-tensor scale (10/127) would have crushed row 0 to zeros:
  const QuantizedTensor coarse = quantize_tensor(w, QuantSpec{QDType::Int8, QScheme::Symmetric, true, false, 0});
  EXPECT_EQ(coarse.values.to_int32_vector()[0], 0);
}

TINYTORCH_TEST_FORMULA(Quantize, PerChannelAlongTheLastAxis,
                       "per channel along axis 1: channel c is column c, scale[c] = max|column c| / 127; "
                       "q = clamp(round(x / scale[c]), -127, 127)");
TEST(Quantize, PerChannelAlongTheLastAxis) {
  // axis 1 of a (2, 3): channel c holds column c.
  const Tensor x = Tensor::from_values({1.0f, -20.0f, 0.5f, -2.0f, 10.0f, 0.25f}, {2, 3});
  const QuantizedTensor q = quantize_tensor(x, QuantSpec{QDType::Int8, QScheme::Symmetric, true, true, 1});
  ASSERT_EQ(q.params.channels(), 3);
  EXPECT_FLOAT_EQ(q.params.scale[0], 2.0f / 127.0f);
  EXPECT_FLOAT_EQ(q.params.scale[1], 20.0f / 127.0f);
  EXPECT_FLOAT_EQ(q.params.scale[2], 0.5f / 127.0f);
  const std::vector<int32_t> v = q.values.to_int32_vector();
  EXPECT_EQ(v[1], -127);
  EXPECT_EQ(v[3], -127);
  EXPECT_EQ(v[2], 127);
}

TINYTORCH_TEST_FORMULA(Quantize, AffineUInt8IsAffineInt8PlusOneHundredTwentyEight,
                       "affine: same scale, zero_point(uint8) = zero_point(int8) + 128, so q_uint8 = q_int8 + 128");
TEST(Quantize, AffineUInt8IsAffineInt8PlusOneHundredTwentyEight) {
  Generator generator(5);
  const Tensor x = Tensor::uniform({65}, -1.0f, 2.0f, generator);
  const std::vector<int32_t> s8 = quantize_tensor(x, QuantSpec{QDType::Int8, QScheme::Affine, false, false, 0})
                                      .values.to_int32_vector();
  const std::vector<int32_t> u8 = quantize_tensor(x, QuantSpec{QDType::UInt8, QScheme::Affine, false, false, 0})
                                      .values.to_int32_vector();
  for (std::size_t i = 0; i < s8.size(); ++i) ASSERT_EQ(u8[i], s8[i] + 128);
}

TINYTORCH_TEST_FORMULA(Quantize, ConstantTensorsGetAValidScale,
                       "all c > 0: range [0, c], scale = c / 255, x_hat = c; all 0: scale = 1 and every x_hat = 0");
TEST(Quantize, ConstantTensorsGetAValidScale) {
  // All 5: range [0, 5], s = 5/255, 5 -> q = 127, x̂ = (127 + 128)·5/255 = 5.
  const Int8Quantized fives = quantize_int8(Tensor::full({4}, 5.0f));
  EXPECT_FLOAT_EQ(fives.scale, 5.0f / 255.0f);
  EXPECT_FLOAT_EQ(dequantize_int8(fives.values, fives.scale, fives.zero_point).to_vector()[2], 5.0f);
  // All 0: s = 1, every value round-trips to 0.
  const Int8Quantized zeros = quantize_int8(Tensor::zeros({3}));
  EXPECT_EQ(zeros.scale, 1.0f);
  EXPECT_EQ(dequantize_int8(zeros.values, zeros.scale, zeros.zero_point).to_vector(), std::vector<float>(3, 0.0f));
}

TINYTORCH_TEST_FORMULA(Quantize, NanAndInfAreRejectedWithTheirIndex,
                       "a NaN or +-Inf element has no integer: ValueError naming the operation and \"element <i>\"");
TEST(Quantize, NanAndInfAreRejectedWithTheirIndex) {
  Tensor x = Tensor::zeros({2, 3});
  x.data<float>()[4] = NAN;
  try {
    quantize_int8(x);
    FAIL() << "NaN was quantized";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("element 4"), std::string::npos) << e.what();
  }
  x.data<float>()[4] = -INFINITY;
  EXPECT_THROW(quantize(x, per_tensor(QDType::Int8, 1.0f, 0)), ValueError);
}

TINYTORCH_TEST_FORMULA(Quantize, BadArgumentsNameTheProblem,
                       "channels != x.size(axis) or axis >= x.dim() or an empty tensor: ShapeError; "
                       "scale <= 0: ValueError; non-float32 input or values of the wrong integer dtype: DTypeError");
TEST(Quantize, BadArgumentsNameTheProblem) {
  const Tensor x = Tensor::zeros({2, 3});
  QParams channels = per_tensor(QDType::Int8, 1.0f, 0);
  channels.axis = 0;
  channels.scale = {1.0f, 1.0f, 1.0f};  // 3 channels for an axis of size 2
  channels.zero_point = {0, 0, 0};
  EXPECT_THROW(quantize(x, channels), ShapeError);
  EXPECT_THROW(quantize(x, per_tensor(QDType::Int8, 0.0f, 0)), ValueError);
  EXPECT_THROW(quantize(x, per_tensor(QDType::Int8, -1.0f, 0)), ValueError);
  EXPECT_THROW(quantize(Tensor::from_int32({1, 2}, {2}), per_tensor(QDType::Int8, 1.0f, 0)), DTypeError);
  const Tensor q8 = quantize(x, per_tensor(QDType::Int8, 1.0f, 0));
  EXPECT_THROW(dequantize(q8, per_tensor(QDType::UInt8, 1.0f, 0)), DTypeError);
  EXPECT_THROW(quantize_tensor(Tensor::zeros({0}), QuantSpec{}), ShapeError);
  EXPECT_THROW(quantize_tensor(x, QuantSpec{QDType::Int8, QScheme::Symmetric, true, true, 2}), ShapeError);
}
