// Binary cross-entropy on probabilities, clamped to [ε, 1 - ε] with ε = 1e-7.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;

namespace {
constexpr double kLossTolerance = 1e-6;
}

TINYTORCH_CONCEPT(BinaryCrossEntropy, "binary cross-entropy of probabilities against 0/1 (or soft) targets",
                  "L = -(1/N) sum_i [t_i log p_i + (1 - t_i) log(1 - p_i)], p_i clamped to [eps, 1 - eps], "
                  "eps = 1e-7");

TINYTORCH_TEST_FORMULA(BinaryCrossEntropy, MatchesHandComputedValue,
                       "-(1/3) [log 0.8 + log(1 - 0.3) + (0.5 log 0.5 + 0.5 log 0.5)] = -(1/3) "
                       "[-0.22314355 - 0.35667494 - 0.69314718] = 0.42432189 (+- 1e-6)");
TEST(BinaryCrossEntropy, MatchesHandComputedValue) {
  // -(1/3) [log 0.8 + log(1 - 0.3) + (0.5 log 0.5 + 0.5 log 0.5)]
  //   = -(1/3) [-0.22314355 - 0.35667494 - 0.69314718] = 0.42432189
  Tensor p = Tensor::from_values({0.8f, 0.3f, 0.5f});
  Tensor t = Tensor::from_values({1, 0, 0.5f});
  EXPECT_NEAR(ops::binary_cross_entropy(p, t).item(), 0.42432189, kLossTolerance);
}

TINYTORCH_TEST_FORMULA(BinaryCrossEntropy, ClampsCertainPredictions,
                       "p = clamp(p, 1e-7, 1 - 1e-7): p = 0 with t = 1, or p = 1 with t = 0, "
                       "costs -log(1e-7) = 16.118 (not inf); p = 1 with t = 1 costs -log(1 - 1e-7) = 1e-7");
TEST(BinaryCrossEntropy, ClampsCertainPredictions) {
  // p = 0 for a positive: clamped to ε, loss = -log(1e-7) = 16.118096 (not inf).
  EXPECT_NEAR(ops::binary_cross_entropy(Tensor::from_values({0}), Tensor::from_values({1})).item(),
              -std::log(1e-7), 1e-4);
  // p = 1 for a negative: clamped to 1 - ε, loss = -log(ε) as well.
  EXPECT_NEAR(ops::binary_cross_entropy(Tensor::from_values({1}), Tensor::from_values({0})).item(),
              -std::log(1e-7), 1e-4);
  // p = 1 for a positive: -log(1 - ε) ≈ ε = 1e-7.
  EXPECT_NEAR(ops::binary_cross_entropy(Tensor::from_values({1}), Tensor::from_values({1})).item(), 1e-7, 1e-9);
}

TINYTORCH_TEST_FORMULA(BinaryCrossEntropy, RejectsValuesThatAreNotProbabilities,
                       "every p_i must lie in [0, 1]: 1.5 or NaN throws ValueError naming probs[i]; "
                       "probs and targets of different shapes throw ShapeError");
TEST(BinaryCrossEntropy, RejectsValuesThatAreNotProbabilities) {
  try {
    ops::binary_cross_entropy(Tensor::from_values({0.5f, 1.5f}), Tensor::from_values({1, 0}));
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("probs[1]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::binary_cross_entropy(Tensor::from_values({NAN}), Tensor::from_values({1})), ValueError);
  EXPECT_THROW(ops::binary_cross_entropy(Tensor::zeros({3}), Tensor::zeros({1, 3})), ShapeError);
}

TINYTORCH_TEST_FORMULA(BinaryCrossEntropy, DifferentiableVersionAndStructGiveTheSameValue,
                       "binary_cross_entropy(p, t) = BinaryCrossEntropyLoss{}(p, t) = "
                       "ops::binary_cross_entropy(p, t), exactly");
TEST(BinaryCrossEntropy, DifferentiableVersionAndStructGiveTheSameValue) {
  Tensor p = Tensor::from_values({0.9f, 0.2f, 0.6f, 0.4f}, {2, 2});
  Tensor t = Tensor::from_values({1, 0, 0, 1}, {2, 2});
  const float expected = ops::binary_cross_entropy(p, t).item();
  EXPECT_EQ(binary_cross_entropy(p, t).item(), expected);
  EXPECT_EQ(BinaryCrossEntropyLoss{}(p, t).item(), expected);
}
