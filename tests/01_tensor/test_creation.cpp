// Creation: zeros/ones/full/arange/from_values/random, and the errors for bad shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

TEST(TensorCreation, ZerosOnesFullHaveShapeAndValues) {
  Tensor z = Tensor::zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.numel(), 6);
  for (float v : z.to_vector()) EXPECT_EQ(v, 0.0f);
  for (float v : Tensor::ones({4}).to_vector()) EXPECT_EQ(v, 1.0f);
  for (float v : Tensor::full({3, 1}, -2.5f).to_vector()) EXPECT_EQ(v, -2.5f);
}

TEST(TensorCreation, StridesAreRowMajor) {
  // strides[d] = prod(shape[d+1:]): (2,3,4) -> (12, 4, 1)
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (Shape{12, 4, 1}));
  EXPECT_EQ(contiguous_strides({5}), (Shape{1}));
  EXPECT_EQ(contiguous_strides({}), (Shape{}));
  EXPECT_TRUE(Tensor::zeros({2, 3, 4}).is_contiguous());
}

TEST(TensorCreation, ArangeCountIsCeilOfSpanOverStep) {
  EXPECT_EQ(Tensor::arange(0, 5).to_vector(), (std::vector<float>{0, 1, 2, 3, 4}));
  // ceil((1 - 0) / 0.3) = 4 values: 0, 0.3, 0.6, 0.9
  std::vector<float> v = Tensor::arange(0, 1, 0.3f).to_vector();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_FLOAT_EQ(v[3], 0.9f);
  EXPECT_EQ(Tensor::arange(5, 0, -2).to_vector(), (std::vector<float>{5, 3, 1}));
  EXPECT_EQ(Tensor::arange(3, 3).numel(), 0);
  EXPECT_THROW(Tensor::arange(0, 1, 0), ValueError);
}

TEST(TensorCreation, FromValuesChecksCount) {
  Tensor t = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.at({1, 2}), 6.0f);
  EXPECT_EQ(t.at({0, 1}), 2.0f);
  try {
    Tensor::from_values({1, 2, 3}, {2, 2});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 2)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tensor::zeros({2, -1}), ShapeError);
}

TEST(TensorCreation, ScalarHasEmptyShapeAndOneElement) {
  Tensor s = Tensor::scalar(3.5f);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item(), 3.5f);
  EXPECT_THROW(Tensor::zeros({2}).item(), ShapeError);
}

TEST(TensorCreation, RandomIsReproducibleFromSeed) {
  Generator g1(7), g2(7), g3(8);
  EXPECT_EQ(Tensor::randn({100}, 0, 1, g1).to_vector(), Tensor::randn({100}, 0, 1, g2).to_vector());
  EXPECT_NE(Tensor::randn({100}, 0, 1, g3).to_vector(), Tensor::randn({100}, 0, 1, g1).to_vector());
}

TEST(TensorCreation, RandnMomentsMatchMeanAndStd) {
  // 200k samples: the sample mean has standard error std/sqrt(n) = 2/447 ~ 0.0045
  Generator g(1);
  std::vector<float> v = Tensor::randn({200000}, 1.0f, 2.0f, g).to_vector();
  double sum = 0, sum_sq = 0;
  for (float x : v) { sum += x; sum_sq += double(x) * x; }
  const double mean = sum / v.size();
  const double var = sum_sq / v.size() - mean * mean;
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.03);
}

TEST(TensorCreation, UniformStaysInRange) {
  Generator g(3);
  for (float x : Tensor::uniform({10000}, -0.5f, 0.25f, g).to_vector()) {
    EXPECT_GE(x, -0.5f);
    EXPECT_LT(x, 0.25f);
  }
  EXPECT_THROW(Tensor::uniform({2}, 1, 1, g), ValueError);
}

TEST(TensorCreation, IntegerDtypesExistForQuantization) {
  Tensor q = Tensor::zeros({2, 2}, DType::Int8);
  EXPECT_EQ(q.dtype(), DType::Int8);
  EXPECT_EQ(q.nbytes(), 4u);
  q.data<int8_t>()[3] = -128;
  EXPECT_EQ(q.at({1, 1}), -128.0f);
  EXPECT_THROW(q.data<float>(), DTypeError);
  EXPECT_EQ(Tensor::zeros({3}, DType::Int32).nbytes(), 12u);
  EXPECT_EQ(Tensor::zeros({3}, DType::UInt8).nbytes(), 3u);
}

TEST(TensorCreation, ConversionTruncatesAndSaturates) {
  Tensor f = Tensor::from_values({-300.7f, -1.9f, 0.4f, 1.9f, 300.2f});
  EXPECT_EQ(f.to(DType::Int8).to_int32_vector(), (std::vector<int32_t>{-128, -1, 0, 1, 127}));
  EXPECT_EQ(f.to(DType::UInt8).to_int32_vector(), (std::vector<int32_t>{0, 0, 0, 1, 255}));
  EXPECT_EQ(f.to(DType::Int32).to(DType::Float32).to_vector(), (std::vector<float>{-300, -1, 0, 1, 300}));
  EXPECT_THROW(Tensor::from_values({NAN}).to(DType::Int8), ValueError);
}

TEST(TensorCreation, StorageIsCountedForTheProfiler) {
  const int64_t before = memory_stats().current_bytes;
  {
    Tensor t = Tensor::zeros({1000});
    EXPECT_EQ(memory_stats().current_bytes, before + 4000);
  }
  EXPECT_EQ(memory_stats().current_bytes, before);
}
