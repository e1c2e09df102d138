// Choosing scale and zero point: formulas (3) and (4) of qparams.hpp, checked
// on ranges whose parameters are worked out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/qparams.hpp"

using namespace tinytorch;

namespace {

constexpr QuantSpec kAffineInt8{QDType::Int8, QScheme::Affine, false, false, 0};
constexpr QuantSpec kAffineUInt8{QDType::UInt8, QScheme::Affine, false, false, 0};
constexpr QuantSpec kSymmetricInt8{QDType::Int8, QScheme::Symmetric, false, false, 0};
constexpr QuantSpec kSymmetricInt8Narrow{QDType::Int8, QScheme::Symmetric, true, false, 0};

}  // namespace

TINYTORCH_CONCEPT(ChooseQParams,
                  "choosing the scale and zero point that map a float range [min, max] onto the integers [qmin, qmax]",
                  "affine: scale = (max - min) / (qmax - qmin), zero_point = qmin - round(min / scale); "
                  "symmetric: scale = max(|min|, |max|) / qmax, zero_point = 0");

TINYTORCH_CONCEPT(QuantRange,
                  "the integer range [qmin, qmax] each quantized type can hold, and the tensor dtype that stores it",
                  "int8 [-128, 127], uint8 [0, 255], int4 [-8, 7]; narrow range drops the lowest value (int8 [-127, "
                  "127], uint8 [1, 255], int4 [-7, 7]); storage: uint8 -> UInt8, int8 and int4 -> Int8");

TEST(QuantRange, IntegerLimitsOfEachTypeAndTheNarrowVariants) {
  EXPECT_EQ(quant_range(QDType::Int8).min, -128);
  EXPECT_EQ(quant_range(QDType::Int8).max, 127);
  EXPECT_EQ(quant_range(QDType::Int8, true).min, -127);
  EXPECT_EQ(quant_range(QDType::UInt8).min, 0);
  EXPECT_EQ(quant_range(QDType::UInt8).max, 255);
  EXPECT_EQ(quant_range(QDType::UInt8, true).min, 1);
  EXPECT_EQ(quant_range(QDType::Int4).min, -8);
  EXPECT_EQ(quant_range(QDType::Int4).max, 7);
  EXPECT_EQ(quant_range(QDType::Int4, true).min, -7);
  EXPECT_EQ(storage_dtype(QDType::UInt8), DType::UInt8);
  EXPECT_EQ(storage_dtype(QDType::Int4), DType::Int8);
}

TEST(ChooseQParams, AffineInt8FromMinusOneToThree) {
  // s = (3 − (−1)) / 255 = 4/255; z = −128 − round(−1 / (4/255)) = −128 − round(−63.75) = −128 + 64 = −64.
  const QParams p = choose_qparams(-1.0f, 3.0f, kAffineInt8);
  EXPECT_FLOAT_EQ(p.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], -64);
  EXPECT_FALSE(p.per_channel());
}

TEST(ChooseQParams, AffineUInt8IsTheInt8ResultShiftedBy128) {
  // z = 0 − round(−63.75) = 64 = −64 + 128, same scale.
  const QParams p = choose_qparams(-1.0f, 3.0f, kAffineUInt8);
  EXPECT_FLOAT_EQ(p.scale[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point[0], 64);
}

TINYTORCH_TEST_FORMULA(ChooseQParams, RangeIsWidenedToContainZero,
                       "min <- min(min, 0), max <- max(max, 0) first; then scale = (max - min) / (qmax - qmin), "
                       "zero_point = clamp(qmin - round(min / scale), qmin, qmax)");
TEST(ChooseQParams, RangeIsWidenedToContainZero) {
  // [2, 5] -> [0, 5]: s = 5/255, z = −128 − round(0) = −128, so q = −128 means exactly 0.
  const QParams positive = choose_qparams(2.0f, 5.0f, kAffineInt8);
  EXPECT_FLOAT_EQ(positive.scale[0], 5.0f / 255.0f);
  EXPECT_EQ(positive.zero_point[0], -128);
  // [−6, −3] -> [−6, 0]: s = 6/255, z = −128 − round(−255) = 127.
  const QParams negative = choose_qparams(-6.0f, -3.0f, kAffineInt8);
  EXPECT_FLOAT_EQ(negative.scale[0], 6.0f / 255.0f);
  EXPECT_EQ(negative.zero_point[0], 127);
}

TINYTORCH_TEST_FORMULA(ChooseQParams, SymmetricUsesTheLargerMagnitudeAndZeroPointZero,
                       "a = max(|min|, |max|); scale = a / ((qmax - qmin) / 2); "
                       "zero_point = 0 for int8 (narrow [-127, 127]: a / 127; full [-128, 127]: a / 127.5)");
TEST(ChooseQParams, SymmetricUsesTheLargerMagnitudeAndZeroPointZero) {
  // a = max(|−2|, |1|) = 2. Narrow int8: s = 2 / ((127 − (−127))/2) = 2/127. Full: 2/127.5.
  const QParams narrow = choose_qparams(-2.0f, 1.0f, kSymmetricInt8Narrow);
  EXPECT_FLOAT_EQ(narrow.scale[0], 2.0f / 127.0f);
  EXPECT_EQ(narrow.zero_point[0], 0);
  const QParams full = choose_qparams(-2.0f, 1.0f, kSymmetricInt8);
  EXPECT_FLOAT_EQ(full.scale[0], 2.0f / 127.5f);
  EXPECT_EQ(full.zero_point[0], 0);
}

TINYTORCH_TEST_FORMULA(ChooseQParams, SymmetricUInt8AndInt4ZeroPoints,
                       "symmetric: scale = max(|min|, |max|) / ((qmax - qmin) / 2), zero_point = the middle of [qmin, "
                       "qmax] = ceil((qmin + qmax) / 2) (uint8: 127.5 -> 128; int4: 0)");
TEST(ChooseQParams, SymmetricUInt8AndInt4ZeroPoints) {
  // uint8 [0, 255]: middle 127.5 -> 128. int4 narrow [−7, 7]: s = 7/7 = 1, z = 0.
  const QParams u8 = choose_qparams(-1.0f, 1.0f, QuantSpec{QDType::UInt8, QScheme::Symmetric, false, false, 0});
  EXPECT_EQ(u8.zero_point[0], 128);
  EXPECT_FLOAT_EQ(u8.scale[0], 1.0f / 127.5f);
  const QParams i4 = choose_qparams(-7.0f, 3.5f, QuantSpec{QDType::Int4, QScheme::Symmetric, true, false, 0});
  EXPECT_FLOAT_EQ(i4.scale[0], 1.0f);
  EXPECT_EQ(i4.zero_point[0], 0);
}

TINYTORCH_TEST_FORMULA(ChooseQParams, AllZeroRangeGetsScaleOneSoEveryDivisionStaysFinite,
                       "min = max = 0: scale = 1, zero_point = the middle ceil((qmin + qmax) / 2) (int8: 0)");
TEST(ChooseQParams, AllZeroRangeGetsScaleOneSoEveryDivisionStaysFinite) {
  const QParams affine = choose_qparams(0.0f, 0.0f, kAffineInt8);
  EXPECT_EQ(affine.scale[0], 1.0f);
  EXPECT_GE(affine.zero_point[0], -128);
  EXPECT_LE(affine.zero_point[0], 127);
  const QParams symmetric = choose_qparams(0.0f, 0.0f, kSymmetricInt8Narrow);
  EXPECT_EQ(symmetric.scale[0], 1.0f);
  EXPECT_EQ(symmetric.zero_point[0], 0);
}

TINYTORCH_TEST_FORMULA(ChooseQParams, PerChannelGivesEachChannelItsOwnRange,
                       "per channel c: scale[c] = max(|mins[c]|, |maxs[c]|) / 127 (symmetric narrow int8)");
TEST(ChooseQParams, PerChannelGivesEachChannelItsOwnRange) {
  QuantSpec spec = kSymmetricInt8Narrow;
  spec.per_channel = true;
  spec.axis = 0;
  const QParams p = choose_qparams_per_channel({-1.0f, 0.0f, -0.5f}, {0.5f, 127.0f, 0.25f}, spec);
  EXPECT_TRUE(p.per_channel());
  ASSERT_EQ(p.channels(), 3);
  EXPECT_FLOAT_EQ(p.scale[0], 1.0f / 127.0f);  // a = 1
  EXPECT_FLOAT_EQ(p.scale[1], 1.0f);           // a = 127
  EXPECT_FLOAT_EQ(p.scale[2], 0.5f / 127.0f);  // a = 0.5
}

TINYTORCH_TEST_FORMULA(ChooseQParams, RejectsNonFiniteAndInvertedRanges,
                       "a NaN/Inf bound or min > max throws ValueError; per channel, "
                       "mins and maxs must have the same non-zero length (ValueError)");
TEST(ChooseQParams, RejectsNonFiniteAndInvertedRanges) {
  EXPECT_THROW(choose_qparams(NAN, 1.0f, kAffineInt8), ValueError);
  EXPECT_THROW(choose_qparams(0.0f, INFINITY, kAffineInt8), ValueError);
  EXPECT_THROW(choose_qparams(2.0f, 1.0f, kAffineInt8), ValueError);
  QuantSpec spec = kSymmetricInt8Narrow;
  spec.per_channel = true;
  EXPECT_THROW(choose_qparams_per_channel({0.0f}, {1.0f, 2.0f}, spec), ValueError);
  EXPECT_THROW(choose_qparams_per_channel({}, {}, spec), ValueError);
}

TINYTORCH_CONCEPT(QParamsNames, "the names of quantized types and schemes used in messages, configs and files",
                  "\"int8\" | \"uint8\" | \"int4\"; \"affine\" | \"symmetric\"; "
                  "any other name throws ValueError listing the valid ones; QParams::to_string shows "
                  "\"zero_point=<z>\"");

TEST(QParamsNames, ParseAndPrint) {
  EXPECT_EQ(parse_qdtype("uint8"), QDType::UInt8);
  EXPECT_EQ(parse_qscheme("symmetric"), QScheme::Symmetric);
  EXPECT_EQ(to_string(QDType::Int4), "int4");
  EXPECT_THROW(parse_qdtype("int16"), ValueError);
  EXPECT_THROW(parse_qscheme("sym"), ValueError);
  const QParams p = choose_qparams(-1.0f, 3.0f, kAffineInt8);
  EXPECT_NE(p.to_string().find("zero_point=-64"), std::string::npos) << p.to_string();
}
