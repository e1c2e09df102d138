// The gradient checker itself: it must pass a correct backward and *fail* a
// wrong one — otherwise every other gradcheck test could never fail.
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "gradcheck_util.hpp"

using namespace tinytorch;
using tinytorch::grad_test::kGradTolerance;

namespace {

// y = x², with a backward that can be made wrong on purpose.
enum class Mistake { None, WrongFactor, IgnoresGradOutput };

struct SquareBackward : Node {
  Tensor x;
  Mistake mistake = Mistake::None;
  const char* name() const override { return "SquareBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    const float factor = mistake == Mistake::WrongFactor ? 2.1f : 2.0f;   // d(x²)/dx = 2x
    const Tensor local = ops::mul_scalar(x, factor);
    return {mistake == Mistake::IgnoresGradOutput ? local : ops::mul(g, local)};
  }
};

GradcheckFunction square_with(Mistake mistake) {
  return [mistake](const std::vector<Tensor>& in) {
    Tensor y = ops::mul(in[0], in[0]);
    if (auto node = record<SquareBackward>(y, in[0])) {
      node->x = in[0].detach();
      node->mistake = mistake;
    }
    return y;
  };
}

}  // namespace

TINYTORCH_CONCEPT(Gradcheck, "the gradient checker itself: passes a right backward, fails a wrong one",
                  "error = max_j |analytic_j - numeric_j| / max(max_j |analytic_j|, max_j |numeric_j|), "
                  "with F = sum_k r_k f(x)_k, r_k random in [-1, 1]");

TINYTORCH_TEST_FORMULA(Gradcheck, PassesACorrectBackward, "d(x^2)/dx = 2x: the checker's error < 1e-3");
TEST(Gradcheck, PassesACorrectBackward) {
  const GradcheckResult r = gradcheck(square_with(Mistake::None), {grad_test::leaf({3, 5}, -1, 1, 1)});
  EXPECT_LT(r.worst(), kGradTolerance);
}

TINYTORCH_TEST_FORMULA(Gradcheck, CatchesAFivePercentError,
                       "analytic 2.1x vs numeric 2x: error = 0.1 max|x| / (2.1 max|x|) = 0.1 / 2.1 = 0.048 "
                       "(+- 1e-3)");
TEST(Gradcheck, CatchesAFivePercentError) {
  // analytic = 2.1x vs numeric = 2x: error (4) = 0.1|x|max / 2.1|x|max ≈ 0.048.
  const GradcheckResult r = gradcheck(square_with(Mistake::WrongFactor), {grad_test::leaf({3, 5}, -1, 1, 1)});
  EXPECT_NEAR(r.worst(), 0.1 / 2.1, 1e-3);
}

TINYTORCH_TEST_FORMULA(Gradcheck, CatchesABackwardThatIgnoresItsIncomingGradient,
                       "a backward returning 2x instead of g * 2x (with g = r random in [-1, 1]) is off by a "
                       "factor (1 - r): error > 0.1");
TEST(Gradcheck, CatchesABackwardThatIgnoresItsIncomingGradient) {
  // The checker weights outputs by random r in [-1, 1]; a backward returning
  // 2x instead of g * 2x is off by the factor (1 - r).
  const GradcheckResult r = gradcheck(square_with(Mistake::IgnoresGradOutput), {grad_test::leaf({4, 4}, -1, 1, 2)});
  EXPECT_GT(r.worst(), 0.1);
}

TINYTORCH_TEST_FORMULA(Gradcheck, SkipsInputsThatDoNotRequireGrad,
                       "an input without requires_grad is not perturbed and reports error 0; "
                       "no input requiring grad throws ValueError");
TEST(Gradcheck, SkipsInputsThatDoNotRequireGrad) {
  Tensor constant = Tensor::full({3, 5}, 2.0f);  // no requires_grad: not perturbed, error reported as 0
  const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[1]; },
                                      {grad_test::leaf({3, 5}, -1, 1, 3), constant});
  ASSERT_EQ(r.max_relative_error.size(), 2u);
  EXPECT_LT(r.max_relative_error[0], kGradTolerance);
  EXPECT_EQ(r.max_relative_error[1], 0.0);
  EXPECT_THROW(gradcheck([](const std::vector<Tensor>& in) { return in[0] * 2.0f; }, {constant}), ValueError);
}
