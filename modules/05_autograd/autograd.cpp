// autograd.cpp — the engine: grad mode, the Tensor's autograd methods, and
// backward(), which orders the graph and applies the chain rule.
//
// The backward formulas of the individual operations live beside their
// forward wrappers: autograd_tensor_ops.cpp (module 01's operations) and
// autograd_nn_ops.cpp (activations, losses, linear).
#include "tinytorch/core/autograd.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace tinytorch {

// ---- freeing the graph ------------------------------------------------------------
//
// Destroying the loss destroys its node, which drops its inputs' metas, which
// destroy their nodes, ... — naively one nested destructor call per node. Here
// a node hands every input node that only it keeps alive to a work list, and
// the loop frees them one at a time.
Node::~Node() {
  std::vector<std::shared_ptr<Node>> orphans;
  auto release_inputs = [&orphans](std::vector<std::shared_ptr<AutogradMeta>>& metas) {
    for (std::shared_ptr<AutogradMeta>& meta : metas) {
      if (meta && meta.use_count() == 1 && meta->grad_fn && meta->grad_fn.use_count() == 1) {
        orphans.push_back(std::move(meta->grad_fn));
      }
      meta.reset();
    }
  };
  release_inputs(inputs);
  while (!orphans.empty()) {
    std::shared_ptr<Node> node = std::move(orphans.back());
    orphans.pop_back();
    release_inputs(node->inputs);
  }  // `node` dies here with no inputs left: its own destructor does nothing more
}

// ---- grad mode --------------------------------------------------------------------

namespace {
thread_local bool grad_mode_enabled = true;
}  // namespace

bool is_grad_enabled() { return grad_mode_enabled; }
NoGradGuard::NoGradGuard() : previous_(grad_mode_enabled) { grad_mode_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_mode_enabled = previous_; }

// ---- recording --------------------------------------------------------------------

bool should_record(std::initializer_list<const Tensor*> inputs) {
  if (!grad_mode_enabled) return false;
  return std::any_of(inputs.begin(), inputs.end(), [](const Tensor* t) { return t->requires_grad(); });
}

void attach_node(Tensor& output, const std::shared_ptr<Node>& node, std::initializer_list<const Tensor*> inputs) {
  node->inputs.clear();
  node->inputs.reserve(inputs.size());
  for (const Tensor* input : inputs) {
    node->inputs.push_back(input->requires_grad() ? input->autograd_meta() : nullptr);
  }
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = node;
  meta->shape = output.shape();
  output.autograd_meta() = std::move(meta);
}

std::shared_ptr<Node> grad_fn(const Tensor& t) {
  return t.autograd_meta() ? t.autograd_meta()->grad_fn : nullptr;
}

bool is_leaf(const Tensor& t) { return grad_fn(t) == nullptr; }

// ---- the Tensor's autograd methods (declared in tensor.hpp) ------------------------

bool Tensor::requires_grad() const { return autograd_ != nullptr && autograd_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool enabled) {
  if (!defined()) throw ValueError("Tensor::set_requires_grad: the tensor is undefined");
  if (dtype_ != DType::Float32) {
    throw DTypeError("Tensor::set_requires_grad: tensor of shape " + shape_str(shape_) + " holds " +
                     std::string(dtype_name(dtype_)) + "; only float32 tensors can have gradients");
  }
  if (autograd_ && autograd_->grad_fn) {
    throw ValueError(std::string("Tensor::set_requires_grad: the tensor was produced by ") +
                     autograd_->grad_fn->name() +
                     "; only leaves (tensors you created) can change requires_grad. Use detach() to make a new leaf");
  }
  if (!autograd_) {
    if (!enabled) return *this;
    autograd_ = std::make_shared<AutogradMeta>();
    autograd_->shape = shape_;
  }
  autograd_->requires_grad = enabled;
  return *this;
}

Tensor Tensor::grad() const { return autograd_ ? autograd_->grad : Tensor(); }

// Zeroes the gradient in place: it stays allocated for the next backward.
// (The engine keeps leaf gradients contiguous, so this is one memset.)
void Tensor::zero_grad() {
  if (!autograd_ || !autograd_->grad.defined()) return;
  Tensor& grad = autograd_->grad;
  if (grad.is_contiguous()) {
    std::fill_n(grad.data<float>(), grad.numel(), 0.0f);
  } else {
    grad.fill_(0.0f);
  }
}

Tensor Tensor::detach() const {
  if (!defined()) return Tensor();
  return Tensor(storage_, shape_, strides_, offset_, dtype_);
}

// ---- backward ---------------------------------------------------------------------

namespace {

// Every tensor reachable from `root` through grad_fn → inputs, ordered so that
// each one comes before all of its inputs (reverse post-order of a depth-first
// search). An explicit stack instead of recursion: no depth limit.
std::vector<AutogradMeta*> topological_order(AutogradMeta* root) {
  std::vector<AutogradMeta*> post_order;
  // BEGIN SOLUTION
  struct Frame {
    AutogradMeta* meta;
    std::size_t next_input;  // the next input of meta->grad_fn to visit
  };
  std::unordered_set<AutogradMeta*> visited{root};
  std::vector<Frame> stack{{root, 0}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    const Node* node = top.meta->grad_fn.get();
    if (node != nullptr && top.next_input < node->inputs.size()) {
      AutogradMeta* input = node->inputs[top.next_input++].get();
      if (input != nullptr && visited.insert(input).second) stack.push_back({input, 0});
      continue;
    }
    post_order.push_back(top.meta);  // all inputs done: a post-order position
    stack.pop_back();
  }
  std::reverse(post_order.begin(), post_order.end());
  // END SOLUTION
  return post_order;
}

// leaf.grad += g. The first gradient is adopted without a copy when nothing
// else can see its memory (often it is a fresh sgemm result), else copied:
// a leaf's grad must never alias another tensor (the optimizer updates in place).
void accumulate_into_leaf(AutogradMeta& leaf, Tensor g) {
  if (!leaf.requires_grad) return;
  // BEGIN SOLUTION
  if (!leaf.grad.defined()) {
    const bool private_memory = g.is_contiguous() && g.storage().use_count() == 1;
    leaf.grad = private_memory ? std::move(g) : g.clone();
    return;
  }
  if (!leaf.grad.is_contiguous() || leaf.grad.dtype() != DType::Float32) {  // someone replaced it: start over
    leaf.grad = ops::add(leaf.grad, g);
    return;
  }
  const Tensor addend = g.contiguous();
  float* sum = leaf.grad.data<float>();
  const float* add = addend.data<float>();
  const int64_t count = addend.numel();
  for (int64_t i = 0; i < count; ++i) sum[i] += add[i];
  // END SOLUTION
}

void check_input_grads(const Node& node, const std::vector<Tensor>& input_grads) {
  if (input_grads.size() != node.inputs.size()) {
    throw ValueError(std::string("backward: ") + node.name() + " returned " + std::to_string(input_grads.size()) +
                     " gradients for " + std::to_string(node.inputs.size()) + " inputs; expected one per input");
  }
  for (std::size_t i = 0; i < input_grads.size(); ++i) {
    if (!node.needs_grad(i)) continue;
    if (!input_grads[i].defined()) {
      throw ValueError(std::string("backward: ") + node.name() + " returned no gradient for input " +
                       std::to_string(i) + ", which requires one");
    }
    if (input_grads[i].shape() != node.inputs[i]->shape) {
      throw ShapeError(std::string("backward: ") + node.name() + " returned a gradient of shape " +
                       shape_str(input_grads[i].shape()) + " for input " + std::to_string(i) + " of shape " +
                       shape_str(node.inputs[i]->shape) + "; expected the input's shape");
    }
  }
}

// The chain rule (1) over the whole graph: visit tensors in topological order,
// so that when a tensor is reached every gradient flowing into it has arrived.
void run_backward(AutogradMeta* root, Tensor seed) {
  NoGradGuard no_grad;  // the backward pass itself is never recorded
  const std::vector<AutogradMeta*> order = topological_order(root);
  std::unordered_map<AutogradMeta*, Tensor> pending;  // Σ of the gradients received so far
  pending.emplace(root, std::move(seed));
  for (AutogradMeta* meta : order) {
    auto it = pending.find(meta);
    if (it == pending.end()) continue;  // no gradient flows here (e.g. only through a constant)
    Tensor grad_output = std::move(it->second);
    pending.erase(it);
    if (!meta->grad_fn) {
      accumulate_into_leaf(*meta, std::move(grad_output));
      continue;
    }
    Node& node = *meta->grad_fn;
    std::vector<Tensor> input_grads = node.backward(grad_output);
    grad_output = Tensor();  // dL/d(this tensor) is no longer needed: free it now
    check_input_grads(node, input_grads);
    // BEGIN SOLUTION
    for (std::size_t i = 0; i < input_grads.size(); ++i) {
      if (!node.needs_grad(i)) continue;
      Tensor& sum = pending[node.inputs[i].get()];
      sum = sum.defined() ? ops::add(sum, input_grads[i]) : std::move(input_grads[i]);
    }
    // END SOLUTION
  }
}

}  // namespace

void Tensor::backward() const {
  if (!defined()) throw ValueError("Tensor::backward: the tensor is undefined");
  if (!requires_grad()) {
    throw ValueError("Tensor::backward: the tensor of shape " + shape_str(shape_) +
                     " does not require grad: no input of its computation had set_requires_grad(), or it was "
                     "computed under NoGradGuard");
  }
  if (numel() != 1) {
    throw ShapeError("Tensor::backward: called on a tensor of shape " + shape_str(shape_) + " (" +
                     std::to_string(numel()) +
                     " elements); expected a scalar loss (1 element) — reduce it first, e.g. with mean()");
  }
  run_backward(autograd_.get(), Tensor::ones(shape_));
}

}  // namespace tinytorch
