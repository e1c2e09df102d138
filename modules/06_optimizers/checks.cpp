// checks.cpp — Module 06's inline checks: run these first while you write the optimizers.
#include <cmath>

#include "tinytorch/core/adam.hpp"
#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/sgd.hpp"

using namespace tinytorch;
using inline_checks::expect_near;

namespace {
// A parameter θ = value with a hand-set gradient dL/dθ = grad.
Tensor parameter_with_grad(float value, float grad) {
  Tensor theta = Tensor::from_values({value});
  theta.set_requires_grad(true);
  sum(theta * grad).backward();  // d(grad·θ)/dθ = grad
  return theta;
}
}  // namespace

int main() {
  return inline_checks::run("06_optimizers", {
    {"SGD(lr 0.1): θ = 1, g = 2 -> θ = 1 - 0.1·2 = 0.8", [] {
       Tensor theta = parameter_with_grad(1.0f, 2.0f);
       SGD sgd({theta}, 0.1f);
       sgd.step();
       expect_near(theta.item(), 0.8, 1e-7, "θ - η g");
     }},
    {"SGD momentum 0.9, constant g = 1, lr 0.1: steps move 0.1 then 0.19", [] {
       Tensor theta = parameter_with_grad(0.0f, 1.0f);
       SGD sgd({theta}, 0.1f, 0.9f);
       sgd.step();  // b = g = 1
       expect_near(theta.item(), -0.1, 1e-7, "θ1 = -η b1 = -0.1");
       sgd.step();  // b = 0.9·1 + 1 = 1.9
       expect_near(theta.item(), -0.29, 1e-6, "θ2 = θ1 - η (μ b1 + g) = -0.1 - 0.19");
     }},
    {"Adam's first step moves every parameter by η·g/(|g| + ε) ≈ η·sign(g)", [] {
       Tensor theta = parameter_with_grad(1.0f, -5.0f);
       Adam adam({theta}, 0.01f);
       adam.step();  // m̂ = g, v̂ = g² -> Δ = -η g / (|g| + ε)
       expect_near(theta.item(), 1.0 + 0.01, 1e-6, "θ1 = θ0 + η for a negative gradient");
     }},
    {"AdamW(λ 0.1, lr 0.01) with g = 0 only decays: θ = 2 · (1 - 0.001)", [] {
       Tensor theta = parameter_with_grad(2.0f, 0.0f);
       AdamW adamw({theta}, 0.01f, AdamOptions{0.9f, 0.999f, 1e-8f, 0.1f});
       adamw.step();
       expect_near(theta.item(), 2.0 * (1.0 - 0.01 * 0.1), 1e-6, "θ (1 - ηλ), then m = 0 moves nothing");
     }},
  });
}
