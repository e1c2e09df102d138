// inference_scope.hpp — Module 05: run a model for inference, and put everything back afterwards.
//
// Inference needs two switches: no graph recording (NoGradGuard — nothing is
// saved for a backward pass that will never come) and eval mode (Dropout is
// the identity). InferenceScope turns both on for as long as it lives and
// restores the model's previous mode when it ends, also on an exception:
//
//   { InferenceScope inference(model); logits = model(images); }
#pragma once
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/module.hpp"

namespace tinytorch {

class InferenceScope {
 public:
  explicit InferenceScope(Module& model) : eval_mode_(model, false) {}
  InferenceScope(const InferenceScope&) = delete;
  InferenceScope& operator=(const InferenceScope&) = delete;

 private:
  ModeGuard eval_mode_;
  NoGradGuard no_grad_;
};

}  // namespace tinytorch
