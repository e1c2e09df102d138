// checks.cpp — Module 02's inline checks: run these first while you write activations.cpp.
#include <cmath>

#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/inline_checks.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("02_activations", {
    {"relu([-2, 0, 3]) = [0, 0, 3]", [] {
       expect(ops::relu(Tensor::from_values({-2, 0, 3})).to_vector() == std::vector<float>{0, 0, 3}, "max(0, x)");
     }},
    {"sigmoid(0) = 1/2 and sigmoid(-1000) = 0 without overflow", [] {
       const std::vector<float> s = ops::sigmoid(Tensor::from_values({0, -1000, 1000})).to_vector();
       expect_near(s[0], 0.5, 1e-7, "1 / (1 + e^0)");
       expect(s[1] == 0.0f && s[2] == 1.0f, "sigmoid(-1000) = 0, sigmoid(1000) = 1 (no NaN)");
     }},
    {"gelu(1) = 0.5 (1 + erf(1/sqrt 2)) = 0.841345", [] {
       expect_near(ops::gelu(Tensor::from_values({1})).item(), 0.5 * (1 + std::erf(1 / std::sqrt(2.0))), 1e-6,
                   "exact erf form");
     }},
    {"softmax([1, 2, 3]) = e^x / sum e^x", [] {
       const std::vector<float> p = ops::softmax(Tensor::from_values({1, 2, 3})).to_vector();
       const double total = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
       for (int i = 0; i < 3; ++i) expect_near(p[i], std::exp(i + 1.0) / total, 1e-6, "softmax_i");
     }},
    {"softmax([1000, 0]) = [1, 0] (subtract the max first)", [] {
       const std::vector<float> p = ops::softmax(Tensor::from_values({1000, 0})).to_vector();
       expect(p[0] == 1.0f && p[1] == 0.0f, "no overflow to inf/inf = NaN");
     }},
    {"log_softmax = log(softmax)", [] {
       const std::vector<float> l = ops::log_softmax(Tensor::from_values({0.5f, -1, 2})).to_vector();
       const std::vector<float> p = ops::softmax(Tensor::from_values({0.5f, -1, 2})).to_vector();
       for (int i = 0; i < 3; ++i) expect_near(l[i], std::log(p[i]), 1e-6, "log_softmax_i");
     }},
  });
}
