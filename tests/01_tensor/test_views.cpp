// Views: reshape, transpose, slicing share storage; index_rows and clone copy.
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(TensorViews, "views: tensors that share one storage through shape, strides and offset",
                  "element (i, j) = storage[offset + i * strides[0] + j * strides[1]]; "
                  "reshape (of a contiguous tensor), transpose and slice_rows are views; "
                  "clone, index_rows and contiguous() of a view copy");

TINYTORCH_TEST_FORMULA(TensorViews, CopiesShareStorage,
                       "Tensor b = a copies the view, so a write through b is seen in a; "
                       "a.clone() is fresh storage, so a write to it is not");
TEST(TensorViews, CopiesShareStorage) {
  Tensor a = Tensor::zeros({3});
  Tensor b = a;  // a view, not a copy
  b.data<float>()[1] = 5;
  EXPECT_EQ(a.at({1}), 5.0f);
  Tensor c = a.clone();
  c.data<float>()[1] = 7;
  EXPECT_EQ(a.at({1}), 5.0f);
}

TINYTORCH_TEST_FORMULA(TensorViews, ReshapeIsAViewAndInfersMinusOne,
                       "reshape keeps numel and the storage; one -1 = numel / prod(other sizes) = 12 / 3 = 4; "
                       "r[i, j] = a[i * 4 + j] so r[2, 1] = 9; a size that does not divide, "
                       "a numel mismatch or two -1s throw ShapeError");
TEST(TensorViews, ReshapeIsAViewAndInfersMinusOne) {
  Tensor a = Tensor::arange(0, 12);
  Tensor r = ops::reshape(a, {3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 4}));
  EXPECT_EQ(r.storage(), a.storage());
  EXPECT_EQ(r.at({2, 1}), 9.0f);  // row-major: 2*4 + 1
  EXPECT_THROW(ops::reshape(a, {5, -1}), ShapeError);
  EXPECT_THROW(ops::reshape(a, {2, 5}), ShapeError);
  EXPECT_THROW(ops::reshape(a, {-1, -1}), ShapeError);
}

TINYTORCH_TEST_FORMULA(TensorViews, TransposeSwapsStridesWithoutCopy,
                       "transpose swaps two sizes and two strides: (2,3) strides (3,1) -> (3,2) strides (1,3), "
                       "t[i, j] = a[j, i]; contiguous() and reshape of that view copy in the view's order "
                       "[1,4,2,5,3,6]; a missing axis throws IndexError");
TEST(TensorViews, TransposeSwapsStridesWithoutCopy) {
  Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor t = ops::transpose(a, 0, 1);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.strides(), (Shape{1, 3}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  Tensor packed = t.contiguous();
  EXPECT_TRUE(packed.is_contiguous());
  EXPECT_EQ(packed.to_vector(), t.to_vector());
  // reshape of a non-contiguous view must copy, not reinterpret memory
  EXPECT_EQ(ops::reshape(t, {6}).to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_THROW(ops::transpose(a, 0, 2), IndexError);
}

TINYTORCH_TEST_FORMULA(TensorViews, SliceRowsIsAView,
                       "slice_rows(b, e): offset += b * strides[0], shape[0] = e - b, same storage; "
                       "needs 0 <= b <= e <= shape[0], else IndexError");
TEST(TensorViews, SliceRowsIsAView) {
  Tensor a = Tensor::arange(0, 12);
  Tensor m = ops::reshape(a, {4, 3});
  Tensor s = m.slice_rows(1, 3);
  EXPECT_EQ(s.shape(), (Shape{2, 3}));
  EXPECT_EQ(s.to_vector(), (std::vector<float>{3, 4, 5, 6, 7, 8}));
  s.data<float>()[0] = -1;
  EXPECT_EQ(m.at({1, 0}), -1.0f);
  EXPECT_THROW(m.slice_rows(2, 5), IndexError);
  EXPECT_THROW(m.slice_rows(3, 2), IndexError);
}

TINYTORCH_TEST_FORMULA(TensorViews, IndexRowsGathersInGivenOrder,
                       "index_rows(r)[i] = a[r[i]] (a copy, any dtype): rows [3,0,3] of "
                       "[[0,1],[2,3],[4,5],[6,7]] = [6,7,0,1,6,7]; a row outside [0, shape[0]) throws IndexError");
TEST(TensorViews, IndexRowsGathersInGivenOrder) {
  Tensor m = ops::reshape(Tensor::arange(0, 8), {4, 2});
  Tensor g = m.index_rows({3, 0, 3});
  EXPECT_EQ(g.to_vector(), (std::vector<float>{6, 7, 0, 1, 6, 7}));
  EXPECT_THROW(m.index_rows({4}), IndexError);
  Tensor labels = Tensor::from_int32({5, 6, 7}, {3});
  EXPECT_EQ(labels.index_rows({2, 1}).to_int32_vector(), (std::vector<int32_t>{7, 6}));
}

TINYTORCH_TEST_FORMULA(TensorViews, AtChecksBounds,
                       "at({i, j}) needs one index per axis with 0 <= index < size, else IndexError; "
                       "size(axis) likewise; size(-1) = size of the last axis = 3");
TEST(TensorViews, AtChecksBounds) {
  Tensor a = Tensor::zeros({2, 3});
  EXPECT_THROW(a.at({2, 0}), IndexError);
  EXPECT_THROW(a.at({0}), IndexError);
  EXPECT_THROW(a.size(2), IndexError);
  EXPECT_EQ(a.size(-1), 3);
}

TINYTORCH_TEST_FORMULA(TensorViews, CopyAndFillWriteThroughViews,
                       "copy_(src) writes src[i, j] to storage[offset + i * strides[0] + j * strides[1]] of the "
                       "view; fill_(v) sets every element of the view to v; "
                       "copy_ from another shape throws ShapeError");
TEST(TensorViews, CopyAndFillWriteThroughViews) {
  Tensor m = Tensor::zeros({3, 2});
  Tensor column_view = ops::transpose(m, 0, 1);  // (2, 3)
  column_view.copy_(Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}));
  EXPECT_EQ(m.to_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  m.slice_rows(0, 1).fill_(9);
  EXPECT_EQ(m.at({0, 1}), 9.0f);
  EXPECT_THROW(m.copy_(Tensor::zeros({2, 3})), ShapeError);
}

TINYTORCH_TEST_FORMULA(TensorViews, ToStringShowsShapeDtypeAndValues,
                       "to_string() = Tensor(shape=(2, 2), dtype=float32, [[1, 2], [3, 4]])");
TEST(TensorViews, ToStringShowsShapeDtypeAndValues) {
  const std::string text = Tensor::from_values({1, 2, 3, 4}, {2, 2}).to_string();
  EXPECT_NE(text.find("shape=(2, 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("float32"), std::string::npos) << text;
  EXPECT_NE(text.find("[[1, 2], [3, 4]]"), std::string::npos) << text;
}
