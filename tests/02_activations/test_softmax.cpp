// softmax and log_softmax: the formulas, rows summing to 1, any axis, and
// stability for logits far beyond exp's float range.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/activations.hpp"

using namespace tinytorch;

namespace {

constexpr double kProbabilityTolerance = 1e-6;  // float32 probabilities vs double formulas
constexpr double kRowSumTolerance = 1e-5;       // Σ of up to 1000 float terms

// softmax of one line, in double: e^(x_i - m) / Σ e^(x_j - m)
std::vector<double> softmax_ref(const std::vector<double>& x) {
  double m = x[0];
  for (double v : x) m = std::max(m, v);
  double total = 0;
  for (double v : x) total += std::exp(v - m);
  std::vector<double> p;
  for (double v : x) p.push_back(std::exp(v - m) / total);
  return p;
}

}  // namespace

TINYTORCH_CONCEPT(Softmax, "softmax: turning logits into probabilities along an axis",
                  "softmax(x)_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j, "
                  "along the axis (default: the last)");

TINYTORCH_TEST_FORMULA(Softmax, MatchesHandComputedValues,
                       "softmax([1,2,3]) = [e, e^2, e^3] / (e + e^2 + e^3) = "
                       "[0.09003057, 0.24472847, 0.66524096] (+- 1e-6)");
TEST(Softmax, MatchesHandComputedValues) {
  // softmax([1, 2, 3]) = [e, e², e³] / (e + e² + e³) = [0.09003057, 0.24472847, 0.66524096]
  const std::vector<float> p = ops::softmax(Tensor::from_values({1, 2, 3})).to_vector();
  EXPECT_NEAR(p[0], 0.09003057, kProbabilityTolerance);
  EXPECT_NEAR(p[1], 0.24472847, kProbabilityTolerance);
  EXPECT_NEAR(p[2], 0.66524096, kProbabilityTolerance);
}

TINYTORCH_TEST_FORMULA(Softmax, RowsSumToOneOnOddShapes,
                       "sum_i softmax(x)_i = 1 (+- 1e-5) on every row of (1,1), (3,17), (65,10), (2,1000), "
                       "and 0 <= p_i <= 1");
TEST(Softmax, RowsSumToOneOnOddShapes) {
  Generator generator(7);
  for (const Shape& shape : {Shape{1, 1}, Shape{3, 17}, Shape{65, 10}, Shape{2, 1000}}) {
    Tensor logits = Tensor::randn(shape, 0.0f, 10.0f, generator);
    Tensor p = ops::softmax(logits);
    Tensor row_sums = ops::sum(p, -1);
    for (float s : row_sums.to_vector()) EXPECT_NEAR(s, 1.0, kRowSumTolerance) << "shape " << shape_str(shape);
    for (float v : p.to_vector()) EXPECT_TRUE(v >= 0.0f && v <= 1.0f);
  }
}

TINYTORCH_TEST_FORMULA(Softmax, MatchesFormulaAlongAnyAxis,
                       "along axis 1 of (2,5,3) each line x[a, :, c] is its own softmax, "
                       "within 1e-6 of e^(x_i - m) / sum_j e^(x_j - m); "
                       "softmax(m, 0) = transpose(softmax(transpose(m), 1))");
TEST(Softmax, MatchesFormulaAlongAnyAxis) {
  // (2, 5, 3) along axis 1: each of the 2*3 lines of 5 elements is its own softmax.
  Generator generator(3);
  Tensor x = Tensor::randn({2, 5, 3}, 0.0f, 2.0f, generator);
  Tensor p = ops::softmax(x, 1);
  for (int64_t a = 0; a < 2; ++a) {
    for (int64_t c = 0; c < 3; ++c) {
      std::vector<double> line;
      for (int64_t b = 0; b < 5; ++b) line.push_back(x.at({a, b, c}));
      const std::vector<double> expected = softmax_ref(line);
      for (int64_t b = 0; b < 5; ++b) EXPECT_NEAR(p.at({a, b, c}), expected[b], kProbabilityTolerance);
    }
  }
  // Axis 0 of x equals axis 1 of its transpose.
  Tensor m = Tensor::randn({4, 7}, 0.0f, 1.0f, generator);
  EXPECT_EQ(ops::softmax(m, 0).to_vector(), ops::transpose(ops::softmax(ops::transpose(m, 0, 1), 1), 0, 1).to_vector());
}

TINYTORCH_TEST_FORMULA(Softmax, StableForHugeLogits,
                       "subtracting m keeps every exponent <= 0: softmax([1000,1000]) = [0.5,0.5], "
                       "softmax([-1000,0,1000]) = [0,0,1], softmax([-1000,-1001])_0 = 1 / (1 + e^-1)");
TEST(Softmax, StableForHugeLogits) {
  // Without subtracting the max, e^1000 = inf and inf/inf = NaN.
  EXPECT_EQ(ops::softmax(Tensor::from_values({1000, 1000})).to_vector(), (std::vector<float>{0.5f, 0.5f}));
  EXPECT_EQ(ops::softmax(Tensor::from_values({-1000, 0, 1000})).to_vector(), (std::vector<float>{0, 0, 1}));
  // All very negative: the max shift makes the largest exponent e^0 = 1, not 0/0.
  const std::vector<float> p = ops::softmax(Tensor::from_values({-1000, -1001})).to_vector();
  EXPECT_NEAR(p[0], 1.0 / (1.0 + std::exp(-1.0)), kProbabilityTolerance);
}

TINYTORCH_TEST_FORMULA(Softmax, ShiftInvariant,
                       "softmax(x + c) = softmax(x): e^c cancels in the ratio (c = 50, +- 1e-6)");
TEST(Softmax, ShiftInvariant) {
  // softmax(x + c) = softmax(x): e^c cancels in the ratio.
  Tensor x = Tensor::from_values({0.3f, -1.2f, 2.0f, 0.0f}, {1, 4});
  const std::vector<float> base = ops::softmax(x).to_vector();
  const std::vector<float> shifted = ops::softmax(ops::add_scalar(x, 50)).to_vector();
  for (std::size_t i = 0; i < base.size(); ++i) EXPECT_NEAR(base[i], shifted[i], kProbabilityTolerance);
}

TINYTORCH_CONCEPT(LogSoftmax, "log_softmax: log-probabilities without ever taking log(0)",
                  "log_softmax(x)_i = x_i - m - log sum_j e^(x_j - m), m = max_j x_j");

TINYTORCH_TEST_FORMULA(LogSoftmax, EqualsLogOfSoftmax, "log_softmax(x)_i = log(softmax(x)_i) within 1e-5");
TEST(LogSoftmax, EqualsLogOfSoftmax) {
  Generator generator(11);
  Tensor x = Tensor::randn({5, 17}, 0.0f, 3.0f, generator);
  const std::vector<float> log_p = ops::log_softmax(x).to_vector();
  const std::vector<float> p = ops::softmax(x).to_vector();
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_NEAR(log_p[i], std::log(static_cast<double>(p[i])), 1e-5) << "element " << i;
  }
}

TINYTORCH_TEST_FORMULA(LogSoftmax, FiniteWhereLogOfSoftmaxIsMinusInfinity,
                       "log_softmax([1000, 0]) = [0 - log(1 + e^-1000), -1000 - log(1 + e^-1000)] = [0, -1000] "
                       "exactly, where log(softmax) = log(0) = -inf; the same along axis 0 of a (2,1) column");
TEST(LogSoftmax, FiniteWhereLogOfSoftmaxIsMinusInfinity) {
  // log_softmax([1000, 0]) = [0, -1000] exactly; log(softmax) would give log(0) = -inf.
  EXPECT_EQ(ops::log_softmax(Tensor::from_values({1000, 0})).to_vector(), (std::vector<float>{0, -1000}));
  // Along axis 0 of a (2, 1) column: same numbers.
  EXPECT_EQ(ops::log_softmax(Tensor::from_values({1000, 0}, {2, 1}), 0).to_vector(), (std::vector<float>{0, -1000}));
}

TINYTORCH_TEST_FORMULA(Softmax, AxisOutOfRangeIsAnIndexError,
                       "axis must lie in [-dim, dim): axis 2 or -3 of a (2, 3) tensor throws IndexError naming "
                       "the shape");
TEST(Softmax, AxisOutOfRangeIsAnIndexError) {
  try {
    ops::softmax(Tensor::zeros({2, 3}), 2);
    FAIL() << "expected IndexError";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::log_softmax(Tensor::zeros({2, 3}), -3), IndexError);
}
