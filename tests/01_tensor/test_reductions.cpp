// Reductions over an axis: sum, mean, max, argmax, and sum_to_shape (un-broadcasting).
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

namespace {
// [[[0,1,2],[3,4,5]], [[6,7,8],[9,10,11]]]  shape (2,2,3)
Tensor cube() { return ops::reshape(Tensor::arange(0, 12), {2, 2, 3}); }
}  // namespace

TINYTORCH_CONCEPT(TensorReductions, "reducing a tensor along an axis",
                  "out[o, i] = sum_j a[o, j, i] over the reduced axis j (keepdim leaves it as size 1); "
                  "mean = sum / n; max and argmax take the first maximum");

TINYTORCH_TEST_FORMULA(TensorReductions, SumOverEachAxis,
                       "cube = arange(12) as (2,2,3); sum over axis 0 -> (2,3) [0+6, 1+7, ...], "
                       "axis 1 -> (2,3) [0+3, 1+4, ...] or (2,1,3) with keepdim, axis -1 -> (2,2) [0+1+2, ...]; "
                       "sum_all = 11 * 12 / 2 = 66; axis 3 throws IndexError");
TEST(TensorReductions, SumOverEachAxis) {
  EXPECT_EQ(ops::sum(cube(), 0).to_vector(), (std::vector<float>{6, 8, 10, 12, 14, 16}));
  EXPECT_EQ(ops::sum(cube(), 1).to_vector(), (std::vector<float>{3, 5, 7, 15, 17, 19}));
  EXPECT_EQ(ops::sum(cube(), -1).to_vector(), (std::vector<float>{3, 12, 21, 30}));
  EXPECT_EQ(ops::sum(cube(), 1, true).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(ops::sum(cube(), 1, false).shape(), (Shape{2, 3}));
  EXPECT_EQ(ops::sum_all(cube()).item(), 66.0f);  // 0 + 1 + ... + 11 = 11*12/2
  EXPECT_THROW(ops::sum(cube(), 3), IndexError);
}

TINYTORCH_TEST_FORMULA(TensorReductions, MeanIsSumOverCount,
                       "mean(a, axis) = sum(a, axis) / n: [0,1,2] -> 1, [3,4,5] -> 4, ...; "
                       "mean_all = 66 / 12 = 5.5");
TEST(TensorReductions, MeanIsSumOverCount) {
  EXPECT_EQ(ops::mean(cube(), -1).to_vector(), (std::vector<float>{1, 4, 7, 10}));
  EXPECT_FLOAT_EQ(ops::mean_all(cube()).item(), 5.5f);
}

TINYTORCH_TEST_FORMULA(TensorReductions, MaxAndArgmaxPickFirstMaximum,
                       "max = largest value, argmax = int32 index of its first occurrence: [3,7,7] -> 7 at 1, "
                       "[-1,-5,-2] -> -1 at 0");
TEST(TensorReductions, MaxAndArgmaxPickFirstMaximum) {
  Tensor a = Tensor::from_values({3, 7, 7, -1, -5, -2}, {2, 3});
  EXPECT_EQ(ops::max(a, 1).to_vector(), (std::vector<float>{7, -1}));
  EXPECT_EQ(ops::argmax(a, 1).to_int32_vector(), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(ops::argmax(a, 0).to_int32_vector(), (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(ops::argmax(a, 1).dtype(), DType::Int32);
}

TINYTORCH_TEST_FORMULA(TensorReductions, ReduceTransposedView,
                       "sum over axis 1 of transpose(a) = column sums of a: [[1,2,3],[4,5,6]] -> [1+4, 2+5, 3+6] "
                       "= [5,7,9]");
TEST(TensorReductions, ReduceTransposedView) {
  Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(ops::sum(ops::transpose(a, 0, 1), 1).to_vector(), (std::vector<float>{5, 7, 9}));
}

TINYTORCH_TEST_FORMULA(TensorReductions, SumToShapeUndoesBroadcasting,
                       "sum_to_shape(g, s) sums g over the axes that broadcasting s -> g.shape added or "
                       "stretched from 1: ones(4,3) -> (3): 4 each, (4,1): 3 each, (): 12; "
                       "an s that does not broadcast to g.shape throws ShapeError");
TEST(TensorReductions, SumToShapeUndoesBroadcasting) {
  Tensor g = Tensor::ones({4, 3});
  EXPECT_EQ(ops::sum_to_shape(g, {3}).to_vector(), (std::vector<float>{4, 4, 4}));
  EXPECT_EQ(ops::sum_to_shape(g, {4, 1}).to_vector(), (std::vector<float>{3, 3, 3, 3}));
  EXPECT_EQ(ops::sum_to_shape(g, {}).item(), 12.0f);
  EXPECT_THROW(ops::sum_to_shape(g, {2}), ShapeError);
}

TINYTORCH_TEST_FORMULA(TensorReductions, LargeSumIsAccurate,
                       "sum_all accumulates in double: 10^6 * 0.1 = 100000 +- 1 "
                       "(a float running sum drifts by about 1%)");
TEST(TensorReductions, LargeSumIsAccurate) {
  // 10^6 copies of 0.1: a float running sum would be off by ~1%; we accumulate in double.
  EXPECT_NEAR(ops::sum_all(Tensor::full({1000000}, 0.1f)).item(), 100000.0f, 1.0f);
}
