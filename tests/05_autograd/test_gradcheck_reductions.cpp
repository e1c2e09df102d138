// Gradients of reductions, views and matmul agree with finite differences.
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "gradcheck_util.hpp"

using namespace tinytorch;
using tinytorch::grad_test::expect_gradients_match;
using tinytorch::grad_test::leaf;

TINYTORCH_CONCEPT(GradcheckReductions, "gradients of reductions, views and matmul against finite differences",
                  "backward's dF/dx_j vs the central difference (F(x_j+) - F(x_j-)) / (x_j+ - x_j-), "
                  "x_j+- = x_j +- h max(1, |x_j|), F = sum_k r_k f(x)_k; "
                  "max_j |analytic - numeric| / max|gradient| < 1e-3 for every input");

TINYTORCH_TEST_FORMULA(GradcheckReductions, SumAndMeanOverEveryAxis,
                       "sum: da = g copied along the reduced axis; mean: da = g / n copied; "
                       "over axes 0, 1, 2, -1, with and without keepdim, "
                       "and over all elements (relative error < 1e-3)");
TEST(GradcheckReductions, SumAndMeanOverEveryAxis) {
  Tensor a = leaf({3, 5, 4}, -1, 1, 51);
  for (int64_t axis : {0, 1, 2, -1}) {
    for (bool keepdim : {false, true}) {
      const std::string tag = " axis " + std::to_string(axis) + (keepdim ? " keepdim" : "");
      expect_gradients_match("sum" + tag,
                             [=](const std::vector<Tensor>& in) { return sum(in[0], axis, keepdim); }, {a});
      expect_gradients_match("mean" + tag,
                             [=](const std::vector<Tensor>& in) { return mean(in[0], axis, keepdim); }, {a});
    }
  }
  expect_gradients_match("sum all", [](const std::vector<Tensor>& in) { return sum(in[0]); }, {a});
  expect_gradients_match("mean all", [](const std::vector<Tensor>& in) { return mean(in[0]); }, {a});
}

TINYTORCH_TEST_FORMULA(GradcheckReductions, MaxOverAxisRoutesToTheArgmax,
                       "max: da = g at the argmax of each line, "
                       "0 elsewhere (distinct values 0.1 apart, so h = 1e-3 never changes the argmax); "
                       "relative error < 1e-3");
TEST(GradcheckReductions, MaxOverAxisRoutesToTheArgmax) {
  // Distinct values 0.1 apart (a permutation), so a step of h = 1e-3 never changes the argmax.
  Generator generator(52);
  std::vector<float> values(3 * 5 * 4);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.1f * static_cast<float>(i) - 3.0f;
  for (std::size_t i = values.size() - 1; i > 0; --i) std::swap(values[i], values[generator.below(i + 1)]);
  Tensor a = Tensor::from_values(values, {3, 5, 4}).set_requires_grad();
  for (int64_t axis : {0, 1, -1}) {
    for (bool keepdim : {false, true}) {
      expect_gradients_match("max axis " + std::to_string(axis) + (keepdim ? " keepdim" : ""),
                             [=](const std::vector<Tensor>& in) { return max(in[0], axis, keepdim); }, {a});
    }
  }
}

TINYTORCH_TEST_FORMULA(GradcheckReductions, ReshapeAndTranspose,
                       "reshape: da = reshape(g, a.shape); transpose: da = transpose(g) with the same two axes; "
                       "matmul(transpose(a), b) sends g back through the view (relative error < 1e-3)");
TEST(GradcheckReductions, ReshapeAndTranspose) {
  Tensor a = leaf({3, 4, 5}, -1, 1, 53);
  expect_gradients_match("reshape (3,4,5)->(12,5)",
                         [](const std::vector<Tensor>& in) { return reshape(in[0], {12, -1}); }, {a});
  expect_gradients_match("transpose(0, 2)", [](const std::vector<Tensor>& in) { return transpose(in[0], 0, 2); },
                         {a});
  expect_gradients_match("Tensor::transpose then * constant",
                         [](const std::vector<Tensor>& in) { return in[0].transpose() * 3.0f; }, {a});
  // A transposed view feeding a matmul: the gradient flows back through the view.
  expect_gradients_match("matmul(transpose(a), b)",
                         [](const std::vector<Tensor>& in) { return matmul(transpose(in[0]), in[1]); },
                         {leaf({4, 3}, -1, 1, 54), leaf({4, 2}, -1, 1, 55)});
}

TINYTORCH_TEST_FORMULA(GradcheckReductions, MatmulOnOddShapes,
                       "C = A @ B: dA = g B^T, dB = A^T g for (M, K, N) in (1,1,1), (1,17,3), (3,17,5), (7,1,9), "
                       "(65,3,2), (5,63,4) (relative error < 1e-3)");
TEST(GradcheckReductions, MatmulOnOddShapes) {
  // (M, K, N): GEMV, a 1x1x1, K not a multiple of any unroll, partial tiles.
  const int64_t shapes[][3] = {{1, 1, 1}, {1, 17, 3}, {3, 17, 5}, {7, 1, 9}, {65, 3, 2}, {5, 63, 4}};
  for (const auto& s : shapes) {
    Tensor a = leaf({s[0], s[1]}, -1, 1, 60 + static_cast<uint64_t>(s[1]));
    Tensor b = leaf({s[1], s[2]}, -1, 1, 70 + static_cast<uint64_t>(s[2]));
    expect_gradients_match("matmul " + shape_str(a.shape()) + " @ " + shape_str(b.shape()),
                           [](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }, {a, b});
  }
}
