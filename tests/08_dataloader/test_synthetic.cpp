// Synthetic sets: spirals and blobs follow the formulas in synthetic.hpp, and the
// same seed gives the same points.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/data/synthetic.hpp"

using namespace tinytorch;

namespace {
constexpr double kCoordinateTolerance = 1e-6;  // float coordinates of points within radius 1
}

TINYTORCH_CONCEPT(Spirals, "the spirals toy dataset: K arms that no straight line separates",
                  "point i of arm k: r = (i + 1) / n, theta = 2 pi k / K + 4 r + noise * eps (eps ~ N(0, 1)), "
                  "x = (r cos theta, r sin theta), label k, row k n + i");

TINYTORCH_TEST_FORMULA(Spirals, NoiselessPointsLieOnTheArms,
                       "noise 0: x = (r cos theta, r sin theta), r = (i + 1) / n, theta = 2 pi k / K + 4 r, "
                       "label k (+- 1e-6), features (n K, 2)");
TEST(Spirals, NoiselessPointsLieOnTheArms) {
  // Point i of arm k: r = (i+1)/n, θ = 2πk/K + 4r, x = (r cos θ, r sin θ).
  constexpr int64_t kPerClass = 17;
  constexpr int64_t kClasses = 3;
  TensorDataset spirals = make_spirals(kPerClass, kClasses, 0.0f, 1);
  ASSERT_EQ(spirals.features().shape(), (Shape{kPerClass * kClasses, 2}));
  const std::vector<int32_t> labels = spirals.labels().to_int32_vector();
  for (int64_t k = 0; k < kClasses; ++k) {
    for (int64_t i = 0; i < kPerClass; ++i) {
      const int64_t row = k * kPerClass + i;
      const double r = static_cast<double>(i + 1) / kPerClass;
      const double theta = 2 * std::numbers::pi * k / kClasses + 4 * r;
      EXPECT_NEAR(spirals.features().at({row, 0}), r * std::cos(theta), kCoordinateTolerance) << "row " << row;
      EXPECT_NEAR(spirals.features().at({row, 1}), r * std::sin(theta), kCoordinateTolerance) << "row " << row;
      EXPECT_EQ(labels[row], k);
    }
  }
}

TINYTORCH_TEST_FORMULA(Spirals, NoiseMovesTheAngleNotTheRadius,
                       "noise only changes theta: |x| = hypot(x0, x1) = r = (i + 1) / n (+- 1e-6), "
                       "but the points differ from the noiseless ones");
TEST(Spirals, NoiseMovesTheAngleNotTheRadius) {
  TensorDataset spirals = make_spirals(5, 4, 0.3f, 9);
  for (int64_t row = 0; row < 20; ++row) {
    const double r = static_cast<double>(row % 5 + 1) / 5;  // (i + 1) / n
    EXPECT_NEAR(std::hypot(spirals.features().at({row, 0}), spirals.features().at({row, 1})), r, kCoordinateTolerance);
  }
  TensorDataset noiseless = make_spirals(5, 4, 0.0f, 9);
  EXPECT_NE(spirals.features().to_vector(), noiseless.features().to_vector());
}

TINYTORCH_TEST_FORMULA(Spirals, SameSeedSamePoints,
                       "the same seed gives the same points; another seed other points");
TEST(Spirals, SameSeedSamePoints) {
  EXPECT_EQ(make_spirals(7, 3, 0.2f, 42).features().to_vector(), make_spirals(7, 3, 0.2f, 42).features().to_vector());
  EXPECT_NE(make_spirals(7, 3, 0.2f, 42).features().to_vector(), make_spirals(7, 3, 0.2f, 43).features().to_vector());
}

TINYTORCH_TEST_FORMULA(Spirals, BadArgumentsAreValueErrors,
                       "n >= 1, K >= 1, noise >= 0 and not NaN, else ValueError");
TEST(Spirals, BadArgumentsAreValueErrors) {
  EXPECT_THROW(make_spirals(0, 3, 0.1f, 1), ValueError);
  EXPECT_THROW(make_spirals(5, 0, 0.1f, 1), ValueError);
  EXPECT_THROW(make_spirals(5, 3, -0.1f, 1), ValueError);
  EXPECT_THROW(make_spirals(5, 3, std::nanf(""), 1), ValueError);
}

TINYTORCH_CONCEPT(Blobs, "the blobs toy dataset: K Gaussian clusters in D dimensions",
                  "one Generator(seed): centre[k][d] = uniform(-10, 10) first (k-major), "
                  "then label_i = i mod K and x_i[d] = normal(centre[label_i][d], std), row by row");

TINYTORCH_TEST_FORMULA(Blobs, MatchTheDocumentedDraws,
                       "replaying Generator(2024): centres uniform(-10, 10) k-major, "
                       "then x_i[d] = normal(centre[i mod K][d], 0.5) equal bit for bit; label_i = i mod K");
TEST(Blobs, MatchTheDocumentedDraws) {
  // synthetic.hpp: one Generator(seed); centres first (uniform(-10, 10), k-major),
  // then x_i[d] = normal(centre[i mod K][d], std) row by row.
  constexpr int64_t kSamples = 63, kCenters = 3, kDims = 5;
  constexpr float kStd = 0.5f;
  TensorDataset blobs = make_blobs(kSamples, kCenters, kDims, kStd, 2024);
  Generator generator(2024);
  std::vector<float> centre(kCenters * kDims);
  for (float& c : centre) c = generator.uniform(-10.0f, 10.0f);
  const std::vector<float> x = blobs.features().to_vector();
  const std::vector<int32_t> labels = blobs.labels().to_int32_vector();
  ASSERT_EQ(blobs.features().shape(), (Shape{kSamples, kDims}));
  for (int64_t i = 0; i < kSamples; ++i) {
    EXPECT_EQ(labels[i], i % kCenters);
    for (int64_t d = 0; d < kDims; ++d) {
      ASSERT_EQ(x[i * kDims + d], generator.normal(centre[(i % kCenters) * kDims + d], kStd)) << i << "," << d;
    }
  }
}

TINYTORCH_TEST_FORMULA(Blobs, ClassMeansAreNearTheirCentres,
                       "the mean of m draws of N(c, std^2) is within 5 std / sqrt(m) of c: m = 3000 / 4 per "
                       "class, std 1.5");
TEST(Blobs, ClassMeansAreNearTheirCentres) {
  // The mean of m draws of N(c, σ²) is within 5σ/√m of c (a 5-sigma bound).
  constexpr int64_t kSamples = 3000, kCenters = 4, kDims = 2;
  constexpr float kStd = 1.5f;
  TensorDataset blobs = make_blobs(kSamples, kCenters, kDims, kStd, 7);
  Generator generator(7);
  std::vector<double> centre(kCenters * kDims);
  for (double& c : centre) c = generator.uniform(-10.0f, 10.0f);
  std::vector<double> sum(kCenters * kDims, 0.0);
  for (int64_t i = 0; i < kSamples; ++i) {
    for (int64_t d = 0; d < kDims; ++d) sum[(i % kCenters) * kDims + d] += blobs.features().at({i, d});
  }
  const double per_class = static_cast<double>(kSamples) / kCenters;
  for (std::size_t k = 0; k < sum.size(); ++k) {
    EXPECT_NEAR(sum[k] / per_class, centre[k], 5 * kStd / std::sqrt(per_class)) << "centre coordinate " << k;
  }
}

TINYTORCH_TEST_FORMULA(Blobs, SameSeedSamePointsAndBadArguments,
                       "same seed -> same points, another seed -> other points; "
                       "n, K, D >= 1 and std >= 0, else ValueError");
TEST(Blobs, SameSeedSamePointsAndBadArguments) {
  EXPECT_EQ(make_blobs(10, 2, 3, 1.0f, 5).features().to_vector(), make_blobs(10, 2, 3, 1.0f, 5).features().to_vector());
  EXPECT_NE(make_blobs(10, 2, 3, 1.0f, 5).features().to_vector(), make_blobs(10, 2, 3, 1.0f, 6).features().to_vector());
  EXPECT_THROW(make_blobs(0, 2, 3, 1.0f, 5), ValueError);
  EXPECT_THROW(make_blobs(10, 0, 3, 1.0f, 5), ValueError);
  EXPECT_THROW(make_blobs(10, 2, 0, 1.0f, 5), ValueError);
  EXPECT_THROW(make_blobs(10, 2, 3, -1.0f, 5), ValueError);
}
