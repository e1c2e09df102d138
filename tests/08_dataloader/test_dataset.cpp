// TensorDataset: one features tensor (N, ...) and one labels tensor (N), read row by row.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/data/dataset.hpp"

using namespace tinytorch;

namespace {
// features (rows, columns) with element (i, j) = 100 i + j; labels i mod 10.
TensorDataset numbered(int64_t rows, int64_t columns) {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < columns; ++j) features.push_back(static_cast<float>(100 * i + j));
    labels.push_back(static_cast<int32_t>(i % 10));
  }
  return TensorDataset(Tensor::from_values(features, {rows, columns}), Tensor::from_int32(labels, {rows}));
}
}  // namespace

TINYTORCH_CONCEPT(TensorDataset, "a dataset held as one features tensor (N, ...) and one labels tensor (N)",
                  "get(i) = (features[i], labels[i]): row i as a view (no copy) and its int32 label; "
                  "example_shape = features.shape without the first axis");

TINYTORCH_TEST_FORMULA(TensorDataset, GetReturnsRowAndLabel,
                       "feature (i, j) = 100 i + j, label i mod 10: get(13) = "
                       "([1300, 1301, 1302], 13 mod 10 = 3); size() = 17");
TEST(TensorDataset, GetReturnsRowAndLabel) {
  TensorDataset dataset = numbered(17, 3);
  EXPECT_EQ(dataset.size(), 17);
  Example example = dataset.get(13);
  EXPECT_EQ(example.features.shape(), (Shape{3}));
  EXPECT_EQ(example.features.to_vector(), (std::vector<float>{1300, 1301, 1302}));  // 100·13 + j
  EXPECT_EQ(example.label, 3);                                                      // 13 mod 10
}

TINYTORCH_TEST_FORMULA(TensorDataset, GetIsAViewWithoutCopy,
                       "get(i) shares the features' storage at offset i * row_length = 2 * 2 = 4");
TEST(TensorDataset, GetIsAViewWithoutCopy) {
  TensorDataset dataset = numbered(4, 2);
  Example example = dataset.get(2);
  EXPECT_EQ(example.features.storage(), dataset.features().storage());
  EXPECT_EQ(example.features.offset(), 2 * 2);  // row 2 of a (4, 2) tensor starts 4 elements in
}

TINYTORCH_TEST_FORMULA(TensorDataset, GetOutOfRangeIsIndexError, "get(i) needs 0 <= i < N, else IndexError");
TEST(TensorDataset, GetOutOfRangeIsIndexError) {
  TensorDataset dataset = numbered(3, 2);
  EXPECT_THROW(dataset.get(3), IndexError);
  EXPECT_THROW(dataset.get(-1), IndexError);
}

TINYTORCH_TEST_FORMULA(TensorDataset, ExampleShapeDropsTheFirstAxis,
                       "features (5, 2, 3) uint8 -> example_shape (2, 3); get(i) is (2, 3) uint8");
TEST(TensorDataset, ExampleShapeDropsTheFirstAxis) {
  Tensor features = Tensor::zeros({5, 2, 3}, DType::UInt8);
  TensorDataset dataset(features, Tensor::zeros({5}, DType::Int32));
  EXPECT_EQ(dataset.example_shape(), (Shape{2, 3}));
  Example example = dataset.get(4);
  EXPECT_EQ(example.features.shape(), (Shape{2, 3}));
  EXPECT_EQ(example.features.dtype(), DType::UInt8);
}

TINYTORCH_TEST_FORMULA(TensorDataset, NonContiguousFeaturesAreStoredContiguous,
                       "a non-contiguous features view is copied to row-major: transpose of [[0,1,2],[3,4,5]] -> "
                       "row 1 = [1, 4], label 9 for row 2");
TEST(TensorDataset, NonContiguousFeaturesAreStoredContiguous) {
  // a:(2, 3) = [[0 1 2] [3 4 5]]; its transpose (3, 2) = [[0 3] [1 4] [2 5]] is a strided view.
  Tensor a = ops::reshape(Tensor::arange(0, 6), {2, 3});
  Tensor t = ops::transpose(a, 0, 1);
  ASSERT_FALSE(t.is_contiguous());
  TensorDataset dataset(t, Tensor::from_int32({7, 8, 9}, {3}));
  EXPECT_TRUE(dataset.features().is_contiguous());
  EXPECT_EQ(dataset.get(1).features.to_vector(), (std::vector<float>{1, 4}));
  EXPECT_EQ(dataset.get(2).label, 9);
}

TINYTORCH_TEST_FORMULA(TensorDataset, RejectsBadLabelsAndFeatures,
                       "labels must be (N) int32 with N = features rows (ShapeError / DTypeError); "
                       "features need >= 1 axis (ShapeError) and must be defined (ValueError)");
TEST(TensorDataset, RejectsBadLabelsAndFeatures) {
  Tensor features = Tensor::zeros({4, 2});
  EXPECT_THROW(TensorDataset(features, Tensor::zeros({3}, DType::Int32)), ShapeError);     // 3 labels, 4 rows
  EXPECT_THROW(TensorDataset(features, Tensor::zeros({4, 1}, DType::Int32)), ShapeError);  // labels must be (N)
  EXPECT_THROW(TensorDataset(features, Tensor::zeros({4})), DTypeError);                   // float labels
  EXPECT_THROW(TensorDataset(Tensor::scalar(1), Tensor::zeros({1}, DType::Int32)), ShapeError);
  EXPECT_THROW(TensorDataset(Tensor(), Tensor::zeros({1}, DType::Int32)), ValueError);
}

TINYTORCH_TEST_FORMULA(TensorDataset, MismatchMessageNamesBothShapes,
                       "labels (3,) for features (4, 2): ShapeError naming (3,) and (4, 2)");
TEST(TensorDataset, MismatchMessageNamesBothShapes) {
  try {
    TensorDataset(Tensor::zeros({4, 2}), Tensor::zeros({3}, DType::Int32));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    EXPECT_NE(std::string(error.what()).find("(3,)"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("(4, 2)"), std::string::npos) << error.what();
  }
}

TINYTORCH_TEST_FORMULA(TensorDataset, SliceIsAViewOfConsecutiveExamples,
                       "slice(b, e) = examples b..e-1, a view: slice(3, 7) has size 4, "
                       "row 0 = old row 3 = [300, 301], label 6 last; needs 0 <= b <= e <= N, else IndexError");
TEST(TensorDataset, SliceIsAViewOfConsecutiveExamples) {
  TensorDataset dataset = numbered(10, 2);
  TensorDataset middle = dataset.slice(3, 7);
  EXPECT_EQ(middle.size(), 4);
  EXPECT_EQ(middle.features().storage(), dataset.features().storage());
  EXPECT_EQ(middle.get(0).features.to_vector(), (std::vector<float>{300, 301}));  // old row 3
  EXPECT_EQ(middle.get(3).label, 6);
  EXPECT_EQ(dataset.slice(5, 5).size(), 0);
  EXPECT_THROW(dataset.slice(4, 11), IndexError);
  EXPECT_THROW(dataset.slice(6, 5), IndexError);
}
