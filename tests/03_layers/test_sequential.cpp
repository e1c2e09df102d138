// Sequential: composition order, indexing, replacing layers in place,
// construction from shared layers, and deep clone().
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(Sequential, "Sequential: layers applied one after another",
                  "model(x) = f_{n-1}(... f_1(f_0(x))); child i is named i (its parameters i.weight, i.bias)");

TINYTORCH_TEST_FORMULA(Sequential, ForwardAppliesLayersInOrder,
                       "model(x) = f2(relu(f0(x))), computed layer by layer: equal exactly");
TEST(Sequential, ForwardAppliesLayersInOrder) {
  Generator generator(3);
  Sequential model(Linear(5, 4, true, generator), ReLU(), Linear(4, 2, true, generator));
  const Tensor x = Tensor::randn({3, 5}, 0, 1, generator);
  // f2(relu(f0(x))), computed layer by layer
  const Tensor expected = model[2]->forward(relu(model[0]->forward(x)));
  EXPECT_EQ(model(x).to_vector(), expected.to_vector());
}

TINYTORCH_TEST_FORMULA(Sequential, OrderMattersReluThenNegationDiffersFromNegationThenRelu,
                       "with negate(x) = -x: negate(relu(2)) = -2 but relu(negate(2)) = 0");
TEST(Sequential, OrderMattersReluThenNegationDiffersFromNegationThenRelu) {
  // Linear(1,1) with W = -1, b = 0 negates. relu(-x) vs -relu(x) at x = 2: 0 vs -2.
  auto negate = [] { return Linear(Tensor::from_values({-1}, {1, 1}), Tensor::zeros({1})); };
  Sequential relu_first(ReLU(), negate());
  Sequential negate_first(negate(), ReLU());
  const Tensor x = Tensor::from_values({2}, {1, 1});
  EXPECT_EQ(relu_first(x).item(), -2.0f);
  EXPECT_EQ(negate_first(x).item(), 0.0f);
}

TINYTORCH_TEST_FORMULA(Sequential, EmptySequentialIsTheIdentity, "no layers: model(x) = x and size() = 0");
TEST(Sequential, EmptySequentialIsTheIdentity) {
  Sequential empty;
  const Tensor x = Tensor::from_values({1, -2, 3});
  EXPECT_EQ(empty(x).to_vector(), x.to_vector());
  EXPECT_EQ(empty.size(), 0u);
}

TINYTORCH_TEST_FORMULA(Sequential, IndexingIsBoundsChecked,
                       "model[i] and model.at(i) need 0 <= i < size(), else IndexError");
TEST(Sequential, IndexingIsBoundsChecked) {
  Sequential model(Linear(2, 3), ReLU());
  EXPECT_EQ(model.size(), 2u);
  EXPECT_EQ(model[1]->name(), "ReLU");
  EXPECT_EQ(model.at(0)->name(), "Linear");
  EXPECT_THROW(model.at(2), IndexError);
  EXPECT_THROW(model[7], IndexError);
}

TINYTORCH_TEST_FORMULA(Sequential, IterationVisitsLayersInOrder,
                       "iteration yields layers 0, 1, 2, ... in the order given: Linear, ReLU, Linear, Sigmoid");
TEST(Sequential, IterationVisitsLayersInOrder) {
  Sequential model(Linear(2, 3), ReLU(), Linear(3, 1), Sigmoid());
  std::vector<std::string> names;
  for (const auto& layer : model) names.push_back(layer->name());
  EXPECT_EQ(names, (std::vector<std::string>{"Linear", "ReLU", "Linear", "Sigmoid"}));
}

TINYTORCH_TEST_FORMULA(Sequential, SetReplacesALayerInPlaceAndKeepsItsName,
                       "set(i, layer) replaces child i, which keeps the name i "
                       "(2.weight is now the new layer's weight); "
                       "i >= size() throws IndexError, a null layer ValueError");
TEST(Sequential, SetReplacesALayerInPlaceAndKeepsItsName) {
  Sequential model(Linear(2, 3), ReLU(), Linear(3, 1));
  auto replacement = std::make_shared<Linear>(Tensor::ones({1, 3}), Tensor::zeros({1}));
  model.set(2, replacement);
  EXPECT_EQ(model[2], replacement);
  const NamedParameters named = model.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[2].first, "2.weight");
  EXPECT_EQ(named[2].second.storage(), replacement->weight().storage());
  EXPECT_THROW(model.set(3, replacement), IndexError);
  EXPECT_THROW(model.set(0, nullptr), ValueError);
}

TINYTORCH_TEST_FORMULA(Sequential, AddAppendsAndVectorConstructorSharesLayers,
                       "add(layer) appends it as child size(); the vector constructor shares the given layers "
                       "(same pointer); a null layer throws ValueError");
TEST(Sequential, AddAppendsAndVectorConstructorSharesLayers) {
  auto first = std::make_shared<Linear>(2, 3);
  Sequential model(std::vector<std::shared_ptr<Module>>{first, std::make_shared<ReLU>()});
  model.add(Linear(3, 1));
  EXPECT_EQ(model.size(), 3u);
  EXPECT_EQ(model[0], first);  // shared, not copied
  EXPECT_EQ(model.named_parameters()[2].first, "2.weight");
  EXPECT_THROW(model.add(std::shared_ptr<Module>()), ValueError);
  EXPECT_THROW(Sequential(std::vector<std::shared_ptr<Module>>{nullptr}), ValueError);
}

TINYTORCH_TEST_FORMULA(Sequential, CloneCopiesEveryLayerDeeply,
                       "clone(): the same layers, names and outputs, but fresh storage for every parameter");
TEST(Sequential, CloneCopiesEveryLayerDeeply) {
  Generator generator(4);
  Sequential original(Linear(3, 4, true, generator), ReLU(), Linear(4, 2, true, generator));
  const auto copy = std::dynamic_pointer_cast<Sequential>(original.clone());
  ASSERT_NE(copy, nullptr);
  ASSERT_EQ(copy->size(), 3u);
  const Tensor x = Tensor::randn({5, 3}, 0, 1, generator);
  EXPECT_EQ((*copy)(x).to_vector(), original(x).to_vector());
  const NamedParameters a = original.named_parameters(), b = copy->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_NE(a[i].second.storage(), b[i].second.storage()) << a[i].first;
  }
}
