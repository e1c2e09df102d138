// Helpers shared by the gradcheck test files: inputs and one assertion.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/gradcheck.hpp"

namespace tinytorch::grad_test {

// Max relative error (gradcheck.hpp, formula (4)) that a correct backward stays under.
constexpr double kGradTolerance = 1e-3;

// The step h for losses. A loss is a mean over N elements: each element's
// gradient is ~1/N of the loss, but float rounds the loss at the loss's own
// scale (half an ulp, ~6e-8·|L|). The central difference divides that rounding
// by 2h, so its share of the gradient is ~6e-8·N/(2h): 5e-4 for N = 17 at
// h = 1e-3, too close to kGradTolerance. h = 1e-2 makes it 10x smaller, while
// the O(h²) truncation error of these smooth functions stays below 1e-4.
constexpr double kLossStep = 1e-2;

// A leaf requiring grad, uniform in [low, high).
inline Tensor leaf(const Shape& shape, float low, float high, uint64_t seed) {
  Generator generator(seed);
  return Tensor::uniform(shape, low, high, generator).set_requires_grad();
}

// A leaf with values in ±[0.1, 1]: at least 100 steps h away from relu's kink at 0.
inline Tensor leaf_away_from_zero(const Shape& shape, uint64_t seed) {
  Generator generator(seed);
  Tensor t = Tensor::uniform(shape, 0.1f, 1.0f, generator);
  float* v = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = generator.uniform() < 0.5f ? -v[i] : v[i];
  return t.set_requires_grad();
}

// Asserts every input's gradient agrees with finite differences and prints the
// worst error (the numbers the module's report quotes).
inline void expect_gradients_match(const std::string& what, const GradcheckFunction& f,
                                   const std::vector<Tensor>& inputs, double step = 1e-3) {
  const GradcheckResult result = gradcheck(f, inputs, step);
  for (std::size_t i = 0; i < result.max_relative_error.size(); ++i) {
    EXPECT_LT(result.max_relative_error[i], kGradTolerance)
        << what << ": input " << i << ": max_j |analytic - numeric| / max|grad| = " << result.max_relative_error[i];
  }
  std::printf("[gradcheck] %-48s worst relative error %.2e\n", what.c_str(), result.worst());
}

}  // namespace tinytorch::grad_test
