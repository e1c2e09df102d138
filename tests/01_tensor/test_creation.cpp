// Creation: zeros/ones/full/arange/from_values/random, and the errors for bad shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(TensorCreation,
                  "creating tensors: shape, row-major strides, filled, ranged, random and integer-typed storage",
                  "numel = prod(shape); strides[d] = prod(shape[d+1:]) (row-major); "
                  "nbytes = numel * bytes per element");

TINYTORCH_TEST_FORMULA(TensorCreation, ZerosOnesFullHaveShapeAndValues,
                       "zeros(s)[i] = 0, ones(s)[i] = 1, full(s, v)[i] = v for every i; "
                       "numel = prod(shape) = 2 * 3 = 6");
TEST(TensorCreation, ZerosOnesFullHaveShapeAndValues) {
  Tensor z = Tensor::zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.numel(), 6);
  for (float v : z.to_vector()) EXPECT_EQ(v, 0.0f);
  for (float v : Tensor::ones({4}).to_vector()) EXPECT_EQ(v, 1.0f);
  for (float v : Tensor::full({3, 1}, -2.5f).to_vector()) EXPECT_EQ(v, -2.5f);
}

TINYTORCH_TEST_FORMULA(TensorCreation, StridesAreRowMajor,
                       "strides[d] = shape[d+1] * ... * shape[n-1], strides[n-1] = 1: (2, 3, 4) -> (12, 4, 1), "
                       "(5) -> (1), () -> ()");
TEST(TensorCreation, StridesAreRowMajor) {
  // strides[d] = prod(shape[d+1:]): (2,3,4) -> (12, 4, 1)
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (Shape{12, 4, 1}));
  EXPECT_EQ(contiguous_strides({5}), (Shape{1}));
  EXPECT_EQ(contiguous_strides({}), (Shape{}));
  EXPECT_TRUE(Tensor::zeros({2, 3, 4}).is_contiguous());
}

TINYTORCH_TEST_FORMULA(TensorCreation, ArangeCountIsCeilOfSpanOverStep,
                       "arange(start, end, step)[i] = start + i * step for i < count = "
                       "max(0, ceil((end - start) / step)); step = 0 throws ValueError");
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

TINYTORCH_TEST_FORMULA(TensorCreation, FromValuesChecksCount,
                       "from_values(v, (R, C))[i, j] = v[i * C + j] (row-major); "
                       "len(v) != prod(shape) or a negative size throws ShapeError naming the shape");
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

TINYTORCH_TEST_FORMULA(TensorCreation, ScalarHasEmptyShapeAndOneElement,
                       "scalar(v) has shape (): dim = 0, numel = prod(()) = 1, item() = v; "
                       "item() with numel != 1 throws ShapeError");
TEST(TensorCreation, ScalarHasEmptyShapeAndOneElement) {
  Tensor s = Tensor::scalar(3.5f);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item(), 3.5f);
  EXPECT_THROW(Tensor::zeros({2}).item(), ShapeError);
}

TINYTORCH_TEST_FORMULA(TensorCreation, RandomIsReproducibleFromSeed,
                       "the same seed gives the same samples; a different seed gives different samples");
TEST(TensorCreation, RandomIsReproducibleFromSeed) {
  Generator g1(7), g2(7), g3(8);
  EXPECT_EQ(Tensor::randn({100}, 0, 1, g1).to_vector(), Tensor::randn({100}, 0, 1, g2).to_vector());
  EXPECT_NE(Tensor::randn({100}, 0, 1, g3).to_vector(), Tensor::randn({100}, 0, 1, g1).to_vector());
}

TINYTORCH_TEST_FORMULA(TensorCreation, RandnMomentsMatchMeanAndStd,
                       "randn(n, mean = 1, std = 2): sample mean = 1 +- 0.03 and sqrt(E[x^2] - E[x]^2) = 2 +- "
                       "0.03 (standard error std / sqrt(n) = 0.0045 for n = 200000)");
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

TINYTORCH_TEST_FORMULA(TensorCreation, UniformStaysInRange,
                       "uniform(low, high) samples lie in [low, high): low <= x < high; "
                       "low >= high throws ValueError");
TEST(TensorCreation, UniformStaysInRange) {
  Generator g(3);
  for (float x : Tensor::uniform({10000}, -0.5f, 0.25f, g).to_vector()) {
    EXPECT_GE(x, -0.5f);
    EXPECT_LT(x, 0.25f);
  }
  EXPECT_THROW(Tensor::uniform({2}, 1, 1, g), ValueError);
}

TINYTORCH_TEST_FORMULA(TensorCreation, IntegerDtypesExistForQuantization,
                       "nbytes = numel * bytes per element (int8 1, uint8 1, int32 4); "
                       "data<T>() with T not the tensor's dtype throws DTypeError");
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

TINYTORCH_TEST_FORMULA(TensorCreation, ConversionTruncatesAndSaturates,
                       "to(integer type): q = clamp(trunc(x), type_min, type_max), int8 [-128, 127], "
                       "uint8 [0, 255]; -300.7 -> -128, -1.9 -> -1; NaN throws ValueError");
TEST(TensorCreation, ConversionTruncatesAndSaturates) {
  Tensor f = Tensor::from_values({-300.7f, -1.9f, 0.4f, 1.9f, 300.2f});
  EXPECT_EQ(f.to(DType::Int8).to_int32_vector(), (std::vector<int32_t>{-128, -1, 0, 1, 127}));
  EXPECT_EQ(f.to(DType::UInt8).to_int32_vector(), (std::vector<int32_t>{0, 0, 0, 1, 255}));
  EXPECT_EQ(f.to(DType::Int32).to(DType::Float32).to_vector(), (std::vector<float>{-300, -1, 0, 1, 300}));
  EXPECT_THROW(Tensor::from_values({NAN}).to(DType::Int8), ValueError);
}

TINYTORCH_TEST_FORMULA(TensorCreation, StorageIsCountedForTheProfiler,
                       "memory_stats().current_bytes grows by numel * 4 = 4000 bytes while a float32 (1000) "
                       "tensor lives, and falls back when it is freed");
TEST(TensorCreation, StorageIsCountedForTheProfiler) {
  const int64_t before = memory_stats().current_bytes;
  {
    Tensor t = Tensor::zeros({1000});
    EXPECT_EQ(memory_stats().current_bytes, before + 4000);
  }
  EXPECT_EQ(memory_stats().current_bytes, before);
}
