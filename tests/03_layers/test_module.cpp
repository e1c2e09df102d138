// The Module tree: dotted parameter names, handles that share storage and
// gradient with the module, recursive train/eval and zero_grad, the summary
// text, registration errors, and the copy/move rules.
#include <gtest/gtest.h>

#include <type_traits>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/dropout.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"

using namespace tinytorch;

namespace {

// A module with one own parameter and one child, to test registration directly.
class Probe : public Module {
 public:
  Probe() {
    register_parameter("scale", Tensor::ones({3}));
    register_module("inner", std::make_shared<Linear>(3, 2));
  }
  Tensor forward(const Tensor& input) override { return input; }
  std::string name() const override { return "Probe"; }
  std::shared_ptr<Module> clone() const override { return std::make_shared<Probe>(); }
  void add_parameter(const std::string& name) { register_parameter(name, Tensor::zeros({1})); }
  void add_buffer(const std::string& name, Tensor tensor) { register_buffer(name, std::move(tensor)); }
  void add_child(const std::string& name, std::shared_ptr<Module> child) { register_module(name, std::move(child)); }
};

std::vector<std::string> names_of(const NamedParameters& named) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : named) names.push_back(name);
  return names;
}

}  // namespace

TINYTORCH_CONCEPT(Module, "the Module tree: parameters, their names, train/eval mode and copies",
                  "parameters() = own parameters, then each child's, depth-first, "
                  "named child_name + '.' + name (0.weight, 0.bias, ...) as PyTorch's state_dict; "
                  "num_parameters() = sum of numel");

TINYTORCH_TEST_FORMULA(Module, IsNonCopyableButMovable,
                       "a Module cannot be copied (a copy would share or duplicate parameters) but can be moved: "
                       "the moved-to module has the same weights and settings");
TEST(Module, IsNonCopyableButMovable) {
  static_assert(!std::is_copy_constructible_v<Linear>, "a copy would silently share or duplicate parameters");
  static_assert(!std::is_copy_assignable_v<Sequential>);
  static_assert(std::is_move_constructible_v<Linear>);
  static_assert(std::is_move_constructible_v<Sequential>);
  Linear original(4, 3);
  const float w00 = original.weight().at({0, 0});
  Linear moved(std::move(original));
  EXPECT_EQ(moved.weight().at({0, 0}), w00);
  EXPECT_EQ(moved.in_features(), 4);
}

TINYTORCH_TEST_FORMULA(Module, OwnParametersComeBeforeChildrenWithDottedNames,
                       "own parameters first, then each child's with the child's name as prefix: scale, "
                       "inner.weight, inner.bias");
TEST(Module, OwnParametersComeBeforeChildrenWithDottedNames) {
  Probe probe;
  EXPECT_EQ(names_of(probe.named_parameters()), (std::vector<std::string>{"scale", "inner.weight", "inner.bias"}));
}

TINYTORCH_TEST_FORMULA(Module, NestedSequentialNamesFollowPyTorchStateDict,
                       "name = the path of child names joined by dots: "
                       "Sequential(Linear, Sequential(ReLU, Linear)) -> 0.weight, 0.bias, 1.1.weight, 1.1.bias");
TEST(Module, NestedSequentialNamesFollowPyTorchStateDict) {
  // nn.Sequential(nn.Linear(4,3), nn.Sequential(nn.ReLU(), nn.Linear(3,2))).state_dict() keys:
  // 0.weight, 0.bias, 1.1.weight, 1.1.bias
  Sequential model(Linear(4, 3), Sequential(ReLU(), Linear(3, 2)));
  EXPECT_EQ(names_of(model.named_parameters()),
            (std::vector<std::string>{"0.weight", "0.bias", "1.1.weight", "1.1.bias"}));
}

TINYTORCH_TEST_FORMULA(Module, ParametersShareStorageAndGradientWithTheModule,
                       "a parameters() handle shares storage and grad with the layer: a write through it changes "
                       "the layer; d(sum(x W^T))/dW[n, k] = x[k], so grad = [1,2,3,1,2,3]");
TEST(Module, ParametersShareStorageAndGradientWithTheModule) {
  Linear layer(3, 2);
  std::vector<Tensor> params = layer.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_TRUE(params[0].requires_grad());
  params[0].fill_(0.5f);  // a write through the handle is a write to the layer's weight
  EXPECT_EQ(layer.weight().at({1, 2}), 0.5f);
  // A backward fills the gradient that every handle sees: d(sum(W x))/dW[n,k] = x[k].
  sum(layer(Tensor::from_values({1, 2, 3}, {1, 3}))).backward();
  ASSERT_TRUE(params[0].grad().defined());
  EXPECT_EQ(params[0].grad().to_vector(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
}

TINYTORCH_TEST_FORMULA(Module, NumParametersIsInTimesOutPlusOutPerLinear,
                       "Linear(in, out) has in * out + out parameters: (784*256 + 256) + (256*128 + 128) + "
                       "(128*10 + 10) = 235146; Linear(5, 7, bias = false) has 5 * 7 = 35");
TEST(Module, NumParametersIsInTimesOutPlusOutPerLinear) {
  Sequential model(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
  // (784·256 + 256) + (256·128 + 128) + (128·10 + 10) = 200,960 + 32,896 + 1,290
  EXPECT_EQ(model.num_parameters(), 235146);
  EXPECT_EQ(Linear(5, 7, /*bias=*/false).num_parameters(), 35);
}

TINYTORCH_TEST_FORMULA(Module, TrainAndEvalReachEveryDescendant,
                       "modules start in training mode; train() and eval() set the mode of the module and of all "
                       "its descendants");
TEST(Module, TrainAndEvalReachEveryDescendant) {
  Sequential model(Linear(2, 2), Sequential(Dropout(0.5f), ReLU()));
  EXPECT_TRUE(model.is_training());  // modules start in training mode, as in PyTorch
  model.eval();
  const auto inner = std::dynamic_pointer_cast<Sequential>(model[1]);
  ASSERT_NE(inner, nullptr);
  EXPECT_FALSE(model.is_training());
  EXPECT_FALSE(model[0]->is_training());
  EXPECT_FALSE(inner->at(0)->is_training());
  model.train();
  EXPECT_TRUE(inner->at(0)->is_training());
}

TINYTORCH_TEST_FORMULA(Module, ZeroGradZeroesEveryParameterGradient,
                       "zero_grad(): grad := 0 for every parameter (kept allocated, not reset to undefined)");
TEST(Module, ZeroGradZeroesEveryParameterGradient) {
  Sequential model(Linear(3, 4), ReLU(), Linear(4, 2));
  sum(model(Tensor::ones({2, 3}))).backward();
  model.zero_grad();
  for (const auto& [name, p] : model.named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;  // kept allocated, filled with 0
    for (float g : p.grad().to_vector()) EXPECT_EQ(g, 0.0f) << name;
  }
}

TINYTORCH_TEST_FORMULA(Module, SummaryPrintsTheTreeAndTheParameterCount,
                       "Sequential( then one line (i): Name(settings) per child, then ), "
                       "then Parameters: N with N = 4*3 + 3 + 3*2 = 21 (thousands separated: 200,960)");
TEST(Module, SummaryPrintsTheTreeAndTheParameterCount) {
  Sequential model(Linear(4, 3), ReLU(), Dropout(0.25f), Linear(3, 2, false));
  EXPECT_EQ(model.summary(),
            "Sequential(\n"
            "  (0): Linear(in_features=4, out_features=3, bias=true)\n"
            "  (1): ReLU()\n"
            "  (2): Dropout(p=0.25)\n"
            "  (3): Linear(in_features=3, out_features=2, bias=false)\n"
            ")\n"
            "Parameters: 21\n");  // 4·3 + 3 + 3·2 = 21
  EXPECT_NE(Sequential(Linear(784, 256)).summary().find("Parameters: 200,960"), std::string::npos);
}

TINYTORCH_TEST_FORMULA(Module, RegistrationRejectsDuplicatesDotsAndNull,
                       "a name is non-empty, has no dot and is unique within its module, "
                       "and a child is not null; else ValueError");
TEST(Module, RegistrationRejectsDuplicatesDotsAndNull) {
  Probe probe;
  EXPECT_THROW(probe.add_parameter("scale"), ValueError);
  EXPECT_THROW(probe.add_parameter("a.b"), ValueError);
  EXPECT_THROW(probe.add_parameter(""), ValueError);
  EXPECT_THROW(probe.add_child("inner", std::make_shared<ReLU>()), ValueError);
  EXPECT_THROW(probe.add_child("other", nullptr), ValueError);
}

TINYTORCH_TEST_FORMULA(Module, BuffersAreNamedLikeParametersButNeverRequireGradient,
                       "buffers get the same dotted names and order as parameters (step, q.codes), "
                       "keep their dtype, never require a gradient and are not in parameters(); "
                       "a name taken by a parameter or buffer, or an undefined tensor, throws ValueError");
TEST(Module, BuffersAreNamedLikeParametersButNeverRequireGradient) {
  auto inner = std::make_shared<Probe>();
  inner->add_buffer("codes", Tensor::zeros({2, 3}, DType::Int8));
  Probe outer;
  outer.add_buffer("step", Tensor::from_int32({7}, {1}));
  outer.add_child("q", inner);
  const NamedParameters buffers = outer.named_buffers();
  EXPECT_EQ(names_of(buffers), (std::vector<std::string>{"step", "q.codes"}));
  EXPECT_EQ(buffers[1].second.dtype(), DType::Int8);
  EXPECT_FALSE(buffers[0].second.requires_grad());
  EXPECT_EQ(outer.buffers().size(), 2u);
  // buffers are not parameters: the optimizer never sees them
  for (const auto& [name, p] : outer.named_parameters()) EXPECT_EQ(name.find("codes"), std::string::npos);
  // one namespace for both kinds: a buffer may not take a parameter's name
  EXPECT_THROW(outer.add_buffer("scale", Tensor::zeros({1})), ValueError);
  EXPECT_THROW(outer.add_buffer("step", Tensor::zeros({1})), ValueError);
  EXPECT_THROW(outer.add_buffer("empty", Tensor()), ValueError);
}
