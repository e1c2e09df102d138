// linear.cpp — Module 03: the fully connected layer (see linear.hpp for the math).
#include "tinytorch/core/linear.hpp"

#include <cmath>
#include <cstring>

#include "tinytorch/core/blas.hpp"

namespace tinytorch {

namespace {

void check_linear_operands(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  for (const Tensor* t : {&x, &weight}) {
    if (!t->defined()) throw ValueError("linear: x and weight must be defined");
    if (t->dtype() != DType::Float32) {
      throw DTypeError("linear: operand of shape " + shape_str(t->shape()) + " holds " +
                       std::string(dtype_name(t->dtype())) + "; expected float32");
    }
  }
  if (x.dim() != 2 || weight.dim() != 2 || x.shape()[1] != weight.shape()[1]) {
    throw ShapeError("linear: x is " + shape_str(x.shape()) + ", weight is " + shape_str(weight.shape()) +
                     "; expected x (B, in_features) and weight (out_features, in_features) with equal in_features");
  }
  if (bias.defined() &&
      (bias.dtype() != DType::Float32 || bias.shape() != Shape{weight.shape()[0]})) {
    throw ShapeError("linear: bias is " + shape_str(bias.shape()) + " " + std::string(dtype_name(bias.dtype())) +
                     "; expected float32 of shape (" + std::to_string(weight.shape()[0]) + ",) = (out_features,)");
  }
}

}  // namespace

// x:(B,K) weight:(N,K) bias:(N) or undefined -> y:(B,N),  y = x Wᵀ + b   (1)
// One sgemm: every row of y starts as b, then y := 1·x Wᵀ + 1·y (beta = 1).
Tensor ops::linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_linear_operands(x, weight, bias);
  const int64_t batch = x.shape()[0];
  const int64_t in_features = x.shape()[1];
  const int64_t out_features = weight.shape()[0];
  Tensor y = Tensor::empty({batch, out_features});
  // BEGIN SOLUTION
  const Tensor x_packed = x.contiguous(), w_packed = weight.contiguous();
  float* out = y.data<float>();
  float beta = 0.0f;
  if (bias.defined()) {
    const Tensor b_packed = bias.contiguous();
    const float* b = b_packed.data<float>();
    for (int64_t row = 0; row < batch; ++row) {
      std::memcpy(out + row * out_features, b, static_cast<std::size_t>(out_features) * sizeof(float));
    }
    beta = 1.0f;
  } else if (in_features == 0) {
    y.fill_(0.0f);  // an empty sum is 0 (with beta = 0, sgemm never reads y's old contents)
  }
  if (batch > 0 && out_features > 0 && in_features > 0) {
    sgemm(false, true, static_cast<int>(batch), static_cast<int>(out_features), static_cast<int>(in_features), 1.0f,
          x_packed.data<float>(), static_cast<int>(in_features), w_packed.data<float>(),
          static_cast<int>(in_features), beta, out, static_cast<int>(out_features));
  }
  // END SOLUTION
  return y;
}

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& generator)
    : in_features_(in_features), out_features_(out_features), has_bias_(bias) {
  if (in_features < 1 || out_features < 1) {
    throw ValueError("Linear: in_features = " + std::to_string(in_features) +
                     ", out_features = " + std::to_string(out_features) + "; expected both >= 1");
  }
  // BEGIN SOLUTION
  // (2) He / Kaiming normal: W ~ N(0, 2 / in_features), bias = 0.
  const float std = std::sqrt(2.0f / static_cast<float>(in_features));
  register_parameter("weight", Tensor::randn({out_features, in_features}, 0.0f, std, generator));
  if (bias) register_parameter("bias", Tensor::zeros({out_features}));
  // END SOLUTION
}

Linear::Linear(Tensor weight, Tensor bias) : has_bias_(bias.defined()) {
  if (!weight.defined() || weight.dim() != 2 || weight.dtype() != DType::Float32) {
    throw ShapeError("Linear: weight is " + (weight.defined() ? shape_str(weight.shape()) : std::string("undefined")) +
                     "; expected a float32 tensor (out_features, in_features)");
  }
  out_features_ = weight.shape()[0];
  in_features_ = weight.shape()[1];
  if (bias.defined() && (bias.dtype() != DType::Float32 || bias.shape() != Shape{out_features_})) {
    throw ShapeError("Linear: bias is " + shape_str(bias.shape()) + " for a weight " + shape_str(weight.shape()) +
                     "; expected a float32 tensor (" + std::to_string(out_features_) + ",) = (out_features,)");
  }
  register_parameter("weight", std::move(weight));
  if (has_bias_) register_parameter("bias", std::move(bias));
}

Tensor Linear::bias() const { return has_bias_ ? parameter("bias") : Tensor(); }

// input:(..., K) -> (..., N). linear() takes a matrix, so leading axes are
// flattened into one batch axis B = Π leading sizes and restored afterwards.
Tensor Linear::forward(const Tensor& input) {
  if (!input.defined() || input.dim() == 0 || input.shape().back() != in_features_) {
    const std::string got = input.defined() ? shape_str(input.shape()) : std::string("undefined");
    throw ShapeError("Linear::forward: input is " + got + " but the layer has in_features = " +
                     std::to_string(in_features_) + "; expected an input (..., " + std::to_string(in_features_) + ")");
  }
  const Tensor& weight = parameter("weight");
  const Tensor b = bias();
  if (input.dim() == 2) return linear(input, weight, b);  // the common case: no reshapes
  Shape out_shape = input.shape();
  out_shape.back() = out_features_;
  const Tensor rows = reshape(input, {-1, in_features_});
  return reshape(linear(rows, weight, b), out_shape);
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features_) + ", out_features=" + std::to_string(out_features_) +
         ", bias=" + (has_bias_ ? "true" : "false");
}

std::shared_ptr<Module> Linear::clone() const {
  const Tensor b = bias();
  auto copy = std::make_shared<Linear>(weight().clone(), b.defined() ? b.clone() : Tensor());
  // The constructor made both require grad; keep the original's setting (a frozen layer stays frozen).
  for (auto& [name, tensor] : named_parameters()) {
    copy->parameter(name).set_requires_grad(tensor.requires_grad());
  }
  copy->copy_mode_from(*this);
  return copy;
}

}  // namespace tinytorch
