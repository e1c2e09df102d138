// mlp.hpp — the model the profiling tests measure: the milestone MLP 784-256-128-10.
#pragma once

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"

namespace tinytorch::test {

inline Sequential milestone_mlp() {
  return Sequential(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
}

}  // namespace tinytorch::test
