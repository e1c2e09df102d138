// activation_layers.cpp — Module 03: each layer calls its module-02 function.
#include "tinytorch/core/activation_layers.hpp"

#include "tinytorch/core/activations.hpp"

namespace tinytorch {

namespace {
// A stateless layer's clone: a new instance in the same mode.
template <typename Layer> std::shared_ptr<Module> clone_stateless(const Module& original) {
  auto copy = std::make_shared<Layer>();
  if (!original.is_training()) copy->eval();
  return copy;
}
}  // namespace

Tensor ReLU::forward(const Tensor& input) {
  // BEGIN SOLUTION
  return relu(input);
  // END SOLUTION
}
Tensor Sigmoid::forward(const Tensor& input) {
  // BEGIN SOLUTION
  return sigmoid(input);
  // END SOLUTION
}
Tensor Tanh::forward(const Tensor& input) {
  // BEGIN SOLUTION
  return tanh(input);
  // END SOLUTION
}
Tensor GELU::forward(const Tensor& input) {
  // BEGIN SOLUTION
  return gelu(input);
  // END SOLUTION
}
Tensor Softmax::forward(const Tensor& input) {
  // BEGIN SOLUTION
  return softmax(input, axis_);
  // END SOLUTION
}

std::shared_ptr<Module> ReLU::clone() const { return clone_stateless<ReLU>(*this); }
std::shared_ptr<Module> Sigmoid::clone() const { return clone_stateless<Sigmoid>(*this); }
std::shared_ptr<Module> Tanh::clone() const { return clone_stateless<Tanh>(*this); }
std::shared_ptr<Module> GELU::clone() const { return clone_stateless<GELU>(*this); }
std::shared_ptr<Module> Softmax::clone() const {
  auto copy = std::make_shared<Softmax>(axis_);
  if (!is_training()) copy->eval();
  return copy;
}

}  // namespace tinytorch
