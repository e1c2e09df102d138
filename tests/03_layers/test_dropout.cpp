// Dropout: inverted scaling, the fraction dropped, identity in eval mode,
// the gradient through the mask, and argument checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "concepts.hpp"
#include "tinytorch/core/dropout.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(Dropout, "inverted dropout: zero each element with probability p while training",
                  "m_i ~ Bernoulli(1 - p), y_i = x_i * m_i / (1 - p), so E[y_i] = x_i; in eval mode y = x");

TINYTORCH_TEST_FORMULA(Dropout, RejectsProbabilitiesOutsideZeroToOne,
                       "0 <= p < 1 (p = 1 would divide by 1 - p = 0): p < 0, p >= 1 or NaN throws ValueError");
TEST(Dropout, RejectsProbabilitiesOutsideZeroToOne) {
  EXPECT_THROW(Dropout(-0.1f), ValueError);
  EXPECT_THROW(Dropout(1.0f), ValueError);  // p = 1 would divide by 1 - p = 0
  EXPECT_THROW(Dropout(std::numeric_limits<float>::quiet_NaN()), ValueError);
  EXPECT_NO_THROW(Dropout(0.0f));
}

TINYTORCH_TEST_FORMULA(Dropout, EvalModeIsTheIdentity, "after eval(): y = x, whatever p (here 0.9)");
TEST(Dropout, EvalModeIsTheIdentity) {
  Dropout dropout(0.9f);
  dropout.eval();
  const Tensor x = Tensor::from_values({1, -2, 3, 4, 5});
  EXPECT_EQ(dropout(x).to_vector(), x.to_vector());
}

TINYTORCH_TEST_FORMULA(Dropout, KeptValuesAreScaledByOneOverOneMinusP,
                       "y_i = x_i * m_i / (1 - p) with m_i in {0, 1}: every y is 0 or 2 / (1 - 0.3) = 2.857");
TEST(Dropout, KeptValuesAreScaledByOneOverOneMinusP) {
  Generator generator(11);
  const float p = 0.3f;
  Dropout dropout(p, generator);
  const Tensor x = Tensor::full({1000}, 2.0f);
  for (float y : dropout(x).to_vector()) {
    // (1): y = x · m / (1 - p) with m ∈ {0, 1}
    EXPECT_TRUE(y == 0.0f || std::fabs(y - 2.0f / (1.0f - p)) < 1e-6f) << y;
  }
}

TINYTORCH_TEST_FORMULA(Dropout, DropsAFractionPAndKeepsTheMean,
                       "fraction of zeros = p +- 5 sd, sd = sqrt(p (1 - p) / n) = 0.00097 "
                       "(p = 0.25, n = 200000); mean(y) = E[y] = x = 1 +- 5 sd / (1 - p)");
TEST(Dropout, DropsAFractionPAndKeepsTheMean) {
  Generator generator(12);
  const float p = 0.25f;
  const int64_t n = 200000;
  Dropout dropout(p, generator);
  const std::vector<float> y = dropout(Tensor::ones({n})).to_vector();
  double zeros = 0, total = 0;
  for (float v : y) {
    zeros += v == 0.0f ? 1 : 0;
    total += v;
  }
  // Binomial(n, p): sd of the dropped fraction = √(p(1-p)/n) ≈ 0.00097. Allow 5 sd.
  const double sd = std::sqrt(p * (1 - p) / double(n));
  EXPECT_NEAR(zeros / double(n), p, 5 * sd);
  // E[y] = x = 1; the mean's sd is sd / (1 - p).
  EXPECT_NEAR(total / double(n), 1.0, 5 * sd / (1 - p));
}

TINYTORCH_TEST_FORMULA(Dropout, GradientFlowsOnlyThroughKeptElements,
                       "dy_i/dx_i = m_i / (1 - p): 1 / (1 - 0.5) = 2 where kept (y = 6), 0 where dropped");
TEST(Dropout, GradientFlowsOnlyThroughKeptElements) {
  Generator generator(13);
  const float p = 0.5f;
  Dropout dropout(p, generator);
  Tensor x = Tensor::full({64}, 3.0f);
  x.set_requires_grad(true);
  const Tensor y = dropout(x);
  sum(y).backward();
  const std::vector<float> out = y.to_vector(), grad = x.grad().to_vector();
  for (size_t i = 0; i < out.size(); ++i) {
    // dy/dx = m / (1 - p): 2 where kept (y = 6), 0 where dropped
    EXPECT_EQ(grad[i], out[i] == 0.0f ? 0.0f : 2.0f) << i;
  }
}

TINYTORCH_TEST_FORMULA(Dropout, SameGeneratorSeedGivesSameMask,
                       "the same generator seed draws the same mask m, so the outputs are equal");
TEST(Dropout, SameGeneratorSeedGivesSameMask) {
  Generator first(21), second(21);
  Dropout a(0.5f, first), b(0.5f, second);
  const Tensor x = Tensor::ones({100});
  EXPECT_EQ(a(x).to_vector(), b(x).to_vector());
}

TINYTORCH_TEST_FORMULA(Dropout, ZeroProbabilityIsTheIdentityInTraining,
                       "p = 0: every m_i = 1 and 1 / (1 - p) = 1, so y = x");
TEST(Dropout, ZeroProbabilityIsTheIdentityInTraining) {
  Dropout dropout(0.0f);
  const Tensor x = Tensor::from_values({1, 2, 3});
  EXPECT_EQ(dropout(x).to_vector(), x.to_vector());
}
