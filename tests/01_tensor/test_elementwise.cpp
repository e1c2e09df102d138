// Element-wise math with NumPy broadcasting, against values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(TensorElementwise, "element-wise arithmetic with NumPy broadcasting",
                  "c[i] = a[i] op b[i] after broadcasting: align the shapes on the right; "
                  "each pair of sizes must be equal or one of them 1; "
                  "the result takes the larger (a size-1 axis is read with stride 0)");

TINYTORCH_TEST_FORMULA(TensorElementwise, SameShapeOps,
                       "c[i] = a[i] op b[i] for op in + - * /: [1,2,3] + [4,5,6] = [5,7,9], "
                       "[4,5,6] / [1,2,3] = [4,2.5,2]");
TEST(TensorElementwise, SameShapeOps) {
  Tensor a = Tensor::from_values({1, 2, 3});
  Tensor b = Tensor::from_values({4, 5, 6});
  EXPECT_EQ(ops::add(a, b).to_vector(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(ops::sub(a, b).to_vector(), (std::vector<float>{-3, -3, -3}));
  EXPECT_EQ(ops::mul(a, b).to_vector(), (std::vector<float>{4, 10, 18}));
  EXPECT_EQ(ops::div(b, a).to_vector(), (std::vector<float>{4, 2.5f, 2}));
}

TINYTORCH_TEST_FORMULA(TensorElementwise, BroadcastShapesFollowNumpyRules,
                       "align on the right; sizes equal or one is 1; "
                       "the result takes the larger: (3,1),(4) -> (3,4); (2,1,5),(3,1) -> (2,3,5); "
                       "(),(2,2) -> (2,2); else ShapeError naming the operation and both shapes");
TEST(TensorElementwise, BroadcastShapesFollowNumpyRules) {
  EXPECT_EQ(ops::broadcast_shapes({3, 1}, {4}, "t"), (Shape{3, 4}));
  EXPECT_EQ(ops::broadcast_shapes({2, 1, 5}, {3, 1}, "t"), (Shape{2, 3, 5}));
  EXPECT_EQ(ops::broadcast_shapes({}, {2, 2}, "t"), (Shape{2, 2}));
  try {
    ops::broadcast_shapes({2, 3}, {4}, "add");
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(4,)"), std::string::npos) << msg;
  }
}

TINYTORCH_TEST_FORMULA(TensorElementwise, BroadcastColumnPlusRow,
                       "(3,1) + (4) -> (3,4): c[i, j] = a[i, 0] + b[j] = (i + 1) + 10 * (j + 1)");
TEST(TensorElementwise, BroadcastColumnPlusRow) {
  // c[i,j] = a[i] + b[j]
  Tensor a = Tensor::from_values({1, 2, 3}, {3, 1});
  Tensor b = Tensor::from_values({10, 20, 30, 40});
  Tensor c = ops::add(a, b);
  ASSERT_EQ(c.shape(), (Shape{3, 4}));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(c.at({i, j}), float(i + 1 + 10 * (j + 1)));
}

TINYTORCH_TEST_FORMULA(TensorElementwise, BiasRowBroadcastOnOddShapes,
                       "(rows, cols) + (cols): y[i, j] = x[i, j] + bias[j] = (i * cols + j) + j");
TEST(TensorElementwise, BiasRowBroadcastOnOddShapes) {
  for (int64_t rows : {1, 3, 17, 65}) {
    for (int64_t cols : {1, 7, 63, 257}) {
      Tensor x = ops::reshape(Tensor::arange(0, float(rows * cols)), {rows, cols});
      Tensor bias = Tensor::arange(0, float(cols));
      Tensor y = ops::add(x, bias);
      for (int64_t i = 0; i < rows; i += 2)
        for (int64_t j = 0; j < cols; j += 3)
          ASSERT_EQ(y.at({i, j}), float(i * cols + j + j)) << rows << "x" << cols;
    }
  }
}

TINYTORCH_TEST_FORMULA(TensorElementwise, ScalarTensorBroadcasts,
                       "a shape () tensor broadcasts to any shape: (a * 2)[i] = 2 * a[i], (1 - a)[i] = 1 - a[i]");
TEST(TensorElementwise, ScalarTensorBroadcasts) {
  Tensor a = Tensor::from_values({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(ops::mul(a, Tensor::scalar(2)).to_vector(), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(ops::sub(Tensor::scalar(1), a).to_vector(), (std::vector<float>{0, -1, -2, -3}));
}

TINYTORCH_TEST_FORMULA(TensorElementwise, WorksOnTransposedViews,
                       "t = transpose(a) reads t[i, j] = a[j, i] through swapped strides; "
                       "(t + b)[i, j] = a[j, i] + b[j]");
TEST(TensorElementwise, WorksOnTransposedViews) {
  Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor t = ops::transpose(a, 0, 1);  // (3,2): [[1,4],[2,5],[3,6]]
  Tensor c = ops::add(t, Tensor::from_values({100, 200}));
  EXPECT_EQ(c.to_vector(), (std::vector<float>{101, 204, 102, 205, 103, 206}));
}

TINYTORCH_TEST_FORMULA(TensorElementwise, UnaryMath,
                       "applied to each element: sqrt(x), -x, x + s, x * s, x^p, e^x, "
                       "log(x): sqrt([1,4,9]) = [1,2,3], [1,4,9]^2 = [1,16,81]");
TEST(TensorElementwise, UnaryMath) {
  Tensor a = Tensor::from_values({1, 4, 9});
  EXPECT_EQ(ops::sqrt(a).to_vector(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(ops::neg(a).to_vector(), (std::vector<float>{-1, -4, -9}));
  EXPECT_EQ(ops::add_scalar(a, 1).to_vector(), (std::vector<float>{2, 5, 10}));
  EXPECT_EQ(ops::mul_scalar(a, 0.5f).to_vector(), (std::vector<float>{0.5f, 2, 4.5f}));
  EXPECT_EQ(ops::pow_scalar(a, 2).to_vector(), (std::vector<float>{1, 16, 81}));
  EXPECT_FLOAT_EQ(ops::exp(Tensor::from_values({1})).item(), std::exp(1.0f));
  EXPECT_FLOAT_EQ(ops::log(Tensor::from_values({std::exp(2.0f)})).item(), 2.0f);
}

TINYTORCH_TEST_FORMULA(TensorElementwise, RejectsIntegerTensors,
                       "element-wise math is float32 only: an int8 input throws DTypeError, "
                       "an undefined Tensor() throws ValueError");
TEST(TensorElementwise, RejectsIntegerTensors) {
  EXPECT_THROW(ops::add(Tensor::zeros({2}, DType::Int8), Tensor::zeros({2})), DTypeError);
  EXPECT_THROW(ops::add(Tensor(), Tensor::zeros({2})), ValueError);
}
