// Softmax cross-entropy on logits: L = (1/B) Σ_b [logsumexp(z_b) - z_b,y_b].
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;

namespace {
constexpr double kLossTolerance = 1e-6;
}

TINYTORCH_CONCEPT(CrossEntropy, "softmax cross-entropy of raw logits against integer class labels",
                  "L = (1/B) sum_b [logsumexp(z_b) - z_b[y_b]], logsumexp(z) = m + log sum_c e^(z_c - m), "
                  "m = max_c z_c");

TINYTORCH_TEST_FORMULA(CrossEntropy, MatchesHandComputedValue,
                       "row 0: log(e + e^2 + e^3) - 3 = 0.40760596, row 1: log(e + e^2 + e^3) - 1 = 2.40760596; "
                       "L = mean = 1.40760596 (+- 1e-6), a scalar of shape ()");
TEST(CrossEntropy, MatchesHandComputedValue) {
  // Row 0: logits (1, 2, 3), label 2: log(e + e² + e³) - 3 = 0.40760596
  // Row 1: logits (1, 2, 3), label 0: log(e + e² + e³) - 1 = 2.40760596
  // mean = 1.40760596
  Tensor logits = Tensor::from_values({1, 2, 3, 1, 2, 3}, {2, 3});
  Tensor labels = Tensor::from_int32({2, 0}, {2});
  EXPECT_NEAR(ops::cross_entropy(logits, labels).item(), 1.40760596, kLossTolerance);
  EXPECT_EQ(ops::cross_entropy(logits, labels).shape(), Shape{});
}

TINYTORCH_TEST_FORMULA(CrossEntropy, UniformLogitsCostLogC,
                       "all logits equal: softmax = 1/C for every class, so L = -log(1/C) = log C, "
                       "for C in {1, 3, 10, 17, 1000}");
TEST(CrossEntropy, UniformLogitsCostLogC) {
  // All logits equal: softmax = 1/C for every class, loss = -log(1/C) = log C.
  for (int64_t classes : {1, 3, 10, 17, 1000}) {
    Tensor logits = Tensor::full({3, classes}, 0.25f);
    Tensor labels = Tensor::from_int32({0, static_cast<int32_t>(classes - 1), 0}, {3});
    EXPECT_NEAR(ops::cross_entropy(logits, labels).item(), std::log(static_cast<double>(classes)), kLossTolerance)
        << classes << " classes";
  }
}

TINYTORCH_TEST_FORMULA(CrossEntropy, StableForLogitsOfPlusMinusOneThousand,
                       "logsumexp(1000, -1000, 0) = 1000 + log(1 + e^-2000 + e^-1000) = 1000: label 0 -> 0, "
                       "label 1 -> 2000, label 2 -> 1000; logits (-1000, -1000) -> log 2");
TEST(CrossEntropy, StableForLogitsOfPlusMinusOneThousand) {
  // logsumexp(1000, -1000, 0) = 1000 + log(1 + e^-2000 + e^-1000) = 1000 (to float precision).
  Tensor logits = Tensor::from_values({1000, -1000, 0}, {1, 3});
  EXPECT_NEAR(ops::cross_entropy(logits, Tensor::from_int32({0}, {1})).item(), 0.0, kLossTolerance);
  EXPECT_NEAR(ops::cross_entropy(logits, Tensor::from_int32({1}, {1})).item(), 2000.0, 1e-3);
  EXPECT_NEAR(ops::cross_entropy(logits, Tensor::from_int32({2}, {1})).item(), 1000.0, 1e-3);
  // Both huge and equal: log 2.
  Tensor tie = Tensor::from_values({-1000, -1000}, {1, 2});
  EXPECT_NEAR(ops::cross_entropy(tie, Tensor::from_int32({1}, {1})).item(), std::log(2.0), kLossTolerance);
}

TINYTORCH_TEST_FORMULA(CrossEntropy, LabelOutOfRangeIsAnIndexErrorNamingLabelAndClasses,
                       "0 <= label < C, else IndexError naming the label, "
                       "its row and C: label 7 in row 1 with 3 classes; -1 too");
TEST(CrossEntropy, LabelOutOfRangeIsAnIndexErrorNamingLabelAndClasses) {
  Tensor logits = Tensor::zeros({2, 3});
  try {
    ops::cross_entropy(logits, Tensor::from_int32({0, 7}, {2}));
    FAIL() << "expected IndexError";
  } catch (const IndexError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("label 7"), std::string::npos) << message;
    EXPECT_NE(message.find("3 classes"), std::string::npos) << message;
    EXPECT_NE(message.find("row 1"), std::string::npos) << message;
  }
  EXPECT_THROW(ops::cross_entropy(logits, Tensor::from_int32({-1, 0}, {2})), IndexError);
}

TINYTORCH_TEST_FORMULA(CrossEntropy, RejectsWrongShapesAndTypes,
                       "logits:(B,C) float32 with labels:(B) int32: a label count other than B or 1-D logits "
                       "throw ShapeError, float labels throw DTypeError");
TEST(CrossEntropy, RejectsWrongShapesAndTypes) {
  EXPECT_THROW(ops::cross_entropy(Tensor::zeros({2, 3}), Tensor::from_int32({0, 1, 2}, {3})), ShapeError);
  EXPECT_THROW(ops::cross_entropy(Tensor::zeros({6}), Tensor::from_int32({0}, {1})), ShapeError);
  EXPECT_THROW(ops::cross_entropy(Tensor::zeros({2, 3}), Tensor::zeros({2})), DTypeError);  // float labels
}

TINYTORCH_TEST_FORMULA(CrossEntropy, DifferentiableVersionAndStructGiveTheSameValue,
                       "cross_entropy(z, y) = CrossEntropyLoss{}(z, y) = ops::cross_entropy(z, y), exactly");
TEST(CrossEntropy, DifferentiableVersionAndStructGiveTheSameValue) {
  Tensor logits = Tensor::from_values({0.5f, -0.25f, 2, 1, 0, -1}, {2, 3});
  Tensor labels = Tensor::from_int32({1, 0}, {2});
  const float expected = ops::cross_entropy(logits, labels).item();
  EXPECT_EQ(cross_entropy(logits, labels).item(), expected);
  EXPECT_EQ(CrossEntropyLoss{}(logits, labels).item(), expected);
}
