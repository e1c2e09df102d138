// losses.cpp — the forward math of module 04: mean squared error, softmax
// cross-entropy on logits, and binary cross-entropy on probabilities.
//
// Sums run in double: a batch mean of thousands of float terms would otherwise
// drift in the 7th digit, and the loss is the number a student watches.
// The gradients are module 05's (autograd_nn.cpp).
#include "tinytorch/core/losses.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace tinytorch::ops {
namespace {

void check_dtype(const Tensor& t, DType expected, const char* operation, const char* role) {
  if (!t.defined()) throw ValueError(std::string(operation) + ": " + role + " is undefined");
  if (t.dtype() != expected) {
    throw DTypeError(std::string(operation) + ": " + role + " of shape " + shape_str(t.shape()) + " holds " +
                     std::string(dtype_name(t.dtype())) + "; expected " + std::string(dtype_name(expected)));
  }
}

// Both operands of an element-wise loss: float32, same non-empty shape.
void check_pair(const Tensor& a, const Tensor& b, const char* operation, const char* name_a, const char* name_b) {
  check_dtype(a, DType::Float32, operation, name_a);
  check_dtype(b, DType::Float32, operation, name_b);
  if (a.shape() != b.shape()) {
    throw ShapeError(std::string(operation) + ": " + name_a + " is " + shape_str(a.shape()) + ", " + name_b + " is " +
                     shape_str(b.shape()) + "; expected equal shapes");
  }
  if (a.numel() == 0) throw ShapeError(std::string(operation) + ": empty input of shape " + shape_str(a.shape()));
}

}  // namespace

// (1) (1/N) Σ (p - t)²
Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  check_pair(pred, target, "mse_loss", "pred", "target");
  const Tensor p_tensor = pred.contiguous(), t_tensor = target.contiguous();
  // BEGIN SOLUTION
  const float* p = p_tensor.data<float>();
  const float* t = t_tensor.data<float>();
  const int64_t count = pred.numel();
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double diff = static_cast<double>(p[i]) - t[i];
    total += diff * diff;
  }
  return Tensor::scalar(static_cast<float>(total / static_cast<double>(count)));
  // END SOLUTION
}

// (2) (1/B) Σ_b [ logsumexp(z_b) - z_b,y_b ]
Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  check_dtype(logits, DType::Float32, "cross_entropy", "logits");
  check_dtype(labels, DType::Int32, "cross_entropy", "labels");
  if (logits.dim() != 2 || labels.dim() != 1 || labels.shape()[0] != logits.shape()[0]) {
    throw ShapeError("cross_entropy: logits are " + shape_str(logits.shape()) + ", labels are " +
                     shape_str(labels.shape()) + "; expected logits (B, C) and labels (B)");
  }
  const int64_t batch = logits.shape()[0], classes = logits.shape()[1];
  if (batch == 0 || classes == 0) throw ShapeError("cross_entropy: empty logits of shape " + shape_str(logits.shape()));
  const Tensor z_tensor = logits.contiguous(), y_tensor = labels.contiguous();
  const int32_t* y = y_tensor.data<int32_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const int32_t label = y[b];
    if (label < 0 || label >= classes) {
      throw IndexError("cross_entropy: label " + std::to_string(label) + " in row " + std::to_string(b) +
                       " is out of range for " + std::to_string(classes) + " classes (expected 0 <= label < " +
                       std::to_string(classes) + ")");
    }
  }
  // BEGIN SOLUTION
  const float* z = z_tensor.data<float>();
  double total = 0.0;
  for (int64_t b = 0; b < batch; ++b) {
    const float* row = z + b * classes;
    const int32_t label = y[b];
    const float m = *std::max_element(row, row + classes);
    double sum_exp = 0.0;
    for (int64_t c = 0; c < classes; ++c) sum_exp += std::exp(static_cast<double>(row[c] - m));
    const double log_sum_exp = m + std::log(sum_exp);
    total += log_sum_exp - row[label];
  }
  return Tensor::scalar(static_cast<float>(total / static_cast<double>(batch)));
  // END SOLUTION
}

// (3) -(1/N) Σ [ t log p̂ + (1 - t) log(1 - p̂) ],  p̂ = clamp(p, ε, 1 - ε)
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& targets) {
  check_pair(probs, targets, "binary_cross_entropy", "probs", "targets");
  const Tensor p_tensor = probs.contiguous(), t_tensor = targets.contiguous();
  const float* p = p_tensor.data<float>();
  const int64_t count = probs.numel();
  for (int64_t i = 0; i < count; ++i) {
    if (!(p[i] >= 0.0f && p[i] <= 1.0f)) {  // also rejects NaN
      throw ValueError("binary_cross_entropy: probs[" + std::to_string(i) + "] = " + std::to_string(p[i]) +
                       " is not a probability (expected 0 <= p <= 1; apply sigmoid to logits first)");
    }
  }
  // BEGIN SOLUTION
  const float* t = t_tensor.data<float>();
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double clamped = std::clamp(static_cast<double>(p[i]), double{kBceEpsilon}, 1.0 - double{kBceEpsilon});
    total += t[i] * std::log(clamped) + (1.0 - t[i]) * std::log(1.0 - clamped);
  }
  return Tensor::scalar(static_cast<float>(-total / static_cast<double>(count)));
  // END SOLUTION
}

}  // namespace tinytorch::ops
