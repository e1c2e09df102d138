// Element-wise activations (relu, sigmoid, tanh, gelu) against their formulas,
// evaluated in double, and at magnitudes where a naive formula overflows.
#include <gtest/gtest.h>

#include <cmath>
#include <algorithm>
#include <limits>

#include "concepts.hpp"
#include "tinytorch/core/activations.hpp"

using namespace tinytorch;

namespace {

// float32 results vs double formulas: a few ulps of values of size ~1.
constexpr double kFormulaTolerance = 1e-6;

// 67 points spread over [-8, 8] (odd count, includes 0 and non-round values).
Tensor sample_points() { return Tensor::arange(-8.0f, 8.01f, 0.24242424f); }

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double gelu_ref(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

}  // namespace

TINYTORCH_CONCEPT(Activations, "element-wise activation functions, against their formulas in double",
                  "relu(x) = max(0, x); sigmoid(x) = 1 / (1 + e^-x); tanh(x) = (e^x - e^-x) / (e^x + e^-x); "
                  "gelu(x) = 0.5 x (1 + erf(x / sqrt(2))); float32 within 1e-6 of the double formula");

TINYTORCH_TEST_FORMULA(Activations, ReluIsMaxOfZeroAndX,
                       "relu(x) = max(0, x): negatives and zero -> 0, "
                       "positives unchanged (1e-30 -> 1e-30, -1e-30 -> 0)");
TEST(Activations, ReluIsMaxOfZeroAndX) {
  // relu(x) = max(0, x): negatives and zero map to 0, positives pass unchanged.
  Tensor x = Tensor::from_values({-3.5f, -0.0f, 0.0f, 1e-30f, 2.25f, -1e-30f, 7});
  EXPECT_EQ(ops::relu(x).to_vector(), (std::vector<float>{0, 0, 0, 1e-30f, 2.25f, 0, 7}));
}

TINYTORCH_TEST_FORMULA(Activations, ReluOfTransposedViewFollowsTheView,
                       "out[i, j] = max(0, view[i, j]) where view = transpose(a), "
                       "view[i, j] = a[j, i] (a non-contiguous input)");
TEST(Activations, ReluOfTransposedViewFollowsTheView) {
  // A non-contiguous input: out[i, j] = relu(view[i, j]) in the view's own order.
  Tensor a = ops::reshape(Tensor::arange(-8, 10), {3, 6});  // the 18 values -8, -7, ..., 9
  Tensor view = ops::transpose(a, 0, 1);                              // (6, 3)
  Tensor y = ops::relu(view);
  ASSERT_EQ(y.shape(), (Shape{6, 3}));
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(y.at({i, j}), std::max(0.0f, a.at({j, i}))) << i << "," << j;
}

TINYTORCH_TEST_FORMULA(Activations, SigmoidMatchesFormula,
                       "sigmoid(x) = 1 / (1 + e^-x) within 1e-6 at 67 points of [-8, 8]; "
                       "sigmoid(0) = 1 / (1 + e^0) = 0.5");
TEST(Activations, SigmoidMatchesFormula) {
  const Tensor x = sample_points();
  const std::vector<float> xs = x.to_vector(), ys = ops::sigmoid(x).to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_NEAR(ys[i], sigmoid_ref(xs[i]), kFormulaTolerance) << "sigmoid(" << xs[i] << ") = 1/(1+e^-x)";
  }
  EXPECT_EQ(ops::sigmoid(Tensor::scalar(0)).item(), 0.5f);  // 1 / (1 + e^0)
}

TINYTORCH_TEST_FORMULA(Activations, SigmoidIsStableAtLargeMagnitude,
                       "x >= 0: 1 / (1 + e^-x); x < 0: e^x / (1 + e^x), "
                       "so no e^(large) is formed: sigmoid(-1000) = 0, sigmoid(100) = sigmoid(1000) = 1, "
                       "never NaN; sigmoid(-90) = e^-90 / (1 + e^-90) = 8.19e-40 (relative 1e-4)");
TEST(Activations, SigmoidIsStableAtLargeMagnitude) {
  // e^1000 overflows float; the stable form never computes it.
  const std::vector<float> y = ops::sigmoid(Tensor::from_values({-1000, -100, 100, 1000})).to_vector();
  for (float v : y) EXPECT_FALSE(std::isnan(v));
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[3], 1.0f);
  EXPECT_EQ(y[2], 1.0f);  // 1 - e^-100 rounds to 1 in float
  // sigmoid(-90) = e^-90 / (1 + e^-90) ≈ e^-90 = 8.19e-40 (a subnormal float).
  // The naive 1 / (1 + e^90) returns 0: e^90 = 1.2e39 is already inf in float.
  const float tiny = ops::sigmoid(Tensor::scalar(-90)).item();
  EXPECT_NEAR(tiny / std::exp(-90.0), 1.0, 1e-4) << "sigmoid(-90) = " << tiny;
}

TINYTORCH_TEST_FORMULA(Activations, TanhMatchesFormulaAndSaturates,
                       "tanh(x) = (e^2x - 1) / (e^2x + 1) within 1e-6 on [-8, 8]; "
                       "tanh(-1000) = -1 and tanh(1000) = 1 exactly");
TEST(Activations, TanhMatchesFormulaAndSaturates) {
  const Tensor x = sample_points();
  const std::vector<float> xs = x.to_vector(), ys = ops::tanh(x).to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double e2x = std::exp(2.0 * xs[i]);
    EXPECT_NEAR(ys[i], (e2x - 1) / (e2x + 1), kFormulaTolerance) << "tanh(" << xs[i] << ") = (e^2x-1)/(e^2x+1)";
  }
  EXPECT_EQ(ops::tanh(Tensor::from_values({-1000, 1000})).to_vector(), (std::vector<float>{-1, 1}));
}

TINYTORCH_TEST_FORMULA(Activations, GeluIsTheExactErfForm,
                       "gelu(x) = 0.5 x (1 + erf(x / sqrt(2))) = x Phi(x): gelu(1) = Phi(1) = 0.8413447, "
                       "gelu(-1) = -Phi(-1) = -0.1586553 (the tanh approximation is 1.5e-4 off); "
                       "gelu(1000) = 1000, gelu(-1000) = -0, not NaN");
TEST(Activations, GeluIsTheExactErfForm) {
  // gelu(1) = 0.5 (1 + erf(1/√2)) = Φ(1) = 0.8413447460685429 (standard normal CDF at 1).
  // The tanh approximation would give 0.8411920; the difference is 1.5e-4, far above tolerance.
  EXPECT_NEAR(ops::gelu(Tensor::scalar(1)).item(), 0.8413447460685429, kFormulaTolerance);
  EXPECT_NEAR(ops::gelu(Tensor::scalar(-1)).item(), -0.15865525393145707, kFormulaTolerance);  // -Φ(-1)
  const Tensor x = sample_points();
  const std::vector<float> xs = x.to_vector(), ys = ops::gelu(x).to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_NEAR(ys[i], gelu_ref(xs[i]), kFormulaTolerance * std::max(1.0, std::fabs(double{xs[i]}))) << "gelu(" << xs[i] << ")";
  }
  // Large magnitude: gelu(x) -> x for x >> 0, -> 0 (not NaN) for x << 0.
  EXPECT_EQ(ops::gelu(Tensor::from_values({-1000, 1000})).to_vector(), (std::vector<float>{-0.0f, 1000}));
}

TINYTORCH_TEST_FORMULA(Activations, NonFloatInputIsADTypeError,
                       "activations take float32 only: an int32 or int8 input throws DTypeError");
TEST(Activations, NonFloatInputIsADTypeError) {
  EXPECT_THROW(ops::relu(Tensor::from_int32({1, -2}, {2})), DTypeError);
  EXPECT_THROW(ops::sigmoid(Tensor::zeros({2}, DType::Int8)), DTypeError);
}
