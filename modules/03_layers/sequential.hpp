// sequential.hpp — Module 03: layers applied one after the other.
//
//   Sequential(f_0, f_1, ..., f_{n-1})(x) = f_{n-1}( ... f_1( f_0(x) ) ... )
//
// The layers are the Sequential's children, named "0", "1", ... in order, so
// their parameters are "0.weight", "0.bias", "2.weight", ... exactly as in a
// PyTorch nn.Sequential (layers without parameters still take a number).
//
//   Sequential model(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
//   Tensor logits = model(images);            // images:(B,784) -> logits:(B,10)
//   for (const auto& layer : model) std::cout << layer->name() << "\n";
//
// Layers are held by shared_ptr. set(i, layer) replaces one in place (module 15
// swaps each Linear for its quantized twin this way); the new layer takes the
// old one's name.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tinytorch/core/module.hpp"

namespace tinytorch {

class Sequential : public Module {
 public:
  Sequential() = default;
  // Takes ownership of each layer: Sequential(Linear(2, 8), ReLU(), Linear(8, 1)).
  template <typename... Layers>
    requires(sizeof...(Layers) > 0 &&
             ((std::derived_from<std::remove_cvref_t<Layers>, Module> && !std::is_lvalue_reference_v<Layers>) && ...))
  explicit Sequential(Layers&&... layers) {
    (add(std::make_shared<std::remove_cvref_t<Layers>>(std::move(layers))), ...);
  }
  // From layers that already live elsewhere (shared, not copied). Null is a ValueError.
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers);

  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "Sequential"; }
  std::shared_ptr<Module> clone() const override;

  // Appends a layer (named by its position). Null is a ValueError.
  void add(std::shared_ptr<Module> layer);
  template <typename Layer>
    requires(std::derived_from<std::remove_cvref_t<Layer>, Module> && !std::is_lvalue_reference_v<Layer>)
  void add(Layer&& layer) {
    add(std::make_shared<std::remove_cvref_t<Layer>>(std::move(layer)));
  }
  // Replaces layer i (IndexError if i >= size(), ValueError if null).
  void set(std::size_t index, std::shared_ptr<Module> layer);

  std::size_t size() const { return child_modules().size(); }
  // Layer i; both are bounds-checked (IndexError naming i and size()).
  const std::shared_ptr<Module>& at(std::size_t index) const;
  const std::shared_ptr<Module>& operator[](std::size_t index) const { return at(index); }

  auto begin() const { return child_modules().begin(); }
  auto end() const { return child_modules().end(); }
};

}  // namespace tinytorch
