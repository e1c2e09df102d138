// dropout.cpp — Module 03: inverted dropout (see dropout.hpp for the math).
#include "tinytorch/core/dropout.hpp"

#include <cstdio>

namespace tinytorch {

Dropout::Dropout(float p, Generator& generator) : p_(p), generator_(&generator) {
  if (!(p >= 0.0f && p < 1.0f)) {  // also rejects NaN
    throw ValueError("Dropout: p = " + std::to_string(p) + "; expected 0 <= p < 1 (the probability of zeroing)");
  }
}

// Training: y = x · m / (1 - p), m_i ~ Bernoulli(1 - p)   (1).  Evaluation: y = x.
Tensor Dropout::forward(const Tensor& input) {
  if (!is_training() || p_ == 0.0f) return input;
  // BEGIN SOLUTION
  Tensor mask = Tensor::empty(input.shape());
  float* m = mask.data<float>();
  const float keep_scale = 1.0f / (1.0f - p_);
  for (int64_t i = 0; i < mask.numel(); ++i) m[i] = generator_->uniform() < p_ ? 0.0f : keep_scale;
  return input * mask;
  // END SOLUTION
}

std::string Dropout::extra_repr() const {
  char text[32];
  std::snprintf(text, sizeof text, "p=%g", static_cast<double>(p_));
  return text;
}

std::shared_ptr<Module> Dropout::clone() const {
  auto copy = std::make_shared<Dropout>(p_, *generator_);
  copy->copy_mode_from(*this);
  return copy;
}

}  // namespace tinytorch
