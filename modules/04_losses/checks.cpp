// checks.cpp — Module 04's inline checks: run these first while you write losses.cpp.
#include <cmath>

#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("04_losses", {
    {"mse([1, 2], [0, 4]) = (1 + 4) / 2 = 2.5", [] {
       expect_near(ops::mse_loss(Tensor::from_values({1, 2}), Tensor::from_values({0, 4})).item(), 2.5, 1e-7,
                   "(1/N) sum (p - t)^2");
     }},
    {"cross_entropy of equal logits over C classes = log C", [] {
       Tensor logits = Tensor::zeros({2, 4});
       Tensor labels = Tensor::from_int32({1, 3}, {2});
       expect_near(ops::cross_entropy(logits, labels).item(), std::log(4.0), 1e-6, "logsumexp(0,0,0,0) - 0 = log 4");
     }},
    {"cross_entropy of logits (+-1000) stays finite", [] {
       Tensor logits = Tensor::from_values({1000, -1000}, {1, 2});
       expect_near(ops::cross_entropy(logits, Tensor::from_int32({1}, {1})).item(), 2000, 1e-3,
                   "logsumexp = 1000, minus z_label = -1000");
     }},
    {"cross_entropy rejects label 5 of 3 classes", [] {
       try {
         ops::cross_entropy(Tensor::zeros({1, 3}), Tensor::from_int32({5}, {1}));
       } catch (const IndexError&) {
         return;
       }
       expect(false, "expected IndexError");
     }},
    {"bce(0.8, 1) = -log 0.8", [] {
       expect_near(ops::binary_cross_entropy(Tensor::from_values({0.8f}), Tensor::from_values({1})).item(),
                   -std::log(0.8), 1e-6, "-(t log p + (1-t) log(1-p))");
     }},
  });
}
