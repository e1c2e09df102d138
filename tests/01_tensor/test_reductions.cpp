// Reductions over an axis: sum, mean, max, argmax, and sum_to_shape (un-broadcasting).
#include <gtest/gtest.h>

#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

namespace {
// [[[0,1,2],[3,4,5]], [[6,7,8],[9,10,11]]]  shape (2,2,3)
Tensor cube() { return ops::reshape(Tensor::arange(0, 12), {2, 2, 3}); }
}  // namespace

TEST(TensorReductions, SumOverEachAxis) {
  EXPECT_EQ(ops::sum(cube(), 0).to_vector(), (std::vector<float>{6, 8, 10, 12, 14, 16}));
  EXPECT_EQ(ops::sum(cube(), 1).to_vector(), (std::vector<float>{3, 5, 7, 15, 17, 19}));
  EXPECT_EQ(ops::sum(cube(), -1).to_vector(), (std::vector<float>{3, 12, 21, 30}));
  EXPECT_EQ(ops::sum(cube(), 1, true).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(ops::sum(cube(), 1, false).shape(), (Shape{2, 3}));
  EXPECT_EQ(ops::sum_all(cube()).item(), 66.0f);  // 0 + 1 + ... + 11 = 11*12/2
  EXPECT_THROW(ops::sum(cube(), 3), IndexError);
}

TEST(TensorReductions, MeanIsSumOverCount) {
  EXPECT_EQ(ops::mean(cube(), -1).to_vector(), (std::vector<float>{1, 4, 7, 10}));
  EXPECT_FLOAT_EQ(ops::mean_all(cube()).item(), 5.5f);
}

TEST(TensorReductions, MaxAndArgmaxPickFirstMaximum) {
  Tensor a = Tensor::from_values({3, 7, 7, -1, -5, -2}, {2, 3});
  EXPECT_EQ(ops::max(a, 1).to_vector(), (std::vector<float>{7, -1}));
  EXPECT_EQ(ops::argmax(a, 1).to_int32_vector(), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(ops::argmax(a, 0).to_int32_vector(), (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(ops::argmax(a, 1).dtype(), DType::Int32);
}

TEST(TensorReductions, ReduceTransposedView) {
  Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ops::sum(ops::transpose(a, 0, 1), 1).to_vector(), (std::vector<float>{5, 7, 9}));
}

TEST(TensorReductions, SumToShapeUndoesBroadcasting) {
  Tensor g = Tensor::ones({4, 3});
  EXPECT_EQ(ops::sum_to_shape(g, {3}).to_vector(), (std::vector<float>{4, 4, 4}));
  EXPECT_EQ(ops::sum_to_shape(g, {4, 1}).to_vector(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_EQ(ops::sum_to_shape(g, {}).item(), 12.0f);
  EXPECT_THROW(ops::sum_to_shape(g, {2}), ShapeError);
}

TEST(TensorReductions, LargeSumIsAccurate) {
  // 10^6 copies of 0.1: a float running sum would be off by ~1%; we accumulate in double.
  EXPECT_NEAR(ops::sum_all(Tensor::full({1000000}, 0.1f)).item(), 100000.0f, 1.0f);
}
