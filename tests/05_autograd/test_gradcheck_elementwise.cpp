// Every element-wise operation's gradient agrees with central finite
// differences (gradcheck.hpp), on odd shapes and with broadcasting.
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "gradcheck_util.hpp"

using namespace tinytorch;
using tinytorch::grad_test::expect_gradients_match;
using tinytorch::grad_test::leaf;

namespace {

using Binary = Tensor (*)(const Tensor&, const Tensor&);
struct BinaryCase {
  const char* name;
  Binary op;
};
const BinaryCase kBinaryOps[] = {
    {"add", [](const Tensor& a, const Tensor& b) { return a + b; }},
    {"sub", [](const Tensor& a, const Tensor& b) { return a - b; }},
    {"mul", [](const Tensor& a, const Tensor& b) { return a * b; }},
    {"div", [](const Tensor& a, const Tensor& b) { return a / b; }},
};

// Shapes (a, b): same shape, column + row, (B,N) + (N), scalar-shaped, 3-D.
struct ShapePair {
  Shape a, b;
};
const ShapePair kShapePairs[] = {
    {{3, 5}, {3, 5}},  {{3, 1}, {1, 4}}, {{17, 7}, {7}},   {{7}, {17, 7}},
    {{1}, {5, 3}},     {{}, {2, 3}},     {{2, 1, 5}, {3, 1}}, {{1, 1}, {1, 1}},
};

}  // namespace

TINYTORCH_CONCEPT(GradcheckElementwise, "element-wise gradients against finite differences, with broadcasting",
                  "backward's dF/dx_j vs the central difference (F(x_j+) - F(x_j-)) / (x_j+ - x_j-), "
                  "x_j+- = x_j +- h max(1, |x_j|), F = sum_k r_k f(x)_k; "
                  "max_j |analytic - numeric| / max|gradient| < 1e-3 for every input");

TINYTORCH_TEST_FORMULA(GradcheckElementwise, BinaryOpsWithBroadcasting,
                       "d(a+b) = (g, g), d(a-b) = (g, -g), d(a*b) = (g b, g a), d(a/b) = (g / b, -g a / b^2), "
                       "each summed back to its input's shape (sum_to_shape); relative error < 1e-3");
TEST(GradcheckElementwise, BinaryOpsWithBroadcasting) {
  for (const BinaryCase& op : kBinaryOps) {
    for (const ShapePair& shapes : kShapePairs) {
      // b in [0.5, 1.5]: away from 0 so that a / b stays smooth.
      Tensor a = leaf(shapes.a, -1, 1, 11), b = leaf(shapes.b, 0.5f, 1.5f, 12);
      const Binary f = op.op;
      expect_gradients_match(std::string(op.name) + " " + shape_str(shapes.a) + " " + shape_str(shapes.b),
                             [f](const std::vector<Tensor>& in) { return f(in[0], in[1]); }, {a, b});
    }
  }
}

TINYTORCH_TEST_FORMULA(GradcheckElementwise, OnlyOneSideRequiresGrad,
                       "the constant side gets no gradient; the other side's d(a*b)/da = g b, "
                       "d(a/b)/db = -g a / b^2 still match finite differences (< 1e-3)");
TEST(GradcheckElementwise, OnlyOneSideRequiresGrad) {
  // The constant side gets no gradient; the other must still be right.
  Tensor a = leaf({3, 1}, -1, 1, 13);
  Tensor b = leaf({1, 4}, 0.5f, 1.5f, 15).detach();
  expect_gradients_match("mul, b constant", [](const std::vector<Tensor>& in) { return in[0] * in[1]; }, {a, b});
  expect_gradients_match("div, a constant", [](const std::vector<Tensor>& in) { return in[0] / in[1]; },
                         {b.clone(), leaf({3, 1}, 0.5f, 1.5f, 14)});
}

TINYTORCH_TEST_FORMULA(GradcheckElementwise, ScalarForms,
                       "d(a + s) = d(a - s) = g, d(a * s) = d(s * a) = s g, d(a / s) = g / s, "
                       "d(-a) = -g (relative error < 1e-3)");
TEST(GradcheckElementwise, ScalarForms) {
  Tensor a = leaf({5, 3}, -1, 1, 21);
  expect_gradients_match("a + 2.5", [](const std::vector<Tensor>& in) { return in[0] + 2.5f; }, {a});
  expect_gradients_match("a - 2.5", [](const std::vector<Tensor>& in) { return in[0] - 2.5f; }, {a});
  expect_gradients_match("a * -1.75", [](const std::vector<Tensor>& in) { return in[0] * -1.75f; }, {a});
  expect_gradients_match("-1.75 * a", [](const std::vector<Tensor>& in) { return -1.75f * in[0]; }, {a});
  expect_gradients_match("a / 3", [](const std::vector<Tensor>& in) { return in[0] / 3.0f; }, {a});
  expect_gradients_match("-a", [](const std::vector<Tensor>& in) { return -in[0]; }, {a});
}

TINYTORCH_TEST_FORMULA(GradcheckElementwise, UnaryMath,
                       "d e^a = g e^a, d log a = g / a, d sqrt(a) = g / (2 sqrt(a)), "
                       "d a^p = g p a^(p-1) for p in {2, 3, 0.5, -1.5} (relative error < 1e-3)");
TEST(GradcheckElementwise, UnaryMath) {
  expect_gradients_match("exp", [](const std::vector<Tensor>& in) { return exp(in[0]); }, {leaf({4, 7}, -2, 1, 31)});
  expect_gradients_match("log", [](const std::vector<Tensor>& in) { return log(in[0]); },
                         {leaf({4, 7}, 0.5f, 3, 32)});
  expect_gradients_match("sqrt", [](const std::vector<Tensor>& in) { return sqrt(in[0]); },
                         {leaf({4, 7}, 0.5f, 3, 33)});
  for (float exponent : {2.0f, 3.0f, 0.5f, -1.5f}) {
    expect_gradients_match("pow " + std::to_string(exponent),
                           [exponent](const std::vector<Tensor>& in) { return pow(in[0], exponent); },
                           {leaf({17}, 0.5f, 2, 34)});
  }
}

TINYTORCH_TEST_FORMULA(GradcheckElementwise, CompositeExpression,
                       "f(a, b) = exp(a b) / (1 + b^2) - a: the chain rule through several nodes, "
                       "a used twice (its two contributions add); relative error < 1e-3");
TEST(GradcheckElementwise, CompositeExpression) {
  // f(a, b) = exp(a * b) / (1 + b²) - a: several nodes, a used twice.
  expect_gradients_match("exp(a*b)/(1+b^2) - a",
                         [](const std::vector<Tensor>& in) {
                           return exp(in[0] * in[1]) / (pow(in[1], 2.0f) + 1.0f) - in[0];
                         },
                         {leaf({3, 4}, -1, 1, 41), leaf({4}, -1, 1, 42)});
}
