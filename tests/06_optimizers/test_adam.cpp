// Adam and AdamW against hand-computed updates, following the algorithms
// documented for torch.optim.Adam / torch.optim.AdamW (PyTorch 2.x docs):
//   Adam:  g = ∇ + λθ;  m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²;
//          θ -= η · (m / (1-β1^t)) / (√(v / (1-β2^t)) + ε)
//   AdamW: θ *= (1 - ηλ) first, then the same update with g = ∇.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "optimizer_test_util.hpp"
#include "tinytorch/core/adam.hpp"

using namespace tinytorch;
using optimizer_test::parameter;
using optimizer_test::set_grad;

namespace {

// The float update differs from the double hand computation by a few roundings
// of numbers of size ~1: 1e-6 absolute.
constexpr double kTolerance = 1e-6;

// One Adam step in double, written out from the formulas above.
struct AdamRef {
  double m = 0, v = 0;
  int t = 0;
  double step(double theta, double grad, double lr, double beta1, double beta2, double eps, double l2,
              double decoupled) {
    ++t;
    theta *= 1 - lr * decoupled;
    const double g = grad + l2 * theta;
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    const double m_hat = m / (1 - std::pow(beta1, t)), v_hat = v / (1 - std::pow(beta2, t));
    return theta - lr * m_hat / (std::sqrt(v_hat) + eps);
  }
};

}  // namespace

TINYTORCH_CONCEPT(Adam, "Adam: steps of about lr in the direction of a running mean of the gradient",
                  "g = grad + l2 theta (Adam: l2 = lambda; AdamW: theta *= 1 - lr lambda first, l2 = 0); "
                  "m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; "
                  "theta -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)");

TINYTORCH_TEST_FORMULA(Adam, FirstStepMovesByLearningRateTimesSignOfGradient,
                       "t = 1: m_hat = g, v_hat = g^2, so theta -= lr g / (|g| + eps) = about lr sign(g), "
                       "whatever |g|: 1 - 0.01 (1e-3 / (1e-3 + 1e-8)), 1 + 0.01, and g = 0 leaves theta = 1");
TEST(Adam, FirstStepMovesByLearningRateTimesSignOfGradient) {
  // t = 1: m̂ = g and v̂ = g², so Δθ = -η g / (|g| + ε) ≈ -η sign(g), whatever |g| is.
  Tensor theta = parameter({1.0f, 1.0f, 1.0f});
  set_grad(theta, {1e-3f, -50.0f, 0.0f});
  Adam adam({theta}, 0.01f);
  adam.step();
  const std::vector<float> got = theta.to_vector();
  EXPECT_NEAR(got[0], 1.0 - 0.01 * 1e-3 / (1e-3 + 1e-8), kTolerance);
  EXPECT_NEAR(got[1], 1.01, kTolerance);
  EXPECT_EQ(got[2], 1.0f);  // g = 0 -> m = 0 -> no move
}

TINYTORCH_TEST_FORMULA(Adam, ThreeStepsMatchTheDocumentedAlgorithm,
                       "g = grad + l2 theta (Adam: l2 = lambda; AdamW: theta *= 1 - lr lambda first, l2 = 0); "
                       "m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; "
                       "theta -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) "
                       "(lr 0.05, b1 0.8, b2 0.9, eps 1e-6), against a double reference for 3 steps, "
                       "m and v too (+- 1e-6)");
TEST(Adam, ThreeStepsMatchTheDocumentedAlgorithm) {
  Tensor theta = parameter({0.5f});
  Adam adam({theta}, 0.05f, 0.8f, 0.9f, 1e-6f);
  AdamRef ref;
  double expected = 0.5;
  for (float grad : {0.3f, -0.7f, 1.1f}) {
    set_grad(theta, {grad});
    adam.step();
    expected = ref.step(expected, grad, 0.05, 0.8, 0.9, 1e-6, 0, 0);
    EXPECT_NEAR(theta.item(), expected, kTolerance) << "t = " << ref.t;
  }
  // The state the optimizer keeps is the documented m and v.
  EXPECT_NEAR(adam.first_moment(0).item(), ref.m, kTolerance);
  EXPECT_NEAR(adam.second_moment(0).item(), ref.v, kTolerance);
}

TINYTORCH_TEST_FORMULA(Adam, L2WeightDecayAndDecoupledWeightDecayGiveDifferentUpdates,
                       "theta = 2, grad = 0.1, lr = 0.1, lambda = 0.5: Adam g = 0.1 + 0.5 * 2 = 1.1 -> theta = 2 "
                       "- 0.1 = 1.9; AdamW theta = 2 (1 - 0.05) = 1.9, then -0.1 -> 1.8; "
                       "later steps follow the double reference (+- 1e-6)");
TEST(Adam, L2WeightDecayAndDecoupledWeightDecayGiveDifferentUpdates) {
  // θ0 = 2, ∇ = 0.1, η = 0.1, λ = 0.5, one step:
  //   Adam:  g = 0.1 + 0.5·2 = 1.1; first step moves by η·sign(g): θ1 = 2 - 0.1 = 1.9
  //   AdamW: θ ← 2·(1 - 0.05) = 1.9, then g = 0.1 moves by η: θ1 = 1.9 - 0.1 = 1.8
  const AdamOptions options{0.9f, 0.999f, 1e-8f, 0.5f};
  Tensor a = parameter({2.0f}), b = parameter({2.0f});
  set_grad(a, {0.1f});
  set_grad(b, {0.1f});
  Adam adam({a}, 0.1f, options);
  AdamW adamw({b}, 0.1f, options);
  adam.step();
  adamw.step();
  EXPECT_NEAR(a.item(), 1.9, kTolerance);
  EXPECT_NEAR(b.item(), 1.8, kTolerance);
  // And over several steps both follow their documented algorithm.
  AdamRef ref_l2, ref_decoupled;
  double expected_l2 = ref_l2.step(2.0, 0.1, 0.1, 0.9, 0.999, 1e-8, 0.5, 0);
  double expected_decoupled = ref_decoupled.step(2.0, 0.1, 0.1, 0.9, 0.999, 1e-8, 0, 0.5);
  for (float grad : {-0.2f, 0.4f, 0.05f}) {
    set_grad(a, {grad});
    set_grad(b, {grad});
    adam.step();
    adamw.step();
    expected_l2 = ref_l2.step(expected_l2, grad, 0.1, 0.9, 0.999, 1e-8, 0.5, 0);
    expected_decoupled = ref_decoupled.step(expected_decoupled, grad, 0.1, 0.9, 0.999, 1e-8, 0, 0.5);
    EXPECT_NEAR(a.item(), expected_l2, kTolerance);
    EXPECT_NEAR(b.item(), expected_decoupled, kTolerance);
  }
}

TINYTORCH_CONCEPT(AdamW, "AdamW: Adam with weight decay applied to the parameter, not the gradient",
                  "theta *= 1 - lr lambda, then the Adam update with g = grad; "
                  "PyTorch defaults lr = 1e-3, betas (0.9, 0.999), eps = 1e-8, weight_decay = 1e-2");

TINYTORCH_TEST_FORMULA(AdamW, DefaultsMatchPyTorch,
                       "AdamW defaults lr = 1e-3, weight_decay = 0.01, name AdamW; "
                       "Adam defaults weight_decay = 0, b2 = 0.999");
TEST(AdamW, DefaultsMatchPyTorch) {
  // torch.optim.AdamW(params): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2
  Tensor theta = parameter({1.0f});
  AdamW adamw({theta});
  EXPECT_EQ(adamw.learning_rate(), 1e-3f);
  EXPECT_EQ(adamw.options().weight_decay, 0.01f);
  EXPECT_EQ(adamw.name(), "AdamW");
  Adam adam({theta});
  EXPECT_EQ(adam.options().weight_decay, 0.0f);
  EXPECT_EQ(adam.options().beta2, 0.999f);
}

TINYTORCH_TEST_FORMULA(Adam, RejectsInvalidHyperparameters,
                       "lr >= 0, 0 <= b1 < 1, 0 <= b2 < 1, eps >= 0, weight_decay >= 0, else ValueError");
TEST(Adam, RejectsInvalidHyperparameters) {
  Tensor theta = parameter({1.0f});
  EXPECT_THROW(Adam({theta}, -1e-3f), ValueError);
  EXPECT_THROW(Adam({theta}, 1e-3f, 1.0f, 0.999f), ValueError);  // β1 must be < 1
  EXPECT_THROW(Adam({theta}, 1e-3f, 0.9f, -0.1f), ValueError);
  EXPECT_THROW(Adam({theta}, 1e-3f, 0.9f, 0.999f, -1e-8f), ValueError);
  EXPECT_THROW(Adam({theta}, 1e-3f, 0.9f, 0.999f, 1e-8f, -0.1f), ValueError);
}
