// Helpers shared by the optimizer tests: parameters with hand-set gradients.
#pragma once

#include <vector>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/tensor.hpp"

namespace tinytorch::optimizer_test {

// A leaf parameter holding `values`.
inline Tensor parameter(const std::vector<float>& values) {
  Tensor p = Tensor::from_values(values);
  p.set_requires_grad(true);
  return p;
}

// Sets p.grad() to `grad` directly (what a backward would have left there).
inline void set_grad(Tensor& p, const std::vector<float>& grad) {
  p.autograd_meta()->grad = Tensor::from_values(grad, p.shape());
}

}  // namespace tinytorch::optimizer_test
