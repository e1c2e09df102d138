// The graph: what gets recorded, when, and what backward() does with it.
#include <gtest/gtest.h>

#include <string>

#include "concepts.hpp"
#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;

TINYTORCH_CONCEPT(AutogradGraph, "the autograd graph: what is recorded and how backward() walks it",
                  "an operation records a node (grad_fn) only when an input requires grad and grad mode is on; "
                  "backward() visits nodes in topological order, adds dL/dx over every use of x, "
                  "and leaves accumulate into grad");

TINYTORCH_TEST_FORMULA(AutogradGraph, LeavesDoNotRequireGradUntilAsked,
                       "a new tensor has requires_grad = false, so x * 2 records no node; "
                       "after set_requires_grad() x is a leaf with an undefined grad until backward()");
TEST(AutogradGraph, LeavesDoNotRequireGradUntilAsked) {
  Tensor x = Tensor::ones({2, 3});
  EXPECT_FALSE(x.requires_grad());
  EXPECT_FALSE((x * 2.0f).requires_grad());  // nothing to differentiate: no node
  EXPECT_EQ(grad_fn(x * 2.0f), nullptr);
  x.set_requires_grad();
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(is_leaf(x));
  EXPECT_FALSE(x.grad().defined());  // no backward yet
}

TINYTORCH_TEST_FORMULA(AutogradGraph, OperationsRecordANamedNode,
                       "y = op(inputs) with an input requiring grad gets grad_fn(y) named after op "
                       "(MatMulBackward, ReluBackward, SumAllBackward, CrossEntropyBackward, ReshapeBackward); "
                       "needs_grad(i) is true only for those inputs");
TEST(AutogradGraph, OperationsRecordANamedNode) {
  Tensor a = Tensor::ones({2, 2}).set_requires_grad();
  Tensor c = Tensor::ones({2, 2});  // a constant
  Tensor y = matmul(a, c);
  ASSERT_NE(grad_fn(y), nullptr);
  EXPECT_STREQ(grad_fn(y)->name(), "MatMulBackward");
  EXPECT_TRUE(y.requires_grad());
  EXPECT_FALSE(is_leaf(y));
  // The node knows which inputs need a gradient: a does, the constant does not.
  EXPECT_TRUE(grad_fn(y)->needs_grad(0));
  EXPECT_FALSE(grad_fn(y)->needs_grad(1));
  EXPECT_STREQ(grad_fn(relu(y))->name(), "ReluBackward");
  EXPECT_STREQ(grad_fn(sum(y))->name(), "SumAllBackward");
  EXPECT_STREQ(grad_fn(cross_entropy(y, Tensor::from_int32({0, 1}, {2})))->name(), "CrossEntropyBackward");
  EXPECT_STREQ(grad_fn(y.reshape({4}))->name(), "ReshapeBackward");  // the Tensor method records too
}

TINYTORCH_TEST_FORMULA(AutogradGraph, SetRequiresGradOnlyOnFloatLeaves,
                       "set_requires_grad() on an int32 tensor throws DTypeError naming int32; "
                       "turning it off on a non-leaf throws ValueError naming its node (MulScalarBackward); "
                       "on an undefined tensor ValueError");
TEST(AutogradGraph, SetRequiresGradOnlyOnFloatLeaves) {
  Tensor labels = Tensor::from_int32({1, 2}, {2});
  try {
    labels.set_requires_grad();
    FAIL() << "expected DTypeError";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("int32"), std::string::npos) << e.what();
  }
  Tensor x = Tensor::ones({2}).set_requires_grad();
  Tensor y = x * 3.0f;
  try {
    y.set_requires_grad(false);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("MulScalarBackward"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tensor().set_requires_grad(), ValueError);
}

TINYTORCH_TEST_FORMULA(AutogradGraph, NoGradGuardRecordsNothingAndRestoresTheMode,
                       "while a NoGradGuard lives: is_grad_enabled() = false, no node is recorded, "
                       "the forward still runs; its end restores the previous mode "
                       "(nested guards restore off, not on)");
TEST(AutogradGraph, NoGradGuardRecordsNothingAndRestoresTheMode) {
  Tensor x = Tensor::ones({3}).set_requires_grad();
  EXPECT_TRUE(is_grad_enabled());
  {
    NoGradGuard outer;
    EXPECT_FALSE(is_grad_enabled());
    Tensor y = relu(x * 2.0f + x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(grad_fn(y), nullptr);
    EXPECT_EQ(y.to_vector(), (std::vector<float>{3, 3, 3}));  // the forward math still runs
    {
      NoGradGuard inner;
    }
    EXPECT_FALSE(is_grad_enabled());  // the inner guard restores "off", not "on"
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2.0f).requires_grad());
}

TINYTORCH_TEST_FORMULA(AutogradGraph, BackwardOnNonScalarIsAShapeError,
                       "backward() needs a one-element loss (any rank), "
                       "else ShapeError naming the shape and scalar; "
                       "a loss that requires no grad throws ValueError; d(5 x)/dx = 5");
TEST(AutogradGraph, BackwardOnNonScalarIsAShapeError) {
  Tensor x = Tensor::ones({4, 3}).set_requires_grad();
  try {
    (x * 2.0f).backward();
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("(4, 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("scalar"), std::string::npos) << message;
  }
  EXPECT_THROW(Tensor::ones({2}).backward(), ValueError);  // nothing requires grad
  // A one-element tensor of any rank is a scalar loss.
  Tensor one = Tensor::ones({1, 1}).set_requires_grad();
  (one * 5.0f).backward();
  EXPECT_EQ(one.grad().to_vector(), std::vector<float>{5});
}

TINYTORCH_TEST_FORMULA(AutogradGraph, GradientsNobodyNeedsAreNotComputed,
                       "a node returns an undefined gradient for every input with needs_grad(i) = false "
                       "(linear's dx for the images, matmul's and mul's constant side); "
                       "such an input's grad stays undefined");
TEST(AutogradGraph, GradientsNobodyNeedsAreNotComputed) {
  // The first layer's input (the images) never needs a gradient; its node must
  // not compute one. Ask the node directly what its backward returns.
  Tensor x = Tensor::ones({4, 3});
  Tensor w = Tensor::ones({2, 3}).set_requires_grad();
  Tensor b = Tensor::ones({2}).set_requires_grad();
  Tensor y = linear(x, w, b);
  const std::vector<Tensor> grads = grad_fn(y)->backward(Tensor::ones({4, 2}));
  ASSERT_EQ(grads.size(), 3u);
  EXPECT_FALSE(grads[0].defined()) << "dx was computed although x does not require grad";
  EXPECT_TRUE(grads[1].defined());
  EXPECT_TRUE(grads[2].defined());
  // Same for the element-wise and matmul nodes.
  Tensor c = Tensor::ones({3, 2});
  EXPECT_FALSE(grad_fn(matmul(w, c))->backward(Tensor::ones({2, 2}))[1].defined());
  EXPECT_FALSE(grad_fn(w * Tensor::ones({2, 3}))->backward(Tensor::ones({2, 3}))[1].defined());
  // And backward() leaves the constant's grad undefined.
  sum(y).backward();
  EXPECT_FALSE(x.grad().defined());
}

TINYTORCH_TEST_FORMULA(AutogradGraph, GradientsAccumulateOverBackwardCalls,
                       "leaves accumulate: grad += dL/dx on each backward: sum(3x) twice -> 3 + 3 = 6, "
                       "then sum(x^2) adds 2x = (2, 4) -> (8, 10); zero_grad() sets grad = 0");
TEST(AutogradGraph, GradientsAccumulateOverBackwardCalls) {
  // y = sum(3x): dy/dx = 3 per element.
  Tensor x = Tensor::from_values({1, 2}).set_requires_grad();
  Tensor y = sum(x * 3.0f);
  y.backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{3, 3}));
  y.backward();  // the graph is kept: a second pass adds another 3
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{6, 6}));
  sum(x * x).backward();  // a new graph: adds 2x = (2, 4)
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{8, 10}));
  x.zero_grad();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{0, 0}));
  sum(x * 3.0f).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{3, 3}));
}

TINYTORCH_TEST_FORMULA(AutogradGraph, ATensorUsedTwiceReceivesTheSumOfBothGradients,
                       "a = 2x, b = 3x, y = sum(a b) = sum(6x^2): dy/dx = 2b + 3a = 6x + 6x = 12x = (12, -24, 6)");
TEST(AutogradGraph, ATensorUsedTwiceReceivesTheSumOfBothGradients) {
  // Diamond: a = 2x, b = 3x, y = Σ a·b = Σ 6x²  =>  dy/dx = 12x
  Tensor x = Tensor::from_values({1, -2, 0.5f}).set_requires_grad();
  Tensor a = x * 2.0f, b = x * 3.0f;
  sum(a * b).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{12, -24, 6}));
}

TINYTORCH_TEST_FORMULA(AutogradGraph, LeafGradientsNeverShareMemory,
                       "d(a + b)/da and d(a + b)/db are equal numbers (1, 1, 1) but separate storage: writing "
                       "a.grad leaves b.grad unchanged");
TEST(AutogradGraph, LeafGradientsNeverShareMemory) {
  // d(a+b)/da and d(a+b)/db are the same numbers; they must be separate tensors,
  // or an optimizer updating one in place would change the other.
  Tensor a = Tensor::zeros({3}).set_requires_grad();
  Tensor b = Tensor::zeros({3}).set_requires_grad();
  sum(a + b).backward();
  ASSERT_NE(a.grad().storage(), b.grad().storage());
  a.grad().fill_(7);
  EXPECT_EQ(b.grad().to_vector(), (std::vector<float>{1, 1, 1}));
}

TINYTORCH_TEST_FORMULA(AutogradGraph, DetachCutsTheGraph,
                       "detach(): same values (2x = (4, 6)), no grad_fn, a leaf; "
                       "y = sum(x * stop(2x)) gives dy/dx = 2x = (4, 6)");
TEST(AutogradGraph, DetachCutsTheGraph) {
  Tensor x = Tensor::from_values({2, 3}).set_requires_grad();
  Tensor frozen = (x * 2.0f).detach();
  EXPECT_FALSE(frozen.requires_grad());
  EXPECT_TRUE(is_leaf(frozen));
  EXPECT_EQ(frozen.to_vector(), (std::vector<float>{4, 6}));
  // y = Σ x · stop(2x): only the first factor carries a gradient, dy/dx = 2x.
  sum(x * frozen).backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<float>{4, 6}));
}

TINYTORCH_TEST_FORMULA(AutogradGraph, WrongGradientShapeFromANodeIsReportedByName,
                       "a node's gradient for an input must have that input's shape, "
                       "else ShapeError naming the node (BrokenBackward), "
                       "the wrong shape (5,) and the expected (2, 3)");
TEST(AutogradGraph, WrongGradientShapeFromANodeIsReportedByName) {
  struct BrokenBackward : Node {
    const char* name() const override { return "BrokenBackward"; }
    std::vector<Tensor> backward(const Tensor&) override { return {Tensor::zeros({5})}; }
  };
  Tensor x = Tensor::ones({2, 3}).set_requires_grad();
  Tensor y = ops::sum_all(x);
  record<BrokenBackward>(y, x);
  try {
    y.backward();
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("BrokenBackward"), std::string::npos) << message;
    EXPECT_NE(message.find("(5,)"), std::string::npos) << message;
    EXPECT_NE(message.find("(2, 3)"), std::string::npos) << message;
  }
}

TINYTORCH_TEST_FORMULA(AutogradGraph, VeryDeepGraphNeedsNoRecursion,
                       "y = x + 1 + 1 + ... (100000 nodes) = 100000 and dy/dx = 1, "
                       "with no stack overflow in backward() or in freeing the chain (iteration, not recursion)");
TEST(AutogradGraph, VeryDeepGraphNeedsNoRecursion) {
  // 100000 chained nodes: a recursive topological sort or a recursive graph
  // destructor would overflow the stack.
  constexpr int kDepth = 100000;
  Tensor x = Tensor::scalar(0).set_requires_grad();
  {
    Tensor y = x;
    for (int i = 0; i < kDepth; ++i) y = y + 1.0f;
    EXPECT_EQ(y.item(), static_cast<float>(kDepth));
    y.backward();
  }  // y, and with it the whole chain, is freed here
  EXPECT_EQ(x.grad().item(), 1.0f);  // d(x + 1 + 1 + ...)/dx = 1
}
