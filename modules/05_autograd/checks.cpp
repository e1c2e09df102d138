// checks.cpp — Module 05's inline checks: run these first while you write the backward passes.
#include <cmath>

#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/gradcheck.hpp"
#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("05_autograd", {
    {"y = x*x + 3x at x = 2: dy/dx = 2x + 3 = 7", [] {
       Tensor x = Tensor::scalar(2).set_requires_grad();
       Tensor y = x * x + x * 3.0f;
       y.backward();
       expect_near(x.grad().item(), 7, 1e-6, "d(x^2 + 3x)/dx");
     }},
    {"the graph records its operations: grad_fn(y)->name()", [] {
       Tensor a = Tensor::ones({2, 2}).set_requires_grad();
       Tensor y = matmul(a, a);
       expect(grad_fn(y) != nullptr && std::string(grad_fn(y)->name()) == "MatMulBackward", "MatMulBackward");
       expect(is_leaf(a) && !is_leaf(y), "a is a leaf, y is not");
     }},
    {"sum(a * b): da = b, db = a", [] {
       Tensor a = Tensor::from_values({1, 2, 3}).set_requires_grad();
       Tensor b = Tensor::from_values({4, 5, 6}).set_requires_grad();
       sum(a * b).backward();
       expect(a.grad().to_vector() == std::vector<float>{4, 5, 6}, "da = b");
       expect(b.grad().to_vector() == std::vector<float>{1, 2, 3}, "db = a");
     }},
    {"broadcast (2,1) + (3): the (2,1) input's gradient sums 3 ones per row", [] {
       Tensor a = Tensor::zeros({2, 1}).set_requires_grad();
       Tensor b = Tensor::zeros({3}).set_requires_grad();
       sum(a + b).backward();
       expect(a.grad().to_vector() == std::vector<float>{3, 3}, "sum over the broadcast axis");
       expect(b.grad().to_vector() == std::vector<float>{2, 2, 2}, "sum over the missing leading axis");
     }},
    {"cross_entropy gradient = (softmax - onehot) / B", [] {
       Tensor z = Tensor::zeros({1, 2}).set_requires_grad();
       cross_entropy(z, Tensor::from_int32({0}, {1})).backward();
       expect(z.grad().to_vector() == std::vector<float>{-0.5f, 0.5f}, "softmax(0,0) = (1/2, 1/2)");
     }},
    {"NoGradGuard records nothing", [] {
       Tensor x = Tensor::ones({2}).set_requires_grad();
       NoGradGuard no_grad;
       expect(!(x * 2.0f).requires_grad(), "no graph under NoGradGuard");
     }},
    {"gradcheck: tanh(x) @ w agrees with finite differences", [] {
       Tensor x = Tensor::uniform({3, 4}, -1, 1).set_requires_grad();
       Tensor w = Tensor::uniform({4, 2}, -1, 1).set_requires_grad();
       const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return matmul(tanh(in[0]), in[1]); },
                                           {x, w});
       expect(r.worst() < 1e-3, "max relative error " + std::to_string(r.worst()) + " < 1e-3");
     }},
  });
}
