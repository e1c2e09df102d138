// Linear: y = x Wᵀ + b against a double-precision triple loop on awkward
// shapes, leading axes, He initialisation statistics, errors and clone().
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/linear.hpp"

using namespace tinytorch;

namespace {

// Float dot products of length K: rounding error grows like √K (inputs ~N(0,1), weights ~N(0, 2/K)).
constexpr double kDotTolerancePerSqrtK = 1e-5;

// Reference (1) of linear.hpp: y[b,n] = Σ_k x[b,k] W[n,k] + bias[n], in double.
std::vector<double> linear_ref(const Tensor& x, const Tensor& w, const Tensor& bias) {
  const int64_t batch = x.shape()[0], in = x.shape()[1], out = w.shape()[0];
  std::vector<double> y(static_cast<size_t>(batch * out));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t n = 0; n < out; ++n) {
      double acc = bias.defined() ? bias.at({n}) : 0.0;
      for (int64_t k = 0; k < in; ++k) acc += double(x.at({b, k})) * double(w.at({n, k}));
      y[static_cast<size_t>(b * out + n)] = acc;
    }
  return y;
}

}  // namespace

TINYTORCH_CONCEPT(Linear, "the fully connected layer y = x W^T + b",
                  "y[b, n] = sum_k x[b, k] * W[n, k] + bias[n], x:(B,K) W:(N,K) bias:(N) -> y:(B,N); "
                  "init W ~ Normal(0, sqrt(2 / in_features)), bias = 0");

TINYTORCH_TEST_FORMULA(Linear, HandComputedForward,
                       "W = [[1,2,3],[4,5,6]], b = [10,20], x = [1,0,-1]: y = [1 - 3 + 10, 4 - 6 + 20] = [8, 18]");
TEST(Linear, HandComputedForward) {
  // W = [[1,2,3],[4,5,6]], b = [10,20]; x = [1,0,-1]: y = [1-3+10, 4-6+20] = [8, 18]
  Linear layer(Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}), Tensor::from_values({10, 20}));
  EXPECT_EQ(layer(Tensor::from_values({1, 0, -1}, {1, 3})).to_vector(), (std::vector<float>{8, 18}));
}

TINYTORCH_TEST_FORMULA(Linear, MatchesReferenceOnOddShapesWithAndWithoutBias,
                       "y[b, n] = sum_k x[b, k] W[n, k] (+ bias[n]) summed in double, within 1e-4 * sqrt(K), "
                       "for B in {1,3,17,64}, K in {1,7,63,65}, N in {1,10,33}");
TEST(Linear, MatchesReferenceOnOddShapesWithAndWithoutBias) {
  Generator generator(7);
  for (int64_t batch : {1, 3, 17, 64}) {
    for (int64_t in : {1, 7, 63, 65}) {
      for (int64_t out : {1, 10, 33}) {
        for (bool bias : {true, false}) {
          Linear layer(in, out, bias, generator);
          if (bias) layer.bias().copy_(Tensor::randn({out}, 0, 1, generator));  // non-zero bias
          const Tensor x = Tensor::randn({batch, in}, 0, 1, generator);
          const std::vector<float> got = layer(x).to_vector();
          const std::vector<double> want = linear_ref(x, layer.weight(), layer.bias());
          ASSERT_EQ(got.size(), want.size());
          const double tolerance = kDotTolerancePerSqrtK * std::sqrt(double(in)) * 10;
          for (size_t i = 0; i < want.size(); ++i) {
            ASSERT_NEAR(got[i], want[i], tolerance)
                << "B" << batch << " in" << in << " out" << out << " bias " << bias << " element " << i;
          }
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Linear, LeadingAxesAreFlattenedAndRestored,
                       "x:(..., K) is flattened to (B, K), multiplied, "
                       "and restored to (..., N): (2,4,5) -> (2,4,3) equal to the 8 rows of (8,5) -> (8,3); "
                       "(5) -> (3)");
TEST(Linear, LeadingAxesAreFlattenedAndRestored) {
  Generator generator(8);
  Linear layer(5, 3, true, generator);
  const Tensor x = Tensor::randn({2, 4, 5}, 0, 1, generator);
  const Tensor y = layer(x);
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3}));
  // Row (i, j) of the 3-D result equals the layer applied to that one row.
  const std::vector<float> rows = layer(x.reshape({8, 5})).to_vector();
  EXPECT_EQ(y.to_vector(), rows);
  // A single vector (5) -> (3)
  const Tensor v = layer(Tensor::ones({5}));
  EXPECT_EQ(v.shape(), (Shape{3}));
}

TINYTORCH_TEST_FORMULA(Linear, WrongInputWidthIsAShapeErrorNamingBothSizes,
                       "the last axis of x must equal in_features: (2, 783) into Linear(784, 256) throws "
                       "ShapeError naming (2, 783) and 784");
TEST(Linear, WrongInputWidthIsAShapeErrorNamingBothSizes) {
  Linear layer(784, 256);
  try {
    layer(Tensor::zeros({2, 783}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("(2, 783)"), std::string::npos) << message;
    EXPECT_NE(message.find("784"), std::string::npos) << message;
  }
}

TINYTORCH_TEST_FORMULA(Linear, HeInitialisationHasStdSqrtTwoOverFanInAndZeroBias,
                       "W[n, k] ~ Normal(0, std = sqrt(2 / in_features) = sqrt(2 / 500)): sample mean 0 +- 5 std "
                       "/ sqrt(n), sample std within 5 std / sqrt(2n) (n = 200000); bias = 0; "
                       "W has shape (out, in)");
TEST(Linear, HeInitialisationHasStdSqrtTwoOverFanInAndZeroBias) {
  Generator generator(1986);
  const int64_t in = 500, out = 400;
  Linear layer(in, out, true, generator);
  const std::vector<float> w = layer.weight().to_vector();
  double sum = 0, square_sum = 0;
  for (float v : w) {
    sum += v;
    square_sum += double(v) * v;
  }
  const double n = double(w.size()), expected_std = std::sqrt(2.0 / double(in));
  const double mean = sum / n, std = std::sqrt(square_sum / n - mean * mean);
  // Sampling error of n = 200,000 normals: sd(mean) = σ/√n, sd(std) ≈ σ/√(2n). Allow 5 of each.
  EXPECT_NEAR(mean, 0.0, 5 * expected_std / std::sqrt(n));
  EXPECT_NEAR(std, expected_std, 5 * expected_std / std::sqrt(2 * n));
  for (float b : layer.bias().to_vector()) EXPECT_EQ(b, 0.0f);
  EXPECT_EQ(layer.weight().shape(), (Shape{out, in}));
}

TINYTORCH_TEST_FORMULA(Linear, SameSeedGivesSameWeights, "the same generator seed draws the same initial W");
TEST(Linear, SameSeedGivesSameWeights) {
  Generator first(5), second(5);
  EXPECT_EQ(Linear(6, 4, true, first).weight().to_vector(), Linear(6, 4, true, second).weight().to_vector());
}

TINYTORCH_TEST_FORMULA(Linear, GradientsReachWeightAndBias,
                       "L = sum_{b,n} y[b, n]: dL/dW[n, k] = sum_b x[b, k] = [1-1, 2+0, 3+2] = [0, 2, 5] for "
                       "each n; dL/dbias[n] = B = 2");
TEST(Linear, GradientsReachWeightAndBias) {
  // L = Σ_b,n y[b,n] with y = x Wᵀ + b:  dL/dW[n,k] = Σ_b x[b,k],  dL/db[n] = B
  Linear layer(Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}), Tensor::zeros({2}));
  sum(layer(Tensor::from_values({1, 2, 3, -1, 0, 2}, {2, 3}))).backward();
  EXPECT_EQ(layer.weight().grad().to_vector(), (std::vector<float>{0, 2, 5, 0, 2, 5}));
  EXPECT_EQ(layer.bias().grad().to_vector(), (std::vector<float>{2, 2}));
}

TINYTORCH_TEST_FORMULA(Linear, ConstructorsRejectBadArguments,
                       "in_features, out_features >= 1, else ValueError; "
                       "W must be 2-D float32 and bias (N) or undefined, else ShapeError; "
                       "an undefined bias means has_bias() = false");
TEST(Linear, ConstructorsRejectBadArguments) {
  EXPECT_THROW(Linear(0, 3), ValueError);
  EXPECT_THROW(Linear(3, -1), ValueError);
  EXPECT_THROW(Linear(Tensor::zeros({3}), Tensor()), ShapeError);                       // weight not 2-D
  EXPECT_THROW(Linear(Tensor::zeros({2, 3}), Tensor::zeros({3})), ShapeError);           // bias != out_features
  EXPECT_THROW(Linear(Tensor::zeros({2, 3}, DType::Int32), Tensor()), ShapeError);       // not float32
  Linear no_bias(Tensor::zeros({2, 3}), Tensor());
  EXPECT_FALSE(no_bias.has_bias());
  EXPECT_FALSE(no_bias.bias().defined());
}

TINYTORCH_TEST_FORMULA(Linear, CloneIsADeepCopyWithTheSameValuesAndSettings,
                       "clone(): same W and bias values, same mode, requires_grad on, "
                       "fresh storage (writing the copy leaves the original unchanged)");
TEST(Linear, CloneIsADeepCopyWithTheSameValuesAndSettings) {
  Linear original(4, 3);
  original.eval();
  original.bias().fill_(0.25f);
  const auto copy = std::dynamic_pointer_cast<Linear>(original.clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->weight().to_vector(), original.weight().to_vector());
  EXPECT_EQ(copy->bias().to_vector(), original.bias().to_vector());
  EXPECT_FALSE(copy->is_training());
  EXPECT_TRUE(copy->weight().requires_grad());
  EXPECT_NE(copy->weight().storage(), original.weight().storage());  // fresh storage
  copy->weight().fill_(9.0f);
  EXPECT_NE(original.weight().at({0, 0}), 9.0f);  // the original is untouched
}
