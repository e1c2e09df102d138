// Mean squared error: L = (1/N) Σ (p - t)², checked by hand and against a double loop.
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;

namespace {
constexpr double kLossTolerance = 1e-6;  // the loss is summed in double, rounded once to float
}

TINYTORCH_CONCEPT(MSELoss, "mean squared error between predictions and targets",
                  "L = (1/N) sum_i (p_i - t_i)^2, N = numel, summed in double");

TINYTORCH_TEST_FORMULA(MSELoss, MatchesHandComputedValue,
                       "p - t = [1, -2, 0.5, 3]: (1 + 4 + 0.25 + 9) / 4 = 3.5625, a scalar of shape (); "
                       "L(p, p) = 0");
TEST(MSELoss, MatchesHandComputedValue) {
  // p - t = [1, -2, 0.5, 3]; squares 1 + 4 + 0.25 + 9 = 14.25; / 4 = 3.5625
  Tensor p = Tensor::from_values({2, 0, 1.5f, 3}, {2, 2});
  Tensor t = Tensor::from_values({1, 2, 1, 0}, {2, 2});
  EXPECT_NEAR(ops::mse_loss(p, t).item(), 3.5625, kLossTolerance);
  EXPECT_EQ(ops::mse_loss(p, t).shape(), Shape{});
  EXPECT_EQ(ops::mse_loss(p, p).item(), 0.0f);  // identical inputs: no error at all
}

TINYTORCH_TEST_FORMULA(MSELoss, MatchesDoubleLoopOnOddShape,
                       "L = (1/N) sum_i (p_i - t_i)^2 over a (17, 3) tensor, "
                       "against a double loop (relative error 1e-6)");
TEST(MSELoss, MatchesDoubleLoopOnOddShape) {
  Generator generator(5);
  Tensor p = Tensor::randn({17, 3}, 0.0f, 1.0f, generator);
  Tensor t = Tensor::randn({17, 3}, 0.0f, 1.0f, generator);
  const std::vector<float> pv = p.to_vector(), tv = t.to_vector();
  double expected = 0;
  for (std::size_t i = 0; i < pv.size(); ++i) expected += (double(pv[i]) - tv[i]) * (double(pv[i]) - tv[i]);
  expected /= static_cast<double>(pv.size());
  EXPECT_NEAR(ops::mse_loss(p, t).item(), expected, kLossTolerance * expected);
}

TINYTORCH_TEST_FORMULA(MSELoss, DifferentiableVersionAndStructGiveTheSameValue,
                       "(0.25 + 2.25 + 4) / 3 = 2.1666667; mse_loss(p, t) = MSELoss{}(p, t) = "
                       "ops::mse_loss(p, t), exactly");
TEST(MSELoss, DifferentiableVersionAndStructGiveTheSameValue) {
  Tensor p = Tensor::from_values({0.5f, -1.5f, 2});
  Tensor t = Tensor::from_values({0, 0, 0});
  const float expected = ops::mse_loss(p, t).item();  // (0.25 + 2.25 + 4) / 3 = 2.1666667
  EXPECT_NEAR(expected, 6.5 / 3, kLossTolerance);
  EXPECT_EQ(mse_loss(p, t).item(), expected);
  EXPECT_EQ(MSELoss{}(p, t).item(), expected);
}

TINYTORCH_TEST_FORMULA(MSELoss, ShapeMismatchNamesBothShapes,
                       "p and t must have the same shape, else ShapeError naming mse_loss, (4, 1) and (4,); "
                       "N = 0 throws ShapeError (mean of nothing)");
TEST(MSELoss, ShapeMismatchNamesBothShapes) {
  try {
    ops::mse_loss(Tensor::zeros({4, 1}), Tensor::zeros({4}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("mse_loss"), std::string::npos) << message;
    EXPECT_NE(message.find("(4, 1)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4,)"), std::string::npos) << message;
  }
  EXPECT_THROW(ops::mse_loss(Tensor::zeros({0}), Tensor::zeros({0})), ShapeError);  // mean of nothing
}
