// optimizer.hpp — Module 06: the Optimizer, which turns gradients into better parameters.
//
// Training repeats three steps on mini-batches:
//
//   optimizer.zero_grad();      // forget the last batch's gradients
//   loss.backward();            // g_i = dL/dθ_i for every parameter θ_i
//   optimizer.step();           // θ_i := update(θ_i, g_i, state_i)
//
// The update rule is what distinguishes optimizers (sgd.hpp: SGD with momentum;
// adam.hpp: Adam and AdamW). This base class holds what they share: the list of
// parameters (Tensor handles sharing storage and gradient with the model's own,
// so an update in place is seen by the model) and the learning rate η.
//
// Updates run in place over the raw float32 data of each parameter: one tight
// loop per parameter tensor, no temporary tensors, no graph (an update is not
// part of what the next backward differentiates).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

class Optimizer {
 public:
  // name: "SGD", "Adam", ... (for messages). parameters: non-empty, each a
  // defined, contiguous float32 tensor (ValueError otherwise). learning_rate >= 0.
  Optimizer(std::string name, std::vector<Tensor> parameters, float learning_rate);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (parameters without one —
  // frozen, or unused by the last forward pass — are left alone, as in PyTorch).
  void step();
  // Forget the gradients. set_to_none = true (PyTorch's default) drops them, so
  // the next backward stores its result directly instead of adding it to zeros;
  // false fills them with 0 and keeps the memory.
  void zero_grad(bool set_to_none = true);

  float learning_rate() const { return learning_rate_; }
  void set_learning_rate(float learning_rate);  // for schedules; >= 0
  const std::vector<Tensor>& parameters() const { return parameters_; }
  // Number of step() calls so far (Adam's bias correction uses it).
  int64_t steps_taken() const { return steps_taken_; }
  const std::string& name() const { return name_; }

 protected:
  // Update parameter `index` from its gradient. Both are contiguous float32 of
  // `count` elements; `step` = 1 on the first call of step().
  virtual void update(std::size_t index, float* param, const float* grad, int64_t count, int64_t step) = 0;

 private:
  std::string name_;
  std::vector<Tensor> parameters_;
  float learning_rate_ = 0.0f;
  int64_t steps_taken_ = 0;
};

// Throws ValueError "<optimizer>: <what> = <value>; expected <range>" unless low <= value (< or <=) high.
void check_hyperparameter(const char* optimizer, const char* what, float value, float low, float high,
                          bool high_inclusive);

}  // namespace tinytorch
