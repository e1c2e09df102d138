// Every element-wise operation's gradient agrees with central finite
// differences (gradcheck.hpp), on odd shapes and with broadcasting.
#include <gtest/gtest.h>

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

TEST(GradcheckElementwise, OnlyOneSideRequiresGrad) {
  // The constant side gets no gradient; the other must still be right.
  Tensor a = leaf({3, 1}, -1, 1, 13);
  Tensor b = leaf({1, 4}, 0.5f, 1.5f, 15).detach();
  expect_gradients_match("mul, b constant", [](const std::vector<Tensor>& in) { return in[0] * in[1]; }, {a, b});
  expect_gradients_match("div, a constant", [](const std::vector<Tensor>& in) { return in[0] / in[1]; },
                         {b.clone(), leaf({3, 1}, 0.5f, 1.5f, 14)});
}

TEST(GradcheckElementwise, ScalarForms) {
  Tensor a = leaf({5, 3}, -1, 1, 21);
  expect_gradients_match("a + 2.5", [](const std::vector<Tensor>& in) { return in[0] + 2.5f; }, {a});
  expect_gradients_match("a - 2.5", [](const std::vector<Tensor>& in) { return in[0] - 2.5f; }, {a});
  expect_gradients_match("a * -1.75", [](const std::vector<Tensor>& in) { return in[0] * -1.75f; }, {a});
  expect_gradients_match("-1.75 * a", [](const std::vector<Tensor>& in) { return -1.75f * in[0]; }, {a});
  expect_gradients_match("a / 3", [](const std::vector<Tensor>& in) { return in[0] / 3.0f; }, {a});
  expect_gradients_match("-a", [](const std::vector<Tensor>& in) { return -in[0]; }, {a});
}

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

TEST(GradcheckElementwise, CompositeExpression) {
  // f(a, b) = exp(a * b) / (1 + b²) - a: several nodes, a used twice.
  expect_gradients_match("exp(a*b)/(1+b^2) - a",
                         [](const std::vector<Tensor>& in) {
                           return exp(in[0] * in[1]) / (pow(in[1], 2.0f) + 1.0f) - in[0];
                         },
                         {leaf({3, 4}, -1, 1, 41), leaf({4}, -1, 1, 42)});
}
