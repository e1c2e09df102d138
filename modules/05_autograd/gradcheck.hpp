// gradcheck.hpp — does backward compute the derivative forward implies?
//
// Autograd can be checked against calculus done numerically. Reduce the
// function's output f(x) to one number with fixed random weights r_k ∈ [-1, 1]
// (so every output element matters, and a backward that ignores its incoming
// gradient g is caught — with r = 1 it would often pass):
//
//   F(x) = Σ_k r_k f(x)_k                  (summed in double)                 (1)
//
// then compare, for every element x_j of every input that requires grad,
//
//   analytic_j = dF/dx_j                    (one backward of sum(f(x) * r))    (2)
//   numeric_j  = (F(x_j⁺) - F(x_j⁻)) / (x_j⁺ - x_j⁻),  x_j± = x_j ± h·max(1, |x_j|)   (3)
//
// (3) is the central difference: its error is O(h²) where f is smooth. The
// denominator uses the perturbed values as stored in float (not 2h), so the
// rounding of x_j ± h does not count as an error. The reported error of one input is
//
//   error = max_j |analytic_j - numeric_j| / max(max_j |analytic_j|, max_j |numeric_j|, 1e-12)   (4)
//
// — the worst element, relative to the size of that input's gradient. This
// stays meaningful where a single element's gradient is near 0 (there a
// per-element ratio would divide float noise by almost nothing).
//
// Caveats: keep inputs a few h away from kinks (relu at 0, ties in max), where
// the derivative jumps and (3) straddles the jump; and scale inputs so f is O(1).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

struct GradcheckResult {
  // (4) for each input, in order; 0 for inputs that do not require grad (not checked).
  std::vector<double> max_relative_error;
  double worst() const;  // the largest of them
};

// The function under test: takes the inputs (private copies the checker
// perturbs), returns a float32 tensor of any shape.
using GradcheckFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks every input with requires_grad() (float32 only); other inputs
// (labels, constants) are passed through unchanged. `step` is h in (3).
GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor>& inputs, double step = 1e-3,
                          uint64_t seed = 1234);

}  // namespace tinytorch
