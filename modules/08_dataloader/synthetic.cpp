// synthetic.cpp — spirals and blobs from a seeded Generator.
#include "tinytorch/data/synthetic.hpp"

#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "tinytorch/core/random.hpp"

namespace tinytorch {
namespace {

constexpr double kSpiralSweepRadians = 4.0;  // how far each arm turns from centre to rim
constexpr float kBlobCentreBox = 10.0f;      // centres uniform in [-10, 10) per dimension

void check_count(int64_t value, const char* name, const char* operation) {
  if (value < 1) {
    throw ValueError(std::string(operation) + ": " + name + " = " + std::to_string(value) + "; expected >= 1");
  }
}

void check_spread(float value, const char* name, const char* operation) {
  if (!(value >= 0.0f) || std::isinf(value)) {
    throw ValueError(std::string(operation) + ": " + name + " = " + std::to_string(value) +
                     "; expected a finite value >= 0");
  }
}

}  // namespace

TensorDataset make_spirals(int64_t n_per_class, int64_t classes, float noise, uint64_t seed) {
  check_count(n_per_class, "n_per_class", "make_spirals");
  check_count(classes, "classes", "make_spirals");
  check_spread(noise, "noise", "make_spirals");
  const int64_t total = n_per_class * classes;
  Tensor features = Tensor::empty({total, 2});
  Tensor labels = Tensor::empty({total}, DType::Int32);
  // BEGIN SOLUTION
  float* xy = features.data<float>();
  int32_t* label = labels.data<int32_t>();
  Generator generator(seed);
  for (int64_t k = 0; k < classes; ++k) {
    for (int64_t i = 0; i < n_per_class; ++i) {
      const int64_t row = k * n_per_class + i;
      const double radius = static_cast<double>(i + 1) / static_cast<double>(n_per_class);
      const double angle = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(classes) +
                           kSpiralSweepRadians * radius + noise * generator.normal();
      xy[2 * row] = static_cast<float>(radius * std::cos(angle));
      xy[2 * row + 1] = static_cast<float>(radius * std::sin(angle));
      label[row] = static_cast<int32_t>(k);
    }
  }
  // END SOLUTION
  return TensorDataset(std::move(features), std::move(labels));
}

TensorDataset make_blobs(int64_t n, int64_t centers, int64_t dims, float std, uint64_t seed) {
  check_count(n, "n", "make_blobs");
  check_count(centers, "centers", "make_blobs");
  check_count(dims, "dims", "make_blobs");
  check_spread(std, "std", "make_blobs");
  Generator generator(seed);
  std::vector<float> centre(static_cast<std::size_t>(centers * dims));
  for (float& value : centre) value = generator.uniform(-kBlobCentreBox, kBlobCentreBox);
  Tensor features = Tensor::empty({n, dims});
  Tensor labels = Tensor::empty({n}, DType::Int32);
  // BEGIN SOLUTION
  float* x = features.data<float>();
  int32_t* label = labels.data<int32_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = i % centers;
    label[i] = static_cast<int32_t>(k);
    for (int64_t d = 0; d < dims; ++d)
      x[i * dims + d] = generator.normal(centre[static_cast<std::size_t>(k * dims + d)], std);
  }
  // END SOLUTION
  return TensorDataset(std::move(features), std::move(labels));
}

}  // namespace tinytorch
