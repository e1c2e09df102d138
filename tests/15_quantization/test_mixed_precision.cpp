// Mixed-precision training (mixed_precision.hpp): the differentiable cast is the
// half_precision.hpp reference bit for bit, forward and backward; a
// MixedPrecisionLinear computes half(half(x)·half(W)ᵀ + b) on the SAME float32
// master tensors a Linear had, which the optimizer updates in float32;
// prepare/restore swap the layers in place; the dynamic loss scaler follows its
// rules step by step, and inside a Trainer it is what keeps tiny FP16 gradients alive.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/sgd.hpp"
#include "tinytorch/core/trainer.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/data/dataset.hpp"
#include "tinytorch/perf/half_precision.hpp"
#include "tinytorch/perf/mixed_precision.hpp"

using namespace tinytorch;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The specification: one value rounded to the format by the scalar references.
float reference_round(float value, DType format) {
  return format == DType::Float16 ? float16_bits_to_float32(float32_to_float16_bits(value))
                                  : bfloat16_bits_to_float32(float32_to_bfloat16_bits(value));
}

// The same float32 bit patterns (stricter than ==: tells 0 from −0, compares NaNs).
void expect_bitwise_equal(const std::vector<float>& actual, const std::vector<float>& expected, const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(actual[i]), std::bit_cast<uint32_t>(expected[i]))
        << what << " [" << i << "]: " << actual[i] << " vs " << expected[i];
  }
}

std::vector<float> reference_round_all(const std::vector<float>& values, DType format) {
  std::vector<float> rounded;
  for (float v : values) rounded.push_back(reference_round(v, format));
  return rounded;
}

// Distance between neighbouring values of `format` around |value| (normal range).
float format_ulp(float value, DType format) {
  const int mantissa_bits = format == DType::Float16 ? 10 : 7;
  return std::ldexp(1.0f, std::ilogb(value) - mantissa_bits);
}

// A Linear with chosen weights (and no bias when `bias` is empty).
std::shared_ptr<Linear> linear_from(const std::vector<float>& weight, const Shape& weight_shape,
                                    const std::vector<float>& bias) {
  return std::make_shared<Linear>(Tensor::from_values(weight, weight_shape),
                                  bias.empty() ? Tensor() : Tensor::from_values(bias));
}

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no exception)";
}

class CastToHalfPrecision : public ::testing::TestWithParam<DType> {};

// ---- cast_to_half_precision: forward --------------------------------------------------------------

TINYTORCH_CONCEPT(CastToHalfPrecisionValues,
                  "rounding float32 values to float16 / bfloat16 while keeping them in float32 tensors",
                  "cast(x) = f32(half(x)), round to nearest, ties to even; float16: from 65520 up -> Inf, at or below "
                  "2^-25 -> 0, subnormals kept; bfloat16: float32's range with 8 significant bits");

// Hand-checked values of the tables in half_precision.hpp.
TEST(CastToHalfPrecisionValues, Float16RoundsTiesToEvenOverflowsToInfAndKeepsSubnormals) {
  const std::vector<float> x = {
      1.0f + 0x1p-11f,         // halfway between 1 and 1 + 2^-10 (FP16 ulp at 1): tie -> the even 1
      1.0f + 3 * 0x1p-11f,     // halfway between 1 + 2^-10 and 1 + 2^-9: tie -> the even 1 + 2^-9
      65504.0f,                // the largest FP16
      65519.0f,                // below the 65520 midpoint: 65504
      65520.0f,                // the midpoint to 2^16: Inf
      -1e6f,                   // far out: -Inf
      0x1p-24f,                // the smallest subnormal, exact
      3 * 0x1p-25f,            // 1.5 · 2^-24: tie between 1 and 2 units -> the even 2 · 2^-24
      0x1p-25f,                // 0.5 · 2^-24: tie between 0 and 1 unit -> 0
      1e-8f,                   // below 2^-25: 0 — the gradients loss scaling rescues
      -0.0f,                   // the sign survives
  };
  const std::vector<float> expected = {1.0f,     1.0f + 0x1p-9f, 65504.0f, 65504.0f, kInf, -kInf,
                                       0x1p-24f, 0x1p-23f,       0.0f,     0.0f,     -0.0f};
  const Tensor y = cast_to_half_precision(Tensor::from_values(x), DType::Float16);
  expect_bitwise_equal(y.to_vector(), expected, "hand-rounded FP16");
  expect_bitwise_equal(y.to_vector(), reference_round_all(x, DType::Float16), "FP16 reference");
}

TEST(CastToHalfPrecisionValues, BFloat16RoundsTiesToEvenAndKeepsFloat32Range) {
  const std::vector<float> x = {
      1.0f + 0x1p-8f,       // halfway between 1 and 1 + 2^-7 (BF16 ulp at 1): tie -> 1
      1.0f + 3 * 0x1p-8f,   // halfway between 1 + 2^-7 and 1 + 2^-6: tie -> the even 1 + 2^-6
      1.0f + 0x1p-8f + 0x1p-20f,  // just above the tie: up to 1 + 2^-7
      65520.0f,             // FP16 overflows here; BF16 (8 exponent bits) gives 65536
      1e-8f,                // FP16 flushes it; BF16 keeps 8 significant bits of it
      0x1p-133f,            // the smallest BF16 subnormal, exact
  };
  const std::vector<float> expected = {1.0f,     1.0f + 0x1p-6f, 1.0f + 0x1p-7f, 65536.0f,
                                       reference_round(1e-8f, DType::BFloat16), 0x1p-133f};
  const Tensor y = cast_to_half_precision(Tensor::from_values(x), DType::BFloat16);
  expect_bitwise_equal(y.to_vector(), expected, "hand-rounded BF16");
  expect_bitwise_equal(y.to_vector(), reference_round_all(x, DType::BFloat16), "BF16 reference");
  EXPECT_NE(y.to_vector()[4], 0.0f);
  EXPECT_NEAR(y.to_vector()[4], 1e-8f, 1e-8f * 0x1p-8f);  // within half a BF16 ulp (relative 2^-8)
}

TINYTORCH_CONCEPT(CastToHalfPrecision, "the differentiable cast agrees with the scalar conversion references",
                  "cast_to_half_precision(x, Float16)[i] = float16_bits_to_float32(float32_to_float16_bits(x[i])) "
                  "bit for bit (bfloat16 likewise), for any size and any strided view; a NaN stays a NaN");

// Every odd size (the vector kernels' tails) and a strided view give the reference's bits.
TEST_P(CastToHalfPrecision, MatchesTheScalarReferenceOnAnySizeAndStride) {
  const DType format = GetParam();
  Generator generator(15);
  for (int64_t n : {1, 3, 17, 63, 65, 257}) {
    // Wide magnitudes: normals, FP16 subnormals and FP16 overflows all occur.
    const Tensor mantissas = Tensor::uniform({n}, -1.0f, 1.0f, generator);
    const Tensor exponents = Tensor::uniform({n}, -30.0f, 20.0f, generator);
    std::vector<float> x;
    for (int64_t i = 0; i < n; ++i) {
      x.push_back(std::ldexp(mantissas.to_vector()[i], static_cast<int>(exponents.to_vector()[i])));
    }
    const Tensor y = cast_to_half_precision(Tensor::from_values(x), format);
    expect_bitwise_equal(y.to_vector(), reference_round_all(x, format), "random values");
  }
  const Tensor matrix = Tensor::randn({3, 17}, 0.0f, 100.0f, generator);
  const Tensor transposed = matrix.transpose();  // (17, 3), not contiguous
  const Tensor y = cast_to_half_precision(transposed, format);
  ASSERT_EQ(y.shape(), (Shape{17, 3}));
  expect_bitwise_equal(y.to_vector(), reference_round_all(transposed.contiguous().to_vector(), format), "a view");
}

TEST_P(CastToHalfPrecision, KeepsNaNAsNaN) {
  const Tensor y = cast_to_half_precision(Tensor::from_values({std::nanf(""), 1.0f}), GetParam());
  EXPECT_TRUE(std::isnan(y.to_vector()[0]));
  EXPECT_EQ(y.to_vector()[1], 1.0f);
}

// ---- cast_to_half_precision: backward -------------------------------------------------------------

// L = Σ c·cast(x): dL/dcast(x) = c, and the cast's backward rounds it: dL/dx = half(c).
std::vector<float> gradient_through_cast(float c, DType format) {
  Tensor x = Tensor::from_values({0.5f, -2.0f, 3.0f});
  x.set_requires_grad();
  const Tensor y = cast_to_half_precision(x, format);
  sum(y * c).backward();
  return x.grad().to_vector();
}

TINYTORCH_CONCEPT(CastToHalfPrecisionGradient,
                  "the backward pass of the cast: a 16-bit tensor's gradient is a 16-bit tensor",
                  "dL/dx = half(dL/dy), the incoming gradient rounded to the same format (float16: <= 2^-25 -> 0, "
                  "from 65520 up -> Inf; bfloat16 keeps both)");

TEST(CastToHalfPrecisionGradient, ATinyGradientVanishesInFloat16ButNotInBFloat16) {
  // 1e-8 < 2^-25, half FP16's smallest subnormal: it rounds to 0 (see the forward table).
  expect_bitwise_equal(gradient_through_cast(1e-8f, DType::Float16), {0.0f, 0.0f, 0.0f}, "FP16 gradient");
  // BF16 has float32's exponent: 1e-8 survives, rounded to 8 significant bits.
  const float bf16_gradient = reference_round(1e-8f, DType::BFloat16);
  ASSERT_NE(bf16_gradient, 1e-8f);  // so the next line checks a rounding, not a copy
  expect_bitwise_equal(gradient_through_cast(1e-8f, DType::BFloat16), {bf16_gradient, bf16_gradient, bf16_gradient},
                       "BF16 gradient");
}

TEST(CastToHalfPrecisionGradient, AHugeGradientOverflowsToInfInFloat16) {
  // 70000 > 65504: FP16 Inf — the overflow the loss scaler watches for. BF16 rounds it to 70144.
  expect_bitwise_equal(gradient_through_cast(70000.0f, DType::Float16), {kInf, kInf, kInf}, "FP16 gradient");
  const float bf16 = reference_round(70000.0f, DType::BFloat16);
  EXPECT_EQ(bf16, 70144.0f);  // 70000 = 1.068 · 2^16; ulp 2^9 = 512: 136.7·512 -> 137·512 = 70144
  expect_bitwise_equal(gradient_through_cast(70000.0f, DType::BFloat16), {bf16, bf16, bf16}, "BF16 gradient");
}

TINYTORCH_TEST_FORMULA(CastToHalfPrecisionGradient, RecordsItsNodeOnlyWhenTheInputNeedsAGradient,
                       "a CastToHalfPrecisionBackward node only when x requires grad");
TEST(CastToHalfPrecisionGradient, RecordsItsNodeOnlyWhenTheInputNeedsAGradient) {
  Tensor x = Tensor::from_values({1.0f});
  EXPECT_EQ(grad_fn(cast_to_half_precision(x, DType::BFloat16)), nullptr);
  x.set_requires_grad();
  const auto node = grad_fn(cast_to_half_precision(x, DType::BFloat16));
  ASSERT_NE(node, nullptr);
  EXPECT_STREQ(node->name(), "CastToHalfPrecisionBackward");
}

TINYTORCH_CONCEPT(CastToHalfPrecisionErrors, "what cast_to_half_precision refuses",
                  "a format other than float16 / bfloat16 -> ValueError \"cast_to_half_precision: format is <f>; "
                  "expected float16 or bfloat16\"; a non-float32 input -> DTypeError naming its dtype and shape; an "
                  "undefined tensor -> ValueError");

TEST(CastToHalfPrecisionErrors, RejectsFormatsOtherThanFloat16AndBFloat16AndNonFloatInputs) {
  const Tensor x = Tensor::from_values({1.0f});
  const std::string bad_format = message_of([&] { cast_to_half_precision(x, DType::Int8); });
  EXPECT_NE(bad_format.find("cast_to_half_precision: format is int8; expected float16 or bfloat16"),
            std::string::npos)
      << bad_format;
  EXPECT_THROW(cast_to_half_precision(x, DType::Float32), ValueError);
  const Tensor integers = Tensor::from_int32({1, 2}, {2});
  EXPECT_THROW(cast_to_half_precision(integers, DType::Float16), DTypeError);
  const std::string bad_dtype = message_of([&] { cast_to_half_precision(integers, DType::Float16); });
  EXPECT_NE(bad_dtype.find("input of dtype int32 with shape (2,)"), std::string::npos) << bad_dtype;
  EXPECT_THROW(cast_to_half_precision(Tensor(), DType::Float16), ValueError);
}

INSTANTIATE_TEST_SUITE_P(Formats, CastToHalfPrecision, ::testing::Values(DType::Float16, DType::BFloat16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// ---- MixedPrecisionLinear -------------------------------------------------------------------------

TINYTORCH_CONCEPT(MixedPrecisionLinearForward, "a Linear that computes in 16 bits",
                  "y = half(half(x) * half(W)^T + b), every half() rounding to nearest even, the products summed in "
                  "float32");

// BF16 by hand: x = (1 + 2^-10, 2, 0.5), W = (3, 1 + 2^-9, 1), b = 2^-6.
//   half(x) = (1, 2, 0.5)      (2^-10 < half the ulp 2^-7 at 1)
//   half(W) = (3, 1, 1)
//   half(x)·half(W) + b = 3 + 2 + 0.5 + 2^-6 = 5.515625, exact in float32
//   ulp at 4..8 is 2^-5: 5.515625 = 5.5 + 2^-6, a tie; 5.5 = 1.0110000·2^2 is even -> 5.5
// In float32 the layer gives 3·(1+2^-10) + 2·(1+2^-9) + 0.5 + 2^-6 ≈ 5.5225.
TEST(MixedPrecisionLinearForward, RoundsInputWeightAndOutputByHand) {
  const auto master = linear_from({3.0f, 1.0f + 0x1p-9f, 1.0f}, {1, 3}, {0x1p-6f});
  MixedPrecisionLinear layer(*master, DType::BFloat16);
  const Tensor x = Tensor::from_values({1.0f + 0x1p-10f, 2.0f, 0.5f}, {1, 3});
  EXPECT_EQ(layer(x).to_vector(), std::vector<float>{5.5f});
  EXPECT_NEAR((*master)(x).to_vector()[0], 5.5225f, 1e-4f);  // the float32 layer, for contrast
  // FP16 keeps 10 mantissa bits: x and W are exact, y = 3 + 3·2^-10 + 2 + 2^-8 + 0.5 + 2^-6
  // = 5.51953125 + 0.0029296875 = 5.5224609375; FP16 ulp at 4..8 is 2^-8: 1413.75 -> 1414 ulps = 5.5234375.
  MixedPrecisionLinear fp16_layer(*master, DType::Float16);
  EXPECT_EQ(fp16_layer(x).to_vector(), std::vector<float>{5.5234375f});
}

TINYTORCH_TEST_FORMULA(MixedPrecisionLinearForward, MatchesAReferenceOnOddShapes,
                       "|y - half(sum_k half(x) * half(W) + b, summed in double)| <= one 16-bit ulp, and y is a value "
                       "of the format");
// Odd sizes against a float64 reference on the rounded operands: the float32 sum
// (sgemm's order) may differ from the exact one by float32 rounding, which moves
// the final 16-bit result by at most one 16-bit ulp; every output is a format value.
TEST(MixedPrecisionLinearForward, MatchesAReferenceOnOddShapes) {
  Generator generator(3);
  for (DType format : {DType::Float16, DType::BFloat16}) {
    const int64_t batch = 3, in = 17, out = 5;
    auto master = std::make_shared<Linear>(Tensor::randn({out, in}, 0.0f, 0.5f, generator),
                                           Tensor::randn({out}, 0.0f, 0.5f, generator));
    MixedPrecisionLinear layer(*master, format);
    const Tensor x = Tensor::randn({batch, in}, 0.0f, 1.0f, generator);
    const std::vector<float> y = layer(x).to_vector();
    const std::vector<float> x_values = x.to_vector(), w = master->weight().to_vector(), b = master->bias().to_vector();
    for (int64_t i = 0; i < batch; ++i) {
      for (int64_t n = 0; n < out; ++n) {
        double exact = b[n];
        for (int64_t k = 0; k < in; ++k) {
          exact += static_cast<double>(reference_round(x_values[i * in + k], format)) *
                   static_cast<double>(reference_round(w[n * in + k], format));
        }
        const float expected = reference_round(static_cast<float>(exact), format);
        const float actual = y[i * out + n];
        EXPECT_EQ(reference_round(actual, format), actual) << "not a " << dtype_name(format) << " value";
        EXPECT_LE(std::fabs(actual - expected), format_ulp(expected, format)) << "row " << i << " output " << n;
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(MixedPrecisionLinearForward, KeepsLeadingAxesAndRejectsAWrongFeatureCount,
                       "x:(..., K) -> (..., N), as the same rows in 2-D; last axis != in_features -> ShapeError "
                       "\"input is (...) but the layer has in_features = K\"");
TEST(MixedPrecisionLinearForward, KeepsLeadingAxesAndRejectsAWrongFeatureCount) {
  Generator generator(5);
  auto master = std::make_shared<Linear>(4, 3, true, generator);
  MixedPrecisionLinear layer(*master, DType::BFloat16);
  const Tensor x = Tensor::randn({2, 5, 4}, 0.0f, 1.0f, generator);
  const Tensor y = layer(x);
  EXPECT_EQ(y.shape(), (Shape{2, 5, 3}));
  // The same rows through the 2-D path give the same values.
  EXPECT_EQ(y.to_vector(), layer(x.reshape({10, 4})).to_vector());
  const std::string message = message_of([&] { layer(Tensor::zeros({2, 5})); });
  EXPECT_NE(message.find("MixedPrecisionLinear::forward: input is (2, 5) but the layer has in_features = 4"),
            std::string::npos)
      << message;
}

TINYTORCH_CONCEPT(MixedPrecisionLinearParameters,
                  "a MixedPrecisionLinear shares the float32 master tensors of its Linear",
                  "parameters() = the master weight and bias themselves (same storage, same gradient, float32, names "
                  "\"weight\", \"bias\"); extra_repr \"in_features=K, out_features=N, compute <format>, master "
                  "float32\"");

TEST(MixedPrecisionLinearParameters, AreTheMasterTensorsThemselves) {
  Generator generator(7);
  auto master = std::make_shared<Linear>(6, 2, true, generator);
  MixedPrecisionLinear layer(*master, DType::Float16);
  const std::vector<Tensor> mine = layer.parameters(), masters = master->parameters();
  ASSERT_EQ(mine.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(mine[i].storage(), masters[i].storage()) << "parameter " << i;
    EXPECT_EQ(mine[i].autograd_meta(), masters[i].autograd_meta()) << "parameter " << i << " (same gradient)";
    EXPECT_EQ(mine[i].dtype(), DType::Float32);
  }
  EXPECT_EQ(layer.named_parameters()[0].first, "weight");
  EXPECT_EQ(layer.named_parameters()[1].first, "bias");
  EXPECT_EQ(layer.extra_repr(), "in_features=6, out_features=2, compute float16, master float32");
  EXPECT_EQ(layer.format(), DType::Float16);
}

TINYTORCH_CONCEPT(MixedPrecisionLinearBackward, "gradients of the 16-bit layer reach the float32 masters",
                  "L = sum y: dL/db = B (the number of rows), dL/dW[n, k] = half(sum_b half(x[b, k]))");

// L = Σ y: dL/dy = 1 (a format value), so dL/db = B and dL/dW[n,k] = half(Σ_b half(x[b,k])).
TEST(MixedPrecisionLinearBackward, GradientsReachTheMasterWeights) {
  const auto master = linear_from({0.25f, -1.0f, 2.0f, 0.5f}, {2, 2}, {0.0f, 1.0f});
  MixedPrecisionLinear layer(*master, DType::BFloat16);
  // Column 0: 1 + 2^-9 rounds to 1 in BF16 (twice), column 1 is exact.
  const Tensor x = Tensor::from_values({1.0f + 0x1p-9f, 3.0f, 1.0f + 0x1p-9f, -1.0f}, {2, 2});
  sum(layer(x)).backward();
  ASSERT_TRUE(master->weight().grad().defined());
  // Column 0: half(1) + half(1) = 2 (float32 would give 2 + 2^-8); column 1: 3 − 1 = 2.
  EXPECT_EQ(master->weight().grad().to_vector(), (std::vector<float>{2.0f, 2.0f, 2.0f, 2.0f}));
  EXPECT_EQ(master->bias().grad().to_vector(), (std::vector<float>{2.0f, 2.0f}));  // B = 2 rows
}

TINYTORCH_CONCEPT(MixedPrecisionLinearTraining, "the optimizer updates the float32 masters, not the 16-bit copies",
                  "SGD: W <- W - lr * g in float32; lr = 2^-11 is below half a bfloat16 ulp near 1, so half(W) stays "
                  "1 while W = 1 - step * 2^-11");

// Adam-like updates are often far below a BF16 weight's ulp; the master keeps them.
TEST(MixedPrecisionLinearTraining, TheOptimizerUpdatesTheMastersInFloat32) {
  const auto master = linear_from({1.0f}, {1, 1}, {});
  MixedPrecisionLinear layer(*master, DType::BFloat16);
  SGD optimizer(layer.parameters(), 0x1p-11f);
  // y = x·W with x = 1: dL/dW = 1, so SGD moves W by lr = 2^-11, an eighth of BF16's ulp 2^-8 just
  // below 1. After 3 steps W = 1 − 3·2^-11 is still closer to 1 than half that ulp (2^-9 = 4·2^-11).
  for (int step = 1; step <= 3; ++step) {
    optimizer.zero_grad();
    sum(layer(Tensor::from_values({1.0f}, {1, 1}))).backward();
    optimizer.step();
    // W = 1 − step·2^-10 exactly in float32; in BF16 it would still read 1 (each update rounded away).
    EXPECT_EQ(master->weight().to_vector()[0], 1.0f - static_cast<float>(step) * 0x1p-11f) << "step " << step;
    EXPECT_EQ(reference_round(master->weight().to_vector()[0], DType::BFloat16), 1.0f);
  }
}

TINYTORCH_TEST_FORMULA(MixedPrecisionLinearParameters, KeepAFrozenMasterFrozen,
                       "a weight with requires_grad = false gets no gradient and is still frozen (same storage) in "
                       "master_linear()");
// A frozen layer (fine-tuning only the last one, say) stays frozen through the wrap and back.
TEST(MixedPrecisionLinearParameters, KeepAFrozenMasterFrozen) {
  auto master = linear_from({1.0f, 2.0f}, {1, 2}, {0.5f});
  master->weight().set_requires_grad(false);
  MixedPrecisionLinear layer(*master, DType::BFloat16);
  EXPECT_FALSE(master->weight().requires_grad());
  EXPECT_TRUE(master->bias().requires_grad());
  sum(layer(Tensor::from_values({1.0f, 1.0f}, {1, 2}))).backward();
  EXPECT_FALSE(master->weight().grad().defined());  // no gradient computed for a frozen weight
  EXPECT_EQ(master->bias().grad().to_vector(), std::vector<float>{1.0f});
  const auto restored = layer.master_linear();
  EXPECT_FALSE(restored->weight().requires_grad());
  EXPECT_EQ(restored->weight().storage(), master->weight().storage());
}

TINYTORCH_CONCEPT(MixedPrecisionLinearClone, "cloning a MixedPrecisionLinear",
                  "the clone holds new storage with the same master values and the same format");

TEST(MixedPrecisionLinearClone, CopiesTheMastersIntoNewStorage) {
  Generator generator(9);
  auto master = std::make_shared<Linear>(3, 2, true, generator);
  MixedPrecisionLinear layer(*master, DType::BFloat16);
  const auto copy = std::dynamic_pointer_cast<MixedPrecisionLinear>(layer.clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->format(), DType::BFloat16);
  EXPECT_NE(copy->parameters()[0].storage(), master->weight().storage());
  EXPECT_EQ(copy->parameters()[0].to_vector(), master->weight().to_vector());
  EXPECT_EQ(copy->parameters()[1].to_vector(), master->bias().to_vector());
}

TINYTORCH_CONCEPT(MixedPrecisionLinearErrors, "what MixedPrecisionLinear refuses",
                  "a format other than float16 / bfloat16 -> ValueError \"MixedPrecisionLinear: format is <f>; "
                  "expected float16 or bfloat16\"");

TEST(MixedPrecisionLinearErrors, RejectsANonHalfFormat) {
  Linear master(2, 2);
  const std::string message = message_of([&] { MixedPrecisionLinear layer(master, DType::Float32); });
  EXPECT_NE(message.find("MixedPrecisionLinear: format is float32; expected float16 or bfloat16"), std::string::npos)
      << message;
}

// ---- prepare_mixed_precision / restore_full_precision ---------------------------------------------

TINYTORCH_CONCEPT(PrepareMixedPrecision, "swapping every Linear of a model for a MixedPrecisionLinear, and back",
                  "prepare: each Linear (nested Sequentials too) -> MixedPrecisionLinear on the same tensors and "
                  "parameter names; restore: each -> master_linear() on the same tensors, a plain float32 x * W^T + b "
                  "again");

TEST(PrepareMixedPrecision, SwapsEveryLinearOnTheSameTensorsAndRestoreGivesThemBack) {
  manual_seed(11);
  Sequential model(Linear(4, 8), ReLU(), Linear(8, 3));
  const NamedParameters before = model.named_parameters();
  prepare_mixed_precision(model, DType::BFloat16);
  ASSERT_NE(std::dynamic_pointer_cast<MixedPrecisionLinear>(model[0]), nullptr);
  EXPECT_EQ(model[1]->name(), "ReLU");
  ASSERT_NE(std::dynamic_pointer_cast<MixedPrecisionLinear>(model[2]), nullptr);
  const NamedParameters prepared = model.named_parameters();
  ASSERT_EQ(prepared.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(prepared[i].first, before[i].first);  // "0.weight", ...: a saved model keeps its names
    EXPECT_EQ(prepared[i].second.storage(), before[i].second.storage()) << before[i].first;
  }
  // Preparing again is harmless; another format re-wraps the same masters.
  prepare_mixed_precision(model, DType::BFloat16);
  prepare_mixed_precision(model, DType::Float16);
  EXPECT_EQ(std::dynamic_pointer_cast<MixedPrecisionLinear>(model[2])->format(), DType::Float16);
  EXPECT_EQ(model.parameters()[0].storage(), before[0].second.storage());

  // Train one SGD step through the 16-bit layers, then restore.
  const std::vector<float> initial = model.parameters()[0].to_vector();
  SGD optimizer(model.parameters(), 0.1f);
  sum(model(Tensor::ones({2, 4}))).backward();
  optimizer.step();
  const std::vector<float> trained = model.parameters()[0].to_vector();
  ASSERT_NE(trained, initial);  // the step moved the masters
  restore_full_precision(model);
  const auto first = std::dynamic_pointer_cast<Linear>(model[0]);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(std::dynamic_pointer_cast<Linear>(model[2]), nullptr);
  EXPECT_EQ(first->weight().storage(), before[0].second.storage());
  EXPECT_EQ(first->weight().to_vector(), trained);
  // A plain float32 forward again: the first layer is x·Wᵀ + b with no rounding.
  const Tensor x = Tensor::from_values({0.1f, 0.2f, 0.3f, 0.4f}, {1, 4});
  EXPECT_EQ((*first)(x).to_vector(), linear(x, first->weight(), first->bias()).to_vector());
  restore_full_precision(model);  // nothing left to restore: unchanged
  EXPECT_EQ(std::dynamic_pointer_cast<Linear>(model[0]), first);
}

TEST(PrepareMixedPrecision, ReachesIntoNestedSequentials) {
  manual_seed(12);
  auto inner = std::make_shared<Sequential>(Linear(3, 3), ReLU());
  Sequential model(std::vector<std::shared_ptr<Module>>{inner, std::make_shared<Linear>(3, 1)});
  prepare_mixed_precision(model, DType::Float16);
  EXPECT_NE(std::dynamic_pointer_cast<MixedPrecisionLinear>((*inner)[0]), nullptr);
  EXPECT_NE(std::dynamic_pointer_cast<MixedPrecisionLinear>(model[1]), nullptr);
  restore_full_precision(model);
  EXPECT_NE(std::dynamic_pointer_cast<Linear>((*inner)[0]), nullptr);
}

TINYTORCH_CONCEPT(PrepareMixedPrecisionErrors, "what prepare_mixed_precision refuses",
                  "a format other than float16 / bfloat16, or a model without a Linear -> ValueError naming "
                  "prepare_mixed_precision; the model is left unchanged");

TEST(PrepareMixedPrecisionErrors, RejectsABadFormatAndAModelWithoutLinearLayers) {
  Sequential model(Linear(2, 2));
  const std::string bad_format = message_of([&] { prepare_mixed_precision(model, DType::Int32); });
  EXPECT_NE(bad_format.find("prepare_mixed_precision: format is int32; expected float16 or bfloat16"),
            std::string::npos)
      << bad_format;
  EXPECT_NE(std::dynamic_pointer_cast<Linear>(model[0]), nullptr);  // untouched
  Sequential no_linear{ReLU()};
  const std::string nothing = message_of([&] { prepare_mixed_precision(no_linear, DType::BFloat16); });
  EXPECT_NE(nothing.find("prepare_mixed_precision: the model has no Linear layer"), std::string::npos) << nothing;
}

// ---- DynamicLossScaler ----------------------------------------------------------------------------

// A parameter with a gradient set directly, as backward() would leave it.
Tensor parameter_with_gradient(const std::vector<float>& gradient) {
  Tensor p = Tensor::zeros({static_cast<int64_t>(gradient.size())});
  p.set_requires_grad();
  p.autograd_meta()->grad = Tensor::from_values(gradient);
  return p;
}

void set_gradient(Tensor& p, const std::vector<float>& gradient) {
  p.autograd_meta()->grad = Tensor::from_values(gradient);
}

TINYTORCH_CONCEPT(DynamicLossScaler, "dynamic loss scaling for FP16 training",
                  "scale_loss: L * S; before_step: g <- g / S; an Inf/NaN gradient -> skip the step and S <- max(S * "
                  "backoff_factor, min_scale); after growth_interval clean steps in a row S <- S * growth_factor; S "
                  "starts at 2^16");

TINYTORCH_TEST_FORMULA(DynamicLossScaler, ScalesTheLossAndUnscalesTheGradientsByExactlyS,
                       "scaled loss = L * 2^16, gradients after backward = 2^16 * c, after before_step = c exactly "
                       "(power of two)");
TEST(DynamicLossScaler, ScalesTheLossAndUnscalesTheGradientsByExactlyS) {
  Tensor p = Tensor::from_values({1.0f, 2.0f});
  p.set_requires_grad();
  DynamicLossScaler scaler({p});
  EXPECT_EQ(scaler.scale(), 65536.0f);  // 2^16 by default
  // L = Σ c·p with c = (0.75, -3e-7): backward from S·L leaves S·c; before_step divides by S.
  const Tensor c = Tensor::from_values({0.75f, -3e-7f});
  const Tensor loss = sum(p * c);
  const Tensor scaled = scaler.scale_loss(loss);
  EXPECT_EQ(scaled.item(), loss.item() * 65536.0f);
  scaled.backward();
  EXPECT_EQ(p.grad().to_vector(), (std::vector<float>{0.75f * 65536.0f, -3e-7f * 65536.0f}));
  EXPECT_TRUE(scaler.before_step());
  EXPECT_EQ(p.grad().to_vector(), (std::vector<float>{0.75f, -3e-7f}));  // ×2^16 then ÷2^16: exact
  EXPECT_EQ(scaler.steps(), 1);
  EXPECT_EQ(scaler.skipped_steps(), 0);
}

TINYTORCH_TEST_FORMULA(DynamicLossScaler, DividesByANonPowerOfTwoScaleCorrectlyRounded,
                       "g / S correctly rounded in float32: S = 3 gives 1/3 and 10/3");
TEST(DynamicLossScaler, DividesByANonPowerOfTwoScaleCorrectlyRounded) {
  Tensor p = parameter_with_gradient({1.0f, 10.0f});
  DynamicLossScaler scaler({p}, LossScalerOptions{3.0f, 2.0f, 0.5f, 1000, 1.0f});
  EXPECT_TRUE(scaler.before_step());
  EXPECT_EQ(p.grad().to_vector(), (std::vector<float>{1.0f / 3.0f, 10.0f / 3.0f}));
}

TINYTORCH_TEST_FORMULA(DynamicLossScaler, AnOverflowSkipsTheStepAndHalvesTheScale,
                       "an Inf, -Inf or NaN in any gradient: before_step() = false, S = 2^16 * 0.5 = 32768");
TEST(DynamicLossScaler, AnOverflowSkipsTheStepAndHalvesTheScale) {
  Tensor clean = parameter_with_gradient({1.0f});
  for (float bad : {kInf, -kInf, std::nanf("")}) {
    Tensor overflowed = parameter_with_gradient({2.0f, bad});
    DynamicLossScaler scaler({clean, overflowed});
    EXPECT_FALSE(scaler.before_step()) << bad;
    EXPECT_EQ(scaler.scale(), 32768.0f);  // 2^16 · 0.5
    EXPECT_EQ(scaler.skipped_steps(), 1);
    EXPECT_EQ(scaler.steps(), 1);
  }
}

TINYTORCH_TEST_FORMULA(DynamicLossScaler, NeverGoesBelowMinScale,
                       "S <- max(S * backoff_factor, min_scale): 8 -> 4 -> 2 -> 2 with min_scale 2");
TEST(DynamicLossScaler, NeverGoesBelowMinScale) {
  Tensor p = parameter_with_gradient({kInf});
  DynamicLossScaler scaler({p}, LossScalerOptions{8.0f, 2.0f, 0.5f, 1000, 2.0f});
  const std::vector<float> expected = {4.0f, 2.0f, 2.0f, 2.0f};  // 8 -> 4 -> 2, then held at min_scale
  for (float scale : expected) {
    EXPECT_FALSE(scaler.before_step());
    EXPECT_EQ(scaler.scale(), scale);
  }
  EXPECT_EQ(scaler.skipped_steps(), 4);
}

TINYTORCH_TEST_FORMULA(DynamicLossScaler, GrowsAfterGrowthIntervalCleanStepsInARow,
                       "after growth_interval (3) clean steps in a row S doubles; an overflow halves S and restarts "
                       "the count");
TEST(DynamicLossScaler, GrowsAfterGrowthIntervalCleanStepsInARow) {
  Tensor p = parameter_with_gradient({1.0f});
  DynamicLossScaler scaler({p}, LossScalerOptions{16.0f, 2.0f, 0.5f, 3, 1.0f});
  // clean, clean: no growth yet; overflow: S 16 -> 8 and the count restarts;
  // clean ×3: S 8 -> 16 on the third; clean ×3 more: 32.
  const std::vector<bool> overflow = {false, false, true, false, false, false, false, false, false};
  const std::vector<float> scale_after = {16, 16, 8, 8, 8, 16, 16, 16, 32};
  for (std::size_t i = 0; i < overflow.size(); ++i) {
    set_gradient(p, {overflow[i] ? kInf : 1.0f});
    EXPECT_EQ(scaler.before_step(), !overflow[i]) << "step " << i;
    EXPECT_EQ(scaler.scale(), scale_after[i]) << "step " << i;
  }
  EXPECT_EQ(scaler.scale_increases(), 2);
  EXPECT_EQ(scaler.skipped_steps(), 1);
  EXPECT_EQ(scaler.steps(), 9);
}

TINYTORCH_TEST_FORMULA(DynamicLossScaler, IgnoresParametersWithoutAGradient,
                       "a parameter without a gradient is skipped; the others get g / S");
TEST(DynamicLossScaler, IgnoresParametersWithoutAGradient) {
  Tensor unused = Tensor::zeros({2});
  unused.set_requires_grad();
  Tensor used = parameter_with_gradient({4.0f});
  DynamicLossScaler scaler({unused, used}, LossScalerOptions{4.0f, 2.0f, 0.5f, 10, 1.0f});
  EXPECT_TRUE(scaler.before_step());
  EXPECT_FALSE(unused.grad().defined());
  EXPECT_EQ(used.grad().to_vector(), std::vector<float>{1.0f});
}

TINYTORCH_CONCEPT(DynamicLossScalerErrors, "what DynamicLossScaler refuses",
                  "growth_interval >= 1, backoff_factor in (0, 1), growth_factor > 1, min_scale > 0, initial_scale >= "
                  "min_scale, at least one defined parameter: else ValueError naming the option");

TEST(DynamicLossScalerErrors, RejectsBadOptionsAndParameters) {
  const Tensor p = parameter_with_gradient({1.0f});
  const auto message_for = [&](LossScalerOptions options) {
    return message_of([&] { DynamicLossScaler scaler({p}, options); });
  };
  EXPECT_NE(message_for({65536.0f, 2.0f, 0.5f, 0, 1.0f}).find("growth_interval = 0; expected >= 1"),
            std::string::npos);
  EXPECT_NE(message_for({65536.0f, 2.0f, 1.5f, 1000, 1.0f}).find("backoff_factor = 1.5; expected a value in (0, 1)"),
            std::string::npos);
  EXPECT_NE(message_for({65536.0f, 1.0f, 0.5f, 1000, 1.0f}).find("growth_factor = 1; expected a finite value > 1"),
            std::string::npos);
  EXPECT_NE(message_for({65536.0f, 2.0f, 0.5f, 1000, 0.0f}).find("min_scale = 0; expected a finite value > 0"),
            std::string::npos);
  EXPECT_NE(message_for({0.5f, 2.0f, 0.5f, 1000, 1.0f}).find("initial_scale = 0.5; expected a finite value >= "
                                                             "min_scale = 1"),
            std::string::npos);
  EXPECT_NE(message_of([] { DynamicLossScaler scaler({}); }).find("DynamicLossScaler: no parameters"),
            std::string::npos);
  EXPECT_NE(message_of([] { DynamicLossScaler scaler({Tensor()}); }).find("parameter 0 is undefined"),
            std::string::npos);
}

// ---- the scaler in a Trainer ----------------------------------------------------------------------

// A regression whose loss is tiny by construction: L = kTinyLoss · mean(y), so every
// dL/dy = kTinyLoss / B = 2^-32 — far below FP16's smallest subnormal 2^-24 (and
// below the 2^-25 that rounds to it). In float32 and BF16 it is an ordinary number.
constexpr float kTinyLoss = 0x1p-30f;
constexpr int64_t kTinyBatch = 4;
constexpr float kLearningRate = 0x1p20f;  // moves W by ≈ 2^20 · 2^-30·x̄ ≈ 1e-3: visible
// |Δ_fp16+scaling − Δ_fp32| / |Δ_fp32|: the FP16 roundings of x and of the scaled
// gradients, each ≤ 2^-11 relative; 1% leaves room for their sum over the batch.
constexpr float kScaledUpdateTolerance = 0.01f;

struct TinyGradientRun {
  std::vector<float> initial, trained;
  int64_t skipped = 0;
};

// One epoch (2 batches of 4) of SGD on Linear(3 -> 1) with the given precision.
TinyGradientRun train_tiny_gradient_model(bool mixed_fp16, bool loss_scaling) {
  Generator generator(21);
  Sequential model(Linear(3, 1, true, generator));
  TinyGradientRun run;
  run.initial = model.parameters()[0].to_vector();
  if (mixed_fp16) prepare_mixed_precision(model, DType::Float16);
  SGD optimizer(model.parameters(), kLearningRate);
  const Tensor features = Tensor::uniform({2 * kTinyBatch, 3}, 0.5f, 1.5f, generator);
  DataLoader loader(TensorDataset(features, Tensor::from_int32(std::vector<int32_t>(2 * kTinyBatch, 0),
                                                              {2 * kTinyBatch})),
                    kTinyBatch);
  DynamicLossScaler scaler(model.parameters());
  TrainerOptions options;
  options.log = nullptr;
  options.progress_bar = false;
  if (loss_scaling) options.step_hooks = &scaler;
  const LossFunction tiny_loss = [](const Tensor& y, const Tensor&) { return mean(y) * kTinyLoss; };
  Trainer trainer(model, optimizer, tiny_loss, options);
  trainer.train_epoch(loader);
  run.trained = model.parameters()[0].to_vector();
  run.skipped = scaler.skipped_steps();
  return run;
}

TINYTORCH_CONCEPT(DynamicLossScalerInTraining, "loss scaling keeps tiny FP16 gradients alive inside a Trainer",
                  "dL/dy = 2^-32 <= 2^-25 rounds to 0 in float16: no update at all; scaled by S = 2^16 it is 2^-16 "
                  "(exact in float16): the update matches float32's within 1%, no step skipped");

TEST(DynamicLossScalerInTraining, Float16LosesTinyGradientsThatLossScalingKeeps) {
  const TinyGradientRun fp32 = train_tiny_gradient_model(false, false);
  const TinyGradientRun fp16 = train_tiny_gradient_model(true, false);
  const TinyGradientRun fp16_scaled = train_tiny_gradient_model(true, true);
  ASSERT_EQ(fp32.initial, fp16.initial);  // the same start (same seed)
  for (std::size_t k = 0; k < fp32.initial.size(); ++k) {
    const float fp32_update = fp32.trained[k] - fp32.initial[k];
    ASSERT_GT(std::fabs(fp32_update), 1e-4f) << "float32 must learn something, or nothing is measured";
    // FP16 without scaling: every dL/dy rounded to 0 — the weights never moved.
    EXPECT_EQ(fp16.trained[k], fp16.initial[k]) << "weight " << k;
    // With loss scaling (S = 2^16: dL/dy = 2^-16 = 256·2^-24, exact in FP16): the float32 update,
    // up to the FP16 rounding of x and of the weight gradient.
    const float scaled_update = fp16_scaled.trained[k] - fp16_scaled.initial[k];
    EXPECT_NEAR(scaled_update, fp32_update, kScaledUpdateTolerance * std::fabs(fp32_update)) << "weight " << k;
  }
  EXPECT_EQ(fp16_scaled.skipped, 0);  // 2^-16·(1..1.5) overflows nothing
}

}  // namespace
