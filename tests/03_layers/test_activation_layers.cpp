// The activation layers call exactly their module-02 functions, and carry
// their settings through summary() and clone().
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/activations.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(ActivationLayers, "the module-02 activations as parameter-free layers",
                  "ReLU()(x) = relu(x), Sigmoid()(x) = sigmoid(x), Tanh()(x) = tanh(x), GELU()(x) = gelu(x), "
                  "Softmax(axis)(x) = softmax(x, axis); no parameters");

TINYTORCH_TEST_FORMULA(ActivationLayers, EachLayerEqualsItsFunction,
                       "Layer()(x) == function(x) exactly, for ReLU, Sigmoid, Tanh, GELU, "
                       "Softmax() (axis -1) and Softmax(0)");
TEST(ActivationLayers, EachLayerEqualsItsFunction) {
  Generator generator(5);
  const Tensor x = Tensor::randn({3, 17}, 0, 2, generator);
  EXPECT_EQ(ReLU()(x).to_vector(), relu(x).to_vector());
  EXPECT_EQ(Sigmoid()(x).to_vector(), sigmoid(x).to_vector());
  EXPECT_EQ(Tanh()(x).to_vector(), tanh(x).to_vector());
  EXPECT_EQ(GELU()(x).to_vector(), gelu(x).to_vector());
  EXPECT_EQ(Softmax()(x).to_vector(), softmax(x, -1).to_vector());
  EXPECT_EQ(Softmax(0)(x).to_vector(), softmax(x, 0).to_vector());
}

TINYTORCH_TEST_FORMULA(ActivationLayers, HandValues,
                       "relu(-1, 0, 2) = (0, 0, 2); sigmoid(0) = 0.5; tanh(0) = 0; softmax([0, 0]) = [0.5, 0.5]");
TEST(ActivationLayers, HandValues) {
  // relu(-1, 0, 2) = (0, 0, 2); sigmoid(0) = 0.5; tanh(0) = 0; softmax([0, 0]) = [0.5, 0.5]
  EXPECT_EQ(ReLU()(Tensor::from_values({-1, 0, 2})).to_vector(), (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(Sigmoid()(Tensor::from_values({0})).item(), 0.5f);
  EXPECT_EQ(Tanh()(Tensor::from_values({0})).item(), 0.0f);
  EXPECT_EQ(Softmax()(Tensor::from_values({0, 0}, {1, 2})).to_vector(), (std::vector<float>{0.5f, 0.5f}));
}

TINYTORCH_TEST_FORMULA(ActivationLayers, HaveNoParametersAndPrintTheirSettings,
                       "num_parameters() = 0; summary() = the line GELU() or Softmax(dim=1), "
                       "then the line Parameters: 0");
TEST(ActivationLayers, HaveNoParametersAndPrintTheirSettings) {
  EXPECT_EQ(ReLU().num_parameters(), 0);
  EXPECT_EQ(GELU().summary(), "GELU()\nParameters: 0\n");
  EXPECT_EQ(Softmax(1).summary(), "Softmax(dim=1)\nParameters: 0\n");
}

TINYTORCH_TEST_FORMULA(ActivationLayers, CloneKeepsTypeAxisAndMode,
                       "clone() returns the same layer type with the same axis and training mode "
                       "(Softmax(0) in eval stays so)");
TEST(ActivationLayers, CloneKeepsTypeAxisAndMode) {
  Softmax softmax_layer(0);
  softmax_layer.eval();
  const auto copy = std::dynamic_pointer_cast<Softmax>(softmax_layer.clone());
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->axis(), 0);
  EXPECT_FALSE(copy->is_training());
  EXPECT_NE(std::dynamic_pointer_cast<Tanh>(Tanh().clone()), nullptr);
}
