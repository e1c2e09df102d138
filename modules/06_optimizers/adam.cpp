// adam.cpp — Module 06: Adam and AdamW (see adam.hpp), and the reference kernel.
#include "tinytorch/core/adam.hpp"

#include <cmath>
#include <cstdlib>
#include <string>
#include <limits>

#include "tinytorch/core/adam_kernels.hpp"
#include "tinytorch/core/cpu_features.hpp"

// No fused multiply-add in the reference either (a build for a CPU with FMA
// could otherwise fuse m·β1 + (1-β1)·g): it must round exactly as the formulas read.
#pragma GCC optimize("fp-contract=off")

namespace tinytorch {

// ---- the kernel -------------------------------------------------------------------------

// param, grad, m, v: (n) contiguous. The specification of every Adam kernel.
void adam_update_f32_ref(const AdamStepScalars& s, float* param, const float* grad, float* m, float* v, int64_t n) {
  // BEGIN SOLUTION
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] + s.l2 * param[i];                           // (1)
    m[i] = s.beta1 * m[i] + s.one_minus_beta1 * g;                       // (2)
    v[i] = s.beta2 * v[i] + s.one_minus_beta2 * (g * g);                 // (3)
    const float denom = std::sqrt(v[i]) / s.bias_correction2_sqrt + s.eps;  // √v̂ + ε, by (5)
    param[i] = param[i] * s.decay - s.step_size * (m[i] / denom);        // (1w), (4), (6)
  }
  // END SOLUTION
}

namespace {

struct ChosenKernel {
  AdamKernel kernel;
  const char* name;
};

// Built ∧ supported by this CPU ∧ not narrowed by TINYTORCH_ADAM_KERNEL.
ChosenKernel choose_kernel() {
  const char* requested = std::getenv("TINYTORCH_ADAM_KERNEL");
  std::string wanted = requested != nullptr ? requested : "";
  if (wanted != "ref" && wanted != "avx2") wanted = "avx512";  // unset or unknown: the widest
  if (wanted == "avx512" && cpu_features().avx512()) return {adam_update_f32_avx512, "avx512"};
  if (wanted != "ref" && cpu_features().avx2) return {adam_update_f32_avx2, "avx2"};
  return {adam_update_f32_ref, "ref"};
}

const ChosenKernel& chosen_kernel() {
  static const ChosenKernel chosen = choose_kernel();  // decided once
  return chosen;
}

}  // namespace

AdamKernel adam_kernel() { return chosen_kernel().kernel; }
const char* adam_kernel_name() { return chosen_kernel().name; }

// ---- the optimizer ----------------------------------------------------------------------

Adam::Adam(std::vector<Tensor> parameters, float learning_rate, AdamOptions options)
    : Adam("Adam", std::move(parameters), learning_rate, options, false) {}

Adam::Adam(const char* name, std::vector<Tensor> parameters, float learning_rate, AdamOptions options,
           bool decoupled_weight_decay)
    : Optimizer(name, std::move(parameters), learning_rate),
      options_(options),
      decoupled_weight_decay_(decoupled_weight_decay) {
  constexpr float kNoLimit = std::numeric_limits<float>::infinity();
  check_hyperparameter(name, "beta1", options.beta1, 0.0f, 1.0f, false);
  check_hyperparameter(name, "beta2", options.beta2, 0.0f, 1.0f, false);
  check_hyperparameter(name, "eps", options.eps, 0.0f, kNoLimit, true);
  check_hyperparameter(name, "weight_decay", options.weight_decay, 0.0f, kNoLimit, true);
  first_moment_.resize(this->parameters().size());
  second_moment_.resize(this->parameters().size());
}

void Adam::update(std::size_t index, float* param, const float* grad, int64_t count, int64_t step) {
  if (!first_moment_[index].defined()) {  // m_0 = v_0 = 0
    first_moment_[index] = Tensor::zeros({count});
    second_moment_[index] = Tensor::zeros({count});
  }
  AdamStepScalars s;
  // BEGIN SOLUTION
  // The step's constants (4), (5), (1)/(1w), in double as PyTorch computes them.
  const double lr = learning_rate(), beta1 = options_.beta1, beta2 = options_.beta2;
  const double weight_decay = options_.weight_decay;
  const double t = static_cast<double>(step);
  s.l2 = decoupled_weight_decay_ ? 0.0f : static_cast<float>(weight_decay);
  s.decay = decoupled_weight_decay_ ? static_cast<float>(1.0 - lr * weight_decay) : 1.0f;
  s.beta1 = options_.beta1;
  s.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  s.beta2 = options_.beta2;
  s.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  s.step_size = static_cast<float>(lr / (1.0 - std::pow(beta1, t)));
  s.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t)));
  s.eps = options_.eps;
  // END SOLUTION
  adam_kernel()(s, param, grad, first_moment_[index].data<float>(), second_moment_[index].data<float>(), count);
}

}  // namespace tinytorch
