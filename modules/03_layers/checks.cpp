// checks.cpp — Module 03's inline checks: run these first while you write the layers.
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/dropout.hpp"
#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("03_layers", {
    {"Linear(3, 2) with W = [[1,2,3],[4,5,6]], b = [10, 20] maps [1,1,1] to [16, 35]", [] {
       Linear layer(Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}), Tensor::from_values({10, 20}));
       const std::vector<float> y = layer(Tensor::from_values({1, 1, 1}, {1, 3})).to_vector();
       expect(y == std::vector<float>{16, 35}, "y = x Wᵀ + b: 1+2+3+10 = 16, 4+5+6+20 = 35");
     }},
    {"Linear(784, 256) has 784·256 + 256 = 200,960 parameters, weight (256, 784)", [] {
       Linear layer(784, 256);
       expect(layer.num_parameters() == 200960, "num_parameters = in·out + out");
       expect(layer.weight().shape() == Shape{256, 784}, "weight is (out_features, in_features)");
     }},
    {"Linear init: weight std ≈ √(2 / in_features), bias = 0", [] {
       Generator generator(3);
       Linear layer(400, 300, true, generator);
       const std::vector<float> w = layer.weight().to_vector();
       double square_sum = 0;
       for (float v : w) square_sum += double(v) * v;
       expect_near(std::sqrt(square_sum / double(w.size())), std::sqrt(2.0 / 400), 0.002, "He std √(2/400)");
       for (float v : layer.bias().to_vector()) expect(v == 0.0f, "bias starts at 0");
     }},
    {"Sequential names parameters 0.weight, 0.bias, 2.weight, 2.bias", [] {
       Sequential model(Linear(4, 3), ReLU(), Linear(3, 2));
       const NamedParameters named = model.named_parameters();
       expect(named.size() == 4 && named[0].first == "0.weight" && named[1].first == "0.bias" &&
                  named[2].first == "2.weight" && named[3].first == "2.bias",
              "dotted PyTorch names, children numbered by position");
     }},
    {"ReLU layer: [-1, 0, 2] -> [0, 0, 2]", [] {
       ReLU layer;
       expect(layer(Tensor::from_values({-1, 0, 2})).to_vector() == std::vector<float>{0, 0, 2}, "max(0, x)");
     }},
    {"Dropout is the identity in eval mode", [] {
       Dropout dropout(0.5f);
       dropout.eval();
       const Tensor x = Tensor::from_values({1, 2, 3, 4});
       expect(dropout(x).to_vector() == x.to_vector(), "eval: y = x");
     }},
  });
}
