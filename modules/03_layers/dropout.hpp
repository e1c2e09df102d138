// dropout.hpp — Module 03: Dropout, a regulariser that is only active in training.
//
// During training every element is zeroed with probability p, and the survivors
// are scaled up so that the expected value stays the same ("inverted dropout",
// Srivastava et al. 2014, as in PyTorch):
//
//   m_i ~ Bernoulli(1 - p),   y_i = x_i · m_i / (1 - p),   E[y_i] = x_i          (1)
//
// In evaluation mode (model.eval()) Dropout is the identity: y = x. Because of
// the 1/(1 - p) in (1), nothing needs rescaling at test time.
//
// The mask multiply is the differentiable tinytorch::operator*, so the gradient
// flows only through the elements that were kept: dx_i = g_i · m_i / (1 - p).
#pragma once

#include <memory>
#include <string>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/random.hpp"

namespace tinytorch {

class Dropout : public Module {
 public:
  // 0 <= p < 1 (ValueError otherwise). The masks are drawn from `generator`,
  // which must outlive the layer (default: the global generator, manual_seed()).
  explicit Dropout(float p = 0.5f, Generator& generator = default_generator());

  Tensor forward(const Tensor& input) override;
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  // The clone draws from the same generator.
  std::shared_ptr<Module> clone() const override;

  float p() const { return p_; }

 private:
  float p_;
  Generator* generator_;
};

}  // namespace tinytorch
