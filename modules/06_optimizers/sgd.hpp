// sgd.hpp — Module 06: stochastic gradient descent, with momentum and weight decay.
//
// Plain SGD steps against the gradient: θ := θ - η g. Momentum keeps a running
// "velocity" b so that consistent gradient directions build up speed and noisy
// ones cancel. The rule, exactly as torch.optim.SGD documents it (dampening 0):
//
//   g_t = ∇θ L + λ θ_{t-1}                       weight decay λ (L2 penalty λ/2 ‖θ‖²)   (1)
//   b_t = g_t                  if t = 1                                               (2)
//       = μ b_{t-1} + g_t      if t > 1          momentum μ
//   d_t = g_t + μ b_t          if nesterov       look ahead along the velocity        (3)
//       = b_t                  otherwise
//   θ_t = θ_{t-1} - η d_t                                                             (4)
//
// With μ = 0 there is no velocity and (4) is θ := θ - η g.
#pragma once

#include <vector>

#include "tinytorch/core/optimizer.hpp"

namespace tinytorch {

struct SGDOptions {
  float momentum = 0.0f;      // μ >= 0
  float weight_decay = 0.0f;  // λ >= 0
  bool nesterov = false;      // needs μ > 0
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> parameters, float learning_rate, SGDOptions options = {});
  SGD(std::vector<Tensor> parameters, float learning_rate, float momentum, float weight_decay = 0.0f,
      bool nesterov = false)
      : SGD(std::move(parameters), learning_rate, SGDOptions{momentum, weight_decay, nesterov}) {}

  const SGDOptions& options() const { return options_; }

 protected:
  void update(std::size_t index, float* param, const float* grad, int64_t count, int64_t step) override;

 private:
  SGDOptions options_;
  std::vector<Tensor> velocity_;  // b per parameter (allocated on its first update when μ > 0)
};

}  // namespace tinytorch
