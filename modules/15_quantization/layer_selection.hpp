// layer_selection.hpp — Module 15: finding the layers a whole-model transformation replaces.
//
// quantize_model, prepare_qat / convert and the mixed-bit builder all walk a
// Sequential, pick the layers of one type (Linear, QATLinear), leave out the ones
// config.skip_layers names, and replace what they picked by position. A layer's
// name is its position in the Sequential ("0", "2", "4"), the name the configs,
// reports and model files use.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/core/sequential.hpp"

namespace tinytorch {

template <typename Layer>
struct IndexedLayer {
  std::size_t index = 0;  // position in the Sequential
  std::string name;       // the same as text: "0", "2", ...
  std::shared_ptr<Layer> layer;
};

// The layers of `model` whose type is Layer (or derives from it), in order.
template <typename Layer>
std::vector<IndexedLayer<Layer>> find_layers(const Sequential& model) {
  std::vector<IndexedLayer<Layer>> found;
  const auto children = model.named_children();
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (auto layer = std::dynamic_pointer_cast<Layer>(children[i].second)) found.push_back({i, children[i].first, layer});
  }
  return found;
}

// Every skip_layers entry must name a Linear of the model — a typo would otherwise
// quantize the layer it meant to keep. ValueError "<operation>: skip_layers names "7",
// which is not a Linear layer of the model; the Linear layers are ["0", "2", "4"]".
void check_skip_layers(const std::vector<std::string>& skip_layers, const Sequential& model,
                       const std::string& operation);
bool is_skipped(const std::vector<std::string>& skip_layers, const std::string& layer_name);

}  // namespace tinytorch
