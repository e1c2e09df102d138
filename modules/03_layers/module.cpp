// module.cpp — Module 03: the parameter tree of a Module (see module.hpp).
#include "tinytorch/core/module.hpp"

#include <algorithm>

namespace tinytorch {

// ---- registration ------------------------------------------------------------------

void Module::check_new_name(const std::string& name, const char* operation) const {
  if (name.empty() || name.find('.') != std::string::npos) {
    throw ValueError(std::string(operation) + ": name '" + name + "' in " + this->name() +
                     "; expected a non-empty name without '.' (dots separate the levels of the tree)");
  }
  for (const NamedParameters* list : {&parameters_, &buffers_}) {
    for (const auto& [existing, unused] : *list) {
      if (existing == name) {
        throw ValueError(std::string(operation) + ": " + this->name() + " already has a parameter or buffer '" +
                         name + "'");
      }
    }
  }
}

Tensor& Module::register_parameter(const std::string& name, Tensor tensor) {
  check_new_name(name, "Module::register_parameter");
  if (!tensor.defined()) {
    throw ValueError("Module::register_parameter: parameter '" + name + "' of " + this->name() + " is undefined");
  }
  tensor.set_requires_grad(true);
  parameters_.emplace_back(name, std::move(tensor));
  return parameters_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name, "Module::register_buffer");
  if (!tensor.defined()) {
    throw ValueError("Module::register_buffer: buffer '" + name + "' of " + this->name() + " is undefined");
  }
  buffers_.emplace_back(name, std::move(tensor));
  return buffers_.back().second;
}

void Module::register_module(const std::string& name, std::shared_ptr<Module> child) {
  if (!child) throw ValueError("Module::register_module: child '" + name + "' of " + this->name() + " is null");
  if (std::find(child_names_.begin(), child_names_.end(), name) != child_names_.end()) {
    throw ValueError("Module::register_module: " + this->name() + " already has a child '" + name + "'");
  }
  child_names_.push_back(name);
  children_.push_back(std::move(child));
}

Tensor& Module::parameter(const std::string& name) {
  for (auto& [existing, tensor] : parameters_) {
    if (existing == name) return tensor;
  }
  throw IndexError(this->name() + " has no parameter '" + name + "'");
}

const Tensor& Module::parameter(const std::string& name) const {
  return const_cast<Module*>(this)->parameter(name);
}

Tensor& Module::buffer(const std::string& name) {
  for (auto& [existing, tensor] : buffers_) {
    if (existing == name) return tensor;
  }
  throw IndexError(this->name() + " has no buffer '" + name + "'");
}

const Tensor& Module::buffer(const std::string& name) const { return const_cast<Module*>(this)->buffer(name); }

// ---- the tree ------------------------------------------------------------------------

// A child's parameters are named "<child name>.<its parameter name>", recursively:
// Sequential -> child "0" (Linear) -> "weight" gives "0.weight".
void Module::collect_named_parameters(const std::string& prefix, NamedParameters& out) const {
  // BEGIN SOLUTION
  for (const auto& [name, tensor] : parameters_) out.emplace_back(prefix + name, tensor);
  for (std::size_t i = 0; i < children_.size(); ++i) {
    children_[i]->collect_named_parameters(prefix + child_names_[i] + ".", out);
  }
  // END SOLUTION
}

void Module::collect_named_buffers(const std::string& prefix, NamedParameters& out) const {
  for (const auto& [name, tensor] : buffers_) out.emplace_back(prefix + name, tensor);
  for (std::size_t i = 0; i < children_.size(); ++i) {
    children_[i]->collect_named_buffers(prefix + child_names_[i] + ".", out);
  }
}

NamedParameters Module::named_buffers() const {
  NamedParameters out;
  collect_named_buffers("", out);
  return out;
}

std::vector<Tensor> Module::buffers() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_buffers()) out.push_back(std::move(tensor));
  return out;
}

NamedParameters Module::named_parameters() const {
  NamedParameters out;
  collect_named_parameters("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(std::move(tensor));
  return out;
}

int64_t Module::num_parameters() const {
  int64_t total = 0;
  for (const Tensor& p : parameters()) total += p.numel();
  return total;
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

void Module::train(bool training) {
  // BEGIN SOLUTION
  training_ = training;
  for (const auto& child : children_) child->train(training);
  // END SOLUTION
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (std::size_t i = 0; i < children_.size(); ++i) out.emplace_back(child_names_[i], children_[i]);
  return out;
}

// ---- printing ------------------------------------------------------------------------

namespace {

// 235146 -> "235,146"
std::string with_thousands(int64_t value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out = value < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

void Module::append_summary(const std::string& label, int depth, std::string& out) const {
  const std::string indent(static_cast<std::size_t>(2 * depth), ' ');
  out += indent + label + name() + "(" + extra_repr();
  if (children_.empty()) {
    out += ")\n";
    return;
  }
  out += "\n";
  for (std::size_t i = 0; i < children_.size(); ++i) {
    children_[i]->append_summary("(" + child_names_[i] + "): ", depth + 1, out);
  }
  out += indent + ")\n";
}

std::string Module::summary() const {
  std::string out;
  append_summary("", 0, out);
  out += "Parameters: " + with_thousands(num_parameters()) + "\n";
  return out;
}

std::ostream& operator<<(std::ostream& out, const Module& module) { return out << module.summary(); }

}  // namespace tinytorch
