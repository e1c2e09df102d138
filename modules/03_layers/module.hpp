// module.hpp — Module 03: the Module, a piece of a network that owns parameters.
//
// A network is a function y = f(x; θ) whose parameters θ (weights, biases) are
// learned. A Module bundles a piece of f (forward) with the parameters it owns
// and the sub-modules it is built from, so that the whole network can be asked,
// in one call, for everything an optimizer needs:
//
//   model.parameters()        every θ_i, as Tensor handles sharing storage and grad
//   model.named_parameters()  the same with dotted names: "0.weight", "0.bias", "2.weight", ...
//   model.zero_grad()         θ_i.grad := 0 for every parameter
//   model.train() / eval()    switch the behaviour of layers like Dropout, recursively
//
// Names follow PyTorch's state_dict: a child's parameters get the child's name as
// a prefix, so a Sequential's first Linear owns "0.weight" and "0.bias" and a
// model saved by TinyTorch loads into the same PyTorch nn.Sequential.
//
// Modules are non-copyable (a copy would silently share or duplicate parameters —
// which one?) but movable; clone() makes an explicit deep copy with fresh storage.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// (name, tensor) pairs in registration order: the same type as the NamedTensors
// of the model-file writer (tinytorch/io/safetensors.hpp).
using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  // ---- what every module defines -----------------------------------------------
  virtual Tensor forward(const Tensor& input) = 0;
  // The class name, "Linear", and the settings shown in its summary line,
  // "in_features=784, out_features=256, bias=true" (empty for most layers).
  virtual std::string name() const = 0;
  virtual std::string extra_repr() const { return ""; }
  // A deep copy: new storage for every parameter (same values, same
  // requires_grad, no grad), same training mode, children cloned too.
  virtual std::shared_ptr<Module> clone() const = 0;

  Tensor operator()(const Tensor& input) { return forward(input); }

  // ---- parameters ----------------------------------------------------------------
  // Own parameters first, then each child's, depth-first in registration order.
  std::vector<Tensor> parameters() const;
  NamedParameters named_parameters() const;
  // Σ numel over parameters(): 784·256 + 256 = 200,960 for Linear(784, 256).
  int64_t num_parameters() const;
  // ---- buffers -------------------------------------------------------------------
  // State a module stores that is not learned by gradient descent: the int8
  // weights and scales of a quantized layer (module 15), running statistics.
  // Same naming and order as parameters ("0.weight_scale", ...); buffers never
  // require a gradient and are not returned by parameters().
  NamedParameters named_buffers() const;
  std::vector<Tensor> buffers() const;

  // θ.grad := 0 for every parameter that has a gradient (kept allocated).
  void zero_grad();

  // ---- training / evaluation mode ------------------------------------------------
  // Sets the mode of this module and of all its descendants.
  void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // ---- the tree ------------------------------------------------------------------
  // Direct children as (name, module), in registration order.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // One line per module, indented by depth, PyTorch style, and the parameter count:
  //   Sequential(
  //     (0): Linear(in_features=784, out_features=256, bias=true)
  //     (1): ReLU()
  //   )
  std::string summary() const;

 protected:
  // Adds `tensor` to this module's own parameters (requires_grad is switched on)
  // and returns the stored handle. Names are unique within one module.
  Tensor& register_parameter(const std::string& name, Tensor tensor);
  // Adds `tensor` to this module's buffers (any dtype, no gradient) and returns
  // the stored handle. A name is unique among a module's parameters and buffers.
  Tensor& register_buffer(const std::string& name, Tensor tensor);
  void register_module(const std::string& name, std::shared_ptr<Module> child);
  // The stored parameter called `name` (IndexError if there is none).
  Tensor& parameter(const std::string& name);
  const Tensor& parameter(const std::string& name) const;
  // The stored buffer called `name` (IndexError if there is none).
  Tensor& buffer(const std::string& name);
  const Tensor& buffer(const std::string& name) const;
  // Direct access for containers (Sequential) that index their children.
  std::vector<std::shared_ptr<Module>>& child_modules() { return children_; }
  const std::vector<std::shared_ptr<Module>>& child_modules() const { return children_; }
  std::vector<std::string>& child_names() { return child_names_; }
  // For clone(): copies the training flag of `other` onto this module.
  void copy_mode_from(const Module& other) { training_ = other.training_; }

 private:
  void collect_named_parameters(const std::string& prefix, NamedParameters& out) const;
  void collect_named_buffers(const std::string& prefix, NamedParameters& out) const;
  void check_new_name(const std::string& name, const char* operation) const;
  void append_summary(const std::string& label, int depth, std::string& out) const;

  NamedParameters parameters_;                      // own parameters
  NamedParameters buffers_;                         // own buffers
  std::vector<std::string> child_names_;            // child_names_[i] names children_[i]
  std::vector<std::shared_ptr<Module>> children_;
  bool training_ = true;
};

// Sets a module's train/eval mode for as long as it lives and restores the
// previous mode when the scope ends (also when an exception leaves it):
//   { ModeGuard eval_mode(model, false); ... evaluate ... }   // model back in its old mode
class ModeGuard {
 public:
  ModeGuard(Module& module, bool training) : module_(module), previous_(module.is_training()) {
    module_.train(training);
  }
  ~ModeGuard() { module_.train(previous_); }
  ModeGuard(const ModeGuard&) = delete;
  ModeGuard& operator=(const ModeGuard&) = delete;

 private:
  Module& module_;
  bool previous_;
};

// Prints module.summary().
std::ostream& operator<<(std::ostream& out, const Module& module);

}  // namespace tinytorch
