// Softmax cross-entropy on logits: L = (1/B) Σ_b [logsumexp(z_b) - z_b,y_b].
#include <gtest/gtest.h>

#include <cmath>

#include "tinytorch/core/losses.hpp"

using namespace tinytorch;

namespace {
constexpr double kLossTolerance = 1e-6;
}

TEST(CrossEntropy, MatchesHandComputedValue) {
  // Row 0: logits (1, 2, 3), label 2: log(e + e² + e³) - 3 = 0.40760596
  // Row 1: logits (1, 2, 3), label 0: log(e + e² + e³) - 1 = 2.40760596
  // mean = 1.40760596
  Tensor logits = Tensor::from_values({1, 2, 3, 1, 2, 3}, {2, 3});
  Tensor labels = Tensor::from_int32({2, 0}, {2});
  EXPECT_NEAR(ops::cross_entropy(logits, labels).item(), 1.40760596, kLossTolerance);
  EXPECT_EQ(ops::cross_entropy(logits, labels).shape(), Shape{});
}

TEST(CrossEntropy, UniformLogitsCostLogC) {
  // All logits equal: softmax = 1/C for every class, loss = -log(1/C) = log C.
  for (int64_t classes : {1, 3, 10, 17, 1000}) {
    Tensor logits = Tensor::full({3, classes}, 0.25f);
    Tensor labels = Tensor::from_int32({0, static_cast<int32_t>(classes - 1), 0}, {3});
    EXPECT_NEAR(ops::cross_entropy(logits, labels).item(), std::log(static_cast<double>(classes)), kLossTolerance)
        << classes << " classes";
  }
}

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

TEST(CrossEntropy, RejectsWrongShapesAndTypes) {
  EXPECT_THROW(ops::cross_entropy(Tensor::zeros({2, 3}), Tensor::from_int32({0, 1, 2}, {3})), ShapeError);
  EXPECT_THROW(ops::cross_entropy(Tensor::zeros({6}), Tensor::from_int32({0}, {1})), ShapeError);
  EXPECT_THROW(ops::cross_entropy(Tensor::zeros({2, 3}), Tensor::zeros({2})), DTypeError);  // float labels
}

TEST(CrossEntropy, DifferentiableVersionAndStructGiveTheSameValue) {
  Tensor logits = Tensor::from_values({0.5f, -0.25f, 2, 1, 0, -1}, {2, 3});
  Tensor labels = Tensor::from_int32({1, 0}, {2});
  const float expected = ops::cross_entropy(logits, labels).item();
  EXPECT_EQ(cross_entropy(logits, labels).item(), expected);
  EXPECT_EQ(CrossEntropyLoss{}(logits, labels).item(), expected);
}
