// SGD against hand-computed updates. Expected values follow the update rule
// documented for torch.optim.SGD (PyTorch 2.x docs, dampening 0):
//   g = ∇ + λθ;  b = g (t=1) or μb + g;  d = g + μb (nesterov) or b;  θ -= η d
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "optimizer_test_util.hpp"
#include "tinytorch/core/sgd.hpp"

using namespace tinytorch;
using optimizer_test::parameter;
using optimizer_test::set_grad;

namespace {
constexpr float kTolerance = 1e-6f;  // a few float roundings of numbers of size ~1

void expect_values(const Tensor& t, const std::vector<float>& expected, const char* what) {
  const std::vector<float> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], kTolerance) << what << " element " << i;
}
}  // namespace

TINYTORCH_CONCEPT(SGD, "stochastic gradient descent, with momentum, Nesterov and weight decay",
                  "g = grad + lambda theta; b = g (t = 1) or mu b + g; d = g + mu b (nesterov) or b; "
                  "theta -= lr d");

TINYTORCH_TEST_FORMULA(SGD, PlainStepIsThetaMinusLrTimesGrad,
                       "theta -= lr g: [1, -2, 0.5] - 0.1 [0.5, -1, 2] = [0.95, -1.9, 0.3]");
TEST(SGD, PlainStepIsThetaMinusLrTimesGrad) {
  Tensor theta = parameter({1.0f, -2.0f, 0.5f});
  set_grad(theta, {0.5f, -1.0f, 2.0f});
  SGD sgd({theta}, 0.1f);
  sgd.step();
  // θ - 0.1·g = [1 - 0.05, -2 + 0.1, 0.5 - 0.2]
  expect_values(theta, {0.95f, -1.9f, 0.3f}, "θ1");
}

TINYTORCH_TEST_FORMULA(SGD, WeightDecayAddsLambdaTheta,
                       "g = grad + lambda theta = 1 + 0.5 * 2 = 2; theta = 2 - 0.1 * 2 = 1.8");
TEST(SGD, WeightDecayAddsLambdaTheta) {
  Tensor theta = parameter({2.0f});
  set_grad(theta, {1.0f});
  SGD sgd({theta}, 0.1f, SGDOptions{0.0f, 0.5f, false});
  sgd.step();
  // g = 1 + 0.5·2 = 2;  θ = 2 - 0.1·2 = 1.8
  expect_values(theta, {1.8f}, "θ1");
}

TINYTORCH_TEST_FORMULA(SGD, MomentumAccumulatesVelocity,
                       "b1 = g = 1, theta = -0.1; b2 = 0.9 * 1 + 2 = 2.9, theta = -0.1 - 0.29 = -0.39; "
                       "b3 = 0.9 * 2.9 - 1 = 1.61, theta = -0.39 - 0.161 = -0.551");
TEST(SGD, MomentumAccumulatesVelocity) {
  Tensor theta = parameter({0.0f});
  SGD sgd({theta}, 0.1f, 0.9f);
  set_grad(theta, {1.0f});
  sgd.step();  // b1 = g = 1;           θ1 = 0 - 0.1·1 = -0.1
  expect_values(theta, {-0.1f}, "θ1");
  set_grad(theta, {2.0f});
  sgd.step();  // b2 = 0.9·1 + 2 = 2.9;  θ2 = -0.1 - 0.29 = -0.39
  expect_values(theta, {-0.39f}, "θ2");
  set_grad(theta, {-1.0f});
  sgd.step();  // b3 = 0.9·2.9 - 1 = 1.61;  θ3 = -0.39 - 0.161 = -0.551
  expect_values(theta, {-0.551f}, "θ3");
}

TINYTORCH_TEST_FORMULA(SGD, NesterovLooksAheadAlongTheVelocity,
                       "d = g + mu b: b1 = 1, d = 1 + 0.9 = 1.9, theta = -0.19; "
                       "b2 = 0.9 + 2 = 2.9, d = 2 + 0.9 * 2.9 = 4.61, theta = -0.19 - 0.461 = -0.651");
TEST(SGD, NesterovLooksAheadAlongTheVelocity) {
  Tensor theta = parameter({0.0f});
  SGD sgd({theta}, 0.1f, 0.9f, 0.0f, /*nesterov=*/true);
  set_grad(theta, {1.0f});
  sgd.step();  // b1 = 1, d = g + μ b1 = 1.9;  θ1 = -0.19
  expect_values(theta, {-0.19f}, "θ1");
  set_grad(theta, {2.0f});
  sgd.step();  // b2 = 0.9 + 2 = 2.9, d = 2 + 0.9·2.9 = 4.61;  θ2 = -0.19 - 0.461 = -0.651
  expect_values(theta, {-0.651f}, "θ2");
}

TINYTORCH_TEST_FORMULA(SGD, ParametersWithoutGradientAreLeftAlone,
                       "a parameter with a gradient moves (1 - 0.5 * 1 = 0.5); "
                       "one without a gradient keeps its value (5)");
TEST(SGD, ParametersWithoutGradientAreLeftAlone) {
  Tensor used = parameter({1.0f}), unused = parameter({5.0f});
  set_grad(used, {1.0f});
  SGD sgd({used, unused}, 0.5f, 0.9f);
  sgd.step();
  expect_values(used, {0.5f}, "used");
  expect_values(unused, {5.0f}, "unused (no grad)");
}

TINYTORCH_TEST_FORMULA(SGD, LearningRateCanChangeBetweenSteps,
                       "set_learning_rate(0.01) applies from the next step: theta = 1 - 0.1 * 1 - 0.01 * 1 = "
                       "0.89; steps_taken() = 2");
TEST(SGD, LearningRateCanChangeBetweenSteps) {
  Tensor theta = parameter({1.0f});
  SGD sgd({theta}, 0.1f);
  set_grad(theta, {1.0f});
  sgd.step();
  sgd.set_learning_rate(0.01f);
  EXPECT_EQ(sgd.learning_rate(), 0.01f);
  sgd.step();  // 1 - 0.1 - 0.01
  expect_values(theta, {0.89f}, "θ2");
  EXPECT_EQ(sgd.steps_taken(), 2);
}

TINYTORCH_TEST_FORMULA(SGD, RejectsInvalidHyperparameters,
                       "lr >= 0, momentum >= 0, weight_decay >= 0, and nesterov needs momentum > 0 (as PyTorch); "
                       "else ValueError");
TEST(SGD, RejectsInvalidHyperparameters) {
  Tensor theta = parameter({1.0f});
  EXPECT_THROW(SGD({theta}, -0.1f), ValueError);
  EXPECT_THROW(SGD({theta}, 0.1f, -0.5f), ValueError);
  EXPECT_THROW(SGD({theta}, 0.1f, 0.0f, -1.0f), ValueError);
  EXPECT_THROW(SGD({theta}, 0.1f, 0.0f, 0.0f, /*nesterov=*/true), ValueError);  // as PyTorch: nesterov needs μ > 0
}
