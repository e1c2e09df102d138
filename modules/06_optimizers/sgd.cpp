// sgd.cpp — Module 06: the SGD update, equations (1)-(4) of sgd.hpp.
#include "tinytorch/core/sgd.hpp"

#include <limits>

namespace tinytorch {

SGD::SGD(std::vector<Tensor> parameters, float learning_rate, SGDOptions options)
    : Optimizer("SGD", std::move(parameters), learning_rate), options_(options) {
  constexpr float kNoLimit = std::numeric_limits<float>::infinity();
  check_hyperparameter("SGD", "momentum", options.momentum, 0.0f, kNoLimit, true);
  check_hyperparameter("SGD", "weight_decay", options.weight_decay, 0.0f, kNoLimit, true);
  if (options.nesterov && options.momentum <= 0.0f) {
    throw ValueError("SGD: nesterov = true needs momentum > 0 (got momentum = " +
                     std::to_string(options.momentum) + ")");
  }
  velocity_.resize(this->parameters().size());
}

// param, grad, velocity: (count) contiguous.
void SGD::update(std::size_t index, float* param, const float* grad, int64_t count, int64_t /*step*/) {
  const float mu = options_.momentum;
  if (mu == 0.0f) {
    // BEGIN SOLUTION
    const float lr = learning_rate(), lambda = options_.weight_decay;
    for (int64_t i = 0; i < count; ++i) param[i] -= lr * (grad[i] + lambda * param[i]);  // (1), (4)
    // END SOLUTION
    return;
  }
  const bool first_step = !velocity_[index].defined();
  if (first_step) velocity_[index] = Tensor::empty({count});
  // BEGIN SOLUTION
  const float lr = learning_rate(), lambda = options_.weight_decay;
  float* b = velocity_[index].data<float>();
  const bool nesterov = options_.nesterov;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i] + lambda * param[i];         // (1)
    b[i] = first_step ? g : mu * b[i] + g;               // (2)
    const float direction = nesterov ? g + mu * b[i] : b[i];  // (3)
    param[i] -= lr * direction;                          // (4)
  }
  // END SOLUTION
}

}  // namespace tinytorch
