// gradcheck.cpp — central finite differences against autograd (see gradcheck.hpp).
#include "tinytorch/core/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "tinytorch/core/autograd.hpp"

namespace tinytorch {

double GradcheckResult::worst() const {
  double worst_error = 0.0;
  for (double error : max_relative_error) worst_error = std::max(worst_error, error);
  return worst_error;
}

namespace {

// (1) F = Σ_k r_k f_k, in double.
double project(const Tensor& output, const std::vector<float>& weights) {
  const std::vector<float> values = output.to_vector();
  double total = 0.0;
  for (std::size_t k = 0; k < values.size(); ++k) total += static_cast<double>(weights[k]) * values[k];
  return total;
}

// (4) for one input.
double relative_error(const std::vector<double>& analytic, const std::vector<double>& numeric) {
  double worst_difference = 0.0, largest = 1e-12;
  for (std::size_t j = 0; j < analytic.size(); ++j) {
    worst_difference = std::max(worst_difference, std::fabs(analytic[j] - numeric[j]));
    largest = std::max({largest, std::fabs(analytic[j]), std::fabs(numeric[j])});
  }
  return worst_difference / largest;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor>& inputs, double step,
                          uint64_t seed) {
  // Private contiguous copies: the leaves whose elements we nudge.
  std::vector<Tensor> leaves;
  for (const Tensor& input : inputs) {
    Tensor leaf = input.clone();
    if (input.requires_grad()) leaf.set_requires_grad();
    leaves.push_back(leaf);
  }

  // (2): one backward pass of sum(f(x) * r).
  const Tensor output = f(leaves);
  if (!output.requires_grad()) {
    throw ValueError("gradcheck: the function's output (shape " + shape_str(output.shape()) +
                     ") does not require grad; expected at least one input with requires_grad()");
  }
  Generator generator(seed);
  const Tensor weights = Tensor::uniform(output.shape(), -1.0f, 1.0f, generator);
  sum(output * weights).backward();
  const std::vector<float> r = weights.to_vector();

  // (3): two forward passes per element, recording nothing.
  NoGradGuard no_grad;
  GradcheckResult result;
  for (Tensor& leaf : leaves) {
    if (!leaf.requires_grad()) {
      result.max_relative_error.push_back(0.0);
      continue;
    }
    const int64_t count = leaf.numel();
    std::vector<double> analytic(static_cast<std::size_t>(count), 0.0), numeric(analytic.size(), 0.0);
    if (leaf.grad().defined()) {
      const std::vector<float> grad = leaf.grad().to_vector();
      std::copy(grad.begin(), grad.end(), analytic.begin());
    }
    float* x = leaf.data<float>();
    for (int64_t j = 0; j < count; ++j) {
      const float original = x[j];
      const double h = step * std::max(1.0, std::fabs(static_cast<double>(original)));
      const float plus = static_cast<float>(original + h), minus = static_cast<float>(original - h);
      x[j] = plus;
      const double f_plus = project(f(leaves), r);
      x[j] = minus;
      const double f_minus = project(f(leaves), r);
      x[j] = original;
      numeric[static_cast<std::size_t>(j)] = (f_plus - f_minus) / (static_cast<double>(plus) - minus);
    }
    result.max_relative_error.push_back(relative_error(analytic, numeric));
  }
  return result;
}

}  // namespace tinytorch
