// sequential.cpp — Module 03: layers applied in order (see sequential.hpp).
#include "tinytorch/core/sequential.hpp"

namespace tinytorch {

Sequential::Sequential(std::vector<std::shared_ptr<Module>> layers) {
  for (auto& layer : layers) add(std::move(layer));
}

// f_{n-1}( ... f_1( f_0(x) ) ... ); an empty Sequential is the identity.
Tensor Sequential::forward(const Tensor& input) {
  // BEGIN SOLUTION
  Tensor x = input;
  for (const auto& layer : child_modules()) x = layer->forward(x);
  return x;
  // END SOLUTION
}

void Sequential::add(std::shared_ptr<Module> layer) {
  if (!layer) throw ValueError("Sequential::add: layer " + std::to_string(size()) + " is null");
  register_module(std::to_string(size()), std::move(layer));
}

void Sequential::set(std::size_t index, std::shared_ptr<Module> layer) {
  if (index >= size()) {
    throw IndexError("Sequential::set: index " + std::to_string(index) + " is out of range for " +
                     std::to_string(size()) + " layers");
  }
  if (!layer) throw ValueError("Sequential::set: layer " + std::to_string(index) + " is null");
  child_modules()[index] = std::move(layer);
}

const std::shared_ptr<Module>& Sequential::at(std::size_t index) const {
  if (index >= size()) {
    throw IndexError("Sequential: layer index " + std::to_string(index) + " is out of range for " +
                     std::to_string(size()) + " layers");
  }
  return child_modules()[index];
}

std::shared_ptr<Module> Sequential::clone() const {
  auto copy = std::make_shared<Sequential>();
  for (const auto& layer : child_modules()) copy->add(layer->clone());
  copy->copy_mode_from(*this);
  return copy;
}

}  // namespace tinytorch
