// optimizer.cpp — Module 06: what every optimizer shares (see optimizer.hpp).
#include "tinytorch/core/optimizer.hpp"

#include <cmath>
#include <limits>

#include "tinytorch/core/autograd.hpp"

namespace tinytorch {

void check_hyperparameter(const char* optimizer, const char* what, float value, float low, float high,
                          bool high_inclusive) {
  const bool below_high = high_inclusive ? value <= high : value < high;
  if (!(value >= low && below_high)) {  // NaN fails both comparisons
    const std::string high_text = std::isinf(high) ? "" : (high_inclusive ? " <= " : " < ") + std::to_string(high);
    throw ValueError(std::string(optimizer) + ": " + what + " = " + std::to_string(value) + "; expected " +
                     std::to_string(low) + " <= " + what + high_text);
  }
}

Optimizer::Optimizer(std::string name, std::vector<Tensor> parameters, float learning_rate)
    : name_(std::move(name)), parameters_(std::move(parameters)) {
  if (parameters_.empty()) throw ValueError(name_ + ": the parameter list is empty; expected model.parameters()");
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    if (!p.defined() || p.dtype() != DType::Float32 || !p.is_contiguous()) {
      throw ValueError(name_ + ": parameter " + std::to_string(i) + " is " +
                       (p.defined() ? shape_str(p.shape()) + " " + std::string(dtype_name(p.dtype())) +
                                          (p.is_contiguous() ? "" : " non-contiguous")
                                    : std::string("undefined")) +
                       "; expected a contiguous float32 tensor (updated in place)");
    }
  }
  set_learning_rate(learning_rate);
}

void Optimizer::set_learning_rate(float learning_rate) {
  check_hyperparameter(name_.c_str(), "learning_rate", learning_rate, 0.0f,
                       std::numeric_limits<float>::infinity(), true);
  learning_rate_ = learning_rate;
}

void Optimizer::step() {
  ++steps_taken_;
  NoGradGuard no_grad;  // updates are not part of any graph
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Tensor& p = parameters_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.shape() != p.shape() || g.dtype() != DType::Float32) {
      throw ShapeError(name() + "::step: parameter " + std::to_string(i) + " is " + shape_str(p.shape()) +
                       " but its gradient is " + shape_str(g.shape()) + " " + std::string(dtype_name(g.dtype())) +
                       "; expected float32 of the parameter's shape");
    }
    const Tensor g_packed = g.contiguous();  // leaf gradients already are: no copy
    update(i, p.data<float>(), g_packed.data<float>(), p.numel(), steps_taken_);
  }
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters_) {
    if (set_to_none) {
      if (p.autograd_meta()) p.autograd_meta()->grad = Tensor();
    } else {
      p.zero_grad();
    }
  }
}

}  // namespace tinytorch
