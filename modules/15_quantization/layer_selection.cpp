// layer_selection.cpp — Module 15: skip_layers checks (see layer_selection.hpp).
#include "tinytorch/perf/layer_selection.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/core/linear.hpp"

namespace tinytorch {

void check_skip_layers(const std::vector<std::string>& skip_layers, const Sequential& model,
                       const std::string& operation) {
  const auto linears = find_layers<Linear>(model);
  for (const std::string& name : skip_layers) {
    const bool names_a_linear =
        std::any_of(linears.begin(), linears.end(), [&](const auto& linear) { return linear.name == name; });
    if (names_a_linear) continue;
    std::vector<std::string> names;
    for (const auto& linear : linears) names.push_back("\"" + linear.name + "\"");
    throw ValueError(fmt::format("{}: skip_layers names \"{}\", which is not a Linear layer of the model; the Linear "
                                 "layers are [{}]",
                                 operation, name, fmt::join(names, ", ")));
  }
}

bool is_skipped(const std::vector<std::string>& skip_layers, const std::string& layer_name) {
  return std::find(skip_layers.begin(), skip_layers.end(), layer_name) != skip_layers.end();
}

}  // namespace tinytorch
