// count_correct / accuracy: argmax per row against the label, ties to the first class.
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "tinytorch/core/metrics.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(Metrics, "classification accuracy: is the largest logit the label?",
                  "y_hat_b = argmax_c logits[b, c] (first maximum wins); count_correct = sum_b [y_hat_b == y_b]; "
                  "accuracy = count_correct / B");

TINYTORCH_TEST_FORMULA(Metrics, CountsRowsWhoseArgmaxIsTheLabel,
                       "argmax rows [0.1,0.7,0.2] -> 1, [3,-1,2] -> 0, [0,0,5] -> 2, "
                       "[1,4,4] -> 1 against labels (1,2,2,1): 3 correct, accuracy 3/4 = 0.75");
TEST(Metrics, CountsRowsWhoseArgmaxIsTheLabel) {
  // argmax rows: [0.1, 0.7, 0.2] -> 1, [3, -1, 2] -> 0, [0, 0, 5] -> 2, [1, 4, 4] -> 1 (first max)
  const Tensor logits = Tensor::from_values({0.1f, 0.7f, 0.2f, 3, -1, 2, 0, 0, 5, 1, 4, 4}, {4, 3});
  const Tensor labels = Tensor::from_int32({1, 2, 2, 1}, {4});
  EXPECT_EQ(count_correct(logits, labels), 3);  // rows 0, 2, 3
  EXPECT_DOUBLE_EQ(accuracy(logits, labels), 0.75);
}

TINYTORCH_TEST_FORMULA(Metrics, TiesGoToTheFirstClassLikeArgmax,
                       "an all-zero row predicts class 0 (first maximum): labels (0, 0, 1) -> 2 correct");
TEST(Metrics, TiesGoToTheFirstClassLikeArgmax) {
  const Tensor logits = Tensor::zeros({3, 10});
  EXPECT_EQ(count_correct(logits, Tensor::from_int32({0, 0, 1}, {3})), 2);
}

TINYTORCH_TEST_FORMULA(Metrics, WorksOnTransposedViews,
                       "row b of a transposed view is column b of the storage: rows [5, 0] -> 0 and [0, 1] -> 1, "
                       "2 correct");
TEST(Metrics, WorksOnTransposedViews) {
  // logits stored (C, B) and viewed as (B, C): row b is column b of the storage.
  const Tensor stored = Tensor::from_values({5, 0, 0, 1}, {2, 2});  // view rows: [5, 0], [0, 1]
  EXPECT_EQ(count_correct(stored.transpose(), Tensor::from_int32({0, 1}, {2})), 2);
}

TINYTORCH_TEST_FORMULA(Metrics, RejectsMismatchedShapesAndTypes,
                       "logits:(B,C) with labels:(B) int32: another label count or 1-D logits throw ShapeError, "
                       "float labels DTypeError; accuracy of B = 0 examples ValueError");
TEST(Metrics, RejectsMismatchedShapesAndTypes) {
  const Tensor logits = Tensor::zeros({4, 3});
  EXPECT_THROW(count_correct(logits, Tensor::from_int32({0, 1, 2}, {3})), ShapeError);  // 3 labels for 4 rows
  EXPECT_THROW(count_correct(Tensor::zeros({4}), Tensor::from_int32({0}, {1})), ShapeError);
  EXPECT_THROW(count_correct(logits, Tensor::zeros({4})), DTypeError);  // float labels
  EXPECT_THROW(accuracy(Tensor::zeros({0, 3}), Tensor::zeros({0}, DType::Int32)), ValueError);
}
