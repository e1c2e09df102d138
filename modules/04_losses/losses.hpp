// losses.hpp — Module 04: how wrong is the model? One number to minimise.
//
// A loss maps a batch of predictions and the true answers to a scalar (shape {}).
// All three average over the batch, so the loss (and its gradient) does not grow
// with the batch size.
//
//   mse_loss(p, t)            = (1/N) Σ_i (p_i - t_i)²                              (1)
//   cross_entropy(z, y)       = (1/B) Σ_b [ logsumexp(z_b) - z_b,y_b ]                (2)
//        logsumexp(z) = m + log Σ_c e^(z_c - m),  m = max_c z_c
//   binary_cross_entropy(p,t) = -(1/N) Σ_i [ t_i log p̂_i + (1 - t_i) log(1 - p̂_i) ]  (3)
//        p̂ = clamp(p, ε, 1 - ε),  ε = 1e-7 (kBceEpsilon)
//
// (2) is -log softmax(z_b)[y_b]: the negative log-probability the model gives
// the right class. Written with logsumexp it takes raw logits (no softmax layer
// before it) and stays finite for logits of ±1000. (3) clamps so log(0) = -inf
// never happens: a probability of exactly 0 or 1 costs at most -log(1e-7) ≈ 16.1.
//
// As in every module: ops:: is the forward math (this module); the plain
// functions and the loss structs are differentiable (their gradients are in
// module 05, which defines them).
#pragma once

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// The clamp of binary_cross_entropy (3): probabilities are kept in [ε, 1 - ε].
inline constexpr float kBceEpsilon = 1e-7f;

namespace ops {

// (1) pred and target of the same shape (any), N = numel.
Tensor mse_loss(const Tensor& pred, const Tensor& target);
// (2) logits:(B,C) float32, labels:(B) int32 with 0 <= label < C.
// A label out of range is an IndexError naming the label, its row and C.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);
// (3) probs and targets of the same shape; probs must lie in [0, 1] (ValueError).
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& targets);

}  // namespace ops

// ---- the differentiable versions (defined in module 05) ------------------------
Tensor mse_loss(const Tensor& pred, const Tensor& target);
Tensor cross_entropy(const Tensor& logits, const Tensor& labels);
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& targets);

// Loss objects, for code that holds "the loss" as a value: `CrossEntropyLoss loss;
// Tensor l = loss(logits, labels);` is cross_entropy(logits, labels).
struct MSELoss {
  Tensor operator()(const Tensor& pred, const Tensor& target) const { return mse_loss(pred, target); }
};
struct CrossEntropyLoss {
  Tensor operator()(const Tensor& logits, const Tensor& labels) const { return cross_entropy(logits, labels); }
};
struct BinaryCrossEntropyLoss {
  Tensor operator()(const Tensor& probs, const Tensor& targets) const { return binary_cross_entropy(probs, targets); }
};

}  // namespace tinytorch
