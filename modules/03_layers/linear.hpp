// linear.hpp — Module 03: the fully connected layer, y = x Wᵀ + b.
//
// Every output feature is a weighted sum of every input feature plus a bias:
//
//   y[b, n] = Σ_k x[b, k] · W[n, k] + bias[n]      x:(B,K) W:(N,K) bias:(N) -> y:(B,N)   (1)
//
// W is stored (out_features, in_features) as in PyTorch, so one row of W holds
// the weights of one output neuron, and (1) is one matrix multiply with W
// transposed — which BLAS does by a flag, not by copying W.
//
// Initialisation (He et al. 2015, "Delving Deep into Rectifiers", the
// "kaiming_normal_" of PyTorch with mode fan_in and the ReLU gain √2):
//
//   W[n, k] ~ Normal(0, std = √(2 / in_features)),     bias = 0                        (2)
//
// Why √(2/K): with inputs of mean square q, each pre-activation has variance
// K·Var(W)·q = 2q, and ReLU keeps half of it (the positive half), so the signal
// keeps its size through any number of ReLU layers instead of vanishing or exploding.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// Two layers, as for the activations (module 02) and the losses (module 04):
//   * ops::linear — the forward math of (1), written in this module (linear.cpp):
//     x:(B,K) weight:(N,K) bias:(N) or undefined (no bias) -> (B,N), one sgemm.
//     No graph is recorded.
//   * linear      — the differentiable version everyone calls. Declared here,
//     defined in module 05 (autograd), which runs ops::linear and records how to
//     compute dx, dW, db backward.
namespace ops {
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
}  // namespace ops

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

class Linear : public Module {
 public:
  // A fresh layer initialised by (2) from `generator`.
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& generator = default_generator());
  // A layer around given tensors: weight:(N,K), bias:(N) or undefined. They are
  // used as they are (shared, not copied) and made to require a gradient.
  Linear(Tensor weight, Tensor bias);

  // input:(..., in_features) -> (..., out_features). Any number of leading axes
  // (a single vector too); a last axis other than in_features is a ShapeError.
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone() const override;

  // Handles sharing storage and gradient with the layer (writes go to the layer).
  Tensor weight() const { return parameter("weight"); }
  // Undefined when the layer was made without a bias.
  Tensor bias() const;
  bool has_bias() const { return has_bias_; }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

 private:
  int64_t in_features_ = 0;
  int64_t out_features_ = 0;
  bool has_bias_ = true;
};

}  // namespace tinytorch
