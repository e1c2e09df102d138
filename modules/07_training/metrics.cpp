// metrics.cpp — Module 07: counting correct predictions (see metrics.hpp).
#include "tinytorch/core/metrics.hpp"

#include <string>

namespace tinytorch {

int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  if (!logits.defined() || !labels.defined() || logits.dim() != 2 || labels.dim() != 1 ||
      labels.shape()[0] != logits.shape()[0] || logits.shape()[1] < 1) {
    throw ShapeError("count_correct: logits are " +
                     (logits.defined() ? shape_str(logits.shape()) : std::string("undefined")) + " and labels " +
                     (labels.defined() ? shape_str(labels.shape()) : std::string("undefined")) +
                     "; expected logits (B, C) with C >= 1 and labels (B)");
  }
  if (logits.dtype() != DType::Float32 || labels.dtype() != DType::Int32) {
    throw DTypeError("count_correct: logits are " + std::string(dtype_name(logits.dtype())) + " and labels " +
                     std::string(dtype_name(labels.dtype())) + "; expected float32 logits and int32 labels");
  }
  const Tensor z_packed = logits.contiguous(), y_packed = labels.contiguous();
  int64_t correct = 0;
  // BEGIN SOLUTION
  const int64_t batch = logits.shape()[0], classes = logits.shape()[1];
  const float* z = z_packed.data<float>();
  const int32_t* y = y_packed.data<int32_t>();
  for (int64_t b = 0; b < batch; ++b) {
    const float* row = z + b * classes;
    int64_t best = 0;  // (1): strict > keeps the first maximum
    for (int64_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
    }
    correct += best == y[b] ? 1 : 0;
  }
  // END SOLUTION
  return correct;
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  const int64_t correct = count_correct(logits, labels);
  const int64_t batch = logits.shape()[0];
  if (batch == 0) throw ValueError("accuracy: the batch is empty (logits " + shape_str(logits.shape()) + ")");
  return static_cast<double>(correct) / static_cast<double>(batch);
}

}  // namespace tinytorch
