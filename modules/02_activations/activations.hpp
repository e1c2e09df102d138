// activations.hpp — Module 02: the nonlinearities between layers.
//
// A stack of Linear layers without a nonlinearity is still one linear map
// (W2 (W1 x) = (W2 W1) x). An activation bends it. Element-wise ones:
//
//   relu(x)    = max(0, x)                                              (1)
//   sigmoid(x) = 1 / (1 + e^-x)            in (0, 1)                    (2)
//   tanh(x)    = (e^x - e^-x) / (e^x + e^-x)   in (-1, 1)               (3)
//   gelu(x)    = 0.5 x (1 + erf(x / √2))   = x Φ(x), Φ the normal CDF  (4)
//
// and the ones that normalise along an axis (default: the last, the classes):
//
//   softmax(x)_i     = e^(x_i - m) / Σ_j e^(x_j - m),   m = max_j x_j   (5)
//   log_softmax(x)_i = x_i - m - log Σ_j e^(x_j - m)                    (6)
//
// Subtracting m changes nothing mathematically (it cancels) but keeps every
// exponent ≤ 0, so e^(...) never overflows: softmax([1000, 0]) = [1, 0], not NaN.
//
// Two layers, as everywhere in TinyTorch:
//   * ops::relu, ops::softmax, ... — the forward math, written in this module
//     (activations.cpp). No graph is recorded.
//   * relu, softmax, ...           — the differentiable versions everyone calls.
//     Declared here, defined in module 05 (autograd), which calls the ops:: math
//     and records how to run it backwards.
#pragma once

#include <cstdint>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

namespace ops {

Tensor relu(const Tensor& x);     // (1)
// (2), computed so that it never overflows: for x < 0 as e^x / (1 + e^x).
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);     // (3)
// (4), the exact erf form (not the tanh approximation some libraries use).
Tensor gelu(const Tensor& x);
// (5) and (6) along `axis` (negative counts from the end). Any shape.
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

}  // namespace ops

// ---- the differentiable versions (defined in module 05) ------------------------
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor gelu(const Tensor& x);
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

}  // namespace tinytorch
