// What every optimizer shares: zero_grad in both flavours, the step count,
// argument checks, and convergence on a quadratic bowl whose minimum is known.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "optimizer_test_util.hpp"
#include "tinytorch/core/adam.hpp"
#include "tinytorch/core/sgd.hpp"

using namespace tinytorch;
using optimizer_test::parameter;
using optimizer_test::set_grad;

TINYTORCH_CONCEPT(Optimizer, "what every optimizer shares: gradients, step count, checks, convergence",
                  "step() updates every parameter that has a gradient in place; "
                  "on L = 0.5 sum_i a_i (theta_i - c_i)^2 (gradient a (theta - c)) theta must reach c within "
                  "1e-3");

TINYTORCH_TEST_FORMULA(Optimizer, ZeroGradDropsOrZeroesGradients,
                       "zero_grad(false): grad := 0 (kept); zero_grad() (default, as PyTorch): grad undefined; "
                       "step() with no gradient leaves theta unchanged");
TEST(Optimizer, ZeroGradDropsOrZeroesGradients) {
  Tensor theta = parameter({1.0f, 2.0f});
  SGD sgd({theta}, 0.1f);
  set_grad(theta, {3.0f, 4.0f});
  sgd.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(theta.grad().defined());
  EXPECT_EQ(theta.grad().to_vector(), (std::vector<float>{0.0f, 0.0f}));
  sgd.zero_grad();  // default: set to none, as PyTorch
  EXPECT_FALSE(theta.grad().defined());
  sgd.step();  // no gradient: nothing moves
  EXPECT_EQ(theta.to_vector(), (std::vector<float>{1.0f, 2.0f}));
}

TINYTORCH_TEST_FORMULA(Optimizer, RejectsEmptyAndUnusableParameterLists,
                       "parameters must be a non-empty list of defined, "
                       "contiguous float32 tensors (updated in place), else ValueError");
TEST(Optimizer, RejectsEmptyAndUnusableParameterLists) {
  EXPECT_THROW(SGD({}, 0.1f), ValueError);
  EXPECT_THROW(Adam({Tensor()}, 0.1f), ValueError);
  Tensor matrix = Tensor::zeros({3, 2});
  EXPECT_THROW(SGD({matrix.transpose()}, 0.1f), ValueError);  // a non-contiguous view cannot be updated in place
  EXPECT_THROW(SGD({Tensor::zeros({2}, DType::Int32)}, 0.1f), ValueError);
}

TINYTORCH_TEST_FORMULA(Optimizer, CountsSteps, "steps_taken() = number of step() calls: 0, then 2");
TEST(Optimizer, CountsSteps) {
  Tensor theta = parameter({1.0f});
  Adam adam({theta}, 0.1f);
  EXPECT_EQ(adam.steps_taken(), 0);
  adam.step();
  adam.step();
  EXPECT_EQ(adam.steps_taken(), 2);
}

namespace {

// L(θ) = ½ Σ_i a_i (θ_i - c_i)²: ∇ = a ⊙ (θ - c), minimum at θ = c, L = 0.
// Curvatures a_i from 0.5 to 4 (condition number 8).
double minimise_quadratic(Optimizer& optimizer, Tensor& theta, int steps) {
  const std::vector<float> a = {0.5f, 1.0f, 2.0f, 4.0f, 1.5f}, c = {1.0f, -2.0f, 0.5f, 3.0f, -1.0f};
  for (int s = 0; s < steps; ++s) {
    const std::vector<float> t = theta.to_vector();
    std::vector<float> grad(t.size());
    for (size_t i = 0; i < t.size(); ++i) grad[i] = a[i] * (t[i] - c[i]);
    set_grad(theta, grad);
    optimizer.step();
  }
  double distance = 0;
  const std::vector<float> t = theta.to_vector();
  for (size_t i = 0; i < t.size(); ++i) distance = std::max(distance, std::fabs(double(t[i]) - c[i]));
  return distance;  // max_i |θ_i - c_i|
}

constexpr double kConvergedDistance = 1e-3;

}  // namespace

TINYTORCH_TEST_FORMULA(Optimizer, SgdConvergesOnAQuadratic,
                       "theta -= 0.2 a (theta - c) contracts each coordinate by |1 - 0.2 a_i| <= 0.9 per step: "
                       "max_i |theta_i - c_i| < 1e-3 after 200 steps");
TEST(Optimizer, SgdConvergesOnAQuadratic) {
  // Plain gradient descent with η = 0.2 contracts each coordinate by |1 - η a_i| <= 0.9 per step.
  Tensor theta = parameter({0, 0, 0, 0, 0});
  SGD sgd({theta}, 0.2f);
  EXPECT_LT(minimise_quadratic(sgd, theta, 200), kConvergedDistance);
}

TINYTORCH_TEST_FORMULA(Optimizer, SgdWithMomentumConvergesOnAQuadratic,
                       "b = 0.9 b + g, theta -= 0.05 b on the quadratic: max_i |theta_i - c_i| < 1e-3 after 400 "
                       "steps");
TEST(Optimizer, SgdWithMomentumConvergesOnAQuadratic) {
  Tensor theta = parameter({0, 0, 0, 0, 0});
  SGD sgd({theta}, 0.05f, 0.9f);
  EXPECT_LT(minimise_quadratic(sgd, theta, 400), kConvergedDistance);
}

TINYTORCH_TEST_FORMULA(Optimizer, AdamConvergesOnAQuadratic,
                       "Adam with lr = 0.05 on the quadratic: max_i |theta_i - c_i| < 1e-3 after 2000 steps");
TEST(Optimizer, AdamConvergesOnAQuadratic) {
  Tensor theta = parameter({0, 0, 0, 0, 0});
  Adam adam({theta}, 0.05f);
  EXPECT_LT(minimise_quadratic(adam, theta, 2000), kConvergedDistance);
}

TINYTORCH_TEST_FORMULA(Optimizer, TrainsAThroughBackwardComputedGradient,
                       "L = mean((w x - y)^2) with y = 3x: dL/dw = 2 mean((w x - y) x), w -= 0.1 dL/dw; "
                       "w -> 3 (+- 1e-4) after 100 steps");
TEST(Optimizer, TrainsAThroughBackwardComputedGradient) {
  // The whole loop: L = mean((w·x - y)²) for y = 3x; w starts at 0 and must approach 3.
  Tensor w = parameter({0.0f});
  const Tensor x = Tensor::from_values({1, 2, -1, 0.5f});
  const Tensor y = Tensor::from_values({3, 6, -3, 1.5f});
  SGD sgd({w}, 0.1f);
  for (int step = 0; step < 100; ++step) {
    sgd.zero_grad();
    const Tensor diff = w * x - y;
    mean(diff * diff).backward();
    sgd.step();
  }
  EXPECT_NEAR(w.item(), 3.0, 1e-4);
}
