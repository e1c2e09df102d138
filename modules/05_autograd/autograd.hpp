// autograd.hpp — Module 05: reverse-mode automatic differentiation.
//
// Every differentiable operation y = f(x1, ..., xk) that sees an input which
// requires a gradient records a Node: "y came from f, applied to these inputs,
// and here is what f's backward needs" (the saved tensors). The nodes form a
// directed acyclic graph from the loss back to the leaves (the parameters).
// loss.backward() walks it in reverse topological order and applies the chain rule:
//
//   dL/dx_i = Σ over every y that used x_i of  (dy/dx_i)ᵀ · dL/dy              (1)
//
// Each Node::backward computes one term of (1): given g = dL/dy it returns
// dL/dx_i for each input. A node runs only after *all* the gradients of its
// output have been summed — which is what the topological order guarantees.
// Leaves (tensors made by the user with set_requires_grad()) accumulate their
// gradient into tensor.grad(); intermediate tensors pass theirs on and drop it.
//
//      x (leaf) ──┐
//                 ├─ MatMulBackward ── h ── ReluBackward ── a ── ... ── loss
//      W (leaf) ──┘
//
// Ownership: a tensor's AutogradMeta owns its grad_fn node; a node owns the
// AutogradMeta of its inputs (so the graph lives as long as the loss does) and
// *detached* copies of the tensors its backward needs — never the output's own
// handle, which would make a shared_ptr cycle and leak the graph.
//
// Adding an operation (module 15 adds FakeQuantize this way):
//
//   struct SquareBackward : Node {                // one struct per operation
//     Tensor x;                                   // named saved fields
//     const char* name() const override { return "SquareBackward"; }
//     std::vector<Tensor> backward(const Tensor& g) override {
//       return {ops::mul(ops::mul_scalar(x, 2.0f), g)};    // d(x²)/dx = 2x
//     }
//   };
//   Tensor square(const Tensor& x) {
//     Tensor y = ops::mul(x, x);                              // forward math
//     if (auto node = record<SquareBackward>(y, x)) node->x = x.detach();
//     return y;
//   }
#pragma once

#include <initializer_list>
#include <memory>
#include <type_traits>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

struct Node;

// What a tensor knows about gradients. Shared by every copy of the Tensor handle.
struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;                    // leaves: the accumulated dL/dself (undefined until a backward)
  std::shared_ptr<Node> grad_fn;  // the operation that produced the tensor; null for leaves
  Shape shape;                    // the tensor's shape: what a gradient for it must look like
};

// One recorded operation. Subclasses hold the tensors their backward needs as
// named fields, saved detached (see the ownership note above).
struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees a long chain of nodes with a loop instead of one nested destructor
  // call per node (a graph of 10^6 ops must not overflow the stack).
  virtual ~Node();

  // Given g = dL/d(output), returns dL/d(input i) for every input, in order.
  // An entry may be left undefined when !needs_grad(i): skipping gradients
  // nobody asked for (e.g. of the input images) is the cheapest speed-up there is.
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;
  virtual const char* name() const = 0;  // "MatMulBackward", for messages and tests

  // Input i of the forward operation: its AutogradMeta, or null when input i
  // does not require a gradient (a constant, the data, the labels).
  std::vector<std::shared_ptr<AutogradMeta>> inputs;
  bool needs_grad(std::size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
};

// ---- grad mode -------------------------------------------------------------------
// Recording is on by default. While a NoGradGuard lives (this thread only),
// no operation records a node: evaluation and optimizer updates use it.
bool is_grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// ---- inspecting the graph ----------------------------------------------------------
// The node that produced `t` (null for leaves and for tensors outside any graph).
std::shared_ptr<Node> grad_fn(const Tensor& t);
// A leaf has no grad_fn: parameters, inputs, constants.
bool is_leaf(const Tensor& t);

// ---- recording an operation --------------------------------------------------------
// True when an operation on `inputs` must be recorded: grad mode is on and at
// least one input requires a gradient.
bool should_record(std::initializer_list<const Tensor*> inputs);
// Makes `node` the grad_fn of `output` (which then requires grad) and links it
// to the inputs that require a gradient.
void attach_node(Tensor& output, const std::shared_ptr<Node>& node, std::initializer_list<const Tensor*> inputs);

// The one-liner every differentiable function uses after its forward math:
// returns a fresh NodeT already attached to `output` — fill its saved fields —
// or null when nothing needs recording (then the function costs nothing extra).
template <typename NodeT, typename... Inputs>
std::shared_ptr<NodeT> record(Tensor& output, const Inputs&... inputs) {
  static_assert(std::is_base_of_v<Node, NodeT>, "record<NodeT>: NodeT must derive from Node");
  static_assert((std::is_same_v<Inputs, Tensor> && ...), "record<NodeT>: inputs must be Tensors");
  if (!should_record({&inputs...})) return nullptr;
  auto node = std::make_shared<NodeT>();
  attach_node(output, node, {&inputs...});
  return node;
}

}  // namespace tinytorch
