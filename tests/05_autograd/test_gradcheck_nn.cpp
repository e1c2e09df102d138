// Gradients of the activations, losses and linear layer agree with finite
// differences — including linear without bias and with an input that needs no gradient.
#include <gtest/gtest.h>

#include <cmath>

#include "concepts.hpp"
#include "gradcheck_util.hpp"
#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/losses.hpp"

using namespace tinytorch;
using tinytorch::grad_test::expect_gradients_match;
using tinytorch::grad_test::kLossStep;
using tinytorch::grad_test::leaf;
using tinytorch::grad_test::leaf_away_from_zero;

TINYTORCH_CONCEPT(GradcheckActivations, "activation gradients against finite differences",
                  "backward's dF/dx_j vs the central difference (F(x_j+) - F(x_j-)) / (x_j+ - x_j-), "
                  "x_j+- = x_j +- h max(1, |x_j|), F = sum_k r_k f(x)_k; "
                  "max_j |analytic - numeric| / max|gradient| < 1e-3 for every input");

TINYTORCH_TEST_FORMULA(GradcheckActivations, ElementWise,
                       "relu' = [x > 0] (inputs kept away from 0), sigmoid' = s(1 - s), tanh' = 1 - tanh^2, "
                       "gelu' = Phi(x) + x phi(x); relative error < 1e-3");
TEST(GradcheckActivations, ElementWise) {
  expect_gradients_match("relu (inputs away from the kink)", [](const std::vector<Tensor>& in) { return relu(in[0]); },
                         {leaf_away_from_zero({5, 13}, 81)});
  expect_gradients_match("sigmoid", [](const std::vector<Tensor>& in) { return sigmoid(in[0]); },
                         {leaf({5, 13}, -4, 4, 82)});
  expect_gradients_match("tanh", [](const std::vector<Tensor>& in) { return tanh(in[0]); },
                         {leaf({5, 13}, -2, 2, 83)});
  expect_gradients_match("gelu", [](const std::vector<Tensor>& in) { return gelu(in[0]); },
                         {leaf({5, 13}, -3, 3, 84)});
}

TINYTORCH_TEST_FORMULA(GradcheckActivations, SoftmaxAndLogSoftmaxAlongEachAxis,
                       "softmax: dx_j = y_j (g_j - sum_i g_i y_i); "
                       "log_softmax: dx_j = g_j - softmax_j sum_i g_i; "
                       "along axes -1, 0 and 1 (relative error < 1e-3)");
TEST(GradcheckActivations, SoftmaxAndLogSoftmaxAlongEachAxis) {
  Tensor x = leaf({4, 7, 3}, -2, 2, 85);
  for (int64_t axis : {-1, 0, 1}) {
    expect_gradients_match("softmax axis " + std::to_string(axis),
                           [axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {x});
    expect_gradients_match("log_softmax axis " + std::to_string(axis),
                           [axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); }, {x});
  }
}

TINYTORCH_CONCEPT(GradcheckLosses, "loss gradients against finite differences (step h = 1e-2 for mean losses)",
                  "backward's dF/dx_j vs the central difference (F(x_j+) - F(x_j-)) / (x_j+ - x_j-), "
                  "x_j+- = x_j +- h max(1, |x_j|), F = sum_k r_k f(x)_k; "
                  "max_j |analytic - numeric| / max|gradient| < 1e-3 for every input");

TINYTORCH_TEST_FORMULA(GradcheckLosses, MeanSquaredErrorBothInputs,
                       "L = (1/N) sum (p - t)^2: dp = 2 (p - t) / N, "
                       "dt = -2 (p - t) / N (h = 1e-2, relative error < 1e-3)");
TEST(GradcheckLosses, MeanSquaredErrorBothInputs) {
  expect_gradients_match("mse_loss (pred and target)",
                         [](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1]); },
                         {leaf({17, 3}, -1, 1, 91), leaf({17, 3}, -1, 1, 92)}, kLossStep);
}

TINYTORCH_TEST_FORMULA(GradcheckLosses, CrossEntropyOnOddShapes,
                       "dz = (softmax(z) - onehot(y)) / B for (B, C) in (1,1), (1,10), (7,3), "
                       "(17,10) (h = 1e-2, relative error < 1e-3)");
TEST(GradcheckLosses, CrossEntropyOnOddShapes) {
  for (const auto& [batch, classes] : {std::pair<int64_t, int64_t>{1, 1}, {1, 10}, {7, 3}, {17, 10}}) {
    std::vector<int32_t> labels;
    for (int64_t b = 0; b < batch; ++b) labels.push_back(static_cast<int32_t>((b * 7 + 3) % classes));
    expect_gradients_match("cross_entropy " + shape_str({batch, classes}),
                           [](const std::vector<Tensor>& in) { return cross_entropy(in[0], in[1]); },
                           {leaf({batch, classes}, -3, 3, 93), Tensor::from_int32(labels, {batch})}, kLossStep);
  }
}

TINYTORCH_TEST_FORMULA(GradcheckLosses, BinaryCrossEntropyBothInputs,
                       "dp = (p - t) / (p (1 - p)) / N, dt = (log(1 - p) - log p) / N, "
                       "p in [0.1, 0.9] inside the clamp (h = 1e-3, relative error < 1e-3)");
TEST(GradcheckLosses, BinaryCrossEntropyBothInputs) {
  // probs in [0.1, 0.9]: inside the clamp, where the formula is smooth. The
  // default step, not kLossStep: log p curves sharply near 0 (d³/dp³ log p =
  // 2/p³), so the O(h²) truncation error of a 1e-2 step would exceed 1e-3 there.
  expect_gradients_match("binary_cross_entropy (probs and targets)",
                         [](const std::vector<Tensor>& in) { return binary_cross_entropy(in[0], in[1]); },
                         {leaf({5, 3}, 0.1f, 0.9f, 94), leaf({5, 3}, 0, 1, 95)});
}

TINYTORCH_CONCEPT(GradcheckLinear, "linear-layer gradients against finite differences",
                  "backward's dF/dx_j vs the central difference (F(x_j+) - F(x_j-)) / (x_j+ - x_j-), "
                  "x_j+- = x_j +- h max(1, |x_j|), F = sum_k r_k f(x)_k; "
                  "max_j |analytic - numeric| / max|gradient| < 1e-3 for every input");

TINYTORCH_TEST_FORMULA(GradcheckLinear, WithAndWithoutBiasOnOddShapes,
                       "y = x W^T + b: dx = g W, dW = g^T x, db = sum over rows of g; "
                       "with bias, without, and with x constant, for (B, in, out) in (1,1,1), (3,17,5), "
                       "(65,3,2), (4,63,10) (relative error < 1e-3)");
TEST(GradcheckLinear, WithAndWithoutBiasOnOddShapes) {
  // (B, in, out)
  const int64_t shapes[][3] = {{1, 1, 1}, {3, 17, 5}, {65, 3, 2}, {4, 63, 10}};
  for (const auto& s : shapes) {
    const std::string tag = " x" + shape_str({s[0], s[1]}) + " W" + shape_str({s[2], s[1]});
    Tensor x = leaf({s[0], s[1]}, -1, 1, 101), w = leaf({s[2], s[1]}, -1, 1, 102), b = leaf({s[2]}, -1, 1, 103);
    expect_gradients_match("linear with bias" + tag,
                           [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
    expect_gradients_match("linear without bias" + tag,
                           [](const std::vector<Tensor>& in) { return linear(in[0], in[1], Tensor()); }, {x, w});
    expect_gradients_match("linear, x constant" + tag,
                           [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); },
                           {x.detach(), w, b});
  }
}

TINYTORCH_TEST_FORMULA(GradcheckLinear, TwoLayerPerceptronWithCrossEntropy,
                       "L = cross_entropy(linear(relu(linear(x, W1, b1)), W2, b2), y): the chain rule through "
                       "the whole MLP, every pre-activation farther than h from relu's kink "
                       "(h = 1e-2, relative error < 1e-3)");
TEST(GradcheckLinear, TwoLayerPerceptronWithCrossEntropy) {
  // The milestone's model in miniature: linear -> relu -> linear -> cross_entropy.
  Tensor x = leaf({5, 6}, -1, 1, 110).detach();  // the data: no gradient
  Tensor labels = Tensor::from_int32({0, 2, 1, 3, 2}, {5});
  Tensor w1 = leaf({8, 6}, -1, 1, 111), b1 = leaf({8}, -0.5f, 0.5f, 112);
  Tensor w2 = leaf({4, 8}, -1, 1, 113), b2 = leaf({4}, -0.5f, 0.5f, 114);
  // relu's kink: every pre-activation must be farther from 0 than a step can
  // move it (h·|x_k| <= h = kLossStep, as |x|, |w| < 1), or the finite
  // difference straddles the kink. Checked, not hoped for.
  float closest = 1e9f;
  for (float v : linear(x, w1.detach(), b1.detach()).to_vector()) closest = std::min(closest, std::fabs(v));
  ASSERT_GT(closest, kLossStep) << "pick another seed: a pre-activation is within one step of relu's kink";
  expect_gradients_match("mlp 6-8-4 + cross_entropy",
                         [](const std::vector<Tensor>& in) {
                           Tensor hidden = relu(linear(in[0], in[1], in[2]));
                           return cross_entropy(linear(hidden, in[3], in[4]), in[5]);
                         },
                         {x, w1, b1, w2, b2, labels}, kLossStep);
}
