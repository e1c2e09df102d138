// Gradients of small cases worked out by hand: the formulas a student can
// check on paper, complementing the finite-difference tests.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;

namespace {
constexpr float kTolerance = 1e-6f;

void expect_values_near(const Tensor& t, const std::vector<float>& expected, const char* formula) {
  const std::vector<float> actual = t.to_vector();
  ASSERT_EQ(actual.size(), expected.size()) << formula;
  for (std::size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], kTolerance) << formula << " [" << i << "]";
}
}  // namespace

TINYTORCH_CONCEPT(BackwardValues, "gradients of small cases worked out by hand",
                  "chain rule: dL/dx = (dy/dx)^T dL/dy, summed over every use of x; "
                  "each node multiplies g = dL/dy by its local derivative (within 1e-6)");

TINYTORCH_TEST_FORMULA(BackwardValues, PolynomialChainRule,
                       "y = (x^2 + 3x)^3, u = x^2 + 3x: dy/dx = 3u^2 (2x + 3); at x = 1, u = 4: 3 * 16 * 5 = 240");
TEST(BackwardValues, PolynomialChainRule) {
  // y = (x² + 3x)³ at x = 1: u = 4, dy/dx = 3u² (2x + 3) = 3·16·5 = 240
  Tensor x = Tensor::scalar(1).set_requires_grad();
  Tensor y = pow(x * x + x * 3.0f, 3.0f);
  y.backward();
  EXPECT_NEAR(x.grad().item(), 240.0f, 1e-4f);
}

TINYTORCH_TEST_FORMULA(BackwardValues, MatmulGradientsAreGTimesTransposes,
                       "L = sum(A @ B), g = ones: dA = g B^T, dA[i,k] = sum_j B[k,j] = (11, 15); "
                       "dB = A^T g, dB[k,j] = sum_i A[i,k] = (4, 6)");
TEST(BackwardValues, MatmulGradientsAreGTimesTransposes) {
  // L = Σ (A @ B): g = ones(2,2), dA = g Bᵀ (row sums of B), dB = Aᵀ g (column sums of A)
  Tensor a = Tensor::from_values({1, 2, 3, 4}, {2, 2}).set_requires_grad();
  Tensor b = Tensor::from_values({5, 6, 7, 8}, {2, 2}).set_requires_grad();
  sum(matmul(a, b)).backward();
  expect_values_near(a.grad(), {11, 15, 11, 15}, "dA[i,k] = Σ_j B[k,j]");
  expect_values_near(b.grad(), {4, 4, 6, 6}, "dB[k,j] = Σ_i A[i,k]");
}

TINYTORCH_TEST_FORMULA(BackwardValues, BroadcastGradientsSumOverTheBroadcastAxes,
                       "y = a(3,1) * b(4), L = sum y: da = sum_to_shape(g * b), da[i] = sum_j b[j] = 10; "
                       "db = sum_to_shape(g * a), db[j] = sum_i a[i] = 6");
TEST(BackwardValues, BroadcastGradientsSumOverTheBroadcastAxes) {
  // y = a(3,1) * b(4), L = Σ y: da[i] = Σ_j b[j] = 10, db[j] = Σ_i a[i] = 6
  Tensor a = Tensor::from_values({1, 2, 3}, {3, 1}).set_requires_grad();
  Tensor b = Tensor::from_values({1, 2, 3, 4}).set_requires_grad();
  sum(a * b).backward();
  expect_values_near(a.grad(), {10, 10, 10}, "da = sum_to_shape(g * b)");
  expect_values_near(b.grad(), {6, 6, 6, 6}, "db = sum_to_shape(g * a)");
}

TINYTORCH_TEST_FORMULA(BackwardValues, MaxSendsTheGradientToTheFirstMaximum,
                       "d max_j a[i, j] / da[i, j] = 1 at the first maximum (the argmax), "
                       "0 elsewhere: row (1, 5, 5) with g = 2 -> (0, 2, 0); "
                       "row (4, 2, 0) with g = 3 -> (3, 0, 0)");
TEST(BackwardValues, MaxSendsTheGradientToTheFirstMaximum) {
  // Row 0 = (1, 5, 5): the first 5 (column 1) gets the gradient, as ops::argmax picks it.
  Tensor a = Tensor::from_values({1, 5, 5, 4, 2, 0}, {2, 3}).set_requires_grad();
  sum(max(a, 1) * Tensor::from_values({2, 3})).backward();
  expect_values_near(a.grad(), {0, 2, 0, 3, 0, 0}, "g at argmax, 0 elsewhere");
}

TINYTORCH_TEST_FORMULA(BackwardValues, MeanSpreadsOneOverN,
                       "d mean(a) / da = 1/N = 1/8 for every element; mean over axis 0 (2 rows): 1/2 each");
TEST(BackwardValues, MeanSpreadsOneOverN) {
  Tensor a = Tensor::ones({2, 4}).set_requires_grad();
  mean(a).backward();
  expect_values_near(a.grad(), std::vector<float>(8, 1.0f / 8), "d mean / da = 1/N");
  a.zero_grad();
  sum(mean(a, 0, true)).backward();
  expect_values_near(a.grad(), std::vector<float>(8, 0.5f), "mean over 2 rows: 1/2 each");
}

TINYTORCH_TEST_FORMULA(BackwardValues, ReluPassesGradientOnlyWherePositive,
                       "d relu(x)/dx = [x > 0] (0 at the kink x = 0): g = (10, 20, 30, 40) at x = (-1, 0, 2, 3) "
                       "-> (0, 0, 30, 40)");
TEST(BackwardValues, ReluPassesGradientOnlyWherePositive) {
  Tensor x = Tensor::from_values({-1, 0, 2, 3}).set_requires_grad();
  sum(relu(x) * Tensor::from_values({10, 20, 30, 40})).backward();
  expect_values_near(x.grad(), {0, 0, 30, 40}, "g · [x > 0] (0 at the kink)");
}

TINYTORCH_TEST_FORMULA(BackwardValues, SigmoidAndTanhDerivatives,
                       "at x = 0: sigmoid' = s(1 - s) = 1/4; tanh' = 1 - tanh^2 = 1; "
                       "gelu' = Phi(x) + x phi(x) = 1/2");
TEST(BackwardValues, SigmoidAndTanhDerivatives) {
  Tensor x = Tensor::scalar(0).set_requires_grad();
  sigmoid(x).backward();
  EXPECT_NEAR(x.grad().item(), 0.25f, kTolerance);  // σ(0)(1 - σ(0)) = 1/4
  x.zero_grad();
  tanh(x).backward();
  EXPECT_NEAR(x.grad().item(), 1.0f, kTolerance);  // 1 - tanh²(0) = 1
  x.zero_grad();
  gelu(x).backward();
  EXPECT_NEAR(x.grad().item(), 0.5f, kTolerance);  // Φ(0) + 0·φ(0) = 1/2
}

TINYTORCH_TEST_FORMULA(BackwardValues, SoftmaxOfUniformRow,
                       "dx_j = y_j (g_j - sum_i g_i y_i): y = (1/2, 1/2), "
                       "g = (1, 0) -> (1/2 (1 - 1/2), 1/2 (0 - 1/2)) = (1/4, -1/4)");
TEST(BackwardValues, SoftmaxOfUniformRow) {
  // softmax(0, 0) = (1/2, 1/2). L = p0: dL/dx = p0 (δ - p) = (1/4, -1/4)
  Tensor x = Tensor::zeros({1, 2}).set_requires_grad();
  sum(softmax(x) * Tensor::from_values({1, 0}, {1, 2})).backward();
  expect_values_near(x.grad(), {0.25f, -0.25f}, "y_j (g_j - Σ g_i y_i)");
}

TINYTORCH_TEST_FORMULA(BackwardValues, CrossEntropyGradientIsSoftmaxMinusOneHotOverB,
                       "dz = (softmax(z) - onehot(y)) / B: ((1/4, 3/4) - (0, 1), (1/2, 1/2) - (1, 0)) / 2 = "
                       "((1/8, -1/8), (-1/4, 1/4))");
TEST(BackwardValues, CrossEntropyGradientIsSoftmaxMinusOneHotOverB) {
  // z = [[0, ln 3], [0, 0]], labels (1, 0): softmax rows (1/4, 3/4), (1/2, 1/2)
  // dz = ((1/4, 3/4) - (0, 1), (1/2, 1/2) - (1, 0)) / 2 = ((1/8, -1/8), (-1/4, 1/4))
  Tensor z = Tensor::from_values({0, std::log(3.0f), 0, 0}, {2, 2}).set_requires_grad();
  cross_entropy(z, Tensor::from_int32({1, 0}, {2})).backward();
  expect_values_near(z.grad(), {0.125f, -0.125f, -0.25f, 0.25f}, "(softmax - onehot) / B");
}

TINYTORCH_TEST_FORMULA(BackwardValues, MseGradientIsTwoDiffOverN,
                       "L = (1/N) sum (p - t)^2: dp = 2 (p - t) / N = (2, 0), dt = -2 (p - t) / N = (-2, 0)");
TEST(BackwardValues, MseGradientIsTwoDiffOverN) {
  Tensor p = Tensor::from_values({3, 1}).set_requires_grad();
  Tensor t = Tensor::from_values({1, 1}).set_requires_grad();
  mse_loss(p, t).backward();
  expect_values_near(p.grad(), {2, 0}, "2 (p - t) / N");
  expect_values_near(t.grad(), {-2, 0}, "-2 (p - t) / N");
}

TINYTORCH_TEST_FORMULA(BackwardValues, LinearGradients,
                       "y = x W^T + b = [[8, 24], [8, 33]]; L = sum y, "
                       "g = ones: dx = g W (rows = column sums of W = (3, 1, -1)), "
                       "dW = g^T x (rows = column sums of x = (5, 7, 9)), db = sum over rows of g = (2, 2)");
TEST(BackwardValues, LinearGradients) {
  // x (2,3), W (2,3), b (2), L = Σ y so g = ones(2,2):
  //   dx = g W  -> every row = column sums of W = (1+2, 0+1, -1+0) = (3, 1, -1)
  //   dW = gᵀ x -> every row = column sums of x = (1+4, 2+5, 3+6) = (5, 7, 9)
  //   db = Σ_rows g = (2, 2)
  Tensor x = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad();
  Tensor w = Tensor::from_values({1, 0, -1, 2, 1, 0}, {2, 3}).set_requires_grad();
  Tensor b = Tensor::from_values({10, 20}).set_requires_grad();
  Tensor y = linear(x, w, b);
  // Forward: y = x Wᵀ + b = [[1-3+10, 2+2+20], [4-6+10, 8+5+20]] = [[8, 24], [8, 33]]
  expect_values_near(y, {8, 24, 8, 33}, "x Wᵀ + b");
  sum(y).backward();
  expect_values_near(x.grad(), {3, 1, -1, 3, 1, -1}, "dx = g W: column sums of W");
  expect_values_near(w.grad(), {5, 7, 9, 5, 7, 9}, "dW = gᵀ x: column sums of x");
  expect_values_near(b.grad(), {2, 2}, "db = Σ_rows g");
}
