// activation_layers.hpp — Module 03: the activations of module 02 as layers.
//
// relu(), sigmoid(), ... (module 02, tinytorch/core/activations.hpp) are
// functions; a Sequential holds Modules. These wrappers have no parameters and
// only forward to the function, so a network reads as a list of layers:
//
//   Sequential(Linear(784, 256), ReLU(), Linear(256, 10))
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tinytorch/core/module.hpp"

namespace tinytorch {

// y = max(0, x)
class ReLU : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "ReLU"; }
  std::shared_ptr<Module> clone() const override;
};

// y = 1 / (1 + e^-x)
class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "Sigmoid"; }
  std::shared_ptr<Module> clone() const override;
};

// y = tanh(x)
class Tanh : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "Tanh"; }
  std::shared_ptr<Module> clone() const override;
};

// y = x Φ(x), the exact erf form
class GELU : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "GELU"; }
  std::shared_ptr<Module> clone() const override;
};

// y = softmax(x) along `axis` (default: the last, the classes)
class Softmax : public Module {
 public:
  explicit Softmax(int64_t axis = -1) : axis_(axis) {}
  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "Softmax"; }
  std::string extra_repr() const override { return "dim=" + std::to_string(axis_); }
  std::shared_ptr<Module> clone() const override;
  int64_t axis() const { return axis_; }

 private:
  int64_t axis_;
};

}  // namespace tinytorch
